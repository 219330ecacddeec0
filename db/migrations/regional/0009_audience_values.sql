CREATE TABLE "audience_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"cause" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "computed_trait_values" (
	"customer_id" uuid NOT NULL,
	"trait_id" text NOT NULL,
	"value" jsonb,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "computed_trait_values_customer_id_trait_id_pk" PRIMARY KEY("customer_id","trait_id")
);
--> statement-breakpoint
CREATE TABLE "data_flows" (
	"source_id" text NOT NULL,
	"scope" text NOT NULL,
	"category" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "data_flows_source_id_scope_category_pk" PRIMARY KEY("source_id","scope","category")
);
--> statement-breakpoint
CREATE TABLE "membership_consumers" (
	"consumer" text PRIMARY KEY NOT NULL,
	"last_event_id" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prediction_models" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"trained_at" timestamp with time zone DEFAULT now() NOT NULL,
	"as_of" date NOT NULL,
	"model" jsonb NOT NULL,
	"metrics" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "profile_traits" (
	"customer_id" uuid NOT NULL,
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"category" text NOT NULL,
	"source_id" text NOT NULL,
	"observed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "profile_traits_customer_id_key_pk" PRIMARY KEY("customer_id","key")
);
--> statement-breakpoint
CREATE TABLE "segment_membership" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"segment_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"entered_at" timestamp with time zone NOT NULL,
	"exited_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "segment_membership_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"segment_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tag_assignments" (
	"customer_id" uuid NOT NULL,
	"tag_key" text NOT NULL,
	"origin" text NOT NULL,
	"score" real,
	"assigned_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tag_assignments_customer_id_tag_key_pk" PRIMARY KEY("customer_id","tag_key")
);
--> statement-breakpoint
ALTER TABLE "consent_records" ADD COLUMN "brand_id" text;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "properties" jsonb;--> statement-breakpoint
CREATE INDEX "audience_changes_customer" ON "audience_changes" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "computed_trait_values_trait" ON "computed_trait_values" USING btree ("trait_id");--> statement-breakpoint
CREATE INDEX "profile_traits_key" ON "profile_traits" USING btree ("key");--> statement-breakpoint
CREATE UNIQUE INDEX "segment_membership_current" ON "segment_membership" USING btree ("segment_id","customer_id") WHERE exited_at is null;--> statement-breakpoint
CREATE INDEX "segment_membership_customer" ON "segment_membership" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "segment_membership_events_segment" ON "segment_membership_events" USING btree ("segment_id","id");--> statement-breakpoint
CREATE INDEX "tag_assignments_tag" ON "tag_assignments" USING btree ("tag_key");
CREATE TABLE "customers" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"home_region" text NOT NULL,
	"regions" text[] NOT NULL,
	"merged_into" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_index" (
	"type" text NOT NULL,
	"blind_index" "bytea" NOT NULL,
	"customer_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "identity_index_type_blind_index_pk" PRIMARY KEY("type","blind_index")
);
--> statement-breakpoint
CREATE TABLE "identity_rules" (
	"workspace" text PRIMARY KEY NOT NULL,
	"rules" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"region" text NOT NULL,
	"write_key_hash" "bytea" NOT NULL,
	"write_key_hint" text NOT NULL,
	"previous_write_key_hash" "bytea",
	"previous_key_valid_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "identity_index_customer" ON "identity_index" USING btree ("customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sources_write_key_hash" ON "sources" USING btree ("write_key_hash");--> statement-breakpoint
CREATE INDEX "sources_previous_write_key_hash" ON "sources" USING btree ("previous_write_key_hash");
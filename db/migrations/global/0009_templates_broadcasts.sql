CREATE TABLE "broadcasts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"region" text NOT NULL,
	"brand_id" text NOT NULL,
	"segment_id" text NOT NULL,
	"channel" text NOT NULL,
	"template_ref" text NOT NULL,
	"local_time" text NOT NULL,
	"local_date" text,
	"when_passed" text NOT NULL,
	"fallback_zone" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"started_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "message_templates" (
	"id" text NOT NULL,
	"version" integer NOT NULL,
	"brand_id" text NOT NULL,
	"name" text NOT NULL,
	"channel" text NOT NULL,
	"default_locale" text NOT NULL,
	"variants" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "message_templates_id_version_pk" PRIMARY KEY("id","version")
);
--> statement-breakpoint
CREATE INDEX "broadcasts_region" ON "broadcasts" USING btree ("region");--> statement-breakpoint
CREATE INDEX "message_templates_brand" ON "message_templates" USING btree ("brand_id");
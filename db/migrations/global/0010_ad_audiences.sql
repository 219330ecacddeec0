CREATE TABLE "ad_audiences" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"segment_id" text NOT NULL,
	"connector_id" text NOT NULL,
	"platform" text NOT NULL,
	"platform_audience_id" text NOT NULL,
	"region" text NOT NULL,
	"last_error" text,
	"last_synced_at" timestamp with time zone,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);

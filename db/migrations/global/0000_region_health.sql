CREATE TABLE "region_health_reports" (
	"workflow_id" text PRIMARY KEY NOT NULL,
	"regions" jsonb NOT NULL,
	"reported_at" timestamp with time zone DEFAULT now() NOT NULL
);

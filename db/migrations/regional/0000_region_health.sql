CREATE TABLE "region_health_probes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workflow_id" text NOT NULL,
	"region" text NOT NULL,
	"worker_identity" text NOT NULL,
	"attempts" integer NOT NULL,
	"samples" integer NOT NULL,
	"latency_p50_ms" real NOT NULL,
	"latency_max_ms" real NOT NULL,
	"probed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "region_health_probes_workflow_region" ON "region_health_probes" USING btree ("workflow_id","region");
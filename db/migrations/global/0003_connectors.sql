CREATE TABLE "connectors" (
	"id" text PRIMARY KEY NOT NULL,
	"system" text NOT NULL,
	"name" text NOT NULL,
	"region" text NOT NULL,
	"settings" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "connectors_region" ON "connectors" USING btree ("region");
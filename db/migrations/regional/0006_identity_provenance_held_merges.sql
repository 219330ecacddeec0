CREATE TABLE "held_merges" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"from_customer_id" uuid NOT NULL,
	"into_customer_id" uuid NOT NULL,
	"linked_by" text NOT NULL,
	"source_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"held_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"note" text
);
--> statement-breakpoint
ALTER TABLE "identities" ADD COLUMN "provenance" text DEFAULT 'browser' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "held_merges_pair" ON "held_merges" USING btree ("from_customer_id","into_customer_id");--> statement-breakpoint
CREATE INDEX "held_merges_status" ON "held_merges" USING btree ("status","held_at");
ALTER TABLE "identity_index" ADD COLUMN "provenance" text DEFAULT 'browser' NOT NULL;--> statement-breakpoint
CREATE INDEX "customers_merged_into" ON "customers" USING btree ("merged_into");
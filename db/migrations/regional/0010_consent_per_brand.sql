DROP INDEX "consent_records_once";--> statement-breakpoint
ALTER TABLE "consent_propagations" ADD COLUMN "brand_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "consent_records_once" ON "consent_records" USING btree ("customer_id","purpose","source","proof_kind","proof_reference","recorded_at",coalesce(brand_id, ''));
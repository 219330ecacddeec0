ALTER TABLE "loyalty_ledger" ADD COLUMN "order_key" text;--> statement-breakpoint
ALTER TABLE "loyalty_members" ADD COLUMN "birth_month_day" text;--> statement-breakpoint
CREATE INDEX "loyalty_ledger_order" ON "loyalty_ledger" USING btree ("customer_id","brand_id","order_key");--> statement-breakpoint
-- Rows written before: the order key is the order ID part of `<sourceId>:<order ID>`.
UPDATE "loyalty_ledger" SET "order_key" = substr("order_ref", strpos("order_ref", ':') + 1) WHERE "order_ref" IS NOT NULL AND "order_key" IS NULL;

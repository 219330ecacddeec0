CREATE TABLE "event_facts_recent" (
	"customer_id" uuid NOT NULL,
	"event" text NOT NULL,
	"k" smallint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "event_facts_recent_customer_id_event_k_pk" PRIMARY KEY("customer_id","event","k")
);
--> statement-breakpoint
-- The instants already in event_facts (db/audience-facts-store.ts rebuildAudienceFacts does the same).
INSERT INTO "event_facts_recent" ("customer_id", "event", "k", "at")
SELECT f.customer_id, f.event, k, f.recent[k]
FROM event_facts f CROSS JOIN generate_subscripts(f.recent, 1) AS k
WHERE f.source_id = '*';--> statement-breakpoint
DROP INDEX "order_facts_last";--> statement-breakpoint
CREATE INDEX "event_facts_recent_window" ON "event_facts_recent" USING btree ("event","k","at","customer_id");--> statement-breakpoint
CREATE INDEX "orders_customer_placed" ON "orders" USING btree ("customer_id","placed_at","status","reporting_total_minor","source_id","currency");--> statement-breakpoint
DROP INDEX "orders_customer";--> statement-breakpoint
CREATE INDEX "order_facts_all_last" ON "order_facts" USING btree ("last_at","customer_id","orders","amount","positive_amount","first_at") WHERE source_id = '*' and currency = '*';--> statement-breakpoint
CREATE INDEX "profile_traits_key_short_value" ON "profile_traits" USING btree ("key","value","customer_id","source_id") WHERE octet_length(value::text) <= 256;--> statement-breakpoint
-- Row estimates of the segment conditions (not drizzle schema objects): a trait's values per key,
-- and the all-stores rows of the order facts, whose source and currency go together. Underestimated
-- sets made the planner probe row by row (nested loops over 150,000 people) instead of hashing.
CREATE STATISTICS "profile_traits_key_value" (mcv) ON "key", "value" FROM "profile_traits";--> statement-breakpoint
CREATE STATISTICS "order_facts_scope" (dependencies, mcv) ON "source_id", "currency" FROM "order_facts";--> statement-breakpoint
CREATE STATISTICS "event_facts_recent_event_k" (dependencies, mcv) ON "event", "k" FROM "event_facts_recent";

CREATE TABLE "consent_facts" (
	"customer_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"brand_scope" text NOT NULL,
	"state" text NOT NULL,
	CONSTRAINT "consent_facts_customer_id_purpose_brand_scope_pk" PRIMARY KEY("customer_id","purpose","brand_scope")
);
--> statement-breakpoint
CREATE TABLE "event_facts" (
	"customer_id" uuid NOT NULL,
	"event" text NOT NULL,
	"source_id" text NOT NULL,
	"total" integer NOT NULL,
	"recent" timestamp with time zone[] NOT NULL,
	CONSTRAINT "event_facts_customer_id_event_source_id_pk" PRIMARY KEY("customer_id","event","source_id")
);
--> statement-breakpoint
CREATE TABLE "order_facts" (
	"customer_id" uuid NOT NULL,
	"source_id" text NOT NULL,
	"currency" text NOT NULL,
	"orders" integer NOT NULL,
	"amount" bigint NOT NULL,
	"positive_amount" bigint NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "order_facts_customer_id_source_id_currency_pk" PRIMARY KEY("customer_id","source_id","currency")
);
--> statement-breakpoint
CREATE INDEX "consent_facts_state" ON "consent_facts" USING btree ("purpose","brand_scope","state","customer_id");--> statement-breakpoint
CREATE INDEX "event_facts_event" ON "event_facts" USING btree ("event","source_id","customer_id","total","recent");--> statement-breakpoint
CREATE INDEX "order_facts_last" ON "order_facts" USING btree ("last_at","customer_id","orders","amount","positive_amount","first_at") WHERE source_id = '*';--> statement-breakpoint
-- The facts of what is already stored (db/audience-facts-store.ts rebuildAudienceFacts does the same).
INSERT INTO "event_facts" ("customer_id", "event", "source_id", "total", "recent")
SELECT e.customer_id, e.event, coalesce(e.source_id, '*'), count(*)::int,
  (array_agg(e.timestamp ORDER BY e.timestamp DESC))[1:8]
FROM events e WHERE e.event IS NOT NULL
GROUP BY GROUPING SETS ((e.customer_id, e.event, e.source_id), (e.customer_id, e.event));--> statement-breakpoint
INSERT INTO "order_facts" ("customer_id", "source_id", "currency", "orders", "amount", "positive_amount", "first_at", "last_at")
SELECT o.customer_id, coalesce(o.source_id, '*'), coalesce(o.currency, '*'), count(*)::int,
  coalesce(sum(o.reporting_total_minor), 0)::bigint, coalesce(sum(greatest(o.reporting_total_minor, 0)), 0)::bigint,
  min(o.placed_at), max(o.placed_at)
FROM orders o WHERE o.customer_id IS NOT NULL AND o.status <> 'cancelled'
GROUP BY GROUPING SETS ((o.customer_id, o.source_id, o.currency), (o.customer_id));--> statement-breakpoint
INSERT INTO "consent_facts" ("customer_id", "purpose", "brand_scope", "state")
SELECT DISTINCT ON (r.customer_id, r.purpose, coalesce(r.brand_id, ''))
  r.customer_id, r.purpose, coalesce(r.brand_id, ''), r.state
FROM consent_records r
ORDER BY r.customer_id, r.purpose, coalesce(r.brand_id, ''), r.recorded_at DESC, (r.state = 'granted');

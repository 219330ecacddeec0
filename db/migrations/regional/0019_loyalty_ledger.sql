CREATE TABLE "loyalty_ledger" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"brand_id" text NOT NULL,
	"kind" text NOT NULL,
	"points" bigint NOT NULL,
	"entry_key" text NOT NULL,
	"order_ref" text,
	"currency" text,
	"amount_minor" bigint,
	"reporting_minor" bigint,
	"local_date" date,
	"expires_at" timestamp with time zone,
	"reason" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "loyalty_members" (
	"customer_id" uuid NOT NULL,
	"brand_id" text NOT NULL,
	"member_id" text NOT NULL,
	"tier" text NOT NULL,
	"tier_rank" smallint DEFAULT 0 NOT NULL,
	"tier_since" date NOT NULL,
	"review_on" date NOT NULL,
	"grace_until" date,
	"time_zone" text NOT NULL,
	"market" text,
	"terms_version" text NOT NULL,
	"enrolled_via" text NOT NULL,
	"last_activity_at" timestamp with time zone DEFAULT now() NOT NULL,
	"enrolled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "loyalty_members_customer_id_brand_id_pk" PRIMARY KEY("customer_id","brand_id")
);
--> statement-breakpoint
CREATE TABLE "loyalty_sync_status" (
	"customer_id" uuid NOT NULL,
	"brand_id" text NOT NULL,
	"connector_id" text NOT NULL,
	"system" text NOT NULL,
	"status" text NOT NULL,
	"tier" text,
	"balance" bigint,
	"last_error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "loyalty_sync_status_customer_id_brand_id_connector_id_pk" PRIMARY KEY("customer_id","brand_id","connector_id")
);
--> statement-breakpoint
CREATE TABLE "loyalty_tier_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"brand_id" text NOT NULL,
	"from_tier" text,
	"to_tier" text NOT NULL,
	"reason" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "loyalty_ledger_entry" ON "loyalty_ledger" USING btree ("brand_id","entry_key");--> statement-breakpoint
CREATE INDEX "loyalty_ledger_member" ON "loyalty_ledger" USING btree ("customer_id","brand_id");--> statement-breakpoint
CREATE INDEX "loyalty_members_member_id" ON "loyalty_members" USING btree ("member_id");--> statement-breakpoint
CREATE INDEX "loyalty_members_review" ON "loyalty_members" USING btree ("review_on");--> statement-breakpoint
CREATE INDEX "loyalty_tier_history_member" ON "loyalty_tier_history" USING btree ("customer_id","brand_id");
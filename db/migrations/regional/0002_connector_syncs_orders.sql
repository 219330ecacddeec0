CREATE TABLE "connector_credentials" (
	"connector_id" text PRIMARY KEY NOT NULL,
	"credentials_sealed" "bytea" NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connector_leases" (
	"connector_id" text PRIMARY KEY NOT NULL,
	"sync_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"acquired_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connector_streams" (
	"connector_id" text NOT NULL,
	"stream" text NOT NULL,
	"since" timestamp with time zone,
	"last_pass_completed_at" timestamp with time zone,
	"last_pass_records" integer,
	CONSTRAINT "connector_streams_connector_id_stream_pk" PRIMARY KEY("connector_id","stream")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"source_id" text NOT NULL,
	"external_id" text NOT NULL,
	"customer_id" uuid,
	"customer_external_id" text,
	"order_number" text,
	"currency" text NOT NULL,
	"total_minor" bigint NOT NULL,
	"subtotal_minor" bigint,
	"tax_minor" bigint,
	"reporting_currency" text NOT NULL,
	"reporting_total_minor" bigint,
	"fx_rate" numeric(30, 12),
	"fx_rate_date" date,
	"fx_fallback" boolean,
	"fx_problem" text,
	"placed_at" timestamp with time zone NOT NULL,
	"time_zone" text NOT NULL,
	"local_date" date NOT NULL,
	"local_hour" smallint NOT NULL,
	"status" text NOT NULL,
	"financial_status" text,
	"country_code" text,
	"line_item_count" integer NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_source_id_external_id_pk" PRIMARY KEY("source_id","external_id")
);
--> statement-breakpoint
CREATE TABLE "sync_checkpoints" (
	"sync_id" text NOT NULL,
	"stream" text NOT NULL,
	"call_page_no" integer NOT NULL,
	"page_no" integer NOT NULL,
	"progress" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_checkpoints_sync_id_stream_pk" PRIMARY KEY("sync_id","stream")
);
--> statement-breakpoint
CREATE TABLE "sync_rejections" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sync_id" text NOT NULL,
	"connector_id" text NOT NULL,
	"stream" text NOT NULL,
	"page_no" integer NOT NULL,
	"item_no" integer NOT NULL,
	"external_id" text,
	"reason" text NOT NULL,
	"rejected_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"sync_id" text PRIMARY KEY NOT NULL,
	"connector_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"status" text NOT NULL,
	"pages" integer DEFAULT 0 NOT NULL,
	"customers" integer DEFAULT 0 NOT NULL,
	"orders" integer DEFAULT 0 NOT NULL,
	"rejected" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "orders_customer" ON "orders" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "orders_local_date" ON "orders" USING btree ("local_date");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_rejections_position" ON "sync_rejections" USING btree ("sync_id","stream","page_no","item_no");--> statement-breakpoint
CREATE INDEX "sync_runs_connector" ON "sync_runs" USING btree ("connector_id","started_at");
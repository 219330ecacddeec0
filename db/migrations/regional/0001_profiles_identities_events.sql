CREATE TABLE "event_message_ids" (
	"source_id" text NOT NULL,
	"message_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "event_message_ids_source_id_message_id_pk" PRIMARY KEY("source_id","message_id")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" uuid NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"source_id" text NOT NULL,
	"message_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"sealed_with" uuid NOT NULL,
	"type" text NOT NULL,
	"event" text,
	"timestamp" timestamp with time zone NOT NULL,
	"original_timestamp" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"timestamp_flag" text,
	"timezone" text,
	"locale" text,
	"payload_sealed" "bytea" NOT NULL,
	CONSTRAINT "events_id_received_at_pk" PRIMARY KEY("id","received_at")
) PARTITION BY RANGE ("received_at");
--> statement-breakpoint
CREATE TABLE "identities" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"type" text NOT NULL,
	"blind_index" "bytea" NOT NULL,
	"value_sealed" "bytea" NOT NULL,
	"sealed_with" uuid NOT NULL,
	"source_id" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "merge_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"from_customer_id" uuid NOT NULL,
	"into_customer_id" uuid NOT NULL,
	"linked_by" text NOT NULL,
	"workflow_id" text,
	"events_moved" integer,
	"identities_moved" integer,
	"merged_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "merge_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"from_customer_id" uuid NOT NULL,
	"into_customer_id" uuid NOT NULL,
	"linked_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "profiles" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"data_key_wrapped" "bytea",
	"merged_into" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "traits" (
	"customer_id" uuid NOT NULL,
	"name" text NOT NULL,
	"value_sealed" "bytea" NOT NULL,
	"sealed_with" uuid NOT NULL,
	"observed_at" timestamp with time zone NOT NULL,
	"source_id" text NOT NULL,
	CONSTRAINT "traits_customer_id_name_pk" PRIMARY KEY("customer_id","name")
);
--> statement-breakpoint
CREATE INDEX "events_customer_time" ON "events" USING btree ("customer_id","timestamp");--> statement-breakpoint
CREATE UNIQUE INDEX "identities_type_blind_index" ON "identities" USING btree ("type","blind_index");--> statement-breakpoint
CREATE INDEX "identities_customer" ON "identities" USING btree ("customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "merge_history_from" ON "merge_history" USING btree ("from_customer_id");--> statement-breakpoint
CREATE INDEX "profiles_merged_into" ON "profiles" USING btree ("merged_into");--> statement-breakpoint
-- Creates the month's partition of the event log if it is missing (hand-written: drizzle-kit
-- does not model partitions). The ingest writer calls it before a month's first row.
CREATE FUNCTION meridian_ensure_events_partition(month_start date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  partition_name text := format('events_%s', to_char(month_start, 'YYYY_MM'));
BEGIN
  EXECUTE format(
    'CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
    partition_name, month_start, (month_start + interval '1 month')::date
  );
END;
$$;
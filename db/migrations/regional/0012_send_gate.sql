CREATE TABLE "send_counters" (
	"customer_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"last_reserved_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "send_counters_customer_id_channel_pk" PRIMARY KEY("customer_id","channel")
);
--> statement-breakpoint
CREATE TABLE "send_keys" (
	"send_key" text PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"brand_id" text NOT NULL,
	"channel" text NOT NULL,
	"purpose" text NOT NULL,
	"journey_run_id" text,
	"status" text NOT NULL,
	"local_date" date NOT NULL,
	"claimed_until" timestamp with time zone,
	"provider_message_id" text,
	"last_error" text,
	"reserved_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "send_keys_person_channel_day" ON "send_keys" USING btree ("customer_id","channel","local_date");
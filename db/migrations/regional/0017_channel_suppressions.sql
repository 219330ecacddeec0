CREATE TABLE "channel_suppressions" (
	"customer_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"reason" text NOT NULL,
	"provider_reference" text NOT NULL,
	"suppressed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_suppressions_customer_id_channel_pk" PRIMARY KEY("customer_id","channel")
);
--> statement-breakpoint
CREATE INDEX "send_keys_provider_message" ON "send_keys" USING btree ("provider_message_id");
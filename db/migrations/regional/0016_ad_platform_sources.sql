CREATE TABLE "ad_clicks" (
	"kind" text NOT NULL,
	"click_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"source_id" text NOT NULL,
	"clicked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ad_clicks_kind_click_id_pk" PRIMARY KEY("kind","click_id")
);
--> statement-breakpoint
CREATE TABLE "ad_conversion_uploads" (
	"connector_id" text NOT NULL,
	"order_source_id" text NOT NULL,
	"order_external_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"click_kind" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"reserved_at" timestamp with time zone DEFAULT now() NOT NULL,
	"uploaded_at" timestamp with time zone,
	CONSTRAINT "ad_conversion_uploads_connector_id_order_source_id_order_external_id_pk" PRIMARY KEY("connector_id","order_source_id","order_external_id")
);
--> statement-breakpoint
CREATE TABLE "consent_evidence" (
	"proof_kind" text NOT NULL,
	"proof_reference" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"source_id" text NOT NULL,
	"shown_sha256" text,
	"evidence" jsonb NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consent_evidence_proof_kind_proof_reference_pk" PRIMARY KEY("proof_kind","proof_reference")
);
--> statement-breakpoint
CREATE INDEX "ad_clicks_customer" ON "ad_clicks" USING btree ("customer_id","clicked_at");--> statement-breakpoint
CREATE INDEX "ad_conversion_uploads_customer" ON "ad_conversion_uploads" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "consent_evidence_customer" ON "consent_evidence" USING btree ("customer_id");
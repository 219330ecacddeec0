CREATE TABLE "consent_propagation_systems" (
	"propagation_id" text NOT NULL,
	"connector_id" text NOT NULL,
	"system" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"evidence" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consent_propagation_systems_propagation_id_connector_id_pk" PRIMARY KEY("propagation_id","connector_id")
);
--> statement-breakpoint
CREATE TABLE "consent_propagations" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"changes" jsonb NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "consent_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"state" text NOT NULL,
	"source" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"proof_kind" text NOT NULL,
	"proof_reference" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent_subjects" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"country" text NOT NULL,
	"us_state" text,
	"jurisdiction" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "consent_propagations_customer" ON "consent_propagations" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "consent_records_customer" ON "consent_records" USING btree ("customer_id","purpose","recorded_at");--> statement-breakpoint
CREATE UNIQUE INDEX "consent_records_once" ON "consent_records" USING btree ("customer_id","purpose","source","proof_kind","proof_reference","recorded_at");
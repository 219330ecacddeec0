CREATE TABLE "legal_holds" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"scope" text NOT NULL,
	"reason" text NOT NULL,
	"placed_by" text NOT NULL,
	"placed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "privacy_erasure_sets" (
	"request_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"identifiers_sealed" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "privacy_erasure_sets_request_id_customer_id_pk" PRIMARY KEY("request_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "privacy_exports" (
	"request_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"package_sealed" "bytea" NOT NULL,
	"bytes" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "privacy_exports_request_id_customer_id_pk" PRIMARY KEY("request_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "privacy_request_systems" (
	"request_id" text NOT NULL,
	"region" text NOT NULL,
	"connector_id" text NOT NULL,
	"system" text NOT NULL,
	"operation" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"evidence" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "privacy_request_systems_request_id_region_connector_id_operation_pk" PRIMARY KEY("request_id","region","connector_id","operation")
);
--> statement-breakpoint
CREATE TABLE "privacy_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"country" text NOT NULL,
	"us_state" text,
	"jurisdiction" text NOT NULL,
	"locale" text NOT NULL,
	"email_sealed" "bytea",
	"email_blind_index" "bytea" NOT NULL,
	"details_sealed" "bytea",
	"verification_code_hash" "bytea",
	"verification_expires_at" timestamp with time zone,
	"verification_attempts" integer DEFAULT 0 NOT NULL,
	"customer_id" uuid,
	"duplicate_of" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"verified_at" timestamp with time zone,
	"due_date" date NOT NULL,
	"extended_due_date" date,
	"extension_reason" text,
	"cooling_off_until" timestamp with time zone,
	"notified" text[] DEFAULT '{}' NOT NULL,
	"deadline_state" text,
	"finished_at" timestamp with time zone,
	"certificate" jsonb
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"suppressed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "legal_holds_customer" ON "legal_holds" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "privacy_requests_email" ON "privacy_requests" USING btree ("email_blind_index","type");--> statement-breakpoint
CREATE INDEX "privacy_requests_status" ON "privacy_requests" USING btree ("status","due_date");
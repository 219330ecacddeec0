CREATE TABLE "intake_calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key_id" uuid NOT NULL,
	"source_id" text NOT NULL,
	"source_kind" text NOT NULL,
	"brand_id" text NOT NULL,
	"gpc" text,
	"call_count" integer NOT NULL,
	"calls_sealed" "bytea" NOT NULL,
	"acknowledged_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "intake_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"key_wrapped" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "intake_calls" ADD CONSTRAINT "intake_calls_key_id_intake_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."intake_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "intake_calls_key" ON "intake_calls" USING btree ("key_id");
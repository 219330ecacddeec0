CREATE TABLE "privacy_request_keys" (
	"request_id" text PRIMARY KEY NOT NULL,
	"key_wrapped" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE "sources" ADD COLUMN "webhook_secret_sealed" "bytea";--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "webhook_secret_hint" text;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "webhook_secret_issued_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "webhook_mapping" jsonb;
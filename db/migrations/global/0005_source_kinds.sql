ALTER TABLE "sources" ADD COLUMN "kind" text DEFAULT 'browser' NOT NULL;--> statement-breakpoint
ALTER TABLE "sources" ADD COLUMN "allowed_origins" text[] DEFAULT '{}' NOT NULL;
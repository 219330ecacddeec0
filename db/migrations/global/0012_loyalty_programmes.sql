CREATE TABLE "loyalty_member_ids" (
	"member_id" text PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"home_region" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "loyalty_programmes" (
	"brand_id" text PRIMARY KEY NOT NULL,
	"definition" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "loyalty_member_ids_customer" ON "loyalty_member_ids" USING btree ("customer_id");
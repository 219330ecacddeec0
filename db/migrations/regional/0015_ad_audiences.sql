CREATE TABLE "ad_audience_candidates" (
	"audience_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"noted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ad_audience_candidates_audience_id_customer_id_pk" PRIMARY KEY("audience_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "ad_audience_members" (
	"audience_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ad_audience_members_audience_id_customer_id_pk" PRIMARY KEY("audience_id","customer_id")
);
--> statement-breakpoint
CREATE INDEX "ad_audience_candidates_customer" ON "ad_audience_candidates" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "ad_audience_members_customer" ON "ad_audience_members" USING btree ("customer_id");
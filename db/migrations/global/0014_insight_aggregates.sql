CREATE TABLE "insight_activity" (
	"day" date NOT NULL,
	"region" text NOT NULL,
	"brand_id" text NOT NULL,
	"hour" integer NOT NULL,
	"events" integer NOT NULL,
	CONSTRAINT "insight_activity_day_region_brand_id_hour_pk" PRIMARY KEY("day","region","brand_id","hour")
);
--> statement-breakpoint
CREATE TABLE "insight_channels" (
	"region" text NOT NULL,
	"channel" text NOT NULL,
	"consented" integer NOT NULL,
	"reachable" integer NOT NULL,
	"engaged" integer NOT NULL,
	CONSTRAINT "insight_channels_region_channel_pk" PRIMARY KEY("region","channel")
);
--> statement-breakpoint
CREATE TABLE "insight_cohorts" (
	"region" text NOT NULL,
	"market" text NOT NULL,
	"brand_id" text NOT NULL,
	"cohort" text NOT NULL,
	"month_offset" integer NOT NULL,
	"customers" integer NOT NULL,
	CONSTRAINT "insight_cohorts_region_market_brand_id_cohort_month_offset_pk" PRIMARY KEY("region","market","brand_id","cohort","month_offset")
);
--> statement-breakpoint
CREATE TABLE "insight_daily" (
	"day" date NOT NULL,
	"region" text NOT NULL,
	"market" text NOT NULL,
	"brand_id" text NOT NULL,
	"orders" integer NOT NULL,
	"revenue_minor" bigint NOT NULL,
	"active_customers" integer NOT NULL,
	"returning_customers" integer NOT NULL,
	"new_customers" integer NOT NULL,
	"repeaters" integer NOT NULL,
	CONSTRAINT "insight_daily_day_region_market_brand_id_pk" PRIMARY KEY("day","region","market","brand_id")
);
--> statement-breakpoint
CREATE TABLE "insight_refreshes" (
	"region" text PRIMARY KEY NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL
);

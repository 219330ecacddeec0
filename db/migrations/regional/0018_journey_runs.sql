CREATE TABLE "journey_event_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"customer_id" uuid NOT NULL,
	"event" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "journey_runs" (
	"run_id" text PRIMARY KEY NOT NULL,
	"journey_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"key_hash" text DEFAULT '' NOT NULL,
	"entry" integer NOT NULL,
	"version" integer NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"exit_reason" text,
	"entered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"exited_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "journey_step_outcomes" (
	"run_id" text NOT NULL,
	"step" text NOT NULL,
	"journey_id" text NOT NULL,
	"outcome" text NOT NULL,
	"reason" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "journey_step_outcomes_run_id_step_pk" PRIMARY KEY("run_id","step")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "journey_runs_entry" ON "journey_runs" USING btree ("journey_id","customer_id","key_hash","entry");--> statement-breakpoint
CREATE INDEX "journey_runs_active" ON "journey_runs" USING btree ("customer_id") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "journey_step_outcomes_journey" ON "journey_step_outcomes" USING btree ("journey_id");
CREATE TABLE "personal_data_access_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"actor_role" text NOT NULL,
	"action" text NOT NULL,
	"customer_id" uuid,
	"fields" text[] DEFAULT '{}' NOT NULL,
	"route" text NOT NULL,
	"reason" text
);
--> statement-breakpoint
CREATE INDEX "personal_data_access_audit_at" ON "personal_data_access_audit" USING btree ("at");--> statement-breakpoint
CREATE INDEX "personal_data_access_audit_customer" ON "personal_data_access_audit" USING btree ("customer_id","at");--> statement-breakpoint
-- Append-only for every role, the owner included: an audit that can be edited proves nothing.
CREATE FUNCTION meridian_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'personal_data_access_audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER personal_data_access_audit_no_change BEFORE UPDATE OR DELETE ON "personal_data_access_audit"
  FOR EACH ROW EXECUTE FUNCTION meridian_audit_append_only();--> statement-breakpoint
CREATE TRIGGER personal_data_access_audit_no_truncate BEFORE TRUNCATE ON "personal_data_access_audit"
  FOR EACH STATEMENT EXECUTE FUNCTION meridian_audit_append_only();

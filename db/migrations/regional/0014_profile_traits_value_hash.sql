DROP INDEX "profile_traits_key";--> statement-breakpoint
CREATE INDEX "profile_traits_key_value_hash" ON "profile_traits" USING btree ("key",jsonb_hash("value"),"customer_id");
-- Wrapped data keys name the region key that wrapped them (db/crypto-shredding.ts): format byte 1,
-- the key ID's length, its ASCII, then the sealed key. Keys wrapped before IDs existed are exactly
-- 60 bytes (IV 12 + key 32 + tag 16) and were wrapped by the only region key there was, key "1".
UPDATE "profiles" SET "data_key_wrapped" = '\x010131'::bytea || "data_key_wrapped" WHERE length("data_key_wrapped") = 60;

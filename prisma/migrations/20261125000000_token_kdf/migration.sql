-- API tokens are now stored under scrypt and found by their clear lookup id (the "prefix" column).
-- Existing rows keep their SHA-256 until the token is next used, when verification rewrites them.
CREATE INDEX "ApiToken_prefix_idx" ON "ApiToken"("prefix");

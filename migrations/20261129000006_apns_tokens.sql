-- The APNs provider token (ES256 JWT) shared by every bridge process of a team: Apple wants one token per team,
-- replaced no more often than every 20 minutes (else 429 TooManyProviderTokenUpdates). Without this row each new
-- process (a restart, a second instance) would sign its own token at once. The token is a bearer credential valid
-- for at most an hour; the row is replaced, never accumulated.
CREATE TABLE apns_provider_tokens (
    team_id   VARCHAR(32)  NOT NULL,
    key_id    VARCHAR(32)  NOT NULL,
    bearer    VARCHAR(512) NOT NULL,
    issued_at BIGINT       NOT NULL,
    PRIMARY KEY (team_id, key_id),
    CONSTRAINT ck_apns_provider_tokens_issued_at CHECK (issued_at >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- OCPizza_DB, part 7: staff sign-in on the restaurants' shared iPhones (issue 12).
-- A staff member signs in with restaurant + login + PIN; the PIN is kept only as an Argon2id PHC string, a session
-- token only as its SHA-256. MariaDB 10.11 / MySQL 8 (no RETURNING, no MariaDB-only syntax).

-- login: unique per restaurant, exact (ascii_bin). NULL = cannot sign in (a staff row inserted without one).
-- pin_hash NULL = no PIN yet (`ocpizza-bridge staff set-pin`): sign-in is refused exactly like a wrong PIN.
ALTER TABLE staff
    ADD COLUMN login         VARCHAR(40)  CHARACTER SET ascii COLLATE ascii_bin NULL AFTER role,
    ADD COLUMN pin_hash      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER login,
    ADD COLUMN login_derived VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;

-- Logins of the staff already there: lower-case first name, '.', initial of the last name ("luca.b"), French
-- accents folded, spaces as '-'. A result outside the pattern becomes "staff<id>"; a login found twice in one
-- restaurant gets the staff id appended on every row but the oldest ("luca.b", "luca.b17").
UPDATE staff SET login_derived = CONCAT(
    REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(
    REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(LOWER(TRIM(first_name)),
        'é', 'e'), 'è', 'e'), 'ê', 'e'), 'ë', 'e'), 'à', 'a'), 'â', 'a'), 'ä', 'a'), 'î', 'i'), 'ï', 'i'), 'ô', 'o'),
        'ö', 'o'), 'ù', 'u'), 'û', 'u'), 'ü', 'u'), 'ç', 'c'), 'ñ', 'n'), 'œ', 'oe'), 'æ', 'ae'), ' ', '-'), '''', ''),
    '.',
    REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(LOWER(LEFT(TRIM(last_name), 1)),
        'é', 'e'), 'è', 'e'), 'ê', 'e'), 'à', 'a'), 'â', 'a'), 'î', 'i'), 'ô', 'o'), 'ç', 'c'));

UPDATE staff SET login_derived = CONCAT('staff', id)
WHERE NOT (login_derived REGEXP '^[a-z0-9][a-z0-9._-]{0,29}$');

-- The GROUP BY makes the derived table materialised (MySQL refuses to read the updated table otherwise).
UPDATE staff s
JOIN (SELECT restaurant_id, login_derived, MIN(id) AS keep_id FROM staff
      GROUP BY restaurant_id, login_derived HAVING COUNT(*) > 1) d
  ON d.restaurant_id = s.restaurant_id AND d.login_derived = s.login_derived AND s.id <> d.keep_id
SET s.login_derived = CONCAT(s.login_derived, s.id);

UPDATE staff SET login = login_derived;

ALTER TABLE staff
    DROP COLUMN login_derived,
    ADD CONSTRAINT uq_staff_login UNIQUE (restaurant_id, login),
    ADD CONSTRAINT ck_staff_login CHECK (login IS NULL OR login REGEXP '^[a-z0-9][a-z0-9._-]{0,39}$'),
    ADD CONSTRAINT ck_staff_pin_hash CHECK (pin_hash IS NULL OR pin_hash LIKE '$argon2id$%');

-- One row per sign-in. Only the SHA-256 of the 256-bit token is stored: a copy of the table signs no one in.
-- A session is valid while now < expires_at, revoked_at IS NULL and the staff member (and restaurant) is active.
CREATE TABLE staff_sessions (
    id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token_hash BINARY(32)  NOT NULL,
    staff_id   BIGINT      NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at DATETIME(6) NOT NULL,
    revoked_at DATETIME(6) NULL,
    CONSTRAINT uq_staff_sessions_token UNIQUE (token_hash),
    CONSTRAINT fk_staff_sessions_staff FOREIGN KEY (staff_id) REFERENCES staff (id),
    CONSTRAINT ck_staff_sessions_expiry CHECK (expires_at > created_at),
    INDEX ix_staff_sessions_staff (staff_id, revoked_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed sign-ins, counted per subject: 'login:<restaurant code>:<login>' (whether the login exists or not, so that
-- the lockout reveals nothing) and 'addr:<client IP>'. A count starts a window; a subject over its limit inside
-- the window is locked until locked_until. A successful sign-in deletes its login row.
CREATE TABLE staff_auth_failures (
    subject           VARCHAR(120) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    failures          INT          NOT NULL,
    window_started_at DATETIME(6)  NOT NULL,
    locked_until      DATETIME(6)  NULL,
    CONSTRAINT ck_staff_auth_failures_count CHECK (failures >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

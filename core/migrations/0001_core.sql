-- 0001: accounts, sessions, the audit chain, settings.
-- Times are UTC milliseconds (INTEGER); ids are opaque TEXT.

CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL CHECK (role IN ('patient','doctor','pharmacist','pharmacy_staff','admin','supervisor')),
  name          TEXT NOT NULL,           -- display name, Chinese
  name_en       TEXT NOT NULL DEFAULT '',-- pinyin / English
  password_hash TEXT NOT NULL,           -- ly_password_hash encoding (scrypt)
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);

-- Bearer tokens are never stored: only SHA-256 of the token.
CREATE TABLE sessions (
  token_hash  BLOB PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX sessions_account ON sessions(account_id);

-- Audit chain: hash = SHA-256(prev_hash || fields). Never updated or deleted.
CREATE TABLE audit (
  seq         INTEGER PRIMARY KEY,       -- 1, 2, 3, … in append order
  at          INTEGER NOT NULL,
  actor_id    TEXT NOT NULL,
  actor_role  TEXT NOT NULL,
  action      TEXT NOT NULL,
  patient_id  TEXT,
  object_type TEXT,
  object_id   TEXT,
  outcome     TEXT NOT NULL,
  detail      TEXT,
  prev_hash   BLOB NOT NULL,
  hash        BLOB NOT NULL
);
CREATE INDEX audit_patient ON audit(patient_id, seq) WHERE patient_id IS NOT NULL;

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

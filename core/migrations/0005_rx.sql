-- 0005: e-prescriptions (rx/) — prescriptions and their items, the state
-- machine's states and event log, idempotency keys, renewals, notices and
-- supervision sampling. Pharmacy dispatch (claims, secrets, dispensing,
-- delivery) builds on these in 0006.

-- The states of DESIGN §4. A table rather than a CHECK so that a later
-- migration can add a state with one INSERT; the transitions live in the
-- table of rx/prescription.c.
CREATE TABLE rx_states (
  state    TEXT PRIMARY KEY,
  terminal INTEGER NOT NULL
);
INSERT INTO rx_states (state, terminal) VALUES
  ('draft', 0), ('pending_review', 0), ('returned', 0), ('ready', 0),
  ('in_progress', 0), ('completed', 1), ('expired', 1), ('cancelled', 1);

CREATE TABLE prescriptions (
  id               TEXT PRIMARY KEY,
  patient_id       TEXT NOT NULL REFERENCES patients(id),
  doctor_id        TEXT NOT NULL REFERENCES accounts(id),
  facility_id      TEXT NOT NULL REFERENCES facilities(id),
  consultation_id  TEXT REFERENCES consultations(id),
  renewal_of       TEXT REFERENCES prescriptions(id),
  online           INTEGER NOT NULL DEFAULT 1,
  icd10            TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('normal','acute','chronic','long_term')),
  chronic_reason   TEXT NOT NULL DEFAULT '',
  assessment       TEXT NOT NULL DEFAULT '',   -- long-term: the doctor's stability assessment
  patient_consent  INTEGER NOT NULL DEFAULT 0, -- long-term: the patient consented
  validity_days    INTEGER NOT NULL DEFAULT 1,
  guardian_name    TEXT NOT NULL DEFAULT '',   -- children under 6: the guardian present
  note             TEXT NOT NULL DEFAULT '',
  state            TEXT NOT NULL REFERENCES rx_states(state),
  revision         INTEGER NOT NULL DEFAULT 1, -- +1 on every edit; the signature covers it
  controlled       INTEGER NOT NULL DEFAULT 0, -- any controlled-class item (retention 3 years)
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  signed_at        INTEGER,
  valid_until      INTEGER,                    -- end of validity (UTC ms), fixed when signed
  reviewed_by      TEXT REFERENCES accounts(id),
  reviewed_at      INTEGER,
  review_reason    TEXT,                       -- rejection reason
  cancel_reason    TEXT,
  access_code_enc  BLOB,                       -- 32 random bytes sealed with keys.enc
  access_code_hash BLOB,                       -- SHA-256 of the code, for claims
  document         TEXT,                       -- canonical signed document
  signature        BLOB,                       -- Ed25519 over document
  sign_pub         BLOB                        -- the doctor's key that signed
);
CREATE INDEX prescriptions_patient ON prescriptions(patient_id, created_at);
CREATE INDEX prescriptions_doctor ON prescriptions(doctor_id, state, updated_at);
CREATE INDEX prescriptions_review ON prescriptions(state, facility_id, signed_at);
CREATE INDEX prescriptions_validity ON prescriptions(state, valid_until);
CREATE INDEX prescriptions_renewal ON prescriptions(renewal_of) WHERE renewal_of IS NOT NULL;
CREATE UNIQUE INDEX prescriptions_access ON prescriptions(access_code_hash) WHERE access_code_hash IS NOT NULL;

CREATE TABLE prescription_items (
  prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
  line            INTEGER NOT NULL,
  drug_id         TEXT NOT NULL REFERENCES drugs(id),
  quantity        INTEGER NOT NULL,  -- packs
  days            INTEGER NOT NULL,  -- days of supply
  daily_milli     INTEGER NOT NULL,  -- units per day x 1000
  dose            TEXT NOT NULL,     -- 用法用量
  PRIMARY KEY (prescription_id, line)
) WITHOUT ROWID;

-- Every transition, in order (each also has its audit entry).
CREATE TABLE prescription_events (
  prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
  seq             INTEGER NOT NULL,
  at              INTEGER NOT NULL,
  actor_id        TEXT NOT NULL,
  action          TEXT NOT NULL,
  from_state      TEXT,
  to_state        TEXT NOT NULL,
  reason          TEXT,
  PRIMARY KEY (prescription_id, seq)
) WITHOUT ROWID;

-- Idempotency: the first result of (actor, key) is kept; a repeat returns it.
CREATE TABLE rx_idempotency (
  actor_id   TEXT NOT NULL,
  key        TEXT NOT NULL,
  action     TEXT NOT NULL,
  object_id  TEXT NOT NULL,
  result     TEXT NOT NULL,   -- the first call's result (JSON)
  created_at INTEGER NOT NULL,
  PRIMARY KEY (actor_id, key)
) WITHOUT ROWID;

-- Renewal requests (续方).
CREATE TABLE rx_renewals (
  id                  TEXT PRIMARY KEY,
  prescription_id     TEXT NOT NULL REFERENCES prescriptions(id),
  patient_id          TEXT NOT NULL REFERENCES patients(id),
  doctor_id           TEXT NOT NULL REFERENCES accounts(id),
  state               TEXT NOT NULL CHECK (state IN ('requested','approved','declined','withdrawn')),
  patient_note        TEXT NOT NULL DEFAULT '',
  decline_reason      TEXT,
  new_prescription_id TEXT REFERENCES prescriptions(id),
  created_at          INTEGER NOT NULL,
  decided_at          INTEGER
);
CREATE INDEX rx_renewals_doctor ON rx_renewals(doctor_id, state, created_at);
CREATE INDEX rx_renewals_patient ON rx_renewals(patient_id, created_at);
CREATE UNIQUE INDEX rx_renewals_one_open ON rx_renewals(prescription_id) WHERE state = 'requested';

-- Things people are told (renewal decided, prescription expired, returned…);
-- the server shows and pushes them.
CREATE TABLE rx_notices (
  id              INTEGER PRIMARY KEY,
  account_id      TEXT NOT NULL REFERENCES accounts(id),
  kind            TEXT NOT NULL,
  prescription_id TEXT REFERENCES prescriptions(id),
  renewal_id      TEXT REFERENCES rx_renewals(id),
  created_at      INTEGER NOT NULL,
  read_at         INTEGER
);
CREATE INDEX rx_notices_account ON rx_notices(account_id, id);

-- Supervision sampling (同质化管理): a weekly random share of signed online
-- notes and prescriptions, reviewed by supervisors.
CREATE TABLE supervision_runs (
  week     TEXT PRIMARY KEY,  -- ISO week "2026-W24"
  share_bp INTEGER NOT NULL,  -- basis points of the week's items sampled
  sampled  INTEGER NOT NULL,
  ran_at   INTEGER NOT NULL
);

CREATE TABLE supervision_samples (
  id            TEXT PRIMARY KEY,
  week          TEXT NOT NULL REFERENCES supervision_runs(week),
  object_type   TEXT NOT NULL CHECK (object_type IN ('prescription','note')),
  object_id     TEXT NOT NULL,
  doctor_id     TEXT NOT NULL REFERENCES accounts(id),
  patient_id    TEXT NOT NULL REFERENCES patients(id),
  sampled_at    INTEGER NOT NULL,
  finding       TEXT CHECK (finding IN ('appropriate','concerns')),
  finding_text  TEXT,
  supervisor_id TEXT REFERENCES accounts(id),
  reviewed_at   INTEGER,
  UNIQUE (object_type, object_id)
);
CREATE INDEX supervision_samples_week ON supervision_samples(week, reviewed_at);
CREATE INDEX supervision_samples_doctor ON supervision_samples(doctor_id, reviewed_at);

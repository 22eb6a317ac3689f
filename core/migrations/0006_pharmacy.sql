-- 0006: pharmacy dispatch (rx/, DESIGN §4 and §5) — the patient's choice of
-- pharmacy, claims with per-pharmacy secrets, dispensing with its stock
-- movements, delivery, and the server-signed receipts that insurance bills.
-- The prescription's own state (ready → in_progress → completed) stays in
-- prescriptions.state, moved by the transition table of rx/prescription.c.

-- The patient's choice: a ready prescription offered to one pharmacy until it
-- claims, the deadline passes (lapsed: the patient chooses again), the
-- patient chooses another (withdrawn), another pharmacy claims it from the
-- patient's code (superseded) or the prescription leaves `ready` (closed).
CREATE TABLE rx_dispatches (
  id              TEXT PRIMARY KEY,
  prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
  pharmacy_id     TEXT NOT NULL REFERENCES pharmacies(id),
  mode            TEXT NOT NULL CHECK (mode IN ('pickup','delivery')),
  state           TEXT NOT NULL CHECK (state IN ('open','claimed','lapsed','withdrawn','superseded','closed')),
  chosen_by       TEXT NOT NULL REFERENCES accounts(id),
  address         TEXT NOT NULL DEFAULT '',   -- delivery: where to
  created_at      INTEGER NOT NULL,
  deadline_at     INTEGER NOT NULL,           -- unclaimed after this: lapsed
  seen_at         INTEGER,                    -- first listed in the pharmacy's queue (audited once)
  closed_at       INTEGER
);
CREATE UNIQUE INDEX rx_dispatches_one_open ON rx_dispatches(prescription_id) WHERE state = 'open';
CREATE INDEX rx_dispatches_queue ON rx_dispatches(pharmacy_id, state, created_at, id);
CREATE INDEX rx_dispatches_deadline ON rx_dispatches(deadline_at) WHERE state = 'open';
CREATE INDEX rx_dispatches_rx ON rx_dispatches(prescription_id, created_at);

-- A pharmacy's claim. The secret is HMAC(server key, claim id): the database
-- holds only its SHA-256, and the same pharmacy claiming again is handed the
-- same secret. At most one active claim per prescription.
CREATE TABLE rx_claims (
  id              TEXT PRIMARY KEY,
  prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
  pharmacy_id     TEXT NOT NULL REFERENCES pharmacies(id),
  claimed_by      TEXT NOT NULL REFERENCES accounts(id),
  via             TEXT NOT NULL CHECK (via IN ('queue','walk_in')),
  dispatch_id     TEXT REFERENCES rx_dispatches(id),
  secret_hash     BLOB NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('active','released','completed')),
  claimed_at      INTEGER NOT NULL,
  closed_at       INTEGER
);
CREATE UNIQUE INDEX rx_claims_one_active ON rx_claims(prescription_id) WHERE state = 'active';
CREATE INDEX rx_claims_pharmacy ON rx_claims(pharmacy_id, state, claimed_at);
CREATE INDEX rx_claims_rx ON rx_claims(prescription_id, claimed_at);

-- What was handed out, per request. A dispense is idempotent per pharmacy
-- and Idempotency-Key: a repeat returns `result`, the first answer.
CREATE TABLE rx_dispenses (
  id              TEXT PRIMARY KEY,
  prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
  claim_id        TEXT NOT NULL REFERENCES rx_claims(id),
  pharmacy_id     TEXT NOT NULL REFERENCES pharmacies(id),
  dispensed_by    TEXT NOT NULL REFERENCES accounts(id),
  idem_key        TEXT NOT NULL,
  request_hash    BLOB NOT NULL,   -- SHA-256 of the canonical request: a key reused for another is refused
  result          TEXT NOT NULL,
  at              INTEGER NOT NULL,
  returned_at     INTEGER,         -- a failed delivery came back and the claim was released: restocked
  UNIQUE (pharmacy_id, idem_key)
);
CREATE INDEX rx_dispenses_claim ON rx_dispenses(claim_id, at);

CREATE TABLE rx_dispense_items (
  dispense_id     TEXT NOT NULL REFERENCES rx_dispenses(id),
  line            INTEGER NOT NULL,             -- prescription_items.line
  drug_id         TEXT NOT NULL REFERENCES drugs(id),
  quantity        INTEGER NOT NULL CHECK (quantity > 0),  -- packs of drug_id
  units           INTEGER NOT NULL CHECK (units > 0),     -- quantity x pack_size
  substituted     INTEGER NOT NULL DEFAULT 0,   -- same generic, strength and form as prescribed
  substitution_reason TEXT NOT NULL DEFAULT '',
  unit_price_fen  INTEGER NOT NULL,             -- the formulary price at the time
  PRIMARY KEY (dispense_id, line, drug_id)
) WITHOUT ROWID;

-- Low-stock threshold per pharmacy and drug (packs); which pharmacies hold a drug.
ALTER TABLE pharmacy_stock ADD COLUMN low_threshold INTEGER NOT NULL DEFAULT 5 CHECK (low_threshold >= 0);
CREATE INDEX pharmacy_stock_drug ON pharmacy_stock(drug_id, quantity);

-- Every change of stock, in order.
CREATE TABLE pharmacy_stock_moves (
  id             INTEGER PRIMARY KEY,
  pharmacy_id    TEXT NOT NULL REFERENCES pharmacies(id),
  drug_id        TEXT NOT NULL REFERENCES drugs(id),
  delta          INTEGER NOT NULL,
  quantity_after INTEGER NOT NULL CHECK (quantity_after >= 0),
  reason         TEXT NOT NULL CHECK (reason IN ('set','dispense','return')),
  ref            TEXT,            -- dispense id
  actor_id       TEXT NOT NULL,
  at             INTEGER NOT NULL
);
CREATE INDEX pharmacy_stock_moves_drug ON pharmacy_stock_moves(pharmacy_id, drug_id, id);

-- Delivery of a claimed prescription: preparing → out_for_delivery →
-- delivered (the patient's 6-digit code) / failed (back to the pharmacy).
CREATE TABLE rx_deliveries (
  id              TEXT PRIMARY KEY,
  prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
  claim_id        TEXT NOT NULL UNIQUE REFERENCES rx_claims(id),
  pharmacy_id     TEXT NOT NULL REFERENCES pharmacies(id),
  state           TEXT NOT NULL CHECK (state IN ('preparing','out_for_delivery','delivered','failed')),
  address         TEXT NOT NULL DEFAULT '',
  code_enc        BLOB NOT NULL,   -- the 6 digits sealed with keys.enc (shown in the patient's app)
  wrong_tries     INTEGER NOT NULL DEFAULT 0,
  locked_at       INTEGER,         -- 5 wrong codes: locked until the patient resets the code
  failed_reason   TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX rx_deliveries_rx ON rx_deliveries(prescription_id, created_at);
CREATE INDEX rx_deliveries_pharmacy ON rx_deliveries(pharmacy_id, state, updated_at);

CREATE TABLE rx_delivery_events (
  delivery_id TEXT NOT NULL REFERENCES rx_deliveries(id),
  seq         INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  actor_id    TEXT NOT NULL,
  action      TEXT NOT NULL,
  from_state  TEXT,
  to_state    TEXT NOT NULL,
  reason      TEXT,
  PRIMARY KEY (delivery_id, seq)
) WITHOUT ROWID;

-- The server's own Ed25519 keys (receipts); private keys sealed with keys.sign.
CREATE TABLE rx_server_keys (
  id         TEXT PRIMARY KEY,
  purpose    TEXT NOT NULL,
  pub        BLOB NOT NULL,
  priv_enc   BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX rx_server_keys_purpose ON rx_server_keys(purpose);

-- Completion receipts, signed by the server; insurance bills from these
-- (rx/receipt.h) and marks them billed.
CREATE TABLE rx_receipts (
  id              TEXT PRIMARY KEY,
  prescription_id TEXT NOT NULL UNIQUE REFERENCES prescriptions(id),
  claim_id        TEXT NOT NULL UNIQUE REFERENCES rx_claims(id),
  pharmacy_id     TEXT NOT NULL REFERENCES pharmacies(id),
  patient_id      TEXT NOT NULL REFERENCES patients(id),
  facility_id     TEXT NOT NULL REFERENCES facilities(id),  -- the prescribing facility
  completed_at    INTEGER NOT NULL,
  total_fen       INTEGER NOT NULL,
  document        TEXT NOT NULL,   -- canonical JSON (records/signature.h)
  signature       BLOB NOT NULL,   -- Ed25519 over document
  key_id          TEXT NOT NULL REFERENCES rx_server_keys(id),
  billed_claim_id TEXT,
  billed_at       INTEGER
);
CREATE INDEX rx_receipts_unbilled ON rx_receipts(completed_at, id) WHERE billed_at IS NULL;
CREATE INDEX rx_receipts_patient ON rx_receipts(patient_id, completed_at);

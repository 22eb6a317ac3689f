-- 0007: insurance — referral episodes, claims and their lines, reversals,
-- annual accumulators. Money is integer fen. The policy tables are in 0002.
--
-- Days and years of money are the district's business day: China Standard
-- Time (UTC+8, no DST). settled_day / reversed_day are that day as YYYY-MM-DD;
-- service_year is the accumulator year of the service date.

-- A referral episode (分级诊疗): within one, the patient pays one deductible.
-- The id is handed in by referral/ (created on the first claim that names it).
CREATE TABLE insurance_episodes (
  id                     TEXT PRIMARY KEY,
  patient_id             TEXT NOT NULL REFERENCES patients(id),
  deductible_charged_fen INTEGER NOT NULL DEFAULT 0 CHECK (deductible_charged_fen >= 0),
  created_at             INTEGER NOT NULL
);
CREATE INDEX insurance_episodes_patient ON insurance_episodes(patient_id);

-- One row per settled, reversed or rejected claim. Amounts are the sums of
-- the claim's lines (zero for a rejected claim, which has no lines).
CREATE TABLE claims (
  id                TEXT PRIMARY KEY,
  patient_id        TEXT NOT NULL REFERENCES patients(id),
  facility_id       TEXT NOT NULL REFERENCES facilities(id),
  facility_level    TEXT NOT NULL CHECK (facility_level IN ('community','secondary','tertiary')),
  plan_id           TEXT NOT NULL DEFAULT '',  -- '' when rejected without coverage
  policy_version_id TEXT NOT NULL DEFAULT '',  -- the version in force on the service date
  encounter_type    TEXT NOT NULL CHECK (encounter_type IN ('consultation','dispense','visit')),
  encounter_id      TEXT NOT NULL,
  episode_id        TEXT REFERENCES insurance_episodes(id),  -- NULL for a rejected claim
  service_at        INTEGER NOT NULL,
  service_year      INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('settled','reversed','rejected')),
  reject_reason     INTEGER NOT NULL DEFAULT 0,  -- numbered reason (insurance/claim.h), 0 if none
  reject_code       TEXT NOT NULL DEFAULT '',
  reject_field      TEXT NOT NULL DEFAULT '',
  total_fen         INTEGER NOT NULL DEFAULT 0 CHECK (total_fen >= 0),
  fully_self_fen    INTEGER NOT NULL DEFAULT 0 CHECK (fully_self_fen >= 0),
  pre_self_fen      INTEGER NOT NULL DEFAULT 0 CHECK (pre_self_fen >= 0),
  in_scope_fen      INTEGER NOT NULL DEFAULT 0 CHECK (in_scope_fen >= 0),
  deductible_fen    INTEGER NOT NULL DEFAULT 0 CHECK (deductible_fen >= 0),
  fund_fen          INTEGER NOT NULL DEFAULT 0 CHECK (fund_fen >= 0),
  account_fen       INTEGER NOT NULL DEFAULT 0 CHECK (account_fen >= 0),
  cash_fen          INTEGER NOT NULL DEFAULT 0 CHECK (cash_fen >= 0),
  notes             INTEGER NOT NULL DEFAULT 0,
  settled_at        INTEGER NOT NULL,           -- when it was recorded (settled or rejected)
  settled_day       TEXT NOT NULL,
  created_by        TEXT NOT NULL,
  CHECK (total_fen = fund_fen + account_fen + cash_fen),
  CHECK (total_fen = fully_self_fen + pre_self_fen + in_scope_fen)
);
-- Settlement is idempotent per encounter: at most one non-rejected claim.
CREATE UNIQUE INDEX claims_encounter ON claims(encounter_type, encounter_id) WHERE status <> 'rejected';
CREATE INDEX claims_patient ON claims(patient_id, settled_at);
CREATE INDEX claims_day ON claims(settled_day, facility_id, plan_id);
CREATE INDEX claims_episode ON claims(episode_id) WHERE episode_id IS NOT NULL;

CREATE TABLE claim_lines (
  claim_id       TEXT NOT NULL REFERENCES claims(id),
  line_no        INTEGER NOT NULL,
  item_kind      TEXT NOT NULL CHECK (item_kind IN ('drug','fee','delivery')),
  item_code      TEXT NOT NULL,
  name           TEXT NOT NULL,
  category       TEXT NOT NULL CHECK (category IN ('甲','乙','丙')),
  covered        INTEGER NOT NULL,
  quantity       INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen >= 0),
  total_fen      INTEGER NOT NULL CHECK (total_fen >= 0),
  fully_self_fen INTEGER NOT NULL CHECK (fully_self_fen >= 0),
  pre_self_fen   INTEGER NOT NULL CHECK (pre_self_fen >= 0),
  in_scope_fen   INTEGER NOT NULL CHECK (in_scope_fen >= 0),
  deductible_fen INTEGER NOT NULL CHECK (deductible_fen >= 0),
  fund_fen       INTEGER NOT NULL CHECK (fund_fen >= 0),
  account_fen    INTEGER NOT NULL CHECK (account_fen >= 0),
  cash_fen       INTEGER NOT NULL CHECK (cash_fen >= 0),
  notes          INTEGER NOT NULL DEFAULT 0,  -- ADJUDICATE_NOTE_* bits: why the line split as it did
  PRIMARY KEY (claim_id, line_no),
  CHECK (total_fen = quantity * unit_price_fen),
  CHECK (total_fen = fund_fen + account_fen + cash_fen)
) WITHOUT ROWID;

-- A reversal (冲正) of a settled claim: the amounts it gave back. At most one per claim.
CREATE TABLE claim_reversals (
  id             TEXT PRIMARY KEY,
  claim_id       TEXT NOT NULL UNIQUE REFERENCES claims(id),
  reason         TEXT NOT NULL,
  reversed_at    INTEGER NOT NULL,
  reversed_day   TEXT NOT NULL,
  reversed_by    TEXT NOT NULL,
  total_fen      INTEGER NOT NULL,
  deductible_fen INTEGER NOT NULL,
  fund_fen       INTEGER NOT NULL,
  account_fen    INTEGER NOT NULL,
  cash_fen       INTEGER NOT NULL
);
CREATE INDEX claim_reversals_day ON claim_reversals(reversed_day);

-- Annual accumulators per patient, service year and facility level (the
-- deductible is counted per level; the cap applies to the sum over levels).
-- Each equals the settled-minus-reversed sum of its claims' lines.
CREATE TABLE insurance_accumulators (
  patient_id          TEXT NOT NULL REFERENCES patients(id),
  year                INTEGER NOT NULL,
  facility_level      TEXT NOT NULL CHECK (facility_level IN ('community','secondary','tertiary')),
  deductible_used_fen INTEGER NOT NULL DEFAULT 0 CHECK (deductible_used_fen >= 0),
  fund_paid_fen       INTEGER NOT NULL DEFAULT 0 CHECK (fund_paid_fen >= 0),
  account_paid_fen    INTEGER NOT NULL DEFAULT 0 CHECK (account_paid_fen >= 0),
  claims              INTEGER NOT NULL DEFAULT 0 CHECK (claims >= 0),
  PRIMARY KEY (patient_id, year, facility_level)
) WITHOUT ROWID;

-- coverage.account_balance_fen as it stood before insurance/ first touched
-- it, so the check can prove balance = opening − account paid + refunds.
CREATE TABLE insurance_account_openings (
  patient_id          TEXT PRIMARY KEY REFERENCES patients(id),
  opening_balance_fen INTEGER NOT NULL CHECK (opening_balance_fen >= 0),
  recorded_at         INTEGER NOT NULL
);

-- 0004: the clinical record (records/) — documents, offline-diagnosis evidence
-- and HIS imports, consultation notes (signed notes are immutable: corrections
-- are new versions), lab/exam orders and results, vitals, chronic care plans
-- and the alerts they raise. Retained >= 15 years (DESIGN §2).

-- Files attached to a record (a photo of a discharge summary, a lab report).
CREATE TABLE record_documents (
  id           TEXT PRIMARY KEY,
  patient_id   TEXT NOT NULL REFERENCES patients(id),
  kind         TEXT NOT NULL CHECK (kind IN ('diagnosis_evidence','lab_report','exam_report')),
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL CHECK (size > 0),
  sha256       BLOB NOT NULL,
  data         BLOB NOT NULL,
  uploaded_by  TEXT NOT NULL REFERENCES accounts(id),
  created_at   INTEGER NOT NULL
);
CREATE INDEX record_documents_patient ON record_documents(patient_id, created_at);

-- A patient's upload behind a claimed offline diagnosis, and the doctor's
-- decision. offline_diagnoses.verified stays the one flag that counts.
CREATE TABLE offline_diagnosis_evidence (
  diagnosis_id TEXT PRIMARY KEY REFERENCES offline_diagnoses(id),
  document_id  TEXT NOT NULL REFERENCES record_documents(id),
  claimed_text TEXT NOT NULL DEFAULT '',
  decision     TEXT CHECK (decision IN ('verified','rejected')),
  decided_by   TEXT REFERENCES accounts(id),
  decided_at   INTEGER,
  reason       TEXT
);
CREATE INDEX offline_diagnosis_evidence_open ON offline_diagnosis_evidence(decision);

-- HIS imports: one row per (facility, HIS record id), so importing the same
-- export twice adds nothing.
CREATE TABLE offline_diagnosis_imports (
  facility_id  TEXT NOT NULL REFERENCES facilities(id),
  his_id       TEXT NOT NULL,
  diagnosis_id TEXT NOT NULL REFERENCES offline_diagnoses(id),
  imported_at  INTEGER NOT NULL,
  PRIMARY KEY (facility_id, his_id)
) WITHOUT ROWID;

-- Consultation notes. One lineage per consultation: version 1, 2, … Each
-- version after the first supersedes the previous one and states why. At most
-- the newest version may be unsigned (a draft).
CREATE TABLE consultation_notes (
  id                TEXT PRIMARY KEY,
  consultation_id   TEXT NOT NULL REFERENCES consultations(id),
  version           INTEGER NOT NULL CHECK (version >= 1),
  supersedes        TEXT REFERENCES consultation_notes(id),
  patient_id        TEXT NOT NULL REFERENCES patients(id),
  doctor_id         TEXT NOT NULL REFERENCES accounts(id),
  chief_complaint   TEXT NOT NULL DEFAULT '',
  history           TEXT NOT NULL DEFAULT '',
  findings          TEXT NOT NULL DEFAULT '',
  advice            TEXT NOT NULL DEFAULT '',
  correction_reason TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  signed_at         INTEGER,
  document          TEXT,   -- the canonical signed document (docs/rx-rules.md)
  signature         BLOB,   -- Ed25519 over document
  sign_pub          BLOB,
  UNIQUE (consultation_id, version)
);
CREATE INDEX consultation_notes_patient ON consultation_notes(patient_id, created_at);
CREATE INDEX consultation_notes_doctor ON consultation_notes(doctor_id, signed_at);

CREATE TABLE consultation_note_diagnoses (
  note_id TEXT NOT NULL REFERENCES consultation_notes(id),
  seq     INTEGER NOT NULL,
  icd10   TEXT NOT NULL,
  name    TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (note_id, seq)
) WITHOUT ROWID;

-- Signed notes are immutable, in the database as well as in the code.
CREATE TRIGGER consultation_notes_signed_no_update BEFORE UPDATE ON consultation_notes
WHEN OLD.signed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'records.note_signed_immutable'); END;
CREATE TRIGGER consultation_notes_signed_no_delete BEFORE DELETE ON consultation_notes
WHEN OLD.signed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'records.note_signed_immutable'); END;
CREATE TRIGGER consultation_note_dx_no_insert BEFORE INSERT ON consultation_note_diagnoses
WHEN (SELECT signed_at FROM consultation_notes WHERE id = NEW.note_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'records.note_signed_immutable'); END;
CREATE TRIGGER consultation_note_dx_no_update BEFORE UPDATE ON consultation_note_diagnoses
WHEN (SELECT signed_at FROM consultation_notes WHERE id = OLD.note_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'records.note_signed_immutable'); END;
CREATE TRIGGER consultation_note_dx_no_delete BEFORE DELETE ON consultation_note_diagnoses
WHEN (SELECT signed_at FROM consultation_notes WHERE id = OLD.note_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'records.note_signed_immutable'); END;

-- Lab and exam orders (检验检查单): ordered → scheduled → resulted / cancelled.
CREATE TABLE lab_orders (
  id                     TEXT PRIMARY KEY,
  patient_id             TEXT NOT NULL REFERENCES patients(id),
  consultation_id        TEXT REFERENCES consultations(id),
  doctor_id              TEXT NOT NULL REFERENCES accounts(id),
  facility_id            TEXT NOT NULL REFERENCES facilities(id),  -- performing facility
  kind                   TEXT NOT NULL CHECK (kind IN ('lab','exam')),
  code                   TEXT NOT NULL,
  name                   TEXT NOT NULL,
  clinical_note          TEXT NOT NULL DEFAULT '',
  state                  TEXT NOT NULL CHECK (state IN ('ordered','scheduled','resulted','cancelled')),
  scheduled_for          INTEGER,
  resulted_at            INTEGER,
  resulted_by            TEXT REFERENCES accounts(id),
  summary                TEXT NOT NULL DEFAULT '',
  report_document_id     TEXT REFERENCES record_documents(id),
  cancel_reason          TEXT,
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL
);
CREATE INDEX lab_orders_patient ON lab_orders(patient_id, created_at);
CREATE INDEX lab_orders_facility ON lab_orders(facility_id, state);

CREATE TABLE lab_results (
  order_id  TEXT NOT NULL REFERENCES lab_orders(id),
  seq       INTEGER NOT NULL,
  analyte   TEXT NOT NULL,
  value     TEXT NOT NULL,      -- as reported ("5.6", "阴性")
  value_num REAL,               -- when numeric
  unit      TEXT NOT NULL DEFAULT '',
  ref_low   REAL,
  ref_high  REAL,
  ref_text  TEXT NOT NULL DEFAULT '',
  flag      TEXT NOT NULL DEFAULT '' CHECK (flag IN ('','N','H','L','A')),
  PRIMARY KEY (order_id, seq)
) WITHOUT ROWID;

CREATE TABLE lab_order_events (
  order_id   TEXT NOT NULL REFERENCES lab_orders(id),
  seq        INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  actor_id   TEXT NOT NULL,
  from_state TEXT,
  to_state   TEXT NOT NULL,
  reason     TEXT,
  PRIMARY KEY (order_id, seq)
) WITHOUT ROWID;

-- Health management: vitals the patient logs, the family doctor's care plan.
CREATE TABLE vitals (
  id          TEXT PRIMARY KEY,
  patient_id  TEXT NOT NULL REFERENCES patients(id),
  kind        TEXT NOT NULL CHECK (kind IN ('bp','glucose','weight','heart_rate')),
  value1      REAL NOT NULL,   -- systolic / glucose mmol/L / kg / bpm
  value2      REAL,            -- diastolic for bp
  measured_at INTEGER NOT NULL,
  recorded_by TEXT NOT NULL REFERENCES accounts(id),
  note        TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL
);
CREATE INDEX vitals_patient ON vitals(patient_id, kind, measured_at);

CREATE TABLE care_plans (
  id                TEXT PRIMARY KEY,
  patient_id        TEXT NOT NULL REFERENCES patients(id),
  doctor_id         TEXT NOT NULL REFERENCES accounts(id),   -- the family doctor
  icd10             TEXT NOT NULL,
  follow_up_days    INTEGER NOT NULL CHECK (follow_up_days BETWEEN 1 AND 366),
  last_follow_up_at INTEGER,
  next_follow_up_at INTEGER NOT NULL,
  note              TEXT NOT NULL DEFAULT '',
  active            INTEGER NOT NULL DEFAULT 1,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX care_plans_patient ON care_plans(patient_id, active);
CREATE INDEX care_plans_due ON care_plans(active, next_follow_up_at);

-- Targets per vital kind: value1 in [low1, high1], value2 in [low2, high2] (NULL: unbounded).
CREATE TABLE care_plan_targets (
  plan_id TEXT NOT NULL REFERENCES care_plans(id),
  kind    TEXT NOT NULL CHECK (kind IN ('bp','glucose','weight','heart_rate')),
  low1    REAL,
  high1   REAL,
  low2    REAL,
  high2   REAL,
  PRIMARY KEY (plan_id, kind)
) WITHOUT ROWID;

CREATE TABLE care_alerts (
  id              TEXT PRIMARY KEY,
  patient_id      TEXT NOT NULL REFERENCES patients(id),
  doctor_id       TEXT NOT NULL REFERENCES accounts(id),
  plan_id         TEXT NOT NULL REFERENCES care_plans(id),
  kind            TEXT NOT NULL CHECK (kind IN ('out_of_range','missed_follow_up')),
  vital_id        TEXT REFERENCES vitals(id),
  due_at          INTEGER,      -- missed_follow_up: the follow-up that was missed
  detail          TEXT NOT NULL DEFAULT '',
  created_at      INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT REFERENCES accounts(id)
);
CREATE INDEX care_alerts_doctor ON care_alerts(doctor_id, acknowledged_at, created_at);
CREATE UNIQUE INDEX care_alerts_missed_once ON care_alerts(plan_id, due_at) WHERE kind = 'missed_follow_up';

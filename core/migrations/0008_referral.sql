-- 0008: tiered referral (分级诊疗, referral/) — family-doctor contracts,
-- up- and down-referrals with their transitions, department appointment
-- slots with a share reserved for referred patients, referral episodes (one
-- deductible per episode: each has its insurance_episodes row of 0007), and
-- remote-consultation requests (远程会诊).

-- 家庭医生签约: a patient has at most one active contract.
CREATE TABLE family_doctor_contracts (
  id          TEXT PRIMARY KEY,
  patient_id  TEXT NOT NULL REFERENCES patients(id),
  doctor_id   TEXT NOT NULL REFERENCES accounts(id),
  facility_id TEXT NOT NULL REFERENCES facilities(id),  -- the community centre
  state       TEXT NOT NULL CHECK (state IN ('active','ended')),
  signed_at   INTEGER NOT NULL,
  ended_at    INTEGER,
  end_reason  TEXT
);
CREATE UNIQUE INDEX family_doctor_contracts_active ON family_doctor_contracts(patient_id) WHERE state = 'active';
CREATE INDEX family_doctor_contracts_doctor ON family_doctor_contracts(doctor_id, state);

-- An episode is opened by an up-referral; claims that name it share one deductible.
CREATE TABLE referral_episodes (
  id         TEXT PRIMARY KEY REFERENCES insurance_episodes(id),
  patient_id TEXT NOT NULL REFERENCES patients(id),
  opened_at  INTEGER NOT NULL,
  closed_at  INTEGER
);
CREATE INDEX referral_episodes_patient ON referral_episodes(patient_id, closed_at);

CREATE TABLE referrals (
  id               TEXT PRIMARY KEY,
  direction        TEXT NOT NULL CHECK (direction IN ('up','down')),
  patient_id       TEXT NOT NULL REFERENCES patients(id),
  from_doctor_id   TEXT NOT NULL REFERENCES accounts(id),
  from_facility_id TEXT NOT NULL REFERENCES facilities(id),
  to_facility_id   TEXT NOT NULL REFERENCES facilities(id),
  to_department_id TEXT REFERENCES departments(id),  -- up: the receiving department
  to_doctor_id     TEXT REFERENCES accounts(id),     -- down: the receiving GP
  urgency          TEXT NOT NULL CHECK (urgency IN ('routine','urgent')),
  icd10            TEXT NOT NULL,
  reason           TEXT NOT NULL,
  summary          TEXT NOT NULL DEFAULT '',         -- the relevant record, in words
  state            TEXT NOT NULL CHECK (state IN ('requested','accepted','rejected','scheduled','arrived',
                                                  'completed','cancelled','no_show')),
  episode_id       TEXT REFERENCES referral_episodes(id),
  slot_id          TEXT,                             -- department_slots.id while scheduled
  scheduled_for    INTEGER,                          -- the appointment (slot start)
  accepted_by      TEXT REFERENCES accounts(id),
  state_reason     TEXT,                             -- why rejected / cancelled / no-show
  outcome          TEXT,                             -- completed: the visit summary back to the referrer
  follow_up_days   INTEGER CHECK (follow_up_days IS NULL OR follow_up_days BETWEEN 1 AND 366),  -- down
  plan_note        TEXT,                             -- down: the care plan in words
  care_plan_id     TEXT REFERENCES care_plans(id),   -- down: made when the GP accepts
  remote_id        TEXT,                             -- made from a remote consultation
  requested_at     INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  CHECK (direction = 'down' OR to_department_id IS NOT NULL),
  CHECK (direction = 'up' OR (to_doctor_id IS NOT NULL AND follow_up_days IS NOT NULL))
);
CREATE INDEX referrals_patient ON referrals(patient_id, requested_at);
CREATE INDEX referrals_from ON referrals(from_doctor_id, requested_at);
CREATE INDEX referrals_to_department ON referrals(to_department_id, state);
CREATE INDEX referrals_to_doctor ON referrals(to_doctor_id, state);
CREATE INDEX referrals_month ON referrals(requested_at, from_facility_id);

-- Every transition in order (also audited).
CREATE TABLE referral_events (
  referral_id TEXT NOT NULL REFERENCES referrals(id),
  seq         INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  actor_id    TEXT NOT NULL,
  actor_role  TEXT NOT NULL,
  from_state  TEXT,
  to_state    TEXT NOT NULL,
  reason      TEXT,
  PRIMARY KEY (referral_id, seq)
) WITHOUT ROWID;
CREATE INDEX referral_events_state ON referral_events(to_state, at);

-- The record attached to a referral: ids of the patient's own record items.
CREATE TABLE referral_attachments (
  referral_id TEXT NOT NULL REFERENCES referrals(id),
  kind        TEXT NOT NULL CHECK (kind IN ('diagnosis','note','lab_order','document','care_plan')),
  ref_id      TEXT NOT NULL,
  PRIMARY KEY (referral_id, kind, ref_id)
) WITHOUT ROWID;

-- Down-referral: the care plan's vital targets, copied into care_plan_targets on acceptance.
CREATE TABLE referral_plan_targets (
  referral_id TEXT NOT NULL REFERENCES referrals(id),
  kind        TEXT NOT NULL CHECK (kind IN ('bp','glucose','weight','heart_rate')),
  low1        REAL,
  high1       REAL,
  low2        REAL,
  high2       REAL,
  PRIMARY KEY (referral_id, kind)
) WITHOUT ROWID;

-- The share of a department's published slots reserved for referrals (basis
-- points); a department without a row reserves the default 2000 (20 %).
CREATE TABLE department_slot_policies (
  department_id TEXT PRIMARY KEY REFERENCES departments(id),
  reserved_bp   INTEGER NOT NULL CHECK (reserved_bp BETWEEN 0 AND 10000),
  updated_by    TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- Appointment slots. A slot is given at most once: referral_id is UNIQUE and
-- only ever set where it is NULL.
CREATE TABLE department_slots (
  id            TEXT PRIMARY KEY,
  department_id TEXT NOT NULL REFERENCES departments(id),
  starts_at     INTEGER NOT NULL,
  minutes       INTEGER NOT NULL CHECK (minutes BETWEEN 5 AND 240),
  reserved      INTEGER NOT NULL CHECK (reserved IN (0, 1)),
  referral_id   TEXT UNIQUE REFERENCES referrals(id),
  taken_at      INTEGER,
  created_by    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  UNIQUE (department_id, starts_at)
);
CREATE INDEX department_slots_free ON department_slots(department_id, reserved, starts_at) WHERE referral_id IS NULL;

-- 远程会诊: a GP, with the patient present, asks a hospital department (or a
-- named specialist) to join a three-party consultation.
CREATE TABLE remote_consultations (
  id               TEXT PRIMARY KEY,
  patient_id       TEXT NOT NULL REFERENCES patients(id),
  gp_id            TEXT NOT NULL REFERENCES accounts(id),
  gp_facility_id   TEXT NOT NULL REFERENCES facilities(id),
  department_id    TEXT NOT NULL REFERENCES departments(id),
  specialist_id    TEXT REFERENCES accounts(id),    -- asked for, or who accepted
  icd10            TEXT NOT NULL,
  question         TEXT NOT NULL,
  patient_location TEXT NOT NULL CHECK (patient_location IN ('centre','home')),
  state            TEXT NOT NULL CHECK (state IN ('requested','accepted','rejected','scheduled','completed',
                                                  'cancelled')),
  scheduled_for    INTEGER,
  consultation_id  TEXT REFERENCES consultations(id),  -- kind remote_consultation, three participants
  opinion          TEXT,
  note_id          TEXT REFERENCES consultation_notes(id),
  referral_id      TEXT REFERENCES referrals(id),       -- the up-referral it led to
  state_reason     TEXT,
  requested_at     INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX remote_consultations_department ON remote_consultations(department_id, state);
CREATE INDEX remote_consultations_gp ON remote_consultations(gp_id, requested_at);
CREATE INDEX remote_consultations_patient ON remote_consultations(patient_id, requested_at);

-- Referred patients go first in the department's online queue (0003
-- consultations.priority): a consultation booked while the patient holds an
-- accepted or scheduled up-referral to that department is raised to 1 and
-- linked to the referral.
CREATE TRIGGER referral_queue_priority AFTER INSERT ON consultations
WHEN NEW.referral_id IS NULL AND NEW.department_id IS NOT NULL
BEGIN
  UPDATE consultations
     SET priority = MAX(priority, 1),
         referral_id = (SELECT r.id FROM referrals r
                         WHERE r.patient_id = NEW.patient_id AND r.to_department_id = NEW.department_id
                           AND r.direction = 'up' AND r.state IN ('accepted','scheduled','arrived')
                         ORDER BY r.requested_at DESC LIMIT 1)
   WHERE id = NEW.id
     AND EXISTS (SELECT 1 FROM referrals r
                  WHERE r.patient_id = NEW.patient_id AND r.to_department_id = NEW.department_id
                    AND r.direction = 'up' AND r.state IN ('accepted','scheduled','arrived'));
END;

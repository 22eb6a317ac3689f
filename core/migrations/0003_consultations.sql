-- 0003: online consultations (the signalling issue): booking, queue, call lifecycle, chat, ratings.

CREATE TABLE consultations (
  id                   TEXT PRIMARY KEY,
  patient_id           TEXT NOT NULL REFERENCES patients(id),
  doctor_id            TEXT NOT NULL REFERENCES accounts(id),   -- the consulting doctor's account
  facility_id          TEXT NOT NULL REFERENCES facilities(id), -- where the doctor practises
  department_id        TEXT REFERENCES departments(id),
  kind                 TEXT NOT NULL DEFAULT 'online_followup' CHECK (kind IN ('online_followup','remote_consultation')),
  icd10                TEXT NOT NULL,                           -- the condition followed up
  offline_diagnosis_id TEXT REFERENCES offline_diagnoses(id),   -- the evidence that made it legal
  referral_id          TEXT,                                    -- set by the referral issue
  state                TEXT NOT NULL CHECK (state IN ('booked','waiting','called','in_call','ended','notes_signed','cancelled','no_show')),
  priority             INTEGER NOT NULL DEFAULT 0,              -- referred patients first (higher first)
  booked_at            INTEGER NOT NULL,
  checked_in_at        INTEGER,
  called_at            INTEGER,
  started_at           INTEGER,
  ended_at             INTEGER,
  end_reason           TEXT,
  recording_consent    INTEGER,                                 -- NULL unanswered, 0 declined, 1 consented
  guardian_name        TEXT,                                    -- children under 6: guardian present
  updated_at           INTEGER NOT NULL
);
CREATE INDEX consultations_patient ON consultations(patient_id, booked_at);
CREATE INDEX consultations_doctor_state ON consultations(doctor_id, state, priority, booked_at);

-- Every transition, in order (also audited).
CREATE TABLE consultation_events (
  consultation_id TEXT NOT NULL REFERENCES consultations(id),
  seq             INTEGER NOT NULL,
  at              INTEGER NOT NULL,
  actor_id        TEXT NOT NULL,
  from_state      TEXT,
  to_state        TEXT NOT NULL,
  reason          TEXT,
  PRIMARY KEY (consultation_id, seq)
) WITHOUT ROWID;

CREATE TABLE consultation_participants (
  consultation_id TEXT NOT NULL REFERENCES consultations(id),
  account_id      TEXT NOT NULL REFERENCES accounts(id),
  role            TEXT NOT NULL,  -- patient|doctor|specialist|guardian
  PRIMARY KEY (consultation_id, account_id)
) WITHOUT ROWID;

-- Chat is part of the record; retained >= 3 years.
CREATE TABLE chat_messages (
  id              TEXT PRIMARY KEY,
  consultation_id TEXT NOT NULL REFERENCES consultations(id),
  sender_id       TEXT NOT NULL REFERENCES accounts(id),
  at              INTEGER NOT NULL,
  text            TEXT NOT NULL
);
CREATE INDEX chat_consultation ON chat_messages(consultation_id, at);

CREATE TABLE ratings (
  consultation_id TEXT PRIMARY KEY REFERENCES consultations(id),
  patient_id      TEXT NOT NULL REFERENCES patients(id),
  doctor_id       TEXT NOT NULL REFERENCES accounts(id),
  score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment         TEXT NOT NULL DEFAULT '',
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX ratings_doctor ON ratings(doctor_id);

-- 0002: the district — places, people, the formulary, insurance plans and policy.

CREATE TABLE subdistricts (
  id      TEXT PRIMARY KEY,
  name    TEXT NOT NULL,
  name_en TEXT NOT NULL,
  lat     REAL NOT NULL,
  lon     REAL NOT NULL
);

-- Hospitals and community health centres (pharmacies are separate).
CREATE TABLE facilities (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('hospital','community_centre')),
  level          TEXT NOT NULL CHECK (level IN ('community','secondary','tertiary')),
  name           TEXT NOT NULL,
  name_en        TEXT NOT NULL,
  subdistrict_id TEXT NOT NULL REFERENCES subdistricts(id),
  address        TEXT NOT NULL,
  lat            REAL NOT NULL,
  lon            REAL NOT NULL,
  designated     INTEGER NOT NULL DEFAULT 1  -- designated insurance provider
);
CREATE INDEX facilities_subdistrict ON facilities(subdistrict_id);

CREATE TABLE departments (
  id          TEXT PRIMARY KEY,
  facility_id TEXT NOT NULL REFERENCES facilities(id),
  name        TEXT NOT NULL,
  name_en     TEXT NOT NULL,
  specialty   TEXT NOT NULL
);
CREATE INDEX departments_facility ON departments(facility_id);

CREATE TABLE doctor_titles (
  id      TEXT PRIMARY KEY,  -- resident|attending|associate_chief|chief|gp
  name    TEXT NOT NULL,
  name_en TEXT NOT NULL
);

CREATE TABLE doctors (
  account_id     TEXT PRIMARY KEY REFERENCES accounts(id),
  facility_id    TEXT NOT NULL REFERENCES facilities(id),
  department_id  TEXT REFERENCES departments(id),
  title          TEXT NOT NULL REFERENCES doctor_titles(id),
  specialty      TEXT NOT NULL,
  license_no     TEXT NOT NULL UNIQUE,
  licensed       INTEGER NOT NULL DEFAULT 1,
  practice_since INTEGER NOT NULL,  -- UTC ms of the start of independent practice
  bio            TEXT NOT NULL DEFAULT '',
  sign_pub       BLOB,              -- Ed25519 public key (32 bytes)
  sign_priv_enc  BLOB               -- private key sealed with keys.sign (never plain)
);
CREATE INDEX doctors_facility ON doctors(facility_id);

CREATE TABLE pharmacists (
  account_id     TEXT PRIMARY KEY REFERENCES accounts(id),
  facility_id    TEXT REFERENCES facilities(id),  -- NULL: the district review centre
  license_no     TEXT NOT NULL UNIQUE,
  practice_since INTEGER NOT NULL
);

CREATE TABLE pharmacies (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  name_en        TEXT NOT NULL,
  chain          TEXT NOT NULL DEFAULT '',
  subdistrict_id TEXT NOT NULL REFERENCES subdistricts(id),
  address        TEXT NOT NULL,
  lat            REAL NOT NULL,
  lon            REAL NOT NULL,
  phone          TEXT NOT NULL DEFAULT '',
  opens          TEXT NOT NULL DEFAULT '08:00',  -- local time HH:MM
  closes         TEXT NOT NULL DEFAULT '22:00',
  delivers       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pharmacies_subdistrict ON pharmacies(subdistrict_id);

CREATE TABLE pharmacy_delivery_areas (
  pharmacy_id    TEXT NOT NULL REFERENCES pharmacies(id),
  subdistrict_id TEXT NOT NULL REFERENCES subdistricts(id),
  PRIMARY KEY (pharmacy_id, subdistrict_id)
) WITHOUT ROWID;
CREATE INDEX delivery_areas_subdistrict ON pharmacy_delivery_areas(subdistrict_id);

CREATE TABLE pharmacy_staff (
  account_id  TEXT PRIMARY KEY REFERENCES accounts(id),
  pharmacy_id TEXT NOT NULL REFERENCES pharmacies(id)
);

-- Sensitive columns are AES-256-GCM sealed and looked up by a keyed hash.
CREATE TABLE patients (
  id               TEXT PRIMARY KEY,
  account_id       TEXT UNIQUE REFERENCES accounts(id),
  name             TEXT NOT NULL,
  name_en          TEXT NOT NULL,
  sex              TEXT NOT NULL CHECK (sex IN ('M','F')),
  birth_date       TEXT NOT NULL,  -- YYYY-MM-DD
  national_id_enc  BLOB NOT NULL,
  national_id_hash BLOB NOT NULL UNIQUE,
  phone_enc        BLOB,
  phone_hash       BLOB,
  subdistrict_id   TEXT NOT NULL REFERENCES subdistricts(id),
  address          TEXT NOT NULL DEFAULT '',
  lat              REAL NOT NULL,
  lon              REAL NOT NULL,
  created_at       INTEGER NOT NULL
);
CREATE INDEX patients_phone ON patients(phone_hash);

CREATE TABLE conditions (
  icd10   TEXT PRIMARY KEY,
  name    TEXT NOT NULL,
  name_en TEXT NOT NULL,
  chronic INTEGER NOT NULL
);

-- Offline diagnoses: the evidence that makes an online follow-up legal.
CREATE TABLE offline_diagnoses (
  id           TEXT PRIMARY KEY,
  patient_id   TEXT NOT NULL REFERENCES patients(id),
  icd10        TEXT NOT NULL,
  facility_id  TEXT NOT NULL REFERENCES facilities(id),
  doctor_id    TEXT REFERENCES accounts(id),
  diagnosed_at INTEGER NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('facility','his_import','patient_upload')),
  verified     INTEGER NOT NULL DEFAULT 0,
  verified_by  TEXT REFERENCES accounts(id),
  verified_at  INTEGER,
  note         TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL
);
CREATE INDEX offline_diagnoses_patient ON offline_diagnoses(patient_id, icd10);

CREATE TABLE drugs (
  id                  TEXT PRIMARY KEY,
  generic_name        TEXT NOT NULL,
  generic_en          TEXT NOT NULL,
  pinyin              TEXT NOT NULL,  -- initials of the Chinese generic name
  atc                 TEXT NOT NULL,
  form                TEXT NOT NULL,
  strength            TEXT NOT NULL,
  pack_size           INTEGER NOT NULL CHECK (pack_size > 0),
  unit                TEXT NOT NULL,
  price_fen           INTEGER NOT NULL CHECK (price_fen >= 0),
  category            TEXT NOT NULL CHECK (category IN ('甲','乙','丙')),
  controlled          TEXT NOT NULL CHECK (controlled IN ('none','narcotic','psychotropic_1','psychotropic_2','toxic','radioactive','precursor')),
  antimicrobial       INTEGER NOT NULL,
  default_daily_units REAL NOT NULL,
  chronic_use         INTEGER NOT NULL
);
CREATE INDEX drugs_pinyin ON drugs(pinyin);
CREATE INDEX drugs_atc ON drugs(atc);

CREATE TABLE pharmacy_stock (
  pharmacy_id TEXT NOT NULL REFERENCES pharmacies(id),
  drug_id     TEXT NOT NULL REFERENCES drugs(id),
  quantity    INTEGER NOT NULL CHECK (quantity >= 0),  -- packs
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (pharmacy_id, drug_id)
) WITHOUT ROWID;

CREATE TABLE insurance_plans (
  id                   TEXT PRIMARY KEY,  -- employee_t1|employee_t2|resident
  name                 TEXT NOT NULL,
  name_en              TEXT NOT NULL,
  has_personal_account INTEGER NOT NULL
);

CREATE TABLE coverage (
  patient_id          TEXT PRIMARY KEY REFERENCES patients(id),
  plan_id             TEXT NOT NULL REFERENCES insurance_plans(id),
  insured_no          TEXT NOT NULL UNIQUE,
  valid_from          INTEGER NOT NULL,
  valid_to            INTEGER NOT NULL,
  account_balance_fen INTEGER NOT NULL DEFAULT 0 CHECK (account_balance_fen >= 0)
);

-- Policy, versioned by effective date: a claim uses the version in force on its service date.
CREATE TABLE policy_versions (
  id             TEXT PRIMARY KEY,
  effective_from INTEGER NOT NULL UNIQUE,  -- UTC ms
  note           TEXT NOT NULL DEFAULT '',
  created_by     TEXT NOT NULL,
  created_at     INTEGER NOT NULL
);

CREATE TABLE policy_rates (
  version_id     TEXT NOT NULL REFERENCES policy_versions(id),
  plan_id        TEXT NOT NULL REFERENCES insurance_plans(id),
  facility_level TEXT NOT NULL CHECK (facility_level IN ('community','secondary','tertiary')),
  ratio_bp       INTEGER NOT NULL CHECK (ratio_bp BETWEEN 0 AND 10000),
  deductible_fen INTEGER NOT NULL CHECK (deductible_fen >= 0),
  cap_fen        INTEGER NOT NULL CHECK (cap_fen >= 0),
  PRIMARY KEY (version_id, plan_id, facility_level)
) WITHOUT ROWID;

CREATE TABLE policy_categories (
  version_id   TEXT NOT NULL REFERENCES policy_versions(id),
  category     TEXT NOT NULL CHECK (category IN ('甲','乙','丙')),
  self_pay_bp  INTEGER NOT NULL CHECK (self_pay_bp BETWEEN 0 AND 10000),  -- 甲 0, 乙 1000, 丙 10000
  PRIMARY KEY (version_id, category)
) WITHOUT ROWID;

CREATE TABLE fee_schedule (
  version_id     TEXT NOT NULL REFERENCES policy_versions(id),
  item_code      TEXT NOT NULL,
  name           TEXT NOT NULL,
  name_en        TEXT NOT NULL,
  facility_level TEXT NOT NULL,  -- community|secondary|tertiary|any
  doctor_title   TEXT NOT NULL,  -- a doctor_titles id or 'any'
  price_fen      INTEGER NOT NULL CHECK (price_fen >= 0),
  covered        INTEGER NOT NULL DEFAULT 1,  -- delivery fees: 0, never covered
  PRIMARY KEY (version_id, item_code, facility_level, doctor_title)
) WITHOUT ROWID;

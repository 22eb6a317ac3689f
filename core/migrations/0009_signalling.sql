-- 0009: signalling — doctors' online clinic hours for the directory (名医团队),
-- and indexes the queue, the directory and the ratings read often.

-- When a doctor takes online consultations, per ISO weekday (1 Monday … 7 Sunday),
-- local times HH:MM. Shown on the doctor's profile; booking is not limited by it
-- (a patient books, then waits in the queue when the doctor is online).
CREATE TABLE doctor_schedules (
  doctor_id TEXT NOT NULL REFERENCES accounts(id),
  weekday   INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  starts    TEXT NOT NULL CHECK (length(starts) = 5),
  ends      TEXT NOT NULL CHECK (length(ends) = 5 AND ends > starts),
  PRIMARY KEY (doctor_id, weekday, starts)
) WITHOUT ROWID;

-- The district's default online hours, given to every doctor when their
-- doctors row is made (a facility can change a doctor's rows afterwards).
CREATE TABLE doctor_schedule_defaults (
  weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  starts  TEXT NOT NULL,
  ends    TEXT NOT NULL,
  PRIMARY KEY (weekday, starts)
) WITHOUT ROWID;

INSERT INTO doctor_schedule_defaults (weekday, starts, ends) VALUES
  (1, '08:30', '11:30'), (1, '14:00', '17:00'),
  (2, '08:30', '11:30'), (2, '14:00', '17:00'),
  (3, '08:30', '11:30'), (3, '14:00', '17:00'),
  (4, '08:30', '11:30'), (4, '14:00', '17:00'),
  (5, '08:30', '11:30'), (5, '14:00', '17:00'),
  (6, '09:00', '12:00');

CREATE TRIGGER doctors_default_schedule AFTER INSERT ON doctors
BEGIN
  INSERT OR IGNORE INTO doctor_schedules (doctor_id, weekday, starts, ends)
    SELECT NEW.account_id, weekday, starts, ends FROM doctor_schedule_defaults;
END;

-- Doctors that existed before this migration get the defaults too.
INSERT OR IGNORE INTO doctor_schedules (doctor_id, weekday, starts, ends)
  SELECT d.account_id, s.weekday, s.starts, s.ends FROM doctors d, doctor_schedule_defaults s;

-- Booking by department picks among its doctors; the directory averages scores.
CREATE INDEX doctors_department ON doctors(department_id);
CREATE INDEX ratings_doctor_score ON ratings(doctor_id, score);

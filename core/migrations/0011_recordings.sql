-- 0011: consultation recordings (the Opus issue). A recording is made only
-- with the patient's consent (consultations.recording_consent, 0003) and is
-- written by the media relay as DATA/recordings/<file> (Ogg Opus). One row
-- per finished file: signalling inserts it when the relay says the file is
-- closed (cleanly, or cut short by a write error — then `error` says so and
-- the file holds what was written).
--
-- Retention (DESIGN §2): consultation audio is kept at least 3 years. The
-- CHECK makes a shorter retention_until impossible to store, and the trigger
-- refuses to delete a row before its retention_until, whatever deletes it.

CREATE TABLE recordings (
  id              TEXT PRIMARY KEY,
  consultation_id TEXT NOT NULL REFERENCES consultations(id),
  patient_id      TEXT NOT NULL REFERENCES patients(id),
  file            TEXT NOT NULL,     -- name under DATA/recordings, e.g. con_x.opus
  duration_ms     INTEGER NOT NULL,
  size_bytes      INTEGER NOT NULL,
  error           TEXT,              -- NULL, or the code that stopped it early (media.recording_io)
  created_at      INTEGER NOT NULL,  -- UTC ms, when the file was closed
  retention_until INTEGER NOT NULL,  -- UTC ms, created_at + 3 years (1096 days) at least
  CHECK (retention_until >= created_at + 94694400000)
);
CREATE INDEX recordings_consultation ON recordings(consultation_id, created_at);

CREATE TRIGGER recordings_retention BEFORE DELETE ON recordings
WHEN OLD.retention_until > CAST(strftime('%s', 'now') AS INTEGER) * 1000
BEGIN
  SELECT RAISE(ABORT, 'recordings: retention period not over');
END;

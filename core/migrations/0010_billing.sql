-- 0010: billing — the work the billing job (server/billing.c) still has to do.
--
-- An ended consultation is billed its fee once; a completed dispense is
-- billed from its receipt (rx_receipts.billed_* mark those, 0006); a receipt
-- whose dispense was returned, or whose prescription left `completed`, has
-- its claim reversed. The triggers below queue that work in the same
-- transaction as the change itself, so a crash cannot lose it, the job reads
-- only what is new (not every consultation ever held), and the signalling
-- and rx state machines stay unaware of billing. The job deletes a row once
-- the claim is settled (or refused for good) and its mark is written;
-- settlement is idempotent per encounter, so a crash in between only makes
-- the next run find the first claim again.

CREATE TABLE billing_due (
  kind    TEXT NOT NULL CHECK (kind IN ('consultation', 'dispense_reverse')),
  ref_id  TEXT NOT NULL,              -- consultations.id | rx_receipts.id
  due_at  INTEGER NOT NULL,           -- UTC ms; a failed attempt moves it later
  tries   INTEGER NOT NULL DEFAULT 0, -- failed attempts (logged; never given up silently)
  PRIMARY KEY (kind, ref_id)
) WITHOUT ROWID;
CREATE INDEX billing_due_at ON billing_due(kind, due_at);

-- A consultation reaches `ended` once (notes_signed comes only after it).
CREATE TRIGGER billing_consultation_ended AFTER UPDATE OF state ON consultations
WHEN NEW.state IN ('ended', 'notes_signed') AND OLD.state NOT IN ('ended', 'notes_signed')
BEGIN
  INSERT OR IGNORE INTO billing_due (kind, ref_id, due_at)
    VALUES ('consultation', NEW.id, COALESCE(NEW.ended_at, NEW.updated_at));
END;

CREATE TRIGGER billing_consultation_inserted AFTER INSERT ON consultations
WHEN NEW.state IN ('ended', 'notes_signed')
BEGIN
  INSERT OR IGNORE INTO billing_due (kind, ref_id, due_at)
    VALUES ('consultation', NEW.id, COALESCE(NEW.ended_at, NEW.updated_at));
END;

-- A dispense returned to the pharmacy after its receipt was issued.
CREATE TRIGGER billing_dispense_returned AFTER UPDATE OF returned_at ON rx_dispenses
WHEN OLD.returned_at IS NULL AND NEW.returned_at IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO billing_due (kind, ref_id, due_at)
    SELECT 'dispense_reverse', r.id, NEW.returned_at FROM rx_receipts r WHERE r.claim_id = NEW.claim_id;
END;

-- A completed prescription that was cancelled or returned afterwards.
CREATE TRIGGER billing_prescription_reopened AFTER UPDATE OF state ON prescriptions
WHEN OLD.state = 'completed' AND NEW.state <> 'completed'
BEGIN
  INSERT OR IGNORE INTO billing_due (kind, ref_id, due_at)
    SELECT 'dispense_reverse', r.id, NEW.updated_at FROM rx_receipts r WHERE r.prescription_id = NEW.id;
END;

-- Consultations that ended before this migration and were never billed.
INSERT OR IGNORE INTO billing_due (kind, ref_id, due_at)
  SELECT 'consultation', c.id, COALESCE(c.ended_at, c.updated_at) FROM consultations c
  WHERE c.state IN ('ended', 'notes_signed')
    AND NOT EXISTS (SELECT 1 FROM claims k WHERE k.encounter_type = 'consultation' AND k.encounter_id = c.id);

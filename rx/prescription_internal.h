/* rx/prescription_internal.h — what the files of rx/ share about a
 * prescription: its in-memory form, loading it, the facts the rules need,
 * and the one function that moves it between states.
 *
 * Pharmacy dispatch (a later issue) builds on prescription_move(): it adds
 * rows for claim/release/complete to the table in prescription.c (they are
 * there already) and calls it inside its own transactions.
 */
#ifndef LY_RX_PRESCRIPTION_INTERNAL_H
#define LY_RX_PRESCRIPTION_INTERNAL_H

#include <stdint.h>

#include "core/crypto.h"
#include "core/ids.h"
#include "rx/prescription.h"
#include "rx/rules.h"
#include "rx/rx.h"

struct rx_item {
  char drug_id[LY_ID_MAX];
  int64_t quantity, days, daily_milli;
  char dose[RX_DOSE_MAX * 2 + 1]; /* room to hold (and refuse) over-long input */
  /* from the formulary */
  int known;
  enum rules_controlled controlled;
  int antimicrobial, chronic_use;
  int64_t pack_size, default_daily_milli;
  char generic_name[128], generic_en[128], strength[32], form[32], unit[16];
};

struct rx_rec {
  char id[LY_ID_MAX];
  char patient_id[LY_ID_MAX];
  char doctor_id[LY_ID_MAX];
  char facility_id[LY_ID_MAX];
  char consultation_id[LY_ID_MAX];
  char renewal_of[LY_ID_MAX];
  char icd10[16];
  char kind[16];
  char state[24];
  char chronic_reason[RX_TEXT_MAX * 2 + 1];
  char assessment[RX_ASSESSMENT_MAX * 2 + 1];
  char guardian_name[96];
  char note[RX_NOTE_MAX * 2 + 1];
  int online, patient_consent, validity_days;
  int64_t revision, created_at, signed_at, valid_until;
  size_t nitems;
  struct rx_item items[RX_MAX_ITEMS + 1];
};

/* Storage behind the pointers of a struct rules_draft. */
#define RX_FACTS_MAX_DX 16
struct rx_facts {
  struct rules_item items[RX_MAX_ITEMS + 1];
  struct rules_offline_dx dx[RX_FACTS_MAX_DX];
  char dx_icd[RX_FACTS_MAX_DX][16];
  struct rules_reviewer reviewer;
  struct rules_draft d;
};

/* Load a prescription with its items and their formulary facts.
 * LY_ENOTFOUND (rx.not_found). */
int rx_load(struct rx_ctx *cx, const char *id, struct rx_rec *p, struct ly_error *e);

/* Fill p from input (copies, validates lengths and looks the drugs up; an
 * unknown drug is left known = 0 for the rules to name). */
int rx_from_input(struct rx_ctx *cx, const struct prescription_in *in, struct rx_rec *p, struct ly_error *e);

/* Gather the facts of p for the rules, judged at cx's clock: the prescriber
 * (licensed, years), whether `signer` is the prescriber, the patient's age and
 * guardian, the offline diagnoses of the same category, the condition's
 * chronic flag. `reviewer` (may be NULL) adds the pharmacist's facts. */
int rx_facts(struct rx_ctx *cx, const struct rx_rec *p, const struct records_actor *signer,
             const struct records_actor *reviewer, struct rx_facts *f, struct ly_error *e);

/* Move p by `action` (a row of the transition table whose `from` is
 * p->state and whose actor kinds include who's role): update the state
 * guarded by the old one, append the event and the audit entry. Inside the
 * caller's transaction. LY_ESTATE rx.illegal_transition, LY_EFORBIDDEN. */
int prescription_move(struct rx_ctx *cx, const struct records_actor *who, struct rx_rec *p,
                      const char *action, const char *reason, struct ly_error *e);

/* 0 when the table has a row for action from p->state (LY_ESTATE
 * rx.illegal_transition otherwise); who may is checked by prescription_move. */
int prescription_can_move(const struct rx_rec *p, const char *action, struct ly_error *e);

/* Idempotency (inside the caller's transaction). rx_idem_find: 1 with
 * *result (new reference) when (who, key) was used for this action and
 * object; 0 when unused; LY_ECONFLICT (request.idempotency_key_reused) when
 * used for something else. rx_idem_store keeps the first result. */
int rx_idem_find(struct rx_ctx *cx, const struct records_actor *who, const char *key, const char *action,
                 const char *object_id, json_t **result, struct ly_error *e);
int rx_idem_store(struct rx_ctx *cx, const struct records_actor *who, const char *key, const char *action,
                  const char *object_id, const json_t *result);

/* Tell an account something (renewal decided, prescription ready/expired/returned). */
int rx_notice(struct rx_ctx *cx, const char *account_id, const char *kind, const char *prescription_id,
              const char *renewal_id);
/* The account of a patient (NULL-safe; "" when the patient has none). */
int rx_patient_account(struct rx_ctx *cx, const char *patient_id, char out[LY_ID_MAX]);

/* End of the local day (cx->utc_offset_ms) containing at, plus extra_days. */
int64_t rx_end_of_local_day(const struct rx_ctx *cx, int64_t at, int extra_days);

/* Append an event row (prescription_events) for p. */
int rx_event(struct rx_ctx *cx, const struct records_actor *who, const char *id, const char *action,
             const char *from, const char *to, const char *reason, int64_t now);
/* Replace the content and items of a draft/returned p (revision + 1, any
 * earlier signature dropped), with an "edit" event. */
int rx_update_content(struct rx_ctx *cx, const struct records_actor *who, struct rx_rec *p);

/* Insert p as a new draft (id already set) with its items. */
int rx_insert(struct rx_ctx *cx, struct rx_rec *p);
/* Sign p (already checked): document, signature, access code, move to pending_review. */
int rx_sign_rec(struct rx_ctx *cx, const struct records_actor *who, struct rx_rec *p,
                struct rules_result *viol, struct ly_error *e);
/* {id, state, revision, signed_at, valid_until} of p. */
json_t *rx_result(const struct rx_rec *p);

#endif

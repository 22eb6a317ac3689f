/* rx/pharmacy.h — pharmacies as rx/ sees them (DESIGN §5): who acts for
 * one, which ones can fill a prescription, and what a pharmacy may see.
 *
 * Object-level rule (DESIGN §10): a pharmacy sees a prescription only while
 * it is dispatched to it (an open dispatch) or once it has claimed it, or
 * when it is shown the patient's code (walk-in). Anything else is answered
 * LY_ENOTFOUND (rx.not_found), so a pharmacy cannot probe for ids.
 *
 * Every function that shows a prescription appends its audit entry in the
 * same transaction; views are json_t (new references the caller decrefs).
 */
#ifndef LY_RX_PHARMACY_H
#define LY_RX_PHARMACY_H

#include <jansson.h>
#include <stddef.h>

#include "core/ids.h"
#include "rx/rx.h"

struct ly_error;

/* A member of a pharmacy's staff acting for it. */
struct pharmacy_actor {
  const char *account_id;  /* the staff account */
  const char *pharmacy_id; /* pharmacy_staff.pharmacy_id of that account */
};

#define PHARMACY_SEARCH_DEFAULT 20
#define PHARMACY_SEARCH_MAX     50

struct pharmacy_search_in {
  const char *prescription_id;
  const char *mode; /* "pickup" | "delivery" */
  int has_point;    /* lat/lon given (the phone's position); else the patient's home */
  double lat, lon;
  int limit; /* 1..PHARMACY_SEARCH_MAX; 0: PHARMACY_SEARCH_DEFAULT */
};

/* The patient's choices for their own ready prescription.
 * pickup: pharmacies holding every item in the prescribed quantity, nearest
 * first. delivery: pharmacies that deliver to the patient's subdistrict,
 * those with every item first, then nearest. Each with its opening hours
 * (local time) and whether it is open now:
 *   {mode, from:{lat, lon}, pharmacies:[{id, name, name_en, chain, address,
 *    phone, lat, lon, distance_m, opens, closes, open_now, delivers,
 *    in_stock, missing:[drug_id]}]}
 * LY_ENOTFOUND for another patient's prescription; LY_ESTATE
 * (rx.not_ready) when it is not ready; LY_EINVAL for a bad mode/point. */
int pharmacy_search(struct rx_ctx *cx, const struct records_actor *who, const struct pharmacy_search_in *in,
                    json_t **out, struct ly_error *e);

/* What a pharmacy sees of a prescription it may see: the prescription (as
 * prescription_get, without the access code), "signature": {verified,
 * doctor_id, public_key, document_sha256}, "envelope" (the signed document,
 * for checking it again in the browser), "dispatch" (its own, if any),
 * "claim" (its own active claim, if any, without the secret), "dispensed"
 * (per line: units prescribed and handed out so far), "delivery". */
int pharmacy_prescription(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id, json_t **out,
                          struct ly_error *e);

/* The same for a walk-in: the patient's code (rx/qr.h) is the authorisation.
 * A wrong or malformed code is LY_ENOTFOUND / LY_EPARSE and is audited as
 * refused (without the code). */
int pharmacy_lookup_code(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *qr, size_t qr_len,
                         json_t **out, struct ly_error *e);

/* The pharmacy's own work: its claims in `state` ("active" — in progress,
 * with the delivery board's states —, "completed" or "released"), newest
 * first, at most limit (1..200): [{prescription_id, claim_id, via, claimed_at,
 * closed_at, mode, delivery_state, items:[{line, drug_id, generic_name,
 * strength, quantity}]}]. */
int pharmacy_work(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *state, int limit,
                  json_t **out, struct ly_error *e);

/* A pharmacy's card {id, name, name_en, address, phone, opens, closes, lat,
 * lon} (public information). LY_ENOTFOUND. */
int pharmacy_card(struct rx_ctx *cx, const char *pharmacy_id, json_t **out);

/* The account of a prescription's patient ("" when none), to tell them of a change. */
int pharmacy_patient_account(struct rx_ctx *cx, const char *prescription_id, char out[LY_ID_MAX]);

/* The pharmacy a staff account works at: 0 and out, or LY_ENOTFOUND. */
int pharmacy_of_staff(struct rx_ctx *cx, const char *account_id, char out[LY_ID_MAX]);

/* Staff accounts of a pharmacy (at most max, for pushing events to their
 * consoles); *n is how many were written. */
int pharmacy_staff_accounts(struct rx_ctx *cx, const char *pharmacy_id, char (*out)[LY_ID_MAX], size_t max,
                            size_t *n);

/* Great-circle distance in metres (haversine, mean Earth radius). */
double pharmacy_distance_m(double lat1, double lon1, double lat2, double lon2);

/* 1 when local time (minutes after local midnight) lies within opens..closes
 * ("HH:MM"; closes < opens spans midnight; equal means always open). */
int pharmacy_open_at(const char *opens, const char *closes, int minute_of_day);

#endif

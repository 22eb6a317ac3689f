/* rx/pharmacy.c — finding pharmacies for a prescription (nearest first),
 * their staff, and the helpers the pharmacy files share (visibility,
 * refusals, the pharmacy's public card). Views of prescriptions for a
 * pharmacy are in pharmacy_view.c. */
#include "rx/pharmacy.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/pharmacy_internal.h"

#define PH_EARTH_RADIUS_M 6371008.8
#define PH_SCAN_MAX       20000 /* pharmacies considered at most (a district has hundreds) */
#define PH_DAY_MS         86400000LL

/* ---- shared helpers ------------------------------------------------------------ */

struct records_actor ph_who(const struct pharmacy_actor *pa) {
  struct records_actor who = {pa->account_id, "pharmacy_staff", NULL};
  return who;
}

int ph_not_found(struct ly_error *e) {
  return ly_error_set(e, LY_ENOTFOUND, "rx.not_found", "No such prescription.", "未找到该处方。");
}

int ph_visible(struct rx_ctx *cx, const char *pharmacy_id, const char *prescription_id) {
  static const char *sql =
      "SELECT EXISTS (SELECT 1 FROM rx_dispatches WHERE prescription_id = ?1 AND pharmacy_id = ?2 AND state "
      "= "
      "'open') OR EXISTS (SELECT 1 FROM rx_claims WHERE prescription_id = ?1 AND pharmacy_id = ?2)";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return 0;
  ly_db_bind_text(st, 1, prescription_id);
  ly_db_bind_text(st, 2, pharmacy_id);
  int yes = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
  sqlite3_reset(st);
  return yes;
}

int ph_refused(struct rx_ctx *cx, const struct records_actor *who, const char *action, const char *patient_id,
               const char *prescription_id, const struct ly_error *e, int rc) {
  if (rc == LY_EDENIED || rc == LY_EFORBIDDEN || rc == LY_ESTATE || rc == LY_ECONFLICT ||
      rc == LY_ENOTFOUND || rc == LY_ERATE || rc == LY_EPARSE || rc == LY_ETOOBIG)
    records_audit_refusal(&cx->rec, who, action, patient_id && patient_id[0] ? patient_id : NULL,
                          "prescription", prescription_id, e);
  return rc;
}

json_t *ph_pharmacy_json(struct rx_ctx *cx, const char *pharmacy_id) {
  static const char *sql =
      "SELECT id, name, name_en, address, phone, opens, closes, lat, lon FROM pharmacies WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return NULL;
  ly_db_bind_text(st, 1, pharmacy_id);
  json_t *o = NULL;
  if (sqlite3_step(st) == SQLITE_ROW)
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "id", ly_db_col_text(st, 0), "name",
                  ly_db_col_text(st, 1), "name_en", ly_db_col_text(st, 2), "address", ly_db_col_text(st, 3),
                  "phone", ly_db_col_text(st, 4), "opens", ly_db_col_text(st, 5), "closes",
                  ly_db_col_text(st, 6), "lat", sqlite3_column_double(st, 7), "lon",
                  sqlite3_column_double(st, 8));
  sqlite3_reset(st);
  return o;
}

int pharmacy_card(struct rx_ctx *cx, const char *pharmacy_id, json_t **out) {
  *out = ph_pharmacy_json(cx, pharmacy_id);
  return *out ? 0 : LY_ENOTFOUND;
}

int pharmacy_patient_account(struct rx_ctx *cx, const char *prescription_id, char out[LY_ID_MAX]) {
  struct prescription_parties p;
  out[0] = '\0';
  int rc = prescription_parties(cx, prescription_id, &p);
  return rc ? rc : rx_patient_account(cx, p.patient_id, out);
}

double pharmacy_distance_m(double lat1, double lon1, double lat2, double lon2) {
  const double rad = M_PI / 180.0;
  double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
  double a =
      sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
  if (a > 1) a = 1;
  return 2 * PH_EARTH_RADIUS_M * asin(sqrt(a));
}

/* "HH:MM" → minutes after midnight, -1 when malformed. */
static int ph_minutes(const char *s) {
  if (!s || strlen(s) != 5 || s[2] != ':') return -1;
  for (int i = 0; i < 5; i++)
    if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
  int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

int pharmacy_open_at(const char *opens, const char *closes, int minute_of_day) {
  int o = ph_minutes(opens), c = ph_minutes(closes);
  if (o < 0 || c < 0) return 0;
  if (o == c) return 1;
  if (o < c) return minute_of_day >= o && minute_of_day < c;
  return minute_of_day >= o || minute_of_day < c;
}

int pharmacy_of_staff(struct rx_ctx *cx, const char *account_id, char out[LY_ID_MAX]) {
  static const char *sql = "SELECT pharmacy_id FROM pharmacy_staff WHERE account_id = ?1";
  out[0] = '\0';
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, account_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) snprintf(out, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->rec.db, rc);
}

int pharmacy_staff_accounts(struct rx_ctx *cx, const char *pharmacy_id, char (*out)[LY_ID_MAX], size_t max,
                            size_t *n) {
  static const char *sql =
      "SELECT s.account_id FROM pharmacy_staff s JOIN accounts a ON a.id = s.account_id WHERE s.pharmacy_id "
      "= "
      "?1 AND a.disabled = 0 ORDER BY s.account_id";
  *n = 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pharmacy_id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
    snprintf(out[(*n)++], LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* ---- search ----------------------------------------------------------------------- */

struct ph_cand {
  char id[LY_ID_MAX];
  char name[128], name_en[128], chain[64], address[256], phone[32], opens[8], closes[8];
  double lat, lon, dist;
  int delivers;
  int full;      /* every item in stock */
  unsigned have; /* bit i: item i in stock */
};

struct ph_search {
  struct rx_rec p;
  char subdistrict[LY_ID_MAX];
  double lat, lon;
  size_t n, cap;
  struct ph_cand *c;
};

static int ph_patient_home(struct rx_ctx *cx, struct ph_search *s) {
  static const char *sql = "SELECT subdistrict_id, lat, lon FROM patients WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, s->p.patient_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(s->subdistrict, sizeof s->subdistrict, "%s", ly_db_col_text(st, 0));
    s->lat = sqlite3_column_double(st, 1);
    s->lon = sqlite3_column_double(st, 2);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->rec.db, rc);
}

static void ph_cand_row(sqlite3_stmt *st, struct ph_cand *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->id, sizeof c->id, "%s", ly_db_col_text(st, 0));
  snprintf(c->name, sizeof c->name, "%s", ly_db_col_text(st, 1));
  snprintf(c->name_en, sizeof c->name_en, "%s", ly_db_col_text(st, 2));
  snprintf(c->chain, sizeof c->chain, "%s", ly_db_col_text(st, 3));
  snprintf(c->address, sizeof c->address, "%s", ly_db_col_text(st, 4));
  snprintf(c->phone, sizeof c->phone, "%s", ly_db_col_text(st, 5));
  c->lat = sqlite3_column_double(st, 6);
  c->lon = sqlite3_column_double(st, 7);
  snprintf(c->opens, sizeof c->opens, "%s", ly_db_col_text(st, 8));
  snprintf(c->closes, sizeof c->closes, "%s", ly_db_col_text(st, 9));
  c->delivers = sqlite3_column_int(st, 10);
}

/* Candidates in id order: every pharmacy (pickup) or those delivering to the subdistrict. */
static int ph_candidates(struct rx_ctx *cx, struct ph_search *s, int delivery) {
  static const char *sql =
      "SELECT p.id, p.name, p.name_en, p.chain, p.address, p.phone, p.lat, p.lon, p.opens, p.closes, "
      "p.delivers "
      "FROM pharmacies p WHERE ?1 = 0 OR (p.delivers = 1 AND EXISTS (SELECT 1 FROM pharmacy_delivery_areas a "
      "WHERE a.pharmacy_id = p.id AND a.subdistrict_id = ?2)) ORDER BY p.id LIMIT ?3";
  s->cap = 512;
  if (!(s->c = malloc(s->cap * sizeof *s->c))) return LY_ENOMEM;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_int(st, 1, delivery);
  ly_db_bind_text(st, 2, s->subdistrict);
  ly_db_bind_int(st, 3, PH_SCAN_MAX);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (s->n == s->cap) {
      struct ph_cand *bigger = realloc(s->c, 2 * s->cap * sizeof *s->c);
      if (!bigger) {
        sqlite3_reset(st);
        return LY_ENOMEM;
      }
      s->c = bigger;
      s->cap *= 2;
    }
    ph_cand_row(st, &s->c[s->n++]);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int ph_cmp_id(const void *key, const void *elem) {
  return strcmp(key, ((const struct ph_cand *)elem)->id);
}

/* Mark, for each prescription line, the candidates holding enough of it. */
static int ph_mark_stock(struct rx_ctx *cx, struct ph_search *s) {
  static const char *sql = "SELECT pharmacy_id FROM pharmacy_stock WHERE drug_id = ?1 AND quantity >= ?2";
  for (size_t i = 0; i < s->p.nitems; i++) {
    sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, s->p.items[i].drug_id);
    ly_db_bind_int(st, 2, s->p.items[i].quantity);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      struct ph_cand *c = bsearch(ly_db_col_text(st, 0), s->c, s->n, sizeof *s->c, ph_cmp_id);
      if (c) c->have |= 1u << i;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  }
  return 0;
}

static unsigned ph_all_mask(const struct ph_search *s) {
  return s->p.nitems >= 32 ? ~0u : (1u << s->p.nitems) - 1;
}

/* Every item in stock first, then nearest. */
static int ph_cmp_near(const void *a, const void *b) {
  const struct ph_cand *x = a, *y = b;
  if (x->full != y->full) return y->full - x->full;
  if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
  return strcmp(x->id, y->id);
}

static json_t *ph_cand_json(const struct ph_search *s, const struct ph_cand *c, int minute) {
  json_t *missing = json_array();
  for (size_t i = 0; missing && i < s->p.nitems; i++)
    if (!(c->have & (1u << i))) json_array_append_new(missing, json_string(s->p.items[i].drug_id));
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:I, s:s, s:s, s:b, s:b, s:b, s:o}", "id", c->id,
                   "name", c->name, "name_en", c->name_en, "chain", c->chain, "address", c->address, "phone",
                   c->phone, "lat", c->lat, "lon", c->lon, "distance_m", (json_int_t)llround(c->dist),
                   "opens", c->opens, "closes", c->closes, "open_now",
                   pharmacy_open_at(c->opens, c->closes, minute), "delivers", c->delivers, "in_stock",
                   c->full, "missing", missing);
}

static int ph_search_json(struct rx_ctx *cx, struct ph_search *s, const struct pharmacy_search_in *in,
                          int delivery, json_t **out) {
  unsigned all = ph_all_mask(s);
  for (size_t i = 0; i < s->n; i++) {
    s->c[i].dist = pharmacy_distance_m(s->lat, s->lon, s->c[i].lat, s->c[i].lon);
    s->c[i].full = (s->c[i].have & all) == all;
  }
  qsort(s->c, s->n, sizeof *s->c, ph_cmp_near);
  int64_t local = ly_now_ms(cx->rec.clock) + cx->utc_offset_ms;
  int minute = (int)(((local % PH_DAY_MS) + PH_DAY_MS) % PH_DAY_MS / 60000);
  int limit = in->limit > 0 ? in->limit : PHARMACY_SEARCH_DEFAULT;
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < s->n && (int)json_array_size(arr) < limit; i++) {
    if (!delivery && !s->c[i].full) continue;
    json_array_append_new(arr, ph_cand_json(s, &s->c[i], minute));
  }
  *out = json_pack("{s:s, s:s, s:{s:f, s:f}, s:o}", "mode", in->mode, "prescription_id", s->p.id, "from",
                   "lat", s->lat, "lon", s->lon, "pharmacies", arr);
  return *out ? 0 : LY_ENOMEM;
}

static int ph_search_input(const struct pharmacy_search_in *in, int *delivery, struct ly_error *e) {
  if (!in->mode || (strcmp(in->mode, "pickup") && strcmp(in->mode, "delivery")))
    return ly_error_set(e, LY_EINVAL, "rx.mode_invalid", "Choose pickup or delivery.",
                        "请选择到店自取或配送。");
  *delivery = strcmp(in->mode, "delivery") == 0;
  if (in->limit < 0 || in->limit > PHARMACY_SEARCH_MAX)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "limit must be 1-50.", "limit 须为 1-50。");
  if (in->has_point &&
      (!isfinite(in->lat) || !isfinite(in->lon) || fabs(in->lat) > 90 || fabs(in->lon) > 180))
    return ly_error_set(e, LY_EINVAL, "rx.point_invalid", "The position is not a valid latitude/longitude.",
                        "位置坐标无效。");
  return 0;
}

int ph_patient_owns(struct rx_ctx *cx, const struct records_actor *who, const struct rx_rec *p,
                    struct ly_error *e) {
  char account[LY_ID_MAX];
  int rc = rx_patient_account(cx, p->patient_id, account);
  if (rc) return rc;
  if (!records_is(who, "patient") || strcmp(account, who->id) != 0) return ph_not_found(e);
  return 0;
}

static int ph_search_tx(struct rx_ctx *cx, const struct records_actor *who,
                        const struct pharmacy_search_in *in, struct ph_search *s, json_t **out,
                        struct ly_error *e) {
  int delivery = 0;
  int rc = ph_search_input(in, &delivery, e);
  if (rc == 0) rc = rx_load(cx, in->prescription_id ? in->prescription_id : "", &s->p, e);
  if (rc == 0) rc = ph_patient_owns(cx, who, &s->p, e);
  if (rc) return rc;
  if (strcmp(s->p.state, "ready") != 0)
    return ly_error_set(e, LY_ESTATE, "rx.not_ready", "This prescription is not waiting for a pharmacy.",
                        "该处方当前不可选择药店。");
  if ((rc = ph_patient_home(cx, s))) return rc;
  if (in->has_point) {
    s->lat = in->lat;
    s->lon = in->lon;
  }
  if ((rc = ph_candidates(cx, s, delivery)) || (rc = ph_mark_stock(cx, s))) return rc;
  if ((rc = ph_search_json(cx, s, in, delivery, out))) return rc;
  return records_audit(&cx->rec, who, "rx.pharmacy_search", s->p.patient_id, "prescription", s->p.id, "ok",
                       NULL);
}

int pharmacy_search(struct rx_ctx *cx, const struct records_actor *who, const struct pharmacy_search_in *in,
                    json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  struct ph_search *s = calloc(1, sizeof *s);
  if (!s) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, ph_search_tx(cx, who, in, s, out, e));
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  free(s->c);
  free(s);
  return records_done(e, rc);
}

/* server/demo_pharmacies.c — the 285 pharmacies, where they deliver, the
 * staff logins of the first 20, and every pharmacy's stock.
 *
 * Recipe (server/demo/data/README.md): chain c's store k stands on street
 * (c*7 + k*3) mod n; independents stand on the streets of their own
 * subdistrict in turn. About a third deliver: the issue asks for that, so a
 * store of a delivering chain offers delivery with probability 0.35 (its
 * first store always), independents as flagged. A delivering pharmacy
 * serves its own subdistrict and the neighbouring ones (centres within
 * PH_NEIGHBOUR_KM). pharmacy index 0 — 海王星辰（坪山大道店）in 坪山 —
 * delivers and is the one `pharmacy1` works at.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "server/demo.h"
#include "server/demo_internal.h"

#define PH_MAX_CHAINS   32
#define PH_NEIGHBOUR_KM 6.5
#define PH_DELIVER_PM   350 /* permille of a delivering chain's stores that deliver */

struct ph_row {
  char name[DEMO_NAME_MAX * 2];
  char name_en[DEMO_NAME_MAX * 2];
  const char *chain; /* slug or "" */
  int street;
  int delivers;
};

struct ph_chain {
  char id[DEMO_SLUG_MAX];
  char name[DEMO_NAME_MAX];
  char name_en[DEMO_NAME_MAX];
  int stores;
  int delivers;
};

static double ph_km(double lat1, double lon1, double lat2, double lon2) {
  double x = (lon2 - lon1) * cos((lat1 + lat2) * 0.5 * M_PI / 180.0) * 111.32;
  double y = (lat2 - lat1) * 110.57;
  return sqrt(x * x + y * y);
}

static int ph_insert(struct demo_ctx *cx, const struct ph_row *row) {
  static const char *sql =
      "INSERT INTO pharmacies (id, name, name_en, chain, subdistrict_id, address, lat, lon, phone, opens, "
      "closes,"
      " delivers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
  static const char *const hours[][2] = {
      {"08:00", "22:00"}, {"08:30", "21:30"}, {"09:00", "21:00"}, {"00:00", "23:59"}};
  static const int hours_w[] = {60, 20, 12, 8}; /* "00:00"-"23:59": open around the clock */
  const struct demo_plan *p = cx->plan;
  const struct demo_street *s = &p->streets[row->street];
  if (cx->npharmacies >= DEMO_MAX_PHARMACIES) return demo_fail(cx, LY_ETOOBIG, "too many pharmacies");
  struct demo_pharmacy *ph = &cx->pharmacies[cx->npharmacies];
  struct demo_rand r;
  char address[DEMO_NAME_MAX * 2], phone[24];
  demo_rand_init(&r, "pharmacy", (uint64_t)cx->npharmacies);
  int rc = demo_rand_id("ph", "pharmacy", (uint64_t)cx->npharmacies, ph->id, sizeof ph->id);
  if (rc) return demo_fail(cx, rc, "pharmacy id");
  ph->sub = s->sub;
  ph->delivers = row->delivers;
  snprintf(address, sizeof address, "深圳市坪山区%s街道%s%d号", p->subs[s->sub].name, s->name,
           demo_rand_range(&r, 1, 299));
  snprintf(phone, sizeof phone, "0755-2%07d", demo_rand_range(&r, 0, 9999999));
  int h = demo_rand_weighted(&r, hours_w, 4);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare pharmacies");
  ly_db_bind_text(st, 1, ph->id);
  ly_db_bind_text(st, 2, row->name);
  ly_db_bind_text(st, 3, row->name_en);
  ly_db_bind_text(st, 4, row->chain);
  ly_db_bind_text(st, 5, p->subs[s->sub].id);
  ly_db_bind_text(st, 6, address);
  sqlite3_bind_double(st, 7, round((s->lat + demo_rand_real(&r, -0.004, 0.004)) * 1e5) / 1e5);
  sqlite3_bind_double(st, 8, round((s->lon + demo_rand_real(&r, -0.004, 0.004)) * 1e5) / 1e5);
  ly_db_bind_text(st, 9, phone);
  ly_db_bind_text(st, 10, hours[h][0]);
  ly_db_bind_text(st, 11, hours[h][1]);
  ly_db_bind_int(st, 12, row->delivers);
  if ((rc = demo_step(cx, st, "insert pharmacy"))) return rc;
  cx->npharmacies++;
  return LY_OK;
}

static int ph_load_chains(struct demo_ctx *cx, struct ph_chain *chains, int *n) {
  static const char *const cols[] = {"id", "name_zh", "name_en", "stores", "delivers"};
  struct demo_tsv *t = &cx->plan->tsv;
  int c[5], rc;
  int64_t stores, delivers;
  if ((rc = demo_tsv_open(t, ly_demo_files, "pharmacy_chains.tsv")) || (rc = demo_tsv_columns(t, cols, c, 5)))
    return demo_fail_tsv(cx, rc);
  *n = 0;
  while ((rc = demo_tsv_next(t)) == 1) {
    if (*n >= PH_MAX_CHAINS) return demo_fail(cx, LY_ETOOBIG, "pharmacy_chains.tsv: too many rows");
    if ((rc = demo_tsv_int(t, c[3], 0, DEMO_MAX_PHARMACIES, &stores)) ||
        (rc = demo_tsv_int(t, c[4], 0, 1, &delivers)))
      return demo_fail_tsv(cx, rc);
    struct ph_chain *ch = &chains[(*n)++];
    snprintf(ch->id, sizeof ch->id, "%s", demo_tsv_get(t, c[0]));
    snprintf(ch->name, sizeof ch->name, "%s", demo_tsv_get(t, c[1]));
    snprintf(ch->name_en, sizeof ch->name_en, "%s", demo_tsv_get(t, c[2]));
    ch->stores = (int)stores;
    ch->delivers = (int)delivers;
  }
  return rc < 0 ? demo_fail_tsv(cx, rc) : LY_OK;
}

static int ph_chain_stores(struct demo_ctx *cx) {
  static const char *const nth[] = {"", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
  struct ph_chain chains[PH_MAX_CHAINS];
  int nchains = 0, rc, nst = cx->plan->nstreets;
  if ((rc = ph_load_chains(cx, chains, &nchains))) return rc;
  if (nst <= 0) return demo_fail(cx, LY_EPARSE, "street_names.tsv is empty");
  for (int ci = 0; ci < nchains; ci++) {
    int on_street[DEMO_MAX_STREETS] = {0};
    for (int k = 0; k < chains[ci].stores; k++) {
      struct ph_row row = {.chain = chains[ci].id, .street = (ci * 7 + k * 3) % nst};
      const struct demo_street *s = &cx->plan->streets[row.street];
      int dup = on_street[row.street]++;
      struct demo_rand r;
      demo_rand_init(&r, "pharmacy.delivers", (uint64_t)cx->npharmacies);
      row.delivers = chains[ci].delivers && (k == 0 || demo_rand_chance(&r, PH_DELIVER_PM));
      snprintf(row.name, sizeof row.name, "%s（%s%s店）", chains[ci].name, s->name, nth[dup < 10 ? dup : 9]);
      if (dup)
        snprintf(row.name_en, sizeof row.name_en, "%s (%s Branch %d)", chains[ci].name_en, s->name_en,
                 dup + 1);
      else
        snprintf(row.name_en, sizeof row.name_en, "%s (%s Branch)", chains[ci].name_en, s->name_en);
      if ((rc = ph_insert(cx, &row))) return rc;
    }
  }
  return LY_OK;
}

static int ph_independents(struct demo_ctx *cx) {
  static const char *const cols[] = {"id", "name_zh", "name_en", "subdistrict_id", "delivers"};
  struct demo_tsv *t = &cx->plan->tsv;
  int c[5], rc, turns[DEMO_MAX_SUBS] = {0};
  int64_t delivers;
  if ((rc = demo_tsv_open(t, ly_demo_files, "pharmacy_independents.tsv")) ||
      (rc = demo_tsv_columns(t, cols, c, 5)))
    return demo_fail_tsv(cx, rc);
  while ((rc = demo_tsv_next(t)) == 1) {
    int sub = demo_plan_sub(cx->plan, demo_tsv_get(t, c[3]));
    if ((rc = demo_tsv_int(t, c[4], 0, 1, &delivers))) return demo_fail_tsv(cx, rc);
    int street = sub < 0 ? -1 : demo_plan_street(cx->plan, sub, turns[sub]++);
    if (street < 0)
      return demo_fail(cx, LY_EPARSE, "pharmacy_independents.tsv:%d: no street in its subdistrict", t->line);
    struct ph_row row = {.chain = "", .street = street, .delivers = (int)delivers};
    snprintf(row.name, sizeof row.name, "%s", demo_tsv_get(t, c[1]));
    snprintf(row.name_en, sizeof row.name_en, "%s", demo_tsv_get(t, c[2]));
    if ((rc = ph_insert(cx, &row))) return rc;
  }
  return rc < 0 ? demo_fail_tsv(cx, rc) : LY_OK;
}

static int ph_delivery_areas(struct demo_ctx *cx) {
  static const char *sql =
      "INSERT INTO pharmacy_delivery_areas (pharmacy_id, subdistrict_id) VALUES (?1, ?2)";
  const struct demo_plan *p = cx->plan;
  for (int i = 0; i < cx->npharmacies; i++) {
    const struct demo_pharmacy *ph = &cx->pharmacies[i];
    if (!ph->delivers) continue;
    const struct demo_sub *own = &p->subs[ph->sub];
    for (int s = 0; s < p->nsubs; s++) {
      if (s != ph->sub && ph_km(own->lat, own->lon, p->subs[s].lat, p->subs[s].lon) > PH_NEIGHBOUR_KM)
        continue;
      sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
      if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare pharmacy_delivery_areas");
      ly_db_bind_text(st, 1, ph->id);
      ly_db_bind_text(st, 2, p->subs[s].id);
      int rc = demo_step(cx, st, "insert delivery area");
      if (rc) return rc;
    }
  }
  return LY_OK;
}

static int ph_staff(struct demo_ctx *cx) {
  static const char *sql = "INSERT INTO pharmacy_staff (account_id, pharmacy_id) VALUES (?1, ?2)";
  for (int i = 0; i < DEMO_STAFF_LOGINS && i < cx->npharmacies; i++) {
    const struct demo_person *x = &cx->plan->staff[i];
    int rc = demo_account_insert(cx, x);
    if (rc) return rc;
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare pharmacy_staff");
    ly_db_bind_text(st, 1, x->account_id);
    ly_db_bind_text(st, 2, cx->pharmacies[i].id);
    if ((rc = demo_step(cx, st, "insert pharmacy staff"))) return rc;
  }
  return LY_OK;
}

/* Packs of drug d at pharmacy i, or -1 when the pharmacy does not carry it.
 * Controlled drugs only at a few licensed pharmacies (narcotic, class I
 * psychotropic and toxic at 3, class II psychotropic and precursors at 10,
 * radioactive nowhere); the first 20 carry every chronic-use drug. */
static int ph_quantity(int i, const struct demo_drug *d, struct demo_rand *r) {
  const char *k = d->controlled;
  if (!strcmp(k, "radioactive")) return -1;
  if (!strcmp(k, "narcotic") || !strcmp(k, "psychotropic_1") || !strcmp(k, "toxic"))
    return i % 95 == 7 ? demo_rand_range(r, 1, 10) : -1;
  if (strcmp(k, "none")) return i % 30 == 7 ? demo_rand_range(r, 1, 20) : -1;
  if (d->chronic_use && i < DEMO_STAFF_LOGINS) return demo_rand_range(r, 20, 150);
  int pm = d->chronic_use ? 920 : d->tcm ? 800 : 650;
  if (!strcmp(d->form, "injection")) pm = d->chronic_use ? 600 : 150;
  if (!demo_rand_chance(r, pm)) return -1;
  return demo_rand_chance(r, 50) ? 0 : demo_rand_range(r, 1, 120);
}

static int ph_stock(struct demo_ctx *cx) {
  static const char *sql =
      "INSERT INTO pharmacy_stock (pharmacy_id, drug_id, quantity, updated_at) VALUES (?1, ?2, ?3, ?4)";
  for (int i = 0; i < cx->npharmacies; i++)
    for (int j = 0; j < cx->ndrugs; j++) {
      struct demo_rand r;
      demo_rand_init(&r, "stock", (uint64_t)i * 4096 + (uint64_t)j);
      int q = ph_quantity(i, &cx->drugs[j], &r);
      if (q < 0) continue;
      sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
      if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare pharmacy_stock");
      ly_db_bind_text(st, 1, cx->pharmacies[i].id);
      ly_db_bind_text(st, 2, cx->drugs[j].id);
      ly_db_bind_int(st, 3, q);
      ly_db_bind_int(st, 4, cx->now);
      int rc = demo_step(cx, st, "insert stock");
      if (rc) return rc;
    }
  return LY_OK;
}

int demo_pharmacies_write(struct demo_ctx *cx) {
  int rc;
  if ((rc = ph_chain_stores(cx)) || (rc = ph_independents(cx)) || (rc = ph_delivery_areas(cx)) ||
      (rc = ph_staff(cx)) || (rc = ph_stock(cx)))
    return rc;
  return LY_OK;
}

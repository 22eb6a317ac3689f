/* server/demo_places.c — subdistricts, hospitals and community centres, and
 * their departments, written from the plan (ids are the data's slugs:
 * places are public reference data, not handed out as secrets).
 */
#include "core/db.h"
#include "core/err.h"
#include "server/demo_internal.h"

static int places_subdistricts(struct demo_ctx *cx) {
  static const char *sql =
      "INSERT INTO subdistricts (id, name, name_en, lat, lon) VALUES (?1, ?2, ?3, ?4, ?5)";
  const struct demo_plan *p = cx->plan;
  for (int i = 0; i < p->nsubs; i++) {
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare subdistricts");
    ly_db_bind_text(st, 1, p->subs[i].id);
    ly_db_bind_text(st, 2, p->subs[i].name);
    ly_db_bind_text(st, 3, p->subs[i].name_en);
    sqlite3_bind_double(st, 4, p->subs[i].lat);
    sqlite3_bind_double(st, 5, p->subs[i].lon);
    int rc = demo_step(cx, st, "insert subdistrict");
    if (rc) return rc;
  }
  return LY_OK;
}

static int places_facilities(struct demo_ctx *cx) {
  static const char *sql =
      "INSERT INTO facilities (id, kind, level, name, name_en, subdistrict_id, address, lat, lon, designated)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)";
  const struct demo_plan *p = cx->plan;
  for (int i = 0; i < p->nfacs; i++) {
    const struct demo_fac *f = &p->facs[i];
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare facilities");
    ly_db_bind_text(st, 1, f->id);
    ly_db_bind_text(st, 2, f->hospital ? "hospital" : "community_centre");
    ly_db_bind_text(st, 3, f->level);
    ly_db_bind_text(st, 4, f->name);
    ly_db_bind_text(st, 5, f->name_en);
    ly_db_bind_text(st, 6, p->subs[f->sub].id);
    ly_db_bind_text(st, 7, f->address);
    sqlite3_bind_double(st, 8, f->lat);
    sqlite3_bind_double(st, 9, f->lon);
    int rc = demo_step(cx, st, "insert facility");
    if (rc) return rc;
  }
  return LY_OK;
}

static int places_departments(struct demo_ctx *cx) {
  static const char *sql =
      "INSERT INTO departments (id, facility_id, name, name_en, specialty) VALUES (?1, ?2, ?3, ?4, ?5)";
  const struct demo_plan *p = cx->plan;
  for (int i = 0; i < p->ndepts; i++) {
    const struct demo_dept *d = &p->depts[i];
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare departments");
    ly_db_bind_text(st, 1, d->id);
    ly_db_bind_text(st, 2, p->facs[d->fac].id);
    ly_db_bind_text(st, 3, d->name);
    ly_db_bind_text(st, 4, d->name_en);
    ly_db_bind_text(st, 5, d->specialty);
    int rc = demo_step(cx, st, "insert department");
    if (rc) return rc;
  }
  return LY_OK;
}

int demo_places_write(struct demo_ctx *cx) {
  int rc;
  if ((rc = places_subdistricts(cx)) || (rc = places_facilities(cx)) || (rc = places_departments(cx)))
    return rc;
  return LY_OK;
}

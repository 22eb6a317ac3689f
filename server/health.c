/* server/health.c — GET /healthz: is the process serving and the database
 * answering? 200 {"status":"ok","db":"ok","uptime_s":N}, or 503 with
 * "db":"error" when the ping fails (load balancers take the node out). */
#include "core/db.h"
#include "server/handlers.h"
#include "server/server.h"

int h_healthz(struct ly_req *req, struct ly_resp *resp) {
  struct ly_server *srv = req->srv;
  int64_t up = (ly_mono_ms(srv->clock) - srv->started_mono_ms) / 1000;
  int ok = srv->db != NULL && ly_db_ping(srv->db) == 0;

  return ly_resp_json(resp, ok ? 200 : 503,
                      json_pack("{s:s, s:s, s:I}", "status", ok ? "ok" : "unavailable", "db",
                                ok ? "ok" : "error", "uptime_s", (json_int_t)up));
}

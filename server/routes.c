/* server/routes.c — every REST route: method, pattern, handler, roles, name.
 *
 * The name is the route's label in metrics and logs. Literal segments win
 * over {params} wherever they appear (router.c), so order does not matter;
 * keep the table grouped by resource.
 */
#include "server/handlers.h"
#include "server/http.h"

#define ANY    LY_ROLE_ANY
#define PUBLIC LY_ROUTE_PUBLIC

const struct ly_route ly_routes[] = {
    /* operations */
    {LY_GET, "/healthz", h_healthz, 0, PUBLIC, "healthz"},
    {LY_GET, "/metrics", h_metrics, 0, PUBLIC, "metrics"},

    /* sessions and the caller's own account */
    {LY_POST, "/api/v1/sessions", h_sessions_create, 0, PUBLIC, "sessions.create"},
    {LY_DELETE, "/api/v1/sessions/current", h_sessions_delete_current, ANY, 0, "sessions.delete_current"},
    {LY_GET, "/api/v1/me", h_me_get, ANY, 0, "me.get"},
    {LY_GET, "/api/v1/me/access-log", h_access_log_get, LY_ROLE_PATIENT, 0, "me.access_log"},

    {0, NULL, NULL, 0, 0, NULL},
};

/* tests/unit/signalling/test_media_glue.c — signalling/ws_media.c and
 * media_glue.c in front of a real relay (one worker on 127.0.0.1), without
 * browsers: Chrome's offer fixture is published, a subscriber is offered it,
 * replies that wait for the relay come once, busy and timed-out requests,
 * leaving and the end of the call close the transports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <poll.h>

#include "../media/sdp_fixtures.h"
#include "fixture.h"
#include "media/media.h"
#include "signalling/booking.h"
#include "signalling/sig_internal.h"

struct glue {
  struct fixture *f;
  struct media *m;
  struct sig_conn pc, dc; /* patient acct_a, doctor doc_a */
  char cid[LY_ID_MAX];
};

static void conn_init(struct glue *g, struct sig_conn *c) {
  memset(c, 0, sizeof(*c));
  c->s = g->f->sig;
  c->counted = 1;
  c->en = 1;
  c->rate_tokens = SIG_RATE_BURST;
  c->rate_at = g->f->clock.mono;
}

/* The oldest reply on c, or NULL (the caller json_decref's it). */
static json_t *take(struct sig_conn *c) {
  struct sig_msg *m = c->rq_head;
  if (m == NULL) return NULL;
  c->rq_head = m->next;
  if (c->rq_head == NULL) c->rq_tail = NULL;
  c->rq_count--;
  json_t *v = json_loadb((const char *)m->buf + SIG_PRE, m->len, 0, NULL);
  free(m);
  return v;
}

/* Handle the relay's events for up to ms, or until c has a reply. */
static json_t *pump(struct glue *g, struct sig_conn *c, int ms) {
  json_t *r = NULL;
  for (int i = 0; i < ms / 10 && (c == NULL || (r = take(c)) == NULL); i++) {
    struct pollfd p = {.fd = media_event_fd(g->m), .events = POLLIN};
    poll(&p, 1, 10);
    sig_media_events(g->f->sig);
  }
  return r;
}

static void send_msg(struct glue *g, struct sig_conn *c, const char *type, const char *extra) {
  char msg[8192];
  c->rate_tokens = SIG_RATE_BURST;
  int n = snprintf(msg, sizeof msg, "{\"id\":\"%s\",\"type\":\"%s\",\"data\":{\"consultation_id\":\"%s\"%s}}",
                   type, type, g->cid, extra);
  dispatch_message(g->f->sig, c, msg, (size_t)n);
}

/* Send and wait for the reply; "" = must succeed, else the error code. */
static json_t *expect(struct glue *g, struct sig_conn *c, const char *type, const char *extra,
                      const char *code) {
  send_msg(g, c, type, extra);
  json_t *r = pump(g, c, 2000);
  assert_non_null(r);
  assert_string_equal(json_string_value(json_object_get(r, "id")), type);
  const char *got = json_string_value(json_object_get(json_object_get(r, "error"), "code"));
  if (code[0] == '\0' && got != NULL) fail_msg("%s: %s", type, got);
  if (code[0] != '\0') assert_string_equal(got ? got : "(ok)", code);
  return r;
}

static void expect_ok(struct glue *g, struct sig_conn *c, const char *type, const char *extra,
                      const char *code) {
  json_decref(expect(g, c, type, extra, code));
}

/* Events of a type in p's ring since seq `from`. */
static int events(struct sig_peer *p, const char *type, uint32_t from) {
  int n = 0;
  for (uint32_t q = from; p->ring != NULL && q < p->next_seq; q++) {
    if (q < p->ring->lo) continue;
    struct sig_msg *m = p->ring->slot[q % SIG_RING_CAP];
    json_t *v = json_loadb((const char *)m->buf + SIG_PRE, m->len, 0, NULL);
    n += strcmp(json_string_value(json_object_get(v, "type")), type) == 0;
    json_decref(v);
  }
  return n;
}

/* The JSON text of an SDP for a message's extra fields. */
static char *sdp_field(const char *sdp) {
  json_t *s = json_string(sdp);
  char *text = json_dumps(s, JSON_ENCODE_ANY);
  json_decref(s);
  char *out = malloc(strlen(text) + 16);
  snprintf(out, strlen(text) + 16, ",\"sdp\":%s", text);
  free(text);
  return out;
}

static int setup(void **state) {
  struct glue *g = calloc(1, sizeof *g);
  struct ly_error e;
  struct consult_row row;
  g->f = fx_open(1);
  struct media_config mc = {.workers = 1, .listen_ip = "127.0.0.1"};
  assert_int_equal(media_start(&mc, &g->m), 0);
  g->f->sig->host.media = g->m; /* fx_open made it without a relay */
  struct consult_actor pa = {"acct_a", "patient", "pat_a"};
  struct booking_request br = {.doctor_id = "doc_a", .icd10 = "I10"};
  assert_int_equal(booking_create(g->f->db, &g->f->clock.clock, NULL, &pa, &br, &row, &e), 0);
  snprintf(g->cid, sizeof g->cid, "%s", row.id);
  conn_init(g, &g->pc);
  conn_init(g, &g->dc);
  static const char auth_a[] = "{\"id\":\"1\",\"type\":\"auth\",\"data\":{\"token\":\"tok-a\"}}";
  static const char auth_d[] = "{\"id\":\"1\",\"type\":\"auth\",\"data\":{\"token\":\"tok-doc\"}}";
  dispatch_message(g->f->sig, &g->pc, auth_a, strlen(auth_a));
  dispatch_message(g->f->sig, &g->dc, auth_d, strlen(auth_d));
  json_decref(take(&g->pc));
  json_decref(take(&g->dc));
  /* before joining: not in the room */
  expect_ok(g, &g->pc, "media.subscribe", "", "room.not_joined");
  expect_ok(g, &g->dc, "doctor.verify", ",\"password\":\"secret\"", "");
  expect_ok(g, &g->pc, "queue.check_in", "", "");
  expect_ok(g, &g->dc, "call.patient", "", "");
  expect_ok(g, &g->pc, "room.join", "", "");
  *state = g;
  return 0;
}

static int teardown(void **state) {
  struct glue *g = *state;
  while (take(&g->pc) || take(&g->dc)) {
  }
  fx_close(g->f); /* sig_destroy frees the glue's state */
  media_stop(g->m);
  free(g);
  return 0;
}

/* The doctor subscribes, the patient publishes Chrome's offer: the relay
 * answers it, and the doctor is offered the patient's two streams. */
static void publish_and_offer(void **state) {
  struct glue *g = *state;
  struct sig_peer *doc = g->dc.peer;
  uint32_t from = doc->next_seq;
  expect_ok(g, &g->dc, "media.subscribe", "", "");
  pump(g, NULL, 200); /* nobody publishes yet: no offer */
  assert_int_equal(events(doc, "media.offer", from), 0);
  char *sdp = sdp_field(CHROME_OFFER);
  json_t *r = expect(g, &g->pc, "media.offer", sdp, "");
  const char *answer = json_string_value(json_object_get(json_object_get(r, "data"), "sdp"));
  assert_non_null(strstr(answer, "a=ice-lite"));
  assert_non_null(strstr(answer, "a=setup:passive"));
  json_decref(r);
  pump(g, NULL, 300);
  assert_int_equal(events(doc, "media.offer", from), 1);
  assert_true(events(doc, "media.state", from) >= 2); /* both transports connecting */
  /* a second offer while one waits: busy; the first still gets its one reply */
  send_msg(g, &g->pc, "media.offer", sdp);
  send_msg(g, &g->pc, "media.offer", sdp);
  json_t *busy = take(&g->pc);
  assert_string_equal(json_string_value(json_object_get(json_object_get(busy, "error"), "code")),
                      "media.busy");
  json_decref(busy);
  json_decref(pump(g, &g->pc, 2000));
  assert_null(pump(g, &g->pc, 100));
  free(sdp);
  /* a malformed answer is the relay's to refuse; an answer with no offer is ours */
  char *bad = sdp_field("v=0\r\n");
  expect_ok(g, &g->dc, "media.answer", bad, "media.sdp_malformed");
  expect_ok(g, &g->pc, "media.answer", bad, "media.no_offer");
  free(bad);
  /* stats: the relay's counters for the patient's one transport */
  r = expect(g, &g->pc, "media.stats", "", "");
  json_t *list = json_object_get(json_object_get(r, "data"), "transports");
  assert_int_equal(json_array_size(list), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "direction")), "send");
  json_decref(r);
  expect_ok(g, &g->pc, "media.mute", ",\"kind\":\"video\",\"muted\":true", "");
  assert_true(events(doc, "media.muted", from) == 1);
  expect_ok(g, &g->pc, "media.mute", ",\"kind\":\"sound\",\"muted\":true", "request.invalid_field");
}

/* A request the relay never answers in time gets media.timeout, once. */
static void timeout_once(void **state) {
  struct glue *g = *state;
  char *sdp = sdp_field(CHROME_OFFER);
  send_msg(g, &g->pc, "media.offer", sdp);
  free(sdp);
  assert_null(take(&g->pc)); /* waiting for the relay: not pumped */
  g->f->clock.mono += 11000;
  media_glue_sweep(g->f->sig, g->f->clock.mono);
  json_t *r = take(&g->pc);
  assert_non_null(r);
  assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
                      "media.timeout");
  json_decref(r);
  assert_null(pump(g, &g->pc, 300)); /* the relay's late answer is not a second reply */
}

/* Leaving closes one's transports and tells the room; the end closes the rest. */
static void leave_and_end(void **state) {
  struct glue *g = *state;
  struct sig_peer *doc = g->dc.peer;
  char *sdp = sdp_field(CHROME_OFFER);
  expect_ok(g, &g->dc, "media.subscribe", "", "");
  expect_ok(g, &g->pc, "media.subscribe", "", "");
  json_decref(expect(g, &g->pc, "media.offer", sdp, ""));
  json_decref(expect(g, &g->dc, "media.offer", sdp, ""));
  free(sdp);
  pump(g, NULL, 300);
  struct media_metrics mm;
  media_metrics(g->m, &mm);
  assert_int_equal(mm.transports, 4);
  uint32_t from = doc->next_seq;
  expect_ok(g, &g->pc, "room.leave", "", "");
  assert_int_equal(events(doc, "media.state", from), 2); /* the patient's send and recv: closed */
  assert_null(media_glue_part(g->f->sig, g->pc.peer, g->cid, 0));
  pump(g, NULL, 300);
  media_metrics(g->m, &mm);
  assert_int_equal(mm.transports, 2);
  expect_ok(g, &g->pc, "media.stats", "", "room.not_joined");
  expect_ok(g, &g->pc, "room.join", "", "");
  expect_ok(g, &g->dc, "call.end", "", "");
  assert_null(g->f->sig->media_parts);
  pump(g, NULL, 300);
  media_metrics(g->m, &mm);
  assert_int_equal(mm.transports, 0);
  assert_int_equal(mm.rooms, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(publish_and_offer, setup, teardown),
      cmocka_unit_test_setup_teardown(timeout_once, setup, teardown),
      cmocka_unit_test_setup_teardown(leave_and_end, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

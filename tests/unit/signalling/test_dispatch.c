/* tests/unit/signalling/test_dispatch.c — signalling/dispatch.c and the
 * handlers, driven without sockets: a struct sig_conn with no wsi keeps its
 * replies queued, and each participant's events stay in its ring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include "signalling/booking.h"
#include "signalling/sig_internal.h"

static int setup(void **state) {
  *state = fx_open(1);
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static void conn_init(struct fixture *f, struct sig_conn *c) {
  memset(c, 0, sizeof(*c));
  c->s = f->sig;
  c->counted = 1;
  c->en = 1;
  c->rate_tokens = SIG_RATE_BURST;
  c->rate_at = f->clock.mono;
}

static void send_text(struct fixture *f, struct sig_conn *c, const char *text) {
  dispatch_message(f->sig, c, text, strlen(text));
}

/* Take the oldest queued reply (the caller json_decref's it). */
static json_t *reply(struct sig_conn *c) {
  struct sig_msg *m = c->rq_head;
  assert_non_null(m);
  c->rq_head = m->next;
  if (c->rq_head == NULL) c->rq_tail = NULL;
  c->rq_count--;
  json_t *v = json_loadb((const char *)m->buf + SIG_PRE, m->len, 0, NULL);
  free(m);
  assert_non_null(v);
  return v;
}

static const char *code_of(json_t *r) {
  return json_string_value(json_object_get(json_object_get(r, "error"), "code"));
}

/* Send {id:"1",type,data} and return the reply's error code ("" when ok). */
static void expect(struct fixture *f, struct sig_conn *c, const char *msg, const char *code) {
  send_text(f, c, msg);
  json_t *r = reply(c);
  if (code[0] == '\0') {
    if (!json_is_true(json_object_get(r, "ok"))) fail_msg("%s: %s", msg, code_of(r));
  } else {
    assert_true(json_is_false(json_object_get(r, "ok")));
    assert_string_equal(code_of(r), code);
  }
  json_decref(r);
}

static void drain(struct sig_conn *c) {
  while (c->rq_head != NULL)
    json_decref(reply(c));
}

/* The last event of a type in a participant's ring, or NULL. */
static json_t *last_event(struct sig_peer *p, const char *type) {
  for (uint32_t q = p->next_seq; p->ring != NULL && q-- > p->ring->lo;) {
    struct sig_msg *m = p->ring->slot[q % SIG_RING_CAP];
    json_t *v = json_loadb((const char *)m->buf + SIG_PRE, m->len, 0, NULL);
    if (strcmp(json_string_value(json_object_get(v, "type")), type) == 0) return v;
    json_decref(v);
  }
  return NULL;
}

static void auth_first(void **state) {
  struct fixture *f = *state;
  struct sig_conn c;

  conn_init(f, &c);
  expect(f, &c, "{\"id\":\"1\",\"type\":\"ping\"}", "auth.required");
  assert_int_equal(c.close_code, SIG_CLOSE_AUTH_REQUIRED);
  conn_init(f, &c);
  expect(f, &c, "not json", "request.malformed");
  assert_int_equal(c.close_code, SIG_CLOSE_AUTH_REQUIRED);
  conn_init(f, &c);
  expect(f, &c, "{\"id\":\"1\",\"type\":\"auth\",\"data\":{\"token\":\"stolen\"}}", "auth.required");
  assert_int_equal(c.close_code, SIG_CLOSE_AUTH_FAILED);
  assert_null(c.peer);

  conn_init(f, &c);
  send_text(f, &c, "{\"id\":\"1\",\"type\":\"auth\",\"data\":{\"token\":\"tok-a\"}}");
  json_t *r = reply(&c);
  assert_true(json_is_true(json_object_get(r, "ok")));
  json_t *d = json_object_get(r, "data");
  assert_int_equal(strlen(json_string_value(json_object_get(d, "resume_token"))), SIG_TOKEN_LEN);
  assert_string_equal(json_string_value(json_object_get(json_object_get(d, "account"), "id")), "acct_a");
  json_decref(r);
  assert_non_null(c.peer);
  assert_int_equal(c.close_code, 0);
  expect(f, &c, "{\"id\":\"2\",\"type\":\"auth\",\"data\":{\"token\":\"tok-a\"}}", "auth.already");
  expect(f, &c, "{\"id\":\"3\",\"type\":\"nope\"}", "request.unknown_type");
  expect(f, &c, "{\"id\":\"4\",\"type\":\"call.next\"}", "auth.forbidden");
  expect(f, &c, "{\"id\":\"5\",\"type\":\"media.offer\",\"data\":{\"sdp\":\"v=0\"}}", "media.not_live");
  expect(f, &c, "{\"id\":\"6\",\"type\":\"queue.check_in\",\"data\":{\"consultation_id\":7}}",
         "request.invalid_field");
  expect(f, &c, "{\"id\":\"7\",\"type\":\"ping\"}", "");
  peer_end(f->sig, c.peer, "left");
}

static void rate_limit(void **state) {
  struct fixture *f = *state;
  struct sig_conn c;
  int limited = 0;
  conn_init(f, &c);
  expect(f, &c, "{\"id\":\"1\",\"type\":\"auth\",\"data\":{\"token\":\"tok-b\"}}", "");
  for (int i = 0; i < SIG_RATE_BURST + 10; i++) {
    send_text(f, &c, "{\"id\":\"p\",\"type\":\"ping\"}");
    json_t *r = reply(&c);
    limited += json_is_false(json_object_get(r, "ok"));
    json_decref(r);
  }
  assert_int_equal(limited, 11); /* the auth took one token */
  f->clock.mono += 1000;         /* a second later: SIG_RATE_PER_S more */
  expect(f, &c, "{\"id\":\"1\",\"type\":\"ping\"}", "");
  peer_end(f->sig, c.peer, "left");
}

static void consultation_over_the_socket(void **state) {
  struct fixture *f = *state;
  struct sig_conn pc, dc;
  struct consult_row row;
  struct ly_error e;
  char msg[256];
  struct consult_actor pa = {"acct_a", "patient", "pat_a"};
  struct booking_request br = {.doctor_id = "doc_a", .icd10 = "I10"};
  assert_int_equal(booking_create(f->db, &f->clock.clock, NULL, &pa, &br, &row, &e), 0);

  conn_init(f, &pc);
  conn_init(f, &dc);
  expect(f, &pc, "{\"id\":\"1\",\"type\":\"auth\",\"data\":{\"token\":\"tok-a\"}}", "");
  expect(f, &dc, "{\"id\":\"1\",\"type\":\"auth\",\"data\":{\"token\":\"tok-doc\"}}", "");
  snprintf(msg, sizeof msg,
           "{\"id\":\"2\",\"type\":\"queue.check_in\",\"data\":{\"consultation_id\":\"%s\"}}", row.id);
  send_text(f, &pc, msg);
  json_t *r = reply(&pc);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "data"), "position")), 1);
  json_decref(r);

  expect(f, &dc, "{\"id\":\"2\",\"type\":\"call.next\"}", "consult.doctor_not_verified");
  expect(f, &dc, "{\"id\":\"3\",\"type\":\"doctor.verify\",\"data\":{\"password\":\"guess\"}}",
         "auth.invalid_credentials");
  expect(f, &dc, "{\"id\":\"4\",\"type\":\"doctor.verify\",\"data\":{\"password\":\"secret\"}}", "");
  expect(f, &dc, "{\"id\":\"5\",\"type\":\"presence.set\",\"data\":{\"state\":\"dancing\"}}",
         "request.invalid_field");
  expect(f, &dc, "{\"id\":\"5\",\"type\":\"presence.set\",\"data\":{\"state\":\"online\"}}", "");
  assert_string_equal(sig_presence(f->sig, "doc_a"), "online");
  json_t *pres = last_event(pc.peer, "presence.changed");
  assert_non_null(pres);
  json_decref(pres);
  expect(f, &dc, "{\"id\":\"6\",\"type\":\"call.next\"}", "");
  json_t *ev = last_event(pc.peer, "consultation.state");
  assert_non_null(ev);
  assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "data"), "state")), "called");
  json_decref(ev);
  assert_string_equal(pc.peer->waiting, "");

  snprintf(msg, sizeof msg, "{\"id\":\"7\",\"type\":\"room.join\",\"data\":{\"consultation_id\":\"%s\"}}",
           row.id);
  expect(f, &pc, msg, "");
  assert_int_equal(consult_load(f->db, row.id, &row), 0);
  assert_int_equal(row.state, LC_IN_CALL);
  snprintf(msg, sizeof msg,
           "{\"id\":\"8\",\"type\":\"chat.send\",\"data\":{\"consultation_id\":\"%s\",\"text\":\"hi\"}}",
           row.id);
  expect(f, &pc, msg, "");
  ev = last_event(dc.peer, "chat.message");
  assert_non_null(ev);
  json_decref(ev);

  /* The patient's socket drops; within the window a new one resumes. */
  char tok[SIG_TOKEN_LEN + 1];
  struct sig_peer *p = pc.peer;
  uint32_t seen = p->next_seq - 1;
  peer_token(p, tok);
  peer_detach(f->sig, p);
  pc.peer = NULL;
  snprintf(msg, sizeof msg,
           "{\"id\":\"9\",\"type\":\"chat.send\",\"data\":{\"consultation_id\":\"%s\",\"text\":\"x\"}}",
           row.id);
  expect(f, &dc, msg, "");
  struct sig_conn pc2;
  conn_init(f, &pc2);
  snprintf(
      msg, sizeof msg,
      "{\"id\":\"1\",\"type\":\"auth\",\"data\":{\"token\":\"tok-a\",\"resume\":\"%s\",\"last_seq\":%u}}",
      tok, seen);
  send_text(f, &pc2, msg);
  r = reply(&pc2);
  assert_true(json_is_true(json_object_get(json_object_get(r, "data"), "resumed")));
  json_decref(r);
  assert_ptr_equal(pc2.peer, p);
  assert_int_equal(pc2.send_seq, seen + 1); /* the chat sent while away is replayed */
  assert_true(p->next_seq > seen + 1);

  /* After the window the session ends and the participant leaves the room. */
  peer_detach(f->sig, p);
  pc2.peer = NULL;
  f->clock.mono += 31000;
  peer_sweep(f->sig, f->clock.mono);
  ev = last_event(dc.peer, "room.left");
  assert_non_null(ev);
  assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "data"), "reason")), "timeout");
  json_decref(ev);
  assert_int_equal(peer_find(f->sig, tok, &p), LY_ENOTFOUND);
  drain(&pc);
  drain(&pc2);
  drain(&dc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(auth_first, setup, teardown),
      cmocka_unit_test_setup_teardown(rate_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(consultation_over_the_socket, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* signalling/wire.c — reading messages and writing replies and events.
 *
 *   request  {"id": "7" | 7, "type": "chat.send", "data": {…}}
 *   reply    {"id": "7", "ok": true, "data": {…}}
 *            {"id": "7", "ok": false, "error": {"code", "message"[, "field"]}}
 *   event    {"type": "queue.position", "seq": 12, "data": {…}}   (no id)
 *
 * Every message is parsed with the JSON limits of core/json.h (64 KiB, depth
 * 16). Serialised messages carry SIG_PRE bytes of headroom for lws_write.
 */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "signalling/sig_internal.h"

#define WIRE_ID_MAX   64
#define WIRE_TYPE_MAX 64

static int bad_message(struct ly_error *e) {
  return ly_error_set(e, LY_EINVAL, "request.invalid_message",
                      "A message is a JSON object {\"id\", \"type\", \"data\"}.",
                      "消息须为 JSON 对象 {\"id\", \"type\", \"data\"}。");
}

/* id: a string of 1..64 bytes or an integer. */
static int read_id(json_t *root, json_t **out, struct ly_error *e) {
  json_t *id = json_object_get(root, "id");
  if (id == NULL || json_is_null(id)) {
    ly_error_set(e, LY_EINVAL, "request.missing_field", "Every request needs an \"id\".",
                 "每个请求都需要 \"id\"。");
    snprintf(e->field, sizeof(e->field), "id");
    return LY_EINVAL;
  }
  if (json_is_integer(id) ||
      (json_is_string(id) && json_string_length(id) >= 1 && json_string_length(id) <= WIRE_ID_MAX)) {
    *out = id;
    return 0;
  }
  ly_error_set(e, LY_EINVAL, "request.invalid_field", "\"id\" must be a short string or an integer.",
               "\"id\" 须为较短的字符串或整数。");
  snprintf(e->field, sizeof(e->field), "id");
  return LY_EINVAL;
}

int wire_parse(const char *buf, size_t len, struct wire_in *in, struct ly_error *e) {
  memset(in, 0, sizeof(*in));
  int rc = ly_json_parse(buf, len, SIG_FRAME_MAX, SIG_JSON_DEPTH, &in->root, e);
  if (rc != 0) return rc;
  if (!json_is_object(in->root)) {
    wire_free(in);
    return bad_message(e);
  }
  if ((rc = read_id(in->root, &in->id, e)) != 0) return rc;
  if ((rc = ly_json_get_str(in->root, "type", WIRE_TYPE_MAX, 1, &in->type, e)) != 0) return rc;
  json_t *data = json_object_get(in->root, "data");
  if (data == NULL || json_is_null(data)) {
    data = json_object();
    json_object_set_new(in->root, "data", data);
  } else if (!json_is_object(data)) {
    ly_error_set(e, LY_EINVAL, "request.invalid_field", "\"data\" must be an object.", "\"data\" 须为对象。");
    snprintf(e->field, sizeof(e->field), "data");
    return LY_EINVAL;
  }
  in->data = data;
  return 0;
}

void wire_free(struct wire_in *in) {
  if (in->root != NULL) json_decref(in->root);
  memset(in, 0, sizeof(*in));
}

struct sig_msg *wire_msg(const char *json, size_t len) {
  if (len > UINT32_MAX - SIG_PRE) return NULL;
  struct sig_msg *m = malloc(sizeof(*m) + SIG_PRE + len);
  if (m == NULL) return NULL;
  m->next = NULL;
  m->seq = 0;
  m->len = (uint32_t)len;
  memcpy(m->buf + SIG_PRE, json, len);
  return m;
}

/* Serialise v straight into a new message (two passes: size, then bytes). */
static struct sig_msg *dump(const json_t *v) {
  size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
  if (n == 0 || n > UINT32_MAX - SIG_PRE) return NULL;
  struct sig_msg *m = malloc(sizeof(*m) + SIG_PRE + n);
  if (m == NULL) return NULL;
  m->next = NULL;
  m->seq = 0;
  m->len = (uint32_t)json_dumpb(v, (char *)m->buf + SIG_PRE, n, JSON_COMPACT);
  if (m->len != n) {
    free(m);
    return NULL;
  }
  return m;
}

struct sig_msg *wire_reply_ok(json_t *id, json_t *data) {
  json_t *o = json_object();
  json_object_set(o, "id", id ? id : json_null());
  json_object_set_new(o, "ok", json_true());
  json_object_set_new(o, "data", data ? data : json_object());
  struct sig_msg *m = dump(o);
  json_decref(o);
  return m;
}

struct sig_msg *wire_reply_err(json_t *id, const struct ly_error *e, int en) {
  const char *code = e->code[0] ? e->code : ly_errcode(e->err);
  const char *msg = (!en && e->message_zh[0]) ? e->message_zh : e->message;
  json_t *err = json_pack("{s:s, s:s}", "code", code, "message", msg[0] ? msg : ly_strerror(e->err));
  if (err == NULL) err = json_pack("{s:s, s:s}", "code", code, "message", ly_strerror(e->err));
  if (e->field[0]) json_object_set_new(err, "field", json_string(e->field));
  json_t *o = json_object();
  json_object_set(o, "id", id ? id : json_null());
  json_object_set_new(o, "ok", json_false());
  json_object_set_new(o, "error", err);
  struct sig_msg *m = dump(o);
  json_decref(o);
  return m;
}

struct sig_msg *wire_event(const char *type, uint32_t seq, json_t *data) {
  json_t *o = json_object();
  json_object_set_new(o, "type", json_string(type));
  json_object_set_new(o, "seq", json_integer(seq));
  if (data != NULL)
    json_object_set(o, "data", data);
  else
    json_object_set_new(o, "data", json_object());
  struct sig_msg *m = dump(o);
  json_decref(o);
  if (m != NULL) m->seq = seq;
  return m;
}

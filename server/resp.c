/* server/resp.c — response helpers for handlers and the query string.
 *
 * Error bodies are always {"error":{"code","message"[,"field"][,"position"]}};
 * the message is English when the request asked for it (Accept-Language en)
 * and Chinese otherwise, falling back to English when no Chinese sentence
 * exists.
 */
#include <string.h>

#include "core/err.h"
#include "server/http.h"
#include "server/server_internal.h"

/* Chinese default sentences of the LY_E* codes, for refusals without their own. */
static const struct {
  int err;
  const char *zh;
} default_zh[] = {
    {LY_ENOMEM, "服务器内存不足。"},
    {LY_EINVAL, "请求参数无效。"},
    {LY_ENOTFOUND, "未找到请求的内容。"},
    {LY_EEXIST, "该记录已存在。"},
    {LY_ECONFLICT, "与当前状态冲突。"},
    {LY_EDB, "数据库错误。"},
    {LY_EIO, "输入输出错误。"},
    {LY_ETOOBIG, "请求内容过大。"},
    {LY_EPARSE, "输入格式错误。"},
    {LY_EFORBIDDEN, "无权执行此操作。"},
    {LY_EAUTH, "请先登录，再进行此操作。"},
    {LY_ECRYPTO, "加密处理失败。"},
    {LY_ERATE, "请求过于频繁，请稍后再试。"},
    {LY_ESTATE, "当前状态下不允许此操作。"},
    {LY_EAGAIN, "服务暂时不可用，请稍后再试。"},
    {LY_EDENIED, "因规则限制被拒绝。"},
    {LY_EMETHOD, "不支持该请求方法。"},
    {LY_EINTERNAL, "服务器内部错误。"},
};

static const char *zh_default(int err) {
  for (size_t i = 0; i < sizeof(default_zh) / sizeof(default_zh[0]); i++)
    if (default_zh[i].err == err) return default_zh[i].zh;
  return NULL;
}

int ly_resp_json(struct ly_resp *resp, int status, json_t *json) {
  if (resp->json != NULL && resp->json != json) json_decref(resp->json);
  resp->json = json;
  resp->status = status;
  return 0;
}

int ly_resp_header(struct ly_resp *resp, const char *name, const char *value) {
  size_t used = strlen(resp->headers), nl = strlen(name), vl = strlen(value);

  if (strpbrk(value, "\r\n") != NULL || strpbrk(name, "\r\n: ") != NULL) return LY_EINVAL;
  if (used + nl + 2 + vl + 2 + 1 > sizeof(resp->headers)) return LY_ETOOBIG;
  char *p = resp->headers + used;
  memcpy(p, name, nl);
  memcpy(p + nl, ": ", 2);
  memcpy(p + nl + 2, value, vl);
  memcpy(p + nl + 2 + vl, "\r\n", 3);
  return 0;
}

static int is_en(const struct ly_req *req) {
  return req != NULL && req->lang != NULL && !strcmp(req->lang, "en");
}

int ly_resp_error(struct ly_req *req, struct ly_resp *resp, const struct ly_error *e) {
  int err = e->err ? e->err : LY_EINTERNAL;
  const char *code = e->code[0] ? e->code : ly_errcode(err);
  const char *msg = e->message[0] ? e->message : ly_strerror(err);

  if (!is_en(req)) {
    if (e->message_zh[0])
      msg = e->message_zh;
    else if ((!e->message[0] || !strcmp(e->message, ly_strerror(err))) && zh_default(err) != NULL)
      msg = zh_default(err); /* only the generic English sentence was set */
  }
  json_t *inner = json_pack("{s:s, s:s}", "code", code, "message", msg);
  if (inner != NULL && e->field[0]) json_object_set_new(inner, "field", json_string(e->field));
  if (inner != NULL && err == LY_EPARSE && e->position >= 0)
    json_object_set_new(inner, "position", json_integer(e->position));
  json_t *body = inner ? json_pack("{s:o}", "error", inner) : NULL;
  return ly_resp_json(resp, ly_err_http_status(err), body);
}

int ly_resp_fail_i18n(struct ly_req *req, struct ly_resp *resp, int err, const char *code,
                      const char *message, const char *message_zh) {
  struct ly_error e;

  ly_error_set(&e, err, code, message, message_zh);
  return ly_resp_error(req, resp, &e);
}

int ly_resp_fail(struct ly_req *req, struct ly_resp *resp, int err, const char *code, const char *message) {
  return ly_resp_fail_i18n(req, resp, err, code, message, NULL);
}

/* --- query strings ------------------------------------------------------ */

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decode one byte of s[0..n) at *i ('+' is a space, %XX a byte, a malformed
 * escape stays literal) and advance *i. */
static int decode_byte(const char *s, size_t n, size_t *i) {
  char c = s[*i];
  if (c == '+') {
    (*i)++;
    return ' ';
  }
  if (c == '%' && *i + 2 < n) {
    int h = hexval(s[*i + 1]), l = hexval(s[*i + 2]);
    if (h >= 0 && l >= 0) {
      *i += 3;
      return h * 16 + l;
    }
  }
  (*i)++;
  return (unsigned char)c;
}

/* 1 when the encoded s[0..n) decodes to key. */
static int key_equals(const char *s, size_t n, const char *key) {
  size_t i = 0, k = 0;
  while (i < n) {
    int c = decode_byte(s, n, &i);
    if (key[k] == '\0' || (unsigned char)key[k] != c) return 0;
    k++;
  }
  return key[k] == '\0';
}

int query_decode(const char *s, size_t n, char *out, size_t outsz) {
  size_t i = 0, o = 0;
  while (i < n) {
    int c = decode_byte(s, n, &i);
    if (c == 0) return LY_EPARSE;
    if (o + 1 >= outsz) return LY_ETOOBIG;
    out[o++] = (char)c;
  }
  if (outsz == 0) return LY_ETOOBIG;
  out[o] = '\0';
  return 0;
}

int ly_req_query(const struct ly_req *req, const char *key, char *out, size_t outsz) {
  const char *q = req->query ? req->query : "";

  while (*q) {
    size_t len = strcspn(q, "&;");
    const char *eq = memchr(q, '=', len);
    size_t kl = eq ? (size_t)(eq - q) : len;
    if (key_equals(q, kl, key)) {
      if (eq == NULL) return query_decode("", 0, out, outsz);
      return query_decode(eq + 1, len - kl - 1, out, outsz);
    }
    q += len;
    if (*q) q++;
  }
  return LY_ENOTFOUND;
}

/* Percent-encode s into out at *off: unreserved bytes (RFC 3986 §2.3) stay,
 * every other byte becomes %XX. */
static int encode_into(const char *s, size_t n, char *out, size_t outsz, size_t *off) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '_' || c == '.' || c == '~';
    size_t need = plain ? 1 : 3;
    if (*off + need + 1 > outsz) return LY_ETOOBIG;
    if (plain) {
      out[(*off)++] = (char)c;
    } else {
      out[(*off)++] = '%';
      out[(*off)++] = hex[c >> 4];
      out[(*off)++] = hex[c & 15];
    }
  }
  out[*off] = '\0';
  return 0;
}

int query_append_pair(char *out, size_t outsz, size_t *off, const char *pair) {
  const char *eq = strchr(pair, '=');
  size_t kl = eq ? (size_t)(eq - pair) : strlen(pair);
  int rc;

  if (*off > 0) {
    if (*off + 2 > outsz) return LY_ETOOBIG;
    out[(*off)++] = '&';
    out[*off] = '\0';
  }
  if ((rc = encode_into(pair, kl, out, outsz, off)) != 0) return rc;
  if (eq == NULL) return 0;
  if (*off + 2 > outsz) return LY_ETOOBIG;
  out[(*off)++] = '=';
  out[*off] = '\0';
  return encode_into(eq + 1, strlen(eq + 1), out, outsz, off);
}

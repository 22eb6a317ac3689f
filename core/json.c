/* core/json.c — limited parsing of untrusted JSON and checked field getters. */
#include "core/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

size_t ly_json_depth(const char *buf, size_t len) {
  size_t depth = 0, max = 0;
  int in_str = 0;
  for (size_t i = 0; i < len; i++) {
    char c = buf[i];
    if (in_str) {
      if (c == '\\')
        i++; /* skip the escaped character, whatever it is */
      else if (c == '"')
        in_str = 0;
      continue;
    }
    if (c == '"') {
      in_str = 1;
    } else if (c == '[' || c == '{') {
      if (++depth > max) max = depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return max;
}

int ly_json_parse(const char *buf, size_t len, size_t max_bytes, size_t max_depth, json_t **out,
                  struct ly_error *e) {
  if (!out) return LY_EINVAL;
  *out = NULL;
  if (!buf) return ly_error_set(e, LY_EPARSE, "request.malformed", "empty JSON body", "JSON 内容为空");
  if (max_depth == 0) max_depth = LY_JSON_MAX_DEPTH_DEFAULT;
  if (max_bytes && len > max_bytes)
    return ly_error_setf(e, LY_ETOOBIG, "request.too_large",
                         "JSON of %zu bytes exceeds the limit of %zu bytes", len, max_bytes);
  /* Depth is checked before jansson runs: its recursive descent would
   * otherwise spend stack on a hostile "[[[[…" first. */
  size_t depth = ly_json_depth(buf, len);
  if (depth > max_depth)
    return ly_error_setf(e, LY_ETOOBIG, "request.too_deep", "JSON nested %zu levels deep; the limit is %zu",
                         depth, max_depth);
  json_error_t jerr;
  json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!v) {
    int rc = ly_error_setf(e, LY_EPARSE, "request.malformed", "malformed JSON at line %d, column %d: %s",
                           jerr.line, jerr.column, jerr.text);
    if (e) e->position = (long)jerr.position;
    return rc;
  }
  *out = v;
  return LY_OK;
}

char *ly_json_dump(const json_t *v, size_t *len_out) {
  char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  if (s && len_out) *len_out = strlen(s);
  return s;
}

/* Fill e for a bad field: code request.invalid_field, e->field = key. */
static int json_field_err(struct ly_error *e, const char *key, const char *code, const char *what) {
  if (!e) return LY_EINVAL;
  ly_error_setf(e, LY_EINVAL, code, "field '%s' %s", key, what);
  snprintf(e->field, sizeof e->field, "%s", key);
  return LY_EINVAL;
}

/* The value at key, or NULL when absent or JSON null (both count as missing). */
static int json_lookup(const json_t *obj, const char *key, int required, json_t **v, struct ly_error *e) {
  *v = (obj && json_is_object(obj)) ? json_object_get(obj, key) : NULL;
  if (*v && json_is_null(*v)) *v = NULL;
  if (!*v && required) return json_field_err(e, key, "request.missing_field", "is required");
  return LY_OK;
}

/* RFC 3629 UTF-8: no overlongs, no surrogates, nothing above U+10FFFF, no NUL. */
static int json_utf8_ok(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t k;
    uint32_t cp;
    if (c == 0) return 0;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      k = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      k = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 3, cp = c & 0x07;
    } else {
      return 0;
    }
    if (k >= n - i) return 0; /* truncated sequence */
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (s[i + j] & 0x3F);
    }
    if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    i += k + 1;
  }
  return 1;
}

int ly_json_get_str(const json_t *obj, const char *key, size_t max_len, int required, const char **out,
                    struct ly_error *e) {
  json_t *v;
  int rc = json_lookup(obj, key, required, &v, e);
  if (rc || !v) return rc;
  if (!json_is_string(v)) return json_field_err(e, key, "request.invalid_field", "must be a string");
  size_t n = json_string_length(v);
  const char *s = json_string_value(v);
  if (n == 0) return json_field_err(e, key, "request.invalid_field", "must not be empty");
  if (n > max_len) {
    char what[96];
    snprintf(what, sizeof what, "is longer than %zu bytes", max_len);
    return json_field_err(e, key, "request.invalid_field", what);
  }
  if (!json_utf8_ok((const unsigned char *)s, n))
    return json_field_err(e, key, "request.invalid_field", "is not valid UTF-8 text");
  *out = s;
  return LY_OK;
}

int ly_json_get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int required, int64_t *out,
                    struct ly_error *e) {
  json_t *v;
  int rc = json_lookup(obj, key, required, &v, e);
  if (rc || !v) return rc;
  json_int_t x = json_is_integer(v) ? json_integer_value(v) : 0;
  if (!json_is_integer(v) || x < min || x > max) {
    char what[96];
    snprintf(what, sizeof what, "must be an integer from %" PRId64 " to %" PRId64, min, max);
    return json_field_err(e, key, "request.invalid_field", what);
  }
  *out = (int64_t)x;
  return LY_OK;
}

int ly_json_get_bool(const json_t *obj, const char *key, int required, int *out, struct ly_error *e) {
  json_t *v;
  int rc = json_lookup(obj, key, required, &v, e);
  if (rc || !v) return rc;
  if (!json_is_boolean(v)) return json_field_err(e, key, "request.invalid_field", "must be true or false");
  *out = json_is_true(v);
  return LY_OK;
}

int ly_json_get_array(const json_t *obj, const char *key, size_t max_items, int required, json_t **out,
                      struct ly_error *e) {
  json_t *v;
  int rc = json_lookup(obj, key, required, &v, e);
  if (rc || !v) return rc;
  if (!json_is_array(v)) return json_field_err(e, key, "request.invalid_field", "must be an array");
  if (json_array_size(v) > max_items) {
    char what[96];
    snprintf(what, sizeof what, "has more than %zu items", max_items);
    return json_field_err(e, key, "request.invalid_field", what);
  }
  *out = v;
  return LY_OK;
}

int ly_json_get_object(const json_t *obj, const char *key, int required, json_t **out, struct ly_error *e) {
  json_t *v;
  int rc = json_lookup(obj, key, required, &v, e);
  if (rc || !v) return rc;
  if (!json_is_object(v)) return json_field_err(e, key, "request.invalid_field", "must be an object");
  *out = v;
  return LY_OK;
}

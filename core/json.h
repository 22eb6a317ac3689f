/* core/json.h — JSON over jansson, with limits for untrusted input.
 *
 * ly_json_parse refuses input larger than max_bytes (LY_ETOOBIG) or nested
 * deeper than max_depth (LY_ETOOBIG, checked by a pre-scan before jansson
 * sees the bytes), and reports a syntax fault with its byte position in
 * e->position and a sentence naming line and column (LY_EPARSE).
 * The field getters validate type and length and fill e with code
 * "request.invalid_field" and e->field on failure; returned strings are
 * borrowed from the json_t and live as long as it does.
 */
#ifndef LY_JSON_H
#define LY_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct ly_error;

#define LY_JSON_MAX_DEPTH_DEFAULT 16

/* On success *out is a new reference (caller json_decref's it). */
int ly_json_parse(const char *buf, size_t len, size_t max_bytes, size_t max_depth, json_t **out,
                  struct ly_error *e);
/* Nesting depth of a JSON text without parsing it (strings and escapes skipped). */
size_t ly_json_depth(const char *buf, size_t len);

/* Serialise compactly (JSON_COMPACT, keys in insertion order) into a malloc'd
 * NUL-terminated buffer; caller frees. NULL on allocation failure. */
char *ly_json_dump(const json_t *v, size_t *len_out);

/* Field getters. `required`: a missing field is an error; otherwise *out is
 * left untouched. A JSON null counts as missing. Strings: 1..max_len bytes
 * of valid UTF-8, no NUL. A missing required field is LY_EINVAL with code
 * "request.missing_field". ly_json_parse accepts an object or array at the top
 * level; max_depth 0 means LY_JSON_MAX_DEPTH_DEFAULT, max_bytes 0 no limit. */
int ly_json_get_str(const json_t *obj, const char *key, size_t max_len, int required, const char **out,
                    struct ly_error *e);
int ly_json_get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int required,
                    int64_t *out, struct ly_error *e);
int ly_json_get_bool(const json_t *obj, const char *key, int required, int *out, struct ly_error *e);
/* Array of at most max_items (may be empty); *out borrowed. */
int ly_json_get_array(const json_t *obj, const char *key, size_t max_items, int required,
                      json_t **out, struct ly_error *e);
/* Object; *out borrowed. */
int ly_json_get_object(const json_t *obj, const char *key, int required, json_t **out,
                       struct ly_error *e);

#endif

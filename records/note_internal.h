/* records/note_internal.h — shared between note.c and note_sign.c only. */
#ifndef LY_RECORDS_NOTE_INTERNAL_H
#define LY_RECORDS_NOTE_INTERNAL_H

#include <jansson.h>

struct records_ctx;

/* One note version as note_get's JSON, without auditing (the caller is
 * inside its own audited transaction). LY_ENOTFOUND. */
int note_fetch(const struct records_ctx *cx, const char *note_id, json_t **out);

#endif

/* records/condition.h — the ICD-10 conditions the district codes diagnoses
 * with (table conditions): search for the doctor's diagnosis picker. No
 * patient data: not audited. */
#ifndef LY_RECORDS_CONDITION_H
#define LY_RECORDS_CONDITION_H

#include <jansson.h>

#include "records/records.h"

#define CONDITION_QUERY_MAX 64

/* Conditions matching q (1-64 bytes of text): an ICD-10 code prefix
 * ("I1", "e11") or a part of the Chinese or English name; code matches
 * first, then by code. At most limit (1-100, otherwise 20) rows of
 * {icd10, name, name_en, chronic}. *out is a new reference (the caller
 * json_decref's it); on error *out is NULL and e says why. */
int condition_search(const struct records_ctx *cx, const char *q, int limit, json_t **out,
                     struct ly_error *e);

#endif

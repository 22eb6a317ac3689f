/* server/demo.h — the demo district (`lianyi serve --demo` on an empty data
 * directory): 6 subdistricts of Pingshan, 3 hospitals, 37 community centres,
 * 285 pharmacies, doctors, pharmacists, patients with offline diagnoses, the
 * formulary and the insurance policy, plus fixed logins for trying it out.
 *
 * The data tables live in server/demo/data/ (TSV files) and are compiled into the
 * binary as ly_demo_files[]; the people and places are generated from them
 * deterministically (a fixed seed), so the same build always makes the same
 * district — except for the values that must be random (Ed25519 signing keys,
 * AES-GCM nonces, the password salt).
 */
#ifndef LY_DEMO_H
#define LY_DEMO_H

#include <stdio.h>

#include "core/embed.h"

struct ly_server;

/* Generated from the .tsv files of server/demo/data/ by cmake/embed.cmake. */
extern const struct ly_embedded_file ly_demo_files[];

/* Fill srv->db (migrated, empty) with the demo district in one transaction.
 * Uses srv->clock for "now" (diagnosis dates, ages, coverage year), srv->keys
 * to seal national IDs, phones and doctors' private keys, srv->log for errors.
 * Returns 0, LY_EEXIST when the database already holds a district, or another
 * LY_E* code with the reason logged; on failure nothing is written. */
int demo_seed(struct ly_server *srv);

/* Print the fixed demo logins (username, role, name, password, what they are
 * for) as a table to out. Needs no database: names come from the same
 * deterministic generator. Returns 0 or an LY_E* code. */
int demo_print_logins(FILE *out);

#endif

/* server/billing.h — the billing job: what joins signalling, rx and
 * insurance (DESIGN §3.8, §6; issue 8 "Hooks"). It lives in server/ because
 * it reads several domains; none of them knows it exists.
 *
 * Each run, in bounded batches:
 *  - an ended (or notes_signed) consultation is billed its fee: encounter
 *    "consultation", item from the fee schedule by the doctor's facility
 *    level and title (an online follow-up is priced as the offline visit);
 *    a remote consultation is billed the remote-consultation fee;
 *  - a completed dispense is billed from its receipt (rx/receipt.h): one
 *    drug line per receipt line at the price charged, plus the delivery fee
 *    when it was delivered (never covered);
 *  - a receipt whose dispense was returned, or whose prescription left
 *    `completed`, has its claim reversed (claim_reverse_encounter).
 * The work list is billing_due (core/migrations/0010_billing.sql) and
 * rx_receipts' unbilled index. Settling is one group commit
 * (claim_settle_batch), marking done a second: a crash between the two is
 * harmless, the next run settles the same encounters again and gets the
 * first claims back (settlement is idempotent per encounter). A refusal
 * (no coverage, …) is recorded once by the engine and not retried.
 * The patient is told over WebSocket: "claim.settled" / "claim.reversed".
 */
#ifndef LY_SERVER_BILLING_H
#define LY_SERVER_BILLING_H

#include <stddef.h>
#include <stdint.h>

struct ly_db;
struct ly_clock;
struct ly_keys;
struct ly_logger;
struct ly_server;
struct sig;

#define BILLING_BATCH  32 /* encounters settled per commit */
#define BILLING_ROUNDS 8  /* batches per run at most; the rest waits for the next run */

/* What the job borrows. sig may be NULL (no one is told). */
struct billing_ctx {
  struct ly_db *db;
  const struct ly_clock *clock;
  const struct ly_keys *keys;
  const struct ly_logger *log;
  struct sig *sig;
};

struct billing_stats {
  int settled;  /* claims newly settled */
  int replayed; /* encounters found already settled (a crash before their mark) */
  int rejected; /* refusals recorded (not retried) */
  int reversed; /* claims reversed */
  int failed;   /* attempts that failed and will be retried later */
};

/* One run: up to BILLING_ROUNDS batches of consultations and receipts, then
 * the reversals due. 0, or the database error that stopped it (what was
 * committed before stays; the rest is retried next run). */
int billing_run(const struct billing_ctx *cx, struct billing_stats *out);

/* The periodic job (server/jobs.c): billing_run on the server, logged. */
void billing_tick(struct ly_server *srv);
/* Its interval: --billing-interval-ms. */
int64_t billing_interval_ms(const struct ly_server *srv);

#endif

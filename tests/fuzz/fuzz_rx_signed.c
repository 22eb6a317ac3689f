/* tests/fuzz/fuzz_rx_signed.c — libFuzzer target for the offline verifier of
 * signed documents (records/signature.c signature_verify, and
 * rx/prescription_view.c prescription_verify_file on top of it): the bytes
 * of an exported file, as `lianyi rx verify FILE` reads them.
 *
 * The first input byte picks the trusted key: none, or the key of the seed
 * corpus's demo doctor (so the "given key" branch is reached too).
 * Properties: a valid file names a kind and an id, hands back the parsed
 * document, and that document's canonical text is the signed text itself;
 * the prescription verifier never accepts what the generic one refuses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/ids.h"
#include "records/signature.h"
#include "rx/prescription.h"

/* The signer's public key of the seeds in tests/fuzz/corpus/rx_signed (base64url). */
static const char SEED_PUB[] = "zyuQ9sPIlTy3srC_Ad7hEDSjf8CwJl7WlJMoazR4QJ8";

static void check_valid(const struct signature_info *info) {
  if (!info->kind[0] || !json_is_object(info->document)) __builtin_trap();
  size_t n = 0;
  char *canon = signature_canonical(info->document, &n);
  if (!canon || n == 0 || memchr(canon, '\0', n)) __builtin_trap();
  free(canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t seed_pub[LY_ED25519_PUB_LEN];
  static int have_seed_pub = -1;
  if (have_seed_pub < 0) {
    size_t got = 0;
    have_seed_pub = ly_b64url_decode(SEED_PUB, strlen(SEED_PUB), seed_pub, sizeof seed_pub, &got) == 0 &&
                    got == sizeof seed_pub;
  }
  if (size < 1 || size > SIGNATURE_FILE_MAX) return 0;
  const uint8_t *want = (data[0] & 1) && have_seed_pub ? seed_pub : NULL;
  const char *buf = (const char *)data + 1;
  size_t n = size - 1;

  struct signature_info info;
  struct ly_error e;
  memset(&info, 0, sizeof info);
  int rc = signature_verify(buf, n, want, &info, &e);
  if (rc == 0) check_valid(&info);
  else if (rc != LY_EPARSE && rc != LY_ECRYPTO) __builtin_trap();
  json_decref(info.document);

  char id[LY_ID_MAX];
  int rc2 = prescription_verify_file(buf, n, want, id, &e);
  if (rc2 == 0 && rc != 0) __builtin_trap();
  return 0;
}

/* tests/unit/core/test_crypto.c — core/crypto.c against published vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/crypto.h"
#include "core/err.h"
#include "core/ids.h"

static void unhex(const char *hex, uint8_t *out, size_t n) {
  assert_int_equal(ly_hex_decode(hex, strlen(hex), out, n), LY_OK);
}

static void test_sha256_abc(void **state) {
  uint8_t got[32], want[32];
  unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
  assert_int_equal(ly_sha256("abc", 3, got), LY_OK);
  assert_memory_equal(got, want, 32);
  unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
  assert_int_equal(ly_sha256("", 0, got), LY_OK);
  assert_memory_equal(got, want, 32);
}

/* RFC 4231 test cases 1, 2 and 6 (key longer than the block). */
static void test_hmac_rfc4231(void **state) {
  uint8_t key[131], got[32], want[32];
  memset(key, 0x0b, 20);
  unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", want, 32);
  assert_int_equal(ly_hmac_sha256(key, 20, "Hi There", 8, got), LY_OK);
  assert_memory_equal(got, want, 32);
  unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
  const char *d2 = "what do ya want for nothing?";
  assert_int_equal(ly_hmac_sha256("Jefe", 4, d2, strlen(d2), got), LY_OK);
  assert_memory_equal(got, want, 32);
  memset(key, 0xaa, sizeof key);
  const char *d6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  unhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", want, 32);
  assert_int_equal(ly_hmac_sha256(key, sizeof key, d6, strlen(d6), got), LY_OK);
  assert_memory_equal(got, want, 32);
  /* an empty key is legal HMAC */
  assert_int_equal(ly_hmac_sha256(NULL, 0, "x", 1, got), LY_OK);
}

static void test_memeq(void **state) {
  assert_true(ly_memeq("abcd", "abcd", 4));
  assert_false(ly_memeq("abcd", "abce", 4));
  assert_true(ly_memeq("a", "b", 0));
}

/* RFC 8032 §7.1 TEST 1 (empty message) and TEST 2. */
static void test_ed25519_rfc8032(void **state) {
  uint8_t priv[32], pub[32], want_pub[32], sig[64], want_sig[64];
  unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", priv, 32);
  unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", want_pub, 32);
  unhex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
      "6bd25bf5f0595bbe24655141438e7a100b",
      want_sig, 64);
  assert_int_equal(ly_ed25519_sign(priv, "", 0, sig), LY_OK);
  assert_memory_equal(sig, want_sig, 64);
  assert_int_equal(ly_ed25519_verify(want_pub, "", 0, sig), LY_OK);
  sig[0] ^= 1;
  assert_int_equal(ly_ed25519_verify(want_pub, "", 0, sig), LY_ECRYPTO);

  unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", priv, 32);
  unhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", pub, 32);
  unhex(
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c"
      "387b2eaeb4302aeeb00d291612bb0c00",
      want_sig, 64);
  const uint8_t msg = 0x72;
  assert_int_equal(ly_ed25519_sign(priv, &msg, 1, sig), LY_OK);
  assert_memory_equal(sig, want_sig, 64);
  assert_int_equal(ly_ed25519_verify(pub, &msg, 1, sig), LY_OK);
  const uint8_t other = 0x73;
  assert_int_equal(ly_ed25519_verify(pub, &other, 1, sig), LY_ECRYPTO);
}

static void test_ed25519_keygen(void **state) {
  uint8_t pub[32], priv[32], pub2[32], priv2[32], sig[64];
  assert_int_equal(ly_ed25519_keygen(pub, priv), LY_OK);
  assert_int_equal(ly_ed25519_keygen(pub2, priv2), LY_OK);
  assert_memory_not_equal(priv, priv2, 32);
  const char *m = "{\"rx\":\"rx_1\",\"items\":[]}";
  assert_int_equal(ly_ed25519_sign(priv, m, strlen(m), sig), LY_OK);
  assert_int_equal(ly_ed25519_verify(pub, m, strlen(m), sig), LY_OK);
  assert_int_equal(ly_ed25519_verify(pub2, m, strlen(m), sig), LY_ECRYPTO);
  assert_int_equal(ly_ed25519_verify(pub, m, strlen(m) - 1, sig), LY_ECRYPTO);
}

static void test_password_hash_verify(void **state) {
  char h1[LY_PASSWORD_HASH_MAX], h2[LY_PASSWORD_HASH_MAX];
  assert_int_equal(ly_password_hash("correct horse 电池", h1, sizeof h1), LY_OK);
  assert_int_equal(strncmp(h1, "scrypt$15$8$1$", 14), 0);
  assert_int_equal(ly_password_verify("correct horse 电池", h1), LY_OK);
  assert_int_equal(ly_password_verify("correct horse 电", h1), LY_EAUTH);
  assert_int_equal(ly_password_verify("", h1), LY_EAUTH);
  /* salted: the same password hashes differently */
  assert_int_equal(ly_password_hash("correct horse 电池", h2, sizeof h2), LY_OK);
  assert_string_not_equal(h1, h2);
  char small[64];
  assert_int_equal(ly_password_hash("x", small, sizeof small), LY_ETOOBIG);
}

/* RFC 7914 §12 vector 3 in our encoding: parameters are read from the
 * string, so hashes made with other parameters keep verifying. */
static void test_password_verify_rfc7914(void **state) {
  const char *enc =
      "scrypt$14$8$1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046_2o-7qQT44-"
      "qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDf"
      "zwF7RVdYhw";
  assert_int_equal(ly_password_verify("pleaseletmein", enc), LY_OK);
  assert_int_equal(ly_password_verify("pleaseletmeout", enc), LY_EAUTH);
}

static void test_password_bad_encodings(void **state) {
  const char *bad[] = {
      "",
      "bcrypt$2b$10$abc",
      "scrypt$15$8$1$c2FsdHNhbHQ",                             /* no key */
      "scrypt$15$8$1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5$",   /* trailing */
      "scrypt$15$8$1$c2Fsd=HNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",   /* padding */
      "scrypt$40$8$1$c2FsdHNhbHRz$a2V5a2V5a2V5a2V5a2V5a2V5",   /* N = 2^40 */
      "scrypt$20$32$16$c2FsdHNhbHRz$a2V5a2V5a2V5a2V5a2V5a2V5", /* 64 GiB */
      "scrypt$-1$8$1$c2FsdHNhbHRz$a2V5a2V5a2V5a2V5a2V5a2V5",
      "scrypt$15$8$1$c2E$a2V5a2V5a2V5a2V5a2V5a2V5", /* 2-byte salt */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(ly_password_verify("pw", bad[i]), LY_EPARSE);
}

static void test_keys_derive(void **state) {
  uint8_t master[32], want[32];
  struct ly_keys k1, k2;
  for (int i = 0; i < 32; i++)
    master[i] = (uint8_t)i;
  assert_int_equal(ly_keys_derive(master, &k1), LY_OK);
  /* pinned (HKDF-SHA256, salt "lianyi.keys.v1", computed independently):
   * changing the derivation would make every stored ciphertext unreadable */
  unhex("47c1cd2a3df21871a38e3de9652416dbb045443423d22a318b5a57cc1c6fd5d4", want, 32);
  assert_memory_equal(k1.enc, want, 32);
  unhex("ef58f088fc65518447980c80f810d7d187d995d30fbda2eae19e9db6fe2b2850", want, 32);
  assert_memory_equal(k1.mac, want, 32);
  unhex("b345aa05acf9ecd0a2893c39cbb4608825eb7ca3658c29f93e1ea3d2bd3d3036", want, 32);
  assert_memory_equal(k1.sign, want, 32);
  master[0] ^= 1;
  assert_int_equal(ly_keys_derive(master, &k2), LY_OK);
  assert_memory_not_equal(k1.enc, k2.enc, 32);
}

static void test_seal_open(void **state) {
  uint8_t key[32], ct[128], ct2[128], pt[128];
  size_t n = 0, n2 = 0, m = 0;
  memset(key, 7, sizeof key);
  const char *id = "110101199003078888";
  size_t len = strlen(id);
  assert_int_equal(ly_seal(key, "patients.national_id", id, len, ct, sizeof ct, &n), LY_OK);
  assert_int_equal(n, len + LY_SEAL_OVERHEAD);
  assert_null(memmem(ct, n, id, len));
  assert_int_equal(ly_open(key, "patients.national_id", ct, n, pt, sizeof pt, &m), LY_OK);
  assert_int_equal(m, len);
  assert_memory_equal(pt, id, len);
  /* random nonce: sealing again gives other bytes */
  assert_int_equal(ly_seal(key, "patients.national_id", id, len, ct2, sizeof ct2, &n2), LY_OK);
  assert_memory_not_equal(ct, ct2, n);
  /* empty plaintext */
  assert_int_equal(ly_seal(key, NULL, "", 0, ct2, sizeof ct2, &n2), LY_OK);
  assert_int_equal(n2, LY_SEAL_OVERHEAD);
  assert_int_equal(ly_open(key, NULL, ct2, n2, pt, sizeof pt, &m), LY_OK);
  assert_int_equal(m, 0);
  /* sizes */
  assert_int_equal(ly_seal(key, NULL, id, len, ct2, len + LY_SEAL_OVERHEAD - 1, &n2), LY_ETOOBIG);
  assert_int_equal(ly_open(key, "patients.national_id", ct, n, pt, len - 1, &m), LY_ETOOBIG);
  assert_int_equal(ly_open(key, NULL, ct, LY_SEAL_OVERHEAD - 1, pt, sizeof pt, &m), LY_ECRYPTO);
}

static void test_seal_tamper(void **state) {
  uint8_t key[32], ct[64], pt[64];
  size_t n = 0, m = 0;
  memset(key, 9, sizeof key);
  assert_int_equal(ly_seal(key, "patients.phone", "13800138000", 11, ct, sizeof ct, &n), LY_OK);
  for (size_t i = 0; i < n; i++) { /* every byte: nonce, ciphertext and tag are covered */
    ct[i] ^= 0x80;
    memset(pt, 0x55, sizeof pt);
    assert_int_equal(ly_open(key, "patients.phone", ct, n, pt, sizeof pt, &m), LY_ECRYPTO);
    ct[i] ^= 0x80;
  }
  /* wrong aad: a value moved to another column does not open */
  assert_int_equal(ly_open(key, "patients.national_id", ct, n, pt, sizeof pt, &m), LY_ECRYPTO);
  assert_int_equal(ly_open(key, NULL, ct, n, pt, sizeof pt, &m), LY_ECRYPTO);
  key[31] ^= 1;
  assert_int_equal(ly_open(key, "patients.phone", ct, n, pt, sizeof pt, &m), LY_ECRYPTO);
  key[31] ^= 1;
  assert_int_equal(ly_open(key, "patients.phone", ct, n, pt, sizeof pt, &m), LY_OK);
  assert_memory_equal(pt, "13800138000", 11);
}

static void test_lookup_hash(void **state) {
  uint8_t master[32] = {1}, a[32], b[32], c[32], want[32];
  struct ly_keys k;
  assert_int_equal(ly_keys_derive(master, &k), LY_OK);
  assert_int_equal(ly_lookup_hash(&k, "13800138000", a), LY_OK);
  assert_int_equal(ly_lookup_hash(&k, "13800138000", b), LY_OK);
  assert_int_equal(ly_lookup_hash(&k, "13800138001", c), LY_OK);
  assert_memory_equal(a, b, 32);
  assert_memory_not_equal(a, c, 32);
  assert_int_equal(ly_hmac_sha256(k.mac, 32, "13800138000", 11, want), LY_OK);
  assert_memory_equal(a, want, 32);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256_abc),
      cmocka_unit_test(test_hmac_rfc4231),
      cmocka_unit_test(test_memeq),
      cmocka_unit_test(test_ed25519_rfc8032),
      cmocka_unit_test(test_ed25519_keygen),
      cmocka_unit_test(test_password_hash_verify),
      cmocka_unit_test(test_password_verify_rfc7914),
      cmocka_unit_test(test_password_bad_encodings),
      cmocka_unit_test(test_keys_derive),
      cmocka_unit_test(test_seal_open),
      cmocka_unit_test(test_seal_tamper),
      cmocka_unit_test(test_lookup_hash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

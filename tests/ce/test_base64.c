/* Tests for src/ce/base64.c: RFC 4648 section 10 vectors, strict rejection (alphabet, padding,
 * non-canonical trailing bits, length), append semantics, size caps and random round trips. */
#include <stdlib.h>

#include "cerelay/ce.h"
#include "harness.h"

static void vector(const char *plain, const char *b64)
{
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(ce_buf_append(&b, "<", 1), 0); /* never a NULL buffer, even for "" */
    CHECK_EQ_INT(ce_base64_encode(plain, strlen(plain), &b), 0);
    CHECK_EQ_MEM(b.ptr + 1, b.len - 1, b64, strlen(b64));
    b.len = 1;
    CHECK_EQ_INT(ce_base64_decode(b64, strlen(b64), &b), 0);
    CHECK_EQ_MEM(b.ptr + 1, b.len - 1, plain, strlen(plain));
    ce_buf_free(&b);
}

TEST(rfc4648_vectors)
{
    vector("", "");
    vector("f", "Zg==");
    vector("fo", "Zm8=");
    vector("foo", "Zm9v");
    vector("foob", "Zm9vYg==");
    vector("fooba", "Zm9vYmE=");
    vector("foobar", "Zm9vYmFy");
    vector("{ \"xyz\": 123 }", "eyAieHl6IjogMTIzIH0="); /* json-format.md 3.2 */
}

TEST(full_alphabet)
{
    unsigned char bytes[48];
    /* 0x00 0x10 0x83 ... chosen so that the 64 sextets are 0..63 in order */
    for (int k = 0; k < 16; k++) {
        unsigned v = (unsigned)(k * 4) << 18 | (unsigned)(k * 4 + 1) << 12 |
                     (unsigned)(k * 4 + 2) << 6 | (unsigned)(k * 4 + 3);
        bytes[k * 3] = (unsigned char)(v >> 16);
        bytes[k * 3 + 1] = (unsigned char)(v >> 8);
        bytes[k * 3 + 2] = (unsigned char)v;
    }
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(ce_base64_encode(bytes, sizeof bytes, &b), 0);
    CHECK_EQ_MEM(b.ptr, b.len, alpha, 64);
    b.len = 0;
    CHECK_EQ_INT(ce_base64_decode(alpha, 64, &b), 0);
    CHECK_EQ_MEM(b.ptr, b.len, bytes, sizeof bytes);
    ce_buf_free(&b);
}

TEST(rejects_strictly)
{
    static const char *const bad[] = {
        "Zg=",                                               /* length not a multiple of 4 */
        "Zg",                                                /* unpadded */
        "Z",        "Z===",                                  /* three pads */
        "====",     "Zm9v====",                              /* a whole quantum of padding */
        "Zm=v",                                              /* pad in the middle of a quantum */
        "Zg==Zm8=",                                          /* pad before the end */
        "Zh==",                                              /* non-zero bits after the last byte */
        "Zm9=",                                              /* likewise with one pad */
        "Zm 9v",    "Zm9v\n",   "Zm9v\r\n", " Zm9v", "Zm-_", /* base64url alphabet */
        "Zm9\xc3",  "Zm9\x00",
    };
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(ce_buf_append(&b, "keep", 4), 0);
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        size_t n = k == sizeof bad / sizeof *bad - 1 ? 4 : strlen(bad[k]);
        int rc = ce_base64_decode(bad[k], n, &b);
        if (rc != CE_EBADVALUE)
            cer_test_fail(__FILE__, __LINE__, "accepted \"%s\" (rc %d)", bad[k], rc);
        CHECK_EQ_INT(b.len, 4); /* a failed decode appends nothing */
    }
    ce_buf_free(&b);
}

TEST(appends_and_respects_cap)
{
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(ce_buf_append(&b, "x=", 2), 0);
    CHECK_EQ_INT(ce_base64_encode("foo", 3, &b), 0);
    CHECK_EQ_MEM(b.ptr, b.len, "x=Zm9v", 6);
    CHECK_EQ_INT(ce_base64_decode("YmFy", 4, &b), 0);
    CHECK_EQ_MEM(b.ptr, b.len, "x=Zm9vbar", 9);
    ce_buf_free(&b);
    ce_buf_init(&b);
    b.cap_limit = 6;
    CHECK_EQ_INT(ce_base64_encode("foob", 4, &b), CE_ETOOBIG);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(ce_base64_encode("foo", 3, &b), 0);
    CHECK_EQ_INT(ce_base64_decode("Zm9vYmFy", 8, &b), CE_ETOOBIG);
    CHECK_EQ_INT(b.len, 4);
    ce_buf_free(&b);
}

TEST(random_round_trips)
{
    uint64_t s = 42;
    unsigned char in[300];
    ce_buf enc, dec;
    ce_buf_init(&enc);
    ce_buf_init(&dec);
    CHECK_EQ_INT(ce_buf_reserve(&enc, 1), 0); /* no NULL pointers for n == 0 */
    CHECK_EQ_INT(ce_buf_reserve(&dec, 1), 0);
    for (size_t n = 0; n < sizeof in; n++) {
        for (size_t k = 0; k < n; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            in[k] = (unsigned char)(s >> 56);
        }
        enc.len = dec.len = 0;
        CHECK_EQ_INT(ce_base64_encode(in, n, &enc), 0);
        CHECK_EQ_INT(enc.len, (n + 2) / 3 * 4);
        CHECK_EQ_INT(ce_base64_decode(enc.ptr, enc.len, &dec), 0);
        CHECK_EQ_MEM(dec.ptr, dec.len, in, n);
        /* Flipping any character to one outside the alphabet must be caught. */
        if (enc.len) {
            size_t at = (size_t)(s % enc.len);
            char saved = enc.ptr[at];
            enc.ptr[at] = '*';
            dec.len = 0;
            CHECK_EQ_INT(ce_base64_decode(enc.ptr, enc.len, &dec), CE_EBADVALUE);
            enc.ptr[at] = saved;
        }
    }
    ce_buf_free(&enc);
    ce_buf_free(&dec);
}

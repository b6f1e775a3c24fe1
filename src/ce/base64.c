/* Base64, RFC 4648 section 4: standard alphabet, always padded. The decoder is strict: input
 * length a multiple of 4, only alphabet characters, '=' only as the final one or two, and the
 * unused bits before the padding zero, so every accepted string is the canonical encoding of
 * its bytes. No whitespace or line breaks. */
#include "ce/internal.h"

static const char enc_tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 0xFF otherwise. */
/* clang-format off */
static const unsigned char dec_tab[256] = {
#define X 0xFF
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};
/* clang-format on */

int ce_base64_encode(const void *in, size_t len, ce_buf *out)
{
    const unsigned char *s = in;
    if (len == 0)
        return 0;
    if (len > (SIZE_MAX / 4) * 3 - 3)
        return CE_ETOOBIG;
    size_t olen = (len + 2) / 3 * 4;
    int rc = ce_buf_reserve(out, olen);
    if (rc)
        return rc;
    char *o = out->ptr + out->len;
    size_t i = 0;
    for (; len - i >= 3; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        o[0] = enc_tab[v >> 18];
        o[1] = enc_tab[v >> 12 & 63];
        o[2] = enc_tab[v >> 6 & 63];
        o[3] = enc_tab[v & 63];
        o += 4;
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        o[0] = enc_tab[v >> 18];
        o[1] = enc_tab[v >> 12 & 63];
        o[2] = o[3] = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        o[0] = enc_tab[v >> 18];
        o[1] = enc_tab[v >> 12 & 63];
        o[2] = enc_tab[v >> 6 & 63];
        o[3] = '=';
    }
    out->len += olen;
    return 0;
}

int ce_base64_decode(const char *in, size_t len, ce_buf *out)
{
    const unsigned char *s = (const unsigned char *)in;
    if (len % 4)
        return CE_EBADVALUE;
    if (len == 0)
        return 0;
    size_t pad = (s[len - 1] == '=') + (s[len - 1] == '=' && s[len - 2] == '=');
    size_t olen = len / 4 * 3 - pad;
    int rc = ce_buf_reserve(out, olen);
    if (rc)
        return rc;
    unsigned char *o = (unsigned char *)out->ptr + out->len;
    size_t full = pad ? len - 4 : len;
    for (size_t i = 0; i < full; i += 4) {
        uint32_t a = dec_tab[s[i]], b = dec_tab[s[i + 1]], c = dec_tab[s[i + 2]],
                 d = dec_tab[s[i + 3]];
        if ((a | b | c | d) & 0x80)
            return CE_EBADVALUE;
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        o[0] = (unsigned char)(v >> 16);
        o[1] = (unsigned char)(v >> 8);
        o[2] = (unsigned char)v;
        o += 3;
    }
    if (pad) {
        const unsigned char *q = s + len - 4;
        uint32_t a = dec_tab[q[0]], b = dec_tab[q[1]];
        uint32_t c = pad == 2 ? 0 : dec_tab[q[2]];
        if ((a | b | c) & 0x80)
            return CE_EBADVALUE;
        /* The bits that fall off the last byte must be zero (canonical form). */
        if (pad == 2 ? (b & 0x0F) : (c & 0x03))
            return CE_EBADVALUE;
        uint32_t v = a << 18 | b << 12 | c << 6;
        o[0] = (unsigned char)(v >> 16);
        if (pad == 1)
            o[1] = (unsigned char)(v >> 8);
    }
    out->len += olen;
    return 0;
}

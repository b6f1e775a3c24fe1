/* UTF-8 validation (RFC 3629) with an ASCII fast path, and the CloudEvents String rule
 * (no control characters, no noncharacters, no surrogates). */
#include <string.h>

#include "ce/internal.h"

/* Decode one code point starting at s[i] (known non-ASCII). Returns its byte length, or 0 when
 * the sequence is invalid (overlong, surrogate, > U+10FFFF, truncated, bad continuation). */
static size_t decode_one(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    unsigned char c = s[i];
    size_t n;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len - i < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        unsigned char cc = s[i + k];
        if ((cc & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (cc & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

static inline int all_ascii8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return (w & 0x8080808080808080ULL) == 0;
}

bool ce__utf8_valid(const char *str, size_t len, size_t *bad_off)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len && all_ascii8(s + i)) {
            i += 8;
            continue;
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = decode_one(s, len, i, &cp);
        if (!n) {
            if (bad_off)
                *bad_off = i;
            return false;
        }
        i += n;
    }
    return true;
}

static inline int ctrl_ascii(unsigned char c)
{
    return c < 0x20 || c == 0x7F;
}

/* True when all 8 bytes are printable ASCII (0x20..0x7E): no high bit, nothing below 0x20,
 * no 0x7F. Classic SWAR "has a byte less than n" tests. */
static inline int printable8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t w, x;
    memcpy(&w, p, 8);
    x = w ^ (0x7F * ones); /* a 0x7F byte becomes 0 */
    uint64_t bad = w | ((w - 0x20 * ones) & ~w) | ((x - ones) & ~x);
    return (bad & highs) == 0;
}

int ce__check_ce_string(const char *str, size_t len, char *errstr, size_t errstr_size)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len && printable8(s + i)) {
            i += 8;
            continue;
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            if (CE__UNLIKELY(ctrl_ascii(c)))
                return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                                "control character U+%04X at byte %zu", c, i);
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = decode_one(s, len, i, &cp);
        if (!n)
            return ce__errf(CE_EUTF8, errstr, errstr_size, "invalid UTF-8 at byte %zu", i);
        if (cp >= 0x80 && cp <= 0x9F)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                            "control character U+%04X at byte %zu", (unsigned)cp, i);
        if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size, "noncharacter U+%04X at byte %zu",
                            (unsigned)cp, i);
        i += n;
    }
    return 0;
}

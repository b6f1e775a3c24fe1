/* Internal interface of the JSON codec (src/ce/json.c): a strict RFC 8259 scanner that
 * validates and skips values in place, decodes strings and numbers, and writes escaped strings.
 * Everything works on caller-owned bytes and returns slices into them; nothing allocates except
 * the nesting stack of documents deeper than 4096 levels. Not installed. */
#ifndef CE_JSON_H
#define CE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cerelay/ce.h"

/* Where and why a scan failed: `off` is the byte offset into the whole input, `what` a static
 * description ("unterminated string"). Turned into "byte N: what" by ce__json_errstr. */
#if defined(__GNUC__) || defined(__clang__)
#define CE__JSON_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define CE__JSON_LIKELY(x) (x)
#endif

typedef struct ce__json_err {
    size_t off;
    const char *what;
} ce__json_err;

/* Index of the first non-whitespace byte (RFC 8259 ws: space, tab, LF, CR) at or after i. */
static inline size_t ce__json_ws(const char *b, size_t len, size_t i)
{
    while (i < len && (unsigned char)b[i] <= ' ' &&
           (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
        i++;
    return i;
}

/* Validate one JSON value starting exactly at b[*pos] (no leading whitespace) and set *pos just
 * past it. `depth` is the nesting level of the container holding the value (0 at top level); a
 * container that would be deeper than max_depth fails with CE_EDEPTH. Returns 0, CE_ESYNTAX,
 * CE_EUTF8, CE_EDEPTH or CE_ENOMEM (only for stacks deeper than 4096), filling *err. */
int ce__json_skip(const char *b, size_t len, size_t *pos, uint32_t depth, uint32_t max_depth,
                  ce__json_err *err);

static inline uint64_t ce__json_load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* High bit set in each byte of v that is '"', '\\', < 0x20 or >= 0x80, give or take bytes
 * above the first such byte (a borrow can flag them); the lowest flagged byte is always a real
 * one. Bytes >= 0x80 need no term of their own: v ^ '"' is then >= 0x80 too, so subtracting one
 * leaves the high bit set except for 0xA2, which the "- 0x20" term catches. */
static inline uint64_t ce__json_special8(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ULL;
    return (((v ^ (ones * '"')) - ones) | ((v ^ (ones * '\\')) - ones) | (v - ones * 0x20)) &
           (ones * 0x80);
}

/* Index, in memory order, of the first flagged byte of a non-zero ce__json_special8 mask. On
 * big-endian hosts it answers 0 and callers fall back to looking byte by byte. */
static inline size_t ce__json_first_flag(uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(m) >> 3;
#else
    (void)m;
    return 0;
#endif
}

/* True for the bytes a string scan must stop at: '"', '\\', < 0x20 and >= 0x80. */
static inline bool ce__json_special(unsigned char c)
{
    return c == '"' || c == '\\' || (unsigned char)(c - 0x20) >= 0x60;
}

/* Index of the first byte at or after i that is '"', '\\', < 0x20 or >= 0x80; len if none.
 * Sixteen bytes at a time with SSE2 (a signed compare with 0x20 catches both < 0x20 and
 * >= 0x80), then eight with ce__json_special8, then one. */
static inline size_t ce__json_plain_run(const char *b, size_t len, size_t i)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    while (len - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmplt_epi8(v, space));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
        i += 16;
    }
#endif
    while (len - i >= 8) {
        uint64_t m = ce__json_special8(ce__json_load64(b + i));
        if (m) {
            i += ce__json_first_flag(m);
            break;
        }
        i += 8;
    }
    while (i < len && !ce__json_special((unsigned char)b[i]))
        i++;
    return i;
}

/* The general string scanner, resuming at b[i] (everything from the opening quote up to i is
 * known to be plain ASCII). Use ce__json_string. */
int ce__json_string_slow(const char *b, size_t len, size_t *pos, size_t i, ce_slice *body,
                         bool *escaped, ce__json_err *err);

/* Scan the string whose opening quote is b[*pos]: on success *body is the bytes between the
 * quotes (a slice of b), *escaped tells whether it holds backslash escapes (if not, the body is
 * already the decoded UTF-8), and *pos is past the closing quote. Escapes are checked, \u
 * surrogates must pair, raw bytes must be valid UTF-8 and control characters must be escaped.
 * Returns 0, CE_ESYNTAX or CE_EUTF8. Inline fast path for plain ASCII strings. */
static inline int ce__json_string(const char *b, size_t len, size_t *pos, ce_slice *body,
                                  bool *escaped, ce__json_err *err)
{
    size_t start = *pos + 1, i = ce__json_plain_run(b, len, start);
    if (CE__JSON_LIKELY(i < len && b[i] == '"')) {
        body->ptr = b + start;
        body->len = i - start;
        *escaped = false;
        *pos = i + 1;
        return 0;
    }
    return ce__json_string_slow(b, len, pos, i, body, escaped, err);
}

/* Decode a string body already accepted by ce__json_string into out (room for n bytes is always
 * enough: decoding never grows). Returns the decoded length. */
size_t ce__json_unescape(const char *body, size_t n, char *out);

/* Scan the number starting at b[*pos]; *is_int is true when it has only an integer component
 * (optional minus, digits: no fraction, no exponent). Returns 0 or CE_ESYNTAX. */
int ce__json_number(const char *b, size_t len, size_t *pos, bool *is_int, ce__json_err *err);

/* Value of an integer token accepted by ce__json_number with *is_int. Returns 0 or CE_ERANGE
 * when outside int32 ("-0" is 0). */
int ce__json_int32(const char *tok, size_t n, int32_t *out);

/* Append s[0..n) to out as a JSON string literal: '"' and '\\' escaped, control characters as
 * \b \f \n \r \t or \u00XX, everything else copied. Returns 0, CE_ENOMEM or CE_ETOOBIG; on
 * failure out->len is unchanged. */
int ce__json_write_string(ce_buf *out, const char *s, size_t n);

/* Append valid JSON text without the whitespace outside strings. Returns 0, CE_ENOMEM or
 * CE_ETOOBIG; on failure out->len is unchanged. */
int ce__json_write_compact(ce_buf *out, const char *json, size_t n);

/* Format "byte N: what" into errstr and return rc. */
int ce__json_errstr(int rc, const ce__json_err *err, char *errstr, size_t errstr_size);

/* format_json.c: decode one structured event into `e`, which is cleared first (keeping its
 * memory, so a loop can reuse one event without allocating). Same contract as ce_json_decode;
 * on failure `e` is left cleared. */
int ce__json_decode_into(const char *buf, size_t len, const ce_limits *lim, ce_event *e,
                         char *errstr, size_t errstr_size);

#endif

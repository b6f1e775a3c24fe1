/* Strict RFC 8259 JSON scanner: validates and skips values in place (no tree, no allocation),
 * decodes strings and integers, and writes escaped strings. Strings are scanned 16 bytes at a
 * time (SSE2; 8 with portable bit tricks elsewhere) until a quote, backslash, control or non-ASCII
 * byte shows up. Also ce_json_check. */
#include <string.h>

#include "ce/internal.h"
#include "ce/json.h"

static inline int fail(ce__json_err *err, int rc, size_t off, const char *what)
{
    err->off = off;
    err->what = what;
    return rc;
}

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Four hex digits at p (caller checked that 4 bytes exist); -1 when not hex. */
static inline int32_t hex4(const char *p)
{
    int32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval((unsigned char)p[k]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* Length of the valid UTF-8 sequence starting at s[i] (lead byte >= 0x80), or 0 when invalid:
 * RFC 3629 / Unicode table 3-7, so no overlongs, no surrogates, nothing above U+10FFFF. */
static inline size_t utf8_seq(const unsigned char *s, size_t len, size_t i)
{
    unsigned c = s[i];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (len - i < n)
        return 0;
    if (s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((s[i + k] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* Check the escape whose backslash is at b[i]; returns the index past it or 0 on error. */
static size_t scan_escape(const char *b, size_t len, size_t i, ce__json_err *err, int *rc)
{
    size_t at = i++;
    if (i >= len) {
        *rc = fail(err, CE_ESYNTAX, at, "unterminated string");
        return 0;
    }
    switch (b[i]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return i + 1;
    case 'u':
        break;
    default:
        *rc = fail(err, CE_ESYNTAX, at, "invalid escape");
        return 0;
    }
    int32_t cp = len - i > 4 ? hex4(b + i + 1) : -1;
    if (cp < 0) {
        *rc = fail(err, CE_ESYNTAX, at, "invalid \\u escape");
        return 0;
    }
    i += 5;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        *rc = fail(err, CE_EUTF8, at, "lone low surrogate");
        return 0;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        int32_t lo = len - i >= 6 && b[i] == '\\' && b[i + 1] == 'u' ? hex4(b + i + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF) {
            *rc = fail(err, CE_EUTF8, at, "lone high surrogate");
            return 0;
        }
        i += 6;
    }
    return i;
}

int ce__json_string_slow(const char *b, size_t len, size_t *pos, size_t i, ce_slice *body,
                         bool *escaped, ce__json_err *err)
{
    const unsigned char *u = (const unsigned char *)b;
    size_t start = *pos + 1;
    bool esc = false;
    int rc = 0;
    for (;;) {
        i = ce__json_plain_run(b, len, i);
        if (i >= len)
            return fail(err, CE_ESYNTAX, *pos, "unterminated string");
        unsigned char c = u[i];
        if (c == '"')
            break;
        if (c == '\\') {
            esc = true;
            if (!(i = scan_escape(b, len, i, err, &rc)))
                return rc;
        } else if (c < 0x20) {
            return fail(err, CE_ESYNTAX, i, "unescaped control character in string");
        } else if (c < 0x80) {
            i++;
        } else {
            size_t n = utf8_seq(u, len, i);
            if (!n)
                return fail(err, CE_EUTF8, i, "invalid UTF-8 in string");
            i += n;
        }
    }
    body->ptr = b + start;
    body->len = i - start;
    *escaped = esc;
    *pos = i + 1;
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t ce__json_unescape(const char *body, size_t n, char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        const char *bs = memchr(body + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (body + i)) : n - i;
        memmove(out + o, body + i, run);
        o += run;
        i += run;
        if (i >= n)
            break;
        char c = body[i + 1];
        i += 2;
        switch (c) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            uint32_t cp = (uint32_t)hex4(body + i);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo = (uint32_t)hex4(body + i + 2);
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += put_utf8(out + o, cp);
            break;
        }
        default: /* '"', '\\', '/' */
            out[o++] = c;
        }
    }
    return o;
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int ce__json_number(const char *b, size_t len, size_t *pos, bool *is_int, ce__json_err *err)
{
    size_t i = *pos;
    bool integer = true;
    if (i < len && b[i] == '-')
        i++;
    if (i >= len || !is_digit(b[i]))
        return fail(err, CE_ESYNTAX, i, "expected a digit");
    if (b[i] == '0')
        i++;
    else
        while (i < len && is_digit(b[i]))
            i++;
    if (i < len && b[i] == '.') {
        integer = false;
        i++;
        if (i >= len || !is_digit(b[i]))
            return fail(err, CE_ESYNTAX, i, "expected a digit after '.'");
        while (i < len && is_digit(b[i]))
            i++;
    }
    if (i < len && (b[i] == 'e' || b[i] == 'E')) {
        integer = false;
        i++;
        if (i < len && (b[i] == '+' || b[i] == '-'))
            i++;
        if (i >= len || !is_digit(b[i]))
            return fail(err, CE_ESYNTAX, i, "expected a digit in exponent");
        while (i < len && is_digit(b[i]))
            i++;
    }
    *pos = i;
    *is_int = integer;
    return 0;
}

int ce__json_int32(const char *tok, size_t n, int32_t *out)
{
    size_t i = 0;
    bool neg = n > 0 && tok[0] == '-';
    i += neg;
    if (n - i > 10)
        return CE_ERANGE;
    int64_t v = 0;
    for (; i < n; i++)
        v = v * 10 + (tok[i] - '0');
    if (neg)
        v = -v;
    if (v < INT32_MIN || v > INT32_MAX)
        return CE_ERANGE;
    *out = (int32_t)v;
    return 0;
}

static inline int literal(const char *b, size_t len, size_t *pos, const char *word, size_t n,
                          ce__json_err *err)
{
    if (len - *pos < n || memcmp(b + *pos, word, n) != 0)
        return fail(err, CE_ESYNTAX, *pos, "invalid literal");
    *pos += n;
    return 0;
}

/* The container stack: one bit per level (1 = object), 4096 levels inline, then the heap. */
typedef struct bitstack {
    uint64_t local[64];
    uint64_t *w;
    size_t cap; /* in bits */
} bitstack;

static int bs_set(bitstack *s, size_t lvl, bool obj)
{
    if (CE__UNLIKELY(lvl >= s->cap)) {
        size_t ncap = s->cap * 2;
        uint64_t *nw = ce__malloc(ncap / 8);
        if (!nw)
            return CE_ENOMEM;
        memcpy(nw, s->w, s->cap / 8);
        if (s->w != s->local)
            ce__free(s->w);
        s->w = nw;
        s->cap = ncap;
    }
    if (obj)
        s->w[lvl >> 6] |= (uint64_t)1 << (lvl & 63);
    else
        s->w[lvl >> 6] &= ~((uint64_t)1 << (lvl & 63));
    return 0;
}

static inline bool bs_get(const bitstack *s, size_t lvl)
{
    return (s->w[lvl >> 6] >> (lvl & 63)) & 1;
}

static int skip_value(const char *b, size_t len, size_t *pos, uint32_t depth, uint32_t max_depth,
                      bitstack *stk, ce__json_err *err)
{
    size_t i = *pos, lvl = 0; /* lvl = containers open inside this value */
    ce_slice body;
    bool flag;
    int rc;
value:
    if (i >= len)
        return fail(err, CE_ESYNTAX, i, "expected a value");
    switch (b[i]) {
    case '{':
    case '[': {
        bool obj = b[i] == '{';
        if ((uint64_t)depth + lvl + 1 > max_depth)
            return fail(err, CE_EDEPTH, i, "nesting too deep");
        if ((rc = bs_set(stk, lvl, obj)))
            return fail(err, rc, i, "out of memory");
        lvl++;
        i = ce__json_ws(b, len, i + 1);
        if (i < len && b[i] == (obj ? '}' : ']')) {
            i++;
            lvl--;
            goto after;
        }
        if (!obj)
            goto value;
        goto key;
    }
    case '"':
        if ((rc = ce__json_string(b, len, &i, &body, &flag, err)))
            return rc;
        goto after;
    case 't':
        if ((rc = literal(b, len, &i, "true", 4, err)))
            return rc;
        goto after;
    case 'f':
        if ((rc = literal(b, len, &i, "false", 5, err)))
            return rc;
        goto after;
    case 'n':
        if ((rc = literal(b, len, &i, "null", 4, err)))
            return rc;
        goto after;
    default:
        if (b[i] == '-' || is_digit(b[i])) {
            /* Fast path for plain integers such as token counts; the rest goes the long way. */
            size_t j = i + (b[i] == '-');
            if (j < len && b[j] >= '1' && b[j] <= '9') {
                do
                    j++;
                while (j < len && is_digit(b[j]));
                if (j < len && b[j] != '.' && (b[j] | 0x20) != 'e') {
                    i = j;
                    goto after;
                }
            }
            if ((rc = ce__json_number(b, len, &i, &flag, err)))
                return rc;
            goto after;
        }
        return fail(err, CE_ESYNTAX, i, "expected a value");
    }
key:
    if (i >= len || b[i] != '"')
        return fail(err, CE_ESYNTAX, i, "expected a member name");
    if ((rc = ce__json_string(b, len, &i, &body, &flag, err)))
        return rc;
    i = ce__json_ws(b, len, i);
    if (i >= len || b[i] != ':')
        return fail(err, CE_ESYNTAX, i, "expected ':'");
    i = ce__json_ws(b, len, i + 1);
    goto value;
after:
    if (lvl == 0) {
        *pos = i;
        return 0;
    }
    i = ce__json_ws(b, len, i);
    if (i >= len)
        return fail(err, CE_ESYNTAX, i, "unexpected end of input");
    if (bs_get(stk, lvl - 1)) {
        if (b[i] == ',') {
            i = ce__json_ws(b, len, i + 1);
            goto key;
        }
        if (b[i] == '}') {
            i++;
            lvl--;
            goto after;
        }
        return fail(err, CE_ESYNTAX, i, "expected ',' or '}'");
    }
    if (b[i] == ',') {
        i = ce__json_ws(b, len, i + 1);
        goto value;
    }
    if (b[i] == ']') {
        i++;
        lvl--;
        goto after;
    }
    return fail(err, CE_ESYNTAX, i, "expected ',' or ']'");
}

int ce__json_skip(const char *b, size_t len, size_t *pos, uint32_t depth, uint32_t max_depth,
                  ce__json_err *err)
{
    bitstack stk;
    stk.w = stk.local;
    stk.cap = sizeof stk.local * 8;
    int rc = skip_value(b, len, pos, depth, max_depth, &stk, err);
    if (stk.w != stk.local)
        ce__free(stk.w);
    return rc;
}

static const char hexdig[] = "0123456789abcdef";

/* Index of the first byte at or after i that a JSON string must escape ('"', '\\', < 0x20);
 * n if none. Bytes >= 0x80 pass. */
static inline size_t escape_run(const char *s, size_t n, size_t i)
{
    const size_t start = i;
    (void)start; /* only the little-endian tail uses it */
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  ctl = _mm_set1_epi8(0x1F);
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v); /* v <= 0x1F */
        __m128i m =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), low);
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
        i += 16;
    }
#endif
    while (n - i >= 8) {
        uint64_t v = ce__json_load64(s + i);
        uint64_t m = ce__json_special8(v) & ~v;
        if (m) {
            i += ce__json_first_flag(m);
            break;
        }
        i += 8;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (i < n && n - start >= 8 && n - i < 8) {
        /* The last eight bytes, overlapping ones this call already found clean: those cannot
         * be flagged (no special byte below them to borrow from), so the first flag is real. */
        uint64_t v = ce__json_load64(s + n - 8);
        uint64_t m = ce__json_special8(v) & ~v;
        return m ? n - 8 + ce__json_first_flag(m) : n;
    }
#endif
    while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

int ce__json_write_string(ce_buf *out, const char *s, size_t n)
{
    size_t start = out->len, i = 0;
    int rc = ce_buf_reserve(out, n + 2);
    if (rc)
        return rc;
    out->ptr[out->len++] = '"';
    for (;;) {
        /* Find the next byte to escape: '"', '\\' or < 0x20 (bytes >= 0x80 pass through). */
        size_t run = escape_run(s, n, i);
        /* Room for the run is there: n + 2 was reserved and each escape reserves its own. */
        memcpy(out->ptr + out->len, s + i, run - i);
        out->len += run - i;
        i = run;
        if (i >= n) {
            out->ptr[out->len++] = '"';
            return 0;
        }
        if ((rc = ce_buf_reserve(out, 6 + (n - i) + 1))) {
            out->len = start;
            return rc;
        }
        unsigned char c = (unsigned char)s[i++];
        char *o = out->ptr + out->len;
        o[0] = '\\';
        switch (c) {
        case '"':
        case '\\':
            o[1] = (char)c;
            break;
        case '\b':
            o[1] = 'b';
            break;
        case '\f':
            o[1] = 'f';
            break;
        case '\n':
            o[1] = 'n';
            break;
        case '\r':
            o[1] = 'r';
            break;
        case '\t':
            o[1] = 't';
            break;
        default:
            memcpy(o + 1, "u00", 3);
            o[4] = hexdig[c >> 4];
            o[5] = hexdig[c & 15];
            out->len += 6;
            continue;
        }
        out->len += 2;
    }
}

int ce__json_write_compact(ce_buf *out, const char *json, size_t n)
{
    int rc = ce_buf_reserve(out, n);
    if (rc)
        return rc;
    char *o = out->ptr + out->len;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = json[i];
        if (in_str) {
            if (c == '\\' && i + 1 < n) {
                *o++ = c;
                c = json[++i];
            } else if (c == '"')
                in_str = false;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        else if (c == '"')
            in_str = true;
        *o++ = c;
    }
    out->len = (size_t)(o - out->ptr);
    return 0;
}

int ce__json_errstr(int rc, const ce__json_err *err, char *errstr, size_t errstr_size)
{
    return ce__errf(rc, errstr, errstr_size, "byte %zu: %s", err->off, err->what);
}

int ce_json_check(const char *buf, size_t len, uint32_t max_depth, char *errstr, size_t errstr_size)
{
    ce__json_err err;
    if (!buf && len)
        return ce__errf(CE_EINVAL, errstr, errstr_size, "NULL buffer");
    size_t i = ce__json_ws(buf, len, 0);
    int rc = ce__json_skip(buf, len, &i, 0, max_depth, &err);
    if (rc)
        return ce__json_errstr(rc, &err, errstr, errstr_size);
    i = ce__json_ws(buf, len, i);
    if (i != len)
        return ce__errf(CE_ESYNTAX, errstr, errstr_size, "byte %zu: trailing characters", i);
    if (errstr && errstr_size)
        errstr[0] = 0;
    return 0;
}

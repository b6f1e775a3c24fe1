/* Syntax checks for attribute names and for the canonical string encoding of each CloudEvents
 * type: URI and URI-reference (RFC 3986), Timestamp (RFC 3339), Integer, Boolean, media types. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ce/internal.h"

const char *ce_type_name(ce_type t)
{
    switch (t) {
    case CE_TYPE_BOOLEAN:
        return "Boolean";
    case CE_TYPE_INTEGER:
        return "Integer";
    case CE_TYPE_STRING:
        return "String";
    case CE_TYPE_BINARY:
        return "Binary";
    case CE_TYPE_URI:
        return "URI";
    case CE_TYPE_URI_REF:
        return "URI-reference";
    case CE_TYPE_TIMESTAMP:
        return "Timestamp";
    }
    return "unknown";
}

int ce_check_name(const char *name, size_t len, char *errstr, size_t errstr_size)
{
    if (len == 0)
        return ce__errf(CE_EBADNAME, errstr, errstr_size, "attribute name is empty");
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return ce__errf(CE_EBADNAME, errstr, errstr_size,
                            "attribute name '%.*s': character %zu is not [a-z0-9]",
                            (int)(len > 64 ? 64 : len), name, i);
    }
    if (len == 4 && memcmp(name, "data", 4) == 0)
        return ce__errf(CE_EBADNAME, errstr, errstr_size,
                        "attribute name 'data' is reserved by the event formats");
    return 0;
}

/* ---- RFC 3986 ------------------------------------------------------------------------- */

static inline int is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
static inline int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}
static inline int is_hex(unsigned char c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
static inline int is_unreserved(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
static inline int is_subdelim(unsigned char c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Scan characters of class pchar plus `extra` starting at *i until a char not in the class.
 * Percent-encodings must be complete. Returns 0, or -1 on a bad percent-encoding. */
static int scan_chars(const unsigned char *s, size_t len, size_t *i, const char *extra)
{
    while (*i < len) {
        unsigned char c = s[*i];
        if (c == '%') {
            if (*i + 2 >= len)
                return -1;
            if (!is_hex(s[*i + 1]) || !is_hex(s[*i + 2]))
                return -1;
            *i += 3;
        } else if (is_unreserved(c) || is_subdelim(c) || (c && strchr(extra, c))) {
            (*i)++;
        } else {
            break;
        }
    }
    return 0;
}

static int check_uri(const char *str, size_t len, int absolute, char *errstr, size_t errstr_size)
{
    const unsigned char *s = (const unsigned char *)str;
    const char *what = absolute ? "not an absolute URI (RFC 3986 section 4.3)"
                                : "not a URI-reference (RFC 3986 section 4.1)";
    size_t i = 0;
    /* scheme */
    int has_scheme = 0;
    if (len > 0 && is_alpha(s[0])) {
        size_t j = 1;
        while (j < len &&
               (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.'))
            j++;
        if (j < len && s[j] == ':') {
            has_scheme = 1;
            i = j + 1;
        }
    }
    if (absolute && !has_scheme)
        return ce__errf(CE_EBADVALUE, errstr, errstr_size, "%s: no scheme", what);
    /* authority */
    if (i + 1 < len && s[i] == '/' && s[i + 1] == '/') {
        i += 2;
        size_t start = i;
        /* userinfo@ */
        size_t at = start;
        int has_at = 0;
        for (size_t k = start; k < len && s[k] != '/' && s[k] != '?' && s[k] != '#'; k++)
            if (s[k] == '@') {
                at = k;
                has_at = 1;
            }
        if (has_at) {
            size_t k = start;
            if (scan_chars(s, at, &k, ":") < 0 || k != at)
                return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                                "%s: bad character in userinfo at byte %zu", what, k);
            i = at + 1;
        }
        if (i < len && s[i] == '[') {
            size_t k = i + 1;
            while (k < len && (is_hex(s[k]) || s[k] == ':' || s[k] == '.' || is_unreserved(s[k]) ||
                               is_subdelim(s[k])))
                k++;
            if (k >= len || s[k] != ']')
                return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                                "%s: unterminated IP literal at byte %zu", what, i);
            i = k + 1;
        } else {
            if (scan_chars(s, len, &i, "") < 0)
                return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                                "%s: bad percent-encoding at byte %zu", what, i);
        }
        if (i < len && s[i] == ':') {
            i++;
            while (i < len && is_digit(s[i]))
                i++;
        }
        if (i < len && s[i] != '/' && s[i] != '?' && s[i] != '#')
            return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                            "%s: bad character in authority at byte %zu", what, i);
    } else if (!has_scheme) {
        /* relative-ref with path-noscheme: the first segment must not contain ':' */
        for (size_t k = 0; k < len && s[k] != '/' && s[k] != '?' && s[k] != '#'; k++)
            if (s[k] == ':')
                return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                                "%s: ':' in the first path segment at byte %zu", what, k);
    }
    /* path */
    if (scan_chars(s, len, &i, ":@/") < 0)
        return ce__errf(CE_EBADVALUE, errstr, errstr_size, "%s: bad percent-encoding at byte %zu",
                        what, i);
    if (i < len && s[i] == '?') {
        i++;
        if (scan_chars(s, len, &i, ":@/?") < 0)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                            "%s: bad percent-encoding at byte %zu", what, i);
    }
    if (i < len && s[i] == '#') {
        if (absolute)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                            "%s: fragment not allowed at byte %zu", what, i);
        i++;
        if (scan_chars(s, len, &i, ":@/?") < 0)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                            "%s: bad percent-encoding at byte %zu", what, i);
    }
    if (i != len)
        return ce__errf(CE_EBADVALUE, errstr, errstr_size, "%s: bad character at byte %zu", what,
                        i);
    return 0;
}

/* ---- RFC 3339 ------------------------------------------------------------------------- */

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parse; returns 0, 1 (valid, but *nanos saturated: outside int64 nanoseconds) or -1 (and
 * sets *why). */
static int parse_rfc3339(const char *s, size_t len, int64_t *nanos, const char **why)
{
    int Y, M, D, h, m, sec;
    size_t i = 0;
    *why = "not an RFC 3339 timestamp";
    if (len < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M)) {
        *why = "not an RFC 3339 timestamp: day or month out of range";
        return -1;
    }
    if (h > 23 || m > 59 || sec > 60) {
        *why = "not an RFC 3339 timestamp: time of day out of range";
        return -1;
    }
    i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t start = i, nd = 0;
        while (i < len && is_digit((unsigned char)s[i])) {
            if (nd < 9) {
                frac = frac * 10 + (s[i] - '0');
                nd++;
            }
            i++;
        }
        if (i == start)
            return -1;
        while (nd++ < 9)
            frac *= 10;
    }
    int off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || digits(s + i + 4, 2, &om))
            return -1;
        if (oh > 23 || om > 59) {
            *why = "not an RFC 3339 timestamp: offset out of range";
            return -1;
        }
        off = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        *why = "not an RFC 3339 timestamp: missing or bad time zone offset";
        return -1;
    }
    if (i != len)
        return -1;
    int64_t secs = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - off * 60;
    /* Every RFC 3339 year (0000-9999) is a valid timestamp, but only 1677-2262 fit in int64
     * nanoseconds: outside that the value is valid and *nanos saturates (callers that need the
     * number check with ce_timestamp_parse's CE_ERANGE). */
    int64_t ns;
    if (__builtin_mul_overflow(secs, (int64_t)1000000000, &ns) ||
        __builtin_add_overflow(ns, frac, &ns)) {
        *nanos = secs < 0 ? INT64_MIN : INT64_MAX;
        return 1;
    }
    *nanos = ns;
    return 0;
}

int ce_timestamp_parse(const char *s, size_t len, int64_t *unix_nanos)
{
    const char *why;
    int64_t n;
    int rc = parse_rfc3339(s, len, &n, &why);
    if (rc < 0)
        return CE_EBADVALUE;
    if (unix_nanos)
        *unix_nanos = n;
    return rc > 0 ? CE_ERANGE : 0;
}

size_t ce_timestamp_format(int64_t unix_nanos, int frac_digits, char *out)
{
    int64_t secs = unix_nanos / 1000000000, ns = unix_nanos % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    /* civil_from_days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mo = (int)(mp < 10 ? mp + 3 : mp - 9);
    y += mo <= 2;
    char *p = out;
    p += snprintf(p, 36, "%04d-%02d-%02dT%02d:%02d:%02d", (int)y, mo, d, (int)(rem / 3600),
                  (int)(rem % 3600 / 60), (int)(rem % 60));
    if (frac_digits == 3 || frac_digits == 6 || frac_digits == 9) {
        int64_t div = frac_digits == 3 ? 1000000 : frac_digits == 6 ? 1000 : 1;
        p += snprintf(p, 12, ".%0*lld", frac_digits, (long long)(ns / div));
    }
    *p++ = 'Z';
    *p = 0;
    return (size_t)(p - out);
}

/* ---- media types ---------------------------------------------------------------------- */

static int is_tchar(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int check_media_type(const char *s, size_t len, char *errstr, size_t errstr_size)
{
    size_t i = 0;
    while (i < len && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i >= len || s[i] != '/')
        return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                        "not a media type (RFC 2046): expected type/subtype");
    size_t j = ++i;
    while (i < len && is_tchar((unsigned char)s[i]))
        i++;
    if (i == j)
        return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                        "not a media type (RFC 2046): empty subtype");
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < len && s[i] != ';')
        return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                        "not a media type (RFC 2046): unexpected character at byte %zu", i);
    return 0;
}

int ce_media_type_is_json(const char *mt, size_t len)
{
    size_t end = 0;
    while (end < len && mt[end] != ';')
        end++;
    while (end > 0 && (mt[end - 1] == ' ' || mt[end - 1] == '\t'))
        end--;
    size_t start = 0;
    while (start < end && (mt[start] == ' ' || mt[start] == '\t'))
        start++;
    const char *slash = memchr(mt + start, '/', end - start);
    if (!slash)
        return 0;
    const char *sub = slash + 1;
    size_t sublen = (size_t)(mt + end - sub);
    if (sublen == 4 && strncasecmp(sub, "json", 4) == 0)
        return 1;
    return sublen > 5 && strncasecmp(sub + sublen - 5, "+json", 5) == 0;
}

/* ---- per type ------------------------------------------------------------------------- */

int ce__parse_int32(const char *s, size_t len, int32_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    if (i >= len || (s[i] == '0' && i + 1 < len))
        return CE_EBADVALUE;
    int64_t v = 0;
    for (; i < len; i++) {
        if (!is_digit((unsigned char)s[i]))
            return CE_EBADVALUE;
        v = v * 10 + (s[i] - '0');
        if (v > 2147483648LL)
            return CE_ERANGE;
    }
    if (neg)
        v = -v;
    if (v > 2147483647LL)
        return CE_ERANGE;
    *out = (int32_t)v;
    return 0;
}

int ce_check_value(ce_type t, const char *v, size_t len, char *errstr, size_t errstr_size)
{
    const char *why;
    int64_t ns;
    int32_t i32;
    int rc;
    switch (t) {
    case CE_TYPE_STRING:
        return ce__check_ce_string(v, len, errstr, errstr_size);
    case CE_TYPE_BOOLEAN:
        if ((len == 4 && memcmp(v, "true", 4) == 0) || (len == 5 && memcmp(v, "false", 5) == 0))
            return 0;
        return ce__errf(CE_EBADVALUE, errstr, errstr_size, "not a Boolean (true or false)");
    case CE_TYPE_INTEGER:
        rc = ce__parse_int32(v, len, &i32);
        if (rc == CE_ERANGE)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                            "Integer out of the signed 32-bit range");
        if (rc)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size, "not an Integer");
        return 0;
    case CE_TYPE_BINARY: {
        ce_buf tmp;
        ce_buf_init(&tmp);
        rc = ce_base64_decode(v, len, &tmp);
        ce_buf_free(&tmp);
        if (rc == CE_ENOMEM)
            return rc;
        if (rc)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size, "not Base64 (RFC 4648)");
        return 0;
    }
    case CE_TYPE_URI:
    case CE_TYPE_URI_REF:
        rc = ce__check_ce_string(v, len, errstr, errstr_size);
        if (rc)
            return rc;
        return check_uri(v, len, t == CE_TYPE_URI, errstr, errstr_size);
    case CE_TYPE_TIMESTAMP:
        if (parse_rfc3339(v, len, &ns, &why) < 0)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size, "%s", why);
        return 0;
    }
    return ce__errf(CE_EINVAL, errstr, errstr_size, "unknown type %d", (int)t);
}

int ce__check_media_type(const char *s, size_t len, char *errstr, size_t errstr_size)
{
    return check_media_type(s, len, errstr, errstr_size);
}

/* CESQL string helpers: lenient UTF-8 stepping (character counts for LENGTH, LEFT,
 * SUBSTRING...), Unicode white space for TRIM, LIKE patterns, and the String casts. */
#include <string.h>

#include "ce/sql_prog.h"

uint32_t ce__sql_utf8_next(const char *str, size_t len, size_t *i)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[*i];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07;
    else
        n = 0, v = 0;
    if (n == 0 || len - *i < n) {
        (*i)++;
        return 0xFFFD;
    }
    for (size_t k = 1; k < n; k++) {
        if ((s[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        v = (v << 6) | (s[*i + k] & 0x3F);
    }
    *i += n;
    return v;
}

size_t ce__sql_utf8_count(const char *s, size_t len)
{
    size_t n = 0, i = 0;
    while (i < len) {
        if (i + 8 <= len) { /* eight ASCII bytes at a time */
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ULL) == 0) {
                i += 8;
                n += 8;
                continue;
            }
        }
        if ((unsigned char)s[i] < 0x80)
            i++;
        else
            ce__sql_utf8_next(s, len, &i);
        n++;
    }
    return n;
}

size_t ce__sql_utf8_skip(const char *s, size_t len, size_t chars)
{
    size_t i = 0;
    while (chars-- > 0 && i < len)
        ce__sql_utf8_next(s, len, &i);
    return i;
}

size_t ce__sql_utf8_put(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

bool ce__sql_is_space(uint32_t cp)
{
    /* PropList.txt White_Space. */
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

size_t ce__sql_like_compile(const char *pat, size_t plen, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < plen; i++) {
        char c = pat[i];
        if (c == '\\' && i + 1 < plen &&
            (pat[i + 1] == '%' || pat[i + 1] == '_' || pat[i + 1] == '\\')) {
            out[n++] = pat[++i];
        } else if (c == '%') {
            if (n == 0 || out[n - 1] != SQL_LIKE_ANY)
                out[n++] = SQL_LIKE_ANY;
        } else if (c == '_') {
            out[n++] = SQL_LIKE_ONE;
        } else {
            out[n++] = c;
        }
    }
    return n;
}

/* Greedy match with backtracking to the last '%': O(len(pat) * len(str)) at worst, no
 * recursion, no allocation. '_' consumes one character (code point). */
bool ce__sql_like_match(const char *pat, size_t plen, const char *str, size_t slen)
{
    size_t p = 0, s = 0, star_p = (size_t)-1, star_s = 0;
    while (s < slen) {
        if (p < plen && pat[p] == SQL_LIKE_ONE) {
            ce__sql_utf8_next(str, slen, &s);
            p++;
        } else if (p < plen && pat[p] == SQL_LIKE_ANY) {
            star_p = ++p;
            star_s = s;
        } else if (p < plen && pat[p] == str[s]) {
            p++;
            s++;
        } else if (star_p != (size_t)-1) {
            /* Retry the text after the last '%' one character further on; when it starts
             * with a literal byte, jump straight to that byte's next occurrence. */
            p = star_p;
            if ((unsigned char)str[star_s] < 0x80)
                star_s++;
            else
                ce__sql_utf8_next(str, slen, &star_s);
            if (p < plen && pat[p] != SQL_LIKE_ANY && pat[p] != SQL_LIKE_ONE) {
                const char *q = star_s < slen ? memchr(str + star_s, pat[p], slen - star_s) : NULL;
                if (!q)
                    return false;
                star_s = (size_t)(q - str);
            }
            s = star_s;
        } else {
            return false;
        }
    }
    while (p < plen && pat[p] == SQL_LIKE_ANY)
        p++;
    return p == plen;
}

bool ce__sql_parse_int(const char *s, size_t len, int32_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == len)
        return false;
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return false;
    }
    if (neg)
        v = -v;
    if (v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

static bool ieq(const char *s, size_t len, const char *lower)
{
    size_t n = strlen(lower);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

bool ce__sql_parse_bool(const char *s, size_t len, int32_t *out)
{
    if (ieq(s, len, "true")) {
        *out = 1;
        return true;
    }
    if (ieq(s, len, "false")) {
        *out = 0;
        return true;
    }
    return false;
}

size_t ce__sql_format_int(int32_t v, char *out)
{
    char tmp[12];
    size_t n = 0, k = 0;
    int64_t x = v;
    if (x < 0) {
        out[k++] = '-';
        x = -x;
    }
    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    while (n)
        out[k++] = tmp[--n];
    return k;
}

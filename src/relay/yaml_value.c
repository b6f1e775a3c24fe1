/* The scalar syntaxes of the configuration: integers, booleans, sizes (8MiB, 1GB), durations
 * (250ms, 2m, 1h30m), enum names; their canonical spellings; did-you-mean distances and the
 * names that mark a header or property value as a secret. Pure functions; thread-safe. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "relay/yaml_schema.h"

static int parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return 0;
}

int cer__yparse_int(const char *s, int64_t *out)
{
    bool neg = *s == '-';
    uint64_t v;
    if (*s == '-' || *s == '+')
        s++;
    if (parse_u64(&s, &v) || *s)
        return -1;
    if (v > (uint64_t)INT64_MAX + neg)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int cer__yparse_bool(const char *s, bool *out)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

int cer__yparse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mul;
    } units[] = {{"", 1},
                 {"b", 1},
                 {"k", 1ull << 10},
                 {"kib", 1ull << 10},
                 {"kb", 1000ull},
                 {"m", 1ull << 20},
                 {"mib", 1ull << 20},
                 {"mb", 1000000ull},
                 {"g", 1ull << 30},
                 {"gib", 1ull << 30},
                 {"gb", 1000000000ull},
                 {"t", 1ull << 40},
                 {"tib", 1ull << 40},
                 {"tb", 1000000000000ull}};
    uint64_t v;
    if (parse_u64(&s, &v))
        return -1;
    while (*s == ' ')
        s++;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (strcasecmp(s, units[i].unit) == 0) {
            if (v > UINT64_MAX / units[i].mul)
                return -1;
            *out = v * units[i].mul;
            return 0;
        }
    }
    return -1;
}

int cer__yparse_duration(const char *s, uint64_t *ms)
{
    uint64_t total = 0, v;
    const char *p = s;
    if (parse_u64(&p, &v))
        return -1;
    if (*p == '\0') { /* a bare number is seconds */
        if (v > UINT64_MAX / 1000)
            return -1;
        *ms = v * 1000;
        return 0;
    }
    for (p = s; *p;) {
        if (parse_u64(&p, &v))
            return -1;
        uint64_t mul;
        if (p[0] == 'm' && p[1] == 's')
            mul = 1, p += 2;
        else if (*p == 's')
            mul = 1000, p++;
        else if (*p == 'm')
            mul = 60000, p++;
        else if (*p == 'h')
            mul = 3600000, p++;
        else if (*p == 'd')
            mul = 86400000, p++;
        else
            return -1;
        if (v > UINT64_MAX / mul || v * mul > UINT64_MAX - total)
            return -1;
        total += v * mul;
    }
    *ms = total;
    return 0;
}

void cer__yfmt_size(uint64_t v, char *buf, size_t n)
{
    static const char *const names[] = {"TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < 4 && v; i++) {
        uint64_t mul = 1ull << (10 * (4 - i));
        if (v % mul == 0) {
            snprintf(buf, n, "%" PRIu64 "%s", v / mul, names[i]);
            return;
        }
    }
    snprintf(buf, n, "%" PRIu64, v);
}

void cer__yfmt_duration(uint64_t ms, char *buf, size_t n)
{
    if (ms && ms % 3600000 == 0)
        snprintf(buf, n, "%" PRIu64 "h", ms / 3600000);
    else if (ms && ms % 60000 == 0)
        snprintf(buf, n, "%" PRIu64 "m", ms / 60000);
    else if (ms % 1000 == 0)
        snprintf(buf, n, "%" PRIu64 "s", ms / 1000);
    else
        snprintf(buf, n, "%" PRIu64 "ms", ms);
}

const cer_yenum *cer__yenum_find(const cer_yenum *e, const char *s)
{
    for (; e->name; e++)
        if (strcasecmp(e->name, s) == 0)
            return e;
    return NULL;
}

void cer__yenum_list(const cer_yenum *e, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const cer_yenum *x = e; x->name && used < n; x++) {
        int w = snprintf(buf + used, n - used, "%s%s", x == e ? "" : ", ", x->name);
        used += w > 0 ? (size_t)w : 0;
    }
}

unsigned cer__yedit_distance(const char *a, const char *b, unsigned cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    unsigned row[65], prev[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            unsigned del = prev[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, row, (lb + 1) * sizeof *row);
    }
    return prev[lb] > cap ? cap + 1 : prev[lb];
}

bool cer__ysecret_name(const char *name)
{
    static const char *const words[] = {"token",  "key",        "secret", "password",
                                        "passwd", "credential", "cookie"};
    char low[128];
    size_t n = strlen(name);
    if (n >= sizeof low)
        return true; /* odd, long names: err on the side of not printing */
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    if (strcmp(low, "authorization") == 0 || strcmp(low, "proxy-authorization") == 0)
        return true;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strstr(low, words[i]))
            return true;
    return false;
}

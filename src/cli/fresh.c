/* Freshness histograms for `cerelay tail --stats` (see fresh.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/fresh.h"

/* Bucket i holds ages in [G^i - 1, G^(i+1) - 1) ms, G = 1.02; the last one everything above
 * (~ 10^10 ms, four months). */
#define GROWTH 1.02
enum { NBUCKETS = 1165, NAME_MAX_LEN = 128 };

typedef struct series {
    char type[NAME_MAX_LEN], tenant[NAME_MAX_LEN];
    uint64_t n, future; /* future: event time after the consume time (clock skew) */
    int64_t max_ms;
    uint32_t b[NBUCKETS];
} series;

struct fresh {
    series *s[FRESH_MAX_SERIES + 1]; /* the last slot is "other" */
    int n;
    uint64_t no_time;
};

fresh *fresh_new(void)
{
    return calloc(1, sizeof(fresh));
}

void fresh_destroy(fresh *f)
{
    if (!f)
        return;
    for (int i = 0; i <= FRESH_MAX_SERIES; i++)
        free(f->s[i]);
    free(f);
}

static int bucket_of(int64_t ms)
{
    int i = (int)(log((double)ms + 1) / log(GROWTH));
    return i < 0 ? 0 : i >= NBUCKETS ? NBUCKETS - 1 : i;
}

/* Midpoint of a bucket, in ms. */
static double bucket_value(int i)
{
    return (pow(GROWTH, i) + pow(GROWTH, i + 1)) / 2 - 1;
}

static series *find(fresh *f, ce_slice type, ce_slice tenant)
{
    for (int i = 0; i < f->n; i++)
        if (strlen(f->s[i]->type) == type.len && !memcmp(f->s[i]->type, type.ptr, type.len) &&
            strlen(f->s[i]->tenant) == tenant.len &&
            !memcmp(f->s[i]->tenant, tenant.ptr, tenant.len))
            return f->s[i];
    int slot = f->n < FRESH_MAX_SERIES && type.len < NAME_MAX_LEN && tenant.len < NAME_MAX_LEN
                   ? f->n
                   : FRESH_MAX_SERIES;
    if (!f->s[slot]) {
        series *s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
        if (slot == FRESH_MAX_SERIES) {
            strcpy(s->type, "other");
            strcpy(s->tenant, "other");
        } else {
            memcpy(s->type, type.ptr, type.len);
            memcpy(s->tenant, tenant.ptr, tenant.len);
            f->n++;
        }
        f->s[slot] = s;
    }
    return f->s[slot];
}

void fresh_add(fresh *f, const ce_event *ev, int64_t now_ms)
{
    ce_slice t = ce_event_get_str(ev, "time");
    int64_t ns;
    if (!t.ptr || ce_timestamp_parse(t.ptr, t.len, &ns) != 0) {
        f->no_time++;
        return;
    }
    ce_slice type = ce_event_get_str(ev, "type");
    ce_slice tenant = ce_event_get_str(ev, "tenantid");
    if (!tenant.ptr)
        tenant = ce_event_get_str(ev, "subject");
    if (!tenant.ptr)
        tenant = (ce_slice){"-", 1};
    series *s = find(f, type, tenant);
    if (!s)
        return;
    int64_t age = now_ms - ns / 1000000;
    if (age < 0) {
        s->future++;
        age = 0;
    }
    s->n++;
    if (age > s->max_ms)
        s->max_ms = age;
    s->b[bucket_of(age)]++;
}

static double quantile(const series *s, double q)
{
    uint64_t rank = (uint64_t)ceil(q * (double)s->n), seen = 0;
    if (rank == 0)
        rank = 1;
    for (int i = 0; i < NBUCKETS; i++) {
        seen += s->b[i];
        if (seen >= rank) {
            double v = bucket_value(i);
            return v > (double)s->max_ms ? (double)s->max_ms : v;
        }
    }
    return (double)s->max_ms;
}

static int cmp_series(const void *a, const void *b)
{
    const series *x = *(series *const *)a, *y = *(series *const *)b;
    int c = strcmp(x->type, y->type);
    return c ? c : strcmp(x->tenant, y->tenant);
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

void fresh_print(const fresh *f, FILE *out, int json, int final)
{
    series *v[FRESH_MAX_SERIES + 1];
    int n = 0;
    uint64_t total = 0;
    for (int i = 0; i <= FRESH_MAX_SERIES; i++)
        if (f->s[i] && f->s[i]->n)
            v[n++] = f->s[i], total += f->s[i]->n;
    qsort(v, (size_t)n, sizeof *v, cmp_series);
    if (json) {
        fprintf(out, "{\"final\":%s,\"events\":%llu,\"without_time\":%llu,\"series\":[",
                final ? "true" : "false", (unsigned long long)total,
                (unsigned long long)f->no_time);
        for (int i = 0; i < n; i++) {
            fputs(i ? ",{\"type\":" : "{\"type\":", out);
            json_str(out, v[i]->type);
            fputs(",\"tenant\":", out);
            json_str(out, v[i]->tenant);
            fprintf(out,
                    ",\"count\":%llu,\"p50_seconds\":%.3f,\"p95_seconds\":%.3f,"
                    "\"p99_seconds\":%.3f,\"max_seconds\":%.3f,\"future\":%llu}",
                    (unsigned long long)v[i]->n, quantile(v[i], 0.50) / 1000,
                    quantile(v[i], 0.95) / 1000, quantile(v[i], 0.99) / 1000,
                    (double)v[i]->max_ms / 1000, (unsigned long long)v[i]->future);
        }
        fputs("]}\n", out);
        fflush(out);
        return;
    }
    fprintf(out, "%s%-36s %-24s %9s %9s %9s %9s %9s\n", final ? "final\n" : "", "TYPE", "TENANT",
            "COUNT", "P50", "P95", "P99", "MAX");
    for (int i = 0; i < n; i++)
        fprintf(out, "%-36s %-24s %9llu %8.3fs %8.3fs %8.3fs %8.3fs\n", v[i]->type, v[i]->tenant,
                (unsigned long long)v[i]->n, quantile(v[i], 0.50) / 1000,
                quantile(v[i], 0.95) / 1000, quantile(v[i], 0.99) / 1000,
                (double)v[i]->max_ms / 1000);
    if (f->no_time)
        fprintf(out, "(%llu event(s) without a time attribute)\n", (unsigned long long)f->no_time);
    fputc('\n', out);
    fflush(out);
}

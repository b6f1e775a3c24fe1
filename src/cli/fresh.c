/* Freshness histograms for `cerelay tail --stats` (see fresh.h); the tenant rule and the
 * histogram are the relay's own (src/pipeline/fresh.c). */
#include <stdlib.h>
#include <string.h>

#include "cli/fresh.h"

typedef struct series {
    char type[CER_FRESH_NAME_MAX], tenant[CER_FRESH_NAME_MAX];
    uint64_t n, future; /* future: event time after the consume time (clock skew) */
    int64_t max_ms;
    uint64_t b[CER_FRESH_NBUCKETS]; /* ages in ms (pipeline/fresh.h) */
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

static series *find(fresh *f, ce_slice type, ce_slice tenant)
{
    for (int i = 0; i < f->n; i++)
        if (strlen(f->s[i]->type) == type.len && !memcmp(f->s[i]->type, type.ptr, type.len) &&
            strlen(f->s[i]->tenant) == tenant.len &&
            !memcmp(f->s[i]->tenant, tenant.ptr, tenant.len))
            return f->s[i];
    int slot =
        f->n < FRESH_MAX_SERIES && type.len < CER_FRESH_NAME_MAX && tenant.len < CER_FRESH_NAME_MAX
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
    ce_slice tenant = cer_fresh_tenant(ev);
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
    s->b[cer_fresh_bucket(age)]++;
}

static double quantile(const series *s, double q)
{
    return cer_fresh_quantile(s->b, s->n, s->max_ms, q);
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

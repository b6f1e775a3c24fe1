/* Shared pieces of `cerelay lag`: the row set, filters and the event-time probe. */
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"
#include "cli/lag.h"

int64_t lag_records(const lag_row *r)
{
    int64_t from = r->committed > r->start ? r->committed : r->start;
    return r->end > from ? r->end - from : 0;
}

lag_row *lag_set_add(lag_set *s)
{
    if (s->n == s->cap) {
        if (s->cap >= LAG_MAX_ROWS)
            return NULL;
        size_t cap = s->cap ? s->cap * 2 : 64;
        lag_row *nr = realloc(s->rows, cap * sizeof *nr);
        if (!nr)
            return NULL;
        s->rows = nr, s->cap = cap;
    }
    lag_row *r = &s->rows[s->n++];
    memset(r, 0, sizeof *r);
    r->committed = r->start = r->end = r->next_ts_ms = r->next_event_ms = -1;
    return r;
}

void lag_set_free(lag_set *s)
{
    free(s->rows);
    s->rows = NULL;
    s->n = s->cap = 0;
}

static int cmp_row(const void *a, const void *b)
{
    const lag_row *x = a, *y = b;
    int c = strcmp(x->group, y->group);
    if (!c)
        c = strcmp(x->topic, y->topic);
    if (!c)
        c = (x->partition > y->partition) - (x->partition < y->partition);
    return c;
}

void lag_set_sort(lag_set *s)
{
    if (s->n > 1)
        qsort(s->rows, s->n, sizeof *s->rows, cmp_row);
}

int lag_name_wanted(const char *name, const char *const *list, int n)
{
    if (n == 0)
        return 1;
    for (int i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return 1;
    return 0;
}

int64_t lag_event_time_ms(const ce_kafka_message *msg)
{
    ce_event *ev = ce_event_new();
    int64_t ms = -1;
    char err[256];
    if (ev && ce_kafka_decode_into(msg, NULL, ev, err, sizeof err) == 0) {
        ce_slice t = ce_event_get_str(ev, "time");
        int64_t ns;
        if (t.ptr && ce_timestamp_parse(t.ptr, t.len, &ns) == 0)
            ms = ns / 1000000;
    }
    ce_event_destroy(ev);
    return ms;
}

/* Local-log side of `cerelay lag`: groups are the files DIR/groups/<group>.offsets, topics the
 * files DIR/<topic>.topic (docs/log-format.md); positions and record timestamps come from the
 * log library's group and reader calls, which take no lock, so this runs beside the writer. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce_binding.h"
#include "cerelay/log.h"
#include "cli/lag.h"
#include "cli/source.h"

enum { MAX_NAMES = 10000, MAX_HDRS = 256 };

/* Names of DIR's entries ending in `suffix`, sorted. Returns the count or -1. */
static int list_names(const char *dir, const char *suffix, char ***out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    size_t sl = strlen(suffix);
    int n = 0, cap = 0;
    char **v = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < MAX_NAMES) {
        size_t l = strlen(de->d_name);
        if (l <= sl || l - sl >= LAG_NAME_MAX || strcmp(de->d_name + l - sl, suffix) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv)
                break;
            v = nv;
        }
        v[n] = strndup(de->d_name, l - sl);
        if (v[n])
            n++;
    }
    closedir(d);
    for (int i = 1; i < n; i++) /* insertion sort: short lists */
        for (int j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            char *t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    *out = v;
    return n;
}

static void free_names(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* "partitions N" from DIR/<topic>.topic; -1 when unreadable. */
static int topic_partitions(const char *dir, const char *topic)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.topic", dir, topic);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = -1;
    if (fscanf(f, "cerelay-topic 1 partitions %d", &n) != 1 || n < 1 || n > 10000)
        n = -1;
    fclose(f);
    return n;
}

static void rec_times(const cer_log_rec *rec, lag_row *r)
{
    ce_header hdrs[MAX_HDRS];
    size_t nh = rec->header_count < MAX_HDRS ? rec->header_count : MAX_HDRS;
    for (size_t i = 0; i < nh; i++) {
        hdrs[i].name.ptr = rec->headers[i].name;
        hdrs[i].name.len = rec->headers[i].name_len;
        hdrs[i].value.ptr = rec->headers[i].value ? rec->headers[i].value : "";
        hdrs[i].value.len = rec->headers[i].value_len;
    }
    ce_kafka_message msg = {{rec->key, rec->key_len}, {rec->value, rec->value_len}, hdrs, nh};
    r->next_ts_ms = rec->timestamp_ms;
    r->next_event_ms = lag_event_time_ms(&msg);
}

int lag_log_collect(const char *dir, const lag_query *q, lag_set *out, char *err, size_t errsz)
{
    out->n = 0;
    char gdir[4096];
    snprintf(gdir, sizeof gdir, "%s/groups", dir);
    char **groups = NULL, **topics = NULL;
    int ng = list_names(gdir, ".offsets", &groups);
    int nt = list_names(dir, ".topic", &topics);
    if (nt < 0) {
        snprintf(err, errsz, "log: cannot open directory '%s'", dir);
        free_names(groups, ng);
        return -1;
    }
    int rc = 0;
    char why[512];
    for (int t = 0; t < nt && rc == 0; t++) {
        if (!lag_name_wanted(topics[t], q->topics, q->ntopics))
            continue;
        int np = topic_partitions(dir, topics[t]);
        if (np < 0) {
            snprintf(err, errsz, "log: topic '%s': unreadable %s/%s.topic", topics[t], dir,
                     topics[t]);
            rc = -1;
            break;
        }
        for (int p = 0; p < np && rc == 0; p++) {
            cer_log_reader *rd = NULL;
            int64_t start = 0, end = 0;
            int have_range = 0;
            for (int g = 0; g < ng && rc == 0; g++) {
                if (!lag_name_wanted(groups[g], q->groups, q->ngroups))
                    continue;
                cer_log_group *grp = NULL;
                int64_t committed;
                if (cer_log_group_open(&grp, dir, groups[g], why, sizeof why) != 0) {
                    snprintf(err, errsz, "log: group '%s': %s", groups[g], why);
                    rc = -1;
                    break;
                }
                int c = cer_log_group_committed(grp, topics[t], p, &committed, why, sizeof why);
                cer_log_group_close(grp);
                if (c == CER_LOG_ENOTFOUND)
                    continue;
                if (c != 0) {
                    snprintf(err, errsz, "log: group '%s': %s", groups[g], why);
                    rc = -1;
                    break;
                }
                if (!rd) {
                    if (src_log_range(dir, topics[t], p, &start, &end, why, sizeof why) != 0 ||
                        cer_log_reader_open(&rd, dir, topics[t], p, NULL, why, sizeof why) != 0) {
                        snprintf(err, errsz, "log: topic '%s' partition %d: %s", topics[t], p, why);
                        rc = -1;
                        break;
                    }
                    have_range = 1;
                }
                lag_row *r = lag_set_add(out);
                if (!r) {
                    snprintf(err, errsz, "more than %d group partitions", LAG_MAX_ROWS);
                    rc = -1;
                    break;
                }
                snprintf(r->group, sizeof r->group, "%s", groups[g]);
                snprintf(r->topic, sizeof r->topic, "%s", topics[t]);
                r->partition = p;
                r->committed = committed;
                r->start = start, r->end = end;
                cer_log_rec rec;
                if (have_range && lag_records(r) > 0 &&
                    cer_log_reader_seek(rd, CER_LOG_SEEK_OFFSET,
                                        committed > start ? committed : start, why,
                                        sizeof why) == 0 &&
                    cer_log_reader_next(rd, &rec, 0, why, sizeof why) == 0)
                    rec_times(&rec, r);
            }
            cer_log_reader_close(rd);
        }
    }
    for (int g = 0; g < q->ngroups && rc == 0; g++) {
        int found = 0;
        for (int i = 0; i < ng && !found; i++)
            found = strcmp(groups[i], q->groups[g]) == 0;
        if (!found) {
            snprintf(err, errsz, "log: no group '%s' in '%s'", q->groups[g], dir);
            rc = -1;
        }
    }
    free_names(groups, ng);
    free_names(topics, nt);
    lag_set_sort(out);
    return rc;
}

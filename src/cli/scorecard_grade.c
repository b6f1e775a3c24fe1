/* The checks of `cerelay scorecard`: each grade_* turns what the run measured into rows of
 * the report (scorecard.h) against the thresholds; and the per-second series for the charts. */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/scorecard_run.h"

/* ---------------------------------------------------------------------- statistics --- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* q-quantile of v[0..n) (sorted in place); NaN when n == 0. */
double sc_pct(double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_d);
    size_t i = (size_t)ceil(q * (double)n);
    return v[i ? i - 1 : 0];
}

static int in_burst(const run_ctx *c, int64_t gen_ms)
{
    double t = (double)(gen_ms - c->t0_wall) / 1000.0;
    for (int i = 0; i < c->rep->nbursts; i++)
        if (t >= c->rep->bursts[i][0] && t < c->rep->bursts[i][1])
            return 1;
    return 0;
}

/* Excluded from the steady/burst freshness rows: the broker restart (its own row) and, for a
 * stalled group, nothing (the stall is what the test wants to see). */
static int in_restart(const run_ctx *c, int64_t gen_ms)
{
    const ops_run *r = &c->ops;
    return r->restart_done && gen_ms >= r->restart_from_ms - 1000 &&
           gen_ms < r->restart_until_ms + 5000;
}

static void fresh_stats(const run_ctx *c, const sc_group *g, int burst_only, double *p50,
                        double *p99, size_t *n)
{
    double *v = malloc((g->nsamples + 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < g->nsamples; i++) {
        const sc_sample *s = &g->samples[i];
        if (s->gen_ms < c->t0_wall + WARMUP_MS || in_restart(c, s->gen_ms) ||
            in_burst(c, s->gen_ms) != burst_only)
            continue;
        double f = (double)(s->cons_ms - s->gen_ms);
        v[k++] = f < 0 ? 0 : f;
    }
    *n = k;
    *p99 = sc_pct(v, k, 0.99);
    *p50 = sc_pct(v, k, 0.50);
    free(v);
}

static void fmt_ms(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "none");
    else if (v >= 10000)
        snprintf(buf, n, "%.1f s", v / 1000);
    else
        snprintf(buf, n, "%.0f ms", v);
}

static void limit_text(sc_row *w, const sc_limit *l, const char *unit)
{
    snprintf(w->limit, sizeof w->limit, "%s %g%s / %g%s", l->higher_better ? ">=" : "<=", l->green,
             unit, l->yellow, unit);
}

/* The second client: Python's confluent_kafka (the consumer pattern of seed 002) reading the
 * binary and the structured topic back, checking the CloudEvents attributes it sees. */
static const char compat_py[] =
    "import json, sys\n"
    "from confluent_kafka import Consumer, TopicPartition\n"
    "brokers, binary, structured = sys.argv[1:4]\n"
    "conf = {'bootstrap.servers': brokers, 'group.id': 'cerelay-scorecard-python',\n"
    "        'enable.auto.commit': False, 'log_level': 0}\n"
    "for kv in sys.argv[4:]:\n"
    "    k, v = kv.split('=', 1)\n"
    "    conf[k] = v\n"
    "def read(topic, check):\n"
    "    c = Consumer(conf)\n"
    "    md = c.list_topics(topic, timeout=10)\n"
    "    parts, ends = [], {}\n"
    "    for p in md.topics[topic].partitions:\n"
    "        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)\n"
    "        ends[p] = hi\n"
    "        parts.append(TopicPartition(topic, p, 0))\n"
    "    c.assign(parts)\n"
    "    pos = {p: 0 for p in ends}\n"
    "    ok = bad = 0\n"
    "    ids = set()\n"
    "    idle = 0\n"
    "    while any(pos[p] < ends[p] for p in ends) and idle < 100:\n"
    "        m = c.poll(0.2)\n"
    "        if m is None:\n"
    "            idle += 1\n"
    "            continue\n"
    "        idle = 0\n"
    "        if m.error():\n"
    "            continue\n"
    "        pos[m.partition()] = m.offset() + 1\n"
    "        if m.offset() >= ends[m.partition()]:\n"
    "            continue\n"
    "        i = check(m)\n"
    "        if i and i not in ids:\n"
    "            ids.add(i)\n"
    "            ok += 1\n"
    "        else:\n"
    "            bad += 1\n"
    "    c.close()\n"
    "    return ok, bad\n"
    "def check_binary(m):\n"
    "    h = {k: v for k, v in (m.headers() or [])}\n"
    "    need = ['ce_specversion', 'ce_id', 'ce_source', 'ce_type', 'ce_time', 'ce_scseq']\n"
    "    if any(k not in h for k in need) or h['ce_specversion'] != b'1.0':\n"
    "        return None\n"
    "    json.loads(m.value())\n"
    "    return h['ce_id']\n"
    "def check_structured(m):\n"
    "    h = {k: v for k, v in (m.headers() or [])}\n"
    "    if not h.get('content-type', b'').startswith(b'application/cloudevents+json'):\n"
    "        return None\n"
    "    e = json.loads(m.value())\n"
    "    if e.get('specversion') != '1.0' or not e.get('id') or 'scseq' not in e:\n"
    "        return None\n"
    "    return e['id']\n"
    "bo, bb = read(binary, check_binary)\n"
    "so, sb = read(structured, check_structured)\n"
    "print(json.dumps({'binary_ok': bo, 'binary_bad': bb, 'structured_ok': so,\n"
    "                  'structured_bad': sb}))\n";

typedef struct compat_res {
    int python; /* 1: Python confluent_kafka ran */
    size_t bin_ok, bin_bad, st_ok, st_bad;
    char why[256];
} compat_res;

/* Run the Python reader; 0 when it ran and printed its summary, -1 otherwise (why set). */
static int compat_python(run_ctx *c, compat_res *r)
{
    char path[] = "/tmp/cerelay-scorecard-XXXXXX.py";
    int fd = mkstemps(path, 3);
    if (fd < 0) {
        snprintf(r->why, sizeof r->why, "mkstemps: %s", strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path);
        return -1;
    }
    fputs(compat_py, f);
    fclose(f);
    /* Debian's python3-confluent-kafka lives in /usr/bin/python3; prefer it. */
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char cmd[4096];
    int n = snprintf(cmd, sizeof cmd, "%s -B %s '%s' '%s' '%s'", py, path, c->o->brokers, c->topic,
                     c->struct_topic);
    for (int i = 0; i < c->o->nprops && n > 0 && (size_t)n < sizeof cmd; i++)
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " '%s'", c->o->props[i]);
    int rc = -1;
    if (strchr(c->o->brokers, '\'') == NULL && n > 0 && (size_t)n < sizeof cmd) {
        FILE *p = popen(cmd, "r");
        char line[1024] = "";
        if (p) {
            while (fgets(line, sizeof line, p))
                if (strncmp(line, "{\"binary_ok\"", 12) == 0)
                    break;
            int st = pclose(p);
            unsigned long a, b2, s1, s2;
            if (st == 0 &&
                sscanf(line,
                       "{\"binary_ok\": %lu, \"binary_bad\": %lu, \"structured_ok\": %lu, "
                       "\"structured_bad\": %lu}",
                       &a, &b2, &s1, &s2) == 4) {
                r->python = 1;
                r->bin_ok = a, r->bin_bad = b2, r->st_ok = s1, r->st_bad = s2;
                rc = 0;
            } else {
                snprintf(r->why, sizeof r->why, "python3 with confluent_kafka not usable (exit %d)",
                         st);
            }
        }
    }
    unlink(path);
    return rc;
}
static sc_row *row(run_ctx *c, const char *id, const char *title)
{
    static sc_row spare;
    sc_row *w = sc_report_add(c->rep, id, title);
    return w ? w : &spare;
}

void sc_grade_ack(run_ctx *c)
{
    prod *p = &c->p;
    double *v = malloc((p->emitted + 1) * sizeof *v);
    double *w0 = malloc((p->emitted + 1) * sizeof *w0);
    size_t k = 0, kw = 0;
    for (size_t i = 0; v && w0 && i < p->emitted && i < p->cap; i++) {
        if (!p->ack_ns[i])
            continue;
        double ms = (double)(p->ack_ns[i] - p->emit_ns[i]) / 1e6;
        if (p->emit_wall_ms[i] < c->t0_wall + WARMUP_MS)
            w0[kw++] = ms;
        else
            v[k++] = ms;
    }
    double p99 = sc_pct(v, k, 0.99), p50 = sc_pct(v, k, 0.5), warm = sc_pct(w0, kw, 0.99);
    free(v);
    free(w0);
    sc_row *w = row(c, "produce.ack_latency", "produce ack latency p50/p99");
    char a[32], b[32], cw[32];
    fmt_ms(a, sizeof a, p50);
    fmt_ms(b, sizeof b, p99);
    fmt_ms(cw, sizeof cw, warm);
    snprintf(w->value, sizeof w->value, "%s / %s", a, b);
    w->measured = p99;
    limit_text(w, &c->th.produce_ack_p99_ms, " ms");
    w->grade = sc_grade_of(&c->th.produce_ack_p99_ms, p99);
    snprintf(w->note, sizeof w->note,
             "%zu events (acks=all, idempotent); first second (connection setup, %zu events) "
             "left out: p99 %s",
             k, kw, cw);
}

void sc_grade_fresh(run_ctx *c, int gi, int burst_only, const sc_limit *l)
{
    sc_group *g = &c->g[gi];
    double p50, p99;
    size_t n;
    fresh_stats(c, g, burst_only, &p50, &p99, &n);
    char id[48], title[80], a[32], b[32];
    snprintf(id, sizeof id, "freshness.%s.%s", g->name, burst_only ? "burst" : "steady");
    snprintf(title, sizeof title, "freshness %s %s p50/p99", g->name,
             burst_only ? "burst" : "steady");
    sc_row *w = row(c, id, title);
    if (burst_only && c->rep->nbursts == 0) {
        snprintf(w->note, sizeof w->note, "no bursts in this run (--burst none)");
        return;
    }
    fmt_ms(a, sizeof a, p50);
    fmt_ms(b, sizeof b, p99);
    snprintf(w->value, sizeof w->value, "%s / %s", a, b);
    w->measured = p99;
    limit_text(w, l, " ms");
    w->grade = sc_grade_of(l, p99);
    snprintf(w->note, sizeof w->note,
             "%zu events after the first second, consume time - event time%s%s", n,
             c->o->stall && strcmp(c->o->stall, g->name) == 0 ? "; STALLED by --stall-group" : "",
             c->ops.restart_done ? "; broker-restart window excluded" : "");
    if (n == 0 && g->nsamples > 0 && c->ops.restart_done) {
        w->grade = SC_SKIP;
        snprintf(w->value, sizeof w->value, "none");
        snprintf(w->note, sizeof w->note,
                 "every such event fell in the broker-restart window (graded by its row)");
    } else if (n == 0) {
        w->grade = SC_RED;
        snprintf(w->note, sizeof w->note, "no events consumed");
    }
}

/* After each burst: the time from its end until the group had consumed every event generated
 * during it. The worst burst is reported. */
void sc_grade_recovery(run_ctx *c)
{
    sc_group *g = &c->g[0];
    sc_row *w = row(c, "lag.recovery", "lag recovery after burst (alerting)");
    if (c->rep->nbursts == 0) {
        snprintf(w->note, sizeof w->note, "no bursts in this run");
        return;
    }
    double worst = 0;
    int unrecovered = 0;
    for (int b = 0; b < c->rep->nbursts; b++) {
        int64_t s = c->t0_wall + (int64_t)(c->rep->bursts[b][0] * 1000);
        int64_t e = c->t0_wall + (int64_t)(c->rep->bursts[b][1] * 1000);
        int64_t last = -1;
        size_t in = 0;
        for (size_t i = 0; i < g->nsamples; i++) {
            const sc_sample *x = &g->samples[i];
            if (x->gen_ms >= s && x->gen_ms < e) {
                in++;
                if (x->cons_ms > last)
                    last = x->cons_ms;
            }
        }
        if (in == 0) {
            unrecovered++;
            continue;
        }
        double r = (double)(last - e) / 1000.0;
        if (r > worst)
            worst = r;
    }
    w->measured = worst;
    snprintf(w->value, sizeof w->value, "%.2f s (worst of %d)", worst, c->rep->nbursts);
    limit_text(w, &c->th.lag_recovery_s, " s");
    w->grade = sc_grade_of(&c->th.lag_recovery_s, worst);
    snprintf(w->note, sizeof w->note, "burst end -> last burst event consumed");
    if (unrecovered) {
        w->grade = SC_RED;
        snprintf(w->note, sizeof w->note, "%d burst(s) with no event consumed", unrecovered);
    }
}

void sc_grade_throttled(run_ctx *c)
{
    sc_group *g = &c->g[3];
    sc_row *w = row(c, "consumer.throttled", "throttled consumer isolated");
    size_t lag = c->p.acked > g->distinct ? c->p.acked - g->distinct : 0;
    snprintf(w->value, sizeof w->value, "read %zu, lag %zu", g->distinct, lag);
    w->measured = (double)lag;
    snprintf(w->limit, sizeof w->limit, "reads progress, others fresh");
    snprintf(w->note, sizeof w->note,
             "capped at %.0f ev/s: its lag must not slow alerting (graded by that row)",
             g->throttle_eps);
    w->grade = g->distinct > 0 && g->errors == 0 && g->undecodable == 0 ? SC_GREEN : SC_RED;
}

void sc_grade_losses(run_ctx *c)
{
    prod *p = &c->p;
    sc_row *w = row(c, "delivery.losses", "acknowledged events lost");
    size_t lost = 0, worst_group = 0;
    char which[120] = "";
    for (int gi = 0; gi < 3; gi++) {
        sc_group *g = &c->g[gi];
        size_t l = 0;
        for (size_t i = 0; i < p->emitted && i < p->cap; i++)
            if (p->ack_ns[i] && !g->seen[i])
                l++;
        if (l > lost) {
            lost = l;
            worst_group = (size_t)gi;
        }
        if (l)
            snprintf(which + strlen(which), sizeof which - strlen(which), "%s%s %zu",
                     which[0] ? ", " : "", g->name, l);
    }
    (void)worst_group;
    w->measured = (double)lost;
    snprintf(w->value, sizeof w->value, "%zu of %zu acked", lost, p->acked);
    snprintf(w->limit, sizeof w->limit, "0");
    w->grade = lost ? SC_RED : SC_GREEN;
    if (lost)
        snprintf(w->note, sizeof w->note, "not consumed: %s", which);
    else
        snprintf(w->note, sizeof w->note,
                 "alerting, evaluation, audit read every acked id; %zu produce failures%s%s",
                 p->failed, p->failed ? ": " : "", p->failed ? p->first_error : "");
    if (!lost && p->failed)
        w->grade = SC_YELLOW;

    sc_group *a = &c->g[2];
    sc_row *d = row(c, "delivery.duplicates", "duplicates (audit)");
    double ratio = a->consumed ? (double)a->duplicates / (double)a->consumed : 0;
    d->measured = ratio;
    snprintf(d->value, sizeof d->value, "%zu (%.4f%%)", a->duplicates, ratio * 100);
    limit_text(d, &c->th.duplicate_ratio, "");
    d->grade = sc_grade_of(&c->th.duplicate_ratio, ratio);
    snprintf(d->note, sizeof d->note, "ids read more than once by the audit group");
}

void sc_grade_replay(run_ctx *c, int rc, const sc_replay_result *r, const uint8_t *seen,
                     const char *err)
{
    prod *p = &c->p;
    sc_row *w = row(c, "replay.exactness", "replay exactness (every id once)");
    sc_row *t = row(c, "replay.throughput", "replay throughput");
    if (rc != 0) {
        snprintf(w->value, sizeof w->value, "failed");
        snprintf(w->note, sizeof w->note, "%s", err);
        w->grade = SC_RED;
        snprintf(t->note, sizeof t->note, "replay failed");
        t->grade = SC_RED;
        return;
    }
    size_t missing = 0, dup = 0;
    for (size_t i = 0; i < p->emitted && i < p->cap; i++) {
        if (p->ack_ns[i] && !seen[i])
            missing++;
        if (seen[i] > 1)
            dup += seen[i] - 1u;
    }
    w->measured = (double)(missing + dup);
    snprintf(w->value, sizeof w->value, "%zu read, %zu missing, %zu dup", r->read, missing, dup);
    snprintf(w->limit, sizeof w->limit, "0 missing, 0 duplicated");
    w->grade = missing ? SC_RED : dup ? SC_YELLOW : SC_GREEN;
    snprintf(w->note, sizeof w->note,
             "new group from offset 0 to the end offsets; %zu copied "
             "to %s",
             r->copied, c->dev_topic);
    if (r->copied != r->read) {
        w->grade = SC_RED;
        snprintf(w->note, sizeof w->note, "%zu read but %zu copied to %s", r->read, r->copied,
                 c->dev_topic);
    }
    double eps = r->seconds > 0 ? (double)r->read / r->seconds : 0;
    t->measured = eps;
    snprintf(t->value, sizeof t->value, "%.0f ev/s (%zu in %.2f s)", eps, r->read, r->seconds);
    limit_text(t, &c->th.replay_events_per_s, " ev/s");
    t->grade = sc_grade_of(&c->th.replay_events_per_s, eps);
    snprintf(t->note, sizeof t->note, "read and copied with the replay destination, all acked");
}

void sc_grade_compat(run_ctx *c, int prc, const char *perr)
{
    sc_row *w = row(c, "clients.compat", "client compatibility (binary+structured)");
    snprintf(w->limit, sizeof w->limit, "all read back by a second client");
    if (prc != 0) {
        snprintf(w->value, sizeof w->value, "structured produce failed");
        snprintf(w->note, sizeof w->note, "%s", perr);
        w->grade = SC_RED;
        return;
    }
    compat_res r;
    memset(&r, 0, sizeof r);
    char err[256];
    size_t lok = 0, lbad = 0;
    int lrc = sc_read_back(&c->kc, c->struct_topic, COMPAT_EVENTS, &lok, &lbad, err, sizeof err);
    if (compat_python(c, &r) == 0) {
        int good = r.bin_ok == c->p.acked && r.bin_bad == 0 && r.st_ok == COMPAT_EVENTS &&
                   r.st_bad == 0 && lrc == 0 && lok == COMPAT_EVENTS && lbad == 0;
        snprintf(w->value, sizeof w->value, "binary %zu/%zu, structured %zu/%d", r.bin_ok,
                 c->p.acked, r.st_ok, COMPAT_EVENTS);
        snprintf(w->note, sizeof w->note,
                 "Python confluent_kafka read both (bad: %zu, %zu); cerelay's binding decoded "
                 "%zu structured",
                 r.bin_bad, r.st_bad, lok);
        w->measured = (double)(r.bin_bad + r.st_bad + lbad);
        w->grade = good ? SC_GREEN : SC_RED;
        return;
    }
    /* No Python client: librdkafka directly (cerelay's own decoder) for both topics. */
    size_t bok = 0, bbad = 0;
    int brc = sc_read_back(&c->kc, c->topic, c->p.acked, &bok, &bbad, err, sizeof err);
    snprintf(w->value, sizeof w->value, "binary %zu/%zu, structured %zu/%d", bok, c->p.acked, lok,
             COMPAT_EVENTS);
    snprintf(w->note, sizeof w->note, "librdkafka + cerelay's binding (%s)", r.why);
    w->measured = (double)(bbad + lbad);
    w->grade =
        brc == 0 && lrc == 0 && bok == c->p.acked && bbad == 0 && lok == COMPAT_EVENTS && lbad == 0
            ? SC_GREEN
            : SC_RED;
}

void sc_grade_ops(run_ctx *c)
{
    ops_run *r = &c->ops;
    const opts *o = c->o;
    sc_row *w = row(c, "ops.retention", "extend retention (AlterConfigs)");
    if (!o->op_retention) {
        snprintf(w->note, sizeof w->note, "not run (--ops)");
    } else if (!r->retention_done || r->retention_rc != 0) {
        snprintf(w->value, sizeof w->value, "failed");
        snprintf(w->note, sizeof w->note, "%s",
                 r->retention_done ? r->retention_err : "not reached");
        w->grade = SC_RED;
    } else {
        snprintf(w->value, sizeof w->value, "retention.ms %lld", (long long)r->retention_got);
        snprintf(w->limit, sizeof w->limit, "= %lld (30 d)", (long long)r->retention_want);
        w->measured = (double)r->retention_got;
        w->grade = r->retention_got == r->retention_want ? SC_GREEN : SC_RED;
        snprintf(w->note, sizeof w->note, "set under load, read back with DescribeConfigs");
    }

    w = row(c, "ops.partitions", "add partitions, per-key order");
    if (!o->op_partitions) {
        snprintf(w->note, sizeof w->note, "not run (--ops)");
    } else if (!r->partitions_done || r->partitions_rc != 0) {
        snprintf(w->value, sizeof w->value, "failed");
        snprintf(w->note, sizeof w->note, "%s",
                 r->partitions_done ? r->partitions_err : "not reached");
        w->grade = SC_RED;
    } else {
        size_t v = 0, moved = 0;
        for (int gi = 0; gi < 3; gi++) {
            v += c->g[gi].order_violations;
            moved += c->g[gi].order_violations_moved;
        }
        w->measured = (double)(v + moved);
        snprintf(w->value, sizeof w->value, "%d->%d, %zu in-partition, %zu moved-key",
                 o->partitions, r->partitions_total, v, moved);
        snprintf(w->limit, sizeof w->limit, "0 / moved keys only");
        w->grade = v ? SC_RED : moved ? SC_YELLOW : SC_GREEN;
        if (v)
            snprintf(w->note, sizeof w->note,
                     "a key's sequence went back inside one partition: ordering is broken");
        else if (moved)
            snprintf(w->note, sizeof w->note,
                     "keys the new partition count moved were read out of order across "
                     "partitions: runbook work (pause producers or drain before adding)");
        else
            snprintf(w->note, sizeof w->note,
                     "per subject key the sequence never went back, in any group");
    }

    w = row(c, "ops.broker_restart", "stop and restart one broker");
    if (!o->op_restart) {
        snprintf(w->note, sizeof w->note, "not run (needs --broker-restart-cmd, a cluster)");
    } else {
        /* Freshness around the operation, from the alerting group's events generated after
         * it began: stale = fresher than the steady green threshold no longer. Graded: the
         * longer of the longest stale stretch (whole seconds with a stale event consumed) and
         * the time from the command's end to the last stale event consumed. */
        sc_group *g = &c->g[0];
        enum { SPAN = 3600 };
        static unsigned char stale[SPAN];
        memset(stale, 0, sizeof stale);
        int64_t last = r->restart_until_ms;
        for (size_t i = 0; i < g->nsamples; i++) {
            const sc_sample *x = &g->samples[i];
            if (x->gen_ms < r->restart_from_ms ||
                (double)(x->cons_ms - x->gen_ms) <= c->th.alerting_freshness_p99_ms.green)
                continue;
            int64_t sec = (x->cons_ms - r->restart_from_ms) / 1000;
            if (sec >= 0 && sec < SPAN)
                stale[sec] = 1;
            if (x->cons_ms > last)
                last = x->cons_ms;
        }
        int run = 0, longest = 0;
        for (int i = 0; i < SPAN; i++) {
            run = stale[i] ? run + 1 : 0;
            if (run > longest)
                longest = run;
        }
        double after = (double)(last - r->restart_until_ms) / 1000.0;
        double rec = after > longest ? after : (double)longest;
        double took = (double)(r->restart_until_ms - r->restart_from_ms) / 1000.0;
        size_t lost = 0;
        for (size_t i = 0; i < c->p.emitted && i < c->p.cap; i++)
            if (c->p.ack_ns[i] && !c->g[2].seen[i])
                lost++;
        w->measured = rec;
        snprintf(w->value, sizeof w->value, "%zu lost, stale <= %d s, fresh %.1f s after", lost,
                 longest, after);
        limit_text(w, &c->th.broker_restart_recovery_s, " s, 0 lost");
        w->grade = sc_grade_of(&c->th.broker_restart_recovery_s, rec);
        snprintf(w->note, sizeof w->note,
                 "stale: alerting events over %g ms; graded: max(longest stale stretch, back to "
                 "fresh after the command); command took %.1f s, exit %d",
                 c->th.alerting_freshness_p99_ms.green, took,
                 WIFEXITED(r->restart_status) ? WEXITSTATUS(r->restart_status) : -1);
        if (lost || !WIFEXITED(r->restart_status) || WEXITSTATUS(r->restart_status) != 0)
            w->grade = SC_RED;
    }

    w = row(c, "ops.scram_rotation", "rotate SASL/SCRAM credentials");
    snprintf(w->limit, sizeof w->limit, "new in, old out, 0 lost");
    if (!o->op_scram || !o->scram_cmd) {
        snprintf(w->note, sizeof w->note,
                 "not run: needs --scram-rotate-cmd with -X sasl.username/sasl.password "
                 "(cerelay cannot rotate itself: librdkafka %s has no AlterUserScramCredentials)",
                 rd_kafka_version_str());
    } else if (!r->scram_done) {
        snprintf(w->value, sizeof w->value, "not reached");
        w->grade = SC_RED;
    } else {
        size_t lost = 0;
        for (size_t i = 0; i < c->p.emitted && i < c->p.cap; i++)
            if (c->p.ack_ns[i] && !c->g[2].seen[i])
                lost++;
        int ok_cmd = WIFEXITED(r->scram_status) && WEXITSTATUS(r->scram_status) == 0;
        snprintf(w->value, sizeof w->value, "new %s, old %s, %zu lost",
                 r->scram_new_ok ? "accepted" : "REFUSED",
                 r->scram_old_refused ? "refused" : "STILL ACCEPTED", lost);
        w->measured = (double)lost;
        w->grade =
            ok_cmd && r->scram_new_ok && r->scram_old_refused && lost == 0 ? SC_GREEN : SC_RED;
        if (r->scram_new_ok)
            snprintf(w->note, sizeof w->note,
                     "%s; running clients kept their sessions, later ones used the new password",
                     ok_cmd ? "command exit 0" : "command FAILED");
        else
            snprintf(w->note, sizeof w->note, "%s; a client with the new password: %s",
                     ok_cmd ? "command exit 0" : "command FAILED", r->scram_err);
    }
}

/* Per second of the run: ack latency p50/p99 by emit time, freshness p99 by consume time. */
void sc_build_series(run_ctx *c)
{
    int64_t last = c->end_wall;
    for (int gi = 0; gi < SC_GROUPS; gi++)
        for (size_t i = 0; i < c->g[gi].nsamples; i++)
            if (c->g[gi].samples[i].cons_ms > last)
                last = c->g[gi].samples[i].cons_ms;
    size_t n = (size_t)((last - c->t0_wall) / 1000) + 1;
    if (n > 7200)
        n = 7200;
    sc_point *pts = calloc(n, sizeof *pts);
    double *buf = malloc((c->p.emitted + 1) * sizeof *buf);
    size_t maxs = 0;
    for (int gi = 0; gi < SC_GROUPS; gi++)
        if (c->g[gi].nsamples > maxs)
            maxs = c->g[gi].nsamples;
    double *fb = malloc((maxs + 1) * sizeof *fb);
    if (!pts || !buf || !fb) {
        free(pts), free(buf), free(fb);
        return;
    }
    for (size_t s = 0; s < n; s++) {
        int64_t lo = c->t0_wall + (int64_t)s * 1000, hi = lo + 1000;
        sc_point *pt = &pts[s];
        pt->t = (double)s;
        size_t k = 0, emitted = 0;
        for (size_t i = 0; i < c->p.emitted && i < c->p.cap; i++) {
            if (c->p.emit_wall_ms[i] < lo || c->p.emit_wall_ms[i] >= hi)
                continue;
            emitted++;
            if (c->p.ack_ns[i])
                buf[k++] = (double)(c->p.ack_ns[i] - c->p.emit_ns[i]) / 1e6;
        }
        pt->rate = (double)emitted;
        pt->ack_p99 = sc_pct(buf, k, 0.99);
        pt->ack_p50 = sc_pct(buf, k, 0.5);
        for (int gi = 0; gi < SC_GROUPS; gi++) {
            size_t m = 0;
            for (size_t i = 0; i < c->g[gi].nsamples; i++) {
                const sc_sample *x = &c->g[gi].samples[i];
                if (x->cons_ms >= lo && x->cons_ms < hi)
                    fb[m++] = (double)(x->cons_ms > x->gen_ms ? x->cons_ms - x->gen_ms : 0);
            }
            pt->fresh_p99[gi] = sc_pct(fb, m, 0.99);
        }
    }
    free(buf);
    free(fb);
    c->rep->points = pts;
    c->rep->npoints = n;
}

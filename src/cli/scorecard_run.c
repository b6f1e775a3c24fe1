/* The run of `cerelay scorecard`: topics, the emitter producing generated traffic with bursts,
 * the four consumer groups, operations under load on their own thread, the replay and the
 * structured-mode events for the compatibility check, then the report. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/catalog.h"
#include "cerelay/emitter.h"
#include "cli/scorecard_run.h"

static void on_delivery(void *ctx, void *opaque, int err, const char *reason)
{
    prod *p = ctx;
    size_t seq = (size_t)(uintptr_t)opaque - 1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pthread_mutex_lock(&p->mu);
    if (err == 0 && seq < p->cap) {
        p->ack_ns[seq] = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        p->acked++;
    } else {
        if (p->failed++ == 0)
            snprintf(p->first_error, sizeof p->first_error, "%s", reason ? reason : "?");
    }
    pthread_mutex_unlock(&p->mu);
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------------ operations thread --- */

static void wait_until(ops_run *r, double secs)
{
    while (!r->stop && sc_wall_ms() < r->t0_wall + (int64_t)(secs * 1000))
        sleep_ms(50);
}

/* Rotate the SCRAM password with the user's command, then check that a new client with the new
 * password gets in and one with the old password does not; from then on every new client of
 * the run uses the new password (running ones keep their authenticated connections). */
static void rotate_scram(ops_run *r)
{
    opts *o = r->o;
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "CER_SCORECARD_SCRAM_USER='%s' CER_SCORECARD_SCRAM_NEW_PASSWORD='%s' %s",
             o->scram_user, o->scram_new, o->scram_cmd);
    fprintf(stderr, "scorecard: SCRAM rotation: %s\n", o->scram_cmd);
    r->scram_at_ms = sc_wall_ms();
    r->scram_status = system(cmd);
    const char *old = o->props[o->scram_pw_index];
    const char *np[64];
    memcpy(np, o->props, sizeof np);
    np[o->scram_pw_index] = o->scram_new_prop;
    sc_kafka_conf with_new = {o->brokers, np}, with_old = {o->brokers, o->props};
    char err[256];
    r->scram_new_ok = sc_probe(&with_new, 10000, r->scram_err, sizeof r->scram_err) == 0;
    r->scram_old_refused = sc_probe(&with_old, 5000, err, sizeof err) != 0;
    if (r->scram_new_ok)
        o->props[o->scram_pw_index] = o->scram_new_prop; /* new clients from now on */
    (void)old;
    r->scram_done = 1;
}

static void *ops_main(void *arg)
{
    ops_run *r = arg;
    opts *o = r->o;
    if (o->op_retention) {
        wait_until(r, o->duration * 0.25);
        r->retention_want = 30LL * 24 * 3600 * 1000;
        r->retention_rc =
            sc_topic_set_retention(&r->kc, r->topic, r->retention_want, &r->retention_got,
                                   r->retention_err, sizeof r->retention_err);
        r->retention_done = 1;
    }
    if (o->op_restart) {
        wait_until(r, o->duration * 0.33);
        r->restart_from_ms = sc_wall_ms();
        fprintf(stderr, "scorecard: broker restart: %s\n", o->restart_cmd);
        r->restart_status = system(o->restart_cmd);
        r->restart_until_ms = sc_wall_ms();
        r->restart_done = 1;
    }
    if (o->op_scram && o->scram_cmd) {
        wait_until(r, o->duration * 0.4);
        rotate_scram(r);
    }
    if (o->op_partitions) {
        wait_until(r, o->duration * 0.5);
        r->partitions_total = o->partitions + 2;
        r->partitions_at_ms = sc_wall_ms();
        r->partitions_rc = sc_topic_add_partitions(&r->kc, r->topic, r->partitions_total,
                                                   r->partitions_err, sizeof r->partitions_err);
        r->partitions_done = 1;
    }
    return NULL;
}

static int emitter_open(cer_emitter **em, const opts *o, const char *topic, const char *mode,
                        prod *p, char *err, size_t n)
{
    cer_emitter_conf *c = cer_emitter_conf_new();
    if (!c) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    int rc = cer_emitter_conf_set(c, "binding", "kafka", err, n);
    rc = rc ? rc : cer_emitter_conf_set(c, "kafka.brokers", o->brokers, err, n);
    rc = rc ? rc : cer_emitter_conf_set(c, "kafka.topic", topic, err, n);
    rc = rc ? rc : cer_emitter_conf_set(c, "kafka.mode", mode, err, n);
    rc = rc ? rc : cer_emitter_conf_set(c, "kafka.linger.ms", "5", err, n);
    rc = rc ? rc
            : cer_emitter_conf_set(c, "kafka.topic.metadata.refresh.interval.ms", "1000", err, n);
    for (int i = 0; rc == 0 && i < o->nprops; i++) {
        char k[300];
        const char *eq = strchr(o->props[i], '=');
        snprintf(k, sizeof k, "kafka.%.*s", (int)(eq - o->props[i]), o->props[i]);
        rc = cer_emitter_conf_set(c, k, eq + 1, err, n);
    }
    if (rc == 0) {
        cer_emitter_conf_set_callbacks(c, on_delivery, NULL, NULL, p);
        rc = cer_emitter_new(em, c, err, n);
    }
    cer_emitter_conf_destroy(c);
    return rc ? -1 : 0;
}

/* Emit one generated event numbered `seq`; waits while the emitter's queue is full. */
static int emit_one(cer_emitter *em, cer_catalog_gen *gen, prod *p, size_t seq, char *err, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t stamp = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    ce_event *ev = NULL;
    if (cer_catalog_gen_next(gen, stamp, &ev, err, n) != 0)
        return -1;
    char num[24];
    snprintf(num, sizeof num, "%zu", seq);
    if (ce_event_set_str(ev, "scseq", num, err, n) != 0) {
        ce_event_destroy(ev);
        return -1;
    }
    int rc;
    if (seq < p->cap) {
        p->emit_ns[seq] = mono_ns();
        p->emit_wall_ms[seq] = stamp / 1000000;
    }
    while ((rc = cer_emitter_emit(em, ev, (void *)(uintptr_t)(seq + 1), err, n)) == CER_EQUEUE_FULL)
        sleep_ms(5); /* push-back: the emitter's memory cap is reached */
    ce_event_destroy(ev);
    return rc ? -1 : 0;
}

static void produce(run_ctx *c, cer_emitter *em, cer_catalog_gen *gen)
{
    const opts *o = c->o;
    prod *p = &c->p;
    int64_t t0 = c->t0_mono, last = t0;
    double tokens = 1;
    char err[512];
    while (p->emitted < p->cap) {
        int64_t now = mono_ns();
        double el = (double)(now - t0) / 1e9;
        if (el >= o->duration)
            break;
        double r = cli_burst_rate(o->rate, &c->b, el), cap = r / 20 > 1 ? r / 20 : 1;
        tokens += (double)(now - last) / 1e9 * r;
        if (tokens > cap)
            tokens = cap;
        last = now;
        if (tokens < 1) {
            int64_t wait_ms = (int64_t)((1 - tokens) / r * 1000) + 1;
            sleep_ms(wait_ms > 20 ? 20 : wait_ms);
            continue;
        }
        tokens -= 1;
        if (emit_one(em, gen, p, p->emitted, err, sizeof err) != 0) {
            fprintf(stderr, "scorecard: emit: %s\n", err);
            pthread_mutex_lock(&p->mu);
            if (p->failed++ == 0)
                snprintf(p->first_error, sizeof p->first_error, "%s", err);
            pthread_mutex_unlock(&p->mu);
        }
        p->emitted++;
    }
}

/* Client compatibility: COMPAT_EVENTS events in structured mode to struct_topic. */
static int produce_structured(run_ctx *c, cer_catalog_gen *gen, char *err, size_t n)
{
    prod *sp = calloc(1, sizeof *sp);
    if (!sp)
        return -1;
    pthread_mutex_init(&sp->mu, NULL);
    sp->cap = COMPAT_EVENTS;
    sp->emit_ns = calloc(COMPAT_EVENTS, sizeof(int64_t));
    sp->ack_ns = calloc(COMPAT_EVENTS, sizeof(int64_t));
    sp->emit_wall_ms = calloc(COMPAT_EVENTS, sizeof(int64_t));
    cer_emitter *em = NULL;
    int rc = -1;
    if (sp->emit_ns && sp->ack_ns && sp->emit_wall_ms &&
        emitter_open(&em, c->o, c->struct_topic, "structured", sp, err, n) == 0) {
        rc = 0;
        for (size_t i = 0; i < COMPAT_EVENTS && rc == 0; i++)
            rc = emit_one(em, gen, sp, i, err, n);
        if (rc == 0 && cer_emitter_flush(em, 30000) != 0) {
            snprintf(err, n, "structured events not acknowledged within 30 s");
            rc = -1;
        }
        if (rc == 0 && sp->acked != COMPAT_EVENTS) {
            snprintf(err, n, "%zu of %d structured events acknowledged (%s)", sp->acked,
                     COMPAT_EVENTS, sp->first_error);
            rc = -1;
        }
    }
    cer_emitter_destroy(em, 5000);
    pthread_mutex_destroy(&sp->mu);
    free(sp->emit_ns);
    free(sp->ack_ns);
    free(sp->emit_wall_ms);
    free(sp);
    return rc;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 && n < (16 << 20) ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = 0;
    fclose(f);
    return b;
}

static int write_outputs(run_ctx *c)
{
    int rc = 0;
    if (c->o->json) {
        FILE *f = fopen(c->o->json, "w");
        if (!f || sc_report_json(c->rep, f) != 0) {
            fprintf(stderr, "cerelay scorecard: %s: %s\n", c->o->json, strerror(errno));
            rc = -1;
        }
        if (f && fclose(f) != 0)
            rc = -1;
    }
    if (c->o->html) {
        char *js = slurp(c->o->chartjs);
        if (!js)
            fprintf(stderr,
                    "cerelay scorecard: %s: %s; the HTML report has no charts (Debian: "
                    "apt-get install libjs-chart.js)\n",
                    c->o->chartjs, strerror(errno));
        FILE *f = fopen(c->o->html, "w");
        if (!f || sc_report_html(c->rep, f, js) != 0) {
            fprintf(stderr, "cerelay scorecard: %s: %s\n", c->o->html, strerror(errno));
            rc = -1;
        }
        if (f && fclose(f) != 0)
            rc = -1;
        free(js);
    }
    return rc;
}

static int group_caught_up(const run_ctx *c)
{
    for (int gi = 0; gi < 3; gi++)
        if (c->g[gi].distinct < c->p.acked)
            return 0;
    return 1;
}

int sc_run(opts *o)
{
    static run_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    run_ctx *c = &ctx;
    c->o = o;
    c->th = o->th;
    c->b = o->b;
    static sc_report rep;
    memset(&rep, 0, sizeof rep);
    c->rep = &rep;
    char prefix[200], err[512];
    if (o->prefix)
        snprintf(prefix, sizeof prefix, "%s", o->prefix);
    else
        snprintf(prefix, sizeof prefix, "scorecard-%lld-%d", (long long)(sc_wall_ms() / 1000),
                 (int)getpid());
    snprintf(c->topic, sizeof c->topic, "%s-events", prefix);
    snprintf(c->dev_topic, sizeof c->dev_topic, "%s-dev", prefix);
    snprintf(c->struct_topic, sizeof c->struct_topic, "%s-structured", prefix);
    o->props[o->nprops] = NULL;
    c->kc = (sc_kafka_conf){o->brokers, o->props};
    rep.brokers = o->brokers;
    rep.topic = c->topic;
    rep.duration_s = o->duration;
    rep.rate = o->rate;
    rep.burst = o->burst_spec;
    static const char *const names[SC_GROUPS] = {"alerting", "evaluation", "audit", "throttled"};
    for (int i = 0; i < SC_GROUPS; i++)
        rep.group_names[i] = names[i];
    {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(rep.started, sizeof rep.started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    /* Burst windows, as `gen` schedules them: [k*period, k*period + length), k >= 1. */
    if (c->b.period > 0)
        for (double s = c->b.period; s < o->duration && rep.nbursts < 64; s += c->b.period) {
            rep.bursts[rep.nbursts][0] = s;
            rep.bursts[rep.nbursts][1] =
                s + c->b.length < o->duration ? s + c->b.length : o->duration;
            rep.nbursts++;
        }

    int nbrokers = 0;
    if (sc_topic_create(&c->kc, c->topic, o->partitions, &nbrokers, err, sizeof err) != 0 ||
        sc_topic_create(&c->kc, c->struct_topic, 1, &nbrokers, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay scorecard: could not run: %s\n", err);
        return SC_EXIT_NORUN;
    }
    fprintf(stderr, "scorecard: %d broker(s); topic %s, %d partitions; %.0f s at %.0f ev/s\n",
            nbrokers, c->topic, o->partitions, o->duration, o->rate);
    int status = SC_EXIT_NORUN;
    prod *p = &c->p;
    pthread_mutex_init(&p->mu, NULL);
    double cap = o->duration * o->rate * (c->b.mult > 1 ? c->b.mult : 1) * 1.1 + 1000;
    p->cap = cap > 20e6 ? 20000000 : (size_t)cap;
    p->emit_ns = calloc(p->cap, sizeof(int64_t));
    p->ack_ns = calloc(p->cap, sizeof(int64_t));
    p->emit_wall_ms = calloc(p->cap, sizeof(int64_t));
    cer_emitter *em = NULL;
    cer_catalog_gen *gen = NULL;
    pthread_t ops_th;
    int ops_started = 0;
    if (!p->emit_ns || !p->ack_ns || !p->emit_wall_ms) {
        fprintf(stderr, "cerelay scorecard: out of memory\n");
        goto cleanup;
    }
    for (int i = 0; i < SC_GROUPS; i++) {
        sc_group *g = &c->g[i];
        g->name = names[i];
        snprintf(g->group_id, sizeof g->group_id, "%s-%s", prefix, names[i]);
        g->nseq = p->cap;
        g->seen = calloc(p->cap, 1);
        g->cap_samples = p->cap;
        g->samples = calloc(p->cap, sizeof *g->samples);
        g->stall_from_ms = g->stall_until_ms = INT64_MAX;
        if (i == 3)
            g->throttle_eps = o->rate / 4 > 1 ? o->rate / 4 : 1;
        if (!g->seen || !g->samples) {
            fprintf(stderr, "cerelay scorecard: out of memory\n");
            goto cleanup;
        }
    }
    for (int i = 0; i < SC_GROUPS; i++)
        if (sc_group_start(&c->g[i], &c->kc, c->topic, 30000, err, sizeof err) != 0) {
            fprintf(stderr, "cerelay scorecard: could not run: %s\n", err);
            goto cleanup;
        }
    cer_catalog_gen_conf gconf = {"llm", 50, (uint64_t)sc_wall_ms() ^ (uint64_t)getpid(), 0};
    if (cer_catalog_gen_new(&gen, &gconf, err, sizeof err) != 0 ||
        emitter_open(&em, o, c->topic, "binary", p, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay scorecard: could not run: %s\n", err);
        goto cleanup;
    }
    c->t0_wall = sc_wall_ms();
    c->t0_mono = mono_ns();
    if (o->stall)
        for (int i = 0; i < SC_GROUPS; i++)
            if (strcmp(o->stall, names[i]) == 0) {
                c->g[i].stall_until_ms = c->t0_wall + (int64_t)(o->duration * 1000);
                c->g[i].stall_from_ms = c->t0_wall + (int64_t)(o->duration * 200);
            }
    c->ops = (ops_run){.o = o, .kc = c->kc, .topic = c->topic, .t0_wall = c->t0_wall};
    if (pthread_create(&ops_th, NULL, ops_main, &c->ops) == 0)
        ops_started = 1;
    produce(c, em, gen);
    c->end_wall = sc_wall_ms();
    fprintf(stderr, "scorecard: produced %zu events; waiting for acknowledgements\n", p->emitted);
    if (cer_emitter_flush(em, 60000) != 0)
        fprintf(stderr, "scorecard: not every event acknowledged within 60 s\n");
    if (ops_started) {
        pthread_join(ops_th, NULL);
        ops_started = 0;
    }
    c->g[3].stop = 1; /* the throttled group lags by design: stop it now */
    for (int64_t dl = sc_wall_ms() + 60000; !group_caught_up(c) && sc_wall_ms() < dl;)
        sleep_ms(100);
    for (int i = 0; i < SC_GROUPS; i++)
        sc_group_stop(&c->g[i]);

    fprintf(stderr, "scorecard: replaying the window into a new group\n");
    /* The dev topic with the events topic's partition count now (partitions may have been
     * added), created before the copy so the replay destination keeps partitions. */
    int dev_parts = o->partitions + (c->ops.partitions_done && c->ops.partitions_rc == 0 ? 2 : 0);
    int nb2 = 0;
    if (sc_topic_create(&c->kc, c->dev_topic, dev_parts, &nb2, err, sizeof err) != 0)
        fprintf(stderr, "scorecard: creating %s: %s\n", c->dev_topic, err);
    uint8_t *rseen = calloc(p->cap, 1);
    sc_replay_result rr;
    char rerr[512] = "";
    char rgroup[300];
    snprintf(rgroup, sizeof rgroup, "%s-replay", prefix);
    int rrc = -1;
    /* A topic just created may not be visible to every broker yet: the replay is tried again
     * (from offset 0, counts reset) when it could not start. */
    for (int attempt = 0; rseen && rrc != 0 && attempt < 3; attempt++) {
        if (attempt) {
            fprintf(stderr, "scorecard: replay: %s; trying again\n", rerr);
            sleep_ms(2000);
        }
        memset(rseen, 0, p->cap);
        rrc = sc_replay(&c->kc, c->topic, rgroup, c->dev_topic, rseen, p->cap, &rr, rerr,
                        sizeof rerr);
        if (rrc != 0 && rr.read > 0)
            break; /* failed part-way: graded as it is */
    }
    fprintf(stderr, "scorecard: client compatibility (structured mode, second client)\n");
    char perr[512] = "";
    int prc = produce_structured(c, gen, perr, sizeof perr);

    sc_grade_ack(c);
    sc_grade_fresh(c, 0, 0, &c->th.alerting_freshness_p99_ms);
    sc_grade_fresh(c, 0, 1, &c->th.alerting_burst_freshness_p99_ms);
    sc_grade_fresh(c, 1, 0, &c->th.evaluation_freshness_p99_ms);
    sc_grade_fresh(c, 1, 1, &c->th.evaluation_freshness_p99_ms);
    sc_grade_fresh(c, 2, 0, &c->th.audit_freshness_p99_ms);
    sc_grade_recovery(c);
    sc_grade_throttled(c);
    sc_grade_losses(c);
    sc_grade_replay(c, rrc, &rr, rseen, rerr);
    sc_grade_compat(c, prc, perr);
    sc_grade_ops(c);
    free(rseen);
    sc_build_series(c);
    sc_report_verdict(&rep);
    sc_report_table(&rep, stdout, o->color);
    fflush(stdout);
    status = write_outputs(c) == 0 ? (int)rep.verdict : SC_EXIT_NORUN;

cleanup:
    if (ops_started) {
        c->ops.stop = 1;
        pthread_join(ops_th, NULL);
    }
    cer_emitter_destroy(em, 10000);
    cer_catalog_gen_destroy(gen);
    for (int i = 0; i < SC_GROUPS; i++)
        sc_group_free(&c->g[i]);
    if (!o->keep) {
        const char *del[3] = {c->topic, c->dev_topic, c->struct_topic};
        if (sc_topic_delete(&c->kc, del, 3, err, sizeof err) != 0)
            fprintf(stderr, "scorecard: deleting the topics: %s\n", err);
    }
    free(rep.points);
    free(p->emit_ns);
    free(p->ack_ns);
    free(p->emit_wall_ms);
    pthread_mutex_destroy(&p->mu);
    return status;
}

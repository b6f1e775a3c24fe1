/* Internal to `cerelay scorecard`: the run's state shared by scorecard_run.c (production,
 * operations, the sequence of the run) and scorecard_grade.c (the checks and the charts). */
#ifndef CER_CLI_SCORECARD_RUN_H
#define CER_CLI_SCORECARD_RUN_H

#include <pthread.h>

#include "cli/burst.h"
#include "cli/scorecard.h"

/* WARMUP_MS: events generated in the first second wait for the clients' first connections;
 * the latency and freshness rows leave them out (the ack row's note gives their p99). */
enum { SC_EXIT_NORUN = 3, COMPAT_EVENTS = 100, WARMUP_MS = 1000 };

typedef cli_burst burst;

typedef struct opts {
    const char *brokers, *thresholds, *json, *html, *prefix, *burst_spec, *restart_cmd;
    const char *stall, *chartjs;
    const char *props[64];
    int nprops, keep, partitions, color;
    double duration, rate;
    sc_thresholds th;
    burst b;
    int op_retention, op_partitions, op_restart, op_scram;
    /* SCRAM rotation: the command, the new password, the -X sasl.password entry (index into
     * props) that new clients use once the rotation is done, and that entry's new text. */
    const char *scram_cmd, *scram_new, *scram_user;
    int scram_pw_index;
    char scram_new_prop[300];
} opts;

/* Producer bookkeeping: written by the producer loop and the emitter's delivery thread. */
typedef struct prod {
    size_t cap;
    int64_t *emit_ns, *ack_ns; /* mono; ack 0: not acknowledged */
    int64_t *emit_wall_ms;
    volatile size_t emitted, acked, failed;
    char first_error[256];
    pthread_mutex_t mu;
} prod;

typedef struct ops_run {
    opts *o;
    sc_kafka_conf kc;
    const char *topic;
    volatile int stop;
    int64_t t0_wall;
    /* results */
    int retention_done, retention_rc;
    int64_t retention_want, retention_got;
    int partitions_done, partitions_rc, partitions_total;
    int64_t partitions_at_ms;
    int restart_done, restart_status;
    int64_t restart_from_ms, restart_until_ms;
    int scram_done, scram_status, scram_new_ok, scram_old_refused;
    int64_t scram_at_ms;
    char retention_err[256], partitions_err[256], scram_err[256];
} ops_run;

typedef struct run_ctx {
    opts *o;
    sc_report *rep;
    sc_thresholds th;
    burst b;
    prod p;
    sc_group g[SC_GROUPS];
    ops_run ops;
    sc_kafka_conf kc;
    int64_t t0_wall, t0_mono, end_wall;
    char topic[300], dev_topic[300], struct_topic[300];
} run_ctx;

/* scorecard_run.c */
/* The whole run: returns the exit status (0 green, 1 yellow, 2 red, 3 could not run). */
int sc_run(opts *o);

/* scorecard_grade.c: one function per group of rows, in table order. */
double sc_pct(double *v, size_t n, double q);
void sc_grade_ack(run_ctx *c);
void sc_grade_fresh(run_ctx *c, int gi, int burst_only, const sc_limit *l);
void sc_grade_recovery(run_ctx *c);
void sc_grade_throttled(run_ctx *c);
void sc_grade_losses(run_ctx *c);
void sc_grade_replay(run_ctx *c, int rc, const sc_replay_result *r, const uint8_t *seen,
                     const char *err);
void sc_grade_compat(run_ctx *c, int produce_rc, const char *produce_err);
void sc_grade_ops(run_ctx *c);
void sc_build_series(run_ctx *c);

#endif

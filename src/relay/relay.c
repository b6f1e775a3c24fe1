/* `cerelay run`: load the configuration, build the emitter from it, serve HTTP until
 * SIGTERM/SIGINT, then drain. SIGHUP reloads what can change without a restart (routes,
 * limits, auth tokens, logging) and says which changes need one. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relay/grpc.h"
#include "relay/http.h"
#include "relay/ratelimit.h"
#include "relay/relay.h"
#include "sink/ratelog.h"

int cer__relay_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f)
        return -1;
    ce_buf b;
    ce_buf_init(&b);
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b.len < (8u << 20))
        ce_buf_append(&b, tmp, n);
    fclose(f);
    ce_buf_append(&b, "", 1);
    *out = b.ptr;
    *len = b.len - 1;
    return 0;
}

int cer__relay_route(void *ctx, const ce_event *ev, const char **topic_tmpl, const char **key_tmpl)
{
    relay *r = ctx;
    const char *tt = NULL, *kt = NULL;
    cer_pipeline_route(relay_pipeline(r), ev, &tt, &kt);
    if (tt)
        *topic_tmpl = tt;
    if (kt)
        *key_tmpl = kt;
    return 0;
}

/* Keep a replaced pipeline until exit (requests in flight may still use it). */
static int keep_old_pipeline(relay *r, cer_pipeline *old)
{
    cer_pipeline **n = realloc(r->old_pipes, (r->nold_pipes + 1) * sizeof *n);
    if (!n)
        return -1;
    r->old_pipes = n;
    r->old_pipes[r->nold_pipes++] = old;
    return 0;
}

static int streq_null(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The settings a reload cannot change without a restart, by name; NULL when none changed. */
static const char *fixed_change(const cer_config *a, const cer_config *b)
{
    if (a->binding != b->binding)
        return "binding";
    if (!streq_null(a->listen.events, b->listen.events) ||
        !streq_null(a->listen.otlp, b->listen.otlp) ||
        !streq_null(a->listen.otlp_grpc, b->listen.otlp_grpc))
        return "listen addresses";
    if (!streq_null(a->listen.tls.cert, b->listen.tls.cert))
        return "listen.tls";
    if (a->ack != b->ack)
        return "ack";
    if (a->buffer.type != b->buffer.type || !streq_null(a->buffer.dir, b->buffer.dir) ||
        a->buffer.max_bytes != b->buffer.max_bytes || a->buffer.when_full != b->buffer.when_full)
        return "buffer";
    if (a->kafka.brokers.n != b->kafka.brokers.n || !streq_null(a->kafka.topic, b->kafka.topic) ||
        !streq_null(a->kafka.key, b->kafka.key) || a->kafka.mode != b->kafka.mode)
        return "kafka";
    for (size_t i = 0; i < a->kafka.brokers.n; i++)
        if (!streq_null(a->kafka.brokers.v[i], b->kafka.brokers.v[i]))
            return "kafka.brokers";
    if (!streq_null(a->http.endpoint, b->http.endpoint) || a->http.mode != b->http.mode)
        return "http";
    if (!streq_null(a->log.dir, b->log.dir))
        return "log.dir";
    if (a->limits.max_memory_bytes != b->limits.max_memory_bytes)
        return "limits.max_memory_bytes";
    return NULL;
}

/* SIGHUP: load the file again; apply what can change at run time by swapping the live
 * configuration (requests in flight finish with the one they started with). */
static int mkdirs(const char *path);

static void reload(relay *r, const char *path)
{
    char err[1024];
    cer_config *next = calloc(1, sizeof *next);
    if (!next) {
        cer__relay_log(CER_CONFIG_LEVEL_ERROR,
                       "SIGHUP: out of memory; kept the running configuration");
        return;
    }
    if (cer_config_load(path, next, err, sizeof err) != 0) {
        cer__relay_log(CER_CONFIG_LEVEL_ERROR, "SIGHUP: kept the running configuration: %s", err);
        free(next);
        return;
    }
    const char *fixed = fixed_change(&r->cfg, next);
    if (next->policy.dead_letter && next->dead_letter.log_dir && !atomic_load(&r->pshared.dlq)) {
        cer_dlq *q = NULL;
        if (mkdirs(next->dead_letter.log_dir) != 0 ||
            cer_dlq_new(&q, next->dead_letter.log_dir, 0, err, sizeof err) != 0) {
            cer__relay_log(CER_CONFIG_LEVEL_ERROR,
                           "SIGHUP: kept the running configuration: dead_letter.log_dir %s: cannot "
                           "be opened",
                           next->dead_letter.log_dir);
            cer_config_free(next);
            free(next);
            return;
        }
        atomic_store(&r->pshared.dlq, q);
    }
    cer_pipeline *pl = NULL;
    if (cer_pipeline_new(&pl, next, &r->pshared, err, sizeof err) != 0 ||
        keep_old_pipeline(r, relay_pipeline(r)) != 0) {
        cer__relay_log(CER_CONFIG_LEVEL_ERROR, "SIGHUP: kept the running configuration: %s",
                       pl ? "out of memory" : err);
        cer_pipeline_destroy(pl);
        cer_config_free(next);
        free(next);
        return;
    }
    atomic_store(&r->live, next); /* the old one stays allocated: see relay.h */
    atomic_store(&r->pipe, pl);
    cer__relay_log_setup(next->logging.format, next->logging.level);
    cer_ratelog_set_interval(r->rl, next->logging.sample_interval_ms);
    cer__relay_log(CER_CONFIG_LEVEL_INFO,
                   "SIGHUP: reloaded %s (routes %zu, limits, auth tokens, OTLP mapping, logging, "
                   "metrics)%s%s%s",
                   path, next->nroutes, fixed ? "; changes to " : "", fixed ? fixed : "",
                   fixed ? " need a restart and were not applied" : "");
}

static void on_emitter_log(void *ctx, int level, const char *msg)
{
    cer__relay_log(level <= 3   ? CER_CONFIG_LEVEL_ERROR
                   : level == 4 ? CER_CONFIG_LEVEL_WARN
                   : level >= 7 ? CER_CONFIG_LEVEL_DEBUG
                                : CER_CONFIG_LEVEL_INFO,
                   "emitter: %s", msg);
}

static int cset(cer_emitter_conf *c, const char *k, const char *v, char *err, size_t n)
{
    return v ? cer_emitter_conf_set(c, k, v, err, n) : 0;
}

static int cset_u(cer_emitter_conf *c, const char *k, unsigned long long v, char *err, size_t n)
{
    char num[32];
    snprintf(num, sizeof num, "%llu", v);
    return cer_emitter_conf_set(c, k, num, err, n);
}

/* kafka.headers (static: braces escaped so the template renders them as written) and
 * kafka.header_templates, as the emitter's kafka.header.<Name>. */
static int kafka_headers(const cer_config *cfg, cer_emitter_conf *c, char *err, size_t n)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < cfg->kafka.headers.n; i++) {
        const char *v = cfg->kafka.headers.v[i].value;
        ce_buf t;
        ce_buf_init(&t);
        for (; *v && !rc; v++) {
            if (*v == '{' || *v == '}')
                rc = ce_buf_append(&t, v, 1); /* doubled: a literal brace */
            if (!rc)
                rc = ce_buf_append(&t, v, 1);
        }
        if (!rc)
            rc = ce_buf_append(&t, "", 1);
        char key[300];
        snprintf(key, sizeof key, "kafka.header.%s", cfg->kafka.headers.v[i].name);
        rc = rc ? CE_ENOMEM : cset(c, key, t.ptr, err, n);
        ce_buf_free(&t);
    }
    for (size_t i = 0; !rc && i < cfg->kafka.header_templates.n; i++) {
        char key[300];
        snprintf(key, sizeof key, "kafka.header.%s", cfg->kafka.header_templates.v[i].name);
        rc = cset(c, key, cfg->kafka.header_templates.v[i].value, err, n);
    }
    return rc;
}

/* The emitter's configuration from the relay's. */
static int emitter_conf(const cer_config *cfg, cer_emitter_conf *c, char *err, size_t n)
{
    static const char *const bindings[] = {"", "kafka", "http", "log", "stdout"};
    static const char *const fsyncs[] = {"", "always", "interval", "never"};
    static const char *const modes[] = {"", "binary", "structured", "batch"};
    static const char *const comp[] = {"", "none", "gzip", "snappy", "lz4", "zstd"};
    int rc = cset(c, "binding", bindings[cfg->binding], err, n);
    if (!rc && cfg->binding == CER_CONFIG_BINDING_KAFKA) {
        ce_buf b;
        ce_buf_init(&b);
        for (size_t i = 0; i < cfg->kafka.brokers.n; i++) {
            if (i)
                ce_buf_append(&b, ",", 1);
            ce_buf_append(&b, cfg->kafka.brokers.v[i], strlen(cfg->kafka.brokers.v[i]));
        }
        ce_buf_append(&b, "", 1);
        rc = cset(c, "kafka.brokers", b.ptr, err, n);
        ce_buf_free(&b);
        if (!rc)
            rc = cset(c, "kafka.topic", cfg->kafka.topic, err, n);
        if (!rc)
            rc = cset(c, "kafka.key", cfg->kafka.key, err, n);
        if (!rc)
            rc = cset(c, "kafka.mode", modes[cfg->kafka.mode], err, n);
        if (!rc && cfg->kafka.compression)
            rc = cset(c, "kafka.compression.type", comp[cfg->kafka.compression], err, n);
        if (!rc)
            rc = cset_u(c, "kafka.linger.ms", (unsigned long long)cfg->kafka.linger_ms, err, n);
        const cer_config_sasl *s = &cfg->kafka.sasl;
        bool tls = cfg->kafka.tls.enabled;
        if (!rc && (tls || s->mechanism))
            rc = cset(c, "kafka.security.protocol",
                      s->mechanism ? (tls ? "SASL_SSL" : "SASL_PLAINTEXT") : "SSL", err, n);
        if (!rc && tls) {
            rc = cset(c, "kafka.ssl.ca.location", cfg->kafka.tls.ca, err, n);
            if (!rc)
                rc = cset(c, "kafka.ssl.certificate.location", cfg->kafka.tls.cert, err, n);
            if (!rc)
                rc = cset(c, "kafka.ssl.key.location", cfg->kafka.tls.key, err, n);
            if (!rc)
                rc = cset(c, "kafka.ssl.endpoint.identification.algorithm",
                          cfg->kafka.tls.verify_hostname ? "https" : "none", err, n);
        }
        static const char *const mechs[] = {
            "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "OAUTHBEARER"};
        if (!rc && s->mechanism) {
            rc = cset(c, "kafka.sasl.mechanism", mechs[s->mechanism], err, n);
            if (!rc)
                rc = cset(c, "kafka.sasl.username", s->username, err, n);
            if (!rc)
                rc = cset(c, "kafka.sasl.password", s->password, err, n);
            if (!rc && s->mechanism == CER_CONFIG_SASL_AWS_MSK_IAM) {
                rc = cset(c, "kafka.cerelay.sasl.mechanism", "AWS_MSK_IAM", err, n);
                if (!rc)
                    rc = cset(c, "kafka.cerelay.aws.region", s->aws.region, err, n);
                if (!rc)
                    rc = cset(c, "kafka.cerelay.aws.profile", s->aws.profile, err, n);
            } else if (!rc && s->mechanism == CER_CONFIG_SASL_OAUTHBEARER && s->oidc.token_url) {
                rc = cset(c, "kafka.cerelay.sasl.mechanism", "OAUTHBEARER_OIDC", err, n);
                if (!rc)
                    rc = cset(c, "kafka.cerelay.oidc.token_url", s->oidc.token_url, err, n);
                if (!rc)
                    rc = cset(c, "kafka.cerelay.oidc.client_id", s->oidc.client_id, err, n);
                if (!rc)
                    rc = cset(c, "kafka.cerelay.oidc.client_secret", s->oidc.client_secret, err, n);
                if (!rc)
                    rc = cset(c, "kafka.cerelay.oidc.scope", s->oidc.scope, err, n);
            } else if (!rc && s->mechanism == CER_CONFIG_SASL_OAUTHBEARER && s->token) {
                rc = cset(c, "kafka.cerelay.oauthbearer.token", s->token, err, n);
            }
        }
        for (size_t i = 0; !rc && i < cfg->kafka.properties.n; i++) {
            char key[300];
            snprintf(key, sizeof key, "kafka.%s", cfg->kafka.properties.v[i].name);
            rc = cset(c, key, cfg->kafka.properties.v[i].value, err, n);
        }
        if (!rc)
            rc = kafka_headers(cfg, c, err, n);
    }
    if (!rc && cfg->binding == CER_CONFIG_BINDING_HTTP) {
        rc = cset(c, "http.url", cfg->http.endpoint, err, n);
        if (!rc)
            rc = cset(c, "http.mode", modes[cfg->http.mode], err, n);
        if (!rc && cfg->http.batch_size > 0)
            rc = cset_u(c, "http.batch_size", (unsigned long long)cfg->http.batch_size, err, n);
        if (!rc && cfg->http.flush_interval_ms)
            rc = cset_u(c, "http.flush_interval_ms", cfg->http.flush_interval_ms, err, n);
        for (size_t i = 0; !rc && i < cfg->http.headers.n; i++) {
            char key[300];
            snprintf(key, sizeof key, "http.header.%s", cfg->http.headers.v[i].name);
            rc = cset(c, key, cfg->http.headers.v[i].value, err, n);
        }
    }
    if (!rc && cfg->binding == CER_CONFIG_BINDING_LOG) {
        rc = cset(c, "log.dir", cfg->log.dir, err, n);
        if (!rc)
            rc = cset(c, "log.topic", "{type}", err, n);
        if (!rc && cfg->log.partitions > 0)
            rc = cset_u(c, "log.partitions", (unsigned long long)cfg->log.partitions, err, n);
        if (!rc && cfg->log.fsync)
            rc = cset(c, "log.fsync", fsyncs[cfg->log.fsync], err, n);
    }
    if (!rc && cfg->buffer.type == CER_CONFIG_BUFFER_DISK) {
        rc = cset(c, "buffer", "disk", err, n);
        if (!rc)
            rc = cset(c, "buffer.dir", cfg->buffer.dir, err, n);
        if (!rc && cfg->buffer.max_bytes)
            rc = cset_u(c, "buffer.max_bytes", cfg->buffer.max_bytes, err, n);
        /* ack: local answers on the persisted callback, so nothing is left to wait for: the
         * request's state is freed then, and a backlog of any size costs no memory per event */
        if (!rc && cfg->ack == CER_CONFIG_ACK_LOCAL)
            rc = cset(c, "buffer.forget_after_persist", "true", err, n);
        if (!rc)
            rc = cset(c, "buffer.when_full",
                      cfg->buffer.when_full == CER_CONFIG_WHEN_FULL_DROP_OLDEST ? "drop_oldest"
                                                                                : "block",
                      err, n);
    }
    if (!rc && cfg->limits.max_memory_bytes)
        rc = cset_u(c, "queue.max_bytes", cfg->limits.max_memory_bytes, err, n);
    if (!rc && cfg->dead_letter.log_dir)
        rc = cset(c, "dead_letter.dir", cfg->dead_letter.log_dir, err, n);
    if (!rc && cfg->logging.sample_interval_ms)
        rc = cset_u(c, "log.sample_interval_ms", cfg->logging.sample_interval_ms, err, n);
    return rc;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int cer__relay_open(relay *r, int ack_timeout_ms, bool no_http, char *err, size_t errsz)
{
    cer__relay_log_setup(r->cfg.logging.format, r->cfg.logging.level);
    r->rl = cer_ratelog_new(r->cfg.logging.sample_interval_ms);
    cer__relay_metrics_init(&r->metrics);
    r->ratelimit = cer__relay_ratelimit_new();
    if (r->cfg.binding == CER_CONFIG_BINDING_LOG && r->cfg.buffer.type == CER_CONFIG_BUFFER_DISK) {
        /* The local log is itself a durable, fsynced log: a disk buffer in front of it would
         * only write every event twice. */
        r->cfg.buffer.type = CER_CONFIG_BUFFER_MEMORY;
        cer__relay_log(CER_CONFIG_LEVEL_INFO, "binding log is durable itself: no disk buffer in "
                                              "front of it (ack: local means the log append)");
    }
    r->ack = r->cfg.ack;
    if (r->ack == CER_CONFIG_ACK_LOCAL && r->cfg.buffer.type != CER_CONFIG_BUFFER_DISK &&
        r->cfg.binding != CER_CONFIG_BINDING_LOG) {
        snprintf(err, errsz,
                 "cerelay run: ack: local needs buffer.type: disk (or binding: log), "
                 "so that an acknowledged event is on disk; set buffer.type: disk or "
                 "ack: remote");
        goto fail;
    }
    r->ack_timeout_ms = ack_timeout_ms > 0 ? ack_timeout_ms : 30000;
    atomic_store(&r->live, &r->cfg);
    if (r->cfg.binding == CER_CONFIG_BINDING_LOG && r->cfg.log.dir && mkdirs(r->cfg.log.dir)) {
        snprintf(err, errsz, "cerelay run: log.dir %s: %s", r->cfg.log.dir, strerror(errno));
        goto fail;
    }
    if (r->cfg.buffer.type == CER_CONFIG_BUFFER_DISK && r->cfg.buffer.dir &&
        mkdirs(r->cfg.buffer.dir)) {
        snprintf(err, errsz, "cerelay run: buffer.dir %s: %s", r->cfg.buffer.dir, strerror(errno));
        goto fail;
    }
    char why[1024];
    cer_pipeline *pl = NULL;
    if (cer_pipeline_new(&pl, &r->cfg, &r->pshared, why, sizeof why) != 0) {
        snprintf(err, errsz, "cerelay run: %s", why);
        goto fail;
    }
    atomic_store(&r->pipe, pl);
    if (r->cfg.policy.dead_letter && r->cfg.dead_letter.log_dir) {
        if (mkdirs(r->cfg.dead_letter.log_dir)) {
            snprintf(err, errsz, "cerelay run: dead_letter.log_dir %s: %s",
                     r->cfg.dead_letter.log_dir, strerror(errno));
            goto fail;
        }
        cer_dlq *q = NULL;
        if (cer_dlq_new(&q, r->cfg.dead_letter.log_dir, 0, why, sizeof why) != 0) {
            snprintf(err, errsz, "cerelay run: %s", why);
            goto fail;
        }
        atomic_store(&r->pshared.dlq, q);
    }
    if (r->cfg.policy.dead_letter && !r->cfg.dead_letter.log_dir)
        cer__relay_log(CER_CONFIG_LEVEL_WARN,
                       "policy.dead_letter: denied events are written to dead_letter.log_dir only; "
                       "with dead_letter.topic they are dropped and counted "
                       "(cerelay_policy_decisions_total)");
    cer_emitter_conf *ec = cer_emitter_conf_new();
    if (emitter_conf(&r->cfg, ec, why, sizeof why) != 0) {
        snprintf(err, errsz, "cerelay run: %s", why);
        cer_emitter_conf_destroy(ec);
        goto fail;
    }
    cer_emitter_conf_set_callbacks(ec, cer__relay_on_delivery, cer__relay_on_persisted,
                                   on_emitter_log, r);
    cer_emitter_conf_set_router(ec, cer__relay_route, r);
    int rc = cer_emitter_new(&r->em, ec, why, sizeof why);
    cer_emitter_conf_destroy(ec);
    if (rc) {
        snprintf(err, errsz, "cerelay run: %s", why);
        goto fail;
    }
    if (!no_http) {
        if (cer__relay_http_start(r, why, sizeof why) != 0) {
            snprintf(err, errsz, "cerelay run: %s", why);
            goto fail;
        }
        cer__relay_acks_start(r);
    }
    return 0;
fail:
    cer__relay_close(r, 0);
    return 2;
}

void cer__relay_close(relay *r, int drain_ms)
{
    atomic_store(&r->draining, 1);
    cer__relay_http_quiesce(r, drain_ms);
    cer_emitter_destroy(r->em, drain_ms);
    r->em = NULL;
    cer__relay_acks_stop();
    cer__relay_http_stop(r);
    cer_dlq_destroy(atomic_load(&r->pshared.dlq)); /* writes what is queued first */
    atomic_store(&r->pshared.dlq, NULL);
    cer_pipeline_destroy(atomic_load(&r->pipe));
    atomic_store(&r->pipe, NULL);
    for (size_t i = 0; i < r->nold_pipes; i++)
        cer_pipeline_destroy(r->old_pipes[i]);
    free(r->old_pipes);
    r->old_pipes = NULL;
    r->nold_pipes = 0;
    cer__relay_metrics_free(&r->metrics);
    cer__relay_log_flush(r);
    cer_ratelog_destroy(r->rl);
    r->rl = NULL;
    cer__relay_ratelimit_destroy(r->ratelimit);
    r->ratelimit = NULL;
    cer_config_free(&r->cfg);
}

int cer__relay_main(const char *config_path, int print_ready, int ack_timeout_ms)
{
    static relay R;
    relay *r = &R;
    char err[1024];
    if (config_path) {
        if (cer_config_load(config_path, &r->cfg, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 2;
        }
    } else {
        cer_config_default(&r->cfg);
    }
    /* Signals go to the main thread only: block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (cer__relay_open(r, ack_timeout_ms, false, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    char ev_url[128] = "disabled", otlp_url[128] = "disabled";
    const char *scheme = r->cfg.listen.tls.cert ? "https" : "http";
    if (r->events_d)
        snprintf(ev_url, sizeof ev_url, "%s://%.*s:%d/events", scheme,
                 (int)(strrchr(r->cfg.listen.events, ':') - r->cfg.listen.events),
                 r->cfg.listen.events, r->events_port);
    if (r->otlp_d)
        snprintf(otlp_url, sizeof otlp_url, "%s://%.*s:%d/v1/logs", scheme,
                 (int)(strrchr(r->cfg.listen.otlp, ':') - r->cfg.listen.otlp), r->cfg.listen.otlp,
                 r->otlp_port);
    char grpc_url[128] = "disabled";
    if (r->grpc)
        cer__relay_grpc_url(r, grpc_url, sizeof grpc_url);
    cer__relay_log(
        CER_CONFIG_LEVEL_INFO,
        "ready: CloudEvents on %s, OTLP on %s, OTLP/gRPC on %s, binding %s, ack %s, buffer %s",
        ev_url, otlp_url, grpc_url, cer_config_binding_name(r->cfg.binding),
        cer_config_ack_name(r->cfg.ack),
        r->cfg.buffer.type == CER_CONFIG_BUFFER_DISK ? "disk" : "memory");
    if (print_ready) {
        printf("events %s\notlp %s\ngrpc %s\n", ev_url, otlp_url, grpc_url);
        fflush(stdout);
    }
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if (!config_path)
                cer__relay_log(CER_CONFIG_LEVEL_WARN, "SIGHUP: no configuration file to reload");
            else
                reload(r, config_path);
            continue;
        }
        break;
    }
    uint64_t drain = r->cfg.shutdown.drain_timeout_ms ? r->cfg.shutdown.drain_timeout_ms : 30000;
    cer__relay_log(CER_CONFIG_LEVEL_INFO, "shutting down: draining for up to %llu ms",
                   (unsigned long long)drain);
    cer__relay_close(r, (int)drain);
    cer__relay_log(CER_CONFIG_LEVEL_INFO, "stopped");
    return 0;
}

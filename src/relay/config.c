/* The relay configuration: the rules that tie keys together (the per-key schema is in
 * config_schema.c) and the load / default / dump / free entry points. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce_binding.h"
#include "cerelay/ce_sql.h"
#include "relay/config.h"
#include "relay/config_schema.h"
#include "relay/sidecar.h"
#include "relay/yaml_schema.h"
#include "relay/yaml_tree.h"

static const char *enum_name(const cer_yenum *e, int v)
{
    for (; e->name; e++)
        if (e->value == v)
            return e->name;
    return NULL;
}

const char *cer_config_binding_name(int binding)
{
    return enum_name(cer__config_bindings, binding);
}

const char *cer_config_ack_name(int ack)
{
    return enum_name(cer__config_acks, ack);
}

/* ---------------------------------------------------------------------------------------------
 * Rules between keys. Each error points at the first of the given key paths found in the file.
 * ------------------------------------------------------------------------------------------ */
typedef struct rules {
    cer_ydiag *diag;
    const cer_ynode *root;
    const char *src;
    size_t srclen;
} rules;

/* The value at a dotted path of map keys ("kafka.sasl"), or NULL; *key gets its key node. */
static const cer_ynode *find_kv(const cer_ynode *root, const char *path, const cer_ynode **key)
{
    const cer_ynode *n = root, *k = NULL;
    char name[64];
    while (n && *path) {
        size_t len = strcspn(path, ".");
        if (len >= sizeof name)
            return NULL;
        memcpy(name, path, len);
        name[len] = '\0';
        k = cer__ymap_key(n, name);
        n = k ? k->next : NULL;
        path += len + (path[len] == '.');
    }
    if (key)
        *key = k;
    return n;
}

static const cer_ynode *find(const cer_ynode *root, const char *path)
{
    return find_kv(root, path, NULL);
}

/* Where to point for `path`: a scalar's value, or the key of a map or list. */
static const cer_ynode *where(const cer_ynode *root, const char *path)
{
    const cer_ynode *k, *v = find_kv(root, path, &k);
    return v && v->kind != CER_YSCALAR ? k : v;
}

static const cer_ynode *nth(const cer_ynode *seq, size_t i)
{
    const cer_ynode *n = seq && seq->kind == CER_YSEQ ? seq->first : NULL;
    while (n && i--)
        n = n->next;
    return n;
}

/* Report `msg` about `key`, positioned at the first node found among `blame` (NULL-ended). */
static void bad(rules *r, const cer_ynode *at, const char *key, const char *fmt, ...)
    CER__PRINTF(4, 5);
static void bad(rules *r, const cer_ynode *at, const char *key, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cer__ydiag_add(r->diag, at ? at->line : 0, at ? at->col : 0, "key '%s': %s", key, msg);
}

static const cer_ynode *first_of(const cer_ynode *root, const char *a, const char *b, const char *c)
{
    const cer_ynode *n = where(root, a);
    if (!n && b)
        n = where(root, b);
    if (!n && c)
        n = where(root, c);
    return n;
}

/* Byte offset in the source where scalar `n`'s text starts (after an opening quote) when the
 * source there spells `text` exactly; else SIZE_MAX. */
static size_t source_offset(const rules *r, const cer_ynode *n, const char *text)
{
    size_t i = 0, line = 1;
    while (i < r->srclen && line < n->line)
        if (r->src[i++] == '\n')
            line++;
    for (uint32_t col = 1; col < n->col && i < r->srclen; col++)
        do
            i++;
        while (i < r->srclen && ((unsigned char)r->src[i] & 0xC0) == 0x80);
    if (!n->plain && i < r->srclen && (r->src[i] == '"' || r->src[i] == '\''))
        i++;
    size_t len = strlen(text);
    if (i + len > r->srclen || memcmp(r->src + i, text, len) != 0)
        return SIZE_MAX;
    return i;
}

static void check_rule_sql(rules *r, const cer_config_rule *rule, const cer_ynode *node,
                           const char *key)
{
    char e[256];
    size_t off = 0;
    ce_sql_prog *prog = NULL;
    ce_sql_options o = {.flags = CE_SQL_STRICT_FUNCTIONS};
    int rc = ce_sql_compile_ex(rule->when, strlen(rule->when), &o, &prog, &off, e, sizeof e);
    if (rc == 0) {
        ce_sql_type t = ce_sql_prog_type(prog);
        if (t && t != CE_SQL_BOOLEAN)
            bad(r, node, key, "CESQL: the expression is %s, not Boolean", ce_sql_type_name(t));
        ce_sql_prog_destroy(prog);
        return;
    }
    if (rc == CE_ENOMEM) {
        r->diag->nomem = true;
        return;
    }
    /* Point into the expression when the file spells it on one line as written. */
    cer_ynode at = node ? *node : (cer_ynode){0};
    size_t start =
        node && !memchr(rule->when, '\n', off) ? source_offset(r, node, rule->when) : SIZE_MAX;
    if (node && start != SIZE_MAX) {
        at.col += !node->plain;
        for (size_t i = 0; i < off; i++)
            at.col += ((unsigned char)rule->when[i] & 0xC0) != 0x80;
    }
    bad(r, node ? &at : NULL, key, "CESQL: %s", e);
}

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static void check_names(rules *r, const char *list, const char *const *names, size_t stride,
                        size_t n)
{
    const cer_ynode *seq = find(r->root, list);
    for (size_t i = 0; i < n; i++) {
        const char *a = *(const char *const *)((const char *)names + i * stride);
        for (size_t j = 0; j < i; j++) {
            const char *b = *(const char *const *)((const char *)names + j * stride);
            if (streq(a, b)) {
                char key[96];
                snprintf(key, sizeof key, "%s[%zu].name", list, i);
                bad(r, cer__ymap_get(nth(seq, i), "name"), key,
                    "duplicate name '%.64s' (also %s[%zu])", a, list, j);
                break;
            }
        }
    }
}

static void check_sasl(rules *r, const cer_config_sasl *s)
{
    const cer_ynode *mech = where(r->root, "kafka.sasl.mechanism");
    const cer_ynode *sasl = where(r->root, "kafka.sasl");
    const char *name = enum_name(cer__config_mechanisms, s->mechanism);
    bool creds = s->username || s->password || s->token || s->oidc.token_url || s->aws.region;
    switch (s->mechanism) {
    case CER_CONFIG_SASL_NONE:
        if (creds)
            bad(r, sasl, "kafka.sasl.mechanism", "required when kafka.sasl has credentials");
        break;
    case CER_CONFIG_SASL_PLAIN:
    case CER_CONFIG_SASL_SCRAM_SHA_256:
    case CER_CONFIG_SASL_SCRAM_SHA_512:
        if (!s->username)
            bad(r, mech, "kafka.sasl.username", "required with mechanism %s", name);
        if (!s->password)
            bad(r, mech, "kafka.sasl.password", "required with mechanism %s", name);
        break;
    case CER_CONFIG_SASL_OAUTHBEARER:
        if (!s->token && !s->oidc.token_url)
            bad(r, mech, "kafka.sasl.token",
                "required with mechanism OAUTHBEARER, unless "
                "kafka.sasl.oidc.token_url is set");
        if (s->token && s->oidc.token_url)
            bad(r, where(r->root, "kafka.sasl.token"), "kafka.sasl.token",
                "set token or oidc, not both");
        if (s->oidc.token_url && !s->oidc.client_id)
            bad(r, where(r->root, "kafka.sasl.oidc"), "kafka.sasl.oidc.client_id",
                "required with kafka.sasl.oidc.token_url");
        break;
    case CER_CONFIG_SASL_AWS_MSK_IAM:
        if (!s->aws.region)
            bad(r, mech, "kafka.sasl.aws.region", "required with mechanism AWS_MSK_IAM");
        break;
    }
}

static void check_rules(rules *r, const cer_config *c)
{
    const cer_ynode *root = r->root;
    char num[64];
    if (c->binding == CER_CONFIG_BINDING_KAFKA && c->kafka.brokers.n == 0)
        bad(r, first_of(root, "kafka.brokers", "kafka", "binding"), "kafka.brokers",
            "required when binding is kafka");
    if (c->binding == CER_CONFIG_BINDING_HTTP && !c->http.endpoint)
        bad(r, first_of(root, "http", "binding", NULL), "http.endpoint",
            "required when binding is http");
    if (c->buffer.type == CER_CONFIG_BUFFER_DISK && !c->buffer.dir)
        bad(r, first_of(root, "buffer", NULL, NULL), "buffer.dir", "required when type is disk");
    if (c->ack == CER_CONFIG_ACK_LOCAL && c->buffer.type == CER_CONFIG_BUFFER_MEMORY &&
        (c->binding == CER_CONFIG_BINDING_KAFKA || c->binding == CER_CONFIG_BINDING_HTTP))
        bad(r, first_of(root, "ack", "buffer.type", NULL), "ack",
            "'local' promises the event is stored, but buffer.type is memory: use a disk "
            "buffer, or ack remote or none");
    check_sasl(r, &c->kafka.sasl);

    if (c->dead_letter.topic && c->dead_letter.log_dir)
        bad(r, where(root, "dead_letter"), "dead_letter", "set topic or log_dir, not both");
    if (c->dead_letter.topic && c->kafka.brokers.n == 0)
        bad(r, where(root, "dead_letter.topic"), "dead_letter.topic", "needs kafka.brokers");
    if (c->policy.dead_letter && !c->dead_letter.topic && !c->dead_letter.log_dir)
        bad(r, where(root, "policy.dead_letter"), "policy.dead_letter",
            "needs dead_letter.topic or dead_letter.log_dir");
    /* policy.opa settings without a url would be silently ignored (defaults are fine: the
     * dump writes them) */
    cer_config d;
    cer_config_default(&d);
    if (!c->policy.opa.url &&
        (c->policy.opa.path || c->policy.opa.timeout_ms != d.policy.opa.timeout_ms ||
         c->policy.opa.cache_ttl_ms != d.policy.opa.cache_ttl_ms ||
         c->policy.opa.fail != d.policy.opa.fail))
        bad(r, where(root, "policy.opa"), "policy.opa.url", "required when policy.opa is given");
    if (c->policy.opa.url && !c->policy.opa.path)
        bad(r, where(root, "policy.opa.url"), "policy.opa.path",
            "required when policy.opa.url is set");

    if (c->listen.tls.client_ca && !c->listen.tls.cert)
        bad(r, where(root, "listen.tls.client_ca"), "listen.tls.client_ca",
            "needs listen.tls.cert and listen.tls.key (client certificates need TLS)");
    if (!c->listen.tls.cert != !c->listen.tls.key)
        bad(r, where(root, "listen.tls"), c->listen.tls.cert ? "listen.tls.key" : "listen.tls.cert",
            "listen.tls needs both cert and key");
    /* port 0 means "any free port": two of those never clash */
    size_t el = strlen(c->listen.events);
    if (c->listen.events[0] && streq(c->listen.events, c->listen.otlp) &&
        !(el >= 2 && strcmp(c->listen.events + el - 2, ":0") == 0))
        bad(r, where(root, "listen.otlp"), "listen.otlp", "same address as listen.events");
    const char *g = c->listen.otlp_grpc;
    size_t gl = g ? strlen(g) : 0;
    if (gl && !(gl >= 2 && strcmp(g + gl - 2, ":0") == 0) &&
        (streq(g, c->listen.events) || streq(g, c->listen.otlp)))
        bad(r, where(root, "listen.otlp_grpc"), "listen.otlp_grpc",
            "same address as listen.events or listen.otlp");

    const cer_config_limits *l = &c->limits;
    if (l->max_event_bytes > l->max_body_bytes)
        bad(r, first_of(root, "limits.max_event_bytes", "limits.max_body_bytes", NULL),
            "limits.max_event_bytes", "larger than limits.max_body_bytes");
    if (l->max_body_bytes > l->max_memory_bytes)
        bad(r, first_of(root, "limits.max_body_bytes", "limits.max_memory_bytes", NULL),
            "limits.max_body_bytes", "larger than limits.max_memory_bytes");
    if (c->http.batch_size > l->max_batch_events) {
        snprintf(num, sizeof num, "%lld", (long long)l->max_batch_events);
        bad(r, first_of(root, "http.batch_size", "limits.max_batch_events", NULL),
            "http.batch_size", "larger than limits.max_batch_events (%s)", num);
    }
    if ((c->binding == CER_CONFIG_BINDING_LOG || c->dead_letter.log_dir) &&
        c->log.segment_bytes < l->max_event_bytes)
        bad(r, first_of(root, "log.segment_bytes", "limits.max_event_bytes", NULL),
            "log.segment_bytes",
            "smaller than limits.max_event_bytes: a segment must hold the "
            "largest event");
    if (c->buffer.max_bytes < l->max_event_bytes)
        bad(r, first_of(root, "buffer.max_bytes", "limits.max_event_bytes", NULL),
            "buffer.max_bytes", "smaller than limits.max_event_bytes");

    const cer_ynode *seq = find(root, "policy.rules");
    for (size_t i = 0; i < c->policy.nrules; i++) {
        char key[64];
        snprintf(key, sizeof key, "policy.rules[%zu].when", i);
        if (c->policy.rules[i].when)
            check_rule_sql(r, &c->policy.rules[i], cer__ymap_get(nth(seq, i), "when"), key);
    }
    if (c->policy.nrules)
        check_names(r, "policy.rules", &c->policy.rules[0].name, sizeof *c->policy.rules,
                    c->policy.nrules);
    seq = find(root, "masking.rules");
    for (size_t i = 0; i < c->masking.nrules; i++) {
        const cer_config_mask_rule *m = &c->masking.rules[i];
        if (m->action == CER_CONFIG_MASK_HASH && !c->masking.key) {
            char key[64];
            snprintf(key, sizeof key, "masking.rules[%zu].action", i);
            bad(r, cer__ymap_get(nth(seq, i), "action"), key,
                "hash needs masking.key (the HMAC key)");
        }
    }
    if (c->masking.nrules)
        check_names(r, "masking.rules", &c->masking.rules[0].name, sizeof *c->masking.rules,
                    c->masking.nrules);
    const cer_config_tenant_rate *tr = &c->limits.tenant_rate;
    if (tr->rate == 0 && (tr->noverrides || tr->burst))
        bad(r, first_of(root, "limits.tenant_rate.overrides", "limits.tenant_rate.burst", NULL),
            "limits.tenant_rate.rate",
            "required (events per second, > 0) when burst or overrides are given");
    seq = find(root, "limits.tenant_rate.overrides");
    for (size_t i = 0; i < tr->noverrides; i++)
        for (size_t j = 0; j < i; j++)
            if (streq(tr->overrides[i].tenant, tr->overrides[j].tenant)) {
                char key[80];
                snprintf(key, sizeof key, "limits.tenant_rate.overrides[%zu].tenant", i);
                bad(r, cer__ymap_get(nth(seq, i), "tenant"), key,
                    "duplicate tenant '%.64s' (also overrides[%zu])", tr->overrides[i].tenant, j);
                break;
            }
}

/* ---------------------------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------------------------ */
void cer_config_default(cer_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cer__yschema_defaults(&cer__config_schema, cfg);
}

static const char *env_get(void *ctx, const char *name)
{
    return getenv(name);
}

int cer_config_load_string_opts(const char *text, size_t len, const char *name,
                                const cer_config_opts *opts, cer_config *cfg, char *errstr,
                                size_t errstr_size)
{
    static const cer_config_opts none = {0};
    if (!opts)
        opts = &none;
    if (!name)
        name = "<config>";
    if (errstr && errstr_size)
        errstr[0] = '\0';
    cer_config_default(cfg);
    cer_yarena tmp = {0}, *mem = cer__ymalloc(sizeof *mem);
    cer_ydiag diag = {.arena = &tmp};
    if (!mem) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "%s: out of memory", name);
        return CE_ENOMEM;
    }
    *mem = (cer_yarena){0};
    cer_ylimits lim = {opts->max_bytes, opts->max_depth, opts->max_nodes};
    cer_ynode *top = NULL;
    int rc = cer__yparse(text, len, &lim, &tmp, &diag, &top);
    if (rc == 0 && top && top->kind != CER_YMAP && !cer__yis_null(top))
        cer__ydiag_add(&diag, top->line, top->col, "the top level must be a map of keys, got %s",
                       cer__ykind_name(top));
    if (rc == 0 && diag.count == 0 && cer__sidecar_detect(top) &&
        cer__sidecar_translate(top, &tmp, &diag, &top) != 0)
        diag.nomem = true;
    if (rc == 0 && diag.count == 0 && !diag.nomem) {
        cer_yctx c = {.diag = &diag,
                      .tmp = &tmp,
                      .out = mem,
                      .getenv_fn = opts->getenv_fn ? opts->getenv_fn : env_get,
                      .getenv_ctx = opts->getenv_ctx};
        cer__yschema_fill(&c, &cer__config_schema, cfg, top);
        if (diag.count == 0 && !diag.nomem) {
            rules r = {&diag, top, text, len};
            check_rules(&r, cfg);
        }
    }
    if (diag.nomem)
        rc = CE_ENOMEM;
    else if (rc == 0 && diag.count)
        rc = CE_EINVAL;
    else if (rc == CE_ESYNTAX || rc == CE_EDEPTH || rc == CE_ELIMIT)
        rc = CE_EINVAL;
    if (errstr)
        cer__ydiag_format(&diag, name, errstr, errstr_size);
    cer__yarena_free(&tmp);
    if (rc) {
        cer__yarena_free(mem);
        cer__yfree(mem);
        cer_config_default(cfg);
        return rc;
    }
    cfg->mem_ = mem;
    return 0;
}

int cer_config_load_string(const char *text, size_t len, const char *name, cer_config *cfg,
                           char *errstr, size_t errstr_size)
{
    return cer_config_load_string_opts(text, len, name, NULL, cfg, errstr, errstr_size);
}

int cer_config_load_opts(const char *path, const cer_config_opts *opts, cer_config *cfg,
                         char *errstr, size_t errstr_size)
{
    size_t max = opts && opts->max_bytes ? opts->max_bytes : CER_YAML_MAX_BYTES;
    cer_config_default(cfg);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr ? errstr_size : 0, "%s: %s", path, strerror(errno));
        return CE_EIO;
    }
    char *buf = cer__ymalloc(max + 1);
    if (!buf) {
        fclose(f);
        snprintf(errstr, errstr ? errstr_size : 0, "%s: out of memory", path);
        return CE_ENOMEM;
    }
    size_t n = fread(buf, 1, max + 1, f);
    int rd = ferror(f) ? errno : 0;
    fclose(f);
    int rc;
    if (rd) {
        snprintf(errstr, errstr ? errstr_size : 0, "%s: %s", path, strerror(rd));
        rc = CE_EIO;
    } else if (n > max) {
        snprintf(errstr, errstr ? errstr_size : 0, "%s: larger than %zu bytes", path, max);
        rc = CE_ETOOBIG;
    } else {
        rc = cer_config_load_string_opts(buf, n, path, opts, cfg, errstr, errstr_size);
    }
    cer__yfree(buf);
    return rc;
}

int cer_config_load(const char *path, cer_config *cfg, char *errstr, size_t errstr_size)
{
    return cer_config_load_opts(path, NULL, cfg, errstr, errstr_size);
}

void cer_config_free(cer_config *cfg)
{
    if (!cfg)
        return;
    cer_yarena *mem = cfg->mem_;
    if (mem) {
        cer__yarena_free(mem);
        cer__yfree(mem);
    }
    cer_config_default(cfg);
}

int cer_config_convert(const char *text, size_t len, const char *name, ce_buf *out, char *errstr,
                       size_t errstr_size)
{
    if (!name)
        name = "<config>";
    if (errstr && errstr_size)
        errstr[0] = '\0';
    cer_yarena tmp = {0};
    cer_ydiag diag = {.arena = &tmp};
    cer_ylimits lim = {0, 0, 0};
    cer_ynode *top = NULL, *root = NULL;
    int rc = cer__yparse(text, len, &lim, &tmp, &diag, &top);
    if (rc == 0 && !cer__sidecar_detect(top))
        cer__ydiag_add(&diag, 0, 0,
                       "not in the sidecar layout (no top-level cloud_events, tenant or otel "
                       "key): nothing to convert");
    else if (rc == 0 && cer__sidecar_translate(top, &tmp, &diag, &root) != 0)
        diag.nomem = true;
    if (rc == 0 && diag.count == 0 && !diag.nomem && cer__sidecar_write(top, root, out) != 0)
        diag.nomem = true;
    if (diag.nomem)
        rc = CE_ENOMEM;
    else if (diag.count)
        rc = CE_EINVAL;
    else if (rc == CE_ESYNTAX || rc == CE_EDEPTH || rc == CE_ELIMIT)
        rc = CE_EINVAL;
    if (errstr)
        cer__ydiag_format(&diag, name, errstr, errstr_size);
    cer__yarena_free(&tmp);
    return rc;
}

int cer_config_dump(const cer_config *cfg, ce_buf *out)
{
    static const char head[] = "# cerelay configuration (effective values; secrets are shown as "
                               "\"<redacted>\")\n";
    int rc = ce_buf_append(out, head, sizeof head - 1);
    return rc ? CE_ENOMEM : cer__yschema_dump(&cer__config_schema, cfg, 0, out);
}

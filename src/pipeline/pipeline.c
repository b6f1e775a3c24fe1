/* The pipeline's steps over one batch: decode under the limits (HTTP CloudEvents, OTLP), then
 * per event size -> catalog -> masking -> policy -> routing, each event ending with a verdict.
 * Every event of a known type is checked against the AI event catalog (costUsd filled from the
 * price table); masking runs before the policy, so nothing unmasked reaches OPA, the
 * destination, the logs or the metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cerelay/catalog.h"
#include "cerelay/otlp.h"
#include "gov/mask.h"
#include "gov/policy.h"
#include "pipeline/internal.h"
#include "sink/sink.h"

struct cer_pipeline {
    const cer_config *cfg;
    cer_catalog *cat;
    cer_mask *mask;
    cer_policy *policy;
    cer_pipeline_shared *shared;
    cer_pipeline_shared own;         /* when the caller gave none */
    const char *def_topic, *def_key; /* binding defaults; def_topic NULL: no topic */
    size_t max_event_bytes, max_body_bytes;
    uint32_t max_batch;
};

static cer_catalog *catalog_from(const cer_config_catalog *cc, char *errstr, size_t n)
{
    char why[512];
    cer_catalog *cat = NULL;
    if (cer_catalog_new(&cat, 0, why, sizeof why) != 0) {
        snprintf(errstr, n, "catalog: %s", why);
        return NULL;
    }
    static const cer_catalog_mode modes[] = {CER_CATALOG_WARN, CER_CATALOG_OFF, CER_CATALOG_WARN,
                                             CER_CATALOG_ENFORCE};
    if ((cc->file && cer_catalog_load_file(cat, cc->file, why, sizeof why) != 0) ||
        (cc->prices && cer_catalog_load_prices(cat, cc->prices, why, sizeof why) != 0)) {
        snprintf(errstr, n, "catalog: %s", why);
        cer_catalog_destroy(cat);
        return NULL;
    }
    cer_catalog_set_mode(cat, NULL, modes[cc->mode >= 1 && cc->mode <= 3 ? cc->mode : 0]);
    for (size_t i = 0; i < cc->types.n; i++) {
        cer_catalog_mode m;
        if (cer_catalog_mode_parse(cc->types.v[i].value, &m) != 0 ||
            cer_catalog_set_mode(cat, cc->types.v[i].name, m) != 0) {
            snprintf(errstr, n, "catalog.types: '%s' is not a catalog type", cc->types.v[i].name);
            cer_catalog_destroy(cat);
            return NULL;
        }
    }
    return cat;
}

int cer_pipeline_new(cer_pipeline **out, const cer_config *cfg, cer_pipeline_shared *shared,
                     char *errstr, size_t errstr_size)
{
    char why[512];
    *out = NULL;
    cer_pipeline *pl = calloc(1, sizeof *pl);
    if (!pl) {
        snprintf(errstr, errstr_size, "out of memory");
        return CE_ENOMEM;
    }
    pl->cfg = cfg;
    pl->shared = shared ? shared : &pl->own;
    pl->cat = catalog_from(&cfg->catalog, errstr, errstr_size);
    if (!pl->cat) {
        free(pl);
        return CE_EINVAL;
    }
    pl->mask = cer_mask_new(&cfg->masking, why, sizeof why);
    if (!pl->mask) {
        snprintf(errstr, errstr_size, "masking: %s", why);
        cer_pipeline_destroy(pl);
        return CE_EINVAL;
    }
    pl->policy = cer_policy_new(&cfg->policy, why, sizeof why);
    if (!pl->policy) {
        snprintf(errstr, errstr_size, "policy: %s", why);
        cer_pipeline_destroy(pl);
        return CE_EINVAL;
    }
    if (cfg->binding == CER_CONFIG_BINDING_KAFKA) {
        pl->def_topic = cfg->kafka.topic ? cfg->kafka.topic : "{type}";
        pl->def_key = cfg->kafka.key;
    } else if (cfg->binding == CER_CONFIG_BINDING_LOG) {
        pl->def_topic = "{type}"; /* as the relay opens its log sink */
    }
    pl->max_body_bytes = cfg->limits.max_body_bytes ? cfg->limits.max_body_bytes : (8u << 20);
    pl->max_event_bytes =
        cfg->limits.max_event_bytes ? cfg->limits.max_event_bytes : CE_DEFAULT_MAX_EVENT_BYTES;
    pl->max_batch =
        cfg->limits.max_batch_events > 0 ? (uint32_t)cfg->limits.max_batch_events : 10000u;
    *out = pl;
    return 0;
}

void cer_pipeline_destroy(cer_pipeline *pl)
{
    if (!pl)
        return;
    cer_policy_destroy(pl->policy);
    cer_mask_destroy(pl->mask);
    cer_catalog_destroy(pl->cat);
    free(pl);
}

const cer_config *cer_pipeline_config(const cer_pipeline *pl)
{
    return pl->cfg;
}

/* ---- decoding ------------------------------------------------------------------------------ */

static const char *header(const ce_http_message *msg, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < msg->header_count; i++)
        if (msg->headers[i].name.len == n && strncasecmp(msg->headers[i].name.ptr, name, n) == 0) {
            *len = msg->headers[i].value.len;
            return msg->headers[i].value.ptr;
        }
    return NULL;
}

static int on_http_event(void *ctx, size_t index, ce_event *ev, int err, const char *msg)
{
    cer_batch *b = ctx;
    (void)index; /* the batch index is the element's position: elements arrive in order */
    if (ev)
        return cer_batch_add_take(b, ev);
    return cer_batch_add_rejected(b, cer_reason_of_error(err), msg);
}

cer_reason cer_pipeline_decode_http(cer_pipeline *pl, const ce_http_message *msg, cer_batch *b,
                                    char *errstr, size_t errstr_size)
{
    size_t ctlen = 0, svlen = 0;
    const char *ct = header(msg, "Content-Type", &ctlen);
    ce_mode mode = ce_http_mode(ct, ct ? ctlen : 0);
    if (mode == CE_MODE_BINARY && !header(msg, "ce-specversion", &svlen)) {
        snprintf(errstr, errstr_size,
                 "expected Content-Type application/cloudevents+json or "
                 "application/cloudevents-batch+json, or a binary-mode request with a "
                 "ce-specversion header");
        return CER_REASON_MEDIA_TYPE;
    }
    ce_limits lim = ce_limits_default();
    /* the decoder's cap is the whole body (already bounded by max_body_bytes); each event is
     * then measured against max_event_bytes by cer_pipeline_process */
    lim.max_event_bytes =
        msg->body.len + 1 > pl->max_body_bytes ? msg->body.len + 1 : pl->max_body_bytes;
    lim.max_batch = pl->max_batch;
    int rc = ce_http_decode_batch(msg, &lim, on_http_event, b, errstr, errstr_size);
    if (rc == 0)
        return CER_REASON_NONE;
    cer_batch_clear(b);
    if (mode == CE_MODE_BATCH && rc == CE_ELIMIT) { /* more than max_batch_events */
        char d[256];
        snprintf(d, sizeof d, "%s (limits.max_batch_events)", errstr);
        snprintf(errstr, errstr_size, "%s", d);
        return CER_REASON_TOO_LARGE;
    }
    cer_reason r = cer_reason_of_error(rc);
    if (r == CER_REASON_INVALID && mode != CE_MODE_BATCH) {
        /* a single event that breaks a rule: the same answer as in a batch (errors[] index 0) */
        if (cer_batch_add_rejected(b, CER_REASON_INVALID, errstr) != 0)
            return CER_REASON_OVERLOADED;
        return CER_REASON_NONE;
    }
    return r;
}

cer_reason cer_pipeline_decode_json(cer_pipeline *pl, const char *buf, size_t len, cer_batch *b,
                                    char *errstr, size_t errstr_size)
{
    ce_limits lim = ce_limits_default();
    lim.max_event_bytes = len + 1 > pl->max_body_bytes ? len + 1 : pl->max_body_bytes;
    lim.max_batch = pl->max_batch;
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (i < len && buf[i] == '[') {
        int rc = ce_json_decode_batch(buf, len, &lim, on_http_event, b, errstr, errstr_size);
        if (rc == 0)
            return CER_REASON_NONE;
        cer_batch_clear(b);
        return rc == CE_ELIMIT ? CER_REASON_TOO_LARGE : cer_reason_of_error(rc);
    }
    ce_event *ev = NULL;
    int rc = ce_json_decode(buf, len, &lim, &ev, errstr, errstr_size);
    if (rc == 0)
        return cer_batch_add_take(b, ev) == 0 ? CER_REASON_NONE : CER_REASON_OVERLOADED;
    return cer_batch_add_rejected(b, cer_reason_of_error(rc), errstr) == 0 ? CER_REASON_NONE
                                                                           : CER_REASON_OVERLOADED;
}

typedef struct otlp_ctx {
    cer_batch *b;
} otlp_ctx;

static int on_otlp_event(void *ctx, const ce_event *ev)
{
    otlp_ctx *o = ctx;
    ce_event *copy = ce_event_clone(ev);
    if (!copy)
        return CE_ENOMEM;
    return cer_batch_add_take(o->b, copy);
}

cer_reason cer_pipeline_decode_otlp(cer_pipeline *pl, int signal, const char *content_type,
                                    const char *content_encoding, const void *body, size_t len,
                                    cer_batch *b, cer_otlp_outcome *out, char *errstr,
                                    size_t errstr_size)
{
    const cer_config *L = pl->cfg;
    memset(out, 0, sizeof *out);
    cer_otlp_limits lim = {0};
    lim.max_body_bytes = pl->max_body_bytes;
    lim.max_decoded_bytes = pl->max_body_bytes; /* a gzip body inflates to max_body_bytes */
    lim.max_memory_bytes =
        pl->max_body_bytes * 4 > ((size_t)16 << 20) ? pl->max_body_bytes * 4 : ((size_t)16 << 20);
    lim.max_records = pl->max_batch;
    cer_otlp_request *orq = NULL;
    cer_otlp_encoding enc = CER_OTLP_PROTOBUF;
    int rc = cer_otlp_decode_http((cer_otlp_signal)signal, content_type, content_encoding,
                                  len ? body : "", len, &lim, &orq, &enc, errstr, errstr_size);
    out->encoding = enc;
    if (rc) {
        if (rc == CE_ETOOBIG || rc == CE_ELIMIT)
            return CER_REASON_TOO_LARGE;
        if (rc == CE_EUNSUPPORTED)
            return CER_REASON_MEDIA_TYPE;
        return rc == CE_ENOMEM ? CER_REASON_OVERLOADED : CER_REASON_MALFORMED;
    }
    const char *tenant[] = {L->otlp.tenant_attribute, NULL};
    const char *user[] = {L->otlp.user_attribute, NULL};
    cer_otlp_map_conf mc = {0};
    mc.source = L->source; /* NULL: from service.name (docs/otlp.md) */
    mc.default_source = "/cerelay";
    mc.log_type = L->otlp.default_type;
    mc.type_attr = L->otlp.event_name_attribute;
    mc.tenant_attrs = L->otlp.tenant_attribute ? tenant : NULL;
    mc.user_attrs = L->otlp.user_attribute ? user : NULL;
    mc.spans = L->otlp.spans == CER_CONFIG_SPANS_ALL    ? CER_OTLP_SPANS_ALL
               : L->otlp.spans == CER_CONFIG_SPANS_NONE ? CER_OTLP_SPANS_NONE
                                                        : CER_OTLP_SPANS_GENAI;
    mc.allow_content = L->otlp.allow_content;
    mc.max_event_bytes = pl->max_event_bytes;
    otlp_ctx o = {b};
    cer_otlp_map_stats st;
    rc = cer_otlp_map(orq, &mc, on_otlp_event, NULL, &o, &st, errstr, errstr_size);
    cer_otlp_request_destroy(orq);
    if (rc) {
        cer_batch_clear(b);
        return rc == CE_ENOMEM ? CER_REASON_OVERLOADED : CER_REASON_MALFORMED;
    }
    out->rejected = st.rejected;
    snprintf(out->first_error, sizeof out->first_error, "%s", st.first_error);
    return CER_REASON_NONE;
}

/* ---- the steps ------------------------------------------------------------------------------ */

size_t cer__event_size_floor(const ce_event *ev, size_t *nattrs)
{
    size_t n = ce_event_attr_count(ev), sum = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name;
        ce_value v;
        if (ce_event_attr_at(ev, i, &name, &v) == 0)
            sum += strlen(name) + v.str.len;
    }
    ce_slice d = ce_event_data(ev);
    sum += ce_event_data_kind(ev) == CE_DATA_BINARY ? (d.len + 2) / 3 * 4 : d.len;
    if (nattrs)
        *nattrs = n;
    return sum;
}

/* The event's size is the length of its structured JSON encoding (what the local log and a
 * structured-mode destination store). Cheap bounds first; encode only when they straddle. */
static int too_large(cer_pipeline *pl, const ce_event *ev, size_t *size)
{
    size_t nattrs, floor = cer__event_size_floor(ev, &nattrs);
    *size = floor;
    if (floor > pl->max_event_bytes)
        return 1;
    /* escaping at most sextuples a byte (\u00XX); punctuation is at most 8 bytes a member */
    if (floor * 6 + nattrs * 8 + 64 <= pl->max_event_bytes)
        return 0;
    ce_buf b;
    ce_buf_init(&b);
    b.cap_limit = pl->max_event_bytes;
    int rc = ce_json_encode(ev, 0, &b, NULL, 0);
    *size = b.len;
    ce_buf_free(&b);
    if (rc == CE_ETOOBIG) {
        *size = pl->max_event_bytes + 1;
        return 1;
    }
    return 0;
}

static void reject(cer_item *it, cer_reason r, const char *fmt, const char *a, const char *b)
{
    it->verdict = CER_VERDICT_REJECTED;
    it->reason = r;
    snprintf(it->detail, sizeof it->detail, fmt, a, b);
}

static void check_size_catalog(cer_pipeline *pl, cer_item *it)
{
    size_t size;
    if (too_large(pl, it->ev, &size)) {
        atomic_fetch_add(&pl->shared->too_large, 1);
        it->verdict = CER_VERDICT_REJECTED;
        it->reason = CER_REASON_TOO_LARGE;
        snprintf(it->detail, sizeof it->detail,
                 "the event is %s%zu bytes, over limits.max_event_bytes (%zu)",
                 size > pl->max_event_bytes ? "" : "over ", size, pl->max_event_bytes);
        return;
    }
    char why[256];
    if (cer_catalog_fill_cost(pl->cat, it->ev, why, sizeof why) == 1)
        atomic_fetch_add(&pl->shared->cost_filled, 1);
    cer_catalog_result *res = malloc(sizeof *res); /* large: not on the stack */
    if (!res) {
        reject(it, CER_REASON_INVALID, "%s%s", "catalog: out of memory", "");
        return;
    }
    int v = cer_catalog_validate(pl->cat, it->ev, res);
    if (v == CER_CATALOG_REJECTED || v < 0) {
        atomic_fetch_add(&pl->shared->cat_rejected, 1);
        it->verdict = CER_VERDICT_REJECTED;
        it->reason = CER_REASON_INVALID;
        size_t o = (size_t)snprintf(it->detail, sizeof it->detail, "catalog (enforce): ");
        for (size_t k = 0; k < res->nmessages && o < sizeof it->detail; k++)
            o += (size_t)snprintf(it->detail + o, sizeof it->detail - o, "%s%s", k ? "; " : "",
                                  res->messages[k]);
    } else if (v == CER_CATALOG_WARNED) {
        /* messages may quote data values: only the count is kept */
        atomic_fetch_add(&pl->shared->cat_warned, 1);
        it->catalog_warned = res->violations ? res->violations : 1;
    }
    free(res);
}

void cer_pipeline_route(const cer_pipeline *pl, const ce_event *ev, const char **topic_tmpl,
                        const char **key_tmpl)
{
    *topic_tmpl = pl->def_topic;
    *key_tmpl = pl->def_key;
    ce_slice type = ce_event_get_str(ev, "type");
    for (size_t i = 0; i < pl->cfg->nroutes; i++) {
        const cer_config_route *rt = &pl->cfg->routes[i];
        if (cer_glob(rt->match, type.ptr, type.len)) {
            if (rt->topic)
                *topic_tmpl = rt->topic;
            if (rt->key)
                *key_tmpl = rt->key;
            return;
        }
    }
}

int cer_glob(const char *pat, const char *s, size_t len)
{
    size_t i = 0;
    const char *star = NULL;
    size_t star_i = 0;
    while (i < len) {
        if (*pat == '?' || (*pat && *pat != '*' && *pat == s[i])) {
            pat++, i++;
        } else if (*pat == '*') {
            star = pat++;
            star_i = i;
        } else if (star) {
            pat = star + 1;
            i = ++star_i;
        } else {
            return 0;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == 0;
}

static void govern_route(cer_pipeline *pl, cer_item *it)
{
    char why[256];
    if (cer_mask_apply(pl->mask, it->ev, NULL, why, sizeof why) != 0) {
        /* a partly masked event must not leave */
        atomic_fetch_add(&pl->shared->mask_failed, 1);
        reject(it, CER_REASON_GOVERNANCE, "masking: %s%s", why, "");
        return;
    }
    cer_policy_decision d = {0};
    d.verdict = CER_CONFIG_ALLOW;
    /* a failed decision fills in a deny: follow it (fail closed) */
    if (cer_policy_decide(pl->policy, it->ev, &d) != 0 && d.verdict != CER_CONFIG_DENY) {
        d.verdict = CER_CONFIG_DENY;
        if (!d.reason[0])
            snprintf(d.reason, sizeof d.reason, "the policy could not decide");
    }
    it->rule = d.rule ? d.rule : "default";
    snprintf(it->detail, sizeof it->detail, "%s", d.reason);
    if (d.verdict == CER_CONFIG_DENY) {
        atomic_fetch_add(&pl->shared->denied, 1);
        it->verdict = CER_VERDICT_DENIED;
        it->dead_letter = pl->cfg->policy.dead_letter;
        return;
    }
    if (pl->def_topic) {
        const char *tt, *kt;
        cer_pipeline_route(pl, it->ev, &tt, &kt);
        ce_buf sc;
        ce_buf_init(&sc);
        const char *topic = NULL;
        ce_slice key = {NULL, 0};
        const char *what = "topic";
        int rc = cer_render_topic(it->ev, tt, &sc, &topic, why, sizeof why);
        if (rc == 0) {
            it->topic = strdup(topic);
            sc.len = 0;
            what = "key";
            rc = ce_kafka_key(it->ev, kt, &sc, &key, why, sizeof why);
        }
        if (rc == 0 && key.ptr) {
            it->key = malloc(key.len + 1);
            if (it->key) {
                memcpy(it->key, key.ptr, key.len);
                it->key[key.len] = 0;
                it->key_len = key.len;
            }
        }
        ce_buf_free(&sc);
        if (rc != 0) {
            reject(it, CER_REASON_INVALID, "%s: %s", what, why);
            return;
        }
        if (!it->topic || (key.ptr && !it->key)) {
            reject(it, CER_REASON_INVALID, "%s%s", "routing: out of memory", "");
            return;
        }
    }
    it->verdict = CER_VERDICT_ACCEPTED;
}

cer_reason cer_pipeline_process(cer_pipeline *pl, cer_batch *b, unsigned flags)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].verdict == CER_VERDICT_PENDING && b->items[i].ev)
            check_size_catalog(pl, &b->items[i]);
    if ((flags & CER_PIPELINE_WHOLE) && cer_batch_outcome(b, NULL) != CER_REASON_NONE)
        return cer_batch_outcome(b, NULL);
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].verdict != CER_VERDICT_PENDING || !b->items[i].ev)
            continue;
        govern_route(pl, &b->items[i]);
        if ((flags & CER_PIPELINE_WHOLE) && b->items[i].verdict == CER_VERDICT_REJECTED)
            break;
    }
    return cer_batch_outcome(b, NULL);
}

int cer_pipeline_dead_letter(cer_pipeline *pl, cer_batch *b, cer_dlq_done_fn done, void *opaque)
{
    cer_dlq *q = atomic_load(&pl->shared->dlq);
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->items[i].verdict == CER_VERDICT_DENIED && b->items[i].dead_letter;
    if (!q || n == 0)
        return 0;
    ce_event **evs = calloc(n, sizeof *evs);
    if (!evs)
        return CER_PIPELINE_DLQ_FULL;
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        cer_item *it = &b->items[i];
        if (it->verdict != CER_VERDICT_DENIED || !it->dead_letter)
            continue;
        ce_event *c = ce_event_clone(it->ev);
        char reason[256];
        snprintf(reason, sizeof reason, "denied by policy rule '%s'", it->rule);
        if (!c || ce_event_set_str(c, "deadletterreason", reason, NULL, 0) != 0) {
            ce_event_destroy(c);
            for (size_t j = 0; j < k; j++)
                ce_event_destroy(evs[j]);
            free(evs);
            return CER_PIPELINE_DLQ_FULL;
        }
        bytes += cer__event_size_floor(c, NULL) + 64;
        evs[k++] = c;
    }
    int rc = cer__dlq_push(q, evs, k, bytes, done, opaque);
    if (rc)
        return rc;
    atomic_fetch_add(&pl->shared->dead_lettered, k);
    return (int)k;
}

cer_policy *cer__pipeline_policy(cer_pipeline *pl)
{
    return pl->policy;
}
cer_mask *cer__pipeline_mask(cer_pipeline *pl)
{
    return pl->mask;
}
cer_pipeline_shared *cer__pipeline_shared(cer_pipeline *pl)
{
    return pl->shared;
}

/* The CoreSDK sidecar layout (seed 002's coresdk-sidecar.yaml: `tenant`, `otel`, `cloud_events`)
 * translated into cerelay's own key tree before the schema reads it, so that every error still
 * points at the line and column of the file the user wrote; plus a YAML writer for that tree
 * (`cerelay config convert`). The table in docs/config.md lists each key's translation. */
#include <stdio.h>
#include <string.h>

#include "relay/sidecar.h"
#include "relay/yaml_schema.h"

/* The OPA server a sidecar's customer_egress_policy is evaluated by (docs/config.md). */
#define SIDECAR_OPA_URL "${CER_OPA_URL:-http://127.0.0.1:8181}"

typedef struct tr {
    cer_yarena *a;
    cer_ydiag *d;
    bool nomem;
} tr;

bool cer__sidecar_detect(const cer_ynode *top)
{
    return top && top->kind == CER_YMAP &&
           (cer__ymap_key(top, "cloud_events") || cer__ymap_key(top, "tenant") ||
            cer__ymap_key(top, "otel"));
}

static cer_ynode *mk(tr *t, cer_ykind kind, const cer_ynode *at)
{
    cer_ynode *n = cer__yarena_alloc(t->a, sizeof *n);
    if (!n) {
        t->nomem = true;
        return NULL;
    }
    n->kind = kind;
    n->line = at ? at->line : 0;
    n->col = at ? at->col : 0;
    return n;
}

static cer_ynode *scalar(tr *t, const char *s, const cer_ynode *at)
{
    cer_ynode *n = mk(t, CER_YSCALAR, at);
    if (!n)
        return NULL;
    n->str = cer__yarena_strndup(t->a, s, strlen(s));
    n->len = strlen(s);
    if (!n->str)
        t->nomem = true;
    return n->str ? n : NULL;
}

/* A deep copy of `n` (positions kept; `next` cleared). */
static cer_ynode *copy(tr *t, const cer_ynode *n)
{
    cer_ynode *c = mk(t, n->kind, n);
    if (!c)
        return NULL;
    c->plain = n->plain;
    c->str = n->str;
    c->len = n->len;
    for (const cer_ynode *k = n->first; k; k = k->next) {
        cer_ynode *kc = copy(t, k);
        if (!kc)
            return NULL;
        if (c->last)
            c->last->next = kc;
        else
            c->first = kc;
        c->last = kc;
    }
    c->n = n->n;
    return c;
}

/* Append `key: val` to `map`; a key the map already has is an error naming both sources. */
static void put(tr *t, cer_ynode *map, const char *key, const cer_ynode *at, cer_ynode *val,
                const char *from)
{
    if (!map || !val)
        return;
    if (cer__ymap_key(map, key)) {
        cer__ydiag_add(t->d, at ? at->line : 0, at ? at->col : 0,
                       "key '%s': set twice (natively and by sidecar key '%s')", key, from);
        return;
    }
    cer_ynode *k = scalar(t, key, at);
    if (!k)
        return;
    k->plain = true;
    k->next = val;
    val->next = NULL;
    if (map->last)
        map->last->next = k;
    else
        map->first = k;
    map->last = val;
    map->n++;
}

/* The map at `key` of `map`, made when missing. */
static cer_ynode *submap(tr *t, cer_ynode *map, const char *key, const cer_ynode *at)
{
    cer_ynode *v = (cer_ynode *)cer__ymap_get(map, key);
    if (v && v->kind == CER_YMAP)
        return v;
    if (v)
        return NULL; /* a native scalar there: the schema reports it */
    v = mk(t, CER_YMAP, at);
    put(t, map, key, at, v, key);
    return v;
}

static void unknown(tr *t, const cer_ynode *k, const char *section, const char *const *keys)
{
    const char *best = NULL;
    unsigned bestd = 3;
    for (size_t i = 0; keys[i]; i++) {
        unsigned d = cer__yedit_distance(k->str, keys[i], 2);
        if (d < bestd)
            bestd = d, best = keys[i];
    }
    if (best)
        cer__ydiag_add(t->d, k->line, k->col,
                       "unknown key '%s.%.128s' in the sidecar layout (did you mean '%s.%s'?)",
                       section, k->str, section, best);
    else
        cer__ydiag_add(t->d, k->line, k->col,
                       "unknown key '%s.%.128s' in the sidecar layout (known: see docs/config.md)",
                       section, k->str);
}

static bool is_map_or_null(tr *t, const cer_ynode *v, const char *key)
{
    if (v->kind == CER_YMAP || cer__yis_null(v))
        return v->kind == CER_YMAP;
    cer__ydiag_add(t->d, v->line, v->col, "key '%s': expected a map, got %s", key,
                   cer__ykind_name(v));
    return false;
}

static void cloud_events(tr *t, cer_ynode *out, const cer_ynode *ce)
{
    static const char *const keys[] = {
        "enabled", "source", "binding", "http", "kafka", "customer_egress_policy", NULL};
    if (!is_map_or_null(t, ce, "cloud_events"))
        return;
    const cer_ynode *binding = NULL, *http = NULL, *kafka = NULL;
    for (const cer_ynode *k = ce->first; k && k->next; k = k->next->next) {
        const cer_ynode *v = k->next;
        if (strcmp(k->str, "enabled") == 0) {
            bool on = true;
            if (v->kind != CER_YSCALAR || cer__yparse_bool(v->str, &on) != 0) {
                cer__ydiag_add(t->d, v->line, v->col,
                               "key 'cloud_events.enabled': expected true or false");
                continue;
            }
            if (!on) /* nothing is exported: every event is refused by policy */
                put(t, submap(t, out, "policy", k), "default", v, scalar(t, "deny", v),
                    "cloud_events.enabled");
        } else if (strcmp(k->str, "source") == 0) {
            put(t, out, "source", k, copy(t, v), "cloud_events.source");
        } else if (strcmp(k->str, "binding") == 0) {
            binding = k;
            put(t, out, "binding", k, copy(t, v), "cloud_events.binding");
        } else if (strcmp(k->str, "http") == 0) {
            http = k;
            put(t, out, "http", k, copy(t, v), "cloud_events.http");
        } else if (strcmp(k->str, "kafka") == 0) {
            kafka = k;
            put(t, out, "kafka", k, copy(t, v), "cloud_events.kafka");
        } else if (strcmp(k->str, "customer_egress_policy") == 0) {
            cer_ynode *opa = submap(t, submap(t, out, "policy", k), "opa", k);
            put(t, opa, "url", k, scalar(t, SIDECAR_OPA_URL, k), "customer_egress_policy");
            put(t, opa, "path", k, copy(t, v), "cloud_events.customer_egress_policy");
        } else {
            unknown(t, k, "cloud_events", keys);
        }
    }
    /* The sidecar's default binding is http; without an http section there is nowhere to post,
     * so a kafka section alone means kafka and neither keeps cerelay's default (log). */
    if (!binding && (http || kafka) && !cer__ymap_key(out, "binding"))
        put(t, out, "binding", http ? http : kafka, scalar(t, http ? "http" : "kafka", NULL),
            "cloud_events.binding");
}

int cer__sidecar_translate(const cer_ynode *top, cer_yarena *arena, cer_ydiag *diag,
                           cer_ynode **out)
{
    tr t = {arena, diag, false};
    cer_ynode *root = mk(&t, CER_YMAP, top);
    if (!root)
        return CE_ENOMEM;
    const cer_ynode *ce = NULL, *otel_ep = NULL;
    /* Native keys beside the sidecar ones are taken as they are, first. */
    for (const cer_ynode *k = top->first; k && k->next; k = k->next->next) {
        const cer_ynode *v = k->next;
        if (strcmp(k->str, "cloud_events") == 0) {
            ce = v;
        } else if (strcmp(k->str, "tenant") == 0) {
            if (v->kind != CER_YSCALAR)
                cer__ydiag_add(&*diag, v->line, v->col, "key 'tenant': expected a string, got %s",
                               cer__ykind_name(v));
        } else if (strcmp(k->str, "otel") == 0) {
            static const char *const keys[] = {"endpoint", NULL};
            if (!is_map_or_null(&t, v, "otel"))
                continue;
            for (const cer_ynode *o = v->first; o && o->next; o = o->next->next)
                if (strcmp(o->str, "endpoint") != 0)
                    unknown(&t, o, "otel", keys);
            otel_ep = cer__ymap_get(v, "endpoint");
        } else {
            put(&t, root, k->str, k, copy(&t, v), k->str);
        }
    }
    /* otel.endpoint is where the SDKs export OTLP (gRPC: 4317 in the seed): the relay listens
     * there, unless listen.otlp_grpc is set natively. */
    if (otel_ep && otel_ep->kind == CER_YSCALAR && otel_ep->str[0]) {
        const char *hp = otel_ep->str;
        if (strncmp(hp, "http://", 7) == 0)
            hp += 7;
        else if (strncmp(hp, "https://", 8) == 0)
            hp += 8; /* TLS comes from listen.tls, which the sidecar layout does not carry */
        char addr[256];
        snprintf(addr, sizeof addr, "%.*s", (int)strcspn(hp, "/"), hp);
        cer_ynode *ls = submap(&t, root, "listen", otel_ep);
        if (ls && !cer__ymap_key(ls, "otlp_grpc"))
            put(&t, ls, "otlp_grpc", otel_ep, scalar(&t, addr, otel_ep), "otel.endpoint");
    }
    if (ce)
        cloud_events(&t, root, ce);
    if (t.nomem)
        return CE_ENOMEM;
    *out = root;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Writing a node tree as YAML
 * ------------------------------------------------------------------------------------------ */
static bool plain_ok(const cer_ynode *n)
{
    if (!n->plain || n->len == 0)
        return false;
    if (strchr("-?:,[]{}#&*!|>'\"%@`~ ", n->str[0]))
        return cer__yis_null(n);
    for (size_t i = 0; i < n->len; i++) {
        char c = n->str[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._/-+", c)))
            return false;
    }
    return true;
}

static int put_scalar(const cer_ynode *n, ce_buf *out)
{
    if (n->plain && cer__yis_null(n))
        return ce_buf_append(out, "null", 4);
    if (plain_ok(n))
        return ce_buf_append(out, n->str, n->len);
    int rc = ce_buf_append(out, "\"", 1);
    for (size_t i = 0; rc == 0 && i < n->len; i++) {
        unsigned char c = (unsigned char)n->str[i];
        char esc[8];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof esc, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", c);
        else
            esc[0] = (char)c, esc[1] = '\0';
        rc = ce_buf_append(out, esc, strlen(esc));
    }
    return rc ? rc : ce_buf_append(out, "\"", 1);
}

static int indent(ce_buf *out, unsigned n)
{
    static const char sp[] = "                                                                ";
    while (n > 0) {
        unsigned k = n < sizeof sp - 1 ? n : (unsigned)(sizeof sp - 1);
        if (ce_buf_append(out, sp, k))
            return CE_ENOMEM;
        n -= k;
    }
    return 0;
}

static int emit(const cer_ynode *n, unsigned ind, ce_buf *out);

/* After "key:" or "-": a scalar or empty collection on the same line, else a nested block. */
static int emit_value(const cer_ynode *v, unsigned ind, ce_buf *out)
{
    int rc;
    if (v->kind == CER_YSCALAR) {
        rc = ce_buf_append(out, " ", 1);
        rc = rc ? rc : put_scalar(v, out);
        return rc ? rc : ce_buf_append(out, "\n", 1);
    }
    if (!v->first)
        return ce_buf_append(out, v->kind == CER_YMAP ? " {}\n" : " []\n", 4);
    rc = ce_buf_append(out, "\n", 1);
    return rc ? rc : emit(v, ind, out);
}

static int emit(const cer_ynode *n, unsigned ind, ce_buf *out)
{
    int rc = 0;
    if (n->kind == CER_YMAP) {
        for (const cer_ynode *k = n->first; rc == 0 && k && k->next; k = k->next->next) {
            rc = indent(out, ind);
            rc = rc ? rc : put_scalar(k, out);
            rc = rc ? rc : ce_buf_append(out, ":", 1);
            rc = rc ? rc : emit_value(k->next, ind + 2, out);
        }
    } else if (n->kind == CER_YSEQ) {
        for (const cer_ynode *i = n->first; rc == 0 && i; i = i->next) {
            rc = indent(out, ind);
            rc = rc ? rc : ce_buf_append(out, "-", 1);
            rc = rc ? rc : emit_value(i, ind + 2, out);
        }
    } else {
        rc = indent(out, ind);
        rc = rc ? rc : put_scalar(n, out);
        rc = rc ? rc : ce_buf_append(out, "\n", 1);
    }
    return rc ? CE_ENOMEM : 0;
}

/* Append "# <text>\n" with the scalar's value spliced in at %s, as one comment line: a
 * value's own line breaks and control characters become '?', so none of it can become YAML. */
static int comment(ce_buf *out, const char *fmt, const char *value)
{
    char v[201], line[300];
    size_t n = 0;
    for (; value[n] && n < sizeof v - 1; n++)
        v[n] = (unsigned char)value[n] < 0x20 ? '?' : value[n];
    v[n] = 0;
    snprintf(line, sizeof line, fmt, v);
    return ce_buf_append(out, line, strlen(line));
}

int cer__sidecar_write(const cer_ynode *top, const cer_ynode *root, ce_buf *out)
{
    static const char head[] =
        "# cerelay configuration translated from the CoreSDK sidecar layout (docs/config.md,\n"
        "# \"The sidecar layout\"). ${VAR} references are kept; CER_OPA_URL names the OPA "
        "server.\n";
    int rc = ce_buf_append(out, head, sizeof head - 1);
    const cer_ynode *tenant = cer__ymap_get(top, "tenant");
    const cer_ynode *ep = cer__ymap_get(cer__ymap_get(top, "otel"), "endpoint");
    if (rc == 0 && tenant && tenant->kind == CER_YSCALAR)
        rc = comment(out, "# tenant: %s (the sidecar's own; each event names its tenant)\n",
                     tenant->str);
    if (rc == 0 && ep && ep->kind == CER_YSCALAR)
        rc = comment(out, "# otel.endpoint: %s (where SDKs export OTLP: listen.otlp_grpc below)\n",
                     ep->str);
    if (rc == 0 && root->first)
        rc = emit(root, 0, out);
    return rc ? CE_ENOMEM : 0;
}

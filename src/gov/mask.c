/* PII masking (gov/mask.h, docs/masking.md): compiling the configuration, the per-event driver
 * (data, subject, extensions), the hash action and the counters. The JSON walk is in
 * mask_json.c, the detectors in mask_detect.c and mask_secret.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/base.h"
#include "ce/internal.h"
#include "gov/mask.h"

/* ---- HMAC ----------------------------------------------------------------------------------- */

int cer_mask_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                         unsigned char out[32])
{
    static const unsigned char empty[1] = {0};
    unsigned int olen = 0;
    if (key_len > (size_t)INT32_MAX)
        return CE_EINVAL;
    if (!HMAC(EVP_sha256(), key_len ? key : empty, (int)key_len,
              msg_len ? msg : (const void *)empty, msg_len, out, &olen) ||
        olen != 32)
        return CE_ENOMEM;
    return 0;
}

/* HMAC precomputation (RFC 2104): the SHA-256 states after the padded key blocks, so a hash
 * costs two context copies instead of OpenSSL's per-call setup. Returns 0 or CE_ENOMEM. */
static int hmac_prepare(cer_mask *m)
{
    unsigned char block[64] = {0}, pad[64];
    size_t kl = m->key_len;
    int ok = 1;
    if (kl > sizeof block) {
        unsigned int dl = 0;
        ok = EVP_Digest(m->key, kl, block, &dl, EVP_sha256(), NULL);
    } else if (kl) {
        memcpy(block, m->key, kl);
    }
    EVP_MD_CTX *in = EVP_MD_CTX_new(), *out = EVP_MD_CTX_new();
    m->hmac_inner = in;
    m->hmac_outer = out;
    for (int k = 0; k < 64; k++)
        pad[k] = block[k] ^ 0x36;
    ok = ok && in && out && EVP_DigestInit_ex(in, EVP_sha256(), NULL) &&
         EVP_DigestUpdate(in, pad, 64);
    for (int k = 0; k < 64; k++)
        pad[k] = block[k] ^ 0x5c;
    ok = ok && EVP_DigestInit_ex(out, EVP_sha256(), NULL) && EVP_DigestUpdate(out, pad, 64);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    return ok ? 0 : CE_ENOMEM;
}

/* HMAC-SHA256(key, s[0..n)) from the prepared states. Thread-safe: the states are only read. */
static int hmac_fast(const cer_mask *m, const char *s, size_t n, unsigned char mac[32])
{
    unsigned char ih[32];
    unsigned int l1 = 0, l2 = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_MD_CTX_copy_ex(c, m->hmac_inner) && EVP_DigestUpdate(c, s, n) &&
             EVP_DigestFinal_ex(c, ih, &l1) && EVP_MD_CTX_copy_ex(c, m->hmac_outer) &&
             EVP_DigestUpdate(c, ih, sizeof ih) && EVP_DigestFinal_ex(c, mac, &l2);
    EVP_MD_CTX_free(c);
    OPENSSL_cleanse(ih, sizeof ih);
    return ok && l1 == 32 && l2 == 32 ? 0 : CE_ENOMEM;
}

int cer__mask_hash(const cer_mask *m, const cer__mask_rule *r, const char *s, size_t n,
                   char text[CER__MASK_HASH_MAX])
{
    static const char hexd[] = "0123456789abcdef";
    unsigned char mac[32];
    int rc = hmac_fast(m, s, n, mac);
    if (rc)
        return rc;
    memcpy(text, "hmac:", 5);
    for (size_t k = 0; k < r->length; k++)
        text[5 + k] = hexd[(mac[k / 2] >> (k & 1 ? 0 : 4)) & 15];
    OPENSSL_cleanse(mac, sizeof mac);
    return (int)(5 + r->length);
}

/* Append the hash of s[0..n) to out. */
static int append_hash(const cer_mask *m, const cer__mask_rule *r, const char *s, size_t n,
                       ce_buf *out)
{
    char text[CER__MASK_HASH_MAX];
    int len = cer__mask_hash(m, r, s, n, text);
    return len < 0 ? len : ce_buf_append(out, text, (size_t)len);
}

/* ---- compiling ------------------------------------------------------------------------------ */

static const char *const spec_names[] = {"specversion",     "id",         "source",  "type",
                                         "datacontenttype", "dataschema", "subject", "time"};

static bool is_spec_name(const char *s)
{
    for (size_t k = 0; k < sizeof spec_names / sizeof *spec_names; k++)
        if (strcmp(spec_names[k], s) == 0)
            return true;
    return false;
}

static long seg_index(const char *s, size_t n)
{
    if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
        return -1;
    long v = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9')
            return -1;
        v = v * 10 + (s[k] - '0');
    }
    return v;
}

/* Fill r from config rule c (index i); everything lives in one allocation r->mem. */
static int compile_rule(cer__mask_rule *r, const cer_config_mask_rule *c, size_t i, bool have_key,
                        char *errstr, size_t errstr_size)
{
    char tag[96];
    if (!c->name || !*c->name)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "masking.rules[%zu]: name missing", i);
    snprintf(tag, sizeof tag, "rule '%.64s'", c->name);
    const char *p = c->path;
    if (!p || !*p)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: path missing", tag);
    if (c->action < CER_CONFIG_MASK_REDACT || c->action > CER_CONFIG_MASK_DROP)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: unknown action %d", tag, c->action);
    if (c->action == CER_CONFIG_MASK_HASH && !have_key)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: action hash needs masking.key", tag);
    if (c->action == CER_CONFIG_MASK_TRUNCATE && c->length < 1)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: truncate needs length >= 1", tag);
    if (c->action == CER_CONFIG_MASK_HASH && c->length < 0)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: hash length must be >= 0", tag);

    size_t nlen = strlen(c->name), plen = strlen(p), nseg = 0;
    int target;
    if (strcmp(p, "/subject") == 0) {
        target = CER__MASK_SUBJECT;
    } else if (strncmp(p, "/ext/", 5) == 0) {
        target = CER__MASK_EXT;
        if (ce_check_name(p + 5, plen - 5, NULL, 0))
            return cerx_errf(CE_EINVAL, errstr, errstr_size,
                             "%s: path '%.64s': not a valid extension name", tag, p);
        if (is_spec_name(p + 5))
            return cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: path '%.64s': %s", tag, p,
                             strcmp(p + 5, "subject") == 0
                                 ? "write /subject"
                                 : "a CloudEvents attribute, not an extension (only /subject and "
                                   "extensions can be masked)");
    } else if (strcmp(p, "/data") == 0 || strncmp(p, "/data/", 6) == 0) {
        target = CER__MASK_DATA;
        for (const char *t = p + 5; *t; t++) {
            if (*t == '/')
                nseg++;
            if (*t == '~' && t[1] != '0' && t[1] != '1')
                return cerx_errf(
                    CE_EINVAL, errstr, errstr_size,
                    "%s: path '%.64s': '~' at byte %zu: a JSON pointer escapes only ~0 "
                    "and ~1",
                    tag, p, (size_t)(t - p));
        }
    } else {
        return cerx_errf(CE_EINVAL, errstr, errstr_size,
                         "%s: path '%.64s': expected /data/<JSON pointer>, /subject or /ext/<name>",
                         tag, p);
    }

    size_t size = nseg * sizeof(cer__mask_seg) + nlen + 1 + plen + 1;
    char *mem = ce__malloc(size);
    if (!mem)
        return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    memset(r, 0, sizeof *r);
    r->mem = mem;
    r->segs = (cer__mask_seg *)(void *)mem;
    char *strs = mem + nseg * sizeof(cer__mask_seg);
    memcpy(strs, c->name, nlen + 1);
    r->name = strs;
    strs += nlen + 1;
    r->target = target;
    r->action = c->action;
    if (c->action == CER_CONFIG_MASK_HASH)
        r->length = c->length == 0 || c->length > 64 ? 64 : (size_t)c->length;
    else
        r->length = c->length > 0 ? (size_t)c->length : 0;
    if (target == CER__MASK_EXT) {
        memcpy(strs, p + 5, plen - 5 + 1);
        r->ext = strs;
        return 0;
    }
    if (target != CER__MASK_DATA)
        return 0;
    /* Unescape each segment (~1 -> '/', ~0 -> '~') into strs. */
    const char *t = p + 5;
    for (size_t k = 0; k < nseg; k++) {
        t++; /* the '/' */
        cer__mask_seg *sg = &r->segs[k];
        sg->s = strs;
        while (*t && *t != '/') {
            if (*t == '~') {
                *strs++ = t[1] == '1' ? '/' : '~';
                t += 2;
            } else {
                *strs++ = *t++;
            }
        }
        sg->n = (size_t)(strs - sg->s);
        *strs++ = '\0';
        sg->wild = sg->n == 1 && sg->s[0] == '*';
        sg->idx = seg_index(sg->s, sg->n);
    }
    r->nseg = nseg;
    return 0;
}

cer_mask *cer_mask_new(const cer_config_masking *cfg, char *errstr, size_t errstr_size)
{
    cer_config_masking def = {.detectors = CER_CONFIG_DETECT_ALL};
    if (!cfg)
        cfg = &def;
    if (errstr && errstr_size)
        errstr[0] = '\0';
    if (cfg->nrules && !cfg->rules) {
        cerx_errf(CE_EINVAL, errstr, errstr_size, "masking.rules: NULL with %zu rules",
                  cfg->nrules);
        return NULL;
    }
    cer_mask *m = ce__malloc(sizeof *m);
    if (!m) {
        cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
        return NULL;
    }
    memset(m, 0, sizeof *m);
    m->dets = cfg->detectors & CER_CONFIG_DETECT_ALL;
    m->allow_content = cfg->allow_content;
    bool have_key = cfg->key && *cfg->key;
    if (have_key) {
        m->key_len = strlen(cfg->key);
        m->key = ce__malloc(m->key_len);
        if (!m->key)
            goto nomem;
        memcpy(m->key, cfg->key, m->key_len);
        if (hmac_prepare(m))
            goto nomem;
    }
    if (cfg->nrules) {
        m->rules = ce__malloc(cfg->nrules * sizeof *m->rules);
        m->rule_hits = ce__malloc(cfg->nrules * sizeof *m->rule_hits);
        if (!m->rules || !m->rule_hits)
            goto nomem;
        for (size_t i = 0; i < cfg->nrules; i++) {
            atomic_init(&m->rule_hits[i], 0);
            if (compile_rule(&m->rules[i], &cfg->rules[i], i, have_key, errstr, errstr_size)) {
                cer_mask_destroy(m);
                return NULL;
            }
            m->nrules = i + 1;
            if (m->rules[i].target == CER__MASK_DATA && m->rules[i].nseg > m->max_rule_depth)
                m->max_rule_depth = m->rules[i].nseg;
        }
    }
    return m;
nomem:
    cer_mask_destroy(m);
    cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    return NULL;
}

void cer_mask_destroy(cer_mask *m)
{
    if (!m)
        return;
    if (m->key) {
        OPENSSL_cleanse(m->key, m->key_len);
        ce__free(m->key);
    }
    EVP_MD_CTX_free(m->hmac_inner);
    EVP_MD_CTX_free(m->hmac_outer);
    for (size_t i = 0; i < m->nrules; i++)
        ce__free(m->rules[i].mem);
    ce__free(m->rules);
    ce__free(m->rule_hits);
    ce__free(m);
}

/* ---- attributes ----------------------------------------------------------------------------- */

/* A change to one attribute, computed before anything is stored. */
typedef struct attr_op {
    size_t name_off, val_off, val_len; /* in the scratch buffer */
    bool unset;
} attr_op;

typedef struct scratch {
    ce_buf buf; /* names and new values */
    attr_op *ops;
    size_t nops, cap;
} scratch;

static const cer__mask_rule *attr_rule(const cer_mask *m, const char *name, ce_type t, size_t *idx)
{
    bool subject = strcmp(name, "subject") == 0;
    for (size_t i = 0; i < m->nrules; i++) {
        const cer__mask_rule *r = &m->rules[i];
        if (subject ? r->target != CER__MASK_SUBJECT
                    : r->target != CER__MASK_EXT || strcmp(r->ext, name) != 0)
            continue;
        if (r->action == CER_CONFIG_MASK_TRUNCATE && t != CE_TYPE_STRING)
            continue; /* truncate applies to strings only */
        *idx = i;
        return r;
    }
    return NULL;
}

/* Decide what happens to attribute `name` (value v) and queue it in sc. */
static int mask_attr(const cer_mask *m, const char *name, const ce_value *v, scratch *sc,
                     cer_mask_result *res, uint32_t *rule_hits)
{
    size_t ri = 0;
    const cer__mask_rule *r = attr_rule(m, name, v->type, &ri);
    const char *s = v->str.ptr;
    size_t n = v->str.len;
    size_t mark = sc->buf.len;
    attr_op op = {0};
    bool change = false;
    int rc = 0;
    op.name_off = sc->buf.len;
    rc = ce_buf_append(&sc->buf, name, strlen(name) + 1);
    op.val_off = sc->buf.len;
    if (!rc && r && r->action != CER_CONFIG_MASK_TRUNCATE) {
        switch (r->action) {
        case CER_CONFIG_MASK_DROP:
            op.unset = change = true;
            break;
        case CER_CONFIG_MASK_REDACT:
            rc = ce_buf_append(&sc->buf, CER_MASK_REDACTED, sizeof CER_MASK_REDACTED - 1);
            change = v->type != CE_TYPE_STRING || n != sizeof CER_MASK_REDACTED - 1 ||
                     memcmp(s, CER_MASK_REDACTED, n) != 0;
            break;
        case CER_CONFIG_MASK_HASH:
            rc = append_hash(m, r, s, n, &sc->buf);
            change = true;
            break;
        }
        if (change)
            rule_hits[ri]++, res->rules++;
    } else if (!rc && v->type == CE_TYPE_STRING) {
        bool cut = false;
        rc = cer__mask_string(m, s, n, r ? r->length : 0, &sc->buf, res, &cut, &change);
        if (cut)
            rule_hits[ri]++, res->rules++;
    }
    if (rc || !change) {
        sc->buf.len = mark;
        return rc;
    }
    op.val_len = sc->buf.len - op.val_off;
    if (sc->nops == sc->cap) {
        size_t ncap = sc->cap ? sc->cap * 2 : 8;
        attr_op *ops = ce__realloc(sc->ops, ncap * sizeof *ops);
        if (!ops) {
            sc->buf.len = mark;
            return CE_ENOMEM;
        }
        sc->ops = ops;
        sc->cap = ncap;
    }
    sc->ops[sc->nops++] = op;
    return 0;
}

/* Where to cut s[0..n) to keep `chars` characters, moved back to the start of a placeholder
 * ("[REDACTED:email]") the cut would split. */
static size_t cut_at(const char *s, size_t n, size_t chars)
{
    static const char pre[] = "[REDACTED";
    size_t keep = cer__mask_utf8_prefix(s, n, chars);
    for (size_t j = keep; j > 0 && keep - j < 24; j--) {
        if (s[j - 1] == ']')
            break;
        if (s[j - 1] == '[' && n - (j - 1) >= sizeof pre - 1 &&
            memcmp(s + j - 1, pre, sizeof pre - 1) == 0)
            return j - 1;
    }
    return keep;
}

int cer__mask_string(const cer_mask *m, const char *s, size_t n, size_t limit, ce_buf *out,
                     cer_mask_result *res, bool *cut, bool *changed)
{
    size_t mark = out->len;
    long hits = m->dets ? cer__mask_scrub(s, n, m->dets, out, res->by_detector) : 0;
    if (hits < 0)
        return (int)hits;
    const char *t = hits ? out->ptr + mark : s;
    size_t tn = hits ? out->len - mark : n;
    size_t keep = limit ? cut_at(t, tn, limit) : tn;
    *cut = keep < tn;
    *changed = hits > 0 || *cut;
    if (hits) {
        res->detections += (uint32_t)hits;
        out->len = mark + keep;
        return 0;
    }
    return *cut ? ce_buf_append(out, s, keep) : 0;
}

/* ---- data ----------------------------------------------------------------------------------- */

/* Text data: a rule on /data itself, then the detectors. */
static int mask_text(const cer_mask *m, ce_slice d, ce_buf *out, bool *changed, bool *dropped,
                     cer_mask_result *res, uint32_t *rule_hits)
{
    const char *s = d.ptr;
    size_t n = d.len;
    for (size_t i = 0; i < m->nrules; i++) {
        const cer__mask_rule *r = &m->rules[i];
        if (r->target != CER__MASK_DATA || r->nseg)
            continue;
        int rc = 0;
        switch (r->action) {
        case CER_CONFIG_MASK_DROP:
            *dropped = true;
            break;
        case CER_CONFIG_MASK_REDACT:
            rc = ce_buf_append(out, CER_MASK_REDACTED, sizeof CER_MASK_REDACTED - 1);
            break;
        case CER_CONFIG_MASK_HASH:
            rc = append_hash(m, r, s, n, out);
            break;
        case CER_CONFIG_MASK_TRUNCATE: {
            bool cut = false;
            rc = cer__mask_string(m, s, n, r->length, out, res, &cut, changed);
            if (cut)
                rule_hits[i]++, res->rules++;
            return rc;
        }
        }
        rule_hits[i]++, res->rules++;
        *changed = true;
        return rc;
    }
    bool cut;
    return cer__mask_string(m, s, n, 0, out, res, &cut, changed);
}

/* ---- apply ---------------------------------------------------------------------------------- */

static void count(cer_mask *m, const cer_mask_result *res, const uint32_t *rule_hits, int rc)
{
    if (rc) {
        atomic_fetch_add_explicit(&m->failed, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&m->events, 1, memory_order_relaxed);
    if (res->changed)
        atomic_fetch_add_explicit(&m->changed, 1, memory_order_relaxed);
    if (res->content_dropped)
        atomic_fetch_add_explicit(&m->content_dropped, res->content_dropped, memory_order_relaxed);
    for (int d = 0; d < CER_MASK_NDETECTORS; d++)
        if (res->by_detector[d])
            atomic_fetch_add_explicit(&m->det[d], res->by_detector[d], memory_order_relaxed);
    for (size_t i = 0; i < m->nrules; i++)
        if (rule_hits[i])
            atomic_fetch_add_explicit(&m->rule_hits[i], rule_hits[i], memory_order_relaxed);
}

static int commit(ce_event *ev, const scratch *sc, const ce_buf *data, ce_data_kind kind,
                  bool data_changed, bool data_dropped, char *errstr, size_t errstr_size)
{
    int rc = 0;
    if (data_dropped)
        rc = ce_event_set_data(ev, CE_DATA_NONE, NULL, 0, NULL, 0);
    else if (data_changed)
        rc = ce_event_set_data(ev, kind, data->ptr ? data->ptr : "", data->len, NULL, 0);
    if (rc)
        return cerx_errf(rc, errstr, errstr_size, "data: storing the masked data: %s",
                         ce_strerror(rc));
    for (size_t k = 0; k < sc->nops; k++) {
        const attr_op *op = &sc->ops[k];
        const char *name = sc->buf.ptr + op->name_off;
        if (op->unset)
            (void)ce_event_unset(ev, name); /* it is set: it was just read */
        else
            rc = ce_event_set(ev, name, CE_TYPE_STRING, sc->buf.ptr + op->val_off, op->val_len,
                              NULL, 0);
        if (rc)
            return cerx_errf(rc, errstr, errstr_size,
                             "attribute '%s': storing the masked value: %s", name, ce_strerror(rc));
    }
    return 0;
}

int cer_mask_apply(cer_mask *m, ce_event *ev, cer_mask_result *res, char *errstr,
                   size_t errstr_size)
{
    cer_mask_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (errstr && errstr_size)
        errstr[0] = '\0';
    if (!m || !ev)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "NULL %s", m ? "event" : "mask");
    uint32_t hits_local[16] = {0}, *rule_hits = hits_local;
    if (m->nrules > 16) {
        rule_hits = ce__malloc(m->nrules * sizeof *rule_hits);
        if (!rule_hits) {
            count(m, res, NULL, CE_ENOMEM);
            return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
        }
        memset(rule_hits, 0, m->nrules * sizeof *rule_hits);
    }
    ce_buf data;
    ce_buf_init(&data);
    scratch sc = {0};
    bool data_changed = false, data_dropped = false;
    ce_data_kind kind = ce_event_data_kind(ev);
    ce_slice d = ce_event_data(ev);
    int rc = 0;
    data.cap_limit = d.len > CER_MASK_MIN_OUTPUT_CAP / 8 ? d.len * 8 : CER_MASK_MIN_OUTPUT_CAP;
    if (kind == CE_DATA_JSON)
        rc = cer__mask_json(m, d.ptr, d.len, &data, &data_changed, &data_dropped, res, rule_hits,
                            errstr, errstr_size);
    else if (kind == CE_DATA_TEXT &&
             (rc = mask_text(m, d, &data, &data_changed, &data_dropped, res, rule_hits)))
        cerx_errf(rc, errstr, errstr_size, "data: %s", ce_strerror(rc));

    size_t nattr = ce_event_attr_count(ev);
    for (size_t k = 0; k < nattr && !rc; k++) {
        const char *name;
        ce_value v;
        if (ce_event_attr_at(ev, k, &name, &v))
            break;
        if (strcmp(name, "subject") != 0 && is_spec_name(name))
            continue;
        rc = mask_attr(m, name, &v, &sc, res, rule_hits);
        if (rc)
            cerx_errf(rc, errstr, errstr_size, "attribute '%s': %s", name, ce_strerror(rc));
    }
    if (!rc)
        rc = commit(ev, &sc, &data, kind, data_changed, data_dropped, errstr, errstr_size);
    res->changed = !rc && (data_changed || data_dropped || sc.nops > 0);
    count(m, res, rule_hits, rc);
    ce_buf_free(&data);
    ce_buf_free(&sc.buf);
    ce__free(sc.ops);
    if (rule_hits != hits_local)
        ce__free(rule_hits);
    return rc;
}

long cer_mask_text(const cer_mask *m, const char *s, size_t n, ce_buf *out,
                   uint32_t by_detector[CER_MASK_NDETECTORS])
{
    uint32_t local[CER_MASK_NDETECTORS] = {0};
    if (!m || !out || (!s && n))
        return CE_EINVAL;
    long hits = cer__mask_scrub(s ? s : "", n, m->dets, out, by_detector ? by_detector : local);
    if (hits == 0) {
        int rc = ce_buf_append(out, s, n);
        if (rc)
            return rc;
    }
    return hits;
}

/* ---- counters ------------------------------------------------------------------------------- */

void cer_mask_stats(const cer_mask *m, cer_mask_counters *out, uint64_t *rule_hits, size_t n)
{
    cer_mask *mm = (cer_mask *)m; /* atomic loads take non-const pointers in C11 */
    if (out) {
        memset(out, 0, sizeof *out);
        if (!m)
            return;
        out->events = atomic_load_explicit(&mm->events, memory_order_relaxed);
        out->changed = atomic_load_explicit(&mm->changed, memory_order_relaxed);
        out->failed = atomic_load_explicit(&mm->failed, memory_order_relaxed);
        out->content_dropped = atomic_load_explicit(&mm->content_dropped, memory_order_relaxed);
        for (int d = 0; d < CER_MASK_NDETECTORS; d++)
            out->detector[d] = atomic_load_explicit(&mm->det[d], memory_order_relaxed);
    }
    for (size_t i = 0; m && rule_hits && i < n; i++)
        rule_hits[i] =
            i < m->nrules ? atomic_load_explicit(&mm->rule_hits[i], memory_order_relaxed) : 0;
}

size_t cer_mask_rule_count(const cer_mask *m)
{
    return m ? m->nrules : 0;
}

const char *cer_mask_rule_name(const cer_mask *m, size_t i)
{
    return m && i < m->nrules ? m->rules[i].name : NULL;
}

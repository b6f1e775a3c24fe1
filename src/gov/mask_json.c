/* Masking JSON data (docs/masking.md, "Data"): one walk over the bytes with the core's strict
 * scanner that matches rule paths, drops prompt/response members, runs the detectors over every
 * string and writes a compact copy with members in their original order. The copy is used only
 * when something changed; otherwise the data keeps its exact bytes. */
#include <stdio.h>
#include <string.h>

#include "ce/internal.h"
#include "ce/json.h"
#include "gov/mask.h"

typedef struct pathent {
    size_t off, len; /* member name (decoded) in w->keys */
    long idx;        /* array index, or -1 for a member */
} pathent;

typedef struct walker {
    const cer_mask *m;
    const char *b;
    size_t len;
    ce_buf *out;
    ce_buf str;  /* decoded string */
    ce_buf tmp;  /* transformed string, compact JSON for hashing */
    ce_buf keys; /* decoded member names along the path */
    pathent path[CER_MASK_MAX_DEPTH + 1];
    uint32_t depth; /* entries in path */
    bool changed;
    cer_mask_result *res;
    uint32_t *rule_hits;
    ce__json_err jerr;
} walker;

/* Prompt and response content (dropped unless allow_content): exact member names, and the
 * indexed forms "gen_ai.prompt.<...>" / "gen_ai.completion.<...>" (but not gen_ai.prompt.name,
 * the name of a prompt template). */
static bool is_content(const char *k, size_t n)
{
#define N(s)                                                                                       \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
    static const struct {
        const char *s;
        size_t n;
    } names[] = {N("gen_ai.input.messages"),
                 N("gen_ai.output.messages"),
                 N("gen_ai.system_instructions"),
                 N("gen_ai.tool.call.arguments"),
                 N("gen_ai.tool.call.result"),
                 N("gen_ai.retrieval.query.text"),
                 N("gen_ai.retrieval.documents"),
                 N("gen_ai.prompt"),
                 N("gen_ai.completion"),
                 N("prompt"),
                 N("prompts"),
                 N("completion"),
                 N("completions"),
                 N("messages"),
                 N("input.messages"),
                 N("output.messages"),
                 N("system_instructions"),
                 N("system_prompt"),
                 N("systemPrompt")};
#undef N
    if (n < 6 || (k[0] != 'g' && k[0] != 'p' && k[0] != 'c' && k[0] != 'm' && k[0] != 'i' &&
                  k[0] != 'o' && k[0] != 's'))
        return false;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i].n == n && names[i].s[0] == k[0] && memcmp(names[i].s, k, n) == 0)
            return true;
    if (n > 14 && memcmp(k, "gen_ai.prompt.", 14) == 0)
        return !(n == 18 && memcmp(k + 14, "name", 4) == 0);
    return n > 18 && memcmp(k, "gen_ai.completion.", 18) == 0;
}

static int syntax(walker *w, size_t off, const char *what)
{
    w->jerr.off = off;
    w->jerr.what = what;
    return CE_ESYNTAX;
}

/* The first rule whose path is the current one and that applies to a value starting with c
 * (truncate applies to strings only); NULL when none. */
static const cer__mask_rule *match(walker *w, char c, size_t *ri)
{
    const cer_mask *m = w->m;
    if (w->depth > m->max_rule_depth)
        return NULL;
    for (size_t i = 0; i < m->nrules; i++) {
        const cer__mask_rule *r = &m->rules[i];
        if (r->target != CER__MASK_DATA || r->nseg != w->depth)
            continue;
        if (r->action == CER_CONFIG_MASK_TRUNCATE && c != '"')
            continue;
        size_t k = 0;
        for (; k < r->nseg; k++) {
            const cer__mask_seg *sg = &r->segs[k];
            const pathent *pe = &w->path[k];
            if (sg->wild)
                continue;
            if (pe->idx >= 0 ? sg->idx != pe->idx
                             : sg->n != pe->len || memcmp(sg->s, w->keys.ptr + pe->off, sg->n))
                break;
        }
        if (k == r->nseg) {
            *ri = i;
            return r;
        }
    }
    return NULL;
}

/* Scan the string at b[*pos]; (*s, *n) is its decoded text (in the input or in w->str). */
static int read_string(walker *w, size_t *pos, ce_slice *body, const char **s, size_t *n)
{
    bool escaped;
    int rc = ce__json_string(w->b, w->len, pos, body, &escaped, &w->jerr);
    if (rc)
        return rc;
    if (!escaped) {
        *s = body->ptr;
        *n = body->len;
        return 0;
    }
    w->str.len = 0;
    if ((rc = ce_buf_reserve(&w->str, body->len + 1)))
        return rc;
    w->str.len = ce__json_unescape(body->ptr, body->len, w->str.ptr);
    *s = w->str.ptr;
    *n = w->str.len;
    return 0;
}

static int put(walker *w, const char *p, size_t n)
{
    return ce_buf_append(w->out, p, n);
}

/* Append a string token as it was written: '"', the raw body, '"'. */
static int put_quoted(walker *w, ce_slice body)
{
    ce_buf *o = w->out;
    int rc = ce_buf_reserve(o, body.len + 2);
    if (rc)
        return rc;
    o->ptr[o->len] = '"';
    memcpy(o->ptr + o->len + 1, body.ptr, body.len);
    o->ptr[o->len + 1 + body.len] = '"';
    o->len += body.len + 2;
    return 0;
}

/* A string value: secret-named members lose their value; detectors replace what they find. */
static int string_value(walker *w, size_t *pos, bool secret_name)
{
    ce_slice body;
    const char *s;
    size_t n;
    int rc = read_string(w, pos, &body, &s, &n);
    if (rc)
        return rc;
    const cer_mask *m = w->m;
    if (secret_name && n && !(n >= 9 && memcmp(s, "[REDACTED", 9) == 0)) {
        static const char red[] = "\"[REDACTED:secret]\"";
        w->res->by_detector[CER_MASK_DET_SECRET]++;
        w->res->detections++;
        w->changed = true;
        return put(w, red, sizeof red - 1);
    }
    if (m->dets) {
        w->tmp.len = 0;
        long hits = cer__mask_scrub(s, n, m->dets, &w->tmp, w->res->by_detector);
        if (hits < 0)
            return (int)hits;
        if (hits > 0) {
            w->res->detections += (uint32_t)hits;
            w->changed = true;
            return ce__json_write_string(w->out, w->tmp.ptr, w->tmp.len);
        }
    }
    return put_quoted(w, body);
}

static int item(walker *w, size_t *pos, const char *key, size_t klen, bool *dropped);

static int push(walker *w, size_t off, size_t len, long idx)
{
    if (w->depth >= CER_MASK_MAX_DEPTH)
        return CE_EDEPTH;
    w->path[w->depth++] = (pathent){off, len, idx};
    return 0;
}

static int object(walker *w, size_t *pos)
{
    const char *b = w->b;
    size_t i = ce__json_ws(b, w->len, *pos + 1), kept = 0;
    int rc = put(w, "{", 1);
    if (rc)
        return rc;
    if (i < w->len && b[i] == '}') {
        *pos = i + 1;
        return put(w, "}", 1);
    }
    for (;;) {
        if (i >= w->len || b[i] != '"')
            return syntax(w, i, "expected a member name");
        ce_slice body;
        const char *k;
        size_t kn, mark = w->out->len, koff = w->keys.len;
        if ((rc = read_string(w, &i, &body, &k, &kn)))
            return rc;
        if ((rc = ce_buf_append(&w->keys, k, kn)))
            return rc;
        i = ce__json_ws(b, w->len, i);
        if (i >= w->len || b[i] != ':')
            return syntax(w, i, "expected ':'");
        i = ce__json_ws(b, w->len, i + 1);
        if ((kept && (rc = put(w, ",", 1))) || (rc = put_quoted(w, body)) || (rc = put(w, ":", 1)))
            return rc;
        if ((rc = push(w, koff, kn, -1)))
            return rc;
        bool dropped = false;
        rc = item(w, &i, w->keys.ptr + koff, kn, &dropped);
        w->depth--;
        w->keys.len = koff;
        if (rc)
            return rc;
        if (dropped)
            w->out->len = mark;
        else
            kept++;
        i = ce__json_ws(b, w->len, i);
        if (i < w->len && b[i] == ',') {
            i = ce__json_ws(b, w->len, i + 1);
            continue;
        }
        if (i < w->len && b[i] == '}')
            break;
        return syntax(w, i, "expected ',' or '}'");
    }
    *pos = i + 1;
    return put(w, "}", 1);
}

static int array(walker *w, size_t *pos)
{
    const char *b = w->b;
    size_t i = ce__json_ws(b, w->len, *pos + 1), kept = 0;
    int rc = put(w, "[", 1);
    if (rc)
        return rc;
    if (i < w->len && b[i] == ']') {
        *pos = i + 1;
        return put(w, "]", 1);
    }
    for (long idx = 0;; idx++) {
        size_t mark = w->out->len;
        if (kept && (rc = put(w, ",", 1)))
            return rc;
        if ((rc = push(w, 0, 0, idx)))
            return rc;
        bool dropped = false;
        rc = item(w, &i, NULL, 0, &dropped);
        w->depth--;
        if (rc)
            return rc;
        if (dropped)
            w->out->len = mark;
        else
            kept++;
        i = ce__json_ws(b, w->len, i);
        if (i < w->len && b[i] == ',') {
            i = ce__json_ws(b, w->len, i + 1);
            continue;
        }
        if (i < w->len && b[i] == ']')
            break;
        return syntax(w, i, "expected ',' or ']'");
    }
    *pos = i + 1;
    return put(w, "]", 1);
}

/* Apply rule r to the value at b[*pos]. */
static int apply_rule(walker *w, size_t *pos, const cer__mask_rule *r, size_t ri, bool *dropped)
{
    const char *b = w->b;
    size_t start = *pos;
    int rc = 0;
    bool changed = true;
    if (r->action == CER_CONFIG_MASK_TRUNCATE) {
        ce_slice body;
        const char *s;
        size_t n;
        if ((rc = read_string(w, pos, &body, &s, &n)))
            return rc;
        bool cut = false, differs = false;
        w->tmp.len = 0;
        if ((rc = cer__mask_string(w->m, s, n, r->length, &w->tmp, w->res, &cut, &differs)))
            return rc;
        if (differs) {
            w->changed = true;
            rc = ce__json_write_string(w->out, w->tmp.ptr, w->tmp.len);
        } else {
            rc = put_quoted(w, body);
        }
        changed = cut;
    } else {
        if ((rc = ce__json_skip(b, w->len, pos, w->depth, CER_MASK_MAX_DEPTH, &w->jerr)))
            return rc;
        if (r->action == CER_CONFIG_MASK_DROP) {
            *dropped = true;
        } else if (r->action == CER_CONFIG_MASK_REDACT) {
            static const char red[] = "\"" CER_MASK_REDACTED "\"";
            changed = *pos - start != sizeof red - 1 || memcmp(b + start, red, sizeof red - 1);
            rc = put(w, red, sizeof red - 1);
        } else { /* hash: a string's text, any other value's compact JSON */
            const char *s;
            size_t n;
            w->tmp.len = 0;
            if (b[start] == '"') {
                ce_slice body;
                size_t p = start;
                if ((rc = read_string(w, &p, &body, &s, &n)))
                    return rc;
            } else {
                if ((rc = ce__json_write_compact(&w->tmp, b + start, *pos - start)))
                    return rc;
                s = w->tmp.ptr;
                n = w->tmp.len;
            }
            char text[CER__MASK_HASH_MAX];
            int hl = cer__mask_hash(w->m, r, s, n, text);
            if (hl < 0)
                return hl;
            rc = ce__json_write_string(w->out, text, (size_t)hl);
        }
    }
    if (changed) {
        w->changed = true;
        w->rule_hits[ri]++;
        w->res->rules++;
    }
    return rc;
}

/* The value at b[*pos] (no leading whitespace) whose path is w->path; key is its member name
 * (NULL in arrays). Sets *dropped when it is to be left out. */
static int item(walker *w, size_t *pos, const char *key, size_t klen, bool *dropped)
{
    const char *b = w->b;
    if (*pos >= w->len)
        return syntax(w, *pos, "expected a value");
    size_t ri = 0;
    const cer__mask_rule *r = match(w, b[*pos], &ri);
    if (r)
        return apply_rule(w, pos, r, ri, dropped);
    if (key && !w->m->allow_content && is_content(key, klen)) {
        int rc = ce__json_skip(b, w->len, pos, w->depth, CER_MASK_MAX_DEPTH, &w->jerr);
        if (rc)
            return rc;
        *dropped = w->changed = true;
        w->res->content_dropped++;
        return 0;
    }
    switch (b[*pos]) {
    case '{':
        return object(w, pos);
    case '[':
        return array(w, pos);
    case '"':
        return string_value(w, pos,
                            key && (w->m->dets & CER_CONFIG_DETECT_SECRET) &&
                                cer__mask_secret_name(key, klen));
    }
    size_t start = *pos;
    int rc;
    if (b[start] == '-' || (b[start] >= '0' && b[start] <= '9')) {
        bool is_int;
        rc = ce__json_number(b, w->len, pos, &is_int, &w->jerr);
    } else {
        rc = ce__json_skip(b, w->len, pos, w->depth, CER_MASK_MAX_DEPTH, &w->jerr);
    }
    return rc ? rc : put(w, b + start, *pos - start);
}

static void report(const walker *w, int rc, char *errstr, size_t errstr_size)
{
    if (!errstr || !errstr_size)
        return;
    if (rc == CE_EDEPTH)
        snprintf(errstr, errstr_size, "data: nesting deeper than %u levels", CER_MASK_MAX_DEPTH);
    else if (rc == CE_ENOMEM)
        snprintf(errstr, errstr_size, "data: out of memory");
    else if (rc == CE_ETOOBIG)
        snprintf(errstr, errstr_size, "data: the masked data exceeds its size cap");
    else
        snprintf(errstr, errstr_size, "data: byte %zu: %s", w->jerr.off,
                 w->jerr.what ? w->jerr.what : ce_strerror(rc));
}

int cer__mask_json(const cer_mask *m, const char *in, size_t len, ce_buf *out, bool *changed,
                   bool *dropped, cer_mask_result *res, uint32_t *rule_hits, char *errstr,
                   size_t errstr_size)
{
    walker *w = ce__malloc(sizeof *w);
    if (!w) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "data: out of memory");
        return CE_ENOMEM;
    }
    memset(w, 0, sizeof *w);
    w->m = m;
    w->b = in;
    w->len = len;
    w->out = out;
    w->res = res;
    w->rule_hits = rule_hits;
    w->str.cap_limit = w->tmp.cap_limit = out->cap_limit;
    size_t mark = out->len, pos = ce__json_ws(in, len, 0);
    int rc = ce_buf_reserve(out, len + 64); /* the usual output fits: one allocation */
    if (rc == CE_ETOOBIG)
        rc = 0; /* near the cap: grow as needed and fail only if it is really reached */
    if (!rc)
        rc = item(w, &pos, NULL, 0, dropped);
    if (!rc && ce__json_ws(in, len, pos) != len)
        rc = syntax(w, pos, "trailing bytes after the data");
    *changed = !rc && (w->changed || *dropped);
    if (!*changed)
        out->len = mark;
    if (rc)
        report(w, rc, errstr, errstr_size);
    ce_buf_free(&w->str);
    ce_buf_free(&w->tmp);
    ce_buf_free(&w->keys);
    ce__free(w);
    return rc;
}

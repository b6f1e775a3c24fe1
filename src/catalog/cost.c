/* LLM cost: the price table (provider -> model -> per-1k-token prices, read as exact decimals
 * in nano-dollars), the cost formula in integer arithmetic with half-up rounding to
 * micro-dollars, and cer_catalog_fill_cost, which writes costUsd into usage and embeddings
 * events that arrive without it (e.g. mapped from OTLP GenAI spans). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/internal.h"
#include "ce/internal.h"

__extension__ typedef unsigned __int128 u128;

#define MAX_PRICE_NANO ((int64_t)1000000 * 1000000000) /* 1e6 USD per 1k tokens */

int cer__decimal_nano(const char *tok, size_t n, int64_t *out)
{
    char digits[40];
    size_t nd = 0, i = 0;
    int exp10 = 0;
    if (i < n && tok[i] == '-')
        return CE_ERANGE;
    for (; i < n && tok[i] >= '0' && tok[i] <= '9'; i++)
        if (nd || tok[i] != '0') {
            if (nd == sizeof digits)
                return CE_ERANGE;
            digits[nd++] = tok[i];
        }
    if (i < n && tok[i] == '.')
        for (i++; i < n && tok[i] >= '0' && tok[i] <= '9'; i++) {
            if (nd || tok[i] != '0') {
                if (nd == sizeof digits)
                    return CE_ERANGE;
                digits[nd++] = tok[i];
            }
            exp10--;
        }
    if (i < n && (tok[i] == 'e' || tok[i] == 'E')) {
        int sign = 1, e = 0;
        i++;
        if (i < n && (tok[i] == '+' || tok[i] == '-'))
            sign = tok[i++] == '-' ? -1 : 1;
        for (; i < n && tok[i] >= '0' && tok[i] <= '9'; i++)
            if ((e = e * 10 + (tok[i] - '0')) > 1000)
                return CE_ERANGE;
        exp10 += sign * e;
    }
    if (i != n)
        return CE_EBADVALUE;
    while (nd > 0 && digits[nd - 1] == '0') {
        nd--;
        exp10++;
    }
    exp10 += 9; /* to nano-units */
    if (nd == 0) {
        *out = 0;
        return 0;
    }
    if (exp10 < 0)
        return CE_EBADVALUE; /* more than 9 fraction digits */
    u128 v = 0;
    for (size_t k = 0; k < nd; k++)
        v = v * 10 + (u128)(digits[k] - '0');
    for (int k = 0; k < exp10; k++)
        if ((v *= 10) > (u128)MAX_PRICE_NANO)
            return CE_ERANGE;
    if (v > (u128)MAX_PRICE_NANO)
        return CE_ERANGE;
    *out = (int64_t)v;
    return 0;
}

int cer__cost_micro(int64_t in_tokens, int64_t in_nano, int64_t out_tokens, int64_t out_nano,
                    int64_t *micro)
{
    if (in_tokens < 0 || out_tokens < 0 || in_nano < 0 || out_nano < 0)
        return CE_ERANGE;
    /* tokens * nano-dollars per 1000 tokens = pico-dollars. */
    u128 pico = (u128)in_tokens * (u128)in_nano + (u128)out_tokens * (u128)out_nano;
    u128 m = (pico + 500000) / 1000000;
    if (m > (u128)INT64_MAX)
        return CE_ERANGE;
    *micro = (int64_t)m;
    return 0;
}

int cer__cost_micro_tokens(const cer__price *p, const cer_catalog_tokens *t, int64_t *micro)
{
    if (t->input < 0 || t->output < 0 || t->cache_read_input < 0 || t->cache_creation_input < 0 ||
        t->reasoning_output < 0 || p->in_nano < 0 || p->out_nano < 0)
        return CE_ERANGE;
    /* the classes are parts of their totals (u128: no overflow in the sums) */
    u128 cached = (u128)t->cache_read_input + (u128)t->cache_creation_input;
    if (cached > (u128)t->input || t->reasoning_output > t->output)
        return CE_ERANGE;
    int64_t cr = p->cache_read_nano >= 0 ? p->cache_read_nano : p->in_nano;
    int64_t cc = p->cache_creation_nano >= 0 ? p->cache_creation_nano : p->in_nano;
    int64_t rs = p->reasoning_nano >= 0 ? p->reasoning_nano : p->out_nano;
    /* tokens * nano-dollars per 1000 tokens = pico-dollars; each term < 2^63 * 2^50. */
    u128 pico = ((u128)t->input - cached) * (u128)p->in_nano +
                (u128)t->cache_read_input * (u128)cr + (u128)t->cache_creation_input * (u128)cc +
                ((u128)t->output - (u128)t->reasoning_output) * (u128)p->out_nano +
                (u128)t->reasoning_output * (u128)rs;
    u128 m = (pico + 500000) / 1000000;
    if (m > (u128)INT64_MAX)
        return CE_ERANGE;
    *micro = (int64_t)m;
    return 0;
}

size_t cer_catalog_format_usd(int64_t micro_usd, char out[32])
{
    uint64_t m = micro_usd < 0 ? (uint64_t)0 - (uint64_t)micro_usd : (uint64_t)micro_usd;
    int n =
        snprintf(out, 32, "%s%llu", micro_usd < 0 ? "-" : "", (unsigned long long)(m / 1000000));
    unsigned frac = (unsigned)(m % 1000000);
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%06u", frac);
        size_t fl = 6;
        while (f[fl - 1] == '0')
            fl--;
        n += snprintf(out + n, (size_t)(32 - n), ".%.*s", (int)fl, f);
    }
    return (size_t)n;
}

static const cer__price *find_price(const cer_catalog *cat, const char *provider, const char *model)
{
    const cer__price *fallback = NULL;
    for (size_t i = 0; i < cat->nprices; i++) {
        const cer__price *p = &cat->prices[i];
        if (strcmp(p->provider, provider) != 0)
            continue;
        if (strcmp(p->model, model) == 0)
            return p;
        if (strcmp(p->model, "*") == 0)
            fallback = p;
    }
    return fallback;
}

int cer_catalog_cost(const cer_catalog *cat, const char *provider, const char *model,
                     int64_t input_tokens, int64_t output_tokens, int64_t *micro_usd, char *errstr,
                     size_t errstr_size)
{
    if (!cat || !provider || !model)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "cer_catalog_cost: NULL argument");
    const cer__price *p = find_price(cat, provider, model);
    if (!p)
        return cerx_errf(CE_ENOTFOUND, errstr, errstr_size, "no price for provider '%s' model '%s'",
                         provider, model);
    if (cer__cost_micro(input_tokens, p->in_nano, output_tokens, p->out_nano, micro_usd))
        return cerx_errf(CE_ERANGE, errstr, errstr_size, "token counts out of range");
    return 0;
}

int cer_catalog_cost_tokens(const cer_catalog *cat, const char *provider, const char *model,
                            const cer_catalog_tokens *t, int64_t *micro_usd, char *errstr,
                            size_t errstr_size)
{
    if (!cat || !provider || !model || !t)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "cer_catalog_cost_tokens: NULL argument");
    const cer__price *p = find_price(cat, provider, model);
    if (!p)
        return cerx_errf(CE_ENOTFOUND, errstr, errstr_size, "no price for provider '%s' model '%s'",
                         provider, model);
    if (cer__cost_micro_tokens(p, t, micro_usd))
        return cerx_errf(CE_ERANGE, errstr, errstr_size,
                         "token counts out of range (negative, or cache tokens above input "
                         "tokens, or reasoning tokens above output tokens)");
    return 0;
}

/* `name` of price object `m` into *out; an optional one left out gives -1. */
static int price_field(const cer__jdom *d, const cer__jnode *m, const char *name, int64_t *out,
                       bool optional, const char *where, char *errstr, size_t errstr_size)
{
    const cer__jnode *v = cer__j_member(d, m, name);
    if (!v && optional) {
        *out = -1;
        return 0;
    }
    if (!v || v->type != CER__J_NUMBER)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "%s.%s: expected a number of US dollars",
                         where, name);
    int rc = cer__decimal_nano(v->str.ptr, v->str.len, out);
    if (rc)
        return cerx_errf(rc, errstr, errstr_size,
                         "%s.%s: %.*s is not a price >= 0 with at most 9 decimals", where, name,
                         (int)v->str.len, v->str.ptr);
    return 0;
}

int cer_catalog_load_prices_mem(cer_catalog *cat, const char *json, size_t len, char *errstr,
                                size_t errstr_size)
{
    cer__jdom d;
    char why[256];
    int rc = cer__jdom_parse(&d, json, len, CER_CATALOG_MAX_DEPTH, CER_CATALOG_MAX_NODES, why,
                             sizeof why);
    if (rc) {
        cer__jdom_free(&d);
        return cerx_errf(rc, errstr, errstr_size, "prices: %s", why);
    }
    cer__arena tmp = {NULL, 0, 0};
    cer__price *staged = NULL;
    size_t n = 0, cap = 0;
    const cer__jnode *root = d.nodes;
    if (root->type != CER__J_OBJECT) {
        rc = cerx_errf(CE_EINVAL, errstr, errstr_size,
                       "prices: expected an object provider -> model -> prices");
        goto out;
    }
    for (const cer__jnode *p = cer__j_first(&d, root); p; p = cer__j_next(&d, p)) {
        if (p->key.len == 8 && memcmp(p->key.ptr, "$comment", 8) == 0)
            continue;
        if (p->type != CER__J_OBJECT) {
            rc = cerx_errf(CE_EINVAL, errstr, errstr_size,
                           "prices: %.*s: expected an object of models", (int)p->key.len,
                           p->key.ptr);
            goto out;
        }
        for (const cer__jnode *m = cer__j_first(&d, p); m; m = cer__j_next(&d, m)) {
            char where[512];
            snprintf(where, sizeof where, "prices: %.*s.%.*s", (int)p->key.len, p->key.ptr,
                     (int)m->key.len, m->key.ptr);
            if (m->type != CER__J_OBJECT) {
                rc = cerx_errf(CE_EINVAL, errstr, errstr_size,
                               "%s: expected {\"input_per_1k\", \"output_per_1k\"}", where);
                goto out;
            }
            static const char *const known[] = {"input_per_1k",
                                                "output_per_1k",
                                                "cache_read_input_per_1k",
                                                "cache_creation_input_per_1k",
                                                "reasoning_output_per_1k",
                                                NULL};
            for (const cer__jnode *f = cer__j_first(&d, m); f; f = cer__j_next(&d, f)) {
                size_t k = 0;
                while (known[k] && !(f->key.len == strlen(known[k]) &&
                                     memcmp(f->key.ptr, known[k], f->key.len) == 0))
                    k++;
                if (!known[k]) {
                    rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: unknown key '%.*s'", where,
                                   (int)f->key.len, f->key.ptr);
                    goto out;
                }
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                cer__price *np = ce__realloc(staged, cap * sizeof *np);
                if (!np) {
                    rc = cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
                    goto out;
                }
                staged = np;
            }
            cer__price *pr = &staged[n];
            pr->provider = cer__arena_strndup(&tmp, p->key.ptr, p->key.len);
            pr->model = cer__arena_strndup(&tmp, m->key.ptr, m->key.len);
            if (!pr->provider || !pr->model) {
                rc = cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
                goto out;
            }
            if ((rc = price_field(&d, m, "input_per_1k", &pr->in_nano, false, where, errstr,
                                  errstr_size)) != 0 ||
                (rc = price_field(&d, m, "output_per_1k", &pr->out_nano, false, where, errstr,
                                  errstr_size)) != 0 ||
                (rc = price_field(&d, m, "cache_read_input_per_1k", &pr->cache_read_nano, true,
                                  where, errstr, errstr_size)) != 0 ||
                (rc = price_field(&d, m, "cache_creation_input_per_1k", &pr->cache_creation_nano,
                                  true, where, errstr, errstr_size)) != 0 ||
                (rc = price_field(&d, m, "reasoning_output_per_1k", &pr->reasoning_nano, true,
                                  where, errstr, errstr_size)) != 0)
                goto out;
            n++;
        }
    }
    /* Merge: replace same provider/model, append the rest. */
    if (cat->nprices + n > cat->cap_prices) {
        size_t ncap = cat->nprices + n + 16;
        cer__price *np = ce__realloc(cat->prices, ncap * sizeof *np);
        if (!np) {
            rc = cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
            goto out;
        }
        cat->prices = np;
        cat->cap_prices = ncap;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < cat->nprices && !(strcmp(cat->prices[j].provider, staged[i].provider) == 0 &&
                                     strcmp(cat->prices[j].model, staged[i].model) == 0))
            j++;
        cat->prices[j] = staged[i];
        if (j == cat->nprices)
            cat->nprices++;
    }
    cer__arena_take(&cat->arena, &tmp);
out:
    ce__free(staged);
    cer__arena_free(&tmp);
    cer__jdom_free(&d);
    return rc;
}

int cer_catalog_load_prices(cer_catalog *cat, const char *path, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cerx_errf(CE_EIO, errstr, errstr_size, "%s: %s", path, strerror(errno));
    size_t cap = 64 << 10, len = 0;
    char *buf = ce__malloc(cap);
    int rc = buf ? 0 : CE_ENOMEM;
    while (!rc) {
        if (len == cap) {
            char *nb = cap >= CER_CATALOG_MAX_FILE_BYTES ? NULL : ce__realloc(buf, cap * 2);
            if (!nb) {
                rc = cap >= CER_CATALOG_MAX_FILE_BYTES ? CE_ETOOBIG : CE_ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        if (r == 0)
            break;
        len += r;
    }
    if (!rc && ferror(f))
        rc = CE_EIO;
    fclose(f);
    if (!rc) {
        char why[400];
        rc = cer_catalog_load_prices_mem(cat, buf, len, why, sizeof why);
        if (rc)
            cerx_errf(rc, errstr, errstr_size, "%s: %s", path, why);
    } else {
        cerx_errf(rc, errstr, errstr_size, "%s: %s", path, ce_strerror(rc));
    }
    ce__free(buf);
    return rc;
}

static int need_string(const cer__jdom *d, const cer__jnode *obj, const char *name, char *buf,
                       size_t cap, char *errstr, size_t errstr_size)
{
    const cer__jnode *v = cer__j_member(d, obj, name);
    if (!v || v->type != CER__J_STRING || v->str.len >= cap)
        return cerx_errf(CE_EMISSING, errstr, errstr_size,
                         "data.%s: missing or not a string, cannot compute the cost", name);
    memcpy(buf, v->str.ptr, v->str.len);
    buf[v->str.len] = 0;
    return 0;
}

/* An optional count: absent or null is 0; anything but a count >= 0 is an error. */
static int opt_count(const cer__jdom *d, const cer__jnode *obj, const char *name, int64_t *out,
                     char *errstr, size_t errstr_size)
{
    const cer__jnode *v = cer__j_member(d, obj, name);
    *out = 0;
    if (!v || v->type == CER__J_NULL)
        return 0;
    if (v->type != CER__J_NUMBER || !v->is_int || v->i64 < 0)
        return cerx_errf(CE_EDATA, errstr, errstr_size,
                         "data.%s: not a count, cannot compute the cost", name);
    *out = v->i64;
    return 0;
}

static int need_count(const cer__jdom *d, const cer__jnode *obj, const char *name, int64_t *out,
                      char *errstr, size_t errstr_size)
{
    const cer__jnode *v = cer__j_member(d, obj, name);
    if (!v || v->type != CER__J_NUMBER || !v->is_int || v->i64 < 0)
        return cerx_errf(CE_EMISSING, errstr, errstr_size,
                         "data.%s: missing or not a count, cannot compute the cost", name);
    *out = v->i64;
    return 0;
}

int cer_catalog_fill_cost(const cer_catalog *cat, ce_event *ev, char *errstr, size_t errstr_size)
{
    ce_slice type = ce_event_get_str(ev, "type");
    bool usage = type.len == 20 && memcmp(type.ptr, "eventzr.llm.usage.v1", 20) == 0;
    bool embed = type.len == 35 && memcmp(type.ptr, "eventzr.llm.embeddings.generated.v1", 35) == 0;
    if (!usage && !embed)
        return 0;
    if (ce_event_data_kind(ev) != CE_DATA_JSON)
        return cerx_errf(CE_EDATA, errstr, errstr_size, "data: not JSON");
    ce_slice data = ce_event_data(ev);
    cer__jdom d;
    char why[256], provider[256], model[512];
    int rc = cer__jdom_parse(&d, data.ptr, data.len, CER_CATALOG_MAX_DEPTH, CER_CATALOG_MAX_NODES,
                             why, sizeof why);
    if (rc) {
        cer__jdom_free(&d);
        return cerx_errf(rc, errstr, errstr_size, "data: %s", why);
    }
    const cer__jnode *root = d.nodes, *cost = cer__j_member(&d, root, "costUsd");
    int64_t in = 0, out = 0, micro;
    cer_catalog_tokens tk = {0};
    ce_buf nd = {0};
    if (root->type != CER__J_OBJECT) {
        rc = cerx_errf(CE_EDATA, errstr, errstr_size, "data: expected an object");
        goto done;
    }
    if (cost && cost->type != CER__J_NULL)
        goto done; /* rc 0: already there */
    if ((rc = need_string(&d, root, "provider", provider, sizeof provider, errstr, errstr_size)) ||
        (rc = need_string(&d, root, "model", model, sizeof model, errstr, errstr_size)) ||
        (rc = need_count(&d, root, "inputTokens", &in, errstr, errstr_size)) ||
        (usage && (rc = need_count(&d, root, "outputTokens", &out, errstr, errstr_size))) ||
        (usage && (rc = opt_count(&d, root, "cacheReadInputTokens", &tk.cache_read_input, errstr,
                                  errstr_size))) ||
        (usage && (rc = opt_count(&d, root, "cacheCreationInputTokens", &tk.cache_creation_input,
                                  errstr, errstr_size))) ||
        (usage && (rc = opt_count(&d, root, "reasoningOutputTokens", &tk.reasoning_output, errstr,
                                  errstr_size))))
        goto done;
    tk.input = in;
    tk.output = out;
    if ((rc = cer_catalog_cost_tokens(cat, provider, model, &tk, &micro, errstr, errstr_size)))
        goto done;
    char num[32];
    size_t nl = cer_catalog_format_usd(micro, num);
    size_t cut_at, cut_end;
    const char *ins_pre = "", *ins_post = "";
    if (cost) { /* "costUsd": null -> the number */
        cut_at = cost->off;
        cut_end = cost->end;
    } else {
        const cer__jnode *cached = usage ? cer__j_member(&d, root, "cached") : NULL;
        if (cached) {
            cut_at = cut_end = cached->key_off;
            ins_pre = "\"costUsd\":";
            ins_post = ",";
        } else {
            cut_at = cut_end = root->end - 1;
            ins_pre = root->count ? ",\"costUsd\":" : "\"costUsd\":";
        }
    }
    if ((rc = ce_buf_append(&nd, data.ptr, cut_at)) ||
        (rc = ce_buf_append(&nd, ins_pre, strlen(ins_pre))) || (rc = ce_buf_append(&nd, num, nl)) ||
        (rc = ce_buf_append(&nd, ins_post, strlen(ins_post))) ||
        (rc = ce_buf_append(&nd, data.ptr + cut_end, data.len - cut_end))) {
        cerx_errf(rc, errstr, errstr_size, "out of memory");
        goto done;
    }
    rc = ce_event_set_data(ev, CE_DATA_JSON, nd.ptr, nd.len, errstr, errstr_size);
    if (!rc)
        rc = 1;
done:
    ce_buf_free(&nd);
    cer__jdom_free(&d);
    return rc;
}

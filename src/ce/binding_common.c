/* Code shared by the Kafka and HTTP bindings: the header builder behind ce_kafka_msg and
 * ce_http_msg, content-type inspection, and the binary-mode codec for attribute headers. */
#include <string.h>
#include <strings.h>

#include "ce/binding_common.h"

const ce__proto ce__proto_kafka = {"ce_", "content-type", false, false, "value"};
const ce__proto ce__proto_http = {"ce-", "Content-Type", true, true, "body"};

/* ---- builder -------------------------------------------------------------------------- */

void ce__msgbuf_init(ce__msgbuf *mb, size_t max_bytes)
{
    memset(mb, 0, sizeof *mb);
    mb->arena.cap_limit = max_bytes ? max_bytes : CE_BIND_DEFAULT_MAX_BYTES;
}

void ce__msgbuf_free(ce__msgbuf *mb)
{
    ce_buf_free(&mb->arena);
    ce__free(mb->refs);
    ce__free(mb->hdrs);
    memset(mb, 0, sizeof *mb);
}

void ce__msgbuf_reset(ce__msgbuf *mb)
{
    mb->arena.len = 0;
    mb->n = 0;
    mb->has_body = false;
    mb->body = (ce__ref){NULL, 0, 0};
}

int ce__msgbuf_add(ce__msgbuf *mb, ce__ref name, ce__ref value)
{
    if (mb->n == mb->cap) {
        size_t ncap = mb->cap ? mb->cap * 2 : 16;
        ce__ref *r = ce__realloc(mb->refs, sizeof *r * 2 * ncap);
        if (!r)
            return CE_ENOMEM;
        mb->refs = r;
        ce_header *h = ce__realloc(mb->hdrs, sizeof *h * ncap);
        if (!h)
            return CE_ENOMEM;
        mb->hdrs = h;
        mb->cap = ncap;
    }
    mb->refs[2 * mb->n] = name;
    mb->refs[2 * mb->n + 1] = value;
    mb->n++;
    return 0;
}

static ce_slice resolve(const ce__msgbuf *mb, ce__ref r)
{
    ce_slice s;
    s.ptr = r.ptr ? r.ptr : mb->arena.ptr ? mb->arena.ptr + r.off : "";
    s.len = r.len;
    return s;
}

void ce__msgbuf_finish(ce__msgbuf *mb)
{
    for (size_t i = 0; i < mb->n; i++) {
        mb->hdrs[i].name = resolve(mb, mb->refs[2 * i]);
        mb->hdrs[i].value = resolve(mb, mb->refs[2 * i + 1]);
    }
}

ce_slice ce__msgbuf_body(const ce__msgbuf *mb)
{
    if (!mb->has_body)
        return (ce_slice){NULL, 0};
    return resolve(mb, mb->body);
}

/* Header names of the spec attributes need no building. */
static const char *const spec_names[][3] = {
    {"specversion", "ce_specversion", "ce-specversion"},
    {"id", "ce_id", "ce-id"},
    {"source", "ce_source", "ce-source"},
    {"type", "ce_type", "ce-type"},
    {"dataschema", "ce_dataschema", "ce-dataschema"},
    {"subject", "ce_subject", "ce-subject"},
    {"time", "ce_time", "ce-time"},
};

/* prefix+name: a static string for spec attributes, else built in the arena. */
static int put_name(ce__msgbuf *mb, const char *prefix, const char *name, size_t nlen, ce__ref *out)
{
    size_t plen = strlen(prefix);
    for (size_t k = 0; k < sizeof spec_names / sizeof *spec_names; k++) {
        if (strcmp(spec_names[k][0], name) == 0) {
            *out = ce__ref_borrow(spec_names[k][prefix[2] == '_' ? 1 : 2], plen + nlen);
            return 0;
        }
    }
    int rc = ce_buf_reserve(&mb->arena, plen + nlen);
    if (rc)
        return rc;
    out->ptr = NULL;
    out->off = mb->arena.len;
    out->len = plen + nlen;
    memcpy(mb->arena.ptr + mb->arena.len, prefix, plen);
    memcpy(mb->arena.ptr + mb->arena.len + plen, name, nlen);
    mb->arena.len += plen + nlen;
    return 0;
}

static inline bool pct_needed(unsigned char c)
{
    return c <= 0x20 || c == '"' || c == '%' || c >= 0x7F;
}

/* Header value for `s`: borrowed when no byte needs escaping, else escaped into the arena. */
static int put_value(const ce__proto *p, ce__msgbuf *mb, ce_slice s, ce__ref *out)
{
    if (p->percent) {
        for (size_t i = 0; i < s.len; i++) {
            if (pct_needed((unsigned char)s.ptr[i])) {
                size_t off = mb->arena.len;
                int rc = ce_http_value_encode(s.ptr, s.len, &mb->arena);
                if (rc)
                    return rc;
                *out = (ce__ref){NULL, off, mb->arena.len - off};
                return 0;
            }
        }
    }
    *out = ce__ref_borrow(s.ptr, s.len);
    return 0;
}

int ce__bind_encode_attrs(const ce__proto *p, ce__msgbuf *mb, const ce_event *e, bool binary,
                          char *errstr, size_t errstr_size)
{
    ce_slice dct = {NULL, 0};
    size_t cursor = 0, nlen;
    const char *name;
    ce_value v;
    while (ce__event_attr_next(e, &cursor, &name, &nlen, &v) == 0) {
        if (nlen == 15 && memcmp(name, "datacontenttype", 15) == 0) {
            dct = v.str;
            continue;
        }
        ce__ref nref, vref;
        int rc = put_name(mb, p->prefix, name, nlen, &nref);
        if (!rc)
            rc = put_value(p, mb, v.str, &vref);
        if (!rc)
            rc = ce__msgbuf_add(mb, nref, vref);
        if (rc)
            return ce__errf(rc, errstr, errstr_size, "attribute '%s': %s", name, ce_strerror(rc));
    }
    if (binary && dct.ptr) {
        if (p->percent) {
            for (size_t i = 0; i < dct.len; i++) {
                unsigned char c = (unsigned char)dct.ptr[i];
                if (c < 0x20 || c > 0x7E)
                    return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                                    "attribute 'datacontenttype': byte %zu is not printable "
                                    "ASCII, so binary mode cannot carry it in %s (use "
                                    "structured mode)",
                                    i, p->ct_name);
            }
        }
        int rc = ce__msgbuf_add(mb, ce__ref_borrow(p->ct_name, strlen(p->ct_name)),
                                ce__ref_borrow(dct.ptr, dct.len));
        if (rc)
            return ce__errf(rc, errstr, errstr_size, "out of memory");
    }
    return 0;
}

/* ---- content type --------------------------------------------------------------------- */

static bool name_is(const ce__proto *p, ce_slice name, const char *want, size_t wlen)
{
    if (name.len != wlen)
        return false;
    return p->names_ci ? strncasecmp(name.ptr, want, wlen) == 0 : memcmp(name.ptr, want, wlen) == 0;
}

static bool is_ct_name(const ce__proto *p, ce_slice name)
{
    return name_is(p, name, "content-type", 12);
}

const char *ce__bind_printable(char *out, size_t size, const char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        size_t need = (c >= 0x20 && c < 0x7F && c != '\\') ? 1 : 4;
        if (j + need + 4 > size) {
            memcpy(out + j, "...", 3);
            j += 3;
            break;
        }
        if (need == 1) {
            out[j++] = (char)c;
        } else {
            out[j++] = '\\';
            out[j++] = 'x';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        }
    }
    out[j] = '\0';
    return out;
}

int ce__bind_find_ct(const ce__proto *p, const ce_header *h, size_t n, const ce_header **ct,
                     char *errstr, size_t errstr_size)
{
    *ct = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!is_ct_name(p, h[i].name))
            continue;
        if (*ct) {
            char hn[CE__PRINTABLE_MAX];
            return ce__errf(CE_EDUPLICATE, errstr, errstr_size,
                            "header '%s': appears more than once",
                            ce__bind_printable(hn, sizeof hn, h[i].name.ptr, h[i].name.len));
        }
        *ct = &h[i];
    }
    return 0;
}

static size_t skip_ows(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

static bool prefix_ci(const char *s, size_t len, const char *pre)
{
    size_t n = strlen(pre);
    return len >= n && strncasecmp(s, pre, n) == 0;
}

ce_mode ce__bind_mode(const char *ct, size_t len)
{
    if (!ct)
        return CE_MODE_BINARY;
    size_t i = skip_ows(ct, len, 0);
    if (prefix_ci(ct + i, len - i, "application/cloudevents-batch"))
        return CE_MODE_BATCH;
    if (prefix_ci(ct + i, len - i, "application/cloudevents"))
        return CE_MODE_STRUCTURED;
    return CE_MODE_BINARY;
}

bool ce__bind_media_is(const char *ct, size_t len, const char *want)
{
    size_t i = skip_ows(ct, len, 0), end = i;
    while (end < len && ct[end] != ';')
        end++;
    while (end > i && (ct[end - 1] == ' ' || ct[end - 1] == '\t'))
        end--;
    size_t wlen = strlen(want);
    return end - i == wlen && strncasecmp(ct + i, want, wlen) == 0;
}

/* ---- binary-mode decoding ------------------------------------------------------------- */

/* HTTP values that are already their own decoding: no escapes, quotes or edge whitespace. */
static bool http_value_needs_decoding(const char *v, size_t len)
{
    if (!len)
        return false;
    if ((v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' || v[len - 1] == '\t'))
        return true;
    return v[0] == '"' || memchr(v, '%', len) != NULL;
}

static const char *const required[] = {"specversion", "id", "source", "type"};

int ce__bind_decode_binary(const ce__proto *p, const ce_header *h, size_t n, const ce_header *ct,
                           ce_slice body, const ce_limits *lim, ce_event *e, char *errstr,
                           size_t errstr_size)
{
    ce_limits L = lim ? *lim : ce_limits_default();
    if (!L.max_attributes)
        L.max_attributes = CE_DEFAULT_MAX_ATTRIBUTES;
    if (!L.max_event_bytes)
        L.max_event_bytes = CE_DEFAULT_MAX_EVENT_BYTES;
    const size_t plen = 3;
    char hn[CE__PRINTABLE_MAX];
    char why[256];
    char nbuf[128];
    ce_buf scratch; /* long attribute names and percent-decoded values */
    ce_buf_init(&scratch);
    int rc = 0;
    size_t nattr = ct ? 1 : 0;

#define HNAME(hp) ce__bind_printable(hn, sizeof hn, (hp)->name.ptr, (hp)->name.len)
    for (size_t i = 0; i < n; i++) {
        const ce_header *hp = &h[i];
        ce_slice name = hp->name;
        if (name.len < plen || (p->names_ci ? strncasecmp(name.ptr, p->prefix, plen)
                                            : memcmp(name.ptr, p->prefix, plen)) != 0)
            continue;
        if (++nattr > L.max_attributes) {
            rc = ce__errf(CE_ELIMIT, errstr, errstr_size,
                          "header '%s': more than %u attributes (limit)", HNAME(hp),
                          (unsigned)L.max_attributes);
            goto out;
        }
        size_t alen = name.len - plen;
        /* The attribute name, NUL-terminated: on the stack unless unusually long. */
        char *an = nbuf;
        scratch.len = 0;
        if (alen >= sizeof nbuf) {
            if ((rc = ce_buf_reserve(&scratch, alen + 1)) != 0) {
                rc = ce__errf(rc, errstr, errstr_size, "header '%s': %s", HNAME(hp),
                              ce_strerror(rc));
                goto out;
            }
            an = scratch.ptr;
            scratch.len = alen + 1;
        }
        for (size_t k = 0; k < alen; k++) {
            char c = name.ptr[plen + k];
            if (p->names_ci && c >= 'A' && c <= 'Z')
                c = (char)(c + ('a' - 'A'));
            an[k] = c;
        }
        an[alen] = '\0';
        if ((rc = ce_check_name(an, alen, why, sizeof why)) != 0) {
            rc = ce__errf(rc, errstr, errstr_size, "header '%s': %s", HNAME(hp), why);
            goto out;
        }
        if (alen == 15 && memcmp(an, "datacontenttype", 15) == 0) {
            rc = ce__errf(CE_EHEADER, errstr, errstr_size,
                          "header '%s': not allowed in binary mode; datacontenttype travels "
                          "in the %s header",
                          HNAME(hp), p->ct_name);
            goto out;
        }
        ce_value old;
        if (ce_event_get(e, an, &old) == 0) {
            rc = ce__errf(CE_EDUPLICATE, errstr, errstr_size,
                          "header '%s': attribute '%s' appears more than once", HNAME(hp), an);
            goto out;
        }
        const char *val = hp->value.ptr;
        size_t vlen = hp->value.len;
        if (p->percent && http_value_needs_decoding(val, vlen)) {
            size_t at = scratch.len;
            rc = ce_http_value_decode(val, vlen, &scratch, why, sizeof why);
            if (rc) {
                rc = ce__errf(rc, errstr, errstr_size, "header '%s': %s", HNAME(hp), why);
                goto out;
            }
            an = alen >= sizeof nbuf ? scratch.ptr : nbuf; /* scratch may have moved */
            val = scratch.ptr ? scratch.ptr + at : "";
            vlen = scratch.len - at;
        } else {
            size_t bad;
            if (!ce__utf8_valid(val, vlen, &bad)) {
                rc = ce__errf(CE_EUTF8, errstr, errstr_size,
                              "header '%s': value is not valid UTF-8 (byte %zu)", HNAME(hp), bad);
                goto out;
            }
        }
        ce_type t = ce__spec_attr_type(an, alen);
        rc = ce__event_set_n(e, an, alen, t ? t : CE_TYPE_STRING, val, vlen, why, sizeof why);
        if (rc) {
            rc = ce__errf(rc, errstr, errstr_size, "header '%s': %s", HNAME(hp), why);
            goto out;
        }
    }
    if (nattr > L.max_attributes) {
        rc = ce__errf(CE_ELIMIT, errstr, errstr_size, "more than %u attributes (limit)",
                      (unsigned)L.max_attributes);
        goto out;
    }
    if (ct) {
        const char *v = ct->value.ptr;
        size_t vlen = ct->value.len;
        size_t bad;
        if (!ce__utf8_valid(v, vlen, &bad)) {
            rc = ce__errf(CE_EUTF8, errstr, errstr_size,
                          "header '%s': value is not valid UTF-8 (byte %zu)", HNAME(ct), bad);
            goto out;
        }
        if (p->names_ci) { /* HTTP: optional whitespace around field values */
            size_t s = skip_ows(v, vlen, 0);
            v += s;
            vlen -= s;
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
        }
        rc = ce__event_set_n(e, "datacontenttype", 15, CE_TYPE_STRING, v, vlen, why, sizeof why);
        if (rc) {
            rc = ce__errf(rc, errstr, errstr_size, "header '%s': %s", HNAME(ct), why);
            goto out;
        }
    }
#undef HNAME
    for (size_t k = 0; k < sizeof required / sizeof *required; k++) {
        ce_value v;
        if (ce_event_get(e, required[k], &v) != 0) {
            rc = ce__errf(CE_EMISSING, errstr, errstr_size,
                          "missing header '%s%s' (required attribute '%s')", p->prefix, required[k],
                          required[k]);
            goto out;
        }
        if (k == 0 && !(v.str.len == 3 && memcmp(v.str.ptr, "1.0", 3) == 0)) {
            rc = ce__errf(CE_ESPECVERSION, errstr, errstr_size,
                          "header '%sspecversion': unsupported version '%s' (only 1.0)", p->prefix,
                          ce__bind_printable(hn, sizeof hn, v.str.ptr, v.str.len));
            goto out;
        }
    }
    if (body.ptr) {
        if (body.len > L.max_event_bytes) {
            rc = ce__errf(CE_ETOOBIG, errstr, errstr_size,
                          "%s of %zu bytes exceeds the limit of %zu bytes", p->body, body.len,
                          L.max_event_bytes);
            goto out;
        }
        rc = ce_event_set_data_auto(e, body.ptr, body.len, why, sizeof why);
        if (rc) {
            rc = ce__errf(rc, errstr, errstr_size, "%s: %s", p->body, why);
            goto out;
        }
    }
    rc = ce_event_validate(e, errstr, errstr_size);
out:
    ce_buf_free(&scratch);
    return rc;
}

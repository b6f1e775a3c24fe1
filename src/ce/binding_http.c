/* The HTTP protocol binding (http-protocol-binding.md): binary, structured and batched content
 * modes between ce_event and ce_http_message views, and the percent-encoding of header values.
 * Pure mapping; the HTTP client/server lives in the relay. */
#include <string.h>

#include "ce/binding_common.h"
#include "ce/json.h"

struct ce_http_msg {
    ce__msgbuf mb;
};

/* ---- header values -------------------------------------------------------------------- */

static inline bool must_escape(unsigned char c)
{
    /* space, '"', '%', and everything outside printable ASCII U+0021-U+007E */
    return c <= 0x20 || c == '"' || c == '%' || c >= 0x7F;
}

int ce_http_value_encode(const char *s, size_t len, ce_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t extra = 0;
    for (size_t i = 0; i < len; i++)
        extra += must_escape((unsigned char)s[i]) ? 2 : 0;
    if (len == 0)
        return 0;
    if (len > SIZE_MAX - extra)
        return CE_ETOOBIG;
    int rc = ce_buf_reserve(out, len + extra);
    if (rc)
        return rc;
    char *w = out->ptr + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (must_escape(c)) {
            *w++ = '%';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 15];
        } else {
            *w++ = (char)c;
        }
    }
    out->len += len + extra;
    return 0;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int ce_http_value_decode(const char *s, size_t len, ce_buf *out, char *errstr, size_t errstr_size)
{
    size_t lead = 0;
    while (lead < len && (s[lead] == ' ' || s[lead] == '\t'))
        lead++;
    while (len > lead && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    s += lead;
    len -= lead;
    if (len == 0)
        return 0;
    int rc = ce_buf_reserve(out, len); /* neither step ever grows the value */
    if (rc)
        return ce__errf(rc, errstr, errstr_size, "%s", ce_strerror(rc));
    char *w = out->ptr + out->len;
    const char *src = s;
    size_t srclen = len, base = lead; /* base: offset of src[0] in the caller's value */
    const char *where = "";

    /* RFC 7230 3.2.6 quoted-string: DQUOTE *( qdtext / "\" octet ) DQUOTE, the whole value. */
    if (len && s[0] == '"') {
        size_t i = 1, k = 0;
        bool closed = false;
        while (i < len) {
            char c = s[i];
            if (c == '\\') {
                if (i + 1 >= len)
                    break;
                w[k++] = s[i + 1];
                i += 2;
            } else if (c == '"') {
                closed = true;
                i++;
                break;
            } else {
                w[k++] = c;
                i++;
            }
        }
        if (!closed)
            return ce__errf(CE_EHEADER, errstr, errstr_size,
                            "unterminated quoted-string (byte %zu)", lead + i);
        if (i != len)
            return ce__errf(CE_EHEADER, errstr, errstr_size,
                            "text after the closing quote (byte %zu)", lead + i);
        src = w;
        srclen = k;
        base = 0;
        where = " of the unquoted value";
    }

    /* One round of percent-decoding, in place when unquoting already wrote to w. */
    size_t j = 0;
    for (size_t i = 0; i < srclen;) {
        unsigned char c = (unsigned char)src[i];
        if (c != '%') {
            w[j++] = (char)c;
            i++;
            continue;
        }
        if (srclen - i < 3)
            return ce__errf(CE_EHEADER, errstr, errstr_size,
                            "truncated percent-escape '%.*s' at byte %zu%s", (int)(srclen - i),
                            src + i, base + i, where);
        int hi = hexval((unsigned char)src[i + 1]), lo = hexval((unsigned char)src[i + 2]);
        if (hi < 0 || lo < 0) {
            char shown[16];
            return ce__errf(CE_EHEADER, errstr, errstr_size,
                            "bad percent-escape '%s' at byte %zu%s",
                            ce__bind_printable(shown, sizeof shown, src + i, 3), base + i, where);
        }
        w[j++] = (char)(hi << 4 | lo);
        i += 3;
    }
    size_t bad;
    if (!ce__utf8_valid(w, j, &bad))
        return ce__errf(CE_EUTF8, errstr, errstr_size,
                        "percent-decoded value is not valid UTF-8 (decoded byte %zu)", bad);
    out->len += j;
    return 0;
}

/* ---- mode ----------------------------------------------------------------------------- */

ce_mode ce_http_mode(const char *content_type, size_t len)
{
    return ce__bind_mode(content_type, len);
}

/* Check that a cloudevents content type names the JSON format; CE_EUNSUPPORTED otherwise. */
static int check_format(const ce_header *ct, ce_mode mode, char *errstr, size_t errstr_size)
{
    const char *want = mode == CE_MODE_BATCH ? CE_MEDIA_BATCH : CE_MEDIA_JSON;
    if (ce__bind_media_is(ct->value.ptr, ct->value.len, want))
        return 0;
    char hn[CE__PRINTABLE_MAX], v[CE__PRINTABLE_MAX];
    return ce__errf(CE_EUNSUPPORTED, errstr, errstr_size,
                    "header '%s': unsupported event format '%s' (only %s)",
                    ce__bind_printable(hn, sizeof hn, ct->name.ptr, ct->name.len),
                    ce__bind_printable(v, sizeof v, ct->value.ptr, ct->value.len), want);
}

/* ---- decoding ------------------------------------------------------------------------- */

int ce_http_decode_into(const ce_http_message *msg, const ce_limits *lim, ce_event *e, char *errstr,
                        size_t errstr_size)
{
    ce_event_clear(e);
    const ce_header *ct;
    int rc = ce__bind_find_ct(&ce__proto_http, msg->headers, msg->header_count, &ct, errstr,
                              errstr_size);
    if (rc)
        return rc;
    ce_mode mode = ct ? ce__bind_mode(ct->value.ptr, ct->value.len) : CE_MODE_BINARY;
    if (mode == CE_MODE_BATCH) {
        char v[CE__PRINTABLE_MAX];
        return ce__errf(CE_EMODE, errstr, errstr_size,
                        "header 'Content-Type': '%s' is the batched content mode; use "
                        "ce_http_decode_batch",
                        ce__bind_printable(v, sizeof v, ct->value.ptr, ct->value.len));
    }
    if (mode == CE_MODE_STRUCTURED) {
        if ((rc = check_format(ct, mode, errstr, errstr_size)) != 0)
            return rc;
        char why[256];
        rc = ce__json_decode_into(msg->body.ptr ? msg->body.ptr : "", msg->body.len, lim, e, why,
                                  sizeof why);
        if (rc) {
            ce_event_clear(e);
            return ce__errf(rc, errstr, errstr_size, "structured body: %s", why);
        }
        return 0;
    }
    ce_slice body = msg->body;
    if (!body.len)
        body.ptr = NULL; /* HTTP cannot tell "no data" from empty data: no data */
    rc = ce__bind_decode_binary(&ce__proto_http, msg->headers, msg->header_count, ct, body, lim, e,
                                errstr, errstr_size);
    if (rc)
        ce_event_clear(e);
    return rc;
}

int ce_http_decode(const ce_http_message *msg, const ce_limits *lim, ce_event **out, char *errstr,
                   size_t errstr_size)
{
    *out = NULL;
    ce_event *e = ce_event_new();
    if (!e)
        return ce__errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    int rc = ce_http_decode_into(msg, lim, e, errstr, errstr_size);
    if (rc) {
        ce_event_destroy(e);
        return rc;
    }
    *out = e;
    return 0;
}

int ce_http_decode_batch(const ce_http_message *msg, const ce_limits *lim, ce_batch_cb cb,
                         void *ctx, char *errstr, size_t errstr_size)
{
    const ce_header *ct;
    int rc = ce__bind_find_ct(&ce__proto_http, msg->headers, msg->header_count, &ct, errstr,
                              errstr_size);
    if (rc)
        return rc;
    ce_mode mode = ct ? ce__bind_mode(ct->value.ptr, ct->value.len) : CE_MODE_BINARY;
    if (mode == CE_MODE_BATCH) {
        if ((rc = check_format(ct, mode, errstr, errstr_size)) != 0)
            return rc;
        return ce_json_decode_batch(msg->body.ptr ? msg->body.ptr : "", msg->body.len, lim, cb, ctx,
                                    errstr, errstr_size);
    }
    ce_event *e;
    if ((rc = ce_http_decode(msg, lim, &e, errstr, errstr_size)) != 0)
        return rc;
    return cb(ctx, 0, e, 0, "");
}

/* ---- encoding ------------------------------------------------------------------------- */

ce_http_msg *ce_http_msg_new(size_t max_bytes)
{
    ce_http_msg *m = ce__malloc(sizeof *m);
    if (m)
        ce__msgbuf_init(&m->mb, max_bytes);
    return m;
}

void ce_http_msg_destroy(ce_http_msg *m)
{
    if (!m)
        return;
    ce__msgbuf_free(&m->mb);
    ce__free(m);
}

static int add_ct(ce__msgbuf *mb, const char *value)
{
    return ce__msgbuf_add(mb, ce__ref_borrow("Content-Type", 12),
                          ce__ref_borrow(value, strlen(value)));
}

int ce_http_encode(ce_http_msg *m, const ce_event *e, ce_mode mode, unsigned flags, char *errstr,
                   size_t errstr_size)
{
    ce__msgbuf *mb = &m->mb;
    ce__msgbuf_reset(mb);
    int rc;
    if (mode != CE_MODE_BINARY && mode != CE_MODE_STRUCTURED)
        return ce__errf(CE_EINVAL, errstr, errstr_size,
                        mode == CE_MODE_BATCH ? "batched mode takes ce_http_encode_batch"
                                              : "unknown content mode");
    if ((rc = ce_event_validate(e, errstr, errstr_size)) != 0)
        return rc;
    if (mode == CE_MODE_BINARY) {
        rc = ce__bind_encode_attrs(&ce__proto_http, mb, e, true, errstr, errstr_size);
        if (!rc && ce_event_data_kind(e) != CE_DATA_NONE) {
            ce_slice d = ce_event_data(e);
            mb->body = ce__ref_borrow(d.ptr, d.len);
            mb->has_body = true;
        }
    } else {
        rc = ce_json_encode(e, 0, &mb->arena, errstr, errstr_size);
        if (!rc) {
            mb->body = (ce__ref){NULL, 0, mb->arena.len};
            mb->has_body = true;
            if (flags & CE_BIND_ATTR_HEADERS)
                rc = ce__bind_encode_attrs(&ce__proto_http, mb, e, false, errstr, errstr_size);
        }
        if (!rc && (rc = add_ct(mb, CE_BIND_CT_STRUCTURED)) != 0)
            ce__errf(rc, errstr, errstr_size, "out of memory");
    }
    if (rc) {
        ce__msgbuf_reset(mb);
        return rc;
    }
    ce__msgbuf_finish(mb);
    return 0;
}

int ce_http_encode_batch(ce_http_msg *m, const ce_event *const *evs, size_t n, char *errstr,
                         size_t errstr_size)
{
    ce__msgbuf *mb = &m->mb;
    ce__msgbuf_reset(mb);
    int rc = ce_json_encode_batch(evs, n, 0, &mb->arena, errstr, errstr_size);
    if (!rc) {
        mb->body = (ce__ref){NULL, 0, mb->arena.len};
        mb->has_body = true;
        if ((rc = add_ct(mb, CE_BIND_CT_BATCH)) != 0)
            ce__errf(rc, errstr, errstr_size, "out of memory");
    }
    if (rc) {
        ce__msgbuf_reset(mb);
        return rc;
    }
    ce__msgbuf_finish(mb);
    return 0;
}

ce_http_message ce_http_msg_view(const ce_http_msg *m)
{
    ce_http_message v;
    v.headers = m->mb.hdrs;
    v.header_count = m->mb.n;
    v.body = ce__msgbuf_body(&m->mb);
    if (!v.body.ptr)
        v.body.ptr = "";
    return v;
}

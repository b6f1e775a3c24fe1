/* The Kafka protocol binding (kafka-protocol-binding.md): binary and structured content modes
 * between ce_event and ce_kafka_message views, and the record-key mapper (partitioning
 * extension, subject, or a {attribute} template). Pure mapping; no librdkafka here. */
#include <string.h>

#include "ce/binding_common.h"
#include "ce/json.h"

struct ce_kafka_msg {
    ce__msgbuf mb;
    ce_buf keybuf;
    ce_slice key;
};

ce_mode ce_kafka_mode(const char *content_type, size_t len)
{
    return ce__bind_mode(content_type, len);
}

/* ---- decoding ------------------------------------------------------------------------- */

int ce_kafka_decode_into(const ce_kafka_message *msg, const ce_limits *lim, ce_event *e,
                         char *errstr, size_t errstr_size)
{
    ce_event_clear(e);
    const ce_header *ct;
    int rc = ce__bind_find_ct(&ce__proto_kafka, msg->headers, msg->header_count, &ct, errstr,
                              errstr_size);
    if (rc)
        return rc;
    ce_mode mode = ct ? ce__bind_mode(ct->value.ptr, ct->value.len) : CE_MODE_BINARY;
    char v[CE__PRINTABLE_MAX];
    if (mode == CE_MODE_BATCH)
        return ce__errf(CE_EMODE, errstr, errstr_size,
                        "header 'content-type': '%s' is the batch content mode, which the "
                        "Kafka binding does not support",
                        ce__bind_printable(v, sizeof v, ct->value.ptr, ct->value.len));
    if (mode == CE_MODE_STRUCTURED) {
        if (!ce__bind_media_is(ct->value.ptr, ct->value.len, CE_MEDIA_JSON))
            return ce__errf(CE_EUNSUPPORTED, errstr, errstr_size,
                            "header 'content-type': unsupported event format '%s' (only %s)",
                            ce__bind_printable(v, sizeof v, ct->value.ptr, ct->value.len),
                            CE_MEDIA_JSON);
        if (!msg->value.ptr)
            return ce__errf(CE_EDATA, errstr, errstr_size,
                            "structured content mode (header 'content-type') but the value "
                            "is null");
        char why[256];
        rc = ce__json_decode_into(msg->value.ptr, msg->value.len, lim, e, why, sizeof why);
        if (rc) {
            ce_event_clear(e);
            return ce__errf(rc, errstr, errstr_size, "structured value: %s", why);
        }
        return 0;
    }
    rc = ce__bind_decode_binary(&ce__proto_kafka, msg->headers, msg->header_count, ct, msg->value,
                                lim, e, errstr, errstr_size);
    if (rc)
        ce_event_clear(e);
    return rc;
}

int ce_kafka_decode(const ce_kafka_message *msg, const ce_limits *lim, ce_event **out, char *errstr,
                    size_t errstr_size)
{
    *out = NULL;
    ce_event *e = ce_event_new();
    if (!e)
        return ce__errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    int rc = ce_kafka_decode_into(msg, lim, e, errstr, errstr_size);
    if (rc) {
        ce_event_destroy(e);
        return rc;
    }
    *out = e;
    return 0;
}

/* ---- key mapping ---------------------------------------------------------------------- */

/* Called for each piece of a template: literal text, or an attribute name. */
typedef int (*tmpl_fn)(void *ctx, bool attr, const char *p, size_t n, char *errstr,
                       size_t errstr_size);

static int tmpl_walk(const char *t, tmpl_fn fn, void *ctx, char *errstr, size_t errstr_size)
{
    size_t n = strlen(t), lit = 0, i = 0;
    char why[160];
    int rc;
    if (n == 0)
        return ce__errf(CE_EINVAL, errstr, errstr_size, "key template is empty");
    while (i < n) {
        char c = t[i];
        if (c != '{' && c != '}') {
            i++;
            continue;
        }
        if (i + 1 < n && t[i + 1] == c) { /* "{{" or "}}": one literal brace */
            if (fn && (rc = fn(ctx, false, t + lit, i + 1 - lit, errstr, errstr_size)) != 0)
                return rc;
            i += 2;
            lit = i;
            continue;
        }
        if (c == '}')
            return ce__errf(CE_ESYNTAX, errstr, errstr_size,
                            "key template: unmatched '}' at byte %zu", i);
        const char *close = memchr(t + i + 1, '}', n - i - 1);
        if (!close)
            return ce__errf(CE_ESYNTAX, errstr, errstr_size,
                            "key template: unclosed '{' at byte %zu", i);
        size_t nlen = (size_t)(close - (t + i + 1));
        if ((rc = ce_check_name(t + i + 1, nlen, why, sizeof why)) != 0)
            return ce__errf(rc, errstr, errstr_size, "key template: placeholder at byte %zu: %s", i,
                            why);
        if (fn && i > lit && (rc = fn(ctx, false, t + lit, i - lit, errstr, errstr_size)) != 0)
            return rc;
        if (fn && (rc = fn(ctx, true, t + i + 1, nlen, errstr, errstr_size)) != 0)
            return rc;
        i += nlen + 2;
        lit = i;
    }
    if (fn && n > lit && (rc = fn(ctx, false, t + lit, n - lit, errstr, errstr_size)) != 0)
        return rc;
    return 0;
}

int ce_kafka_key_check(const char *tmpl, char *errstr, size_t errstr_size)
{
    if (!tmpl)
        return ce__errf(CE_EINVAL, errstr, errstr_size, "key template is NULL");
    return tmpl_walk(tmpl, NULL, NULL, errstr, errstr_size);
}

typedef struct key_ctx {
    const ce_event *e;
    ce_buf *out;
    size_t literal_bytes, attrs;
    ce_slice last; /* the value of the last placeholder */
} key_ctx;

static int key_piece(void *vctx, bool attr, const char *p, size_t n, char *errstr,
                     size_t errstr_size)
{
    key_ctx *k = vctx;
    int rc;
    if (!attr) {
        k->literal_bytes += n;
        rc = ce_buf_append(k->out, p, n);
    } else {
        char buf[128], *name = buf;
        ce_value v;
        if (n >= sizeof buf && !(name = ce__malloc(n + 1)))
            return ce__errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
        memcpy(name, p, n);
        name[n] = '\0';
        int found = ce_event_get(k->e, name, &v) == 0;
        if (!found)
            ce__errf(CE_EMISSING, errstr, errstr_size, "key template: attribute '%.*s' is not set",
                     (int)(n > 64 ? 64 : n), name);
        if (name != buf)
            ce__free(name);
        if (!found)
            return CE_EMISSING;
        k->attrs++;
        k->last = v.str;
        rc = ce_buf_append(k->out, v.str.ptr, v.str.len);
    }
    if (rc)
        return ce__errf(rc, errstr, errstr_size, "key: %s", ce_strerror(rc));
    return 0;
}

int ce_kafka_key(const ce_event *e, const char *tmpl, ce_buf *scratch, ce_slice *key, char *errstr,
                 size_t errstr_size)
{
    ce_value v;
    *key = (ce_slice){NULL, 0};
    if (!tmpl) {
        if (ce_event_get(e, "partitionkey", &v) == 0) {
            if (v.str.len == 0)
                return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                                "attribute 'partitionkey': must be a non-empty string "
                                "(partitioning extension)");
            *key = v.str;
        } else if (ce_event_get(e, "subject", &v) == 0) {
            *key = v.str;
        }
        return 0;
    }
    size_t start = scratch->len;
    key_ctx k = {e, scratch, 0, 0, {NULL, 0}};
    int rc = tmpl_walk(tmpl, key_piece, &k, errstr, errstr_size);
    if (rc) {
        scratch->len = start;
        return rc;
    }
    if (k.attrs == 1 && k.literal_bytes == 0) { /* "{name}": borrow, nothing to build */
        scratch->len = start;
        *key = k.last.ptr ? k.last : (ce_slice){"", 0};
        return 0;
    }
    key->ptr = scratch->ptr ? scratch->ptr + start : "";
    key->len = scratch->len - start;
    return 0;
}

/* ---- encoding ------------------------------------------------------------------------- */

ce_kafka_msg *ce_kafka_msg_new(size_t max_bytes)
{
    ce_kafka_msg *m = ce__malloc(sizeof *m);
    if (!m)
        return NULL;
    ce__msgbuf_init(&m->mb, max_bytes);
    ce_buf_init(&m->keybuf);
    m->keybuf.cap_limit = m->mb.arena.cap_limit;
    m->key = (ce_slice){NULL, 0};
    return m;
}

void ce_kafka_msg_destroy(ce_kafka_msg *m)
{
    if (!m)
        return;
    ce__msgbuf_free(&m->mb);
    ce_buf_free(&m->keybuf);
    ce__free(m);
}

int ce_kafka_encode(ce_kafka_msg *m, const ce_event *e, ce_mode mode, unsigned flags, char *errstr,
                    size_t errstr_size)
{
    ce__msgbuf *mb = &m->mb;
    ce__msgbuf_reset(mb);
    m->key = (ce_slice){NULL, 0};
    int rc;
    if (mode == CE_MODE_BATCH)
        return ce__errf(CE_EMODE, errstr, errstr_size,
                        "the Kafka binding has no batch content mode");
    if (mode != CE_MODE_BINARY && mode != CE_MODE_STRUCTURED)
        return ce__errf(CE_EINVAL, errstr, errstr_size, "unknown content mode %d", (int)mode);
    if ((rc = ce_event_validate(e, errstr, errstr_size)) != 0)
        return rc;
    if (mode == CE_MODE_BINARY) {
        rc = ce__bind_encode_attrs(&ce__proto_kafka, mb, e, true, errstr, errstr_size);
        if (!rc && ce_event_data_kind(e) != CE_DATA_NONE) {
            ce_slice d = ce_event_data(e);
            mb->body = ce__ref_borrow(d.ptr, d.len);
            mb->has_body = true;
        } /* else: null value, a tombstone */
    } else {
        rc = ce_json_encode(e, 0, &mb->arena, errstr, errstr_size);
        if (!rc) {
            mb->body = (ce__ref){NULL, 0, mb->arena.len};
            mb->has_body = true;
            if (flags & CE_BIND_ATTR_HEADERS)
                rc = ce__bind_encode_attrs(&ce__proto_kafka, mb, e, false, errstr, errstr_size);
        }
        if (!rc) {
            rc = ce__msgbuf_add(
                mb, ce__ref_borrow("content-type", 12),
                ce__ref_borrow(CE_BIND_CT_STRUCTURED, sizeof CE_BIND_CT_STRUCTURED - 1));
            if (rc)
                ce__errf(rc, errstr, errstr_size, "out of memory");
        }
    }
    if (rc) {
        ce__msgbuf_reset(mb);
        return rc;
    }
    ce__msgbuf_finish(mb);
    return 0;
}

int ce_kafka_msg_set_key(ce_kafka_msg *m, const ce_event *e, const char *tmpl, char *errstr,
                         size_t errstr_size)
{
    m->keybuf.len = 0;
    int rc = ce_kafka_key(e, tmpl, &m->keybuf, &m->key, errstr, errstr_size);
    if (rc)
        m->key = (ce_slice){NULL, 0};
    return rc;
}

ce_kafka_message ce_kafka_msg_view(const ce_kafka_msg *m)
{
    ce_kafka_message v;
    v.key = m->key;
    v.value = ce__msgbuf_body(&m->mb);
    v.headers = m->mb.hdrs;
    v.header_count = m->mb.n;
    return v;
}

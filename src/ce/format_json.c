/* The JSON event format (json-format.md): application/cloudevents+json and the batch format.
 * Decoding is one pass over the input with the scanner in json.c; attribute names and plain
 * string values are slices of the input, and JSON data is kept as its exact bytes. Encoding is
 * deterministic: canonical attribute order, then data or data_base64, no whitespace. */
#include <assert.h>
#include <string.h>

#include "ce/internal.h"
#include "ce/json.h"

/* ---- decoding --------------------------------------------------------------------------- */

ce_limits ce_limits_default(void)
{
    ce_limits l = CE_LIMITS_DEFAULT;
    return l;
}

/* A member name seen in the current object, for duplicate detection. Names that needed
 * unescaping live in the decoder's namebuf, so they are kept as offsets, not pointers. */
typedef struct seen_name {
    size_t off, len;
    bool in_namebuf;
} seen_name;

enum { SEEN_INLINE = 32, SCRATCH_INLINE = 512 };

typedef struct decoder {
    const char *buf;
    size_t len;
    ce_limits lim;
    ce_event *e;
    char *errstr;
    size_t errstr_size;
    /* extension and unknown member names seen so far (spec names use a bitmask) */
    seen_name seen_local[SEEN_INLINE];
    seen_name *seen;
    size_t nseen, seen_cap;
    ce_buf namebuf; /* unescaped member names, rarely used */
    char scratch[SCRATCH_INLINE];
} decoder;

static void decoder_init(decoder *d, const char *buf, size_t len, const ce_limits *lim, ce_event *e,
                         char *errstr, size_t errstr_size)
{
    d->buf = buf;
    d->len = len;
    d->lim = ce_limits_default();
    if (lim) { /* zero fields keep their defaults */
        if (lim->max_event_bytes)
            d->lim.max_event_bytes = lim->max_event_bytes;
        if (lim->max_depth)
            d->lim.max_depth = lim->max_depth;
        if (lim->max_attributes)
            d->lim.max_attributes = lim->max_attributes;
        if (lim->max_batch)
            d->lim.max_batch = lim->max_batch;
    }
    d->e = e;
    d->errstr = errstr;
    d->errstr_size = errstr_size;
    d->seen = d->seen_local;
    d->nseen = 0;
    d->seen_cap = SEEN_INLINE;
    ce_buf_init(&d->namebuf);
}

static void decoder_free(decoder *d)
{
    if (d->seen != d->seen_local)
        ce__free(d->seen);
    if (d->namebuf.ptr)
        ce_buf_free(&d->namebuf);
}

static int syntax(decoder *d, const ce__json_err *err)
{
    return ce__json_errstr(CE_ESYNTAX, err, d->errstr, d->errstr_size);
}

/* Bits for the spec attributes plus data/data_base64, for duplicate detection. */
enum { SEEN_DATA = 1u << 8, SEEN_B64 = 1u << 9 };

/* Index of a spec attribute in canonical order (specversion, id, source, type,
 * datacontenttype, dataschema, subject, time), or -1. */
static int spec_bit(const char *n, size_t len)
{
    switch (len) {
    case 2:
        return memcmp(n, "id", 2) == 0 ? 1 : -1;
    case 4:
        return memcmp(n, "type", 4) == 0 ? 3 : memcmp(n, "time", 4) == 0 ? 7 : -1;
    case 6:
        return memcmp(n, "source", 6) == 0 ? 2 : -1;
    case 7:
        return memcmp(n, "subject", 7) == 0 ? 6 : -1;
    case 10:
        return memcmp(n, "dataschema", 10) == 0 ? 5 : -1;
    case 11:
        return memcmp(n, "specversion", 11) == 0 ? 0 : -1;
    case 15:
        return memcmp(n, "datacontenttype", 15) == 0 ? 4 : -1;
    }
    return -1;
}

static const ce_type spec_types[8] = {CE_TYPE_STRING, CE_TYPE_STRING,   CE_TYPE_URI_REF,
                                      CE_TYPE_STRING, CE_TYPE_STRING,   CE_TYPE_URI,
                                      CE_TYPE_STRING, CE_TYPE_TIMESTAMP};

static const char *seen_ptr(const decoder *d, const seen_name *s)
{
    return (s->in_namebuf ? d->namebuf.ptr : d->buf) + s->off;
}

/* Record an extension member name; CE_EDUPLICATE when already present. */
static int remember_name(decoder *d, const char *name, size_t nlen, bool in_namebuf, size_t off)
{
    for (size_t k = 0; k < d->nseen; k++) {
        const seen_name *s = &d->seen[k];
        if (s->len == nlen && memcmp(seen_ptr(d, s), name, nlen) == 0)
            return ce__errf(CE_EDUPLICATE, d->errstr, d->errstr_size,
                            "attribute '%.*s': duplicate member", (int)nlen, name);
    }
    if (d->nseen == d->seen_cap) {
        size_t ncap = d->seen_cap * 2;
        seen_name *ns = ce__malloc(ncap * sizeof *ns);
        if (!ns)
            return ce__errf(CE_ENOMEM, d->errstr, d->errstr_size, "out of memory");
        memcpy(ns, d->seen, d->nseen * sizeof *ns);
        if (d->seen != d->seen_local)
            ce__free(d->seen);
        d->seen = ns;
        d->seen_cap = ncap;
    }
    d->seen[d->nseen++] = (seen_name){off, nlen, in_namebuf};
    return 0;
}

/* A decoded string value: either a slice of the input or of scratch/heap memory. */
typedef struct strval {
    const char *ptr;
    size_t len;
    char *heap; /* to free, or NULL */
} strval;

static int unescape_slow(decoder *d, ce_slice body, strval *out);

static inline int unescape_value(decoder *d, ce_slice body, bool escaped, strval *out)
{
    out->heap = NULL;
    out->ptr = body.ptr;
    out->len = body.len;
    return escaped ? unescape_slow(d, body, out) : 0;
}

static int unescape_slow(decoder *d, ce_slice body, strval *out)
{
    char *dst = d->scratch;
    if (body.len > sizeof d->scratch) {
        dst = out->heap = ce__malloc(body.len);
        if (!dst)
            return ce__errf(CE_ENOMEM, d->errstr, d->errstr_size, "out of memory");
    }
    out->len = ce__json_unescape(body.ptr, body.len, dst);
    out->ptr = dst;
    return 0;
}

/* What a member value was, as far as the decoder cares. */
typedef enum vkind { V_STRING, V_NULL, V_TRUE, V_FALSE, V_INT, V_NUMBER, V_OBJECT, V_ARRAY } vkind;

static const char *vkind_name(vkind k)
{
    switch (k) {
    case V_STRING:
        return "a string";
    case V_NULL:
        return "null";
    case V_TRUE:
    case V_FALSE:
        return "a boolean";
    case V_INT:
        return "an integer";
    case V_NUMBER:
        return "a non-integer number";
    case V_OBJECT:
        return "an object";
    case V_ARRAY:
        return "an array";
    }
    return "?";
}

typedef struct member_value {
    vkind kind;
    size_t start, end; /* raw bytes of the value */
    ce_slice body;     /* V_STRING: between the quotes */
    bool escaped;
} member_value;

/* Scan the value at d->buf[*pos] (an attribute or data), depth 1 inside the event object. */
static int scan_value(decoder *d, size_t *pos, member_value *v)
{
    ce__json_err err;
    size_t i = *pos;
    int rc;
    v->start = i;
    if (i >= d->len) {
        err = (ce__json_err){i, "expected a value"};
        return syntax(d, &err);
    }
    switch (d->buf[i]) {
    case '"':
        v->kind = V_STRING;
        rc = ce__json_string(d->buf, d->len, &i, &v->body, &v->escaped, &err);
        break;
    case '{':
    case '[':
        v->kind = d->buf[i] == '{' ? V_OBJECT : V_ARRAY;
        rc = ce__json_skip(d->buf, d->len, &i, 1, d->lim.max_depth, &err);
        break;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': {
        bool is_int = false; /* not set by ce__json_number when it fails */
        rc = ce__json_number(d->buf, d->len, &i, &is_int, &err);
        v->kind = is_int ? V_INT : V_NUMBER;
        break;
    }
    default:
        v->kind = d->buf[i] == 't' ? V_TRUE : d->buf[i] == 'f' ? V_FALSE : V_NULL;
        rc = ce__json_skip(d->buf, d->len, &i, 1, d->lim.max_depth, &err);
        break;
    }
    if (rc)
        return ce__json_errstr(rc, &err, d->errstr, d->errstr_size);
    v->end = *pos = i;
    return 0;
}

/* Set one attribute member. */
static int set_attribute(decoder *d, const char *name, size_t nlen, ce_type spec_type,
                         const member_value *v, uint32_t *nattr)
{
    int rc;
    if (v->kind == V_NULL) /* null = unset (json-format.md 2.2) */
        return 0;
    if (++*nattr > d->lim.max_attributes)
        return ce__errf(CE_ELIMIT, d->errstr, d->errstr_size,
                        "attribute '%.*s': more than %u attributes", (int)nlen, name,
                        (unsigned)d->lim.max_attributes);
    if (v->kind == V_STRING) {
        strval s;
        if ((rc = unescape_value(d, v->body, v->escaped, &s)))
            return rc;
        if (spec_type == CE_TYPE_STRING && nlen == 11 && (s.len != 3 || memcmp(s.ptr, "1.0", 3)))
            rc = ce__errf(CE_ESPECVERSION, d->errstr, d->errstr_size,
                          "attribute 'specversion': unsupported version '%.*s' (only 1.0)",
                          (int)(s.len > 32 ? 32 : s.len), s.ptr);
        else
            rc = ce__event_set_n(d->e, name, nlen, spec_type ? spec_type : CE_TYPE_STRING, s.ptr,
                                 s.len, d->errstr, d->errstr_size);
        ce__free(s.heap);
        return rc;
    }
    if (spec_type)
        return ce__errf(CE_ETYPE, d->errstr, d->errstr_size,
                        "attribute '%.*s': must be a JSON string, not %s", (int)nlen, name,
                        vkind_name(v->kind));
    switch (v->kind) {
    case V_TRUE:
    case V_FALSE:
        return ce__event_set_bool_n(d->e, name, nlen, v->kind == V_TRUE, d->errstr, d->errstr_size);
    case V_INT: {
        int32_t x;
        if (ce__json_int32(d->buf + v->start, v->end - v->start, &x))
            return ce__errf(CE_ERANGE, d->errstr, d->errstr_size,
                            "attribute '%.*s': Integer out of the signed 32-bit range", (int)nlen,
                            name);
        return ce__event_set_int_n(d->e, name, nlen, x, d->errstr, d->errstr_size);
    }
    default:
        return ce__errf(CE_ETYPE, d->errstr, d->errstr_size,
                        "attribute '%.*s': %s is not a valid attribute value", (int)nlen, name,
                        vkind_name(v->kind));
    }
}

/* Turn the data/data_base64 members into the event's data once datacontenttype is known. */
static int set_data(decoder *d, const member_value *data, const member_value *b64)
{
    int rc;
    if (data && b64)
        return ce__errf(CE_EDATA, d->errstr, d->errstr_size,
                        "members 'data' and 'data_base64' are mutually exclusive");
    if (b64) {
        if (b64->kind != V_STRING)
            return ce__errf(CE_EDATA, d->errstr, d->errstr_size,
                            "member 'data_base64': must be a JSON string, not %s",
                            vkind_name(b64->kind));
        strval s;
        if ((rc = unescape_value(d, b64->body, b64->escaped, &s)))
            return rc;
        ce_buf bin;
        ce_buf_init(&bin);
        rc = ce_base64_decode(s.ptr, s.len, &bin);
        ce__free(s.heap);
        if (rc == 0)
            rc = ce__event_set_data_trusted(d->e, CE_DATA_BINARY, bin.ptr, bin.len);
        ce_buf_free(&bin);
        if (rc == CE_EBADVALUE)
            return ce__errf(CE_EDATA, d->errstr, d->errstr_size,
                            "member 'data_base64': not Base64 (RFC 4648)");
        if (rc)
            return ce__errf(rc, d->errstr, d->errstr_size, "data: %s", ce_strerror(rc));
        return 0;
    }
    ce_slice ct = ce_event_get_str(d->e, "datacontenttype");
    if (!ct.ptr || ce_media_type_is_json(ct.ptr, ct.len)) {
        rc = ce__event_set_data_trusted(d->e, CE_DATA_JSON, d->buf + data->start,
                                        data->end - data->start);
    } else {
        if (data->kind != V_STRING)
            return ce__errf(CE_EDATA, d->errstr, d->errstr_size,
                            "member 'data': must be a JSON string for datacontenttype '%.*s', "
                            "not %s",
                            (int)(ct.len > 64 ? 64 : ct.len), ct.ptr, vkind_name(data->kind));
        strval s;
        if ((rc = unescape_value(d, data->body, data->escaped, &s)))
            return rc;
        rc = ce__event_set_data_trusted(d->e, CE_DATA_TEXT, s.ptr, s.len);
        ce__free(s.heap);
    }
    if (rc)
        return ce__errf(rc, d->errstr, d->errstr_size, "data: %s", ce_strerror(rc));
    return 0;
}

/* Member name at d->buf[*pos]: sets *name and *nlen to a slice of the input or of namebuf. */
static int scan_name(decoder *d, size_t *pos, const char **name, size_t *nlen, bool *in_nb,
                     size_t *off)
{
    ce__json_err err;
    ce_slice body;
    bool escaped;
    if (*pos >= d->len || d->buf[*pos] != '"') {
        err = (ce__json_err){*pos, "expected a member name"};
        return syntax(d, &err);
    }
    int rc = ce__json_string(d->buf, d->len, pos, &body, &escaped, &err);
    if (rc)
        return ce__json_errstr(rc, &err, d->errstr, d->errstr_size);
    if (!escaped) {
        *name = body.ptr;
        *nlen = body.len;
        *in_nb = false;
        *off = (size_t)(body.ptr - d->buf);
        return 0;
    }
    if ((rc = ce_buf_reserve(&d->namebuf, body.len)))
        return ce__errf(rc, d->errstr, d->errstr_size, "out of memory");
    *off = d->namebuf.len;
    *nlen = ce__json_unescape(body.ptr, body.len, d->namebuf.ptr + d->namebuf.len);
    d->namebuf.len += *nlen;
    *name = d->namebuf.ptr + *off;
    *in_nb = true;
    return 0;
}

/* Decode the event object at d->buf[*pos] into d->e; *pos ends past the closing brace. */
static int decode_object(decoder *d, size_t *pos)
{
    ce__json_err err;
    size_t i = *pos;
    int rc;
    if (i >= d->len || d->buf[i] != '{') {
        size_t j = i;
        if ((rc = ce__json_skip(d->buf, d->len, &j, 0, d->lim.max_depth, &err)))
            return ce__json_errstr(rc, &err, d->errstr, d->errstr_size);
        return ce__errf(CE_ETYPE, d->errstr, d->errstr_size,
                        "byte %zu: an event must be a JSON object", i);
    }
    if (d->lim.max_depth < 1) {
        err = (ce__json_err){i, "nesting too deep"};
        return ce__json_errstr(CE_EDEPTH, &err, d->errstr, d->errstr_size);
    }
    d->nseen = 0;
    d->namebuf.len = 0;
    /* Null members are not attributes, but they still cost a duplicate check: bound them too,
     * so that a body of a million "x1":null members cannot make the check quadratic. */
    uint32_t seen_bits = 0, nattr = 0;
    uint64_t nmembers = 0, max_members = 2 * (uint64_t)d->lim.max_attributes;
    member_value data, b64;
    bool have_data = false, have_b64 = false;
    i = ce__json_ws(d->buf, d->len, i + 1);
    if (i < d->len && d->buf[i] == '}') {
        i++;
        goto done;
    }
    for (;;) {
        const char *name = NULL;
        size_t nlen = 0, noff = 0;
        bool in_nb = false;
        if ((rc = scan_name(d, &i, &name, &nlen, &in_nb, &noff)))
            return rc;
        i = ce__json_ws(d->buf, d->len, i);
        if (i >= d->len || d->buf[i] != ':') {
            err = (ce__json_err){i, "expected ':'"};
            return syntax(d, &err);
        }
        i = ce__json_ws(d->buf, d->len, i + 1);
        member_value v;
        if ((rc = scan_value(d, &i, &v)))
            return rc;
        int k = spec_bit(name, nlen);
        bool is_data = (nlen == 4 && memcmp(name, "data", 4) == 0) ||
                       (nlen == 11 && memcmp(name, "data_base64", 11) == 0);
        if (!is_data && ++nmembers > max_members)
            return ce__errf(CE_ELIMIT, d->errstr, d->errstr_size,
                            "attribute '%.*s': more than %llu members", (int)nlen, name,
                            (unsigned long long)max_members);
        if (k >= 0) {
            if (seen_bits & (1u << k))
                goto duplicate;
            seen_bits |= 1u << k;
            if ((rc = set_attribute(d, name, nlen, spec_types[k], &v, &nattr)))
                return rc;
        } else if (nlen == 4 && memcmp(name, "data", 4) == 0) {
            if (seen_bits & SEEN_DATA)
                goto duplicate;
            seen_bits |= SEEN_DATA;
            data = v;
            have_data = true;
        } else if (nlen == 11 && memcmp(name, "data_base64", 11) == 0) {
            if (seen_bits & SEEN_B64)
                goto duplicate;
            seen_bits |= SEEN_B64;
            b64 = v;
            have_b64 = v.kind != V_NULL; /* null = omitted */
        } else {
            if ((rc = remember_name(d, name, nlen, in_nb, noff)))
                return rc;
            if (v.kind == V_NULL &&
                (rc = ce_check_name(name, nlen, d->errstr, d->errstr_size)) != 0)
                return rc;
            if ((rc = set_attribute(d, name, nlen, 0, &v, &nattr)))
                return rc;
        }
        i = ce__json_ws(d->buf, d->len, i);
        if (i < d->len && d->buf[i] == ',') {
            i = ce__json_ws(d->buf, d->len, i + 1);
            continue;
        }
        if (i < d->len && d->buf[i] == '}') {
            i++;
            break;
        }
        err = (ce__json_err){i, i < d->len ? "expected ',' or '}'" : "unexpected end of input"};
        return syntax(d, &err);
    duplicate:
        return ce__errf(CE_EDUPLICATE, d->errstr, d->errstr_size,
                        "attribute '%.*s': duplicate member", (int)nlen, name);
    }
    if ((have_data || have_b64) &&
        (rc = set_data(d, have_data ? &data : NULL, have_b64 ? &b64 : NULL)))
        return rc;
done:
    if ((rc = ce_event_validate(d->e, d->errstr, d->errstr_size)))
        return rc;
    *pos = i;
    return 0;
}

int ce__json_decode_into(const char *buf, size_t len, const ce_limits *lim, ce_event *e,
                         char *errstr, size_t errstr_size)
{
    if (!e || (!buf && len))
        return ce__errf(CE_EINVAL, errstr, errstr_size, "NULL argument");
    ce_event_clear(e);
    decoder d;
    decoder_init(&d, buf, len, lim, e, errstr, errstr_size);
    int rc;
    if (len > d.lim.max_event_bytes) {
        rc = ce__errf(CE_ETOOBIG, errstr, errstr_size,
                      "byte %zu: event is %zu bytes, more than max_event_bytes (%zu)",
                      d.lim.max_event_bytes, len, d.lim.max_event_bytes);
        goto out;
    }
    size_t i = ce__json_ws(buf, len, 0);
    if ((rc = decode_object(&d, &i)))
        goto out;
    i = ce__json_ws(buf, len, i);
    if (i != len)
        rc = ce__errf(CE_ESYNTAX, errstr, errstr_size, "byte %zu: trailing characters", i);
out:
    decoder_free(&d);
    if (rc)
        ce_event_clear(e);
    else if (errstr && errstr_size)
        errstr[0] = 0;
    return rc;
}

int ce_json_decode(const char *buf, size_t len, const ce_limits *lim, ce_event **out, char *errstr,
                   size_t errstr_size)
{
    if (!out)
        return ce__errf(CE_EINVAL, errstr, errstr_size, "NULL argument");
    *out = NULL;
    ce_event *e = ce_event_new();
    if (!e)
        return ce__errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    int rc = ce__json_decode_into(buf, len, lim, e, errstr, errstr_size);
    if (rc) {
        ce_event_destroy(e);
        return rc;
    }
    *out = e;
    return 0;
}

/* Walk the batch array: check every element (depth counted from the element, so a batch
 * allows each event the same nesting as a single event) and count them. */
static int check_batch(decoder *d, size_t *count)
{
    ce__json_err err;
    size_t i = ce__json_ws(d->buf, d->len, 0), n = 0;
    int rc;
    if (i >= d->len || d->buf[i] != '[') {
        size_t j = i;
        if ((rc = ce__json_skip(d->buf, d->len, &j, 0, d->lim.max_depth, &err)))
            return ce__json_errstr(rc, &err, d->errstr, d->errstr_size);
        return ce__errf(CE_ETYPE, d->errstr, d->errstr_size,
                        "byte %zu: a batch must be a JSON array", i);
    }
    i = ce__json_ws(d->buf, d->len, i + 1);
    if (i < d->len && d->buf[i] == ']') {
        i++;
    } else {
        for (;;) {
            if (n == d->lim.max_batch)
                return ce__errf(CE_ELIMIT, d->errstr, d->errstr_size,
                                "byte %zu: batch has more than %u events", i,
                                (unsigned)d->lim.max_batch);
            if ((rc = ce__json_skip(d->buf, d->len, &i, 0, d->lim.max_depth, &err)))
                return ce__json_errstr(rc, &err, d->errstr, d->errstr_size);
            n++;
            i = ce__json_ws(d->buf, d->len, i);
            if (i < d->len && d->buf[i] == ',') {
                i = ce__json_ws(d->buf, d->len, i + 1);
                continue;
            }
            if (i < d->len && d->buf[i] == ']') {
                i++;
                break;
            }
            err = (ce__json_err){i, i < d->len ? "expected ',' or ']'" : "unexpected end of input"};
            return syntax(d, &err);
        }
    }
    i = ce__json_ws(d->buf, d->len, i);
    if (i != d->len)
        return ce__errf(CE_ESYNTAX, d->errstr, d->errstr_size, "byte %zu: trailing characters", i);
    *count = n;
    return 0;
}

int ce_json_decode_batch(const char *buf, size_t len, const ce_limits *lim, ce_batch_cb cb,
                         void *ctx, char *errstr, size_t errstr_size)
{
    if (!cb || (!buf && len))
        return ce__errf(CE_EINVAL, errstr, errstr_size, "NULL argument");
    decoder d;
    decoder_init(&d, buf, len, lim, NULL, errstr, errstr_size);
    if (len > d.lim.max_event_bytes) {
        decoder_free(&d);
        return ce__errf(CE_ETOOBIG, errstr, errstr_size,
                        "byte %zu: batch is %zu bytes, more than max_event_bytes (%zu)",
                        d.lim.max_event_bytes, len, d.lim.max_event_bytes);
    }
    size_t count = 0;
    int rc = check_batch(&d, &count);
    if (rc) {
        decoder_free(&d);
        return rc;
    }
    /* Second pass: the array is known to be well-formed, so only semantics can fail. */
    char msg[256];
    d.errstr = msg;
    d.errstr_size = sizeof msg;
    size_t i = ce__json_ws(buf, len, 0) + 1;
    for (size_t idx = 0; idx < count; idx++) {
        i = ce__json_ws(buf, len, i);
        size_t start = i;
        ce_event *e = ce_event_new();
        if (!e) {
            rc = ce__errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
            break;
        }
        d.e = e;
        msg[0] = 0;
        int erc = decode_object(&d, &i);
        if (erc) {
            ce_event_destroy(e);
            e = NULL;
            ce__json_err err;
            i = start;
            if (ce__json_skip(buf, len, &i, 0, d.lim.max_depth, &err)) {
                assert(!"batch element failed to rescan");
                rc = ce__errf(CE_ESYNTAX, errstr, errstr_size, "byte %zu: %s", err.off, err.what);
                break;
            }
        }
        rc = cb(ctx, idx, e, erc, erc ? msg : "");
        if (rc)
            break;
        i = ce__json_ws(buf, len, i) + 1; /* past ',' or ']' */
    }
    decoder_free(&d);
    if (rc == 0 && errstr && errstr_size)
        errstr[0] = 0;
    return rc;
}

/* ---- encoding --------------------------------------------------------------------------- */

static inline int put(ce_buf *out, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (CE__UNLIKELY(out->cap - out->len < n)) {
        int rc = ce_buf_reserve(out, n);
        if (rc)
            return rc;
    }
    memcpy(out->ptr + out->len, s, n);
    out->len += n;
    return 0;
}

#define PUT_LIT(out, lit) put(out, lit, sizeof(lit) - 1)

static int encode_event(const ce_event *e, unsigned flags, ce_buf *out)
{
    int rc;
    size_t n = 0, cursor = 0, nlen;
    if ((rc = PUT_LIT(out, "{")))
        return rc;
    bool ct_json = true;
    const char *name;
    ce_value v;
    for (size_t k = 0; ce__event_attr_next(e, &cursor, &name, &nlen, &v) == 0; k++, n++) {
        if ((k && (rc = PUT_LIT(out, ","))) || (rc = PUT_LIT(out, "\"")) ||
            (rc = put(out, name, nlen)) || (rc = PUT_LIT(out, "\":")))
            return rc;
        if (v.type == CE_TYPE_BOOLEAN || v.type == CE_TYPE_INTEGER)
            rc = put(out, v.str.ptr, v.str.len);
        else
            rc = ce__json_write_string(out, v.str.ptr, v.str.len);
        if (rc)
            return rc;
        if (nlen == 15 && memcmp(name, "datacontenttype", 15) == 0)
            ct_json = ce_media_type_is_json(v.str.ptr, v.str.len);
    }
    ce_slice data = ce_event_data(e);
    const char *sep = n ? "," : "";
    switch (ce_event_data_kind(e)) {
    case CE_DATA_NONE:
        break;
    case CE_DATA_JSON:
        if ((rc = put(out, sep, strlen(sep))) || (rc = PUT_LIT(out, "\"data\":")))
            return rc;
        if (ct_json) { /* whitespace around the value is insignificant (a body's final "\n") */
            size_t lead = ce__json_ws(data.ptr, data.len, 0);
            data.ptr += lead;
            data.len -= lead;
            while (data.len && ce__json_ws(data.ptr + data.len - 1, 1, 0) == 1)
                data.len--;
        }
        if (!ct_json) /* a non-JSON content type gets the string representation */
            rc = ce__json_write_string(out, data.ptr, data.len);
        else if (flags & CE_JSON_COMPACT_DATA)
            rc = ce__json_write_compact(out, data.ptr, data.len);
        else
            rc = put(out, data.ptr, data.len);
        if (rc)
            return rc;
        break;
    case CE_DATA_TEXT:
        if ((rc = put(out, sep, strlen(sep))) || (rc = PUT_LIT(out, "\"data\":")) ||
            (rc = ce__json_write_string(out, data.ptr, data.len)))
            return rc;
        break;
    case CE_DATA_BINARY:
        if ((rc = put(out, sep, strlen(sep))) || (rc = PUT_LIT(out, "\"data_base64\":\"")) ||
            (rc = ce_base64_encode(data.ptr, data.len, out)) || (rc = PUT_LIT(out, "\"")))
            return rc;
        break;
    }
    return PUT_LIT(out, "}");
}

int ce_json_encode(const ce_event *e, unsigned flags, ce_buf *out, char *errstr, size_t errstr_size)
{
    if (!e || !out)
        return ce__errf(CE_EINVAL, errstr, errstr_size, "NULL argument");
    int rc = ce_event_validate(e, errstr, errstr_size);
    if (rc)
        return rc;
    size_t start = out->len;
    if ((rc = encode_event(e, flags, out))) {
        out->len = start;
        return ce__errf(rc, errstr, errstr_size, "encoding: %s", ce_strerror(rc));
    }
    if (errstr && errstr_size)
        errstr[0] = 0;
    return 0;
}

int ce_json_encode_batch(const ce_event *const *evs, size_t n, unsigned flags, ce_buf *out,
                         char *errstr, size_t errstr_size)
{
    if (!out || (!evs && n))
        return ce__errf(CE_EINVAL, errstr, errstr_size, "NULL argument");
    char why[200];
    for (size_t k = 0; k < n; k++) {
        int rc = evs[k] ? ce_event_validate(evs[k], why, sizeof why) : CE_EINVAL;
        if (rc)
            return ce__errf(rc, errstr, errstr_size, "event %zu: %s", k,
                            evs[k] ? why : "NULL event");
    }
    size_t start = out->len;
    int rc = PUT_LIT(out, "[");
    for (size_t k = 0; k < n && !rc; k++) {
        if (k)
            rc = PUT_LIT(out, ",");
        if (!rc)
            rc = encode_event(evs[k], flags, out);
    }
    if (!rc)
        rc = PUT_LIT(out, "]");
    if (rc) {
        out->len = start;
        return ce__errf(rc, errstr, errstr_size, "encoding: %s", ce_strerror(rc));
    }
    if (errstr && errstr_size)
        errstr[0] = 0;
    return 0;
}

/* The CloudEvents event model: attributes in canonical order (eight spec slots, then extensions
 * sorted by name) with all strings in one per-event arena, and the data payload.
 * A setter validates before it changes anything, so a failed call leaves the event as it was. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ce/internal.h"

/* Hard cap on extensions per event; decoders apply the smaller ce_limits.max_attributes. */
enum { SPEC_N = 8, EXT_INLINE = 8, EXT_MAX = 1024 };

typedef struct slot {
    uint32_t name_off, name_len; /* extensions only: name in the arena */
    uint32_t str_off, str_len;   /* canonical string */
    uint32_t bin_off, bin_len;   /* Binary: decoded bytes */
    int32_t i;
    uint8_t type; /* ce_type, 0 = unset */
} slot;

struct ce_event {
    slot spec[SPEC_N];
    slot *ext;
    uint32_t next, ext_cap;
    char *arena;
    size_t alen, acap;
    ce_data_kind dkind;
    size_t data_off, data_len;
    slot ext_inline[EXT_INLINE];
};

static const struct {
    const char *name;
    uint8_t len;
    ce_type type;
} spec_attrs[SPEC_N] = {
    {"specversion", 11, CE_TYPE_STRING},     {"id", 2, CE_TYPE_STRING},
    {"source", 6, CE_TYPE_URI_REF},          {"type", 4, CE_TYPE_STRING},
    {"datacontenttype", 15, CE_TYPE_STRING}, {"dataschema", 10, CE_TYPE_URI},
    {"subject", 7, CE_TYPE_STRING},          {"time", 4, CE_TYPE_TIMESTAMP},
};
enum { A_SPECVERSION, A_ID, A_SOURCE, A_TYPE, A_DCT, A_DATASCHEMA, A_SUBJECT, A_TIME };

static int spec_index(const char *name, size_t len)
{
    switch (len) {
    case 2:
        return memcmp(name, "id", 2) == 0 ? A_ID : -1;
    case 4:
        if (memcmp(name, "type", 4) == 0)
            return A_TYPE;
        return memcmp(name, "time", 4) == 0 ? A_TIME : -1;
    case 6:
        return memcmp(name, "source", 6) == 0 ? A_SOURCE : -1;
    case 7:
        return memcmp(name, "subject", 7) == 0 ? A_SUBJECT : -1;
    case 10:
        return memcmp(name, "dataschema", 10) == 0 ? A_DATASCHEMA : -1;
    case 11:
        return memcmp(name, "specversion", 11) == 0 ? A_SPECVERSION : -1;
    case 15:
        return memcmp(name, "datacontenttype", 15) == 0 ? A_DCT : -1;
    }
    return -1;
}

ce_type ce__spec_attr_type(const char *name, size_t len)
{
    int k = spec_index(name, len);
    return k < 0 ? (ce_type)0 : spec_attrs[k].type;
}

ce_event *ce_event_new(void)
{
    ce_event *e = ce__malloc(sizeof *e);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->ext = e->ext_inline;
    e->ext_cap = EXT_INLINE;
    return e;
}

void ce_event_destroy(ce_event *e)
{
    if (!e)
        return;
    if (e->ext != e->ext_inline)
        ce__free(e->ext);
    ce__free(e->arena);
    ce__free(e);
}

void ce_event_clear(ce_event *e)
{
    memset(e->spec, 0, sizeof e->spec);
    e->next = 0;
    e->alen = 0;
    e->dkind = CE_DATA_NONE;
    e->data_off = e->data_len = 0;
}

ce_event *ce_event_clone(const ce_event *src)
{
    ce_event *e = ce_event_new();
    if (!e)
        return NULL;
    memcpy(e->spec, src->spec, sizeof e->spec);
    if (src->next > EXT_INLINE) {
        e->ext = ce__malloc(sizeof(slot) * src->next);
        if (!e->ext) {
            e->ext = e->ext_inline;
            ce_event_destroy(e);
            return NULL;
        }
        e->ext_cap = src->next;
    }
    memcpy(e->ext, src->ext, sizeof(slot) * src->next);
    e->next = src->next;
    if (src->alen) {
        e->arena = ce__malloc(src->alen);
        if (!e->arena) {
            ce_event_destroy(e);
            return NULL;
        }
        memcpy(e->arena, src->arena, src->alen);
        e->alen = e->acap = src->alen;
    }
    e->dkind = src->dkind;
    e->data_off = src->data_off;
    e->data_len = src->data_len;
    return e;
}

/* ---- arena ------------------------------------------------------------------------------ */

#define ARENA_MAX ((size_t)UINT32_MAX)

static int arena_reserve(ce_event *e, size_t extra)
{
    if (extra > ARENA_MAX - e->alen)
        return CE_ETOOBIG;
    size_t need = e->alen + extra;
    if (need <= e->acap)
        return 0;
    size_t ncap = e->acap ? e->acap : 512;
    while (ncap < need)
        ncap *= 2;
    char *p = ce__realloc(e->arena, ncap);
    if (!p)
        return CE_ENOMEM;
    e->arena = p;
    e->acap = ncap;
    return 0;
}

/* Caller reserved the room. Returns the offset of the copy. */
static uint32_t arena_put(ce_event *e, const void *p, size_t n)
{
    uint32_t off = (uint32_t)e->alen;
    if (n)
        memcpy(e->arena + e->alen, p, n);
    e->alen += n;
    return off;
}

/* ---- slots ------------------------------------------------------------------------------ */

static int ext_cmp(const ce_event *e, const slot *s, const char *name, size_t len)
{
    size_t n = s->name_len < len ? s->name_len : len;
    int c = memcmp(e->arena + s->name_off, name, n);
    if (c)
        return c;
    return s->name_len < len ? -1 : s->name_len > len ? 1 : 0;
}

/* Binary search; returns the index of `name` or, negated minus one, where it would go. */
static long ext_find(const ce_event *e, const char *name, size_t len)
{
    long lo = 0, hi = (long)e->next - 1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        int c = ext_cmp(e, &e->ext[mid], name, len);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

static const slot *find_slot(const ce_event *e, const char *name, size_t len)
{
    int k = spec_index(name, len);
    if (k >= 0)
        return e->spec[k].type ? &e->spec[k] : NULL;
    long x = ext_find(e, name, len);
    return x >= 0 ? &e->ext[x] : NULL;
}

static size_t name_len_of(const char *name)
{
    return name ? strlen(name) : 0;
}

/* Validated value ready to store. */
typedef struct pending {
    ce_type type;
    const char *str;
    size_t str_len;
    const void *bin;
    size_t bin_len;
    int32_t i;
} pending;

/* Store `p` under `name` (already checked). */
static int store(ce_event *e, const char *name, size_t nlen, const pending *p, char *errstr,
                 size_t errstr_size)
{
    int k = spec_index(name, nlen);
    long x = 0;
    int is_new_ext = 0;
    if (k < 0) {
        x = ext_find(e, name, nlen);
        if (x < 0) {
            if (e->next >= EXT_MAX)
                return ce__errf(CE_ELIMIT, errstr, errstr_size, "too many attributes");
            is_new_ext = 1;
        }
    }
    size_t need = p->str_len + p->bin_len + (is_new_ext ? nlen + 1 : 0);
    int rc = arena_reserve(e, need);
    if (rc)
        return ce__errf(rc, errstr, errstr_size, "attribute '%.*s': %s", (int)nlen, name,
                        ce_strerror(rc));
    if (is_new_ext && e->next == e->ext_cap) {
        uint32_t ncap = e->ext_cap * 2;
        slot *ns = ce__malloc(sizeof(slot) * ncap);
        if (!ns)
            return ce__errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
        memcpy(ns, e->ext, sizeof(slot) * e->next);
        if (e->ext != e->ext_inline)
            ce__free(e->ext);
        e->ext = ns;
        e->ext_cap = ncap;
    }
    slot s = {0};
    s.type = (uint8_t)p->type;
    s.i = p->i;
    s.str_off = arena_put(e, p->str, p->str_len);
    s.str_len = (uint32_t)p->str_len;
    if (p->bin_len || p->type == CE_TYPE_BINARY) {
        s.bin_off = arena_put(e, p->bin, p->bin_len);
        s.bin_len = (uint32_t)p->bin_len;
    }
    if (k >= 0) {
        e->spec[k] = s;
        return 0;
    }
    if (is_new_ext) {
        long at = -x - 1;
        s.name_off = arena_put(e, name, nlen);
        s.name_len = (uint32_t)nlen;
        e->arena[e->alen++] = '\0'; /* names are handed out as C strings */
        memmove(&e->ext[at + 1], &e->ext[at], sizeof(slot) * (e->next - (uint32_t)at));
        e->ext[at] = s;
        e->next++;
    } else {
        s.name_off = e->ext[x].name_off;
        s.name_len = e->ext[x].name_len;
        e->ext[x] = s;
    }
    return 0;
}

static int check_name_and_type(const char *name, size_t nlen, ce_type t, char *errstr,
                               size_t errstr_size)
{
    ce_type fixed = ce__spec_attr_type(name, nlen);
    if (!fixed) { /* the spec's own names are valid; only extensions need the check */
        int rc = ce_check_name(name, nlen, errstr, errstr_size);
        if (rc)
            return rc;
    }
    if (fixed && fixed != t)
        return ce__errf(CE_ETYPE, errstr, errstr_size, "attribute '%.*s': must be %s, not %s",
                        (int)nlen, name, ce_type_name(fixed), ce_type_name(t));
    if (t < CE_TYPE_BOOLEAN || t > CE_TYPE_TIMESTAMP)
        return ce__errf(CE_EINVAL, errstr, errstr_size, "attribute '%.*s': unknown type %d",
                        (int)nlen, name, (int)t);
    return 0;
}

int ce__event_set_n(ce_event *e, const char *name, size_t nlen, ce_type t, const char *value,
                    size_t len, char *errstr, size_t errstr_size)
{
    char why[160];
    int rc = check_name_and_type(name, nlen, t, errstr, errstr_size);
    if (rc)
        return rc;
    if (!value && len)
        return ce__errf(CE_EINVAL, errstr, errstr_size, "attribute '%.*s': NULL value", (int)nlen,
                        name);
    if (len == 0 && ce__spec_attr_type(name, nlen))
        return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                        "attribute '%.*s': must be a non-empty string", (int)nlen, name);
    pending p = {t, value, len, NULL, 0, 0};
    ce_buf bin;
    ce_buf_init(&bin);
    char num[16];
    switch (t) {
    case CE_TYPE_INTEGER:
        rc = ce__parse_int32(value, len, &p.i);
        if (rc == CE_ERANGE)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                            "attribute '%.*s': Integer out of the signed 32-bit range", (int)nlen,
                            name);
        if (rc)
            return ce__errf(CE_EBADVALUE, errstr, errstr_size, "attribute '%.*s': not an Integer",
                            (int)nlen, name);
        p.str_len = (size_t)snprintf(num, sizeof num, "%d", (int)p.i);
        p.str = num;
        break;
    case CE_TYPE_BOOLEAN:
        rc = ce_check_value(t, value, len, why, sizeof why);
        if (rc)
            return ce__errf(rc, errstr, errstr_size, "attribute '%.*s': %s", (int)nlen, name, why);
        p.i = len == 4;
        break;
    case CE_TYPE_BINARY:
        rc = ce_base64_decode(value, len, &bin);
        if (rc) {
            ce_buf_free(&bin);
            if (rc == CE_ENOMEM)
                return ce__errf(rc, errstr, errstr_size, "out of memory");
            return ce__errf(CE_EBADVALUE, errstr, errstr_size,
                            "attribute '%.*s': not Base64 (RFC 4648)", (int)nlen, name);
        }
        p.bin = bin.ptr;
        p.bin_len = bin.len;
        break;
    default:
        rc = ce_check_value(t, value, len, why, sizeof why);
        if (rc)
            return ce__errf(rc, errstr, errstr_size, "attribute '%.*s': %s", (int)nlen, name, why);
        if (nlen == 15 && spec_index(name, nlen) == A_DCT) {
            rc = ce__check_media_type(value, len, why, sizeof why);
            if (rc)
                return ce__errf(rc, errstr, errstr_size, "attribute '%.*s': %s", (int)nlen, name,
                                why);
        }
        break;
    }
    rc = store(e, name, nlen, &p, errstr, errstr_size);
    ce_buf_free(&bin);
    return rc;
}

int ce_event_set(ce_event *e, const char *name, ce_type t, const char *value, size_t len,
                 char *errstr, size_t errstr_size)
{
    return ce__event_set_n(e, name, name_len_of(name), t, value, len, errstr, errstr_size);
}

int ce_event_set_str(ce_event *e, const char *name, const char *value, char *errstr,
                     size_t errstr_size)
{
    size_t nlen = name_len_of(name);
    ce_type t = ce__spec_attr_type(name, nlen);
    return ce__event_set_n(e, name, nlen, t ? t : CE_TYPE_STRING, value, value ? strlen(value) : 0,
                           errstr, errstr_size);
}

int ce__event_set_int_n(ce_event *e, const char *name, size_t nlen, int32_t v, char *errstr,
                        size_t errstr_size)
{
    int rc = check_name_and_type(name, nlen, CE_TYPE_INTEGER, errstr, errstr_size);
    if (rc)
        return rc;
    char num[16];
    pending p = {CE_TYPE_INTEGER, num, 0, NULL, 0, v};
    p.str_len = (size_t)snprintf(num, sizeof num, "%d", (int)v);
    return store(e, name, nlen, &p, errstr, errstr_size);
}

int ce__event_set_bool_n(ce_event *e, const char *name, size_t nlen, int v, char *errstr,
                         size_t errstr_size)
{
    int rc = check_name_and_type(name, nlen, CE_TYPE_BOOLEAN, errstr, errstr_size);
    if (rc)
        return rc;
    pending p = {CE_TYPE_BOOLEAN, v ? "true" : "false", v ? 4u : 5u, NULL, 0, v ? 1 : 0};
    return store(e, name, nlen, &p, errstr, errstr_size);
}

int ce_event_set_int(ce_event *e, const char *name, int32_t v, char *errstr, size_t errstr_size)
{
    return ce__event_set_int_n(e, name, name_len_of(name), v, errstr, errstr_size);
}

int ce_event_set_bool(ce_event *e, const char *name, int v, char *errstr, size_t errstr_size)
{
    return ce__event_set_bool_n(e, name, name_len_of(name), v, errstr, errstr_size);
}

int ce_event_set_binary(ce_event *e, const char *name, const void *bytes, size_t len, char *errstr,
                        size_t errstr_size)
{
    size_t nlen = name_len_of(name);
    int rc = check_name_and_type(name, nlen, CE_TYPE_BINARY, errstr, errstr_size);
    if (rc)
        return rc;
    ce_buf b64;
    ce_buf_init(&b64);
    rc = ce_base64_encode(bytes, len, &b64);
    if (rc)
        return ce__errf(rc, errstr, errstr_size, "out of memory");
    pending p = {CE_TYPE_BINARY, b64.ptr ? b64.ptr : "", b64.len, bytes, len, 0};
    rc = store(e, name, nlen, &p, errstr, errstr_size);
    ce_buf_free(&b64);
    return rc;
}

int ce_event_unset(ce_event *e, const char *name)
{
    size_t nlen = name_len_of(name);
    int k = spec_index(name, nlen);
    if (k >= 0) {
        if (!e->spec[k].type)
            return CE_ENOTFOUND;
        memset(&e->spec[k], 0, sizeof(slot));
        return 0;
    }
    long x = ext_find(e, name, nlen);
    if (x < 0)
        return CE_ENOTFOUND;
    memmove(&e->ext[x], &e->ext[x + 1], sizeof(slot) * (e->next - (uint32_t)x - 1));
    e->next--;
    return 0;
}

/* ---- getters ---------------------------------------------------------------------------- */

static void fill_value(const ce_event *e, const slot *s, ce_value *out)
{
    out->type = (ce_type)s->type;
    out->str.ptr = e->arena + s->str_off;
    out->str.len = s->str_len;
    out->i = s->i;
    out->bin.ptr = s->type == CE_TYPE_BINARY ? e->arena + s->bin_off : NULL;
    out->bin.len = s->type == CE_TYPE_BINARY ? s->bin_len : 0;
}

int ce_event_get(const ce_event *e, const char *name, ce_value *out)
{
    const slot *s = find_slot(e, name, name_len_of(name));
    if (!s)
        return CE_ENOTFOUND;
    if (out)
        fill_value(e, s, out);
    return 0;
}

ce_slice ce_event_get_str(const ce_event *e, const char *name)
{
    const slot *s = find_slot(e, name, name_len_of(name));
    ce_slice r = {NULL, 0};
    if (s) {
        r.ptr = e->arena + s->str_off;
        r.len = s->str_len;
    }
    return r;
}

int ce_event_get_as(const ce_event *e, const char *name, ce_type want, ce_value *out)
{
    ce_value v;
    int rc = ce_event_get(e, name, &v);
    if (rc)
        return rc;
    int ok = v.type == want || (want == CE_TYPE_URI_REF && v.type == CE_TYPE_URI);
    if (!ok && v.type == CE_TYPE_STRING &&
        (want == CE_TYPE_URI || want == CE_TYPE_URI_REF || want == CE_TYPE_TIMESTAMP))
        ok = ce_check_value(want, v.str.ptr, v.str.len, NULL, 0) == 0;
    if (!ok)
        return CE_ETYPE;
    v.type = want;
    if (out)
        *out = v;
    return 0;
}

size_t ce_event_attr_count(const ce_event *e)
{
    size_t n = e->next;
    for (int k = 0; k < SPEC_N; k++)
        n += e->spec[k].type != 0;
    return n;
}

int ce_event_attr_at(const ce_event *e, size_t idx, const char **name, ce_value *out)
{
    for (int k = 0; k < SPEC_N; k++) {
        if (!e->spec[k].type)
            continue;
        if (idx == 0) {
            if (name)
                *name = spec_attrs[k].name;
            if (out)
                fill_value(e, &e->spec[k], out);
            return 0;
        }
        idx--;
    }
    if (idx >= e->next)
        return CE_ENOTFOUND;
    if (name)
        *name = e->arena + e->ext[idx].name_off;
    if (out)
        fill_value(e, &e->ext[idx], out);
    return 0;
}

int ce__event_attr_next(const ce_event *e, size_t *cursor, const char **name, size_t *name_len,
                        ce_value *out)
{
    size_t c = *cursor;
    while (c < SPEC_N && !e->spec[c].type)
        c++;
    if (c < SPEC_N) {
        *name = spec_attrs[c].name;
        *name_len = spec_attrs[c].len;
        fill_value(e, &e->spec[c], out);
        *cursor = c + 1;
        return 0;
    }
    size_t x = c - SPEC_N;
    if (x >= e->next)
        return CE_ENOTFOUND;
    *name = e->arena + e->ext[x].name_off;
    *name_len = e->ext[x].name_len;
    fill_value(e, &e->ext[x], out);
    *cursor = c + 1;
    return 0;
}

/* ---- data ------------------------------------------------------------------------------- */

int ce__event_set_data_trusted(ce_event *e, ce_data_kind kind, const void *bytes, size_t len)
{
    if (kind == CE_DATA_NONE) {
        e->dkind = CE_DATA_NONE;
        e->data_off = e->data_len = 0;
        return 0;
    }
    int rc = arena_reserve(e, len);
    if (rc)
        return rc;
    e->data_off = arena_put(e, bytes, len);
    e->data_len = len;
    e->dkind = kind;
    return 0;
}

int ce_event_set_data(ce_event *e, ce_data_kind kind, const void *bytes, size_t len, char *errstr,
                      size_t errstr_size)
{
    size_t bad;
    int rc;
    switch (kind) {
    case CE_DATA_NONE:
    case CE_DATA_BINARY:
        break;
    case CE_DATA_TEXT:
        if (!ce__utf8_valid(bytes, len, &bad))
            return ce__errf(CE_EDATA, errstr, errstr_size, "data: invalid UTF-8 at byte %zu", bad);
        break;
    case CE_DATA_JSON: {
        char why[128];
        rc = ce_json_check(bytes, len, CE_DEFAULT_MAX_DEPTH, why, sizeof why);
        if (rc)
            return ce__errf(CE_EDATA, errstr, errstr_size, "data: not a JSON value: %s", why);
        break;
    }
    default:
        return ce__errf(CE_EINVAL, errstr, errstr_size, "data: unknown kind %d", (int)kind);
    }
    rc = ce__event_set_data_trusted(e, kind, bytes, len);
    if (rc)
        return ce__errf(rc, errstr, errstr_size, "data: %s", ce_strerror(rc));
    return 0;
}

/* Textual media types whose bytes are UTF-8 text when valid. */
static int media_is_textual(const char *mt, size_t len)
{
    if (len >= 5 && strncasecmp(mt, "text/", 5) == 0)
        return 1;
    size_t end = 0;
    while (end < len && mt[end] != ';' && mt[end] != ' ')
        end++;
    static const char *const suffixes[] = {
        "+xml", "/xml", "/yaml", "+yaml", "/csv", "/javascript", "/x-www-form-urlencoded"};
    for (size_t k = 0; k < sizeof suffixes / sizeof *suffixes; k++) {
        size_t sl = strlen(suffixes[k]);
        if (end >= sl && strncasecmp(mt + end - sl, suffixes[k], sl) == 0)
            return 1;
    }
    return 0;
}

int ce_event_set_data_auto(ce_event *e, const void *bytes, size_t len, char *errstr,
                           size_t errstr_size)
{
    const slot *s = &e->spec[A_DCT];
    const char *mt = s->type ? e->arena + s->str_off : NULL;
    size_t mtlen = s->type ? s->str_len : 0;
    ce_data_kind kind = CE_DATA_BINARY;
    if (!mt || ce_media_type_is_json(mt, mtlen)) {
        if (ce_json_check(bytes, len, CE_DEFAULT_MAX_DEPTH, NULL, 0) == 0)
            kind = CE_DATA_JSON;
    } else if (media_is_textual(mt, mtlen) && ce__utf8_valid(bytes, len, NULL)) {
        kind = CE_DATA_TEXT;
    }
    int rc = ce__event_set_data_trusted(e, kind, bytes, len);
    if (rc)
        return ce__errf(rc, errstr, errstr_size, "data: %s", ce_strerror(rc));
    return 0;
}

ce_data_kind ce_event_data_kind(const ce_event *e)
{
    return e->dkind;
}

ce_slice ce_event_data(const ce_event *e)
{
    ce_slice r = {NULL, 0};
    if (e->dkind != CE_DATA_NONE) {
        r.ptr = e->arena + e->data_off;
        r.len = e->data_len;
    }
    return r;
}

/* ---- validation and equality ------------------------------------------------------------ */

int ce_event_validate(const ce_event *e, char *errstr, size_t errstr_size)
{
    static const int required[] = {A_SPECVERSION, A_ID, A_SOURCE, A_TYPE};
    for (size_t k = 0; k < 4; k++) {
        if (!e->spec[required[k]].type)
            return ce__errf(CE_EMISSING, errstr, errstr_size,
                            "attribute '%s': required attribute missing",
                            spec_attrs[required[k]].name);
    }
    const slot *sv = &e->spec[A_SPECVERSION];
    if (sv->str_len != 3 || memcmp(e->arena + sv->str_off, "1.0", 3) != 0)
        return ce__errf(CE_ESPECVERSION, errstr, errstr_size,
                        "attribute 'specversion': unsupported version '%.*s' (only 1.0)",
                        (int)(sv->str_len > 32 ? 32 : sv->str_len), e->arena + sv->str_off);
    return 0;
}

static int repr_class(ce_type t)
{
    return t == CE_TYPE_BOOLEAN ? 1 : t == CE_TYPE_INTEGER ? 2 : 3;
}

int ce_event_equal(const ce_event *a, const ce_event *b)
{
    size_t n = ce_event_attr_count(a);
    if (n != ce_event_attr_count(b))
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *na, *nb;
        ce_value va, vb;
        ce_event_attr_at(a, i, &na, &va);
        ce_event_attr_at(b, i, &nb, &vb);
        if (strcmp(na, nb) != 0 || repr_class(va.type) != repr_class(vb.type) ||
            va.str.len != vb.str.len || memcmp(va.str.ptr, vb.str.ptr, va.str.len) != 0)
            return 0;
    }
    if (a->dkind != b->dkind || a->data_len != b->data_len)
        return 0;
    return a->data_len == 0 ||
           memcmp(a->arena + a->data_off, b->arena + b->data_off, a->data_len) == 0;
}

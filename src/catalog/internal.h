/* Internal interfaces shared by the files of the AI event catalog (src/catalog/): a bump arena,
 * a small JSON DOM, the JSON Schema subset (compiler and validator), the catalog's type table
 * and the JSON writer the typed builders use. Not installed; names carry the cer__ prefix. */
#ifndef CER_CATALOG_INTERNAL_H
#define CER_CATALOG_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "cerelay/catalog.h"

#if defined(__GNUC__) || defined(__clang__)
#define CER__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CER__PRINTF(a, b)
#endif

/* errstr formatting: cerx_errf (src/base/base.h). */

/* ---- arena (arena.c): chunks from the core's allocator, freed all at once ---- */
typedef struct cer__chunk cer__chunk;
typedef struct cer__arena {
    cer__chunk *head;
    size_t used, cap; /* in the head chunk */
} cer__arena;

void *cer__arena_alloc(cer__arena *a, size_t n); /* zeroed, 16-aligned; NULL on ENOMEM */
char *cer__arena_strndup(cer__arena *a, const char *s, size_t n);
void cer__arena_free(cer__arena *a);
/* Move every chunk of src into dst (src's current chunk becomes dst's); src is left empty. */
void cer__arena_take(cer__arena *dst, cer__arena *src);

/* ---- JSON DOM (jdom.c). Nodes are stored in pre-order: a container's first child follows it
 * at index+1, siblings are linked by `next` (0 = last). Strings are decoded (escapes resolved
 * into the DOM's own buffer); every node also records its raw byte range in the source. ---- */
typedef enum cer__jtype {
    CER__J_NULL = 0,
    CER__J_BOOL,
    CER__J_NUMBER,
    CER__J_STRING,
    CER__J_ARRAY,
    CER__J_OBJECT
} cer__jtype;

typedef struct cer__jnode {
    uint8_t type;    /* cer__jtype */
    uint8_t boolean; /* CER__J_BOOL */
    uint8_t is_int;  /* number: integral value that fits int64 (i64 holds it) */
    uint32_t count;  /* containers: number of children */
    uint32_t next;   /* next sibling's index, 0 when last */
    size_t off, end; /* raw bytes of the value in the source */
    size_t key_off;  /* object members: offset of the name's opening quote */
    ce_slice key;    /* object members: decoded name */
    ce_slice str;    /* strings: decoded bytes; numbers: the token */
    double num;
    int64_t i64;
} cer__jnode;

typedef struct cer__jdom {
    cer__jnode *nodes;
    uint32_t n, cap;
    char *strbuf; /* decoded escaped strings */
    size_t strlen;
    const char *src;
    size_t len;
} cer__jdom;

/* Parse exactly one JSON value (surrounding whitespace allowed). Returns 0, CE_ESYNTAX/CE_EUTF8
 * ("byte N: what"), CE_EDEPTH, CE_ETOOBIG (more than max_nodes values) or CE_ENOMEM. The DOM
 * borrows `buf`; free it with cer__jdom_free (also after a failure). */
int cer__jdom_parse(cer__jdom *d, const char *buf, size_t len, uint32_t max_depth,
                    uint32_t max_nodes, char *errstr, size_t errstr_size);
void cer__jdom_free(cer__jdom *d);

static inline const cer__jnode *cer__j_first(const cer__jdom *d, const cer__jnode *n)
{
    return n->count ? n + 1 : NULL;
}
static inline const cer__jnode *cer__j_next(const cer__jdom *d, const cer__jnode *n)
{
    return n->next ? d->nodes + n->next : NULL;
}
/* The member `name` of object `obj` (the last one if repeated), or NULL. */
const cer__jnode *cer__j_member(const cer__jdom *d, const cer__jnode *obj, const char *name);
/* True when n is a string equal to the NUL-terminated s. */
bool cer__j_streq(const cer__jnode *n, const char *s);

/* ---- JSON Schema subset (schema.c compiles, validate.c checks) ---- */
enum {
    CER__T_NULL = 1 << 0,
    CER__T_BOOLEAN = 1 << 1,
    CER__T_INTEGER = 1 << 2,
    CER__T_NUMBER = 1 << 3, /* includes integers */
    CER__T_STRING = 1 << 4,
    CER__T_ARRAY = 1 << 5,
    CER__T_OBJECT = 1 << 6
};

typedef struct cer__schema cer__schema;

typedef struct cer__sprop {
    const char *name;
    size_t len;
    cer__schema *schema;
    bool required;
} cer__sprop;

typedef struct cer__slit { /* an enum member */
    uint8_t type;          /* cer__jtype */
    uint8_t boolean;
    ce_slice str; /* strings: decoded; numbers: token */
    double num;
} cer__slit;

struct cer__schema {
    bool never;     /* the schema `false`: nothing is valid */
    unsigned types; /* CER__T_* bits; 0 = any */
    cer__sprop *props;
    size_t nprops;
    const char **required_extra; /* required names without a "properties" entry */
    size_t nrequired_extra;
    bool no_additional;      /* additionalProperties: false */
    cer__schema *additional; /* additionalProperties: {schema} */
    cer__schema *items;      /* arrays */
    bool has_min_items, has_max_items;
    uint64_t min_items, max_items;
    bool has_min, has_max, excl_min, excl_max;
    double min, max;
    bool has_min_len, has_max_len;
    uint64_t min_len, max_len; /* in code points */
    bool date_time;            /* format: date-time */
    cer__slit *enums;
    size_t nenums;
};

/* Compile the schema at node `n` into the arena. On failure errstr reads
 * "<where>: <keyword path>: <problem>" (where = label). */
int cer__schema_compile(cer__arena *a, const cer__jdom *d, const cer__jnode *n, const char *label,
                        cer__schema **out, char *errstr, size_t errstr_size);

/* Validate `n` against `s`, appending messages prefixed with `path` ("data") to res
 * (res->violations counts them). */
void cer__schema_validate(const cer__schema *s, const cer__jdom *d, const cer__jnode *n,
                          const char *path, cer_catalog_result *res);
/* Append one "fmt" message to res (counted even when not kept). */
void cer__result_add(cer_catalog_result *res, const char *fmt, ...) CER__PRINTF(2, 3);

/* ---- the catalog (catalog.c) ---- */
typedef struct cer__ctype {
    cer_catalog_type pub; /* strings point into the arena */
    cer__schema *schema;
    bool mode_set; /* "validation" given explicitly */
} cer__ctype;

typedef struct cer__price {
    const char *provider, *model;
    int64_t in_nano, out_nano; /* 1e-9 USD per 1000 tokens */
    /* Per token class (cache_read_input_per_1k, cache_creation_input_per_1k,
     * reasoning_output_per_1k); -1 = not given: the input (or output) price applies. */
    int64_t cache_read_nano, cache_creation_nano, reasoning_nano;
} cer__price;

struct cer_catalog {
    cer__arena arena;
    cer__ctype *types; /* sorted by type name */
    size_t n, cap;
    cer__price *prices;
    size_t nprices, cap_prices;
    cer_catalog_mode default_mode;
};

const cer__ctype *cer__catalog_lookup(const cer_catalog *cat, const char *type, size_t len);
/* check.c: validate `ev` against type t as if its mode were `mode`; returns the verdict or
 * CE_ENOMEM. */
int cer__check_event(const cer__ctype *t, const ce_event *ev, cer_catalog_mode mode,
                     cer_catalog_result *res);

/* Render a subject template ("{tenantId}", "tenant/{tenant_id}[/user/{user_id}]") from the
 * top-level string members of object `obj`; a [...] part is left out when a field inside it is
 * missing or not a string. Returns 0, CE_EMISSING (a required field absent; errstr names it) or
 * CE_ENOMEM. Appends to out. */
int cer__subject_render(const char *tmpl, const cer__jdom *d, const cer__jnode *obj, ce_buf *out,
                        char *errstr, size_t errstr_size);

/* ---- cost (cost.c) ---- */
/* Parse a non-negative decimal JSON number token with at most 9 fraction digits as nano-units.
 * Returns 0 or CE_EBADVALUE / CE_ERANGE. */
int cer__decimal_nano(const char *tok, size_t n, int64_t *out);
/* round_half_up((in * in_nano + out * out_nano) / 1e6) in micro-dollars; CE_ERANGE on overflow. */
int cer__cost_micro(int64_t in_tokens, int64_t in_nano, int64_t out_tokens, int64_t out_nano,
                    int64_t *micro);
/* The same over every token class of `t` priced by `p` (docs/catalog.md, "Cost"): the cache
 * reads and writes are part of input_tokens and reasoning part of output_tokens, so the plain
 * input (output) price applies to what is left. CE_ERANGE on negative counts, classes larger
 * than their total, or overflow. */
int cer__cost_micro_tokens(const cer__price *p, const cer_catalog_tokens *t, int64_t *micro);

/* ---- building events (build.c) ---- */
/* The built-in types' constants the typed builders use (checked against catalog.json by the
 * tests). */
typedef struct cer__builtin_type {
    const char *type;
    const char *source;
} cer__builtin_type;
extern const cer__builtin_type cer__builtin_types[];
extern const size_t cer__builtin_ntypes;

/* A compact JSON object writer; the first error sticks in `rc`. */
typedef struct cer__jw {
    ce_buf *b;
    int rc;
    int depth;
    bool first[8];
    char close[8];
} cer__jw;

void cer__jw_begin(cer__jw *w, ce_buf *b);   /* writes "{" */
void cer__jw_end(cer__jw *w);                /* closes the current object or array */
void cer__jw_key(cer__jw *w, const char *k); /* `,"k":` in an object, `,` in an array */
void cer__jw_str(cer__jw *w, const char *k, const char *s); /* NULL s: null */
void cer__jw_int(cer__jw *w, const char *k, int64_t v);
void cer__jw_num(cer__jw *w, const char *k, double v);
void cer__jw_bool(cer__jw *w, const char *k, int v);
void cer__jw_null(cer__jw *w, const char *k);
void cer__jw_open(cer__jw *w, const char *k, char bracket); /* '{' or '[' */
void cer__jw_raw(cer__jw *w, const char *json); /* append raw bytes (caller adds commas) */

/* Shortest decimal text that reads back as v (finite), without exponent when
 * 1e-9 <= |v| < 1e17. Returns the length; out holds at least 40 bytes. */
size_t cer__fmt_double(double v, char out[40]);

/* Resolve the event time: meta->time or now (RFC 3339 with milliseconds) into buf. */
const char *cer__event_time(const cer_event_meta *meta, char buf[40]);

/* Make the event: attributes from meta, else the defaults given (dataschema NULL: the built-in
 * URI CER_CATALOG_SCHEMA_BASE "<type>.json"); data is the JSON in data->ptr[0..len), copied. */
int cer__build_event(const char *type, const char *default_source, const char *dataschema,
                     const char *subject, const char *time, const ce_buf *data,
                     const cer_event_meta *meta, ce_event **out, char *errstr, size_t errstr_size);

/* Argument checks of the typed builders: n (name, value) pairs; CE_EINVAL naming the first
 * bad one. Strings must be non-empty, counts (int64_t) >= 0, amounts (double) finite >= 0. */
int cer__need_strings(const char *type, char *errstr, size_t errstr_size, int n, ...);
int cer__need_counts(const char *type, char *errstr, size_t errstr_size, int n, ...);
int cer__need_amounts(const char *type, char *errstr, size_t errstr_size, int n, ...);
/* Build the event of a built-in type from the data in w (freed here). */
int cer__finish(const char *type, cer__jw *w, const char *subject, const char *time,
                const cer_event_meta *meta, ce_event **out, char *errstr, size_t errstr_size);

/* Embedded catalog files (generated by embed.cmake into builtin_data.c). */
typedef struct cer__embedded {
    const char *path; /* relative to catalog/: "catalog.json", "schemas/<type>.json" */
    const unsigned char *bytes;
    size_t len;
} cer__embedded;
extern const cer__embedded cer__catalog_files[];
extern const size_t cer__catalog_nfiles;

#endif

/* The configuration reader's upper half: schema tables that describe a C struct field by field
 * (key, type, offset, default, range, flags, enum names, nested schema), the code that fills
 * such a struct from a YAML node tree (${VAR} expansion, sizes, durations, did-you-mean on
 * unknown keys) and the code that writes it back as YAML with secrets redacted.
 * Internal to cerelay_relay. */
#ifndef CER_RELAY_YAML_SCHEMA_H
#define CER_RELAY_YAML_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "relay/config.h"
#include "relay/yaml_tree.h"

/* Field types and the C type each one fills. */
typedef enum cer_ytype {
    CER_Y_STR = 1,  /* const char * (NULL when null) */
    CER_Y_BOOL,     /* bool: true | false */
    CER_Y_INT,      /* int64_t, decimal */
    CER_Y_SIZE,     /* uint64_t bytes: 512, 64KiB, 8MiB, 1GiB, 1GB, 10 KB ... */
    CER_Y_DURATION, /* uint64_t milliseconds: 5 (seconds), 5s, 250ms, 2m, 1h30m, 7d */
    CER_Y_ENUM,     /* int: one of `enums` (0 when null and no default) */
    CER_Y_ENUMSET,  /* unsigned: OR of the `enums` values listed; def "*" = all of them */
    CER_Y_STRLIST,  /* cer_ystrlist */
    CER_Y_KVMAP,    /* cer_ykvlist: a map of names to strings */
    CER_Y_SECTION,  /* a nested struct described by `sub` */
    CER_Y_LIST      /* an array of `sub` structs: pointer at `off`, size_t count at `aux` */
} cer_ytype;

enum {
    CER_YF_REQUIRED = 1 << 0,     /* must be given and not null (inside a given map) */
    CER_YF_SECRET = 1 << 1,       /* never printed (STR, STRLIST) */
    CER_YF_COMMA = 1 << 2,        /* STRLIST, ENUMSET: one comma-separated string is accepted */
    CER_YF_BOOL = 1 << 3,         /* SECTION: also true/false; `aux` is the offset of its bool */
    CER_YF_SECRET_NAMES = 1 << 4, /* KVMAP: values whose names look secret are secrets */
    CER_YF_NONEMPTY = 1 << 5      /* STR: "" is refused (STRLIST items never may be empty) */
};

/* The shapes CER_Y_STRLIST and CER_Y_KVMAP fill are the configuration's own. */
typedef cer_config_strlist cer_ystrlist;
typedef cer_config_kv cer_ykv;
typedef cer_config_kvlist cer_ykvlist;

typedef struct cer_yenum {
    const char *name;
    int value;
} cer_yenum;

/* Extra check of a string value (STR, STRLIST items, KVMAP values): 0 if fine, else -1 with a
 * reason in `why` (e.g. "not a URL"). */
typedef int (*cer_ycheck_fn)(const char *s, char *why, size_t why_size);

typedef struct cer_yschema cer_yschema;
typedef struct cer_yfield {
    const char *key;
    cer_ytype type;
    unsigned flags;
    size_t off;              /* offsetof the field in the struct `sub` of the parent describes */
    size_t aux;              /* see CER_Y_LIST, CER_YF_BOOL */
    const char *def;         /* default: STR the value itself; others their YAML text */
    int64_t min, max;        /* INT, SIZE (bytes), DURATION (ms): inclusive; max 0 = none */
    const cer_yenum *enums;  /* ENUM, ENUMSET: ends with {NULL, 0} */
    const cer_yschema *sub;  /* SECTION, LIST */
    cer_ycheck_fn check;     /* values */
    cer_ycheck_fn check_key; /* KVMAP names */
} cer_yfield;

struct cer_yschema {
    const cer_yfield *fields;
    size_t nfields;
    size_t size; /* sizeof the struct (for LIST elements) */
};

/* Where ${VAR} values come from. Returns the value or NULL when unset. */
typedef const char *(*cer_ygetenv_fn)(void *ctx, const char *name);

#define CER_YPATH_MAX 256

/* One fill pass. `tmp` holds scratch text; `out` the strings and arrays the struct keeps. */
typedef struct cer_yctx {
    cer_ydiag *diag;
    cer_yarena *tmp, *out;
    cer_ygetenv_fn getenv_fn;
    void *getenv_ctx;
    size_t expanded; /* bytes produced by ${VAR} expansion so far (capped) */
    char path[CER_YPATH_MAX];
    size_t pathlen;
} cer_yctx;

/* Store every field's default in `obj` (recursively). Never allocates, never fails. */
void cer__yschema_defaults(const cer_yschema *s, void *obj);
/* Fill `obj` (holding defaults) from `map` (a map node, or NULL/null for "nothing given"),
 * reporting every problem to c->diag with its position and key path. */
void cer__yschema_fill(cer_yctx *c, const cer_yschema *s, void *obj, const cer_ynode *map);
/* Append `obj` to `out` as YAML at `indent` spaces, secrets as "<redacted>". Returns 0 or
 * CE_ENOMEM. */
int cer__yschema_dump(const cer_yschema *s, const void *obj, unsigned indent, ce_buf *out);

/* Value syntax (yaml_value.c). Parsers return 0 or -1 and leave *out alone on failure. */
int cer__yparse_int(const char *s, int64_t *out);          /* [+-]decimal */
int cer__yparse_bool(const char *s, bool *out);            /* true/false, True, TRUE... */
int cer__yparse_size(const char *s, uint64_t *out);        /* bytes */
int cer__yparse_duration(const char *s, uint64_t *ms);     /* milliseconds */
void cer__yfmt_size(uint64_t v, char *buf, size_t n);      /* "8MiB", "1000" */
void cer__yfmt_duration(uint64_t ms, char *buf, size_t n); /* "168h", "250ms" */
/* The entry named `s` (case-insensitive), or NULL. */
const cer_yenum *cer__yenum_find(const cer_yenum *e, const char *s);
/* "A, B, C" into buf. */
void cer__yenum_list(const cer_yenum *e, char *buf, size_t n);
/* Levenshtein distance of a and b, or `cap` + 1 when larger than `cap`. */
unsigned cer__yedit_distance(const char *a, const char *b, unsigned cap);
/* Does a header or property named `name` hold a secret (authorization, *token*, *key*,
 * *secret*, *password*, *credential*, cookie)? Case-insensitive. */
bool cer__ysecret_name(const char *name);

#endif

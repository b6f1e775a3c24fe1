/* The configuration reader's lower half: libyaml's event parser builds a small, bounded node tree
 * in which every node knows its line and column; anchors, aliases and tags are refused. Also the
 * arena, the allocation wrapper and the error list the configuration module shares.
 * Internal to cerelay_relay (names shared between files carry `cer__`). */
#ifndef CER_RELAY_YAML_TREE_H
#define CER_RELAY_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"

/* Caps on one document (cer_config_opts may lower or raise them). */
#define CER_YAML_MAX_BYTES  ((size_t)1 << 20) /* source text */
#define CER_YAML_MAX_DEPTH  32u               /* nested maps and lists */
#define CER_YAML_MAX_NODES  100000u           /* scalars, maps and lists */
#define CER_YAML_MAX_ERRORS 100u              /* errors kept; later ones are only counted */

#if defined(__GNUC__)
#define CER__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CER__PRINTF(a, b)
#endif

/* Allocation: every byte the configuration code takes goes through these (see
 * cer_config_set_allocator). libyaml allocates with libc on its own. */
void *cer__ymalloc(size_t n);
void *cer__yrealloc(void *p, size_t n);
void cer__yfree(void *p);

/* A bump allocator: many small allocations, one free. Memory is zeroed and 16-byte aligned. */
typedef struct cer_yarena {
    struct cer_ychunk *head;
} cer_yarena;
void *cer__yarena_alloc(cer_yarena *a, size_t n);                  /* NULL on OOM */
char *cer__yarena_strndup(cer_yarena *a, const char *s, size_t n); /* NUL-terminated copy */
char *cer__yarena_printf(cer_yarena *a, const char *fmt, ...) CER__PRINTF(2, 3);
void cer__yarena_free(cer_yarena *a); /* frees everything; the arena is empty again */

/* Errors, each with a position (line 0 = the whole document), kept in `arena`. */
typedef struct cer_yerr {
    struct cer_yerr *next;
    uint32_t line, col;
    size_t seq; /* order of arrival, to keep sorting stable */
    const char *msg;
} cer_yerr;
typedef struct cer_ydiag {
    cer_yarena *arena;
    cer_yerr *head, *tail;
    size_t count; /* every error reported, kept or not */
    bool nomem;   /* an allocation failed somewhere */
} cer_ydiag;
void cer__ydiag_add(cer_ydiag *d, uint32_t line, uint32_t col, const char *fmt, ...)
    CER__PRINTF(4, 5);
/* Write the errors sorted by position, one per line as "NAME:LINE:COL: msg" (or "NAME: msg"),
 * into buf (always NUL-terminated when size > 0; whole lines only, then a count of the rest). */
void cer__ydiag_format(cer_ydiag *d, const char *name, char *buf, size_t size);

typedef enum cer_ykind { CER_YSCALAR = 1, CER_YSEQ, CER_YMAP } cer_ykind;

/* One node. A map's children alternate key (always a scalar) and value. */
typedef struct cer_ynode {
    cer_ykind kind;
    bool plain;         /* scalar written without quotes or block indicator */
    uint32_t line, col; /* 1-based, in characters */
    const char *str;    /* scalar text, NUL-terminated (never contains NUL) */
    size_t len;         /* scalar bytes */
    size_t n;           /* list items, or map entries (pairs) */
    struct cer_ynode *first, *last, *next;
} cer_ynode;

typedef struct cer_ylimits {
    size_t max_bytes;
    unsigned max_depth;
    size_t max_nodes;
} cer_ylimits;

/* Parse text[0..len) (one YAML document) into a tree whose nodes live in `arena`. *root is the
 * top node, or NULL for an empty document. Errors go to `diag`: YAML syntax (stops), caps
 * (stop), anchors, aliases, tags, complex or duplicate keys, NUL bytes (parsing continues so
 * that all of them are reported). Returns 0, CE_ESYNTAX (see diag), CE_ETOOBIG, CE_EDEPTH,
 * CE_ELIMIT or CE_ENOMEM. Thread-safe. */
int cer__yparse(const char *text, size_t len, const cer_ylimits *lim, cer_yarena *arena,
                cer_ydiag *diag, cer_ynode **root);

/* The value of `key` in map `map`, or NULL (also when map is NULL or not a map). */
const cer_ynode *cer__ymap_get(const cer_ynode *map, const char *key);
/* The key node of `key` in `map`, or NULL. */
const cer_ynode *cer__ymap_key(const cer_ynode *map, const char *key);
/* Is this the scalar null: plain "", "~", "null", "Null" or "NULL"? */
bool cer__yis_null(const cer_ynode *n);
/* "a string", "a map", "a list" or "null", for messages. */
const char *cer__ykind_name(const cer_ynode *n);

#endif

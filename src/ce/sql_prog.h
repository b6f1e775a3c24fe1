/* CESQL internals shared by the sql_*.c files: the compiled program (a flat node array), the
 * evaluation context and the helpers the evaluator and the built-in functions share.
 * Not installed; names carry the ce__sql_ prefix. */
#ifndef CE_SQL_PROG_H
#define CE_SQL_PROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce_sql.h"

/* Node operators. Children are node indexes (a, b) or a run kids[b .. b+n). */
enum sql_op {
    SQL_LIT = 1, /* literal: type; i (Integer/Boolean) or pool[s .. s+n) (String) */
    SQL_IDENT,   /* attribute: lower-case NUL-terminated name at pool[s], n bytes */
    SQL_EXISTS,  /* EXISTS name: as SQL_IDENT */
    SQL_NOT,     /* NOT a */
    SQL_NEG,     /* -a */
    SQL_AND,     /* kids[b .. b+n), n >= 2, left to right, short-circuit */
    SQL_OR,
    SQL_XOR,
    SQL_EQ, /* a = b; SQL_NE also covers <> */
    SQL_NE,
    SQL_LT,
    SQL_LE,
    SQL_GT,
    SQL_GE,
    SQL_ADD,
    SQL_SUB,
    SQL_MUL,
    SQL_DIV,
    SQL_MOD,
    SQL_LIKE,  /* a [NOT] LIKE pattern: compiled pattern at pool[s .. s+n), neg */
    SQL_IN,    /* a [NOT] IN (kids[b .. b+n)), neg */
    SQL_CALL,  /* built-in fn(kids[b .. b+n)) */
    SQL_NOFUNC /* call that cannot be dispatched: name at pool[s .. s+n) */
};

/* A compiled node. Spans are byte offsets into the program's source. */
typedef struct sql_node {
    uint8_t op;
    uint8_t type; /* static result type (ce_sql_type), 0 when it depends on the event */
    uint8_t neg;  /* NOT LIKE, NOT IN */
    uint8_t fn;   /* SQL_CALL: index into ce__sql_builtins */
    uint32_t off, len;
    uint32_t a, b, n, s;
    int32_t i;
    uint32_t depth; /* height of the subtree rooted here (leaf = 1) */
} sql_node;

struct ce_sql_prog {
    sql_node *nodes;
    uint32_t *kids;
    char *pool;
    char *src;
    size_t src_len;
    uint32_t nnodes, root, depth;
};

struct ce_sql_ctx {
    char *scratch;
    size_t cap, top;
    size_t nerr; /* raised during the last evaluation, stored or not */
    ce_sql_error errs[CE_SQL_MAX_ERRORS];
};

/* One evaluation in progress. */
typedef struct sql_eval {
    const ce_sql_prog *prog;
    const ce_event *ev;
    ce_sql_ctx *ctx;
    bool fail_fast;
} sql_eval;

/* LIKE patterns are compiled to their literal bytes with these two non-UTF-8 bytes standing
 * for the wildcards; escapes are resolved. */
#define SQL_LIKE_ANY ((char)0xFF) /* % */
#define SQL_LIKE_ONE ((char)0xFE) /* _ */

/* ---- sql_eval.c ---- */
/* Evaluate node `idx` into *out. */
void ce__sql_eval_node(sql_eval *E, uint32_t idx, ce_sql_value *out);
/* Record an error raised by node n. */
void ce__sql_raise(sql_eval *E, const sql_node *n, ce_sql_error_kind kind, const char *msg);
/* Errors raised so far in this evaluation. */
static inline size_t ce__sql_nerr(const sql_eval *E)
{
    return E->ctx->nerr;
}
/* The zero value of type t (spec 3.1); Boolean false for 0 (spec 3.2). */
ce_sql_value ce__sql_zero(ce_sql_type t);
/* Cast *v to `to` (spec 3.7). On failure raise a CastError at n, set *v to the zero value
 * of `to` and return false. Integer to String uses scratch memory. */
bool ce__sql_cast(sql_eval *E, const sql_node *n, ce_sql_value *v, ce_sql_type to);
/* Scratch memory: the current top, room for `need` more bytes at the top (NULL and a
 * GenericError at n when the context is full), and committing `used` bytes. */
char *ce__sql_scratch_room(sql_eval *E, const sql_node *n, size_t need);
static inline void ce__sql_scratch_commit(sql_eval *E, size_t used)
{
    E->ctx->top += used;
}

/* ---- sql_func.c ---- */
typedef void (*sql_fn_fixed)(sql_eval *E, const sql_node *n, ce_sql_value *args, ce_sql_value *out);
typedef void (*sql_fn_stream)(sql_eval *E, const sql_node *n, ce_sql_value *out);
typedef struct sql_builtin {
    const char *name;
    uint8_t min_args, max_args; /* max_args 255: variadic */
    uint8_t ret;                /* ce_sql_type */
    uint8_t params[3];          /* ce_sql_type of each fixed argument; 0 = any */
    sql_fn_fixed fixed;         /* arguments evaluated and cast by the caller (<= 3) */
    sql_fn_stream stream;       /* evaluates its own arguments (variadic) */
} sql_builtin;
#define SQL_VARIADIC 255
extern const sql_builtin ce__sql_builtins[];
/* Find a built-in by name (case-insensitive) and argument count: its index, or -1 when the
 * name is unknown, -2 when the name is known but not with argc arguments. */
int ce__sql_builtin_find(const char *name, size_t len, size_t argc);

/* ---- sql_str.c: UTF-8 and string helpers (lenient: a bad byte counts as a character) ---- */
/* Decode the code point at s[*i] (i < len) and advance *i. */
uint32_t ce__sql_utf8_next(const char *s, size_t len, size_t *i);
/* Number of characters (code points). */
size_t ce__sql_utf8_count(const char *s, size_t len);
/* Byte offset of character index `chars` (clamped to len). */
size_t ce__sql_utf8_skip(const char *s, size_t len, size_t chars);
/* Encode cp into out (4 bytes room); returns the byte count. */
size_t ce__sql_utf8_put(uint32_t cp, char *out);
/* Unicode White_Space property. */
bool ce__sql_is_space(uint32_t cp);
/* Unicode simple case mappings (sql_case.c). */
uint32_t ce__sql_to_lower(uint32_t cp);
uint32_t ce__sql_to_upper(uint32_t cp);
/* Match str against a compiled LIKE pattern. */
bool ce__sql_like_match(const char *pat, size_t plen, const char *str, size_t slen);
/* Compile a LIKE pattern (escapes: \% \_ \\) into out (at least plen bytes); returns the
 * compiled length. */
size_t ce__sql_like_compile(const char *pat, size_t plen, char *out);
/* String to Integer (spec 3.7): optional sign then decimal digits, in range. */
bool ce__sql_parse_int(const char *s, size_t len, int32_t *out);
/* String to Boolean (spec 3.7): "true"/"false" in any ASCII case. */
bool ce__sql_parse_bool(const char *s, size_t len, int32_t *out);
/* Integer to decimal text into out (12 bytes room); returns the length. */
size_t ce__sql_format_int(int32_t v, char *out);

#endif

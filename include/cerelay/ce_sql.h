/* cerelay CESQL v1: the CloudEvents SQL expression language (cesql/spec.md) over ce_event.
 * Compile an expression once into an immutable program, then evaluate it many times against
 * events without allocating. Part of libcerelay-ce; depends on nothing but ce.h and libc. */
#ifndef CERELAY_CE_SQL_H
#define CERELAY_CE_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Limits. Both are checked by ce_sql_compile; ce_sql_options overrides them.
 * ------------------------------------------------------------------------------------------ */
/* Deepest allowed nesting: parentheses, unary operators, function calls and operator nodes
 * (a chain of one logical operator, `a OR b OR c ...`, counts as one level). */
#define CE_SQL_DEFAULT_MAX_DEPTH 64u
/* Longest allowed expression, in bytes. */
#define CE_SQL_DEFAULT_MAX_LENGTH 4096u
/* Hard ceilings for the two options above. Evaluation recurses once per nesting level, using
 * about half a KiB of C stack per level. */
#define CE_SQL_MAX_DEPTH_CEILING  256u
#define CE_SQL_MAX_LENGTH_CEILING (1u << 20)
/* Scratch bytes of a context made with ce_sql_ctx_new(0). */
#define CE_SQL_DEFAULT_SCRATCH (16u << 10)
/* Scratch bytes ce_sql_filter() uses (on the C stack). */
#define CE_SQL_FILTER_SCRATCH 2048u
/* Errors a context records per evaluation; further errors are counted but not stored. */
#define CE_SQL_MAX_ERRORS 16u

/* ------------------------------------------------------------------------------------------
 * Values.
 * ------------------------------------------------------------------------------------------ */
typedef enum ce_sql_type { CE_SQL_BOOLEAN = 1, CE_SQL_INTEGER, CE_SQL_STRING } ce_sql_type;

/* A CESQL value. `i` holds an Integer, or a Boolean as 0/1; `str` holds a String as UTF-8
 * bytes (not NUL-terminated, never NULL) borrowed from the program, the event or the
 * evaluation context: valid until the context is next used, or the program or the event is
 * modified or destroyed, whichever comes first. */
typedef struct ce_sql_value {
    ce_sql_type type;
    int32_t i;
    ce_slice str;
} ce_sql_value;

/* "Boolean", "Integer" or "String"; never NULL. Thread-safe. */
CE_EXTERN const char *ce_sql_type_name(ce_sql_type t);

/* Append `v` as a JSON literal to `out`: true, -3, "a\"b" (JSON string escaping; non-ASCII
 * UTF-8 kept as is). Returns 0, CE_EINVAL, CE_ENOMEM or CE_ETOOBIG. */
CE_EXTERN int ce_sql_value_json(const ce_sql_value *v, ce_buf *out);

/* ------------------------------------------------------------------------------------------
 * Errors raised while evaluating (cesql/spec.md 3.3). Parse errors are reported by
 * ce_sql_compile; the others by the evaluation context after ce_sql_eval.
 * ------------------------------------------------------------------------------------------ */
typedef enum ce_sql_error_kind {
    CE_SQL_ERR_PARSE = 1,
    CE_SQL_ERR_MATH,
    CE_SQL_ERR_CAST,
    CE_SQL_ERR_MISSING_ATTRIBUTE,
    CE_SQL_ERR_MISSING_FUNCTION,
    CE_SQL_ERR_FUNCTION_EVALUATION,
    CE_SQL_ERR_GENERIC
} ce_sql_error_kind;

/* The TCK's name of `k`: "parse", "math", "cast", "missingAttribute", "missingFunction",
 * "functionEvaluation" or "generic"; never NULL. Thread-safe. */
CE_EXTERN const char *ce_sql_error_kind_name(ce_sql_error_kind k);

/* One evaluation error: its kind, the byte span [offset, offset+len) of the expression
 * that raised it (operator, function call or attribute) and a static English detail. */
typedef struct ce_sql_error {
    ce_sql_error_kind kind;
    uint32_t offset;
    uint32_t len;
    const char *msg;
} ce_sql_error;

/* ------------------------------------------------------------------------------------------
 * Compiling. A program is immutable once compiled: any number of threads may evaluate the
 * same program at once, each with its own context.
 * ------------------------------------------------------------------------------------------ */
typedef struct ce_sql_prog ce_sql_prog;

enum {
    /* Reject calls to unknown functions (or known names with the wrong number of arguments)
     * at compile time instead of evaluating them to false with a MissingFunctionError. */
    CE_SQL_STRICT_FUNCTIONS = 1 << 0
};

/* Compile options; zero-initialise for the defaults. */
typedef struct ce_sql_options {
    uint32_t max_depth;  /* 0 = CE_SQL_DEFAULT_MAX_DEPTH; at most CE_SQL_MAX_DEPTH_CEILING */
    uint32_t max_length; /* bytes; 0 = CE_SQL_DEFAULT_MAX_LENGTH; at most ..._CEILING */
    unsigned flags;      /* CE_SQL_STRICT_FUNCTIONS */
} ce_sql_options;

/* Compile expr[0..len) with default options. On success *out is a new program the caller
 * owns (ce_sql_prog_destroy). On failure *out is NULL, errstr says what is wrong and where
 * ("at byte 4 (line 1, column 5)"), and the return value is CE_ESYNTAX (any parse error),
 * CE_EUTF8 (the expression is not valid UTF-8), CE_EDEPTH (nesting limit), CE_ETOOBIG
 * (length limit), CE_EINVAL or CE_ENOMEM. Thread-safe. */
CE_EXTERN int ce_sql_compile(const char *expr, size_t len, ce_sql_prog **out, char *errstr,
                             size_t errstr_size);
/* As ce_sql_compile with options (NULL = defaults); when err_offset is non-NULL it receives
 * the byte offset of a parse error (0 for other failures). */
CE_EXTERN int ce_sql_compile_ex(const char *expr, size_t len, const ce_sql_options *opts,
                                ce_sql_prog **out, size_t *err_offset, char *errstr,
                                size_t errstr_size);
/* Free a program. NULL is a no-op. */
CE_EXTERN void ce_sql_prog_destroy(ce_sql_prog *prog);
/* The program's source text (a copy owned by the program) and its length. */
CE_EXTERN ce_slice ce_sql_prog_source(const ce_sql_prog *prog);
/* The static result type of the program, or 0 when it depends on the event (the expression
 * is a bare attribute). */
CE_EXTERN ce_sql_type ce_sql_prog_type(const ce_sql_prog *prog);

/* ------------------------------------------------------------------------------------------
 * Evaluating. A context holds the scratch memory for string results built during evaluation
 * (CONCAT, UPPER, Integer to String casts...) and the error list of the last evaluation. A
 * context is not thread-safe: use one per thread. It is not tied to a program.
 * ------------------------------------------------------------------------------------------ */
typedef struct ce_sql_ctx ce_sql_ctx;

/* New context with `scratch_bytes` of scratch memory (0 = CE_SQL_DEFAULT_SCRATCH), all
 * allocated now. A string result that would exceed it evaluates to "" with a GenericError.
 * Returns NULL on allocation failure. */
CE_EXTERN ce_sql_ctx *ce_sql_ctx_new(size_t scratch_bytes);
/* Free a context. NULL is a no-op. */
CE_EXTERN void ce_sql_ctx_destroy(ce_sql_ctx *ctx);

enum {
    /* Fail fast (spec 4.1): stop at the first error and return the zero value of the
     * expression's type. The default is complete evaluation: every operand is evaluated
     * (except where AND/OR short-circuit) and every error is reported. */
    CE_SQL_FAIL_FAST = 1 << 0
};

/* Evaluate `prog` against `ev` (NULL = an event with no attributes). Never allocates.
 * On return *out holds the result; with errors it is the zero value of the failing
 * operator's type (spec 3.2, 3.3) or the value a function defines (ABS, LEFT...).
 * Returns the number of errors raised (0 = none; see ce_sql_ctx_error*), or CE_EINVAL for
 * bad arguments. Thread-safe for distinct contexts. */
CE_EXTERN int ce_sql_eval(const ce_sql_prog *prog, ce_sql_ctx *ctx, const ce_event *ev,
                          unsigned flags, ce_sql_value *out);
/* Errors raised by the last ce_sql_eval with `ctx`: the total count (which may exceed
 * CE_SQL_MAX_ERRORS) and the idx-th stored one (NULL when idx is not stored). The pointer
 * is valid until the context is next used. */
CE_EXTERN size_t ce_sql_ctx_error_count(const ce_sql_ctx *ctx);
CE_EXTERN const ce_sql_error *ce_sql_ctx_error(const ce_sql_ctx *ctx, size_t idx);
/* Describe `err` in buf: "missingAttribute at byte 0 ('myext'): attribute not present in
 * the event". `prog` supplies the expression text (NULL omits the excerpt). Returns the
 * length the full message would have, like snprintf. */
CE_EXTERN size_t ce_sql_error_format(const ce_sql_prog *prog, const ce_sql_error *err, char *buf,
                                     size_t size);

/* Filter (spec 1.2): 1 when `prog` evaluates to Boolean true without any error, else 0.
 * Evaluates fail-fast. ce_sql_filter uses CE_SQL_FILTER_SCRATCH bytes of the C stack as
 * scratch (filters that build long strings should use ce_sql_filter_ctx). Neither
 * allocates. Thread-safe (ce_sql_filter_ctx: for distinct contexts). */
CE_EXTERN int ce_sql_filter(const ce_sql_prog *prog, const ce_event *ev);
CE_EXTERN int ce_sql_filter_ctx(const ce_sql_prog *prog, ce_sql_ctx *ctx, const ce_event *ev);

#ifdef __cplusplus
}
#endif
#endif /* CERELAY_CE_SQL_H */

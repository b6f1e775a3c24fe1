/* libcerelay-base, internal interface: the libc-only helpers every cer layer shares instead of
 * keeping its own copy (prefix cerx_). The public half is include/cerelay/err.h. */
#ifndef CERX_BASE_H
#define CERX_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cerelay/err.h"

#if defined(__GNUC__) || defined(__clang__)
#define CERX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CERX_PRINTF(a, b)
#endif

/* Format into a caller's error buffer: errstr may be NULL or errstr_size 0 (nothing written);
 * otherwise the result is NUL-terminated, truncated to fit. Returns `err` unchanged, so a
 * caller writes `return cerx_errf(CE_EINVAL, errstr, errstr_size, "...", ...)`. Thread-safe. */
int cerx_errf(int err, char *errstr, size_t errstr_size, const char *fmt, ...) CERX_PRINTF(4, 5);
int cerx_verrf(int err, char *errstr, size_t errstr_size, const char *fmt, va_list ap)
    CERX_PRINTF(4, 0);

/* ---- clock.c: ids and clocks ---------------------------------------------------------------- */
/* A fresh time-ordered unique id (UUIDv7 text, 36 chars + NUL). Thread-safe. */
void cer_uuid7(char out[37]);
/* Now as RFC 3339 UTC with milliseconds ("2026-02-27T12:00:00.000Z"). Thread-safe. */
void cer_now_rfc3339(char out[40]);
/* Monotonic clock in nanoseconds. Thread-safe. */
int64_t cer_mono_ns(void);

/* ---- vars.c: ${NAME} expansion --------------------------------------------------------- */
/* Looks a variable up: its value, or NULL when it is not set. */
typedef const char *(*cerx_getenv_fn)(void *ctx, const char *name);
enum {
    /* Also ${NAME:-default} (the default when NAME is unset) and $${ for a literal ${, and NAME
     * must be letters, digits and _ (not starting with a digit), at most 127 bytes. Without
     * it: ${NAME} only, NAME is everything up to the next }. */
    CERX_VARS_DEFAULTS = 1u << 0,
};
/* Expand every ${NAME} in `s`, looking names up with fn(ctx, name) (fn NULL: nothing is set).
 * With dst NULL, only measure; else write the result to dst, which must hold the measured
 * length (no NUL is written). *len gets the expanded length. `max` (0 = none) caps it.
 * Returns 0, CE_ESYNTAX (a malformed reference), CE_ENOTFOUND (an unset variable without a
 * default) or CE_ETOOBIG (over max), with errstr naming the byte or variable. Thread-safe as
 * far as fn is. */
int cerx_expand_vars(const char *s, char *dst, size_t *len, unsigned flags, cerx_getenv_fn fn,
                     void *ctx, size_t max, char *errstr, size_t errstr_size);

#endif

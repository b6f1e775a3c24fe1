/* libcerelay-base, internal interface: the libc-only helpers every cer layer shares instead of
 * keeping its own copy (prefix cerx_). The public half is include/cerelay/err.h. */
#ifndef CERX_BASE_H
#define CERX_BASE_H

#include <stdarg.h>
#include <stddef.h>

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

#endif

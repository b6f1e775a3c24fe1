/* Internal interfaces shared between files of the CloudEvents core (src/ce/). Not installed.
 * Names carry the ce__ prefix; nothing here is part of the public ABI. */
#ifndef CE_INTERNAL_H
#define CE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>

#include "cerelay/ce.h"

#if defined(__GNUC__) || defined(__clang__)
#define CE__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CE__LIKELY(x)    __builtin_expect(!!(x), 1)
#define CE__UNLIKELY(x)  __builtin_expect(!!(x), 0)
#else
#define CE__PRINTF(a, b)
#define CE__LIKELY(x)   (x)
#define CE__UNLIKELY(x) (x)
#endif

/* alloc.c: every allocation of the core goes through these. */
void *ce__malloc(size_t n);
void *ce__realloc(void *p, size_t n);
void ce__free(void *p);

/* err.c: format into a caller's error buffer (NUL-terminated, truncating). Returns `err`. */
int ce__errf(int err, char *errstr, size_t errstr_size, const char *fmt, ...) CE__PRINTF(4, 5);

/* utf8.c: validate UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 * Returns true when valid; on failure *bad_off (if non-NULL) is the offset of the first bad
 * byte. */
bool ce__utf8_valid(const char *s, size_t len, size_t *bad_off);
/* CloudEvents String rule: valid UTF-8 and no U+0000-U+001F, U+007F-U+009F, no noncharacters
 * (U+FDD0-U+FDEF, U+xxFFFE, U+xxFFFF). Returns 0 or CE_EUTF8/CE_EBADVALUE with detail. */
int ce__check_ce_string(const char *s, size_t len, char *errstr, size_t errstr_size);

/* event.c: set an attribute whose name is a slice (not NUL-terminated). Same contract as
 * ce_event_set. `name` is checked with ce_check_name. */
int ce__event_set_n(ce_event *e, const char *name, size_t name_len, ce_type t, const char *value,
                    size_t len, char *errstr, size_t errstr_size);
/* Integer / Boolean from an already-parsed value. */
int ce__event_set_int_n(ce_event *e, const char *name, size_t name_len, int32_t v, char *errstr,
                        size_t errstr_size);
int ce__event_set_bool_n(ce_event *e, const char *name, size_t name_len, int v, char *errstr,
                         size_t errstr_size);
/* The fixed type of a spec attribute name, or 0 for an extension. */
ce_type ce__spec_attr_type(const char *name, size_t len);
/* Iterate attributes in canonical order without the O(n) walk of ce_event_attr_at: start with
 * *cursor = 0; each call fills the next attribute and advances; CE_ENOTFOUND at the end. */
int ce__event_attr_next(const ce_event *e, size_t *cursor, const char **name, size_t *name_len,
                        ce_value *out);
/* Set data without checking it (the caller already validated JSON/UTF-8). */
int ce__event_set_data_trusted(ce_event *e, ce_data_kind kind, const void *bytes, size_t len);

/* value.c: parse a canonical Integer ("-12"; no '+', no leading zeros). Returns 0,
 * CE_EBADVALUE or CE_ERANGE. */
int ce__parse_int32(const char *s, size_t len, int32_t *out);
/* value.c: RFC 2046 media type shape check (type/subtype[;params]). */
int ce__check_media_type(const char *s, size_t len, char *errstr, size_t errstr_size);

#endif

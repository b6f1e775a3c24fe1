/* cerelay's one error space: every family's codes in one X-macro table (CER_ERRNO_MAP), with
 * non-overlapping ranges, one cer_strerror() and one cer_err_name() that name any code of any
 * family. Libc only; implemented in libcerelay-base (src/base/err.c).
 *
 * Ranges (a code is 0 for success or negative):
 *      -1 ..   -99  core, CE_E*            (include/cerelay/ce.h, CE_ERRNO_TABLE)
 *    -100 ..  -199  emitter, CER_E*        (below; include/cerelay/emitter.h)
 *    -200 ..  -299  local log, CER_LOG_E*  (below; include/cerelay/log.h)
 *    -300 ..  -399  sinks, CER_SINK_E*     (below; src/sink/sink.h)
 *   -1000 .. -1999  errno:       CER_FROM_ERRNO(e)  = -1000 - e        (e in 1..999)
 *   -2000 .. -2999  librdkafka:  CER_FROM_KAFKA(e)  = -2500 - e        (e in -499..499)
 *   -3000 .. -3499  libcurl:     CER_FROM_CURL(cc)  = -3000 - cc       (CURLcode)
 *   -3500 .. -3999  libcurl:     CER_FROM_CURLM(mc) = -3500 - mc       (CURLMcode, mc in 0..499)
 *   -4000 .. -4999  OpenSSL:     CER_FROM_SSL(r)    = -4000 - r % 1000 (ERR_GET_REASON)
 *   -5000 .. -5999  libmicrohttpd: CER_FROM_MHD(e)  = -5000 - e        (e in 0..999)
 * A foreign error is mapped once, where it enters cerelay (the call into the foreign library),
 * and its text goes into the caller's errstr; code above that boundary sees only this space. */
#ifndef CERELAY_ERR_H
#define CERELAY_ERR_H

#include "cerelay/ce.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CER_ERR_EXTERN __attribute__((visibility("default")))
#else
#define CER_ERR_EXTERN
#endif

/* The emitter's family, -100..-199 (public: include/cerelay/emitter.h). */
#define CER_EMITTER_ERRNO_TABLE(R, XX)                                                             \
    R(XX, CER_E, QUEUE_FULL, -100, "the emitter's in-memory queue is full; retry later")           \
    R(XX, CER_E, CLOSED, -101, "the emitter is shutting down")                                     \
    R(XX, CER_E, TIMEOUT, -102, "events still in flight when the timeout expired")                 \
    R(XX, CER_E, DELIVERY, -103, "the destination refused or failed the event")                    \
    R(XX, CER_E, DROPPED, -104, "dropped by the drop_oldest buffer policy")                        \
    R(XX, CER_E, DEADLETTER, -105, "rejected permanently and sent to dead letters")                \
    R(XX, CER_E, REJECTED, -106, "the destination can never take this event")

/* The local log's family, -200..-299 (public: include/cerelay/log.h). Until 2026-12 these
 * were -1..-12 and overlapped the core's codes (-5 was both CE_EDEPTH and CER_LOG_ELOCKED). */
#define CER_LOG_ERRNO_TABLE(R, XX)                                                                 \
    R(XX, CER_LOG_E, NOMEM, -201, "out of memory")                                                 \
    R(XX, CER_LOG_E, INVAL, -202, "invalid argument")                                              \
    R(XX, CER_LOG_E, IO, -203, "I/O error")                                                        \
    R(XX, CER_LOG_E, CORRUPT, -204, "corrupt log data")                                            \
    R(XX, CER_LOG_E, LOCKED, -205, "log directory is locked by another writer")                    \
    R(XX, CER_LOG_E, NOTFOUND, -206, "not found")                                                  \
    R(XX, CER_LOG_E, EXISTS, -207, "already exists with different settings")                       \
    R(XX, CER_LOG_E, TOOBIG, -208, "size limit exceeded")                                          \
    R(XX, CER_LOG_E, AGAIN, -209, "no record available yet")                                       \
    R(XX, CER_LOG_E, VERSION, -210, "unsupported format version")                                  \
    R(XX, CER_LOG_E, FAILED, -211,                                                                 \
      "partition failed after an I/O error; close and reopen the log")                             \
    R(XX, CER_LOG_E, LIMIT, -212, "too many topics, partitions or group entries")

/* The sinks' family, -300..-399 (internal: src/sink/sink.h). Until 2026-12 these were
 * -100..-104 and overlapped the emitter's codes. */
#define CER_SINK_ERRNO_TABLE(R, XX)                                                                \
    R(XX, CER_SINK_E, QUEUE, -300, "the sink's local queue is full")                               \
    R(XX, CER_SINK_E, TRANSPORT, -301, "the destination failed or refused the event")              \
    R(XX, CER_SINK_E, TIMEOUT, -302, "flush timed out with events still in flight")                \
    R(XX, CER_SINK_E, PURGED, -303, "not sent: the sink was closed or rebuilt first")              \
    R(XX, CER_SINK_E, REJECTED, -304, "the destination can never take this event")

/* The whole space: CER_ERRNO_MAP(XX) calls XX(FULL_NAME, code, message) once per code, for
 * every family, in range order. Foreign codes are ranges, not rows (cer_strerror names them). */
#define CER__ERRNO_FULL(XX, prefix, name, code, msg) XX(prefix##name, code, msg)
#define CER_ERRNO_MAP(XX)                                                                          \
    CE_ERRNO_TABLE(CER__ERRNO_FULL, XX)                                                            \
    CER_EMITTER_ERRNO_TABLE(CER__ERRNO_FULL, XX)                                                   \
    CER_LOG_ERRNO_TABLE(CER__ERRNO_FULL, XX)                                                       \
    CER_SINK_ERRNO_TABLE(CER__ERRNO_FULL, XX)

/* The families, in range order: CER_ERR_FAMILIES(XX) calls XX(ID, name, lowest, highest). */
#define CER_ERR_FAMILIES(XX)                                                                       \
    XX(CORE, "core", -99, -1)                                                                      \
    XX(EMITTER, "emitter", -199, -100)                                                             \
    XX(LOG, "log", -299, -200)                                                                     \
    XX(SINK, "sink", -399, -300)                                                                   \
    XX(ERRNO, "errno", -1999, -1000)                                                               \
    XX(KAFKA, "librdkafka", -2999, -2000)                                                          \
    XX(CURL, "libcurl", -3499, -3000)                                                              \
    XX(CURLM, "libcurl-multi", -3999, -3500)                                                       \
    XX(SSL, "OpenSSL", -4999, -4000)                                                               \
    XX(MHD, "libmicrohttpd", -5999, -5000)

typedef enum cer_err_family {
    CER_ERR_FAMILY_NONE = 0, /* 0 (success), positive values and codes outside every range */
#define CER__FAMILY_ENUM(id, name, lo, hi) CER_ERR_FAMILY_##id,
    CER_ERR_FAMILIES(CER__FAMILY_ENUM)
#undef CER__FAMILY_ENUM
} cer_err_family;

/* Foreign errors, mapped where they enter (see the range table above). */
#define CER_FROM_ERRNO(e)    (-1000 - (e))
#define CER_FROM_KAFKA(e)    (-2500 - (e))
#define CER_FROM_CURL(cc)    (-3000 - (int)(cc))
#define CER_FROM_CURLM(mc)   (-3500 - (int)(mc))
#define CER_FROM_SSL(reason) (-4000 - (int)((reason) % 1000))
#define CER_FROM_MHD(e)      (-5000 - (int)(e))

/* A static English description of any code of any family; never NULL; thread-safe. A table
 * code gives its message; an errno code gives strerror's text; another foreign code or a code
 * inside a family's range but not in its table names its family ("librdkafka error",
 * "unknown log error"); a code outside every range gives "unknown error". */
CER_ERR_EXTERN const char *cer_strerror(int err);
/* The symbolic name of any table code ("CER_LOG_ELOCKED"), "CER_OK" for 0, or the family's
 * generic name for other codes ("CER_EERRNO", "CER_EKAFKA", "CER_EUNKNOWN"); never NULL.
 * Thread-safe. */
CER_ERR_EXTERN const char *cer_err_name(int err);
/* The family `err` falls in (CER_ERR_FAMILY_NONE for 0, positive or unranged codes), and its
 * name ("core", "log", "librdkafka", or "none"). Thread-safe. */
CER_ERR_EXTERN cer_err_family cer_err_family_of(int err);
CER_ERR_EXTERN const char *cer_err_family_name(cer_err_family f);

#ifdef __cplusplus
}
#endif

#endif

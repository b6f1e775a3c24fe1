/* Rate-limited, aggregated log lines (issue 19): per (kind, reason) key at most one line per
 * interval, carrying how many times it happened since the last line. Shared by the emitter, the
 * pipeline and the relay (it sits in the sink layer, below all of them, beside the clock and the
 * uuid of util.c). It prints nothing itself: cer_ratelog_hit says when and with what count the
 * caller should write its line. Counters elsewhere keep the exact numbers. */
#ifndef CER_SINK_RATELOG_H
#define CER_SINK_RATELOG_H

#include <stddef.h>
#include <stdint.h>

/* Keys kept (kind + reason); occurrences of further keys share one "(other reasons)" key per
 * ratelog. Reasons are compared on their first CER_RATELOG_REASON_MAX - 1 bytes. */
enum { CER_RATELOG_KEYS = 256, CER_RATELOG_REASON_MAX = 160 };
#define CER_RATELOG_DEFAULT_INTERVAL_MS 10000

typedef struct cer_ratelog cer_ratelog;

/* A new limiter with the given interval (0: CER_RATELOG_DEFAULT_INTERVAL_MS). NULL when out of
 * memory; every call below accepts NULL (cer_ratelog_hit then returns 1: log everything). */
cer_ratelog *cer_ratelog_new(uint64_t interval_ms);
void cer_ratelog_destroy(cer_ratelog *rl);
/* Change the interval (a reload). Thread-safe. */
void cer_ratelog_set_interval(cer_ratelog *rl, uint64_t interval_ms);
/* Count one occurrence of (kind, reason) (kind: a static string; reason: reason_len bytes, or
 * NUL-terminated when reason_len is SIZE_MAX). Returns the number of occurrences the caller's
 * line should report (this one included) when it should write its line now — the first
 * occurrence of a key, and then the first one at least an interval after the last line — else
 * 0. Thread-safe and lock-free. */
uint64_t cer_ratelog_hit(cer_ratelog *rl, const char *kind, const char *reason, size_t reason_len);
/* Call fn for every key with occurrences not reported yet (count > 0), and reset them: the
 * last lines before exit. Not concurrent with itself. */
void cer_ratelog_flush(cer_ratelog *rl,
                       void (*fn)(void *ctx, const char *kind, const char *reason, uint64_t n),
                       void *ctx);

#endif

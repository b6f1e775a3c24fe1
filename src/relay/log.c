/* Structured logs to stderr: `text` (time level message) or `json` (one object per line). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "relay/relay.h"
#include "sink/ratelog.h"

static int log_format = CER_CONFIG_LOG_TEXT, log_level = CER_CONFIG_LEVEL_INFO;

void cer__relay_log_setup(int format, int level)
{
    log_format = format ? format : CER_CONFIG_LOG_TEXT;
    log_level = level ? level : CER_CONFIG_LEVEL_INFO;
}

void cer__relay_log(int level, const char *fmt, ...)
{
    if (level < log_level)
        return;
    static const char *const names[] = {"", "debug", "info", "warn", "error"};
    char msg[1024], ts[40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    ce_timestamp_format((int64_t)now.tv_sec * 1000000000 + now.tv_nsec, 3, ts);
    const char *lv = level >= 1 && level <= 4 ? names[level] : "info";
    if (log_format == CER_CONFIG_LOG_JSON) {
        char esc[2100];
        size_t o = 0;
        for (const char *p = msg; *p && o < sizeof esc - 8; p++) {
            unsigned char c = (unsigned char)*p;
            if (c == '"' || c == '\\') {
                esc[o++] = '\\';
                esc[o++] = (char)c;
            } else if (c < 0x20) {
                o += (size_t)snprintf(esc + o, 8, "\\u%04x", c);
            } else {
                esc[o++] = (char)c;
            }
        }
        esc[o] = 0;
        fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts, lv, esc);
    } else {
        fprintf(stderr, "%s %-5s %s\n", ts, lv, msg);
    }
}

void cer__relay_log_sampled(relay *r, int level, const char *kind, const char *reason,
                            size_t reason_len, const char *fmt, ...)
{
    if (level < log_level)
        return;
    uint64_t n = cer_ratelog_hit(r->rl, kind, reason, reason_len);
    if (!n)
        return;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cer__relay_log(level, "%s [%llu since the last such line]", msg, (unsigned long long)n);
}

static void log_left(void *ctx, const char *kind, const char *reason, uint64_t n)
{
    (void)ctx;
    cer__relay_log(CER_CONFIG_LEVEL_WARN, "%s %s: [%llu since the last such line]", kind, reason,
                   (unsigned long long)n);
}

void cer__relay_log_flush(relay *r)
{
    cer_ratelog_flush(r->rl, log_left, r);
}

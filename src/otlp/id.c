/* Event ids: a random time-ordered UUIDv7 (the default), or a UUIDv8 derived from SHA-256 of
 * the event's content so that an exporter's retry of the same records yields the same ids. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "otlp/internal.h"

static void format_uuid(const uint8_t b[16], char out[CER_OTLP_ID_MAX])
{
    static const char hx[] = "0123456789abcdef";
    size_t n = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[n++] = '-';
        out[n++] = hx[b[i] >> 4];
        out[n++] = hx[b[i] & 15];
    }
    out[n] = 0;
}

int cer__otlp_uuid7(cer__otlp_rand *pool, char out[CER_OTLP_ID_MAX])
{
    uint8_t b[16];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    if (pool->left < 10) {
        size_t got = 0;
        while (got < sizeof pool->buf) {
            ssize_t r = getrandom(pool->buf + got, sizeof pool->buf - got, 0);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                pool->left = 0;
                return CE_EIO;
            }
            got += (size_t)r;
        }
        pool->left = sizeof pool->buf;
    }
    pool->left -= 10;
    memcpy(b + 6, pool->buf + pool->left, 10);
    memset(pool->buf + pool->left, 0, 10); /* each random byte is used once */
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f)); /* variant 10 */
    format_uuid(b, out);
    return 0;
}

static void hash_attr(cer__otlp_sha256_ctx *c, const ce_event *ev, const char *name)
{
    ce_slice s = ce_event_get_str(ev, name);
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)s.len >> (56 - 8 * i));
    cer__otlp_sha256_update(c, name, strlen(name) + 1);
    cer__otlp_sha256_update(c, len, 8); /* length-prefixed: no two inputs run together */
    if (s.len)
        cer__otlp_sha256_update(c, s.ptr, s.len);
}

void cer__otlp_content_id(const ce_event *ev, char out[CER_OTLP_ID_MAX])
{
    cer__otlp_sha256_ctx c;
    cer__otlp_sha256_init(&c);
    cer__otlp_sha256_update(&c, "cerelay-otlp-id-v1", 19);
    static const char *const attrs[] = {"type", "source", "subject", "time", "traceparent"};
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        hash_attr(&c, ev, attrs[i]);
    ce_slice d = ce_event_data(ev);
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)d.len >> (56 - 8 * i));
    cer__otlp_sha256_update(&c, "data", 5);
    cer__otlp_sha256_update(&c, len, 8);
    if (d.len)
        cer__otlp_sha256_update(&c, d.ptr, d.len);
    uint8_t h[32];
    cer__otlp_sha256_final(&c, h);
    h[6] = (uint8_t)(0x80 | (h[6] & 0x0f)); /* version 8 (RFC 9562 custom) */
    h[8] = (uint8_t)(0x80 | (h[8] & 0x3f)); /* variant 10 */
    format_uuid(h, out);
}

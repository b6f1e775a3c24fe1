/* Record framing: encode a cer_log_rec into its on-disk bytes and check/decode them again.
 * Decoding is zero-copy (the result points into the caller's buffer) and never trusts a length
 * field before the CRC32C and the structure have been checked. Layout: docs/log-format.md. */
#include <string.h>

#include "log/internal.h"

size_t cer_log__rec_size(const cer_log_rec *r, size_t max, int *err)
{
    *err = CER_LOG_EINVAL;
    if ((!r->key && r->key_len) || (!r->value && r->value_len) ||
        (!r->headers && r->header_count) || r->header_count > 0xffff)
        return 0;
    *err = CER_LOG_ETOOBIG;
    if (max > CER_LOG__RECORD_LIMIT)
        max = CER_LOG__RECORD_LIMIT;
    size_t total = CER_LOG__REC_MIN;
    if (r->key_len > max || r->value_len > max)
        return 0;
    total += r->key_len + r->value_len;
    for (size_t i = 0; i < r->header_count && total <= max; i++) {
        const cer_log_header *h = &r->headers[i];
        if ((!h->name && h->name_len) || (!h->value && h->value_len)) {
            *err = CER_LOG_EINVAL;
            return 0;
        }
        if (h->name_len > 0xffff || h->value_len > max)
            return 0;
        total += 6 + h->name_len + h->value_len;
    }
    if (total > max)
        return 0;
    *err = 0;
    return total;
}

static uint8_t *put_bytes(uint8_t *p, const void *src, size_t n)
{
    if (n)
        memcpy(p, src, n);
    return p + n;
}

void cer_log__rec_encode(uint8_t *dst, size_t size, const cer_log_rec *r, int64_t offset,
                         int64_t ts)
{
    uint16_t attrs = (uint16_t)((r->key ? 0 : CER_LOG__ATTR_KEY_NULL) |
                                (r->value ? 0 : CER_LOG__ATTR_VALUE_NULL));
    cer_log__put32(dst, (uint32_t)(size - 4));
    cer_log__put16(dst + 8, attrs);
    cer_log__put16(dst + 10, (uint16_t)r->header_count);
    cer_log__put64(dst + 12, (uint64_t)offset);
    cer_log__put64(dst + 20, (uint64_t)ts);
    cer_log__put32(dst + 28, (uint32_t)r->key_len);
    uint8_t *p = put_bytes(dst + 32, r->key, r->key_len);
    cer_log__put32(p, (uint32_t)r->value_len);
    p = put_bytes(p + 4, r->value, r->value_len);
    for (size_t i = 0; i < r->header_count; i++) {
        const cer_log_header *h = &r->headers[i];
        cer_log__put16(p, (uint16_t)h->name_len);
        p = put_bytes(p + 2, h->name, h->name_len);
        cer_log__put32(p, (uint32_t)h->value_len);
        p = put_bytes(p + 4, h->value, h->value_len);
    }
    (void)p;
    cer_log__put32(dst + 4, cer_log_crc32c(0, dst + 8, size - 8));
}

cer_log__frame cer_log__rec_frame(const uint8_t *buf, size_t avail, size_t max, size_t *total)
{
    if (avail < 4)
        return CER_LOG__FRAME_SHORT;
    uint32_t len = cer_log__get32(buf);
    if (len < CER_LOG__REC_MIN - 4 || (size_t)len + 4 > max)
        return CER_LOG__FRAME_BAD;
    *total = (size_t)len + 4;
    return avail < *total ? CER_LOG__FRAME_SHORT : CER_LOG__FRAME_OK;
}

bool cer_log__rec_check(const uint8_t *buf, size_t total, int64_t *offset, int64_t *ts,
                        size_t *nheaders)
{
    if (total < CER_LOG__REC_MIN || cer_log__get32(buf) != total - 4)
        return false;
    if (cer_log_crc32c(0, buf + 8, total - 8) != cer_log__get32(buf + 4))
        return false;
    uint16_t attrs = cer_log__get16(buf + 8);
    if (attrs & ~(CER_LOG__ATTR_KEY_NULL | CER_LOG__ATTR_VALUE_NULL))
        return false;
    size_t nh = cer_log__get16(buf + 10);
    size_t p = 28, left = total - 28;
    uint32_t klen = cer_log__get32(buf + p);
    if ((attrs & CER_LOG__ATTR_KEY_NULL) && klen)
        return false;
    if ((size_t)klen + 8 > left) /* key_len field + key + value_len field */
        return false;
    p += 4 + klen;
    left -= 4 + klen;
    uint32_t vlen = cer_log__get32(buf + p);
    if ((attrs & CER_LOG__ATTR_VALUE_NULL) && vlen)
        return false;
    if ((size_t)vlen + 4 > left)
        return false;
    p += 4 + vlen;
    left -= 4 + vlen;
    for (size_t i = 0; i < nh; i++) {
        if (left < 2)
            return false;
        size_t nl = cer_log__get16(buf + p);
        if (nl + 6 > left)
            return false;
        p += 2 + nl;
        left -= 2 + nl;
        uint32_t hv = cer_log__get32(buf + p);
        if ((size_t)hv + 4 > left)
            return false;
        p += 4 + hv;
        left -= 4 + hv;
    }
    if (left != 0)
        return false;
    *offset = (int64_t)cer_log__get64(buf + 12);
    *ts = (int64_t)cer_log__get64(buf + 20);
    *nheaders = nh;
    return true;
}

void cer_log__rec_decode(const uint8_t *buf, size_t total, cer_log_rec *out, cer_log_header *hdrs)
{
    (void)total;
    uint16_t attrs = cer_log__get16(buf + 8);
    size_t nh = cer_log__get16(buf + 10);
    out->offset = (int64_t)cer_log__get64(buf + 12);
    out->timestamp_ms = (int64_t)cer_log__get64(buf + 20);
    size_t p = 28;
    out->key_len = cer_log__get32(buf + p);
    out->key = (attrs & CER_LOG__ATTR_KEY_NULL) ? NULL : buf + p + 4;
    p += 4 + out->key_len;
    out->value_len = cer_log__get32(buf + p);
    out->value = (attrs & CER_LOG__ATTR_VALUE_NULL) ? NULL : buf + p + 4;
    p += 4 + out->value_len;
    for (size_t i = 0; i < nh; i++) {
        hdrs[i].name_len = cer_log__get16(buf + p);
        hdrs[i].name = buf + p + 2;
        p += 2 + hdrs[i].name_len;
        hdrs[i].value_len = cer_log__get32(buf + p);
        hdrs[i].value = buf + p + 4;
        p += 4 + hdrs[i].value_len;
    }
    out->headers = nh ? hdrs : NULL;
    out->header_count = nh;
}

/* CRC32C (Castagnoli) for record and file-header checksums: a portable slicing-by-8 version and,
 * on x86-64, the SSE4.2 crc32 instruction chosen at run time. Both give identical results. */
#include <string.h>

#include "log/internal.h"

#include "crc32c_table.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

uint32_t cer_log__crc32c_sw(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    const uint32_t(*t)[256] = cer_log__crc32c_table;
    crc = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
        len--;
    }
    while (len >= 8) {
        uint32_t lo = crc ^ cer_log__get32(p);
        uint32_t hi = cer_log__get32(p + 4);
        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
              t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t cer_log__crc32c_hw(uint32_t crc, const void *data,
                                                              size_t len)
{
    const uint8_t *p = data;
    uint64_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

bool cer_log__crc32c_hw_available(void)
{
    return __builtin_cpu_supports("sse4.2");
}
#else
uint32_t cer_log__crc32c_hw(uint32_t crc, const void *data, size_t len)
{
    return cer_log__crc32c_sw(crc, data, len);
}

bool cer_log__crc32c_hw_available(void)
{
    return false;
}
#endif

uint32_t cer_log_crc32c(uint32_t crc, const void *data, size_t len)
{
    if (cer_log__crc32c_hw_available())
        return cer_log__crc32c_hw(crc, data, len);
    return cer_log__crc32c_sw(crc, data, len);
}

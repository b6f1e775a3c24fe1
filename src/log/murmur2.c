/* Kafka-compatible key partitioning: murmur2 exactly as org.apache.kafka.common.utils.Utils.murmur2
 * (MurmurHash2, seed 0x9747b28c, little-endian 4-byte blocks) and the Java client's
 * toPositive(hash) % partitions. */
#include "log/internal.h"

int32_t cer_log_murmur2(const void *key, size_t len)
{
    const uint8_t *d = key;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    /* Java hashes an int length; keys never approach 2 GiB, the cast matches it below that. */
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t n4 = len / 4;
    for (size_t i = 0; i < n4; i++) {
        uint32_t k = cer_log__get32(d + 4 * i);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *tail = d + (len & ~(size_t)3);
    switch (len & 3) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= tail[0];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t cer_log_partition_for_key(const void *key, size_t len, int32_t partitions)
{
    if (partitions <= 0)
        return CER_LOG_EINVAL;
    uint32_t positive = (uint32_t)cer_log_murmur2(key, len) & 0x7fffffffu;
    return (int32_t)(positive % (uint32_t)partitions);
}

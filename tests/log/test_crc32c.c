/* CRC32C: published check values, and agreement of the table and SSE4.2 paths on every length,
 * alignment and split. */
#include "log/internal.h"
#include "logtest.h"

/* The CRC catalogue's check value for CRC-32/ISCSI, and the RFC 3720 appendix B.4 examples. */
TEST(known_vectors)
{
    uint8_t buf[32];
    CHECK_EQ_INT(cer_log_crc32c(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_INT(cer_log__crc32c_sw(0, "123456789", 9), 0xE3069283u);
    memset(buf, 0, 32);
    CHECK_EQ_INT(cer_log_crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    CHECK_EQ_INT(cer_log_crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    CHECK_EQ_INT(cer_log_crc32c(0, buf, 32), 0x46DD794Eu);
    CHECK_EQ_INT(cer_log__crc32c_sw(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    CHECK_EQ_INT(cer_log_crc32c(0, buf, 32), 0x113FDB5Cu);
    CHECK_EQ_INT(cer_log_crc32c(0, NULL, 0), 0);
}

TEST(paths_agree_on_all_lengths_alignments_and_splits)
{
    uint8_t buf[1100];
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)lt_rand(&s);
    bool hw = cer_log__crc32c_hw_available();
    fprintf(stderr, "SSE4.2 crc32 available: %s\n", hw ? "yes" : "no");
    int bad = 0;
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len + off <= 1030; len += (len < 80 ? 1 : 37)) {
            uint32_t a = cer_log__crc32c_sw(0, buf + off, len);
            uint32_t b = hw ? cer_log__crc32c_hw(0, buf + off, len) : a;
            size_t cut = len / 3;
            uint32_t c =
                cer_log_crc32c(cer_log_crc32c(0, buf + off, cut), buf + off + cut, len - cut);
            if (a != b || a != c)
                bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
}

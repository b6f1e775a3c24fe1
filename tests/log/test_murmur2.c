/* Kafka-compatible partitioning: murmur2 against the Java client's and librdkafka's own test
 * vectors, and the partition numbers toPositive(murmur2(key)) % n they imply. */
#include "logtest.h"

/* From apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java,
 * testMurmur2 (the expected values are what Utils.murmur2 returns as a Java int). */
TEST(java_utils_test_vectors)
{
    static const struct {
        const char *key;
        int32_t hash;
    } v[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        {"abc", 479470107},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        CHECK_EQ_INT(cer_log_murmur2(v[i].key, strlen(v[i].key)), v[i].hash);
}

/* From confluentinc/librdkafka src/rdmurmur2.c, unittest_murmur2() (values "matching the Java
 * client"), including its unaligned-pointer cases; and the earlier unittest_murmurhashneutral2()
 * whose expected values are already toPositive()'d ("amqp" appears only there). */
TEST(librdkafka_vectors)
{
    static const char short_unaligned[] = "1234";
    static const char unaligned[] = "PreAmbleWillBeRemoved,ThePrePartThatIs";
    static const struct {
        const char *key;
        uint32_t hash;
    } v[] = {
        {"kafka", 0xd067cf64},
        {"giberish123456789", 0x8f552b0c},
        {short_unaligned, 0x9fc97b14},
        {short_unaligned + 1, 0xe7c009ca},
        {short_unaligned + 2, 0x873930da},
        {short_unaligned + 3, 0x5a4b5ca1},
        {unaligned, 0x78424f1c},
        {unaligned + 1, 0x4a62b377},
        {unaligned + 2, 0xe0e4e09e},
        {unaligned + 3, 0x62b8b43f},
        {"", 0x106e08d9},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        CHECK_EQ_INT((uint32_t)cer_log_murmur2(v[i].key, strlen(v[i].key)), v[i].hash);
    CHECK_EQ_INT((uint32_t)cer_log_murmur2(NULL, 0), 0x106e08d9u);
    CHECK_EQ_INT(cer_log_murmur2("kafka", 5) & 0x7fffffff, 1348980580);
    CHECK_EQ_INT(cer_log_murmur2("amqp", 4) & 0x7fffffff, 767747138);
    CHECK_EQ_INT(cer_log_murmur2("giberish123456789", 17) & 0x7fffffff, 257239820);
}

/* partition = (hash & 0x7fffffff) % n, worked out from the vectors above. */
TEST(partition_numbers_for_known_keys)
{
    static const struct {
        const char *key;
        int32_t p3, p6, p12, p100;
    } v[] = {
        {"21", 0, 0, 0, 40},
        {"foobar", 0, 0, 6, 66},
        {"a-little-bit-long-string", 2, 2, 8, 12},
        {"a-little-bit-longer-string", 2, 5, 11, 19},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 2, 5, 5, 77},
        {"abc", 0, 3, 3, 7},
        {"kafka", 1, 4, 4, 80},
        {"giberish123456789", 2, 2, 8, 20},
        {"", 0, 3, 9, 81},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = strlen(v[i].key);
        CHECK_EQ_INT(cer_log_partition_for_key(v[i].key, n, 1), 0);
        CHECK_EQ_INT(cer_log_partition_for_key(v[i].key, n, 3), v[i].p3);
        CHECK_EQ_INT(cer_log_partition_for_key(v[i].key, n, 6), v[i].p6);
        CHECK_EQ_INT(cer_log_partition_for_key(v[i].key, n, 12), v[i].p12);
        CHECK_EQ_INT(cer_log_partition_for_key(v[i].key, n, 100), v[i].p100);
    }
    CHECK_EQ_INT(cer_log_partition_for_key("x", 1, 0), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_partition_for_key("x", 1, -3), CER_LOG_EINVAL);
}

/* Keys with the high bit set in the hash must still land in range (toPositive, not abs). */
TEST(partition_always_in_range)
{
    char key[32];
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(key, sizeof key, "tenant-%d", i);
        int32_t p = cer_log_partition_for_key(key, (size_t)n, 7);
        bad += p < 0 || p >= 7;
    }
    CHECK_EQ_INT(bad, 0);
}

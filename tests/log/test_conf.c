/* Configuration keys (src/log/conf.c): defaults, parsing, ranges and error messages. */
#include "logtest.h"

TEST(defaults_and_roundtrip)
{
    cer_log_conf *c = cer_log_conf_new();
    char v[64];
    CHECK_EQ_INT(cer_log_conf_get(c, "segment.bytes", v, sizeof v), 0);
    CHECK_EQ_STR(v, "134217728");
    CHECK_EQ_INT(cer_log_conf_get(c, "fsync", v, sizeof v), 0);
    CHECK_EQ_STR(v, "always");
    CHECK_EQ_INT(cer_log_conf_get(c, "retention.bytes", v, sizeof v), 0);
    CHECK_EQ_STR(v, "-1");
    CHECK_EQ_INT(cer_log_conf_get(c, "retention.ms", v, sizeof v), 0);
    CHECK_EQ_STR(v, "604800000");
    CHECK_EQ_INT(cer_log_conf_get(c, "max.record.bytes", v, sizeof v), 0);
    CHECK_EQ_STR(v, "2097152");
    char err[256];
    CHECK_EQ_INT(cer_log_conf_set(c, "fsync", "interval", err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_conf_get(c, "fsync", v, sizeof v), 0);
    CHECK_EQ_STR(v, "interval");
    CHECK_EQ_INT(cer_log_conf_set(c, "segment.bytes", "1048576", err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_conf_get(c, "segment.bytes", v, sizeof v), 0);
    CHECK_EQ_STR(v, "1048576");
    CHECK_EQ_INT(cer_log_conf_get(c, "nope", v, sizeof v), CER_LOG_ENOTFOUND);
    cer_log_conf_destroy(c);
    cer_log_conf_destroy(NULL);
}

TEST(invalid_values_name_the_key)
{
    cer_log_conf *c = cer_log_conf_new();
    char err[256], v[64];
    CHECK_EQ_INT(cer_log_conf_set(c, "fsync", "sometimes", err, sizeof err), CER_LOG_EINVAL);
    CHECK_CONTAINS(err, "fsync");
    CHECK_EQ_INT(cer_log_conf_set(c, "segment.bytes", "100", err, sizeof err), CER_LOG_EINVAL);
    CHECK_CONTAINS(err, "segment.bytes");
    CHECK_CONTAINS(err, "[1024, 2147483647]");
    CHECK_EQ_INT(cer_log_conf_set(c, "segment.bytes", "12x", err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_conf_set(c, "segment.bytes", "", err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_conf_set(c, "retention.ms", "-2", err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_conf_set(c, "max.record.bytes", "67108865", err, sizeof err),
                 CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_conf_set(c, "segment.byte", "1", err, sizeof err), CER_LOG_ENOTFOUND);
    CHECK_CONTAINS(err, "segment.byte");
    /* unchanged after failures */
    CHECK_EQ_INT(cer_log_conf_get(c, "segment.bytes", v, sizeof v), 0);
    CHECK_EQ_STR(v, "134217728");
    CHECK_EQ_INT(cer_log_conf_get(c, "fsync", v, sizeof v), 0);
    CHECK_EQ_STR(v, "always");
    cer_log_conf_destroy(c);
}

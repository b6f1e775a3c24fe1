/* Tests for src/base/err.c: the one error space (CER_ERRNO_MAP), cer_strerror, cer_err_name,
 * the families' ranges and the errstr helper. */
#include <errno.h>
#include <string.h>

#include "base/base.h"
#include "cerelay/emitter.h"
#include "cerelay/log.h"
#include "harness.h"
#include "sink/sink.h"

static const struct row {
    const char *name;
    int code;
    const char *msg;
} rows[] = {
#define XX(name, code, msg) {#name, code, msg},
    CER_ERRNO_MAP(XX)
#undef XX
};
#define NROWS (sizeof rows / sizeof rows[0])

TEST(every_code_distinct_named_and_in_its_family)
{
    CHECK(NROWS >= 20 + 7 + 12 + 5);
    for (size_t i = 0; i < NROWS; i++) {
        CHECK(rows[i].code < 0);
        for (size_t j = i + 1; j < NROWS; j++)
            if (rows[i].code == rows[j].code)
                cer_test_fail(__FILE__, __LINE__, "%s and %s share %d", rows[i].name, rows[j].name,
                              rows[i].code);
        CHECK_EQ_STR(cer_err_name(rows[i].code), rows[i].name);
        CHECK_EQ_STR(cer_strerror(rows[i].code), rows[i].msg);
        cer_err_family f = cer_err_family_of(rows[i].code);
        const char *want = strncmp(rows[i].name, "CE_E", 4) == 0          ? "core"
                           : strncmp(rows[i].name, "CER_LOG_E", 9) == 0   ? "log"
                           : strncmp(rows[i].name, "CER_SINK_E", 10) == 0 ? "sink"
                           : strncmp(rows[i].name, "CER_E", 5) == 0       ? "emitter"
                                                                          : "?";
        CHECK_EQ_STR(cer_err_family_name(f), want);
    }
}

TEST(families_do_not_overlap)
{
    struct {
        int lo, hi;
    } r[] = {
#define XX(id, name, lo, hi) {lo, hi},
        CER_ERR_FAMILIES(XX)
#undef XX
    };
    size_t n = sizeof r / sizeof r[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(r[i].lo <= r[i].hi && r[i].hi < 0);
        for (size_t j = i + 1; j < n; j++)
            CHECK(r[i].hi < r[j].lo || r[j].hi < r[i].lo);
    }
}

/* The codes that meant two things before the one error space. */
TEST(old_collisions_are_gone)
{
    /* Each family is its own enum, so comparing across families directly draws
     * -Wenum-compare (an error under -Werror): compare as ints here. */
    CHECK((int)CE_EDEPTH != (int)CER_LOG_ELOCKED);
    CHECK((int)CER_ECLOSED != (int)CER_SINK_ETRANSPORT);
    CHECK_EQ_STR(cer_err_name(CE_EDEPTH), "CE_EDEPTH");
    CHECK_EQ_STR(cer_err_name(CER_LOG_ELOCKED), "CER_LOG_ELOCKED");
    CHECK_EQ_STR(cer_err_name(CER_ECLOSED), "CER_ECLOSED");
    CHECK_EQ_STR(cer_err_name(CER_SINK_ETRANSPORT), "CER_SINK_ETRANSPORT");
}

/* Unchanged public values: the core's and the emitter's codes are ABI. */
TEST(public_values_unchanged)
{
    CHECK_EQ_INT(CE_ENOMEM, -1);
    CHECK_EQ_INT(CE_EDEPTH, -5);
    CHECK_EQ_INT(CE_EMODE, -20);
    CHECK_EQ_INT(CER_EQUEUE_FULL, -100);
    CHECK_EQ_INT(CER_EREJECTED, -106);
    CHECK_EQ_STR(ce_err_name(CE_EDEPTH), "CE_EDEPTH");
    CHECK_EQ_STR(cer_log_err_name(CER_LOG_ELOCKED), "CER_LOG_ELOCKED");
}

TEST(strerror_each_family)
{
    CHECK_EQ_STR(cer_strerror(0), "success");
    CHECK_EQ_STR(cer_strerror(CE_ENOMEM), "out of memory");
    CHECK_EQ_STR(cer_strerror(CER_ETIMEOUT), "events still in flight when the timeout expired");
    CHECK_EQ_STR(cer_strerror(CER_LOG_ELOCKED), "log directory is locked by another writer");
    CHECK_EQ_STR(cer_strerror(CER_SINK_ETRANSPORT), "the destination failed or refused the event");
    /* The core's strerror knows only its own family: the reason the CLI now calls cer_. */
    CHECK_EQ_STR(ce_strerror(CER_SINK_ETRANSPORT), "unknown error");
    CHECK_EQ_STR(cer_strerror(CER_FROM_ERRNO(ENOENT)), "No such file or directory");
    CHECK_EQ_STR(cer_err_name(CER_FROM_ERRNO(ENOENT)), "CER_EERRNO");
    CHECK_EQ_STR(cer_strerror(CER_FROM_KAFKA(-195)), "librdkafka error");
    CHECK_EQ_STR(cer_err_name(CER_FROM_KAFKA(-195)), "CER_EKAFKA");
    CHECK_EQ_STR(cer_strerror(CER_FROM_KAFKA(3)), "librdkafka error");
    CHECK_EQ_STR(cer_strerror(CER_FROM_CURL(7)), "libcurl error");
    CHECK_EQ_STR(cer_strerror(CER_FROM_CURLM(1)), "libcurl multi error");
    CHECK_EQ_STR(cer_strerror(CER_FROM_SSL(0x6b)), "OpenSSL error");
    CHECK_EQ_STR(cer_strerror(CER_FROM_MHD(1)), "libmicrohttpd error");
    CHECK_EQ_INT(cer_err_family_of(CER_FROM_CURL(7)), CER_ERR_FAMILY_CURL);
    CHECK_EQ_INT(cer_err_family_of(CER_FROM_KAFKA(-199)), CER_ERR_FAMILY_KAFKA);
    CHECK_EQ_INT(cer_err_family_of(CER_FROM_KAFKA(99)), CER_ERR_FAMILY_KAFKA);
}

TEST(strerror_unknown_names_family)
{
    CHECK_EQ_STR(cer_strerror(-50), "unknown core error");
    CHECK_EQ_STR(cer_strerror(-150), "unknown emitter error");
    CHECK_EQ_STR(cer_strerror(-250), "unknown log error");
    CHECK_EQ_STR(cer_strerror(-350), "unknown sink error");
    CHECK_EQ_STR(cer_strerror(-600), "unknown error");
    CHECK_EQ_STR(cer_strerror(7), "unknown error");
    CHECK_EQ_STR(cer_err_name(-250), "CER_EUNKNOWN");
    CHECK_EQ_STR(cer_err_name(0), "CER_OK");
    CHECK_EQ_INT(cer_err_family_of(-600), CER_ERR_FAMILY_NONE);
    CHECK_EQ_STR(cer_err_family_name(CER_ERR_FAMILY_NONE), "none");
}

TEST(errf_formats_and_returns)
{
    char buf[8];
    CHECK_EQ_INT(cerx_errf(CE_EINVAL, buf, sizeof buf, "key %s", "abcdefgh"), CE_EINVAL);
    CHECK_EQ_STR(buf, "key abc");
    CHECK_EQ_INT(cerx_errf(CE_EIO, NULL, 0, "x"), CE_EIO);
    buf[0] = 'z';
    CHECK_EQ_INT(cerx_errf(-1, buf, 0, "x"), -1);
    CHECK(buf[0] == 'z');
}

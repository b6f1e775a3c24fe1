/* Tests for src/base/clock.c: UUIDv7 ids and the clocks. */
#include <string.h>

#include "base/base.h"
#include "cerelay/ce.h"
#include "harness.h"

TEST(uuid7_shape_and_order)
{
    char a[37], b[37];
    cer_uuid7(a);
    cer_uuid7(b);
    CHECK_EQ_INT(strlen(a), 36);
    CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    CHECK(a[14] == '7');                                                 /* version 7 */
    CHECK(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b'); /* variant 10 */
    CHECK(strcmp(a, b) < 0); /* time-ordered, also within one millisecond */
}

TEST(clocks)
{
    char t[40];
    cer_now_rfc3339(t);
    CHECK_EQ_INT(strlen(t), 24); /* 2026-02-27T12:00:00.000Z */
    CHECK(t[10] == 'T' && t[23] == 'Z');
    /* The core parses it, and formats the same instant to the same text. */
    int64_t ns = 0;
    CHECK_EQ_INT(ce_timestamp_parse(t, strlen(t), &ns), 0);
    char back[40];
    ce_timestamp_format(ns, 3, back);
    CHECK_EQ_STR(back, t);
    int64_t m1 = cer_mono_ns(), m2 = cer_mono_ns();
    CHECK(m1 > 0 && m2 >= m1);
}

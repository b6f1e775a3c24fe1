/* Minimal test harness: TEST(name) defines and registers a test; CHECK* record failures with
 * file and line and keep going; the program runs the test named on its command line, or all. */
#ifndef CER_TEST_HARNESS_H
#define CER_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*cer_test_fn)(void);
void cer_test_register(const char *name, cer_test_fn fn);
void cer_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
extern int cer_test_failures;
/* Report two byte ranges that differ (printed as text, not NUL-terminated). */
void cer_test_fail_mem(const char *file, int line, const char *what, const void *got,
                       size_t got_len, const void *want, size_t want_len);

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void reg_##name(void)                                      \
    {                                                                                              \
        cer_test_register(#name, test_##name);                                                     \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            cer_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                 \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            cer_test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_);  \
    } while (0)
#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            cer_test_fail(__FILE__, __LINE__, "%s:\n  got:      \"%s\"\n  expected: \"%s\"", #a,   \
                          a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                 \
    } while (0)
#define CHECK_EQ_MEM(p, n, q, m)                                                                   \
    do {                                                                                           \
        size_t n_ = (n), m_ = (m);                                                                 \
        if (n_ != m_ || memcmp((p), (q), n_) != 0)                                                 \
            cer_test_fail_mem(__FILE__, __LINE__, #p, (p), n_, (q), m_);                           \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_))                                                                \
            cer_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"",                    \
                          h_ ? h_ : "(null)", n_);                                                 \
    } while (0)

/* Read a whole file (NUL-terminated); returns NULL and fails the test when missing. */
char *cer_test_read_file(const char *path, size_t *len);
/* Path of a file under the repository (CER_SOURCE_DIR) or under ../shared. */
const char *cer_test_src_path(const char *rel);
const char *cer_test_shared_path(const char *rel);

#endif

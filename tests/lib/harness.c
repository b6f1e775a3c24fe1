/* Test harness implementation: a registry of named tests and a main that runs them. */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>

#define MAX_TESTS 1024
static struct {
    const char *name;
    cer_test_fn fn;
} tests[MAX_TESTS];
static size_t ntests;
int cer_test_failures;

void cer_test_register(const char *name, cer_test_fn fn)
{
    if (ntests < MAX_TESTS) {
        tests[ntests].name = name;
        tests[ntests].fn = fn;
        ntests++;
    }
}

void cer_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: FAIL: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cer_test_failures++;
}

void cer_test_fail_mem(const char *file, int line, const char *what, const void *got,
                       size_t got_len, const void *want, size_t want_len)
{
    fprintf(stderr, "%s:%d: FAIL: %s:\n  got:      \"", file, line, what);
    fwrite(got, 1, got_len, stderr);
    fprintf(stderr, "\" (%zu bytes)\n  expected: \"", got_len);
    fwrite(want, 1, want_len, stderr);
    fprintf(stderr, "\" (%zu bytes)\n", want_len);
    cer_test_failures++;
}

char *cer_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cer_test_fail(__FILE__, __LINE__, "cannot open %s", path);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

const char *cer_test_src_path(const char *rel)
{
    static char buf[8][4096];
    static int slot;
    char *b = buf[slot++ & 7];
    snprintf(b, 4096, "%s/%s", CER_SOURCE_DIR, rel);
    return b;
}

const char *cer_test_shared_path(const char *rel)
{
    static char buf[8][4096];
    static int slot;
    char *b = buf[slot++ & 7];
    const char *env = getenv("CER_SHARED_DIR");
    snprintf(b, 4096, "%s/%s", env ? env : CER_SHARED_DIR, rel);
    return b;
}

int main(int argc, char **argv)
{
    int ran = 0;
    for (size_t i = 0; i < ntests; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
            continue;
        int before = cer_test_failures;
        tests[i].fn();
        ran++;
        fprintf(stderr, "%s %s\n", cer_test_failures == before ? "ok  " : "FAIL", tests[i].name);
    }
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "(any)");
        return 2;
    }
    return cer_test_failures ? 1 : 0;
}

/* Helpers shared by the catalog tests: the built-in catalog, golden files, the type list. */
#ifndef CER_CATTEST_H
#define CER_CATTEST_H

#include <stdlib.h>

#include "catalog/internal.h"
#include "cerelay/catalog.h"
#include "harness.h"

static inline cer_catalog *cattest_builtin(void)
{
    cer_catalog *c = NULL;
    char err[512];
    int rc = cer_catalog_new(&c, 0, err, sizeof err);
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "cer_catalog_new: %s", err);
    return c;
}

/* The canonical encoding of an event (compact data), NUL-terminated; caller frees. */
static inline char *cattest_encode(const ce_event *ev)
{
    ce_buf b = {0};
    char err[256];
    if (ce_json_encode(ev, CE_JSON_COMPACT_DATA, &b, err, sizeof err) != 0) {
        cer_test_fail(__FILE__, __LINE__, "encode: %s", err);
        ce_buf_free(&b);
        return NULL;
    }
    ce_buf_append(&b, "", 1);
    return b.ptr;
}

/* golden/examples/<type>.json without its trailing newline; caller frees. */
static inline char *cattest_golden_example(const char *type)
{
    char rel[512];
    snprintf(rel, sizeof rel, "tests/catalog/golden/examples/%s.json", type);
    size_t len;
    char *s = cer_test_read_file(cer_test_src_path(rel), &len);
    if (s && len && s[len - 1] == '\n')
        s[len - 1] = 0;
    return s;
}

static inline ce_event *cattest_decode(const char *json)
{
    ce_event *ev = NULL;
    char err[256];
    if (ce_json_decode(json, strlen(json), NULL, &ev, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "decode: %s", err);
    return ev;
}

#endif

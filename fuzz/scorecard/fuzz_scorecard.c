/* libFuzzer target for the scorecard's thresholds file (src/cli/scorecard_thresholds.c): parse
 * arbitrary YAML over the defaults. A failure must leave the thresholds unchanged with a
 * NUL-terminated message; a success must keep every yellow on the right side of its green. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/scorecard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_thresholds t, before;
    char err[256];
    sc_thresholds_default(&t);
    before = t;
    memset(err, 'x', sizeof err);
    int rc = sc_thresholds_parse(&t, (const char *)data, size, err, sizeof err);
    if (rc != 0) {
        if (memchr(err, 0, sizeof err) == NULL || memcmp(&t, &before, sizeof t) != 0)
            abort();
        return 0;
    }
    const sc_limit *all = (const sc_limit *)&t;
    for (size_t i = 0; i < sizeof t / sizeof *all; i++) {
        const sc_limit *l = &all[i];
        if (l->higher_better ? l->yellow > l->green : l->yellow < l->green)
            abort();
        (void)sc_grade_of(l, l->green);
    }
    return 0;
}

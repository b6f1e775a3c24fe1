/* Fuzz the CLI's streaming reader (src/cli/evin.c): any input, fed whole and fed in pieces of
 * a size taken from the first byte, must give the same events and messages, and never crash,
 * leak or loop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evin_transcript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = (size_t)(data[0] % 17) + 1;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    ce_buf a, b;
    ce_buf_init(&a);
    ce_buf_init(&b);
    int ra = evin_transcript(in, len, (size_t)-1, 0, &a);
    int rb = evin_transcript(in, len, piece, 0, &b);
    if (ra != 0 || rb != 0 || a.len != b.len || (a.len && memcmp(a.ptr, b.ptr, a.len) != 0))
        abort();
    ce_buf_free(&a);
    ce_buf_free(&b);
    return 0;
}

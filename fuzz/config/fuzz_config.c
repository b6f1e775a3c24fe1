/* libFuzzer target for the relay configuration: the input is a YAML file. Loading must return 0
 * or a documented error with a NUL-terminated message; a configuration that loads must dump,
 * the dump must load again (secrets read back as the text "<redacted>") and dump identically.
 * ${NAME} resolves from a fixed rule, so runs are deterministic. A file in the sidecar layout
 * (src/relay/sidecar.c) must convert, and the converted text must load exactly when the file
 * does, to the same dump. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "relay/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fake_getenv(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "HOST") == 0)
        return "kafka-1:9092";
    if (strcmp(name, "EMPTY") == 0)
        return "";
    if (name[0] == 'S')
        return "s3cret,${NOT_EXPANDED_AGAIN}";
    return strlen(name) % 2 ? NULL : "value"; /* both set and unset names occur */
}

static void dump(const cer_config *cfg, ce_buf *b)
{
    b->len = 0;
    if (cer_config_dump(cfg, b) != 0)
        abort();
}

/* `cer_config_convert` agrees with the loader: same verdict, same effective configuration. */
static void check_convert(const uint8_t *data, size_t size, int rc, const cer_config *cfg,
                          const cer_config_opts *opts)
{
    static char err[8192];
    ce_buf text, one, two;
    ce_buf_init(&text);
    int crc = cer_config_convert((const char *)data, size, "f", &text, err, sizeof err);
    if (crc != 0 && crc != CE_EINVAL && crc != CE_ENOMEM)
        abort();
    if (crc == 0) {
        cer_config conv;
        int lrc =
            cer_config_load_string_opts(text.ptr, text.len, "conv", opts, &conv, err, sizeof err);
        if ((lrc == 0) != (rc == 0)) {
            fprintf(stderr, "convert and load disagree (%d, %d):\n%s\n%.*s\n", lrc, rc, err,
                    (int)text.len, text.ptr);
            abort();
        }
        if (lrc == 0) {
            ce_buf_init(&one);
            ce_buf_init(&two);
            dump(cfg, &one);
            dump(&conv, &two);
            if (one.len != two.len || memcmp(one.ptr, two.ptr, one.len) != 0)
                abort();
            ce_buf_free(&one);
            ce_buf_free(&two);
            cer_config_free(&conv);
        }
    }
    ce_buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char err[8192];
    static const cer_config_opts opts = {.getenv_fn = fake_getenv};
    cer_config cfg, again;
    memset(err, 'x', sizeof err);
    int rc =
        cer_config_load_string_opts((const char *)data, size, "f", &opts, &cfg, err, sizeof err);
    if (!memchr(err, '\0', sizeof err))
        abort();
    check_convert(data, size, rc, &cfg, &opts);
    if (rc != 0) {
        if (rc != CE_EINVAL && rc != CE_ETOOBIG && rc != CE_ENOMEM)
            abort();
        if (err[0] == '\0' || cfg.mem_ != NULL)
            abort();
        return 0;
    }
    ce_buf one, two;
    ce_buf_init(&one);
    ce_buf_init(&two);
    dump(&cfg, &one);
    if (cer_config_load_string_opts(one.ptr, one.len, "dump", &opts, &again, err, sizeof err)) {
        fprintf(stderr, "the dump does not load:\n%s\n--- dump:\n%.*s\n", err, (int)one.len,
                one.ptr);
        abort();
    }
    dump(&again, &two);
    if (one.len != two.len || memcmp(one.ptr, two.ptr, one.len) != 0) {
        fprintf(stderr, "dumps differ:\n%.*s\n---\n%.*s\n", (int)one.len, one.ptr, (int)two.len,
                two.ptr);
        abort();
    }
    ce_buf_free(&one);
    ce_buf_free(&two);
    cer_config_free(&cfg);
    cer_config_free(&again);
    return 0;
}

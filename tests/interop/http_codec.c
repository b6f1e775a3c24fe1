/* interop_http_codec: cerelay's HTTP binding as a file-based peer for the interoperability tests
 * (tests/interop/, docs/interop.md). An HTTP message is a pair of files, N.headers.json (a JSON
 * object of header name -> value) and N.body, so other SDKs can exchange messages without a server.
 *
 *   interop_http_codec encode MODE DIR < events.ndjson   MODE: binary, structured,
 *                                                        structured+headers or batch
 *   interop_http_codec decode DIR/N                      prints one canonical event per line
 *
 * Exit status: 0 on success, 1 when the library rejects an input (message on stderr), 2 usage. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"

#define MAX_HEADERS 256

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "interop_http_codec: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* Read a whole stream or file into a NUL-terminated heap buffer. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    if (!b)
        die("out of memory", NULL);
    for (;;) {
        if (cap - n < 4096) {
            cap *= 2;
            b = realloc(b, cap);
            if (!b)
                die("out of memory", NULL);
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        die("read error", strerror(errno));
    b[n] = '\0';
    *len = n;
    return b;
}

static char *slurp_path(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, strerror(errno));
    char *b = slurp(f, len);
    fclose(f);
    return b;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
        die(path, strerror(errno));
}

/* Append s[0..n) as a JSON string literal. Header bytes outside ASCII are copied as they are
 * (the readers treat the file as UTF-8). */
static void json_str(ce_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    ce_buf_append(out, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            ce_buf_append(out, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ce_buf_append(out, esc, 6);
        } else {
            ce_buf_append(out, s + i, 1);
        }
    }
    ce_buf_append(out, "\"", 1);
}

static void write_message(const char *dir, size_t n, ce_http_message v)
{
    char path[4096];
    ce_buf hj;
    ce_buf_init(&hj);
    ce_buf_append(&hj, "{", 1);
    for (size_t i = 0; i < v.header_count; i++) {
        if (i)
            ce_buf_append(&hj, ",", 1);
        json_str(&hj, v.headers[i].name.ptr, v.headers[i].name.len);
        ce_buf_append(&hj, ":", 1);
        json_str(&hj, v.headers[i].value.ptr, v.headers[i].value.len);
    }
    ce_buf_append(&hj, "}\n", 2);
    snprintf(path, sizeof path, "%s/%zu.headers.json", dir, n);
    write_file(path, hj.ptr, hj.len);
    snprintf(path, sizeof path, "%s/%zu.body", dir, n);
    write_file(path, v.body.ptr, v.body.len);
    ce_buf_free(&hj);
}

static int cmd_encode(const char *mode_name, const char *dir)
{
    ce_mode mode;
    unsigned flags = 0;
    if (strcmp(mode_name, "binary") == 0) {
        mode = CE_MODE_BINARY;
    } else if (strcmp(mode_name, "structured") == 0) {
        mode = CE_MODE_STRUCTURED;
    } else if (strcmp(mode_name, "structured+headers") == 0) {
        mode = CE_MODE_STRUCTURED;
        flags = CE_BIND_ATTR_HEADERS;
    } else if (strcmp(mode_name, "batch") == 0) {
        mode = CE_MODE_BATCH;
    } else {
        fprintf(stderr, "interop_http_codec: unknown mode %s\n", mode_name);
        return 2;
    }

    size_t len;
    char *in = slurp(stdin, &len);
    ce_event **evs = NULL;
    size_t n = 0, cap = 0;
    char err[512];
    for (char *line = in, *end; line < in + len; line = end + 1) {
        end = memchr(line, '\n', (size_t)(in + len - line));
        if (!end)
            end = in + len;
        if (end == line)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            evs = realloc(evs, cap * sizeof *evs);
            if (!evs)
                die("out of memory", NULL);
        }
        int rc = ce_json_decode(line, (size_t)(end - line), NULL, &evs[n], err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "interop_http_codec: input event %zu: %s: %s\n", n + 1, ce_err_name(rc),
                    err);
            return 1;
        }
        n++;
    }

    ce_http_msg *m = ce_http_msg_new(0);
    if (!m)
        die("out of memory", NULL);
    if (mode == CE_MODE_BATCH) {
        int rc = ce_http_encode_batch(m, (const ce_event *const *)evs, n, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "interop_http_codec: batch: %s: %s\n", ce_err_name(rc), err);
            return 1;
        }
        write_message(dir, 0, ce_http_msg_view(m));
    } else {
        for (size_t i = 0; i < n; i++) {
            int rc = ce_http_encode(m, evs[i], mode, flags, err, sizeof err);
            if (rc != 0) {
                fprintf(stderr, "interop_http_codec: event %zu: %s: %s\n", i + 1, ce_err_name(rc),
                        err);
                return 1;
            }
            write_message(dir, i, ce_http_msg_view(m));
        }
    }
    ce_http_msg_destroy(m);
    for (size_t i = 0; i < n; i++)
        ce_event_destroy(evs[i]);
    free(evs);
    free(in);
    return 0;
}

/* ---- a minimal reader for the flat headers object {"name": "value", ...} ---- */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            die("headers file", "bad \\u escape");
    }
    return v;
}

static void put_utf8(ce_buf *out, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    ce_buf_append(out, b, n);
}

/* Parse the string literal at *pp into a fresh buffer (owned by the caller). */
static ce_slice parse_str(const char **pp)
{
    const char *p = *pp;
    ce_buf out;
    ce_buf_init(&out);
    if (ce_buf_reserve(&out, 1) != 0)
        die("out of memory", NULL);
    if (*p != '"')
        die("headers file", "expected a string");
    p++;
    while (*p != '"') {
        if (*p == '\0')
            die("headers file", "unterminated string");
        if (*p != '\\') {
            ce_buf_append(&out, p++, 1);
            continue;
        }
        p++;
        char c = *p++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            ce_buf_append(&out, &c, 1);
            break;
        case 'b':
            ce_buf_append(&out, "\b", 1);
            break;
        case 'f':
            ce_buf_append(&out, "\f", 1);
            break;
        case 'n':
            ce_buf_append(&out, "\n", 1);
            break;
        case 'r':
            ce_buf_append(&out, "\r", 1);
            break;
        case 't':
            ce_buf_append(&out, "\t", 1);
            break;
        case 'u': {
            unsigned cp = hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = hex4(p + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            put_utf8(&out, cp);
            break;
        }
        default:
            die("headers file", "bad escape");
        }
    }
    *pp = p + 1;
    ce_slice s = {out.ptr, out.len};
    return s;
}

static size_t parse_headers(const char *p, ce_header *hs)
{
    size_t n = 0;
    p = skip_ws(p);
    if (*p++ != '{')
        die("headers file", "expected an object");
    p = skip_ws(p);
    if (*p == '}')
        return 0;
    for (;;) {
        if (n == MAX_HEADERS)
            die("headers file", "too many headers");
        p = skip_ws(p);
        hs[n].name = parse_str(&p);
        p = skip_ws(p);
        if (*p++ != ':')
            die("headers file", "expected ':'");
        p = skip_ws(p);
        hs[n].value = parse_str(&p);
        n++;
        p = skip_ws(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}')
            return n;
        die("headers file", "expected ',' or '}'");
    }
}

static int print_event(void *ctx, size_t index, ce_event *ev, int err, const char *msg)
{
    int *failed = ctx;
    if (err != 0) {
        fprintf(stderr, "interop_http_codec: batch element %zu: %s: %s\n", index, ce_err_name(err),
                msg ? msg : "");
        *failed = 1;
        return 0;
    }
    ce_buf out;
    char errstr[512];
    ce_buf_init(&out);
    int rc = ce_json_encode(ev, CE_JSON_COMPACT_DATA, &out, errstr, sizeof errstr);
    if (rc != 0) {
        fprintf(stderr, "interop_http_codec: re-encoding event %zu: %s: %s\n", index,
                ce_err_name(rc), errstr);
        *failed = 1;
    } else {
        fwrite(out.ptr, 1, out.len, stdout);
        fputc('\n', stdout);
    }
    ce_buf_free(&out);
    ce_event_destroy(ev);
    return 0;
}

static int cmd_decode(const char *prefix)
{
    char path[4096];
    size_t hlen, blen;
    snprintf(path, sizeof path, "%s.headers.json", prefix);
    char *hj = slurp_path(path, &hlen);
    snprintf(path, sizeof path, "%s.body", prefix);
    char *body = slurp_path(path, &blen);

    ce_header hs[MAX_HEADERS];
    size_t nh = parse_headers(hj, hs);
    ce_http_message msg = {hs, nh, {body, blen}};
    char err[512];
    int failed = 0;
    int rc = ce_http_decode_batch(&msg, NULL, print_event, &failed, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "interop_http_codec: %s: %s: %s\n", prefix, ce_err_name(rc), err);
        failed = 1;
    }
    for (size_t i = 0; i < nh; i++) {
        free((void *)hs[i].name.ptr);
        free((void *)hs[i].value.ptr);
    }
    free(hj);
    free(body);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "encode") == 0)
        return cmd_encode(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "decode") == 0)
        return cmd_decode(argv[2]);
    fprintf(stderr, "usage: interop_http_codec encode binary|structured|structured+headers|batch "
                    "DIR < events.ndjson\n       interop_http_codec decode DIR/N\n");
    return 2;
}

/* Tests for src/ce/json.c: the strict RFC 8259 scanner (accept/reject tables, UTF-8, escapes,
 * surrogates, depth, error offsets), string decoding and escaping, checked against a naive
 * byte-at-a-time reference so the eight-bytes-at-a-time fast paths cannot hide a miss. */
#include <stdlib.h>

#include "ce/internal.h"
#include "ce/json.h"
#include "harness.h"

static char err[256];

static int check(const char *s)
{
    return ce_json_check(s, strlen(s), 64, err, sizeof err);
}

TEST(accepts_rfc8259_values)
{
    static const char *const ok[] = {
        "0",
        "-0",
        "1",
        "-1",
        "123456789012345678901234567890",
        "1.5",
        "-0.25",
        "1e10",
        "1E+10",
        "1e-10",
        "-1.5E-300",
        "\"\"",
        "\"abc\"",
        "true",
        "false",
        "null",
        "[]",
        "{}",
        " \t\r\n[ 1 , 2 ,3 ] \n",
        "{\"a\":{\"b\":[null,true,false,{}]}}",
        "{\"\":0}",
        "{\"a\":1,\"a\":2}", /* duplicates are legal JSON; the event decoder rejects them */
        "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000 \\u00e9 \\uFFFF \\ud83d\\ude00\"",
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\x8e \xf4\x8f\xbf\xbf \xef\xbf\xbf\"",
        "[\"0123456789abcdef0123456789abcdef\",\"x\"]",
        "\"\x7f\"",
    };
    for (size_t k = 0; k < sizeof ok / sizeof *ok; k++) {
        int rc = check(ok[k]);
        if (rc != 0)
            cer_test_fail(__FILE__, __LINE__, "rejected %s: %s", ok[k], err);
    }
}

struct bad {
    const char *json;
    int rc;
    const char *msg; /* exact errstr */
};

TEST(rejects_with_offsets)
{
    static const struct bad bad[] = {
        {"", CE_ESYNTAX, "byte 0: expected a value"},
        {"   ", CE_ESYNTAX, "byte 3: expected a value"},
        {"01", CE_ESYNTAX, "byte 1: trailing characters"},
        {"1.", CE_ESYNTAX, "byte 2: expected a digit after '.'"},
        {".5", CE_ESYNTAX, "byte 0: expected a value"},
        {"+1", CE_ESYNTAX, "byte 0: expected a value"},
        {"1e", CE_ESYNTAX, "byte 2: expected a digit in exponent"},
        {"1e+", CE_ESYNTAX, "byte 3: expected a digit in exponent"},
        {"-", CE_ESYNTAX, "byte 1: expected a digit"},
        {"-a", CE_ESYNTAX, "byte 1: expected a digit"},
        {"0x10", CE_ESYNTAX, "byte 1: trailing characters"},
        {"NaN", CE_ESYNTAX, "byte 0: expected a value"},
        {"Infinity", CE_ESYNTAX, "byte 0: expected a value"},
        {"True", CE_ESYNTAX, "byte 0: expected a value"},
        {"tru", CE_ESYNTAX, "byte 0: invalid literal"},
        {"nul", CE_ESYNTAX, "byte 0: invalid literal"},
        {"nulll", CE_ESYNTAX, "byte 4: trailing characters"},
        {"[1,]", CE_ESYNTAX, "byte 3: expected a value"},
        {"[1 2]", CE_ESYNTAX, "byte 3: expected ',' or ']'"},
        {"[1]]", CE_ESYNTAX, "byte 3: trailing characters"},
        {"[", CE_ESYNTAX, "byte 1: expected a value"},
        {"[1", CE_ESYNTAX, "byte 2: unexpected end of input"},
        {"{\"a\":1,}", CE_ESYNTAX, "byte 7: expected a member name"},
        {"{a:1}", CE_ESYNTAX, "byte 1: expected a member name"},
        {"{'a':1}", CE_ESYNTAX, "byte 1: expected a member name"},
        {"{\"a\" 1}", CE_ESYNTAX, "byte 5: expected ':'"},
        {"{\"a\":}", CE_ESYNTAX, "byte 5: expected a value"},
        {"{\"a\":1]", CE_ESYNTAX, "byte 6: expected ',' or '}'"},
        {"[1}", CE_ESYNTAX, "byte 2: expected ',' or ']'"},
        {"1 2", CE_ESYNTAX, "byte 2: trailing characters"},
        {"/*c*/1", CE_ESYNTAX, "byte 0: expected a value"},
        {"\"abc", CE_ESYNTAX, "byte 0: unterminated string"},
        {"[\"abcdefghijklmnop", CE_ESYNTAX, "byte 1: unterminated string"},
        {"\"a\\x\"", CE_ESYNTAX, "byte 2: invalid escape"},
        {"\"\\u12\"", CE_ESYNTAX, "byte 1: invalid \\u escape"},
        {"\"\\u12G4\"", CE_ESYNTAX, "byte 1: invalid \\u escape"},
        {"\"a\tb\"", CE_ESYNTAX, "byte 2: unescaped control character in string"},
        {"\"0123456789\nabc\"", CE_ESYNTAX, "byte 11: unescaped control character in string"},
        {"\"\\ud800\"", CE_EUTF8, "byte 1: lone high surrogate"},
        {"\"\\udc00\"", CE_EUTF8, "byte 1: lone low surrogate"},
        {"\"ab\\ud800\\u0041\"", CE_EUTF8, "byte 3: lone high surrogate"},
        {"\"\\ud800\\ud800\"", CE_EUTF8, "byte 1: lone high surrogate"},
        {"\"\\ud800x\"", CE_EUTF8, "byte 1: lone high surrogate"},
        {"\"\xc0\x80\"", CE_EUTF8, "byte 1: invalid UTF-8 in string"},         /* overlong */
        {"\"\xc1\xbf\"", CE_EUTF8, "byte 1: invalid UTF-8 in string"},         /* overlong */
        {"\"ab\xe0\x80\x80\"", CE_EUTF8, "byte 3: invalid UTF-8 in string"},   /* overlong */
        {"\"\xf0\x80\x80\x80\"", CE_EUTF8, "byte 1: invalid UTF-8 in string"}, /* overlong */
        {"\"\xed\xa0\x80\"", CE_EUTF8, "byte 1: invalid UTF-8 in string"},     /* surrogate */
        {"\"\xf4\x90\x80\x80\"", CE_EUTF8, "byte 1: invalid UTF-8 in string"}, /* >10FFFF */
        {"\"\xf5\x80\x80\x80\"", CE_EUTF8, "byte 1: invalid UTF-8 in string"}, /* bad lead */
        {"\"\x80\"", CE_EUTF8, "byte 1: invalid UTF-8 in string"},             /* lone cont */
        {"\"\xe2\x82\"", CE_EUTF8, "byte 1: invalid UTF-8 in string"},         /* truncated */
        {"\"0123456789\xff\"", CE_EUTF8, "byte 11: invalid UTF-8 in string"},  /* 0xFF */
        {"[\xc3\xa9]", CE_ESYNTAX, "byte 1: expected a value"},                /* outside */
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        int rc = check(bad[k].json);
        if (rc != bad[k].rc || strcmp(err, bad[k].msg) != 0)
            cer_test_fail(__FILE__, __LINE__, "%s: got %s \"%s\", expected %s \"%s\"", bad[k].json,
                          ce_err_name(rc), err, ce_err_name(bad[k].rc), bad[k].msg);
    }
    /* Truncated input: the scanner must not read past len even if the bytes are there. */
    CHECK_EQ_INT(ce_json_check("\"abc\"", 4, 64, err, sizeof err), CE_ESYNTAX);
    CHECK_EQ_INT(ce_json_check("truex", 3, 64, err, sizeof err), CE_ESYNTAX);
    CHECK_EQ_INT(ce_json_check("[1]", 2, 64, err, sizeof err), CE_ESYNTAX);
    CHECK_EQ_INT(ce_json_check(NULL, 0, 64, err, sizeof err), CE_ESYNTAX);
    CHECK_EQ_INT(ce_json_check(NULL, 3, 64, err, sizeof err), CE_EINVAL);
    /* NUL is a byte like any other. */
    CHECK_EQ_INT(ce_json_check("1\0", 2, 64, err, sizeof err), CE_ESYNTAX);
    CHECK_EQ_STR(err, "byte 1: trailing characters");
}

static char *nested(size_t levels, const char *open, const char *close, const char *leaf)
{
    size_t lo = strlen(open), lc = strlen(close), ll = strlen(leaf);
    char *s = malloc(levels * (lo + lc) + ll + 1), *p = s;
    for (size_t k = 0; k < levels; k++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, leaf, ll);
    p += ll;
    for (size_t k = 0; k < levels; k++, p += lc)
        memcpy(p, close, lc);
    *p = 0;
    return s;
}

TEST(depth_cap)
{
    char *s = nested(64, "[", "]", "1");
    CHECK_EQ_INT(ce_json_check(s, strlen(s), 64, err, sizeof err), 0);
    CHECK_EQ_INT(ce_json_check(s, strlen(s), 63, err, sizeof err), CE_EDEPTH);
    CHECK_EQ_STR(err, "byte 63: nesting too deep");
    free(s);
    s = nested(3, "{\"k\":", "}", "[]");
    CHECK_EQ_INT(ce_json_check(s, strlen(s), 4, err, sizeof err), 0);
    CHECK_EQ_INT(ce_json_check(s, strlen(s), 3, err, sizeof err), CE_EDEPTH);
    CHECK_EQ_STR(err, "byte 15: nesting too deep");
    free(s);
    /* Scalars have depth 0. */
    CHECK_EQ_INT(ce_json_check("5", 1, 0, err, sizeof err), 0);
    CHECK_EQ_INT(ce_json_check("[]", 2, 0, err, sizeof err), CE_EDEPTH);
}

TEST(deep_mixed_nesting_beyond_inline_stack)
{
    /* 10000 levels alternating object/array: crosses the 4096-level inline stack. */
    size_t levels = 10000;
    char *s = nested(levels / 2, "{\"a\":[", "]}", "null");
    CHECK_EQ_INT(ce_json_check(s, strlen(s), 20000, err, sizeof err), 0);
    CHECK_EQ_INT(ce_json_check(s, strlen(s), 9999, err, sizeof err), CE_EDEPTH);
    /* Swap one closing pair deep inside: the stack must remember which is which. */
    char *mid = strstr(s, "null") + 4;
    mid[0] = '}';
    mid[1] = ']';
    CHECK_EQ_INT(ce_json_check(s, strlen(s), 20000, err, sizeof err), CE_ESYNTAX);
    CHECK_CONTAINS(err, "expected ',' or ']'");
    free(s);
}

TEST(skip_reports_end_and_absolute_offsets)
{
    const char *s = "xx[1, {\"a\": \"b\"}] tail";
    size_t pos = 2;
    ce__json_err e;
    CHECK_EQ_INT(ce__json_skip(s, strlen(s), &pos, 0, 64, &e), 0);
    CHECK_EQ_INT(pos, 17);
    const char *bad = "xx[1, {\"a\" \"b\"}]";
    pos = 2;
    CHECK_EQ_INT(ce__json_skip(bad, strlen(bad), &pos, 0, 64, &e), CE_ESYNTAX);
    CHECK_EQ_INT(e.off, 11);
}

static void unescape_case(const char *json, const char *want, size_t want_len, bool want_esc)
{
    size_t pos = 0, len = strlen(json);
    ce_slice body;
    bool esc;
    ce__json_err e;
    int rc = ce__json_string(json, len, &pos, &body, &esc, &e);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        return;
    CHECK_EQ_INT(pos, len);
    CHECK_EQ_INT(esc, want_esc);
    char out[256];
    size_t n = esc ? ce__json_unescape(body.ptr, body.len, out) : body.len;
    CHECK_EQ_MEM(esc ? out : body.ptr, n, want, want_len);
    CHECK(n <= body.len);
}

TEST(string_decoding)
{
    unescape_case("\"plain ascii, longer than eight bytes\"",
                  "plain ascii, longer than eight bytes", 36, false);
    unescape_case("\"\"", "", 0, false);
    unescape_case("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8, true);
    unescape_case("\"\\u0000x\"", "\0x", 2, true);
    unescape_case("\"\\u0041\\u00e9\\u20AC\\uD83C\\uDF0E\"",
                  "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x8c\x8e", 10, true);
    unescape_case("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4, true);
    unescape_case("\"raw \xf0\x9f\x8c\x8e stays\"", "raw \xf0\x9f\x8c\x8e stays", 14, false);
    unescape_case("\"0123456789\\n0123456789\"", "0123456789\n0123456789", 21, true);
}

/* Naive reference: is s[0..n) a valid JSON string body (between quotes)? */
static bool ref_body_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == '"' || c < 0x20)
            return false;
        if (c == '\\') {
            if (i + 1 >= n)
                return false;
            char x = (char)s[i + 1]; /* the generator never emits \\u */
            if (x == 0 || !strchr("\"\\/bfnrt", x))
                return false;
            i += 2;
            continue;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t bad, k = i + 1;
        while (k < n && (s[k] & 0xC0) == 0x80 && k - i < 4)
            k++;
        if (!ce__utf8_valid((const char *)s + i, k - i, &bad))
            return false;
        i = k;
    }
    return true;
}

TEST(string_scanner_matches_reference)
{
    /* Random bodies from a small alphabet heavy in the bytes the fast path must notice, at every
     * alignment and length; the scanner must agree with the reference on accept/reject and, on
     * accept, on where the string ends. */
    static const unsigned char alpha[] = {'a',  'b',  ' ',  '"',  '\\', 'n',  0x01, 0x1f, 0x7f,
                                          0xc3, 0xa9, 0xe2, 0x82, 0xac, 0x80, 0xff, '/',  't'};
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    unsigned char buf[80];
    int agree = 0;
    for (int iter = 0; iter < 200000; iter++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        size_t n = (size_t)(seed % 40);
        uint64_t r = seed;
        buf[0] = '"';
        for (size_t k = 0; k < n; k++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            /* mostly letters so that long plain runs occur */
            buf[1 + k] = (r >> 60) < 10 ? 'a' : alpha[(r >> 33) % sizeof alpha];
        }
        buf[1 + n] = '"';
        size_t len = n + 2;
        /* Reference: find the first unescaped quote, body = up to it. */
        size_t q = 1;
        bool ok = true;
        while (q < len && buf[q] != '"') {
            if (buf[q] == '\\')
                q++;
            q++;
        }
        if (q >= len)
            ok = false;
        else
            ok = ref_body_ok(buf + 1, q - 1);
        size_t pos = 0;
        ce_slice body;
        bool esc;
        ce__json_err e;
        int rc = ce__json_string((const char *)buf, len, &pos, &body, &esc, &e);
        if ((rc == 0) != ok || (ok && pos != q + 1)) {
            cer_test_fail(__FILE__, __LINE__,
                          "iteration %d: scanner %d pos %zu, reference %d end %zu", iter, rc, pos,
                          ok, q + 1);
            break;
        }
        agree++;
    }
    CHECK_EQ_INT(agree, 200000);
}

TEST(integer_tokens)
{
    int32_t v = 1;
    CHECK_EQ_INT(ce__json_int32("0", 1, &v), 0);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(ce__json_int32("-0", 2, &v), 0);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(ce__json_int32("2147483647", 10, &v), 0);
    CHECK_EQ_INT(v, INT32_MAX);
    CHECK_EQ_INT(ce__json_int32("-2147483648", 11, &v), 0);
    CHECK_EQ_INT(v, INT32_MIN);
    CHECK_EQ_INT(ce__json_int32("2147483648", 10, &v), CE_ERANGE);
    CHECK_EQ_INT(ce__json_int32("-2147483649", 11, &v), CE_ERANGE);
    CHECK_EQ_INT(ce__json_int32("99999999999", 11, &v), CE_ERANGE);
    CHECK_EQ_INT(ce__json_int32("12345678901234567890", 20, &v), CE_ERANGE);
    size_t pos = 0;
    bool is_int;
    ce__json_err e;
    CHECK_EQ_INT(ce__json_number("-12,", 4, &pos, &is_int, &e), 0);
    CHECK_EQ_INT(pos, 3);
    CHECK(is_int);
    pos = 0;
    CHECK_EQ_INT(ce__json_number("1.0", 3, &pos, &is_int, &e), 0);
    CHECK(!is_int);
    pos = 0;
    CHECK_EQ_INT(ce__json_number("1e3", 3, &pos, &is_int, &e), 0);
    CHECK(!is_int);
}

static void write_case(const char *in, size_t n, const char *want)
{
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(ce_buf_append(&b, "X", 1), 0);
    CHECK_EQ_INT(ce__json_write_string(&b, in, n), 0);
    CHECK_EQ_MEM(b.ptr, b.len, want, strlen(want));
    /* What we write must scan and unescape back to the input. */
    size_t pos = 1;
    ce_slice body;
    bool esc;
    ce__json_err e;
    CHECK_EQ_INT(ce__json_string(b.ptr, b.len, &pos, &body, &esc, &e), 0);
    char *out = malloc(body.len + 1);
    size_t m = esc ? ce__json_unescape(body.ptr, body.len, out) : body.len;
    CHECK_EQ_MEM(esc ? out : body.ptr, m, in, n);
    free(out);
    ce_buf_free(&b);
}

TEST(string_escaping)
{
    write_case("", 0, "X\"\"");
    write_case("plain text that is long enough", 30, "X\"plain text that is long enough\"");
    write_case("a\"b\\c", 5, "X\"a\\\"b\\\\c\"");
    write_case("\b\f\n\r\t", 5, "X\"\\b\\f\\n\\r\\t\"");
    write_case("\x01\x1f\x00", 3, "X\"\\u0001\\u001f\\u0000\"");
    write_case("\x7f/caf\xc3\xa9\xf0\x9f\x8c\x8e", 11, "X\"\x7f/caf\xc3\xa9\xf0\x9f\x8c\x8e\"");
    /* A special byte at every position of a 24-byte string, after multi-byte UTF-8. */
    for (size_t at = 0; at < 24; at++) {
        char in[25], want[64];
        memset(in, 'x', 24);
        memcpy(in, "\xc3\xa9", 2);
        if (at < 2)
            memcpy(in, "xx", 2);
        in[at] = '"';
        size_t w = 0;
        want[w++] = 'X';
        want[w++] = '"';
        for (size_t k = 0; k < 24; k++) {
            if (in[k] == '"')
                want[w++] = '\\';
            want[w++] = in[k];
        }
        want[w++] = '"';
        want[w] = 0;
        write_case(in, 24, want);
    }
}

TEST(string_escaping_respects_cap)
{
    ce_buf b;
    ce_buf_init(&b);
    b.cap_limit = 8;
    CHECK_EQ_INT(ce_buf_append(&b, "ab", 2), 0);
    CHECK_EQ_INT(ce__json_write_string(&b, "\n\n\n", 3), CE_ETOOBIG);
    CHECK_EQ_INT(b.len, 2); /* unchanged on failure */
    CHECK_EQ_INT(ce__json_write_string(&b, "abcd", 4), 0);
    CHECK_EQ_MEM(b.ptr, b.len, "ab\"abcd\"", 8);
    ce_buf_free(&b);
}

TEST(compact_strips_only_outside_strings)
{
    const char *in = " { \"a b\" : [ 1 , \"x\\\" y\" ,\n\t\r true ] } ";
    CHECK_EQ_INT(check(in), 0);
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(ce__json_write_compact(&b, in, strlen(in)), 0);
    const char *want = "{\"a b\":[1,\"x\\\" y\",true]}";
    CHECK_EQ_MEM(b.ptr, b.len, want, strlen(want));
    ce_buf_free(&b);
}

TEST(special8_exhaustive)
{
    /* Every byte value at every lane, over a background of every other byte value in the lanes
     * below: the first flagged lane must be the first special byte. */
    for (int bg = 0; bg < 256; bg++) {
        bool bg_special = bg == '"' || bg == '\\' || bg < 0x20 || bg >= 0x80;
        for (int c = 0; c < 256; c++) {
            bool special = c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
            for (int lane = 0; lane < 8; lane++) {
                char w[8];
                for (int k = 0; k < 8; k++)
                    w[k] = k < lane ? (char)bg : 'a';
                w[lane] = (char)c;
                uint64_t m = ce__json_special8(ce__json_load64(w));
                int want = bg_special && lane > 0 ? 0 : special ? lane : -1;
                int got = m ? (int)ce__json_first_flag(m) : -1;
                if (got != want) {
                    cer_test_fail(__FILE__, __LINE__, "bg %02x byte %02x lane %d: got %d want %d",
                                  bg, c, lane, got, want);
                    return;
                }
            }
        }
    }
}

/* Byte-at-a-time reference for ce__json_write_string. */
static size_t ref_escape(const unsigned char *s, size_t n, char *out)
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t k = 0; k < n; k++) {
        unsigned char c = s[k];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
            out[o++] = '\\';
            out[o++] = c == '\b' ? 'b' : c == '\f' ? 'f' : c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20) {
            o += (size_t)sprintf(out + o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    return o;
}

TEST(string_escaping_matches_reference)
{
    /* Random strings dense in bytes to escape, every length up to 40: several specials close
     * together exercise each fast path's tail handling after an escape. */
    static const unsigned char alpha[] = {'a', '"', '\\', '\n', 0x01, 0x1f, 0x7f, 0xc3, 0xa9, ' '};
    uint64_t seed = 7;
    unsigned char in[40];
    char want[300];
    ce_buf b;
    ce_buf_init(&b);
    for (int iter = 0; iter < 100000; iter++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = (size_t)(seed >> 33) % 41;
        for (size_t k = 0; k < n; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            in[k] = (seed >> 60) < 9 ? 'x' : alpha[(seed >> 33) % sizeof alpha];
        }
        size_t w = ref_escape(in, n, want);
        b.len = 0;
        CHECK_EQ_INT(ce__json_write_string(&b, (const char *)in, n), 0);
        if (b.len != w || memcmp(b.ptr, want, w) != 0) {
            cer_test_fail(__FILE__, __LINE__, "iteration %d:\n  got:      %.*s\n  expected: %.*s",
                          iter, (int)b.len, b.ptr, (int)w, want);
            break;
        }
    }
    ce_buf_free(&b);
}

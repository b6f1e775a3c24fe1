/* Unit tests for CESQL (src/ce/sql_*.c) beyond the TCK: precedence, integer overflow,
 * non-ASCII strings, limits, error positions, evaluation modes, and evaluation without
 * allocation. */
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cerelay/ce_sql.h"
#include "harness.h"

/* ---- helpers ---- */

static ce_event *test_event(void)
{
    ce_event *e = ce_event_new();
    char err[256];
    int rc = ce_event_set_str(e, "specversion", "1.0", err, sizeof err);
    rc |= ce_event_set_str(e, "id", "evt-1", err, sizeof err);
    rc |= ce_event_set_str(e, "source", "https://example.com/src", err, sizeof err);
    rc |= ce_event_set_str(e, "type", "com.example.thing.created", err, sizeof err);
    rc |= ce_event_set_str(e, "time", "2024-06-13T10:00:00Z", err, sizeof err);
    rc |= ce_event_set_str(e, "subject", "h\xC3\xA9llo w\xC3\xB6rld", err, sizeof err);
    rc |= ce_event_set_int(e, "myint", 42, err, sizeof err);
    rc |= ce_event_set_bool(e, "mybool", 1, err, sizeof err);
    rc |= ce_event_set_str(e, "num", "17", err, sizeof err);
    rc |= ce_event_set_binary(e, "mybin", "\x01\x02\x03", 3, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    return e;
}

/* Compile and evaluate expr; returns the error count, or -1000 + code on compile failure.
 * The program lives until the next call, since *out may borrow its literals. */
static int run(const char *expr, const ce_event *ev, unsigned flags, ce_sql_value *out,
               ce_sql_ctx *ctx, int *kind0)
{
    static ce_sql_prog *prog;
    ce_sql_prog_destroy(prog);
    prog = NULL;
    char err[256];
    int rc = ce_sql_compile(expr, strlen(expr), &prog, err, sizeof err);
    if (rc) {
        fprintf(stderr, "  compile `%s`: %s\n", expr, err);
        return -1000 + rc;
    }
    int n = ce_sql_eval(prog, ctx, ev, flags, out);
    if (kind0)
        *kind0 = n > 0 ? (int)ce_sql_ctx_error(ctx, 0)->kind : 0;
    return n;
}

static ce_sql_ctx *g_ctx;
static ce_event *g_ev;

static void setup(void)
{
    if (!g_ctx)
        g_ctx = ce_sql_ctx_new(0);
    if (!g_ev)
        g_ev = test_event();
}

/* Check the value (as a JSON literal: true, 3, "x") and the first error kind (0: none). */
static void check(const char *file, int line, const char *expr, const char *want_json,
                  int want_kind)
{
    setup();
    ce_sql_value v;
    int kind = 0;
    int n = run(expr, g_ev, 0, &v, g_ctx, &kind);
    if (n <= -900) {
        cer_test_fail(file, line, "`%s` does not compile (%d)", expr, n + 1000);
        return;
    }
    ce_buf b;
    ce_buf_init(&b);
    ce_sql_value_json(&v, &b);
    ce_buf_append(&b, "", 1);
    if (strcmp(b.ptr, want_json) != 0)
        cer_test_fail(file, line, "`%s` = %s, expected %s", expr, b.ptr, want_json);
    if (kind != want_kind || (want_kind == 0 && n != 0))
        cer_test_fail(file, line, "`%s`: first error %s (%d errors), expected %s", expr,
                      kind ? ce_sql_error_kind_name((ce_sql_error_kind)kind) : "none", n,
                      want_kind ? ce_sql_error_kind_name((ce_sql_error_kind)want_kind) : "none");
    ce_buf_free(&b);
}
#define EXPECT(expr, json)           check(__FILE__, __LINE__, expr, json, 0)
#define EXPECT_ERR(expr, json, kind) check(__FILE__, __LINE__, expr, json, CE_SQL_ERR_##kind)

/* Check that expr fails to compile with `code` and a message containing `needle`. */
static void check_bad(const char *file, int line, const char *expr, size_t len,
                      const ce_sql_options *opts, int code, const char *needle, long want_off)
{
    ce_sql_prog *prog = (ce_sql_prog *)1;
    char err[256];
    size_t off = 0;
    int rc = ce_sql_compile_ex(expr, len, opts, &prog, &off, err, sizeof err);
    if (rc != code)
        cer_test_fail(file, line, "`%.60s`: rc %s, expected %s (%s)", expr, ce_err_name(rc),
                      ce_err_name(code), rc ? err : "compiled");
    if (prog != NULL)
        cer_test_fail(file, line, "`%.60s`: *out not NULL after failure", expr);
    if (rc && needle && !strstr(err, needle))
        cer_test_fail(file, line, "`%.60s`: message \"%s\" lacks \"%s\"", expr, err, needle);
    if (rc && want_off >= 0 && off != (size_t)want_off)
        cer_test_fail(file, line, "`%.60s`: error offset %zu, expected %ld", expr, off, want_off);
    if (rc == 0)
        ce_sql_prog_destroy(prog);
}
#define EXPECT_BAD(expr, code, needle, off)                                                        \
    check_bad(__FILE__, __LINE__, expr, strlen(expr), NULL, code, needle, off)

/* ---- tests ---- */

TEST(precedence_arithmetic)
{
    EXPECT("1 + 2 * 3", "7");
    EXPECT("(1 + 2) * 3", "9");
    EXPECT("10 - 4 - 3", "3");
    EXPECT("100 / 10 / 5", "2");
    EXPECT("7 % 4 * 2", "6");
    EXPECT("2 * 3 % 4", "2");
    EXPECT("-2 * -3", "6");
    EXPECT("- 2 + 3", "1");
    EXPECT("-ABS(-3)", "-3");
    EXPECT("5-3", "2");
    EXPECT("5--3", "8");
    EXPECT("+5 - +3", "2");
    EXPECT("-7 / 2", "-3"); /* truncation toward zero */
    EXPECT("-7 % 2", "-1"); /* sign of the dividend */
    EXPECT("7 % -2", "1");
}

TEST(precedence_comparison_and_logic)
{
    EXPECT("2 + 3 = 5", "true");
    EXPECT("1 < 2 = TRUE", "true");
    EXPECT("1 = 1 = TRUE", "true");
    /* AND, OR and XOR share one level and group left to right (spec 3.6). */
    EXPECT("TRUE OR TRUE AND FALSE", "false");
    EXPECT("FALSE AND FALSE OR TRUE", "true");
    EXPECT("TRUE XOR TRUE AND FALSE", "false");
    EXPECT("FALSE AND TRUE XOR TRUE", "true");
    EXPECT("TRUE OR FALSE XOR TRUE", "false");
    EXPECT("TRUE OR (FALSE XOR TRUE)", "true");
    /* NOT binds tighter than everything but function calls. */
    EXPECT("NOT FALSE AND FALSE", "false");
    EXPECT("NOT (FALSE AND FALSE)", "true");
    EXPECT_ERR("NOT 'x' LIKE 'false'", "false", CAST); /* (NOT 'x') LIKE ... */
    EXPECT("NOT EXISTS nope", "true");
    EXPECT("NOT NOT TRUE", "true");
}

TEST(precedence_like_in_exists)
{
    /* LIKE and IN bind tighter than the binary operators: 1 + (1 IN (1)). */
    EXPECT("1 + 1 IN (1)", "2");
    EXPECT("'a' LIKE 'a' = TRUE", "true");
    EXPECT("'ab' LIKE 'a%' AND 'b' IN ('a', 'b')", "true");
    EXPECT("EXISTS id AND EXISTS source AND NOT EXISTS dataschema", "true");
    EXPECT("'a' NOT LIKE 'b' NOT IN (FALSE)", "true");
    EXPECT("myint IN (1, 2, 42)", "true");
    EXPECT("myint NOT IN (1, 2)", "true");
    EXPECT("-2 IN (-2)", "true");
}

TEST(integer_overflow)
{
    EXPECT("2147483647", "2147483647");
    EXPECT("-2147483648", "-2147483648");
    EXPECT("+2147483647", "2147483647");
    EXPECT_ERR("2147483647 + 1", "2147483647", MATH);
    EXPECT_ERR("-2147483648 - 1", "-2147483648", MATH);
    EXPECT_ERR("65536 * 65536", "2147483647", MATH);
    EXPECT_ERR("65536 * -65536", "-2147483648", MATH);
    EXPECT_ERR("-2147483648 / -1", "2147483647", MATH);
    EXPECT("-2147483648 % -1", "0");
    EXPECT_ERR("--2147483648", "2147483647", MATH);
    EXPECT_ERR("-(-2147483648)", "2147483647", MATH);
    EXPECT_ERR("ABS(-2147483648)", "2147483647", MATH);
    /* An operator whose operand failed yields its zero value (spec 3.3). */
    EXPECT_ERR("2147483647 + 1 > 0", "false", MATH);
    EXPECT_ERR("ABS(-2147483648) + 0", "0", MATH);
    EXPECT("INT('-2147483648')", "-2147483648");
    EXPECT("INT('+12')", "12");
    EXPECT_ERR("INT('2147483648')", "0", CAST);
    EXPECT_ERR("INT(' 1')", "0", CAST);
    EXPECT_ERR("INT('')", "0", CAST);
    EXPECT_ERR("INT('-')", "0", CAST);
    EXPECT_BAD("2147483648", CE_ESYNTAX, "out of range", 0);
    EXPECT_BAD("-2147483649", CE_ESYNTAX, "out of range", 0);
    EXPECT_BAD("1 + +2147483648", CE_ESYNTAX, "out of range", 4);
    EXPECT_BAD("99999999999999999999999", CE_ESYNTAX, "out of range", 0);
}

TEST(non_ascii_strings)
{
    EXPECT("LENGTH('h\xC3\xA9llo')", "5");
    EXPECT("LENGTH('\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E')", "3");
    EXPECT("LENGTH('\xF0\x9F\x98\x80')", "1");
    EXPECT("LENGTH(subject)", "11");
    EXPECT("UPPER('h\xC3\xA9llo')", "\"H\xC3\x89LLO\"");
    EXPECT("LOWER('\xC3\x80\xC3\x89\xC3\x8E')", "\"\xC3\xA0\xC3\xA9\xC3\xAE\"");
    EXPECT("UPPER(subject)", "\"H\xC3\x89LLO W\xC3\x96RLD\"");
    /* Simple (one to one) case mapping: sharp s stays, final sigma is not special. */
    EXPECT("UPPER('stra\xC3\x9F\x65')", "\"STRA\xC3\x9F\x45\"");
    EXPECT("LOWER('\xCE\xA3\xCE\x91\xCE\xA3')", "\"\xCF\x83\xCE\xB1\xCF\x83\"");
    /* Results may shrink (dotless i -> I) or grow (U+023A -> U+2C65). */
    EXPECT("UPPER('\xC4\xB1')", "\"I\"");
    EXPECT("LOWER('\xC8\xBA')", "\"\xE2\xB1\xA5\"");
    EXPECT("UPPER('\xF0\x90\x90\xA8')", "\"\xF0\x90\x90\x80\""); /* Deseret, 4 bytes */
    EXPECT("LEFT('\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E', 2)", "\"\xE6\x97\xA5\xE6\x9C\xAC\"");
    EXPECT("RIGHT('\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E', 1)", "\"\xE8\xAA\x9E\"");
    EXPECT("SUBSTRING('\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E', 2, 1)", "\"\xE6\x9C\xAC\"");
    EXPECT("SUBSTRING('h\xC3\xA9llo', -4)", "\"\xC3\xA9llo\"");
    EXPECT_ERR("SUBSTRING('h\xC3\xA9llo', 6)", "\"\"", FUNCTION_EVALUATION);
    EXPECT("SUBSTRING('h\xC3\xA9llo', 5)", "\"o\"");
    /* TRIM removes Unicode White_Space only (U+3000, U+00A0 yes; U+200B no). */
    EXPECT("TRIM('\xE3\x80\x80 abc\xC2\xA0')", "\"abc\"");
    EXPECT("TRIM('\xE2\x80\x8B"
           "abc')",
           "\"\xE2\x80\x8B"
           "abc\"");
    EXPECT("TRIM('   ')", "\"\"");
    /* '_' matches one character, not one byte. */
    EXPECT("'\xC3\xA9' LIKE '_'", "true");
    EXPECT("'\xE6\x97\xA5\xE6\x9C\xAC' LIKE '__'", "true");
    EXPECT("'\xE6\x97\xA5\xE6\x9C\xAC' LIKE '_'", "false");
    EXPECT("subject LIKE 'h_llo w_rld'", "true");
    EXPECT("subject LIKE '%w\xC3\xB6%'", "true");
    EXPECT("CONCAT('\xC3\xA9', 1, TRUE)", "\"\xC3\xA9"
                                          "1true\"");
    /* Invalid UTF-8 in the expression is rejected with its offset. */
    EXPECT_BAD("'abc\xC3' = 'x'", CE_EUTF8, "byte 4", 4);
    EXPECT_BAD("'\xED\xA0\x80'", CE_EUTF8, "UTF-8", 1);
}

TEST(string_functions_more)
{
    EXPECT("CONCAT_WS('-', 'a', 2, FALSE)", "\"a-2-false\"");
    EXPECT("CONCAT_WS(1, 2, 3)", "\"213\"");
    EXPECT("CONCAT(CONCAT('a', 'b'), UPPER('c'), LOWER('D'))", "\"abCd\"");
    EXPECT("CONCAT_WS(', ', UPPER(type), TRIM('  x  '), LEFT(id, 3))",
           "\"COM.EXAMPLE.THING.CREATED, x, evt\"");
    EXPECT("TRIM(CONCAT('  ', 'a', '  '))", "\"a\"");
    EXPECT("LENGTH(CONCAT(id, id, id))", "15");
    EXPECT_ERR("CONCAT('a', nope)", "\"\"", MISSING_ATTRIBUTE);
    EXPECT_ERR("LEFT('abc', 'x')", "\"\"", CAST);
    EXPECT("IS_INT('12')", "true");
    EXPECT("IS_INT('1x')", "false");
    EXPECT("IS_INT(5)", "true");
    EXPECT("IS_BOOL('FaLsE')", "true");
    EXPECT("IS_BOOL(1)", "false");
    EXPECT("STRING(-2147483648)", "\"-2147483648\"");
    EXPECT("BOOL('true') AND BOOL(2)", "true");
    EXPECT("abs(-1) + Length('ab')", "3");
    EXPECT_ERR("SUBSTRING('abc', 0, -1)", "\"\"", FUNCTION_EVALUATION);
    EXPECT("SUBSTRING('abc', 0, 1)", "\"\"");
    EXPECT("SUBSTRING('abc', -3, 100)", "\"abc\"");
    EXPECT("SUBSTRING('', 0)", "\"\"");
    EXPECT_ERR("SUBSTRING('', 1)", "\"\"", FUNCTION_EVALUATION);
    EXPECT("LEFT('abc', 0)", "\"\"");
    EXPECT("RIGHT('abc', 0)", "\"\"");
}

TEST(string_literals_and_like_escapes)
{
    EXPECT("'it''s'", "\"it's\"");
    EXPECT("\"say \"\"hi\"\"\"", "\"say \\\"hi\\\"\"");
    EXPECT("'a\\'b'", "\"a'b\"");
    EXPECT("'a\\\\b'", "\"a\\\\\\\\b\""); /* \\ stays two backslashes (spec 2.2 EBNF) */
    EXPECT("'a\\nb'", "\"a\\\\nb\"");
    EXPECT("'50%' LIKE '50\\%'", "true");
    EXPECT("'50x' LIKE '50\\%'", "false");
    EXPECT("'a_b' LIKE 'a\\_b'", "true");
    EXPECT("'axb' LIKE 'a\\_b'", "false");
    EXPECT("'a\\b' LIKE 'a\\\\b'", "true"); /* pattern \\ is one literal backslash */
    EXPECT("'a\\xyz' LIKE 'a\\\\%'", "true");
    EXPECT("'ab\\c' LIKE 'ab\\c'", "true"); /* a backslash before other text is literal */
    EXPECT("'' LIKE '%'", "true");
    EXPECT("'' LIKE '_'", "false");
    EXPECT("'abc' LIKE '%%%c'", "true");
    EXPECT("'aaaaaaaaaaaaaaaaaaaaaaab' LIKE '%a%a%a%a%a%b'", "true");
    EXPECT("'aaaaaaaaaaaaaaaaaaaaaaaa' LIKE '%a%a%a%a%a%b'", "false");
    EXPECT("'abc' LIKE 'ABC'", "false");
    EXPECT("myint LIKE '4_'", "true");
    EXPECT("mybool LIKE 'tr%'", "true");
    EXPECT_BAD("'abc", CE_ESYNTAX, "unterminated", 0);
    EXPECT_BAD("'abc\\'", CE_ESYNTAX, "unterminated", 0);
    EXPECT_BAD("id LIKE id", CE_ESYNTAX, "string literal", 8);
    EXPECT_BAD("id LIKE ('a')", CE_ESYNTAX, "string literal", 8);
}

TEST(attributes_and_types)
{
    /* spec 3.2: Integer and Boolean attributes keep their type, all others are Strings. */
    EXPECT("myint", "42");
    EXPECT("myint + 1", "43");
    EXPECT("mybool", "true");
    EXPECT("mybool = 'true'", "true"); /* = casts x to the type of y: "true" = "true" */
    EXPECT("'TRUE' = mybool", "true");
    EXPECT("num", "\"17\"");
    EXPECT("num + 1", "18");
    EXPECT("num = 17", "true");
    EXPECT("17 = num", "true");  /* 17 cast to String */
    EXPECT("1 = '01'", "false"); /* x cast to the type of y: "1" = "01" */
    EXPECT("'01' = 1", "true");  /* 1 = 1 */
    EXPECT("mybin", "\"AQID\"");
    EXPECT("time", "\"2024-06-13T10:00:00Z\"");
    EXPECT("source LIKE 'https://%'", "true");
    EXPECT("ID = 'evt-1' AND Type LIKE 'com.example.%'", "true");
    /* Letters after digits make an identifier (the grammar's IDENTIFIER_WITH_NUMBER). */
    EXPECT_ERR("123abc IN (1)", "false", MISSING_ATTRIBUTE);
    EXPECT("EXISTS nope", "false");
    EXPECT_ERR("nope", "false", MISSING_ATTRIBUTE);
    EXPECT_ERR("nope + 1", "0", MISSING_ATTRIBUTE);
    EXPECT_ERR("UPPER(nope)", "\"\"", MISSING_ATTRIBUTE);
    EXPECT_ERR("LENGTH(nope) = 0", "false", MISSING_ATTRIBUTE);
    EXPECT_BAD("my_attr = 1", CE_ESYNTAX, "not an attribute name", 0);
    EXPECT_BAD("EXISTS 1", CE_ESYNTAX, "attribute name after EXISTS", 7);
    EXPECT_BAD("EXISTS (id)", CE_ESYNTAX, "attribute name after EXISTS", 7);
}

TEST(error_semantics)
{
    setup();
    ce_sql_value v;
    int kind;
    /* AND/OR short-circuit: the right side is not evaluated, so raises nothing. */
    EXPECT("FALSE AND nope", "false");
    EXPECT("TRUE OR nope", "true");
    EXPECT("FALSE AND 1 / 0 = 0", "false");
    /* A failing left operand decides AND/OR (zero value false) without the right side. */
    CHECK_EQ_INT(run("nope AND 1 / 0 = 0", g_ev, 0, &v, g_ctx, &kind), 1);
    CHECK_EQ_INT(kind, CE_SQL_ERR_MISSING_ATTRIBUTE);
    CHECK_EQ_INT(run("nope OR TRUE", g_ev, 0, &v, g_ctx, &kind), 1);
    CHECK(v.type == CE_SQL_BOOLEAN && v.i == 0);
    /* XOR and arithmetic evaluate every operand and report every error. */
    CHECK_EQ_INT(run("nope XOR 1 / 0 = 0", g_ev, 0, &v, g_ctx, &kind), 2);
    CHECK_EQ_INT(ce_sql_ctx_error(g_ctx, 0)->kind, CE_SQL_ERR_MISSING_ATTRIBUTE);
    CHECK_EQ_INT(ce_sql_ctx_error(g_ctx, 1)->kind, CE_SQL_ERR_MATH);
    CHECK_EQ_INT(run("a1 + a2 * a3", g_ev, 0, &v, g_ctx, &kind), 3);
    CHECK(v.type == CE_SQL_INTEGER && v.i == 0);
    CHECK_EQ_INT(run("CONCAT(a1, a2, 'x', a3)", g_ev, 0, &v, g_ctx, &kind), 3);
    CHECK(v.type == CE_SQL_STRING && v.str.len == 0);
    CHECK_EQ_INT(run("'a' IN (a1, 'a', a2)", g_ev, 0, &v, g_ctx, &kind), 2);
    CHECK(v.type == CE_SQL_BOOLEAN && v.i == 0);
    /* Fail fast (spec 4.1): one error, zero value of the expression's type. */
    CHECK_EQ_INT(run("a1 + a2 * a3", g_ev, CE_SQL_FAIL_FAST, &v, g_ctx, &kind), 1);
    CHECK(v.type == CE_SQL_INTEGER && v.i == 0);
    CHECK_EQ_INT(run("ABS(-2147483648)", g_ev, CE_SQL_FAIL_FAST, &v, g_ctx, &kind), 1);
    CHECK(v.type == CE_SQL_INTEGER && v.i == 0);
    CHECK_EQ_INT(run("ABS(-2147483648)", g_ev, 0, &v, g_ctx, &kind), 1);
    CHECK(v.type == CE_SQL_INTEGER && v.i == INT32_MAX);
    CHECK_EQ_INT(run("LEFT('abc', -1)", g_ev, CE_SQL_FAIL_FAST, &v, g_ctx, &kind), 1);
    CHECK(v.type == CE_SQL_STRING && v.str.len == 0);
    /* More errors than the context stores: all counted, CE_SQL_MAX_ERRORS kept. */
    char expr[512] = "CONCAT(x0";
    for (int i = 1; i < 20; i++)
        snprintf(expr + strlen(expr), sizeof expr - strlen(expr), ", x%d", i);
    strcat(expr, ")");
    CHECK_EQ_INT(run(expr, g_ev, 0, &v, g_ctx, &kind), 20);
    CHECK_EQ_INT(ce_sql_ctx_error_count(g_ctx), 20);
    CHECK(ce_sql_ctx_error(g_ctx, CE_SQL_MAX_ERRORS - 1) != NULL);
    CHECK(ce_sql_ctx_error(g_ctx, CE_SQL_MAX_ERRORS) == NULL);
    /* Implicit casts that fail: CastError and the operator's zero value. */
    EXPECT_ERR("'abc' + 1", "0", CAST);
    EXPECT_ERR("1 IN ('a', 1)", "false", CAST);
    EXPECT_ERR("'abc' = TRUE", "false", CAST);
    EXPECT("TRUE = 'abc'", "false");
    EXPECT_ERR("'x' < 1", "false", CAST);
    EXPECT_ERR("NOT 'x'", "false", CAST);
    EXPECT_ERR("-'x'", "0", CAST);
    EXPECT_ERR("'x' AND TRUE", "false", CAST);
    /* Integer <-> Boolean casts are defined (spec 3.7). */
    EXPECT("NOT 10", "false");
    EXPECT("NOT 0", "true");
    EXPECT("1 AND 2", "true");
    EXPECT("TRUE + TRUE", "2");
}

TEST(missing_functions)
{
    EXPECT_ERR("FOO(1)", "false", MISSING_FUNCTION);
    EXPECT_ERR("ABS(1, 2)", "false", MISSING_FUNCTION);
    EXPECT_ERR("abs()", "false", MISSING_FUNCTION);
    EXPECT_ERR("SUBSTRING('a')", "false", MISSING_FUNCTION);
    EXPECT_ERR("concat_ws()", "false", MISSING_FUNCTION);
    EXPECT_ERR("NOT FOO()", "false", MISSING_FUNCTION);
    EXPECT("CONCAT()", "\"\"");
    EXPECT("CONCAT_WS(',')", "\"\"");
    ce_sql_options o = {0, 0, CE_SQL_STRICT_FUNCTIONS};
    check_bad(__FILE__, __LINE__, "1 + FOO(1)", 10, &o, CE_ESYNTAX, "unknown function 'FOO'", 4);
    check_bad(__FILE__, __LINE__, "abs(1, 2)", 9, &o, CE_ESYNTAX,
              "function 'abs' does not take 2 arguments", 0);
    ce_sql_prog *p = NULL;
    CHECK_EQ_INT(ce_sql_compile_ex("ABS(1)", 6, &o, &p, NULL, NULL, 0), 0);
    ce_sql_prog_destroy(p);
    EXPECT_BAD("1FOO(1)", CE_ESYNTAX, "not a function name", 0);
    EXPECT_BAD("_X(1)", CE_ESYNTAX, "not a function name", 0);
}

TEST(parse_errors_and_positions)
{
    EXPECT_BAD("", CE_ESYNTAX, "expected an expression, found end of input", 0);
    EXPECT_BAD("   ", CE_ESYNTAX, "found end of input", 3);
    EXPECT_BAD("1 + )", CE_ESYNTAX, "at byte 4 (line 1, column 5)", 4);
    EXPECT_BAD("TRUE AND\n  )", CE_ESYNTAX, "line 2, column 3", 11);
    EXPECT_BAD("'\xC3\xA9' = )", CE_ESYNTAX, "line 1, column 7", 7);
    EXPECT_BAD("ABC(", CE_ESYNTAX, "found end of input", 4);
    EXPECT_BAD("ABS(1", CE_ESYNTAX, "to close the function's arguments", 5);
    EXPECT_BAD("(1 + 2", CE_ESYNTAX, "to close the subexpression", 6);
    EXPECT_BAD("1 2", CE_ESYNTAX, "unexpected integer literal after the expression", 2);
    EXPECT_BAD("1 IN ()", CE_ESYNTAX, "expected an expression", 6);
    EXPECT_BAD("1 IN 1", CE_ESYNTAX, "to open the set of IN", 5);
    EXPECT_BAD("1 NOT 2", CE_ESYNTAX, "unexpected NOT", 2);
    EXPECT_BAD("+ 5", CE_ESYNTAX, "no unary plus", 0);
    EXPECT_BAD("+x", CE_ESYNTAX, "no unary plus", 0);
    EXPECT_BAD("1 ! 2", CE_ESYNTAX, "'!' must be followed by '='", 2);
    EXPECT_BAD("1 == 2", CE_ESYNTAX, "expected an expression, found '='", 3);
    EXPECT_BAD("id # 2", CE_ESYNTAX, "unexpected character", 3);
    EXPECT_BAD("ABS(1,)", CE_ESYNTAX, "expected an expression, found ')'", 6);
    EXPECT_BAD("TRUE()", CE_ESYNTAX, "unexpected '('", 4);
    EXPECT_BAD("EXISTS", CE_ESYNTAX, "found end of input", 6);
    EXPECT_BAD("a LIKE", CE_ESYNTAX, "string literal, found end of input", 6);
    /* Keywords are case-insensitive; whitespace includes tabs and newlines. */
    EXPECT("true\tand\r\nnot false", "true");
    EXPECT("'a' not like 'b' Or FALSE", "true");
    EXPECT("1 <> 2 AND 1 != 2 AND 2 >= 2 AND 2 <= 2", "true");
    ce_sql_prog *p = (ce_sql_prog *)1;
    char err[64];
    CHECK_EQ_INT(ce_sql_compile(NULL, 3, &p, err, sizeof err), CE_EINVAL);
    CHECK_EQ_INT(ce_sql_compile("1", 1, NULL, err, sizeof err), CE_EINVAL);
    /* A tiny errstr is truncated, still NUL-terminated. */
    CHECK_EQ_INT(ce_sql_compile("1 +", 3, &p, err, 8), CE_ESYNTAX);
    CHECK_EQ_INT(strlen(err), 7);
}

TEST(nesting_limit)
{
    char buf[512];
    size_t n = 0;
    /* 63 parentheses plus the top level: 64 levels, accepted. */
    for (int i = 0; i < 63; i++)
        buf[n++] = '(';
    buf[n++] = '1';
    for (int i = 0; i < 63; i++)
        buf[n++] = ')';
    ce_sql_prog *p = NULL;
    char err[256];
    CHECK_EQ_INT(ce_sql_compile(buf, n, &p, err, sizeof err), 0);
    ce_sql_prog_destroy(p);
    /* One more: rejected with CE_EDEPTH. */
    n = 0;
    for (int i = 0; i < 64; i++)
        buf[n++] = '(';
    buf[n++] = '1';
    for (int i = 0; i < 64; i++)
        buf[n++] = ')';
    check_bad(__FILE__, __LINE__, buf, n, NULL, CE_EDEPTH, "nests deeper than 64 levels", 64);
    /* Unary chains, function nesting and left-nested operators count too. */
    n = 0;
    for (int i = 0; i < 70; i++)
        buf[n++] = '-';
    buf[n++] = '1';
    check_bad(__FILE__, __LINE__, buf, n, NULL, CE_EDEPTH, "nests deeper", -1);
    n = 0;
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "ABS(");
    buf[n++] = '1';
    for (int i = 0; i < 70; i++)
        buf[n++] = ')';
    check_bad(__FILE__, __LINE__, buf, n, NULL, CE_EDEPTH, "nests deeper", -1);
    n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "1");
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "+1");
    check_bad(__FILE__, __LINE__, buf, n, NULL, CE_EDEPTH, "nests deeper", -1);
    /* The limit is an option. */
    ce_sql_options o = {4, 0, 0};
    check_bad(__FILE__, __LINE__, "((((1))))", 9, &o, CE_EDEPTH, "deeper than 4 levels", 4);
    check_bad(__FILE__, __LINE__, "1+1+1+1+1", 9, &o, CE_EDEPTH, "deeper than 4 levels", -1);
    CHECK_EQ_INT(ce_sql_compile_ex("1+1+1+1", 7, &o, &p, NULL, err, sizeof err), 0);
    ce_sql_prog_destroy(p);
    o.max_depth = CE_SQL_MAX_DEPTH_CEILING + 1;
    check_bad(__FILE__, __LINE__, "1", 1, &o, CE_EINVAL, "ceilings", -1);
    /* A long chain of one logical operator is one level: 300 ORs compile and evaluate. */
    static char big[4096];
    n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%smyint=%d", i ? " OR " : "", i);
    CHECK(n <= CE_SQL_DEFAULT_MAX_LENGTH);
    CHECK_EQ_INT(ce_sql_compile(big, n, &p, err, sizeof err), 0);
    setup();
    CHECK_EQ_INT(ce_sql_filter(p, g_ev), 1);
    ce_sql_prog_destroy(p);
}

TEST(length_limit)
{
    static char buf[8192];
    ce_sql_prog *p = NULL;
    char err[256];
    /* Exactly 4096 bytes: a string literal of 4094 characters. */
    buf[0] = '\'';
    memset(buf + 1, 'x', 4094);
    buf[4095] = '\'';
    CHECK_EQ_INT(ce_sql_compile(buf, 4096, &p, err, sizeof err), 0);
    setup();
    ce_sql_value v;
    CHECK_EQ_INT(ce_sql_eval(p, g_ctx, g_ev, 0, &v), 0);
    CHECK_EQ_INT(v.str.len, 4094);
    ce_sql_prog_destroy(p);
    /* 4097 bytes: rejected before parsing. */
    memset(buf, ' ', 4097);
    buf[0] = '1';
    check_bad(__FILE__, __LINE__, buf, 4097, NULL, CE_ETOOBIG,
              "expression is 4097 bytes long; the limit is 4096 bytes", -1);
    ce_sql_options o = {0, 8192, 0};
    CHECK_EQ_INT(ce_sql_compile_ex(buf, 4097, &o, &p, NULL, err, sizeof err), 0);
    ce_sql_prog_destroy(p);
    o.max_length = 10;
    check_bad(__FILE__, __LINE__, "1 + 1 + 1 + 1", 13, &o, CE_ETOOBIG, "limit is 10 bytes", -1);
}

TEST(filter)
{
    setup();
    const struct {
        const char *expr;
        int pass;
    } cases[] = {
        {"type LIKE 'com.example.%'", 1},
        {"type = 'other'", 0},
        {"myint > 40 AND mybool", 1},
        {"nope = 'x' OR TRUE", 0}, /* an error never passes (spec 1.2) */
        {"TRUE OR nope = 'x'", 1}, /* short-circuit: no error raised */
        {"1", 0},                  /* not a Boolean */
        {"'true'", 0},
        {"ABS(-2147483648) > 0", 0},
        {"UPPER(CONCAT(id, '-', subject)) = 'EVT-1-H\xC3\x89LLO W\xC3\x96RLD'", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ce_sql_prog *p = NULL;
        char err[256];
        CHECK_EQ_INT(ce_sql_compile(cases[i].expr, strlen(cases[i].expr), &p, err, sizeof err), 0);
        if (ce_sql_filter(p, g_ev) != cases[i].pass)
            cer_test_fail(__FILE__, __LINE__, "filter `%s` != %d", cases[i].expr, cases[i].pass);
        if (ce_sql_filter_ctx(p, g_ctx, g_ev) != cases[i].pass)
            cer_test_fail(__FILE__, __LINE__, "filter_ctx `%s` != %d", cases[i].expr,
                          cases[i].pass);
        ce_sql_prog_destroy(p);
    }
    /* No event: every attribute is missing. */
    ce_sql_prog *p = NULL;
    CHECK_EQ_INT(ce_sql_compile("EXISTS id", 9, &p, NULL, 0), 0);
    CHECK_EQ_INT(ce_sql_filter(p, NULL), 0);
    ce_sql_value v;
    CHECK_EQ_INT(ce_sql_eval(p, g_ctx, NULL, 0, &v), 0);
    CHECK(v.type == CE_SQL_BOOLEAN && v.i == 0);
    CHECK_EQ_INT(ce_sql_eval(NULL, g_ctx, NULL, 0, &v), CE_EINVAL);
    CHECK_EQ_INT(ce_sql_eval(p, NULL, NULL, 0, &v), CE_EINVAL);
    CHECK_EQ_INT(ce_sql_filter(NULL, g_ev), 0);
    ce_sql_prog_destroy(p);
}

TEST(scratch_limit)
{
    setup();
    ce_sql_ctx *small = ce_sql_ctx_new(16);
    ce_sql_value v;
    int kind;
    CHECK_EQ_INT(run("CONCAT('0123456789', '0123456')", g_ev, 0, &v, small, &kind), 1);
    CHECK_EQ_INT(kind, CE_SQL_ERR_GENERIC);
    CHECK(v.type == CE_SQL_STRING && v.str.len == 0);
    CHECK_EQ_INT(run("CONCAT('0123456789', '012345')", g_ev, 0, &v, small, &kind), 0);
    CHECK_EQ_MEM(v.str.ptr, v.str.len, "0123456789012345", 16);
    /* Scratch is reused within one evaluation: intermediate results are released. */
    CHECK_EQ_INT(run("LENGTH(CONCAT('0123456789', '012345')) + LENGTH(UPPER('abcdefghijklmnop'))"
                     " + LENGTH(STRING(-2147483648))",
                     g_ev, 0, &v, small, &kind),
                 0);
    CHECK_EQ_INT(v.i, 43);
    CHECK_EQ_INT(run("UPPER('abcdefghijklmnopq')", g_ev, 0, &v, small, &kind), 1);
    CHECK_EQ_INT(kind, CE_SQL_ERR_GENERIC);
    /* Results that are slices of their input need no scratch at all. */
    CHECK_EQ_INT(run("TRIM(SUBSTRING(LEFT('   abcdefghijklmnopqrstuvwxyz   ', 30), 2))", g_ev, 0,
                     &v, small, &kind),
                 0);
    CHECK_EQ_MEM(v.str.ptr, v.str.len, "abcdefghijklmnopqrstuvwxyz", 26);
    ce_sql_ctx_destroy(small);
    ce_sql_ctx_destroy(NULL);
}

TEST(json_printer)
{
    ce_buf b;
    ce_buf_init(&b);
    ce_sql_value v = {CE_SQL_BOOLEAN, 1, {NULL, 0}};
    CHECK_EQ_INT(ce_sql_value_json(&v, &b), 0);
    v.i = 0;
    ce_sql_value_json(&v, &b);
    v.type = CE_SQL_INTEGER;
    v.i = -2147483647 - 1;
    ce_sql_value_json(&v, &b);
    v.type = CE_SQL_STRING;
    v.str.ptr = "a\"b\\c\n\t\x01\x1f/\xC3\xA9\xE2\x80\xA8";
    v.str.len = strlen(v.str.ptr);
    ce_sql_value_json(&v, &b);
    v.str.ptr = "bad\xFFz";
    v.str.len = 5;
    ce_sql_value_json(&v, &b);
    v.str.ptr = NULL;
    v.str.len = 0;
    ce_sql_value_json(&v, &b);
    const char *want =
        "truefalse-2147483648\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\xC3\xA9\xE2\x80\xA8\""
        "\"bad\xEF\xBF\xBDz\"\"\"";
    CHECK_EQ_MEM(b.ptr, b.len, want, strlen(want));
    v.type = (ce_sql_type)99;
    CHECK_EQ_INT(ce_sql_value_json(&v, &b), CE_EINVAL);
    CHECK_EQ_INT(ce_sql_value_json(NULL, &b), CE_EINVAL);
    ce_buf_free(&b);
    CHECK_EQ_STR(ce_sql_type_name(CE_SQL_STRING), "String");
    CHECK_EQ_STR(ce_sql_error_kind_name(CE_SQL_ERR_MISSING_ATTRIBUTE), "missingAttribute");
    CHECK_EQ_STR(ce_sql_error_kind_name(CE_SQL_ERR_FUNCTION_EVALUATION), "functionEvaluation");
}

TEST(error_format_and_program_info)
{
    setup();
    ce_sql_prog *p = NULL;
    const char *src = "myint + 1 = 43 AND 10 / (myint - 42) = 1";
    CHECK_EQ_INT(ce_sql_compile(src, strlen(src), &p, NULL, 0), 0);
    CHECK_EQ_INT(ce_sql_prog_type(p), CE_SQL_BOOLEAN);
    ce_slice s = ce_sql_prog_source(p);
    CHECK_EQ_MEM(s.ptr, s.len, src, strlen(src));
    ce_sql_value v;
    CHECK_EQ_INT(ce_sql_eval(p, g_ctx, g_ev, 0, &v), 1);
    const ce_sql_error *e = ce_sql_ctx_error(g_ctx, 0);
    CHECK_EQ_INT(e->kind, CE_SQL_ERR_MATH);
    CHECK_EQ_INT(e->offset, 19);
    char buf[256];
    size_t n = ce_sql_error_format(p, e, buf, sizeof buf);
    CHECK_EQ_STR(buf, "math at byte 19 ('10 / (myint - 42)'): division by zero");
    CHECK_EQ_INT(n, strlen(buf));
    CHECK_EQ_INT(ce_sql_error_format(p, e, buf, 5), n);
    CHECK_EQ_STR(buf, "math");
    ce_sql_error_format(NULL, e, buf, sizeof buf);
    CHECK_EQ_STR(buf, "math at byte 19: division by zero");
    ce_sql_prog_destroy(p);
    /* Long spans are cut at a character boundary (40 bytes at most). */
    src = "SUBSTRING('\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
          "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9', 100)";
    CHECK_EQ_INT(ce_sql_compile(src, strlen(src), &p, NULL, 0), 0);
    CHECK_EQ_INT(ce_sql_eval(p, g_ctx, g_ev, 0, &v), 1);
    ce_sql_error_format(p, ce_sql_ctx_error(g_ctx, 0), buf, sizeof buf);
    CHECK_EQ_STR(buf,
                 "functionEvaluation at byte 0 ('SUBSTRING('\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                 "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                 "...'): position out of range");
    ce_sql_prog_destroy(p);
    CHECK_EQ_INT(ce_sql_compile("nope + 1", 8, &p, NULL, 0), 0);
    CHECK_EQ_INT(ce_sql_prog_type(p), CE_SQL_INTEGER);
    ce_sql_prog_destroy(p);
    CHECK_EQ_INT(ce_sql_compile("nope", 4, &p, NULL, 0), 0);
    CHECK_EQ_INT(ce_sql_prog_type(p), 0);
    ce_sql_prog_destroy(p);
    ce_sql_prog_destroy(NULL);
}

/* Unicode case tables: spot checks across the generated ranges. */
TEST(case_mapping_table)
{
    EXPECT("UPPER('\xC5\x81\xC5\x82')", "\"\xC5\x81\xC5\x81\""); /* L with stroke */
    EXPECT("LOWER('\xD0\x96\xD0\xAF')", "\"\xD0\xB6\xD1\x8F\""); /* Cyrillic */
    EXPECT("UPPER('\xE1\xBA\xA1')", "\"\xE1\xBA\xA0\"");         /* U+1EA1 */
    EXPECT("LOWER('\xE2\x84\xAA')", "\"k\"");                    /* Kelvin sign */
    EXPECT("LOWER('\xC4\xB0')", "\"i\"");                        /* I with dot */
    EXPECT("UPPER('\xEF\xBD\x81')", "\"\xEF\xBC\xA1\"");         /* fullwidth a */
    EXPECT("UPPER('\xF0\x9E\xA4\xA2')", "\"\xF0\x9E\xA4\x80\""); /* Adlam */
    EXPECT("UPPER('\xE6\x97\xA5 1 _')", "\"\xE6\x97\xA5 1 _\""); /* no case */
    EXPECT("LOWER('\xC7\x85')", "\"\xC7\x86\"");                 /* title case */
    EXPECT("UPPER('\xC7\x85')", "\"\xC7\x84\"");
}

/* Examples given in the text of cesql/spec.md (not all are in the TCK). */
TEST(spec_text_examples)
{
    /* 3.7: Boolean to String casts and keyword case-insensitivity. */
    EXPECT("TRUE = \"true\" AND FALSE = \"false\"", "true");
    EXPECT("TRUE = \"TRUE\" OR FALSE = \"FALSE\"", "false");
    /* 3.7: sequence = 10 casts sequence to Integer. */
    EXPECT("num = 17", "true");
    EXPECT("num + 3 = 20", "true");
    /* 3.2: missing attributes give the zero value of the subexpression's type. */
    EXPECT_ERR("true AND (nope = \"\")", "false", MISSING_ATTRIBUTE);
    EXPECT_ERR("nope * 5", "0", MISSING_ATTRIBUTE);
    EXPECT_ERR("1 / nope", "0", MISSING_ATTRIBUTE);
    /* 3.4.3: the pattern _b* style examples (with % for the SQL wildcard). */
    EXPECT("'abc\\%' LIKE 'abc\\%'", "false"); /* value abc\% vs pattern matching "abc%" */
    EXPECT("'abc%' LIKE 'abc\\%'", "true");
    EXPECT("'abcd' LIKE 'abc\\%'", "false");
    /* 2: keywords in any case. */
    EXPECT("int(myint) < int(num) or int(myint) < 1000", "true");
    /* 3.4.4: EXISTS of required attributes on a valid event. */
    EXPECT("EXISTS specversion AND EXISTS id AND EXISTS source AND EXISTS type", "true");
}

/* Tests for src/base/vars.c: ${NAME} expansion in both grammars. */
#include <string.h>

#include "base/base.h"
#include "harness.h"

static const char *lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "A") == 0)
        return "alpha";
    if (strcmp(name, "EMPTY") == 0)
        return "";
    if (strcmp(name, "x y") == 0)
        return "spaced";
    return NULL;
}

/* Expand s; returns the code, the text in out. */
static int expand(const char *s, unsigned flags, size_t max, char *out, size_t outsz, char *why)
{
    size_t n;
    int rc = cerx_expand_vars(s, NULL, &n, flags, lookup, NULL, max, why, 200);
    if (rc)
        return rc;
    if (n >= outsz)
        return -999;
    rc = cerx_expand_vars(s, out, &n, flags, lookup, NULL, max, why, 200);
    out[n] = 0;
    return rc;
}

TEST(plain_grammar)
{
    char out[64], why[200];
    CHECK_EQ_INT(expand("Bearer ${A}!", 0, 0, out, sizeof out, why), 0);
    CHECK_EQ_STR(out, "Bearer alpha!");
    CHECK_EQ_INT(expand("${x y}${EMPTY}", 0, 0, out, sizeof out, why), 0);
    CHECK_EQ_STR(out, "spaced");
    CHECK_EQ_INT(expand("$${A}", 0, 0, out, sizeof out, why), 0); /* no escape: $ then ${A} */
    CHECK_EQ_STR(out, "$alpha");
    CHECK_EQ_INT(expand("x ${A", 0, 0, out, sizeof out, why), CE_ESYNTAX);
    CHECK_EQ_STR(why, "unterminated ${ in 'x ${A'");
    CHECK_EQ_INT(expand("${NOPE:-d}", 0, 0, out, sizeof out, why), CE_ENOTFOUND);
    CHECK_EQ_STR(why, "environment variable 'NOPE:-d' is not set");
}

TEST(defaults_grammar)
{
    char out[64], why[200];
    CHECK_EQ_INT(expand("${A}-${NOPE:-dflt}-${A:-x}", CERX_VARS_DEFAULTS, 0, out, sizeof out, why),
                 0);
    CHECK_EQ_STR(out, "alpha-dflt-alpha");
    CHECK_EQ_INT(expand("$${A} ${NOPE:-}", CERX_VARS_DEFAULTS, 0, out, sizeof out, why), 0);
    CHECK_EQ_STR(out, "${A} ");
    CHECK_EQ_INT(expand("ab ${1X}", CERX_VARS_DEFAULTS, 0, out, sizeof out, why), CE_ESYNTAX);
    CHECK_CONTAINS(why, "bad variable reference at byte 3");
    CHECK_EQ_INT(expand("${NOPE}", CERX_VARS_DEFAULTS, 0, out, sizeof out, why), CE_ENOTFOUND);
    CHECK_EQ_STR(why, "environment variable 'NOPE' is not set");
    CHECK_EQ_INT(expand("${A}${A}", CERX_VARS_DEFAULTS, 6, out, sizeof out, why), CE_ETOOBIG);
    CHECK_EQ_STR(why, "expands to more than 6 bytes");
}

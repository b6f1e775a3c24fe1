/* CESQL built-in functions (spec 3.5 and the casting functions INT, BOOL, STRING the TCK and
 * spec 3.7 use; IS_BOOL and IS_INT from the CESQL draft). String results are slices of their
 * argument where possible (TRIM, LEFT, RIGHT, SUBSTRING) and scratch memory otherwise. */
#include <string.h>

#include "ce/sql_prog.h"

static const char MSG_OVERFLOW[] = "integer overflow";
static const char MSG_NEG_LEN[] = "negative length";
static const char MSG_POS_RANGE[] = "position out of range";

static ce_sql_value str_val(const char *p, size_t n)
{
    ce_sql_value v;
    memset(&v, 0, sizeof v);
    v.type = CE_SQL_STRING;
    v.str.ptr = n ? p : "";
    v.str.len = n;
    return v;
}

static ce_sql_value int_val(ce_sql_type t, int32_t i)
{
    ce_sql_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    v.i = i;
    return v;
}

static void fn_abs(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    if (a[0].i == INT32_MIN) {
        ce__sql_raise(E, n, CE_SQL_ERR_MATH, MSG_OVERFLOW); /* spec 3.5.2 */
        *out = int_val(CE_SQL_INTEGER, INT32_MAX);
        return;
    }
    *out = int_val(CE_SQL_INTEGER, a[0].i < 0 ? -a[0].i : a[0].i);
}

static void fn_length(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    size_t c = ce__sql_utf8_count(a[0].str.ptr, a[0].str.len);
    *out = int_val(CE_SQL_INTEGER, c > INT32_MAX ? INT32_MAX : (int32_t)c);
}

/* One character of LOWER/UPPER: the mapped code point of s[*i], advancing *i. */
static inline uint32_t case_step(const char *s, size_t len, size_t *i, bool upper, uint32_t *cp)
{
    unsigned char c = (unsigned char)s[*i];
    if (c < 0x80) {
        (*i)++;
        *cp = c;
        if (upper)
            return c >= 'a' && c <= 'z' ? c - 32u : c;
        return c >= 'A' && c <= 'Z' ? c + 32u : c;
    }
    *cp = ce__sql_utf8_next(s, len, i);
    return upper ? ce__sql_to_upper(*cp) : ce__sql_to_lower(*cp);
}

/* LOWER and UPPER: simple (one to one) Unicode case mapping; unchanged input is returned as
 * is, without copying. */
static void map_case(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out, bool upper)
{
    const char *s = a[0].str.ptr;
    size_t len = a[0].str.len, i = 0, need = 0;
    bool changed = false;
    char tmp[4];
    while (i < len) {
        size_t i0 = i;
        uint32_t cp, m = case_step(s, len, &i, upper, &cp);
        if (m != cp) {
            changed = true;
            need += m < 0x80 ? 1 : ce__sql_utf8_put(m, tmp);
        } else {
            need += i - i0;
        }
    }
    if (!changed) {
        *out = a[0];
        return;
    }
    char *o = ce__sql_scratch_room(E, n, need);
    if (!o) {
        *out = str_val("", 0);
        return;
    }
    size_t k = 0;
    i = 0;
    while (i < len) {
        size_t i0 = i;
        uint32_t cp, m = case_step(s, len, &i, upper, &cp);
        if (m < 0x80) {
            o[k++] = (char)m;
        } else if (m != cp) {
            k += ce__sql_utf8_put(m, o + k);
        } else {
            memcpy(o + k, s + i0, i - i0);
            k += i - i0;
        }
    }
    ce__sql_scratch_commit(E, k);
    *out = str_val(o, k);
}

static void fn_lower(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    map_case(E, n, a, out, false);
}

static void fn_upper(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    map_case(E, n, a, out, true);
}

static void fn_trim(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    const char *s = a[0].str.ptr;
    size_t len = a[0].str.len, i = 0, start = len, end = 0;
    while (i < len) {
        size_t i0 = i;
        if (!ce__sql_is_space(ce__sql_utf8_next(s, len, &i))) {
            if (start == len)
                start = i0;
            end = i;
        }
    }
    *out = start < end ? str_val(s + start, end - start) : str_val("", 0);
}

static void fn_left(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    if (a[1].i < 0) {
        ce__sql_raise(E, n, CE_SQL_ERR_FUNCTION_EVALUATION, MSG_NEG_LEN);
        *out = a[0];
        return;
    }
    *out = str_val(a[0].str.ptr, ce__sql_utf8_skip(a[0].str.ptr, a[0].str.len, (size_t)a[1].i));
}

static void fn_right(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    if (a[1].i < 0) {
        ce__sql_raise(E, n, CE_SQL_ERR_FUNCTION_EVALUATION, MSG_NEG_LEN);
        *out = a[0];
        return;
    }
    size_t count = ce__sql_utf8_count(a[0].str.ptr, a[0].str.len);
    if ((size_t)a[1].i >= count) {
        *out = a[0];
        return;
    }
    size_t off = ce__sql_utf8_skip(a[0].str.ptr, a[0].str.len, count - (size_t)a[1].i);
    *out = str_val(a[0].str.ptr + off, a[0].str.len - off);
}

/* SUBSTRING(x, pos [, len]): 1-based pos, negative from the end, 0 gives "". */
static void substring(sql_eval *E, const sql_node *n, ce_sql_value *a, bool has_len,
                      ce_sql_value *out)
{
    const char *s = a[0].str.ptr;
    size_t slen = a[0].str.len;
    int64_t count = (int64_t)ce__sql_utf8_count(s, slen), pos = a[1].i;
    if (pos > count || pos < -count) {
        ce__sql_raise(E, n, CE_SQL_ERR_FUNCTION_EVALUATION, MSG_POS_RANGE);
        *out = str_val("", 0);
        return;
    }
    if (has_len && a[2].i < 0) {
        ce__sql_raise(E, n, CE_SQL_ERR_FUNCTION_EVALUATION, MSG_NEG_LEN);
        *out = str_val("", 0);
        return;
    }
    if (pos == 0) {
        *out = str_val("", 0);
        return;
    }
    int64_t start = pos > 0 ? pos - 1 : count + pos;
    int64_t stop = has_len && start + a[2].i < count ? start + a[2].i : count;
    size_t b0 = ce__sql_utf8_skip(s, slen, (size_t)start);
    size_t b1 = b0 + ce__sql_utf8_skip(s + b0, slen - b0, (size_t)(stop - start));
    *out = str_val(s + b0, b1 - b0);
}

static void fn_substring2(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    substring(E, n, a, false, out);
}

static void fn_substring3(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    substring(E, n, a, true, out);
}

/* The casting functions take any type and cast it with the semantics of spec 3.7; a failed
 * cast raises a CastError and yields the zero value. */
static void fn_int(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    *out = a[0];
    ce__sql_cast(E, n, out, CE_SQL_INTEGER);
}

static void fn_bool(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    *out = a[0];
    ce__sql_cast(E, n, out, CE_SQL_BOOLEAN);
}

static void fn_string(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    *out = a[0];
    ce__sql_cast(E, n, out, CE_SQL_STRING);
}

static void fn_is_bool(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    int32_t v;
    *out = int_val(CE_SQL_BOOLEAN, ce__sql_parse_bool(a[0].str.ptr, a[0].str.len, &v));
}

static void fn_is_int(sql_eval *E, const sql_node *n, ce_sql_value *a, ce_sql_value *out)
{
    int32_t v;
    *out = int_val(CE_SQL_BOOLEAN, ce__sql_parse_int(a[0].str.ptr, a[0].str.len, &v));
}

/* Append string value v at scratch offset *end (v may already sit there, or above it). */
static bool append(sql_eval *E, const sql_node *n, size_t *end, const ce_sql_value *v)
{
    ce_sql_ctx *c = E->ctx;
    if (v->str.len > c->cap - *end) {
        ce__sql_raise(E, n, CE_SQL_ERR_GENERIC, "string result exceeds the scratch memory");
        return false;
    }
    if (v->str.len)
        memmove(c->scratch + *end, v->str.ptr, v->str.len);
    *end += v->str.len;
    c->top = *end;
    return true;
}

/* CONCAT(x1, ...) and CONCAT_WS(delim, x1, ...): each argument is evaluated straight into
 * the scratch memory after the result so far, so no argument array is needed. */
static void concat(sql_eval *E, const sql_node *n, bool ws, ce_sql_value *out)
{
    ce_sql_ctx *c = E->ctx;
    const uint32_t *kids = E->prog->kids + n->b;
    size_t e0 = ce__sql_nerr(E);
    ce_sql_value delim = str_val("", 0), v;
    uint32_t k = 0;
    if (ws) {
        ce__sql_eval_node(E, kids[k++], &delim);
        if (ce__sql_nerr(E) == e0)
            ce__sql_cast(E, n, &delim, CE_SQL_STRING);
    }
    size_t start = c->top, end = start;
    for (; k < n->n; k++) {
        if (E->fail_fast && ce__sql_nerr(E) != e0)
            break;
        if (ws && k >= 2 && ce__sql_nerr(E) == e0 && !append(E, n, &end, &delim))
            continue;
        ce__sql_eval_node(E, kids[k], &v);
        if (ce__sql_nerr(E) != e0 || !ce__sql_cast(E, n, &v, CE_SQL_STRING)) {
            c->top = end;
            continue;
        }
        append(E, n, &end, &v);
    }
    if (ce__sql_nerr(E) != e0) {
        c->top = start;
        *out = str_val("", 0);
        return;
    }
    *out = str_val(c->scratch + start, end - start);
}

static void fn_concat(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    concat(E, n, false, out);
}

static void fn_concat_ws(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    concat(E, n, true, out);
}

#define S CE_SQL_STRING
#define I CE_SQL_INTEGER
#define B CE_SQL_BOOLEAN
const sql_builtin ce__sql_builtins[] = {
    {"ABS", 1, 1, I, {I, 0, 0}, fn_abs, NULL},
    {"LENGTH", 1, 1, I, {S, 0, 0}, fn_length, NULL},
    {"CONCAT", 0, SQL_VARIADIC, S, {0, 0, 0}, NULL, fn_concat},
    {"CONCAT_WS", 1, SQL_VARIADIC, S, {0, 0, 0}, NULL, fn_concat_ws},
    {"LOWER", 1, 1, S, {S, 0, 0}, fn_lower, NULL},
    {"UPPER", 1, 1, S, {S, 0, 0}, fn_upper, NULL},
    {"TRIM", 1, 1, S, {S, 0, 0}, fn_trim, NULL},
    {"LEFT", 2, 2, S, {S, I, 0}, fn_left, NULL},
    {"RIGHT", 2, 2, S, {S, I, 0}, fn_right, NULL},
    {"SUBSTRING", 2, 2, S, {S, I, 0}, fn_substring2, NULL},
    {"SUBSTRING", 3, 3, S, {S, I, I}, fn_substring3, NULL},
    {"INT", 1, 1, I, {0, 0, 0}, fn_int, NULL},
    {"BOOL", 1, 1, B, {0, 0, 0}, fn_bool, NULL},
    {"STRING", 1, 1, S, {0, 0, 0}, fn_string, NULL},
    {"IS_BOOL", 1, 1, B, {S, 0, 0}, fn_is_bool, NULL},
    {"IS_INT", 1, 1, B, {S, 0, 0}, fn_is_int, NULL},
    {NULL, 0, 0, 0, {0, 0, 0}, NULL, NULL},
};
#undef S
#undef I
#undef B

static bool name_eq(const char *s, size_t len, const char *upper)
{
    size_t i = 0;
    for (; i < len && upper[i]; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != upper[i])
            return false;
    }
    return i == len && upper[i] == '\0';
}

int ce__sql_builtin_find(const char *name, size_t len, size_t argc)
{
    int known = -1;
    for (int k = 0; ce__sql_builtins[k].name; k++) {
        const sql_builtin *b = &ce__sql_builtins[k];
        if (!name_eq(name, len, b->name))
            continue;
        known = -2;
        if (argc >= b->min_args && (b->max_args == SQL_VARIADIC || argc <= b->max_args))
            return k;
    }
    return known;
}

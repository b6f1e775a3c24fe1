/* CESQL evaluator: walks a compiled program against one event without allocating. Errors
 * follow spec 3.2/3.3: an operator whose operand raised an error (or could not be cast)
 * yields the zero value of its own type; functions define their own error values. */
#include <assert.h>
#include <string.h>

#include "ce/internal.h"
#include "ce/sql_prog.h"

static const char MSG_MISSING_ATTR[] = "attribute not present in the event";
static const char MSG_MISSING_FN[] = "no built-in function with this name takes this many "
                                     "arguments";
static const char MSG_DIV_ZERO[] = "division by zero";
static const char MSG_OVERFLOW[] = "integer overflow";
static const char MSG_SCRATCH[] = "string result exceeds the scratch memory";

ce_sql_value ce__sql_zero(ce_sql_type t)
{
    ce_sql_value v;
    memset(&v, 0, sizeof v);
    v.type = t ? t : CE_SQL_BOOLEAN;
    v.str.ptr = "";
    return v;
}

static ce_sql_value mk(ce_sql_type t, int32_t i)
{
    ce_sql_value v = ce__sql_zero(t);
    v.i = i;
    return v;
}

void ce__sql_raise(sql_eval *E, const sql_node *n, ce_sql_error_kind kind, const char *msg)
{
    ce_sql_ctx *c = E->ctx;
    if (c->nerr < CE_SQL_MAX_ERRORS) {
        ce_sql_error *e = &c->errs[c->nerr];
        e->kind = kind;
        e->offset = n->off;
        e->len = n->len;
        e->msg = msg;
    }
    c->nerr++;
}

char *ce__sql_scratch_room(sql_eval *E, const sql_node *n, size_t need)
{
    ce_sql_ctx *c = E->ctx;
    if (need > c->cap - c->top) {
        ce__sql_raise(E, n, CE_SQL_ERR_GENERIC, MSG_SCRATCH);
        return NULL;
    }
    return c->scratch + c->top;
}

bool ce__sql_cast(sql_eval *E, const sql_node *n, ce_sql_value *v, ce_sql_type to)
{
    int32_t i;
    if (v->type == to)
        return true;
    switch (to) {
    case CE_SQL_INTEGER:
        if (v->type == CE_SQL_BOOLEAN) {
            *v = mk(CE_SQL_INTEGER, v->i ? 1 : 0);
            return true;
        }
        if (ce__sql_parse_int(v->str.ptr, v->str.len, &i)) {
            *v = mk(CE_SQL_INTEGER, i);
            return true;
        }
        ce__sql_raise(E, n, CE_SQL_ERR_CAST, "cannot cast this String to Integer");
        break;
    case CE_SQL_BOOLEAN:
        if (v->type == CE_SQL_INTEGER) {
            *v = mk(CE_SQL_BOOLEAN, v->i != 0);
            return true;
        }
        if (ce__sql_parse_bool(v->str.ptr, v->str.len, &i)) {
            *v = mk(CE_SQL_BOOLEAN, i);
            return true;
        }
        ce__sql_raise(E, n, CE_SQL_ERR_CAST, "cannot cast this String to Boolean");
        break;
    case CE_SQL_STRING: {
        if (v->type == CE_SQL_BOOLEAN) {
            bool b = v->i != 0;
            *v = ce__sql_zero(CE_SQL_STRING);
            v->str.ptr = b ? "true" : "false";
            v->str.len = b ? 4 : 5;
            return true;
        }
        char *o = ce__sql_scratch_room(E, n, 11);
        if (!o)
            break;
        size_t k = ce__sql_format_int(v->i, o);
        ce__sql_scratch_commit(E, k);
        *v = ce__sql_zero(CE_SQL_STRING);
        v->str.ptr = o;
        v->str.len = k;
        return true;
    }
    }
    *v = ce__sql_zero(to);
    return false;
}

/* Evaluate an operand; false when it (or anything before it in this operator) failed. */
static bool operand(sql_eval *E, uint32_t idx, size_t e0, ce_sql_value *v)
{
    if (E->fail_fast && ce__sql_nerr(E) != e0) {
        *v = ce__sql_zero(0);
        return false;
    }
    ce__sql_eval_node(E, idx, v);
    return ce__sql_nerr(E) == e0;
}

static void eval_ident(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    ce_value v;
    const char *name = E->prog->pool + n->s;
    if (!E->ev || ce_event_get(E->ev, name, &v) != 0) {
        if (n->op == SQL_EXISTS) {
            *out = mk(CE_SQL_BOOLEAN, 0);
            return;
        }
        ce__sql_raise(E, n, CE_SQL_ERR_MISSING_ATTRIBUTE, MSG_MISSING_ATTR);
        *out = ce__sql_zero(0); /* spec 3.2: the type is unknown, so Boolean false */
        return;
    }
    if (n->op == SQL_EXISTS) {
        *out = mk(CE_SQL_BOOLEAN, 1);
        return;
    }
    /* spec 3.2: Boolean and Integer keep their type, everything else is a String. */
    switch (v.type) {
    case CE_TYPE_BOOLEAN:
        *out = mk(CE_SQL_BOOLEAN, v.i != 0);
        break;
    case CE_TYPE_INTEGER:
        *out = mk(CE_SQL_INTEGER, v.i);
        break;
    default:
        *out = ce__sql_zero(CE_SQL_STRING);
        if (v.str.len)
            out->str = v.str;
        break;
    }
}

static int32_t clamp(sql_eval *E, const sql_node *n, int64_t v)
{
    if (v > INT32_MAX || v < INT32_MIN) {
        ce__sql_raise(E, n, CE_SQL_ERR_MATH, MSG_OVERFLOW);
        return v > 0 ? INT32_MAX : INT32_MIN;
    }
    return (int32_t)v;
}

static void eval_unary(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    size_t e0 = ce__sql_nerr(E);
    ce_sql_value v;
    ce_sql_type t = n->op == SQL_NOT ? CE_SQL_BOOLEAN : CE_SQL_INTEGER;
    if (!operand(E, n->a, e0, &v) || !ce__sql_cast(E, n, &v, t)) {
        *out = ce__sql_zero(t);
        return;
    }
    if (n->op == SQL_NOT)
        *out = mk(t, !v.i);
    else
        *out = mk(t, clamp(E, n, -(int64_t)v.i));
}

/* AND and OR short-circuit (spec 3.4.2); an operand error decides the result (false). */
static void eval_logic(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    size_t e0 = ce__sql_nerr(E);
    const uint32_t *kids = E->prog->kids + n->b;
    int32_t acc = 0;
    bool failed = false;
    ce_sql_value v;
    for (uint32_t k = 0; k < n->n; k++) {
        if (!operand(E, kids[k], e0, &v) || !ce__sql_cast(E, n, &v, CE_SQL_BOOLEAN)) {
            failed = true;
            if (n->op != SQL_XOR || E->fail_fast)
                break;
            continue;
        }
        if (n->op == SQL_AND && !v.i) {
            *out = mk(CE_SQL_BOOLEAN, 0);
            return;
        }
        if (n->op == SQL_OR && v.i) {
            *out = mk(CE_SQL_BOOLEAN, 1);
            return;
        }
        acc ^= v.i;
    }
    if (failed)
        *out = mk(CE_SQL_BOOLEAN, 0);
    else
        *out = mk(CE_SQL_BOOLEAN, n->op == SQL_AND ? 1 : n->op == SQL_OR ? 0 : acc);
}

static bool values_equal(const ce_sql_value *l, const ce_sql_value *r)
{
    if (l->type == CE_SQL_STRING)
        return l->str.len == r->str.len &&
               (l->str.len == 0 || memcmp(l->str.ptr, r->str.ptr, l->str.len) == 0);
    return l->i == r->i;
}

static void eval_binary(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    size_t e0 = ce__sql_nerr(E);
    ce_sql_value l, r;
    ce_sql_type t = n->type;
    bool ok = operand(E, n->a, e0, &l);
    ok = operand(E, n->b, e0, &r) && ok;
    if (ok) {
        if (n->op == SQL_EQ || n->op == SQL_NE) {
            /* Ambiguous operator (spec 3.7): cast x to the type of y. */
            ok = ce__sql_cast(E, n, &l, r.type);
        } else {
            ok = ce__sql_cast(E, n, &l, CE_SQL_INTEGER);
            ok = (!E->fail_fast || ok) && ce__sql_cast(E, n, &r, CE_SQL_INTEGER) && ok;
        }
    }
    if (!ok) {
        *out = ce__sql_zero(t);
        return;
    }
    int64_t x = l.i, y = r.i;
    switch (n->op) {
    case SQL_EQ:
        *out = mk(t, values_equal(&l, &r));
        return;
    case SQL_NE:
        *out = mk(t, !values_equal(&l, &r));
        return;
    case SQL_LT:
        *out = mk(t, x < y);
        return;
    case SQL_LE:
        *out = mk(t, x <= y);
        return;
    case SQL_GT:
        *out = mk(t, x > y);
        return;
    case SQL_GE:
        *out = mk(t, x >= y);
        return;
    case SQL_ADD:
        *out = mk(t, clamp(E, n, x + y));
        return;
    case SQL_SUB:
        *out = mk(t, clamp(E, n, x - y));
        return;
    case SQL_MUL:
        *out = mk(t, clamp(E, n, x * y));
        return;
    case SQL_DIV:
    case SQL_MOD:
        if (y == 0) {
            ce__sql_raise(E, n, CE_SQL_ERR_MATH, MSG_DIV_ZERO);
            *out = mk(t, 0);
            return;
        }
        /* C division truncates toward zero and % takes the sign of x (spec 3.4.2). */
        *out = mk(t, n->op == SQL_DIV ? clamp(E, n, x / y) : (int32_t)(x % y));
        return;
    }
    *out = ce__sql_zero(t);
}

static void eval_like(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    size_t e0 = ce__sql_nerr(E);
    ce_sql_value v;
    if (!operand(E, n->a, e0, &v) || !ce__sql_cast(E, n, &v, CE_SQL_STRING)) {
        *out = mk(CE_SQL_BOOLEAN, 0);
        return;
    }
    bool m = ce__sql_like_match(E->prog->pool + n->s, n->n, v.str.ptr, v.str.len);
    *out = mk(CE_SQL_BOOLEAN, m != (n->neg != 0));
}

/* x IN (y1, ...): each yN is cast to the type of x and compared as by = (spec 3.4.5). */
static void eval_in(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    size_t e0 = ce__sql_nerr(E);
    ce_sql_value x, y;
    bool found = false;
    operand(E, n->a, e0, &x);
    for (uint32_t k = 0; k < n->n; k++) {
        if (E->fail_fast && ce__sql_nerr(E) != e0)
            break;
        size_t mark = E->ctx->top;
        if (operand(E, E->prog->kids[n->b + k], e0, &y) && ce__sql_cast(E, n, &y, x.type) &&
            values_equal(&x, &y))
            found = true;
        E->ctx->top = mark;
    }
    *out = mk(CE_SQL_BOOLEAN, ce__sql_nerr(E) == e0 && found != (n->neg != 0));
}

static void eval_call(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    const sql_builtin *b = &ce__sql_builtins[n->fn];
    if (b->stream) {
        b->stream(E, n, out);
        return;
    }
    size_t e0 = ce__sql_nerr(E);
    ce_sql_value args[3];
    assert(b->fixed && n->n <= 3);
    bool ok = true;
    for (uint32_t k = 0; k < n->n; k++)
        ok = operand(E, E->prog->kids[n->b + k], e0, &args[k]) && ok;
    bool ok0 = ok;
    for (uint32_t k = 0; ok0 && k < n->n && (ok || !E->fail_fast); k++)
        if (b->params[k] && !ce__sql_cast(E, n, &args[k], (ce_sql_type)b->params[k]))
            ok = false;
    if (!ok) {
        *out = ce__sql_zero((ce_sql_type)b->ret);
        return;
    }
    b->fixed(E, n, args, out);
}

static void eval_inner(sql_eval *E, const sql_node *n, ce_sql_value *out)
{
    if (E->fail_fast && ce__sql_nerr(E)) {
        *out = ce__sql_zero((ce_sql_type)n->type);
        return;
    }
    switch (n->op) {
    case SQL_LIT:
        *out = mk((ce_sql_type)n->type, n->i);
        if (n->type == CE_SQL_STRING && n->n) {
            out->str.ptr = E->prog->pool + n->s;
            out->str.len = n->n;
        }
        return;
    case SQL_IDENT:
    case SQL_EXISTS:
        eval_ident(E, n, out);
        return;
    case SQL_NOT:
    case SQL_NEG:
        eval_unary(E, n, out);
        return;
    case SQL_AND:
    case SQL_OR:
    case SQL_XOR:
        eval_logic(E, n, out);
        return;
    case SQL_LIKE:
        eval_like(E, n, out);
        return;
    case SQL_IN:
        eval_in(E, n, out);
        return;
    case SQL_CALL:
        eval_call(E, n, out);
        return;
    case SQL_NOFUNC:
        ce__sql_raise(E, n, CE_SQL_ERR_MISSING_FUNCTION, MSG_MISSING_FN);
        *out = mk(CE_SQL_BOOLEAN, 0); /* spec 3.5 */
        return;
    default:
        eval_binary(E, n, out);
        return;
    }
}

void ce__sql_eval_node(sql_eval *E, uint32_t idx, ce_sql_value *out)
{
    ce_sql_ctx *c = E->ctx;
    size_t mark = c->top;
    assert(idx < E->prog->nnodes && mark <= c->cap);
    eval_inner(E, &E->prog->nodes[idx], out);
    /* Release the scratch this subtree used, keeping only the bytes of a String result that
     * lives there (moved down to `mark`). */
    uintptr_t p = (uintptr_t)out->str.ptr, lo = (uintptr_t)(c->scratch + mark),
              hi = (uintptr_t)(c->scratch + c->top);
    if (out->type == CE_SQL_STRING && out->str.len && p >= lo && p < hi) {
        if (p != lo)
            memmove(c->scratch + mark, out->str.ptr, out->str.len);
        out->str.ptr = c->scratch + mark;
        c->top = mark + out->str.len;
    } else {
        c->top = mark;
    }
}

ce_sql_ctx *ce_sql_ctx_new(size_t scratch_bytes)
{
    if (!scratch_bytes)
        scratch_bytes = CE_SQL_DEFAULT_SCRATCH;
    ce_sql_ctx *c = ce__malloc(sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->scratch = ce__malloc(scratch_bytes);
    if (!c->scratch) {
        ce__free(c);
        return NULL;
    }
    c->cap = scratch_bytes;
    return c;
}

void ce_sql_ctx_destroy(ce_sql_ctx *ctx)
{
    if (!ctx)
        return;
    ce__free(ctx->scratch);
    ce__free(ctx);
}

int ce_sql_eval(const ce_sql_prog *prog, ce_sql_ctx *ctx, const ce_event *ev, unsigned flags,
                ce_sql_value *out)
{
    if (!prog || !ctx || !out)
        return CE_EINVAL;
    ctx->top = 0;
    ctx->nerr = 0;
    sql_eval E = {prog, ev, ctx, (flags & CE_SQL_FAIL_FAST) != 0};
    ce__sql_eval_node(&E, prog->root, out);
    if (E.fail_fast && ctx->nerr) /* spec 4.1 */
        *out = ce__sql_zero((ce_sql_type)prog->nodes[prog->root].type);
    return ctx->nerr > INT32_MAX ? INT32_MAX : (int)ctx->nerr;
}

size_t ce_sql_ctx_error_count(const ce_sql_ctx *ctx)
{
    return ctx ? ctx->nerr : 0;
}

const ce_sql_error *ce_sql_ctx_error(const ce_sql_ctx *ctx, size_t idx)
{
    if (!ctx || idx >= ctx->nerr || idx >= CE_SQL_MAX_ERRORS)
        return NULL;
    return &ctx->errs[idx];
}

int ce_sql_filter_ctx(const ce_sql_prog *prog, ce_sql_ctx *ctx, const ce_event *ev)
{
    ce_sql_value v;
    if (ce_sql_eval(prog, ctx, ev, CE_SQL_FAIL_FAST, &v) != 0)
        return 0;
    return v.type == CE_SQL_BOOLEAN && v.i;
}

int ce_sql_filter(const ce_sql_prog *prog, const ce_event *ev)
{
    char scratch[CE_SQL_FILTER_SCRATCH];
    ce_sql_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.scratch = scratch;
    ctx.cap = sizeof scratch;
    return ce_sql_filter_ctx(prog, &ctx, ev);
}

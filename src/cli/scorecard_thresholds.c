/* The scorecard's thresholds: built-in defaults and a small YAML file overriding them,
 * parsed with libyaml's event API (a mapping of name -> number or {green, yellow}). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli/scorecard.h"

void sc_thresholds_default(sc_thresholds *t)
{
#define SC_INIT(name, g, y, hb) t->name = (sc_limit){g, y, hb};
    SC_THRESHOLDS(SC_INIT)
#undef SC_INIT
}

sc_grade sc_grade_of(const sc_limit *l, double v)
{
    if (isnan(v))
        return SC_RED;
    if (l->higher_better)
        return v >= l->green ? SC_GREEN : v >= l->yellow ? SC_YELLOW : SC_RED;
    return v <= l->green ? SC_GREEN : v <= l->yellow ? SC_YELLOW : SC_RED;
}

const char *sc_grade_name(sc_grade g)
{
    static const char *const n[] = {"green", "yellow", "red", "skip"};
    return (unsigned)g < 4 ? n[g] : "?";
}

static sc_limit *lookup(sc_thresholds *t, const char *name)
{
#define SC_LOOK(n, g, y, hb)                                                                       \
    if (strcmp(name, #n) == 0)                                                                     \
        return &t->n;
    SC_THRESHOLDS(SC_LOOK)
#undef SC_LOOK
    return NULL;
}

static int number(const yaml_event_t *ev, double *out)
{
    const char *s = (const char *)ev->data.scalar.value;
    char *end;
    if (ev->data.scalar.length == 0 || ev->data.scalar.length > 64)
        return -1;
    double v = strtod(s, &end);
    if (*end || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

#define FAIL(ev, ...)                                                                              \
    do {                                                                                           \
        int n_ = snprintf(errstr, errstr_size, "%zu:%zu: ", (ev)->start_mark.line + 1,             \
                          (ev)->start_mark.column + 1);                                            \
        if (n_ >= 0 && (size_t)n_ < errstr_size)                                                   \
            snprintf(errstr + n_, errstr_size - (size_t)n_, __VA_ARGS__);                          \
        goto fail;                                                                                 \
    } while (0)

int sc_thresholds_parse(sc_thresholds *t, const char *yaml, size_t len, char *errstr,
                        size_t errstr_size)
{
    sc_thresholds work = *t;
    yaml_parser_t p;
    yaml_event_t ev;
    int have_ev = 0, depth = 0, rc = -1;
    char key[64] = "", sub[16] = "";
    sc_limit *cur = NULL;
    if (errstr_size)
        errstr[0] = 0;
    if (!yaml_parser_initialize(&p)) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    for (;;) {
        if (!yaml_parser_parse(&p, &ev)) {
            snprintf(errstr, errstr_size, "%zu:%zu: %s", p.problem_mark.line + 1,
                     p.problem_mark.column + 1, p.problem ? p.problem : "YAML syntax error");
            goto out;
        }
        have_ev = 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            rc = 0;
            goto done;
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        case YAML_ALIAS_EVENT:
            FAIL(&ev, "aliases are not supported");
        case YAML_SEQUENCE_START_EVENT:
            FAIL(&ev, "expected a mapping or a number, not a list");
        case YAML_MAPPING_START_EVENT:
            if (depth == 0) {
                depth = 1;
            } else if (depth == 1 && cur) {
                depth = 2;
                sub[0] = 0;
            } else {
                FAIL(&ev, "too deeply nested");
            }
            break;
        case YAML_MAPPING_END_EVENT:
            if (depth == 2) {
                if (cur->higher_better ? cur->yellow > cur->green : cur->yellow < cur->green)
                    FAIL(&ev, "%s: yellow %g is on the better side of green %g", key, cur->yellow,
                         cur->green);
                cur = NULL;
            }
            depth--;
            break;
        case YAML_SCALAR_EVENT: {
            const char *s = (const char *)ev.data.scalar.value;
            if (depth == 0) {
                if (ev.data.scalar.length == 0)
                    break; /* an empty document */
                FAIL(&ev, "expected a mapping of threshold names");
            }
            if (depth == 1 && !cur) {
                if (ev.data.scalar.length >= sizeof key || !(cur = lookup(&work, s)))
                    FAIL(&ev, "unknown threshold '%.40s' (see 'cerelay scorecard --help')", s);
                snprintf(key, sizeof key, "%s", s);
            } else if (depth == 1) { /* name: N sets green only */
                double v;
                if (number(&ev, &v) != 0)
                    FAIL(&ev, "%s: not a non-negative number: '%.40s'", key, s);
                cur->green = v;
                if (cur->higher_better ? cur->yellow > v : cur->yellow < v)
                    cur->yellow = v;
                cur = NULL;
            } else if (!sub[0]) {
                if (strcmp(s, "green") && strcmp(s, "yellow"))
                    FAIL(&ev, "%s: expected 'green' or 'yellow', got '%.40s'", key, s);
                snprintf(sub, sizeof sub, "%s", s);
            } else {
                double v;
                if (number(&ev, &v) != 0)
                    FAIL(&ev, "%s.%s: not a non-negative number: '%.40s'", key, sub, s);
                if (strcmp(sub, "green") == 0)
                    cur->green = v;
                else
                    cur->yellow = v;
                sub[0] = 0;
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
        have_ev = 0;
    }
done:
    *t = work;
    goto out;
fail:
    rc = -1;
out:
    if (have_ev)
        yaml_event_delete(&ev);
    yaml_parser_delete(&p);
    return rc;
}

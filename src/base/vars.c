/* ${NAME} expansion, the one copy: HTTP sink headers (plain ${NAME}) and the relay's YAML
 * configuration (also ${NAME:-default} and $${ for a literal ${). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "cerelay/ce.h"

static bool name_start(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static bool name_char(char ch)
{
    return name_start(ch) || (ch >= '0' && ch <= '9');
}

int cerx_expand_vars(const char *s, char *dst, size_t *len, unsigned flags, cerx_getenv_fn fn,
                     void *ctx, size_t max, char *errstr, size_t errstr_size)
{
    bool ext = flags & CERX_VARS_DEFAULTS;
    size_t out = 0;
    for (size_t i = 0; s[i];) {
        if (ext && s[i] == '$' && s[i + 1] == '$' && s[i + 2] == '{') { /* $${ escapes ${ */
            if (dst)
                memcpy(dst + out, "${", 2);
            out += 2;
            i += 3;
            continue;
        }
        if (s[i] != '$' || s[i + 1] != '{') {
            if (dst)
                dst[out] = s[i];
            out++;
            i++;
            continue;
        }
        size_t start = i + 2, j = start, end;
        const char *def = NULL;
        size_t deflen = 0;
        char name[128];
        if (ext) {
            while (name_char(s[j]))
                j++;
            end = j;
            if (s[j] == ':' && s[j + 1] == '-') {
                def = s + j + 2;
                const char *close = strchr(def, '}');
                if (close) {
                    deflen = (size_t)(close - def);
                    end = (size_t)(close - s);
                } else {
                    end = strlen(s);
                }
            }
            if (s[end] != '}' || j == start || !name_start(s[start]))
                return cerx_errf(CE_ESYNTAX, errstr, errstr_size,
                                 "bad variable reference at byte %zu: expected ${NAME} or "
                                 "${NAME:-default} (NAME is letters, digits and _; write $${ for "
                                 "a literal ${)",
                                 i);
            if (j - start >= sizeof name)
                return cerx_errf(CE_ESYNTAX, errstr, errstr_size,
                                 "variable name at byte %zu is too long", i);
        } else {
            const char *close = strchr(s + start, '}');
            if (!close)
                return cerx_errf(CE_ESYNTAX, errstr, errstr_size, "unterminated ${ in '%s'", s);
            j = end = (size_t)(close - s);
        }
        snprintf(name, sizeof name, "%.*s", (int)(j - start), s + start);
        const char *v = fn ? fn(ctx, name) : NULL;
        if (!v && !def)
            return cerx_errf(CE_ENOTFOUND, errstr, errstr_size,
                             "environment variable '%s' is not set", name);
        size_t vlen = v ? strlen(v) : deflen;
        if (dst)
            memcpy(dst + out, v ? v : def, vlen);
        out += vlen;
        if (max && out > max)
            return cerx_errf(CE_ETOOBIG, errstr, errstr_size, "expands to more than %zu bytes",
                             max);
        i = end + 1;
    }
    *len = out;
    return 0;
}

/* CESQL lexer (cesql/grammar/CESQLLexer.g4, spec section 2): keywords are case-insensitive,
 * words follow the grammar's maximal munch ([A-Za-z0-9_]+), strings are '' or "" quoted. */
#include <string.h>

#include "ce/sql_lex.h"

static int is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int ieq(const char *s, size_t len, const char *kw)
{
    size_t i;
    for (i = 0; i < len && kw[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (c != (unsigned char)kw[i])
            return 0;
    }
    return i == len && kw[i] == '\0';
}

static const struct {
    const char *kw;
    enum sql_tok_type type;
} keywords[] = {
    {"AND", SQL_T_AND}, {"OR", SQL_T_OR},     {"XOR", SQL_T_XOR},
    {"NOT", SQL_T_NOT}, {"LIKE", SQL_T_LIKE}, {"EXISTS", SQL_T_EXISTS},
    {"IN", SQL_T_IN},   {"TRUE", SQL_T_TRUE}, {"FALSE", SQL_T_FALSE},
};

static void lex_word(const char *s, size_t len, size_t pos, sql_tok *t)
{
    size_t e = pos;
    int digits_only = 1;
    while (e < len && is_word_char((unsigned char)s[e])) {
        if (s[e] < '0' || s[e] > '9')
            digits_only = 0;
        e++;
    }
    t->len = e - pos;
    if (digits_only) {
        uint64_t v = 0;
        for (size_t i = pos; i < e; i++) {
            v = v * 10 + (uint64_t)(s[i] - '0');
            if (v > (uint64_t)UINT32_MAX + 1)
                v = (uint64_t)UINT32_MAX + 1;
        }
        t->type = SQL_T_INT;
        t->u = v;
        return;
    }
    for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
        if (ieq(s + pos, t->len, keywords[k].kw)) {
            t->type = keywords[k].type;
            return;
        }
    }
    t->type = SQL_T_WORD;
}

static void lex_string(const char *s, size_t len, size_t pos, sql_tok *t)
{
    char q = s[pos];
    size_t i = pos + 1;
    while (i < len) {
        if (s[i] == '\\' && i + 1 < len) {
            i += 2;
        } else if (s[i] == q) {
            if (i + 1 < len && s[i + 1] == q) {
                i += 2;
            } else {
                t->type = SQL_T_STRING;
                t->len = i + 1 - pos;
                return;
            }
        } else {
            i++;
        }
    }
    t->type = SQL_T_ERROR;
    t->err = "unterminated string literal";
}

void ce__sql_lex(const char *s, size_t len, size_t pos, sql_tok *t)
{
    while (pos < len && is_space((unsigned char)s[pos]))
        pos++;
    memset(t, 0, sizeof *t);
    t->off = pos;
    if (pos >= len) {
        t->type = SQL_T_EOF;
        return;
    }
    unsigned char c = (unsigned char)s[pos];
    unsigned char c2 = pos + 1 < len ? (unsigned char)s[pos + 1] : 0;
    t->len = 1;
    switch (c) {
    case '(':
        t->type = SQL_T_LPAREN;
        return;
    case ')':
        t->type = SQL_T_RPAREN;
        return;
    case ',':
        t->type = SQL_T_COMMA;
        return;
    case '*':
        t->type = SQL_T_STAR;
        return;
    case '/':
        t->type = SQL_T_SLASH;
        return;
    case '%':
        t->type = SQL_T_PERCENT;
        return;
    case '+':
        t->type = SQL_T_PLUS;
        return;
    case '-':
        t->type = SQL_T_MINUS;
        return;
    case '=':
        t->type = SQL_T_EQ;
        return;
    case '!':
        if (c2 == '=') {
            t->type = SQL_T_NE;
            t->len = 2;
            return;
        }
        t->type = SQL_T_ERROR;
        t->err = "'!' must be followed by '='";
        return;
    case '<':
        if (c2 == '=' || c2 == '>') {
            t->type = c2 == '=' ? SQL_T_LE : SQL_T_LTGT;
            t->len = 2;
            return;
        }
        t->type = SQL_T_LT;
        return;
    case '>':
        if (c2 == '=') {
            t->type = SQL_T_GE;
            t->len = 2;
            return;
        }
        t->type = SQL_T_GT;
        return;
    case '\'':
    case '"':
        lex_string(s, len, pos, t);
        return;
    default:
        if (is_word_char(c)) {
            lex_word(s, len, pos, t);
            return;
        }
        t->type = SQL_T_ERROR;
        t->err = "unexpected character";
        return;
    }
}

size_t ce__sql_unquote(const char *s, const sql_tok *tok, char *out)
{
    const char *p = s + tok->off;
    char q = p[0];
    size_t n = 0, end = tok->len - 1;
    for (size_t i = 1; i < end; i++) {
        if (p[i] == '\\' && i + 1 < end) {
            if (p[i + 1] == q) {
                out[n++] = q;
            } else {
                out[n++] = '\\';
                out[n++] = p[i + 1];
            }
            i++;
        } else if (p[i] == q) {
            out[n++] = q; /* the first of a doubled quote */
            i++;
        } else {
            out[n++] = p[i];
        }
    }
    return n;
}

const char *ce__sql_tok_name(enum sql_tok_type t)
{
    switch (t) {
    case SQL_T_EOF:
        return "end of input";
    case SQL_T_ERROR:
        return "invalid token";
    case SQL_T_LPAREN:
        return "'('";
    case SQL_T_RPAREN:
        return "')'";
    case SQL_T_COMMA:
        return "','";
    case SQL_T_STAR:
        return "'*'";
    case SQL_T_SLASH:
        return "'/'";
    case SQL_T_PERCENT:
        return "'%'";
    case SQL_T_PLUS:
        return "'+'";
    case SQL_T_MINUS:
        return "'-'";
    case SQL_T_EQ:
        return "'='";
    case SQL_T_NE:
        return "'!='";
    case SQL_T_LTGT:
        return "'<>'";
    case SQL_T_LT:
        return "'<'";
    case SQL_T_LE:
        return "'<='";
    case SQL_T_GT:
        return "'>'";
    case SQL_T_GE:
        return "'>='";
    case SQL_T_INT:
        return "integer literal";
    case SQL_T_STRING:
        return "string literal";
    case SQL_T_WORD:
        return "identifier";
    case SQL_T_AND:
        return "AND";
    case SQL_T_OR:
        return "OR";
    case SQL_T_XOR:
        return "XOR";
    case SQL_T_NOT:
        return "NOT";
    case SQL_T_LIKE:
        return "LIKE";
    case SQL_T_EXISTS:
        return "EXISTS";
    case SQL_T_IN:
        return "IN";
    case SQL_T_TRUE:
        return "TRUE";
    case SQL_T_FALSE:
        return "FALSE";
    }
    return "token";
}

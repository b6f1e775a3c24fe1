/* CESQL lexer: turns expression bytes into tokens on demand (cesql/grammar/CESQLLexer.g4).
 * Stateless: each call lexes the one token at or after a byte position. */
#ifndef CE_SQL_LEX_H
#define CE_SQL_LEX_H

#include <stddef.h>
#include <stdint.h>

enum sql_tok_type {
    SQL_T_EOF = 0,
    SQL_T_ERROR,
    SQL_T_LPAREN,
    SQL_T_RPAREN,
    SQL_T_COMMA,
    SQL_T_STAR,
    SQL_T_SLASH,
    SQL_T_PERCENT,
    SQL_T_PLUS,
    SQL_T_MINUS,
    SQL_T_EQ,
    SQL_T_NE,   /* != */
    SQL_T_LTGT, /* <> */
    SQL_T_LT,
    SQL_T_LE,
    SQL_T_GT,
    SQL_T_GE,
    SQL_T_INT,    /* unsigned decimal digits; value in u (saturated) */
    SQL_T_STRING, /* quoted literal including its quotes */
    SQL_T_WORD,   /* [A-Za-z0-9_]+ that is not all digits and not a keyword */
    SQL_T_AND,
    SQL_T_OR,
    SQL_T_XOR,
    SQL_T_NOT,
    SQL_T_LIKE,
    SQL_T_EXISTS,
    SQL_T_IN,
    SQL_T_TRUE,
    SQL_T_FALSE
};

typedef struct sql_tok {
    enum sql_tok_type type;
    size_t off, len; /* bytes of the token in the source */
    uint64_t u;      /* SQL_T_INT value, saturated at UINT32_MAX + 1 */
    const char *err; /* SQL_T_ERROR: what is wrong (at off) */
} sql_tok;

/* Lex the token starting at or after s[pos] (whitespace skipped). */
void ce__sql_lex(const char *s, size_t len, size_t pos, sql_tok *out);
/* Decode a SQL_T_STRING token's contents into out (at least tok->len bytes); returns the
 * decoded length. Escapes: \q and qq stand for the quote q; any other backslash pair is
 * kept as both characters. */
size_t ce__sql_unquote(const char *s, const sql_tok *tok, char *out);
/* A short name for a token type, for messages ("')'", "end of input"). */
const char *ce__sql_tok_name(enum sql_tok_type t);

#endif

/* Credential detectors (docs/masking.md, "Detectors"): AWS access key ids, JWTs, HTTP
 * Authorization credentials, vendor API key formats, and secrets (a value after a secret-like
 * keyword, a standalone AWS-secret-shaped token, PEM private keys, secret-named JSON members).
 * Each matcher reads a bounded window or a run the scanner then steps past. */
#include <string.h>

#include "ce/json.h"
#include "gov/mask.h"

static inline bool is_digit(unsigned char c)
{
    return (unsigned)(c - '0') < 10u;
}
static inline bool is_upper(unsigned char c)
{
    return (unsigned)(c - 'A') < 26u;
}
static inline bool is_lower(unsigned char c)
{
    return (unsigned)(c - 'a') < 26u;
}
static inline bool is_alnum(unsigned char c)
{
    return is_digit(c) || is_upper(c) || is_lower(c);
}
static inline bool is_b64url(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '_';
}
static inline bool is_b64(unsigned char c)
{
    return is_alnum(c) || c == '+' || c == '/';
}

#define AT(k) ((unsigned char)s[k])

/* Case-insensitive: does s[i..n) start with the lowercase word w? */
static bool starts_ci(const char *s, size_t n, size_t i, const char *w, size_t wl)
{
    if (n - i < wl)
        return false;
    for (size_t k = 0; k < wl; k++)
        if ((AT(i + k) | (is_upper(AT(i + k)) ? 32 : 0)) != (unsigned char)w[k])
            return false;
    return true;
}

static size_t run(const char *s, size_t n, size_t j, bool (*cls)(unsigned char))
{
    while (j < n && cls(AT(j)))
        j++;
    return j;
}

static bool fill(cer__mask_hit *hit, size_t a, size_t b, int det)
{
    hit->start = a;
    hit->end = b;
    hit->det = det;
    return true;
}

/* Decode base64 (url-safe when url, padding optional) of s[0..n) into out (cap bytes).
 * Returns the decoded length or -1. */
static long b64_decode(const char *s, size_t n, bool url, unsigned char *out, size_t cap)
{
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1 || n / 4 * 3 + 3 > cap)
        return -1;
    unsigned acc = 0;
    int bits = 0;
    long len = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = AT(k);
        int v = is_upper(c)              ? c - 'A'
                : is_lower(c)            ? c - 'a' + 26
                : is_digit(c)            ? c - '0' + 52
                : c == (url ? '-' : '+') ? 62
                : c == (url ? '_' : '/') ? 63
                                         : -1;
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (unsigned char)(acc >> bits);
        }
    }
    return len;
}

/* ---- JWT ------------------------------------------------------------------------------------ */

/* header.payload.signature (JWS compact) or five segments (JWE), each base64url; the header
 * starts "eyJ" and decodes to a JSON object with an "alg" member. The signature may be empty
 * (alg none). */
bool cer__mask_jwt(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    if (n - i < 10 || memcmp(s + i, "eyJ", 3) != 0)
        return false;
    if (i > 0 && (is_b64url(AT(i - 1)) || AT(i - 1) == '.'))
        return false;
    size_t h = run(s, n, i, is_b64url);
    if (h - i > 2048 || h >= n || AT(h) != '.')
        return false;
    unsigned char hdr[1600];
    long hl = b64_decode(s + i, h - i, true, hdr, sizeof hdr);
    if (hl < 2 || hdr[0] != '{' || ce_json_check((const char *)hdr, (size_t)hl, 4, NULL, 0) ||
        !memmem(hdr, (size_t)hl, "\"alg\"", 5))
        return false;
    size_t j = h, segs = 1;
    while (j < n && AT(j) == '.' && segs < 5) {
        size_t e = run(s, n, j + 1, is_b64url);
        if (segs == 1 && e - (j + 1) < 2)
            return false;
        j = e;
        segs++;
    }
    if (segs != 3 && segs != 5)
        return false;
    return fill(hit, i, j, CER_MASK_DET_JWT);
}

/* ---- Authorization credentials -------------------------------------------------------------- */

static bool is_b68(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

/* "Bearer <token>" (RFC 6750 token68; at least 16 characters with a digit, or 20 with both
 * cases, so "Bearer authentication" in prose does not match) and "Basic <base64>" whose
 * decoding is printable and holds ':' (user:password). Only the credential is replaced. */
bool cer__mask_bearer(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    bool basic = starts_ci(s, n, i, "basic", 5);
    if (!basic && !starts_ci(s, n, i, "bearer", 6))
        return false;
    size_t j = i + (basic ? 5 : 6), t;
    if (j >= n || (AT(j) != ' ' && AT(j) != '\t'))
        return false;
    while (j < n && j - i < 16 && (AT(j) == ' ' || AT(j) == '\t'))
        j++;
    t = j;
    if (basic) {
        j = run(s, n, t, is_b64);
        while (j < n && AT(j) == '=' && j - t < 4096)
            j++;
        unsigned char dec[768];
        long dl =
            (j - t) % 4 == 0 && j - t >= 8 ? b64_decode(s + t, j - t, false, dec, sizeof dec) : -1;
        if (dl < 3 || !memchr(dec, ':', (size_t)dl) || (j < n && is_b68(AT(j))))
            return false;
        for (long k = 0; k < dl; k++)
            if (dec[k] < 0x20 || dec[k] > 0x7e)
                return false;
        return fill(hit, t, j, CER_MASK_DET_BEARER);
    }
    j = run(s, n, t, is_b68);
    while (j < n && AT(j) == '=')
        j++;
    while (j > t && AT(j - 1) == '.') /* sentence end */
        j--;
    bool digit = false, up = false, low = false;
    for (size_t k = t; k < j; k++) {
        digit |= is_digit(AT(k));
        up |= is_upper(AT(k));
        low |= is_lower(AT(k));
    }
    if (!((j - t >= 16 && digit) || (j - t >= 20 && up && low)))
        return false;
    return fill(hit, t, j, CER_MASK_DET_BEARER);
}

/* ---- vendor API keys ------------------------------------------------------------------------ */

enum { K_ALNUM, K_URL, K_UNDER, K_DASH };

static bool body_char(int kind, unsigned char c)
{
    switch (kind) {
    case K_URL:
        return is_b64url(c);
    case K_UNDER:
        return is_alnum(c) || c == '_';
    case K_DASH:
        return is_alnum(c) || c == '-';
    }
    return is_alnum(c);
}

/* The known prefixes. The body (after the prefix) has `min`+ characters of its class, and for
 * "sk-" at least one digit and one letter. */
static const struct key_fmt {
    const char *prefix;
    unsigned char plen, kind, min;
} key_fmts[] = {
    {"sk-", 3, K_URL, 20},            /* OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), OpenRouter */
    {"sk_live_", 8, K_ALNUM, 16},     /* Stripe secret keys */
    {"sk_test_", 8, K_ALNUM, 16},     /* */
    {"rk_live_", 8, K_ALNUM, 16},     /* Stripe restricted keys */
    {"rk_test_", 8, K_ALNUM, 16},     /* */
    {"whsec_", 6, K_ALNUM, 24},       /* Stripe webhook secrets */
    {"ghp_", 4, K_ALNUM, 30},         /* GitHub personal access token */
    {"gho_", 4, K_ALNUM, 30},         /* GitHub OAuth */
    {"ghu_", 4, K_ALNUM, 30},         /* GitHub user-to-server */
    {"ghs_", 4, K_ALNUM, 30},         /* GitHub server-to-server */
    {"ghr_", 4, K_ALNUM, 30},         /* GitHub refresh */
    {"github_pat_", 11, K_UNDER, 22}, /* GitHub fine-grained PAT */
    {"glpat-", 6, K_URL, 20},         /* GitLab */
    {"xoxb-", 5, K_DASH, 10},         /* Slack bot */
    {"xoxp-", 5, K_DASH, 10},         /* Slack user */
    {"xoxa-", 5, K_DASH, 10},         /* Slack app */
    {"xoxr-", 5, K_DASH, 10},         /* Slack refresh */
    {"xoxs-", 5, K_DASH, 10},         /* Slack session */
    {"xoxe-", 5, K_DASH, 10},         /* Slack rotating */
    {"AIza", 4, K_URL, 30},           /* Google API key */
    {"hf_", 3, K_ALNUM, 30},          /* Hugging Face */
    {"npm_", 4, K_ALNUM, 36},         /* npm */
};

bool cer__mask_api_key(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    unsigned char c = AT(i);
    if (c != 's' && c != 'r' && c != 'w' && c != 'g' && c != 'x' && c != 'A' && c != 'h' &&
        c != 'n')
        return false;
    for (size_t f = 0; f < sizeof key_fmts / sizeof *key_fmts; f++) {
        const struct key_fmt *k = &key_fmts[f];
        if ((unsigned char)k->prefix[0] != c || n - i < k->plen ||
            memcmp(s + i, k->prefix, k->plen) != 0)
            continue;
        size_t b = i + k->plen, j = b;
        bool digit = false, alpha = false;
        while (j < n && body_char(k->kind, AT(j))) {
            digit |= is_digit(AT(j));
            alpha |= is_upper(AT(j)) || is_lower(AT(j));
            j++;
        }
        if (j - b < k->min || (f == 0 && !(digit && alpha)))
            continue;
        return fill(hit, i, j, CER_MASK_DET_API_KEY);
    }
    return false;
}

/* ---- AWS access key ids --------------------------------------------------------------------- */

/* AKIA (long-term), ASIA (temporary), ABIA, ACCA followed by 16 of [A-Z0-9]. */
bool cer__mask_aws_key(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    if (n - i < 20)
        return false;
    const char *p = s + i;
    if (memcmp(p, "AKIA", 4) && memcmp(p, "ASIA", 4) && memcmp(p, "ABIA", 4) &&
        memcmp(p, "ACCA", 4))
        return false;
    for (size_t k = 4; k < 20; k++)
        if (!is_upper(AT(i + k)) && !is_digit(AT(i + k)))
            return false;
    if (i + 20 < n && (is_alnum(AT(i + 20)) || AT(i + 20) == '_'))
        return false;
    return fill(hit, i, i + 20, CER_MASK_DET_AWS_KEY);
}

/* ---- secrets -------------------------------------------------------------------------------- */

/* Keywords (lowercase, longest first where one is a prefix of another). */
#define KW(s)                                                                                      \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
static const struct {
    const char *s;
    size_t n;
} secret_words[] = {KW("aws_secret_access_key"),
                    KW("aws_secret_key"),
                    KW("aws_secret"),
                    KW("aws_session_token"),
                    KW("secret_access_key"),
                    KW("secret_key"),
                    KW("client_secret"),
                    KW("secret"),
                    KW("passphrase"),
                    KW("password"),
                    KW("passwd"),
                    KW("pwd"),
                    KW("api_key"),
                    KW("apikey"),
                    KW("api-key"),
                    KW("access_token"),
                    KW("refresh_token"),
                    KW("auth_token"),
                    KW("session_token"),
                    KW("id_token"),
                    KW("token"),
                    KW("private_key")};
#undef KW

static bool value_char(unsigned char c)
{
    return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != ',' && c != ';' && c != '&' &&
           c != '}' && c != ']' && c != ')' && c != '<' && c != '>' && c != '`';
}

/* "token" after one of these words and '_', '-' or '.' is not a credential: page_token,
 * next-token, max_token... */
static bool token_not_secret(const char *s, size_t i)
{
    static const char *const words[] = {
        "page",      "next",  "continuation", "cursor", "sync",   "pagination", "resume",
        "max",       "input", "output",       "total",  "prompt", "completion", "cache",
        "reasoning", "stop",  "start",        "end",    "last",   "first"};
    if (i < 2 || (AT(i - 1) != '_' && AT(i - 1) != '-' && AT(i - 1) != '.'))
        return false;
    size_t e = i - 1, b = e;
    while (b > 0 && is_alnum(AT(b - 1)) && e - b < 16)
        b--;
    for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
        size_t wl = strlen(words[w]);
        if (wl == e - b && starts_ci(s, e, b, words[w], wl))
            return true;
    }
    return false;
}

/* keyword [quote] [spaces] (= | : | =>) [spaces] [quote] value: the value (6+ characters, not
 * all digits unless 10+, not a placeholder such as "${VAR}", "<redacted>", "****" or an
 * earlier "[REDACTED", not a path such as "/run/secrets/db") is replaced, the keyword kept.
 * "DB_PASSWORD=..." and "x-api-key: ..." match (the keyword may follow '_' or '-'); "secrets" or
 * "password_hash" do not. */
bool cer__mask_secret_kv(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    unsigned char c = AT(i) | 32, c2 = i + 1 < n ? AT(i + 1) | 32 : 0;
    if (c != 'a' && c != 's' && c != 'c' && c != 'p' && c != 'r' && c != 't' && c != 'i')
        return false;
    for (size_t w = 0; w < sizeof secret_words / sizeof *secret_words; w++) {
        const char *kw = secret_words[w].s;
        size_t wl = secret_words[w].n;
        if ((unsigned char)kw[0] != c || (unsigned char)kw[1] != c2 || !starts_ci(s, n, i, kw, wl))
            continue;
        size_t j = i + wl;
        if (j < n && (is_alnum(AT(j)) || AT(j) == '_' || AT(j) == '-'))
            continue;
        if (wl == 5 && token_not_secret(s, i))
            return false;
        if (j < n && (AT(j) == '"' || AT(j) == '\''))
            j++;
        while (j < n && AT(j) == ' ')
            j++;
        if (j >= n || (AT(j) != '=' && AT(j) != ':'))
            return false;
        j++;
        if (j < n && AT(j) == '>')
            j++;
        while (j < n && AT(j) == ' ')
            j++;
        if (j < n && (AT(j) == '"' || AT(j) == '\''))
            j++;
        size_t v = j;
        bool nondigit = false, stars = true;
        while (j < n && value_char(AT(j)) && j - v < 4096) {
            nondigit |= !is_digit(AT(j));
            stars &= AT(j) == '*' || AT(j) == 'x' || AT(j) == 'X';
            j++;
        }
        size_t len = j - v;
        if (len < 6 || (!nondigit && len < 10) || stars || AT(v) == '$' || AT(v) == '{' ||
            AT(v) == '[' || AT(v) == '(' || AT(v) == '/' ||
            ((AT(v) == '.' || AT(v) == '~') && AT(v + 1) == '/'))
            return false;
        return fill(hit, v, j, CER_MASK_DET_SECRET);
    }
    return false;
}

/* A standalone token shaped like an AWS secret access key: exactly 40 characters of
 * [A-Za-z0-9+/] not glued to [=_-./], holding upper, lower and digit, not all hex, not a path
 * (no "//", at most three '/'), with Shannon entropy >= 4.0 bits per character (random keys: 4.1
 * at the very least; camelCase words and paths fall below or lack a class). */
bool cer__mask_secret_token(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    if (i > 0 && (AT(i - 1) == '+' || AT(i - 1) == '/' || AT(i - 1) == '=' || AT(i - 1) == '_' ||
                  AT(i - 1) == '-' || AT(i - 1) == '.'))
        return false;
    if (n - i < 40)
        return false;
    size_t j = i;
    while (j < n && is_b64(AT(j)) && j - i <= 40)
        j++;
    if (j - i != 40)
        return false;
    if (j < n && (AT(j) == '=' || AT(j) == '_' || AT(j) == '-' ||
                  (AT(j) == '.' && j + 1 < n && is_alnum(AT(j + 1)))))
        return false;
    bool up = false, low = false, digit = false, hex = true;
    unsigned counts[128] = {0};
    for (size_t k = i; k < j; k++) {
        unsigned char c = AT(k);
        up |= is_upper(c);
        low |= is_lower(c);
        digit |= is_digit(c);
        hex &= is_digit(c) || ((c | 32) >= 'a' && (c | 32) <= 'f');
        counts[c]++;
        if (c == '/' && k > i && AT(k - 1) == '/')
            return false;
    }
    if (!up || !low || !digit || hex || counts['/'] > 3)
        return false;
    /* H = log2(40) - sum(c log2 c) / 40 >= 4  <=>  sum(c log2 c) <= 40 log2(40) - 160 */
    static const double clog2c[41] = {
        0.000000,   0.000000,   2.000000,   4.754888,   8.000000,   11.609640,  15.509775,
        19.651484,  24.000000,  28.529325,  33.219281,  38.053748,  43.019550,  48.105716,
        53.302969,  58.603359,  64.000000,  69.486868,  75.058650,  80.710623,  86.438562,
        92.238666,  98.107496,  104.041925, 110.039100, 116.096405, 122.211433, 128.381963,
        134.605938, 140.881449, 147.206718, 153.580086, 160.000000, 166.465006, 172.973737,
        179.524906, 186.117300, 192.749775, 199.421246, 206.130687, 212.877124};
    double sum = 0;
    for (int c = 0; c < 128; c++)
        sum += clog2c[counts[c]];
    if (sum > 52.877124)
        return false;
    return fill(hit, i, j, CER_MASK_DET_SECRET);
}

/* "-----BEGIN ... PRIVATE KEY-----" through the matching END line (or the end of the text). */
bool cer__mask_pem(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    static const char begin[] = "-----BEGIN ";
    if (n - i < 40 || memcmp(s + i, begin, sizeof begin - 1) != 0)
        return false;
    size_t j = i + sizeof begin - 1, lim = j + 32 < n ? j + 32 : n;
    const char *t = memmem(s + j, lim - j, "PRIVATE KEY-----", 16);
    if (!t)
        return false;
    j = (size_t)(t - s) + 16;
    const char *e = memmem(s + j, n - j, "-----END ", 9);
    size_t end = n;
    if (e) {
        const char *f = memmem(e + 9, (size_t)(s + n - (e + 9)), "-----", 5);
        if (f && f - e < 64)
            end = (size_t)(f - s) + 5;
    }
    return fill(hit, i, end, CER_MASK_DET_SECRET);
}

/* Member names whose string values are secrets, compared lowercase without '_', '-', '.'. */
bool cer__mask_secret_name(const char *k, size_t n)
{
#define NM(s)                                                                                      \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
    static const struct {
        const char *s;
        size_t n;
    } names[] = {NM("password"),
                 NM("passwd"),
                 NM("pwd"),
                 NM("passphrase"),
                 NM("secret"),
                 NM("clientsecret"),
                 NM("apikey"),
                 NM("apisecret"),
                 NM("accesstoken"),
                 NM("refreshtoken"),
                 NM("idtoken"),
                 NM("authtoken"),
                 NM("sessiontoken"),
                 NM("privatekey"),
                 NM("secretkey"),
                 NM("secretaccesskey"),
                 NM("awssecretaccesskey"),
                 NM("awssecretkey"),
                 NM("awssessiontoken"),
                 NM("authorization"),
                 NM("proxyauthorization"),
                 NM("xapikey"),
                 NM("cookie"),
                 NM("setcookie")};
#undef NM
    char buf[24];
    size_t m = 0;
    if (n < 3 || n > 40)
        return false;
    for (size_t j = 0; j < n; j++) {
        unsigned char c = (unsigned char)k[j];
        if (c == '_' || c == '-' || c == '.')
            continue;
        if (m == sizeof buf || !is_alnum(c))
            return false;
        buf[m++] = (char)(is_upper(c) ? c | 32 : c);
    }
    for (size_t x = 0; x < sizeof names / sizeof *names; x++)
        if (names[x].n == m && names[x].s[0] == buf[0] && memcmp(names[x].s, buf, m) == 0)
            return true;
    return false;
}

/* The detector scanner (docs/masking.md, "Detectors"): one left-to-right pass that tries the
 * detectors at each token start, plus the personal-data detectors (e-mail, phone, card, SSN,
 * IPv4/IPv6). Hand-written matchers over bounded windows: no regex, no backtracking. */
#include <string.h>

#include "gov/mask.h"

static inline bool is_digit(unsigned char c)
{
    return (unsigned)(c - '0') < 10u;
}
static inline bool is_alpha(unsigned char c)
{
    return (unsigned)((c | 32) - 'a') < 26u;
}
static inline bool is_alnum(unsigned char c)
{
    return is_digit(c) || is_alpha(c);
}
static inline bool is_hex(unsigned char c)
{
    return is_digit(c) || (unsigned)((c | 32) - 'a') < 6u;
}
/* Joiners: a token such as "ORD-2024" or "v1.2" continues across them. */
static inline bool is_joiner(unsigned char c)
{
    return c == '-' || c == '.' || c == '_' || c == ':' || c == '/';
}

#define AT(k) ((unsigned char)s[k])

/* A number-like token may start at i: s[i-1] is not alphanumeric (the scanner ensures it) and
 * not '-', '.' or '_' glued to an alphanumeric ("ORD-4111...", "v1.2.3", "id_123"); after
 * "tel:" or "/users/" it may. */
static bool num_start_ok(const char *s, size_t i)
{
    unsigned char p = i ? AT(i - 1) : 0;
    return i < 2 || (p != '-' && p != '.' && p != '_') || !is_alnum(AT(i - 2));
}

/* A number-like token may end at j: s[j] is not alphanumeric and not a joiner followed by an
 * alphanumeric ("...-4567-89", "...4567.5"). */
static bool num_end_ok(const char *s, size_t n, size_t j)
{
    if (j >= n)
        return true;
    if (is_alnum(AT(j)))
        return false;
    return !(is_joiner(AT(j)) && j + 1 < n && is_alnum(AT(j + 1)));
}

/* ---- e-mail --------------------------------------------------------------------------------- */

static inline bool is_local(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* local@domain: local part 1-64 of [A-Za-z0-9._%+-] starting with an alphanumeric; domain of
 * two or more labels of [A-Za-z0-9-] (no leading/trailing '-'), the last alphabetic (2-24).
 * "icon@2x.png" (an image-density suffix) is not an address. */
static bool email(cer__mask_scan *sc, size_t i, cer__mask_hit *hit)
{
    const char *s = sc->s;
    size_t n = sc->n;
    if (!is_alnum(AT(i)))
        return false;
    if (sc->next_at < i || sc->next_at == SIZE_MAX) {
        const char *p = memchr(s + i, '@', n - i);
        sc->next_at = p ? (size_t)(p - s) : n;
    }
    size_t at = sc->next_at;
    if (at >= n || at - i > 64 || at == i)
        return false;
    for (size_t k = i; k < at; k++)
        if (!is_local(AT(k)))
            return false;
    if (s[at - 1] == '.')
        return false;
    size_t j = at + 1, labels = 0, last = 0, last_len = 0, first_len = 0;
    for (;;) {
        size_t start = j;
        while (j < n && j - start < 64 && (is_alnum(AT(j)) || AT(j) == '-'))
            j++;
        size_t len = j - start;
        if (len == 0 || len > 63 || s[start] == '-' || s[j - 1] == '-')
            return false;
        if (labels++ == 0)
            first_len = len;
        last = start;
        last_len = len;
        if (j + 1 < n && AT(j) == '.' && is_alnum(AT(j + 1)) && j - at < 253) {
            j++;
            continue;
        }
        break;
    }
    if (labels < 2 || last_len < 2 || last_len > 24)
        return false;
    for (size_t k = last; k < last + last_len; k++)
        if (!is_alpha(AT(k)))
            return false;
    if (j < n && (AT(j) == '@' || AT(j) == '_' || is_alnum(AT(j))))
        return false;
    if (labels == 2 && first_len >= 2 && (s[at + first_len] | 32) == 'x') {
        size_t k = at + 1;
        while (k < at + first_len && is_digit(AT(k)))
            k++;
        if (k == at + first_len)
            return false; /* name@2x.png */
    }
    hit->start = i;
    hit->end = j;
    hit->det = CER_MASK_DET_EMAIL;
    return true;
}

/* ---- digit groups (phone, card) ------------------------------------------------------------- */

enum { MAX_GROUPS = 8 };

typedef struct digit_groups {
    size_t end;                  /* past the last digit or ')' */
    int n;                       /* groups */
    int len[MAX_GROUPS];         /* digits per group */
    char sep[MAX_GROUPS];        /* separator after group k (0 = none, ')' = after parens) */
    int paren;                   /* index of the group in parentheses, -1 none */
    int digits;                  /* total */
    unsigned char first, second; /* first two digits */
} digit_groups;

/* Digit groups from s[j]: digits, optionally one group in parentheses, separated by a single
 * space, '-' or '.' (or nothing right after ')'). Stops before a separator not followed by a
 * digit. Returns false past MAX_GROUPS groups or max_digits digits. */
static bool read_groups(const char *s, size_t n, size_t j, int max_digits, digit_groups *g)
{
    memset(g, 0, sizeof *g);
    g->paren = -1;
    for (;;) {
        bool paren = false;
        if (j < n && AT(j) == '(') {
            if (g->paren >= 0)
                return false;
            paren = true;
            j++;
        }
        size_t g0 = j;
        while (j < n && is_digit(AT(j)) && j - g0 <= (size_t)max_digits)
            j++;
        int len = (int)(j - g0);
        if (len == 0 || g->n == MAX_GROUPS || g->digits + len > max_digits)
            return false;
        if (g->digits == 0)
            g->first = AT(g0);
        if (g->digits < 2)
            g->second = g->digits == 1 ? AT(g0) : len > 1 ? AT(g0 + 1) : 0;
        g->digits += len;
        if (paren) {
            if (j >= n || AT(j) != ')')
                return false;
            j++;
            g->paren = g->n;
        }
        g->len[g->n] = len;
        g->n++;
        g->end = j;
        if (j + 1 < n && (AT(j) == ' ' || AT(j) == '-' || AT(j) == '.') &&
            (is_digit(AT(j + 1)) ||
             (AT(j + 1) == '(' && g->paren < 0 && j + 2 < n && is_digit(AT(j + 2))))) {
            g->sep[g->n - 1] = s[j];
            j++;
            continue;
        }
        if (paren && j < n && is_digit(AT(j))) {
            g->sep[g->n - 1] = ')';
            continue;
        }
        break;
    }
    return true;
}

/* The one separator kind used between groups, ignoring the one after a parenthesised group;
 * 0 when none, -1 when mixed. */
static int sep_kind(const digit_groups *g)
{
    int kind = 0;
    for (int k = 0; k + 1 < g->n; k++) {
        if (k == g->paren)
            continue;
        if (kind && g->sep[k] != kind)
            return -1;
        kind = g->sep[k];
    }
    return kind;
}

/* ---- phone ---------------------------------------------------------------------------------- */

static bool nanp(const digit_groups *g, int off)
{
    /* [1] NXX NXX XXXX, area code in parentheses or not; the separators after the area code
     * are one kind (or none after parentheses). */
    if (g->n - off != 3 || g->len[off] != 3 || g->len[off + 1] != 3 || g->len[off + 2] != 4)
        return false;
    if (g->paren >= 0 && g->paren != off)
        return false;
    char a = g->sep[off], b = g->sep[off + 1];
    if (g->paren == off)
        return b != 0 && (a == ')' || a == ' ' || a == '-' || a == b);
    return a != 0 && a == b && (off == 0 || g->sep[0] != 0);
}

/* Phone numbers: "+" and 8-15 digits in any grouping (E.164, "+44 (0)20 7946 0958"); North
 * American "(555) 123-4567", "555-123-4567", "1-555-123-4567"; trunk-prefixed national numbers
 * "020 7946 0958", "(02) 9876 5432", "06 12 34 56 78", "0044 20 7946 0958" (9-13 digits, one
 * separator kind); Indian "98765 43210" and Chinese "138 0013 8000" mobiles. A run of digits with
 * no separator is a phone number only after "+". */
static bool phone(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    bool plus = AT(i) == '+';
    size_t j = i + plus;
    if (i > 0 && (AT(i - 1) == '+' || is_digit(AT(i - 1))))
        return false;
    if ((!plus && !num_start_ok(s, i)) || j >= n)
        return false;
    digit_groups g;
    if (!read_groups(s, n, j, 15, &g) || !num_end_ok(s, n, g.end))
        return false;
    bool ok = false;
    if (plus) {
        ok = g.first != '0' && g.digits >= 8 && g.digits <= 15 && g.paren != 0;
        for (int k = 0; k < g.n && ok; k++)
            ok = g.n == 1 || g.len[k] <= 6 || k == g.n - 1;
    } else if (g.first == '0' && g.n >= 2) {
        bool intl = g.second == '0';
        int lo = intl ? 11 : 9, hi = intl ? 15 : 12;
        ok = g.digits >= lo && g.digits <= hi && sep_kind(&g) != -1 && g.len[0] >= 2 &&
             g.len[0] <= 5 && g.n <= 6 && (intl || g.second != '0');
        for (int k = 1; k < g.n && ok; k++)
            ok = g.len[k] >= 2 && g.len[k] <= 8;
    } else if (g.first != '0') {
        int kind = sep_kind(&g);
        if (nanp(&g, 0))
            ok = g.first >= '2';
        else if (g.len[0] == 1 && g.first == '1' && g.n == 4 && g.sep[0])
            ok = nanp(&g, 1);
        else if (g.n == 2 && g.len[0] == 5 && g.len[1] == 5 && g.paren < 0 && g.first >= '6')
            ok = kind == ' ' || kind == '-';
        else if (g.n == 3 && g.len[0] == 3 && g.len[1] == 4 && g.len[2] == 4 && g.paren < 0)
            ok = g.first == '1' && g.second >= '3' && kind > 0;
    }
    if (!ok)
        return false;
    hit->start = i;
    hit->end = g.end;
    hit->det = CER_MASK_DET_PHONE;
    return true;
}

/* ---- payment cards -------------------------------------------------------------------------- */

static bool luhn(const char *d, int n)
{
    int sum = 0;
    for (int k = 0; k < n; k++) {
        int v = d[n - 1 - k] - '0';
        if (k & 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

/* Issuer prefix and length: Visa 4 (13, 16, 19); Mastercard 51-55, 2221-2720 (16); Amex 34, 37
 * (15); Diners 300-305, 36, 38, 39 (14-19); JCB 3528-3589, Discover 6011, 644-649, 65, UnionPay
 * 62, Maestro 50, 56-58, 6x (16-19; Maestro 13-19). */
static bool iin_ok(const char *d, int n)
{
    int p2 = (d[0] - '0') * 10 + (d[1] - '0');
    int p4 = p2 * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    switch (d[0]) {
    case '4':
        return n == 13 || n == 16 || n == 19;
    case '2':
        return n == 16 && p4 >= 2221 && p4 <= 2720;
    case '3':
        if (p2 == 34 || p2 == 37)
            return n == 15;
        if ((p4 >= 3000 && p4 <= 3059) || p2 == 36 || p2 == 38 || p2 == 39)
            return n >= 14;
        return p4 >= 3528 && p4 <= 3589 && n >= 16;
    case '5':
        if (p2 >= 51 && p2 <= 55)
            return n == 16;
        return p2 == 50 || (p2 >= 56 && p2 <= 58);
    case '6':
        return n >= 13;
    }
    return false;
}

/* 13-19 digits, bare or in groups of 3-6 joined by one kind of separator (space or '-'), with a
 * known issuer prefix and length, passing the Luhn check. */
static bool card(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    if (!num_start_ok(s, i) || (i > 0 && AT(i - 1) == '+'))
        return false;
    char d[20];
    int nd = 0, ng = 0;
    unsigned char kind = 0;
    size_t j = i;
    for (;;) {
        size_t g0 = j;
        while (j < n && is_digit(AT(j)) && nd < 20)
            d[nd++] = s[j++];
        if (nd > 19 || (j < n && is_digit(AT(j))))
            return false;
        size_t glen = j - g0;
        ng++;
        if (j + 1 < n && (AT(j) == ' ' || AT(j) == '-') && is_digit(AT(j + 1))) {
            if ((kind && AT(j) != kind) || glen < 3 || glen > 6)
                return false;
            kind = AT(j++);
            continue;
        }
        /* the last group may be short: 4-4-4-4-3, 4-4-4-4-2, 4-4-4-4-1 */
        if (ng > 1 && (glen > 6 || (glen < 2 && ng < 5) || glen < 1))
            return false;
        break;
    }
    if (nd < 13 || !num_end_ok(s, n, j) || !iin_ok(d, nd) || !luhn(d, nd))
        return false;
    hit->start = i;
    hit->end = j;
    hit->det = CER_MASK_DET_CARD;
    return true;
}

/* ---- US SSN --------------------------------------------------------------------------------- */

/* AAA-GG-SSSS with area not 000, 666 or 9xx, group not 00, serial not 0000. */
static bool ssn(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    static const char shape[] = "ddd-dd-dddd";
    if (n - i < 11 || !num_start_ok(s, i))
        return false;
    for (int k = 0; k < 11; k++)
        if (shape[k] == 'd' ? !is_digit(AT(i + k)) : AT(i + k) != '-')
            return false;
    if (!num_end_ok(s, n, i + 11))
        return false;
    const char *p = s + i;
    if (memcmp(p, "000", 3) == 0 || memcmp(p, "666", 3) == 0 || p[0] == '9' ||
        memcmp(p + 4, "00", 2) == 0 || memcmp(p + 7, "0000", 4) == 0)
        return false;
    hit->start = i;
    hit->end = i + 11;
    hit->det = CER_MASK_DET_SSN;
    return true;
}

/* ---- IP addresses --------------------------------------------------------------------------- */

/* Dotted quad at s[j]: four decimal octets 0-255 without leading zeros. Returns the end or 0. */
static size_t ipv4_at(const char *s, size_t n, size_t j)
{
    for (int oct = 0; oct < 4; oct++) {
        if (oct) {
            if (j >= n || AT(j) != '.')
                return 0;
            j++;
        }
        size_t g0 = j;
        int v = 0;
        while (j < n && is_digit(AT(j)) && j - g0 < 4)
            v = v * 10 + (AT(j++) - '0');
        size_t len = j - g0;
        if (len == 0 || len > 3 || v > 255 || (len > 1 && AT(g0) == '0'))
            return 0;
    }
    return j;
}

/* True when "version" (any case) ends at most a few separators before i: "Version=1.0.0.0". */
static bool after_version(const char *s, size_t i)
{
    size_t k = i;
    while (k > 0 && i - k < 4 && !is_alnum(AT(k - 1)))
        k--;
    if (k < 7)
        return false;
    static const char v[] = "version";
    for (size_t j = 0; j < 7; j++)
        if ((AT(k - 7 + j) | 32) != (unsigned char)v[j])
            return false;
    return true;
}

static bool ipv4(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    if ((i > 0 && AT(i - 1) == '.') || after_version(s, i))
        return false;
    size_t j = ipv4_at(s, n, i);
    if (!j || (j < n && is_alnum(AT(j))))
        return false;
    /* "1.2.3.4.5" and "1.2.3.4-beta" are versions; ':' (a port) and '/' (a prefix) may follow */
    if (j + 1 < n && ((AT(j) == '.' && is_digit(AT(j + 1))) ||
                      ((AT(j) == '-' || AT(j) == '_') && is_alnum(AT(j + 1)))))
        return false;
    hit->start = i;
    hit->end = j;
    hit->det = CER_MASK_DET_IP;
    return true;
}

/* RFC 4291 text forms: eight groups of 1-4 hex digits, or fewer with one "::", optionally ending
 * in a dotted quad. Zone ids ("%eth0") are left in place. */
static bool ipv6(const char *s, size_t n, size_t i, cer__mask_hit *hit)
{
    if (i > 0 && (AT(i - 1) == ':' || AT(i - 1) == '.'))
        return false;
    size_t j = i;
    int groups = 0;
    bool dbl = false;
    if (j + 1 < n && AT(j) == ':' && AT(j + 1) == ':') {
        dbl = true;
        j += 2;
    }
    while (j < n && is_hex(AT(j))) {
        size_t g0 = j;
        while (j < n && is_hex(AT(j)) && j - g0 < 5)
            j++;
        if (j < n && AT(j) == '.' && groups <= 6) {
            size_t e = ipv4_at(s, n, g0);
            if (!e)
                return false;
            j = e;
            groups += 2;
            break;
        }
        if (j - g0 > 4)
            return false;
        groups++;
        if (j + 2 < n && AT(j) == ':' && AT(j + 1) == ':' && !dbl) {
            dbl = true;
            j += 2;
            if (!is_hex(AT(j)))
                break;
            continue;
        }
        if (j + 1 < n && AT(j) == ':' && is_hex(AT(j + 1)) && groups < 8) {
            j++;
            continue;
        }
        if (j + 2 == n && AT(j) == ':' && AT(j + 1) == ':' && !dbl) {
            dbl = true;
            j += 2;
        }
        break;
    }
    if (groups == 0 || (dbl ? groups > 7 : groups != 8))
        return false;
    if (j < n && (is_alnum(AT(j)) || AT(j) == ':' || AT(j) == '_'))
        return false;
    hit->start = i;
    hit->end = j;
    hit->det = CER_MASK_DET_IP;
    return true;
}

/* ---- the scanner ---------------------------------------------------------------------------- */

/* Characters that some detector needs somewhere in the text. */
enum {
    F_DIGIT = 1,
    F_AT = 2,
    F_COLON = 4,
    F_DOT = 8,
    F_EQ = 16,
    F_DASH = 32,
    F_UNDER = 64,
    F_SPACE = 128
};
static const unsigned char feature[256] = {
    ['0'] = F_DIGIT, ['1'] = F_DIGIT, ['2'] = F_DIGIT, ['3'] = F_DIGIT, ['4'] = F_DIGIT,
    ['5'] = F_DIGIT, ['6'] = F_DIGIT, ['7'] = F_DIGIT, ['8'] = F_DIGIT, ['9'] = F_DIGIT,
    ['@'] = F_AT,    [':'] = F_COLON, ['.'] = F_DOT,   ['='] = F_EQ,    ['-'] = F_DASH,
    ['_'] = F_UNDER, [' '] = F_SPACE, ['\t'] = F_SPACE};

/* The detectors that can match somewhere in s[0..n): one cheap pass, so that the usual short
 * identifiers and words skip the scanner altogether. */
static unsigned possible(const char *s, size_t n)
{
    unsigned seen = 0;
    size_t run = 0, maxrun = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = AT(k);
        seen |= feature[c];
        if (is_alnum(c) || c == '+' || c == '/') {
            if (++run > maxrun)
                maxrun = run;
        } else {
            run = 0;
        }
    }
    unsigned d = 0;
    if (seen & F_AT)
        d |= 1u << CER_MASK_DET_EMAIL;
    if (seen & F_DIGIT)
        d |= 1u << CER_MASK_DET_PHONE | 1u << CER_MASK_DET_CARD;
    if ((seen & (F_DIGIT | F_DASH)) == (F_DIGIT | F_DASH))
        d |= 1u << CER_MASK_DET_SSN;
    if ((seen & (F_DIGIT | F_DOT)) == (F_DIGIT | F_DOT) || (seen & F_COLON))
        d |= 1u << CER_MASK_DET_IP;
    if (maxrun >= 20)
        d |= 1u << CER_MASK_DET_AWS_KEY;
    if (seen & F_DOT)
        d |= 1u << CER_MASK_DET_JWT;
    if (seen & F_SPACE)
        d |= 1u << CER_MASK_DET_BEARER;
    if ((seen & (F_DASH | F_UNDER)) || maxrun >= 30)
        d |= 1u << CER_MASK_DET_API_KEY;
    if ((seen & (F_EQ | F_COLON | F_DASH)) || maxrun >= 40)
        d |= 1u << CER_MASK_DET_SECRET;
    return d;
}

void cer__mask_scan_init(cer__mask_scan *sc, const char *s, size_t n, unsigned dets)
{
    sc->s = s;
    sc->n = n;
    sc->pos = 0;
    sc->base = 0;
    sc->dets = dets ? dets & possible(s, n) : 0;
    sc->next_at = SIZE_MAX;
}

#define ON(d) (sc->dets & (1u << (d)))

/* Try every enabled detector at token start i, most specific first. */
static bool try_at(cer__mask_scan *sc, size_t i, cer__mask_hit *hit)
{
    const char *s = sc->s;
    size_t n = sc->n;
    unsigned char c = AT(i);
    if (is_alnum(c)) {
        if (c == 'e' && ON(CER_MASK_DET_JWT) && cer__mask_jwt(s, n, i, hit))
            return true;
        if ((c | 32) == 'b' && ON(CER_MASK_DET_BEARER) && cer__mask_bearer(s, n, i, hit))
            return true;
        if (ON(CER_MASK_DET_API_KEY) && cer__mask_api_key(s, n, i, hit))
            return true;
        if (c == 'A' && ON(CER_MASK_DET_AWS_KEY) && cer__mask_aws_key(s, n, i, hit))
            return true;
        if (ON(CER_MASK_DET_SECRET) && is_alpha(c) && cer__mask_secret_kv(s, n, i, hit)) {
            /* "OPENAI_API_KEY=sk-...": a value in a known format is named by its format */
            cer__mask_hit h2;
            size_t v = hit->start;
            if ((ON(CER_MASK_DET_API_KEY) && cer__mask_api_key(s, n, v, &h2)) ||
                (ON(CER_MASK_DET_AWS_KEY) && AT(v) == 'A' && cer__mask_aws_key(s, n, v, &h2)) ||
                (ON(CER_MASK_DET_JWT) && AT(v) == 'e' && cer__mask_jwt(s, n, v, &h2))) {
                hit->det = h2.det;
                hit->end = h2.end > hit->end ? h2.end : hit->end;
            }
            return true;
        }
        if (ON(CER_MASK_DET_EMAIL) && email(sc, i, hit))
            return true;
        if (is_digit(c)) {
            if (ON(CER_MASK_DET_SSN) && ssn(s, n, i, hit))
                return true;
            if (ON(CER_MASK_DET_CARD) && card(s, n, i, hit))
                return true;
            if (ON(CER_MASK_DET_PHONE) && phone(s, n, i, hit))
                return true;
            if (ON(CER_MASK_DET_IP) && ipv4(s, n, i, hit))
                return true;
        }
        if (ON(CER_MASK_DET_IP) && is_hex(c) && ipv6(s, n, i, hit))
            return true;
        if (ON(CER_MASK_DET_SECRET) && cer__mask_secret_token(s, n, i, hit))
            return true;
        return false;
    }
    if ((c == '+' || c == '(') && ON(CER_MASK_DET_PHONE) && phone(s, n, i, hit))
        return true;
    if ((c == '+' || c == '/') && ON(CER_MASK_DET_SECRET))
        return cer__mask_secret_token(s, n, i, hit);
    if (c == ':' && ON(CER_MASK_DET_IP))
        return ipv6(s, n, i, hit);
    if (c == '-' && ON(CER_MASK_DET_SECRET))
        return cer__mask_pem(s, n, i, hit);
    return false;
}

bool cer__mask_next(cer__mask_scan *sc, cer__mask_hit *hit)
{
    const char *s = sc->s;
    size_t n = sc->n;
    if (!sc->dets)
        return false;
    for (size_t i = sc->pos; i < n; i++) {
        if (i > 0 && is_alnum(AT(i - 1)))
            continue;
        if (try_at(sc, i, hit)) {
            if (hit->end <= hit->start || hit->start < i) /* never loop, never go back */
                continue;
            size_t end = hit->end;
            hit->start += sc->base;
            hit->end += sc->base;
            sc->s += end;
            sc->n -= end;
            sc->base += end;
            sc->pos = 0;
            sc->next_at =
                sc->next_at == SIZE_MAX || sc->next_at < end ? SIZE_MAX : sc->next_at - end;
            return true;
        }
    }
    sc->pos = n;
    return false;
}

/* One pass: append s with every match replaced to out; the number of matches (0: out as it
 * was) or an error. */
static long scrub_once(const char *s, size_t n, unsigned dets, ce_buf *out, uint32_t *counts)
{
    cer__mask_scan sc;
    cer__mask_hit h;
    cer__mask_scan_init(&sc, s, n, dets);
    size_t copied = 0, len0 = out->len;
    long hits = 0;
    while (cer__mask_next(&sc, &h)) {
        static const char pre[] = "[REDACTED:";
        const char *name = cer_mask_detector_name(h.det);
        int rc = ce_buf_append(out, s + copied, h.start - copied);
        if (!rc)
            rc = ce_buf_append(out, pre, sizeof pre - 1);
        if (!rc)
            rc = ce_buf_append(out, name, strlen(name));
        if (!rc)
            rc = ce_buf_append(out, "]", 1);
        if (rc) {
            out->len = len0;
            return rc;
        }
        copied = h.end;
        hits++;
        if (counts)
            counts[h.det]++;
    }
    if (hits) {
        int rc = ce_buf_append(out, s + copied, n - copied);
        if (rc) {
            out->len = len0;
            return rc;
        }
    }
    return hits;
}

/* Replacing a match changes what its neighbours see ("b::Mx@y.io": once the address is a
 * placeholder, "b::" ends where an IPv6 address may end), so the masked text is scanned again
 * until nothing matches. Placeholders never match, so every further pass replaces original text
 * and the loop ends; in practice a second pass finds nothing. */
long cer__mask_scrub(const char *s, size_t n, unsigned dets, ce_buf *out, uint32_t *counts)
{
    size_t mark = out->len;
    long total = scrub_once(s, n, dets, out, counts);
    if (total <= 0)
        return total;
    ce_buf again;
    ce_buf_init(&again);
    again.cap_limit = out->cap_limit;
    for (;;) {
        again.len = 0;
        long more = scrub_once(out->ptr + mark, out->len - mark, dets, &again, counts);
        if (more == 0)
            break;
        int rc = more < 0 ? (int)more : 0;
        if (!rc) {
            out->len = mark;
            rc = ce_buf_append(out, again.ptr, again.len);
        }
        if (rc) {
            out->len = mark;
            ce_buf_free(&again);
            return rc;
        }
        total += more;
    }
    ce_buf_free(&again);
    return total;
}

size_t cer__mask_utf8_prefix(const char *s, size_t n, size_t chars)
{
    size_t j = 0;
    while (j < n && chars > 0) {
        j++;
        while (j < n && (AT(j) & 0xC0) == 0x80)
            j++;
        chars--;
    }
    return j;
}

const char *cer_mask_detector_name(int det)
{
    static const char *const names[CER_MASK_NDETECTORS] = {
        "email", "phone", "card", "ip", "ssn", "aws_key", "jwt", "bearer", "api_key", "secret"};
    return det >= 0 && det < CER_MASK_NDETECTORS ? names[det] : NULL;
}

/* OAuth 2.0 client credentials grant (RFC 6749 section 4.4) for SASL/OAUTHBEARER, which Debian's
 * librdkafka is built without: POST to the token endpoint with libcurl, read access_token and
 * expires_in with the core's strict JSON scanner. Also the JWT claim reader the static token
 * and OIDC tokens share. */
#include <curl/curl.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ce/json.h"
#include "sink/auth.h"

#define JSON_MAX_DEPTH 32

int cer__json_member(const char *b, size_t n, const char *name, ce_slice *val)
{
    ce__json_err err;
    size_t i = ce__json_ws(b, n, 0), j = i;
    if (i >= n || b[i] != '{')
        return CE_ESYNTAX;
    /* Validate the whole document first; the walk below then only steps through it. */
    if (ce__json_skip(b, n, &j, 0, JSON_MAX_DEPTH, &err) || ce__json_ws(b, n, j) != n)
        return CE_ESYNTAX;
    i = ce__json_ws(b, n, i + 1);
    if (b[i] == '}')
        return CE_ENOTFOUND;
    size_t want = strlen(name);
    for (;;) {
        ce_slice key;
        bool esc;
        if (ce__json_string(b, n, &i, &key, &esc, &err))
            return CE_ESYNTAX;
        i = ce__json_ws(b, n, i) + 1; /* ':' */
        i = ce__json_ws(b, n, i);
        size_t vs = i;
        if (ce__json_skip(b, n, &i, 1, JSON_MAX_DEPTH, &err))
            return CE_ESYNTAX;
        int match;
        if (!esc) {
            match = key.len == want && memcmp(key.ptr, name, want) == 0;
        } else {
            char tmp[128];
            match = key.len < sizeof tmp && ce__json_unescape(key.ptr, key.len, tmp) == want &&
                    memcmp(tmp, name, want) == 0;
        }
        if (match) {
            val->ptr = b + vs;
            val->len = i - vs;
            return 0;
        }
        i = ce__json_ws(b, n, i);
        if (b[i] == '}')
            return CE_ENOTFOUND;
        i = ce__json_ws(b, n, i + 1); /* past ',' */
    }
}

/* A JSON string value (raw slice from cer__json_member) decoded into a new NUL-terminated
 * string. Returns 0, CE_ETYPE (not a string) or CE_ENOMEM. */
static int json_str(ce_slice raw, char **out)
{
    *out = NULL;
    if (!raw.len || raw.ptr[0] != '"')
        return CE_ETYPE;
    size_t pos = 0;
    ce_slice body;
    bool esc;
    ce__json_err err;
    if (ce__json_string(raw.ptr, raw.len, &pos, &body, &esc, &err))
        return CE_ETYPE;
    char *s = malloc(body.len + 1);
    if (!s)
        return CE_ENOMEM;
    size_t n = esc ? ce__json_unescape(body.ptr, body.len, s) : body.len;
    if (!esc)
        memcpy(s, body.ptr, n);
    s[n] = '\0';
    *out = s;
    return 0;
}

/* A JSON number, or a string holding one (some servers quote expires_in). Returns 0 or
 * CE_ETYPE. */
static int json_num(ce_slice raw, double *out)
{
    char tmp[40];
    const char *p = raw.ptr;
    size_t n = raw.len;
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        p++;
        n -= 2;
    }
    if (!n || n >= sizeof tmp)
        return CE_ETYPE;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    if (*end || !isfinite(v) || (tmp[0] != '-' && (tmp[0] < '0' || tmp[0] > '9')))
        return CE_ETYPE;
    *out = v;
    return 0;
}

int cer__jwt_claims(const char *jwt, int64_t *exp, char *sub, size_t sub_size)
{
    *exp = -1;
    if (sub_size)
        sub[0] = '\0';
    const char *d1 = strchr(jwt, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.') || d2 == d1 + 1)
        return CE_ESYNTAX;
    /* base64url payload -> standard padded base64 -> bytes */
    size_t n = (size_t)(d2 - d1 - 1);
    ce_buf b64, json;
    ce_buf_init(&b64);
    ce_buf_init(&json);
    int rc = ce_buf_reserve(&b64, n + 4);
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            char c = d1[1 + i];
            b64.ptr[b64.len++] = c == '-' ? '+' : c == '_' ? '/' : c;
        }
        while (b64.len % 4)
            b64.ptr[b64.len++] = '=';
        rc = ce_base64_decode(b64.ptr, b64.len, &json) ? CE_ESYNTAX : 0;
    }
    ce_slice v;
    int m = rc ? rc : cer__json_member(json.ptr, json.len, "exp", &v);
    double e;
    if (m == 0 && json_num(v, &e) == 0 && e > 0 && e < 1e13)
        *exp = (int64_t)e;
    else if (m == CE_ESYNTAX)
        rc = CE_ESYNTAX;
    char *s = NULL;
    if (!rc && cer__json_member(json.ptr, json.len, "sub", &v) == 0 && json_str(v, &s) == 0 &&
        strlen(s) < sub_size)
        memcpy(sub, s, strlen(s) + 1);
    free(s);
    ce_buf_free(&b64);
    ce_buf_free(&json);
    return rc;
}

/* Keep printable ASCII of a server-supplied string, at most 200 bytes, for messages. */
static void sanitize(const char *in, char *out, size_t out_size)
{
    size_t w = 0;
    for (const char *p = in; *p && w + 1 < out_size && w < 200; p++)
        out[w++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    out[w] = '\0';
}

int cer__oidc_parse_response(const char *body, size_t len, int64_t now_ms, cer__oauth_token *out,
                             char *errstr, size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    ce_slice v;
    int rc = cer__json_member(body, len, "access_token", &v);
    if (rc == CE_ESYNTAX) {
        snprintf(errstr, errstr_size, "token endpoint answer is not a JSON object");
        return CE_ESYNTAX;
    }
    if (rc || (rc = json_str(v, &out->value)) != 0 || !out->value[0]) {
        cer__oauth_token_clear(out);
        if (rc == CE_ENOMEM) {
            snprintf(errstr, errstr_size, "out of memory");
            return CE_ENOMEM;
        }
        snprintf(errstr, errstr_size, "token endpoint answer has no access_token string");
        return CE_ESYNTAX;
    }
    int64_t jwt_exp;
    char sub[256];
    int is_jwt = cer__jwt_claims(out->value, &jwt_exp, sub, sizeof sub) == 0;
    double secs;
    if (cer__json_member(body, len, "expires_in", &v) == 0) {
        if (json_num(v, &secs) || secs <= 0 || secs > 10.0 * 365 * 86400) {
            cer__oauth_token_clear(out);
            snprintf(errstr, errstr_size,
                     "token endpoint answer: expires_in is not a positive "
                     "number of seconds");
            return CE_ESYNTAX;
        }
        out->lifetime_ms = now_ms + (int64_t)(secs * 1000.0);
    } else if (is_jwt && jwt_exp > 0) {
        out->lifetime_ms = jwt_exp * 1000;
    } else {
        cer__oauth_token_clear(out);
        snprintf(errstr, errstr_size,
                 "token endpoint answer has no expires_in and the token is not a JWT with an "
                 "exp claim: its lifetime is unknown");
        return CE_ESYNTAX;
    }
    if (is_jwt && sub[0]) {
        out->principal = strdup(sub);
        if (!out->principal) {
            cer__oauth_token_clear(out);
            snprintf(errstr, errstr_size, "out of memory");
            return CE_ENOMEM;
        }
    }
    return 0;
}

typedef struct sink_buf {
    ce_buf b;
    int too_big;
} sink_buf;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    sink_buf *s = ud;
    size_t n = size * nmemb;
    if (s->b.len + n > CER_OIDC_MAX_BODY) {
        s->too_big = 1;
        return 0;
    }
    return ce_buf_append(&s->b, p, n) ? 0 : n;
}

static void wipe_buf(ce_buf *b)
{
    if (b->ptr)
        OPENSSL_cleanse(b->ptr, b->cap);
    ce_buf_free(b);
}

/* The server's error and error_description (RFC 6749 section 5.2), for messages. */
static void describe_error(const char *body, size_t len, char *out, size_t out_size)
{
    ce_slice v;
    char *err = NULL, *desc = NULL, e1[256] = "", e2[256] = "";
    if (cer__json_member(body, len, "error", &v) == 0 && json_str(v, &err) == 0)
        sanitize(err, e1, sizeof e1);
    if (cer__json_member(body, len, "error_description", &v) == 0 && json_str(v, &desc) == 0)
        sanitize(desc, e2, sizeof e2);
    free(err);
    free(desc);
    if (e1[0] || e2[0])
        snprintf(out, out_size, ": %s%s%s", e1, e1[0] && e2[0] ? ": " : "", e2);
    else
        out[0] = '\0';
}

int cer__oidc_fetch(const cer__oidc_conf *c, int64_t now_ms, cer__oauth_token *out, char *errstr,
                    size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    if (!c->token_url || !c->client_id || !c->client_secret) {
        snprintf(errstr, errstr_size, "token_url, client_id and client_secret are required");
        return CE_EINVAL;
    }
    ce_buf form, basic, cred;
    ce_buf_init(&form);
    ce_buf_init(&basic);
    ce_buf_init(&cred);
    sink_buf resp = {{0}, 0};
    struct curl_slist *hdrs = NULL;
    CURL *h = NULL;
    int rc = ce_buf_append(&form, "grant_type=client_credentials", 29);
    if (!rc && c->scope && *c->scope) {
        rc = ce_buf_append(&form, "&scope=", 7);
        if (!rc)
            rc = cer__sigv4_uri_encode(&form, c->scope, strlen(c->scope), 0);
    }
    if (!rc && c->client_auth_post) {
        rc = ce_buf_append(&form, "&client_id=", 11);
        if (!rc)
            rc = cer__sigv4_uri_encode(&form, c->client_id, strlen(c->client_id), 0);
        if (!rc)
            rc = ce_buf_append(&form, "&client_secret=", 15);
        if (!rc)
            rc = cer__sigv4_uri_encode(&form, c->client_secret, strlen(c->client_secret), 0);
    } else if (!rc) {
        /* RFC 6749 2.3.1: id and secret are form-encoded, then joined with ':' for Basic. */
        rc = cer__sigv4_uri_encode(&cred, c->client_id, strlen(c->client_id), 0);
        if (!rc)
            rc = ce_buf_append(&cred, ":", 1);
        if (!rc)
            rc = cer__sigv4_uri_encode(&cred, c->client_secret, strlen(c->client_secret), 0);
        if (!rc)
            rc = ce_buf_append(&basic, "Authorization: Basic ", 21);
        if (!rc)
            rc = ce_base64_encode(cred.ptr, cred.len, &basic);
        if (!rc)
            rc = ce_buf_append(&basic, "", 1);
    }
    if (rc) {
        snprintf(errstr, errstr_size, "out of memory");
        goto done;
    }
    const char *hv[3] = {"Content-Type: application/x-www-form-urlencoded",
                         "Accept: application/json", basic.len ? basic.ptr : NULL};
    for (int i = 0; i < 3 && !rc; i++) {
        struct curl_slist *t = hv[i] ? curl_slist_append(hdrs, hv[i]) : hdrs;
        if (t)
            hdrs = t;
        else
            rc = CE_ENOMEM;
    }
    if (!rc && !(h = curl_easy_init()))
        rc = CE_ENOMEM;
    if (rc) {
        snprintf(errstr, errstr_size, "out of memory");
        goto done;
    }
    long timeout = c->timeout_ms > 0 ? c->timeout_ms : CER_OIDC_TIMEOUT_MS;
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, c->token_url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.ptr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)form.len);
    curl_easy_setopt(h, CURLOPT_USERAGENT, CER_MSK_IAM_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (resp.too_big) {
        snprintf(errstr, errstr_size, "token endpoint answer is larger than %u bytes",
                 CER_OIDC_MAX_BODY);
        rc = CE_ETOOBIG;
    } else if (cc != CURLE_OK) {
        snprintf(errstr, errstr_size, "token endpoint request failed: %s",
                 curl_err[0] ? curl_err : curl_easy_strerror(cc));
        rc = CE_EIO;
    } else if (status < 200 || status > 299) {
        char why[600];
        describe_error(resp.b.ptr, resp.b.len, why, sizeof why);
        snprintf(errstr, errstr_size, "token endpoint answered HTTP %ld%s", status, why);
        rc = CE_EIO;
    } else {
        rc = cer__oidc_parse_response(resp.b.ptr ? resp.b.ptr : "", resp.b.len, now_ms, out, errstr,
                                      errstr_size);
        if (!rc && !out->principal && !(out->principal = strdup(c->client_id))) {
            cer__oauth_token_clear(out);
            snprintf(errstr, errstr_size, "out of memory");
            rc = CE_ENOMEM;
        }
    }
    if (!rc && c->principal && *c->principal) {
        char *p = strdup(c->principal);
        if (!p) {
            cer__oauth_token_clear(out);
            snprintf(errstr, errstr_size, "out of memory");
            rc = CE_ENOMEM;
        } else {
            free(out->principal);
            out->principal = p;
        }
    }
done:
    if (h)
        curl_easy_cleanup(h);
    for (struct curl_slist *s = hdrs; s; s = s->next)
        OPENSSL_cleanse(s->data, strlen(s->data));
    curl_slist_free_all(hdrs);
    wipe_buf(&form);
    wipe_buf(&basic);
    wipe_buf(&cred);
    wipe_buf(&resp.b);
    return rc;
}

/* The Open Policy Agent client of the egress policy: `POST {url}/v1/data/{path}` with
 * {"input":{"event_type":...,"subject":...}} over libcurl, a bounded timeout, and a strict
 * reading of the answer (result.allow == true, or result == true, allows). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gov/policy.h"
#include "gov/policy_internal.h"

struct cer__opa {
    char *endpoint;
    long timeout_ms;
    struct curl_slist *headers;
    pthread_mutex_t mu; /* guards the idle handles */
    CURL **idle;
    size_t nidle, idle_cap;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

cer__opa *cer__opa_new(const char *url, const char *path, uint64_t timeout_ms, char *errstr,
                       size_t errstr_size)
{
    if (!url || !*url || !path || !*path) {
        snprintf(errstr, errstr_size, "policy.opa: url and path are required");
        return NULL;
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        snprintf(errstr, errstr_size, "policy.opa: libcurl: %s", curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    cer__opa *o = calloc(1, sizeof *o);
    size_t ul = strlen(url);
    while (ul && url[ul - 1] == '/')
        ul--;
    while (*path == '/')
        path++;
    size_t n = ul + strlen("/v1/data/") + strlen(path) + 1;
    if (o)
        o->endpoint = malloc(n);
    if (o && o->endpoint)
        o->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (!o || !o->endpoint || !o->headers) {
        if (o)
            free(o->endpoint);
        free(o);
        snprintf(errstr, errstr_size, "policy.opa: out of memory");
        return NULL;
    }
    snprintf(o->endpoint, n, "%.*s/v1/data/%s", (int)ul, url, path);
    o->timeout_ms = timeout_ms ? (long)timeout_ms : 500;
    pthread_mutex_init(&o->mu, NULL);
    return o;
}

void cer__opa_destroy(cer__opa *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->nidle; i++)
        curl_easy_cleanup(o->idle[i]);
    free(o->idle);
    curl_slist_free_all(o->headers);
    pthread_mutex_destroy(&o->mu);
    free(o->endpoint);
    free(o);
}

/* ---- request ------------------------------------------------------------------------------ */
static int put_json_string(ce_buf *b, ce_slice s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = ce_buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; !rc && i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = ce_buf_append(b, s.ptr + run, i - run);
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (!rc)
            rc = c == '"'    ? ce_buf_append(b, "\\\"", 2)
                 : c == '\\' ? ce_buf_append(b, "\\\\", 2)
                             : ce_buf_append(b, esc, sizeof esc);
        run = i + 1;
    }
    if (!rc)
        rc = ce_buf_append(b, s.ptr + run, s.len - run);
    return rc ? rc : ce_buf_append(b, "\"", 1);
}

int cer__opa_input(ce_buf *out, ce_slice type, ce_slice subject)
{
    int rc = ce_buf_append(out, "{\"input\":{\"event_type\":", 23);
    if (!rc)
        rc = put_json_string(out, type);
    if (!rc && subject.ptr) {
        rc = ce_buf_append(out, ",\"subject\":", 11);
        if (!rc)
            rc = put_json_string(out, subject);
    }
    return rc ? rc : ce_buf_append(out, "}}", 2);
}

/* ---- response ----------------------------------------------------------------------------- *
 * The body has passed ce_json_check, so these walkers only need to find value boundaries. */
static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e && *p != '"'; p++)
        if (*p == '\\')
            p++;
    return p < e ? p + 1 : e;
}

static const char *skip_value(const char *p, const char *e)
{
    if (p < e && *p == '"')
        return skip_string(p, e);
    if (p < e && (*p == '{' || *p == '[')) {
        int depth = 0;
        while (p < e) {
            if (*p == '"') {
                p = skip_string(p, e);
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return e;
    }
    while (p < e && !strchr(",}] \t\r\n", *p))
        p++;
    return p;
}

/* The value of member `name` (unescaped names only) of the object at p, or NULL. */
static const char *member(const char *p, const char *e, const char *name)
{
    size_t nl = strlen(name);
    if (p >= e || *p != '{')
        return NULL;
    p = ws(p + 1, e);
    while (p < e && *p == '"') {
        const char *k = p + 1, *ke = skip_string(p, e) - 1;
        p = ws(ke + 1, e);
        if (p >= e || *p != ':')
            return NULL;
        p = ws(p + 1, e);
        if ((size_t)(ke - k) == nl && memcmp(k, name, nl) == 0)
            return p;
        p = ws(skip_value(p, e), e);
        if (p >= e || *p != ',')
            return NULL;
        p = ws(p + 1, e);
    }
    return NULL;
}

static int is_true(const char *p, const char *e)
{
    return p && e - p >= 4 && memcmp(p, "true", 4) == 0;
}

static void excerpt(char *out, size_t n, const char *body, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 4 < n && i < 60; i++)
        out[j++] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : '.';
    if (len > 60 && j + 4 < n)
        out[j++] = '.', out[j++] = '.', out[j++] = '.';
    if (n)
        out[j < n ? j : n - 1] = 0;
}

int cer__opa_parse(const char *body, size_t len, char *reason, size_t reason_size)
{
    char why[128], ex[72];
    if (ce_json_check(body, len, 64, why, sizeof why) != 0) {
        excerpt(ex, sizeof ex, body, len);
        snprintf(reason, reason_size, "OPA answered garbage: %s ('%s')", why, ex);
        return -1;
    }
    const char *e = body + len, *p = ws(body, e);
    if (*p != '{') {
        excerpt(ex, sizeof ex, body, len);
        snprintf(reason, reason_size, "OPA answered garbage: not a JSON object ('%s')", ex);
        return -1;
    }
    const char *r = member(p, e, "result");
    if (!r) {
        snprintf(reason, reason_size, "OPA decision undefined (no result: is the path right?)");
        return 0;
    }
    if (*r == '{')
        return is_true(member(r, e, "allow"), e);
    return is_true(r, e);
}

/* ---- the call ----------------------------------------------------------------------------- */
typedef struct body {
    char *p;
    size_t len, cap;
    int too_big;
} body;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    body *b = ud;
    size_t n = size * nmemb;
    if (b->len + n > CER_POLICY_OPA_MAX_RESPONSE) {
        b->too_big = 1;
        return 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return 0;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    return n;
}

static CURL *acquire(cer__opa *o)
{
    CURL *h = NULL;
    pthread_mutex_lock(&o->mu);
    if (o->nidle)
        h = o->idle[--o->nidle];
    pthread_mutex_unlock(&o->mu);
    return h ? h : curl_easy_init();
}

static void release(cer__opa *o, CURL *h)
{
    pthread_mutex_lock(&o->mu);
    if (o->nidle == o->idle_cap) {
        size_t cap = o->idle_cap ? o->idle_cap * 2 : 4;
        CURL **ni = realloc(o->idle, cap * sizeof *ni);
        if (!ni) {
            pthread_mutex_unlock(&o->mu);
            curl_easy_cleanup(h);
            return;
        }
        o->idle = ni;
        o->idle_cap = cap;
    }
    o->idle[o->nidle++] = h;
    pthread_mutex_unlock(&o->mu);
}

int cer__opa_ask(cer__opa *o, ce_slice type, ce_slice subject, char *reason, size_t reason_size)
{
    if (reason_size)
        reason[0] = 0;
    if (type.len > CER_POLICY_OPA_MAX_FIELD || subject.len > CER_POLICY_OPA_MAX_FIELD) {
        snprintf(reason, reason_size, "OPA not asked: type or subject longer than %u bytes",
                 CER_POLICY_OPA_MAX_FIELD);
        return -1;
    }
    ce_buf req;
    ce_buf_init(&req);
    body resp = {0};
    CURL *h = NULL;
    int ret = -1;
    if (cer__opa_input(&req, type, subject) != 0 || !(h = acquire(o))) {
        snprintf(reason, reason_size, "OPA not asked: out of memory");
        goto out;
    }
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, o->endpoint);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.ptr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req.len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, o->headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(reason, reason_size, "OPA timed out after %ld ms", o->timeout_ms);
    } else if (resp.too_big) {
        snprintf(reason, reason_size, "OPA answer larger than %zu bytes",
                 CER_POLICY_OPA_MAX_RESPONSE);
    } else if (cc != CURLE_OK) {
        snprintf(reason, reason_size, "OPA unreachable: %s",
                 cerr[0] ? cerr : curl_easy_strerror(cc));
    } else if (status < 200 || status > 299) {
        char ex[72];
        excerpt(ex, sizeof ex, resp.p ? resp.p : "", resp.len);
        snprintf(reason, reason_size, "OPA answered HTTP %ld ('%s')", status, ex);
    } else {
        ret = cer__opa_parse(resp.p ? resp.p : "", resp.len, reason, reason_size);
    }
out:
    if (h)
        release(o, h);
    free(resp.p);
    ce_buf_free(&req);
    return ret;
}

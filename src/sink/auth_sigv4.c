/* AWS Signature Version 4: canonical request, string to sign, the HMAC-SHA256 signing-key chain
 * and presigned URLs (query-string authentication), for any service. The MSK IAM token is a
 * presigned URL. Checked against AWS's sig-v4 test suite (tests/sink/test_auth_sigv4.c). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink/auth.h"

#define MAX_SECRET 512

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[d[i] >> 4];
        out[2 * i + 1] = hexdig[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void cer__sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    to_hex(md, 32, out);
}

static void hmac256(const void *key, size_t klen, const void *d, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, d, n, out, &len);
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int cer__sigv4_uri_encode(ce_buf *out, const char *s, size_t n, int keep_slash)
{
    static const char up[] = "0123456789ABCDEF";
    int rc = ce_buf_reserve(out, n * 3);
    if (rc)
        return rc;
    char *w = out->ptr + out->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            *w++ = (char)c;
        } else {
            *w++ = '%';
            *w++ = up[c >> 4];
            *w++ = up[c & 15];
        }
    }
    out->len = (size_t)(w - out->ptr);
    return 0;
}

static int put(ce_buf *b, const char *s)
{
    return ce_buf_append(b, s, strlen(s));
}

/* One encoded query pair, both NUL-terminated inside `mem`. */
typedef struct qpair {
    const char *k, *v;
} qpair;

static int qpair_cmp(const void *a, const void *b)
{
    const qpair *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

static int canonical_query(const cer__sigv4_kv *q, size_t n, ce_buf *out)
{
    if (!n)
        return 0;
    ce_buf mem;
    ce_buf_init(&mem);
    size_t *offs = calloc(2 * n, sizeof *offs);
    qpair *pairs = calloc(n, sizeof *pairs);
    int rc = offs && pairs ? 0 : CE_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *v = q[i].value ? q[i].value : "";
        offs[2 * i] = mem.len;
        rc = cer__sigv4_uri_encode(&mem, q[i].name, strlen(q[i].name), 0);
        if (!rc)
            rc = ce_buf_append(&mem, "", 1);
        offs[2 * i + 1] = mem.len;
        if (!rc)
            rc = cer__sigv4_uri_encode(&mem, v, strlen(v), 0);
        if (!rc)
            rc = ce_buf_append(&mem, "", 1);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            pairs[i].k = mem.ptr + offs[2 * i];
            pairs[i].v = mem.ptr + offs[2 * i + 1];
        }
        qsort(pairs, n, sizeof *pairs, qpair_cmp);
        for (size_t i = 0; !rc && i < n; i++) {
            if (i)
                rc = put(out, "&");
            if (!rc)
                rc = put(out, pairs[i].k);
            if (!rc)
                rc = put(out, "=");
            if (!rc)
                rc = put(out, pairs[i].v);
        }
    }
    free(offs);
    free(pairs);
    ce_buf_free(&mem);
    return rc;
}

/* A canonical header: lowercase name and normalised value(s), NUL-terminated in their bufs. */
typedef struct chdr {
    ce_buf name, value;
} chdr;

static int chdr_cmp(const void *a, const void *b)
{
    const chdr *x = a, *y = b;
    return strcmp(x->name.ptr, y->name.ptr);
}

/* Trim, and collapse runs of spaces and tabs into one space. */
static int append_norm_value(ce_buf *out, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    int rc = ce_buf_reserve(out, n);
    for (size_t i = 0; !rc && i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t') {
            if (i && (v[i - 1] == ' ' || v[i - 1] == '\t'))
                continue;
            out->ptr[out->len++] = ' ';
        } else {
            out->ptr[out->len++] = v[i];
        }
    }
    return rc;
}

static int canonical_headers(const cer__sigv4_kv *h, size_t n, ce_buf *out, ce_buf *signed_list)
{
    chdr *hs = calloc(n ? n : 1, sizeof *hs);
    if (!hs)
        return CE_ENOMEM;
    size_t nh = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        char lname[256];
        size_t ln = strlen(h[i].name);
        if (ln == 0 || ln >= sizeof lname) {
            rc = CE_EINVAL;
            break;
        }
        for (size_t j = 0; j <= ln; j++) {
            char c = h[i].name[j];
            lname[j] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        size_t k = 0;
        while (k < nh && strcmp(hs[k].name.ptr, lname) != 0)
            k++;
        if (k == nh) {
            nh++;
            rc = ce_buf_append(&hs[k].name, lname, ln + 1);
        } else {
            hs[k].value.len--; /* drop the NUL, append ",value" */
            rc = put(&hs[k].value, ",");
        }
        if (!rc)
            rc = append_norm_value(&hs[k].value, h[i].value ? h[i].value : "");
        if (!rc)
            rc = ce_buf_append(&hs[k].value, "", 1);
    }
    if (!rc) {
        qsort(hs, nh, sizeof *hs, chdr_cmp);
        for (size_t i = 0; !rc && i < nh; i++) {
            rc = put(out, hs[i].name.ptr);
            if (!rc)
                rc = put(out, ":");
            if (!rc)
                rc = put(out, hs[i].value.ptr);
            if (!rc)
                rc = put(out, "\n");
            if (!rc && i)
                rc = put(signed_list, ";");
            if (!rc)
                rc = put(signed_list, hs[i].name.ptr);
        }
    }
    for (size_t i = 0; i < n; i++) {
        ce_buf_free(&hs[i].name);
        ce_buf_free(&hs[i].value);
    }
    free(hs);
    return rc;
}

int cer__sigv4_canonical_request(const cer__sigv4_request *r, ce_buf *out, ce_buf *signed_headers)
{
    if (!r->method || !*r->method || !r->path || r->path[0] != '/' || !r->payload_hash)
        return CE_EINVAL;
    ce_buf sh;
    ce_buf_init(&sh);
    int rc = put(out, r->method);
    if (!rc)
        rc = put(out, "\n");
    if (!rc)
        rc = cer__sigv4_uri_encode(out, r->path, strlen(r->path), 1);
    if (!rc)
        rc = put(out, "\n");
    if (!rc)
        rc = canonical_query(r->query, r->nquery, out);
    if (!rc)
        rc = put(out, "\n");
    if (!rc)
        rc = canonical_headers(r->headers, r->nheaders, out, &sh);
    if (!rc)
        rc = put(out, "\n");
    if (!rc)
        rc = ce_buf_append(out, sh.ptr, sh.len);
    if (!rc)
        rc = put(out, "\n");
    if (!rc)
        rc = put(out, r->payload_hash);
    if (!rc && signed_headers)
        rc = ce_buf_append(signed_headers, sh.ptr, sh.len);
    ce_buf_free(&sh);
    return rc;
}

static int valid_amz_date(const char *d)
{
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
        return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9'))
            return 0;
    return 1;
}

int cer__sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                              const char *creq, size_t creq_len, ce_buf *out)
{
    if (!valid_amz_date(amz_date))
        return CE_EINVAL;
    char hash[65];
    cer__sha256_hex(creq, creq_len, hash);
    int rc = put(out, "AWS4-HMAC-SHA256\n");
    if (!rc)
        rc = put(out, amz_date);
    if (!rc)
        rc = put(out, "\n");
    if (!rc)
        rc = ce_buf_append(out, amz_date, 8);
    if (!rc)
        rc = put(out, "/");
    if (!rc)
        rc = put(out, region);
    if (!rc)
        rc = put(out, "/");
    if (!rc)
        rc = put(out, service);
    if (!rc)
        rc = put(out, "/aws4_request\n");
    if (!rc)
        rc = put(out, hash);
    return rc;
}

int cer__sigv4_signature(const char *secret, const char *amz_date, const char *region,
                         const char *service, const char *sts, size_t sts_len, char out[65])
{
    size_t sl = strlen(secret);
    if (!valid_amz_date(amz_date) || sl > MAX_SECRET)
        return CE_EINVAL;
    char k0[4 + MAX_SECRET];
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, sl);
    unsigned char k[32], sig[32];
    hmac256(k0, 4 + sl, amz_date, 8, k);
    hmac256(k, 32, region, strlen(region), k);
    hmac256(k, 32, service, strlen(service), k);
    hmac256(k, 32, "aws4_request", 12, k);
    hmac256(k, 32, sts, sts_len, sig);
    to_hex(sig, 32, out);
    OPENSSL_cleanse(k0, sizeof k0);
    OPENSSL_cleanse(k, sizeof k);
    return 0;
}

void cer__sigv4_amz_date(int64_t t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int append_param(ce_buf *url, const char *name, const char *value, int first)
{
    int rc = first ? 0 : put(url, "&");
    if (!rc)
        rc = cer__sigv4_uri_encode(url, name, strlen(name), 0);
    if (!rc)
        rc = put(url, "=");
    if (!rc)
        rc = cer__sigv4_uri_encode(url, value, strlen(value), 0);
    return rc;
}

int cer__sigv4_presign_url(const cer__sigv4_presign *p, ce_buf *url)
{
    if (!p->method || !p->host || !*p->host || !p->path || p->path[0] != '/' || !p->region ||
        !*p->region || !p->service || !*p->service || !p->access_key_id || !*p->access_key_id ||
        !p->secret_access_key || !*p->secret_access_key || !valid_amz_date(p->amz_date) ||
        p->expires < 1 || p->expires > 604800 || p->nquery > 64)
        return CE_EINVAL;
    char credential[512], expires[24];
    int cl = snprintf(credential, sizeof credential, "%s/%.8s/%s/%s/aws4_request", p->access_key_id,
                      p->amz_date, p->region, p->service);
    if (cl < 0 || (size_t)cl >= sizeof credential)
        return CE_EINVAL;
    snprintf(expires, sizeof expires, "%ld", p->expires);
    int token = p->session_token && *p->session_token;

    /* Everything but the signature is signed: the operation's parameters, then the auth ones. */
    cer__sigv4_kv q[64 + 6];
    size_t nq = 0;
    for (size_t i = 0; i < p->nquery; i++)
        q[nq++] = p->query[i];
    cer__sigv4_kv auth[6] = {
        {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
        {"X-Amz-Credential", credential},
        {"X-Amz-Date", p->amz_date},
        {"X-Amz-Expires", expires},
        {"X-Amz-SignedHeaders", "host"},
        {"X-Amz-Security-Token", token ? p->session_token : ""},
    };
    size_t nauth = token ? 6 : 5;
    for (size_t i = 0; i < nauth; i++)
        q[nq++] = auth[i];
    cer__sigv4_kv host = {"host", p->host};
    cer__sigv4_request r = {
        .method = p->method,
        .path = p->path,
        .query = q,
        .nquery = nq,
        .headers = &host,
        .nheaders = 1,
        .payload_hash = p->payload_hash ? p->payload_hash : CER_SHA256_HEX_EMPTY,
    };
    ce_buf creq, sts;
    ce_buf_init(&creq);
    ce_buf_init(&sts);
    char sig[65];
    size_t start = url->len;
    int rc = cer__sigv4_canonical_request(&r, &creq, NULL);
    if (!rc)
        rc =
            cer__sigv4_string_to_sign(p->amz_date, p->region, p->service, creq.ptr, creq.len, &sts);
    if (!rc)
        rc = cer__sigv4_signature(p->secret_access_key, p->amz_date, p->region, p->service, sts.ptr,
                                  sts.len, sig);
    if (!rc)
        rc = put(url, "https://");
    if (!rc)
        rc = put(url, p->host);
    if (!rc)
        rc = cer__sigv4_uri_encode(url, p->path, strlen(p->path), 1);
    if (!rc)
        rc = put(url, "?");
    for (size_t i = 0; !rc && i < nq; i++)
        rc = append_param(url, q[i].name, q[i].value ? q[i].value : "", i == 0);
    if (!rc)
        rc = append_param(url, "X-Amz-Signature", sig, 0);
    if (rc)
        url->len = start;
    ce_buf_free(&creq);
    ce_buf_free(&sts);
    return rc;
}

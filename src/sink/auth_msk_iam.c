/* AWS MSK IAM over SASL/OAUTHBEARER: the token is a SigV4-presigned "kafka-cluster:Connect" URL
 * for https://kafka.REGION.amazonaws.com/, base64url-encoded without padding, built as AWS's
 * aws-msk-iam-sasl-signer libraries (Python, Go, JavaScript) build it. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/auth.h"

void cer__oauth_token_clear(cer__oauth_token *t)
{
    if (!t)
        return;
    if (t->value) {
        OPENSSL_cleanse(t->value, strlen(t->value));
        free(t->value);
    }
    free(t->principal);
    memset(t, 0, sizeof *t);
}

/* Base64url without padding, in place of the standard base64 in b (from offset `from`). */
static void to_base64url(ce_buf *b, size_t from)
{
    size_t w = from;
    for (size_t i = from; i < b->len; i++) {
        char c = b->ptr[i];
        if (c == '=')
            continue;
        b->ptr[w++] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    b->len = w;
}

int cer__msk_iam_token(const cer__aws_creds *creds, const char *region, int64_t now,
                       const char *user_agent, cer__oauth_token *out, char *errstr,
                       size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    if (!creds->access_key_id[0] || !creds->secret_access_key[0]) {
        snprintf(errstr, errstr_size, "AWS credentials are empty");
        return CE_EINVAL;
    }
    char region_ok[64], host[128], amz_date[17];
    if (cer__aws_region(region, region_ok, sizeof region_ok, errstr, errstr_size))
        return CE_EINVAL;
    snprintf(host, sizeof host, "kafka.%s.amazonaws.com", region_ok);
    cer__sigv4_amz_date(now, amz_date);
    const cer__sigv4_kv action = {"Action", "kafka-cluster:Connect"};
    const cer__sigv4_presign p = {
        .method = "GET",
        .host = host,
        .path = "/",
        .query = &action,
        .nquery = 1,
        .region = region_ok,
        .service = "kafka-cluster",
        .access_key_id = creds->access_key_id,
        .secret_access_key = creds->secret_access_key,
        .session_token = creds->session_token,
        .amz_date = amz_date,
        .expires = CER_MSK_IAM_EXPIRES_S,
        .payload_hash = CER_SHA256_HEX_EMPTY,
    };
    ce_buf url, tok;
    ce_buf_init(&url);
    ce_buf_init(&tok);
    int rc = cer__sigv4_presign_url(&p, &url);
    if (!rc && user_agent && *user_agent) {
        rc = ce_buf_append(&url, "&User-Agent=", 12);
        if (!rc)
            rc = cer__sigv4_uri_encode(&url, user_agent, strlen(user_agent), 0);
    }
    if (!rc)
        rc = ce_base64_encode(url.ptr, url.len, &tok);
    if (!rc) {
        to_base64url(&tok, 0);
        rc = ce_buf_append(&tok, "", 1);
    }
    if (!rc) {
        out->value = malloc(tok.len);
        out->principal = strdup(creds->access_key_id);
        if (!out->value || !out->principal) {
            cer__oauth_token_clear(out);
            rc = CE_ENOMEM;
        } else {
            memcpy(out->value, tok.ptr, tok.len);
            out->lifetime_ms = (now + CER_MSK_IAM_EXPIRES_S) * 1000;
        }
    }
    if (rc && rc != CE_ENOMEM)
        snprintf(errstr, errstr_size, "cannot sign the MSK IAM request: %s", ce_strerror(rc));
    else if (rc)
        snprintf(errstr, errstr_size, "out of memory");
    if (url.ptr)
        OPENSSL_cleanse(url.ptr, url.cap);
    if (tok.ptr)
        OPENSSL_cleanse(tok.ptr, tok.cap);
    ce_buf_free(&url);
    ce_buf_free(&tok);
    return rc;
}

/* Kafka authentication beyond what librdkafka 2.0 does itself: AWS MSK IAM (SigV4-presigned
 * OAUTHBEARER tokens), OAuth 2.0 client credentials (OIDC) through libcurl, and a static
 * OAUTHBEARER token. Configured with "cerelay.*" pseudo-properties in the Kafka sink's property
 * list; see docs/kafka-auth.md. Internal to the sink layer, not installed. */
#ifndef CER_SINK_AUTH_H
#define CER_SINK_AUTH_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"

/* ------------------------------------------------------------------------------------------
 * Kafka glue (auth_kafka.c).
 * ------------------------------------------------------------------------------------------ */

/* Prefix of the properties consumed here and never passed to librdkafka. */
#define CER_AUTH_PROP_PREFIX "cerelay."

/* Non-zero when a "name=value" property is a cerelay pseudo-property. */
int cer__auth_is_own_prop(const char *prop);

/* Read the cerelay.* properties of `props` (NULL-terminated "name=value" strings, as in
 * cer_sink_conf.props; NULL is an empty list) and, when they ask for a mechanism, set up `conf`:
 * security.protocol=SASL_SSL unless the list sets security.protocol, sasl.mechanism=OAUTHBEARER,
 * the settings for the refresh callback in sasl.oauthbearer.config, the token refresh callback
 * and the SASL queue. *enabled is set to 1 then (and cer__auth_start must follow rd_kafka_new),
 * else 0 with conf untouched. Returns 0, or CE_EINVAL / CE_ENOTFOUND (no region, no
 * credentials) / CE_ENOMEM with errstr naming the property or what is missing; conf may then be
 * partly modified and the caller destroys it. Never writes a secret into errstr. Thread-safe. */
int cer__auth_configure(rd_kafka_conf_t *conf, const char *const *props, int *enabled, char *errstr,
                        size_t errstr_size);

/* After rd_kafka_new with a conf that cer__auth_configure enabled: serve token refreshes from
 * librdkafka's background thread, so tokens are fetched and renewed without the application
 * polling. Returns 0 or CE_EINVAL with errstr. */
int cer__auth_start(rd_kafka_t *rk, char *errstr, size_t errstr_size);

/* The token refresh callback cer__auth_configure installs (exposed for tests). Builds or fetches
 * a token as `oauthbearer_config` (written by cer__auth_configure) says and hands it to rk with
 * rd_kafka_oauthbearer_set_token, or reports rd_kafka_oauthbearer_set_token_failure with the
 * reason. Called by librdkafka when a token is needed and at 80% of its lifetime; may block for
 * the OIDC request's timeout. */
void cer__auth_refresh_cb(rd_kafka_t *rk, const char *oauthbearer_config, void *opaque);

/* ------------------------------------------------------------------------------------------
 * Tokens (auth_kafka.c, auth_msk_iam.c, auth_oidc.c).
 * ------------------------------------------------------------------------------------------ */

/* An OAUTHBEARER token ready for rd_kafka_oauthbearer_set_token; strings are owned (malloc). */
typedef struct cer__oauth_token {
    char *value;
    char *principal;
    int64_t lifetime_ms; /* expiry, milliseconds since the Unix epoch */
} cer__oauth_token;

/* Free the strings (wiping the token value) and zero *t. NULL fields are fine. */
void cer__oauth_token_clear(cer__oauth_token *t);

/* Find the top-level member `name` of the JSON object text b[0..n) (validated whole first,
 * with the core's strict scanner): *val is the member's raw value (strings with their quotes).
 * Returns 0, CE_ENOTFOUND, or CE_ESYNTAX when b is not one valid JSON object. */
int cer__json_member(const char *b, size_t n, const char *name, ce_slice *val);

/* The "exp" (seconds since the epoch) and "sub" claims of a JWS compact token (three base64url
 * parts; the signature is not checked). *exp is -1 when absent; sub is "" when absent or
 * longer than sub_size - 1. Returns 0, or CE_ESYNTAX when the token is not a JWT with a JSON
 * object payload. */
int cer__jwt_claims(const char *jwt, int64_t *exp, char *sub, size_t sub_size);

/* ------------------------------------------------------------------------------------------
 * AWS credentials and region (auth_aws_creds.c).
 * ------------------------------------------------------------------------------------------ */

typedef struct cer__aws_creds {
    char access_key_id[128];
    char secret_access_key[256];
    char session_token[4096]; /* "" when none */
    char source[320];         /* where they came from, for messages: "environment", "profile 'x' in
                                 /root/.aws/credentials" (never the secrets) */
} cer__aws_creds;

/* Largest credentials or config file read, in bytes. */
#define CER_AWS_FILE_MAX (1u << 20)

/* Load credentials. With `profile` (cerelay.aws.profile) non-NULL: that profile only, from the
 * shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) then the
 * config file (AWS_CONFIG_FILE, else ~/.aws/config, section "[profile NAME]"). Otherwise:
 * AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) from the environment, else the
 * files with profile AWS_PROFILE, else "default". Returns 0, or CE_ENOTFOUND / CE_EINVAL /
 * CE_EIO with errstr saying what is missing or unsupported (role_arn, sso_*,
 * credential_process profiles). Secrets never appear in errstr. Call cer__aws_creds_wipe after
 * use. Thread-safe (reads the environment). */
int cer__aws_creds_load(cer__aws_creds *out, const char *profile, char *errstr, size_t errstr_size);
void cer__aws_creds_wipe(cer__aws_creds *c);

/* The region: `configured` (cerelay.aws.region) when non-NULL, else AWS_REGION, else
 * AWS_DEFAULT_REGION. Returns 0 with the region copied into out, CE_ENOTFOUND when none is
 * set, or CE_EINVAL when it is not a plausible region name ([a-z0-9-], at most 63 bytes). */
int cer__aws_region(const char *configured, char *out, size_t out_size, char *errstr,
                    size_t errstr_size);

/* ------------------------------------------------------------------------------------------
 * AWS MSK IAM tokens (auth_msk_iam.c).
 * ------------------------------------------------------------------------------------------ */

#define CER_MSK_IAM_EXPIRES_S 900 /* presigned URL validity, as AWS's signers use */

/* The User-Agent cerelay puts in its MSK IAM tokens. */
#define CER_MSK_IAM_USER_AGENT "cerelay/" CE_VERSION_STRING

/* Build the MSK IAM OAUTHBEARER token for `region` signed at `now` (seconds since the epoch):
 * the SigV4-presigned URL https://kafka.REGION.amazonaws.com/?Action=kafka-cluster%3AConnect
 * (service kafka-cluster, X-Amz-Expires=900, session token signed when present) followed by
 * &User-Agent=<user_agent>, base64url-encoded without padding, as aws-msk-iam-sasl-signer
 * does. Fills *out (value, principal = the access key id, lifetime = signing time + 900 s).
 * Returns 0, CE_EINVAL (empty credentials, bad region) or CE_ENOMEM, with errstr. */
int cer__msk_iam_token(const cer__aws_creds *creds, const char *region, int64_t now,
                       const char *user_agent, cer__oauth_token *out, char *errstr,
                       size_t errstr_size);

/* ------------------------------------------------------------------------------------------
 * OAuth 2.0 client credentials grant (auth_oidc.c).
 * ------------------------------------------------------------------------------------------ */

typedef struct cer__oidc_conf {
    const char *token_url;
    const char *client_id;
    const char *client_secret;
    const char *scope;     /* NULL or "" for none */
    const char *principal; /* NULL: the token's "sub" claim, else client_id */
    int client_auth_post;  /* 0: HTTP Basic (client_secret_basic), 1: body parameters */
    long timeout_ms;       /* whole request; <= 0 means CER_OIDC_TIMEOUT_MS */
} cer__oidc_conf;

#define CER_OIDC_TIMEOUT_MS 10000
#define CER_OIDC_MAX_BODY   (64u * 1024u) /* largest token endpoint response accepted */

/* POST grant_type=client_credentials to the token endpoint and read access_token and
 * expires_in (a number or a numeric string; when absent, the token's JWT "exp"; neither is an
 * error) from the JSON answer. `now_ms` is the clock for expires_in. Fills *out. Returns 0, or
 * CE_EIO (transport or HTTP status: errstr has the status and the server's "error" and
 * "error_description"), CE_ESYNTAX (not the expected JSON), CE_ETOOBIG or CE_ENOMEM. Blocks
 * for at most the timeout. Never puts the client secret in errstr. */
int cer__oidc_fetch(const cer__oidc_conf *c, int64_t now_ms, cer__oauth_token *out, char *errstr,
                    size_t errstr_size);

/* Parse a token endpoint's JSON answer (body, len) as cer__oidc_fetch does. */
int cer__oidc_parse_response(const char *body, size_t len, int64_t now_ms, cer__oauth_token *out,
                             char *errstr, size_t errstr_size);

/* ------------------------------------------------------------------------------------------
 * AWS Signature Version 4 (auth_sigv4.c).
 * ------------------------------------------------------------------------------------------ */

typedef struct cer__sigv4_kv {
    const char *name;
    const char *value;
} cer__sigv4_kv;

/* One request to sign. Query names and values are raw (not yet percent-encoded); they are
 * encoded with RFC 3986 unreserved characters kept, sorted by name then value. The path is raw
 * too and encoded once, keeping '/' (no "." / ".." normalisation). Headers are all signed:
 * names lowercased, values trimmed with inner runs of spaces collapsed, repeated names joined
 * with ',' in order. */
typedef struct cer__sigv4_request {
    const char *method;
    const char *path;
    const cer__sigv4_kv *query;
    size_t nquery;
    const cer__sigv4_kv *headers;
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
} cer__sigv4_request;

#define CER_SHA256_HEX_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Lowercase hex SHA-256 of n bytes (out: 64 digits + NUL). */
void cer__sha256_hex(const void *p, size_t n, char out[65]);

/* Append s[0..n) percent-encoded (uppercase hex) with A-Z a-z 0-9 - . _ ~ kept, and '/' kept
 * when keep_slash. Returns 0, CE_ENOMEM or CE_ETOOBIG. */
int cer__sigv4_uri_encode(ce_buf *out, const char *s, size_t n, int keep_slash);

/* Append the canonical request (six lines, no trailing newline) to out, and the signed
 * header list ("host;x-amz-date") to signed_headers when non-NULL. Returns 0, CE_EINVAL (empty
 * method or path not starting with '/') or CE_ENOMEM. */
int cer__sigv4_canonical_request(const cer__sigv4_request *r, ce_buf *out, ce_buf *signed_headers);

/* Append the string to sign for a canonical request: "AWS4-HMAC-SHA256\n<amz_date>\n
 * <yyyymmdd>/<region>/<service>/aws4_request\n<hex sha256(creq)>". amz_date is
 * "YYYYMMDDTHHMMSSZ". Returns 0, CE_EINVAL (malformed amz_date) or CE_ENOMEM. */
int cer__sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                              const char *creq, size_t creq_len, ce_buf *out);

/* The signature: HMAC-SHA256 of the string to sign under the key derived from the secret,
 * the date part of amz_date, region and service; lowercase hex in out. Returns 0 or
 * CE_EINVAL (malformed amz_date, secret longer than 512 bytes). */
int cer__sigv4_signature(const char *secret, const char *amz_date, const char *region,
                         const char *service, const char *sts, size_t sts_len, char out[65]);

/* "YYYYMMDDTHHMMSSZ" for `t` seconds since the epoch (UTC). */
void cer__sigv4_amz_date(int64_t t, char out[17]);

/* Query-string (presigned URL) authentication. */
typedef struct cer__sigv4_presign {
    const char *method;
    const char *host;
    const char *path;
    const cer__sigv4_kv *query; /* the operation's own parameters, kept first in this order */
    size_t nquery;
    const char *region;
    const char *service;
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "": none; else signed as X-Amz-Security-Token */
    const char *amz_date;
    long expires;             /* X-Amz-Expires, seconds (1 .. 604800) */
    const char *payload_hash; /* NULL: CER_SHA256_HEX_EMPTY */
} cer__sigv4_presign;

/* Append "https://HOST/PATH?<operation params>&X-Amz-Algorithm=..&X-Amz-Credential=..
 * &X-Amz-Date=..&X-Amz-Expires=..&X-Amz-SignedHeaders=host[&X-Amz-Security-Token=..]
 * &X-Amz-Signature=.." to url, with the only signed header host (botocore's layout; the
 * signature covers every parameter but X-Amz-Signature). Returns 0, CE_EINVAL or CE_ENOMEM. */
int cer__sigv4_presign_url(const cer__sigv4_presign *p, ce_buf *url);

#endif

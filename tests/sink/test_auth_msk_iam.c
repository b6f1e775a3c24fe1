/* Tests for src/sink/auth_msk_iam.c and auth_aws_creds.c: known-answer MSK IAM tokens, the
 * credential and region lookup, and the whole path through the Kafka sink to the token a
 * producer sends (fake SASL broker, no AWS involved).
 *
 * The expected tokens were produced by AWS's own signer, aws-msk-iam-sasl-signer-python 1.0.2
 * (botocore 1.44.5 SigV4QueryAuth), at a fixed clock with fixed credentials, by
 * tests/sink/gen_msk_iam_vectors.py; they share no code with cerelay. */
#include <stdlib.h>

#include "authtest.h"
#include "cerelay/ce.h"
#include "sink/sink.h"

#define PY_UA "aws-msk-iam-sasl-signer-python/1.0.2"
#define T0    1709296496 /* 2024-03-01T12:34:56Z, the generator's clock */

static void creds(cer__aws_creds *c, const char *ak, const char *sk, const char *tok)
{
    memset(c, 0, sizeof *c);
    snprintf(c->access_key_id, sizeof c->access_key_id, "%s", ak);
    snprintf(c->secret_access_key, sizeof c->secret_access_key, "%s", sk);
    snprintf(c->session_token, sizeof c->session_token, "%s", tok ? tok : "");
}

TEST(token_matches_reference_signer_with_session_token)
{
    /* gen_msk_iam_vectors.py, case [session] */
    const char *url =
        "https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm="
        "AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240301%2Fus-east-1%2Fkafka-cluster%2F"
        "aws4_request&X-Amz-Date=20240301T123456Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-"
        "Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2Fsession%2Btoken%3D%3D&X-Amz-Signature="
        "bf2f8f795087d36f2609554769d387863eb0621140c14b1bc680ee466de8529f&User-Agent=aws-msk-"
        "iam-sasl-signer-python%2F1.0.2";
    const char *token =
        "aHR0cHM6Ly9rYWZrYS51cy1lYXN0LTEuYW1hem9uYXdzLmNvbS8_QWN0aW9uPWthZmthLWNsdXN0ZXIlM0FDb25u"
        "ZWN0JlgtQW16LUFsZ29yaXRobT1BV1M0LUhNQUMtU0hBMjU2JlgtQW16LUNyZWRlbnRpYWw9QUtJREVYQU1QTEUl"
        "MkYyMDI0MDMwMSUyRnVzLWVhc3QtMSUyRmthZmthLWNsdXN0ZXIlMkZhd3M0X3JlcXVlc3QmWC1BbXotRGF0ZT0y"
        "MDI0MDMwMVQxMjM0NTZaJlgtQW16LUV4cGlyZXM9OTAwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCZYLUFtei1T"
        "ZWN1cml0eS1Ub2tlbj1Gd29HWlhJdllYZHpFWEFNUExFJTJGc2Vzc2lvbiUyQnRva2VuJTNEJTNEJlgtQW16LVNp"
        "Z25hdHVyZT1iZjJmOGY3OTUwODdkMzZmMjYwOTU1NDc2OWQzODc4NjNlYjA2MjExNDBjMTRiMWJjNjgwZWU0NjZk"
        "ZTg1MjlmJlVzZXItQWdlbnQ9YXdzLW1zay1pYW0tc2FzbC1zaWduZXItcHl0aG9uJTJGMS4wLjI";
    cer__aws_creds c;
    creds(&c, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
          "FwoGZXIvYXdzEXAMPLE/session+token==");
    cer__oauth_token t;
    char err[256];
    CHECK_EQ_INT(cer__msk_iam_token(&c, "us-east-1", T0, PY_UA, &t, err, sizeof err), 0);
    CHECK_EQ_STR(t.value, token);
    char *decoded = authtest_b64url_decode(t.value);
    CHECK_EQ_STR(decoded, url);
    free(decoded);
    CHECK_EQ_INT(t.lifetime_ms, 1709297396000LL); /* the signer's expiry_ms */
    CHECK_EQ_STR(t.principal, "AKIDEXAMPLE");
    CHECK(strchr(t.value, '=') == NULL && strchr(t.value, '+') == NULL &&
          strchr(t.value, '/') == NULL);
    cer__oauth_token_clear(&t);
    CHECK(t.value == NULL && t.principal == NULL);
}

TEST(token_matches_reference_signer_without_session_token)
{
    /* gen_msk_iam_vectors.py, case [nosession] */
    const char *token =
        "aHR0cHM6Ly9rYWZrYS5hcC1zb3V0aC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1rYWZrYS1jbHVzdGVyJTNBQ29u"
        "bmVjdCZYLUFtei1BbGdvcml0aG09QVdTNC1ITUFDLVNIQTI1NiZYLUFtei1DcmVkZW50aWFsPUFLSUFJT1NGT0RO"
        "TjdFWEFNUExFJTJGMjAyNDAzMDElMkZhcC1zb3V0aC0xJTJGa2Fma2EtY2x1c3RlciUyRmF3czRfcmVxdWVzdCZY"
        "LUFtei1EYXRlPTIwMjQwMzAxVDEyMzQ1NlomWC1BbXotRXhwaXJlcz05MDAmWC1BbXotU2lnbmVkSGVhZGVycz1o"
        "b3N0JlgtQW16LVNpZ25hdHVyZT1lNDIwZmVkZjI3M2UwMTc5NGJjMzQ1ODI1ZmUwODQ3YmM2OGQ4ZmRjZTRiYjc5"
        "MzIwODI3ZDdhYzYwMDYxMTc4JlVzZXItQWdlbnQ9YXdzLW1zay1pYW0tc2FzbC1zaWduZXItcHl0aG9uJTJGMS4w"
        "LjI";
    cer__aws_creds c;
    creds(&c, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL);
    cer__oauth_token t;
    char err[256];
    CHECK_EQ_INT(cer__msk_iam_token(&c, "ap-south-1", T0, PY_UA, &t, err, sizeof err), 0);
    CHECK_EQ_STR(t.value, token);
    CHECK_EQ_INT(t.lifetime_ms, 1709297396000LL);
    cer__oauth_token_clear(&t);
}

TEST(token_uses_cerelay_user_agent)
{
    cer__aws_creds c;
    creds(&c, "AKIDEXAMPLE", "secret", NULL);
    cer__oauth_token t;
    char err[256];
    CHECK_EQ_INT(
        cer__msk_iam_token(&c, "eu-west-1", T0, CER_MSK_IAM_USER_AGENT, &t, err, sizeof err), 0);
    char *url = authtest_b64url_decode(t.value);
    CHECK(url != NULL);
    const char *head = "https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-"
                       "Amz-Algorithm=AWS4-HMAC-SHA256&";
    CHECK(url && strncmp(url, head, strlen(head)) == 0);
    CHECK_CONTAINS(url, "&User-Agent=cerelay%2F" CE_VERSION_STRING);
    CHECK(url && !strstr(url, "X-Amz-Security-Token"));
    free(url);
    cer__oauth_token_clear(&t);
}

TEST(token_rejects_empty_credentials_and_bad_region)
{
    cer__aws_creds c;
    creds(&c, "AKID", "", NULL);
    cer__oauth_token t;
    char err[256] = "";
    CHECK_EQ_INT(cer__msk_iam_token(&c, "us-east-1", T0, NULL, &t, err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "empty");
    creds(&c, "AKID", "secret", NULL);
    CHECK_EQ_INT(cer__msk_iam_token(&c, "evil.com/x", T0, NULL, &t, err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "not an AWS region");
    CHECK(t.value == NULL);
}

TEST(creds_from_environment)
{
    authtest_clear_aws_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    cer__aws_creds c;
    char err[512] = "";
    CHECK_EQ_INT(cer__aws_creds_load(&c, NULL, err, sizeof err), 0);
    CHECK_EQ_STR(c.access_key_id, "AKIAENV");
    CHECK_EQ_STR(c.secret_access_key, "envsecret");
    CHECK_EQ_STR(c.session_token, "envtoken");
    CHECK_CONTAINS(c.source, "environment");
    cer__aws_creds_wipe(&c);
    CHECK_EQ_STR(c.secret_access_key, "");

    /* Half a key pair names the missing half. */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CHECK_EQ_INT(cer__aws_creds_load(&c, NULL, err, sizeof err), CE_ENOTFOUND);
    CHECK_CONTAINS(err, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    authtest_clear_aws_env();
}

TEST(creds_from_shared_files)
{
    authtest_clear_aws_env();
    char cred[64], conf[64];
    authtest_write_tmp(cred, sizeof cred,
                       "# comment\n[default]\naws_access_key_id = AKIADEFAULT\n"
                       "aws_secret_access_key=defsecret\n\n[dev]\n  aws_access_key_id=AKIADEV \n"
                       "aws_secret_access_key = devsecret\naws_session_token = devtok\n"
                       "[half]\naws_access_key_id = AKIAHALF\n"
                       "[assume]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = dev\n");
    authtest_write_tmp(conf, sizeof conf,
                       "[default]\nregion = us-east-1\n[profile cfg]\naws_access_key_id = AKIACFG\n"
                       "aws_secret_access_key = cfgsecret\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    setenv("AWS_CONFIG_FILE", conf, 1);
    cer__aws_creds c;
    char err[1024] = "";

    CHECK_EQ_INT(cer__aws_creds_load(&c, NULL, err, sizeof err), 0); /* "default" */
    CHECK_EQ_STR(c.access_key_id, "AKIADEFAULT");
    CHECK_EQ_STR(c.session_token, "");

    setenv("AWS_PROFILE", "dev", 1);
    CHECK_EQ_INT(cer__aws_creds_load(&c, NULL, err, sizeof err), 0);
    CHECK_EQ_STR(c.access_key_id, "AKIADEV");
    CHECK_EQ_STR(c.secret_access_key, "devsecret");
    CHECK_EQ_STR(c.session_token, "devtok");
    CHECK_CONTAINS(c.source, "profile 'dev'");

    /* Environment keys win over files unless a profile is named explicitly. */
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    CHECK_EQ_INT(cer__aws_creds_load(&c, NULL, err, sizeof err), 0);
    CHECK_EQ_STR(c.access_key_id, "AKIAENV");
    CHECK_EQ_INT(cer__aws_creds_load(&c, "dev", err, sizeof err), 0);
    CHECK_EQ_STR(c.access_key_id, "AKIADEV");

    /* The config file's "[profile NAME]" sections. */
    CHECK_EQ_INT(cer__aws_creds_load(&c, "cfg", err, sizeof err), 0);
    CHECK_EQ_STR(c.access_key_id, "AKIACFG");
    CHECK_CONTAINS(c.source, conf);

    CHECK_EQ_INT(cer__aws_creds_load(&c, "half", err, sizeof err), CE_ENOTFOUND);
    CHECK_CONTAINS(err, "profile 'half'");
    CHECK_CONTAINS(err, "has aws_access_key_id but no aws_secret_access_key");
    CHECK(!strstr(err, "AKIAHALF")); /* key ids and secrets never appear in messages */

    CHECK_EQ_INT(cer__aws_creds_load(&c, "assume", err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "uses role_arn, which cerelay does not support");
    CHECK(!strstr(err, "devsecret") && !strstr(err, "arn:aws"));

    CHECK_EQ_INT(cer__aws_creds_load(&c, "nope", err, sizeof err), CE_ENOTFOUND);
    CHECK_CONTAINS(err, "profile 'nope' (cerelay.aws.profile) has no keys in");
    CHECK_CONTAINS(err, cred);
    CHECK_CONTAINS(err, "no such profile");
    cer__aws_creds_wipe(&c);
    unlink(cred);
    unlink(conf);
    authtest_clear_aws_env();
}

TEST(creds_missing_everywhere)
{
    authtest_clear_aws_env();
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/cerelay/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/cerelay/config", 1);
    cer__aws_creds c;
    char err[1024] = "";
    CHECK_EQ_INT(cer__aws_creds_load(&c, NULL, err, sizeof err), CE_ENOTFOUND);
    CHECK_CONTAINS(err, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    CHECK_CONTAINS(err, "profile 'default'");
    CHECK_CONTAINS(err, "/nonexistent/cerelay/credentials (no such file)");
    CHECK_CONTAINS(err, "/nonexistent/cerelay/config (no such file)");
    authtest_clear_aws_env();
}

TEST(region_lookup)
{
    authtest_clear_aws_env();
    char r[64], err[256] = "";
    CHECK_EQ_INT(cer__aws_region(NULL, r, sizeof r, err, sizeof err), CE_ENOTFOUND);
    CHECK_CONTAINS(err, "cerelay.aws.region");
    setenv("AWS_DEFAULT_REGION", "eu-central-1", 1);
    CHECK_EQ_INT(cer__aws_region(NULL, r, sizeof r, err, sizeof err), 0);
    CHECK_EQ_STR(r, "eu-central-1");
    setenv("AWS_REGION", "ap-south-1", 1);
    CHECK_EQ_INT(cer__aws_region(NULL, r, sizeof r, err, sizeof err), 0);
    CHECK_EQ_STR(r, "ap-south-1");
    CHECK_EQ_INT(cer__aws_region("us-east-1", r, sizeof r, err, sizeof err), 0);
    CHECK_EQ_STR(r, "us-east-1");
    CHECK_EQ_INT(cer__aws_region("US-EAST-1", r, sizeof r, err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "cerelay.aws.region 'US-EAST-1' is not an AWS region name");
    authtest_clear_aws_env();
}

/* The Kafka sink with AWS_MSK_IAM: the producer fetches its first token on librdkafka's
 * background thread (the test never polls) and sends exactly the token cerelay's signer builds
 * for the signing time inside it. SASL_PLAINTEXT replaces MSK's TLS to reach the fake broker. */
TEST(sink_sends_msk_iam_token)
{
    authtest_clear_aws_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    setenv("AWS_SESSION_TOKEN", "session/token+1", 1);
    sasl_stub st;
    CHECK_EQ_INT(sasl_stub_start(&st), 0);
    const char *props[] = {"cerelay.sasl.mechanism=AWS_MSK_IAM", "cerelay.aws.region=us-east-1",
                           "security.protocol=SASL_PLAINTEXT", NULL};
    cer_sink_conf sc = {.topic = "t", .brokers = st.addr, .props = props};
    cer_sink *s = NULL;
    char err[512] = "";
    int rc = cer_sink_kafka.open(&s, &sc, err, sizeof err);
    if (rc)
        fprintf(stderr, "open: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    CHECK(sasl_stub_wait(&st, 1, 10000) >= 1);
    char tok[16384];
    sasl_stub_token(&st, tok, sizeof tok);
    char *url = authtest_b64url_decode(tok);
    CHECK(url != NULL);
    const char *d = url ? strstr(url, "&X-Amz-Date=") : NULL;
    CHECK(d != NULL);
    if (url && d) {
        const char *head = "https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&";
        CHECK(strncmp(url, head, strlen(head)) == 0);
        CHECK_CONTAINS(url, "&X-Amz-Security-Token=session%2Ftoken%2B1&");
        CHECK_CONTAINS(url, "&User-Agent=cerelay%2F" CE_VERSION_STRING);
        /* Rebuild the token for the time in the URL: it must be identical. */
        struct tm tm = {0};
        CHECK(strptime(d + 12, "%Y%m%dT%H%M%SZ", &tm) != NULL);
        cer__aws_creds c;
        creds(&c, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session/token+1");
        cer__oauth_token t;
        CHECK_EQ_INT(cer__msk_iam_token(&c, "us-east-1", (int64_t)timegm(&tm),
                                        CER_MSK_IAM_USER_AGENT, &t, err, sizeof err),
                     0);
        CHECK_EQ_STR(tok, t.value);
        cer__oauth_token_clear(&t);
    }
    free(url);
    if (s)
        cer_sink_kafka.close(s);
    sasl_stub_stop(&st);
    authtest_clear_aws_env();
}

TEST(sink_open_fails_without_credentials_or_region)
{
    authtest_clear_aws_env();
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/cerelay/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/cerelay/config", 1);
    const char *props[] = {"cerelay.sasl.mechanism=AWS_MSK_IAM", "cerelay.aws.region=us-east-1",
                           NULL};
    cer_sink_conf sc = {.topic = "t", .brokers = "127.0.0.1:1", .props = props};
    cer_sink *s = NULL;
    char err[1024] = "";
    CHECK_EQ_INT(cer_sink_kafka.open(&s, &sc, err, sizeof err), CE_ENOTFOUND);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "AWS_MSK_IAM: no AWS credentials");
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "x", 1);
    props[1] = NULL;
    CHECK_EQ_INT(cer_sink_kafka.open(&s, &sc, err, sizeof err), CE_ENOTFOUND);
    CHECK_CONTAINS(err, "set cerelay.aws.region");
    setenv("AWS_REGION", "us-east-1", 1);
    CHECK_EQ_INT(cer_sink_kafka.open(&s, &sc, err, sizeof err), 0);
    if (s)
        cer_sink_kafka.close(s);
    authtest_clear_aws_env();
}

/* The Kafka side of cerelay's authentication: reads the cerelay.* pseudo-properties, configures
 * librdkafka for SASL/OAUTHBEARER with a token refresh callback served on librdkafka's
 * background thread, and the callback itself. The callback's settings travel in
 * sasl.oauthbearer.config (librdkafka keeps that string, redacts it from its logs and hands it
 * to the callback), so no state outlives the producer. */
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sink/auth.h"

#define CONF_MAGIC        "cerelay-auth/1"
#define STATIC_LIFETIME   3600 /* seconds, for a static token that is not a JWT with exp */
#define MAX_TIMEOUT_MS    300000
#define DEFAULT_PRINCIPAL "cerelay"

typedef enum mech { MECH_NONE, MECH_BAD, MECH_MSK_IAM, MECH_OIDC, MECH_STATIC } mech;

/* The settings, as given (pointers into the property strings) or decoded from the conf string. */
typedef struct settings {
    const char *mechanism, *region, *profile, *token_url, *client_id, *client_secret, *scope,
        *client_auth, *timeout_ms, *token, *principal;
} settings;

static const struct {
    const char *prop; /* cerelay.* property */
    const char *key;  /* key in the conf string */
    size_t off;
    mech only; /* MECH_NONE: any mechanism */
} fields[] = {
    {"cerelay.sasl.mechanism", "mech", offsetof(settings, mechanism), MECH_NONE},
    {"cerelay.aws.region", "region", offsetof(settings, region), MECH_MSK_IAM},
    {"cerelay.aws.profile", "profile", offsetof(settings, profile), MECH_MSK_IAM},
    {"cerelay.oidc.token_url", "url", offsetof(settings, token_url), MECH_OIDC},
    {"cerelay.oidc.client_id", "id", offsetof(settings, client_id), MECH_OIDC},
    {"cerelay.oidc.client_secret", "secret", offsetof(settings, client_secret), MECH_OIDC},
    {"cerelay.oidc.scope", "scope", offsetof(settings, scope), MECH_OIDC},
    {"cerelay.oidc.client_auth", "auth", offsetof(settings, client_auth), MECH_OIDC},
    {"cerelay.oidc.timeout_ms", "timeout", offsetof(settings, timeout_ms), MECH_OIDC},
    {"cerelay.oauthbearer.token", "token", offsetof(settings, token), MECH_STATIC},
    {"cerelay.oauthbearer.principal", "principal", offsetof(settings, principal), MECH_NONE},
};
#define NFIELDS (sizeof fields / sizeof *fields)

static const char **field(settings *s, size_t i)
{
    return (const char **)(void *)((char *)s + fields[i].off);
}

static const char *mech_name(mech m)
{
    return m == MECH_MSK_IAM ? "AWS_MSK_IAM" : m == MECH_OIDC ? "OAUTHBEARER_OIDC" : "OAUTHBEARER";
}

static mech parse_mech(const char *v)
{
    if (!v)
        return MECH_NONE;
    if (strcasecmp(v, "AWS_MSK_IAM") == 0)
        return MECH_MSK_IAM;
    if (strcasecmp(v, "OAUTHBEARER_OIDC") == 0)
        return MECH_OIDC;
    if (strcasecmp(v, "OAUTHBEARER") == 0)
        return MECH_STATIC;
    return MECH_BAD;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cer__auth_is_own_prop(const char *prop)
{
    return prop && strncmp(prop, CER_AUTH_PROP_PREFIX, strlen(CER_AUTH_PROP_PREFIX)) == 0;
}

/* Is "name=..." in props for librdkafka property `name`? Returns its value or NULL. */
static const char *user_prop(const char *const *props, const char *name)
{
    const char *found = NULL;
    size_t n = strlen(name);
    for (const char *const *p = props; p && *p; p++)
        if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
            found = *p + n + 1;
    return found;
}

static int parse_timeout(const char *v, long *out)
{
    char *end;
    long t = strtol(v, &end, 10);
    if (!*v || *end || t < 1 || t > MAX_TIMEOUT_MS)
        return -1;
    *out = t;
    return 0;
}

/* Check the settings for mechanism m. Returns 0 or CE_EINVAL/CE_ENOTFOUND with errstr. */
static int validate(mech m, const settings *s, char *errstr, size_t errstr_size)
{
    if (m == MECH_MSK_IAM)
        return 0; /* region and credentials are resolved by the caller */
    if (m == MECH_OIDC) {
        const char *missing = !s->token_url       ? "cerelay.oidc.token_url"
                              : !s->client_id     ? "cerelay.oidc.client_id"
                              : !s->client_secret ? "cerelay.oidc.client_secret"
                                                  : NULL;
        if (missing) {
            snprintf(errstr, errstr_size, "cerelay.sasl.mechanism=OAUTHBEARER_OIDC needs %s",
                     missing);
            return CE_EINVAL;
        }
        if (strncmp(s->token_url, "https://", 8) != 0 && strncmp(s->token_url, "http://", 7) != 0) {
            snprintf(errstr, errstr_size,
                     "cerelay.oidc.token_url must be an http:// or https:// URL");
            return CE_EINVAL;
        }
        if (s->client_auth && strcmp(s->client_auth, "basic") != 0 &&
            strcmp(s->client_auth, "post") != 0) {
            snprintf(errstr, errstr_size,
                     "cerelay.oidc.client_auth: expected basic or post, not '%s'", s->client_auth);
            return CE_EINVAL;
        }
        long t;
        if (s->timeout_ms && parse_timeout(s->timeout_ms, &t)) {
            snprintf(errstr, errstr_size, "cerelay.oidc.timeout_ms: expected 1..%d, not '%s'",
                     MAX_TIMEOUT_MS, s->timeout_ms);
            return CE_EINVAL;
        }
        return 0;
    }
    if (!s->token || !*s->token) {
        snprintf(errstr, errstr_size,
                 "cerelay.sasl.mechanism=OAUTHBEARER needs cerelay.oauthbearer.token");
        return CE_EINVAL;
    }
    return 0;
}

static int set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr,
               size_t errstr_size)
{
    char why[256];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "kafka property '%s': %s", name, why);
        return CE_EINVAL;
    }
    return 0;
}

int cer__auth_configure(rd_kafka_conf_t *conf, const char *const *props, int *enabled, char *errstr,
                        size_t errstr_size)
{
    *enabled = 0;
    settings s = {0};
    int any = 0;
    for (const char *const *p = props; p && *p; p++) {
        if (!cer__auth_is_own_prop(*p))
            continue;
        const char *eq = strchr(*p, '=');
        size_t nl = eq ? (size_t)(eq - *p) : strlen(*p);
        size_t i = 0;
        while (i < NFIELDS &&
               !(strlen(fields[i].prop) == nl && memcmp(fields[i].prop, *p, nl) == 0))
            i++;
        if (i == NFIELDS || !eq) {
            snprintf(errstr, errstr_size,
                     i == NFIELDS ? "unknown property '%.*s' (see docs/kafka-auth.md)"
                                  : "property '%.*s': expected name=value",
                     (int)(nl > 80 ? 80 : nl), *p);
            return CE_EINVAL;
        }
        *field(&s, i) = eq + 1;
        any = 1;
    }
    if (!any)
        return 0;
    mech m = parse_mech(s.mechanism);
    if (m == MECH_NONE && s.token)
        m = MECH_STATIC;
    if (m == MECH_NONE) {
        snprintf(errstr, errstr_size,
                 "cerelay.sasl.mechanism is not set (expected AWS_MSK_IAM, "
                 "OAUTHBEARER_OIDC or OAUTHBEARER)");
        return CE_EINVAL;
    }
    if (m == MECH_BAD) {
        snprintf(errstr, errstr_size,
                 "cerelay.sasl.mechanism: expected AWS_MSK_IAM, OAUTHBEARER_OIDC or OAUTHBEARER, "
                 "not '%.64s'",
                 s.mechanism);
        return CE_EINVAL;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        if (*field(&s, i) && fields[i].only != MECH_NONE && fields[i].only != m) {
            snprintf(errstr, errstr_size, "%s does not apply to cerelay.sasl.mechanism=%s",
                     fields[i].prop, mech_name(m));
            return CE_EINVAL;
        }
    }
    /* librdkafka settings that would fight ours. */
    const char *um = user_prop(props, "sasl.mechanism");
    if (!um)
        um = user_prop(props, "sasl.mechanisms");
    const char *clash =
        um && strcasecmp(um, "OAUTHBEARER") != 0      ? "sasl.mechanism"
        : user_prop(props, "sasl.oauthbearer.config") ? "sasl.oauthbearer.config"
        : user_prop(props, "sasl.oauthbearer.method") &&
                strcasecmp(user_prop(props, "sasl.oauthbearer.method"), "default")
            ? "sasl.oauthbearer.method"
        : user_prop(props, "enable.sasl.oauthbearer.unsecure.jwt") &&
                strcasecmp(user_prop(props, "enable.sasl.oauthbearer.unsecure.jwt"), "false")
            ? "enable.sasl.oauthbearer.unsecure.jwt"
            : NULL;
    if (clash) {
        snprintf(errstr, errstr_size,
                 "kafka property '%s' conflicts with cerelay.sasl.mechanism=%s", clash,
                 mech_name(m));
        return CE_EINVAL;
    }
    int rc = validate(m, &s, errstr, errstr_size);
    char region[64];
    if (!rc && m == MECH_MSK_IAM) {
        rc = cer__aws_region(s.region, region, sizeof region, errstr, errstr_size);
        s.region = region;
        /* Fail now, at open, when there are no credentials at all: clearer than a broker that
         * never authenticates. The callback loads them again at every refresh. */
        cer__aws_creds cr;
        char why[900];
        if (!rc && (rc = cer__aws_creds_load(&cr, s.profile, why, sizeof why)) != 0)
            snprintf(errstr, errstr_size, "AWS_MSK_IAM: %s", why);
        cer__aws_creds_wipe(&cr);
    }
    if (rc)
        return rc;

    /* The conf string: magic, then key=value pairs with percent-encoded values. */
    ce_buf cs;
    ce_buf_init(&cs);
    rc = ce_buf_append(&cs, CONF_MAGIC " mech=", strlen(CONF_MAGIC) + 6);
    if (!rc)
        rc = ce_buf_append(&cs, mech_name(m), strlen(mech_name(m)));
    for (size_t i = 1; !rc && i < NFIELDS; i++) {
        const char *v = *field(&s, i);
        if (!v)
            continue;
        rc = ce_buf_append(&cs, " ", 1);
        if (!rc)
            rc = ce_buf_append(&cs, fields[i].key, strlen(fields[i].key));
        if (!rc)
            rc = ce_buf_append(&cs, "=", 1);
        if (!rc)
            rc = cer__sigv4_uri_encode(&cs, v, strlen(v), 0);
    }
    if (!rc)
        rc = ce_buf_append(&cs, "", 1);
    if (rc) {
        snprintf(errstr, errstr_size, "out of memory");
    } else {
        if (!user_prop(props, "security.protocol"))
            rc = set(conf, "security.protocol", "SASL_SSL", errstr, errstr_size);
        if (!rc)
            rc = set(conf, "sasl.mechanism", "OAUTHBEARER", errstr, errstr_size);
        if (!rc)
            rc = set(conf, "sasl.oauthbearer.config", cs.ptr, errstr, errstr_size);
    }
    if (cs.ptr)
        OPENSSL_cleanse(cs.ptr, cs.cap);
    ce_buf_free(&cs);
    if (rc)
        return rc;
    rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, cer__auth_refresh_cb);
    rd_kafka_conf_enable_sasl_queue(conf, 1);
    *enabled = 1;
    return 0;
}

int cer__auth_start(rd_kafka_t *rk, char *errstr, size_t errstr_size)
{
    rd_kafka_error_t *e = rd_kafka_sasl_background_callbacks_enable(rk);
    if (e) {
        snprintf(errstr, errstr_size, "kafka: cannot refresh tokens in the background: %s",
                 rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return CE_EINVAL;
    }
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode the conf string into s; the strings live in *mem (free with wipe). Returns 0 or -1. */
static int decode_conf(const char *cfg, settings *s, char **mem)
{
    memset(s, 0, sizeof *s);
    *mem = NULL;
    size_t ml = strlen(CONF_MAGIC);
    if (!cfg || strncmp(cfg, CONF_MAGIC, ml) != 0 || (cfg[ml] != ' ' && cfg[ml] != '\0'))
        return -1;
    char *buf = strdup(cfg + ml);
    if (!buf)
        return -1;
    *mem = buf;
    for (char *tok = buf; *tok;) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            break;
        char *end = strchr(tok, ' ');
        if (end)
            *end = '\0';
        char *eq = strchr(tok, '=');
        if (!eq)
            return -1;
        *eq = '\0';
        size_t i = 0;
        while (i < NFIELDS && strcmp(fields[i].key, tok) != 0)
            i++;
        if (i == NFIELDS)
            return -1;
        /* percent-decode in place */
        char *r = eq + 1, *w = eq + 1;
        while (*r) {
            if (*r == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
                *w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
                r += 3;
            } else {
                *w++ = *r++;
            }
        }
        *w = '\0';
        *field(s, i) = eq + 1;
        tok = end ? end + 1 : tok + strlen(tok);
    }
    return 0;
}

static int static_token(const settings *s, int64_t now, cer__oauth_token *t, char *errstr,
                        size_t errstr_size)
{
    int64_t exp;
    char sub[256];
    int jwt = cer__jwt_claims(s->token, &exp, sub, sizeof sub) == 0;
    t->value = strdup(s->token);
    t->principal = strdup(s->principal && *s->principal ? s->principal
                          : jwt && sub[0]               ? sub
                                                        : DEFAULT_PRINCIPAL);
    t->lifetime_ms = jwt && exp > 0 ? exp * 1000 : now + STATIC_LIFETIME * 1000;
    if (!t->value || !t->principal) {
        snprintf(errstr, errstr_size, "out of memory");
        return CE_ENOMEM;
    }
    return 0;
}

void cer__auth_refresh_cb(rd_kafka_t *rk, const char *oauthbearer_config, void *opaque)
{
    settings s;
    char *mem = NULL, why[1024] = "", msg[1100];
    cer__oauth_token t = {0};
    int rc = 0;
    mech m = MECH_NONE;
    if (decode_conf(oauthbearer_config, &s, &mem) || (m = parse_mech(s.mechanism)) == MECH_NONE ||
        m == MECH_BAD) {
        m = MECH_NONE;
        snprintf(why, sizeof why, "sasl.oauthbearer.config was not written by cerelay");
        rc = CE_EINVAL;
    } else if (m == MECH_MSK_IAM) {
        cer__aws_creds cr;
        rc = cer__aws_creds_load(&cr, s.profile, why, sizeof why);
        if (!rc)
            rc = cer__msk_iam_token(&cr, s.region, now_ms() / 1000, CER_MSK_IAM_USER_AGENT, &t, why,
                                    sizeof why);
        cer__aws_creds_wipe(&cr);
        char *p = !rc && s.principal && *s.principal ? strdup(s.principal) : NULL;
        if (p) {
            free(t.principal);
            t.principal = p;
        }
    } else if (m == MECH_OIDC) {
        long timeout = 0;
        if (s.timeout_ms)
            parse_timeout(s.timeout_ms, &timeout);
        cer__oidc_conf oc = {
            .token_url = s.token_url,
            .client_id = s.client_id,
            .client_secret = s.client_secret,
            .scope = s.scope,
            .principal = s.principal,
            .client_auth_post = s.client_auth && strcmp(s.client_auth, "post") == 0,
            .timeout_ms = timeout,
        };
        rc = cer__oidc_fetch(&oc, now_ms(), &t, why, sizeof why);
    } else {
        rc = static_token(&s, now_ms(), &t, why, sizeof why);
    }
    if (!rc) {
        char err[512] = "";
        rd_kafka_resp_err_t e = rd_kafka_oauthbearer_set_token(
            rk, t.value, t.lifetime_ms, t.principal, NULL, 0, err, sizeof err);
        if (e) {
            snprintf(why, sizeof why, "librdkafka refused the token: %s",
                     err[0] ? err : rd_kafka_err2str(e));
            rc = CE_EINVAL;
        }
    }
    if (rc) {
        snprintf(msg, sizeof msg, "cerelay %s: %s", m != MECH_NONE ? mech_name(m) : "auth", why);
        rd_kafka_oauthbearer_set_token_failure(rk, msg);
    }
    cer__oauth_token_clear(&t);
    if (mem) {
        OPENSSL_cleanse(mem, strlen(mem));
        free(mem);
    }
}

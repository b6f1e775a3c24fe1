/* AWS credentials and region for MSK IAM: the standard environment variables, else a profile of
 * the shared credentials and config files (static keys only). Messages name the variable, file
 * and profile at fault and never contain a secret. */
#include <errno.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sink/auth.h"

void cer__aws_creds_wipe(cer__aws_creds *c)
{
    if (c)
        OPENSSL_cleanse(c, sizeof *c);
}

static const char *nonempty_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int copy_field(char *dst, size_t dst_size, const char *src, size_t n, const char *what,
                      const char *where, char *errstr, size_t errstr_size)
{
    if (n >= dst_size) {
        snprintf(errstr, errstr_size, "%s from %s is too long (%zu bytes, at most %zu)", what,
                 where, n, dst_size - 1);
        return CE_EINVAL;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

static int from_env(cer__aws_creds *out, int *found, char *errstr, size_t errstr_size)
{
    const char *ak = nonempty_env("AWS_ACCESS_KEY_ID"), *sk = nonempty_env("AWS_SECRET_ACCESS_KEY");
    const char *tok = nonempty_env("AWS_SESSION_TOKEN");
    *found = 0;
    if (!ak && !sk)
        return 0;
    if (!ak || !sk) {
        snprintf(errstr, errstr_size, "AWS credentials: %s is set but %s is not",
                 ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                 ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return CE_ENOTFOUND;
    }
    int rc = copy_field(out->access_key_id, sizeof out->access_key_id, ak, strlen(ak),
                        "AWS_ACCESS_KEY_ID", "the environment", errstr, errstr_size);
    if (!rc)
        rc = copy_field(out->secret_access_key, sizeof out->secret_access_key, sk, strlen(sk),
                        "AWS_SECRET_ACCESS_KEY", "the environment", errstr, errstr_size);
    if (!rc && tok)
        rc = copy_field(out->session_token, sizeof out->session_token, tok, strlen(tok),
                        "AWS_SESSION_TOKEN", "the environment", errstr, errstr_size);
    if (!rc) {
        snprintf(out->source, sizeof out->source, "the environment (AWS_ACCESS_KEY_ID)");
        *found = 1;
    }
    return rc;
}

static int home_path(const char *rel, char *out, size_t out_size)
{
    const char *home = nonempty_env("HOME");
    char buf[1024];
    struct passwd pw, *res = NULL;
    if (!home && getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_dir)
        home = res->pw_dir;
    if (!home)
        return -1;
    int n = snprintf(out, out_size, "%s/%s", home, rel);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

/* Read a whole file, NUL-terminated. Returns 0, CE_ENOTFOUND (absent), CE_EIO or CE_ETOOBIG. */
static int slurp(const char *path, char **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? CE_ENOTFOUND : CE_EIO;
    char *buf = malloc(CER_AWS_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return CE_ENOMEM;
    }
    size_t n = fread(buf, 1, CER_AWS_FILE_MAX + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err || n > CER_AWS_FILE_MAX) {
        OPENSSL_cleanse(buf, n);
        free(buf);
        return err ? CE_EIO : CE_ETOOBIG;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t' || **s == '\r'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

static int key_is(const char *k, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(k, want, n) == 0;
}

/* Section header [name] (credentials file) or [profile name] / [default] (config file)? */
static int section_matches(const char *s, const char *e, const char *profile, int config_style)
{
    trim(&s, &e);
    if (config_style && strcmp(profile, "default") != 0) {
        if (e - s < 8 || memcmp(s, "profile", 7) != 0 || (s[7] != ' ' && s[7] != '\t'))
            return 0;
        s += 7;
        trim(&s, &e);
    }
    return (size_t)(e - s) == strlen(profile) && memcmp(s, profile, (size_t)(e - s)) == 0;
}

typedef struct file_result {
    int section; /* the profile's section exists */
    int have_ak, have_sk;
    char other[64]; /* an unsupported credential setting seen in the section */
} file_result;

static int scan_file(const char *text, const char *path, const char *profile, int config_style,
                     cer__aws_creds *out, file_result *fr, char *errstr, size_t errstr_size)
{
    static const char *const unsupported[] = {
        "role_arn",      "credential_process",      "sso_session",
        "sso_start_url", "web_identity_token_file", "credential_source",
    };
    int in = 0, rc = 0;
    char where[400];
    snprintf(where, sizeof where, "profile '%s' in %s", profile, path);
    for (const char *line = text; !rc && *line;) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        const char *s = line, *e = eol;
        line = *eol ? eol + 1 : eol;
        trim(&s, &e);
        if (s == e || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            const char *close = memchr(s, ']', (size_t)(e - s));
            in = close && section_matches(s + 1, close, profile, config_style);
            if (in)
                fr->section = 1;
            continue;
        }
        if (!in)
            continue;
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (!eq)
            continue;
        const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
        trim(&ks, &ke);
        trim(&vs, &ve);
        size_t kn = (size_t)(ke - ks), vn = (size_t)(ve - vs);
        if (key_is(ks, kn, "aws_access_key_id")) {
            rc = copy_field(out->access_key_id, sizeof out->access_key_id, vs, vn,
                            "aws_access_key_id", where, errstr, errstr_size);
            fr->have_ak = vn > 0;
        } else if (key_is(ks, kn, "aws_secret_access_key")) {
            rc = copy_field(out->secret_access_key, sizeof out->secret_access_key, vs, vn,
                            "aws_secret_access_key", where, errstr, errstr_size);
            fr->have_sk = vn > 0;
        } else if (key_is(ks, kn, "aws_session_token") || key_is(ks, kn, "aws_security_token")) {
            rc = copy_field(out->session_token, sizeof out->session_token, vs, vn,
                            "aws_session_token", where, errstr, errstr_size);
        } else {
            for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
                if (key_is(ks, kn, unsupported[i]) && !fr->other[0])
                    snprintf(fr->other, sizeof fr->other, "%s", unsupported[i]);
        }
    }
    return rc;
}

/* Look for the profile in one file. *done is set when the file decided the outcome (found
 * credentials, or a definite error). */
static int from_file(const char *path, const char *profile, int config_style, cer__aws_creds *out,
                     int *done, char *state, size_t state_size, char *errstr, size_t errstr_size)
{
    char *text;
    *done = 0;
    int rc = slurp(path, &text);
    if (rc == CE_ENOTFOUND) {
        snprintf(state, state_size, "%s (no such file)", path);
        return 0;
    }
    if (rc) {
        snprintf(errstr, errstr_size, "AWS credentials: cannot read %s: %s", path,
                 rc == CE_ETOOBIG ? "larger than 1 MiB" : ce_strerror(rc));
        *done = 1;
        return rc;
    }
    file_result fr = {0};
    cer__aws_creds tmp = {0};
    rc = scan_file(text, path, profile, config_style, &tmp, &fr, errstr, errstr_size);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    if (rc) {
        *done = 1;
    } else if (fr.section && fr.have_ak && fr.have_sk) {
        memcpy(out, &tmp, sizeof tmp);
        snprintf(out->source, sizeof out->source, "profile '%s' in %s", profile, path);
        *done = 1;
    } else if (fr.section && (fr.have_ak || fr.have_sk)) {
        snprintf(errstr, errstr_size, "AWS credentials: profile '%s' in %s has %s but no %s",
                 profile, path, fr.have_ak ? "aws_access_key_id" : "aws_secret_access_key",
                 fr.have_ak ? "aws_secret_access_key" : "aws_access_key_id");
        rc = CE_ENOTFOUND;
        *done = 1;
    } else if (fr.section && fr.other[0]) {
        snprintf(errstr, errstr_size,
                 "AWS credentials: profile '%s' in %s uses %s, which cerelay does not support; "
                 "give static keys (aws_access_key_id, aws_secret_access_key, "
                 "aws_session_token) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                 profile, path, fr.other);
        rc = CE_EINVAL;
        *done = 1;
    } else {
        snprintf(state, state_size, "%s (%s)", path,
                 fr.section ? "profile has no keys" : "no such profile");
    }
    cer__aws_creds_wipe(&tmp);
    return rc;
}

int cer__aws_creds_load(cer__aws_creds *out, const char *profile, char *errstr, size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    int found = 0, rc = 0;
    const char *named_by = "cerelay.aws.profile";
    if (!profile) {
        rc = from_env(out, &found, errstr, errstr_size);
        if (rc || found)
            return rc;
        profile = nonempty_env("AWS_PROFILE");
        named_by = profile ? "AWS_PROFILE" : "the default";
        if (!profile)
            profile = "default";
    }
    char cred_path[1100], conf_path[1100], st1[1200] = "", st2[1200] = "";
    const char *p = nonempty_env("AWS_SHARED_CREDENTIALS_FILE");
    if (p)
        snprintf(cred_path, sizeof cred_path, "%s", p);
    else if (home_path(".aws/credentials", cred_path, sizeof cred_path))
        snprintf(cred_path, sizeof cred_path, "~/.aws/credentials");
    p = nonempty_env("AWS_CONFIG_FILE");
    if (p)
        snprintf(conf_path, sizeof conf_path, "%s", p);
    else if (home_path(".aws/config", conf_path, sizeof conf_path))
        snprintf(conf_path, sizeof conf_path, "~/.aws/config");

    int done = 0;
    rc = from_file(cred_path, profile, 0, out, &done, st1, sizeof st1, errstr, errstr_size);
    if (done) {
        if (rc)
            cer__aws_creds_wipe(out);
        return rc;
    }
    rc = from_file(conf_path, profile, 1, out, &done, st2, sizeof st2, errstr, errstr_size);
    if (done) {
        if (rc)
            cer__aws_creds_wipe(out);
        return rc;
    }
    if (strcmp(named_by, "cerelay.aws.profile") == 0)
        snprintf(errstr, errstr_size,
                 "no AWS credentials: profile '%s' (cerelay.aws.profile) has no keys in %s or %s",
                 profile, st1, st2);
    else
        snprintf(errstr, errstr_size,
                 "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and "
                 "profile '%s' (%s) has no keys in %s or %s",
                 profile, named_by, st1, st2);
    return CE_ENOTFOUND;
}

int cer__aws_region(const char *configured, char *out, size_t out_size, char *errstr,
                    size_t errstr_size)
{
    const char *r = configured, *from = "cerelay.aws.region";
    if (!r || !*r) {
        r = nonempty_env("AWS_REGION");
        from = "AWS_REGION";
    }
    if (!r) {
        r = nonempty_env("AWS_DEFAULT_REGION");
        from = "AWS_DEFAULT_REGION";
    }
    if (!r) {
        snprintf(errstr, errstr_size,
                 "AWS_MSK_IAM needs the cluster's region: set cerelay.aws.region (or AWS_REGION "
                 "or AWS_DEFAULT_REGION)");
        return CE_ENOTFOUND;
    }
    size_t n = strlen(r);
    int ok = n > 0 && n < 64 && n < out_size;
    for (size_t i = 0; ok && i < n; i++)
        ok = (r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-';
    if (!ok) {
        snprintf(errstr, errstr_size, "%s '%.64s' is not an AWS region name (like us-east-1)", from,
                 r);
        return CE_EINVAL;
    }
    memcpy(out, r, n + 1);
    return 0;
}

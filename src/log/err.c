/* Error names and messages for the CER_LOG_ERRNO_MAP codes, errstr formatting, and delivery of
 * reports to the application's callback (the library never prints). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log/internal.h"

const char *cer_log_strerror(int err)
{
    switch (err) {
    case CER_LOG_OK:
        return "success";
#define XX(name, code, msg)                                                                        \
    case CER_LOG_E##name:                                                                          \
        return msg;
        CER_LOG_ERRNO_MAP(XX)
#undef XX
    }
    return "unknown error";
}

const char *cer_log_err_name(int err)
{
    switch (err) {
    case CER_LOG_OK:
        return "CER_LOG_OK";
#define XX(name, code, msg)                                                                        \
    case CER_LOG_E##name:                                                                          \
        return "CER_LOG_E" #name;
        CER_LOG_ERRNO_MAP(XX)
#undef XX
    }
    return "CER_LOG_EUNKNOWN";
}

int cer_log__errno(int e, char *errstr, size_t errstr_size, const char *what, const char *path)
{
    char msg[128];
    /* GNU strerror_r (the project builds with _GNU_SOURCE) may return a static string. */
    const char *s = strerror_r(e, msg, sizeof msg);
    int err = e == ENOMEM ? CER_LOG_ENOMEM : CER_LOG_EIO;
    return cerx_errf(err, errstr, errstr_size, "%s %s: %s", what, path, s);
}

void cer_log__report(const cer_log_conf *conf, int level, const char *fmt, ...)
{
    if (!conf || !conf->report)
        return;
    char msg[CER_LOG__PATH_MAX + 512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    conf->report(conf->report_ctx, level, msg);
}

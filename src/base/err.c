/* cerelay's one error space: names and messages for every code of CER_ERRNO_MAP, the family of
 * any code, and the errstr formatting helper every cer layer uses. */
#include <stdio.h>
#include <string.h>

#include "base/base.h"

const char *cer_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define XX(name, code, msg)                                                                        \
    case code:                                                                                     \
        return msg;
        CER_ERRNO_MAP(XX)
#undef XX
    }
    switch (cer_err_family_of(err)) {
    case CER_ERR_FAMILY_NONE:
        return "unknown error";
    case CER_ERR_FAMILY_CORE:
        return "unknown core error";
    case CER_ERR_FAMILY_EMITTER:
        return "unknown emitter error";
    case CER_ERR_FAMILY_LOG:
        return "unknown log error";
    case CER_ERR_FAMILY_SINK:
        return "unknown sink error";
    case CER_ERR_FAMILY_ERRNO: {
        const char *s = strerrordesc_np(-1000 - err); /* glibc >= 2.32: static, thread-safe */
        return s ? s : "system error (errno)";
    }
    case CER_ERR_FAMILY_KAFKA:
        return "librdkafka error";
    case CER_ERR_FAMILY_CURL:
        return "libcurl error";
    case CER_ERR_FAMILY_CURLM:
        return "libcurl multi error";
    case CER_ERR_FAMILY_SSL:
        return "OpenSSL error";
    case CER_ERR_FAMILY_MHD:
        return "libmicrohttpd error";
    }
    return "unknown error";
}

const char *cer_err_name(int err)
{
    switch (err) {
    case 0:
        return "CER_OK";
#define XX(name, code, msg)                                                                        \
    case code:                                                                                     \
        return #name;
        CER_ERRNO_MAP(XX)
#undef XX
    }
    switch (cer_err_family_of(err)) {
    case CER_ERR_FAMILY_ERRNO:
        return "CER_EERRNO";
    case CER_ERR_FAMILY_KAFKA:
        return "CER_EKAFKA";
    case CER_ERR_FAMILY_CURL:
        return "CER_ECURL";
    case CER_ERR_FAMILY_CURLM:
        return "CER_ECURLM";
    case CER_ERR_FAMILY_SSL:
        return "CER_ESSL";
    case CER_ERR_FAMILY_MHD:
        return "CER_EMHD";
    default:
        return "CER_EUNKNOWN";
    }
}

cer_err_family cer_err_family_of(int err)
{
#define XX(id, name, lo, hi)                                                                       \
    if (err >= (lo) && err <= (hi))                                                                \
        return CER_ERR_FAMILY_##id;
    CER_ERR_FAMILIES(XX)
#undef XX
    return CER_ERR_FAMILY_NONE;
}

const char *cer_err_family_name(cer_err_family f)
{
    switch (f) {
    case CER_ERR_FAMILY_NONE:
        return "none";
#define XX(id, name, lo, hi)                                                                       \
    case CER_ERR_FAMILY_##id:                                                                      \
        return name;
        CER_ERR_FAMILIES(XX)
#undef XX
    }
    return "none";
}

int cerx_verrf(int err, char *errstr, size_t errstr_size, const char *fmt, va_list ap)
{
    if (errstr && errstr_size > 0)
        vsnprintf(errstr, errstr_size, fmt, ap);
    return err;
}

int cerx_errf(int err, char *errstr, size_t errstr_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cerx_verrf(err, errstr, errstr_size, fmt, ap);
    va_end(ap);
    return err;
}

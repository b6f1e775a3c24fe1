/* Error names and messages for the CE_ERRNO_MAP codes, and the errstr formatting helper. */
#include <stdio.h>

#include "ce/internal.h"

const char *ce_strerror(int err)
{
    switch (err) {
    case CE_OK:
        return "success";
#define XX(name, code, msg)                                                                        \
    case CE_E##name:                                                                               \
        return msg;
        CE_ERRNO_MAP(XX)
#undef XX
    }
    return "unknown error";
}

const char *ce_err_name(int err)
{
    switch (err) {
    case CE_OK:
        return "CE_OK";
#define XX(name, code, msg)                                                                        \
    case CE_E##name:                                                                               \
        return "CE_E" #name;
        CE_ERRNO_MAP(XX)
#undef XX
    }
    return "CE_EUNKNOWN";
}

int ce__errf(int err, char *errstr, size_t errstr_size, const char *fmt, ...)
{
    if (errstr && errstr_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

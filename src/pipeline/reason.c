/* The one classification of request failures: HTTP status, problem type, title and metric
 * label per reason, and the mapping from the core's decoder error codes. */
#include "pipeline/pipeline.h"

static const cer_reason_info table[CER_REASON_COUNT] = {
    [CER_REASON_NONE] = {200, "none", "OK", "none"},
    [CER_REASON_INVALID] = {400, "invalid-event", "Invalid CloudEvent", "invalid"},
    [CER_REASON_MALFORMED] = {400, "malformed", "Malformed request", "malformed"},
    [CER_REASON_TOO_LARGE] = {413, "too-large", "Payload too large", "too_large"},
    [CER_REASON_HEADER_TOO_LARGE] = {431, "header-too-large", "Request header fields too large",
                                     "header_too_large"},
    [CER_REASON_MEDIA_TYPE] = {415, "unsupported-media-type", "Unsupported media type",
                               "media_type"},
    [CER_REASON_METHOD] = {405, "method-not-allowed", "Method not allowed", "method"},
    [CER_REASON_NOT_FOUND] = {404, "not-found", "Not found", "not_found"},
    [CER_REASON_UNAUTHORIZED] = {401, "unauthorized", "Unauthorized", "unauthorized"},
    [CER_REASON_GOVERNANCE] = {400, "governance", "Masking failed", "governance"},
    [CER_REASON_OVERLOADED] = {503, "overloaded", "Overloaded", "overloaded"},
    [CER_REASON_DELIVERY] = {502, "delivery-failed", "Delivery failed", "delivery_failed"},
    [CER_REASON_ACK_TIMEOUT] = {504, "ack-timeout", "Acknowledgement timed out", "ack_timeout"},
    [CER_REASON_UNDELIVERABLE] = {422, "undeliverable", "The destination refuses the event",
                                  "undeliverable"},
    [CER_REASON_RATE_LIMITED] = {429, "rate-limited", "Too many requests", "rate_limited"},
    [CER_REASON_INTERNAL] = {500, "internal", "Internal error", "internal"},
};

const cer_reason_info *cer_reason_get(cer_reason r)
{
    if ((int)r < 0 || r >= CER_REASON_COUNT)
        r = CER_REASON_INTERNAL;
    return &table[r];
}

cer_reason cer_reason_of_error(int err)
{
    switch (err) {
    case 0:
        return CER_REASON_NONE;
    case CE_ENOMEM:
        return CER_REASON_OVERLOADED;
    case CE_ETOOBIG:
        return CER_REASON_TOO_LARGE;
    case CE_ESYNTAX:
    case CE_EUTF8:
    case CE_EDEPTH:
    case CE_EHEADER:
    case CE_EMODE:
    case CE_EIO:
        return CER_REASON_MALFORMED;
    case CE_EUNSUPPORTED:
        return CER_REASON_MEDIA_TYPE;
    default: /* MISSING, BADVALUE, BADNAME, DUPLICATE, TYPE, RANGE, SPECVERSION, DATA, LIMIT... */
        return CER_REASON_INVALID;
    }
}

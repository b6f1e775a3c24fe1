/* State shared by the mapping files (map.c drives; map_log.c builds log-shaped events from log
 * records and plain spans; map_usage.c builds usage events from GenAI spans). Not installed. */
#ifndef CER_OTLP_MAP_H
#define CER_OTLP_MAP_H

#include "otlp/internal.h"

typedef struct cer__otlp_mapper {
    cer_otlp_map_conf conf; /* defaults filled in */
    const char *const *tenant_attrs;
    const char *const *user_attrs;
    const cer_otlp_limits *lim;
    cer_otlp_event_cb on_event;
    cer_otlp_reject_cb on_reject;
    void *ctx;
    cer_otlp_map_stats *stats;
    ce_event *ev;             /* reused for every record */
    ce_buf data;              /* the data JSON being built (capped at max_event_bytes) */
    ce_buf source;            /* the current resource's source, NUL-terminated */
    ce_buf subject;           /* scratch for the subject */
    cer__otlp_kv **res_attrs; /* the current resource's attributes */
    size_t n_res_attrs;
    char path[160];      /* the current record, "resourceLogs[0].scopeLogs[1].logRecords[3]" */
    char err[512];       /* detail of the current record's failure */
    bool oom;            /* mapping stopped for want of memory */
    cer__otlp_rand rand; /* for UUIDv7 ids */
} cer__otlp_mapper;

/* Outcome of building one record: 0 built (ev is ready), or a negative ce_err with m->err. */
int cer__otlp_build_log(cer__otlp_mapper *m, const cer__otlp_log *rec);
int cer__otlp_build_span(cer__otlp_mapper *m, const cer__otlp_span *sp);
int cer__otlp_build_usage(cer__otlp_mapper *m, const cer__otlp_span *sp);
/* True when a span carries GenAI usage (a model or a token count). */
bool cer__otlp_is_genai_span(const cer__otlp_span *sp);

/* map.c helpers for the builders. */
int cer__otlp_fail(cer__otlp_mapper *m, int err, const char *fmt, ...) CER__OTLP_PRINTF(3, 4);
/* Set attribute `name` (a spec attribute or a String extension) to s[0..n). */
int cer__otlp_set(cer__otlp_mapper *m, const char *name, const char *s, size_t n);
/* Common attributes: specversion, source, datacontenttype. */
int cer__otlp_set_common(cer__otlp_mapper *m);
/* time from nanoseconds (0 = leave unset); `what` names the field in errors. */
int cer__otlp_set_time(cer__otlp_mapper *m, uint64_t ns, const char *what);
/* Check the id lengths (trace 16, span 8, or empty) and set traceparent when both are set. */
int cer__otlp_set_traceparent(cer__otlp_mapper *m, ProtobufCBinaryData trace,
                              ProtobufCBinaryData span, uint32_t flags);
/* The first of `names` found as text in attrs, then in the resource attributes. */
bool cer__otlp_lookup(const cer__otlp_mapper *m, cer__otlp_kv *const *attrs, size_t n,
                      const char *const *names, char tmp[24], const char **s, size_t *len);
/* A data member "key": lowercase hex of id bytes, when id is set and not all zero. */
int cer__otlp_hex_member(ce_buf *out, const char *key, ProtobufCBinaryData id, bool *comma);
/* The "resource" member (the resource's attributes as an object), when there are any. */
int cer__otlp_resource_member(cer__otlp_mapper *m, bool *comma);
/* Drop filter for prompt/response content attributes (ctx: the mapper). */
bool cer__otlp_drop_key(const char *key, size_t len, const void *ctx);
/* Set data from m->data and then the id. */
int cer__otlp_finish(cer__otlp_mapper *m);

#endif

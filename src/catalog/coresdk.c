/* Typed builders for the seven io.coresdk.* types (seed 002): snake_case payloads, subject
 * tenant/{tenant_id} with /user/{user_id} for policy, auth and error events that have a user. */
#include <stdio.h>
#include <string.h>

#include "catalog/internal.h"

/* "tenant/{t}" or "tenant/{t}/user/{u}" into buf; NULL (and errstr) when it does not fit. */
static const char *subject(char *buf, size_t cap, const char *tenant, const char *user)
{
    int n = user ? snprintf(buf, cap, "tenant/%s/user/%s", tenant, user)
                 : snprintf(buf, cap, "tenant/%s", tenant);
    return n > 0 && (size_t)n < cap ? buf : NULL;
}

static int subject_err(const char *type, char *errstr, size_t errstr_size)
{
    return cerx_errf(CE_ETOOBIG, errstr, errstr_size, "%s: tenant_id/user_id too long", type);
}

int cer_coresdk_policy_decision_event(const cer_coresdk_policy_decision *p,
                                      const cer_event_meta *meta, ce_event **out, char *errstr,
                                      size_t errstr_size)
{
    static const char type[] = "io.coresdk.policy.decision";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 4, "tenant_id", p->tenant_id, "action",
                               p->action, "trace_id", p->trace_id, "span_id", p->span_id);
    if (!rc)
        rc = cer__need_counts(type, errstr, errstr_size, 1, "policy_latency_us",
                              p->policy_latency_us);
    if (rc)
        return rc;
    char now[40], subj[600];
    const char *time = cer__event_time(meta, now);
    if (!subject(subj, sizeof subj, p->tenant_id, p->user_id))
        return subject_err(type, errstr, errstr_size);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenant_id", p->tenant_id);
    cer__jw_str(&w, "user_id", p->user_id);
    cer__jw_str(&w, "action", p->action);
    cer__jw_str(&w, "result", p->allowed ? "allowed" : "denied");
    cer__jw_int(&w, "policy_latency_us", p->policy_latency_us);
    cer__jw_str(&w, "trace_id", p->trace_id);
    cer__jw_str(&w, "span_id", p->span_id);
    cer__jw_end(&w);
    return cer__finish(type, &w, subj, time, meta, out, errstr, errstr_size);
}

static int auth_event(const char *type, const cer_coresdk_auth *a, bool denied,
                      const cer_event_meta *meta, ce_event **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 2, "tenant_id", a->tenant_id,
                               "auth_method", a->auth_method);
    if (!rc && denied)
        rc = cer__need_strings(type, errstr, errstr_size, 1, "reason", a->reason);
    if (rc)
        return rc;
    char now[40], subj[600];
    const char *time = cer__event_time(meta, now);
    if (!subject(subj, sizeof subj, a->tenant_id, a->user_id))
        return subject_err(type, errstr, errstr_size);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenant_id", a->tenant_id);
    cer__jw_str(&w, "user_id", a->user_id);
    cer__jw_str(&w, "auth_method", a->auth_method);
    cer__jw_str(&w, "result", denied ? "denied" : "allowed");
    if (denied)
        cer__jw_str(&w, "reason", a->reason);
    cer__jw_str(&w, "trace_id", a->trace_id);
    cer__jw_end(&w);
    return cer__finish(type, &w, subj, time, meta, out, errstr, errstr_size);
}

int cer_coresdk_auth_verified_event(const cer_coresdk_auth *a, const cer_event_meta *meta,
                                    ce_event **out, char *errstr, size_t errstr_size)
{
    return auth_event("io.coresdk.auth.verified", a, false, meta, out, errstr, errstr_size);
}

int cer_coresdk_auth_denied_event(const cer_coresdk_auth *a, const cer_event_meta *meta,
                                  ce_event **out, char *errstr, size_t errstr_size)
{
    return auth_event("io.coresdk.auth.denied", a, true, meta, out, errstr, errstr_size);
}

int cer_coresdk_tenant_created_event(const cer_coresdk_tenant_created *t,
                                     const cer_event_meta *meta, ce_event **out, char *errstr,
                                     size_t errstr_size)
{
    static const char type[] = "io.coresdk.tenant.created";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 3, "tenant_id", t->tenant_id, "name",
                               t->name, "plan", t->plan);
    if (rc)
        return rc;
    char now[40], subj[600];
    const char *time = cer__event_time(meta, now);
    if (!subject(subj, sizeof subj, t->tenant_id, NULL))
        return subject_err(type, errstr, errstr_size);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenant_id", t->tenant_id);
    cer__jw_str(&w, "name", t->name);
    cer__jw_str(&w, "plan", t->plan);
    cer__jw_str(&w, "created_at", t->created_at ? t->created_at : time);
    cer__jw_str(&w, "trace_id", t->trace_id);
    cer__jw_end(&w);
    return cer__finish(type, &w, subj, time, meta, out, errstr, errstr_size);
}

int cer_coresdk_tenant_suspended_event(const cer_coresdk_tenant_suspended *t,
                                       const cer_event_meta *meta, ce_event **out, char *errstr,
                                       size_t errstr_size)
{
    static const char type[] = "io.coresdk.tenant.suspended";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 4, "tenant_id", t->tenant_id, "reason",
                               t->reason, "suspended_by", t->suspended_by, "actor", t->actor);
    if (rc)
        return rc;
    char now[40], subj[600];
    const char *time = cer__event_time(meta, now);
    if (!subject(subj, sizeof subj, t->tenant_id, NULL))
        return subject_err(type, errstr, errstr_size);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenant_id", t->tenant_id);
    cer__jw_str(&w, "reason", t->reason);
    cer__jw_str(&w, "suspended_by", t->suspended_by);
    cer__jw_str(&w, "actor", t->actor);
    cer__jw_str(&w, "suspended_at", t->suspended_at ? t->suspended_at : time);
    cer__jw_str(&w, "trace_id", t->trace_id);
    cer__jw_end(&w);
    return cer__finish(type, &w, subj, time, meta, out, errstr, errstr_size);
}

int cer_coresdk_secret_rotated_event(const cer_coresdk_secret_rotated *s,
                                     const cer_event_meta *meta, ce_event **out, char *errstr,
                                     size_t errstr_size)
{
    static const char type[] = "io.coresdk.secret.rotated";
    *out = NULL;
    int rc =
        cer__need_strings(type, errstr, errstr_size, 4, "tenant_id", s->tenant_id, "secret_name",
                          s->secret_name, "vault", s->vault, "version", s->version);
    if (rc)
        return rc;
    char now[40], subj[600];
    const char *time = cer__event_time(meta, now);
    if (!subject(subj, sizeof subj, s->tenant_id, NULL))
        return subject_err(type, errstr, errstr_size);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenant_id", s->tenant_id);
    cer__jw_str(&w, "secret_name", s->secret_name);
    cer__jw_str(&w, "vault", s->vault);
    cer__jw_str(&w, "version", s->version);
    cer__jw_str(&w, "rotated_at", s->rotated_at ? s->rotated_at : time);
    cer__jw_str(&w, "next_rotation_at", s->next_rotation_at);
    cer__jw_str(&w, "trace_id", s->trace_id);
    cer__jw_end(&w);
    return cer__finish(type, &w, subj, time, meta, out, errstr, errstr_size);
}

int cer_coresdk_error_event(const cer_coresdk_error *e, const cer_event_meta *meta, ce_event **out,
                            char *errstr, size_t errstr_size)
{
    static const char type[] = "io.coresdk.error";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 2, "title", e->title, "tenant_id",
                               e->tenant_id);
    if (!rc && (e->status < 100 || e->status > 599))
        rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: status %d is not 100..599", type,
                       e->status);
    if (rc)
        return rc;
    char now[40], subj[600];
    const char *time = cer__event_time(meta, now);
    if (!subject(subj, sizeof subj, e->tenant_id, e->user_id))
        return subject_err(type, errstr, errstr_size);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "type", e->type ? e->type : "about:blank");
    cer__jw_str(&w, "title", e->title);
    cer__jw_int(&w, "status", e->status);
    if (e->detail)
        cer__jw_str(&w, "detail", e->detail);
    if (e->instance)
        cer__jw_str(&w, "instance", e->instance);
    cer__jw_str(&w, "tenant_id", e->tenant_id);
    cer__jw_str(&w, "user_id", e->user_id);
    cer__jw_str(&w, "trace_id", e->trace_id);
    if (e->extra_members && *e->extra_members) {
        cer__jw_key(&w, NULL);
        cer__jw_raw(&w, e->extra_members);
    }
    cer__jw_end(&w);
    return cer__finish(type, &w, subj, time, meta, out, errstr, errstr_size);
}

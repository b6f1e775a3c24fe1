/* Per-request state of the relay's HTTP side, shared by http.c, ack.c and otlp.c. */
#ifndef CER_RELAY_HTTP_H
#define CER_RELAY_HTTP_H

#include <stdbool.h>

#include "cerelay/ce_binding.h"
#include "relay/relay.h"

enum { LISTEN_EVENTS = 1, LISTEN_OTLP };

typedef struct relay_listener {
    relay *r;
    int kind;
} relay_listener;

typedef struct req {
    relay *r;
    relay_listener *listener;
    struct MHD_Connection *conn;
    char method[16];
    char url[256];
    int64_t t0;
    ce_buf body, resp, problems;
    bool too_big, answered;
    ce_header hdrs[256];
    size_t nhdrs;
    /* acknowledgement (guarded by mu) */
    pthread_mutex_t mu;
    int refs; /* the connection + one per event whose delivery callback is pending */
    size_t nevents, pending, failed, denied;
    char fail_reason[256];
    bool waiting, suspended, resumed, timed_out, local_ack;
    struct req *ack_next, *ack_prev; /* the reaper's list of suspended requests */
    /* OTLP: what the success response reports */
    int otlp_sig, otlp_enc;
    uint64_t otlp_rejected;
    char otlp_error[256];
} req;

/* ack.c: the ack-timeout reaper. */
void relay_acks_track(req *q);
void relay_acks_forget(req *q);
int relay_acks_start(relay *r);
void relay_acks_stop(void);
void relay_http_timeout(req *q);

/* otlp.c: POST /v1/logs and /v1/traces, and their success response. */
enum MHD_Result relay_handle_otlp(req *q);
enum MHD_Result relay_otlp_answer(req *q);

/* http.c, shared with otlp.c. */
enum MHD_Result relay_submit(req *q, ce_event **evs, size_t n);
enum MHD_Result answer_events_done(req *q);
enum MHD_Result problem(req *q, unsigned status, const char *kind, const char *title,
                        const char *detail, const char *errors_json, const char *extra_name,
                        const char *extra_value);
enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *ctype,
                         const char *body, size_t len, const char *extra_name,
                         const char *extra_value);

/* Read a whole (small) file. Returns 0 or -1. */
int relay_read_file(const char *path, char **out, size_t *len);

#endif

/* Per-request state of the relay's HTTP side, shared by http.c (libmicrohttpd glue),
 * handler.c (what a request means, independent of the HTTP library), ack.c and otlp.c. */
#ifndef CER_RELAY_HTTP_H
#define CER_RELAY_HTTP_H

#include <stdbool.h>

#include "cerelay/ce_binding.h"
#include "pipeline/pipeline.h"
#include "relay/relay.h"

enum { LISTEN_EVENTS = 1, LISTEN_OTLP };

/* Request header bytes (names + values) the relay accepts; more gets 431 problem+json. The
 * HTTP library's own buffer (RELAY_CONN_MEMORY) is larger, so our handler sees and answers
 * such requests; only headers beyond that buffer are answered by libmicrohttpd itself. */
#define RELAY_MAX_HEADER_BYTES ((size_t)64 << 10)
#define RELAY_CONN_MEMORY      ((size_t)256 << 10)

typedef struct relay_listener {
    relay *r;
    int kind;
} relay_listener;

typedef struct req {
    relay *r;
    int kind;                    /* LISTEN_EVENTS or LISTEN_OTLP */
    struct MHD_Connection *conn; /* NULL: a direct call (cer__relay_request) */
    char method[16];
    char url[256];
    int64_t t0;
    int64_t arrival_ns;   /* wall clock at arrival: the ingest age's origin */
    unsigned char *fresh; /* the freshness series of each accepted event (relay/fresh.h) */
    ce_buf body;
    size_t body_counted; /* bytes of body added to r->body_bytes */
    bool too_big, header_too_big, overloaded;
    ce_header *hdrs; /* while the request is handled; freed with the body */
    size_t nhdrs, hcap, header_bytes;
    /* the answer, stored by respond() and sent by the transport */
    bool has_resp;
    unsigned status;
    const char *ctype; /* a static string */
    ce_buf out;
    char xname[32], xvalue[64];
    /* acknowledgement (guarded by mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* direct calls wait on it */
    int refs;          /* the connection + one per event whose delivery callback is pending */
    size_t nevents, pending, failed, denied;
    size_t undeliverable; /* of failed: refused for good (CER_EREJECTED, CER_EDEADLETTER) */
    char fail_reason[256];
    bool waiting, suspended, resumed, timed_out, local_ack, answered;
    struct req *ack_next, *ack_prev; /* the reaper's list of suspended requests */
    /* mTLS (listen.tls.client_ca): the verified client certificate's subject (RFC 4514), or
     * why the client is refused (NULL: accepted or no mTLS) */
    char client_subject[512];
    const char *cert_error;
    /* OTLP: what the success response reports */
    int otlp_sig, otlp_enc;
    uint64_t otlp_rejected;
    char otlp_error[256];
    /* Transports other than libmicrohttpd (grpc.c): called once, with mu held, when a
     * suspended request is settled (instead of MHD_resume_connection); the transport answers
     * on its own thread. NULL for MHD and direct calls. */
    void (*on_resume)(struct req *q);
    void *transport;        /* the transport's stream, or NULL once it is gone */
    struct req *ready_next; /* the transport's list of resumed requests */
    char detail[256];       /* the last problem's detail (grpc-message) */
} req;

/* Keep header `name: value` (borrowed) while the request is handled; false when the request
 * has more fields than the relay keeps (RELAY_MAX_HEADERS) or memory ran out. */
bool cer__relay_req_add_header(req *q, ce_slice name, ce_slice value);
#define RELAY_MAX_HEADERS 256

/* handler.c */
req *cer__relay_req_new(relay *r, int kind, struct MHD_Connection *conn, const char *method,
                        const char *url);
void cer__relay_req_unref(req *q);
/* Free the request body and take it out of r->body_bytes (once handled; events are copies). */
void cer__relay_req_drop_body(req *q);
/* Handle a complete request (headers and body in q): stores the answer in q, or leaves
 * q->suspended set when it waits for acknowledgements (then cer__relay_answer_events_done later).
 */
void cer__relay_handle(req *q);
void cer__relay_respond(req *q, unsigned status, const char *ctype, const char *body, size_t len,
                        const char *xname, const char *xvalue);
/* The problem+json answer for reason r; counts cerelay_requests_rejected_total{reason} once. */
void cer__relay_problem(req *q, cer_reason r, const char *detail, const char *errors_json);
void cer__relay_answer_events_done(req *q);
/* Hand a processed batch's accepted events to the emitter (and its dead letters to the
 * writer); answers now (ack: none) or suspends. The caller keeps b. */
void cer__relay_submit(req *q, cer_batch *b);
/* Whether the emitter's bytes plus the request bodies held plus `extra` are over
 * limits.max_memory_bytes (then answer 503). Thread-safe. */
bool cer__relay_over_memory(relay *r, uint64_t extra);
/* A request header (case-insensitive), or NULL. */
const char *cer__relay_req_header(const req *q, const char *name);

/* ack.c: the ack-timeout reaper. */
void cer__relay_acks_track(req *q);
void cer__relay_acks_forget(req *q);
int cer__relay_acks_start(relay *r);
void cer__relay_acks_stop(void);
void cer__relay_http_timeout(req *q);

/* otlp.c: POST /v1/logs and /v1/traces, and their success response. */
void cer__relay_handle_otlp(req *q);
void cer__relay_otlp_answer(req *q);

/* Read a whole (small) file. Returns 0 or -1. */
int cer__relay_read_file(const char *path, char **out, size_t *len);

#endif

/* OTLP/gRPC ingest (grpc.c): LogsService/Export and TraceService/Export over HTTP/2 (h2c with
 * prior knowledge, or TLS with ALPN h2), served by one epoll thread driving nghttp2 server
 * sessions. Each Export request goes through the same handler as OTLP/HTTP (cer__relay_handle), so
 * limits, auth, the pipeline and the ack modes are the same; the answer is mapped to a gRPC
 * status (docs/otlp.md). */
#ifndef CER_RELAY_GRPC_H
#define CER_RELAY_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include "relay/relay.h"

/* The listen address of listen.otlp_grpc when it is not set. */
#define RELAY_GRPC_DEFAULT_ADDR "127.0.0.1:4317"
/* Concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS) and connections. */
#define RELAY_GRPC_MAX_STREAMS 100
#define RELAY_GRPC_MAX_CONNS   1024

/* Start the listener of listen.otlp_grpc (a no-op when it is ""). Sets r->grpc and
 * r->grpc_port. Returns 0, or -1 with errstr naming the address. When the address is not set
 * and the default port is taken, logs a warning and returns 0 without a listener. */
int cer__relay_grpc_start(relay *r, char *errstr, size_t errstr_size);
/* Stop accepting, send GOAWAY on every connection and wait (at most timeout_ms) for the
 * requests in flight to be answered. A no-op without a listener. */
void cer__relay_grpc_quiesce(relay *r, int timeout_ms);
/* Stop the thread, close every connection and free everything; r->grpc becomes NULL. */
void cer__relay_grpc_stop(relay *r);
/* "http://HOST:PORT" of the listener (for the ready line). */
void cer__relay_grpc_url(relay *r, char *out, size_t out_size);

/* Fuzzing and tests: feed `len` bytes (after the client preface, which this adds) to a fresh
 * server session of relay r (opened with no_http, ack none) as if a client sent them, process
 * every complete request, append what the server writes to *out (may be NULL) and free the
 * connection. r must not have a running listener. Returns 0, or -1 when the session failed
 * (a protocol error: the connection would be closed). */
int cer__relay_grpc_feed(relay *r, const uint8_t *data, size_t len, ce_buf *out);

#endif

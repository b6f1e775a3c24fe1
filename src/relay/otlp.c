/* OTLP/HTTP ingest (POST /v1/logs, /v1/traces). Not wired yet: the OTLP decoder and mapping
 * are being built in src/otlp; until then the endpoint answers 501 and says so. */
#include <microhttpd.h>
#include <string.h>

#include "relay/http.h"

enum MHD_Result relay_handle_otlp(req *q)
{
    static const char body[] =
        "{\"type\":\"urn:cerelay:problem:not-implemented\",\"title\":\"Not implemented\","
        "\"status\":501,\"detail\":\"OTLP ingest is not available in this build of cerelay\"}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
    enum MHD_Result ret = MHD_queue_response(q->conn, MHD_HTTP_NOT_IMPLEMENTED, r);
    MHD_destroy_response(r);
    return ret;
}

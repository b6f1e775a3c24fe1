/* gzip (Content-Encoding: gzip) inflation with a hard cap on the output, so a small body that
 * expands without bound (a zip bomb) costs at most the cap. */
#include <string.h>
#include <zlib.h>

#include "otlp/internal.h"

#define GZIP_STEP ((size_t)64 << 10)

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size && items > SIZE_MAX / size)
        return Z_NULL;
    return cer__otlp_malloc((size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    cer__otlp_free(p);
}

int cer_otlp_gunzip(const void *in, size_t len, size_t max_out, ce_buf *out, char *errstr,
                    size_t errstr_size)
{
    if ((!in && len) || !out)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "NULL argument");
    if (max_out == 0)
        max_out = CER_OTLP_DEFAULT_MAX_DECODED_BYTES;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = z_alloc;
    zs.zfree = z_free;
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return cerx_errf(CE_ENOMEM, errstr, errstr_size, "gzip: cannot initialise zlib");
    const size_t start = out->len;
    const unsigned char *src = in;
    size_t src_left = len, produced = 0;
    int rc = 0;
    for (;;) {
        /* Offer at most one byte more than the cap allows, so going past it is seen. */
        size_t room = max_out - produced + 1;
        if (room > GZIP_STEP)
            room = GZIP_STEP;
        rc = ce_buf_reserve(out, room);
        if (rc) {
            cerx_errf(rc, errstr, errstr_size, "gzip: %s", ce_strerror(rc));
            break;
        }
        uInt in_chunk = src_left > UINT_MAX ? UINT_MAX : (uInt)src_left;
        zs.next_in = (Bytef *)(uintptr_t)src;
        zs.avail_in = in_chunk;
        zs.next_out = (Bytef *)out->ptr + out->len;
        zs.avail_out = (uInt)room;
        int zr = inflate(&zs, Z_NO_FLUSH);
        size_t used_in = in_chunk - zs.avail_in, made = room - zs.avail_out;
        src += used_in;
        src_left -= used_in;
        out->len += made;
        produced += made;
        if (produced > max_out) {
            rc = cerx_errf(CE_ETOOBIG, errstr, errstr_size,
                           "gzip: decompressed body exceeds %zu bytes", max_out);
            break;
        }
        if (zr == Z_STREAM_END) {
            if (src_left == 0)
                break;
            /* RFC 1952 allows several members back to back; anything else is garbage. */
            if (src_left >= 2 && src[0] == 0x1f && src[1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            rc = cerx_errf(CE_ESYNTAX, errstr, errstr_size,
                           "gzip: trailing bytes after the stream at byte %zu", len - src_left);
            break;
        }
        if (zr == Z_MEM_ERROR) {
            rc = cerx_errf(CE_ENOMEM, errstr, errstr_size, "gzip: out of memory");
            break;
        }
        if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR) {
            rc = cerx_errf(CE_ESYNTAX, errstr, errstr_size, "gzip: corrupt data (%s)",
                           zs.msg ? zs.msg : "invalid stream");
            break;
        }
        if (used_in == 0 && made == 0 && src_left == 0) {
            rc = cerx_errf(CE_ESYNTAX, errstr, errstr_size, "gzip: truncated stream (%zu bytes in)",
                           len);
            break;
        }
    }
    inflateEnd(&zs);
    if (rc)
        out->len = start;
    return rc;
}

/* The core's single allocation path (replaceable with ce_set_allocator) and the ce_buf
 * growable buffer. */
#include <stdlib.h>
#include <string.h>

#include "ce/internal.h"

static ce_allocator current = {malloc, realloc, free};

void ce_set_allocator(const ce_allocator *a)
{
    if (a)
        current = *a;
    else
        current = (ce_allocator){malloc, realloc, free};
}

void *ce__malloc(size_t n)
{
    return current.malloc_fn(n ? n : 1);
}
void *ce__realloc(void *p, size_t n)
{
    return current.realloc_fn(p, n ? n : 1);
}
void ce__free(void *p)
{
    if (p)
        current.free_fn(p);
}

void ce_buf_init(ce_buf *b)
{
    memset(b, 0, sizeof *b);
}

void ce_buf_free(ce_buf *b)
{
    if (!b)
        return;
    ce__free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

int ce_buf_reserve(ce_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        return CE_ETOOBIG;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return 0;
    if (b->cap_limit && need > b->cap_limit)
        return CE_ETOOBIG;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (b->cap_limit && ncap > b->cap_limit)
        ncap = b->cap_limit;
    char *p = ce__realloc(b->ptr, ncap);
    if (!p)
        return CE_ENOMEM;
    b->ptr = p;
    b->cap = ncap;
    return 0;
}

int ce_buf_append(ce_buf *b, const void *p, size_t n)
{
    int rc = ce_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    return 0;
}

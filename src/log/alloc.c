/* The log library's single allocation path (replaceable with cer_log_set_allocator, so tests can
 * fail the Nth allocation) and the capped growable buffer. */
#include <stdlib.h>
#include <string.h>

#include "log/internal.h"

static cer_log_allocator current = {malloc, realloc, free};

void cer_log_set_allocator(const cer_log_allocator *a)
{
    if (a)
        current = *a;
    else
        current = (cer_log_allocator){malloc, realloc, free};
}

void *cer_log__malloc(size_t n)
{
    return current.malloc_fn(n ? n : 1);
}

void *cer_log__calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    void *p = cer_log__malloc(bytes);
    if (p)
        memset(p, 0, bytes ? bytes : 1);
    return p;
}

void *cer_log__realloc(void *p, size_t n)
{
    return current.realloc_fn(p, n ? n : 1);
}

void cer_log__free(void *p)
{
    if (p)
        current.free_fn(p);
}

char *cer_log__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = cer_log__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int cer_log__grow(void **arr, size_t *cap, size_t need, size_t size, size_t max)
{
    if (need <= *cap)
        return 0;
    if (need > max)
        return CER_LOG_ELIMIT;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > max)
        ncap = max;
    void *p = cer_log__realloc(*arr, ncap * size);
    if (!p)
        return CER_LOG_ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

int cer_log__buf_reserve(cer_log__buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        return CER_LOG_ETOOBIG;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return 0;
    if (b->limit && need > b->limit)
        return CER_LOG_ETOOBIG;
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (b->limit && ncap > b->limit)
        ncap = b->limit;
    uint8_t *p = cer_log__realloc(b->ptr, ncap);
    if (!p)
        return CER_LOG_ENOMEM;
    b->ptr = p;
    b->cap = ncap;
    return 0;
}

void cer_log__buf_free(cer_log__buf *b)
{
    cer_log__free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

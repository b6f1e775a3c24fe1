/* The catalog's bump arena (types, schemas, prices and the text they were read from live in it
 * until cer_catalog_destroy) and its error-buffer helper. Allocation goes through the core's
 * allocator, so ce_set_allocator reaches the catalog too. */
#include <stdio.h>
#include <string.h>

#include "catalog/internal.h"
#include "ce/internal.h"

#define ARENA_MIN_CHUNK ((size_t)16 << 10)
#define ARENA_ALIGN     16

struct cer__chunk {
    cer__chunk *next;
    size_t size;
};
typedef union {
    cer__chunk c;
    max_align_t align;
    char pad[ARENA_ALIGN];
} chunk_head;

void *cer__arena_alloc(cer__arena *a, size_t n)
{
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (!a->head || a->cap - a->used < n) {
        size_t size = n > ARENA_MIN_CHUNK ? n : ARENA_MIN_CHUNK;
        if (size > SIZE_MAX - sizeof(chunk_head))
            return NULL;
        chunk_head *h = ce__malloc(sizeof(chunk_head) + size);
        if (!h)
            return NULL;
        h->c.next = a->head;
        h->c.size = size;
        a->head = &h->c;
        a->used = 0;
        a->cap = size;
    }
    char *p = (char *)((chunk_head *)(void *)a->head + 1) + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *cer__arena_strndup(cer__arena *a, const char *s, size_t n)
{
    char *p = cer__arena_alloc(a, n + 1);
    if (p && n)
        memcpy(p, s, n);
    return p;
}

void cer__arena_free(cer__arena *a)
{
    cer__chunk *c = a->head;
    while (c) {
        cer__chunk *next = c->next;
        ce__free(c);
        c = next;
    }
    a->head = NULL;
    a->used = a->cap = 0;
}

void cer__arena_take(cer__arena *dst, cer__arena *src)
{
    if (!src->head)
        return;
    cer__chunk *last = src->head;
    while (last->next)
        last = last->next;
    last->next = dst->head;
    *dst = *src;
    src->head = NULL;
    src->used = src->cap = 0;
}

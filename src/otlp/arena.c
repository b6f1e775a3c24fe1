/* The bounded bump allocator that holds one decoded OTLP request, and the module's single path
 * to the heap (the core's allocator, so ce_set_allocator reaches everything here too). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ce/internal.h"
#include "otlp/internal.h"

#define ARENA_MIN_CHUNK ((size_t)16 << 10)
#define ARENA_MAX_CHUNK ((size_t)1 << 20)
#define ARENA_ALIGN     16

struct cer__otlp_chunk {
    cer__otlp_chunk *next;
    size_t size;
    /* data follows, aligned by the union below */
};
typedef union {
    cer__otlp_chunk c;
    max_align_t align;
    char pad[ARENA_ALIGN];
} chunk_head;

void *cer__otlp_malloc(size_t n)
{
    return ce__malloc(n);
}

void cer__otlp_free(void *p)
{
    ce__free(p);
}

void cer__otlp_arena_init(cer__otlp_arena *a, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->cap = cap;
}

void *cer__otlp_arena_alloc(cer__otlp_arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2) {
        a->hit_cap = true;
        return NULL;
    }
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n > a->left) {
        /* Chunks double from 16 KiB up to 1 MiB; a larger block gets a chunk of its own. */
        size_t want = a->head ? a->head->size * 2 : ARENA_MIN_CHUNK;
        if (want > ARENA_MAX_CHUNK)
            want = ARENA_MAX_CHUNK;
        if (want < n)
            want = n;
        size_t need = want + sizeof(chunk_head);
        if (need > a->cap - a->total || a->total > a->cap) {
            /* Try the smallest chunk that still fits before giving up. */
            need = n + sizeof(chunk_head);
            if (a->total > a->cap || need > a->cap - a->total) {
                a->hit_cap = true;
                return NULL;
            }
            want = n;
        }
        chunk_head *h = ce__malloc(need);
        if (!h) {
            a->oom = true;
            return NULL;
        }
        h->c.next = a->head;
        h->c.size = want;
        a->head = &h->c;
        a->total += need;
        a->cur = (char *)(h + 1);
        a->left = want;
    }
    void *p = a->cur;
    a->cur += n;
    a->left -= n;
    return p;
}

void cer__otlp_arena_free(cer__otlp_arena *a)
{
    cer__otlp_chunk *c = a->head;
    while (c) {
        cer__otlp_chunk *next = c->next;
        ce__free(c);
        c = next;
    }
    size_t cap = a->cap;
    cer__otlp_arena_init(a, cap);
}

static void *pb_alloc(void *data, size_t n)
{
    return cer__otlp_arena_alloc(data, n);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    (void)p; /* released with the whole arena */
}

ProtobufCAllocator cer__otlp_arena_allocator(cer__otlp_arena *a)
{
    ProtobufCAllocator al = {pb_alloc, pb_free, a};
    return al;
}

#ifndef FARGATE_CRON_CMALLOC_SHIM_H
#define FARGATE_CRON_CMALLOC_SHIM_H

// glibc's allocator statistics, which Swift's Glibc module does not import (<malloc.h>). For
// scripts/bench/http, which checks the heap does not grow (the HTTP event loop once leaked a buffer
// at every wake-up); the daemon itself does not use it.
#include <malloc.h>
#include <stddef.h>

/// Bytes the allocator has handed out and not had back: in its arenas plus in mmap'ed blocks.
static inline size_t cmalloc_heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

#endif

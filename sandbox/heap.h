/* heap.h - a capped heap for one Lua state, that can be dropped whole.
 *
 * Every allocation of a sandboxed LuaJIT state comes from its own heap. The cap
 * turns a memory bomb into a plain "out of memory" error inside that run. Because
 * the heap owns all its memory (mmap'd slabs and large blocks, nothing from libc
 * malloc), a state that the watchdog had to abandon mid-instruction is reclaimed by
 * heap_destroy() without lua_close(): nothing in it needs to be consistent.
 *
 * Lua's allocator contract gives the old size on every free and realloc, so blocks
 * carry no header; small sizes come from size-class free lists carved out of slabs.
 */
#ifndef SOAR_HEAP_H
#define SOAR_HEAP_H

#include <stddef.h>

struct heap;

/* A new, empty heap that refuses to grow past `cap` bytes. NULL if out of memory. */
struct heap *heap_new(size_t cap);

/* Returns every byte to the system. Pointers into the heap become invalid. */
void heap_destroy(struct heap *h);

/* The lua_Alloc function; its `ud` is the struct heap. */
void *heap_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

size_t heap_used(const struct heap *h);   /* bytes handed out (rounded to classes) */
size_t heap_peak(const struct heap *h);   /* highest heap_used since heap_reset_peak */
void heap_reset_peak(struct heap *h);
void heap_set_cap(struct heap *h, size_t cap);
size_t heap_cap(const struct heap *h);
/* How many allocations the cap refused since the last call (then resets). */
unsigned heap_take_refusals(struct heap *h);
/* How many it refused since the heap was made (never reset). */
unsigned long heap_refusals_total(const struct heap *h);
/* Memory held outside the heap on the state's behalf (C buffers of a run):
 * counted against the cap like an allocation. heap_charge returns -1 (and
 * counts a refusal) when the cap does not allow n more bytes. */
int heap_charge(struct heap *h, size_t n);
void heap_uncharge(struct heap *h, size_t n);

#endif

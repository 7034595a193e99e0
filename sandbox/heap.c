/* heap.c - see heap.h. Size classes: 16-byte steps up to 512 bytes, then four
 * classes per power of two up to HEAP_SMALL_MAX; larger blocks are mapped one by
 * one (mremap makes growing strings and tables cheap) and kept on a list so that
 * heap_destroy can unmap them. */
#include "heap.h"
#include "sandbox.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define HEAP_SLAB_SIZE  (256u * 1024)
#define HEAP_SMALL_MAX  (64u * 1024)
#define HEAP_PAGE       4096u
#define NCLASSES        64

struct big {            /* header in front of every large block */
	struct big *prev, *next;
	size_t mapped;      /* bytes mapped, header included */
	size_t pad;         /* keeps the payload 16-byte aligned */
};

struct slab {
	struct slab *next;
	size_t size;
};

struct heap {
	size_t used, peak, cap;
	unsigned refusals;
	unsigned long refusals_total;   /* never reset: sticky out-of-memory */
	char *bump, *bump_end;          /* unused tail of the newest slab */
	struct slab *slabs;
	struct big *bigs;
	void *free_list[NCLASSES];
};

/* Class index and rounded size for a small request (1..HEAP_SMALL_MAX). */
static unsigned size_class(size_t n, size_t *rounded)
{
	if (n <= 512) {
		size_t r = (n + 15) & ~(size_t)15;
		*rounded = r;
		return (unsigned)(r / 16) - 1;                  /* 0..31 */
	}
	/* 4 classes per power of two above 512: 640, 768, 896, 1024, 1280 ... */
	unsigned lg = 63u - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
	size_t base = (size_t)1 << lg;                     /* base < n <= 2*base */
	size_t step = base / 4;
	size_t r = base + ((n - base + step - 1) / step) * step;
	*rounded = r;
	return 32 + (lg - 9) * 4 + (unsigned)((r - base) / step) - 1;
}

static void *map_pages(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

struct heap *heap_new(size_t cap)
{
	struct heap *h = map_pages(HEAP_PAGE);
	if (!h)
		return NULL;
	memset(h, 0, sizeof *h);
	h->cap = cap;
	return h;
}

void heap_destroy(struct heap *h)
{
	if (!h)
		return;
	for (struct slab *s = h->slabs, *next; s; s = next) {
		next = s->next;
		munmap(s, s->size);
	}
	for (struct big *b = h->bigs, *next; b; b = next) {
		next = b->next;
		munmap(b, b->mapped);
	}
	munmap(h, HEAP_PAGE);
}

static int over_cap(struct heap *h, size_t more)
{
	if (h->used + more > h->cap) {
		h->refusals++;
		h->refusals_total++;
		return 1;
	}
	return 0;
}

static void account(struct heap *h, size_t more)
{
	h->used += more;
	if (h->used > h->peak)
		h->peak = h->used;
}

static void *small_alloc(struct heap *h, size_t n)
{
	size_t r;
	unsigned c = size_class(n, &r);
	void *p = h->free_list[c];
	if (over_cap(h, r))
		return NULL;
	if (p) {
		h->free_list[c] = *(void **)p;
	} else {
		if ((size_t)(h->bump_end - h->bump) < r) {
			struct slab *s = map_pages(HEAP_SLAB_SIZE);
			if (!s)
				return NULL;
			s->size = HEAP_SLAB_SIZE;
			s->next = h->slabs;
			h->slabs = s;
			h->bump = (char *)s + 64;
			h->bump_end = (char *)s + HEAP_SLAB_SIZE;
		}
		p = h->bump;
		h->bump += r;
	}
	account(h, r);
	return p;
}

static void small_free(struct heap *h, void *p, size_t n)
{
	size_t r;
	unsigned c = size_class(n, &r);
	*(void **)p = h->free_list[c];
	h->free_list[c] = p;
	h->used -= r;
}

static size_t big_mapped(size_t n)
{
	return (n + sizeof(struct big) + HEAP_PAGE - 1) & ~(size_t)(HEAP_PAGE - 1);
}

static void big_link(struct heap *h, struct big *b)
{
	b->prev = NULL;
	b->next = h->bigs;
	if (h->bigs)
		h->bigs->prev = b;
	h->bigs = b;
}

static void big_unlink(struct heap *h, struct big *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		h->bigs = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

static void *big_alloc(struct heap *h, size_t n)
{
	size_t m = big_mapped(n);
	if (over_cap(h, m))
		return NULL;
	struct big *b = map_pages(m);
	if (!b)
		return NULL;
	b->mapped = m;
	big_link(h, b);
	account(h, m);
	return b + 1;
}

static void big_free(struct heap *h, void *p)
{
	struct big *b = (struct big *)p - 1;
	big_unlink(h, b);
	h->used -= b->mapped;
	munmap(b, b->mapped);
}

static void *big_realloc(struct heap *h, void *p, size_t n)
{
	struct big *b = (struct big *)p - 1;
	size_t m = big_mapped(n);
	if (m == b->mapped)
		return p;
	if (m > b->mapped && over_cap(h, m - b->mapped))
		return NULL;
	big_unlink(h, b);
	struct big *nb = mremap(b, b->mapped, m, MREMAP_MAYMOVE);
	if (nb == MAP_FAILED) {
		big_link(h, b);
		return NULL;
	}
	h->used = h->used - nb->mapped + m;
	if (h->used > h->peak)
		h->peak = h->used;
	nb->mapped = m;
	big_link(h, nb);
	return nb + 1;
}

static void *heap_alloc_raw(struct heap *h, void *ptr, size_t osize, size_t nsize)
{
	if (nsize == 0) {
		if (ptr) {
			if (osize > HEAP_SMALL_MAX)
				big_free(h, ptr);
			else
				small_free(h, ptr, osize);
		}
		return NULL;
	}
	if (!ptr)
		return nsize > HEAP_SMALL_MAX ? big_alloc(h, nsize) : small_alloc(h, nsize);
	if (osize > HEAP_SMALL_MAX && nsize > HEAP_SMALL_MAX)
		return big_realloc(h, ptr, nsize);
	if (osize <= HEAP_SMALL_MAX && nsize <= HEAP_SMALL_MAX) {
		size_t ro, rn;
		if (size_class(osize, &ro) == size_class(nsize, &rn))
			return ptr;
	}
	/* Crossing the small/large line or changing class: move. A shrink must not
	 * fail (Lua relies on it), so the cap is not applied to shrinking moves. */
	size_t saved_cap = h->cap;
	if (nsize < osize)
		h->cap = SIZE_MAX;
	void *np = nsize > HEAP_SMALL_MAX ? big_alloc(h, nsize) : small_alloc(h, nsize);
	h->cap = saved_cap;
	if (!np)
		return NULL;
	memcpy(np, ptr, osize < nsize ? osize : nsize);
	if (osize > HEAP_SMALL_MAX)
		big_free(h, ptr);
	else
		small_free(h, ptr, osize);
	return np;
}

void *heap_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	/* The watchdog must never abandon a state half-way through heap bookkeeping. */
	sandbox_noint_enter();
	void *r = heap_alloc_raw(ud, ptr, osize, nsize);
	sandbox_noint_leave();
	/* LuaJIT raises when an allocation fails: whatever no-interrupt region
	 * asked for it is about to be unwound, and must not stay open. */
	if (!r && nsize > 0)
		sandbox_noint_reset();
	return r;
}

size_t heap_used(const struct heap *h) { return h->used; }
size_t heap_peak(const struct heap *h) { return h->peak; }
void heap_reset_peak(struct heap *h) { h->peak = h->used; }
void heap_set_cap(struct heap *h, size_t cap) { h->cap = cap; }
size_t heap_cap(const struct heap *h) { return h->cap; }

unsigned long heap_refusals_total(const struct heap *h) { return h->refusals_total; }

int heap_charge(struct heap *h, size_t n)
{
	if (over_cap(h, n))
		return -1;
	account(h, n);
	return 0;
}

void heap_uncharge(struct heap *h, size_t n)
{
	h->used -= n < h->used ? n : h->used;
}

unsigned heap_take_refusals(struct heap *h)
{
	unsigned n = h->refusals;
	h->refusals = 0;
	return n;
}

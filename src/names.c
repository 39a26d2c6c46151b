// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include "names.h"

#define NS_PER_S 1000000000ull

struct name_entry {
	char *name; /* NULL: free */
	/*
	 * The last answer's time, the one before it and the first: the reader may name a
	 * connect only after later answers for the same pair were read (per-CPU buffers, -H's
	 * batches), and a connect that started before the last answer must still find this one.
	 */
	uint64_t resolved_ns, prev_ns, first_ns;
	uint64_t expires_ns, used_ns;
	uint32_t next; /* the chain: index + 1, 0 ends */
	uint8_t addr[16];
	uint8_t af;
	bool hosts; /* from the hosts file: no TTL, kept until the file changes */
	bool ref;   /* used since the CLOCK hand last passed */
};

static size_t addr_len(int af)
{
	return af == AF_INET ? 4 : 16;
}

/* FNV-1a, seeded: a flood of chosen addresses cannot pile into one chain. */
static size_t slot_of(const struct names *n, int af, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ n->seed;
	size_t i;

	h = (h ^ (uint8_t)af) * 16777619u;
	for (i = 0; i < addr_len(af); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h & (n->nbuckets - 1);
}

int names_init(struct names *n, size_t max)
{
	memset(n, 0, sizeof(*n));
	n->max = max;
	for (n->nbuckets = 1; n->nbuckets < 2 * max; n->nbuckets <<= 1)
		;
	n->e = calloc(max, sizeof(*n->e));
	n->bucket = calloc(n->nbuckets, sizeof(*n->bucket));
	if (!n->e || !n->bucket) {
		names_free(n);
		return -ENOMEM;
	}
	if (getrandom(&n->seed, sizeof(n->seed), GRND_NONBLOCK) != sizeof(n->seed))
		n->seed = 0x9e3779b9u;
	return 0;
}

void names_free(struct names *n)
{
	size_t i;

	for (i = 0; n->e && i < n->max; i++)
		free(n->e[i].name);
	free(n->e);
	free(n->bucket);
	memset(n, 0, sizeof(*n));
}

static bool same_addr(const struct name_entry *x, int af, const uint8_t *addr)
{
	return x->af == af && !memcmp(x->addr, addr, addr_len(af));
}

/* Frees entry i and takes it off its chain. */
static void drop(struct names *n, size_t i)
{
	struct name_entry *x = &n->e[i];
	uint32_t *link = &n->bucket[slot_of(n, x->af, x->addr)];

	while (*link && *link != i + 1)
		link = &n->e[*link - 1].next;
	if (*link)
		*link = x->next;
	free(x->name);
	memset(x, 0, sizeof(*x));
	n->used--;
}

static bool alive(const struct name_entry *x, uint64_t at_ns)
{
	return x->hosts || x->expires_ns >= at_ns ||
	       (x->used_ns && x->used_ns + NAMES_KEEP_NS >= at_ns);
}

/* A free entry: the CLOCK hand passes used ones (once) and hosts-file ones; -1 if none. */
static long take_slot(struct names *n, uint64_t now_ns)
{
	size_t tries;

	for (tries = 0; tries < 2 * n->max; tries++) {
		size_t i = n->hand;
		struct name_entry *x = &n->e[i];

		n->hand = (n->hand + 1) % n->max;
		if (!x->name)
			return i;
		if (x->hosts)
			continue;
		if (x->ref) {
			x->ref = false;
			continue;
		}
		if (alive(x, now_ns))
			n->evicted++;
		else
			n->expired++;
		drop(n, i);
		return i;
	}
	n->refused++;
	return -1;
}

static void insert(struct names *n, int af, const void *addr, const char *name, uint64_t resolved,
		   uint64_t expires, bool hosts)
{
	char *copy = strdup(name);
	struct name_entry *x;
	size_t b;
	long i;

	if (!copy)
		return;
	i = take_slot(n, resolved);
	if (i < 0) {
		free(copy);
		return;
	}
	x = &n->e[i];
	x->name = copy;
	x->af = af;
	memcpy(x->addr, addr, addr_len(af));
	x->resolved_ns = x->prev_ns = x->first_ns = resolved;
	x->expires_ns = expires;
	x->hosts = hosts;
	b = slot_of(n, af, addr);
	x->next = n->bucket[b];
	n->bucket[b] = i + 1;
	n->used++;
}

void names_add(struct names *n, int af, const void *addr, const char *name, uint64_t resolved_ns,
	       uint32_t ttl)
{
	uint32_t k = n->bucket[slot_of(n, af, addr)];
	long oldest = -1;
	int count = 0;

	if (af != AF_INET && af != AF_INET6)
		return;
	if (ttl < NAMES_MIN_TTL)
		ttl = NAMES_MIN_TTL;
	for (; k; k = n->e[k - 1].next) {
		struct name_entry *x = &n->e[k - 1];

		if (!same_addr(x, af, addr) || x->hosts)
			continue;
		if (!strcasecmp(x->name, name)) {
			/* Answers may be read out of order (per-CPU buffers). */
			if (resolved_ns >= x->resolved_ns) {
				x->prev_ns = x->resolved_ns;
				x->resolved_ns = resolved_ns;
				x->expires_ns = resolved_ns + (uint64_t)ttl * NS_PER_S;
			} else if (resolved_ns < x->first_ns) {
				x->first_ns = resolved_ns;
			}
			return;
		}
		count++;
		if (oldest < 0 || x->resolved_ns < n->e[oldest].resolved_ns)
			oldest = k - 1;
	}
	/* Many names for one address (a flood, a shared CDN address): the newest stay. */
	if (count >= NAMES_PER_ADDR) {
		n->evicted++;
		drop(n, oldest);
	}
	insert(n, af, addr, name, resolved_ns, resolved_ns + (uint64_t)ttl * NS_PER_S, false);
}

/* When x was last answered at or before at_ns, as far as it knows; 0: not before at_ns. */
static uint64_t answered_by(const struct name_entry *x, uint64_t at_ns)
{
	if (x->resolved_ns <= at_ns)
		return x->resolved_ns;
	if (x->prev_ns <= at_ns)
		return x->prev_ns;
	return x->first_ns <= at_ns ? x->first_ns : 0;
}

const char *names_lookup(struct names *n, int af, const void *addr, uint64_t at_ns, uint64_t now_ns)
{
	struct name_entry *best = NULL, *host = NULL;
	uint64_t best_ns = 0, t;
	uint32_t k;

	if (af != AF_INET && af != AF_INET6)
		return NULL;
	for (k = n->bucket[slot_of(n, af, addr)]; k; k = n->e[k - 1].next) {
		struct name_entry *x = &n->e[k - 1];

		if (!same_addr(x, af, addr))
			continue;
		if (x->hosts) {
			host = host ? host : x;
			continue;
		}
		t = answered_by(x, at_ns);
		if (!t || !alive(x, at_ns))
			continue;
		if (!best || t > best_ns)
			best = x, best_ns = t;
	}
	if (!best)
		best = host;
	if (!best)
		return NULL;
	best->used_ns = now_ns;
	best->ref = true;
	return best->name;
}

void names_expire(struct names *n, uint64_t now_ns)
{
	size_t i;

	for (i = 0; i < n->max; i++)
		if (n->e[i].name && !alive(&n->e[i], now_ns)) {
			drop(n, i);
			n->expired++;
		}
}

/* A hosts-file name: what a resolver would take (one label of 63 at most, 253 in all). */
static bool host_name_ok(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (!len || len > 253)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			label = 0;
			continue;
		}
		if (++label > 63 || (unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

size_t names_load_hosts(struct names *n, FILE *f)
{
	char line[1024], *save, *addr, *name;
	uint8_t bin[16];
	size_t i, taken = 0;
	int af;

	for (i = 0; i < n->max; i++)
		if (n->e[i].name && n->e[i].hosts)
			drop(n, i);
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#\n")] = '\0';
		addr = strtok_r(line, " \t", &save);
		name = addr ? strtok_r(NULL, " \t", &save) : NULL;
		if (!name || !host_name_ok(name))
			continue;
		if (inet_pton(AF_INET, addr, bin) == 1)
			af = AF_INET;
		else if (inet_pton(AF_INET6, addr, bin) == 1)
			af = AF_INET6;
		else
			continue;
		insert(n, af, bin, name, 0, UINT64_MAX, true);
		taken++;
	}
	return taken;
}

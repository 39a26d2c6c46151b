// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dhostid.h"
#include "uhist.h"

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

int uhist_init(struct uhist *u, int by, size_t max)
{
	memset(u, 0, sizeof(*u));
	u->max = max;
	u->fields = hist_by_fields(by);
	u->dhost = hist_by_has(by, HIST_BY_DHOST);
	/* dhost stands for the name, not the address the kernel would key it by. */
	if (u->dhost && !hist_by_has(by, HIST_BY_DADDR) && !hist_by_has(by, HIST_BY_DEST))
		u->fields &= ~HIST_F_DADDR;
	for (u->nslots = 1; u->nslots < 2 * max; u->nslots <<= 1)
		;
	u->v = calloc(max, sizeof(*u->v));
	u->slot = calloc(u->nslots, sizeof(*u->slot));
	if (!u->v || !u->slot) {
		uhist_free(u);
		return -ENOMEM;
	}
	return 0;
}

void uhist_free(struct uhist *u)
{
	free(u->v);
	free(u->slot);
	memset(u, 0, sizeof(*u));
	dhost_ids_free();
}

/* The histogram of key k, made if new; NULL when there is no room. */
static struct hist *find(struct uhist *u, const struct hist_key *k)
{
	size_t i = hash_bytes(k, sizeof(*k)) & (u->nslots - 1);

	for (; u->slot[i]; i = (i + 1) & (u->nslots - 1))
		if (!memcmp(&u->v[u->slot[i] - 1].key, k, sizeof(*k)))
			return &u->v[u->slot[i] - 1].hist;
	if (u->n == u->max)
		return NULL;
	u->v[u->n].key = *k;
	u->slot[i] = ++u->n;
	return &u->v[u->n - 1].hist;
}

/* As the kernel's hist_add() (tcpconnlat.bpf.c). */
void uhist_add(struct uhist *u, const struct event *e, const char *dhost)
{
	struct hist_key k = {};
	struct hist *h;

	if (u->fields & HIST_F_DADDR) {
		k.af = e->af;
		memcpy(k.daddr, e->daddr, sizeof(k.daddr));
	}
	if (u->fields & HIST_F_DPORT)
		k.dport = e->dport;
	if (u->fields & HIST_F_COMM)
		memcpy(k.comm, e->comm, sizeof(k.comm));
	if (u->fields & HIST_F_PID)
		k.tgid = e->tgid;
	if (u->fields & HIST_F_CGROUP)
		k.cgroup_id = e->cgroup_id;
	if (u->dhost)
		k.dhost_id = dhost_id(dhost);
	h = k.dhost_id == UINT32_MAX ? NULL : find(u, &k);
	if (!h) {
		u->lost++;
		return;
	}
	h->syn_retrans += e->syn_retrans;
	if (e->failed) {
		h->failures++;
		h->fail_reasons[fail_reason_of(e->err) % FAIL_REASONS]++;
		return;
	}
	h->slots[hist_slot(e->delta_us)]++;
	/* The exact duration, as the kernel's hist_add() has it, for the native histogram. */
	h->nslots[native_slot(e->delta_us * 1000 + (e->delta_ns < 1000 ? e->delta_ns : 0))]++;
	h->count++;
	h->sum_us += e->delta_us;
	if (e->delta_us > h->max_us)
		h->max_us = e->delta_us;
}

size_t uhist_read(const struct uhist *u, struct hist_entry *v, size_t max, uint64_t *lost)
{
	size_t n = u->n < max ? u->n : max;

	memcpy(v, u->v, n * sizeof(*v));
	*lost = u->lost;
	return n;
}

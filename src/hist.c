// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "format.h"
#include "hist.h"
#include "json.h"
#include "uhist.h"

/* The --by keys; adding one is a row here (and its text in key_text()). */
static const struct by_key {
	const char *name;
	uint32_t fields; /* what the kernel fills in for it */
} by_keys[HIST_BY_KEYS] = {
	[HIST_BY_DADDR] = {"daddr", HIST_F_DADDR},
	[HIST_BY_DPORT] = {"dport", HIST_F_DPORT},
	[HIST_BY_DEST] = {"dest", HIST_F_DADDR | HIST_F_DPORT},
	[HIST_BY_COMM] = {"comm", HIST_F_COMM},
	[HIST_BY_PID] = {"pid", HIST_F_PID},
	[HIST_BY_CGROUP] = {"cgroup", HIST_F_CGROUP},
	[HIST_BY_DHOST] = {"dhost", HIST_F_DADDR}, /* by address in the kernel, named here */
};

int hist_by_keys(int by, enum hist_by out[HIST_BY_MAX])
{
	int n = 0;

	for (; by && n < HIST_BY_MAX; by >>= HIST_BY_BITS)
		out[n++] = by & ((1 << HIST_BY_BITS) - 1);
	return n;
}

bool hist_by_has(int by, enum hist_by key)
{
	enum hist_by k[HIST_BY_MAX];
	int i, n = hist_by_keys(by, k);

	for (i = 0; i < n; i++)
		if (k[i] == key)
			return true;
	return false;
}

uint32_t hist_by_fields(int by)
{
	enum hist_by k[HIST_BY_MAX];
	int i, n = hist_by_keys(by, k);
	uint32_t f = 0;

	for (i = 0; i < n; i++)
		f |= k[i] < HIST_BY_KEYS ? by_keys[k[i]].fields : 0;
	return f;
}

const char *hist_by_name(int by)
{
	static char buf[HIST_BY_MAX * 8];
	enum hist_by k[HIST_BY_MAX];
	int i, n = hist_by_keys(by, k);
	size_t pos = 0;

	if (!n)
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		pos += snprintf(buf + pos, sizeof(buf) - pos, "%s%s", i ? "," : "",
				k[i] < HIST_BY_KEYS && by_keys[k[i]].name ? by_keys[k[i]].name
									  : "?");
	return buf;
}

int hist_by_parse(const char *list)
{
	const char *p = list;
	uint32_t fields = 0;
	int by = 0, n = 0, i;
	bool dhost = false;
	size_t len;

	for (;;) {
		len = strcspn(p, ",");
		for (i = HIST_BY_DADDR; i < HIST_BY_KEYS; i++)
			if (strlen(by_keys[i].name) == len && !strncmp(p, by_keys[i].name, len))
				break;
		/* Unknown, empty, too many, or a key twice (dest overlaps daddr and dport). */
		if (i == HIST_BY_KEYS || n == HIST_BY_MAX ||
		    (i == HIST_BY_DHOST ? dhost : (fields & by_keys[i].fields) != 0))
			return -1;
		if (i == HIST_BY_DHOST)
			dhost = true;
		else
			fields |= by_keys[i].fields;
		by |= i << (HIST_BY_BITS * n++);
		if (!p[len])
			return by;
		p += len + 1;
	}
}

/* Slot i holds [2^i, 2^(i+1) - 1] microseconds; slot 0 also holds 0. */
static uint64_t slot_low(int i)
{
	return i ? 1ull << i : 0;
}

static uint64_t slot_high(int i)
{
	return (1ull << (i + 1)) - 1;
}

uint64_t hist_percentile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, v;
	int i;

	if (!h->count)
		return 0;
	/* The rank of the q-quantile, 1-based: at least 1, at most count. */
	rank = (uint64_t)(q * h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < HIST_SLOTS; i++) {
		seen += h->slots[i];
		if (seen >= rank) {
			v = slot_high(i);
			return v < h->max_us ? v : h->max_us;
		}
	}
	return h->max_us;
}

static int cmp_key(const void *a, const void *b)
{
	const struct hist_entry *x = a, *y = b;

	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static uint64_t minus(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* cur becomes cur - old; old becomes the cumulative cur. False: nothing new. */
static bool hist_diff(struct hist *cur, struct hist *old)
{
	struct hist total = *cur;
	int i, top = -1;

	for (i = 0; i < HIST_SLOTS; i++) {
		cur->slots[i] = minus(cur->slots[i], old->slots[i]);
		if (cur->slots[i])
			top = i;
	}
	cur->count = minus(cur->count, old->count);
	cur->sum_us = minus(cur->sum_us, old->sum_us);
	cur->failures = minus(cur->failures, old->failures);
	if (total.max_us <= old->max_us)
		cur->max_us = top < 0			      ? 0
			      : slot_high(top) < total.max_us ? slot_high(top)
							      : total.max_us;
	*old = total;
	return cur->count || cur->failures;
}

size_t hist_since(struct hist_prev *p, struct hist_entry *v, size_t n)
{
	size_t i, kept = 0, known = p->n;
	struct hist_entry *old, fresh;

	for (i = 0; i < n; i++) {
		old = bsearch(&v[i], p->v, known, sizeof(*p->v), cmp_key);
		if (!old && p->n < p->max) { /* a key new since the last snapshot */
			old = &p->v[p->n++];
			memset(old, 0, sizeof(*old));
			old->key = v[i].key;
		}
		if (!old) { /* cannot happen: the kernel holds at most max keys */
			v[kept++] = v[i];
			continue;
		}
		fresh = v[i];
		if (hist_diff(&fresh.hist, &old->hist))
			v[kept++] = fresh;
	}
	if (p->n > known)
		qsort(p->v, p->n, sizeof(*p->v), cmp_key);
	return kept;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct hist_entry *x = a, *y = b;

	if (x->hist.count + x->hist.failures != y->hist.count + y->hist.failures)
		return x->hist.count + x->hist.failures > y->hist.count + y->hist.failures ? -1 : 1;
	return cmp_key(a, b);
}

void hist_sort(struct hist_entry *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_entry);
}

static int key_text(enum hist_by by, struct cgroups *cg, const struct hist_key *k, char *buf,
		    size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int n = 0;

	switch (by) {
	case HIST_BY_DADDR:
		fmt_addr(k->af, k->daddr, addr, sizeof(addr));
		n = snprintf(buf, len, "%s", addr);
		break;
	case HIST_BY_DPORT:
		n = snprintf(buf, len, "%u", k->dport);
		break;
	case HIST_BY_DEST:
		fmt_addr(k->af, k->daddr, addr, sizeof(addr));
		n = snprintf(buf, len, k->af == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, k->dport);
		break;
	case HIST_BY_COMM:
		if (!k->comm[0])
			n = snprintf(buf, len, "-");
		else
			n = escape_comm(k->comm, buf, len);
		break;
	case HIST_BY_PID:
		n = snprintf(buf, len, "%u", k->tgid);
		break;
	case HIST_BY_CGROUP:
		n = cgroup_text(cg, k->cgroup_id, buf, len);
		break;
	case HIST_BY_DHOST:
		if (!uhist_name(k->dhost_id))
			n = snprintf(buf, len, "-");
		else
			n = escape_word(uhist_name(k->dhost_id), DNS_NAME_MAX, buf, len);
		break;
	default:
		n = snprintf(buf, len, "?");
		break;
	}
	return n;
}

size_t hist_key_text(int by, struct cgroups *cg, const struct hist_key *k, char *buf, size_t len)
{
	enum hist_by keys[HIST_BY_MAX];
	int i, n = hist_by_keys(by, keys);
	size_t pos = 0;

	if (!n)
		return fmt_len(snprintf(buf, len, "all"), len);
	for (i = 0; i < n && pos + 1 < len; i++) {
		if (i)
			buf[pos++] = ',';
		pos += fmt_len(key_text(keys[i], cg, k, buf + pos, len - pos), len - pos);
	}
	buf[pos] = '\0';
	return pos;
}

/* Milliseconds with 2 decimals, as LAT(ms). */
static double ms(uint64_t us)
{
	return us / 1000.0;
}

#define BAR_WIDTH 40

void hist_text(int by, struct cgroups *cg, const struct hist_entry *e, bool failed,
	       void (*line)(void *ctx, const char *text, size_t len), void *ctx)
{
	const struct hist *h = &e->hist;
	char key[HIST_KEY_TEXT_MAX], buf[HIST_KEY_TEXT_MAX + 192], bar[BAR_WIDTH + 1];
	uint64_t top = 0;
	int i, first = -1, last = -1, n;

	hist_key_text(by, cg, &e->key, key, sizeof(key));
	n = snprintf(buf, sizeof(buf),
		     "%s%s%s: count %llu, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
		     by ? hist_by_name(by) : "", by ? " " : "", key, (unsigned long long)h->count,
		     ms(hist_percentile(h, 0.5)), ms(hist_percentile(h, 0.9)),
		     ms(hist_percentile(h, 0.99)), ms(h->max_us));
	if (failed && n > 0 && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, ", failed %llu",
			      (unsigned long long)h->failures);
	if (n > 0 && (size_t)n < sizeof(buf) - 1) {
		buf[n++] = '\n';
		line(ctx, buf, n);
	}
	for (i = 0; i < HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->slots[i] > top)
			top = h->slots[i];
	}
	if (first < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%26s : %-10s %s\n", "usecs", "count", "distribution");
	line(ctx, buf, n);
	for (i = first; i <= last; i++) {
		int w = (int)(h->slots[i] * BAR_WIDTH / top);

		memset(bar, '*', w);
		memset(bar + w, ' ', BAR_WIDTH - w);
		bar[BAR_WIDTH] = '\0';
		n = snprintf(buf, sizeof(buf), "%11llu -> %-11llu : %-10llu |%s|\n",
			     (unsigned long long)slot_low(i), (unsigned long long)slot_high(i),
			     (unsigned long long)h->slots[i], bar);
		line(ctx, buf, n);
	}
}

size_t hist_json(int by, struct cgroups *cg, const struct hist_entry *e, const char *time,
		 char *buf, size_t len)
{
	const struct hist *h = &e->hist;
	char key[HIST_KEY_JSON_MAX];
	size_t pos;
	int i, n;

	if (by == HIST_BY_NONE) {
		snprintf(key, sizeof(key), "null");
	} else if (by == HIST_BY_COMM) {
		json_comm(e->key.comm, key, sizeof(key));
	} else if (by == HIST_BY_DHOST && uhist_name(e->key.dhost_id)) {
		json_string(uhist_name(e->key.dhost_id), DNS_NAME_MAX, key, sizeof(key));
	} else if (by == HIST_BY_CGROUP && cgroup_path(cg, e->key.cgroup_id)) {
		json_string(cgroup_path(cg, e->key.cgroup_id), CGROUP_PATH_MAX, key, sizeof(key));
	} else {
		key[0] = '"';
		hist_key_text(by, cg, &e->key, key + 1, sizeof(key) - 2);
		strcat(key, "\"");
	}
	n = snprintf(buf, len,
		     "{\"time\":\"%s\",\"by\":%s%s%s,\"key\":%s,\"count\":%llu,\"failed\":%llu,"
		     "\"p50_us\":%llu,\"p90_us\":%llu,\"p99_us\":%llu,\"max_us\":%llu,"
		     "\"mean_us\":%llu,\"buckets\":[",
		     time, by ? "\"" : "", by ? hist_by_name(by) : "null", by ? "\"" : "", key,
		     (unsigned long long)h->count, (unsigned long long)h->failures,
		     (unsigned long long)hist_percentile(h, 0.5),
		     (unsigned long long)hist_percentile(h, 0.9),
		     (unsigned long long)hist_percentile(h, 0.99), (unsigned long long)h->max_us,
		     (unsigned long long)(h->count ? h->sum_us / h->count : 0));
	if (n < 0 || (size_t)n >= len)
		return 0;
	pos = n;
	for (i = 0; i < HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		n = snprintf(buf + pos, len - pos,
			     "%s{\"from_us\":%llu,\"to_us\":%llu,\"count\":%llu}",
			     buf[pos - 1] == '[' ? "" : ",", (unsigned long long)slot_low(i),
			     (unsigned long long)slot_high(i), (unsigned long long)h->slots[i]);
		if (n < 0 || (size_t)n >= len - pos)
			return 0;
		pos += n;
	}
	n = snprintf(buf + pos, len - pos, "]}\n");
	if (n < 0 || (size_t)n >= len - pos)
		return 0;
	return pos + n;
}

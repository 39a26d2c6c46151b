// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "cgtext.h"
#include "container.h"
#include "dhostid.h"
#include "hist.h"
#include "json.h"
#include "text.h"

/* The --by keys; adding one is a row here (and its text in key_text()). */
static const struct by_key {
	const char *name;
	uint32_t fields; /* what the kernel (or uhist) fills in for it */
	bool grouped;	 /* hist_group() adds up the keys of the same text */
} by_keys[HIST_BY_KEYS] = {
	[HIST_BY_DADDR] = {"daddr", HIST_F_DADDR, false},
	[HIST_BY_DPORT] = {"dport", HIST_F_DPORT, false},
	[HIST_BY_DEST] = {"dest", HIST_F_DADDR | HIST_F_DPORT, false},
	[HIST_BY_COMM] = {"comm", HIST_F_COMM, false},
	[HIST_BY_PID] = {"pid", HIST_F_PID, false},
	[HIST_BY_CGROUP] = {"cgroup", HIST_F_CGROUP, false},
	/* by cgroup in the kernel; a container's, pod's or namespace's cgroups added up here */
	[HIST_BY_CONTAINER] = {"container", HIST_F_CGROUP, true},
	[HIST_BY_POD] = {"pod", HIST_F_CGROUP, true},
	[HIST_BY_NAMESPACE] = {"namespace", HIST_F_CGROUP, true},
	[HIST_BY_DHOST] = {"dhost", HIST_F_DADDR, false}, /* by address in the kernel, named here */
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
	uint32_t fields = 0, seen = 0;
	int by = 0, n = 0, i;
	size_t len;

	for (;;) {
		len = strcspn(p, ",");
		for (i = HIST_BY_DADDR; i < HIST_BY_KEYS; i++)
			if (strlen(by_keys[i].name) == len && !strncmp(p, by_keys[i].name, len))
				break;
		/*
		 * Unknown, empty, too many, or a key twice (dest overlaps daddr and dport). dhost
		 * and the keys added up by text share their fields with others (dhost,daddr:
		 * a name's addresses; pod,container: a pod's containers).
		 */
		if (i == HIST_BY_KEYS || n == HIST_BY_MAX || (seen & (1u << i)))
			return -1;
		if (i != HIST_BY_DHOST && !by_keys[i].grouped) {
			if (fields & by_keys[i].fields)
				return -1;
			fields |= by_keys[i].fields;
		}
		seen |= 1u << i;
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
	case HIST_BY_CONTAINER:
	case HIST_BY_POD:
	case HIST_BY_NAMESPACE:
		n = (int)container_key_text(by, cg, k->cgroup_id, buf, len);
		break;
	case HIST_BY_DHOST:
		if (!dhost_name(k->dhost_id))
			n = snprintf(buf, len, "-");
		else
			n = escape_word(dhost_name(k->dhost_id), DNS_NAME_MAX, buf, len);
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

/* Entries whose key text is the same, for hist_group(). */
struct grouped {
	char *text;
	const struct hist_entry *e;
};

/* By text, then by key: the smallest key of a group stands for it, whatever v's order. */
static int cmp_grouped(const void *a, const void *b)
{
	const struct grouped *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	return c ? c : memcmp(&x->e->key, &y->e->key, sizeof(x->e->key));
}

static void hist_merge(struct hist *to, const struct hist *h)
{
	int i;

	for (i = 0; i < HIST_SLOTS; i++)
		to->slots[i] += h->slots[i];
	to->count += h->count;
	to->sum_us += h->sum_us;
	to->failures += h->failures;
	for (i = 0; i < FAIL_REASONS; i++)
		to->fail_reasons[i] += h->fail_reasons[i];
	to->syn_retrans += h->syn_retrans;
	for (i = 0; i < HIST_SLOTS; i++)
		to->nslots[i] += h->nslots[i];
	if (h->max_us > to->max_us)
		to->max_us = h->max_us;
}

bool hist_by_grouped(int by)
{
	enum hist_by k[HIST_BY_MAX];
	int i, n = hist_by_keys(by, k);

	for (i = 0; i < n; i++)
		if (k[i] < HIST_BY_KEYS && by_keys[k[i]].grouped)
			return true;
	return false;
}

/* The text hist_group() compares: each key's text on a line of its own (a comm may hold ','). */
static void group_text(int by, struct cgroups *cg, const struct hist_key *k, char *buf, size_t len)
{
	enum hist_by keys[HIST_BY_MAX];
	int i, n = hist_by_keys(by, keys);
	size_t pos = 0;

	buf[0] = '\0';
	for (i = 0; i < n && pos + 1 < len; i++) {
		if (i)
			buf[pos++] = '\n';
		pos += fmt_len(key_text(keys[i], cg, k, buf + pos, len - pos), len - pos);
	}
	buf[pos < len ? pos : len - 1] = '\0';
}

size_t hist_group(int by, struct cgroups *cg, struct hist_entry *v, size_t n)
{
	struct grouped *g;
	struct hist_entry *out;
	size_t i, kept = 0, total = n;
	char text[HIST_KEY_TEXT_MAX];

	if (!hist_by_grouped(by))
		return n;
	g = calloc(n ? n : 1, sizeof(*g));
	out = calloc(n ? n : 1, sizeof(*out));
	if (!g || !out)
		goto cleanup;
	for (i = 0; i < n; i++) {
		group_text(by, cg, &v[i].key, text, sizeof(text));
		g[i].text = strdup(text);
		g[i].e = &v[i];
		if (!g[i].text)
			goto cleanup;
	}
	qsort(g, n, sizeof(*g), cmp_grouped);
	/* The first cgroup of each group stands for it: its key gives the same text. */
	for (i = 0; i < n; i++) {
		if (i && !strcmp(g[i].text, g[i - 1].text))
			hist_merge(&out[kept - 1].hist, &g[i].e->hist);
		else
			out[kept++] = *g[i].e;
	}
	memcpy(v, out, kept * sizeof(*v));
	n = kept;
cleanup:
	for (i = 0; g && i < total; i++)
		free(g[i].text);
	free(g);
	free(out);
	return n;
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

/* -H -j's key of a container, pod or namespace: JSON null for none. */
static bool key_value(enum hist_by by, struct cgroups *cg, uint64_t id, char *buf, size_t len)
{
	struct container_ref ref;
	struct container_info info;
	const char *v;
	char text[32];

	if (!cgroup_container(cg, id, &ref, &info) && by == HIST_BY_CONTAINER) {
		snprintf(buf, len, "null");
		return true;
	}
	v = by == HIST_BY_POD ? info.pod : by == HIST_BY_NAMESPACE ? info.namespace : info.name;
	if (by == HIST_BY_CONTAINER && !v[0]) {
		container_text(&ref, &info, text, sizeof(text));
		v = text;
	}
	if (!v[0])
		snprintf(buf, len, "null");
	else
		json_string(v, CONTAINER_NAME_MAX, buf, len);
	return true;
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
	} else if (by == HIST_BY_DHOST && dhost_name(e->key.dhost_id)) {
		json_string(dhost_name(e->key.dhost_id), DNS_NAME_MAX, key, sizeof(key));
	} else if ((by == HIST_BY_POD || by == HIST_BY_NAMESPACE || by == HIST_BY_CONTAINER) &&
		   key_value(by, cg, e->key.cgroup_id, key, sizeof(key))) {
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

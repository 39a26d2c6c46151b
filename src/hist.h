/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* -H: turns the kernel's log2 histograms into text or JSON. No BPF here. */
#ifndef TCPCONNLAT_HIST_H
#define TCPCONNLAT_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgtext.h"
#include "container.h"
#include "dns.h"
#include "tcpconnlat.h"

struct hist_entry {
	struct hist_key key;
	struct hist hist;
};

/*
 * A --by list: its keys (enum hist_by), HIST_BY_BITS each, the first in the lowest bits; 0 is
 * none, and a one-key list is the key itself.
 */
#define HIST_BY_BITS 4
#define HIST_BY_MAX  4

/* The keys of list by, first to last; returns how many. */
int hist_by_keys(int by, enum hist_by out[HIST_BY_MAX]);
bool hist_by_has(int by, enum hist_by key);
/* The struct hist_key fields (HIST_F_*) the kernel sets for the list. */
uint32_t hist_by_fields(int by);
/* The list as given ("daddr", "dhost,dport"), or NULL for none; a static buffer. */
const char *hist_by_name(int by);
/*
 * Parses "KEY[,KEY...]" (at most HIST_BY_MAX keys, none twice, dest not with daddr or
 * dport); returns the list, or -1.
 */
int hist_by_parse(const char *list);

/*
 * The latency below which a fraction q (0..1) of the connects fall, in microseconds, as far
 * as log2 buckets tell: the upper end of the bucket holding that rank, never above max_us.
 * 0 when the histogram is empty.
 */
uint64_t hist_percentile(const struct hist *h, double q);

/*
 * -H -i: the kernel's histograms are cumulative for the whole run (emptying a key between two
 * reports would lose what a CPU adds between reading and deleting it). This holds the last
 * snapshot of each key, in v[0..n) sorted by key, in storage of the caller's (max entries).
 */
struct hist_prev {
	struct hist_entry *v;
	size_t n, max;
};

/*
 * Turns the cumulative snapshots in v[0..n) (any order, distinct keys) into what was added
 * since p's snapshot, keeps them as p's new snapshot and drops the keys with nothing new;
 * returns how many are left. max_us of a key is exact when the run's maximum grew in the
 * interval; otherwise the interval's largest is only known to its log2 bucket, and max_us is
 * the bucket's upper end (at most the run's maximum).
 */
size_t hist_since(struct hist_prev *p, struct hist_entry *v, size_t n);

/* Whether the list has a key that hist_group() adds up (container, pod, namespace). */
bool hist_by_grouped(int by);

/*
 * --by container, pod, namespace (alone or in a list): the kernel keys by cgroup; this adds
 * up the entries of v[0..n) whose key text is the same (one container's cgroups, one pod's
 * containers, every process outside containers as "-"), keeping the first key of each.
 * Returns how many are left. Lists without such a key: n, untouched.
 */
size_t hist_group(int by, struct cgroups *cg, struct hist_entry *v, size_t n);

/* Most connects first (then the key, so that the order is stable). */
void hist_sort(struct hist_entry *v, size_t n);

/*
 * The key as text: "10.0.0.1", "443", "10.0.0.1:443", "[::1]:443", "curl", "181",
 * "/system.slice/ssh.service" (cgroup_text(); cg may be NULL for the other keys), "www.example.com"
 * (dhost); a list's keys joined by commas ("www.example.com,443").
 */
size_t hist_key_text(int by, struct cgroups *cg, const struct hist_key *k, char *buf, size_t len);

/*
 * Calls line(ctx, text, len) for each '\n'-terminated line of the report of one key: a
 * summary line, then the buckets from the first to the last non-empty one.
 */
void hist_text(int by, struct cgroups *cg, const struct hist_entry *e, bool failed,
	       void (*line)(void *ctx, const char *text, size_t len), void *ctx);

/* One JSON object for one key, '\n'-terminated; time is an RFC 3339 string. */
size_t hist_json(int by, struct cgroups *cg, const struct hist_entry *e, const char *time,
		 char *buf, size_t len);

/* A key's text at its longest: a list's keys with a cgroup and a name, all escaped. */
#define HIST_KEY_TEXT_MAX (CGROUP_TEXT_MAX + DHOST_TEXT_MAX + 3 * CONTAINER_NAME_MAX * 4 + 128)
#define HIST_KEY_JSON_MAX (CGROUP_PATH_MAX * 6 + HIST_KEY_TEXT_MAX)
#define HIST_JSON_MAX	  (4096 + HIST_KEY_JSON_MAX)

#endif

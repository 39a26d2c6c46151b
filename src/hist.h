/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* -H: turns the kernel's log2 histograms into text or JSON. No BPF here. */
#ifndef TCPCONNLAT_HIST_H
#define TCPCONNLAT_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup.h"
#include "tcpconnlat.h"

struct hist_entry {
	struct hist_key key;
	struct hist hist;
};

/* The --by names ("daddr", ...), or NULL for HIST_BY_NONE. */
const char *hist_by_name(enum hist_by by);
/* Parses a --by name; returns -1 if unknown. */
int hist_by_parse(const char *name);

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

/*
 * --by container, pod, namespace: the kernel keys by cgroup; this adds up the entries of
 * v[0..n) whose key text is the same (one container's cgroups, one pod's containers, every
 * process outside containers as "-"), keeping the first key of each. Returns how many are
 * left. Other keys: n, untouched.
 */
size_t hist_group(enum hist_by by, struct cgroups *cg, struct hist_entry *v, size_t n);

/* The text of a container, pod or namespace key of cgroup_id: "-" for none. */
size_t container_key_text(enum hist_by by, struct cgroups *cg, uint64_t cgroup_id, char *buf,
			  size_t len);

/* Most connects first (then the key, so that the order is stable). */
void hist_sort(struct hist_entry *v, size_t n);

/*
 * The key as text: "10.0.0.1", "443", "10.0.0.1:443", "[::1]:443", "curl", "181",
 * "/system.slice/ssh.service" (cgroup_text(); cg may be NULL for the other keys).
 */
size_t hist_key_text(enum hist_by by, struct cgroups *cg, const struct hist_key *k, char *buf,
		     size_t len);

/*
 * Calls line(ctx, text, len) for each '\n'-terminated line of the report of one key: a
 * summary line, then the buckets from the first to the last non-empty one.
 */
void hist_text(enum hist_by by, struct cgroups *cg, const struct hist_entry *e, bool failed,
	       void (*line)(void *ctx, const char *text, size_t len), void *ctx);

/* One JSON object for one key, '\n'-terminated; time is an RFC 3339 string. */
size_t hist_json(enum hist_by by, struct cgroups *cg, const struct hist_entry *e, const char *time,
		 char *buf, size_t len);

#define HIST_JSON_MAX (4096 + CGROUP_TEXT_MAX)

#endif

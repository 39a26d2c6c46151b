/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* -j: one JSON object per connect per line (NDJSON). The key set is stable (README). */
#ifndef TCPCONNLAT_JSON_H
#define TCPCONNLAT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "cgroup.h"
#include "dns.h"
#include "tcpconnlat.h"

/* A DHOST name as a JSON string: each byte \u00XX at worst, the quotes. */
#define JSON_DHOST_MAX (DNS_NAME_MAX * 6 + 3)
/*
 * Longest line: every value at its widest (IPv6 addresses, COMM, cgroup path, the container's
 * name, pod and namespace, dhost all \u00XX).
 */
#define JSON_LINE_MAX (1024 + CGROUP_PATH_MAX * 6 + 3 * 256 * 6 + JSON_DHOST_MAX)

struct json_ctx {
	const char *backend;	 /* the backend that runs, named in every object */
	int64_t wall_offset_us;	 /* CLOCK_REALTIME - CLOCK_MONOTONIC, for the "time" key */
	struct cgroups *cgroups; /* for the "cgroup" key; NULL: null (no cgroup2 mounted) */
	const char *dhost;	 /* the "dhost" key of the next event (-N); NULL: null */
};

/* Writes one '\n'-terminated object into buf and returns its length. */
size_t json_event(const struct json_ctx *j, const struct event *e, char *buf, size_t len);

/*
 * Writes the kernel COMM (at most TASK_COMM_LEN bytes, NUL-terminated or not) as a JSON
 * string, quotes included. Valid UTF-8 is kept; control characters, quotes and backslashes
 * are escaped; a byte that is not valid UTF-8 becomes \u00XX (its Latin-1 reading), so the
 * result is valid JSON for any name.
 */
size_t json_comm(const char *comm, char *out, size_t len);
/* The same for any string of at most max bytes (up to a NUL). */
size_t json_string(const char *s, size_t max, char *out, size_t len);

#endif

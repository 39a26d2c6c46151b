/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Turns events into text lines. Header and rows come from one table of columns. */
#ifndef TCPCONNLAT_FORMAT_H
#define TCPCONNLAT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgtext.h"
#include "dns.h"
#include "tcpconnlat.h"
#include "text.h"

/* Longest line: every column at its widest (IPv6 addresses, fully escaped COMM and CGROUP). */
#define FMT_LINE_MAX (256 + CGROUP_TEXT_MAX + 256 * 4 + DHOST_TEXT_MAX)
/* Each COMM byte becomes at most 4 ("\xHH"). */
#define COMM_ESC_MAX (TASK_COMM_LEN * 4)

struct formatter {
	bool timestamp;		   /* TIME(s) column first */
	bool lport;		   /* LPORT column after SADDR */
	bool syn_retrans;	   /* SYNRTX column after LAT(ms) */
	bool result;		   /* RESULT column */
	struct cgroups *cgroups;   /* CGROUP column, last, if set (-G) */
	bool names;		   /* DHOST column, before CONTAINER and CGROUP (-N) */
	const char *dhost;	   /* the next event's DHOST; NULL: "-" */
	struct cgroups *container; /* CONTAINER column, before CGROUP, if set (-C) */
	bool have_first;
	uint64_t first_ts_us; /* TIME(s) counts from the first event */
};

void fmt_init(struct formatter *f, bool timestamp, bool lport);

/* Both write one '\n'-terminated line into buf and return its length. */
size_t fmt_header(const struct formatter *f, char *buf, size_t len);
size_t fmt_event(struct formatter *f, const struct event *e, char *buf, size_t len);

/* How a connect ended, as the RESULT column and JSON say it: "ok", "refused", "timeout",
 * "unreach", "aborted" or "error:ENAME". Writes at most len bytes, NUL included. */
size_t fmt_result(const struct event *e, char *buf, size_t len);

/* A failure reason's name, as fmt_result() and the metrics' reason label give it. */
const char *fail_reason_name(enum fail_reason r);

#endif

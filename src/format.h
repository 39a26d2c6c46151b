/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Turns events into text lines. Header and rows come from one table of columns. */
#ifndef TCPCONNLAT_FORMAT_H
#define TCPCONNLAT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup.h"
#include "dns.h"
#include "tcpconnlat.h"

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

/*
 * Copies at most n bytes of s (up to a NUL) so that they are one printable, whitespace-free
 * word: bytes outside '!'..'~' and the backslash become "\xHH". Any process can name
 * itself, and any cgroup, terminal escapes and spaces included. Stops before a byte whose
 * text would not fit.
 */
size_t escape_word(const char *s, size_t n, char *out, size_t len);
/* escape_word() of a kernel COMM (at most TASK_COMM_LEN bytes, NUL-terminated or not). */
size_t escape_comm(const char *comm, char *out, size_t len);

/* How a connect ended, as the RESULT column and JSON say it: "ok", "refused", "timeout",
 * "unreach", "aborted" or "error:ENAME". Writes at most len bytes, NUL included. */
size_t fmt_result(const struct event *e, char *buf, size_t len);

/* A failure reason's name, as fmt_result() and the metrics' reason label give it. */
const char *fail_reason_name(enum fail_reason r);

/* An IPv4 or IPv6 address of family af as text ("?" for another family); returns its length. */
size_t fmt_addr(int af, const void *addr, char *buf, size_t len);

/* The IP version as the IP column and JSON's "ip" say it: "4", "6", or NULL for neither. */
const char *fmt_ip_version(int af);

/* What snprintf() returned n for wrote into a buffer of len bytes, the NUL not counted. */
size_t fmt_len(int n, size_t len);

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * -N: reads the DNS answers dns_ingress captures (their own perf buffer), keeps the name
 * cache (names.h) and the hosts file's names up to date, and names each connect's destination.
 */
#ifndef TCPCONNLAT_NAMER_H
#define TCPCONNLAT_NAMER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "dns.h"
#include "names.h"
#include "tcpconnlat.h"

/* The hosts file read at start and whenever it changes; tests point this elsewhere. */
#define NAMER_HOSTS_ENV	    "TCPCONNLAT_HOSTS"
#define NAMER_HOSTS_DEFAULT "/etc/hosts"

struct perf_buffer;

struct namer {
	struct names cache;
	struct dns_stats st, said; /* said: as -v last reported */
	struct perf_buffer *pb;
	uint64_t consumed_ns; /* the last read of every CPU's answers began at this time */
	uint64_t lost;	      /* answers the perf buffer had no room for (PERF_RECORD_LOST) */
	uint64_t said_lost, said_evicted;
	const char *hosts_path;
	struct timespec hosts_mtime;
	bool hosts_known; /* hosts_mtime is the file's as last read */
	uint64_t next_tick_ns;
	bool verbose;
	FILE *err;
};

/* Opens the reader on dns_events (fd) with pages per CPU; 0 or a negative errno. */
int namer_open(struct namer *nm, int fd, size_t pages, bool verbose, FILE *err);
/* The fd to poll: readable when answers wait. */
int namer_epoll_fd(const struct namer *nm);
/* Reads every answer waiting now. */
void namer_consume(struct namer *nm);
/*
 * The name for e's destination, or NULL. The answer's record was written before the connect's
 * SYN left, so before e was: if the last read of the answers began before e was written, they
 * are read again first (in the per-CPU buffers e may be read before it).
 */
const char *namer_name(struct namer *nm, const struct event *e);
/* About once a second: the hosts file if it changed, expiry, -v's counts. */
void namer_tick(struct namer *nm);
/* At exit: what was dropped (always), and with -v what was read. bpf_lost: the BPF count. */
void namer_report(struct namer *nm, uint64_t bpf_lost);
void namer_close(struct namer *nm);

#endif

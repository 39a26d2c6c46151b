/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * -N: which name each address was the answer for, and since when, for the DHOST of a connect.
 * Bounded: at most max (address, name) pairs; past it the least recently used go (CLOCK),
 * counted. No BPF and no I/O here but reading a hosts file the caller opened.
 */
#ifndef TCPCONNLAT_NAMES_H
#define TCPCONNLAT_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Pairs kept by default, and names kept per address at most (the newest). */
#define NAMES_MAX_DEFAULT 65536
#define NAMES_PER_ADDR	  8
/*
 * A name used for a connect is kept this long after that use even when its TTL ran out: a
 * long connection, or an application that resolves once and reconnects, keeps its name.
 */
#define NAMES_KEEP_NS (10 * 60 * 1000000000ull)
/*
 * An answer counts as valid at least this many seconds: a TTL of 0 (a stub resolver's own
 * records, "do not cache") still names the connect the application makes right after it.
 */
#define NAMES_MIN_TTL 5

struct name_entry;

struct names {
	struct name_entry *e; /* the pool, max entries */
	uint32_t *bucket;     /* chains by address: entry index + 1, 0 ends */
	size_t max, nbuckets, used, hand;
	uint32_t seed;
	uint64_t evicted; /* pairs dropped for room before their time */
	uint64_t expired; /* pairs dropped after their TTL (and keep time) ran out */
	uint64_t refused; /* pairs not kept: the pool is full of hosts-file names */
};

int names_init(struct names *n, size_t max);
void names_free(struct names *n);

/*
 * addr (AF_INET: 4 bytes, AF_INET6: 16) was the answer for name at resolved_ns (CLOCK_MONOTONIC),
 * valid for ttl seconds. A pair already known gets the new time and TTL.
 */
void names_add(struct names *n, int af, const void *addr, const char *name, uint64_t resolved_ns,
	       uint32_t ttl);

/*
 * The name of addr for a connect that started at at_ns: the one most recently resolved at or
 * before at_ns whose TTL had not run out by then (or that a connect used within
 * NAMES_KEEP_NS); a hosts-file name only when no answer gives one. NULL if none. A name
 * found counts as used at now_ns.
 */
const char *names_lookup(struct names *n, int af, const void *addr, uint64_t at_ns,
			 uint64_t now_ns);

/* Drops the pairs whose TTL and keep time ran out by now_ns. */
void names_expire(struct names *n, uint64_t now_ns);

/*
 * Replaces the hosts-file names with those in f (the format of /etc/hosts: an address, its
 * canonical name, aliases; '#' comments; f NULL: none). Returns how many were taken.
 */
size_t names_load_hosts(struct names *n, FILE *f);

#endif

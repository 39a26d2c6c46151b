/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * -N: the DNS answers dns_ingress captured, parsed with glibc's resolver library (libresolv's
 * ns_initparse()/ns_parserr()) into "this address was the answer to a query for this name,
 * valid this long". No BPF and no I/O here: the fuzz target feeds it any bytes.
 */
#ifndef TCPCONNLAT_DNS_H
#define TCPCONNLAT_DNS_H

#include <stddef.h>
#include <stdint.h>
#include "tcpconnlat.h"

/* A name as text, NUL included: 253 characters plus escapes of odd bytes (\DDD). */
#define DNS_NAME_MAX 1025
/* A name as a DHOST cell or label, escaped like COMM (up to 4 bytes per byte). */
#define DHOST_TEXT_MAX (DNS_NAME_MAX * 4)

/*
 * What the answers so far held: the counts -v and the exit report give. malformed: refused
 * by the parser (truncated, compression loops, counts past the end, labels over 63 bytes,
 * names over 255, a question that is not one name); cut: longer than the capture
 * (DNS_CAPTURE_MAX); tcp_split: a DNS-over-TCP message spread over several segments (not
 * reassembled).
 */
struct dns_stats {
	uint64_t records;   /* captured packets */
	uint64_t answers;   /* well-formed responses */
	uint64_t addresses; /* A and AAAA records for the query name (or its CNAME chain) */
	uint64_t malformed;
	uint64_t cut;
	uint64_t tcp_split;
};

/* One address the query name resolved to; ttl in seconds (the chain's smallest). */
typedef void (*dns_addr_fn)(void *ctx, int af, const void *addr, const char *qname, uint32_t ttl);

/*
 * One DNS message: a response with one question, whose A and AAAA records for the question's
 * name, directly or through a chain of CNAMEs in the answer section, go to fn. Records for
 * other names (an answer never asked for) are ignored. A message the parser refuses anywhere
 * is dropped whole: fn is not called. Returns 0 (used, or not an answer: a query) or -1
 * (malformed).
 */
int dns_parse_message(const uint8_t *msg, size_t len, dns_addr_fn fn, void *ctx,
		      struct dns_stats *st);

/*
 * One record from dns_events: a struct dns_record, then the packet's bytes (size in all).
 * UDP: one message; TCP: whole 2-byte-length-prefixed messages in this segment. Counts go to
 * st. Returns how many messages were parsed.
 */
int dns_parse_record(const void *rec, size_t size, dns_addr_fn fn, void *ctx, struct dns_stats *st);

#endif

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "dns.h"

/* CNAMEs followed from the question's name at most: resolvers give up far earlier. */
#define CHAIN_MAX 16

/* A name that glibc accepted as text but that is no valid wire name: over 255, label > 63. */
static int name_ok(const char *name)
{
	unsigned char wire[NS_MAXCDNAME];

	return ns_name_pton(name, wire, sizeof(wire)) >= 0;
}

struct chain {
	char names[CHAIN_MAX][DNS_NAME_MAX];
	int n;
	uint32_t ttl; /* the smallest TTL of the CNAMEs followed */
};

static int in_chain(const struct chain *c, const char *name)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcasecmp(c->names[i], name))
			return 1;
	return 0;
}

/*
 * Two passes over the answer section: the first checks every record and follows the CNAME
 * chain (in any order, as far as CHAIN_MAX), the second reports the addresses; a message
 * that fails anywhere reports nothing.
 */
int dns_parse_message(const uint8_t *msg, size_t len, dns_addr_fn fn, void *ctx,
		      struct dns_stats *st)
{
	static struct chain c; /* ~16 KiB: not on the stack; one reader thread */
	ns_msg h;
	ns_rr rr;
	int i, n, grew;

	if (len > 65535 || ns_initparse(msg, (int)len, &h) < 0)
		goto malformed;
	if (!ns_msg_getflag(h, ns_f_qr))
		return 0; /* a query (a resolver's upstream traffic seen in passing) */
	if (ns_msg_count(h, ns_s_qd) != 1)
		goto malformed;
	if (ns_parserr(&h, ns_s_qd, 0, &rr) < 0 || !name_ok(ns_rr_name(rr)))
		goto malformed;
	c.n = 1;
	c.ttl = UINT32_MAX;
	snprintf(c.names[0], sizeof(c.names[0]), "%s", ns_rr_name(rr));
	n = ns_msg_count(h, ns_s_an);
	/* Every record checked; CNAMEs followed until the chain stops growing. */
	do {
		grew = 0;
		for (i = 0; i < n; i++) {
			char target[DNS_NAME_MAX];

			if (ns_parserr(&h, ns_s_an, i, &rr) < 0 || !name_ok(ns_rr_name(rr)))
				goto malformed;
			if (ns_rr_type(rr) != ns_t_cname || ns_rr_class(rr) != ns_c_in ||
			    !in_chain(&c, ns_rr_name(rr)))
				continue;
			if (ns_name_uncompress(ns_msg_base(h), ns_msg_end(h), ns_rr_rdata(rr),
					       target, sizeof(target)) < 0 ||
			    !name_ok(target))
				goto malformed;
			if (in_chain(&c, target) || c.n == CHAIN_MAX)
				continue;
			snprintf(c.names[c.n++], sizeof(c.names[0]), "%s", target);
			if (ns_rr_ttl(rr) < c.ttl)
				c.ttl = ns_rr_ttl(rr);
			grew = 1;
		}
	} while (grew);
	st->answers++;
	for (i = 0; i < n; i++) {
		uint32_t ttl;
		int af;

		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			goto malformed; /* checked above: cannot happen */
		if (ns_rr_class(rr) != ns_c_in)
			continue;
		if (ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4)
			af = AF_INET;
		else if (ns_rr_type(rr) == ns_t_aaaa && ns_rr_rdlen(rr) == 16)
			af = AF_INET6;
		else
			continue;
		if (!in_chain(&c, ns_rr_name(rr)))
			continue;
		ttl = ns_rr_ttl(rr) < c.ttl ? ns_rr_ttl(rr) : c.ttl;
		st->addresses++;
		fn(ctx, af, ns_rr_rdata(rr), c.names[0], ttl);
	}
	return 0;

malformed:
	st->malformed++;
	return -1;
}

int dns_parse_record(const void *rec, size_t size, dns_addr_fn fn, void *ctx, struct dns_stats *st)
{
	const uint8_t *pkt = (const uint8_t *)rec + sizeof(struct dns_record), *p, *end;
	struct dns_record r;
	int parsed = 0;
	size_t mlen;

	st->records++;
	if (size < sizeof(r)) {
		st->malformed++;
		return 0;
	}
	memcpy(&r, rec, sizeof(r)); /* perf records are only 4-byte aligned */
	if (r.caplen > size - sizeof(r) || r.dns_off > r.caplen || r.caplen > r.len) {
		st->malformed++;
		return 0;
	}
	p = pkt + r.dns_off;
	end = pkt + r.caplen;
	if (r.proto != IPPROTO_TCP) {
		if (r.caplen < r.len) {
			st->cut++;
			return 0;
		}
		return dns_parse_message(p, end - p, fn, ctx, st) == 0;
	}
	/* TCP: each message behind its length; only whole messages in this segment. */
	while (end - p >= 2) {
		mlen = (size_t)p[0] << 8 | p[1];
		if (mlen > (size_t)(end - p - 2)) {
			if (r.caplen < r.len)
				st->cut++;
			else
				st->tcp_split++;
			break;
		}
		parsed += dns_parse_message(p + 2, mlen, fn, ctx, st) == 0;
		p += 2 + mlen;
	}
	return parsed;
}

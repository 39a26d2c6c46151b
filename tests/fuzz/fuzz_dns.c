// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * libFuzzer target for -N's answer path: what a hostile DNS server (or anything sending from
 * port 53) can make the tool read. Each input goes three ways:
 *   1. as a DNS message, to dns_parse_message();
 *   2. as a dns_events record (struct dns_record, then packet bytes), to dns_parse_record(),
 *      in a buffer of exactly its size (ASan catches a read past it);
 *   3. the same bytes behind a well-formed record header (UDP, then TCP framing).
 * Every address reported goes into a small name cache (names.c), looked up again at once and
 * after its TTL; the whole cache is freed at the end (LeakSanitizer). A reported name must be
 * a valid wire name (ns_name_pton) of at most 255 bytes, printable text of at most
 * DNS_NAME_MAX bytes; the counters must add up: nothing is both parsed and dropped.
 */
#include <arpa/nameser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include "dns.h"
#include "names.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_dns: violated: %s\n", #cond); \
			abort();                                            \
		}                                                           \
	} while (0)

static struct names cache;
static uint64_t now_ns;

static void on_addr(void *ctx, int af, const void *addr, const char *qname, uint32_t ttl)
{
	unsigned char wire[NS_MAXCDNAME];
	size_t len = strnlen(qname, DNS_NAME_MAX);
	const char *got;
	size_t i;

	(void)ctx;
	CHECK(af == AF_INET || af == AF_INET6);
	CHECK(len > 0 && len < DNS_NAME_MAX);
	CHECK(ns_name_pton(qname, wire, sizeof(wire)) >= 0);
	for (i = 0; i < len; i++)
		CHECK((unsigned char)qname[i] > ' ' && (unsigned char)qname[i] < 0x7f);
	names_add(&cache, af, addr, qname, now_ns, ttl);
	got = names_lookup(&cache, af, addr, now_ns, now_ns);
	CHECK(got && !strcasecmp(got, qname));
	now_ns += 1000;
}

static void one_record(const uint8_t *data, size_t size)
{
	struct dns_stats st = {};
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	dns_parse_record(copy, size, on_addr, NULL, &st);
	CHECK(st.records == 1);
	free(copy);
}

/* The input behind a well-formed header: UDP at offset 28, then TCP at 40. */
static void framed(const uint8_t *data, size_t size, int proto)
{
	size_t hdr = proto == IPPROTO_UDP ? 28 : 40, n = sizeof(struct dns_record) + hdr + size;
	struct dns_record r = {.proto = proto, .dns_off = hdr};
	struct dns_stats st = {};
	uint8_t *buf;

	if (hdr + size > DNS_CAPTURE_MAX)
		return;
	buf = calloc(1, n);
	r.caplen = hdr + size;
	r.len = r.caplen;
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r) + hdr, data, size);
	dns_parse_record(buf, n, on_addr, NULL, &st);
	CHECK(st.records == 1);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_stats st = {};
	uint8_t *copy;
	int r;

	if (names_init(&cache, 16))
		return 0;
	now_ns = 1000000000ull;
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	r = dns_parse_message(copy, size, on_addr, NULL, &st);
	CHECK(r == 0 || r == -1);
	CHECK(r == 0 ? st.malformed == 0 : st.malformed == 1 && st.addresses == 0);
	free(copy);
	one_record(data, size);
	framed(data, size, IPPROTO_UDP);
	framed(data, size, IPPROTO_TCP);
	/* Long after every TTL (and keep time): all of it expires, nothing is left behind. */
	names_expire(&cache, 1ull << 63);
	CHECK(cache.used == 0);
	names_free(&cache);
	return 0;
}

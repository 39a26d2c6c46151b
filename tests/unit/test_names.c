// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Unit tests for names.c (the address -> name cache) and dns.c (answers into it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "unit.h"
#include "dns.h"
#include "names.h"

#define S 1000000000ull

static uint8_t A1[4] = {10, 0, 0, 1}, A2[4] = {10, 0, 0, 2};

static void test_lookup_newest_before_connect(void **state)
{
	struct names n;

	(void)state;
	assert_int_equal(names_init(&n, 64), 0);
	names_add(&n, AF_INET, A1, "old.test", 10 * S, 300);
	names_add(&n, AF_INET, A1, "new.test", 20 * S, 300);
	/* A connect between the two answers: the first; after both: the second. */
	assert_string_equal(names_lookup(&n, AF_INET, A1, 15 * S, 15 * S), "old.test");
	assert_string_equal(names_lookup(&n, AF_INET, A1, 25 * S, 25 * S), "new.test");
	/* Before any answer, or another address: none. */
	assert_null(names_lookup(&n, AF_INET, A1, 5 * S, 25 * S));
	assert_null(names_lookup(&n, AF_INET, A2, 25 * S, 25 * S));
	/* The same bytes as another family are another address. */
	{
		uint8_t v6[16] = {10, 0, 0, 1};

		assert_null(names_lookup(&n, AF_INET6, v6, 25 * S, 25 * S));
	}
	/* old.test answered again: now the newest. Case does not make a new name. */
	names_add(&n, AF_INET, A1, "OLD.test", 30 * S, 300);
	assert_string_equal(names_lookup(&n, AF_INET, A1, 31 * S, 31 * S), "old.test");
	names_free(&n);
}

/*
 * The reader may name a connect only after later answers were read (-H reads in batches):
 * a name answered again after the connect still names it, and the other name of the
 * address, answered in between, is not taken for it.
 */
static void test_later_answers_read_first(void **state)
{
	struct names n;

	(void)state;
	assert_int_equal(names_init(&n, 64), 0);
	names_add(&n, AF_INET, A1, "web.test", 10 * S, 0);
	names_add(&n, AF_INET, A1, "web.test", 20 * S, 0);
	names_add(&n, AF_INET, A1, "web.test", 30 * S, 0);
	/* Connects right after each answer, named after all three were read. */
	assert_string_equal(names_lookup(&n, AF_INET, A1, 11 * S, 31 * S), "web.test");
	assert_string_equal(names_lookup(&n, AF_INET, A1, 21 * S, 31 * S), "web.test");
	assert_string_equal(names_lookup(&n, AF_INET, A1, 31 * S, 31 * S), "web.test");
	/* old at 40, new at 50, a connect at 55, old again at 60, then the lookup. */
	names_add(&n, AF_INET, A2, "old.test", 40 * S, 300);
	names_add(&n, AF_INET, A2, "new.test", 50 * S, 300);
	names_add(&n, AF_INET, A2, "old.test", 60 * S, 300);
	assert_string_equal(names_lookup(&n, AF_INET, A2, 55 * S, 61 * S), "new.test");
	assert_string_equal(names_lookup(&n, AF_INET, A2, 61 * S, 61 * S), "old.test");
	/* Answers read out of order: the earlier one still counts. */
	names_add(&n, AF_INET, A2, "late.test", 80 * S, 300);
	names_add(&n, AF_INET, A2, "late.test", 70 * S, 300);
	assert_string_equal(names_lookup(&n, AF_INET, A2, 75 * S, 81 * S), "late.test");
	names_free(&n);
}

static void test_ttl_and_keep(void **state)
{
	struct names n;

	(void)state;
	assert_int_equal(names_init(&n, 64), 0);
	names_add(&n, AF_INET, A1, "a.test", 10 * S, 30);
	names_add(&n, AF_INET, A2, "b.test", 10 * S, 30);
	/* Within the TTL; a.test is used by a connect at 20 s. */
	assert_string_equal(names_lookup(&n, AF_INET, A1, 20 * S, 20 * S), "a.test");
	/* After it: b.test (never used) is gone, a.test kept for NAMES_KEEP_NS after its use. */
	assert_null(names_lookup(&n, AF_INET, A2, 50 * S, 50 * S));
	assert_string_equal(names_lookup(&n, AF_INET, A1, 50 * S, 50 * S), "a.test");
	names_expire(&n, 60 * S);
	assert_int_equal(n.used, 1);
	assert_int_equal(n.expired, 1);
	/* Unused for longer than the keep time: gone too. */
	names_expire(&n, 51 * S + NAMES_KEEP_NS);
	assert_int_equal(n.used, 0);
	/* A TTL of 0 counts as NAMES_MIN_TTL: the connect right after still gets the name. */
	names_add(&n, AF_INET, A1, "zero.test", 100 * S, 0);
	names_add(&n, AF_INET, A2, "zero2.test", 100 * S, 0);
	assert_string_equal(names_lookup(&n, AF_INET, A1, 101 * S, 101 * S), "zero.test");
	assert_null(names_lookup(&n, AF_INET, A2, (101 + NAMES_MIN_TTL) * S, 200 * S));
	names_free(&n);
}

static void test_bounded(void **state)
{
	struct names n;
	char name[32];
	uint8_t a[4] = {10, 1, 0, 0};
	int i;

	(void)state;
	assert_int_equal(names_init(&n, 16), 0);
	for (i = 0; i < 100; i++) {
		a[2] = i;
		snprintf(name, sizeof(name), "n%d.test", i);
		names_add(&n, AF_INET, a, name, (i + 1) * S, 3600);
	}
	assert_int_equal(n.used, 16);
	assert_int_equal(n.evicted, 100 - 16);
	/* The newest are there. */
	a[2] = 99;
	assert_string_equal(names_lookup(&n, AF_INET, a, 200 * S, 200 * S), "n99.test");
	/* Many names for one address: the newest NAMES_PER_ADDR stay. */
	for (i = 0; i < 3 * NAMES_PER_ADDR; i++) {
		snprintf(name, sizeof(name), "m%d.test", i);
		names_add(&n, AF_INET, A1, name, (300 + i) * S, 3600);
	}
	snprintf(name, sizeof(name), "m%d.test", 3 * NAMES_PER_ADDR - 1);
	assert_string_equal(names_lookup(&n, AF_INET, A1, 400 * S, 400 * S), name);
	assert_null(names_lookup(&n, AF_INET, A1, 301 * S, 400 * S));
	assert_true(n.used <= 16);
	names_free(&n);
}

static void test_hosts(void **state)
{
	static const char hosts[] = "# comment\n"
				    "10.0.0.1 one.test alias.test # trailing\n"
				    "  \n"
				    "::1 ip6-localhost\n"
				    "bogus name.test\n"
				    "10.0.0.2\n";
	uint8_t v6[16] = {[15] = 1};
	struct names n;
	FILE *f;

	(void)state;
	assert_int_equal(names_init(&n, 64), 0);
	f = fmemopen((void *)hosts, sizeof(hosts) - 1, "r");
	assert_int_equal(names_load_hosts(&n, f), 2);
	fclose(f);
	assert_string_equal(names_lookup(&n, AF_INET, A1, 1, 1), "one.test");
	assert_string_equal(names_lookup(&n, AF_INET6, v6, 1, 1), "ip6-localhost");
	assert_null(names_lookup(&n, AF_INET, A2, 1, 1));
	/* A DNS answer is preferred; the hosts name stays for when none is alive. */
	names_add(&n, AF_INET, A1, "dns.test", 10 * S, 60);
	assert_string_equal(names_lookup(&n, AF_INET, A1, 11 * S, 11 * S), "dns.test");
	/* Reloaded: the old hosts names go. */
	assert_int_equal(names_load_hosts(&n, NULL), 0);
	assert_null(names_lookup(&n, AF_INET6, v6, 1, 1));
	names_free(&n);
}

/* ---- dns.c ---- */

/* A message builder: header, one question, answer records (names as wire labels). */
struct msg {
	uint8_t b[4096];
	size_t len;
	int an;
};

static void put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void put16(struct msg *m, unsigned v)
{
	uint8_t x[2] = {v >> 8, v & 0xff};

	put(m, x, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* "www.example.test" as labels. */
static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		size_t n = strcspn(name, ".");

		m->b[m->len++] = n;
		put(m, name, n);
		name += n + (name[n] == '.');
	}
	m->b[m->len++] = 0;
}

static void start(struct msg *m, const char *qname)
{
	memset(m, 0, sizeof(*m));
	put16(m, 0x1234);
	put16(m, 0x8180); /* a response, recursion desired and available, no error */
	put16(m, 1);
	put16(m, 0); /* answers: patched by rr() */
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, 1); /* A */
	put16(m, 1); /* IN */
}

/* One answer record; owner 0xc00c: the question's name (compressed). */
static void rr(struct msg *m, const char *owner, unsigned type, uint32_t ttl, const void *rdata,
	       size_t rdlen)
{
	if (owner)
		put_name(m, owner);
	else
		put16(m, 0xc00c);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
	put(m, rdata, rdlen);
	m->an++;
	m->b[6] = m->an >> 8;
	m->b[7] = m->an & 0xff;
}

struct got {
	char names[8][DNS_NAME_MAX];
	uint8_t addr[8][16];
	int af[8];
	uint32_t ttl[8];
	int n;
};

static void on_addr(void *ctx, int af, const void *addr, const char *qname, uint32_t ttl)
{
	struct got *g = ctx;

	if (g->n == 8)
		return;
	snprintf(g->names[g->n], DNS_NAME_MAX, "%s", qname);
	memcpy(g->addr[g->n], addr, af == AF_INET ? 4 : 16);
	g->af[g->n] = af;
	g->ttl[g->n++] = ttl;
}

static void test_dns_a_aaaa(void **state)
{
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct dns_stats st = {};
	struct got g = {};
	struct msg m;

	(void)state;
	start(&m, "www.example.test");
	rr(&m, NULL, 1, 300, A1, 4);
	rr(&m, NULL, 28, 60, v6, 16);
	rr(&m, NULL, 1, 300, A2, 4);
	assert_int_equal(dns_parse_message(m.b, m.len, on_addr, &g, &st), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.names[0], "www.example.test");
	assert_int_equal(g.af[1], AF_INET6);
	assert_memory_equal(g.addr[1], v6, 16);
	assert_int_equal(g.ttl[1], 60);
	assert_memory_equal(g.addr[2], A2, 4);
	assert_int_equal(st.answers, 1);
	assert_int_equal(st.addresses, 3);
}

static void test_dns_cname_chain(void **state)
{
	struct dns_stats st = {};
	struct got g = {};
	uint8_t target[64];
	struct msg m, t;

	(void)state;
	start(&m, "www.shop.test");
	/* www.shop.test CNAME edge.cdn.test (TTL 30), edge.cdn.test A 10.0.0.1 (TTL 300) */
	memset(&t, 0, sizeof(t));
	put_name(&t, "edge.cdn.test");
	memcpy(target, t.b, t.len);
	rr(&m, NULL, 5, 30, target, t.len);
	rr(&m, "edge.cdn.test", 1, 300, A1, 4);
	/* A record for a name nobody asked for: ignored. */
	rr(&m, "evil.test", 1, 300, A2, 4);
	assert_int_equal(dns_parse_message(m.b, m.len, on_addr, &g, &st), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.names[0], "www.shop.test");
	assert_memory_equal(g.addr[0], A1, 4);
	assert_int_equal(g.ttl[0], 30); /* the chain's smallest */
}

/* Each one is dropped whole and counted; nothing reported, nothing read out of bounds. */
static void test_dns_malformed(void **state)
{
	struct dns_stats st = {};
	struct got g = {};
	struct msg m;
	uint64_t before;
	size_t i;

	(void)state;
	/* Cut anywhere. */
	start(&m, "www.example.test");
	rr(&m, NULL, 1, 300, A1, 4);
	for (i = 0; i < m.len; i++) {
		uint8_t *copy = malloc(i ? i : 1);

		memcpy(copy, m.b, i);
		before = st.malformed;
		assert_int_equal(dns_parse_message(copy, i, on_addr, &g, &st), -1);
		assert_int_equal(st.malformed, before + 1);
		free(copy);
	}
	/* Counts past the end. */
	m.b[7] = 5;
	assert_int_equal(dns_parse_message(m.b, m.len, on_addr, &g, &st), -1);
	/* A compression loop: the answer's owner points at itself. */
	start(&m, "a.test");
	i = m.len;
	put16(&m, 0xc000 | i);
	put16(&m, 1), put16(&m, 1), put32(&m, 60), put16(&m, 4), put(&m, A1, 4);
	m.b[7] = 1;
	assert_int_equal(dns_parse_message(m.b, m.len, on_addr, &g, &st), -1);
	/* A label over 63 bytes (64: the length byte's top bits 01, no valid label type). */
	memset(&m, 0, sizeof(m));
	put16(&m, 1), put16(&m, 0x8180), put16(&m, 1), put16(&m, 0), put16(&m, 0), put16(&m, 0);
	m.b[m.len++] = 64;
	memset(m.b + m.len, 'a', 64);
	m.len += 64;
	m.b[m.len++] = 0;
	put16(&m, 1), put16(&m, 1);
	assert_int_equal(dns_parse_message(m.b, m.len, on_addr, &g, &st), -1);
	/* A name over 255 bytes: 5 labels of 63. */
	memset(&m, 0, sizeof(m));
	put16(&m, 1), put16(&m, 0x8180), put16(&m, 1), put16(&m, 0), put16(&m, 0), put16(&m, 0);
	for (i = 0; i < 5; i++) {
		m.b[m.len++] = 63;
		memset(m.b + m.len, 'b', 63);
		m.len += 63;
	}
	m.b[m.len++] = 0;
	put16(&m, 1), put16(&m, 1);
	assert_int_equal(dns_parse_message(m.b, m.len, on_addr, &g, &st), -1);
	assert_int_equal(g.n, 0);
	/* A query is no answer, and no error. */
	start(&m, "q.test");
	m.b[2] = 0x01;
	before = st.malformed;
	assert_int_equal(dns_parse_message(m.b, m.len, on_addr, &g, &st), 0);
	assert_int_equal(st.malformed, before);
}

/* Records as dns_ingress writes them: header, IP, UDP or TCP, DNS. */
static size_t record(uint8_t *buf, int proto, const struct msg *m, int tcp_len_adj, uint32_t len)
{
	struct dns_record r = {.proto = proto};
	size_t hdr = proto == IPPROTO_UDP ? 28 : 40, pos = sizeof(r) + hdr;

	memset(buf, 0, pos);
	if (proto == IPPROTO_TCP) {
		buf[pos++] = (m->len + tcp_len_adj) >> 8;
		buf[pos++] = (m->len + tcp_len_adj) & 0xff;
	}
	memcpy(buf + pos, m->b, m->len);
	pos += m->len;
	r.dns_off = hdr;
	r.caplen = pos - sizeof(r);
	r.len = len ? len : r.caplen;
	memcpy(buf, &r, sizeof(r));
	return pos;
}

static void test_dns_records(void **state)
{
	static uint8_t buf[8192];
	struct dns_stats st = {};
	struct got g = {};
	struct msg m;
	size_t n;

	(void)state;
	start(&m, "r.test");
	rr(&m, NULL, 1, 60, A1, 4);
	n = record(buf, IPPROTO_UDP, &m, 0, 0);
	assert_int_equal(dns_parse_record(buf, n, on_addr, &g, &st), 1);
	n = record(buf, IPPROTO_TCP, &m, 0, 0);
	assert_int_equal(dns_parse_record(buf, n, on_addr, &g, &st), 1);
	assert_int_equal(g.n, 2);
	/* A TCP message longer than the segment: not reassembled, counted. */
	n = record(buf, IPPROTO_TCP, &m, 100, 0);
	assert_int_equal(dns_parse_record(buf, n, on_addr, &g, &st), 0);
	assert_int_equal(st.tcp_split, 1);
	/* A packet longer than the capture: counted as cut. */
	n = record(buf, IPPROTO_UDP, &m, 0, 5000);
	assert_int_equal(dns_parse_record(buf, n, on_addr, &g, &st), 0);
	assert_int_equal(st.cut, 1);
	/* A header that lies about its sizes, or too short a record. */
	n = record(buf, IPPROTO_UDP, &m, 0, 0);
	assert_int_equal(dns_parse_record(buf, n - 1, on_addr, &g, &st), 0);
	assert_int_equal(dns_parse_record(buf, 3, on_addr, &g, &st), 0);
	assert_int_equal(g.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_newest_before_connect),
		cmocka_unit_test(test_later_answers_read_first),
		cmocka_unit_test(test_ttl_and_keep),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_dns_a_aaaa),
		cmocka_unit_test(test_dns_cname_chain),
		cmocka_unit_test(test_dns_malformed),
		cmocka_unit_test(test_dns_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

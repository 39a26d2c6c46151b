// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Unit tests for hist.c: percentiles from log2 buckets, keys, ordering, text and JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "unit.h"
#include "hist.h"

static void test_percentile_empty(void **state)
{
	struct hist h = {};

	(void)state;
	assert_int_equal(hist_percentile(&h, 0.5), 0);
	assert_int_equal(hist_percentile(&h, 0.99), 0);
}

static void test_percentile_fast_and_slow(void **state)
{
	struct hist h = {};

	(void)state;
	/* 8 loopback connects of 40 us and 2 of 1003 ms (a lost first SYN). */
	add(&h, 40, 8);
	add(&h, 1003000, 2);
	assert_int_equal(hist_percentile(&h, 0.5), 63);	     /* bucket 32..63 */
	assert_int_equal(hist_percentile(&h, 0.8), 63);	     /* rank 8: still fast */
	assert_int_equal(hist_percentile(&h, 0.9), 1003000); /* rank 9: capped at max */
	assert_int_equal(hist_percentile(&h, 0.99), 1003000);
	assert_int_equal(hist_percentile(&h, 1.0), 1003000);
}

static void test_percentile_never_above_max(void **state)
{
	struct hist h = {};

	(void)state;
	add(&h, 50, 1); /* bucket 32..63, but nothing took longer than 50 */
	assert_int_equal(hist_percentile(&h, 0.5), 50);
	add(&h, 0, 1); /* 0 us lands in slot 0 */
	assert_int_equal(h.slots[0], 1);
	assert_int_equal(hist_percentile(&h, 0.5), 1);
}

static struct hist_entry entry_v4(const char *addr, uint16_t port, uint64_t n)
{
	struct hist_entry e;

	memset(&e, 0, sizeof(e));
	e.key.af = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, e.key.daddr), 1);
	e.key.dport = port;
	add(&e.hist, 100, n);
	return e;
}

static void test_key_text(void **state)
{
	struct hist_entry e = entry_v4("10.0.0.1", 443, 1);
	char buf[64];

	(void)state;
	hist_key_text(HIST_BY_NONE, NULL, &e.key, buf, sizeof(buf));
	assert_string_equal(buf, "all");
	hist_key_text(HIST_BY_DADDR, NULL, &e.key, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1");
	hist_key_text(HIST_BY_DPORT, NULL, &e.key, buf, sizeof(buf));
	assert_string_equal(buf, "443");
	hist_key_text(HIST_BY_DEST, NULL, &e.key, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1:443");
	e.key.af = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", e.key.daddr), 1);
	hist_key_text(HIST_BY_DEST, NULL, &e.key, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:443");
	memcpy(e.key.comm, "a b", 3);
	hist_key_text(HIST_BY_COMM, NULL, &e.key, buf, sizeof(buf));
	assert_string_equal(buf, "a\\x20b"); /* escaped as in the COMM column */
	e.key.tgid = 181;
	hist_key_text(HIST_BY_PID, NULL, &e.key, buf, sizeof(buf));
	assert_string_equal(buf, "181");
}

static void test_by_names(void **state)
{
	(void)state;
	assert_int_equal(hist_by_parse("daddr"), HIST_BY_DADDR);
	assert_int_equal(hist_by_parse("dport"), HIST_BY_DPORT);
	assert_int_equal(hist_by_parse("dest"), HIST_BY_DEST);
	assert_int_equal(hist_by_parse("comm"), HIST_BY_COMM);
	assert_int_equal(hist_by_parse("pid"), HIST_BY_PID);
	assert_int_equal(hist_by_parse("DADDR"), -1);
	assert_int_equal(hist_by_parse(""), -1);
	assert_int_equal(hist_by_parse("dad"), -1);
	assert_string_equal(hist_by_name(HIST_BY_DEST), "dest");
	assert_null(hist_by_name(HIST_BY_NONE));
}

static void test_sort_most_frequent_first(void **state)
{
	struct hist_entry v[3];

	(void)state;
	v[0] = entry_v4("10.0.0.1", 1, 2);
	v[1] = entry_v4("10.0.0.2", 2, 7);
	v[2] = entry_v4("10.0.0.3", 3, 5);
	v[0].hist.failures = 4; /* failed connects count too: 6 in all */
	hist_sort(v, 3);
	assert_int_equal(v[0].key.dport, 2);
	assert_int_equal(v[1].key.dport, 1);
	assert_int_equal(v[2].key.dport, 3);
}

struct lines {
	char text[4096];
	int n;
};

static void collect(void *ctx, const char *text, size_t len)
{
	struct lines *l = ctx;

	assert_int_equal(text[len - 1], '\n');
	strncat(l->text, text, len);
	l->n++;
}

static void test_text_report(void **state)
{
	struct hist_entry e = entry_v4("10.0.0.1", 443, 0);
	struct lines l = {};

	(void)state;
	add(&e.hist, 40, 4);
	add(&e.hist, 200, 2);
	e.hist.failures = 3;
	hist_text(HIST_BY_DEST, NULL, &e, true, collect, &l);
	assert_string_equal(
		l.text,
		"dest 10.0.0.1:443: count 6, p50 0.06 ms, p90 0.20 ms, p99 0.20 ms, max 0.20 ms, "
		"failed 3\n"
		"                     usecs : count      distribution\n"
		"         32 -> 63          : 4          "
		"|****************************************|\n"
		"         64 -> 127         : 0          |                                        "
		"|\n"
		"        128 -> 255         : 2          |********************                    "
		"|\n");
	assert_int_equal(l.n, 5);
}

static void test_text_empty_key(void **state)
{
	struct hist_entry e = entry_v4("10.0.0.1", 443, 0);
	struct lines l = {};

	(void)state;
	e.hist.failures = 2; /* only failures: a summary, no buckets */
	hist_text(HIST_BY_NONE, NULL, &e, true, collect, &l);
	assert_string_equal(l.text, "all: count 0, p50 0.00 ms, p90 0.00 ms, p99 0.00 ms, max 0.00 "
				    "ms, failed 2\n");
}

static void test_json_report(void **state)
{
	struct hist_entry e = entry_v4("10.0.0.1", 443, 0);
	char buf[HIST_JSON_MAX];
	size_t n;

	(void)state;
	add(&e.hist, 40, 4);
	add(&e.hist, 200, 2);
	n = hist_json(HIST_BY_DADDR, NULL, &e, "2026-11-25T05:00:00Z", buf, sizeof(buf));
	assert_string_equal(
		buf, "{\"time\":\"2026-11-25T05:00:00Z\",\"by\":\"daddr\",\"key\":\"10.0.0.1\","
		     "\"count\":6,\"failed\":0,\"p50_us\":63,\"p90_us\":200,\"p99_us\":200,"
		     "\"max_us\":200,\"mean_us\":93,\"buckets\":[{\"from_us\":32,\"to_us\":63,"
		     "\"count\":4},{\"from_us\":128,\"to_us\":255,\"count\":2}]}\n");
	assert_int_equal(n, strlen(buf));
	n = hist_json(HIST_BY_NONE, NULL, &e, "t", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"by\":null,\"key\":null,"));
	memcpy(e.key.comm, "q\"\xff", 3);
	n = hist_json(HIST_BY_COMM, NULL, &e, "t", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"by\":\"comm\",\"key\":\"q\\\"\\u00ff\","));
	/* Too small a buffer: nothing, not a cut object. */
	assert_int_equal(hist_json(HIST_BY_DADDR, NULL, &e, "t", buf, 40), 0);
}

/* Key i of the --by dport tests: port 1000 + i. */
static struct hist_entry by_port(int i, uint64_t count, uint64_t max_us)
{
	struct hist_entry e = {};

	e.key.dport = 1000 + i;
	e.hist.count = count;
	e.hist.slots[0] = count;
	e.hist.sum_us = count;
	e.hist.max_us = max_us;
	return e;
}

/*
 * -H -i: cumulative snapshots in the kernel's (hash) order, which changes from one report
 * to the next, become what happened in each interval; the intervals add up to the total.
 */
static void test_since_intervals_add_up(void **state)
{
	static struct hist_entry seen[300], v[300];
	struct hist_prev prev = {.v = seen, .max = 300};
	uint64_t total[300] = {}, reported[300] = {};
	size_t n, i, k;
	int r;

	(void)state;
	for (r = 0; r < 20; r++) {
		/* Key j grows by (j + r) % 3 (some not at all); keys appear over time. */
		n = 0;
		for (k = 0; k < 100 + 10 * (size_t)r; k++) {
			size_t j = (k * 37 + r * 11) % (100 + 10 * r);

			total[j] += (j + r) % 3;
			if (total[j])
				v[n++] = by_port(j, total[j], 1);
		}
		n = hist_since(&prev, v, n);
		for (i = 0; i < n; i++) {
			assert_true(v[i].hist.count > 0);
			assert_int_equal(v[i].hist.slots[0], v[i].hist.count);
			reported[v[i].key.dport - 1000] += v[i].hist.count;
		}
	}
	for (k = 0; k < 300; k++)
		assert_int_equal(reported[k], total[k]);
}

/* A key with nothing new is left out; the interval's max is exact when it is a new high. */
static void test_since_max(void **state)
{
	struct hist_entry seen[4], v[2];
	struct hist_prev prev = {.v = seen, .max = 4};

	(void)state;
	v[0] = by_port(1, 2, 900);
	v[1] = by_port(2, 1, 5);
	assert_int_equal(hist_since(&prev, v, 2), 2);
	/* Key 1: one more connect of 1 us (slot 0), the run's max stays 900. Key 2: none. */
	v[0] = by_port(2, 1, 5);
	v[1] = by_port(1, 3, 900);
	assert_int_equal(hist_since(&prev, v, 2), 1);
	assert_int_equal(v[0].key.dport, 1001);
	assert_int_equal(v[0].hist.count, 1);
	assert_int_equal(v[0].hist.max_us, 1); /* slot 0's upper end, not the run's 900 */
	/* Key 1 again: a new high of 2000 us. */
	v[0] = by_port(1, 4, 2000);
	v[0].hist.slots[10] = 1;
	v[0].hist.slots[0] = 3;
	assert_int_equal(hist_since(&prev, v, 1), 1);
	assert_int_equal(v[0].hist.count, 1);
	assert_int_equal(v[0].hist.max_us, 2000);
	assert_int_equal(v[0].hist.slots[10], 1);
	assert_int_equal(v[0].hist.slots[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile_empty),
		cmocka_unit_test(test_percentile_fast_and_slow),
		cmocka_unit_test(test_percentile_never_above_max),
		cmocka_unit_test(test_key_text),
		cmocka_unit_test(test_by_names),
		cmocka_unit_test(test_sort_most_frequent_first),
		cmocka_unit_test(test_text_report),
		cmocka_unit_test(test_text_empty_key),
		cmocka_unit_test(test_json_report),
		cmocka_unit_test(test_since_intervals_add_up),
		cmocka_unit_test(test_since_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

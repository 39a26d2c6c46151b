// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Unit tests for json.c: the NDJSON object and COMM as a JSON string. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "json.h"

static void set_addr(int af, __u8 *dst, const char *text)
{
	assert_int_equal(inet_pton(af, text, dst), 1);
}

/* curl 10.0.0.5:51234 -> 93.184.216.34:443, 123456 us, at 1 s of CLOCK_MONOTONIC. */
static struct event curl_v4(void)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.af = AF_INET;
	e.tgid = 181;
	memcpy(e.comm, "curl", 4);
	set_addr(AF_INET, e.saddr, "10.0.0.5");
	set_addr(AF_INET, e.daddr, "93.184.216.34");
	e.lport = 51234;
	e.dport = 443;
	e.ts_us = 1000000;
	e.delta_us = 123456;
	return e;
}

/* 2026-11-25T04:55:01.000000Z is 1795582501 s after the epoch; monotonic 1 s is then. */
static const struct json_ctx ctx = {.backend = "fentry", .wall_offset_us = 1795582500000000ll};

static void check_event(const struct event *e, const char *want)
{
	char line[JSON_LINE_MAX];
	size_t n;

	n = json_event(&ctx, e, line, sizeof(line));
	assert_string_equal(line, want);
	assert_int_equal(n, strlen(want));
}

static void test_event_ok(void **state)
{
	struct event e = curl_v4();

	(void)state;
	check_event(&e,
		    "{\"time\":\"2026-11-25T04:55:01.000000Z\",\"pid\":181,\"comm\":\"curl\","
		    "\"ip\":4,\"saddr\":\"10.0.0.5\",\"lport\":51234,\"daddr\":\"93.184.216.34\","
		    "\"dport\":443,\"lat_us\":123456,\"result\":\"ok\",\"errno\":null,"
		    "\"syn_retrans\":0,\"backend\":\"fentry\",\"cgroup\":null,\"container_id\":"
		    "null,\"container\":null,\"pod\":null,"
		    "\"namespace\":null,\"dhost\":null}\n");
}

static void test_event_microseconds(void **state)
{
	struct event e = curl_v4();

	(void)state;
	e.ts_us += 7;
	check_event(&e,
		    "{\"time\":\"2026-11-25T04:55:01.000007Z\",\"pid\":181,\"comm\":\"curl\","
		    "\"ip\":4,\"saddr\":\"10.0.0.5\",\"lport\":51234,\"daddr\":\"93.184.216.34\","
		    "\"dport\":443,\"lat_us\":123456,\"result\":\"ok\",\"errno\":null,"
		    "\"syn_retrans\":0,\"backend\":\"fentry\",\"cgroup\":null,\"container_id\":"
		    "null,\"container\":null,\"pod\":null,"
		    "\"namespace\":null,\"dhost\":null}\n");
}

static void test_event_refused_ipv6(void **state)
{
	struct event e = curl_v4();

	(void)state;
	e.af = AF_INET6;
	set_addr(AF_INET6, e.saddr, "2001:db8::10");
	set_addr(AF_INET6, e.daddr, "::1");
	e.failed = 1;
	e.err = ECONNREFUSED;
	e.syn_retrans = 2;
	check_event(&e, "{\"time\":\"2026-11-25T04:55:01.000000Z\",\"pid\":181,\"comm\":\"curl\","
			"\"ip\":6,\"saddr\":\"2001:db8::10\",\"lport\":51234,\"daddr\":\"::1\","
			"\"dport\":443,\"lat_us\":123456,\"result\":\"refused\","
			"\"errno\":\"ECONNREFUSED\",\"syn_retrans\":2,\"backend\":\"fentry\","
			"\"cgroup\":null,\"container_id\":null,\"container\":null,\"pod\":null,"
			"\"namespace\":null,\"dhost\":null}\n");
}

/* -N: the name as a JSON string; bytes a hostile answer may carry are escaped. */
static void test_event_dhost(void **state)
{
	struct json_ctx j = ctx;
	struct event e = curl_v4();
	char line[JSON_LINE_MAX];

	(void)state;
	j.dhost = "www.example.com";
	json_event(&j, &e, line, sizeof(line));
	assert_non_null(strstr(line, ",\"namespace\":null,\"dhost\":\"www.example.com\"}\n"));
	j.dhost = "a\"b\\c\n.test";
	json_event(&j, &e, line, sizeof(line));
	assert_non_null(strstr(line, ",\"dhost\":\"a\\\"b\\\\c\\u000a.test\"}\n"));
}

static void test_event_errno_names(void **state)
{
	struct event e = curl_v4();
	char line[JSON_LINE_MAX];

	(void)state;
	e.failed = 1;
	e.err = 0;
	json_event(&ctx, &e, line, sizeof(line));
	assert_non_null(strstr(line, "\"result\":\"aborted\",\"errno\":null,"));
	e.err = EADDRNOTAVAIL;
	json_event(&ctx, &e, line, sizeof(line));
	assert_non_null(
		strstr(line, "\"result\":\"error:EADDRNOTAVAIL\",\"errno\":\"EADDRNOTAVAIL\","));
	e.err = 4000; /* no name: the number, still a string */
	json_event(&ctx, &e, line, sizeof(line));
	assert_non_null(strstr(line, "\"result\":\"error:4000\",\"errno\":\"4000\","));
}

static void test_event_unknown_family(void **state)
{
	struct event e = curl_v4();
	char line[JSON_LINE_MAX];

	(void)state;
	e.af = 99;
	json_event(&ctx, &e, line, sizeof(line));
	assert_non_null(strstr(line, "\"ip\":null,\"saddr\":\"?\","));
	assert_non_null(strstr(line, "\"daddr\":\"?\","));
}

static void test_event_widest_fits(void **state)
{
	struct event e = curl_v4();
	char line[JSON_LINE_MAX];
	size_t n;

	(void)state;
	e.af = AF_INET6;
	set_addr(AF_INET6, e.saddr, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	set_addr(AF_INET6, e.daddr, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	memset(e.comm, 0x01, sizeof(e.comm)); /* 16 bytes, each \u0001 */
	e.tgid = 4294967295u;
	e.lport = e.dport = 65535;
	e.delta_us = UINT64_MAX;
	e.failed = 1;
	e.err = 65535;
	e.syn_retrans = 255;
	n = json_event(&ctx, &e, line, sizeof(line));
	assert_true(n < sizeof(line) - 1);
	assert_int_equal(line[n - 1], '\n');
	assert_int_equal(line[n - 2], '}');
}

/* Found by fuzz_event: ts_us near 2^63 overflowed the addition of the wall-clock offset
 * (undefined behaviour; in practice a negative time, "-290308-12-21T...:.-224192Z"). */
static void test_event_time_out_of_range(void **state)
{
	static const uint64_t times[] = {INT64_MAX, INT64_MAX - 1795582500000000ll + 1,
					 (uint64_t)INT64_MAX + 1, UINT64_MAX};
	struct event e = curl_v4();
	char line[JSON_LINE_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		e.ts_us = times[i];
		json_event(&ctx, &e, line, sizeof(line));
		assert_non_null(strstr(line, "{\"time\":\"?\",\"pid\":181,"));
	}
	/* The last time that still adds up is a date. */
	e.ts_us = INT64_MAX - 1795582500000000ll;
	json_event(&ctx, &e, line, sizeof(line));
	assert_null(strstr(line, "\"time\":\"?\""));
}

/* ---- COMM as a JSON string ---- */

static void check_comm(const char *comm, const char *want)
{
	char out[TASK_COMM_LEN * 6 + 3];
	char in[TASK_COMM_LEN] = {0};

	memcpy(in, comm, strnlen(comm, TASK_COMM_LEN));
	assert_int_equal(json_comm(in, out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

static void test_comm_plain(void **state)
{
	(void)state;
	check_comm("postgres", "\"postgres\"");
	check_comm("a b", "\"a b\"");
	check_comm("", "\"\"");
}

static void test_comm_quote_backslash(void **state)
{
	(void)state;
	check_comm("a\"b\\c", "\"a\\\"b\\\\c\"");
}

static void test_comm_controls(void **state)
{
	(void)state;
	check_comm("\x1b[31m\t\n\x7f", "\"\\u001b[31m\\u0009\\u000a\\u007f\"");
}

static void test_comm_valid_utf8_kept(void **state)
{
	(void)state;
	check_comm("caf\xc3\xa9", "\"caf\xc3\xa9\"");		/* 2 bytes */
	check_comm("\xe2\x82\xac", "\"\xe2\x82\xac\"");		/* 3 bytes: euro sign */
	check_comm("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* 4 bytes */
}

static void test_comm_invalid_utf8_escaped(void **state)
{
	(void)state;
	check_comm("\xff", "\"\\u00ff\"");
	check_comm("\xc3", "\"\\u00c3\"");				    /* truncated sequence */
	check_comm("\xc3(", "\"\\u00c3(\"");				    /* bad continuation */
	check_comm("\xc0\xaf", "\"\\u00c0\\u00af\"");			    /* overlong '/' */
	check_comm("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");	    /* UTF-16 surrogate */
	check_comm("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
}

static void test_comm_full_and_unterminated(void **state)
{
	char in[TASK_COMM_LEN], out[TASK_COMM_LEN * 6 + 3];

	(void)state;
	memset(in, 'x', sizeof(in)); /* no NUL: all 16 bytes are the name */
	assert_int_equal(json_comm(in, out, sizeof(out)), TASK_COMM_LEN + 2);
	assert_string_equal(out, "\"xxxxxxxxxxxxxxxx\"");
}

static void test_comm_small_buffer(void **state)
{
	char in[TASK_COMM_LEN] = "\x01\x02\x03";
	char out[16];
	size_t len;

	(void)state;
	for (len = 0; len < sizeof(out) - 1; len++) {
		memset(out, '#', sizeof(out));
		json_comm(in, out, len);
		/* Nothing past len is touched; what is written is a closed string or empty. */
		assert_int_equal(out[len], '#');
		if (len >= 3) {
			assert_int_equal(out[0], '"');
			assert_int_equal(out[strlen(out) - 1], '"');
			assert_true(strlen(out) < len);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_ok),
		cmocka_unit_test(test_event_microseconds),
		cmocka_unit_test(test_event_refused_ipv6),
		cmocka_unit_test(test_event_dhost),
		cmocka_unit_test(test_event_errno_names),
		cmocka_unit_test(test_event_unknown_family),
		cmocka_unit_test(test_event_widest_fits),
		cmocka_unit_test(test_event_time_out_of_range),
		cmocka_unit_test(test_comm_plain),
		cmocka_unit_test(test_comm_quote_backslash),
		cmocka_unit_test(test_comm_controls),
		cmocka_unit_test(test_comm_valid_utf8_kept),
		cmocka_unit_test(test_comm_invalid_utf8_escaped),
		cmocka_unit_test(test_comm_full_and_unterminated),
		cmocka_unit_test(test_comm_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Unit tests for format.c: header, rows, TIME(s), addresses and COMM escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "unit.h"
#include "format.h"

/* The header lines, written out by hand from BCC's widths. */
#define HDR_PLAIN "PID    COMM         IP SADDR            DADDR            DPORT LAT(ms)\n"
#define HDR_TIME \
	"TIME(s)   PID    COMM         IP SADDR            DADDR            DPORT LAT(ms)\n"
#define HDR_LPORT "PID    COMM         IP SADDR            LPORT  DADDR            DPORT LAT(ms)\n"
#define HDR_BOTH                                                                           \
	"TIME(s)   PID    COMM         IP SADDR            LPORT  DADDR            DPORT " \
	"LAT(ms)\n"

static void set_addr(int af, __u8 *dst, const char *text)
{
	if (inet_pton(af, text, dst) != 1)
		fail_because("bad test address %s", text);
}

static struct event make_event(int af, uint32_t tgid, const char *comm, const char *saddr,
			       uint16_t lport, const char *daddr, uint16_t dport, uint64_t ts_us,
			       uint64_t delta_us)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.af = af;
	e.tgid = tgid;
	memcpy(e.comm, comm, strnlen(comm, sizeof(e.comm)));
	if (af == AF_INET || af == AF_INET6) {
		set_addr(af, e.saddr, saddr);
		set_addr(af, e.daddr, daddr);
	}
	e.lport = lport;
	e.dport = dport;
	e.ts_us = ts_us;
	e.delta_us = delta_us;
	return e;
}

/* curl 10.0.0.5:51234 -> 93.184.216.34:443 in 123.456 ms. */
static struct event curl_v4(void)
{
	return make_event(AF_INET, 181, "curl", "10.0.0.5", 51234, "93.184.216.34", 443, 5000000,
			  123456);
}

/* nginx [2001:db8::10]:80 -> [2001:db8:0:1::53]:8080 in 1 ms. */
static struct event nginx_v6(void)
{
	return make_event(AF_INET6, 4194304, "nginx", "2001:db8::10", 80, "2001:db8:0:1::53", 8080,
			  7000000, 1000);
}

/* Formats e with a fresh formatter; the line must be as long as its return value says. */
static void row(bool timestamp, bool lport, const struct event *e, char *buf, size_t len)
{
	struct formatter f;
	size_t n;

	fmt_init(&f, timestamp, lport);
	n = fmt_event(&f, e, buf, len);
	assert_int_equal(n, strlen(buf));
}

static void assert_row(bool timestamp, bool lport, const struct event *e, const char *want)
{
	char line[FMT_LINE_MAX];

	row(timestamp, lport, e, line, sizeof(line));
	assert_string_equal(line, want);
}

/* Fields as awk splits them: runs of blanks separate, the newline ends the record. */
static int awk_fields(const char *line)
{
	int n = 0;
	bool in_field = false;

	for (; *line && *line != '\n'; line++) {
		bool blank = *line == ' ' || *line == '\t';

		if (!blank && !in_field)
			n++;
		in_field = !blank;
	}
	return n;
}

static void assert_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	if (ls < lx || strcmp(s + ls - lx, suffix))
		fail_because("\"%s\" does not end with \"%s\"", s, suffix);
}

/* ---- header ---- */

static void check_header(bool timestamp, bool lport, const char *want, size_t want_len)
{
	struct formatter f;
	char line[FMT_LINE_MAX];
	size_t n;

	fmt_init(&f, timestamp, lport);
	n = fmt_header(&f, line, sizeof(line));
	assert_string_equal(line, want);
	assert_int_equal(n, want_len);
}

static void test_header_plain(void **state)
{
	(void)state;
	/* 6+1+12+1+2+1+16+1+16+1+5+1+7 characters and the newline. */
	check_header(false, false, HDR_PLAIN, 71);
}

static void test_header_timestamp(void **state)
{
	(void)state;
	check_header(true, false, HDR_TIME, 81);
}

static void test_header_lport(void **state)
{
	(void)state;
	check_header(false, true, HDR_LPORT, 78);
}

static void test_header_timestamp_lport(void **state)
{
	(void)state;
	check_header(true, true, HDR_BOTH, 88);
}

static void test_header_field_counts(void **state)
{
	(void)state;
	assert_int_equal(awk_fields(HDR_PLAIN), 7);
	assert_int_equal(awk_fields(HDR_TIME), 8);
	assert_int_equal(awk_fields(HDR_LPORT), 8);
	assert_int_equal(awk_fields(HDR_BOTH), 9);
}

/* ---- IPv4 rows ---- */

static void test_row_ipv4_plain(void **state)
{
	struct event e = curl_v4();
	char line[FMT_LINE_MAX];
	struct formatter f;

	(void)state;
	assert_row(false, false, &e,
		   "181   "
		   " "
		   "curl        "
		   " "
		   "4 "
		   " "
		   "10.0.0.5        "
		   " "
		   "93.184.216.34   "
		   " "
		   "443  "
		   " "
		   "123.46"
		   "\n");
	fmt_init(&f, false, false);
	assert_int_equal(fmt_event(&f, &e, line, sizeof(line)), 70);
}

static void test_row_ipv4_timestamp(void **state)
{
	struct event e = curl_v4();

	(void)state;
	assert_row(true, false, &e,
		   "0.000    "
		   " "
		   "181   "
		   " "
		   "curl        "
		   " "
		   "4 "
		   " "
		   "10.0.0.5        "
		   " "
		   "93.184.216.34   "
		   " "
		   "443  "
		   " "
		   "123.46"
		   "\n");
}

static void test_row_ipv4_lport(void **state)
{
	struct event e = curl_v4();

	(void)state;
	assert_row(false, true, &e,
		   "181   "
		   " "
		   "curl        "
		   " "
		   "4 "
		   " "
		   "10.0.0.5        "
		   " "
		   "51234 "
		   " "
		   "93.184.216.34   "
		   " "
		   "443  "
		   " "
		   "123.46"
		   "\n");
}

static void test_row_ipv4_timestamp_lport(void **state)
{
	struct event e = curl_v4();

	(void)state;
	assert_row(true, true, &e,
		   "0.000    "
		   " "
		   "181   "
		   " "
		   "curl        "
		   " "
		   "4 "
		   " "
		   "10.0.0.5        "
		   " "
		   "51234 "
		   " "
		   "93.184.216.34   "
		   " "
		   "443  "
		   " "
		   "123.46"
		   "\n");
}

static void test_row_ipv4_loopback(void **state)
{
	struct event e =
		make_event(AF_INET, 4529, "python3", "127.0.0.1", 41000, "127.0.0.1", 5432, 1, 150);

	(void)state;
	/* The README's sample line. */
	assert_row(false, false, &e,
		   "4529   python3      4  127.0.0.1        127.0.0.1        5432  0.15\n");
}

static void test_row_ipv4_uses_first_four_bytes(void **state)
{
	struct event e = curl_v4();

	(void)state;
	/* Whatever follows the IPv4 address in the 16-byte field is not part of it. */
	memset(e.saddr + 4, 0xff, 12);
	memset(e.daddr + 4, 0x7f, 12);
	assert_row(false, false, &e,
		   "181   "
		   " "
		   "curl        "
		   " "
		   "4 "
		   " "
		   "10.0.0.5        "
		   " "
		   "93.184.216.34   "
		   " "
		   "443  "
		   " "
		   "123.46"
		   "\n");
}

static void test_row_ipv4_widest_address(void **state)
{
	struct event e =
		make_event(AF_INET, 1, "a", "255.255.255.255", 1, "192.168.100.200", 65535, 0, 0);

	(void)state;
	assert_row(false, true, &e,
		   "1     "
		   " "
		   "a           "
		   " "
		   "4 "
		   " "
		   "255.255.255.255 "
		   " "
		   "1     "
		   " "
		   "192.168.100.200 "
		   " "
		   "65535"
		   " "
		   "0.00"
		   "\n");
}

static void test_row_ipv4_field_counts(void **state)
{
	struct event e = curl_v4();
	char line[FMT_LINE_MAX];

	(void)state;
	row(false, false, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 7);
	row(true, false, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 8);
	row(false, true, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 8);
	row(true, true, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 9);
}

/* ---- IPv6 rows ---- */

static void test_row_ipv6_plain(void **state)
{
	struct event e = nginx_v6();

	(void)state;
	/* A 7-digit PID and a 16-character address fill their columns and push on. */
	assert_row(false, false, &e,
		   "4194304"
		   " "
		   "nginx       "
		   " "
		   "6 "
		   " "
		   "2001:db8::10    "
		   " "
		   "2001:db8:0:1::53"
		   " "
		   "8080 "
		   " "
		   "1.00"
		   "\n");
}

static void test_row_ipv6_timestamp_lport(void **state)
{
	struct event e = nginx_v6();

	(void)state;
	assert_row(true, true, &e,
		   "0.000    "
		   " "
		   "4194304"
		   " "
		   "nginx       "
		   " "
		   "6 "
		   " "
		   "2001:db8::10    "
		   " "
		   "80    "
		   " "
		   "2001:db8:0:1::53"
		   " "
		   "8080 "
		   " "
		   "1.00"
		   "\n");
}

static void test_row_ipv6_timestamp(void **state)
{
	struct event e = nginx_v6();

	(void)state;
	assert_row(true, false, &e,
		   "0.000    "
		   " "
		   "4194304"
		   " "
		   "nginx       "
		   " "
		   "6 "
		   " "
		   "2001:db8::10    "
		   " "
		   "2001:db8:0:1::53"
		   " "
		   "8080 "
		   " "
		   "1.00"
		   "\n");
}

static void test_row_ipv6_lport(void **state)
{
	struct event e = nginx_v6();

	(void)state;
	assert_row(false, true, &e,
		   "4194304"
		   " "
		   "nginx       "
		   " "
		   "6 "
		   " "
		   "2001:db8::10    "
		   " "
		   "80    "
		   " "
		   "2001:db8:0:1::53"
		   " "
		   "8080 "
		   " "
		   "1.00"
		   "\n");
}

static void test_row_ipv6_loopback_and_long(void **state)
{
	struct event lo = make_event(AF_INET6, 4529, "python3", "::1", 1, "::1", 6379, 0, 180);
	struct event wide = make_event(AF_INET6, 2, "b", "fe80::1", 1,
				       "2001:db8:1234:5678:9abc:def0:1234:5678", 22, 0, 999);
	struct event mapped =
		make_event(AF_INET6, 3, "c", "::ffff:10.1.2.3", 1, "2001:db8::", 53, 0, 6);

	(void)state;
	assert_row(false, false, &lo,
		   "4529  "
		   " "
		   "python3     "
		   " "
		   "6 "
		   " "
		   "::1             "
		   " "
		   "::1             "
		   " "
		   "6379 "
		   " "
		   "0.18"
		   "\n");
	/* A 38-character address is not cut: the columns after it move right. */
	assert_row(false, false, &wide,
		   "2     "
		   " "
		   "b           "
		   " "
		   "6 "
		   " "
		   "fe80::1         "
		   " "
		   "2001:db8:1234:5678:9abc:def0:1234:5678"
		   " "
		   "22   "
		   " "
		   "1.00"
		   "\n");
	assert_row(false, false, &mapped,
		   "3     "
		   " "
		   "c           "
		   " "
		   "6 "
		   " "
		   "::ffff:10.1.2.3 "
		   " "
		   "2001:db8::      "
		   " "
		   "53   "
		   " "
		   "0.01"
		   "\n");
}

static void test_row_ipv6_field_counts(void **state)
{
	struct event e = make_event(AF_INET6, 2, "b", "fe80::1", 1,
				    "2001:db8:1234:5678:9abc:def0:1234:5678", 22, 0, 999);
	char line[FMT_LINE_MAX];

	(void)state;
	row(false, false, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 7);
	row(true, false, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 8);
	row(false, true, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 8);
	row(true, true, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 9);
}

/* ---- unknown family, ports, latency ---- */

static void test_row_unknown_family(void **state)
{
	struct event e = make_event(0, 1, "x", NULL, 7, NULL, 1, 0, 0);

	(void)state;
	/* Bytes that would make a valid address of either family must not be printed. */
	e.saddr[0] = 10;
	e.daddr[0] = 10;
	assert_row(false, false, &e,
		   "1     "
		   " "
		   "x           "
		   " "
		   "? "
		   " "
		   "?               "
		   " "
		   "?               "
		   " "
		   "1    "
		   " "
		   "0.00"
		   "\n");
	e.af = 99;
	assert_row(false, true, &e,
		   "1     "
		   " "
		   "x           "
		   " "
		   "? "
		   " "
		   "?               "
		   " "
		   "7     "
		   " "
		   "?               "
		   " "
		   "1    "
		   " "
		   "0.00"
		   "\n");
}

static void test_row_ports_host_order(void **state)
{
	struct event e = make_event(AF_INET, 9, "p", "1.2.3.4", 0x1234, "5.6.7.8", 0x0102, 0, 0);

	(void)state;
	/* 0x1234 = 4660, 0x0102 = 258: printed as given, not byte-swapped. */
	assert_row(false, true, &e,
		   "9     "
		   " "
		   "p           "
		   " "
		   "4 "
		   " "
		   "1.2.3.4         "
		   " "
		   "4660  "
		   " "
		   "5.6.7.8         "
		   " "
		   "258  "
		   " "
		   "0.00"
		   "\n");
	e.lport = 65535;
	e.dport = 0;
	assert_row(false, true, &e,
		   "9     "
		   " "
		   "p           "
		   " "
		   "4 "
		   " "
		   "1.2.3.4         "
		   " "
		   "65535 "
		   " "
		   "5.6.7.8         "
		   " "
		   "0    "
		   " "
		   "0.00"
		   "\n");
}

static void check_latency(uint64_t delta_us, const char *want_suffix)
{
	struct event e = curl_v4();
	char line[FMT_LINE_MAX];

	e.delta_us = delta_us;
	row(false, false, &e, line, sizeof(line));
	assert_ends_with(line, want_suffix);
	assert_int_equal(awk_fields(line), 7);
}

static void test_row_latency_two_decimals(void **state)
{
	(void)state;
	check_latency(0, "443   0.00\n");
	check_latency(4, "443   0.00\n");
	check_latency(6, "443   0.01\n");
	check_latency(150, "443   0.15\n");
	check_latency(999, "443   1.00\n");
	check_latency(1000, "443   1.00\n");
	check_latency(1234, "443   1.23\n");
	check_latency(123456, "443   123.46\n");
	check_latency(3600000000ULL, "443   3600000.00\n");
}

/* ---- TIME(s) ---- */

static void next_time(struct formatter *f, uint64_t ts_us, const char *want_prefix)
{
	struct event e = curl_v4();
	char line[FMT_LINE_MAX];

	e.ts_us = ts_us;
	fmt_event(f, &e, line, sizeof(line));
	if (strncmp(line, want_prefix, strlen(want_prefix)))
		fail_because("\"%s\" does not start with \"%s\"", line, want_prefix);
	assert_int_equal(awk_fields(line), 8);
}

static void test_time_from_first_event(void **state)
{
	struct formatter f;

	(void)state;
	fmt_init(&f, true, false);
	next_time(&f, 5000000, "0.000     181 ");
	next_time(&f, 5000000, "0.000     181 ");
	next_time(&f, 6234567, "1.235     181 ");
	next_time(&f, 7000000, "2.000     181 ");
	next_time(&f, 5000999, "0.001     181 ");
	next_time(&f, 128456789, "123.457   181 ");
	next_time(&f, 3605000000ULL, "3600.000  181 ");
}

static void test_time_out_of_order_is_negative(void **state)
{
	struct formatter f;

	(void)state;
	fmt_init(&f, true, false);
	next_time(&f, 5000000, "0.000     181 ");
	/* From another CPU, 1 ms before the first event. */
	next_time(&f, 4999000, "-0.001    181 ");
	next_time(&f, 3500000, "-1.500    181 ");
}

static void test_time_header_is_not_an_event(void **state)
{
	struct formatter f;
	char line[FMT_LINE_MAX];

	(void)state;
	fmt_init(&f, true, false);
	fmt_header(&f, line, sizeof(line));
	next_time(&f, 9000000, "0.000     181 ");
	next_time(&f, 9500000, "0.500     181 ");
}

static void test_time_per_formatter(void **state)
{
	struct formatter a, b;

	(void)state;
	fmt_init(&a, true, false);
	fmt_init(&b, true, false);
	next_time(&a, 1000000, "0.000     181 ");
	next_time(&b, 3000000, "0.000     181 ");
	next_time(&a, 4000000, "3.000     181 ");
	next_time(&b, 4000000, "1.000     181 ");
	/* fmt_init() starts the count again. */
	fmt_init(&a, true, false);
	next_time(&a, 8000000, "0.000     181 ");
	next_time(&a, 8250000, "0.250     181 ");
}

/* ---- COMM ---- */

static void check_escape(const char *comm, const char *want)
{
	char out[COMM_ESC_MAX + 1];
	size_t n;

	memset(out, 0x55, sizeof(out));
	n = escape_comm(comm, out, sizeof(out));
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_escape_printable_kept(void **state)
{
	(void)state;
	check_escape("bash", "bash");
	check_escape("kworker/0:1", "kworker/0:1");
	/* The ends of the printable range: '!' (0x21) and '~' (0x7e). */
	check_escape("!~", "!~");
	check_escape("a-b_c.d[1]{2}\"'", "a-b_c.d[1]{2}\"'");
	check_escape("", "");
}

static void test_escape_control_bytes(void **state)
{
	(void)state;
	check_escape("\x1b[31mred", "\\x1b[31mred");
	check_escape("a\tb", "a\\x09b");
	check_escape("a\nb", "a\\x0ab");
	check_escape("a\rb", "a\\x0db");
	check_escape("\x01"
		     "x",
		     "\\x01x");
	check_escape("del\x7f", "del\\x7f");
}

static void test_escape_space_and_backslash(void **state)
{
	(void)state;
	check_escape("my app", "my\\x20app");
	check_escape(" ", "\\x20");
	check_escape("a\\b", "a\\x5cb");
	/* An escaped-looking name cannot pass for an escape: its backslash is escaped. */
	check_escape("\\x41", "\\x5cx41");
}

static void test_escape_high_bytes(void **state)
{
	(void)state;
	check_escape("\xff", "\\xff");
	check_escape("\x80"
		     "a",
		     "\\x80a");
	/* UTF-8 "café": each byte of the é on its own, lowercase hex. */
	check_escape("caf\xc3\xa9", "caf\\xc3\\xa9");
	check_escape("\xAB\xCD\xEF", "\\xab\\xcd\\xef");
}

static void test_escape_full_and_unterminated(void **state)
{
	struct event e;
	char out[COMM_ESC_MAX + 1];
	size_t n;

	(void)state;
	check_escape("abcdefghijklmno", "abcdefghijklmno");

	/* 16 bytes, no NUL; the bytes after the array ('Z') must not be read into the name. */
	memset(&e, 0, sizeof(e));
	memcpy(e.comm, "ABCDEFGHIJKLMNOP", TASK_COMM_LEN);
	memset(&e.ts_us, 'Z', sizeof(e.ts_us));
	n = escape_comm(e.comm, out, sizeof(out));
	if (strcmp(out, "ABCDEFGHIJKLMNOP") && strcmp(out, "ABCDEFGHIJKLMNO"))
		fail_because("unterminated COMM gave \"%s\"", out);
	assert_int_equal(n, strlen(out));

	/* 16 bytes that all need escaping: 64 characters, exactly COMM_ESC_MAX. */
	memset(e.comm, 0xff, TASK_COMM_LEN);
	n = escape_comm(e.comm, out, sizeof(out));
	assert_true(n == 64 || n == 60);
	assert_int_equal(n, strlen(out));
	assert_int_equal(strspn(out, "\\xf"), n);
}

static void test_escape_exact_fit(void **state)
{
	char out[8];

	(void)state;
	/* "abc" and its NUL need 4 bytes; "a\x09" and its NUL need 6. */
	memset(out, 0x55, sizeof(out));
	assert_int_equal(escape_comm("abc", out, 4), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(escape_comm("a\t", out, 6), 5);
	assert_string_equal(out, "a\\x09");
}

static void test_escape_never_overflows(void **state)
{
	/* Every way the escaped "ab\tcd" can stop without cutting an escape in half. */
	static const char *const prefixes[] = {"", "a", "ab", "ab\\x09", "ab\\x09c", "ab\\x09cd"};
	unsigned char out[32];
	size_t len, n, i, k;

	(void)state;
	for (len = 0; len <= 12; len++) {
		memset(out, 0xaa, sizeof(out));
		n = escape_comm("ab\tcd", (char *)out, len);
		for (i = len; i < sizeof(out); i++)
			if (out[i] != 0xaa)
				fail_because("len %zu: byte %zu written", len, i);
		if (!len)
			continue;
		assert_true(n < len);
		assert_int_equal(out[n], '\0');
		for (k = 0; k < 6; k++)
			if (!strcmp((char *)out, prefixes[k]))
				break;
		if (k == 6)
			fail_because("len %zu: \"%s\" cuts an escape", len, out);
	}
}

static void test_row_comm_full_name(void **state)
{
	struct event e =
		make_event(AF_INET, 77, "abcdefghijklmno", "1.1.1.1", 1, "2.2.2.2", 80, 0, 2500);

	(void)state;
	/* Longer than the 12-character column: printed whole, one space after it. */
	assert_row(false, false, &e,
		   "77    "
		   " "
		   "abcdefghijklmno"
		   " "
		   "4 "
		   " "
		   "1.1.1.1         "
		   " "
		   "2.2.2.2         "
		   " "
		   "80   "
		   " "
		   "2.50"
		   "\n");
}

static void test_row_comm_unterminated(void **state)
{
	struct event e = make_event(AF_INET, 77, "", "1.1.1.1", 1, "2.2.2.2", 80, 0, 2500);
	char line[FMT_LINE_MAX];

	(void)state;
	memcpy(e.comm, "ABCDEFGHIJKLMNOP", TASK_COMM_LEN);
	memset(&e.ts_us, 'Z', sizeof(e.ts_us));
	row(false, false, &e, line, sizeof(line));
	if (strcmp(line, "77    "
			 " "
			 "ABCDEFGHIJKLMNOP"
			 " "
			 "4 "
			 " "
			 "1.1.1.1         "
			 " "
			 "2.2.2.2         "
			 " "
			 "80   "
			 " "
			 "2.50"
			 "\n") &&
	    strcmp(line, "77    "
			 " "
			 "ABCDEFGHIJKLMNO"
			 " "
			 "4 "
			 " "
			 "1.1.1.1         "
			 " "
			 "2.2.2.2         "
			 " "
			 "80   "
			 " "
			 "2.50"
			 "\n"))
		fail_because("unterminated COMM row: \"%s\"", line);
}

static void test_row_comm_empty(void **state)
{
	struct event e = make_event(AF_INET, 5, "", "1.1.1.1", 1, "2.2.2.2", 80, 0, 0);
	char line[FMT_LINE_MAX];

	(void)state;
	assert_row(false, false, &e,
		   "5     "
		   " "
		   "-           "
		   " "
		   "4 "
		   " "
		   "1.1.1.1         "
		   " "
		   "2.2.2.2         "
		   " "
		   "80   "
		   " "
		   "0.00"
		   "\n");
	row(true, true, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 9);
}

static void test_row_comm_escaped(void **state)
{
	struct event e =
		make_event(AF_INET, 5, "my app\t\x1b[2J", "1.1.1.1", 1, "2.2.2.2", 80, 0, 0);
	char line[FMT_LINE_MAX];

	(void)state;
	assert_row(false, false, &e,
		   "5     "
		   " "
		   "my\\x20app\\x09\\x1b[2J"
		   " "
		   "4 "
		   " "
		   "1.1.1.1         "
		   " "
		   "2.2.2.2         "
		   " "
		   "80   "
		   " "
		   "0.00"
		   "\n");
	row(false, false, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 7);
	row(true, true, &e, line, sizeof(line));
	assert_int_equal(awk_fields(line), 9);
	assert_null(strchr(line, '\x1b'));
	assert_null(strchr(line, '\t'));
}

static void test_row_widest_fits(void **state)
{
	struct event e = make_event(
		AF_INET6, 4294967295u, "", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535, 0, 3600000000ULL);
	char want[FMT_LINE_MAX];
	char line[FMT_LINE_MAX];
	int i;

	(void)state;
	/* 15 bytes that each become "\x01": 60 characters. */
	memset(e.comm, 0x01, TASK_COMM_LEN - 1);
	snprintf(want, sizeof(want), "0.000     4294967295 ");
	for (i = 0; i < TASK_COMM_LEN - 1; i++)
		strcat(want, "\\x01");
	strcat(want, " 6  ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535  "
		     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 65535 3600000.00\n");
	row(true, true, &e, line, sizeof(line));
	assert_string_equal(line, want);
	assert_int_equal(strlen(line), 189);
}

static void test_row_small_buffer(void **state)
{
	struct event e = curl_v4();
	char buf[64];
	struct formatter f;
	size_t n, i;

	(void)state;
	memset(buf, 0x55, sizeof(buf));
	fmt_init(&f, false, false);
	n = fmt_event(&f, &e, buf, 20);
	/* Cut, but still one terminated line inside the 20 bytes. */
	assert_int_equal(n, 19);
	assert_int_equal(buf[18], '\n');
	assert_int_equal(buf[19], '\0');
	assert_memory_equal(buf, "181    curl       ", 18);
	for (i = 20; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x55);
}

/* ---- -r and -x: SYNRTX and RESULT after LAT(ms) ---- */

static size_t row_xr(bool timestamp, bool lport, bool syn_retrans, bool result,
		     const struct event *e, char *buf, size_t len)
{
	struct formatter f;

	fmt_init(&f, timestamp, lport);
	f.syn_retrans = syn_retrans;
	f.result = result;
	return e ? fmt_event(&f, e, buf, len) : fmt_header(&f, buf, len);
}

static void test_header_synrtx_result(void **state)
{
	char line[FMT_LINE_MAX];

	(void)state;
	row_xr(false, false, true, false, NULL, line, sizeof(line));
	assert_string_equal(line, "PID    COMM         IP SADDR            DADDR            DPORT "
				  "LAT(ms) SYNRTX\n");
	row_xr(false, false, false, true, NULL, line, sizeof(line));
	assert_string_equal(line, "PID    COMM         IP SADDR            DADDR            DPORT "
				  "LAT(ms) RESULT\n");
	row_xr(true, true, true, true, NULL, line, sizeof(line));
	assert_string_equal(line, "TIME(s)   PID    COMM         IP SADDR            LPORT  DADDR  "
				  "          DPORT LAT(ms) SYNRTX RESULT\n");
}

static void test_row_synrtx_result(void **state)
{
	struct event e = curl_v4();
	char line[FMT_LINE_MAX];

	(void)state;
	e.syn_retrans = 2;
	row_xr(false, false, true, true, &e, line, sizeof(line));
	assert_string_equal(line, "181    curl         4  10.0.0.5         93.184.216.34    443   "
				  "123.46  2      ok\n");
	e.failed = 1;
	e.err = ETIMEDOUT;
	row_xr(false, true, false, true, &e, line, sizeof(line));
	assert_string_equal(line, "181    curl         4  10.0.0.5         51234  93.184.216.34    "
				  "443   123.46  timeout\n");
}

static void test_no_trailing_blank_any_columns(void **state)
{
	struct event e = curl_v4();
	char head[FMT_LINE_MAX], line[FMT_LINE_MAX];
	int m;

	(void)state;
	for (m = 0; m < 16; m++) {
		bool t = m & 1, l = m & 2, r = m & 4, x = m & 8;
		size_t n;

		n = row_xr(t, l, r, x, NULL, head, sizeof(head));
		if (head[n - 2] == ' ')
			fail_because("header ends with a blank: \"%s\"", head);
		n = row_xr(t, l, r, x, &e, line, sizeof(line));
		if (line[n - 2] == ' ')
			fail_because("row ends with a blank: \"%s\"", line);
		assert_int_equal(awk_fields(head), awk_fields(line));
		assert_int_equal(awk_fields(line), 7 + t + l + r + x);
	}
}

static void check_result(int failed, int err, const char *want)
{
	struct event e = curl_v4();
	char buf[64];

	e.failed = failed;
	e.err = err;
	assert_int_equal(fmt_result(&e, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

static void test_result_names(void **state)
{
	(void)state;
	check_result(0, 0, "ok");
	check_result(0, ECONNREFUSED, "ok"); /* not failed: err is not looked at */
	check_result(1, 0, "aborted");
	check_result(1, ECONNREFUSED, "refused");
	check_result(1, ETIMEDOUT, "timeout");
	check_result(1, EHOSTUNREACH, "unreach");
	check_result(1, ENETUNREACH, "unreach");
	check_result(1, EADDRNOTAVAIL, "error:EADDRNOTAVAIL");
	check_result(1, EAFNOSUPPORT, "error:EAFNOSUPPORT");
	check_result(1, 4000, "error:4000");
}

static void test_result_small_buffer(void **state)
{
	struct event e = curl_v4();
	char buf[8];
	size_t len;

	(void)state;
	e.failed = 1;
	e.err = EADDRNOTAVAIL;
	for (len = 0; len < 4; len++) {
		memset(buf, '#', sizeof(buf));
		assert_true(fmt_result(&e, buf, len) <= (len ? len - 1 : 0));
		assert_int_equal(buf[len], '#');
		if (len)
			assert_int_equal(buf[strlen(buf)], '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_plain),
		cmocka_unit_test(test_header_timestamp),
		cmocka_unit_test(test_header_lport),
		cmocka_unit_test(test_header_timestamp_lport),
		cmocka_unit_test(test_header_field_counts),
		cmocka_unit_test(test_row_ipv4_plain),
		cmocka_unit_test(test_row_ipv4_timestamp),
		cmocka_unit_test(test_row_ipv4_lport),
		cmocka_unit_test(test_row_ipv4_timestamp_lport),
		cmocka_unit_test(test_row_ipv4_loopback),
		cmocka_unit_test(test_row_ipv4_uses_first_four_bytes),
		cmocka_unit_test(test_row_ipv4_widest_address),
		cmocka_unit_test(test_row_ipv4_field_counts),
		cmocka_unit_test(test_row_ipv6_plain),
		cmocka_unit_test(test_row_ipv6_timestamp),
		cmocka_unit_test(test_row_ipv6_lport),
		cmocka_unit_test(test_row_ipv6_timestamp_lport),
		cmocka_unit_test(test_row_ipv6_loopback_and_long),
		cmocka_unit_test(test_row_ipv6_field_counts),
		cmocka_unit_test(test_row_unknown_family),
		cmocka_unit_test(test_row_ports_host_order),
		cmocka_unit_test(test_row_latency_two_decimals),
		cmocka_unit_test(test_time_from_first_event),
		cmocka_unit_test(test_time_out_of_order_is_negative),
		cmocka_unit_test(test_time_header_is_not_an_event),
		cmocka_unit_test(test_time_per_formatter),
		cmocka_unit_test(test_escape_printable_kept),
		cmocka_unit_test(test_escape_control_bytes),
		cmocka_unit_test(test_escape_space_and_backslash),
		cmocka_unit_test(test_escape_high_bytes),
		cmocka_unit_test(test_escape_full_and_unterminated),
		cmocka_unit_test(test_escape_exact_fit),
		cmocka_unit_test(test_escape_never_overflows),
		cmocka_unit_test(test_row_comm_full_name),
		cmocka_unit_test(test_row_comm_unterminated),
		cmocka_unit_test(test_row_comm_empty),
		cmocka_unit_test(test_row_comm_escaped),
		cmocka_unit_test(test_row_widest_fits),
		cmocka_unit_test(test_row_small_buffer),
		cmocka_unit_test(test_header_synrtx_result),
		cmocka_unit_test(test_row_synrtx_result),
		cmocka_unit_test(test_no_trailing_blank_any_columns),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_result_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

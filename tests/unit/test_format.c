// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Unit tests for the text lines (format.h): header, rows, TIME(s), addresses, COMM escaping,
 * RESULT. Most cases are rows of tables; each table's loop checks every row the same way
 * and names the row that fails. What a table cannot say (buffers too small, bytes past an
 * array, formatters that keep state) has a function of its own.
 */
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

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The optional columns a case turns on; each adds one awk field to the default 7. */
enum { COL_T = 1, COL_L = 2, COL_R = 4, COL_X = 8, COL_ALL = 15 };

/* What goes into a struct event; the addresses as text. */
struct ev {
	int af;
	uint32_t tgid;
	const char *comm;
	const char *saddr;
	uint16_t lport;
	const char *daddr;
	uint16_t dport;
	uint64_t ts_us;
	uint64_t delta_us;
};

/* curl 10.0.0.5:51234 -> 93.184.216.34:443 in 123.456 ms. */
#define CURL_V4 AF_INET, 181, "curl", "10.0.0.5", 51234, "93.184.216.34", 443, 5000000, 123456
/* nginx [2001:db8::10]:80 -> [2001:db8:0:1::53]:8080 in 1 ms. */
#define NGINX_V6 \
	AF_INET6, 4194304, "nginx", "2001:db8::10", 80, "2001:db8:0:1::53", 8080, 7000000, 1000

static void set_addr(int af, __u8 *dst, const char *text)
{
	if (inet_pton(af, text, dst) != 1)
		fail_because("bad test address %s", text);
}

static struct event make_event(const struct ev *s)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.af = s->af;
	e.tgid = s->tgid;
	memcpy(e.comm, s->comm, strnlen(s->comm, sizeof(e.comm)));
	if (s->af == AF_INET || s->af == AF_INET6) {
		set_addr(s->af, e.saddr, s->saddr);
		set_addr(s->af, e.daddr, s->daddr);
	}
	e.lport = s->lport;
	e.dport = s->dport;
	e.ts_us = s->ts_us;
	e.delta_us = s->delta_us;
	return e;
}

static struct event curl_v4(void)
{
	return make_event(&(struct ev){CURL_V4});
}

static void fmt_cols(struct formatter *f, unsigned int cols)
{
	fmt_init(f, cols & COL_T, cols & COL_L);
	f->syn_retrans = cols & COL_R;
	f->result = cols & COL_X;
}

/* The header (e NULL) or e's row with the columns cols, from a fresh formatter. */
static size_t line_of(unsigned int cols, const struct event *e, char *buf, size_t len)
{
	struct formatter f;

	fmt_cols(&f, cols);
	return e ? fmt_event(&f, e, buf, len) : fmt_header(&f, buf, len);
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

static int bits(unsigned int cols)
{
	return __builtin_popcount(cols);
}

/*
 * What holds for every header and row: the length returned is the line's, one newline ends
 * it and no blank before it, no control byte, and one awk field per column.
 */
static void check_line(const char *name, unsigned int cols, const char *line, size_t n)
{
	const char *p;

	assert_int_equal(n, strlen(line));
	assert_true(n >= 2 && line[n - 1] == '\n');
	if (line[n - 2] == ' ')
		fail_because("%s: ends with a blank: \"%s\"", name, line);
	for (p = line; p < line + n - 1; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_because("%s: control byte 0x%02x in \"%s\"", name, (unsigned char)*p,
				     line);
	assert_int_equal(awk_fields(line), 7 + bits(cols));
}

static void check_equal(const char *name, const char *got, const char *want)
{
	if (strcmp(got, want))
		fail_because("%s:\n#  got \"%s\"\n# want \"%s\"", name, got, want);
	assert_string_equal(got, want);
}

/* ---- the header ---- */

static const struct header_case {
	unsigned int cols;
	const char *want; /* written out by hand from BCC's widths */
} headers[] = {
	/* 6+1+12+1+2+1+16+1+16+1+5+1+7 characters and the newline: 71. */
	{0, "PID    COMM         IP SADDR            DADDR            DPORT LAT(ms)\n"},
	{COL_T,
	 "TIME(s)   PID    COMM         IP SADDR            DADDR            DPORT LAT(ms)\n"},
	{COL_L, "PID    COMM         IP SADDR            LPORT  DADDR            DPORT LAT(ms)\n"},
	{COL_T | COL_L, "TIME(s)   PID    COMM         IP SADDR            LPORT  DADDR            "
			"DPORT LAT(ms)\n"},
	{COL_R, "PID    COMM         IP SADDR            DADDR            DPORT LAT(ms) SYNRTX\n"},
	{COL_X, "PID    COMM         IP SADDR            DADDR            DPORT LAT(ms) RESULT\n"},
	{COL_ALL, "TIME(s)   PID    COMM         IP SADDR            LPORT  DADDR            DPORT "
		  "LAT(ms) SYNRTX RESULT\n"},
};

/* Each table's cases are tests of their own (main() lists them): state is the case. */
static void test_header(void **state)
{
	const struct header_case *c = *state;
	char line[FMT_LINE_MAX];
	size_t n;

	n = line_of(c->cols, NULL, line, sizeof(line));
	check_equal("header", line, c->want);
	check_line("header", c->cols, line, n);
}

/* ---- rows ---- */

/* What a struct ev cannot say. */
enum tweak {
	PLAIN,
	V4_TAIL,   /* bytes after the IPv4 addresses in their 16-byte fields */
	AF_BYTES,  /* address bytes that would be valid in either family */
	COMM_FULL, /* 16 COMM bytes and no NUL, the bytes after the array 'Z' */
};

/* One case in two lines or three: what it formats, then the line it wants. */
/* clang-format off */
static const struct row_case {
	const char *name;
	struct ev ev;
	enum tweak tweak;
	unsigned int cols;
	uint8_t syn_retrans;
	uint8_t failed;
	int err;
	const char *also; /* another acceptable line, or NULL */
	const char *want; /* always given by name, so that the fields left out are 0 */
} rows[] = {
	{"IPv4", {CURL_V4}, PLAIN, 0,
	 .want = "181    curl         4  10.0.0.5         93.184.216.34    443   123.46\n"},
	{"IPv4 -t", {CURL_V4}, PLAIN, COL_T,
	 .want = "0.000     181    curl         4  10.0.0.5         93.184.216.34    443   "
		 "123.46\n"},
	{"IPv4 -L", {CURL_V4}, PLAIN, COL_L,
	 .want = "181    curl         4  10.0.0.5         51234  93.184.216.34    443   123.46\n"},
	{"IPv4 -t -L", {CURL_V4}, PLAIN, COL_T | COL_L,
	 .want = "0.000     181    curl         4  10.0.0.5         51234  93.184.216.34    443   "
		 "123.46\n"},
	/* The README's sample line. */
	{"IPv4 loopback", {AF_INET, 4529, "python3", "127.0.0.1", 41000, "127.0.0.1", 5432, 1, 150},
	 PLAIN, 0,
	 .want = "4529   python3      4  127.0.0.1        127.0.0.1        5432  0.15\n"},
	/* Whatever follows the IPv4 address in the 16-byte field is not part of it. */
	{"IPv4, the first four bytes only", {CURL_V4}, V4_TAIL, 0,
	 .want = "181    curl         4  10.0.0.5         93.184.216.34    443   123.46\n"},
	{"IPv4 widest addresses",
	 {AF_INET, 1, "a", "255.255.255.255", 1, "192.168.100.200", 65535, 0, 0}, PLAIN, COL_L,
	 .want = "1      a            4  255.255.255.255  1      192.168.100.200  65535 0.00\n"},
	/* A 7-digit PID and a 16-character address fill their columns and push on. */
	{"IPv6", {NGINX_V6}, PLAIN, 0,
	 .want = "4194304 nginx        6  2001:db8::10     2001:db8:0:1::53 8080  1.00\n"},
	{"IPv6 -t", {NGINX_V6}, PLAIN, COL_T,
	 .want = "0.000     4194304 nginx        6  2001:db8::10     2001:db8:0:1::53 8080  "
		 "1.00\n"},
	{"IPv6 -L", {NGINX_V6}, PLAIN, COL_L,
	 .want = "4194304 nginx        6  2001:db8::10     80     2001:db8:0:1::53 8080  1.00\n"},
	{"IPv6 -t -L", {NGINX_V6}, PLAIN, COL_T | COL_L,
	 .want = "0.000     4194304 nginx        6  2001:db8::10     80     2001:db8:0:1::53 8080  "
		 "1.00\n"},
	{"IPv6 loopback", {AF_INET6, 4529, "python3", "::1", 1, "::1", 6379, 0, 180}, PLAIN, 0,
	 .want = "4529   python3      6  ::1              ::1              6379  0.18\n"},
	/* A 38-character address is not cut: the columns after it move right. */
	{"IPv6 longest address",
	 {AF_INET6, 2, "b", "fe80::1", 1, "2001:db8:1234:5678:9abc:def0:1234:5678", 22, 0, 999},
	 PLAIN, 0,
	 .want = "2      b            6  fe80::1          2001:db8:1234:5678:9abc:def0:1234:5678 "
		 "22    1.00\n"},
	{"IPv4-mapped IPv6", {AF_INET6, 3, "c", "::ffff:10.1.2.3", 1, "2001:db8::", 53, 0, 6},
	 PLAIN, 0,
	 .want = "3      c            6  ::ffff:10.1.2.3  2001:db8::       53    0.01\n"},
	/* Bytes that would make a valid address of either family must not be printed. */
	{"family 0", {0, 1, "x", NULL, 7, NULL, 1, 0, 0}, AF_BYTES, 0,
	 .want = "1      x            ?  ?                ?                1     0.00\n"},
	{"family 99 -L", {99, 1, "x", NULL, 7, NULL, 1, 0, 0}, AF_BYTES, COL_L,
	 .want = "1      x            ?  ?                7      ?                1     0.00\n"},
	/* 0x1234 = 4660, 0x0102 = 258: printed as given, not byte-swapped. */
	{"ports in host order", {AF_INET, 9, "p", "1.2.3.4", 0x1234, "5.6.7.8", 0x0102, 0, 0},
	 PLAIN, COL_L,
	 .want = "9      p            4  1.2.3.4          4660   5.6.7.8          258   0.00\n"},
	{"ports 65535 and 0", {AF_INET, 9, "p", "1.2.3.4", 65535, "5.6.7.8", 0, 0, 0}, PLAIN, COL_L,
	 .want = "9      p            4  1.2.3.4          65535  5.6.7.8          0     0.00\n"},
	/* Longer than the 12-character column: printed whole, one space after it. */
	{"COMM of 15 bytes", {AF_INET, 77, "abcdefghijklmno", "1.1.1.1", 1, "2.2.2.2", 80, 0, 2500},
	 PLAIN, 0,
	 .want = "77     abcdefghijklmno 4  1.1.1.1          2.2.2.2          80    2.50\n"},
	/* The bytes after the array ('Z') must not be read into the name. */
	{"COMM of 16 bytes, no NUL", {AF_INET, 77, "", "1.1.1.1", 1, "2.2.2.2", 80, 0, 2500},
	 COMM_FULL, 0,
	 .also = "77     ABCDEFGHIJKLMNO 4  1.1.1.1          2.2.2.2          80    2.50\n",
	 .want = "77     ABCDEFGHIJKLMNOP 4  1.1.1.1          2.2.2.2          80    2.50\n"},
	{"empty COMM", {AF_INET, 5, "", "1.1.1.1", 1, "2.2.2.2", 80, 0, 0}, PLAIN, 0,
	 .want = "5      -            4  1.1.1.1          2.2.2.2          80    0.00\n"},
	{"COMM escaped", {AF_INET, 5, "my app\t\x1b[2J", "1.1.1.1", 1, "2.2.2.2", 80, 0, 0},
	 PLAIN, 0,
	 .want = "5      my\\x20app\\x09\\x1b[2J 4  1.1.1.1          2.2.2.2          80    "
		 "0.00\n"},
	{"-r", {CURL_V4}, PLAIN, COL_R | COL_X, .syn_retrans = 2,
	 .want = "181    curl         4  10.0.0.5         93.184.216.34    443   123.46  2      "
		 "ok\n"},
	{"-x, a timeout", {CURL_V4}, PLAIN, COL_L | COL_X,
	 .syn_retrans = 2, .failed = 1, .err = ETIMEDOUT,
	 .want = "181    curl         4  10.0.0.5         51234  93.184.216.34    443   123.46  "
		 "timeout\n"},
};
/* clang-format on */

static struct event row_event(const struct row_case *c)
{
	struct event e = make_event(&c->ev);

	e.syn_retrans = c->syn_retrans;
	e.failed = c->failed;
	e.err = c->err;
	switch (c->tweak) {
	case V4_TAIL:
		memset(e.saddr + 4, 0xff, 12);
		memset(e.daddr + 4, 0x7f, 12);
		break;
	case AF_BYTES:
		e.saddr[0] = 10;
		e.daddr[0] = 10;
		break;
	case COMM_FULL:
		memcpy(e.comm, "ABCDEFGHIJKLMNOP", TASK_COMM_LEN);
		memset(&e.ts_us, 'Z', sizeof(e.ts_us));
		break;
	case PLAIN:
		break;
	}
	return e;
}

static void test_row(void **state)
{
	const struct row_case *c = *state;
	struct event e = row_event(c);
	char line[FMT_LINE_MAX], name[32];
	unsigned int cols;
	size_t n;

	n = line_of(c->cols, &e, line, sizeof(line));
	check_line(c->name, c->cols, line, n);
	if (!c->also || strcmp(line, c->also))
		check_equal(c->name, line, c->want);
	/* And with every set of columns: as many fields as the header, no blank at the end, no
	 * control byte. */
	for (cols = 0; cols <= COL_ALL; cols++) {
		snprintf(name, sizeof(name), "columns %#x", cols);
		n = line_of(cols, &e, line, sizeof(line));
		check_line(name, cols, line, n);
	}
}

/* The line at its widest: every column full, COMM all escapes. */
static void test_row_widest_fits(void **state)
{
	struct ev s = {AF_INET6,     4294967295u,
		       "",	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		       65535,	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
		       65535,	     0,
		       3600000000ULL};
	struct event e = make_event(&s);
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
	line_of(COL_T | COL_L, &e, line, sizeof(line));
	assert_string_equal(line, want);
	assert_int_equal(strlen(line), 189);
}

static void test_row_small_buffer(void **state)
{
	struct event e = curl_v4();
	char buf[64];
	size_t n, i;

	(void)state;
	memset(buf, 0x55, sizeof(buf));
	n = line_of(0, &e, buf, 20);
	/* Cut, but still one terminated line inside the 20 bytes. */
	assert_int_equal(n, 19);
	assert_int_equal(buf[18], '\n');
	assert_int_equal(buf[19], '\0');
	assert_memory_equal(buf, "181    curl       ", 18);
	for (i = 20; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x55);
}

/* ---- LAT(ms): two decimals ---- */

static const struct latency_case {
	uint64_t delta_us;
	const char *end;
} latencies[] = {
	{0, "443   0.00\n"},	{4, "443   0.00\n"},	    {6, "443   0.01\n"},
	{150, "443   0.15\n"},	{999, "443   1.00\n"},	    {1000, "443   1.00\n"},
	{1234, "443   1.23\n"}, {123456, "443   123.46\n"}, {3600000000ULL, "443   3600000.00\n"},
};

static void test_latency(void **state)
{
	const struct latency_case *c = *state;
	struct event e = curl_v4();
	char line[FMT_LINE_MAX];
	size_t n, k;

	e.delta_us = c->delta_us;
	n = line_of(0, &e, line, sizeof(line));
	check_line("latency", 0, line, n);
	k = strlen(c->end);
	assert_true(n >= k);
	check_equal("latency", line + n - k, c->end);
}

/* ---- TIME(s): seconds since the formatter's first event ---- */

/* One event at ts_us through f; its line must start with want. */
static void next_time(struct formatter *f, uint64_t ts_us, const char *want)
{
	struct event e = curl_v4();
	char line[FMT_LINE_MAX];
	size_t n;

	e.ts_us = ts_us;
	n = fmt_event(f, &e, line, sizeof(line));
	check_line("TIME(s)", COL_T, line, n);
	assert_true(n >= strlen(want));
	line[strlen(want)] = '\0';
	check_equal("TIME(s)", line, want);
}

static void test_time_from_first_event(void **state)
{
	static const struct {
		uint64_t ts_us;
		const char *want;
	} steps[] = {
		{5000000, "0.000     181 "},
		{5000000, "0.000     181 "},
		{6234567, "1.235     181 "},
		{7000000, "2.000     181 "},
		{5000999, "0.001     181 "},
		{128456789, "123.457   181 "},
		{3605000000ULL, "3600.000  181 "},
		/* From another CPU, before the first event: negative. */
		{4999000, "-0.001    181 "},
		{3500000, "-1.500    181 "},
	};
	struct formatter f;
	size_t i;

	(void)state;
	fmt_cols(&f, COL_T);
	for (i = 0; i < N_ELEMS(steps); i++)
		next_time(&f, steps[i].ts_us, steps[i].want);
}

static void test_time_header_is_not_an_event(void **state)
{
	struct formatter f;
	char line[FMT_LINE_MAX];

	(void)state;
	fmt_cols(&f, COL_T);
	fmt_header(&f, line, sizeof(line));
	next_time(&f, 9000000, "0.000     181 ");
	next_time(&f, 9500000, "0.500     181 ");
}

static void test_time_per_formatter(void **state)
{
	struct formatter a, b;

	(void)state;
	fmt_cols(&a, COL_T);
	fmt_cols(&b, COL_T);
	next_time(&a, 1000000, "0.000     181 ");
	next_time(&b, 3000000, "0.000     181 ");
	next_time(&a, 4000000, "3.000     181 ");
	next_time(&b, 4000000, "1.000     181 ");
	/* fmt_init() starts the count again. */
	fmt_cols(&a, COL_T);
	next_time(&a, 8000000, "0.000     181 ");
	next_time(&a, 8250000, "0.250     181 ");
}

/* ---- COMM escaping ---- */

static const struct escape_case {
	const char *comm, *want;
} escapes[] = {
	{"bash", "bash"},
	{"kworker/0:1", "kworker/0:1"},
	/* The ends of the printable range: '!' (0x21) and '~' (0x7e). */
	{"!~", "!~"},
	{"a-b_c.d[1]{2}\"'", "a-b_c.d[1]{2}\"'"},
	{"", ""},
	{"abcdefghijklmno", "abcdefghijklmno"},
	{"\x1b[31mred", "\\x1b[31mred"},
	{"a\tb", "a\\x09b"},
	{"a\nb", "a\\x0ab"},
	{"a\rb", "a\\x0db"},
	{"\x01"
	 "x",
	 "\\x01x"},
	{"del\x7f", "del\\x7f"},
	{"my app", "my\\x20app"},
	{" ", "\\x20"},
	{"a\\b", "a\\x5cb"},
	/* An escaped-looking name cannot pass for an escape: its backslash is escaped. */
	{"\\x41", "\\x5cx41"},
	{"\xff", "\\xff"},
	{"\x80"
	 "a",
	 "\\x80a"},
	/* UTF-8 "café": each byte of the é on its own, lowercase hex. */
	{"caf\xc3\xa9", "caf\\xc3\\xa9"},
	{"\xAB\xCD\xEF", "\\xab\\xcd\\xef"},
};

static void test_escape(void **state)
{
	const struct escape_case *c = *state;
	char out[COMM_ESC_MAX + 1];
	size_t n;

	memset(out, 0x55, sizeof(out));
	n = escape_comm(c->comm, out, sizeof(out));
	check_equal("escape", out, c->want);
	assert_int_equal(n, strlen(c->want));
}

static void test_escape_unterminated(void **state)
{
	struct event e;
	char out[COMM_ESC_MAX + 1];
	size_t n;

	(void)state;
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
		for (k = 0; k < N_ELEMS(prefixes); k++)
			if (!strcmp((char *)out, prefixes[k]))
				break;
		if (k == N_ELEMS(prefixes))
			fail_because("len %zu: \"%s\" cuts an escape", len, out);
	}
}

/* ---- RESULT ---- */

static const struct result_case {
	uint8_t failed;
	int err;
	const char *want;
} results[] = {
	{0, 0, "ok"},
	{0, ECONNREFUSED, "ok"}, /* not failed: err is not looked at */
	{1, 0, "aborted"},
	{1, ECONNREFUSED, "refused"},
	{1, ETIMEDOUT, "timeout"},
	{1, EHOSTUNREACH, "unreach"},
	{1, ENETUNREACH, "unreach"},
	{1, EADDRNOTAVAIL, "error:EADDRNOTAVAIL"},
	{1, EAFNOSUPPORT, "error:EAFNOSUPPORT"},
	{1, 4000, "error:4000"},
};

static void test_result(void **state)
{
	const struct result_case *c = *state;
	struct event e = curl_v4();
	char buf[64];

	e.failed = c->failed;
	e.err = c->err;
	assert_int_equal(fmt_result(&e, buf, sizeof(buf)), strlen(c->want));
	check_equal("RESULT", buf, c->want);
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

/* A case name of the tests main() makes from the tables. */
#define NAME_MAX_LEN 96
#define NCASES                                                                      \
	(N_ELEMS(headers) + N_ELEMS(rows) + N_ELEMS(latencies) + N_ELEMS(escapes) + \
	 N_ELEMS(results) + N_ELEMS(others))

static const struct CMUnitTest others[] = {
	cmocka_unit_test(test_row_widest_fits),
	cmocka_unit_test(test_row_small_buffer),
	cmocka_unit_test(test_time_from_first_event),
	cmocka_unit_test(test_time_header_is_not_an_event),
	cmocka_unit_test(test_time_per_formatter),
	cmocka_unit_test(test_escape_unterminated),
	cmocka_unit_test(test_escape_exact_fit),
	cmocka_unit_test(test_escape_never_overflows),
	cmocka_unit_test(test_result_small_buffer),
};

static struct CMUnitTest tests[NCASES];
static char names[NCASES][NAME_MAX_LEN];
static size_t ntests;

/* One test: fn with the case as its state, named printf-style. */
static void add_case(void (*fn)(void **), const void *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(names[ntests], NAME_MAX_LEN, fmt, ap);
	va_end(ap);
	tests[ntests] = (struct CMUnitTest){
		.name = names[ntests], .test_func = fn, .initial_state = (void *)c};
	ntests++;
}

/* The escaped form as a name: printable, and TAP must not see a '#'. */
static const char *printable(const char *s, char *buf, size_t len)
{
	escape_comm(s, buf, len);
	return buf;
}

int main(void)
{
	char esc[COMM_ESC_MAX + 1];
	size_t i;

	for (i = 0; i < N_ELEMS(headers); i++)
		add_case(test_header, &headers[i], "header, columns %#x", headers[i].cols);
	for (i = 0; i < N_ELEMS(rows); i++)
		add_case(test_row, &rows[i], "row: %s", rows[i].name);
	for (i = 0; i < N_ELEMS(latencies); i++)
		add_case(test_latency, &latencies[i], "LAT(ms) of %llu us",
			 (unsigned long long)latencies[i].delta_us);
	for (i = 0; i < N_ELEMS(escapes); i++)
		add_case(test_escape, &escapes[i], "COMM escaped: %s",
			 printable(escapes[i].comm, esc, sizeof(esc)));
	for (i = 0; i < N_ELEMS(results); i++)
		add_case(test_result, &results[i], "RESULT of failed=%u errno=%d: %s",
			 results[i].failed, results[i].err, results[i].want);
	for (i = 0; i < N_ELEMS(others); i++)
		tests[ntests++] = others[i];
	return _cmocka_run_group_tests("tests", tests, ntests, NULL, NULL);
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Unit tests for args.c: parse_args() and backend_name(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "unit.h"
#include "args.h"
#include "checks.h"
#include "hist.h"

#define MAX_ARGS 16

/* One parse_args() call: what it returned and what it printed. */
struct parsed {
	enum parse_result res;
	struct config cfg;
	char *argv[MAX_ARGS + 2];
	char *out;
	size_t out_len;
	char *err;
	size_t err_len;
};

static struct parsed P;

static void parsed_free(void)
{
	free(P.out);
	free(P.err);
	P.out = P.err = NULL;
}

static int teardown(void **state)
{
	(void)state;
	parsed_free();
	return 0;
}

/* Parses "tcpconnlat" followed by the NULL-terminated args into P. */
static void parse_list(const char *const *args)
{
	FILE *out, *err;
	int argc = 0;

	parsed_free();
	P.argv[argc++] = "tcpconnlat";
	for (; *args; args++) {
		assert_true(argc <= MAX_ARGS);
		P.argv[argc++] = (char *)*args;
	}
	P.argv[argc] = NULL;
	out = open_memstream(&P.out, &P.out_len);
	err = open_memstream(&P.err, &P.err_len);
	assert_non_null(out);
	assert_non_null(err);
	P.res = parse_args(argc, P.argv, &P.cfg, out, err);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(fclose(err), 0);
}

#define PARSE(...) parse_list((const char *const[]){__VA_ARGS__, NULL})

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* s with its newlines shown as "\\n", for a one-line diagnostic. */
static const char *one_line(const char *s)
{
	static char buf[1024];
	size_t pos = 0;

	for (; *s && pos + 3 < sizeof(buf); s++) {
		if (*s == '\n') {
			buf[pos++] = '\\';
			buf[pos++] = 'n';
		} else {
			buf[pos++] = *s;
		}
	}
	buf[pos] = '\0';
	return buf;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_because("\"%s\" does not contain \"%s\"", one_line(haystack), needle);
}

/* A successful parse: PARSE_RUN and nothing printed anywhere. */
static void assert_run(void)
{
	assert_string_equal(P.err, "");
	assert_string_equal(P.out, "");
	assert_int_equal(P.res, PARSE_RUN);
}

/* A usage error: exactly one line on err that contains needle, nothing on out. */
static void assert_usage(const char *needle)
{
	assert_int_equal(P.res, PARSE_USAGE);
	assert_string_equal(P.out, "");
	assert_true(P.err_len > 0);
	if (count_char(P.err, '\n') != 1 || P.err[P.err_len - 1] != '\n')
		fail_because("expected exactly one error line, got %d: \"%s\"",
			     count_char(P.err, '\n'), one_line(P.err));
	assert_contains(P.err, needle);
}

/* Like assert_usage(), for a value or an option that the line must quote: 'value'. */
static void assert_usage_quoted(const char *value)
{
	char quoted[128];

	snprintf(quoted, sizeof(quoted), "'%s'", value);
	assert_usage(quoted);
}

static void assert_default_config(const struct config *c)
{
	assert_int_equal(c->pid, 0);
	assert_int_equal(c->min_us, 0);
	assert_int_equal(c->af, 0);
	assert_false(c->timestamp);
	assert_false(c->lport);
	assert_false(c->verbose);
	assert_int_equal(c->backend, BACKEND_AUTO);
	assert_null(c->btf_path);
	assert_false(c->report_failed);
	assert_false(c->syn_retrans);
	assert_false(c->json);
	assert_false(c->hist);
	assert_int_equal(c->hist_by, HIST_BY_NONE);
	assert_int_equal(c->interval, 0);
	assert_int_equal(c->count, 0);
	assert_int_equal(c->duration, 0);
	assert_int_equal(c->ndports, 0);
	assert_int_equal(c->daddr_af, 0);
	assert_false(c->filter_uid);
	assert_null(c->comm);
	assert_null(c->cgroup_path);
}

/* ---- no options ---- */

static void test_no_args_defaults(void **state)
{
	(void)state;
	parse_list((const char *const[]){NULL});
	assert_run();
	assert_default_config(&P.cfg);
}

static void test_config_is_reset(void **state)
{
	(void)state;
	/* Whatever the caller's struct held before, unset options get their defaults. */
	memset(&P.cfg, 0xa5, sizeof(P.cfg));
	parse_list((const char *const[]){NULL});
	assert_run();
	assert_default_config(&P.cfg);
}

/* ---- MIN_MS ---- */

static void check_min_ms(const char *arg, uint64_t want_us)
{
	PARSE(arg);
	if (P.res != PARSE_RUN)
		fail_because("MIN_MS '%s' refused: %s", arg, P.err);
	assert_run();
	if (P.cfg.min_us != want_us)
		fail_because("MIN_MS '%s': min_us %llu, want %llu", arg,
			     (unsigned long long)P.cfg.min_us, (unsigned long long)want_us);
	assert_int_equal(P.cfg.pid, 0);
}

static void test_min_ms_integer(void **state)
{
	(void)state;
	check_min_ms("1", 1000);
	check_min_ms("0", 0);
	check_min_ms("10", 10000);
	check_min_ms("007", 7000);
	check_min_ms("250", 250000);
}

static void test_min_ms_decimal(void **state)
{
	(void)state;
	check_min_ms("0.1", 100);
	check_min_ms("1.5", 1500);
	check_min_ms(".5", 500);
	check_min_ms("5.", 5000);
	check_min_ms("0.001", 1);
	check_min_ms("2.75", 2750);
	check_min_ms("0.0", 0);
}

static void test_min_ms_rounds_to_us(void **state)
{
	(void)state;
	check_min_ms("0.0004", 0);
	check_min_ms("0.0006", 1);
	check_min_ms("1.2344", 1234);
	check_min_ms("1.2346", 1235);
	check_min_ms("0.9999", 1000);
	check_min_ms("0.00001", 0);
}

static void test_min_ms_range(void **state)
{
	(void)state;
	check_min_ms("3600000", 3600000000ULL);
	check_min_ms("3600000.0", 3600000000ULL);
	check_min_ms("3599999.999", 3599999999ULL);
}

static void check_min_ms_refused(const char *arg)
{
	PARSE(arg);
	assert_usage_quoted(arg);
}

static void test_min_ms_out_of_range(void **state)
{
	(void)state;
	check_min_ms_refused("3600001");
	check_min_ms_refused("3600000.1");
	check_min_ms_refused("99999999999999999999");
	check_min_ms_refused("100000000000000000000000000000000000000000000");
}

static void test_min_ms_not_a_number(void **state)
{
	(void)state;
	check_min_ms_refused("abc");
	check_min_ms_refused("1ms");
	check_min_ms_refused("");
	check_min_ms_refused(".");
	check_min_ms_refused("1.2.3");
	check_min_ms_refused("1,5");
	check_min_ms_refused("..5");
}

static void test_min_ms_no_exponent_inf_nan_hex(void **state)
{
	(void)state;
	check_min_ms_refused("1e3");
	check_min_ms_refused("1E3");
	check_min_ms_refused("1.5e-1");
	check_min_ms_refused("inf");
	check_min_ms_refused("INF");
	check_min_ms_refused("infinity");
	check_min_ms_refused("nan");
	check_min_ms_refused("NAN");
	check_min_ms_refused("0x10");
	check_min_ms_refused("0X1p3");
}

static void test_min_ms_no_sign_or_space(void **state)
{
	(void)state;
	check_min_ms_refused("+1");
	check_min_ms_refused(" 1");
	check_min_ms_refused("1 ");
	/* Control bytes are named escaped, so the error stays one readable line. */
	PARSE("\t1");
	assert_usage_quoted("\\x091");
	/* "-1" looks like an option to getopt: either way it is refused and named. */
	check_min_ms_refused("-1");
}

/* The one error line stays one line even when the offending value holds a newline. */
static void test_error_line_value_with_newline(void **state)
{
	(void)state;
	PARSE("1\n");
	assert_usage("'1");
	PARSE("-p", "5\n");
	assert_usage("'5");
	PARSE("--backend=kprobe\nx");
	assert_usage("'kprobe");
}

static void test_min_ms_after_double_dash(void **state)
{
	(void)state;
	PARSE("--", "5");
	assert_run();
	assert_int_equal(P.cfg.min_us, 5000);
}

static void test_second_positional(void **state)
{
	(void)state;
	PARSE("1", "2");
	assert_usage_quoted("2");
	PARSE("1", "-t", "abc");
	assert_usage_quoted("abc");
}

/* ---- -p/--pid ---- */

static void test_pid_forms(void **state)
{
	(void)state;
	PARSE("-p", "181");
	assert_run();
	assert_int_equal(P.cfg.pid, 181);

	PARSE("-p181");
	assert_run();
	assert_int_equal(P.cfg.pid, 181);

	PARSE("--pid", "42");
	assert_run();
	assert_int_equal(P.cfg.pid, 42);

	PARSE("--pid=4242");
	assert_run();
	assert_int_equal(P.cfg.pid, 4242);
	assert_int_equal(P.cfg.min_us, 0);
}

static void test_pid_bounds(void **state)
{
	(void)state;
	PARSE("-p", "1");
	assert_run();
	assert_int_equal(P.cfg.pid, 1);

	PARSE("-p", "4194304");
	assert_run();
	assert_int_equal(P.cfg.pid, 4194304);

	PARSE("-p", "0");
	assert_usage_quoted("0");
	PARSE("-p", "4194305");
	assert_usage_quoted("4194305");
	PARSE("--pid=4294967296");
	assert_usage_quoted("4294967296");
	PARSE("-p", "99999999999999999999999");
	assert_usage_quoted("99999999999999999999999");
}

static void test_pid_digits_only(void **state)
{
	static const char *const bad[] = {"abc", "+5", " 5",  "5 ", "0x10",
					  "1.5", "5a", "1e3", "-5"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PARSE("-p", bad[i]);
		assert_usage_quoted(bad[i]);
		assert_int_equal(P.cfg.pid, 0);
	}
	PARSE("--pid=");
	assert_usage_quoted("");
}

/* ---- flags ---- */

static void test_flags_short(void **state)
{
	(void)state;
	PARSE("-t");
	assert_run();
	assert_true(P.cfg.timestamp);
	assert_false(P.cfg.lport);
	assert_false(P.cfg.verbose);

	PARSE("-L");
	assert_run();
	assert_true(P.cfg.lport);
	assert_false(P.cfg.timestamp);

	PARSE("-v");
	assert_run();
	assert_true(P.cfg.verbose);
	assert_false(P.cfg.lport);

	PARSE("-4");
	assert_run();
	assert_int_equal(P.cfg.af, AF_INET);

	PARSE("-6");
	assert_run();
	assert_int_equal(P.cfg.af, AF_INET6);
}

static void test_flags_long(void **state)
{
	(void)state;
	PARSE("--timestamp", "--lport", "--verbose", "--ipv6");
	assert_run();
	assert_true(P.cfg.timestamp);
	assert_true(P.cfg.lport);
	assert_true(P.cfg.verbose);
	assert_int_equal(P.cfg.af, AF_INET6);

	PARSE("--ipv4");
	assert_run();
	assert_int_equal(P.cfg.af, AF_INET);
}

static void test_flags_clustered(void **state)
{
	(void)state;
	PARSE("-tL4v");
	assert_run();
	assert_true(P.cfg.timestamp);
	assert_true(P.cfg.lport);
	assert_true(P.cfg.verbose);
	assert_int_equal(P.cfg.af, AF_INET);

	PARSE("-tp", "77");
	assert_run();
	assert_true(P.cfg.timestamp);
	assert_int_equal(P.cfg.pid, 77);
}

static void test_ipv4_and_ipv6_exclusive(void **state)
{
	(void)state;
	PARSE("-4", "-6");
	assert_usage("-4");
	assert_contains(P.err, "-6");

	PARSE("--ipv6", "--ipv4");
	assert_usage("-6");

	PARSE("-64");
	assert_usage("-4");
}

/* -4 twice is the same flag twice (like -t -t), not -4 together with -6. */
static void test_same_ip_flag_twice(void **state)
{
	(void)state;
	PARSE("-4", "-4");
	assert_run();
	assert_int_equal(P.cfg.af, AF_INET);

	PARSE("-6", "--ipv6");
	assert_run();
	assert_int_equal(P.cfg.af, AF_INET6);
}

/* ---- --backend, --btf ---- */

static void test_backend_names(void **state)
{
	(void)state;
	PARSE("--backend=auto");
	assert_run();
	assert_int_equal(P.cfg.backend, BACKEND_AUTO);

	PARSE("--backend=fentry");
	assert_run();
	assert_int_equal(P.cfg.backend, BACKEND_FENTRY);

	PARSE("--backend", "kprobe");
	assert_run();
	assert_int_equal(P.cfg.backend, BACKEND_KPROBE);

	PARSE("--backend=tracepoint");
	assert_run();
	assert_int_equal(P.cfg.backend, BACKEND_TRACEPOINT);
}

static void test_backend_invalid(void **state)
{
	(void)state;
	PARSE("--backend=bogus");
	assert_usage_quoted("bogus");
	PARSE("--backend=FENTRY");
	assert_usage_quoted("FENTRY");
	PARSE("--backend=kprobes");
	assert_usage_quoted("kprobes");
	PARSE("--backend=");
	assert_usage_quoted("");
}

static void test_backend_name_strings(void **state)
{
	(void)state;
	assert_string_equal(backend_name(BACKEND_AUTO), "auto");
	assert_string_equal(backend_name(BACKEND_FENTRY), "fentry");
	assert_string_equal(backend_name(BACKEND_KPROBE), "kprobe");
	assert_string_equal(backend_name(BACKEND_TRACEPOINT), "tracepoint");
	assert_string_equal(backend_name((enum backend)17), "?");
}

static void test_btf_path(void **state)
{
	(void)state;
	PARSE("--btf", "/boot/vmlinux-6.1");
	assert_run();
	assert_non_null(P.cfg.btf_path);
	assert_string_equal(P.cfg.btf_path, "/boot/vmlinux-6.1");

	PARSE("--btf=my.btf");
	assert_run();
	assert_string_equal(P.cfg.btf_path, "my.btf");
}

static void test_btf_empty(void **state)
{
	(void)state;
	PARSE("--btf=");
	assert_usage("btf");
	assert_null(P.cfg.btf_path);

	PARSE("--btf", "");
	assert_usage("btf");
}

/* ---- help and version ---- */

static void check_help(const char *opt)
{
	PARSE(opt);
	assert_int_equal(P.res, PARSE_EXIT);
	assert_string_equal(P.err, "");
	assert_contains(P.out, "Usage: tcpconnlat");
	assert_contains(P.out, "[MIN_MS]");
	assert_contains(P.out, "--pid");
	assert_contains(P.out, "--timestamp");
	assert_contains(P.out, "--lport");
	assert_contains(P.out, "--ipv4");
	assert_contains(P.out, "--ipv6");
	assert_contains(P.out, "--backend");
	assert_contains(P.out, "--btf");
	assert_contains(P.out, "--verbose");
	assert_contains(P.out, "--version");
	assert_contains(P.out, "Examples:");
	assert_contains(P.out, "tcpconnlat 0.1 ");
	assert_contains(P.out, "tcpconnlat -p 181");
	assert_contains(P.out, "tcpconnlat --backend=tracepoint -v");
	assert_true(P.out_len > 0 && P.out[P.out_len - 1] == '\n');
}

static void test_help(void **state)
{
	(void)state;
	check_help("-h");
	check_help("--help");
	check_help("--he");
}

static void check_version(const char *opt)
{
	PARSE(opt);
	assert_int_equal(P.res, PARSE_EXIT);
	assert_string_equal(P.err, "");
	assert_int_equal(strncmp(P.out, "tcpconnlat ", 11), 0);
	assert_true(P.out_len > 11);
	assert_int_equal(count_char(P.out, '\n'), 1);
	assert_int_equal(P.out[P.out_len - 1], '\n');
}

static void test_version(void **state)
{
	(void)state;
	check_version("-V");
	check_version("--version");
	check_version("--vers");
}

/* Found by fuzz_args ("-h" "\x8e" ...): the help went to out, then the error to err. A
 * usage error anywhere in the line is its only output, as for any other option. */
static void test_help_version_with_error(void **state)
{
	(void)state;
	PARSE("-h", "-\x8e");
	assert_usage("unrecognized option");
	PARSE("--help", "--bogus");
	assert_usage_quoted("--bogus");
	PARSE("--version", "-p", "x");
	assert_usage_quoted("x");
	PARSE("-V", "-i", "5");
	assert_usage("needs -H");
	PARSE("-p", "1", "-p", "2", "-h");
	assert_usage("twice");
}

/* ---- errors ---- */

static void test_value_given_twice(void **state)
{
	(void)state;
	PARSE("-p", "1", "-p", "2");
	assert_usage("pid");
	assert_contains(P.err, "again as '2'");
	PARSE("--pid=5", "-p5");
	assert_usage("pid");
	PARSE("-p", "7", "--pid", "7");
	assert_usage("pid");
	PARSE("--backend=kprobe", "--backend", "kprobe");
	assert_usage("backend");
	PARSE("--backend=fentry", "--backend=tracepoint");
	assert_usage("backend");
	PARSE("--btf", "a", "--btf", "b");
	assert_usage("btf");
}

/* Every option that takes a value, the last in the table too, takes it once. */
static void test_each_value_option_once(void **state)
{
	static const char *const twice[][5] = {
		{"-p", "1", "-p", "2", "-p/--pid"},
		{"-P", "80", "-P", "81", "-P/--dport"},
		{"--daddr", "::1", "--daddr", "::2", "--daddr"},
		{"-u", "0", "-u", "1", "-u/--uid"},
		{"-n", "a", "-n", "b", "-n/--name"},
		{"--cgroup", "/a", "--cgroup", "/b", "--cgroup"},
		{"-i", "1", "-i", "2", "-i/--interval"},
		{"--by", "pid", "--by", "comm", "--by"},
		{"--metrics", "1", "--metrics", "2", "--metrics"},
		{"--textfile", "a", "--textfile", "b", "--textfile"},
		{"--max-series", "1", "--max-series", "2", "--max-series"},
		{"--buckets", "1us,1s", "--buckets", "1ms,1s", "--buckets"},
		{"-c", "1", "-c", "2", "-c/--count"},
		{"-d", "1", "-d", "2", "-d/--duration"},
		{"--buffer-pages", "1", "--buffer-pages", "2", "--buffer-pages"},
		{"--backend", "auto", "--backend", "kprobe", "--backend"},
		{"--btf", "a", "--btf", "b", "--btf"},
	};
	char want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		PARSE(twice[i][0], twice[i][1], twice[i][2], twice[i][3]);
		snprintf(want, sizeof(want), "option %s given twice (again as '%s')", twice[i][4],
			 twice[i][3]);
		assert_usage(want);
	}
}

static void test_flag_twice_allowed(void **state)
{
	(void)state;
	PARSE("-t", "-t", "-L", "--lport", "-v", "-v");
	assert_run();
	assert_true(P.cfg.timestamp);
	assert_true(P.cfg.lport);
	assert_true(P.cfg.verbose);
}

static void test_unknown_short_option(void **state)
{
	(void)state;
	PARSE("-Q");
	assert_usage_quoted("-Q");
	PARSE("-t", "-Q", "5");
	assert_usage_quoted("-Q");
	PARSE("-tQ");
	assert_usage_quoted("-Q");
	PARSE("5", "-Z");
	assert_usage_quoted("-Z");
}

static void test_unknown_long_option(void **state)
{
	(void)state;
	PARSE("--bogus");
	assert_usage_quoted("--bogus");
	PARSE("-t", "--bogus", "-L");
	assert_usage_quoted("--bogus");
	PARSE("--usage");
	assert_usage_quoted("--usage");
	PARSE("--pidx", "5");
	assert_usage_quoted("--pidx");
}

static void test_ambiguous_prefix(void **state)
{
	(void)state;
	PARSE("--ver");
	assert_usage_quoted("--ver");
	PARSE("--ipv");
	assert_usage_quoted("--ipv");
	PARSE("--b", "x");
	assert_usage_quoted("--b");
}

static void test_missing_value(void **state)
{
	(void)state;
	PARSE("-p");
	assert_usage_quoted("-p");
	PARSE("-t", "-p");
	assert_usage_quoted("-p");
	PARSE("-tp");
	assert_usage_quoted("-p");
	PARSE("--pid");
	assert_usage_quoted("--pid");
	PARSE("--backend");
	assert_usage_quoted("--backend");
	PARSE("--btf");
	assert_usage_quoted("--btf");
}

static void test_flag_with_value(void **state)
{
	(void)state;
	PARSE("--timestamp=1");
	assert_usage("'--timestamp");
	PARSE("--lport=yes");
	assert_usage("'--lport");
	PARSE("--ipv4=1");
	assert_usage("'--ipv4");
	PARSE("--verbose=");
	assert_usage("'--verbose");
	/* A prefix names the option as it was written. */
	PARSE("--time=2");
	assert_usage("'--time");
}

/* What getopt reports is told apart by kind, wherever the bad option sits in the line. */
static void test_bad_option_kinds(void **state)
{
	(void)state;
	/* An unknown short option inside a cluster, after a long option. */
	PARSE("--ipv4", "-Zt");
	assert_usage("unrecognized option '-Z'");
	PARSE("-t-");
	assert_usage("unrecognized option '--'");
	PARSE("-t:");
	assert_usage("unrecognized option '-:'");
	/* A long flag with a value, after short flags. */
	PARSE("-tL", "--lport=1");
	assert_usage("option '--lport=1' takes no value");
	/* A missing value, short at the end of a cluster and long, after other options. */
	PARSE("--ipv4", "-tp");
	assert_usage("option '-p' needs a value");
	PARSE("5", "-t", "--dp");
	assert_usage("option '--dp' needs a value");
	/* No name at all matches every option. */
	PARSE("--=x");
	assert_usage("ambiguous option '--=x'");
	PARSE("--x=1");
	assert_usage("unrecognized option '--x=1'");
	/* A value that looks like an option is still the value. */
	PARSE("--backend", "--");
	assert_usage("invalid backend '--'");
}

/* ---- prefixes and permutation ---- */

static void test_long_prefixes(void **state)
{
	(void)state;
	PARSE("--time", "--lp", "--verb", "--ipv4", "--pi", "33", "--back=kprobe", "--bt", "f.btf");
	assert_run();
	assert_true(P.cfg.timestamp);
	assert_true(P.cfg.lport);
	assert_true(P.cfg.verbose);
	assert_int_equal(P.cfg.af, AF_INET);
	assert_int_equal(P.cfg.pid, 33);
	assert_int_equal(P.cfg.backend, BACKEND_KPROBE);
	assert_string_equal(P.cfg.btf_path, "f.btf");
}

static void test_permutation(void **state)
{
	(void)state;
	PARSE("5", "-p", "1");
	assert_run();
	assert_int_equal(P.cfg.min_us, 5000);
	assert_int_equal(P.cfg.pid, 1);

	PARSE("-t", "0.25", "-L", "--backend", "fentry");
	assert_run();
	assert_int_equal(P.cfg.min_us, 250);
	assert_true(P.cfg.timestamp);
	assert_true(P.cfg.lport);
	assert_int_equal(P.cfg.backend, BACKEND_FENTRY);
}

static void test_everything(void **state)
{
	(void)state;
	PARSE("-t", "-L", "-6", "-v", "-p", "4194304", "--backend=tracepoint", "--btf",
	      "/tmp/k.btf", "3600000");
	assert_run();
	assert_true(P.cfg.timestamp);
	assert_true(P.cfg.lport);
	assert_true(P.cfg.verbose);
	assert_int_equal(P.cfg.af, AF_INET6);
	assert_int_equal(P.cfg.pid, 4194304);
	assert_int_equal(P.cfg.backend, BACKEND_TRACEPOINT);
	assert_string_equal(P.cfg.btf_path, "/tmp/k.btf");
	assert_int_equal(P.cfg.min_us, 3600000000ULL);
}

/* ---- options of the second round: -x -r -j -H -i --by -c -d and the filters ---- */

static void test_flags_x_r_j_H(void **state)
{
	(void)state;
	PARSE("-x", "-r", "-j", "-H");
	assert_run();
	assert_true(P.cfg.report_failed && P.cfg.syn_retrans && P.cfg.json && P.cfg.hist);
	PARSE("--failed", "--retrans", "--json", "--histogram");
	assert_run();
	assert_true(P.cfg.report_failed && P.cfg.syn_retrans && P.cfg.json && P.cfg.hist);
	PARSE("-xrjH");
	assert_run();
	assert_true(P.cfg.report_failed && P.cfg.syn_retrans && P.cfg.json && P.cfg.hist);
}

static void test_count_duration_interval(void **state)
{
	(void)state;
	PARSE("-c", "1", "-d", "604800");
	assert_run();
	assert_int_equal(P.cfg.count, 1);
	assert_int_equal(P.cfg.duration, 604800);
	PARSE("--count=1000000000", "--duration", "1");
	assert_run();
	assert_int_equal(P.cfg.count, 1000000000);
	assert_int_equal(P.cfg.duration, 1);
	PARSE("-H", "-i", "86400", "--by", "dest");
	assert_run();
	assert_int_equal(P.cfg.interval, 86400);
	assert_int_equal(P.cfg.hist_by, HIST_BY_DEST);
}

/* -N and --by lists: keys in the order given, dest as a synonym of daddr,dport. */
static void test_names_and_by_lists(void **state)
{
	enum hist_by k[HIST_BY_MAX];

	(void)state;
	PARSE("-N");
	assert_run();
	assert_true(P.cfg.names);
	PARSE("--names", "-j");
	assert_run();
	assert_true(P.cfg.names && P.cfg.json);
	PARSE("-H", "--by", "dhost,dport");
	assert_run();
	/* --by dhost turns the names on. */
	assert_true(P.cfg.names);
	assert_int_equal(hist_by_keys(P.cfg.hist_by, k), 2);
	assert_int_equal(k[0], HIST_BY_DHOST);
	assert_int_equal(k[1], HIST_BY_DPORT);
	assert_string_equal(hist_by_name(P.cfg.hist_by), "dhost,dport");
	PARSE("-H", "--by", "cgroup,daddr");
	assert_run();
	assert_false(P.cfg.names);
	assert_int_equal(hist_by_keys(P.cfg.hist_by, k), 2);
	assert_int_equal(k[0], HIST_BY_CGROUP);
	assert_int_equal(k[1], HIST_BY_DADDR);
	assert_int_equal(hist_by_fields(P.cfg.hist_by), HIST_F_CGROUP | HIST_F_DADDR);
	PARSE("--metrics", "9190", "--by", "dhost,dport,comm,pid");
	assert_run();
	assert_int_equal(hist_by_keys(P.cfg.hist_by, k), 4);
	/* A one-key list is the key itself: today's values stay. */
	PARSE("-H", "--by", "dest");
	assert_run();
	assert_int_equal(P.cfg.hist_by, HIST_BY_DEST);
	assert_int_equal(hist_by_fields(P.cfg.hist_by), HIST_F_DADDR | HIST_F_DPORT);
}

static void test_by_lists_bad(void **state)
{
	static const char *const bad[] = {
		"dhost,",
		",dhost",
		"dhost,,dport",
		"dhost,dhost",
		"daddr,dest",
		"dest,dport",
		"dport,dport",
		"daddr,dport,comm,pid,cgroup",
		"dhost;dport",
		"DHOST",
		"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PARSE("-H", "--by", bad[i]);
		assert_usage("invalid --by");
	}
	/* -N is a column of lines: with -H or metrics it must be --by dhost. */
	PARSE("-N", "-H");
	assert_usage("--by dhost");
	PARSE("-N", "--metrics", "9190", "--by", "dport");
	assert_usage("--by dhost");
	PARSE("-N", "-H", "--by", "dhost");
	assert_run();
}

static void test_count_duration_interval_bad(void **state)
{
	static const char *const bad[][2] = {
		{"-c", "0"},
		{"-c", "1000000001"},
		{"-c", "-1"},
		{"-c", "5x"},
		{"-c", "99999999999999999999"},
		{"-d", "0"},
		{"-d", "604801"},
		{"-d", "1.5"},
		{"-d", ""},
		{"--count", "+5"},
		{"--duration", " 5"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PARSE(bad[i][0], bad[i][1]);
		assert_usage_quoted(bad[i][1]);
	}
	PARSE("-H", "-i", "0");
	assert_usage_quoted("0");
	PARSE("-H", "--by", "host");
	assert_usage_quoted("host");
	PARSE("-c", "1", "-c", "2");
	assert_usage("twice");
}

static void test_buffer_pages(void **state)
{
	(void)state;
	PARSE("-v");
	assert_run();
	assert_int_equal(P.cfg.buffer_pages, BUFFER_PAGES_DEFAULT);
	PARSE("--buffer-pages", "1");
	assert_run();
	assert_int_equal(P.cfg.buffer_pages, 1);
	PARSE("--buffer-pages=4096");
	assert_run();
	assert_int_equal(P.cfg.buffer_pages, 4096);
}

static void test_buffer_pages_bad(void **state)
{
	static const char *const bad[][2] = {
		{"0", "out of range"},
		{"8192", "out of range (1..4096 pages)"},
		{"3", "not a power of two"},
		{"96", "not a power of two"},
		{"-1", "expected"},
		{"x", "expected a number of pages"},
		{"", "expected"},
		{"64k", "expected"},
		{"99999999999999999999", "out of range"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PARSE("--buffer-pages", bad[i][0]);
		assert_usage_quoted(bad[i][0]);
		assert_contains(P.err, bad[i][1]);
	}
	PARSE("--buffer-pages", "8", "--buffer-pages", "16");
	assert_usage("twice");
}

static void test_hist_combinations(void **state)
{
	(void)state;
	PARSE("-i", "5");
	assert_usage("needs -H");
	PARSE("--by", "comm");
	assert_usage("needs -H");
	PARSE("-H", "-c", "3");
	assert_usage("-H");
	PARSE("-H", "-j", "-x", "--by", "pid", "-d", "5");
	assert_run();
	assert_int_equal(P.cfg.hist_by, HIST_BY_PID);
}

static void test_dports(void **state)
{
	(void)state;
	PARSE("-P", "443");
	assert_run();
	assert_int_equal(P.cfg.ndports, 1);
	assert_int_equal(P.cfg.dports[0], 443);
	PARSE("--dport=1,65535,80");
	assert_run();
	assert_int_equal(P.cfg.ndports, 3);
	assert_int_equal(P.cfg.dports[0], 1);
	assert_int_equal(P.cfg.dports[1], 65535);
	assert_int_equal(P.cfg.dports[2], 80);
	PARSE("-P", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16");
	assert_run();
	assert_int_equal(P.cfg.ndports, MAX_DPORTS);
	PARSE("-P", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17");
	assert_usage("at most 16");
	PARSE("-P", "80,80");
	assert_usage_quoted("80,80");
	PARSE("-P", "80,,443");
	assert_usage_quoted("80,,443");
	PARSE("-P", "0");
	assert_usage_quoted("0");
	PARSE("-P", "65536");
	assert_usage_quoted("65536");
	PARSE("-P", "");
	assert_usage_quoted("");
}

static void test_daddr(void **state)
{
	static const unsigned char v4[4] = {10, 1, 0, 0};

	(void)state;
	PARSE("--daddr", "10.1.0.0/16");
	assert_run();
	assert_int_equal(P.cfg.daddr_af, AF_INET);
	assert_int_equal(P.cfg.daddr_bits, 16);
	assert_memory_equal(P.cfg.daddr, v4, 4);
	PARSE("--daddr", "2001:db8::1");
	assert_run();
	assert_int_equal(P.cfg.daddr_af, AF_INET6);
	assert_int_equal(P.cfg.daddr_bits, 128);
	PARSE("--daddr", "0.0.0.0/0");
	assert_run();
	assert_int_equal(P.cfg.daddr_bits, 0);
	PARSE("-6", "--daddr", "::1/128");
	assert_run();
	PARSE("--daddr", "10.0.0.0/33");
	assert_usage_quoted("10.0.0.0/33");
	PARSE("--daddr", "::/129");
	assert_usage_quoted("::/129");
	PARSE("--daddr", "10.0.0.0/");
	assert_usage_quoted("10.0.0.0/");
	PARSE("--daddr", "10.0.0.0/8x");
	assert_usage_quoted("10.0.0.0/8x");
	PARSE("--daddr", "example.com");
	assert_usage_quoted("example.com");
	PARSE("-4", "--daddr", "::1");
	assert_usage_quoted("::1");
}

static void test_uid_name_cgroup(void **state)
{
	(void)state;
	PARSE("-u", "0", "-n", "postgres", "--cgroup", "/sys/fs/cgroup/x");
	assert_run();
	assert_true(P.cfg.filter_uid);
	assert_int_equal(P.cfg.uid, 0);
	assert_string_equal(P.cfg.comm, "postgres");
	assert_string_equal(P.cfg.cgroup_path, "/sys/fs/cgroup/x");
	PARSE("--uid", "4294967294", "--name", "123456789012345");
	assert_run();
	assert_int_equal(P.cfg.uid, 4294967294u);
	PARSE("-u", "4294967295");
	assert_usage_quoted("4294967295");
	PARSE("-u", "-1");
	assert_usage_quoted("-1");
	PARSE("-n", "1234567890123456");
	assert_usage_quoted("1234567890123456");
	PARSE("-n", "");
	assert_usage_quoted("");
	PARSE("--cgroup", "");
	assert_usage("--cgroup");
}

/* ---- pid_check(): -p against /proc ---- */

/* pid_check(pid) with what it printed in P.err. */
static int pid_check_text(uint32_t pid)
{
	FILE *err;
	int ret;

	parsed_free();
	err = open_memstream(&P.err, &P.err_len);
	assert_non_null(err);
	ret = pid_check(pid, err);
	assert_int_equal(fclose(err), 0);
	return ret;
}

static void test_pid_check_process(void **state)
{
	(void)state;
	assert_int_equal(pid_check_text(getpid()), 0);
	assert_string_equal(P.err, "");
}

static void test_pid_check_missing(void **state)
{
	char want[80];
	pid_t p;

	(void)state;
	/* A PID nobody has now: the highest free one below PID_MAX. */
	for (p = PID_MAX; p > 1; p--)
		if (kill(p, 0) && errno == ESRCH)
			break;
	assert_int_equal(pid_check_text(p), 0);
	snprintf(want, sizeof(want), "warning: no process %d is running now", (int)p);
	assert_contains(P.err, want);
	assert_int_equal(count_char(P.err, '\n'), 1);
}

/* tid_pipe: the thread's id to the test; done_pipe: closed by the test to end the thread. */
static int tid_pipe[2], done_pipe[2];

static void *thread_main(void *arg)
{
	pid_t tid = gettid();
	char c;

	(void)arg;
	/* Tell the test our id, then live until it closes the pipe. */
	if (write(tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	while (read(done_pipe[0], &c, 1) > 0)
		;
	return NULL;
}

static void test_pid_check_thread(void **state)
{
	char want[128];
	pthread_t th;
	pid_t tid;

	(void)state;
	assert_int_equal(pipe(tid_pipe), 0);
	assert_int_equal(pipe(done_pipe), 0);
	assert_int_equal(pthread_create(&th, NULL, thread_main, NULL), 0);
	assert_int_equal(read(tid_pipe[0], &tid, sizeof(tid)), sizeof(tid));
	assert_int_equal(pid_check_text(tid), -EINVAL);
	snprintf(want, sizeof(want), "PID %d is a thread of process %d: -p takes a process id",
		 (int)tid, (int)getpid());
	assert_contains(P.err, want);
	assert_int_equal(count_char(P.err, '\n'), 1);
	close(done_pipe[1]);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(done_pipe[0]);
	close(tid_pipe[0]);
	close(tid_pipe[1]);
}

/*
 * The whole line of each refusal that the option tables (numbers, paths) and the rules
 * between options print: the same words as before they were tables.
 */
static void test_refusals_whole_line(void **state)
{
	static const struct {
		const char *args[6];
		const char *line;
	} cases[] = {
		{{"--btf="}, "empty --btf path"},
		{{"--container-api="}, "empty --container-api path"},
		{{"--pod-logs="}, "empty --pod-logs directory"},
		{{"--cgroup="}, "empty --cgroup path"},
		{{"--textfile="}, "empty --textfile path"},
		{{"-4", "-6"}, "options -4 and -6 exclude each other"},
		{{"-p", "0"}, "PID '0' out of range (1..4194304)"},
		{{"-u", "x"}, "invalid UID 'x': expected a number"},
		{{"-u", "4294967295"}, "UID '4294967295' out of range (0..4294967294)"},
		{{"-H", "-i", "0"}, "interval '0' out of range (1..86400 seconds)"},
		{{"-H", "-i", "1s"}, "invalid interval '1s': expected whole seconds"},
		{{"--max-series", "0"}, "--max-series '0' out of range (1..10240)"},
		{{"-c", "x"}, "invalid count 'x': expected a number"},
		{{"-d", "0"}, "duration '0' out of range (1..604800 seconds)"},
		{{"--buffer-pages", "x"}, "invalid buffer size 'x': expected a number of pages"},
		{{"--buffer-pages", "0"}, "buffer size '0' out of range (1..4096 pages)"},
		{{"--buffer-pages", "3"}, "buffer size '3' is not a power of two"},
		{{"-i", "5"}, "-i needs -H/--histogram"},
		{{"--by", "dport"}, "--by needs -H/--histogram"},
		{{"--textfile", "/tmp/f", "-j"},
		 "-j does not go with --textfile (metrics replace the output)"},
		{{"--metrics", "9190", "-i", "5"}, "-i needs -H/--histogram or --textfile"},
		{{"--max-series", "5"}, "--max-series needs --metrics or --textfile"},
		{{"-N", "-H"}, "-N adds a column to lines: with -H or metrics, use --by dhost"},
		{{"--buckets", "1ms,1s"}, "--buckets needs --metrics or --textfile"},
		{{"-H", "-G"}, "-G adds a column to lines: with -H, use --by cgroup"},
		{{"-H", "-C"}, "-C adds a column to lines: with -H, use --by container"},
		{{"-H", "-c", "5"}, "-c counts printed connects: it does not go with -H"},
		{{"-6", "--daddr", "1.2.3.4"}, "--daddr '1.2.3.4' is not IPv6, but -6 was given"},
	};
	char want[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_list(cases[i].args);
		snprintf(want, sizeof(want), "tcpconnlat: %s (try 'tcpconnlat --help')\n",
			 cases[i].line);
		assert_int_equal(P.res, PARSE_USAGE);
		assert_string_equal(P.err, want);
	}
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

/* ---- --metrics, --textfile, --max-series ---- */

static void assert_listen(const char *arg, int af, const char *addr, int port)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&P.cfg.metrics_addr;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&P.cfg.metrics_addr;
	char text[INET6_ADDRSTRLEN];

	PARSE("--metrics", arg);
	assert_run();
	assert_true(P.cfg.exporter);
	assert_string_equal(P.cfg.metrics_text, arg);
	assert_int_equal(P.cfg.metrics_addr.ss_family, af);
	if (af == AF_INET) {
		assert_int_equal(P.cfg.metrics_addrlen, sizeof(*s4));
		assert_int_equal(ntohs(s4->sin_port), port);
		inet_ntop(AF_INET, &s4->sin_addr, text, sizeof(text));
	} else {
		assert_int_equal(P.cfg.metrics_addrlen, sizeof(*s6));
		assert_int_equal(ntohs(s6->sin6_port), port);
		inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text));
	}
	assert_string_equal(text, addr);
}

static void test_metrics_listen(void **state)
{
	(void)state;
	/* A bare port is this machine only; anything wider is spelled out. */
	assert_listen("9190", AF_INET, "127.0.0.1", 9190);
	assert_listen("1", AF_INET, "127.0.0.1", 1);
	assert_listen("65535", AF_INET, "127.0.0.1", 65535);
	assert_listen("0.0.0.0:9190", AF_INET, "0.0.0.0", 9190);
	assert_listen("10.1.2.3:80", AF_INET, "10.1.2.3", 80);
	assert_listen("[::]:9190", AF_INET6, "::", 9190);
	assert_listen("[::1]:9190", AF_INET6, "::1", 9190);
	assert_listen("[fe80::1]:443", AF_INET6, "fe80::1", 443);
}

static void test_metrics_listen_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"0",
		"65536",
		"99999999999999999999",
		"-1",
		"+80",
		" 80",
		"80 ",
		"0x50",
		"http",
		":80",
		"1.2.3.4:",
		"1.2.3.4:0",
		"1.2.3:80",
		"localhost:80",
		"::1:80",
		"::",
		"[::1]",
		"[::1]80",
		"[::1]:",
		"[1.2.3.4]:80",
		"[::1:80",
		"::]:80",
		"1.2.3.4:80:80",
		"[::1]:80x",
		"*:80",
		"1.2.3.4/8:80",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!parse_listen(bad[i], &ss, &len))
			fail_because("parse_listen accepted '%s'", bad[i]);
		PARSE("--metrics", bad[i]);
		assert_usage("invalid --metrics");
		assert_usage_quoted(bad[i]);
	}
}

static void test_metrics_implies(void **state)
{
	(void)state;
	/* Failures and SYN retransmissions are always counted; the cap has its default. */
	PARSE("--metrics", "9190");
	assert_run();
	assert_true(P.cfg.report_failed);
	assert_true(P.cfg.syn_retrans);
	assert_false(P.cfg.hist);
	assert_int_equal(P.cfg.max_series, MAX_SERIES_DEFAULT);
	assert_int_equal(P.cfg.interval, 0);
	assert_null(P.cfg.textfile);
	PARSE("--textfile", "/tmp/x.prom");
	assert_run();
	assert_true(P.cfg.exporter);
	assert_string_equal(P.cfg.textfile, "/tmp/x.prom");
	assert_int_equal(P.cfg.interval, TEXTFILE_INTERVAL_DEFAULT);
	assert_null(P.cfg.metrics_text);
	PARSE("--textfile", "x.prom", "-i", "1", "--metrics", "[::]:1", "--by", "dest",
	      "--max-series", "7", "-P", "80", "-x", "-r");
	assert_run();
	assert_int_equal(P.cfg.interval, 1);
	assert_int_equal(P.cfg.hist_by, HIST_BY_DEST);
	assert_int_equal(P.cfg.max_series, 7);
	assert_int_equal(P.cfg.ndports, 1);
}

static void test_metrics_conflicts(void **state)
{
	(void)state;
	PARSE("--metrics", "9190", "-H");
	assert_usage("-H does not go with --metrics");
	PARSE("--metrics", "9190", "-j");
	assert_usage("-j does not go with --metrics");
	PARSE("--textfile", "a", "-c", "5");
	assert_usage("-c does not go with --textfile");
	PARSE("--metrics", "9190", "-t");
	assert_usage("-t does not go with");
	PARSE("--metrics", "9190", "-L");
	assert_usage("-L does not go with");
	PARSE("--metrics", "9190", "-G");
	assert_usage("-G does not go with");
	PARSE("--metrics", "9190", "-i", "5");
	assert_usage("-i needs -H/--histogram or --textfile");
	PARSE("--max-series", "5");
	assert_usage("--max-series needs --metrics or --textfile");
	PARSE("-H", "--max-series", "5");
	assert_usage("--max-series needs --metrics or --textfile");
	PARSE("--metrics", "1", "--max-series", "0");
	assert_usage_quoted("0");
	PARSE("--metrics", "1", "--max-series", "10241");
	assert_usage("'10241' out of range (1..10240)");
	PARSE("--metrics", "1", "--max-series", "x");
	assert_usage_quoted("x");
	PARSE("--textfile", "");
	assert_usage("empty --textfile");
	PARSE("--textfile", "/tmp/");
	assert_usage_quoted("/tmp/");
	PARSE("--metrics", "1", "--metrics", "2");
	assert_usage("given twice");
}

static void test_buckets(void **state)
{
	static const char *const bad[][2] = {
		{"", "invalid --buckets ''"},
		{"100us", "invalid --buckets '100us'"},
		{"100us,", "invalid --buckets '100us,'"},
		{",10s", "invalid --buckets ',10s'"},
		{"100,10s", "invalid --buckets '100,10s'"},
		{"100us,10", "invalid --buckets '100us,10'"},
		{"1e3us,10s", "invalid --buckets '1e3us,10s'"},
		{"-1us,10s", "invalid --buckets '-1us,10s'"},
		{"100us, 10s", "invalid --buckets '100us, 10s'"},
		{"100us,10s,1s", "invalid --buckets '100us,10s,1s'"},
		{"10m,20m", "invalid --buckets '10m,20m'"},
		{"0us,10s", "--buckets '0us,10s' out of range (1us..2147s)"},
		{"0.4us,10s", "--buckets '0.4us,10s' out of range (1us..2147s)"},
		{"1us,2148s", "--buckets '1us,2148s' out of range (1us..2147s)"},
		{"1ms,1000us", "invalid --buckets '1ms,1000us': MIN must be below MAX"},
		{"10s,100us", "invalid --buckets '10s,100us': MIN must be below MAX"},
	};
	size_t i;

	(void)state;
	PARSE("--metrics", "1", "--buckets", "100us,10s");
	assert_run();
	assert_int_equal(P.cfg.buckets_min_us, 100);
	assert_int_equal(P.cfg.buckets_max_us, 10000000);
	PARSE("--textfile", "a", "--buckets", "1.5ms,2147s");
	assert_run();
	assert_int_equal(P.cfg.buckets_min_us, 1500);
	assert_int_equal(P.cfg.buckets_max_us, 2147000000ull);
	PARSE("--metrics", "1", "--buckets", "1us,0.5ms");
	assert_run();
	assert_int_equal(P.cfg.buckets_min_us, 1);
	assert_int_equal(P.cfg.buckets_max_us, 500);
	PARSE("--metrics", "1");
	assert_run();
	assert_int_equal(P.cfg.buckets_max_us, 0);
	PARSE("-H", "--buckets", "1ms,1s");
	assert_usage("--buckets needs --metrics or --textfile");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PARSE("--metrics", "1", "--buckets", bad[i][0]);
		assert_usage(bad[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_args_defaults),
		T(test_config_is_reset),
		T(test_min_ms_integer),
		T(test_min_ms_decimal),
		T(test_min_ms_rounds_to_us),
		T(test_min_ms_range),
		T(test_min_ms_out_of_range),
		T(test_min_ms_not_a_number),
		T(test_min_ms_no_exponent_inf_nan_hex),
		T(test_min_ms_no_sign_or_space),
		T(test_error_line_value_with_newline),
		T(test_min_ms_after_double_dash),
		T(test_second_positional),
		T(test_pid_forms),
		T(test_pid_bounds),
		T(test_pid_digits_only),
		T(test_flags_short),
		T(test_flags_long),
		T(test_flags_clustered),
		T(test_ipv4_and_ipv6_exclusive),
		T(test_same_ip_flag_twice),
		T(test_backend_names),
		T(test_backend_invalid),
		T(test_backend_name_strings),
		T(test_btf_path),
		T(test_btf_empty),
		T(test_help),
		T(test_version),
		T(test_help_version_with_error),
		T(test_value_given_twice),
		T(test_each_value_option_once),
		T(test_flag_twice_allowed),
		T(test_unknown_short_option),
		T(test_unknown_long_option),
		T(test_ambiguous_prefix),
		T(test_missing_value),
		T(test_flag_with_value),
		T(test_bad_option_kinds),
		T(test_long_prefixes),
		T(test_permutation),
		T(test_flags_x_r_j_H),
		T(test_names_and_by_lists),
		T(test_by_lists_bad),
		T(test_count_duration_interval),
		T(test_count_duration_interval_bad),
		T(test_buffer_pages),
		T(test_buffer_pages_bad),
		T(test_hist_combinations),
		T(test_dports),
		T(test_daddr),
		T(test_uid_name_cgroup),
		T(test_everything),
		T(test_pid_check_process),
		T(test_pid_check_missing),
		T(test_pid_check_thread),
		T(test_metrics_listen),
		T(test_metrics_listen_bad),
		T(test_metrics_implies),
		T(test_metrics_conflicts),
		T(test_buckets),
		T(test_refusals_whole_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

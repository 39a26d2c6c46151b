// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Unit tests for expo.c (the Prometheus exposition: buckets, labels, the series cap,
 * OpenMetrics), textfile.c (atomic writes) and the failure classification the kernel shares
 * with fmt_result().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "unit.h"
#include "expo.h"
#include "uhist.h"
#include "format.h"
#include "textfile.h"

static struct hist_entry dest(const char *addr, uint16_t port)
{
	struct hist_entry e = {};

	e.key.af = AF_INET;
	inet_pton(AF_INET, addr, e.key.daddr);
	e.key.dport = port;
	return e;
}

static const struct expo_self SELF = {.version = "1.2.3", .backend = "tracepoint"};

/* Renders v[0..n) into a NUL-terminated string the caller frees. */
static char *render(int by, struct expo_series *s, struct hist_entry *v, size_t n,
		    const struct expo_self *self, bool om)
{
	struct strbuf b = {};

	expo_render(&b, by, NULL, s, v, n, self, om);
	assert_false(b.oom);
	sb_printf(&b, "%s", "");
	return b.p;
}

static void assert_line(const char *text, const char *line)
{
	char want[1024];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want) && strncmp(text, want + 1, strlen(want + 1))) {
		print_message("# missing line: %s\n", line);
		fail();
	}
}

static void assert_no(const char *text, const char *part)
{
	if (strstr(text, part)) {
		print_message("# unexpected: %s\n", part);
		fail();
	}
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;
	const char *p = text;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, strlen(prefix));
	return n;
}

/* Every line is a comment or `name{labels} value`, in the text format's grammar. */
static void assert_grammar(const char *text)
{
	regex_t re;
	char line[4096];
	const char *p = text, *nl;

	assert_int_equal(
		regcomp(&re,
			"^(# (HELP|TYPE) [a-z_]+ .+|# EOF|[a-z_]+(\\{[a-z_]+=\"([^\"\\\\]|"
			"\\\\.)*\"(,[a-z_]+=\"([^\"\\\\]|\\\\.)*\")*\\})? [0-9]+(\\.[0-9]+)?)$",
			REG_EXTENDED | REG_NOSUB),
		0);
	while (*p) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (regexec(&re, line, 0, NULL, 0)) {
			print_message("# not in the text format: %s\n", line);
			fail();
		}
		p = nl + 1;
	}
	regfree(&re);
}

static void test_le(void **state)
{
	char buf[32];

	(void)state;
	/* Slots 0..i hold up to 2^(i+1) - 1 whole microseconds: le is 2^(i+1) us. */
	expo_le(0, buf, sizeof(buf));
	assert_string_equal(buf, "0.000002");
	expo_le(9, buf, sizeof(buf));
	assert_string_equal(buf, "0.001024");
	expo_le(18, buf, sizeof(buf));
	assert_string_equal(buf, "0.524288");
	expo_le(19, buf, sizeof(buf));
	assert_string_equal(buf, "1.048576");
	expo_le(30, buf, sizeof(buf));
	assert_string_equal(buf, "2147.483648");
}

static void test_empty_no_by(void **state)
{
	struct expo_series s;
	char *t;

	(void)state;
	assert_int_equal(expo_series_init(&s, 10), 0);
	t = render(HIST_BY_NONE, &s, NULL, 0, &SELF, false);
	/* One series of zeros from the start: rate() has a first sample to start from. */
	assert_line(t, "# TYPE tcpconnlat_connect_duration_seconds histogram");
	assert_line(t, "tcpconnlat_connect_duration_seconds_bucket{le=\"0.000002\"} 0");
	assert_line(t, "tcpconnlat_connect_duration_seconds_bucket{le=\"+Inf\"} 0");
	assert_line(t, "tcpconnlat_connect_duration_seconds_sum 0.000000");
	assert_line(t, "tcpconnlat_connect_duration_seconds_count 0");
	assert_line(t, "tcpconnlat_connect_failures_total{reason=\"refused\"} 0");
	assert_line(t, "tcpconnlat_connect_failures_total{reason=\"error\"} 0");
	assert_line(t, "tcpconnlat_syn_retransmits_total 0");
	assert_line(t, "tcpconnlat_build_info{version=\"1.2.3\",backend=\"tracepoint\"} 1");
	assert_line(t, "tcpconnlat_overflow_keys 0");
	assert_int_equal(count_lines(t, "tcpconnlat_connect_duration_seconds_bucket"), 32);
	assert_no(t, "# EOF");
	assert_no(t, "bpf_run_seconds");
	assert_grammar(t);
	free(t);
	expo_series_free(&s);
}

static void test_buckets_and_labels(void **state)
{
	struct hist_entry v[2] = {dest("10.0.0.2", 443), dest("10.0.0.1", 80)};
	struct expo_series s;
	char *t;

	(void)state;
	add(&v[0].hist, 100, 3);     /* slot 6: 64..127 us */
	add(&v[0].hist, 1000000, 1); /* slot 19: about a second */
	v[0].hist.fail_reasons[FAIL_REFUSED] = 2;
	v[0].hist.fail_reasons[FAIL_TIMEOUT] = 1;
	v[0].hist.syn_retrans = 4;
	add(&v[1].hist, 1, 1);
	assert_int_equal(expo_series_init(&s, 10), 0);
	t = render(HIST_BY_DEST, &s, v, 2, &SELF, false);
	assert_line(t,
		    "tcpconnlat_connect_duration_seconds_bucket{daddr=\"10.0.0.2\",dport=\"443\","
		    "le=\"0.000064\"} 0");
	assert_line(t,
		    "tcpconnlat_connect_duration_seconds_bucket{daddr=\"10.0.0.2\",dport=\"443\","
		    "le=\"0.000128\"} 3");
	assert_line(t,
		    "tcpconnlat_connect_duration_seconds_bucket{daddr=\"10.0.0.2\",dport=\"443\","
		    "le=\"0.524288\"} 3");
	assert_line(t,
		    "tcpconnlat_connect_duration_seconds_bucket{daddr=\"10.0.0.2\",dport=\"443\","
		    "le=\"1.048576\"} 4");
	assert_line(t,
		    "tcpconnlat_connect_duration_seconds_bucket{daddr=\"10.0.0.2\",dport=\"443\","
		    "le=\"+Inf\"} 4");
	assert_line(t, "tcpconnlat_connect_duration_seconds_sum{daddr=\"10.0.0.2\",dport=\"443\"} "
		       "1.000300");
	assert_line(
		t, "tcpconnlat_connect_duration_seconds_count{daddr=\"10.0.0.2\",dport=\"443\"} 4");
	assert_line(t, "tcpconnlat_connect_failures_total{daddr=\"10.0.0.2\",dport=\"443\","
		       "reason=\"refused\"} 2");
	assert_line(t, "tcpconnlat_connect_failures_total{daddr=\"10.0.0.2\",dport=\"443\","
		       "reason=\"timeout\"} 1");
	assert_line(t, "tcpconnlat_connect_failures_total{daddr=\"10.0.0.2\",dport=\"443\","
		       "reason=\"aborted\"} 0");
	assert_line(t, "tcpconnlat_syn_retransmits_total{daddr=\"10.0.0.2\",dport=\"443\"} 4");
	assert_line(t, "tcpconnlat_connect_duration_seconds_bucket{daddr=\"10.0.0.1\",dport=\"80\","
		       "le=\"0.000002\"} 1");
	/* One HELP and TYPE per family, its series together, in key order. */
	assert_int_equal(count_lines(t, "# TYPE tcpconnlat_connect_duration_seconds "), 1);
	assert_true(strstr(t, "daddr=\"10.0.0.1\"") < strstr(t, "daddr=\"10.0.0.2\""));
	assert_no(t, "=\"other\"");
	assert_grammar(t);
	free(t);

	/* Other keys: their own labels only. */
	v[0].key.dport = v[1].key.dport = 0;
	t = render(HIST_BY_DADDR, &s, v, 2, &SELF, false);
	assert_line(t, "tcpconnlat_connect_duration_seconds_count{daddr=\"10.0.0.2\"} 4");
	assert_no(t, "dport=");
	free(t);
	expo_series_free(&s);
}

/* --by lists: a label per key, in the order given; dhost from user space's aggregation. */
static void test_by_list_labels(void **state)
{
	struct event e = {.af = AF_INET, .dport = 443, .tgid = 181, .delta_us = 100};
	struct hist_entry v[8];
	struct expo_series s;
	struct uhist u;
	uint64_t lost;
	size_t n;
	int by;
	char *t;

	(void)state;
	inet_pton(AF_INET, "10.0.0.1", e.daddr);
	by = hist_by_parse("dhost,dport");
	assert_int_equal(uhist_init(&u, by, 8), 0);
	uhist_add(&u, &e, "web.test");
	uhist_add(&u, &e, "web.test");
	/* Another address, the same name: the same series (dhost stands for the name). */
	inet_pton(AF_INET, "10.0.0.9", e.daddr);
	uhist_add(&u, &e, "web.test");
	e.dport = 80;
	uhist_add(&u, &e, NULL);
	n = uhist_read(&u, v, 8, &lost);
	assert_int_equal(n, 2);
	assert_int_equal(lost, 0);
	assert_int_equal(expo_series_init(&s, 10), 0);
	t = render(by, &s, v, n, &SELF, false);
	assert_line(
		t, "tcpconnlat_connect_duration_seconds_count{dhost=\"web.test\",dport=\"443\"} 3");
	assert_line(t, "tcpconnlat_connect_duration_seconds_count{dhost=\"-\",dport=\"80\"} 1");
	assert_grammar(t);
	free(t);
	expo_series_free(&s);
	uhist_free(&u);

	/* pid,dest: pid first, then dest's two labels. */
	by = hist_by_parse("pid,dest");
	assert_int_equal(uhist_init(&u, by, 8), 0);
	uhist_add(&u, &e, NULL);
	n = uhist_read(&u, v, 8, &lost);
	assert_int_equal(expo_series_init(&s, 10), 0);
	t = render(by, &s, v, n, &SELF, false);
	assert_line(t, "tcpconnlat_connect_duration_seconds_count{pid=\"181\",daddr=\"10.0.0.9\","
		       "dport=\"80\"} 1");
	free(t);
	expo_series_free(&s);
	uhist_free(&u);
}

static void test_comm_escaped(void **state)
{
	struct hist_entry v = {};
	struct expo_series s;
	char *t;

	(void)state;
	memcpy(v.key.comm, "a\"b\\c\nd", 8);
	add(&v.hist, 10, 1);
	assert_int_equal(expo_series_init(&s, 10), 0);
	t = render(HIST_BY_COMM, &s, &v, 1, &SELF, false);
	/* The comm's control bytes and backslash are \xHH (as in -H), then escaped for the
	 * text format: a label can never end early or span lines. */
	assert_line(t,
		    "tcpconnlat_connect_duration_seconds_count{comm=\"a\\\"b\\\\x5cc\\\\x0ad\"} 1");
	assert_grammar(t);
	free(t);
	expo_series_free(&s);
}

static void test_series_cap(void **state)
{
	struct hist_entry v[5];
	struct expo_series s;
	char *t;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		v[i] = dest("10.0.0.1", 1000 + i);
		add(&v[i].hist, 100, i + 1);
		v[i].hist.fail_reasons[FAIL_REFUSED] = 1;
	}
	assert_int_equal(expo_series_init(&s, 2), 0);
	t = render(HIST_BY_DPORT, &s, v, 4, &SELF, false);
	/* The first two keys keep their series; the other two add up in "other". */
	assert_line(t, "tcpconnlat_connect_duration_seconds_count{dport=\"1000\"} 1");
	assert_line(t, "tcpconnlat_connect_duration_seconds_count{dport=\"1001\"} 2");
	assert_line(t, "tcpconnlat_connect_duration_seconds_count{dport=\"other\"} 7");
	assert_line(t, "tcpconnlat_connect_failures_total{dport=\"other\",reason=\"refused\"} 2");
	assert_line(t, "tcpconnlat_overflow_keys 2");
	assert_int_equal(count_lines(t, "tcpconnlat_connect_duration_seconds_count"), 3);
	assert_grammar(t);
	free(t);

	/* Later: a key that sorts first does not take a series from the others (every counter
	 * only grows), and more connects on the kept keys count there. */
	for (i = 0; i < 4; i++)
		v[i] = (struct hist_entry){.key = v[i].key, .hist = v[i].hist};
	v[4] = dest("10.0.0.1", 999);
	add(&v[4].hist, 100, 10);
	add(&v[0].hist, 100, 5);
	t = render(HIST_BY_DPORT, &s, v, 5, &SELF, false);
	assert_line(t, "tcpconnlat_connect_duration_seconds_count{dport=\"1000\"} 6");
	assert_line(t, "tcpconnlat_connect_duration_seconds_count{dport=\"1001\"} 2");
	assert_line(t, "tcpconnlat_connect_duration_seconds_count{dport=\"other\"} 17");
	assert_line(t, "tcpconnlat_overflow_keys 3");
	assert_no(t, "dport=\"999\"");
	free(t);
	expo_series_free(&s);
}

static void test_openmetrics(void **state)
{
	struct expo_series s;
	char *t;

	(void)state;
	assert_int_equal(expo_series_init(&s, 10), 0);
	t = render(HIST_BY_NONE, &s, NULL, 0, &SELF, true);
	/* Counter families are named without _total; their samples keep it. */
	assert_line(t, "# TYPE tcpconnlat_connect_failures counter");
	assert_line(t, "tcpconnlat_connect_failures_total{reason=\"refused\"} 0");
	assert_line(t, "# TYPE tcpconnlat_syn_retransmits counter");
	assert_line(t, "# TYPE tcpconnlat_overflow_keys gauge");
	assert_int_equal(strcmp(t + strlen(t) - 6, "# EOF\n"), 0);
	assert_grammar(t);
	free(t);
	expo_series_free(&s);
}

static void test_bpf_stats(void **state)
{
	struct expo_self self = SELF;
	struct expo_series s;
	char *t;

	(void)state;
	self.bpf_stats = true;
	self.nprogs = 2;
	strcpy(self.progs[0].name, "tp_set_state");
	self.progs[0].run_ns = 1500000001;
	self.progs[0].runs = 42;
	strcpy(self.progs[1].name, "sys_exit_connect");
	self.keys_full = 3;
	self.inflight_full = 4;
	self.pending_full = 5;
	self.unseen = 7;
	self.runs_missed = 6;
	assert_int_equal(expo_series_init(&s, 10), 0);
	t = render(HIST_BY_NONE, &s, NULL, 0, &self, false);
	assert_line(t, "tcpconnlat_bpf_run_seconds_total{program=\"tp_set_state\"} 1.500000001");
	assert_line(t, "tcpconnlat_bpf_runs_total{program=\"tp_set_state\"} 42");
	assert_line(t, "tcpconnlat_bpf_runs_total{program=\"sys_exit_connect\"} 0");
	assert_line(t, "tcpconnlat_uncounted_connects_total{reason=\"keys_full\"} 3");
	assert_line(t, "tcpconnlat_uncounted_connects_total{reason=\"inflight_full\"} 4");
	assert_line(t, "tcpconnlat_uncounted_connects_total{reason=\"pending_full\"} 5");
	assert_line(t, "tcpconnlat_uncounted_connects_total{reason=\"unseen\"} 7");
	assert_line(t, "tcpconnlat_bpf_runs_missed_total 6");
	assert_grammar(t);
	free(t);
	expo_series_free(&s);
}

static void test_wants_openmetrics(void **state)
{
	(void)state;
	/* What Prometheus 2.x sends. */
	assert_true(expo_wants_openmetrics(
		"application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
	assert_true(expo_wants_openmetrics("application/openmetrics-text"));
	assert_false(expo_wants_openmetrics("*/*"));
	assert_false(expo_wants_openmetrics(""));
	assert_false(expo_wants_openmetrics("text/plain;version=0.0.4"));
	assert_false(
		expo_wants_openmetrics("application/openmetrics-text;q=0.3, text/plain;q=0.5"));
	assert_false(expo_wants_openmetrics("application/openmetrics-text;q=0"));
	assert_false(expo_wants_openmetrics("application/openmetrics-textx"));
}

static void test_escape(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(expo_escape("a\"b", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "a\\\"b");
	/* Cut at a whole character: never half an escape. */
	assert_int_equal(expo_escape("abcdef\\g", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "abcdef");
}

/* The kernel's reasons are -x's RESULT words, for every errno. */
static void test_fail_reason_matches_fmt_result(void **state)
{
	struct event e = {.failed = 1};
	char buf[64];
	unsigned int err;

	(void)state;
	for (err = 0; err < 4096; err++) {
		enum fail_reason r = fail_reason_of(err);

		e.err = err;
		fmt_result(&e, buf, sizeof(buf));
		if (r == FAIL_ERROR)
			assert_int_equal(strncmp(buf, "error:", 6), 0);
		else
			assert_string_equal(buf, fail_reason_name(r));
	}
	assert_int_equal(fail_reason_of(ECONNREFUSED), FAIL_REFUSED);
	assert_int_equal(fail_reason_of(ETIMEDOUT), FAIL_TIMEOUT);
	assert_int_equal(fail_reason_of(ENETUNREACH), FAIL_UNREACH);
	assert_int_equal(fail_reason_of(EHOSTUNREACH), FAIL_UNREACH);
	assert_int_equal(fail_reason_of(0), FAIL_ABORTED);
	assert_int_equal(fail_reason_of(ECONNRESET), FAIL_ERROR);
}

static void test_textfile(void **state)
{
	char dir[] = "/tmp/tcl-textfile-XXXXXX", path[64], buf[64];
	struct dirent *d;
	struct stat st;
	DIR *dp;
	FILE *f;
	int files = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.prom", dir);
	assert_int_equal(textfile_check(path), 0);
	assert_int_equal(textfile_write(path, "one\n", 4), 0);
	assert_int_equal(textfile_write(path, "two 2\n", 6), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "two 2\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* No temporary file left behind. */
	dp = opendir(dir);
	assert_non_null(dp);
	while ((d = readdir(dp)))
		files += d->d_name[0] != '.' || (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."));
	closedir(dp);
	assert_int_equal(files, 1);
	assert_int_equal(textfile_check(dir), -EISDIR);
	unlink(path);
	rmdir(dir);
	assert_int_equal(textfile_check("/nonexistent-dir/t.prom"), -ENOENT);
	assert_int_equal(textfile_write("/nonexistent-dir/t.prom", "x", 1), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_le),
		cmocka_unit_test(test_empty_no_by),
		cmocka_unit_test(test_buckets_and_labels),
		cmocka_unit_test(test_by_list_labels),
		cmocka_unit_test(test_comm_escaped),
		cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_bpf_stats),
		cmocka_unit_test(test_wants_openmetrics),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_fail_reason_matches_fmt_result),
		cmocka_unit_test(test_textfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

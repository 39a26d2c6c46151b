// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Unit tests for expo.c (the Prometheus exposition: buckets, labels, the series cap,
 * OpenMetrics, the protobuf format, decoded with protobuf-c), textfile.c (atomic writes) and the
 * failure classification the kernel shares with fmt_result().
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
#include "metrics.pb-c.h"
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
	assert_line(t, "# TYPE tcpconnlat_presyn_failures_counted gauge");
	assert_line(t, "tcpconnlat_presyn_failures_counted 1");
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
	self.uncounted.n[UNCOUNTED_KEYS_FULL] = 3;
	self.uncounted.n[UNCOUNTED_INFLIGHT_FULL] = 4;
	self.uncounted.n[UNCOUNTED_OUTCOME_UNSEEN] = 7;
	self.runs_missed = 6;
	assert_int_equal(expo_series_init(&s, 10), 0);
	t = render(HIST_BY_NONE, &s, NULL, 0, &self, false);
	assert_line(t, "tcpconnlat_bpf_run_seconds_total{program=\"tp_set_state\"} 1.500000001");
	assert_line(t, "tcpconnlat_bpf_runs_total{program=\"tp_set_state\"} 42");
	assert_line(t, "tcpconnlat_bpf_runs_total{program=\"sys_exit_connect\"} 0");
	assert_line(t, "tcpconnlat_uncounted_connects_total{reason=\"keys_full\"} 3");
	assert_line(t, "tcpconnlat_uncounted_connects_total{reason=\"inflight_full\"} 4");
	assert_null(strstr(t, "pending_full"));
	assert_line(t, "tcpconnlat_uncounted_connects_total{reason=\"unseen\"} 7");
	assert_line(
		t, "# HELP tcpconnlat_uncounted_connects_total Connects missing from the "
		   "metrics: keys_full (the kernel's map of label sets was full), inflight_full "
		   "(too many handshakes at once, never timed), unseen (the kernel ran none of our "
		   "programs for the outcome).");
	assert_line(t, "tcpconnlat_bpf_runs_missed_total 6");
	assert_line(t, "tcpconnlat_presyn_failures_counted 1");
	assert_grammar(t);
	free(t);
	expo_series_free(&s);
}

/* Without the syscall trace events the gauge says failures before any SYN are uncounted. */
static void test_no_presyn(void **state)
{
	struct expo_self self = SELF;
	struct expo_series s;
	char *t;

	(void)state;
	self.no_presyn = true;
	assert_int_equal(expo_series_init(&s, 10), 0);
	t = render(HIST_BY_NONE, &s, NULL, 0, &self, true);
	assert_line(t, "# TYPE tcpconnlat_presyn_failures_counted gauge");
	assert_line(t, "tcpconnlat_presyn_failures_counted 0");
	assert_int_equal(count_lines(t, "tcpconnlat_presyn_failures_counted"), 1);
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

/* Schema-0 bucket boundaries are powers of two of seconds, exact to the nanosecond. */
static void test_native_slot(void **state)
{
	(void)state;
	assert_int_equal(native_slot(0), 0);
	assert_int_equal(native_slot(953), 0); /* 2^-20 s is 953.674 ns: the zero bucket */
	assert_int_equal(native_slot(954), 1); /* (2^-20, 2^-19] s: bucket -19 */
	assert_int_equal(native_slot(1907), 1);
	assert_int_equal(native_slot(1908), 2);
	/* 2^-9 s is exactly 1953125 ns: in bucket -9 (upper bound inclusive), one more ns in -8 */
	assert_int_equal(native_slot(1953125), 11);
	assert_int_equal(native_slot(1953126), 12);
	assert_int_equal(native_slot(1000000000), 20); /* 1 s: bucket 0, (0.5, 1] */
	assert_int_equal(native_slot(1000000001), 21); /* bucket 1, (1, 2] */
	assert_int_equal(native_slot(1024000000000ull), 30);
	assert_int_equal(native_slot(1024000000001ull), 31);   /* (1024, 2048] s */
	assert_int_equal(native_slot(100000000000000ull), 31); /* and above: the last slot */
}

static void test_negotiate(void **state)
{
	(void)state;
	/* What Prometheus 2.42 sends with --enable-feature=native-histograms. */
	assert_int_equal(expo_negotiate("application/vnd.google.protobuf;proto=io.prometheus."
					"client.MetricFamily;encoding=delimited;q=0.7,text/"
					"plain;version=0.0.4;q=0.3,*/*;q=0.2"),
			 EXPO_PROTOBUF);
	/* ... and without it. */
	assert_int_equal(expo_negotiate("application/openmetrics-text;version=1.0.0,application/"
					"openmetrics-text;version=0.0.1;q=0.75,text/"
					"plain;version=0.0.4;q=0.5,*/*;q=0.1"),
			 EXPO_OPENMETRICS);
	assert_int_equal(expo_negotiate(NULL), EXPO_TEXT);
	assert_int_equal(expo_negotiate("*/*"), EXPO_TEXT);
	/* Only the delimited MetricFamily stream is served. */
	assert_int_equal(expo_negotiate("application/vnd.google.protobuf;proto=io.prometheus."
					"client.MetricFamily;encoding=text"),
			 EXPO_TEXT);
	assert_int_equal(expo_negotiate("application/vnd.google.protobuf;encoding=delimited"),
			 EXPO_TEXT);
	assert_int_equal(expo_negotiate("application/vnd.google.protobuf; "
					"proto=io.prometheus.client.MetricFamily; "
					"encoding=delimited"),
			 EXPO_PROTOBUF);
	/* The highest q wins; a tie goes to the text formats. */
	assert_int_equal(expo_negotiate("application/vnd.google.protobuf;proto=io.prometheus."
					"client.MetricFamily;encoding=delimited;q=0.4,text/"
					"plain;q=0.5"),
			 EXPO_TEXT);
	assert_int_equal(expo_negotiate("application/vnd.google.protobuf;proto=io.prometheus."
					"client.MetricFamily;encoding=delimited,text/plain"),
			 EXPO_TEXT);
	assert_int_equal(expo_negotiate("application/vnd.google.protobuf;proto=io.prometheus."
					"client.MetricFamily;encoding=delimited;q=0"),
			 EXPO_TEXT);
}

/* The delimited messages of a protobuf scrape, unpacked by protobuf-c; returns how many. */
static size_t unpack(const struct strbuf *b, Io__Prometheus__Client__MetricFamily **f, size_t max)
{
	size_t pos = 0, n = 0, len;
	int shift;

	while (pos < b->len && n < max) {
		for (len = 0, shift = 0; pos < b->len; shift += 7) {
			uint8_t c = b->p[pos++];

			len |= (size_t)(c & 0x7f) << shift;
			if (!(c & 0x80))
				break;
		}
		assert_true(pos + len <= b->len);
		f[n] = io__prometheus__client__metric_family__unpack(NULL, len,
								     (uint8_t *)b->p + pos);
		assert_non_null(f[n]);
		n++;
		pos += len;
	}
	assert_int_equal(pos, b->len);
	return n;
}

static const char *label_value(const Io__Prometheus__Client__Metric *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n_label; i++)
		if (!strcmp(m->label[i]->name, name))
			return m->label[i]->value;
	return NULL;
}

static void test_protobuf(void **state)
{
	Io__Prometheus__Client__MetricFamily *f[16];
	Io__Prometheus__Client__Histogram *h;
	struct hist_entry v[2] = {dest("10.0.0.1", 443), dest("10.0.0.2", 80)};
	struct expo_series s;
	struct strbuf b = {};
	size_t n, i;

	(void)state;
	/* 10.0.0.1: 3 in the zero bucket, 2 in bucket -14, 5 in -13, 1 in 1 (a 1.02 s one). */
	v[0].hist.nslots[0] = 3;
	v[0].hist.nslots[6] = 2;
	v[0].hist.nslots[7] = 5;
	v[0].hist.nslots[21] = 1;
	v[0].hist.slots[5] = 10; /* the classic slots: not in the protobuf format */
	v[0].hist.count = 11;
	v[0].hist.sum_us = 1020300;
	v[0].hist.fail_reasons[FAIL_REFUSED] = 4;
	v[0].hist.syn_retrans = 1;
	/* 10.0.0.2: nothing yet but a failure. */
	v[1].hist.fail_reasons[FAIL_TIMEOUT] = 1;
	assert_int_equal(expo_series_init(&s, 10), 0);
	expo_render(&b, HIST_BY_DEST, NULL, &s, v, 2, &SELF, EXPO_PROTOBUF);
	assert_false(b.oom);
	n = unpack(&b, f, 16);
	assert_int_equal(n, 8);
	assert_string_equal(f[0]->name, "tcpconnlat_connect_duration_seconds");
	assert_int_equal(f[0]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
	assert_int_equal(f[0]->n_metric, 2);
	assert_string_equal(label_value(f[0]->metric[0], "daddr"), "10.0.0.1");
	assert_string_equal(label_value(f[0]->metric[0], "dport"), "443");
	h = f[0]->metric[0]->histogram;
	assert_non_null(h);
	assert_true(h->has_schema && h->schema == 0);
	assert_true(h->zero_threshold == 1.0 / (1 << 20));
	assert_int_equal(h->zero_count, 3);
	assert_int_equal(h->sample_count, 11);
	assert_true(h->sample_sum > 1.0202999 && h->sample_sum < 1.0203001);
	assert_int_equal(h->n_bucket, 0); /* no classic buckets ride along */
	/* Buckets -14, -13 in one span; 1 in a second, 13 buckets after -13's end. */
	assert_int_equal(h->n_positive_span, 2);
	assert_int_equal(h->positive_span[0]->offset, -14);
	assert_int_equal(h->positive_span[0]->length, 2);
	assert_int_equal(h->positive_span[1]->offset, 1 - (-12));
	assert_int_equal(h->positive_span[1]->length, 1);
	assert_int_equal(h->n_positive_delta, 3);
	assert_int_equal(h->positive_delta[0], 2);
	assert_int_equal(h->positive_delta[1], 3);
	assert_int_equal(h->positive_delta[2], -4);
	/* Empty: still native (zero threshold, a span of length 0). */
	h = f[0]->metric[1]->histogram;
	assert_int_equal(h->sample_count, 0);
	assert_true(h->zero_threshold > 0);
	assert_int_equal(h->n_positive_span, 1);
	assert_int_equal(h->positive_span[0]->length, 0);
	assert_int_equal(h->n_positive_delta, 0);
	/* The counters, with the reason label after the key's. */
	assert_string_equal(f[1]->name, "tcpconnlat_connect_failures_total");
	assert_int_equal(f[1]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
	assert_int_equal(f[1]->n_metric, 2 * FAIL_REASONS);
	for (i = 0; i < f[1]->n_metric; i++) {
		const Io__Prometheus__Client__Metric *m = f[1]->metric[i];
		double want = !strcmp(label_value(m, "reason"), "refused") &&
					      !strcmp(label_value(m, "daddr"), "10.0.0.1")
				      ? 4
			      : !strcmp(label_value(m, "reason"), "timeout") &&
					      !strcmp(label_value(m, "daddr"), "10.0.0.2")
				      ? 1
				      : 0;

		assert_int_equal(m->n_label, 3);
		assert_non_null(m->counter);
		assert_true(m->counter->value == want);
	}
	assert_string_equal(f[2]->name, "tcpconnlat_syn_retransmits_total");
	assert_true(f[2]->metric[0]->counter->value == 1);
	assert_string_equal(f[3]->name, "tcpconnlat_build_info");
	assert_int_equal(f[3]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE);
	assert_string_equal(label_value(f[3]->metric[0], "version"), "1.2.3");
	/* SELF counts failures before any SYN. */
	assert_string_equal(f[4]->name, "tcpconnlat_presyn_failures_counted");
	assert_int_equal(f[4]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE);
	assert_true(f[4]->metric[0]->gauge->value == 1);
	assert_string_equal(f[5]->name, "tcpconnlat_uncounted_connects_total");
	assert_string_equal(f[7]->name, "tcpconnlat_overflow_keys");
	for (i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(f[i], NULL);
	sb_free(&b);
	expo_series_free(&s);
}

/* Label values reach the protobuf format unescaped: exactly what the text format means. */
static void test_protobuf_labels(void **state)
{
	Io__Prometheus__Client__MetricFamily *f[16];
	struct hist_entry v = {};
	struct expo_series s;
	struct strbuf b = {};
	size_t n, i;

	(void)state;
	memcpy(v.key.comm, "a\"b,c=d\\", 9);
	assert_int_equal(expo_series_init(&s, 10), 0);
	expo_render(&b, HIST_BY_COMM, NULL, &s, &v, 1, &SELF, EXPO_PROTOBUF);
	n = unpack(&b, f, 16);
	assert_true(n >= 3);
	assert_string_equal(label_value(f[0]->metric[0], "comm"), "a\"b,c=d\\x5c");
	assert_string_equal(label_value(f[1]->metric[0], "comm"), "a\"b,c=d\\x5c");
	assert_string_equal(label_value(f[1]->metric[0], "reason"), "refused");
	for (i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(f[i], NULL);
	sb_free(&b);
	expo_series_free(&s);
}

/*
 * --by dhost: user space aggregates the events (uhist), and its histograms carry the native
 * slots too, from the exact nanoseconds: 2^-10 s is 976562.5 ns, so 976 us 562 ns is in
 * bucket -10 and one nanosecond more in -9.
 */
static void test_protobuf_dhost(void **state)
{
	Io__Prometheus__Client__MetricFamily *f[16];
	Io__Prometheus__Client__Histogram *h;
	struct event e = {.af = AF_INET, .dport = 443, .delta_us = 976, .delta_ns = 562};
	struct hist_entry v[4];
	struct expo_series s;
	struct strbuf b = {};
	struct uhist u;
	uint64_t lost;
	size_t n, i;
	int by;

	(void)state;
	inet_pton(AF_INET, "10.0.0.1", e.daddr);
	by = hist_by_parse("dhost");
	assert_int_equal(uhist_init(&u, by, 4), 0);
	uhist_add(&u, &e, "web.test");
	uhist_add(&u, &e, "web.test");
	e.delta_ns = 563;
	uhist_add(&u, &e, "web.test");
	e.delta_us = 1000000; /* 1 s: bucket 0, (0.5, 1] */
	e.delta_ns = 0;
	uhist_add(&u, &e, "web.test");
	n = uhist_read(&u, v, 4, &lost);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].hist.nslots[10], 2);
	assert_int_equal(v[0].hist.nslots[11], 1);
	assert_int_equal(v[0].hist.nslots[20], 1);
	assert_int_equal(expo_series_init(&s, 10), 0);
	expo_render(&b, by, NULL, &s, v, n, &SELF, EXPO_PROTOBUF);
	assert_false(b.oom);
	n = unpack(&b, f, 16);
	assert_true(n >= 1);
	assert_string_equal(f[0]->name, "tcpconnlat_connect_duration_seconds");
	assert_int_equal(f[0]->n_metric, 1);
	assert_string_equal(label_value(f[0]->metric[0], "dhost"), "web.test");
	h = f[0]->metric[0]->histogram;
	assert_int_equal(h->sample_count, 4);
	assert_int_equal(h->zero_count, 0);
	/* Buckets -10 (2) and -9 (1), then 0 (1): 8 buckets after -9's end. */
	assert_int_equal(h->n_positive_span, 2);
	assert_int_equal(h->positive_span[0]->offset, -10);
	assert_int_equal(h->positive_span[0]->length, 2);
	assert_int_equal(h->positive_span[1]->offset, 8);
	assert_int_equal(h->positive_span[1]->length, 1);
	assert_int_equal(h->n_positive_delta, 3);
	assert_int_equal(h->positive_delta[0], 2);
	assert_int_equal(h->positive_delta[1], -1);
	assert_int_equal(h->positive_delta[2], 0);
	for (i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(f[i], NULL);
	sb_free(&b);
	expo_series_free(&s);
	uhist_free(&u);
}

/* --buckets: fewer le lines; the kept ones and +Inf count exactly what they did. */
static void test_buckets_range(void **state)
{
	struct hist_entry v = dest("10.0.0.1", 443);
	struct expo_series s;
	char *t;
	int i;

	(void)state;
	for (i = 0; i < HIST_SLOTS; i++)
		v.hist.slots[i] = 1;
	assert_int_equal(expo_series_init(&s, 10), 0);
	expo_buckets(&s, 100, 10000000); /* 100us,10s: le 64 us .. 16.777216 s */
	t = render(HIST_BY_NONE, &s, &v, 1, &SELF, false);
	assert_int_equal(count_lines(t, "tcpconnlat_connect_duration_seconds_bucket"), 19 + 1);
	assert_line(t, "tcpconnlat_connect_duration_seconds_bucket{le=\"0.000064\"} 6");
	assert_line(t, "tcpconnlat_connect_duration_seconds_bucket{le=\"16.777216\"} 24");
	assert_line(t, "tcpconnlat_connect_duration_seconds_bucket{le=\"+Inf\"} 32");
	assert_no(t, "le=\"0.000032\"");
	assert_no(t, "le=\"33.554432\"");
	assert_grammar(t);
	free(t);
	/* Bounds on the grid are kept as they are; beyond it, the ends of the grid. */
	expo_buckets(&s, 1024, 2048);
	t = render(HIST_BY_NONE, &s, &v, 1, &SELF, false);
	assert_int_equal(count_lines(t, "tcpconnlat_connect_duration_seconds_bucket"), 2 + 1);
	free(t);
	expo_buckets(&s, 1, 2147000000);
	t = render(HIST_BY_NONE, &s, &v, 1, &SELF, false);
	assert_int_equal(count_lines(t, "tcpconnlat_connect_duration_seconds_bucket"), 31 + 1);
	free(t);
	expo_series_free(&s);
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
		cmocka_unit_test(test_no_presyn),
		cmocka_unit_test(test_wants_openmetrics),
		cmocka_unit_test(test_native_slot),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_protobuf),
		cmocka_unit_test(test_protobuf_labels),
		cmocka_unit_test(test_protobuf_dhost),
		cmocka_unit_test(test_buckets_range),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_fail_reason_matches_fmt_result),
		cmocka_unit_test(test_textfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Unit tests for events.c: the perf event attributes and decoding perf-buffer records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "counters.h"
#include "events.h"

struct seen {
	int events, lost_calls, cpu;
	uint64_t lost;
	struct event last;
};

static void on_event(void *ctx, const struct event *e)
{
	struct seen *s = ctx;

	s->events++;
	s->last = *e;
}

static void on_lost(void *ctx, int cpu, uint64_t n)
{
	struct seen *s = ctx;

	s->lost_calls++;
	s->lost += n;
	s->cpu = cpu;
}

/* A sample record as the kernel writes it: the raw data starts 4 bytes after the header. */
struct sample {
	struct perf_event_header h;
	uint32_t size;
	unsigned char data[sizeof(struct event) + 4];
} __attribute__((aligned(8)));

static struct sample make_sample(const struct event *e, uint32_t raw_size, uint16_t rec_size)
{
	struct sample r;

	memset(&r, 0, sizeof(r));
	r.h.type = PERF_RECORD_SAMPLE;
	r.h.size = rec_size;
	r.size = raw_size;
	memcpy(r.data, e, sizeof(*e));
	return r;
}

static void test_sample_delivered_whole(void **state)
{
	struct seen s = {0};
	struct event_sink sink = {on_event, on_lost, &s};
	struct event e = {.tgid = 4242, .lport = 5555, .dport = 443, .af = 2, .delta_us = 1234};
	struct sample r;

	(void)state;
	strcpy(e.comm, "curl");
	/* The kernel pads the raw data to 8-byte alignment: 4 bytes more than the event. */
	r = make_sample(&e, sizeof(e) + 4, sizeof(r));
	assert_int_equal(events_record(&sink, 1, &r.h), 1);
	assert_int_equal(s.events, 1);
	assert_memory_equal(&s.last, &e, sizeof(e));
	assert_int_equal(s.lost_calls, 0);
}

static void test_short_or_overlong_sample_skipped(void **state)
{
	struct seen s = {0};
	struct event_sink sink = {on_event, on_lost, &s};
	struct event e = {.tgid = 1};
	struct sample r;

	(void)state;
	r = make_sample(&e, sizeof(e) - 1, sizeof(r));
	assert_int_equal(events_record(&sink, 0, &r.h), -1);
	/* A raw size larger than the record holds would read past it. */
	r = make_sample(&e, sizeof(r), sizeof(r));
	assert_int_equal(events_record(&sink, 0, &r.h), -1);
	r = make_sample(&e, sizeof(e), 4);
	assert_int_equal(events_record(&sink, 0, &r.h), -1);
	assert_int_equal(s.events, 0);
}

static void test_lost_record(void **state)
{
	struct seen s = {0};
	struct event_sink sink = {on_event, on_lost, &s};
	struct {
		struct perf_event_header h;
		uint64_t id, lost;
	} r = {{PERF_RECORD_LOST, 0, sizeof(r)}, 7, 12345};

	(void)state;
	assert_int_equal(events_record(&sink, 3, &r.h), 0);
	assert_int_equal(s.lost_calls, 1);
	assert_int_equal(s.lost, 12345);
	assert_int_equal(s.cpu, 3);
	r.h.size = sizeof(r.h) + 8;
	assert_int_equal(events_record(&sink, 3, &r.h), -1);
	assert_int_equal(s.lost_calls, 1);
}

static void test_other_records_skipped(void **state)
{
	struct seen s = {0};
	struct event_sink sink = {on_event, on_lost, &s};
	struct perf_event_header h = {PERF_RECORD_THROTTLE, 0, sizeof(h) + 24};

	(void)state;
	assert_int_equal(events_record(&sink, 0, &h), -1);
	assert_int_equal(s.events + s.lost_calls, 0);
}

static void test_attr_batches_wakeups(void **state)
{
	struct perf_event_attr a;

	(void)state;
	events_attr(&a, 65536);
	assert_int_equal(a.type, PERF_TYPE_SOFTWARE);
	assert_int_equal(a.config, PERF_COUNT_SW_BPF_OUTPUT);
	assert_int_equal(a.sample_type, PERF_SAMPLE_RAW);
	assert_int_equal(a.sample_period, 1);
	assert_int_equal(a.watermark, 1);
	assert_int_equal(a.wakeup_watermark, 65536);
	assert_int_equal(a.size, sizeof(a));
	events_attr(&a, 0);
	assert_int_equal(a.watermark, 0);
	assert_int_equal(a.wakeup_events, 1);
	/* A quarter of the buffer, and never more than it holds. */
	assert_int_equal(events_wakeup_bytes(262144), 65536);
	assert_true(events_wakeup_bytes(4096) < 4096);
	assert_true(events_wakeup_bytes(4096) > 0);
}

/* What f wrote since it was opened, as a string; f is closed. */
static char *text_of(FILE *f, char **buf)
{
	fclose(f);
	return *buf;
}

/* -v: a line per count that grew, with how many more and the total; nothing otherwise. */
static void test_untracked_grew(void **state)
{
	struct untracked seen = {}, now = {.n[UNCOUNTED_INFLIGHT_FULL] = 5};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	untracked_grew(&seen, &now, f);
	untracked_grew(&seen, &now, f); /* no growth: no line */
	now.n[UNCOUNTED_INFLIGHT_FULL] = 7;
	untracked_grew(&seen, &now, f);
	assert_string_equal(text_of(f, &buf),
			    "tcpconnlat: 5 more connects untimed: more than 16384 handshakes in "
			    "flight (5 so far)\n"
			    "tcpconnlat: 2 more connects untimed: more than 16384 handshakes in "
			    "flight (7 so far)\n");
	assert_int_equal(seen.n[UNCOUNTED_INFLIGHT_FULL], 7);
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	now.n[UNCOUNTED_OUTCOME_UNSEEN] = 249;
	untracked_grew(&seen, &now, f);
	assert_string_equal(
		text_of(f, &buf),
		"tcpconnlat: 249 more connects ended unseen: the kernel ran none of our "
		"programs for their outcome (249 so far)\n");
	assert_int_equal(seen.n[UNCOUNTED_OUTCOME_UNSEEN], 249);
	free(buf);
}

/* At exit: one line per count that is not 0, none when nothing was missed. */
static void test_untracked_report(void **state)
{
	struct untracked none = {}, some = {.n[UNCOUNTED_INFLIGHT_FULL] = 1068,
					    .n[UNCOUNTED_OUTCOME_UNSEEN] = 3};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	untracked_report(&none, f);
	assert_string_equal(text_of(f, &buf), "");
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	untracked_report(&some, f);
	text_of(f, &buf);
	assert_non_null(strstr(buf, "tcpconnlat: 1068 connects untimed in total: more than 16384 "
				    "handshakes in flight at once"));
	assert_non_null(strstr(buf, "\ntcpconnlat: 3 connects ended unseen in total: the kernel "
				    "ran none of our programs for their outcome"));
	assert_int_equal(strchr(strchr(buf, '\n') + 1, '\n')[1], '\0');
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	some = (struct untracked){.n[UNCOUNTED_OUTCOME_UNSEEN] = 420};
	untracked_report(&some, f);
	assert_string_equal(
		text_of(f, &buf),
		"tcpconnlat: 420 connects ended unseen in total: the kernel ran none of "
		"our programs for their outcome (neither printed nor counted in -H)\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_delivered_whole),
		cmocka_unit_test(test_short_or_overlong_sample_skipped),
		cmocka_unit_test(test_lost_record),
		cmocka_unit_test(test_other_records_skipped),
		cmocka_unit_test(test_attr_batches_wakeups),
		cmocka_unit_test(test_untracked_grew),
		cmocka_unit_test(test_untracked_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

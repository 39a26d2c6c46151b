// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * User-space throughput without a kernel: synthetic perf-buffer records through the tool's
 * own path (events_record, fmt_event or json_event, out_line, a flush per batch) to stdout.
 *
 *   fmtbench [-n LINES] [-b BATCH] [-j] [-w]     -w: the wide text (-t -L -r -x columns)
 *
 * Prints "lines=N secs=S rate=R" (lines per second) on stderr.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "events.h"
#include "format.h"
#include "json.h"
#include "output.h"

struct bench {
	struct formatter fmt;
	struct json_ctx json;
	bool use_json;
	struct output out;
	unsigned long long lines;
};

static void on_event(void *ctx, const struct event *e)
{
	struct bench *b = ctx;
	char line[JSON_LINE_MAX];
	size_t n;

	if (b->use_json)
		n = json_event(&b->json, e, line, sizeof(line));
	else
		n = fmt_event(&b->fmt, e, line, sizeof(line));
	out_line(&b->out, line, n);
	b->lines++;
}

static void on_lost(void *ctx, int cpu, uint64_t n)
{
	(void)ctx;
	(void)cpu;
	(void)n;
}

/* A perf sample record as the kernel lays it out: header, raw size, the event. */
struct record {
	struct perf_event_header header;
	uint32_t size;
	struct event e;
} __attribute__((packed, aligned(8)));

/* Events of both families, with varying ports, latencies and names. */
static void make_records(struct record *r, int n)
{
	static const char *names[] = {"curl", "postgres", "python3", "a-15-byte-name!"};
	int i;

	memset(r, 0, sizeof(*r) * n);
	for (i = 0; i < n; i++) {
		r[i].header.type = PERF_RECORD_SAMPLE;
		r[i].header.size = sizeof(r[i]);
		r[i].size = sizeof(r[i].e);
		r[i].e.af = i % 4 == 3 ? AF_INET6 : AF_INET;
		if (r[i].e.af == AF_INET) {
			inet_pton(AF_INET, "10.1.2.3", r[i].e.saddr);
			inet_pton(AF_INET, "192.168.100.200", r[i].e.daddr);
		} else {
			inet_pton(AF_INET6, "fd00:1234::5", r[i].e.saddr);
			inet_pton(AF_INET6, "2001:db8:ffff::1:2", r[i].e.daddr);
		}
		strncpy(r[i].e.comm, names[i % 4], sizeof(r[i].e.comm) - 1);
		r[i].e.tgid = 1000 + i;
		r[i].e.lport = 32768 + i;
		r[i].e.dport = i % 2 ? 443 : 5432;
		r[i].e.delta_us = 37 + i * 1013;
		r[i].e.ts_us = 5000000000ull + i * 1000;
	}
}

int main(int argc, char **argv)
{
	static struct record recs[256];
	struct bench b = {0};
	struct event_sink sink = {.on_event = on_event, .on_lost = on_lost, .ctx = &b};
	unsigned long long n = 1000000, i;
	struct timespec t0, t1;
	int opt, batch = 64;
	bool wide = false;
	double secs;

	while ((opt = getopt(argc, argv, "n:b:jw")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			batch = atoi(optarg);
			break;
		case 'j':
			b.use_json = true;
			break;
		case 'w':
			wide = true;
			break;
		default:
			fprintf(stderr, "usage: fmtbench [-n LINES] [-b BATCH] [-j] [-w]\n");
			return 2;
		}
	}
	if (batch < 1) {
		fprintf(stderr, "fmtbench: bad batch '%s'\n", optarg);
		return 2;
	}
	make_records(recs, 256);
	fmt_init(&b.fmt, wide, wide);
	b.fmt.syn_retrans = b.fmt.result = wide;
	b.json.backend = "tracepoint";
	if (out_init(&b.out, stdout))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n && !b.out.err; i++) {
		recs[i % 256].e.ts_us += 256000;
		events_record(&sink, 0, (const void *)&recs[i % 256]);
		if ((i + 1) % batch == 0)
			out_flush(&b.out);
	}
	out_flush(&b.out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "lines=%llu secs=%.3f rate=%.0f\n", b.lines, secs, b.lines / secs);
	return b.out.err ? 1 : 0;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * The exporter's rendering without a kernel: N label sets (--by daddr) with filled
 * histograms, rendered R times in one format by the tool's own expo_render(), into one
 * buffer kept from render to render as the exporter does.
 *
 *   scrapebench -n SETS [-r RUNS] [-f text|openmetrics|protobuf]
 *
 * Prints "sets=N format=F bytes=B ms=M" on stdout: M the median time of one render.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "expo.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Connects in 8 neighbouring buckets of each grid, a few failures and retransmissions. */
static void fill(struct hist_entry *v, size_t n)
{
	size_t k;
	int i;

	memset(v, 0, n * sizeof(*v));
	for (k = 0; k < n; k++) {
		v[k].key.af = AF_INET;
		v[k].key.daddr[0] = 10;
		v[k].key.daddr[1] = k >> 16;
		v[k].key.daddr[2] = k >> 8;
		v[k].key.daddr[3] = k;
		for (i = 4; i < 12; i++) {
			v[k].hist.slots[i] = k % 7 + i;
			v[k].hist.nslots[i + 2] = k % 7 + i;
			v[k].hist.count += k % 7 + i;
		}
		v[k].hist.sum_us = v[k].hist.count * 300;
		v[k].hist.fail_reasons[0] = k % 3;
		v[k].hist.syn_retrans = k % 2;
	}
}

int main(int argc, char **argv)
{
	struct expo_self self = {.version = "bench", .backend = "tracepoint"};
	enum expo_format fmt = EXPO_TEXT;
	size_t n = 1, runs = 20, r, bytes = 0;
	struct hist_entry *v;
	struct expo_series s;
	double *t;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:f:")) != -1) {
		if (opt == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			runs = strtoul(optarg, NULL, 10);
		else if (opt == 'f' && !strcmp(optarg, "openmetrics"))
			fmt = EXPO_OPENMETRICS;
		else if (opt == 'f' && !strcmp(optarg, "protobuf"))
			fmt = EXPO_PROTOBUF;
		else if (opt != 'f' || strcmp(optarg, "text")) {
			fprintf(stderr, "usage: scrapebench -n SETS [-r RUNS] [-f FORMAT]\n");
			return 2;
		}
	}
	v = calloc(n, sizeof(*v));
	t = calloc(runs ? runs : 1, sizeof(*t));
	if (!v || !t || !runs || expo_series_init(&s, n)) {
		fprintf(stderr, "scrapebench: out of memory\n");
		return 1;
	}
	/* One buffer for every render, as the exporter keeps its last response's. */
	struct strbuf b = {};

	for (r = 0; r < runs; r++) {
		double t0;

		b.len = 0;
		/* Each scrape reads the kernel's map afresh: v is reordered by expo_render. */
		fill(v, n);
		t0 = now_ms();
		expo_render(&b, HIST_BY_DADDR, NULL, &s, v, n, &self, fmt);
		t[r] = now_ms() - t0;
		if (b.oom) {
			fprintf(stderr, "scrapebench: out of memory\n");
			return 1;
		}
		bytes = b.len;
	}
	sb_free(&b);
	qsort(t, runs, sizeof(*t), cmp_double);
	printf("sets=%zu format=%s bytes=%zu ms=%.3f\n", n,
	       fmt == EXPO_TEXT		 ? "text"
	       : fmt == EXPO_OPENMETRICS ? "openmetrics"
					 : "protobuf",
	       bytes, t[runs / 2]);
	expo_series_free(&s);
	free(v);
	free(t);
	return 0;
}

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * --metrics, --textfile: the kernel's cumulative histograms as Prometheus text (exposition
 * format 0.0.4, or OpenMetrics 1.0), or as protobuf with a native histogram (expo_pb.c).
 * No BPF and no I/O here.
 */
#ifndef TCPCONNLAT_EXPO_H
#define TCPCONNLAT_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup.h"
#include "counters.h"
#include "hist.h"
#include "text.h"

enum expo_format {
	EXPO_TEXT,	  /* text format 0.0.4 */
	EXPO_OPENMETRICS, /* OpenMetrics 1.0 text */
	EXPO_PROTOBUF,	  /* delimited io.prometheus.client.MetricFamily messages */
};

#define EXPO_MAX_PROGS 32

/* What the tool knows about itself, exported next to the connects. */
struct expo_self {
	const char *version, *backend;
	struct untracked uncounted; /* connects missing from the metrics, by why */
	uint64_t runs_missed;	    /* runs of our programs the kernel skipped */
	bool no_presyn;		    /* failures before any SYN go uncounted (no syscall events) */
	bool bpf_stats;		    /* kernel.bpf_stats_enabled: progs[] are meaningful */
	struct prog_stat progs[EXPO_MAX_PROGS];
	size_t nprogs;
};

/*
 * --max-series: the keys that have series of their own, the first max seen (in key order
 * within one scrape), for the whole run. A key never moves between its own series and the
 * "other" one, so every exported counter only grows.
 */
struct expo_series {
	struct hist_key *keys; /* sorted */
	size_t n, max;
	size_t folded;	       /* keys counted in "other" at the last render */
	int le_first, le_last; /* --buckets: the text formats' le buckets, by expo_le() index */
	struct pbenc *pb;      /* the protobuf encoder, kept with its memory between scrapes */
};

/* All le buckets (expo_buckets() narrows them). */
int expo_series_init(struct expo_series *s, size_t max);

/*
 * --buckets MIN,MAX (microseconds, 0 < MIN < MAX): the text formats keep the le buckets from
 * the largest le at or below MIN to the smallest at or above MAX. The counts stay exact: the
 * buckets are cumulative, so what is below the first is in it, and +Inf has everything.
 */
void expo_buckets(struct expo_series *s, uint64_t min_us, uint64_t max_us);
void expo_series_free(struct expo_series *s);

/*
 * Appends the whole exposition to b: the histograms in v[0..n) (cumulative, distinct keys,
 * any order; v is reordered), one series per key by --by (labels named after by; no label
 * for HIST_BY_NONE), keys past s->max added up in a series whose labels say "other", then
 * the self-metrics. cg names cgroups (may be NULL unless by is HIST_BY_CGROUP).
 */
void expo_render(struct strbuf *b, int by, struct cgroups *cg, struct expo_series *s,
		 struct hist_entry *v, size_t n, const struct expo_self *self,
		 enum expo_format fmt);

/* Content types of the three formats. */
#define EXPO_TEXT_TYPE	      "text/plain; version=0.0.4; charset=utf-8"
#define EXPO_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define EXPO_PROTOBUF_TYPE                                                           \
	"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; " \
	"encoding=delimited"

/* True when an HTTP Accept header asks for OpenMetrics (as Prometheus's scraper does). */
bool expo_wants_openmetrics(const char *accept);
/* The format an HTTP Accept header prefers: the highest q, text when nothing we serve. */
enum expo_format expo_negotiate(const char *accept);

/* le of bucket i (slots 0..i): 2^(i+1) microseconds, in seconds, as text. */
size_t expo_le(int i, char *buf, size_t len);

/* Label-value escaping of the text format: backslash, double quote and newline. */
size_t expo_escape(const char *s, char *out, size_t len);

#endif

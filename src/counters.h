/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * What the tool counts of itself: the connects it could not follow, by why, and its BPF
 * programs' run statistics. One table, uncounted_counters[], names each count for the exit
 * report, -v and the metrics; the loader fills the counts, the renderers read them.
 */
#ifndef TCPCONNLAT_COUNTERS_H
#define TCPCONNLAT_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

/* The connects missing from the output, by why; the order of the metrics' samples. */
enum uncounted {
	UNCOUNTED_KEYS_FULL,	  /* -H, metrics: the kernel's map of keys was full */
	UNCOUNTED_INFLIGHT_FULL,  /* handshakes past MAX_INFLIGHT at once, never timed */
	UNCOUNTED_OUTCOME_UNSEEN, /* ended with no run of ours seeing it */
	UNCOUNTED_REASONS,
};

struct uncounted_counter {
	const char *reason; /* the metrics' reason label */
	const char *help;   /* its words in the metric's HELP */
	/*
	 * The -v and exit report lines: "N more <what>: <why> (N so far)" and "N <what> in
	 * total: <why_total>". NULL: none (the histograms say keys_full themselves).
	 */
	const char *what, *why, *why_total;
	int limit; /* the capacity that ran out, for a "%d" in why and why_total */
};

extern const struct uncounted_counter uncounted_counters[UNCOUNTED_REASONS];

/*
 * The counts. The BPF side counts all but keys_full, as its inserts into a full map fail
 * (tracer_untracked()); keys_full comes with the histograms (tracer_read_hists()).
 */
struct untracked {
	uint64_t n[UNCOUNTED_REASONS];
};

/* -v: one line to err for each count that grew since *seen; *seen becomes *now. */
void untracked_grew(struct untracked *seen, const struct untracked *now, FILE *err);

/* At exit: one line to err for each count that is not 0. */
void untracked_report(const struct untracked *u, FILE *err);

/* One BPF program's run statistics (kernel.bpf_stats_enabled=1). */
struct prog_stat {
	char name[32];
	uint64_t run_ns, runs;
};

#endif

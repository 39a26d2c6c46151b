/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Loads the BPF object for the first backend that works (backend.h picks them, checks.h
 * checks the machine first), attaches it, and reads what it counts.
 */
#ifndef TCPCONNLAT_TRACER_H
#define TCPCONNLAT_TRACER_H

#include <stdio.h>
#include "args.h"
#include "backend.h"
#include "counters.h"
#include "hist.h"

struct tracer;

/*
 * What reads the events map: opened for each candidate once it is loaded, before its
 * programs are attached, so that no event is written while nobody can read it. open returns
 * 0 or a negative errno; close undoes it when the candidate then fails to attach.
 */
struct tracer_reader {
	int (*open)(void *ctx, int events_fd, int dns_fd); /* dns_fd: -N's, or -1 */
	void (*close)(void *ctx);
	/* Where cgroups are named (the -G family): each cgroup v2 directory made or renamed
	 * once tracing has started, as tracer_cgroups_drain() reads them. */
	void (*cgroup_named)(void *ctx, uint64_t id, const char *path);
	void *ctx;
};

/*
 * Loads the first candidate that works, opens the reader on it and attaches it: tracing has
 * started when this returns. cgroup_fd: the --cgroup directory (cgroup_filter_open()), or -1; it
 * stays the caller's to close. On failure prints why each candidate failed (one line each)
 * to err and returns NULL; a reader that cannot be opened ends the search (no backend helps).
 */
struct tracer *tracer_start(const struct config *cfg, int cgroup_fd, const struct tracer_reader *rd,
			    FILE *err);
enum backend tracer_backend(const struct tracer *t);
/*
 * -H: reads up to max histograms into v, returns how many. They are cumulative: the kernel
 * never empties them (hist_since() makes intervals of them), so a key once seen takes one of
 * the MAX_HIST_KEYS for the rest of the run. *lost: connects not counted since the start
 * because their key found the map full.
 */
size_t tracer_read_hists(struct tracer *t, struct hist_entry *v, size_t max, uint64_t *lost);
/* -N: DNS answers dropped so far because their perf buffer was full. */
uint64_t tracer_dns_lost(const struct tracer *t);
/* Events dropped so far because a perf buffer was full, counted by the BPF programs. */
uint64_t tracer_events_lost(const struct tracer *t);
/* The BPF side's counts of connects it could not follow into u (all but keys_full). */
void tracer_untracked(const struct tracer *t, struct untracked *u);
/*
 * Hands the cgroups made or renamed since the last call to the reader's cgroup_named; a
 * no-op when cgroups are not named. Returns how many.
 */
int tracer_cgroups_drain(struct tracer *t);
/* Detaches the programs (no new events); the maps stay readable until tracer_stop(). */
void tracer_detach(struct tracer *t);
/*
 * Runs of our programs the kernel skipped because the program was already running on that
 * CPU (an interrupt's softirq hit the same hook): connects started, completed or failed
 * unseen. Not all were connects; 0 on kernels that do not count them (before 5.12).
 */
uint64_t tracer_runs_missed(const struct tracer *t);
/*
 * Run time and run count of each loaded program into v (at most max); returns how many. The
 * kernel counts them only while kernel.bpf_stats_enabled is 1 (bpf_stats_enabled()).
 */
size_t tracer_prog_stats(const struct tracer *t, struct prog_stat *v, size_t max);
/* kernel.bpf_stats_enabled is 1. */
bool bpf_stats_enabled(void);
void tracer_stop(struct tracer *t);

#endif

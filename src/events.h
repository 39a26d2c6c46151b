/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Reads the events from the kernel's per-CPU perf buffers, waking user space once per batch
 * instead of once per event.
 */
#ifndef TCPCONNLAT_EVENTS_H
#define TCPCONNLAT_EVENTS_H

#include <stdint.h>
#include <stdio.h>
#include <linux/perf_event.h>
#include "tcpconnlat.h"

/* The perf buffer's records, as every reader of one sees them. PERF_SAMPLE_RAW: the header,
 * the size of the raw data, then the data. */
struct sample_record {
	struct perf_event_header header;
	uint32_t size;
	char data[];
};

/* PERF_RECORD_LOST: how many records the kernel could not write. */
struct lost_record {
	struct perf_event_header header;
	uint64_t id;
	uint64_t lost;
};

typedef void (*event_fn)(void *ctx, const struct event *e);
typedef void (*lost_fn)(void *ctx, int cpu, uint64_t n);

struct event_sink {
	event_fn on_event;
	lost_fn on_lost;
	void *ctx;
};

/*
 * The perf event attributes for the events map: a sample per event, and a wakeup only once
 * a buffer of buffer_bytes holds wakeup_bytes (0: wake on every event).
 */
void events_attr(struct perf_event_attr *attr, uint64_t wakeup_bytes);

/* The wakeup mark for a per-CPU buffer of that many bytes. */
uint64_t events_wakeup_bytes(uint64_t buffer_bytes);

/*
 * One record from a perf buffer: a sample holding a whole struct event goes to on_event, a
 * PERF_RECORD_LOST to on_lost; anything else (a short sample, other records) is skipped.
 * Returns 1 for an event, 0 for lost, -1 for skipped.
 */
int events_record(const struct event_sink *s, int cpu, const struct perf_event_header *h);

/*
 * A sample of the cgroup_paths map into *out (its path NUL-terminated): 0, or -1 for any
 * other record or a malformed one.
 */
int events_cgroup_record(const struct perf_event_header *h, struct cgroup_record *out);

#endif

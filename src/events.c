// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <string.h>
#include "events.h"

void events_attr(struct perf_event_attr *attr, uint64_t wakeup_bytes)
{
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = PERF_TYPE_SOFTWARE;
	attr->config = PERF_COUNT_SW_BPF_OUTPUT;
	attr->sample_type = PERF_SAMPLE_RAW;
	attr->sample_period = 1;
	/*
	 * Each wakeup is an irq_work that wakes the reader, which costs far more than the
	 * output itself (docs/performance.md). With a watermark, the reader wakes once per
	 * batch and picks up a partial batch on its poll timeout.
	 */
	if (wakeup_bytes) {
		attr->watermark = 1;
		attr->wakeup_watermark = wakeup_bytes;
	} else {
		attr->wakeup_events = 1;
	}
}

uint64_t events_wakeup_bytes(uint64_t buffer_bytes)
{
	/* A quarter full: the other three quarters absorb the time the reader takes to run. */
	return buffer_bytes / 4;
}

int events_record(const struct event_sink *s, int cpu, const struct perf_event_header *h)
{
	const struct sample_record *sr = (const void *)h;
	const struct lost_record *lr = (const void *)h;
	struct event e;

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		if (h->size < sizeof(*sr) || sr->size < sizeof(e) ||
		    sr->size > h->size - sizeof(*sr))
			return -1;
		/* The raw data follows a 4-byte size: copy it out to align it. */
		memcpy(&e, sr->data, sizeof(e));
		s->on_event(s->ctx, &e);
		return 1;
	case PERF_RECORD_LOST:
		if (h->size < sizeof(*lr))
			return -1;
		s->on_lost(s->ctx, cpu, lr->lost);
		return 0;
	}
	return -1;
}

int events_cgroup_record(const struct perf_event_header *h, struct cgroup_record *out)
{
	const struct sample_record *sr = (const void *)h;
	size_t n;

	if (h->type != PERF_RECORD_SAMPLE || h->size < sizeof(*sr) ||
	    sr->size > h->size - sizeof(*sr) || sr->size <= sizeof(out->id))
		return -1;
	memcpy(&out->id, sr->data, sizeof(out->id));
	n = sr->size - sizeof(out->id);
	if (n > sizeof(out->path) - 1)
		n = sizeof(out->path) - 1;
	memcpy(out->path, sr->data + sizeof(out->id), n);
	out->path[n] = '\0';
	return 0;
}

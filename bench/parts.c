// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * make bench: loads and attaches bench/parts.bpf.o (every program in it), reads its perf
 * buffer like the tracer does (64 pages per CPU, woken when a quarter full) and its ring
 * buffer (p_ringbuf's), prints "ready", and runs until SIGINT.
 *   parts OBJECT
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

#define PAGES 64

static enum bpf_perf_event_ret on_record(void *ctx, int cpu, struct perf_event_header *h)
{
	(void)ctx;
	(void)cpu;
	(void)h;
	return LIBBPF_PERF_EVENT_CONT;
}

static int on_ring_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

int main(int argc, char **argv)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.watermark = 1,
		.wakeup_watermark = PAGES * 4096 / 4,
	};
	struct perf_buffer *pb = NULL;
	struct ring_buffer *rb = NULL;
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	int err = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: parts OBJECT\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "parts: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "parts: cannot load %s\n", argv[1]);
		goto cleanup;
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "parts: cannot attach %s\n", bpf_program__name(prog));
			goto cleanup;
		}
	}
	pb = perf_buffer__new_raw(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")), PAGES,
				  &attr, on_record, NULL, NULL);
	if (!pb) {
		fprintf(stderr, "parts: cannot open the perf buffer\n");
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "ring")),
			      on_ring_record, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "parts: cannot open the ring buffer\n");
		goto cleanup;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		perf_buffer__poll(pb, 50);
		ring_buffer__poll(rb, 50);
	}
	err = 0;
cleanup:
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	bpf_object__close(obj);
	return err;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* tcpconnlat: the main loop. Parsing, backends, formatting and output live in their modules. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "backend.h"
#include "cgroup.h"
#include "checks.h"
#include "format.h"
#include "events.h"
#include "exporter.h"
#include "hist.h"
#include "json.h"
#include "output.h"
#include "pidns.h"

/* Also how long an event may wait in a buffer below the wakeup mark before it is printed. */
#define POLL_TIMEOUT_MS 100

static volatile sig_atomic_t exiting;

struct run {
	struct formatter fmt;
	struct json_ctx json;
	bool use_json;
	struct output out;
	struct cgroups cgroups; /* -G, --by cgroup, -j: cgroup ids to paths */
	struct perf_buffer *pb;
	struct event_sink sink;
	int buffer_pages;
	unsigned long long lost;
	uint64_t hist_lost; /* -H: connects without room for their key, reported so far */
	uint64_t printed;
	uint64_t count;		    /* -c: stop after this many; 0: no limit */
	struct untracked untracked; /* as last seen */
};

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static bool verbose;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* Without -v the tool reports each failure itself, in one line. */
	if (!verbose)
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, args);
}

static void handle_event(void *ctx, const struct event *e)
{
	struct run *r = ctx;
	char line[JSON_LINE_MAX];
	size_t n;

	/* Events already in the buffer past the -c limit are not printed. */
	if (r->count && r->printed >= r->count)
		return;
	if (r->use_json)
		n = json_event(&r->json, e, line, sizeof(line));
	else
		n = fmt_event(&r->fmt, e, line, sizeof(line));
	out_line(&r->out, line, n);
	r->printed++;
}

static void out_text(void *ctx, const char *text, size_t len)
{
	out_line(ctx, text, len);
}

/* RFC 3339 UTC, seconds: when a histogram report is printed. */
static void now_text(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "?");
}

/* -H: prints what the kernel's (cumulative) histograms gathered since the last report. */
static void print_hists(struct run *r, struct tracer *t, const struct config *cfg)
{
	static struct hist_entry v[MAX_HIST_KEYS], seen[MAX_HIST_KEYS];
	static struct hist_prev prev = {.v = seen, .max = MAX_HIST_KEYS};
	char line[HIST_JSON_MAX], when[32];
	uint64_t lost, total;
	size_t n, i, len;

	n = tracer_read_hists(t, v, MAX_HIST_KEYS, &total);
	n = hist_since(&prev, v, n);
	lost = total - r->hist_lost;
	r->hist_lost = total;
	hist_sort(v, n);
	now_text(when, sizeof(when));
	if (!cfg->json && cfg->interval) {
		len = snprintf(line, sizeof(line), "%s%s\n", r->printed ? "\n" : "", when);
		out_line(&r->out, line, len);
	}
	if (!n && !cfg->json)
		out_line(&r->out, "no connects\n", 12);
	for (i = 0; i < n; i++) {
		if (cfg->json) {
			len = hist_json(cfg->hist_by, &r->cgroups, &v[i], when, line, sizeof(line));
			out_line(&r->out, line, len);
		} else {
			hist_text(cfg->hist_by, &r->cgroups, &v[i], cfg->failed, out_text, &r->out);
		}
	}
	r->printed++;
	out_flush(&r->out);
	if (lost)
		fprintf(stderr,
			"tcpconnlat: %llu connects not counted: more than %d keys in this run\n",
			(unsigned long long)lost, MAX_HIST_KEYS);
}

/* Events carry CLOCK_MONOTONIC (bpf_ktime_get_ns); JSON gives wall-clock time. */
static int64_t wall_offset_us(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return (real.tv_sec - mono.tv_sec) * 1000000ll + (real.tv_nsec - mono.tv_nsec) / 1000;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* -c and -d: a bounded run ends by itself, like an interrupted one. */
static bool run_done(const struct run *r, const struct config *cfg, uint64_t start_ms)
{
	if (r->count && r->printed >= r->count)
		return true;
	return cfg->duration && now_ms() - start_ms >= cfg->duration * 1000;
}

static void handle_lost(void *ctx, int cpu, uint64_t cnt)
{
	struct run *r = ctx;

	r->lost += cnt;
	fprintf(stderr, "tcpconnlat: lost %llu events on CPU %d (output not read fast enough)\n",
		(unsigned long long)cnt, cpu);
}

/* Once per poll: the connects the BPF side could not follow; -v says when there are more. */
static void check_untracked(struct run *r, const struct tracer *t)
{
	struct untracked now;

	tracer_untracked(t, &now);
	if (verbose)
		untracked_grew(&r->untracked, &now, stderr);
	r->untracked = now;
}

static enum bpf_perf_event_ret handle_record(void *ctx, int cpu, struct perf_event_header *h)
{
	events_record(ctx, cpu, h);
	return LIBBPF_PERF_EVENT_CONT;
}

/*
 * -G and --by cgroup name cgroups by their path below the cgroup2 mount: without one, say so
 * (exit 1). -j has a "cgroup" key always: null without a mount.
 */
static int open_cgroups(struct run *r, const struct config *cfg)
{
	bool need = cfg->show_cgroup || cfg->hist_by == HIST_BY_CGROUP;
	int err;

	if (!need && !cfg->json)
		return 0;
	err = cgroups_open(&r->cgroups);
	if (err && need) {
		fprintf(stderr,
			"tcpconnlat: %s needs a cgroup v2 file system, and none is mounted%s%s\n",
			cfg->show_cgroup ? "-G" : "--by cgroup", err == -ENOENT ? "" : ": ",
			err == -ENOENT ? "" : strerror(-err));
		return 1;
	}
	return 0;
}

/* Opened before the programs are attached (tracer_start): see struct tracer_reader. */
static int open_reader(void *ctx, int events_fd)
{
	struct run *r = ctx;
	struct perf_event_attr attr;

	r->sink = (struct event_sink){.on_event = handle_event, .on_lost = handle_lost, .ctx = r};
	events_attr(&attr, events_wakeup_bytes(r->buffer_pages * getpagesize()));
	r->pb = perf_buffer__new_raw(events_fd, r->buffer_pages, &attr, handle_record, &r->sink,
				     NULL);
	return r->pb ? 0 : -errno;
}

static void close_reader(void *ctx)
{
	struct run *r = ctx;

	perf_buffer__free(r->pb);
	r->pb = NULL;
}

static int install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	/* No SA_RESTART: the signal must interrupt the poll at once. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	/* A closed reader shows up as EPIPE from the flush, handled as a quiet exit. */
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL) ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct run r = {.cgroups = {.mount_fd = -1}};
	struct tracer_reader rd = {.open = open_reader, .close = close_reader, .ctx = &r};
	uint64_t last_consume_ms;
	struct tracer *t = NULL;
	struct config cfg;
	char line[FMT_LINE_MAX];
	uint64_t start_ms, last_ms, missed;
	bool reader_left = false;
	int err = 0, n, listen_fd = -1, cgroup_fd = -1;

	switch (parse_args(argc, argv, &cfg, stdout, stderr)) {
	case PARSE_RUN:
		break;
	case PARSE_EXIT:
		return 0;
	case PARSE_USAGE:
		return 2;
	}
	verbose = cfg.verbose;
	libbpf_set_print(libbpf_log);

	/* Before anything slow: a signal during start-up must end the run, not be lost. */
	err = install_signals();
	if (err) {
		fprintf(stderr, "tcpconnlat: cannot install signal handlers: %s\n", strerror(-err));
		goto cleanup;
	}
	/* A --cgroup path that is no cgroup is bad input: exit 2, before any BPF. */
	if (cfg.cgroup_path) {
		cgroup_fd = cgroup_open(cfg.cgroup_path, stderr);
		if (cgroup_fd < 0) {
			err = 2;
			goto cleanup;
		}
	}
	if (cfg.pid && pid_check(cfg.pid, stderr)) {
		err = 2;
		goto cleanup;
	}
	/* In a container's PID namespace, PIDs are the container's. */
	cfg.pidns_ino = pidns_self();
	if (cfg.pidns_ino && pidns_check(cfg.btf_path, stderr)) {
		err = 1;
		goto cleanup;
	}
	err = open_cgroups(&r, &cfg);
	if (err)
		goto cleanup;
	err = preflight(&cfg, stderr);
	if (err)
		goto cleanup;
	/* --metrics's port and --textfile's directory: a port in use fails here, not after. */
	if (cfg.exporter && exporter_prepare(&cfg, &listen_fd, stderr)) {
		err = 1;
		goto cleanup;
	}
	if (out_init(&r.out, stdout)) {
		fprintf(stderr, "tcpconnlat: cannot set up output buffering\n");
		err = 1;
		goto cleanup;
	}
	fmt_init(&r.fmt, cfg.timestamp, cfg.lport);
	r.fmt.cgroups = cfg.show_cgroup ? &r.cgroups : NULL;
	r.json.cgroups = r.cgroups.mount_fd >= 0 ? &r.cgroups : NULL;
	r.fmt.synrtx = cfg.retrans;
	r.fmt.result = cfg.failed;
	r.count = cfg.count;
	/* Metrics are counted in the kernel: nothing is ever written to the events buffer. */
	r.buffer_pages = cfg.exporter ? 1 : cfg.buffer_pages;

	/* Each start marker below comes once every connect from then on will be read. */
	t = tracer_start(&cfg, cgroup_fd, &rd, stderr);
	if (!t) {
		err = 1;
		goto cleanup;
	}
	if (cfg.verbose)
		fprintf(stderr, "tcpconnlat: using the %s backend\n",
			backend_name(tracer_backend(t)));

	/* The header goes out at once: it tells a reader that tracing has started. JSON lines
	 * have no header; -v says on stderr when tracing has started. */
	r.use_json = cfg.json;
	r.json.backend = backend_name(tracer_backend(t));
	r.json.wall_offset_us = wall_offset_us();
	if (cfg.exporter) {
		if (cfg.metrics_text)
			fprintf(stderr, "tcpconnlat: tracing; metrics at http://%s%s/metrics\n",
				strchr(cfg.metrics_text, ':') ? "" : "127.0.0.1:",
				cfg.metrics_text);
		if (cfg.textfile)
			fprintf(stderr, "tcpconnlat: tracing; metrics written to %s every %llu s\n",
				cfg.textfile, (unsigned long long)cfg.interval);
		err = exporter_run(t, &cfg, &r.cgroups, listen_fd, &exiting, stderr);
		listen_fd = -1;
		tracer_detach(t);
		goto cleanup;
	} else if (cfg.hist) {
		/* No per-connect output: say that tracing has started, on stderr. */
		fprintf(stderr, "tcpconnlat: tracing; histograms %s\n",
			cfg.interval ? "every interval and at exit" : "at exit");
	} else if (!r.use_json) {
		n = fmt_header(&r.fmt, line, sizeof(line));
		out_line(&r.out, line, n);
		out_flush(&r.out);
	}

	start_ms = now_ms();
	last_ms = start_ms;
	last_consume_ms = start_ms;
	while (!exiting && !r.out.err && !run_done(&r, &cfg, start_ms)) {
		if (cfg.hist && cfg.interval && now_ms() - last_ms >= cfg.interval * 1000) {
			last_ms += cfg.interval * 1000;
			print_hists(&r, t, &cfg);
		}
		n = perf_buffer__poll(r.pb, POLL_TIMEOUT_MS);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "tcpconnlat: reading the perf buffer failed: %s\n",
				strerror(-n));
			err = 1;
			break;
		}
		/* Buffers below the wakeup mark: every CPU's, not only when the poll timed out,
		 * or a busy CPU's wakeups would hold a quiet CPU's events back. */
		if (now_ms() - last_consume_ms >= POLL_TIMEOUT_MS) {
			last_consume_ms = now_ms();
			n += perf_buffer__consume(r.pb) >= 0;
		}
		if (n > 0)
			out_flush(&r.out);
		check_untracked(&r, t);
		if (out_reader_gone(&r.out))
			break;
	}
	/*
	 * The run has ended: no new events. Detached before the last drain, so that events of
	 * connects after the end are neither printed nor counted lost (freeing the perf buffer
	 * first left the programs writing into a map with no buffers in it, each write a loss).
	 */
	tracer_detach(t);
	/* Connects completed before the signal are still in the buffer: print them too. */
	reader_left = r.out.err == EPIPE || out_reader_gone(&r.out);
	if (!err && !r.out.err && !reader_left) {
		perf_buffer__consume(r.pb);
		out_flush(&r.out);
		if (cfg.hist)
			print_hists(&r, t, &cfg);
	}
	/*
	 * EPIPE means the reader left (| head -1): not an error. Nor is EINTR after SIGINT or
	 * SIGTERM: a reader that stopped reading (a full pipe) held a write up, and the signal
	 * (our handlers have no SA_RESTART) ended it; the run ends as asked.
	 */
	if (r.out.err && r.out.err != EPIPE && !(r.out.err == EINTR && exiting)) {
		fprintf(stderr, "tcpconnlat: writing output failed: %s\n", strerror(r.out.err));
		err = 1;
	}

cleanup:
	if (listen_fd >= 0)
		close(listen_fd);
	perf_buffer__free(r.pb);
	/* The BPF side's count includes drops no PERF_RECORD_LOST has reported yet. */
	if (t && tracer_events_lost(t) > r.lost)
		r.lost = tracer_events_lost(t);
	missed = t ? tracer_runs_missed(t) : 0;
	if (t)
		check_untracked(&r, t);
	tracer_stop(t);
	/*
	 * Not after the reader left (| head -1): what it could not take is no loss to anyone,
	 * and the events of a busy machine pile up in the buffer while the run ends.
	 */
	if (r.lost && !reader_left)
		fprintf(stderr, "tcpconnlat: %llu events lost in total\n", r.lost);
	if (missed && !reader_left)
		fprintf(stderr,
			"tcpconnlat: %llu runs skipped by the kernel (already running on that "
			"CPU): up to as many connects missing\n",
			(unsigned long long)missed);
	/* Even after the reader left: these connects were never measured at all. */
	untracked_report(&r.untracked, stderr);
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	cgroups_close(&r.cgroups);
	return err == 2 ? 2 : err ? 1 : 0;
}

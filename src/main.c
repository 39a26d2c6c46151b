// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * tcpconnlat: start-up, the run loop and the exit report. Parsing, machine checks, backends,
 * formatting and output live in their modules.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/epoll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <event2/event.h>
#include "args.h"
#include "tracer.h"
#include "cgroup.h"
#include "checks.h"
#include "container.h"
#include "dockerapi.h"
#include "format.h"
#include "events.h"
#include "exporter.h"
#include "hist.h"
#include "json.h"
#include "namer.h"
#include "uhist.h"
#include "output.h"
#include "pidns.h"
#include "podlogs.h"

/* Also how long an event may wait in a buffer below the wakeup mark before it is printed. */
#define POLL_TIMEOUT_MS 100

static volatile sig_atomic_t exiting;

struct run;

/*
 * How connects are shown, chosen once at start-up. Lines (text, JSON) come per connect from
 * the events buffer; -H's histograms are gathered in the kernel and read per report.
 */
struct printer {
	/* Tells a reader that tracing has started: a header on stdout, or a line on stderr. */
	void (*started)(struct run *r);
	/* One connect as a '\n'-terminated line in buf; returns its length. NULL for -H: the
	 * kernel then sends no events. */
	size_t (*event)(struct run *r, const struct event *e, char *buf, size_t len);
	/* -H: what the kernel's histograms gathered since the last report; NULL for lines. */
	void (*report)(struct run *r);
};

struct run {
	const struct config *cfg;
	const struct printer *print;
	struct tracer *t;
	int cgroup_fd; /* --cgroup's directory (cgroup_filter_open()), or -1 */
	int listen_fd; /* --metrics's socket until the exporter takes it over, or -1 */
	struct formatter fmt;
	struct json_ctx json;
	struct output out;
	struct cgroups cgroups;	      /* -G, --by cgroup, -j: cgroup ids to paths */
	struct containers containers; /* -C, --by container/pod/namespace, -j: their names */
	struct event_base *base;      /* the exporter's loop; the container API's */
	struct dockerapi *api;	      /* names from the container API, or NULL */
	const char *pod_logs;	      /* the kubelet's pod log directories */
	char pod_links[PATH_MAX];     /* and its links to their logs, by container id */
	uint64_t pods_scanned_ms;     /* when they were last read */
	struct perf_buffer *pb;
	struct event_sink sink;
	struct namer names; /* -N */
	bool naming;
	int epoll_fd;	 /* -N: both buffers, or -1 */
	struct uhist uh; /* --by dhost: histograms of the events, by name */
	bool uagg;
	int buffer_pages;
	unsigned long long lost;
	uint64_t hist_lost; /* -H: connects without room for their key, reported so far */
	uint64_t printed;
	uint64_t count;		    /* -c: stop after this many; 0: no limit */
	struct untracked untracked; /* as last seen */
	bool reader_left;	    /* stdout's reader went away (| head -1) */
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

	if (r->uagg) {
		uhist_add(&r->uh, e, r->naming ? namer_name(&r->names, e) : NULL);
		return;
	}
	/* Events already in the buffer past the -c limit are not printed. */
	if (r->count && r->printed >= r->count)
		return;
	if (r->naming)
		r->fmt.dhost = r->json.dhost = namer_name(&r->names, e);
	n = r->print->event(r, e, line, sizeof(line));
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
static void print_hists(struct run *r)
{
	static struct hist_entry v[MAX_HIST_KEYS], seen[MAX_HIST_KEYS];
	static struct hist_prev prev = {.v = seen, .max = MAX_HIST_KEYS};
	const struct config *cfg = r->cfg;
	char line[HIST_JSON_MAX], when[32];
	uint64_t lost, total;
	size_t n, i, len;

	if (r->uagg)
		n = uhist_read(&r->uh, v, MAX_HIST_KEYS, &total);
	else
		n = tracer_read_hists(r->t, v, MAX_HIST_KEYS, &total);
	n = hist_since(&prev, v, n);
	n = hist_group(cfg->hist_by, &r->cgroups, v, n);
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
			hist_text(cfg->hist_by, &r->cgroups, &v[i], cfg->report_failed, out_text,
				  &r->out);
		}
	}
	r->printed++;
	out_flush(&r->out);
	if (lost)
		fprintf(stderr,
			"tcpconnlat: %llu connects not counted: more than %d keys in this run\n",
			(unsigned long long)lost, MAX_HIST_KEYS);
}

static size_t text_event(struct run *r, const struct event *e, char *buf, size_t len)
{
	return fmt_event(&r->fmt, e, buf, len);
}

static size_t json_line(struct run *r, const struct event *e, char *buf, size_t len)
{
	return json_event(&r->json, e, buf, len);
}

/* The header goes out at once: it tells a reader that tracing has started. */
static void text_started(struct run *r)
{
	char line[FMT_LINE_MAX];
	size_t n;

	n = fmt_header(&r->fmt, line, sizeof(line));
	out_line(&r->out, line, n);
	out_flush(&r->out);
}

/* JSON lines have no header; -v says on stderr when tracing has started. */
static void json_started(struct run *r)
{
	(void)r;
}

/* No per-connect output: say that tracing has started, on stderr. */
static void hist_started(struct run *r)
{
	fprintf(stderr, "tcpconnlat: tracing; histograms %s\n",
		r->cfg->interval ? "every interval and at exit" : "at exit");
}

static const struct printer text_printer = {.started = text_started, .event = text_event};
static const struct printer json_printer = {.started = json_started, .event = json_line};
static const struct printer hist_printer = {.started = hist_started, .report = print_hists};

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
static bool run_done(const struct run *r, uint64_t start_ms)
{
	if (r->count && r->printed >= r->count)
		return true;
	return r->cfg->duration && now_ms() - start_ms >= r->cfg->duration * 1000;
}

static void handle_lost(void *ctx, int cpu, uint64_t cnt)
{
	struct run *r = ctx;

	r->lost += cnt;
	fprintf(stderr, "tcpconnlat: lost %llu events on CPU %d (output not read fast enough)\n",
		(unsigned long long)cnt, cpu);
}

/* Once per poll: the connects the BPF side could not follow; -v says when there are more. */
static void check_untracked(struct run *r)
{
	struct untracked now = {};

	tracer_untracked(r->t, &now);
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
	bool need = cfg->show_cgroup || cfg->show_container ||
		    (hist_by_fields(cfg->hist_by) & HIST_F_CGROUP);
	char by[64];
	int err;

	if (!need && !cfg->json)
		return 0;
	if (containers_init(&r->containers)) {
		fprintf(stderr, "tcpconnlat: out of memory\n");
		return 1;
	}
	r->cgroups.containers = &r->containers;
	err = cgroups_open(&r->cgroups);
	r->cgroups.containers = &r->containers;
	if (err && need) {
		snprintf(by, sizeof(by), "--by %s", hist_by_name(cfg->hist_by));
		fprintf(stderr,
			"tcpconnlat: %s needs a cgroup v2 file system, and none is mounted%s%s\n",
			cfg->show_cgroup      ? "-G"
			: cfg->show_container ? "-C"
					      : by,
			err == -ENOENT ? "" : ": ", err == -ENOENT ? "" : strerror(-err));
		return 1;
	}
	/*
	 * Tracing the host's processes through a part of the tree: say what that costs. In a
	 * PID namespace of its own, a container's processes are all the tool sees anyway.
	 */
	if (!err && r->cgroups.partial && !cfg->pidns_ino)
		fprintf(stderr,
			"tcpconnlat: warning: the cgroup2 mount %s shows a part of the cgroup "
			"tree (a cgroup namespace of its own?): cgroups outside it show as id:N; "
			"run the container with --cgroupns=host, or mount the host's "
			"/sys/fs/cgroup into it\n",
			r->cgroups.mount);
	return 0;
}

static void close_reader(void *ctx);

/* Container names are wanted: -C, -j, and a --by list with container, pod or namespace. */
static bool names_wanted(const struct config *cfg)
{
	return cfg->show_container || cfg->json || hist_by_grouped(cfg->hist_by);
}

/* An id first seen in a connect, without a start event: asked for, not waited for. */
static void container_unknown(void *ctx, const char *id)
{
	struct run *r = ctx;

	dockerapi_want(r->api, id);
}

/* The kubelet's pod directories, then its links (which name each container of a pod). */
static void scan_pods(struct run *r)
{
	r->pods_scanned_ms = now_ms();
	podlogs_scan(&r->containers, r->pod_logs);
	if (r->pod_links[0])
		podlogs_scan_links(&r->containers, r->pod_links);
}

/*
 * The kubelet makes a pod's log directory before its containers start, and a container's
 * link when it starts it: read again.
 */
static void pod_unknown(void *ctx, const char *pod_uid)
{
	struct run *r = ctx;

	(void)pod_uid;
	/* A pod that has no directory there must not cost a directory read per connect. */
	if (r->pods_scanned_ms && now_ms() - r->pods_scanned_ms < 100)
		return;
	scan_pods(r);
}

/*
 * The container API in an event loop of libevent (the exporter's, or the terminal loop's,
 * stepped each poll round), and the kubelet's pod directories.
 */
static int start_names(struct run *r, const struct config *cfg)
{
	bool names = names_wanted(cfg) && r->cgroups.mount_fd >= 0;

	if (!names && !cfg->exporter)
		return 0;
	r->base = event_base_new();
	if (!r->base) {
		fprintf(stderr, "tcpconnlat: cannot set up the event loop (libevent)\n");
		return 1;
	}
	if (!names)
		return 0;
	r->api = dockerapi_new(r->base, cfg->container_api, &r->containers, cfg->verbose, stderr);
	if (!r->api) {
		fprintf(stderr, "tcpconnlat: out of memory\n");
		return 1;
	}
	r->pod_logs = cfg->pod_logs ? cfg->pod_logs : "/var/log/pods";
	r->containers.unknown = container_unknown;
	r->containers.unknown_pod = pod_unknown;
	r->containers.ctx = r;
	if (podlogs_links_dir(r->pod_logs, r->pod_links, sizeof(r->pod_links)))
		r->pod_links[0] = '\0';
	scan_pods(r);
	return 0;
}

/* Opened before the programs are attached (tracer_start): see struct tracer_reader. */
static int open_reader(void *ctx, int events_fd, int dns_fd)
{
	struct run *r = ctx;
	struct perf_event_attr attr;
	int err;

	if (dns_fd >= 0) {
		err = namer_open(&r->names, dns_fd, r->buffer_pages, r->cfg->verbose, stderr);
		if (err)
			return err;
		r->naming = true;
	}

	r->sink = (struct event_sink){.on_event = handle_event, .on_lost = handle_lost, .ctx = r};
	events_attr(&attr, events_wakeup_bytes(r->buffer_pages * getpagesize()));
	r->pb = perf_buffer__new_raw(events_fd, r->buffer_pages, &attr, handle_record, &r->sink,
				     NULL);
	if (r->pb)
		return 0;
	err = -errno;
	close_reader(r);
	return err;
}

/* A cgroup made or renamed while tracing: its path, for when it is gone. */
static void cgroup_named(void *ctx, uint64_t id, const char *path)
{
	struct run *r = ctx;

	cgroups_learn(&r->cgroups, id, path);
}

static void refresh_cgroups(void *ctx)
{
	struct run *r = ctx;

	tracer_cgroups_drain(r->t);
}

static void close_reader(void *ctx)
{
	struct run *r = ctx;

	if (r->naming)
		namer_close(&r->names);
	r->naming = false;

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

/* -N's program goes on the root of the cgroup v2 hierarchy: there must be one to see. */
static bool names_hook_possible(void)
{
	char mount[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err = f ? cgroup2_mount_find(f, mount, sizeof(mount)) : -errno;

	if (f)
		fclose(f);
	if (!err)
		return true;
	fprintf(stderr, "tcpconnlat: -N needs a cgroup v2 file system to see DNS answers, and none "
			"is mounted\n");
	return false;
}

/*
 * What must hold before any BPF is loaded. Bad input (a --cgroup path that is no cgroup, a
 * thread's id for -p) returns 2; what this machine lacks, 1.
 */
static int check_machine(struct run *r, struct config *cfg)
{
	if (cfg->cgroup_path) {
		r->cgroup_fd = cgroup_filter_open(cfg->cgroup_path, stderr);
		if (r->cgroup_fd < 0)
			return 2;
	}
	if (cfg->pid && pid_check(cfg->pid, stderr))
		return 2;
	if (cfg->pod_logs) {
		int e = podlogs_scan(&(struct containers){}, cfg->pod_logs);

		if (e < 0) {
			fprintf(stderr, "tcpconnlat: cannot read --pod-logs '%s': %s\n",
				cfg->pod_logs, strerror(-e));
			return 2;
		}
	}
	/* In a container's PID namespace, PIDs are the container's. */
	cfg->pidns_ino = pidns_self();
	if (cfg->pidns_ino && pidns_check(cfg->btf_path, stderr))
		return 1;
	if (open_cgroups(r, cfg))
		return 1;
	if (cfg->names && !names_hook_possible())
		return 1;
	return preflight(cfg, stderr) ? 1 : 0;
}

/*
 * -x and the exporter read connect()'s errors from the syscall trace events. Where they cannot
 * be had, -x (asked for by the user) fails; the exporter, an always-on service, runs without
 * them: failures after the SYN are still counted, and a gauge says what is not.
 */
static int check_syscall_events(struct config *cfg)
{
	char why[256];

	if (!syscall_events(cfg->verbose, stderr, why, sizeof(why)))
		return 0;
	if (!cfg->exporter) {
		fprintf(stderr,
			"tcpconnlat: -x/--failed needs the syscalls:sys_exit_connect trace event: "
			"%s\n",
			why);
		return 1;
	}
	fprintf(stderr,
		"tcpconnlat: warning: connects that fail before sending a SYN (no route, say) are "
		"not counted (tcpconnlat_presyn_failures_counted 0): the syscalls:sys_exit_connect"
		" trace event is unavailable: %s\n",
		why);
	cfg->no_presyn = true;
	return 0;
}

/* The epoll set of both buffers' own epoll fds (data.u32: 1 for the answers'). */
static int open_epoll(struct run *r)
{
	struct epoll_event ev = {.events = EPOLLIN};

	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epoll_fd < 0)
		return -errno;
	ev.data.u32 = 0;
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, perf_buffer__epoll_fd(r->pb), &ev))
		return -errno;
	ev.data.u32 = 1;
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, namer_epoll_fd(&r->names), &ev))
		return -errno;
	return 0;
}

/* Checks, prepares the output and starts tracing; returns 0, or the exit code (1 or 2). */
static int start_up(struct run *r, struct config *cfg)
{
	struct tracer_reader rd = {
		.open = open_reader, .close = close_reader, .cgroup_named = cgroup_named, .ctx = r};
	int err;

	verbose = cfg->verbose;
	libbpf_set_print(libbpf_log);
	/* Before anything slow: a signal during start-up must end the run, not be lost. */
	err = install_signals();
	if (err) {
		fprintf(stderr, "tcpconnlat: cannot install signal handlers: %s\n", strerror(-err));
		return 1;
	}
	err = check_machine(r, cfg);
	if (err)
		return err;
	/* --metrics's port and --textfile's directory: a port in use fails here, not after. */
	if (cfg->exporter && exporter_prepare(cfg, &r->listen_fd, stderr))
		return 1;
	/* After the bad input above: a run that fails on it mounts nothing. */
	if (cfg->report_failed && check_syscall_events(cfg))
		return 1;
	if (out_init(&r->out, stdout)) {
		fprintf(stderr, "tcpconnlat: cannot set up output buffering\n");
		return 1;
	}
	r->print = cfg->hist ? &hist_printer : cfg->json ? &json_printer : &text_printer;
	fmt_init(&r->fmt, cfg->timestamp, cfg->lport);
	r->fmt.cgroups = cfg->show_cgroup ? &r->cgroups : NULL;
	r->fmt.container = cfg->show_container ? &r->cgroups : NULL;
	r->fmt.syn_retrans = cfg->syn_retrans;
	r->fmt.result = cfg->report_failed;
	r->fmt.names = cfg->names;
	r->json.cgroups = r->cgroups.mount_fd >= 0 ? &r->cgroups : NULL;
	r->count = cfg->count;
	/* Metrics are counted in the kernel: nothing is ever written to the events buffer
	 * (but with --by dhost, which user space counts). */
	r->uagg = hist_by_has(cfg->hist_by, HIST_BY_DHOST);
	if (r->uagg && uhist_init(&r->uh, cfg->hist_by, MAX_HIST_KEYS)) {
		fprintf(stderr, "tcpconnlat: out of memory\n");
		return 1;
	}
	r->buffer_pages = cfg->exporter && !r->uagg ? 1 : cfg->buffer_pages;

	/* Each start marker after this comes once every connect from then on will be read. */
	r->t = tracer_start(cfg, r->cgroup_fd, &rd, stderr);
	if (!r->t)
		return 1;
	err = start_names(r, cfg);
	if (err)
		return err;
	/*
	 * Cgroups made from now on are reported as they are made; those that exist now are
	 * scanned. Either way one removed before its connect is printed keeps its path.
	 */
	if (r->cgroups.mount_fd >= 0) {
		r->cgroups.refresh = refresh_cgroups;
		r->cgroups.refresh_ctx = r;
		cgroups_scan(&r->cgroups);
	}
	if (cfg->verbose)
		fprintf(stderr, "tcpconnlat: using the %s backend\n",
			backend_name(tracer_backend(r->t)));
	if (r->naming && (err = open_epoll(r))) {
		fprintf(stderr, "tcpconnlat: cannot set up polling (epoll): %s\n", strerror(-err));
		return 1;
	}
	r->json.backend = backend_name(tracer_backend(r->t));
	r->json.wall_offset_us = wall_offset_us();
	return 0;
}

static void pump_events(void *ctx)
{
	struct run *r = ctx;

	/* The answers first: the connects read next may need them. */
	if (r->naming)
		namer_consume(&r->names);
	perf_buffer__consume(r->pb);
	if (r->naming)
		namer_tick(&r->names);
}

static size_t read_uhists(void *ctx, struct hist_entry *v, size_t max, uint64_t *lost)
{
	struct run *r = ctx;

	return uhist_read(&r->uh, v, max, lost);
}

/* --metrics, --textfile: the exporter serves and writes until the run ends. */
static int run_exporter(struct run *r)
{
	const struct config *cfg = r->cfg;
	struct hist_source src = {
		.fd = r->epoll_fd, .pump = pump_events, .read = read_uhists, .ctx = r};
	int err;

	if (cfg->metrics_text)
		fprintf(stderr, "tcpconnlat: tracing; metrics at http://%s%s/metrics\n",
			strchr(cfg->metrics_text, ':') ? "" : "127.0.0.1:", cfg->metrics_text);
	if (cfg->textfile)
		fprintf(stderr, "tcpconnlat: tracing; metrics written to %s every %llu s\n",
			cfg->textfile, (unsigned long long)cfg->interval);
	err = exporter_run(r->t, cfg, &r->cgroups, r->listen_fd, r->uagg ? &src : NULL, r->base,
			   &exiting, stderr);
	r->listen_fd = -1;
	tracer_detach(r->t);
	/* Every answer that came is read, or counted lost, by the exit report. */
	if (r->naming)
		namer_consume(&r->names);
	return err;
}

/* -N: the answers have a buffer of their own; either one's data ends the wait. */
static int poll_buffers(struct run *r, int timeout_ms)
{
	struct epoll_event ev[2];
	int i, n;

	if (!r->naming)
		return perf_buffer__poll(r->pb, timeout_ms);
	n = epoll_wait(r->epoll_fd, ev, 2, timeout_ms);
	if (n < 0)
		return -errno;
	/* The answers first: the connects read next may need them. */
	for (i = 0; i < n; i++)
		if (ev[i].data.u32)
			namer_consume(&r->names);
	for (i = 0; i < n; i++)
		if (!ev[i].data.u32)
			perf_buffer__consume(r->pb);
	return n;
}

/*
 * Waits up to POLL_TIMEOUT_MS for events and reads them. With the container API, its
 * sockets are waited on too, and what it said is taken in before the rows are formatted:
 * a row waits no longer for a name than it waits in the buffer anyway.
 */
static int wait_and_read(struct run *r)
{
	struct pollfd p[1 + DOCKERAPI_MAX_FDS];
	int n, err;

	if (!r->api)
		return poll_buffers(r, POLL_TIMEOUT_MS);
	/* With -N, the epoll set of both buffers: either one's data ends the wait. */
	p[0] = (struct pollfd){.fd = r->naming ? r->epoll_fd : perf_buffer__epoll_fd(r->pb),
			       .events = POLLIN};
	n = 1 + dockerapi_pollfds(r->api, p + 1, DOCKERAPI_MAX_FDS);
	if (poll(p, n, POLL_TIMEOUT_MS) < 0 && errno != EINTR)
		return -errno;
	/* The answers first: the connects read next may need them. */
	if (r->naming)
		namer_consume(&r->names);
	/* Its timers too (time-outs, reconnects): stepped every round. */
	event_base_loop(r->base, EVLOOP_NONBLOCK);
	/*
	 * Every CPU's buffer, not perf_buffer__poll(): poll() on its epoll fd has taken the
	 * perf events' readiness (perf_poll() reads and clears it), so epoll_wait() would find
	 * none, and the buffers were read only every POLL_TIMEOUT_MS.
	 */
	if (!(p[0].revents & POLLIN))
		return 0;
	err = perf_buffer__consume(r->pb);
	return err < 0 ? err : 1;
}

/* Reads and prints until a signal, -c, -d or the reader going away ends the run. */
static int run_loop(struct run *r)
{
	const struct config *cfg = r->cfg;
	uint64_t start_ms, last_report_ms, last_consume_ms;
	int err = 0, n;

	r->print->started(r);
	start_ms = now_ms();
	last_report_ms = start_ms;
	last_consume_ms = start_ms;
	while (!exiting && !r->out.err && !run_done(r, start_ms)) {
		if (r->print->report && cfg->interval &&
		    now_ms() - last_report_ms >= cfg->interval * 1000) {
			last_report_ms += cfg->interval * 1000;
			r->print->report(r);
		}
		n = wait_and_read(r);
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
			n += perf_buffer__consume(r->pb) >= 0;
		}
		if (n > 0)
			out_flush(&r->out);
		check_untracked(r);
		tracer_cgroups_drain(r->t);
		if (r->naming)
			namer_tick(&r->names);
		if (out_reader_gone(&r->out))
			break;
	}
	/*
	 * Detached before the last drain, so that events of connects after the end are neither
	 * printed nor counted lost: no program writes into a buffer nobody reads any more.
	 */
	tracer_detach(r->t);
	/* Every answer that came is read, or counted lost, by the exit report. */
	if (r->naming)
		namer_consume(&r->names);
	/* Connects completed before the run ended are still in the buffer: print them too. */
	r->reader_left = r->out.err == EPIPE || out_reader_gone(&r->out);
	if (!err && !r->out.err && !r->reader_left) {
		perf_buffer__consume(r->pb);
		out_flush(&r->out);
		if (r->print->report)
			r->print->report(r);
	}
	/*
	 * EPIPE means the reader left (| head -1): not an error. Nor is EINTR after SIGINT or
	 * SIGTERM: a reader that stopped reading (a full pipe) held a write up, and the signal
	 * (our handlers have no SA_RESTART) ended it; the run ends as asked.
	 */
	if (r->out.err && r->out.err != EPIPE && !(r->out.err == EINTR && exiting)) {
		fprintf(stderr, "tcpconnlat: writing output failed: %s\n", strerror(r->out.err));
		err = 1;
	}
	return err;
}

/* What the run could not see, on stderr; the tracer's counters are read before it stops. */
static void exit_report(struct run *r)
{
	uint64_t missed = 0;

	if (r->t) {
		/* The BPF side's count includes drops no PERF_RECORD_LOST has reported yet. */
		if (tracer_events_lost(r->t) > r->lost)
			r->lost = tracer_events_lost(r->t);
		missed = tracer_runs_missed(r->t);
		check_untracked(r);
	}
	/*
	 * Not after the reader left (| head -1): what it could not take is no loss to anyone,
	 * and the events of a busy machine pile up in the buffer while the run ends.
	 */
	if (r->lost && !r->reader_left)
		fprintf(stderr, "tcpconnlat: %llu events lost in total\n", r->lost);
	if (missed && !r->reader_left)
		fprintf(stderr,
			"tcpconnlat: %llu runs skipped by the kernel (already running on that "
			"CPU): up to as many connects missing\n",
			(unsigned long long)missed);
	/* Even after the reader left: these connects were never measured at all. */
	untracked_report(&r->untracked, stderr);
	/* Like the losses: not after the reader left (nobody is there to read it). */
	if (verbose && dockerapi_failures(r->api) && !r->reader_left)
		fprintf(stderr, "tcpconnlat: %llu requests to the container API failed\n",
			(unsigned long long)dockerapi_failures(r->api));
	if (verbose && dockerapi_gone(r->api) && !r->reader_left)
		fprintf(stderr,
			"tcpconnlat: containers the container API no longer knew when asked their "
			"names (ended first): %llu\n",
			(unsigned long long)dockerapi_gone(r->api));
	if (r->naming)
		namer_report(&r->names, r->t ? tracer_dns_lost(r->t) : 0);
}

static void clean_up(struct run *r)
{
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	close_reader(r);
	tracer_stop(r->t);
	if (r->cgroup_fd >= 0)
		close(r->cgroup_fd);
	cgroups_close(&r->cgroups);
	dockerapi_free(r->api);
	if (r->base)
		event_base_free(r->base);
	containers_free(&r->containers);
	if (r->uagg)
		uhist_free(&r->uh);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct run r = {
		.cfg = &cfg,
		.cgroup_fd = -1,
		.listen_fd = -1,
		.epoll_fd = -1,
		.cgroups = {.mount_fd = -1},
	};
	int err;

	switch (parse_args(argc, argv, &cfg, stdout, stderr)) {
	case PARSE_RUN:
		break;
	case PARSE_EXIT:
		return 0;
	case PARSE_USAGE:
		return 2;
	}
	err = start_up(&r, &cfg);
	if (!err)
		err = cfg.exporter ? run_exporter(&r) : run_loop(&r);
	exit_report(&r);
	clean_up(&r);
	return err == 2 ? 2 : err ? 1 : 0;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "backend.h"
#include "cgroup.h"
#include "tcpconnlat.skel.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel-internal "operation not supported" */
#endif

/* Per-CPU pages for the records of cgroups made: read every poll, and a record is small. */
#define CGROUP_PATHS_PAGES 8

struct tracer {
	struct tcpconnlat_bpf *skel;
	struct perf_buffer *paths; /* cgroup_paths, when cgroups are named */
	struct tracer_reader rd;   /* the caller's, copied: the records' reader uses it */
	enum backend backend;
	bool btf; /* the tracepoint backend's BTF tracepoint programs */
};

/*
 * Room for the verifier's log of one program. Level 1 keeps only the path that failed: a few
 * hundred lines for programs of our size. Longer, the kernel keeps the end (Linux 6.4+:
 * "bpf: Switch BPF verifier log to be a rotating log by default") or, before, the start.
 */
#define VLOG_SIZE (1024 * 1024)

int backend_candidates(enum backend requested, enum backend out[3])
{
	if (requested != BACKEND_AUTO) {
		out[0] = requested;
		return 1;
	}
	/* Cheapest first: fentry is a direct call, kprobe a breakpoint or ftrace hop. */
	out[0] = BACKEND_FENTRY;
	out[1] = BACKEND_KPROBE;
	out[2] = BACKEND_TRACEPOINT;
	return 3;
}

/* Lines of the verifier's log that follow its verdict: statistics and libbpf's frame. */
static bool stats_line(const char *s, size_t n)
{
	static const char *const skip[] = {"processed ", "verification time", "stack depth",
					   "-- END", "mark_read"};
	size_t i;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (n >= strlen(skip[i]) && !strncmp(s, skip[i], strlen(skip[i])))
			return true;
	return false;
}

size_t verifier_last_line(const char *log, char *buf, size_t len)
{
	const char *end, *start;
	size_t n;

	if (!log || !len)
		return 0;
	end = log + strlen(log);
	while (end > log) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
			end--;
		start = end;
		while (start > log && start[-1] != '\n')
			start--;
		n = end - start;
		if (n && !stats_line(start, n)) {
			n = n < len - 1 ? n : len - 1;
			memcpy(buf, start, n);
			buf[n] = '\0';
			return n;
		}
		end = start;
	}
	buf[0] = '\0';
	return 0;
}

bool backend_rejected(enum load_stage stage, const struct rejection *rj)
{
	char line[8];

	return stage == STAGE_LOAD && rj && rj->prog &&
	       verifier_last_line(rj->log, line, sizeof(line));
}

const char *backend_failure(enum backend b, enum load_stage stage, int err,
			    const struct rejection *rj)
{
	static char why[512];
	int e = err < 0 ? -err : err;
	char line[320];

	if (backend_rejected(stage, rj)) {
		verifier_last_line(rj->log, line, sizeof(line));
		snprintf(why, sizeof(why), "the kernel's verifier rejected program '%s': %s",
			 rj->prog, line);
		return why;
	}
	if (stage == STAGE_OPEN) {
		snprintf(why, sizeof(why), "cannot open the BPF object: %s", strerror(e));
		return why;
	}
	/* Every backend fails like this, at its first load: bpf() itself is missing. */
	if (stage == STAGE_LOAD && e == ENOSYS)
		return "this kernel has no bpf() system call (built without CONFIG_BPF_SYSCALL)";
	switch (b) {
	case BACKEND_FENTRY:
		/* No verifier log (see above): refused before the verifier ran. */
		if (stage == STAGE_LOAD && e == EPERM)
			return "the kernel refused to load fentry programs (EPERM: kernel lockdown "
			       "or a kernel that restricts tracing programs)";
		if (stage == STAGE_LOAD && e == EACCES)
			return "the kernel refused to load fentry programs (EACCES, without a "
			       "verifier log)";
		if (stage == STAGE_LOAD && (e == ENOTSUPP || e == EOPNOTSUPP || e == EINVAL))
			return "this kernel cannot run fentry programs (needs Linux 5.5+ with BTF "
			       "and CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)";
		if (stage == STAGE_LOAD && (e == ESRCH || e == ENOENT))
			return "tcp_v4_connect, tcp_v6_connect or tcp_rcv_state_process is not in "
			       "the kernel's BTF (inlined or renamed)";
		/*
		 * The programs loaded but no BPF trampoline can be put on a kernel function:
		 * arm64 does that through ftrace direct calls, from Linux 6.4 ("arm64: ftrace:
		 * Add direct call support"); before, its trampolines serve BPF programs only.
		 */
		if (stage == STAGE_ATTACH && (e == ENOTSUPP || e == EOPNOTSUPP))
			return "this kernel cannot attach fentry programs to kernel functions (on "
			       "arm64: Linux 6.4+ with CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)";
		break;
	case BACKEND_KPROBE:
		if (stage == STAGE_ATTACH && (e == ENOENT || e == EOPNOTSUPP || e == ENOTSUPP))
			return "kprobes are not available (kernel built without CONFIG_KPROBES, or "
			       "tcp_v4_connect cannot be probed)";
		if (e == EPERM || e == EACCES)
			return "the kernel refused kprobes (EPERM: kernel lockdown or "
			       "kernel.perf_event_paranoid)";
		break;
	case BACKEND_TRACEPOINT:
		if (stage == STAGE_ATTACH && (e == ENOENT || e == EINVAL))
			return "tracepoint sock:inet_sock_set_state or tcp:tcp_destroy_sock not "
			       "found in this kernel";
		if (e == EPERM || e == EACCES)
			return "the kernel refused the raw tracepoint programs (EPERM)";
		break;
	case BACKEND_AUTO:
		break;
	}
	snprintf(why, sizeof(why), "%s failed: %s",
		 stage == STAGE_LOAD ? "loading the programs" : "attaching the programs",
		 strerror(e));
	return why;
}

/* The options that show cgroups (or what they tell: containers): their ids are recorded. */
static bool cgroup_names(const struct config *cfg)
{
	return cfg->show_cgroup || cfg->show_container || cfg->json ||
	       (hist_by_fields(cfg->hist_by) & HIST_F_CGROUP);
}

void bpf_config_fill(struct bpf_config *c, const struct config *cfg, enum backend b)
{
	*c = (struct bpf_config){
		.min_us = cfg->min_us,
		.tgid = cfg->pid,
		.uid = cfg->uid,
		.ndports = cfg->ndports,
		.pidns_ino = cfg->pidns_ino,
		.hist_fields = hist_by_fields(cfg->hist_by),
		.af = cfg->af,
		.daddr_af = cfg->daddr_af,
		.daddr_bits = cfg->daddr_bits,
		.filter_uid = cfg->filter_uid,
		.filter_comm = cfg->comm != NULL,
		.filter_cgroup = cfg->cgroup_path != NULL,
		.report_failed = cfg->report_failed,
		.state_timing = b == BACKEND_TRACEPOINT,
		.cgroup_id = cgroup_names(cfg),
		/* --by dhost: only user space knows names; it aggregates the events (uhist.h). */
		.hist = (cfg->hist || cfg->exporter) && !hist_by_has(cfg->hist_by, HIST_BY_DHOST),
		.names = cfg->names,
	};
	memcpy(c->dports, cfg->dports, sizeof(c->dports));
	memcpy(c->daddr, cfg->daddr, sizeof(c->daddr));
	if (cfg->comm)
		strncpy(c->comm, cfg->comm, sizeof(c->comm) - 1);
}

/*
 * The tracepoint backend's programs come in two sets: BTF tracepoints (tp_btf), whose socket
 * reads are plain loads, and raw tracepoints for older kernels (btf false).
 */
static void set_backend_programs(struct tcpconnlat_bpf *skel, const struct config *cfg,
				 enum backend b, bool btf)
{
	bool fentry = b == BACKEND_FENTRY, kprobe = b == BACKEND_KPROBE;
	bool tp = b == BACKEND_TRACEPOINT, btf_tp = tp && btf;

	bpf_program__set_autoload(skel->progs.fentry_v4_connect, fentry);
	bpf_program__set_autoload(skel->progs.fentry_v6_connect, fentry);
	bpf_program__set_autoload(skel->progs.fentry_syn, fentry);
	bpf_program__set_autoload(skel->progs.fentry_rcv_state, fentry);
	bpf_program__set_autoload(skel->progs.kprobe_v4_connect, kprobe);
	bpf_program__set_autoload(skel->progs.kprobe_v6_connect, kprobe);
	bpf_program__set_autoload(skel->progs.kprobe_syn, kprobe);
	bpf_program__set_autoload(skel->progs.kprobe_rcv_state, kprobe);
	/* With -x every backend needs the state changes: leaving SYN_SENT for CLOSE is failing. */
	bpf_program__set_autoload(skel->progs.btf_set_state, btf_tp);
	bpf_program__set_autoload(skel->progs.tp_set_state, (tp || cfg->report_failed) && !btf_tp);
	/*
	 * Without them (the exporter where tracefs is out of reach), nothing is pending: a
	 * failure after the SYN is reported by the context that sees it (connect_failed()).
	 */
	bpf_program__set_autoload(skel->progs.sys_enter_connect,
				  cfg->report_failed && !cfg->no_presyn);
	bpf_program__set_autoload(skel->progs.sys_exit_connect,
				  cfg->report_failed && !cfg->no_presyn);
	/*
	 * JSON always carries syn_retrans: count them for -j too. The tracepoint backend also
	 * learns there when a deferred (Fast Open) SYN that was retransmitted first left.
	 */
	bpf_program__set_autoload(skel->progs.btf_retransmit, btf_tp);
	bpf_program__set_autoload(skel->progs.tp_retransmit,
				  (cfg->syn_retrans || cfg->json || tp) && !btf_tp);
	/*
	 * fentry/kprobe start timing in tcp_v{4,6}_connect(), which may fail before SYN_SENT:
	 * tp_destroy_sock frees those entries. The tracepoint backend sees every way out of
	 * SYN_SENT as a state change, but the kernel skips a program that is already running
	 * on that CPU: a softirq that interrupts tp_set_state (a burst of SYN timeouts, say)
	 * changes states unseen. The destroy programs count those connects.
	 */
	bpf_program__set_autoload(skel->progs.btf_destroy_sock, btf_tp);
	bpf_program__set_autoload(skel->progs.tp_destroy_sock, !btf_tp);
	/* Cgroups are named (cgroup_id is recorded): learn their paths as they are made. */
	bpf_program__set_autoload(skel->progs.tp_cgroup_mkdir, cgroup_names(cfg));
	bpf_program__set_autoload(skel->progs.tp_cgroup_rename, cgroup_names(cfg));
	bpf_program__set_autoload(skel->progs.dns_ingress, cfg->names);
}

/*
 * -N: dns_ingress on the root of the cgroup v2 hierarchy sees the packets of every socket
 * below it (all of them), in every network namespace. A link: it goes with the tool, and
 * other programs attached there (systemd's, a container runtime's) stay.
 */
static int attach_dns(struct tcpconnlat_bpf *skel, FILE *errf)
{
	char mount[PATH_MAX];
	struct bpf_link *link;
	FILE *f;
	int fd, err;

	f = fopen("/proc/self/mountinfo", "re");
	err = f ? cgroup2_mount_find(f, mount, sizeof(mount)) : -errno;
	if (f)
		fclose(f);
	if (err) {
		fprintf(errf, "tcpconnlat: -N needs a cgroup v2 file system to see DNS answers, "
			      "and none is mounted\n");
		return err;
	}
	fd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(errf, "tcpconnlat: -N: cannot open the cgroup v2 root '%s': %s\n", mount,
			strerror(-err));
		return err;
	}
	link = bpf_program__attach_cgroup(skel->progs.dns_ingress, fd);
	err = link ? 0 : -errno;
	close(fd);
	if (err) {
		fprintf(errf,
			"tcpconnlat: -N: cannot attach the DNS answer program to the cgroup v2 "
			"root '%s': %s\n",
			mount, strerror(-err));
		return err;
	}
	skel->links.dns_ingress = link;
	return 0;
}

/* A cgroup record (struct cgroup_record, cut after the path's NUL) for the reader. */
static enum bpf_perf_event_ret on_path_record(void *ctx, int cpu, struct perf_event_header *h)
{
	const struct tracer_reader *rd = ctx;
	struct cgroup_record rec;

	(void)cpu;
	if (events_cgroup_record(h, &rec) == 0)
		rd->cgroup_named(rd->ctx, rec.id, rec.path);
	return LIBBPF_PERF_EVENT_CONT;
}

static struct perf_buffer *paths_open(struct tcpconnlat_bpf *skel, const struct tracer_reader *rd)
{
	struct perf_event_attr attr;

	/* Read on every poll, never waited for: no wakeups. */
	events_attr(&attr, CGROUP_PATHS_PAGES * getpagesize());
	return perf_buffer__new_raw(bpf_map__fd(skel->maps.cgroup_paths), CGROUP_PATHS_PAGES, &attr,
				    on_path_record, (void *)rd, NULL);
}

int tracer_cgroups_drain(struct tracer *t)
{
	int n;

	if (!t || !t->paths)
		return 0;
	n = perf_buffer__consume(t->paths);
	return n < 0 ? 0 : n;
}

/*
 * Each program that will load gets a log buffer of its own: libbpf fills it only when the
 * kernel refuses the program (it then loads it again with the verifier's log on), so the one
 * with text in it names the program the verifier rejected. libbpf leaves a log in a buffer of
 * ours unprinted: rejection() prints it, with -v.
 */
static size_t nprograms(const struct tcpconnlat_bpf *skel)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, skel->obj) n++;
	return n;
}

static char *set_logs(struct tcpconnlat_bpf *skel)
{
	struct bpf_program *prog;
	size_t i = 0;
	char *logs;

	/*
	 * Untouched pages cost nothing: only a rejected program's log is ever written. Mapped,
	 * not calloc()ed: a large block malloc() serves again from the heap is zeroed by
	 * calloc(), which makes all of it resident.
	 */
	logs = mmap(NULL, nprograms(skel) * VLOG_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (logs == MAP_FAILED)
		return NULL;
	bpf_object__for_each_program(prog, skel->obj)
	{
		if (bpf_program__autoload(prog))
			bpf_program__set_log_buf(prog, logs + i * VLOG_SIZE, VLOG_SIZE);
		i++;
	}
	return logs;
}

/* After a failed load: the program with a verifier's log, if any; with -v, the log. */
static void rejection(struct tcpconnlat_bpf *skel, const struct config *cfg, char *logs,
		      struct rejection *rj, FILE *err)
{
	struct bpf_program *prog;
	size_t i = 0;

	if (!logs)
		return;
	bpf_object__for_each_program(prog, skel->obj)
	{
		char *log = logs + i++ * VLOG_SIZE;

		if (!log[0])
			continue;
		log[VLOG_SIZE - 1] = '\0';
		rj->prog = strdup(bpf_program__name(prog));
		rj->log = strdup(log);
		if (cfg->verbose)
			fprintf(err, "tcpconnlat: the verifier's log for program '%s':\n%s%s",
				rj->prog, log, log[strlen(log) - 1] == '\n' ? "" : "\n");
		return;
	}
}

static int try_programs(const struct config *cfg, int cgroup_fd, enum backend b, bool btf,
			const struct tracer_reader *rd, struct tcpconnlat_bpf **out,
			struct perf_buffer **paths, enum load_stage *stage, struct rejection *rj,
			FILE *errf)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = cfg->btf_path);
	struct tcpconnlat_bpf *skel;
	struct bpf_config bc;
	char *logs;
	int err;

	*stage = STAGE_OPEN;
	skel = tcpconnlat_bpf__open_opts(&opts);
	if (!skel)
		return -errno;

	bpf_config_fill(&bc, cfg, b);
	memcpy((void *)&skel->rodata->targ_cfg, &bc, sizeof(bc));
	set_backend_programs(skel, cfg, b, btf);

	*stage = STAGE_LOAD;
	logs = set_logs(skel);
	err = tcpconnlat_bpf__load(skel);
	if (err)
		rejection(skel, cfg, logs, rj, errf);
	if (logs)
		munmap(logs, nprograms(skel) * VLOG_SIZE);
	if (err)
		goto cleanup;
	*stage = STAGE_READER;
	err = rd->open(rd->ctx, bpf_map__fd(skel->maps.events),
		       cfg->names ? bpf_map__fd(skel->maps.dns_events) : -1);
	if (err)
		goto cleanup;
	*stage = STAGE_ATTACH;
	if (cgroup_names(cfg)) {
		*paths = paths_open(skel, rd);
		if (!*paths) {
			err = -errno;
			goto cleanup;
		}
	}
	if (cfg->cgroup_path) {
		__u32 zero = 0;

		err = bpf_map__update_elem(skel->maps.cgroup, &zero, sizeof(zero), &cgroup_fd,
					   sizeof(cgroup_fd), BPF_ANY);
		if (err)
			goto cleanup;
	}
	err = tcpconnlat_bpf__attach(skel);
	if (err)
		goto cleanup;
	*out = skel;
	/* Not a backend's failure: no other backend would attach it either. */
	if (cfg->names && attach_dns(skel, errf)) {
		*stage = STAGE_DNS;
		rd->close(rd->ctx);
		tcpconnlat_bpf__destroy(skel);
		*out = NULL;
		return -EINVAL;
	}
	return 0;

cleanup:
	/* The readers belong to this candidate's maps: the next one has its own. */
	if (*stage == STAGE_ATTACH) {
		rd->close(rd->ctx);
		perf_buffer__free(*paths);
		*paths = NULL;
	}
	tcpconnlat_bpf__destroy(skel);
	return err < 0 ? err : -EINVAL;
}

/*
 * The tracepoint backend tries its BTF tracepoint programs first; a kernel that refuses them
 * (older than 5.9, or without BTF) gets the raw tracepoint ones, as does a test that sets
 * TCPCONNLAT_RAW_TRACEPOINTS.
 */
static int try_backend(const struct config *cfg, int cgroup_fd, enum backend b,
		       const struct tracer_reader *rd, struct tcpconnlat_bpf **out,
		       struct perf_buffer **paths, bool *btf, enum load_stage *stage,
		       struct rejection *rj, FILE *errf)
{
	bool rejected;
	char *why;
	int err;
	const char *raw = getenv("TCPCONNLAT_RAW_TRACEPOINTS");

	*btf = b == BACKEND_TRACEPOINT && !(raw && *raw);
	if (!*btf)
		return try_programs(cfg, cgroup_fd, b, false, rd, out, paths, stage, rj, errf);
	err = try_programs(cfg, cgroup_fd, b, true, rd, out, paths, stage, rj, errf);
	if (!err || *stage == STAGE_READER)
		return err;
	why = strdup(backend_failure(b, *stage, err, rj)); /* a static buffer, reused below */
	rejected = backend_rejected(*stage, rj);
	if (cfg->verbose)
		fprintf(errf, "tcpconnlat: BTF tracepoints failed: %s (trying raw tracepoints)\n",
			why ? why : "?");
	free((char *)rj->prog);
	free((char *)rj->log);
	*rj = (struct rejection){};
	*btf = false;
	err = try_programs(cfg, cgroup_fd, b, false, rd, out, paths, stage, rj, errf);
	/* As for backends: a bug of ours is never passed over in silence (-v said it already). */
	if (!err && rejected && !cfg->verbose)
		fprintf(errf,
			"tcpconnlat: the tracepoint backend's BTF tracepoints failed: %s "
			"(using raw tracepoints instead)\n",
			why ? why : "?");
	free(why);
	return err;
}

struct tracer *tracer_start(const struct config *cfg, int cgroup_fd, const struct tracer_reader *rd,
			    FILE *err)
{
	enum backend cand[3];
	const char *why[3];
	bool rejected[3];
	struct tracer *t;
	int n, i, k, e;

	t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(err, "tcpconnlat: out of memory\n");
		return NULL;
	}
	t->rd = *rd;
	rd = &t->rd;
	n = backend_candidates(cfg->backend, cand);
	for (i = 0; i < n; i++) {
		struct rejection rj = {};
		enum load_stage stage;

		e = try_backend(cfg, cgroup_fd, cand[i], rd, &t->skel, &t->paths, &t->btf, &stage,
				&rj, err);
		if (!e) {
			t->backend = cand[i];
			/* A bug of ours is never passed over in silence (-v said it already). */
			for (k = 0; k < i && !cfg->verbose; k++)
				if (rejected[k])
					fprintf(err,
						"tcpconnlat: %s backend failed: %s (using the %s "
						"backend instead)\n",
						backend_name(cand[k]), why[k] ? why[k] : "?",
						backend_name(cand[i]));
			while (i--) /* the reasons of the candidates that failed before */
				free((char *)why[i]);
			return t;
		}
		if (stage == STAGE_DNS) { /* said why already; no other backend would help */
			n = i;
			goto cleanup;
		}
		if (stage == STAGE_READER) { /* no other backend would help */
			fprintf(err, "tcpconnlat: cannot open the perf buffer: %s\n", strerror(-e));
			n = i;
			goto cleanup;
		}
		why[i] = strdup(backend_failure(cand[i], stage, e, &rj));
		rejected[i] = backend_rejected(stage, &rj);
		free((char *)rj.prog);
		free((char *)rj.log);
		if (cfg->verbose)
			fprintf(err, "tcpconnlat: %s backend failed: %s\n", backend_name(cand[i]),
				why[i] ? why[i] : "?");
	}
	if (n == 1)
		fprintf(err, "tcpconnlat: the %s backend cannot run here: %s\n",
			backend_name(cand[0]), why[0] ? why[0] : "?");
	else
		fprintf(err, "tcpconnlat: no backend could attach:\n");
	for (i = 0; n > 1 && i < n; i++)
		fprintf(err, "  %-10s %s\n", backend_name(cand[i]), why[i] ? why[i] : "?");
cleanup:
	for (i = 0; i < n; i++)
		free((char *)why[i]);
	free(t);
	return NULL;
}

enum backend tracer_backend(const struct tracer *t)
{
	return t->backend;
}

uint64_t tracer_dns_lost(const struct tracer *t)
{
	return __atomic_load_n(&t->skel->bss->dns_lost, __ATOMIC_RELAXED);
}

uint64_t tracer_events_lost(const struct tracer *t)
{
	return __atomic_load_n(&t->skel->bss->events_lost, __ATOMIC_RELAXED);
}

void tracer_untracked(const struct tracer *t, struct untracked *u)
{
	const __u64 *bss[UNCOUNTED_REASONS] = {
		[UNCOUNTED_INFLIGHT_FULL] = &t->skel->bss->inflight_full,
		[UNCOUNTED_PENDING_FULL] = &t->skel->bss->pending_full,
		[UNCOUNTED_OUTCOME_UNSEEN] = &t->skel->bss->outcome_unseen,
	};
	int i;

	for (i = 0; i < UNCOUNTED_REASONS; i++)
		if (bss[i])
			u->n[i] = __atomic_load_n(bss[i], __ATOMIC_RELAXED);
}

uint64_t tracer_runs_missed(const struct tracer *t)
{
	struct bpf_program *prog;
	uint64_t n = 0;

	bpf_object__for_each_program(prog, t->skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

size_t tracer_prog_stats(const struct tracer *t, struct prog_stat *v, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, t->skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (n >= max || fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		snprintf(v[n].name, sizeof(v[n].name), "%s", bpf_program__name(prog));
		v[n].run_ns = info.run_time_ns;
		v[n].runs = info.run_cnt;
		n++;
	}
	return n;
}

bool bpf_stats_enabled(void)
{
	char c = 0;
	int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '1';
}

/*
 * The whole map in a few system calls (kernels since 5.6): one lookup per key costs two
 * system calls, some 40 ms for the 10,000 label sets a scrape may have. 0 with *n set, or
 * -1 when the kernel has no batch lookup for hash maps (then one key at a time).
 */
static int read_hists_batch(int fd, struct hist_entry *v, size_t max, size_t *n)
{
	static struct hist_key keys[MAX_HIST_KEYS];
	static struct hist vals[MAX_HIST_KEYS];
	struct hist_key in, out; /* the kernel's position in the map: a bucket number */
	bool first = true;
	__u32 count;
	size_t i;
	int err;

	if (max > MAX_HIST_KEYS)
		max = MAX_HIST_KEYS;
	*n = 0;
	while (*n < max) {
		count = max - *n;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys + *n, vals + *n,
					   &count, NULL);
		if (err && err != -ENOENT)
			return *n ? 0 : -1; /* ENOSPC: no room for a whole bucket; keep what came */
		*n += count;
		in = out;
		first = false;
		if (err == -ENOENT) /* the end of the map */
			break;
	}
	for (i = 0; i < *n; i++) {
		v[i].key = keys[i];
		v[i].hist = vals[i];
	}
	return 0;
}

size_t tracer_read_hists(struct tracer *t, struct hist_entry *v, size_t max, uint64_t *lost)
{
	int fd = bpf_map__fd(t->skel->maps.hists);
	struct hist_key key, next;
	void *prev = NULL;
	size_t n = 0;

	/* Never emptied: see struct hist_prev. No key is deleted, so the walk never restarts. */
	if (read_hists_batch(fd, v, max, &n)) {
		while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(fd, &key, &v[n].hist))
				continue;
			v[n].key = key;
			n++;
		}
	}
	*lost = __atomic_load_n(&t->skel->bss->hist_lost, __ATOMIC_RELAXED);
	return n;
}

void tracer_detach(struct tracer *t)
{
	/*
	 * tp_destroy_sock first: still attached after the programs that see connects end, it
	 * would find the entries of the connects that ended in between and count each as an
	 * end nobody saw (outcome_unseen) in the exit report.
	 */
	bpf_link__destroy(t->skel->links.tp_destroy_sock);
	t->skel->links.tp_destroy_sock = NULL;
	bpf_link__destroy(t->skel->links.btf_destroy_sock);
	t->skel->links.btf_destroy_sock = NULL;
	tcpconnlat_bpf__detach(t->skel);
}

void tracer_stop(struct tracer *t)
{
	if (!t)
		return;
	perf_buffer__free(t->paths);
	tcpconnlat_bpf__destroy(t->skel);
	free(t);
}

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
#include "cgroup.h"
#include "events.h"
#include "tracer.h"
#include "tcpconnlat.skel.h"

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
	 * Without it (the exporter where tracefs is out of reach), every failure after the
	 * SYN is reported by the context that sees it (connect_failed()).
	 */
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
	bpf_program__set_autoload(skel->progs.tp_cgroup_mkdir, backend_cgroup_names(cfg));
	bpf_program__set_autoload(skel->progs.tp_cgroup_rename, backend_cgroup_names(cfg));
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

/* What every attempt shares. */
struct start {
	const struct config *cfg;
	int cgroup_fd; /* --cgroup's directory, or -1 */
	const struct tracer_reader *rd;
	FILE *err; /* where failures are said */
};

/* One try of a backend's programs (the tracepoint backend has two sets of them). */
struct attempt {
	enum backend backend;
	bool btf;		     /* the BTF tracepoint programs, not the raw ones */
	struct tcpconnlat_bpf *skel; /* loaded and attached, when it worked */
	struct perf_buffer *paths;   /* its cgroup_paths reader, when cgroups are named */
	enum load_stage stage;	     /* how far it got, when it failed */
	struct rejection rj;	     /* the program the verifier refused, if it did */
	char *why;		     /* once it failed: backend_failure(), kept */
	bool rejected;		     /* once it failed: backend_rejected(), a bug of ours */
};

/* After a failure at a->stage with err: why, in words (backend_failure()'s buffer is reused). */
static void attempt_failed(struct attempt *a, int err)
{
	a->why = strdup(backend_failure(a->backend, a->stage, err, &a->rj));
	a->rejected = backend_rejected(a->stage, &a->rj);
	free((char *)a->rj.prog);
	free((char *)a->rj.log);
	a->rj = (struct rejection){};
}

static const char *attempt_why(const struct attempt *a)
{
	return a->why ? a->why : "?";
}

static int try_programs(const struct start *s, struct attempt *a)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = s->cfg->btf_path);
	const struct config *cfg = s->cfg;
	const struct tracer_reader *rd = s->rd;
	struct tcpconnlat_bpf *skel;
	struct bpf_config bc;
	char *logs;
	int err;

	a->stage = STAGE_OPEN;
	skel = tcpconnlat_bpf__open_opts(&opts);
	if (!skel)
		return -errno;

	bpf_config_fill(&bc, cfg, a->backend);
	memcpy((void *)&skel->rodata->targ_cfg, &bc, sizeof(bc));
	set_backend_programs(skel, cfg, a->backend, a->btf);

	a->stage = STAGE_LOAD;
	logs = set_logs(skel);
	err = tcpconnlat_bpf__load(skel);
	if (err)
		rejection(skel, cfg, logs, &a->rj, s->err);
	if (logs)
		munmap(logs, nprograms(skel) * VLOG_SIZE);
	if (err)
		goto cleanup;
	a->stage = STAGE_READER;
	err = rd->open(rd->ctx, bpf_map__fd(skel->maps.events),
		       cfg->names ? bpf_map__fd(skel->maps.dns_events) : -1);
	if (err)
		goto cleanup;
	a->stage = STAGE_ATTACH;
	if (backend_cgroup_names(cfg)) {
		a->paths = paths_open(skel, rd);
		if (!a->paths) {
			err = -errno;
			goto cleanup;
		}
	}
	if (cfg->cgroup_path) {
		__u32 zero = 0;

		err = bpf_map__update_elem(skel->maps.cgroup, &zero, sizeof(zero), &s->cgroup_fd,
					   sizeof(s->cgroup_fd), BPF_ANY);
		if (err)
			goto cleanup;
	}
	err = tcpconnlat_bpf__attach(skel);
	if (err)
		goto cleanup;
	a->skel = skel;
	/* Not a backend's failure: no other backend would attach it either. */
	if (cfg->names && attach_dns(skel, s->err)) {
		a->stage = STAGE_DNS;
		rd->close(rd->ctx);
		tcpconnlat_bpf__destroy(skel);
		a->skel = NULL;
		return -EINVAL;
	}
	return 0;

cleanup:
	/* The readers belong to this candidate's maps: the next one has its own. */
	if (a->stage == STAGE_ATTACH) {
		rd->close(rd->ctx);
		perf_buffer__free(a->paths);
		a->paths = NULL;
	}
	tcpconnlat_bpf__destroy(skel);
	return err < 0 ? err : -EINVAL;
}

/*
 * The tracepoint backend tries its BTF tracepoint programs first; a kernel that refuses them
 * (older than 5.9, or without BTF) gets the raw tracepoint ones, as does a test that sets
 * TCPCONNLAT_RAW_TRACEPOINTS.
 */
static int try_backend(const struct start *s, struct attempt *a)
{
	const char *raw = getenv("TCPCONNLAT_RAW_TRACEPOINTS");
	struct attempt btf = {.backend = a->backend, .btf = true};
	int err;

	if (a->backend != BACKEND_TRACEPOINT || (raw && *raw))
		return try_programs(s, a);
	err = try_programs(s, &btf);
	if (!err || btf.stage == STAGE_READER) {
		*a = btf;
		return err;
	}
	attempt_failed(&btf, err);
	if (s->cfg->verbose)
		fprintf(s->err, "tcpconnlat: BTF tracepoints failed: %s (trying raw tracepoints)\n",
			attempt_why(&btf));
	err = try_programs(s, a);
	/* As for backends: a bug of ours is never passed over in silence (-v said it already). */
	if (!err && btf.rejected && !s->cfg->verbose)
		fprintf(s->err,
			"tcpconnlat: the tracepoint backend's BTF tracepoints failed: %s "
			"(using raw tracepoints instead)\n",
			attempt_why(&btf));
	free(btf.why);
	return err;
}

struct tracer *tracer_start(const struct config *cfg, int cgroup_fd, const struct tracer_reader *rd,
			    FILE *err)
{
	enum backend cand[3];
	struct attempt tries[3] = {};
	struct start s = {.cfg = cfg, .cgroup_fd = cgroup_fd, .err = err};
	struct tracer *t;
	int n, i, k, e;

	t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(err, "tcpconnlat: out of memory\n");
		return NULL;
	}
	t->rd = *rd;
	s.rd = &t->rd;
	n = backend_candidates(cfg->backend, by_socket(cfg), cand);
	for (i = 0; i < n; i++) {
		struct attempt *a = &tries[i];

		a->backend = cand[i];
		e = try_backend(&s, a);
		if (!e) {
			t->skel = a->skel;
			t->paths = a->paths;
			t->backend = a->backend;
			t->btf = a->btf;
			/* A bug of ours is never passed over in silence (-v said it already). */
			for (k = 0; k < i && !cfg->verbose; k++)
				if (tries[k].rejected)
					fprintf(err,
						"tcpconnlat: %s backend failed: %s (using the %s "
						"backend instead)\n",
						backend_name(tries[k].backend),
						attempt_why(&tries[k]), backend_name(a->backend));
			for (k = 0; k < i;
			     k++) /* the reasons of the candidates that failed before */
				free(tries[k].why);
			return t;
		}
		if (a->stage == STAGE_DNS) { /* said why already; no other backend would help */
			n = i;
			goto cleanup;
		}
		if (a->stage == STAGE_READER) { /* no other backend would help */
			fprintf(err, "tcpconnlat: cannot open the perf buffer: %s\n", strerror(-e));
			n = i;
			goto cleanup;
		}
		attempt_failed(a, e);
		if (cfg->verbose)
			fprintf(err, "tcpconnlat: %s backend failed: %s\n",
				backend_name(a->backend), attempt_why(a));
	}
	if (n == 1)
		fprintf(err, "tcpconnlat: the %s backend cannot run here: %s\n",
			backend_name(tries[0].backend), attempt_why(&tries[0]));
	else
		fprintf(err, "tcpconnlat: no backend could attach:\n");
	for (i = 0; n > 1 && i < n; i++)
		fprintf(err, "  %-10s %s\n", backend_name(tries[i].backend),
			attempt_why(&tries[i]));
cleanup:
	for (i = 0; i < n; i++)
		free(tries[i].why);
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
		[UNCOUNTED_OUTCOME_UNSEEN] = &t->skel->bss->outcome_unseen,
	};
	int i;

	for (i = 0; i < UNCOUNTED_REASONS; i++)
		if (bss[i])
			u->n[i] = __atomic_load_n(bss[i], __ATOMIC_RELAXED);
}

/* What the kernel says of a program: false for one not loaded, or when it cannot say. */
static bool prog_info(const struct bpf_program *prog, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);
	int fd = bpf_program__fd(prog);

	memset(info, 0, sizeof(*info));
	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, info, &len);
}

uint64_t tracer_runs_missed(const struct tracer *t)
{
	struct bpf_program *prog;
	struct bpf_prog_info info;
	uint64_t n = 0;

	bpf_object__for_each_program(prog, t->skel->obj)
	{
		if (prog_info(prog, &info))
			n += info.recursion_misses;
	}
	return n;
}

size_t tracer_prog_stats(const struct tracer *t, struct prog_stat *v, size_t max)
{
	struct bpf_program *prog;
	struct bpf_prog_info info;
	size_t n = 0;

	bpf_object__for_each_program(prog, t->skel->obj)
	{
		if (n >= max || !prog_info(prog, &info))
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

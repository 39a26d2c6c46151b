// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "backend.h"
#include "tcpconnlat.skel.h"

/* Linux 5.8 split these out of CAP_SYS_ADMIN; older uapi headers lack them. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel-internal "operation not supported" */
#endif

struct tracer {
	struct tcpconnlat_bpf *skel;
	enum backend backend;
};

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/*
 * -x reads connect()'s return value from the syscalls:sys_{enter,exit}_connect trace events,
 * which libbpf attaches through tracefs (CONFIG_FTRACE_SYSCALLS).
 */
static bool syscall_tracepoints_missing(FILE *err)
{
	static const char *const dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_connect", dirs[i]);
		if (!access(path, F_OK))
			return false;
	}
	fprintf(err, "tcpconnlat: -x/--failed needs the syscalls:sys_enter_connect and "
		     "sys_exit_connect trace events: not found (mount tracefs: mount -t tracefs "
		     "tracefs /sys/kernel/tracing; the kernel needs CONFIG_FTRACE_SYSCALLS)\n");
	return true;
}

int preflight(const struct config *cfg, FILE *err)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};
	const char *path = cfg->btf_path ? cfg->btf_path : SYSFS_BTF;
	struct stat st;
	struct btf *btf;

	if (syscall(SYS_capget, &hdr, data) ||
	    !(has_cap(data, CAP_SYS_ADMIN) ||
	      (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON)))) {
		fprintf(err, "tcpconnlat: not enough privileges: run as root (needs CAP_BPF and "
			     "CAP_PERFMON, or CAP_SYS_ADMIN)\n");
		return 1;
	}
	if (!cfg->btf_path && access(path, R_OK)) {
		fprintf(err,
			"tcpconnlat: no kernel BTF: %s is missing (kernel built without "
			"CONFIG_DEBUG_INFO_BTF=y); pass this kernel's BTF with --btf FILE\n",
			path);
		return 1;
	}
	if (cfg->btf_path && access(path, R_OK)) {
		fprintf(err, "tcpconnlat: cannot use BTF file '%s': %s\n", path, strerror(errno));
		return 1;
	}
	if (cfg->failed && syscall_tracepoints_missing(err))
		return 1;
	if (cfg->btf_path) {
		/* libbpf would only say EIO: it reads a directory as an empty file. */
		if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
			fprintf(err, "tcpconnlat: cannot use BTF file '%s': %s\n", path,
				strerror(EISDIR));
			return 1;
		}
		/*
		 * libbpf says ENOENT for an ELF file without a .BTF section: not a missing file.
		 * EINVAL: the file starts like BTF (raw, or an ELF .BTF section) but does not
		 * parse, e.g. a truncated copy of /sys/kernel/btf/vmlinux.
		 */
		btf = btf__parse(path, NULL);
		if (!btf) {
			fprintf(err, "tcpconnlat: cannot use BTF file '%s': %s\n", path,
				errno == EINVAL ? "its BTF is truncated or corrupt"
						: "it holds no BTF");
			return 1;
		}
		btf__free(btf);
	}
	return 0;
}

int cgroup_open(struct config *cfg, FILE *err)
{
	struct statfs fs;
	int fd;

	fd = open(cfg->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(err, "tcpconnlat: cannot use --cgroup '%s': %s\n", cfg->cgroup_path,
			strerror(errno));
		return 1;
	}
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		fprintf(err,
			"tcpconnlat: cannot use --cgroup '%s': not a cgroup v2 directory (the "
			"unified hierarchy, e.g. /sys/fs/cgroup/system.slice/nginx.service)\n",
			cfg->cgroup_path);
		close(fd);
		return 1;
	}
	cfg->cgroup_fd = fd;
	return 0;
}

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

const char *backend_failure(enum backend b, enum load_stage stage, int err)
{
	static char why[256];
	int e = err < 0 ? -err : err;

	if (stage == STAGE_OPEN) {
		snprintf(why, sizeof(why), "cannot open the BPF object: %s", strerror(e));
		return why;
	}
	/* Every backend fails like this, at its first load: bpf() itself is missing. */
	if (stage == STAGE_LOAD && e == ENOSYS)
		return "this kernel has no bpf() system call (built without CONFIG_BPF_SYSCALL)";
	switch (b) {
	case BACKEND_FENTRY:
		if (stage == STAGE_LOAD && (e == EPERM || e == EACCES))
			return "the kernel refused to load fentry programs (EPERM: kernel lockdown "
			       "or a kernel that restricts tracing programs)";
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

static void set_backend_programs(struct tcpconnlat_bpf *skel, const struct config *cfg,
				 enum backend b)
{
	bool fentry = b == BACKEND_FENTRY, kprobe = b == BACKEND_KPROBE;
	bool tp = b == BACKEND_TRACEPOINT;

	bpf_program__set_autoload(skel->progs.fentry_v4_connect, fentry);
	bpf_program__set_autoload(skel->progs.fentry_v6_connect, fentry);
	bpf_program__set_autoload(skel->progs.fentry_syn, fentry);
	bpf_program__set_autoload(skel->progs.fentry_rcv_state, fentry);
	bpf_program__set_autoload(skel->progs.kprobe_v4_connect, kprobe);
	bpf_program__set_autoload(skel->progs.kprobe_v6_connect, kprobe);
	bpf_program__set_autoload(skel->progs.kprobe_syn, kprobe);
	bpf_program__set_autoload(skel->progs.kprobe_rcv_state, kprobe);
	/* With -x every backend needs the state changes: leaving SYN_SENT for CLOSE is failing. */
	bpf_program__set_autoload(skel->progs.tp_set_state, tp || cfg->failed);
	bpf_program__set_autoload(skel->progs.sys_enter_connect, cfg->failed);
	bpf_program__set_autoload(skel->progs.sys_exit_connect, cfg->failed);
	/*
	 * JSON always carries syn_retrans: count them for -j too. The tracepoint backend also
	 * learns there when a deferred (Fast Open) SYN that was retransmitted first left.
	 */
	bpf_program__set_autoload(skel->progs.tp_retransmit, cfg->retrans || cfg->json || tp);
	/*
	 * fentry/kprobe start timing in tcp_v{4,6}_connect(), which may fail before SYN_SENT:
	 * tp_destroy_sock frees those entries. The tracepoint backend sees every way out of
	 * SYN_SENT as a state change, but the kernel skips a program that is already running
	 * on that CPU: a softirq that interrupts tp_set_state (a burst of SYN timeouts, say)
	 * changes states unseen. tp_destroy_sock frees those entries when the socket goes.
	 */
	bpf_program__set_autoload(skel->progs.tp_destroy_sock, true);
	skel->rodata->targ_state_timing = tp;
	skel->rodata->targ_failed = cfg->failed;
}

static int try_backend(const struct config *cfg, enum backend b, struct tcpconnlat_bpf **out,
		       enum load_stage *stage)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = cfg->btf_path);
	struct tcpconnlat_bpf *skel;
	int err;

	*stage = STAGE_OPEN;
	skel = tcpconnlat_bpf__open_opts(&opts);
	if (!skel)
		return -errno;

	skel->rodata->targ_tgid = cfg->pid;
	skel->rodata->targ_min_us = cfg->min_us;
	skel->rodata->targ_af = cfg->af;
	skel->rodata->targ_ndports = cfg->ndports;
	memcpy((void *)skel->rodata->targ_dports, cfg->dports, sizeof(cfg->dports));
	skel->rodata->targ_daddr_af = cfg->daddr_af;
	memcpy((void *)skel->rodata->targ_daddr, cfg->daddr, sizeof(cfg->daddr));
	skel->rodata->targ_daddr_bits = cfg->daddr_bits;
	skel->rodata->targ_filter_uid = cfg->filter_uid;
	skel->rodata->targ_uid = cfg->uid;
	skel->rodata->targ_filter_comm = cfg->comm != NULL;
	if (cfg->comm)
		strncpy((char *)skel->rodata->targ_comm, cfg->comm, TASK_COMM_LEN - 1);
	skel->rodata->targ_filter_cgroup = cfg->cgroup_path != NULL;
	skel->rodata->targ_hist = cfg->hist;
	skel->rodata->targ_hist_by = cfg->hist_by;
	skel->rodata->targ_pidns_ino = cfg->pidns_ino;
	skel->rodata->targ_cgroup_id =
		cfg->show_cgroup || cfg->json || cfg->hist_by == HIST_BY_CGROUP;
	set_backend_programs(skel, cfg, b);

	*stage = STAGE_LOAD;
	err = tcpconnlat_bpf__load(skel);
	if (err)
		goto cleanup;
	*stage = STAGE_ATTACH;
	if (cfg->cgroup_path) {
		__u32 zero = 0;

		err = bpf_map__update_elem(skel->maps.cgroup, &zero, sizeof(zero), &cfg->cgroup_fd,
					   sizeof(cfg->cgroup_fd), BPF_ANY);
		if (err)
			goto cleanup;
	}
	err = tcpconnlat_bpf__attach(skel);
	if (err)
		goto cleanup;
	*out = skel;
	return 0;

cleanup:
	tcpconnlat_bpf__destroy(skel);
	return err < 0 ? err : -EINVAL;
}

struct tracer *tracer_start(const struct config *cfg, FILE *err)
{
	enum backend cand[3];
	const char *why[3];
	struct tracer *t;
	int n, i, e;

	t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(err, "tcpconnlat: out of memory\n");
		return NULL;
	}
	n = backend_candidates(cfg->backend, cand);
	for (i = 0; i < n; i++) {
		enum load_stage stage;

		e = try_backend(cfg, cand[i], &t->skel, &stage);
		if (!e) {
			t->backend = cand[i];
			while (i--) /* the reasons of the candidates that failed before */
				free((char *)why[i]);
			return t;
		}
		why[i] = strdup(backend_failure(cand[i], stage, e));
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
	for (i = 0; i < n; i++)
		free((char *)why[i]);
	free(t);
	return NULL;
}

enum backend tracer_backend(const struct tracer *t)
{
	return t->backend;
}

int tracer_events_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

uint64_t tracer_events_lost(const struct tracer *t)
{
	return __atomic_load_n(&t->skel->bss->events_lost, __ATOMIC_RELAXED);
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

size_t tracer_take_hists(struct tracer *t, struct hist_entry *v, size_t max, uint64_t *lost)
{
	int fd = bpf_map__fd(t->skel->maps.hists);
	struct hist_key key, next;
	size_t n = 0, i;
	void *prev = NULL;

	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v[n].hist))
			continue;
		v[n].key = key;
		n++;
	}
	/* Deleted after the walk (deleting during it can restart it); keys new since stay. */
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &v[i].key);
	*lost = __atomic_exchange_n(&t->skel->bss->hist_lost, 0, __ATOMIC_RELAXED);
	return n;
}

void tracer_detach(struct tracer *t)
{
	tcpconnlat_bpf__detach(t->skel);
}

void tracer_stop(struct tracer *t)
{
	if (!t)
		return;
	tcpconnlat_bpf__destroy(t->skel);
	free(t);
}

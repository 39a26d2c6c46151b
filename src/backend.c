// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "backend.h"
#include "hist.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel-internal "operation not supported" */
#endif

/* A row of failures[] that holds at load and at attach. */
#define ANY_STAGE (-1)

int backend_candidates(enum backend requested, bool by_socket, enum backend out[3])
{
	if (requested != BACKEND_AUTO) {
		out[0] = requested;
		return 1;
	}
	/*
	 * Cheapest first: fentry is a direct call, kprobe a breakpoint or ftrace hop. Timing
	 * from the socket alone, the tracepoint backend runs one program at a connect's end and
	 * keeps nothing in between (docs/performance.md).
	 */
	if (by_socket) {
		out[0] = BACKEND_TRACEPOINT;
		out[1] = BACKEND_FENTRY;
		out[2] = BACKEND_KPROBE;
		return 3;
	}
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

/* Why a backend failed, for a stage and an errno: the first row that matches. */
static const struct failure {
	enum backend backend; /* BACKEND_AUTO: any */
	int stage;	      /* ANY_STAGE: load or attach */
	int errs[3];	      /* one of these errnos (0: unused) */
	const char *why;
} failures[] = {
	/* Every backend fails like this, at its first load: bpf() itself is missing. */
	{BACKEND_AUTO,
	 STAGE_LOAD,
	 {ENOSYS},
	 "this kernel has no bpf() system call (built without CONFIG_BPF_SYSCALL)"},
	/* No verifier log (backend_rejected()): refused before the verifier ran. */
	{BACKEND_FENTRY,
	 STAGE_LOAD,
	 {EPERM},
	 "the kernel refused to load fentry programs (EPERM: kernel lockdown or a kernel that "
	 "restricts tracing programs)"},
	{BACKEND_FENTRY,
	 STAGE_LOAD,
	 {EACCES},
	 "the kernel refused to load fentry programs (EACCES, without a verifier log)"},
	{BACKEND_FENTRY,
	 STAGE_LOAD,
	 {ENOTSUPP, EOPNOTSUPP, EINVAL},
	 "this kernel cannot run fentry programs (needs Linux 5.5+ with BTF and "
	 "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"},
	{BACKEND_FENTRY,
	 STAGE_LOAD,
	 {ESRCH, ENOENT},
	 "tcp_v4_connect, tcp_v6_connect or tcp_rcv_state_process is not in the kernel's BTF "
	 "(inlined or renamed)"},
	/*
	 * The programs loaded but no BPF trampoline can be put on a kernel function: arm64 does
	 * that through ftrace direct calls, from Linux 6.4 ("arm64: ftrace: Add direct call
	 * support"); before, its trampolines serve BPF programs only.
	 */
	{BACKEND_FENTRY,
	 STAGE_ATTACH,
	 {ENOTSUPP, EOPNOTSUPP},
	 "this kernel cannot attach fentry programs to kernel functions (on arm64: Linux 6.4+ "
	 "with CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"},
	{BACKEND_KPROBE,
	 STAGE_ATTACH,
	 {ENOENT, EOPNOTSUPP, ENOTSUPP},
	 "kprobes are not available (kernel built without CONFIG_KPROBES, or tcp_v4_connect "
	 "cannot be probed)"},
	{BACKEND_KPROBE,
	 ANY_STAGE,
	 {EPERM, EACCES},
	 "the kernel refused kprobes (EPERM: kernel lockdown or kernel.perf_event_paranoid)"},
	{BACKEND_TRACEPOINT,
	 STAGE_ATTACH,
	 {ENOENT, EINVAL},
	 "tracepoint sock:inet_sock_set_state or tcp:tcp_destroy_sock not found in this kernel"},
	{BACKEND_TRACEPOINT,
	 ANY_STAGE,
	 {EPERM, EACCES},
	 "the kernel refused the raw tracepoint programs (EPERM)"},
};

static bool failure_matches(const struct failure *f, enum backend b, enum load_stage stage, int e)
{
	size_t k;

	if ((f->backend != BACKEND_AUTO && f->backend != b) ||
	    (f->stage != ANY_STAGE && f->stage != (int)stage))
		return false;
	for (k = 0; k < sizeof(f->errs) / sizeof(f->errs[0]) && f->errs[k]; k++)
		if (f->errs[k] == e)
			return true;
	return false;
}

const char *backend_failure(enum backend b, enum load_stage stage, int err,
			    const struct rejection *rj)
{
	static char why[512];
	int e = err < 0 ? -err : err;
	char line[320];
	size_t i;

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
	for (i = 0; i < sizeof(failures) / sizeof(failures[0]); i++)
		if (failure_matches(&failures[i], b, stage, e))
			return failures[i].why;
	snprintf(why, sizeof(why), "%s failed: %s",
		 stage == STAGE_LOAD ? "loading the programs" : "attaching the programs",
		 strerror(e));
	return why;
}

/* The options that show cgroups (or what they tell: containers): their ids are recorded. */
bool backend_cgroup_names(const struct config *cfg)
{
	return cfg->show_cgroup || cfg->show_container || cfg->json ||
	       (hist_by_fields(cfg->hist_by) & HIST_F_CGROUP);
}

bool by_socket(const struct config *cfg)
{
	return (cfg->hist || cfg->exporter) &&
	       !(hist_by_fields(cfg->hist_by) & (HIST_F_COMM | HIST_F_PID)) &&
	       /* the cgroup keys, and whatever else records cgroup ids */
	       !backend_cgroup_names(cfg) && !cfg->pid && !cfg->filter_uid && !cfg->comm &&
	       !cfg->cgroup_path && !cfg->pidns_ino && !cfg->af;
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
		.presyn = cfg->report_failed && !cfg->no_presyn,
		.state_timing = b == BACKEND_TRACEPOINT,
		.cgroup_id = backend_cgroup_names(cfg),
		/* --by dhost: only user space knows names; it aggregates the events (uhist.h). */
		.hist = (cfg->hist || cfg->exporter) && !hist_by_has(cfg->hist_by, HIST_BY_DHOST),
		.names = cfg->names,
		.no_inflight = b == BACKEND_TRACEPOINT && by_socket(cfg),
	};
	memcpy(c->dports, cfg->dports, sizeof(c->dports));
	memcpy(c->daddr, cfg->daddr, sizeof(c->daddr));
	if (cfg->comm)
		strncpy(c->comm, cfg->comm, sizeof(c->comm) - 1);
}

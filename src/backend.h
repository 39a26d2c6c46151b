/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * The attach backends: which to try for a request, the BPF settings for one, and why one
 * failed, in words. No BPF here: tracer.h loads them.
 */
#ifndef TCPCONNLAT_BACKEND_H
#define TCPCONNLAT_BACKEND_H

#include <stdio.h>
#include "args.h"
#include "backend_kind.h"

enum load_stage {
	STAGE_OPEN,
	STAGE_LOAD,
	STAGE_READER,
	STAGE_ATTACH,
	STAGE_DNS, /* -N's program: not the backend's doing */
};

/*
 * Aggregating (-H, --metrics) with no process key (comm, pid, cgroup, container...), no
 * process filter, no -4/-6: nothing is asked of the connecting task, and the tracepoint
 * backend times a connect from its socket alone at its end (bpf_config.no_inflight).
 */
bool by_socket(const struct config *cfg);

/* The backends to try, in order, for a requested one (by_socket: by_socket(cfg)); returns
 * how many. */
int backend_candidates(enum backend requested, bool by_socket, enum backend out[3]);

/* A program the kernel refused to load, and the verifier's log for it (NULL or "": none). */
struct rejection {
	const char *prog;
	const char *log;
};

/*
 * The verifier's last line in log, into buf: the error it stopped at (or libbpf's note on
 * it), not the statistics that follow. Returns its length, 0 when log has no such line.
 */
size_t verifier_last_line(const char *log, char *buf, size_t len);

/*
 * Why a backend failed, in words: the stage and the negative errno libbpf gave. At load, a
 * verifier's log (rj, may be NULL) decides: the verifier rejected our program, whatever the
 * errno (a kernel limit refuses a program before the verifier runs, with no log).
 */
const char *backend_failure(enum backend b, enum load_stage stage, int err,
			    const struct rejection *rj);

/* True when the reason backend_failure() gave is the verifier's rejection of our program. */
bool backend_rejected(enum load_stage stage, const struct rejection *rj);

/* The BPF programs' settings (struct bpf_config) for these options on backend b. */
void bpf_config_fill(struct bpf_config *c, const struct config *cfg, enum backend b);

/* The options that show cgroups (or what they tell: containers): their ids are recorded. */
bool backend_cgroup_names(const struct config *cfg);

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * What the machine must offer before any BPF is loaded: privileges, a kernel BTF, the trace
 * events -x needs (tracefs mounted if need be), a --cgroup directory, a -p process. Each
 * check prints one line naming the cause to err when it fails.
 */
#ifndef TCPCONNLAT_CHECKS_H
#define TCPCONNLAT_CHECKS_H

#include <stdint.h>
#include <stdio.h>
#include "args.h"

#define SYSFS_BTF   "/sys/kernel/btf/vmlinux"
#define TRACEFS_DIR "/sys/kernel/tracing"

/*
 * What must hold before any BPF is loaded: the privileges and a kernel BTF. Prints one line
 * naming the cause to err and returns non-zero when something is missing.
 */
int preflight(const struct config *cfg, FILE *err);

/*
 * -x, --metrics, --textfile: whether the syscalls:sys_{enter,exit}_connect trace events can be
 * attached. Mounts tracefs at TRACEFS_DIR when it is not mounted there (-v, verbose, says so
 * on err). Returns 0, or -1 with the reason they cannot in why.
 */
int syscall_events(bool verbose, FILE *err, char *why, size_t len);

/*
 * --cgroup: opens path if it is a cgroup v2 directory and returns the descriptor, the
 * caller's to close. Otherwise prints one line naming the path and the reason and returns a
 * negative errno.
 */
int cgroup_filter_open(const char *path, FILE *err);

/* -p against the running system: 0 (perhaps with a warning on err) or -EINVAL (a thread's id;
 * one error line on err). */
int pid_check(uint32_t pid, FILE *err);

#endif

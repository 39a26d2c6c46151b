/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The PID namespace tcpconnlat runs in: PIDs it prints and takes are that namespace's. */
#ifndef TCPCONNLAT_PIDNS_H
#define TCPCONNLAT_PIDNS_H

#include <stdint.h>
#include <stdio.h>

/* The initial PID namespace's inode number (PROC_PID_INIT_INO, include/linux/proc_ns.h). */
#define PIDNS_INIT_INO 0xEFFFFFFCu

/* The inode number of this process's PID namespace, or 0 in the initial one (or unknown). */
uint32_t pidns_self(void);

/*
 * Whether the kernel (its BTF, or the --btf file) lets the BPF side see PIDs as a namespace
 * does (task_struct.thread_pid, Linux 4.19). 0, or prints one line naming what is missing
 * to err and returns -EOPNOTSUPP.
 */
int pidns_check(const char *btf_path, FILE *err);

#endif

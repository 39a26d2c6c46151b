/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The record the BPF side hands to user space, one per traced connect. */
#ifndef TCPCONNLAT_H
#define TCPCONNLAT_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define TASK_COMM_LEN 16

/* Capacity of the in-flight map (an LRU: past it the oldest handshake is forgotten). */
#define MAX_INFLIGHT 16384

struct event {
	__u8 saddr[16]; /* IPv4: first 4 bytes, network order */
	__u8 daddr[16];
	char comm[TASK_COMM_LEN];
	__u64 ts_us;	/* CLOCK_MONOTONIC at completion */
	__u64 delta_us; /* connect() to SYN-ACK */
	__u32 tgid;
	__u16 lport; /* host order */
	__u16 dport; /* host order */
	__u16 af;    /* AF_INET or AF_INET6 */
	__u16 pad[3];
};

#endif /* TCPCONNLAT_H */

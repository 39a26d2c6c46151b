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
/* -P takes at most this many ports. */
#define MAX_DPORTS 16

/* Threads inside connect() at once, tracked for -x (an LRU too). */
#define MAX_PENDING 4096

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
	__u16 err;   /* failed: the socket's or connect()'s errno; 0: closed while connecting */
	__u8 failed; /* 0: completed by a SYN-ACK (delta_us is the latency); 1: failed */
	__u8 syn_retrans; /* SYNs retransmitted before the outcome (saturates at 255) */
	__u16 pad;
};

#endif /* TCPCONNLAT_H */

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Times TCP active opens: from connect() to the SYN-ACK that completes the handshake.
 *
 * Three attach backends share the bodies below; user space enables one set of programs:
 *   fentry:     fentry/tcp_v{4,6}_connect + fentry/tcp_rcv_state_process (5.5+)
 *   kprobe:     the same functions through kprobes
 *   tracepoint: raw tracepoint sock:inet_sock_set_state (4.16+); raw, so tracefs need
 *               not be mounted and no trace record is formatted per state change
 * Every backend also clears the in-flight map on tcp:tcp_destroy_sock.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcpconnlat.h"

#define AF_INET		2
#define AF_INET6	10
#define IPPROTO_TCP	6
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT	2
#define TCP_CLOSE	7

/* Set by user space between open and load; zero means "no filter". */
const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_min_us = 0;
const volatile __u16 targ_af = 0;

struct start_info {
	__u64 ts_ns;
	__u32 tgid;
	char comm[TASK_COMM_LEN];
};

/* LRU: a burst of handshakes past capacity evicts the oldest instead of failing inserts. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct start_info);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

static __always_inline int connect_start(const struct sock *sk)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct start_info s = {};
	__u64 key = (__u64)sk;

	if (targ_tgid && tgid != targ_tgid)
		return 0;
	if (targ_af && BPF_CORE_READ(sk, __sk_common.skc_family) != targ_af)
		return 0;
	s.ts_ns = bpf_ktime_get_ns();
	s.tgid = tgid;
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	bpf_map_update_elem(&start, &key, &s, BPF_ANY);
	return 0;
}

static __always_inline void connect_failed(const struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&start, &key);
}

static __always_inline int connect_done(void *ctx, const struct sock *sk)
{
	__u64 key = (__u64)sk, now = bpf_ktime_get_ns();
	struct start_info *s;
	struct event e = {};

	s = bpf_map_lookup_elem(&start, &key);
	if (!s)
		return 0;
	e.delta_us = (now - s->ts_ns) / 1000;
	if (e.delta_us < targ_min_us)
		goto out;
	e.ts_us = now / 1000;
	e.tgid = s->tgid;
	__builtin_memcpy(e.comm, s->comm, sizeof(e.comm));
	e.af = BPF_CORE_READ(sk, __sk_common.skc_family);
	e.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e.af == AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)e.saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e.daddr, sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO(&e.saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e.daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
out:
	bpf_map_delete_elem(&start, &key);
	return 0;
}

/* Sequence-number comparison as the kernel's after(): wraps modulo 2^32. */
static __always_inline bool seq_after(__u32 a, __u32 b)
{
	return (__s32)(b - a) < 0;
}

/*
 * fentry/kprobe see every segment a SYN_SENT socket receives. Only an acceptable SYN-ACK
 * completes the connect (tcp_rcv_synsent_state_process()): a RST+ACK is a refusal, and a
 * SYN-ACK whose ACK is outside (snd_una, snd_nxt] is answered with a reset, not accepted.
 */
static __always_inline int rcv_state(void *ctx, struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	unsigned char *head;
	struct tcphdr th;
	__u16 thoff;
	__u32 ack;

	if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_SYN_SENT)
		return 0;
	head = BPF_CORE_READ(skb, head);
	thoff = BPF_CORE_READ(skb, transport_header);
	if (bpf_probe_read_kernel(&th, sizeof(th), head + thoff))
		return 0;
	if (!th.ack)
		return 0;
	ack = bpf_ntohl(th.ack_seq);
	if (!seq_after(ack, BPF_CORE_READ(tp, snd_una)) ||
	    seq_after(ack, BPF_CORE_READ(tp, snd_nxt)))
		return 0;
	if (th.rst) {
		connect_failed(sk);
		return 0;
	}
	if (!th.syn)
		return 0;
	return connect_done(ctx, sk);
}

SEC("fentry/tcp_v4_connect")
int BPF_PROG(fentry_v4_connect, struct sock *sk)
{
	return connect_start(sk);
}

SEC("fentry/tcp_v6_connect")
int BPF_PROG(fentry_v6_connect, struct sock *sk)
{
	return connect_start(sk);
}

SEC("fentry/tcp_rcv_state_process")
int BPF_PROG(fentry_rcv_state, struct sock *sk, struct sk_buff *skb)
{
	return rcv_state(ctx, sk, skb);
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(kprobe_v4_connect, struct sock *sk)
{
	return connect_start(sk);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(kprobe_v6_connect, struct sock *sk)
{
	return connect_start(sk);
}

SEC("kprobe/tcp_rcv_state_process")
int BPF_KPROBE(kprobe_rcv_state, struct sock *sk, struct sk_buff *skb)
{
	return rcv_state(ctx, sk, skb);
}

/*
 * CLOSE->SYN_SENT happens inside tcp_v{4,6}_connect(), in the caller's context, so pid and
 * comm are the connecting process's. SYN_SENT->ESTABLISHED is tcp_finish_connect().
 */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(tp_set_state, struct sock *sk, int oldstate, int newstate)
{
	/* sk_protocol was a bitfield until Linux 5.6 ("sock: Make sk_protocol a 16-bit value"). */
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT)
		return connect_start(sk);
	if (oldstate != TCP_SYN_SENT)
		return 0;
	if (newstate == TCP_ESTABLISHED)
		return connect_done(ctx, sk);
	connect_failed(sk);
	return 0;
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(tp_destroy_sock, struct sock *sk)
{
	connect_failed(sk);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

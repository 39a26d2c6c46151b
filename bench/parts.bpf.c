// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * make bench, "where the nanoseconds go": one program per piece of work the tracer's programs
 * do for a connect, all on the tracepoints the tracer uses. bench.sh reads each program's
 * bpf_stats; a piece's cost is its run time minus the empty program's. Each program does its
 * piece on the state change where the tracer does it: CLOSE->SYN_SENT (the start) or
 * SYN_SENT->ESTABLISHED (the end), and returns at once on the others, as the tracer does.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tcpconnlat.h"

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT	2
#define TCP_CLOSE	7
#define IPPROTO_TCP	6

/* The tracer's in-flight map, and socket storage of the same entry (struct inflight_entry). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct inflight_entry);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight_entry);
} inflight_sk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/* The BPF ring buffer (5.8+), the other way to send events (issue 25): 64 pages, shared by
 * the CPUs, as the perf buffer's per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 4096);
} ring SEC(".maps");

/* -H and the exporter's aggregation: one entry per key (here a single one) with atomic adds,
 * and the per-CPU alternative with plain adds (user space would sum the CPUs). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_HIST_KEYS);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_HIST_KEYS);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists_pcpu SEC(".maps");

/* Results go here, so that the compiler keeps the work. */
__u64 sink = 0;

#define IS_START(o, n) ((o) == TCP_CLOSE && (n) == TCP_SYN_SENT)
#define IS_END(o, n)   ((o) == TCP_SYN_SENT && (n) == TCP_ESTABLISHED)

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(p_empty_raw)
{
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_empty)
{
	return 0;
}

/*
 * The state test alone, as the tracer's program makes it on every state change first (in
 * registers): 4 of the 6 runs per connect (resets) end there.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_states, const struct sock *sk, int o, int n)
{
	if (IS_START(o, n) || IS_END(o, n))
		sink++;
	return 0;
}

/* The same after reading the socket's protocol and family (a test made later): the difference
 * is what testing the states first saves on each run that is not about connecting. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_states_late, const struct sock *sk, int o, int n)
{
	if (sk->sk_protocol != IPPROTO_TCP || sk->__sk_common.skc_family == 1)
		return 0;
	if (IS_START(o, n) || IS_END(o, n))
		sink++;
	return 0;
}

/* Nothing, at each connect()'s return: the exporter's and -x's floor (sys_exit_connect). */
SEC("tracepoint/syscalls/sys_exit_connect")
int p_sys_exit(void *ctx)
{
	return 0;
}

/* bpf_ktime_get_ns() at the start and at the end. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_ktime, const struct sock *sk, int o, int n)
{
	if (IS_START(o, n) || IS_END(o, n))
		sink += bpf_ktime_get_ns();
	return 0;
}

/* Who connects: process id and comm, at the start. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_task, const struct sock *sk, int o, int n)
{
	char comm[TASK_COMM_LEN];

	if (!IS_START(o, n))
		return 0;
	sink += bpf_get_current_pid_tgid();
	bpf_get_current_comm(comm, sizeof(comm));
	sink += comm[0];
	return 0;
}

/* -G, -C and the cgroup-based --by keys: the connecting process's cgroup id, at the start. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_cgroup, const struct sock *sk, int o, int n)
{
	if (IS_START(o, n))
		sink += bpf_get_current_cgroup_id();
	return 0;
}

/* Ten bpf_probe_read_kernel() calls of 4 bytes at the end (the raw tracepoint's reads). */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(p_probe10, const struct sock *sk, int o, int n)
{
	__u32 v;
	int i;

	if (!IS_END(o, n))
		return 0;
	for (i = 0; i < 10; i++) {
		bpf_probe_read_kernel(&v, sizeof(v), (const char *)sk + i * 4);
		sink += v;
	}
	return 0;
}

/* The same fields read directly, as the BTF tracepoint program does. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_direct, const struct sock *sk, int o, int n)
{
	struct tcp_sock *tp;

	if (!IS_END(o, n))
		return 0;
	sink += sk->__sk_common.skc_family + sk->__sk_common.skc_num + sk->__sk_common.skc_dport +
		sk->__sk_common.skc_rcv_saddr + sk->__sk_common.skc_daddr + sk->sk_err;
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (tp)
		sink += tp->total_retrans + tp->tcp_wstamp_ns + tp->tcp_mstamp;
	return 0;
}

/* The in-flight hash: an insert at the start, a lookup and a delete at the end. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_hash, const struct sock *sk, int o, int n)
{
	struct inflight_entry v = {}, *p;
	__u64 key = (__u64)sk;

	if (IS_START(o, n)) {
		v.ts_ns = 1;
		bpf_map_update_elem(&inflight, &key, &v, BPF_ANY);
	} else if (IS_END(o, n)) {
		p = bpf_map_lookup_elem(&inflight, &key);
		if (p) {
			sink += p->ts_ns;
			bpf_map_delete_elem(&inflight, &key);
		}
	}
	return 0;
}

/* Socket storage instead: created at the start, looked up and cleared at the end. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_sk_storage, const struct sock *sk, int o, int n)
{
	struct inflight_entry *p;

	if (IS_START(o, n)) {
		p = bpf_sk_storage_get(&inflight_sk, (void *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (p)
			p->ts_ns = 1;
	} else if (IS_END(o, n)) {
		p = bpf_sk_storage_get(&inflight_sk, (void *)sk, 0, 0);
		if (p && p->ts_ns) {
			sink += p->ts_ns;
			p->ts_ns = 0;
		}
	}
	return 0;
}

/* One event to the perf buffer at the end (read by the loader, like the tracer's). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_output, const struct sock *sk, int o, int n)
{
	struct event e = {};

	if (!IS_END(o, n))
		return 0;
	e.tgid = 1;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

/* The same event through the ring buffer: reserved, filled in place, submitted. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_ringbuf, const struct sock *sk, int o, int n)
{
	struct event *e;

	if (!IS_END(o, n))
		return 0;
	e = bpf_ringbuf_reserve(&ring, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->tgid = 1;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The histogram update of -H and the exporter at the end: lookup, four atomic adds. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_hist, const struct sock *sk, int o, int n)
{
	static const struct hist zero = {};
	struct hist_key k = {};
	struct hist *h;

	if (!IS_END(o, n))
		return 0;
	k.dport = 1;
	h = bpf_map_lookup_elem(&hists, &k);
	if (!h) {
		bpf_map_update_elem(&hists, &k, &zero, BPF_NOEXIST);
		return 0;
	}
	__sync_fetch_and_add(&h->slots[3], 1);
	__sync_fetch_and_add(&h->nslots[5], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_us, 7);
	return 0;
}

/* The same in a per-CPU hash: plain adds. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(p_hist_pcpu, const struct sock *sk, int o, int n)
{
	static const struct hist zero = {};
	struct hist_key k = {};
	struct hist *h;

	if (!IS_END(o, n))
		return 0;
	k.dport = 1;
	h = bpf_map_lookup_elem(&hists_pcpu, &k);
	if (!h) {
		bpf_map_update_elem(&hists_pcpu, &k, &zero, BPF_NOEXIST);
		return 0;
	}
	h->slots[3]++;
	h->nslots[5]++;
	h->count++;
	h->sum_us += 7;
	return 0;
}

/* A hash lookup that misses, on every socket's destruction (the tracer's destroy program). */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(p_destroy, struct sock *sk)
{
	__u64 key = (__u64)sk;

	if (bpf_map_lookup_elem(&inflight, &key))
		sink++;
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(p_destroy_empty)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

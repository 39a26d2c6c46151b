// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Times TCP active opens: from the first SYN to the SYN-ACK that completes the handshake.
 * The SYN usually leaves inside connect(), but TCP Fast Open with a cookie
 * (TCP_FASTOPEN_CONNECT) defers it to the first write: timing from connect() would count
 * the application's delay as network latency.
 *
 * Three attach backends share the bodies below; user space enables one set of programs:
 *   fentry:     fentry/tcp_v{4,6}_connect (who connects) + fentry/tcp_connect (the SYN
 *               leaves) + fentry/tcp_rcv_state_process (the SYN-ACK) (5.9+: fentry came in
 *               5.5, bpf_skc_to_tcp_sock() for tracing programs in 5.9)
 *   kprobe:     the same functions through kprobes
 *   tracepoint: BTF tracepoint sock:inet_sock_set_state (5.9+, as fentry), else the raw one
 *               (4.16+); neither needs tracefs nor formats a trace record per state
 *               change. No tracepoint marks the SYN: its send time is read from the socket
 *               (see syn_sent_ns()).
 * Every backend also clears the in-flight map on tcp:tcp_destroy_sock. Options add:
 *   -x: raw tracepoint sock:inet_sock_set_state with fentry/kprobe too (a socket leaving
 *       SYN_SENT for CLOSE failed), and syscalls:sys_exit_connect (the errno of a connect()
 *       that fails before its SYN is out, or inside the call)
 *   -r: raw tracepoint tcp:tcp_retransmit_skb (counts retransmitted SYNs)
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
#define EINTR		4
#define EALREADY	114
#define EINPROGRESS	115
/* What an interrupted connect() returns at sys_exit, before signal handling turns it into
 * EINTR or restarts it (include/linux/errno.h); the connect goes on in the background. */
#define ERESTARTSYS	      512
#define ERESTART_RESTARTBLOCK 516
#define S_IFMT		      00170000
#define NSEC_PER_MSEC	      1000000ULL
/* Nested PID namespaces the kernel allows (MAX_PID_NS_LEVEL). */
#define MAX_PIDNS_LEVEL 32
#define S_IFSOCK	0140000
#define O_NONBLOCK	04000

/* The options, as user space set them before load (struct bpf_config). */
const volatile struct bpf_config targ_cfg = {};

/* -H: keys that did not fit in hists. */
__u64 hist_lost = 0;
/*
 * Events the perf buffer had no room for, counted where they are dropped: the kernel tells
 * user space of a drop (PERF_RECORD_LOST) only when that CPU's next event fits, so the
 * drops after a CPU's last event would otherwise never be reported.
 */
__u64 events_lost = 0;
/* Inserts refused because the in-flight map was full: those connects go untimed. */
__u64 inflight_full = 0;
/*
 * In-flight entries still there when their socket is destroyed, where every end of a
 * connect is watched (the tracepoint backend, and -x): connects whose end no run of ours
 * saw (neither printed nor lost). The kernel skips a run of a program already running on that
 * CPU (a softirq interrupting it) and counts it in the program's recursion_misses (raw and BTF
 * tracepoints since Linux 6.1, "bpf: Prevent bpf program recursion for raw tracepoint
 * probes"); but it was also seen to run none of our programs for a whole timer-softirq burst
 * of SYN timeouts, counting nothing (docs/reliability.md). With -x, also a connect made
 * without a connect() call (io_uring, sendto(MSG_FASTOPEN)) that failed before its SYN or
 * inside the call (no connect() return to report it). Without -x, fentry/kprobe entries may
 * end this way normally: their entry is made before tcp_v4_connect() may fail without
 * reaching SYN_SENT.
 */
__u64 outcome_unseen = 0;

/*
 * Connects in flight, by socket address, on every backend.
 * A plain hash, not an LRU: an LRU map evicts live entries silently, even well below its
 * capacity (free slots sit in per-CPU lists), and an eviction cannot be counted.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct inflight_entry);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_HIST_KEYS);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

/* --cgroup: slot 0 holds the cgroup v2 directory, set by user space before attaching. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup SEC(".maps");

/*
 * Paths of cgroup v2 directories as they are created or renamed (struct cgroup_record), for
 * user space to name a cgroup that is gone by the time its connect is printed.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} cgroup_paths SEC(".maps");

/* Room for one record: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgroup_record);
} cgroup_scratch SEC(".maps");

/* Depth of targ_cfg.pidns_ino below the initial namespace, plus one, once found (0: not yet). */
__u32 pidns_level = 0;

/* Helpers: the filters, the in-flight map, the socket's times and addresses, the output. */

/*
 * The number of a struct pid in the tool's PID namespace, as pid_nr_ns() finds it:
 * pid->numbers[level] belongs to the namespace at that depth, and the task is visible in the
 * tool's namespace only if the one at the tool's depth is the tool's. The depth is found by
 * the first task seen below it (user space cannot read it from inside the namespace).
 */
static __always_inline bool pid_in_ns(struct pid *pid, __u32 *nr)
{
	__u32 plevel, level = pidns_level;
	struct upid up;
	int i;

	if (!pid)
		return false;
	plevel = BPF_CORE_READ(pid, level);
	if (level) {
		if (level - 1 > plevel || level - 1 >= MAX_PIDNS_LEVEL ||
		    bpf_core_read(&up, sizeof(up), &pid->numbers[level - 1]) ||
		    BPF_CORE_READ(up.ns, ns.inum) != targ_cfg.pidns_ino)
			return false;
		*nr = up.nr;
		return true;
	}
	/* Level 0 is the initial namespace, which the tool is not in. */
	for (i = 1; i < MAX_PIDNS_LEVEL && i <= plevel; i++) {
		if (bpf_core_read(&up, sizeof(up), &pid->numbers[i]))
			return false;
		if (BPF_CORE_READ(up.ns, ns.inum) == targ_cfg.pidns_ino) {
			pidns_level = i + 1;
			*nr = up.nr;
			return true;
		}
	}
	return false;
}

/* The calling task's process id as the tool sees it; false if the tool cannot see it. */
static __always_inline bool current_tgid(__u32 *tgid)
{
	struct task_struct *task;

	if (!targ_cfg.pidns_ino) {
		*tgid = bpf_get_current_pid_tgid() >> 32;
		return true;
	}
	/* task_struct has had thread_pid since Linux 4.19; on older kernels user space refuses
	 * to run in a PID namespace. */
	task = (struct task_struct *)bpf_get_current_task();
	if (!bpf_core_field_exists(task->thread_pid))
		return false;
	return pid_in_ns(BPF_CORE_READ(task, group_leader, thread_pid), tgid);
}

/*
 * The filters on the calling task: -p, -u, -n, --cgroup, and the tool's PID namespace.
 * Runs in connect()'s context; sets the task's process id (*tgid) and comm, read only once
 * the cheaper filters have let the task through, and only if something uses it: a line, -n,
 * or a histogram keyed by it (-H and the exporter otherwise leave it empty).
 */
static __always_inline bool task_wanted(__u32 *tgid, char comm[TASK_COMM_LEN])
{
	int i;

	if (!current_tgid(tgid))
		return false;
	if (targ_cfg.tgid && *tgid != targ_cfg.tgid)
		return false;
	if (targ_cfg.filter_uid && (__u32)bpf_get_current_uid_gid() != targ_cfg.uid)
		return false;
	if (targ_cfg.filter_cgroup && bpf_current_task_under_cgroup(&cgroup, 0) != 1)
		return false;
	if (targ_cfg.hist && !(targ_cfg.hist_fields & HIST_F_COMM) && !targ_cfg.filter_comm)
		return true;
	bpf_get_current_comm(comm, TASK_COMM_LEN);
	if (!targ_cfg.filter_comm)
		return true;
	for (i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != targ_cfg.comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* The filters on the destination: -P and --daddr. */
static __always_inline bool dest_wanted(const struct event *e)
{
	__u8 bits = targ_cfg.daddr_bits, mask;
	bool found = !targ_cfg.ndports;
	int i;

	for (i = 0; i < MAX_DPORTS && i < targ_cfg.ndports; i++)
		if (e->dport == targ_cfg.dports[i])
			found = true;
	if (!found)
		return false;
	if (!targ_cfg.daddr_af)
		return true;
	if (e->af != targ_cfg.daddr_af)
		return false;
	for (i = 0; i < 16; i++) {
		if (bits == 0)
			break;
		mask = bits >= 8 ? 0xff : (__u8)(0xff << (8 - bits));
		if ((e->daddr[i] ^ targ_cfg.daddr[i]) & mask)
			return false;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return true;
}

/*
 * The bodies below take `btf`, a constant per program: true where the socket is a typed
 * (BTF) pointer, in fentry and BTF tracepoint programs. Those read its fields with plain
 * loads; elsewhere each read is a bpf_probe_read_kernel() call. tcp_sock fields are reached
 * through bpf_skc_to_tcp_sock(): the verifier types sk as struct sock, and a cast does not
 * change that.
 */
#define SK_READ(btf, sk, field) ((btf) ? (sk)->field : BPF_CORE_READ(sk, field))

/*
 * targ_cfg.no_inflight: the tracepoint backend aggregating, with nothing asked of the
 * connecting task (no process key or filter). A connect then makes no in-flight entry: its
 * end finds on the socket the destination, the SYN's departure (tcp_wstamp_ns, Linux 4.20:
 * without it entries are made as elsewhere) and the SYN-ACK's arrival (synack_ns()). Only a
 * connect whose SYN was retransmitted gets an entry, at the first retransmission
 * (retransmit()): the first SYN's time and the count. An end the kernel skipped leaves no
 * entry behind to count at the socket's end (outcome_unseen): only a skip the kernel counts
 * itself, as a recursion miss, is reported.
 */
static __always_inline bool no_inflight(void)
{
	const struct tcp_sock *tp = NULL;

	return targ_cfg.no_inflight && bpf_core_field_exists(tp->tcp_wstamp_ns);
}

/* The SYN of sk's connect was retransmitted (no_inflight: it has an entry). */
static __always_inline bool syn_retransmitted(const struct sock *sk, bool btf)
{
	const struct tcp_sock *tp;

	if (!btf)
		return BPF_CORE_READ((const struct tcp_sock *)sk, total_retrans);
	tp = bpf_skc_to_tcp_sock((void *)sk);
	return !tp || tp->total_retrans;
}

/*
 * The value of key in map, made from init if there is none; NULL when the map is full. Of two
 * CPUs making the same key at once, one's insert fails (BPF_NOEXIST) and it finds the other's.
 */
static __always_inline void *map_lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* Makes (or replaces) the in-flight entry of sk; counts an insert the full map refuses. */
static __always_inline void inflight_put(const struct sock *sk, const struct inflight_entry *s)
{
	__u64 key = (__u64)sk;

	if (bpf_map_update_elem(&inflight, &key, s, BPF_ANY))
		__sync_fetch_and_add(&inflight_full, 1);
}

/* Drops the in-flight entry of sk, if any, unreported. */
static __always_inline void connect_forget(const struct sock *sk)
{
	__u64 key = (__u64)sk;

	/* Looked up first: a delete takes the bucket's lock even for a key that is not there. */
	if (bpf_map_lookup_elem(&inflight, &key))
		bpf_map_delete_elem(&inflight, &key);
}

/*
 * Takes the in-flight entry of sk into *s: deleting it is the claim, so of two contexts that
 * end the same connect at once (a softirq and sys_exit_connect) exactly one reports it.
 */
static __always_inline bool connect_claim(const struct sock *sk, struct inflight_entry *s)
{
	__u64 key = (__u64)sk;
	struct inflight_entry *sp;

	sp = bpf_map_lookup_elem(&inflight, &key);
	if (!sp)
		return false;
	*s = *sp;
	return !bpf_map_delete_elem(&inflight, &key);
}

/*
 * The connect of sk has ended: its in-flight entry into *s, claimed (connect_claim()). With
 * no_inflight only a connect whose SYN was retransmitted has one; any other (or one whose
 * entry could not be made) is timed from its socket alone: *s zero, ts_ns 0 (syn_sent_ns()).
 */
static __always_inline bool connect_take(const struct sock *sk, struct inflight_entry *s, bool btf)
{
	if (!no_inflight())
		return connect_claim(sk, s);
	if (syn_retransmitted(sk, btf) && connect_claim(sk, s))
		return true;
	__builtin_memset(s, 0, sizeof(*s));
	return true;
}

/* Sequence-number comparison as the kernel's after(): wraps modulo 2^32. */
static __always_inline bool seq_after(__u32 a, __u32 b)
{
	return (__s32)(b - a) < 0;
}

/*
 * The tracepoint backend's start: the first SYN's departure. The state change to SYN_SENT
 * (ts_ns) comes a few microseconds before the SYN of a normal connect, but a Fast Open
 * connect with a cookie sends its SYN at the first write. The socket keeps the departure
 * time of the last segment it sent (tcp_wstamp_ns, CLOCK_MONOTONIC; Linux 4.20, "tcp:
 * switch tcp and sch_fq to new earliest departure time model"): while connecting, the SYN.
 * If the SYN was retransmitted that is the last copy's; tp_retransmit has then already
 * moved ts_ns to the first one (syn_first_sent()).
 */
static __always_inline __u64 syn_sent_ns(const struct sock *sk, const struct inflight_entry *s,
					 __u64 now, bool btf)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u64 sent;

	if (!targ_cfg.state_timing || !bpf_core_field_exists(tp->tcp_wstamp_ns))
		return s->ts_ns;
	if (btf) {
		tp = bpf_skc_to_tcp_sock((void *)sk);
		if (!tp)
			return s->ts_ns ?: now;
		if (tp->total_retrans && s->ts_ns)
			return s->ts_ns;
		sent = tp->tcp_wstamp_ns;
	} else {
		if (s->ts_ns && BPF_CORE_READ(tp, total_retrans))
			return s->ts_ns;
		sent = BPF_CORE_READ(tp, tcp_wstamp_ns);
	}
	/* No entry (no_inflight): the socket's time is all there is. */
	if (!s->ts_ns)
		return sent <= now ? sent : now;
	return sent >= s->ts_ns && sent <= now ? sent : s->ts_ns;
}

/*
 * The tracepoint backend, at a SYN's first retransmission: retrans_stamp still holds the
 * first SYN's time, in ms of the same clock (in us with tcp_usec_ts, Linux 6.7 "tcp: add
 * support for usec resolution in TCP TS values"). A ms is fine for a connect that has
 * waited a retransmission timeout; only a SYN clearly later than ts_ns (a deferred one)
 * moves the start.
 */
static __always_inline void syn_first_sent(const struct sock *sk, struct inflight_entry *s,
					   __u64 now)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u32 stamp = BPF_CORE_READ(tp, retrans_stamp), ago;
	__u64 unit = NSEC_PER_MSEC, first;

	if (!stamp)
		return;
	if (bpf_core_field_exists(tp->tcp_usec_ts) &&
	    BPF_CORE_READ_BITFIELD_PROBED(tp, tcp_usec_ts))
		unit = 1000;
	ago = (__u32)(now / unit) - stamp;
	first = now - (__u64)ago * unit;
	if (first > s->ts_ns + NSEC_PER_MSEC && first <= now)
		s->ts_ns = first;
}

/*
 * When the SYN-ACK that completes a connect arrived: tcp_rcv_state_process() refreshed
 * tcp_mstamp (us, the clock of bpf_ktime_get_ns()) before the socket left SYN_SENT, and a
 * load costs less than the helper. Not for fentry: it runs before that refresh.
 */
static __always_inline __u64 synack_ns(const struct sock *sk, bool btf)
{
	struct tcp_sock *tp;

	if (btf) {
		tp = bpf_skc_to_tcp_sock((void *)sk);
		if (tp)
			return tp->tcp_mstamp * 1000;
	}
	return bpf_ktime_get_ns();
}

static __always_inline void fill_addrs(struct event *e, const struct sock *sk, bool btf)
{
	e->af = SK_READ(btf, sk, __sk_common.skc_family);
	/* A failing socket may have given its port back already; inet_sport stays longer. */
	e->lport = SK_READ(btf, sk, __sk_common.skc_num);
	if (!e->lport)
		e->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	e->dport = bpf_ntohs(SK_READ(btf, sk, __sk_common.skc_dport));
	if (btf && e->af == AF_INET) {
		*(__u32 *)e->saddr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)e->daddr = sk->__sk_common.skc_daddr;
	} else if (btf) {
		__builtin_memcpy(e->saddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		__builtin_memcpy(e->daddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
	} else if (e->af == AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

/* -H: one more connect in the histogram of its key; nothing crosses to user space. */
static __always_inline void hist_add(const struct event *e, __u64 ns)
{
	static const struct hist zero = {};
	struct hist_key k = {};
	struct hist *h;

	if (targ_cfg.hist_fields & HIST_F_DADDR) {
		k.af = e->af;
		__builtin_memcpy(k.daddr, e->daddr, sizeof(k.daddr));
	}
	if (targ_cfg.hist_fields & HIST_F_DPORT)
		k.dport = e->dport;
	if (targ_cfg.hist_fields & HIST_F_COMM)
		__builtin_memcpy(k.comm, e->comm, sizeof(k.comm));
	if (targ_cfg.hist_fields & HIST_F_PID)
		k.tgid = e->tgid;
	if (targ_cfg.hist_fields & HIST_F_CGROUP)
		k.cgroup_id = e->cgroup_id;
	h = map_lookup_or_init(&hists, &k, &zero);
	if (!h) {
		__sync_fetch_and_add(&hist_lost, 1);
		return;
	}
	/* Counted only where tp_retransmit is loaded (-r, -j, the tracepoint backend, metrics). */
	if (e->syn_retrans)
		__sync_fetch_and_add(&h->syn_retrans, e->syn_retrans);
	if (e->failed) {
		__sync_fetch_and_add(&h->failures, 1);
		__sync_fetch_and_add(&h->fail_reasons[fail_reason_of(e->err) % FAIL_REASONS], 1);
		return;
	}
	__sync_fetch_and_add(&h->slots[hist_slot(e->delta_us) & (HIST_SLOTS - 1)], 1);
	__sync_fetch_and_add(&h->nslots[native_slot(ns) & (HIST_SLOTS - 1)], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_us, e->delta_us);
	/* Not atomic: two connects ending at once on two CPUs may leave the smaller as max. */
	if (e->delta_us > h->max_us)
		h->max_us = e->delta_us;
}

/* Sends e (or, with -H, counts it) unless a filter drops it; times from start_ns to now_ns. */
static __always_inline void emit(void *ctx, struct event *e, __u64 start_ns, __u64 now_ns)
{
	e->delta_us = (now_ns - start_ns) / 1000;
	e->delta_ns = (now_ns - start_ns) % 1000;
	if (e->delta_us < targ_cfg.min_us || !dest_wanted(e))
		return;
	e->ts_us = now_ns / 1000;
	if (targ_cfg.hist) {
		hist_add(e, now_ns - start_ns);
		return;
	}
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, sizeof(*e)))
		__sync_fetch_and_add(&events_lost, 1);
}

static __always_inline void emit_from_start(void *ctx, const struct sock *sk,
					    const struct inflight_entry *s, __u64 now_ns,
					    bool failed, __u16 err, bool btf)
{
	struct event e = {};

	e.tgid = s->tgid;
	e.cgroup_id = s->cgroup_id;
	__builtin_memcpy(e.comm, s->comm, sizeof(e.comm));
	e.syn_retrans = s->syn_retrans;
	e.failed = failed;
	e.err = err;
	fill_addrs(&e, sk, btf);
	emit(ctx, &e, syn_sent_ns(sk, s, now_ns, btf), now_ns);
}

/*
 * The bodies the programs share, each taking `btf` (SK_READ()): the fentry and kprobe programs,
 * and the BTF and raw tracepoint ones, are thin wrappers around them.
 */

/* A connect starts: the in-flight entry of its socket, unless a filter drops it. */
static __always_inline int connect_start(const struct sock *sk, bool btf)
{
	struct inflight_entry s = {};
	__u32 tgid;

	/*
	 * A connect we do not time must not complete an older entry of the same socket: one
	 * left by a connect that ended unseen (fentry/kprobe without -x do not see a socket
	 * leave SYN_SENT for CLOSE, e.g. connect(AF_UNSPEC)), which would give this connect an
	 * absurd latency and another process's PID. With filters on, drop any such entry.
	 */
	if (!task_wanted(&tgid, s.comm) ||
	    (targ_cfg.af && SK_READ(btf, sk, __sk_common.skc_family) != targ_cfg.af)) {
		if (targ_cfg.tgid || targ_cfg.filter_uid || targ_cfg.filter_cgroup ||
		    targ_cfg.filter_comm || targ_cfg.af || targ_cfg.pidns_ino)
			connect_forget(sk);
		return 0;
	}
	s.ts_ns = bpf_ktime_get_ns();
	s.tgid = tgid;
	/* Where the caller lives now: the --cgroup filter above looked at the same moment. */
	if (targ_cfg.cgroup_id)
		s.cgroup_id = bpf_get_current_cgroup_id();
	inflight_put(sk, &s);
	return 0;
}

/*
 * fentry/kprobe: tcp_connect() builds and sends the SYN, inside connect() or, for a Fast
 * Open connect with a cookie, inside the first write. The connect is timed from here.
 */
static __always_inline int syn_send(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct inflight_entry *s = bpf_map_lookup_elem(&inflight, &key);

	if (s)
		s->ts_ns = bpf_ktime_get_ns();
	return 0;
}

/* The connect completed at now_ns. */
static __always_inline int connect_done(void *ctx, const struct sock *sk, __u64 now_ns, bool btf)
{
	struct inflight_entry s;

	if (connect_take(sk, &s, btf) && s.state == INFLIGHT_TIMING)
		emit_from_start(ctx, sk, &s, now_ns, false, 0, btf);
	return 0;
}

/*
 * fentry/kprobe see every segment a SYN_SENT socket receives. Only an acceptable SYN-ACK
 * completes the connect (tcp_rcv_synsent_state_process()): a RST+ACK is a refusal, and a
 * SYN-ACK whose ACK is outside (snd_una, snd_nxt] is answered with a reset, not accepted.
 */
static __always_inline int rcv_state(void *ctx, struct sock *sk, struct sk_buff *skb, bool btf)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u32 ack, una, nxt;
	unsigned char *head;
	struct tcphdr th;
	__u16 thoff;

	if (SK_READ(btf, sk, __sk_common.skc_state) != TCP_SYN_SENT)
		return 0;
	head = SK_READ(btf, skb, head);
	thoff = SK_READ(btf, skb, transport_header);
	if (bpf_probe_read_kernel(&th, sizeof(th), head + thoff))
		return 0;
	if (!th.ack)
		return 0;
	if (btf) {
		tp = bpf_skc_to_tcp_sock(sk);
		if (!tp)
			return 0;
		una = tp->snd_una;
		nxt = tp->snd_nxt;
	} else {
		una = BPF_CORE_READ(tp, snd_una);
		nxt = BPF_CORE_READ(tp, snd_nxt);
	}
	ack = bpf_ntohl(th.ack_seq);
	if (!seq_after(ack, una) || seq_after(ack, nxt))
		return 0;
	/* With -x, the reset's CLOSE transition (tp_set_state) reports the refusal. */
	if (th.rst) {
		if (!targ_cfg.report_failed)
			connect_forget(sk);
		return 0;
	}
	if (!th.syn)
		return 0;
	return connect_done(ctx, sk, bpf_ktime_get_ns(), btf);
}

/*
 * -x: failed connects, and what connect() returns.
 *
 * A connect fails when its socket leaves SYN_SENT for CLOSE (connect_failed(): refused,
 * timed out, unreachable, or closed by its owner), or before it has a SYN out at all (no
 * route: only connect() itself says so). sys_exit_connect reports what a connect() that
 * failed returned, unless that failure was reported already; a connect() that succeeds or
 * goes on in the background (0, EINPROGRESS) costs it one compare, and nothing is done when
 * connect() is entered. Only on an error does it find the socket, from the file descriptor
 * in the syscall's saved registers (connect_regs()), and look it up in the in-flight map:
 *  - no entry: the connect failed before any SYN (or was not timed): reported, with the
 *    destination connect() was given if the socket has none, and no latency (no SYN);
 *  - INFLIGHT_FAILED_CALL: the socket failed inside the protocol's connect call (no free
 *    local port, say): connect_failed() left it for connect()'s errno. Reported;
 *  - INFLIGHT_REPORTED: a failure connect_failed() reported while a blocking connect()
 *    waited on it (which then returns the socket's error): only the entry is dropped;
 *  - INFLIGHT_TIMING: an end none of our programs saw (fentry/kprobe time from
 *    tcp_v{4,6}_connect(), which may fail before SYN_SENT): reported.
 * Each is claimed by deleting it, so a failure is reported once. An entry nobody collects
 * (the failure of a connect made without a connect() call, or of one interrupted by a
 * signal) goes with its socket (destroy_sock()).
 */

/* The TCP socket behind a file descriptor of the current process, or NULL. */
static __always_inline struct sock *tcp_sock_of_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;
	struct socket *so;
	struct sock *sk;
	int family;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(so, sk);
	if (!sk || BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	return sk;
}

/* The destination connect() was given, from its sockaddr argument. */
static __always_inline void fill_daddr_from_user(struct event *e, __u64 uaddr)
{
	struct sockaddr_in6 sa = {};

	if (bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr) &&
	    bpf_probe_read_user(&sa, sizeof(struct sockaddr_in), (void *)uaddr))
		return;
	if (sa.sin6_family != e->af)
		return;
	e->dport = bpf_ntohs(sa.sin6_port);
	if (e->af == AF_INET)
		__builtin_memcpy(e->daddr, &((struct sockaddr_in *)&sa)->sin_addr, 4);
	else
		__builtin_memcpy(e->daddr, &sa.sin6_addr, 16);
}

/*
 * connect()'s number, and where the syscall's saved registers keep it: the registers hold
 * its arguments until it returns (arm64 keeps the first in orig_x0, x0 taking the result).
 */
#if defined(__TARGET_ARCH_x86)
#define NR_CONNECT	 42
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_CONNECT	 203
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#endif
/* Before Linux 5.15: the registers sit at the top of the task's stack (task_pt_regs()), which
 * is 16 KiB on x86_64 and on arm64 with 4 KiB pages without KASAN; checked by the number. */
#define OLD_THREAD_SIZE 16384

/* The saved registers of the current task's connect(), or NULL. */
static __always_inline struct pt_regs *connect_regs(void)
{
	struct task_struct *task;
	struct pt_regs *regs;
	void *stack;

	/* bpf_task_pt_regs(): Linux 5.15 ("bpf: Add bpf_task_pt_regs() helper"). */
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs)) {
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	} else {
		task = (struct task_struct *)bpf_get_current_task();
		stack = BPF_CORE_READ(task, stack);
		regs = (struct pt_regs *)(stack + OLD_THREAD_SIZE) - 1;
	}
	if (!regs || SYSCALL_NR(regs) != NR_CONNECT)
		return NULL;
	return regs;
}

/* The socket left SYN_SENT for CLOSE: report the failure, or leave it to connect(). */
static __always_inline void connect_failed(void *ctx, const struct sock *sk, bool btf)
{
	__u64 key = (__u64)sk;
	struct inflight_entry s, *sp;
	struct socket *so;
	struct file *f;

	if (!targ_cfg.report_failed) {
		connect_forget(sk);
		return;
	}
	so = SK_READ(btf, sk, sk_socket);
	/*
	 * Still SS_UNCONNECTED: inside the protocol's connect call, which returns the error
	 * (__inet_stream_connect() marks the socket SS_CONNECTING once that call succeeds). The
	 * socket is its caller's until then: nothing else can claim the entry meanwhile.
	 */
	if (targ_cfg.presyn && so &&
	    (btf ? so->state : BPF_CORE_READ(so, state)) == SS_UNCONNECTED) {
		sp = bpf_map_lookup_elem(&inflight, &key);
		if (sp)
			sp->state = INFLIGHT_FAILED_CALL;
		return;
	}
	if (!connect_take(sk, &s, btf) || s.state != INFLIGHT_TIMING)
		return;
	emit_from_start(ctx, sk, &s, bpf_ktime_get_ns(), true, SK_READ(btf, sk, sk_err), btf);
	/* A blocking connect() may be waiting: it returns this failure's error. */
	f = so ? (btf ? so->file : BPF_CORE_READ(so, file)) : NULL;
	if (targ_cfg.presyn && f &&
	    !((btf ? f->f_flags : BPF_CORE_READ(f, f_flags)) & O_NONBLOCK)) {
		struct inflight_entry reported = {.state = INFLIGHT_REPORTED};

		bpf_map_update_elem(&inflight, &key, &reported, BPF_NOEXIST);
	}
}

/* connect() returned the error ret (see "-x: failed connects" above). */
static __always_inline int connect_returned(void *ctx, long ret)
{
	struct inflight_entry s = {};
	struct event e = {};
	struct pt_regs *regs;
	__u64 now, start_ns;
	bool claimed;
	struct sock *sk;

	/* Interrupted (the connect goes on in the background), or already under way. */
	if (ret == -EINTR || (ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK) ||
	    ret == -EALREADY)
		return 0;
	if (!task_wanted(&e.tgid, e.comm))
		return 0;
	regs = connect_regs();
	if (!regs)
		return 0;
	sk = tcp_sock_of_fd(PT_REGS_PARM1_CORE_SYSCALL(regs));
	/* A connect() on a socket connected (EISCONN) or listening starts nothing. */
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_CLOSE)
		return 0;
	if (targ_cfg.af && BPF_CORE_READ(sk, __sk_common.skc_family) != targ_cfg.af)
		return 0;
	claimed = connect_claim(sk, &s);
	if (claimed && s.state == INFLIGHT_REPORTED)
		return 0;
	now = bpf_ktime_get_ns();
	start_ns = claimed ? syn_sent_ns(sk, &s, now, false) : now;
	e.failed = 1;
	e.err = -ret;
	e.syn_retrans = s.syn_retrans;
	e.cgroup_id = claimed ? s.cgroup_id : targ_cfg.cgroup_id ? bpf_get_current_cgroup_id() : 0;
	fill_addrs(&e, sk, false);
	/* Failed before the socket had a peer (no route, say): what connect() was given. */
	if (!e.dport)
		fill_daddr_from_user(&e, PT_REGS_PARM2_CORE_SYSCALL(regs));
	emit(ctx, &e, start_ns, now);
	return 0;
}

/*
 * CLOSE->SYN_SENT happens inside tcp_v{4,6}_connect(), in the caller's context, so pid and
 * comm are the connecting process's. SYN_SENT->ESTABLISHED is tcp_finish_connect(), and
 * SYN_SENT->CLOSE a failure: tcp_reset(), tcp_write_err() and ICMP errors set sk_err first.
 */
static __always_inline int set_state(void *ctx, const struct sock *sk, int oldstate, int newstate,
				     bool btf)
{
	/*
	 * Most state changes are not about connecting: the states, in registers, rule them out
	 * before any read of the socket. Only TCP has SYN_SENT (SCTP reuses TCP's numbers for
	 * its CLOSED, LISTENING, ESTABLISHED and CLOSING only), so an entry in flight is TCP's.
	 */
	if (targ_cfg.state_timing && !no_inflight() && oldstate == TCP_CLOSE &&
	    newstate == TCP_SYN_SENT) {
		/* sk_protocol was a bitfield until Linux 5.6 ("sock: Make sk_protocol a
		 * 16-bit value"); the BTF tracepoint programs need 5.9 (see btf_set_state). */
		if ((btf ? sk->sk_protocol : BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol)) !=
		    IPPROTO_TCP)
			return 0;
		return connect_start(sk, btf);
	}
	if (oldstate != TCP_SYN_SENT)
		return 0;
	if (targ_cfg.state_timing && newstate == TCP_ESTABLISHED)
		return connect_done(ctx, sk, synack_ns(sk, btf), btf);
	/* SYN_SENT->SYN_RECV is a simultaneous open, still connecting. */
	if (newstate == TCP_CLOSE)
		connect_failed(ctx, sk, btf);
	return 0;
}

/*
 * An entry still there when its socket goes is a connect that ended unseen (see
 * outcome_unseen), or a failure inside the connect call that no connect() return collected. A
 * reported failure's entry just goes.
 */
static __always_inline int destroy_sock(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct inflight_entry *sp;
	bool reported;

	/* Looked up first: almost no socket has an entry, and a delete takes a lock. */
	sp = bpf_map_lookup_elem(&inflight, &key);
	if (!sp)
		return 0;
	reported = sp->state == INFLIGHT_REPORTED;
	if (!bpf_map_delete_elem(&inflight, &key) && !reported &&
	    (targ_cfg.report_failed || targ_cfg.state_timing))
		__sync_fetch_and_add(&outcome_unseen, 1);
	return 0;
}

/*
 * The kernel retransmits a SYN like any segment; only sockets still connecting count. The
 * tracepoint backend also learns here when a deferred SYN first left (syn_first_sent()).
 */
static __always_inline int retransmit(const struct sock *sk, bool btf)
{
	__u64 key = (__u64)sk;
	struct inflight_entry *s;

	if (SK_READ(btf, sk, __sk_common.skc_state) != TCP_SYN_SENT)
		return 0;
	s = bpf_map_lookup_elem(&inflight, &key);
	/*
	 * no_inflight: the first retransmission makes the connect's entry (an older one is a
	 * failed connect's, which its connect() did not collect).
	 */
	if (no_inflight() && (!s || s->state != INFLIGHT_TIMING)) {
		struct inflight_entry n = {.syn_retrans = 1};

		syn_first_sent(sk, &n, bpf_ktime_get_ns());
		if (!n.ts_ns)
			n.ts_ns = bpf_ktime_get_ns();
		inflight_put(sk, &n);
		return 0;
	}
	if (!s)
		return 0;
	if (targ_cfg.state_timing && !s->syn_retrans)
		syn_first_sent(sk, s, bpf_ktime_get_ns());
	if (s->syn_retrans < 255)
		s->syn_retrans++;
	return 0;
}

/*
 * cgroup:cgroup_mkdir and cgroup:cgroup_rename: a cgroup of the v2 hierarchy (hierarchy id
 * 0; v1 hierarchies number their directories independently) and its path from the root,
 * which the kernel formats only while a program is attached. Runs once per directory made,
 * never on a connect.
 */
static __always_inline int cgroup_named(void *ctx, struct cgroup *cgrp, const char *path)
{
	struct cgroup_record *r;
	__u32 zero = 0;
	long n;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	r = bpf_map_lookup_elem(&cgroup_scratch, &zero);
	if (!r)
		return 0;
	r->id = BPF_CORE_READ(cgrp, kn, id);
	n = bpf_probe_read_kernel_str(r->path, sizeof(r->path), path);
	if (n <= 0 || n > CGROUP_RECORD_PATH)
		return 0;
	/* The record up to the path's NUL: most paths are far shorter than the room. */
	bpf_perf_event_output(ctx, &cgroup_paths, BPF_F_CURRENT_CPU, r, sizeof(r->id) + n);
	return 0;
}

/* The programs, by backend: user space enables one backend's set (see the top). */

/* fentry and kprobe: who connects, the SYN, and every segment a connecting socket gets. */

SEC("fentry/tcp_v4_connect")
int BPF_PROG(fentry_v4_connect, struct sock *sk)
{
	return connect_start(sk, true);
}

SEC("fentry/tcp_v6_connect")
int BPF_PROG(fentry_v6_connect, struct sock *sk)
{
	return connect_start(sk, true);
}

SEC("fentry/tcp_rcv_state_process")
int BPF_PROG(fentry_rcv_state, struct sock *sk, struct sk_buff *skb)
{
	return rcv_state(ctx, sk, skb, true);
}

SEC("fentry/tcp_connect")
int BPF_PROG(fentry_syn, struct sock *sk)
{
	return syn_send(sk);
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(kprobe_v4_connect, struct sock *sk)
{
	return connect_start(sk, false);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(kprobe_v6_connect, struct sock *sk)
{
	return connect_start(sk, false);
}

SEC("kprobe/tcp_rcv_state_process")
int BPF_KPROBE(kprobe_rcv_state, struct sock *sk, struct sk_buff *skb)
{
	return rcv_state(ctx, sk, skb, false);
}

SEC("kprobe/tcp_connect")
int BPF_KPROBE(kprobe_syn, struct sock *sk)
{
	return syn_send(sk);
}

/* The tracepoint backend (and -x on every backend): the socket's state changes. */

/*
 * The tracepoint backend where the kernel has BTF tracepoints (Linux 5.5) and lets them call
 * bpf_skc_to_tcp_sock() (5.9, "bpf: Add bpf_skc_to_{tcp,tcp_timewait,tcp_request}_sock()
 * helpers"): 5.9.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_set_state, const struct sock *sk, int oldstate, int newstate)
{
	return set_state(ctx, sk, oldstate, newstate, true);
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(btf_destroy_sock, struct sock *sk)
{
	return destroy_sock(sk);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(btf_retransmit, const struct sock *sk)
{
	return retransmit(sk, true);
}

/*
 * The same as raw tracepoints: where the BTF ones fail (older kernels, no BTF), and with
 * fentry or kprobe (their destroy program, -x, -r).
 */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(tp_set_state, struct sock *sk, int oldstate, int newstate)
{
	return set_state(ctx, sk, oldstate, newstate, false);
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(tp_destroy_sock, struct sock *sk)
{
	return destroy_sock(sk);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tp_retransmit, struct sock *sk)
{
	return retransmit(sk, false);
}

/* -x on every backend: what connect() returned. */
SEC("tracepoint/syscalls/sys_exit_connect")
int sys_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;

	/* Connected, or connecting in the background: the state changes tell the outcome. */
	if (ret == 0 || ret == -EINPROGRESS)
		return 0;
	return connect_returned(ctx, ret);
}

SEC("raw_tp/cgroup_mkdir")
int BPF_PROG(tp_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	return cgroup_named(ctx, cgrp, path);
}

SEC("raw_tp/cgroup_rename")
int BPF_PROG(tp_cgroup_rename, struct cgroup *cgrp, const char *path)
{
	return cgroup_named(ctx, cgrp, path);
}

/*
 * -N: DNS answers, for the names of destinations. Attached (user space) to the root of the
 * cgroup v2 hierarchy, it sees every packet delivered to a socket of this machine, in every
 * network namespace (a container's included), whatever the attach backend: no kprobe. Each
 * answer, from UDP or TCP port 53, goes to user space as a struct dns_record followed by the
 * packet's first bytes; user space parses it. Every other packet costs the few loads and
 * compares up to the source port; the packet is always let through.
 */
#define ETH_P_IP    0x0800
#define ETH_P_IPV6  0x86DD
#define IPPROTO_UDP 17

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} dns_events SEC(".maps");

/* Answers that did not fit in dns_events (counted here, as events_lost). */
__u64 dns_lost = 0;

SEC("cgroup_skb/ingress")
int dns_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct dns_record r = {};
	__u32 off, cap;
	__u8 *l4;

	/* cgroup_skb sees the packet from its IP header on. */
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > end)
			return 1;
		/* A fragment other than the first has no ports. */
		if (ip->frag_off & bpf_htons(0x1fff))
			return 1;
		r.proto = ip->protocol;
		off = (ip->ihl & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > end)
			return 1;
		/* Extension headers before UDP/TCP: not followed (answers do not carry them). */
		r.proto = ip6->nexthdr;
		off = sizeof(*ip6);
	} else {
		return 1;
	}
	l4 = data + off;
	/*
	 * UDP's and TCP's source port are both the first two bytes. The stack has pulled the
	 * UDP header (8 bytes) or the whole TCP header into the linear part before a socket
	 * gets the packet; the payload may be in page fragments (a large answer on loopback):
	 * bpf_perf_event_output() copies those too.
	 */
	if ((void *)(l4 + 8) > end || *(__u16 *)l4 != bpf_htons(DNS_PORT))
		return 1;
	if (r.proto == IPPROTO_UDP) {
		r.dns_off = off + 8;
	} else if (r.proto == IPPROTO_TCP) {
		if ((void *)(l4 + 20) > end)
			return 1;
		r.dns_off = off + (l4[12] >> 4) * 4;
	} else {
		return 1;
	}
	/* A TCP segment without data (the handshake, ACKs) carries no answer. */
	if (r.dns_off >= skb->len)
		return 1;
	r.ts_ns = bpf_ktime_get_ns();
	r.len = skb->len;
	cap = skb->len < DNS_CAPTURE_MAX ? skb->len : DNS_CAPTURE_MAX;
	r.caplen = cap;
	/* The upper 32 bits of the flags: packet bytes to append after r. */
	if (bpf_perf_event_output(skb, &dns_events, BPF_F_CURRENT_CPU | ((__u64)cap << 32), &r,
				  sizeof(r)))
		__sync_fetch_and_add(&dns_lost, 1);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

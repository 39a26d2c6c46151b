/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The record the BPF side hands to user space, one per traced connect. */
#ifndef TCPCONNLAT_H
#define TCPCONNLAT_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define TASK_COMM_LEN 16

/* Capacity of the in-flight map: past it new connects go untimed, and are counted. */
#define MAX_INFLIGHT 16384
/* -P takes at most this many ports. */
#define MAX_DPORTS 16

struct event {
	__u8 saddr[16]; /* IPv4: first 4 bytes, network order */
	__u8 daddr[16];
	char comm[TASK_COMM_LEN];
	__u64 ts_us;	 /* CLOCK_MONOTONIC at completion */
	__u64 delta_us;	 /* first SYN to SYN-ACK (or to the failure) */
	__u64 cgroup_id; /* the connecting task's cgroup v2 id, if asked for (-G, --by cgroup, -j)
			  */
	__u32 tgid;
	__u16 lport; /* host order */
	__u16 dport; /* host order */
	__u16 af;    /* AF_INET or AF_INET6 */
	__u16 err;   /* failed: the socket's or connect()'s errno; 0: closed while connecting */
	__u8 failed; /* 0: completed by a SYN-ACK (delta_us is the latency); 1: failed */
	__u8 syn_retrans; /* SYNs retransmitted before the outcome (saturates at 255) */
	__u16 delta_ns;	  /* delta's nanoseconds below delta_us (0..999): uhist's native slots */
};

/* A cgroup path as the kernel's cgroup tracepoints format it (TRACE_CGROUP_PATH_LEN). */
#define CGROUP_RECORD_PATH 1024

/*
 * A cgroup v2 directory made or renamed: its id and its path from the hierarchy's root. Sent
 * cut after the path's NUL.
 */
struct cgroup_record {
	__u64 id;
	char path[CGROUP_RECORD_PATH];
};

/*
 * What the BPF programs are told: set by user space between open and load (bpf_config_fill())
 * and read-only after, so the verifier prunes what a setting turns off. Zero means "off".
 */
struct bpf_config {
	__u64 min_us;	   /* -m: only connects at least this slow */
	__u32 tgid;	   /* -p */
	__u32 uid;	   /* -u, with filter_uid */
	__u32 ndports;	   /* -P: dports[0..ndports) */
	__u32 pidns_ino;   /* the tool's PID namespace, if not the initial one: its PIDs */
	__u32 hist_fields; /* -H --by: the HIST_F_* of struct hist_key the kernel sets */
	__u16 dports[MAX_DPORTS];
	__u16 af;	/* -4, -6: AF_INET or AF_INET6 */
	__u16 daddr_af; /* --daddr: AF_INET or AF_INET6, with daddr/daddr_bits */
	__u8 daddr[16];
	__u8 daddr_bits;
	__u8 filter_uid;    /* -u */
	__u8 filter_comm;   /* -n: comm */
	__u8 filter_cgroup; /* --cgroup: the directory in the cgroup map's slot 0 */
	__u8 report_failed; /* -x (and the exporter): failed connects too */
	__u8 presyn;	    /* with report_failed: sys_exit_connect runs (connect()'s errors) */
	__u8 state_timing;  /* the tracepoint backend: state changes time connects */
	__u8 cgroup_id;	    /* record the connecting task's cgroup v2 id (-G, -j, --by cgroup) */
	__u8 hist;	    /* -H, the exporter: aggregate into hists, send no events */
	__u8 names;	    /* -N: dns_ingress sends DNS answers (to dns_events) */
	/* The tracepoint backend, aggregating, nothing asked of the connecting task: a connect
	 * is timed from its socket alone at its end, with no in-flight entry. */
	__u8 no_inflight;
	char comm[TASK_COMM_LEN];
};

/*
 * A connect in flight, the value of tcpconnlat.bpf.c's in-flight map (bench/parts.bpf.c times
 * the same): from its start (connect_start()) to its end, where it is claimed
 * (connect_claim()). Not "start_info": kernels with CONFIG_XEN (arm64 cloud) have a struct of
 * that name. With -x an entry may also outlive its connect's end, for connect() to collect
 * at its return (tcpconnlat.bpf.c's "-x: failed connects"): `state`.
 */
enum inflight_state {
	INFLIGHT_TIMING,      /* connecting */
	INFLIGHT_FAILED_CALL, /* failed inside the connect call: its return reports it */
	INFLIGHT_REPORTED,    /* failed and reported: a connect() waiting on it returns an error */
};

struct inflight_entry {
	__u64 ts_ns;
	__u64 cgroup_id;
	__u32 tgid;
	char comm[TASK_COMM_LEN];
	__u8 syn_retrans;
	__u8 state; /* enum inflight_state */
};

/* -H: log2 buckets of latency in microseconds; slot i counts [2^i, 2^(i+1)) (slot 0: 0-1). */
#define HIST_SLOTS 32
/* -H --by: distinct keys kept at most (a hash map; past it new keys are counted as lost). */
#define MAX_HIST_KEYS 10240

/* The -H slot of a latency of us microseconds: its log2, slot 0 also holding 0 us. */
static inline __u32 hist_slot(__u64 us)
{
	__u32 slot = 0;
	int i;

	for (i = 0; i < HIST_SLOTS - 1 && us > 1; i++) {
		us >>= 1;
		slot++;
	}
	return slot;
}

/*
 * One --by key. --by takes a list of them (hist.h packs it into an int, HIST_BY_BITS a key,
 * first key lowest): a single key's list is the key itself.
 */
enum hist_by {
	HIST_BY_NONE,
	HIST_BY_DADDR,
	HIST_BY_DPORT,
	HIST_BY_DEST, /* daddr and dport, as one "addr:port" key (metrics: both labels) */
	HIST_BY_COMM,
	HIST_BY_PID,
	HIST_BY_CGROUP,
	/* Keyed by cgroup in the kernel like HIST_BY_CGROUP; user space adds up the cgroups
	 * of one container, pod or namespace. */
	HIST_BY_CONTAINER,
	HIST_BY_POD,
	HIST_BY_NAMESPACE,
	HIST_BY_DHOST, /* -N's name: user space aggregates (the kernel sends events) */
	HIST_BY_KEYS,
};

/* The fields of struct hist_key the kernel fills in (bpf_config.hist_fields). */
#define HIST_F_DADDR  1
#define HIST_F_DPORT  2
#define HIST_F_COMM   4
#define HIST_F_PID    8
#define HIST_F_CGROUP 16

/* Only the fields of the --by keys are set; the rest stay zero. */
struct hist_key {
	__u64 cgroup_id;
	__u8 daddr[16];
	char comm[TASK_COMM_LEN];
	__u32 tgid;
	__u16 dport;
	__u16 af;
	__u32 dhost_id; /* --by dhost: user space's number for the name (uhist.h); 0: none */
	__u32 pad;
};

/*
 * Why a connect failed, as -x's RESULT column names it (fmt_result()): the kernel counts
 * failures per reason for --metrics with this same classification.
 */
enum fail_reason {
	FAIL_REFUSED, /* ECONNREFUSED */
	FAIL_TIMEOUT, /* ETIMEDOUT */
	FAIL_UNREACH, /* EHOSTUNREACH, ENETUNREACH */
	FAIL_ABORTED, /* no error: closed by its owner while connecting */
	FAIL_ERROR,   /* any other errno */
	FAIL_REASONS,
};

/* errno values as on every Linux architecture we build for (the BPF side has no errno.h). */
static inline enum fail_reason fail_reason_of(__u16 err)
{
	switch (err) {
	case 0:
		return FAIL_ABORTED;
	case 111: /* ECONNREFUSED */
		return FAIL_REFUSED;
	case 110: /* ETIMEDOUT */
		return FAIL_TIMEOUT;
	case 113: /* EHOSTUNREACH */
	case 101: /* ENETUNREACH */
		return FAIL_UNREACH;
	default:
		return FAIL_ERROR;
	}
}

struct hist {
	__u64 slots[HIST_SLOTS];
	__u64 count; /* successful connects */
	__u64 sum_us;
	__u64 max_us;
	__u64 failures; /* with -x: failed connects */
	/* --metrics, --textfile (added last: the layout above is -H's) */
	__u64 fail_reasons[FAIL_REASONS]; /* failed connects by enum fail_reason */
	__u64 syn_retrans;		  /* SYNs retransmitted, all connects */
	/* --metrics's native histogram: successful connects by native_slot() */
	__u64 nslots[HIST_SLOTS];
};

/*
 * -N: a DNS answer (UDP or TCP from port 53) as dns_ingress saw it arrive, written to
 * dns_events: this header, then the first caplen bytes of the packet from its IP header.
 */
#define DNS_PORT 53
/* Packet bytes copied at most: IP and UDP/TCP headers plus a classic 512-byte answer and more
 * (an EDNS answer up to about 1 KiB); a longer packet arrives cut, and is counted so. */
#define DNS_CAPTURE_MAX 1280

struct dns_record {
	__u64 ts_ns;   /* CLOCK_MONOTONIC when the answer arrived */
	__u32 len;     /* the packet's length, IP header included */
	__u16 caplen;  /* bytes of it that follow this header */
	__u16 dns_off; /* where the DNS message (TCP: its 2-byte length) starts in them */
	__u8 proto;    /* IPPROTO_UDP or IPPROTO_TCP */
	__u8 pad[7];
};

/*
 * The Prometheus native histogram (schema 0) of the protobuf exposition: its buckets are
 * powers of two of seconds, (2^(j-1), 2^j], and no power of two of microseconds is one of
 * seconds, so -H's slots cannot be mapped onto them. The kernel counts a second set of slots
 * on that grid: slot 0 is the zero bucket (at most 2^-20 s, about 0.95 us), slot s (1..31)
 * the bucket j = s - 20, and slot 31 also holds everything above 2^11 s (34 minutes).
 * Exact for a duration of ns nanoseconds: ns / 10^9 <= 2^k exactly when
 * ceil(ns * 2^20 / 10^9) <= 2^(k + 20), both sides integers.
 */
#define NATIVE_ZERO_LOG2 (-20)
static inline __u32 native_slot(__u64 ns)
{
	/* ns in units of 2^-20 s, rounded up; split so that nothing overflows 64 bits */
	__u64 u = ((ns / 1000000000ull) << 20) +
		  (((ns % 1000000000ull) << 20) + 1000000000ull - 1) / 1000000000ull;
	__u32 s = 0;
	int i;

	/* the least s with u <= 2^s */
	for (i = 0, u = u ? u - 1 : 0; i < HIST_SLOTS && u; i++, u >>= 1)
		s++;
	return s < HIST_SLOTS ? s : HIST_SLOTS - 1;
}

#endif /* TCPCONNLAT_H */

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Command-line parsing: argv in, a validated struct config out. No BPF here. */
#ifndef TCPCONNLAT_ARGS_H
#define TCPCONNLAT_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "backend_kind.h"
#include "tcpconnlat.h"

/* Highest PID Linux can hand out (PID_MAX_LIMIT on 64-bit). */
#define PID_MAX 4194304
/* One hour; a handshake never takes longer (SYN retries give up after about 2 min). */
#define MIN_MS_MAX 3600000.0
/* -c: connects to print before exiting; -d: seconds to run (a week). */
#define COUNT_MAX    1000000000
#define DURATION_MAX 604800
#define INTERVAL_MAX 86400
/* --buffer-pages: per-CPU perf buffer size in pages, a power of two (16 MiB at most). */
#define BUFFER_PAGES_DEFAULT 64
#define BUFFER_PAGES_MAX     4096
/* --textfile: written every this many seconds unless -i says otherwise. */
#define TEXTFILE_INTERVAL_DEFAULT 15
/* --max-series: label sets exported at most; the rest add up in one series labelled "other". */
#define MAX_SERIES_DEFAULT 1000
#define MAX_SERIES_MAX	   MAX_HIST_KEYS
/* --buckets: MIN and MAX within the classic buckets' span (2 us .. 2147 s), in microseconds. */
#define BUCKETS_MIN_US 1
#define BUCKETS_MAX_US 2147000000ull

struct config {
	uint32_t pid;	 /* 0: every process */
	uint64_t min_us; /* report connects at least this slow */
	int af;		 /* 0, AF_INET or AF_INET6 */
	bool timestamp;
	bool lport;
	bool verbose;
	bool report_failed;    /* -x: failed connects too, and a RESULT column */
	bool syn_retrans;      /* -r: SYNRTX column */
	bool show_cgroup;      /* -G: CGROUP column */
	bool names;	       /* -N: DHOST column, names from DNS answers and the hosts file */
	bool show_container;   /* -C: CONTAINER column */
	bool json;	       /* -j: NDJSON instead of columns */
	bool hist;	       /* -H: log2 histograms instead of lines */
	int hist_by;	       /* --by: a list of enum hist_by keys (hist.h) */
	uint64_t interval;     /* -i: print (and restart) the histograms every this many seconds */
	uint64_t count;	       /* -c: exit after this many printed connects; 0: no limit */
	uint64_t duration;     /* -d: exit after this many seconds; 0: no limit */
	uint64_t buffer_pages; /* --buffer-pages: per-CPU perf buffer pages */
	/* Filters; each is off unless set. */
	uint16_t dports[MAX_DPORTS]; /* -P */
	int ndports;
	int daddr_af; /* --daddr: 0 (off), AF_INET or AF_INET6 */
	uint8_t daddr[16];
	int daddr_bits;
	const char *daddr_text; /* as given, for messages */
	bool filter_uid;	/* -u */
	uint32_t uid;
	const char *comm;	   /* -n: exact process name */
	const char *cgroup_path;   /* --cgroup: a cgroup v2 directory */
	const char *container_api; /* --container-api: NULL for the default sockets */
	const char *pod_logs;	   /* --pod-logs: NULL for /var/log/pods */
	enum backend backend;
	const char *btf_path; /* NULL: the kernel's own /sys/kernel/btf/vmlinux */
	uint32_t pidns_ino;   /* not parsed: the PID namespace the tool runs in (pidns_self()) */
	/* Prometheus exporter (--metrics, --textfile): aggregates like -H, counts failures. */
	bool exporter;
	const char *metrics_text; /* --metrics as given, for messages; NULL: no HTTP server */
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_addrlen;
	const char *textfile; /* --textfile PATH */
	uint64_t max_series;  /* --max-series */
	/* --buckets MIN,MAX: the text formats' le range, in microseconds; 0: every bucket */
	uint64_t buckets_min_us, buckets_max_us;
	/*
	 * Not parsed: the exporter runs without the syscall trace events (tracefs cannot be
	 * mounted, or the kernel has none), so connects that fail before any SYN go uncounted.
	 */
	bool no_presyn;
};

enum parse_result {
	PARSE_RUN,  /* trace with the config */
	PARSE_EXIT, /* --help or --version printed; exit 0 */
	PARSE_USAGE /* a usage error was printed to err; exit 2 */
};

/* Help and version go to out, errors (one line each) to err. */
enum parse_result parse_args(int argc, char **argv, struct config *cfg, FILE *out, FILE *err);

/*
 * --metrics: "PORT" (127.0.0.1 only), "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6), numeric
 * addresses, ports 1..65535. Returns 0 or -EINVAL.
 */
int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif

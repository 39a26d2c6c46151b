// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "args.h"
#include "hist.h"

#ifndef TCPCONNLAT_VERSION
#define TCPCONNLAT_VERSION "dev"
#endif

enum {
	OPT_BACKEND = 0x100,
	OPT_BTF,
	OPT_DADDR,
	OPT_CGROUP,
	OPT_BY,
	OPT_BUFFER_PAGES,
	OPT_METRICS,
	OPT_TEXTFILE,
	OPT_MAX_SERIES,
	OPT_BUCKETS,
	OPT_CONTAINER_API,
	OPT_POD_LOGS,
};

static const char doc[] =
	"Trace TCP active connects and show how long the handshake took (first SYN to SYN-ACK).\n"
	"\v"
	"MIN_MS: show only connects that took at least this many milliseconds (e.g. 0.1).\n"
	"\n"
	"Examples:\n"
	"  tcpconnlat              # every connect, with its latency\n"
	"  tcpconnlat 1            # only connects slower than 1 ms\n"
	"  tcpconnlat 0.1          # only connects slower than 100 us\n"
	"  tcpconnlat -p 181       # only connects made by process 181\n"
	"  tcpconnlat -t -L        # add a timestamp and the local port\n"
	"  tcpconnlat -6           # IPv6 connects only\n"
	"  tcpconnlat -x -r        # failed connects too, and SYN retransmissions\n"
	"  tcpconnlat -N           # with the host name each connect was for (DHOST)\n"
	"  tcpconnlat -c 10 -d 60  # stop after 10 connects or 60 seconds\n"
	"  tcpconnlat -H --by dest -i 10   # latency histograms per destination, every 10 s\n"
	"  tcpconnlat -j -x | jq 'select(.result != \"ok\")'   # failures, as JSON\n"
	"  tcpconnlat --backend=tracepoint -v   # force a backend and say which runs\n"
	"  tcpconnlat --metrics 9190 --by dest  # Prometheus metrics at 127.0.0.1:9190/metrics\n";

static const struct argp_option options[] = {
	{"pid", 'p', "PID", 0, "Trace this process only", 0},
	{"timestamp", 't', NULL, 0, "Include a TIME(s) column: seconds since the first event", 0},
	{"lport", 'L', NULL, 0, "Include the local port (LPORT column)", 0},
	{"ipv4", '4', NULL, 0, "Trace IPv4 connects only", 0},
	{"ipv6", '6', NULL, 0, "Trace IPv6 connects only", 0},
	{"failed", 'x', NULL, 0,
	 "Show failed connects too (LAT: time until the failure), with a RESULT column: ok, "
	 "refused, timeout, unreach, aborted or error:ERRNO",
	 0},
	{"retrans", 'r', NULL, 0, "Include SYNRTX: SYNs retransmitted before the outcome", 0},
	{"show-cgroup", 'G', NULL, 0,
	 "Include a CGROUP column, last: the connecting process's cgroup v2 path, below the "
	 "cgroup2 mount",
	 0},
	{"names", 'N', NULL, 0,
	 "Include a DHOST column (before CONTAINER and CGROUP): the name the application resolved "
	 "to the destination address, from the DNS answers this machine receives (UDP and TCP, "
	 "every network namespace) and the hosts file; - when none is known",
	 0},
	{"show-container", 'C', NULL, 0,
	 "Include a CONTAINER column (before CGROUP): the container's name as its runtime tells "
	 "it, else the first 12 hex digits of its id; - outside containers",
	 0},
	{"container-api", OPT_CONTAINER_API, "SOCKET", 0,
	 "Container names and Kubernetes labels from the Docker Engine API on this unix socket "
	 "(default: /var/run/docker.sock, else podman's /run/podman/podman.sock)",
	 0},
	{"pod-logs", OPT_POD_LOGS, "DIR", 0,
	 "Pod names and namespaces from the kubelet's log directories in DIR (default "
	 "/var/log/pods)",
	 0},
	{"json", 'j', NULL, 0,
	 "One JSON object per connect per line (keys: time, pid, comm, ip, saddr, lport, daddr, "
	 "dport, lat_us, result, errno, syn_retrans, backend, cgroup, container_id, container, "
	 "pod, namespace, dhost)",
	 0},
	{"dport", 'P', "PORT[,PORT...]", 0, "Only connects to these remote ports (at most 16)", 0},
	{"daddr", OPT_DADDR, "ADDR[/PREFIX]", 0,
	 "Only connects to this address or network, IPv4 or IPv6 (e.g. 10.0.0.0/8, 2001:db8::/32)",
	 0},
	{"uid", 'u', "UID", 0, "Only connects made by processes running as this user id", 0},
	{"name", 'n', "COMM", 0,
	 "Only connects made by threads with exactly this name (COMM: the name of the thread that "
	 "connects)",
	 0},
	{"cgroup", OPT_CGROUP, "PATH", 0,
	 "Only connects from processes in this cgroup v2 directory or below it", 0},
	{"histogram", 'H', NULL, 0,
	 "Instead of lines, a log2 histogram of latency (aggregated in the kernel), printed at "
	 "exit",
	 0},
	{"interval", 'i', "SECS", 0,
	 "With -H: print a report of each SECS-second interval; with --textfile: write it every "
	 "SECS seconds (default 15)",
	 0},
	{"by", OPT_BY, "KEY[,KEY...]", 0,
	 "With -H: one histogram per daddr, dport, dest (daddr,dport as address:port), comm, "
	 "pid, cgroup, container, pod, namespace or dhost (-N's name), or per combination of "
	 "them (dhost,dport), most frequent first; for metrics: their labels, in that order",
	 0},
	{"metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	 "Serve Prometheus metrics at http://ADDR:PORT/metrics instead of printing (aggregated "
	 "in the kernel, failures counted); a bare PORT listens on 127.0.0.1 only, "
	 "0.0.0.0:PORT or [::]:PORT on every address",
	 0},
	{"textfile", OPT_TEXTFILE, "PATH", 0,
	 "Write the same metrics to PATH every interval (-i), for node_exporter's textfile "
	 "collector (written to a temporary file, then renamed)",
	 0},
	{"max-series", OPT_MAX_SERIES, "N", 0,
	 "With --metrics/--textfile: at most N label sets (default 1000); keys beyond them add "
	 "up in one series labelled \"other\"",
	 0},
	{"buckets", OPT_BUCKETS, "MIN,MAX", 0,
	 "With --metrics/--textfile: the text formats' latency buckets (le) only from MIN to MAX "
	 "(e.g. 100us,10s; units us, ms, s), the rest folded into the end buckets; counts stay "
	 "exact",
	 0},
	{"count", 'c', "N", 0, "Exit after printing N connects", 0},
	{"duration", 'd', "SECS", 0, "Exit after SECS seconds", 0},
	{"buffer-pages", OPT_BUFFER_PAGES, "N", 0,
	 "Per-CPU event buffer, in pages (a power of two, 1..4096; default 64)", 0},
	{"backend", OPT_BACKEND, "NAME", 0,
	 "How to attach: auto (default: fentry, then kprobe, then tracepoint; tracepoint first "
	 "for -H and the exporter without process keys or filters), fentry, kprobe or "
	 "tracepoint",
	 0},
	{"btf", OPT_BTF, "FILE", 0,
	 "Kernel BTF to use instead of /sys/kernel/btf/vmlinux (kernels without built-in BTF)", 0},
	{"verbose", 'v', NULL, 0, "Say which backend runs; show libbpf's debug log", 0},
	{"help", 'h', NULL, 0, "Show this help", 0},
	{"version", 'V', NULL, 0, "Show the version", 0},
	{},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]) - 1)

struct parse_state {
	struct config *cfg;
	FILE *err;
	int npos;
	bool given[NOPTIONS]; /* options[i], which takes a value, was given */
	bool help, version;   /* printed once the whole line parsed without an error */
};

/* Digits only: no sign, no space, no base prefix; bounded by max. */
static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int usage_error(struct parse_state *st, const char *fmt, const char *value);

/* "80,443": ports 1..65535, no empty items, no repeats. */
static int parse_dports(struct parse_state *st, const char *arg)
{
	struct config *cfg = st->cfg;
	char item[32];
	const char *p = arg;
	uint64_t v;
	size_t n;
	int i;

	for (;;) {
		n = strcspn(p, ",");
		if (n >= sizeof(item))
			return usage_error(st, "invalid port in '%s': expected 1..65535", arg);
		memcpy(item, p, n);
		item[n] = '\0';
		if (parse_uint(item, 1, 65535, &v))
			return usage_error(st, "invalid port in '%s': expected 1..65535", arg);
		for (i = 0; i < cfg->ndports; i++)
			if (cfg->dports[i] == v)
				return usage_error(st, "port repeated in '%s'", arg);
		if (cfg->ndports == MAX_DPORTS)
			return usage_error(st, "too many ports in '%s' (at most 16)", arg);
		cfg->dports[cfg->ndports++] = v;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* "10.0.0.0/8", "2001:db8::1": an address and an optional prefix length. */
static int parse_daddr(struct parse_state *st, const char *arg)
{
	struct config *cfg = st->cfg;
	const char *slash = strchr(arg, '/');
	char addr[INET6_ADDRSTRLEN + 1];
	size_t n = slash ? (size_t)(slash - arg) : strlen(arg);
	uint64_t bits;
	int af, max;

	if (n >= sizeof(addr))
		return usage_error(st, "invalid --daddr '%s': expected ADDR or ADDR/PREFIX", arg);
	memcpy(addr, arg, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, cfg->daddr) == 1)
		af = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, addr, cfg->daddr) == 1)
		af = AF_INET6, max = 128;
	else
		return usage_error(st, "invalid --daddr '%s': expected ADDR or ADDR/PREFIX", arg);
	bits = max;
	if (slash && parse_uint(slash + 1, 0, max, &bits))
		return usage_error(st, "invalid prefix length in --daddr '%s'", arg);
	cfg->daddr_af = af;
	cfg->daddr_bits = bits;
	cfg->daddr_text = arg;
	return 0;
}

int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char addr[INET6_ADDRSTRLEN + 1];
	const char *port = s, *colon;
	uint64_t v;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') { /* an IPv6 address, bracketed as in a URL */
		colon = strstr(s, "]:");
		n = colon ? (size_t)(colon - s - 1) : 0;
		if (!colon || n >= sizeof(addr))
			return -EINVAL;
		memcpy(addr, s + 1, n);
		addr[n] = '\0';
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		port = colon + 2;
	} else if ((colon = strchr(s, ':'))) {
		n = colon - s;
		/* A second colon: an IPv6 address without brackets, ambiguous with the port. */
		if (n >= sizeof(addr) || strchr(colon + 1, ':'))
			return -EINVAL;
		memcpy(addr, s, n);
		addr[n] = '\0';
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		port = colon + 1;
	} else { /* the safe default: this machine only */
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	if (parse_uint(port, 1, 65535, &v))
		return -EINVAL;
	if (ss->ss_family == AF_INET6) {
		s6->sin6_port = htons(v);
		*len = sizeof(*s6);
	} else {
		s4->sin_port = htons(v);
		*len = sizeof(*s4);
	}
	return 0;
}

/* Plain decimal milliseconds ("1", "0.1", ".5"): no exponent, inf, nan or hex. */
static int parse_ms(const char *s, uint64_t *out_us)
{
	size_t digits = strspn(s, "0123456789"), frac = 0;
	double ms;

	if (s[digits] == '.')
		frac = strspn(s + digits + 1, "0123456789") + 1;
	if (digits + frac == 0 || (digits == 0 && frac == 1) || s[digits + frac])
		return -EINVAL;
	ms = strtod(s, NULL);
	if (!isfinite(ms) || ms > MIN_MS_MAX)
		return -ERANGE;
	*out_us = (uint64_t)(ms * 1000.0 + 0.5);
	return 0;
}

/* A duration with its unit, "100us", "1.5ms", "10s", in whole microseconds (rounded). */
static int parse_duration_us(const char *s, size_t len, uint64_t *out_us)
{
	static const struct {
		const char *name;
		double us;
	} units[] = {{"us", 1}, {"ms", 1e3}, {"s", 1e6}};
	size_t digits = strspn(s, "0123456789"), frac = 0, i;
	double v;

	if (digits < len && s[digits] == '.')
		frac = strspn(s + digits + 1, "0123456789") + 1;
	if (digits + frac == 0 || (digits == 0 && frac == 1) || digits + frac > len)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (len - digits - frac == strlen(units[i].name) &&
		    !strncmp(s + digits + frac, units[i].name, len - digits - frac))
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return -EINVAL;
	v = strtod(s, NULL) * units[i].us;
	if (!isfinite(v) || v < BUCKETS_MIN_US - 0.5 || v > BUCKETS_MAX_US + 0.5)
		return -ERANGE;
	*out_us = (uint64_t)(v + 0.5);
	return 0;
}

/* --buckets MIN,MAX */
static int parse_buckets(struct parse_state *st, const char *arg)
{
	const char *comma = strchr(arg, ',');
	uint64_t lo, hi;
	int e;

	if (!comma)
		return usage_error(st, "invalid --buckets '%s': expected MIN,MAX, e.g. 100us,10s",
				   arg);
	e = parse_duration_us(arg, comma - arg, &lo);
	if (!e)
		e = parse_duration_us(comma + 1, strlen(comma + 1), &hi);
	if (e == -EINVAL)
		return usage_error(st,
				   "invalid --buckets '%s': expected MIN,MAX, each a number with "
				   "a unit (us, ms, s), e.g. 100us,10s",
				   arg);
	if (e)
		return usage_error(st, "--buckets '%s' out of range (1us..2147s)", arg);
	if (lo >= hi)
		return usage_error(st, "invalid --buckets '%s': MIN must be below MAX", arg);
	st->cfg->buckets_min_us = lo;
	st->cfg->buckets_max_us = hi;
	return 0;
}

/* The value as typed, but with control bytes as \xHH so that the error stays one line. */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t pos = 0;

	for (; *s && pos + 5 < len; s++) {
		unsigned char c = *s;

		if (c < ' ' || c == 0x7f)
			pos += snprintf(buf + pos, len - pos, "\\x%02x", c);
		else
			buf[pos++] = c;
	}
	buf[pos] = '\0';
	return buf;
}

static int usage_error(struct parse_state *st, const char *fmt, const char *value)
{
	char buf[256];

	fprintf(st->err, "tcpconnlat: ");
	fprintf(st->err, fmt, printable(value, buf, sizeof(buf)));
	fprintf(st->err, " (try 'tcpconnlat --help')\n");
	return EINVAL;
}

#define CONFIG_FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)

/*
 * The options that take a whole number in [min, max]: on bad input, one line names what the
 * value is ("PID", "count"), its range (with unit, e.g. " seconds") or what was expected.
 */
static const struct number_option {
	int key;
	uint64_t min, max;
	const char *what, *unit, *expected;
	bool pow2;	     /* a power of two only */
	size_t offset, size; /* the field of struct config it sets */
} number_options[] = {
	{'p', 1, PID_MAX, "PID", "", "a number", false, CONFIG_FIELD(pid)},
	/* (uid_t)-1 means "no user" to the kernel: not a user id to match. */
	{'u', 0, 4294967294u, "UID", "", "a number", false, CONFIG_FIELD(uid)},
	{'i', 1, INTERVAL_MAX, "interval", " seconds", "whole seconds", false,
	 CONFIG_FIELD(interval)},
	{OPT_MAX_SERIES, 1, MAX_SERIES_MAX, "--max-series", "", "a number", false,
	 CONFIG_FIELD(max_series)},
	{'c', 1, COUNT_MAX, "count", "", "a number", false, CONFIG_FIELD(count)},
	{'d', 1, DURATION_MAX, "duration", " seconds", "whole seconds", false,
	 CONFIG_FIELD(duration)},
	/* perf_buffer__new() takes only powers of two. */
	{OPT_BUFFER_PAGES, 1, BUFFER_PAGES_MAX, "buffer size", " pages", "a number of pages", true,
	 CONFIG_FIELD(buffer_pages)},
};

static int number_opt(struct parse_state *st, const struct number_option *o, const char *arg)
{
	char fmt[128];
	void *field = (char *)st->cfg + o->offset;
	uint64_t v;
	int err = parse_uint(arg, o->min, o->max, &v);

	if (!err && o->pow2 && (v & (v - 1)))
		err = -EDOM;
	if (err == -ERANGE)
		snprintf(fmt, sizeof(fmt), "%s '%%s' out of range (%llu..%llu%s)", o->what,
			 (unsigned long long)o->min, (unsigned long long)o->max, o->unit);
	else if (err == -EDOM)
		snprintf(fmt, sizeof(fmt), "%s '%%s' is not a power of two", o->what);
	else if (err)
		snprintf(fmt, sizeof(fmt), "invalid %s '%%s': expected %s", o->what, o->expected);
	if (err)
		return usage_error(st, fmt, arg);
	if (o->size == sizeof(uint32_t))
		*(uint32_t *)field = v;
	else
		*(uint64_t *)field = v;
	return 0;
}

/* The options that take a path (or a name), which must not be empty. */
static const struct path_option {
	int key;
	const char *empty; /* the message for an empty one */
	size_t offset, size;
} path_options[] = {
	{OPT_CONTAINER_API, "empty --container-api path", CONFIG_FIELD(container_api)},
	{OPT_POD_LOGS, "empty --pod-logs directory", CONFIG_FIELD(pod_logs)},
	{OPT_CGROUP, "empty --cgroup path", CONFIG_FIELD(cgroup_path)},
	{OPT_TEXTFILE, "empty --textfile path", CONFIG_FIELD(textfile)},
	{OPT_BTF, "empty --btf path", CONFIG_FIELD(btf_path)},
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int option_index(int key)
{
	int i;

	for (i = 0; options[i].name; i++)
		if (options[i].key == key)
			break;
	return i;
}

static const char *option_label(int key)
{
	const struct argp_option *o = &options[option_index(key)];
	static char label[32];

	if (key < 0x100)
		snprintf(label, sizeof(label), "-%c/--%s", key, o->name);
	else
		snprintf(label, sizeof(label), "--%s", o->name);
	return label;
}

/* One option that getopt_long() returned, with its value if it takes one. */
static int parse_opt(struct parse_state *st, int key, char *arg)
{
	struct config *cfg = st->cfg;
	int i = option_index(key);
	uint64_t v;
	size_t n;
	int err;

	if (arg) {
		if (st->given[i]) {
			char fmt[80];

			snprintf(fmt, sizeof(fmt), "option %s given twice (again as '%%s')",
				 option_label(key));
			return usage_error(st, fmt, arg);
		}
		st->given[i] = true;
	}

	/* The value first (from the tables), then what else the option does (the switch). */
	for (n = 0; n < ARRAY_LEN(number_options); n++) {
		if (number_options[n].key != key)
			continue;
		err = number_opt(st, &number_options[n], arg);
		if (err)
			return err;
	}
	for (n = 0; n < ARRAY_LEN(path_options); n++) {
		if (path_options[n].key != key)
			continue;
		if (!*arg)
			return usage_error(st, "%s", path_options[n].empty);
		*(const char **)((char *)cfg + path_options[n].offset) = arg;
	}

	switch (key) {
	case 't':
		cfg->timestamp = true;
		break;
	case 'L':
		cfg->lport = true;
		break;
	case '4':
	case '6':
		if (cfg->af && cfg->af != (key == '4' ? AF_INET : AF_INET6))
			return usage_error(st, "%s", "options -4 and -6 exclude each other");
		cfg->af = key == '4' ? AF_INET : AF_INET6;
		break;
	case 'v':
		cfg->verbose = true;
		break;
	case 'x':
		cfg->report_failed = true;
		break;
	case 'r':
		cfg->syn_retrans = true;
		break;
	case 'G':
		cfg->show_cgroup = true;
		break;
	case 'C':
		cfg->show_container = true;
		break;
	case 'j':
		cfg->json = true;
		break;
	case 'N':
		cfg->names = true;
		break;
	case 'P':
		return parse_dports(st, arg);
	case OPT_DADDR:
		return parse_daddr(st, arg);
	case 'u':
		cfg->filter_uid = true;
		break;
	case 'n':
		if (!*arg || strlen(arg) >= TASK_COMM_LEN)
			return usage_error(st, "invalid name '%s': process names are 1 to 15 bytes",
					   arg);
		cfg->comm = arg;
		break;
	case 'H':
		cfg->hist = true;
		break;
	case OPT_BY:
		err = hist_by_parse(arg);
		if (err < 0)
			return usage_error(
				st,
				"invalid --by '%s': expected daddr, dport, dest, comm, pid, "
				"cgroup, container, pod, namespace or dhost, or a comma-separated "
				"list of them (each once, dest not with daddr or dport)",
				arg);
		cfg->hist_by = err;
		break;
	case OPT_METRICS:
		if (parse_listen(arg, &cfg->metrics_addr, &cfg->metrics_addrlen))
			return usage_error(
				st,
				"invalid --metrics '%s': expected [ADDR:]PORT, e.g. 9190, "
				"0.0.0.0:9190 or [::]:9190 (numeric address, port 1..65535)",
				arg);
		cfg->metrics_text = arg;
		cfg->exporter = true;
		break;
	case OPT_TEXTFILE:
		if (arg[strlen(arg) - 1] == '/')
			return usage_error(
				st, "invalid --textfile '%s': a file name, not a directory", arg);
		cfg->exporter = true;
		break;
	case OPT_BUCKETS:
		return parse_buckets(st, arg);
	case OPT_BACKEND:
		for (v = 0; v <= BACKEND_TRACEPOINT; v++)
			if (!strcmp(arg, backend_name(v)))
				break;
		if (v > BACKEND_TRACEPOINT)
			return usage_error(st,
					   "invalid backend '%s': expected auto, fentry, kprobe or "
					   "tracepoint",
					   arg);
		cfg->backend = v;
		break;
	case 'h':
		st->help = true;
		break;
	case 'V':
		st->version = true;
		break;
	}
	return 0;
}

/* MIN_MS, the one argument that is not an option. */
static int parse_positional(struct parse_state *st, const char *arg)
{
	uint64_t v;
	int err;

	if (st->npos++)
		return usage_error(st, "unexpected argument '%s': only one MIN_MS is taken", arg);
	err = parse_ms(arg, &v);
	if (err == -ERANGE)
		return usage_error(st, "MIN_MS '%s' out of range (0..3600000)", arg);
	if (err)
		return usage_error(st, "invalid MIN_MS '%s': expected milliseconds, e.g. 0.5", arg);
	st->cfg->min_us = v;
	return 0;
}

/* How many option names start with the long option's name, as typed ("--na=x": "na"). */
static int prefix_matches(const char *token)
{
	const char *name = token + 2;
	size_t len = strcspn(name, "=");
	int i, n = 0;

	for (i = 0; options[i].name; i++)
		n += !strncmp(options[i].name, name, len);
	return n;
}

/*
 * getopt_long() refused an option; optopt and optind say which and why. ':' is a missing value
 * (optopt: the option's key). '?' is an unknown short option (optopt: the character) or a long
 * option, which is argv[optind - 1] as typed: one with a value it does not take (optopt: its
 * key), or an unknown or ambiguous name (optopt 0).
 */
static int bad_option(struct parse_state *st, int ret, char **argv)
{
	const char *token = argv[optind - 1];
	char opt[3] = {'-', (char)optopt, '\0'};
	bool is_long = !strncmp(token, "--", 2);

	if (ret == ':')
		return usage_error(st, "option '%s' needs a value", is_long ? token : opt);
	if (optopt && option_index(optopt) == NOPTIONS)
		return usage_error(st, "unrecognized option '%s'", opt);
	if (optopt)
		return usage_error(st, "option '%s' takes no value", token);
	if (prefix_matches(token) > 1)
		return usage_error(st, "ambiguous option '%s'", token);
	return usage_error(st, "unrecognized option '%s'", token);
}

/* getopt_long()'s view of options[]: its short option string and its long options. */
static void getopt_tables(char *shortopts, struct option *longopts)
{
	const struct argp_option *o;

	*shortopts++ = ':'; /* a missing value returns ':', not '?' as an unknown option does */
	for (o = options; o->name; o++) {
		if (o->key < 0x100) {
			*shortopts++ = o->key;
			if (o->arg)
				*shortopts++ = ':';
		}
		*longopts++ = (struct option){o->name, o->arg ? required_argument : no_argument,
					      NULL, o->key};
	}
	*shortopts = '\0';
	*longopts = (struct option){};
}

/* --metrics and --textfile replace the output: the options that shape lines do not apply. */
static int exporter_conflicts(struct parse_state *st, const struct config *cfg)
{
	static const char *const names[] = {"-H", "-j", "-c", "-t", "-L", "-G", "-C"};
	const bool set[] = {cfg->hist,	cfg->json,	  cfg->count != 0,    cfg->timestamp,
			    cfg->lport, cfg->show_cgroup, cfg->show_container};
	const char *what = cfg->metrics_text ? "--metrics" : "--textfile";
	char msg[128];
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++) {
		if (!set[i])
			continue;
		snprintf(msg, sizeof(msg), "%s does not go with %s (metrics replace the output)",
			 names[i], what);
		return usage_error(st, "%s", msg);
	}
	return 0;
}

/* Options that need another or exclude one, checked in this order once the line parsed. */
static int option_conflicts(struct parse_state *st, const struct config *cfg)
{
	const bool lines = !cfg->hist && !cfg->exporter;
	const struct {
		bool broken;
		const char *msg;
	} rules[] = {
		{cfg->exporter && cfg->interval && !cfg->textfile,
		 "-i needs -H/--histogram or --textfile"},
		{lines && cfg->interval, "-i needs -H/--histogram"},
		{lines && cfg->hist_by, "--by needs -H/--histogram"},
		{cfg->max_series && !cfg->exporter, "--max-series needs --metrics or --textfile"},
		/* -N is a column of lines; -H and metrics name by --by dhost (it sets -N). */
		{cfg->names && !lines && !hist_by_has(cfg->hist_by, HIST_BY_DHOST),
		 "-N adds a column to lines: with -H or metrics, use --by dhost"},
		{cfg->buckets_max_us && !cfg->exporter, "--buckets needs --metrics or --textfile"},
		{cfg->hist && cfg->show_cgroup,
		 "-G adds a column to lines: with -H, use --by cgroup"},
		{cfg->hist && cfg->show_container,
		 "-C adds a column to lines: with -H, use --by container"},
		{cfg->hist && cfg->count, "-c counts printed connects: it does not go with -H"},
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(rules); i++)
		if (rules[i].broken)
			return usage_error(st, "%s", rules[i].msg);
	if (cfg->af && cfg->daddr_af && cfg->af != cfg->daddr_af)
		return usage_error(st,
				   cfg->af == AF_INET
					   ? "--daddr '%s' is not IPv4, but -4 was given"
					   : "--daddr '%s' is not IPv6, but -6 was given",
				   cfg->daddr_text);
	return 0;
}

enum parse_result parse_args(int argc, char **argv, struct config *cfg, FILE *out, FILE *err)
{
	/* argp formats --help from options[]; getopt_long() parses, and says what it refused. */
	static const struct argp help = {options, NULL, "[MIN_MS]", doc, NULL, NULL, NULL};
	char shortopts[2 * NOPTIONS + 2];
	struct option longopts[NOPTIONS + 1];
	struct parse_state st = {.cfg = cfg, .err = err};
	int key, e = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->buffer_pages = BUFFER_PAGES_DEFAULT;
	getopt_tables(shortopts, longopts);
	/* Start over (the tests parse many times) and leave the messages to bad_option(). */
	optind = 0;
	opterr = 0;
	while (!e && (key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
		e = key == ':' || key == '?' ? bad_option(&st, key, argv)
					     : parse_opt(&st, key, optarg);
	/* getopt_long() moved the arguments that are not options behind the options. */
	for (; !e && optind < argc; optind++)
		e = parse_positional(&st, argv[optind]);
	if (!e && cfg->exporter)
		e = exporter_conflicts(&st, cfg);
	if (!e)
		e = option_conflicts(&st, cfg);
	if (e)
		return PARSE_USAGE;
	if (hist_by_has(cfg->hist_by, HIST_BY_DHOST))
		cfg->names = true;
	if (cfg->exporter) {
		/* Metrics always count failures and SYN retransmissions (-x and -r's programs). */
		cfg->report_failed = true;
		cfg->syn_retrans = true;
		if (!cfg->max_series)
			cfg->max_series = MAX_SERIES_DEFAULT;
		if (!cfg->interval && cfg->textfile)
			cfg->interval = TEXTFILE_INTERVAL_DEFAULT;
	}
	/* Not before: with a usage error anywhere in the line, its one line is all there is. */
	if (st.help)
		argp_help(&help, out, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK, "tcpconnlat");
	if (st.version)
		fprintf(out, "tcpconnlat %s\n", TCPCONNLAT_VERSION);
	return st.help || st.version ? PARSE_EXIT : PARSE_RUN;
}

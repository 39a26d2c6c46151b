// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Unit tests for backend.c: candidates, failure reasons and preflight (no BPF is loaded),
 * and, as root, one tracer_start() (tracer.c) with the automatic choice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "unit.h"
#include "backend.h"
#include "checks.h"
#include "tracer.h"

/* The kernel-internal errno that libbpf passes on for "not supported". */
#define ENOTSUPP_KERNEL 524

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_because("\"%s\" does not contain \"%s\"", haystack, needle);
}

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* ---- backend_candidates ---- */

static void test_candidates_auto(void **state)
{
	enum backend out[3] = {99, 99, 99};

	(void)state;
	assert_int_equal(backend_candidates(BACKEND_AUTO, false, out), 3);
	assert_int_equal(out[0], BACKEND_FENTRY);
	assert_int_equal(out[1], BACKEND_KPROBE);
	assert_int_equal(out[2], BACKEND_TRACEPOINT);
}

/* Timing from the socket alone (-H, --metrics without process keys): the tracepoints first. */
static void test_candidates_by_socket(void **state)
{
	enum backend out[3] = {99, 99, 99};

	(void)state;
	assert_int_equal(backend_candidates(BACKEND_AUTO, true, out), 3);
	assert_int_equal(out[0], BACKEND_TRACEPOINT);
	assert_int_equal(out[1], BACKEND_FENTRY);
	assert_int_equal(out[2], BACKEND_KPROBE);
	/* Asked for: only that one. */
	out[1] = 99;
	assert_int_equal(backend_candidates(BACKEND_KPROBE, true, out), 1);
	assert_int_equal(out[0], BACKEND_KPROBE);
	assert_int_equal(out[1], 99);
}

/* Which options leave nothing to ask of the connecting task. */
static void test_by_socket(void **state)
{
	struct config cfg = {.exporter = true, .hist_by = HIST_BY_DPORT};
	struct bpf_config c;

	(void)state;
	assert_true(by_socket(&cfg));
	bpf_config_fill(&c, &cfg, BACKEND_TRACEPOINT);
	assert_int_equal(c.no_inflight, 1);
	/* Only the tracepoint backend times from the state changes. */
	bpf_config_fill(&c, &cfg, BACKEND_FENTRY);
	assert_int_equal(c.no_inflight, 0);
	cfg.hist_by = HIST_BY_DEST;
	assert_true(by_socket(&cfg));
	cfg.hist_by = HIST_BY_DHOST;
	assert_true(by_socket(&cfg));
	cfg.hist_by = HIST_BY_COMM;
	assert_false(by_socket(&cfg));
	cfg.hist_by = HIST_BY_PID;
	assert_false(by_socket(&cfg));
	cfg.hist_by = HIST_BY_CONTAINER;
	assert_false(by_socket(&cfg));
	bpf_config_fill(&c, &cfg, BACKEND_TRACEPOINT);
	assert_int_equal(c.no_inflight, 0);
	cfg.hist_by = HIST_BY_NONE;
	assert_true(by_socket(&cfg));
	cfg.pid = 1;
	assert_false(by_socket(&cfg));
	cfg.pid = 0;
	cfg.comm = "curl";
	assert_false(by_socket(&cfg));
	cfg.comm = NULL;
	cfg.filter_uid = true;
	assert_false(by_socket(&cfg));
	cfg.filter_uid = false;
	cfg.cgroup_path = "/sys/fs/cgroup/x";
	assert_false(by_socket(&cfg));
	cfg.cgroup_path = NULL;
	cfg.pidns_ino = 4026532000u;
	assert_false(by_socket(&cfg));
	cfg.pidns_ino = 0;
	cfg.af = AF_INET;
	assert_false(by_socket(&cfg));
	cfg.af = 0;
	/* Lines need who connected. */
	cfg.exporter = false;
	assert_false(by_socket(&cfg));
	cfg.hist = true;
	assert_true(by_socket(&cfg));
}

static void check_single(enum backend b)
{
	enum backend out[3] = {99, 99, 99};

	assert_int_equal(backend_candidates(b, false, out), 1);
	assert_int_equal(out[0], b);
	/* Only the one slot is written. */
	assert_int_equal(out[1], 99);
	assert_int_equal(out[2], 99);
}

/* Every option reaches the BPF side through one function; each setting lands in its field. */
static void test_bpf_config_fill(void **state)
{
	struct config cfg = {
		.pid = 4242,
		.min_us = 1500,
		.af = AF_INET6,
		.report_failed = true,
		.ndports = 2,
		.dports = {443, 5432},
		.daddr_af = AF_INET6,
		.daddr = {0x20, 0x01, 0x0d, 0xb8},
		.daddr_bits = 32,
		.filter_uid = true,
		.uid = 1000,
		.comm = "a-very-long-process-name",
		.cgroup_path = "/sys/fs/cgroup/x",
		.hist = true,
		.hist_by = HIST_BY_CGROUP,
		.pidns_ino = 4026531836u,
	};
	struct bpf_config c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	bpf_config_fill(&c, &cfg, BACKEND_TRACEPOINT);
	assert_int_equal(c.tgid, 4242);
	assert_int_equal(c.min_us, 1500);
	assert_int_equal(c.af, AF_INET6);
	assert_int_equal(c.report_failed, 1);
	assert_int_equal(c.ndports, 2);
	assert_int_equal(c.dports[0], 443);
	assert_int_equal(c.dports[1], 5432);
	assert_int_equal(c.dports[2], 0);
	assert_int_equal(c.daddr_af, AF_INET6);
	assert_memory_equal(c.daddr, cfg.daddr, sizeof(c.daddr));
	assert_int_equal(c.daddr_bits, 32);
	assert_int_equal(c.filter_uid, 1);
	assert_int_equal(c.uid, 1000);
	assert_int_equal(c.filter_comm, 1);
	/* The kernel's comm is 15 characters and a NUL: a longer name is cut the same way. */
	assert_string_equal(c.comm, "a-very-long-pro");
	assert_int_equal(c.filter_cgroup, 1);
	assert_int_equal(c.hist, 1);
	assert_int_equal(c.hist_fields, HIST_F_CGROUP);
	assert_int_equal(c.cgroup_id, 1);
	assert_int_equal(c.state_timing, 1);
	assert_int_equal(c.pidns_ino, 4026531836u);

	/* Nothing set: every filter off, and only the tracepoint backend times by state. */
	memset(&cfg, 0, sizeof(cfg));
	memset(&c, 0xa5, sizeof(c));
	bpf_config_fill(&c, &cfg, BACKEND_FENTRY);
	assert_int_equal(c.state_timing, 0);
	assert_int_equal(c.filter_comm, 0);
	assert_int_equal(c.comm[0], 0);
	assert_int_equal(c.filter_cgroup, 0);
	assert_int_equal(c.cgroup_id, 0);
	assert_int_equal(c.hist, 0);
	assert_int_equal(c.tgid, 0);
	assert_int_equal(c.ndports, 0);
	/* -j and --metrics need the cgroup id and the kernel's aggregation. */
	cfg.json = true;
	bpf_config_fill(&c, &cfg, BACKEND_KPROBE);
	assert_int_equal(c.cgroup_id, 1);
	cfg.json = false;
	cfg.exporter = true;
	bpf_config_fill(&c, &cfg, BACKEND_KPROBE);
	assert_int_equal(c.hist, 1);
	assert_int_equal(c.cgroup_id, 0);
}

static void test_candidates_specific(void **state)
{
	(void)state;
	check_single(BACKEND_FENTRY);
	check_single(BACKEND_KPROBE);
	check_single(BACKEND_TRACEPOINT);
}

/* ---- backend_failure ---- */

/* The reason, copied: backend_failure() may hand out a static buffer. */
static char *why(enum backend b, enum load_stage stage, int err)
{
	const char *s = backend_failure(b, stage, err, NULL);

	assert_non_null(s);
	assert_true(strlen(s) > 0);
	assert_null(strchr(s, '\n'));
	return strdup(s);
}

/* A reason says more than strerror(): it is not the errno text alone. */
static void assert_not_errno_only(const char *reason, int e)
{
	if (!strcmp(reason, strerror(e)))
		fail_because("reason \"%s\" is only the errno text", reason);
}

static void test_failure_fentry_refused(void **state)
{
	char *r;

	(void)state;
	r = why(BACKEND_FENTRY, STAGE_LOAD, -EPERM);
	assert_contains(r, "EPERM");
	assert_contains(r, "refused");
	assert_contains(r, "fentry");
	assert_not_errno_only(r, EPERM);
	free(r);
	r = why(BACKEND_FENTRY, STAGE_LOAD, -EACCES);
	assert_contains(r, "refused");
	assert_null(strstr(r, "lockdown")); /* lockdown is EPERM; EACCES is the verifier's */
	free(r);
}

static void test_failure_fentry_unsupported(void **state)
{
	char *r;

	(void)state;
	r = why(BACKEND_FENTRY, STAGE_LOAD, -ENOTSUPP_KERNEL);
	assert_contains(r, "fentry");
	assert_contains(r, "5.5");
	free(r);
	r = why(BACKEND_FENTRY, STAGE_LOAD, -EOPNOTSUPP);
	assert_contains(r, "cannot run fentry");
	free(r);
	r = why(BACKEND_FENTRY, STAGE_LOAD, -ESRCH);
	assert_contains(r, "tcp_v4_connect");
	assert_contains(r, "BTF");
	free(r);
}

/* ---- verifier rejections ---- */

/* The end of a verifier's log as Linux 6.x writes it at log level 1. */
static const char vlog_access[] =
	"func#0 @0\n"
	"0: R1=ctx() R10=fp0\n"
	"; int BPF_PROG(fentry_v4_connect, struct sock *sk) @ tcpconnlat.bpf.c:320\n"
	"0: (79) r1 = *(u64 *)(r1 +0)\n"
	"1: (61) r2 = *(u32 *)(r1 +4096)\n"
	"R1 invalid mem access 'scalar'\n"
	"processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 "
	"mark_read 0\n";

/* libbpf rewrites a poisoned CO-RE read into a line of its own before the statistics. */
static const char vlog_core[] =
	"71: (73) *(u8 *)(r10 -43) = r2\n"
	"72: <invalid CO-RE relocation>\n"
	"failed to resolve CO-RE relocation <byte_off> [51] struct sock.__sk_common.skc_family "
	"(0:0:3 @ offset 16)\n"
	"processed 120 insns (limit 1000000) max_states_per_insn 0 total_states 8\n"
	"\n";

static void test_verifier_last_line(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(verifier_last_line(vlog_access, buf, sizeof(buf)),
			 strlen("R1 invalid mem access 'scalar'"));
	assert_string_equal(buf, "R1 invalid mem access 'scalar'");
	assert_true(verifier_last_line(vlog_core, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "failed to resolve CO-RE relocation <byte_off> [51] struct "
				 "sock.__sk_common.skc_family (0:0:3 @ offset 16)");
	/* Older kernels end with these two lines instead. */
	assert_true(verifier_last_line("5: (85) call bpf_foo#212\nunknown func bpf_foo#212\n"
				       "verification time 12 usec\nstack depth 0\n",
				       buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "unknown func bpf_foo#212");
	/* Cut to the buffer, always terminated. */
	assert_int_equal(verifier_last_line(vlog_access, buf, 6), 5);
	assert_string_equal(buf, "R1 in");
	/* No log, an empty one, statistics only: nothing to name. */
	assert_int_equal(verifier_last_line(NULL, buf, sizeof(buf)), 0);
	assert_int_equal(verifier_last_line("", buf, sizeof(buf)), 0);
	assert_int_equal(verifier_last_line("\n\nprocessed 3 insns\n", buf, sizeof(buf)), 0);
}

/*
 * Seen on a 6.1 kernel: the verifier's EACCES and EINVAL read as "kernel lockdown" and
 * "needs Linux 5.5+". With a verifier's log the reason is the rejection, for every backend
 * and errno; without one, the kernel refused the program before the verifier ran.
 */
static void test_failure_verifier_rejection(void **state)
{
	static const enum backend all[] = {BACKEND_FENTRY, BACKEND_KPROBE, BACKEND_TRACEPOINT};
	static const int errs[] = {-EACCES, -EINVAL, -EPERM, -ENOSPC, -E2BIG};
	struct rejection rj = {.prog = "fentry_v4_connect", .log = vlog_access};
	struct rejection none = {.prog = "fentry_v4_connect", .log = ""};
	size_t i, j;
	char *r;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		for (j = 0; j < sizeof(errs) / sizeof(errs[0]); j++) {
			r = strdup(backend_failure(all[i], STAGE_LOAD, errs[j], &rj));
			assert_string_equal(r,
					    "the kernel's verifier rejected program "
					    "'fentry_v4_connect': R1 invalid mem access 'scalar'");
			free(r);
		}
	}
	assert_true(backend_rejected(STAGE_LOAD, &rj));
	/* Not at the other stages (no verifier runs there), nor without a log. */
	assert_false(backend_rejected(STAGE_ATTACH, &rj));
	assert_false(backend_rejected(STAGE_LOAD, &none));
	assert_false(backend_rejected(STAGE_LOAD, NULL));
	r = strdup(backend_failure(BACKEND_FENTRY, STAGE_LOAD, -EACCES, &none));
	assert_null(strstr(r, "lockdown"));
	assert_contains(r, "EACCES");
	free(r);
	r = strdup(backend_failure(BACKEND_FENTRY, STAGE_LOAD, -EPERM, NULL));
	assert_contains(r, "lockdown");
	free(r);
}

/*
 * arm64 before Linux 6.4 loads fentry programs but refuses to attach them to a kernel
 * function: ENOTSUPP (seen on Debian's arm64 6.1 under QEMU). The reason names the cause.
 */
static void test_failure_fentry_attach_unsupported(void **state)
{
	char *r;

	(void)state;
	r = why(BACKEND_FENTRY, STAGE_ATTACH, -ENOTSUPP_KERNEL);
	assert_contains(r, "fentry");
	assert_contains(r, "arm64");
	assert_contains(r, "6.4");
	assert_contains(r, "DYNAMIC_FTRACE_WITH_DIRECT_CALLS");
	free(r);
	r = why(BACKEND_FENTRY, STAGE_ATTACH, -EOPNOTSUPP);
	assert_contains(r, "cannot attach fentry");
	free(r);
}

static void test_failure_kprobe_missing(void **state)
{
	char *r;

	(void)state;
	r = why(BACKEND_KPROBE, STAGE_ATTACH, -ENOENT);
	assert_contains(r, "kprobes");
	assert_contains(r, "CONFIG_KPROBES");
	assert_not_errno_only(r, ENOENT);
	free(r);
	r = why(BACKEND_KPROBE, STAGE_ATTACH, -EOPNOTSUPP);
	assert_contains(r, "CONFIG_KPROBES");
	free(r);
	r = why(BACKEND_KPROBE, STAGE_LOAD, -EPERM);
	assert_contains(r, "refused kprobes");
	assert_contains(r, "EPERM");
	free(r);
}

static void test_failure_tracepoint_missing(void **state)
{
	char *r;

	(void)state;
	r = why(BACKEND_TRACEPOINT, STAGE_ATTACH, -ENOENT);
	assert_contains(r, "tracepoint");
	assert_contains(r, "sock:inet_sock_set_state");
	assert_not_errno_only(r, ENOENT);
	free(r);
	r = why(BACKEND_TRACEPOINT, STAGE_ATTACH, -EPERM);
	assert_contains(r, "refused");
	free(r);
}

/* A kernel without bpf() (CONFIG_BPF_SYSCALL=n): every backend's load says so. */
static void test_failure_no_bpf_syscall(void **state)
{
	enum backend b[3] = {BACKEND_FENTRY, BACKEND_KPROBE, BACKEND_TRACEPOINT};
	char *r;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		r = why(b[i], STAGE_LOAD, -ENOSYS);
		assert_contains(r, "no bpf() system call");
		assert_contains(r, "CONFIG_BPF_SYSCALL");
		free(r);
	}
}

static void test_failure_reasons_distinct(void **state)
{
	char *r[6];
	int i, j;

	(void)state;
	r[0] = why(BACKEND_FENTRY, STAGE_LOAD, -EPERM);
	r[1] = why(BACKEND_KPROBE, STAGE_ATTACH, -ENOENT);
	r[2] = why(BACKEND_TRACEPOINT, STAGE_ATTACH, -ENOENT);
	r[3] = why(BACKEND_FENTRY, STAGE_LOAD, -EINVAL);
	r[4] = why(BACKEND_KPROBE, STAGE_LOAD, -EPERM);
	r[5] = why(BACKEND_TRACEPOINT, STAGE_LOAD, -EPERM);
	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			if (!strcmp(r[i], r[j]))
				fail_because("reasons %d and %d are both \"%s\"", i, j, r[i]);
	for (i = 0; i < 6; i++)
		free(r[i]);
}

static void test_failure_sign_of_errno(void **state)
{
	char *neg, *pos;

	(void)state;
	/* libbpf gives negative errnos; a positive one means the same. */
	neg = why(BACKEND_KPROBE, STAGE_ATTACH, -ENOENT);
	pos = why(BACKEND_KPROBE, STAGE_ATTACH, ENOENT);
	assert_string_equal(neg, pos);
	free(neg);
	free(pos);
	neg = why(BACKEND_KPROBE, STAGE_LOAD, -E2BIG);
	pos = why(BACKEND_KPROBE, STAGE_LOAD, E2BIG);
	assert_string_equal(neg, pos);
	free(neg);
	free(pos);
}

static void test_failure_other_errors_name_stage(void **state)
{
	char *r;

	(void)state;
	/* Nothing specific known: the stage and the errno text, not the errno text alone. */
	r = why(BACKEND_KPROBE, STAGE_LOAD, -E2BIG);
	assert_contains(r, "load");
	assert_contains(r, "Argument list too long");
	assert_not_errno_only(r, E2BIG);
	free(r);
	r = why(BACKEND_FENTRY, STAGE_ATTACH, -EBUSY);
	assert_contains(r, "attach");
	assert_contains(r, "Device or resource busy");
	free(r);
	r = why(BACKEND_TRACEPOINT, STAGE_LOAD, -ENOMEM);
	assert_contains(r, "load");
	assert_contains(r, "Cannot allocate memory");
	free(r);
	r = why(BACKEND_TRACEPOINT, STAGE_OPEN, -ENOENT);
	assert_contains(r, "open");
	assert_contains(r, "No such file or directory");
	free(r);
	r = why(BACKEND_FENTRY, STAGE_OPEN, -EINVAL);
	assert_contains(r, "open");
	assert_contains(r, "Invalid argument");
	free(r);
}

/* ---- preflight ---- */

struct captured {
	int ret;
	char *err;
	size_t err_len;
};

static void run_preflight(const char *btf_path, struct captured *c)
{
	struct config cfg;
	FILE *err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.btf_path = btf_path;
	err = open_memstream(&c->err, &c->err_len);
	assert_non_null(err);
	c->ret = preflight(&cfg, err);
	assert_int_equal(fclose(err), 0);
}

/* Non-zero, and exactly one line on err that names the file in quotes. */
static void assert_refused_naming(const struct captured *c, const char *path)
{
	char quoted[512];

	if (!c->ret)
		fail_because("preflight accepted --btf %s", path);
	if (count_char(c->err, '\n') != 1 || c->err[c->err_len - 1] != '\n')
		fail_because("expected one line, got \"%s\"", c->err);
	snprintf(quoted, sizeof(quoted), "'%s'", path);
	assert_contains(c->err, quoted);
}

/*
 * --btf PATH is refused in one line naming PATH that contains want, and (an existing file's
 * complaint is about its content) never says "No such file" unless want does.
 */
static void assert_btf_refused(const char *path, const char *want)
{
	struct captured c;

	run_preflight(path, &c);
	assert_refused_naming(&c, path);
	if (!strstr(want, "No such file") && strstr(c.err, "No such file"))
		fail_because("says missing: %.*s", (int)strcspn(c.err, "\n"), c.err);
	assert_contains(c.err, want);
	free(c.err);
}

/* A temporary file holding n bytes of data, refused as --btf with want. */
static void assert_btf_file_refused(const void *data, size_t n, const char *want)
{
	char path[] = "/tmp/test_backend.XXXXXX";
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	assert_btf_refused(path, want);
	unlink(path);
}

static void test_preflight_btf_missing(void **state)
{
	(void)state;
	assert_btf_refused("/nonexistent/tcpconnlat-test/vmlinux.btf", "No such file or directory");
}

static void test_preflight_btf_not_btf(void **state)
{
	(void)state;
	assert_btf_refused("/etc/passwd", "BTF");
}

/* An ELF file without a .BTF section exists: it must not be reported as missing. */
static void test_preflight_btf_elf_without_btf(void **state)
{
	(void)state;
	/* This test program: an ELF built by gcc, which emits no .BTF section. */
	assert_btf_refused("/proc/self/exe", "BTF");
}

static void test_preflight_btf_empty_file(void **state)
{
	(void)state;
	assert_btf_file_refused("", 0, "BTF");
}

/* A directory is named as one, not as a file without BTF. */
static void test_preflight_btf_directory(void **state)
{
	(void)state;
	assert_btf_refused("/tmp", "Is a directory");
}

/* A file that starts like raw BTF but ends early (a truncated copy) is named damaged. */
static void test_preflight_btf_truncated(void **state)
{
	/* struct btf_header's first 8 bytes: magic 0xeb9f, version 1, flags 0, hdr_len 24. */
	static const unsigned char head[8] = {0x9f, 0xeb, 1, 0, 24, 0, 0, 0};

	(void)state;
	assert_btf_file_refused(head, sizeof(head), "truncated or corrupt");
}

static void test_preflight_btf_valid_file(void **state)
{
	struct captured c;

	(void)state;
	if (access(SYSFS_BTF, R_OK))
		skip();
	/* The kernel's own BTF is a valid --btf file (raw BTF). */
	run_preflight(SYSFS_BTF, &c);
	assert_string_equal(c.err, "");
	assert_int_equal(c.ret, 0);
	free(c.err);
}

static void test_preflight_default_btf(void **state)
{
	struct captured c;

	(void)state;
	if (access(SYSFS_BTF, R_OK))
		skip();
	run_preflight(NULL, &c);
	assert_string_equal(c.err, "");
	assert_int_equal(c.ret, 0);
	free(c.err);
}

/*
 * Found by valgrind (tests/integration/test_memsafety.sh): when a backend failed and a later
 * one started (auto on a kernel without fentry), the earlier failure reasons leaked. Here
 * LeakSanitizer in $(OUTPUT)/san/test_backend reports it at exit; on a kernel where fentry
 * runs, the first candidate starts and this only checks that auto starts one.
 */
struct reader_log {
	int opens, closes, fd;
};

static int reader_open(void *ctx, int events_fd, int dns_fd)
{
	struct reader_log *l = ctx;
	(void)dns_fd;

	l->opens++;
	l->fd = events_fd;
	return 0;
}

static void reader_close(void *ctx)
{
	((struct reader_log *)ctx)->closes++;
}

/*
 * Also: the reader is opened on each candidate that loads, and closed again when that
 * candidate then fails to attach (kprobe on a kernel without kprobes): one stays open.
 */
static void test_tracer_start_auto(void **state)
{
	struct config cfg = {.buffer_pages = 64};
	struct reader_log log = {.fd = -1};
	struct tracer_reader rd = {.open = reader_open, .close = reader_close, .ctx = &log};
	struct tracer *t;
	char *err = NULL;
	size_t err_len = 0;
	FILE *f;

	(void)state;
	if (geteuid() || access(SYSFS_BTF, R_OK))
		skip();
	f = open_memstream(&err, &err_len);
	assert_non_null(f);
	t = tracer_start(&cfg, -1, &rd, f);
	fclose(f);
	if (!t)
		fail_because("no backend started: %s", err);
	assert_string_equal(err, "");
	assert_true(log.fd >= 0);
	assert_int_equal(log.opens - log.closes, 1);
	tracer_stop(t);
	free(err);
}

/* libbpf's own warnings about the broken files would clutter the TAP output. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidates_auto),
		cmocka_unit_test(test_bpf_config_fill),
		cmocka_unit_test(test_by_socket),
		cmocka_unit_test(test_candidates_by_socket),
		cmocka_unit_test(test_candidates_specific),
		cmocka_unit_test(test_failure_fentry_refused),
		cmocka_unit_test(test_failure_fentry_unsupported),
		cmocka_unit_test(test_failure_fentry_attach_unsupported),
		cmocka_unit_test(test_failure_kprobe_missing),
		cmocka_unit_test(test_failure_tracepoint_missing),
		cmocka_unit_test(test_failure_no_bpf_syscall),
		cmocka_unit_test(test_failure_reasons_distinct),
		cmocka_unit_test(test_failure_sign_of_errno),
		cmocka_unit_test(test_failure_other_errors_name_stage),
		cmocka_unit_test(test_preflight_btf_missing),
		cmocka_unit_test(test_preflight_btf_not_btf),
		cmocka_unit_test(test_preflight_btf_elf_without_btf),
		cmocka_unit_test(test_preflight_btf_empty_file),
		cmocka_unit_test(test_preflight_btf_directory),
		cmocka_unit_test(test_preflight_btf_truncated),
		cmocka_unit_test(test_preflight_btf_valid_file),
		cmocka_unit_test(test_preflight_default_btf),
		cmocka_unit_test(test_tracer_start_auto),
		cmocka_unit_test(test_verifier_last_line),
		cmocka_unit_test(test_failure_verifier_rejection),
	};

	libbpf_set_print(quiet);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

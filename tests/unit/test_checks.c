// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Unit tests for the checks made before any BPF (checks.c, pidns.c), against this machine's
 * /proc and BTF files the test writes itself: -p (a process, a thread, no process),
 * --cgroup (missing, not cgroup v2), --btf (a directory, no BTF, truncated BTF), the PID
 * namespace and a kernel without task_struct.thread_pid. What needs a mount or another
 * namespace (the tracefs mount of syscall_events(), a real cgroup v2 directory, capabilities
 * taken away) is the integration tests' (docs/testing.md).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/btf.h>
#include <cmocka.h>
#include "unit.h"
#include "checks.h"
#include "pidns.h"

/* Captures what a check writes on its err stream. */
struct capture {
	FILE *f;
	char *text;
	size_t len;
};

static FILE *capture_start(struct capture *c)
{
	c->text = NULL;
	c->len = 0;
	c->f = open_memstream(&c->text, &c->len);
	assert_non_null(c->f);
	return c->f;
}

/* The text written, NUL-terminated; the caller frees c->text. */
static const char *capture_end(struct capture *c)
{
	fclose(c->f);
	return c->text;
}

/* Exactly one line on err, containing each of the NULL-terminated words. */
static void assert_one_line(const char *text, ...)
{
	const char *word;
	va_list ap;

	if (!text[0] || strchr(text, '\n') != text + strlen(text) - 1)
		fail_because("not one line: \"%s\"", text);
	va_start(ap, text);
	while ((word = va_arg(ap, const char *)))
		if (!strstr(text, word))
			fail_because("\"%s\" does not say \"%s\"", text, word);
	va_end(ap);
}

/* ---- pid_check: -p ---- */

static void test_pid_check_process(void **state)
{
	struct capture c;
	int r;

	(void)state;
	r = pid_check(getpid(), capture_start(&c));
	assert_int_equal(r, 0);
	assert_string_equal(capture_end(&c), "");
	free(c.text);
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pid_t thread_tid;

static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = syscall(SYS_gettid);
	pthread_mutex_lock(&held); /* until the test has looked at it */
	pthread_mutex_unlock(&held);
	return NULL;
}

static void test_pid_check_thread(void **state)
{
	char tid[16], tgid[16], try[32];
	struct capture c;
	pthread_t t;
	int r;

	(void)state;
	pthread_mutex_lock(&held);
	assert_int_equal(pthread_create(&t, NULL, thread_main, NULL), 0);
	while (!__atomic_load_n(&thread_tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	r = pid_check(thread_tid, capture_start(&c));
	pthread_mutex_unlock(&held);
	pthread_join(t, NULL);
	capture_end(&c);
	assert_int_equal(r, -EINVAL);
	snprintf(tid, sizeof(tid), "%d", thread_tid);
	snprintf(tgid, sizeof(tgid), "%d", getpid());
	snprintf(try, sizeof(try), "-p %d", getpid());
	assert_one_line(c.text, tid, tgid, try, NULL);
	free(c.text);
}

static void test_pid_check_not_running(void **state)
{
	unsigned int pid_max = 0;
	char pid[16];
	struct capture c;
	FILE *f;
	int r;

	(void)state;
	/* PIDs are below pid_max: that one is never running. */
	f = fopen("/proc/sys/kernel/pid_max", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u", &pid_max), 1);
	fclose(f);
	r = pid_check(pid_max, capture_start(&c));
	capture_end(&c);
	assert_int_equal(r, 0);
	snprintf(pid, sizeof(pid), "%u", pid_max);
	assert_one_line(c.text, "warning", pid, NULL);
	free(c.text);
}

/* ---- cgroup_filter_open: --cgroup ---- */

static void test_cgroup_filter_open_missing(void **state)
{
	struct capture c;
	int r;

	(void)state;
	r = cgroup_filter_open("/nonexistent/tcpconnlat-test", capture_start(&c));
	capture_end(&c);
	assert_int_equal(r, -ENOENT);
	assert_one_line(c.text, "'/nonexistent/tcpconnlat-test'", strerror(ENOENT), NULL);
	free(c.text);
}

static void test_cgroup_filter_open_not_cgroup2(void **state)
{
	char dir[] = "/tmp/tcl-checks-XXXXXX";
	struct capture c;
	int r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	r = cgroup_filter_open(dir, capture_start(&c));
	capture_end(&c);
	rmdir(dir);
	assert_int_equal(r, -ENOTDIR);
	assert_one_line(c.text, dir, "not a cgroup v2 directory", NULL);
	free(c.text);
}

/* ---- preflight: --btf files ---- */

/* A raw BTF file with a struct task_struct that has a pid field and, if asked, thread_pid. */
static void write_btf(const char *path, bool thread_pid, size_t cut)
{
	struct btf *btf = btf__new_empty();
	const void *raw;
	__u32 size;
	int u32, fd;

	assert_non_null(btf);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	assert_true(u32 > 0);
	assert_true(btf__add_struct(btf, "task_struct", 8) > 0);
	assert_int_equal(btf__add_field(btf, "pid", u32, 0, 0), 0);
	if (thread_pid)
		assert_int_equal(btf__add_field(btf, "thread_pid", u32, 32, 0), 0);
	raw = btf__raw_data(btf, &size);
	assert_non_null(raw);
	assert_true(cut < size);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, raw, size - cut), (ssize_t)(size - cut));
	close(fd);
	btf__free(btf);
}

/*
 * preflight() with --btf path: the privileges come first, so without them (not root) the
 * line must be about those instead.
 */
static void check_preflight(const char *path, const char *why)
{
	struct config cfg = {.btf_path = path};
	struct capture c;
	int r;

	r = preflight(&cfg, capture_start(&c));
	capture_end(&c);
	if (!why) {
		assert_int_equal(r, 0);
		assert_string_equal(c.text, "");
	} else if (geteuid()) {
		assert_int_equal(r, 1);
		assert_one_line(c.text, "privileges", NULL);
	} else {
		assert_int_equal(r, 1);
		assert_one_line(c.text, path, why, NULL);
	}
	free(c.text);
}

static void test_preflight_btf_files(void **state)
{
	char dir[] = "/tmp/tcl-checks-XXXXXX", path[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/btf", dir);
	check_preflight(dir, strerror(EISDIR));
	check_preflight(path, strerror(ENOENT));
	write_btf(path, true, 0);
	if (!geteuid())
		check_preflight(path, NULL);
	write_btf(path, true, 8);
	check_preflight(path, "truncated or corrupt");
	fclose(fopen(path, "w"));
	check_preflight(path, "holds no BTF");
	unlink(path);
	rmdir(dir);
}

/* ---- pidns.c ---- */

static void test_pidns_check(void **state)
{
	char dir[] = "/tmp/tcl-checks-XXXXXX", path[64];
	struct capture c;
	int r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/btf", dir);
	write_btf(path, true, 0);
	r = pidns_check(path, capture_start(&c));
	capture_end(&c);
	assert_int_equal(r, 0);
	assert_string_equal(c.text, "");
	free(c.text);

	/* Before Linux 4.19: no task_struct.thread_pid. */
	write_btf(path, false, 0);
	r = pidns_check(path, capture_start(&c));
	capture_end(&c);
	assert_int_equal(r, -EOPNOTSUPP);
	assert_one_line(c.text, "4.19", "initial PID namespace", NULL);
	free(c.text);

	/* No BTF to read is preflight()'s to say, not this check's. */
	unlink(path);
	r = pidns_check(path, capture_start(&c));
	capture_end(&c);
	assert_int_equal(r, 0);
	assert_string_equal(c.text, "");
	free(c.text);
	rmdir(dir);
}

/* pidns_self() against the namespace's name as readlink() gives it: "pid:[INODE]". */
static void test_pidns_self(void **state)
{
	char link[64];
	unsigned long ino;
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_int_equal(sscanf(link, "pid:[%lu]", &ino), 1);
	assert_int_equal(pidns_self(), ino == PIDNS_INIT_INO ? 0 : ino);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_check_process),
		cmocka_unit_test(test_pid_check_thread),
		cmocka_unit_test(test_pid_check_not_running),
		cmocka_unit_test(test_cgroup_filter_open_missing),
		cmocka_unit_test(test_cgroup_filter_open_not_cgroup2),
		cmocka_unit_test(test_preflight_btf_files),
		cmocka_unit_test(test_pidns_check),
		cmocka_unit_test(test_pidns_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

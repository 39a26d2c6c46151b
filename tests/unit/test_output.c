// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Unit tests for output.c: buffering until out_flush(), a reader that left, EPIPE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "unit.h"
#include "output.h"

/* One pipe: the test reads from rfd, the module writes through wfp. */
struct pipe_out {
	int rfd;
	FILE *wfp;
	struct output o;
};

static struct pipe_out PO;

static int setup_pipe(void **state)
{
	int fds[2];

	(void)state;
	if (pipe(fds))
		return -1;
	/* Non-blocking reads: "nothing there yet" is EAGAIN, not a hang. */
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK))
		return -1;
	PO.rfd = fds[0];
	PO.wfp = fdopen(fds[1], "w");
	if (!PO.wfp)
		return -1;
	return out_init(&PO.o, PO.wfp) ? -1 : 0;
}

static int teardown_pipe(void **state)
{
	(void)state;
	if (PO.rfd >= 0)
		close(PO.rfd);
	PO.rfd = -1;
	/* The buffer may still hold lines for a reader that is gone: drop them quietly. */
	signal(SIGPIPE, SIG_IGN);
	if (PO.wfp)
		fclose(PO.wfp);
	PO.wfp = NULL;
	return 0;
}

static void close_reader(void)
{
	assert_int_equal(close(PO.rfd), 0);
	PO.rfd = -1;
}

/* Everything the pipe holds now, without waiting; "" when it is empty. */
static char *drain(char *buf, size_t len)
{
	size_t pos = 0;
	ssize_t n;

	while (pos + 1 < len) {
		n = read(PO.rfd, buf + pos, len - 1 - pos);
		if (n > 0) {
			pos += n;
			continue;
		}
		if (n < 0)
			assert_int_equal(errno, EAGAIN);
		break;
	}
	buf[pos] = '\0';
	return buf;
}

static void line(const char *s)
{
	out_line(&PO.o, s, strlen(s));
}

static void test_pipe_detected(void **state)
{
	(void)state;
	assert_true(PO.o.pipe);
	assert_int_equal(PO.o.fd, fileno(PO.wfp));
	assert_int_equal(PO.o.err, 0);
}

static void test_lines_wait_for_flush(void **state)
{
	char buf[256];

	(void)state;
	line("PID    COMM\n");
	line("1      a\n");
	line("2      b\n");
	assert_string_equal(drain(buf, sizeof(buf)), "");
	assert_int_equal(out_flush(&PO.o), 0);
	assert_string_equal(drain(buf, sizeof(buf)), "PID    COMM\n1      a\n2      b\n");
	/* A second batch: again nothing until its flush. */
	line("3      c\n");
	assert_string_equal(drain(buf, sizeof(buf)), "");
	assert_int_equal(out_flush(&PO.o), 0);
	assert_string_equal(drain(buf, sizeof(buf)), "3      c\n");
	/* A flush with nothing new writes nothing. */
	assert_int_equal(out_flush(&PO.o), 0);
	assert_string_equal(drain(buf, sizeof(buf)), "");
}

/* A poll batch of 100 rows of 100 bytes (10000 bytes): one write at out_flush(), not before. */
static void test_batch_waits_for_flush(void **state)
{
	char row[101], buf[16384];
	size_t got;
	int i;

	(void)state;
	memset(row, 'r', 99);
	row[99] = '\n';
	row[100] = '\0';
	for (i = 0; i < 100; i++)
		line(row);
	got = strlen(drain(buf, sizeof(buf)));
	if (got)
		fail_because("%zu of 10000 bytes reached the pipe before out_flush()", got);
	assert_int_equal(out_flush(&PO.o), 0);
	assert_int_equal(strlen(drain(buf, sizeof(buf))), 10000);
}

static void test_reader_present(void **state)
{
	char buf[64];

	(void)state;
	assert_false(out_reader_gone(&PO.o));
	line("x\n");
	assert_false(out_reader_gone(&PO.o));
	assert_int_equal(out_flush(&PO.o), 0);
	assert_false(out_reader_gone(&PO.o));
	assert_string_equal(drain(buf, sizeof(buf)), "x\n");
	assert_false(out_reader_gone(&PO.o));
}

static void test_reader_gone_without_writing(void **state)
{
	(void)state;
	assert_false(out_reader_gone(&PO.o));
	close_reader();
	assert_true(out_reader_gone(&PO.o));
	/* Asking does not write or fail anything. */
	assert_int_equal(PO.o.err, 0);
	assert_true(out_reader_gone(&PO.o));
}

static void test_reader_gone_with_unread_data(void **state)
{
	(void)state;
	line("unread\n");
	assert_int_equal(out_flush(&PO.o), 0);
	assert_false(out_reader_gone(&PO.o));
	close_reader();
	assert_true(out_reader_gone(&PO.o));
}

static void test_epipe_from_flush(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	close_reader();
	line("lost\n");
	assert_int_equal(out_flush(&PO.o), EPIPE);
	assert_int_equal(PO.o.err, EPIPE);
}

static void test_epipe_is_sticky(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	close_reader();
	line("lost\n");
	assert_int_equal(out_flush(&PO.o), EPIPE);
	line("more\n");
	assert_int_equal(out_flush(&PO.o), EPIPE);
	assert_int_equal(out_flush(&PO.o), EPIPE);
	assert_int_equal(PO.o.err, EPIPE);
}

/* The reader of a FIFO (e.g. "mkfifo f; tcpconnlat > f & head -1 f") is watched the same way. */
static void test_fifo_reader_gone(void **state)
{
	char dir[] = "/tmp/test_output.XXXXXX", path[64], buf[32];
	struct output o;
	int rfd, wfd;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	wfd = open(path, O_WRONLY);
	assert_true(wfd >= 0);
	fp = fdopen(wfd, "w");
	assert_non_null(fp);
	unlink(path);
	rmdir(dir);

	assert_int_equal(out_init(&o, fp), 0);
	assert_true(o.pipe);
	out_line(&o, "f\n", 2);
	assert_int_equal(read(rfd, buf, sizeof(buf)), -1);
	assert_int_equal(out_flush(&o), 0);
	assert_int_equal(read(rfd, buf, sizeof(buf)), 2);
	assert_false(out_reader_gone(&o));
	close(rfd);
	assert_true(out_reader_gone(&o));
	signal(SIGPIPE, SIG_IGN);
	fclose(fp);
}

/*
 * A socket as stdout (systemd's StandardOutput=socket, a socketpair): its peer's close is
 * noticed without a write; a peer that only shut down its own sending may still read.
 */
static void test_socket_reader_gone(void **state)
{
	struct output o;
	char buf[32];
	int sv[2];
	FILE *fp;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fp = fdopen(sv[0], "w");
	assert_non_null(fp);
	assert_int_equal(out_init(&o, fp), 0);
	assert_true(o.pipe);
	out_line(&o, "s\n", 2);
	assert_int_equal(out_flush(&o), 0);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 2);
	assert_false(out_reader_gone(&o));
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	assert_false(out_reader_gone(&o));
	close(sv[1]);
	assert_true(out_reader_gone(&o));
	signal(SIGPIPE, SIG_IGN);
	fclose(fp);
}

/* A regular file has no reader to lose; its lines too wait for the flush. */
static void test_regular_file(void **state)
{
	struct output o;
	char buf[64];
	FILE *fp;

	(void)state;
	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(out_init(&o, fp), 0);
	assert_false(o.pipe);
	out_line(&o, "row 1\n", 6);
	out_line(&o, "row 2\n", 6);
	assert_int_equal(pread(fileno(fp), buf, sizeof(buf), 0), 0);
	assert_false(out_reader_gone(&o));
	assert_int_equal(out_flush(&o), 0);
	assert_int_equal(pread(fileno(fp), buf, sizeof(buf), 0), 12);
	assert_memory_equal(buf, "row 1\nrow 2\n", 12);
	assert_false(out_reader_gone(&o));
	assert_int_equal(o.err, 0);
	fclose(fp);
}

/* A write error other than EPIPE is kept and returned as it is: /dev/full gives ENOSPC. */
static void test_write_error_reported(void **state)
{
	struct output o;
	FILE *fp;

	(void)state;
	fp = fopen("/dev/full", "w");
	if (!fp)
		skip();
	assert_int_equal(out_init(&o, fp), 0);
	assert_false(o.pipe);
	out_line(&o, "x\n", 2);
	assert_int_equal(out_flush(&o), ENOSPC);
	out_line(&o, "y\n", 2);
	assert_int_equal(out_flush(&o), ENOSPC);
	assert_false(out_reader_gone(&o));
	fclose(fp);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_pipe, teardown_pipe)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pipe_detected),
		T(test_lines_wait_for_flush),
		T(test_batch_waits_for_flush),
		T(test_reader_present),
		T(test_reader_gone_without_writing),
		T(test_reader_gone_with_unread_data),
		T(test_epipe_from_flush),
		T(test_epipe_is_sticky),
		cmocka_unit_test(test_fifo_reader_gone),
		cmocka_unit_test(test_socket_reader_gone),
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_write_error_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Connects the ways tconn does not, for the integration and QEMU tests:
 *
 *   tmode serve ADDR PORT          listen with TCP Fast Open on; accept, read, close forever
 *   tmode tfo MS ADDR PORT         TCP_FASTOPEN_CONNECT: connect(), wait MS ms, write, wait
 *                                  for the handshake. With a cookie cached for ADDR the
 *                                  kernel sends the SYN (with the data) only at the write.
 *   tmode sendto ADDR PORT         sendto(MSG_FASTOPEN): no connect() call at all
 *   tmode thread NAME ADDR PORT    connect() from a thread named NAME (the process keeps
 *                                  its own name)
 *   tmode reuse MS DADDR DPORT ADDR PORT
 *                                  print "pid=N", wait for a line on stdin; connect without
 *                                  blocking to DADDR:DPORT (whose SYNs are dropped), dissolve
 *                                  that with connect(AF_UNSPEC), wait MS ms, then a child
 *                                  process connects the same socket to ADDR:PORT (its line
 *                                  starts with "child "); then the process itself makes one
 *                                  plain connect to ADDR:PORT
 *
 * Prints one line per connect: "ok lport=N syn_data=0|1" or "fail lport=N errno=E".
 * syn_data=1: the SYN carried data and the peer acknowledged it (a Fast Open connect).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "port.h"

struct target {
	struct sockaddr_storage ss;
	socklen_t len;
	int af;
};

static int target_of(const char *host, const char *port, struct target *t)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&t->ss;

	memset(t, 0, sizeof(*t));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = t->af = AF_INET;
		s4->sin_port = htons(atoi(port));
		t->len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = t->af = AF_INET6;
		s6->sin6_port = htons(atoi(port));
		t->len = sizeof(*s6);
		return 0;
	}
	fprintf(stderr, "tmode: bad address '%s'\n", host);
	return -1;
}

/* Waits for a connect in progress to end; 0 or the errno it ended with. */
static int finish(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	socklen_t len = sizeof(int);
	int e = 0;

	if (poll(&p, 1, 30000) != 1)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len))
		return errno;
	return e;
}

static void report(int fd, int e)
{
	struct tcp_info ti = {};
	socklen_t len = sizeof(ti);

	if (e) {
		printf("fail lport=%d errno=%s\n", local_port(fd), strerrorname_np(e));
	} else {
		getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
		printf("ok lport=%d syn_data=%d\n", local_port(fd),
		       !!(ti.tcpi_options & TCPI_OPT_SYN_DATA));
	}
	fflush(stdout);
}

static int serve(const struct target *t)
{
	int fd, c, one = 1, qlen = 16;
	char buf[64];

	fd = socket(t->af, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)) ||
	    bind(fd, (const struct sockaddr *)&t->ss, t->len) || listen(fd, 128)) {
		perror("tmode: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		/* The Fast Open data, or the first write: then the client may close. */
		if (read(c, buf, sizeof(buf)) < 0)
			perror("tmode: read");
		close(c);
	}
}

/* One TCP_FASTOPEN_CONNECT connect: connect(), MS ms, then the write that sends the SYN. */
static int tfo(const struct target *t, int ms)
{
	int fd, one = 1, e = 0;

	fd = socket(t->af, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one))) {
		perror("tmode: TCP_FASTOPEN_CONNECT");
		return 1;
	}
	if (connect(fd, (const struct sockaddr *)&t->ss, t->len))
		e = errno;
	usleep(ms * 1000);
	if (!e && write(fd, "x", 1) != 1)
		e = errno;
	/* A blocking write returns once the handshake is done: SO_ERROR says how it ended. */
	if (!e)
		e = finish(fd);
	report(fd, e);
	close(fd);
	return 0;
}

static int fastopen_sendto(const struct target *t)
{
	int fd, e = 0;

	fd = socket(t->af, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("tmode: socket");
		return 1;
	}
	if (sendto(fd, "x", 1, MSG_FASTOPEN, (const struct sockaddr *)&t->ss, t->len) != 1)
		e = errno;
	if (!e)
		e = finish(fd);
	report(fd, e);
	close(fd);
	return 0;
}

struct named {
	const char *name;
	const struct target *t;
};

static void *thread_connect(void *arg)
{
	const struct named *n = arg;
	int fd, e = 0;

	/* The thread's own name (its comm); the process's stays "tmode". */
	if (pthread_setname_np(pthread_self(), n->name))
		fprintf(stderr, "tmode: pthread_setname_np failed\n");
	fd = socket(n->t->af, SOCK_STREAM, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (const struct sockaddr *)&n->t->ss, n->t->len))
		e = errno;
	report(fd, e);
	close(fd);
	return NULL;
}

static int thread(const char *name, const struct target *t)
{
	struct named n = {.name = name, .t = t};
	pthread_t th;

	if (pthread_create(&th, NULL, thread_connect, &n))
		return 1;
	return pthread_join(th, NULL) ? 1 : 0;
}

/* A socket whose connect ends without a SYN-ACK or a reset, then reused by another process. */
static int reuse(int ms, const struct target *dropped, const struct target *t)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	char line[16];
	int fd, e = 0, status;
	pid_t child;

	printf("pid=%d\n", getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	fd = socket(t->af, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, (const struct sockaddr *)&dropped->ss, dropped->len) &&
		       errno != EINPROGRESS)) {
		perror("tmode: connect to the dropping port");
		return 1;
	}
	if (connect(fd, &unspec, sizeof(unspec))) {
		perror("tmode: connect(AF_UNSPEC)");
		return 1;
	}
	usleep(ms * 1000);
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		if (fcntl(fd, F_SETFL, 0) || connect(fd, (const struct sockaddr *)&t->ss, t->len))
			e = errno;
		printf("child ");
		report(fd, e);
		_exit(0);
	}
	close(fd);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return 1;
	fd = socket(t->af, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&t->ss, t->len))
		e = errno;
	report(fd, e);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct target t, d;
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "serve") && argc == 4 && !target_of(argv[2], argv[3], &t))
		return serve(&t);
	if (!strcmp(mode, "tfo") && argc == 5 && !target_of(argv[3], argv[4], &t))
		return tfo(&t, atoi(argv[2]));
	if (!strcmp(mode, "sendto") && argc == 4 && !target_of(argv[2], argv[3], &t))
		return fastopen_sendto(&t);
	if (!strcmp(mode, "thread") && argc == 5 && !target_of(argv[3], argv[4], &t))
		return thread(argv[2], &t);
	if (!strcmp(mode, "reuse") && argc == 7 && !target_of(argv[3], argv[4], &d) &&
	    !target_of(argv[5], argv[6], &t))
		return reuse(atoi(argv[2]), &d, &t);
	fprintf(stderr, "usage: tmode serve|tfo MS|sendto|thread NAME|reuse MS DADDR DPORT ... "
			"ADDR PORT\n");
	return 2;
}

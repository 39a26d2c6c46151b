// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Test traffic for the integration tests: makes blocking TCP connects and reports the local
 * port of each, so a test can match the tracer's lines to connects it made itself.
 *
 *   tconn [-l] [-s] [-w] [-F] [-a MS] [-n COUNT] [-c COMM] ADDR PORT
 *     -l        listen on ADDR:PORT first (the connects succeed; each is accepted and closed)
 *     -s        only serve: listen on ADDR:PORT, print "listening", accept and close forever
 *     -w        print "pid=N", then wait for a line on stdin before connecting
 *     -n COUNT  connects to make (default 1)
 *     -c COMM   set the process name first (prctl PR_SET_NAME; any bytes)
 *     -a MS     abort: connect without blocking, close the socket after MS ms
 *     -F        pass the address with the other family's tag (connect() fails at once)
 *
 * Prints one line per connect: "ok lport=N", "fail lport=N errno=E" or "closed lport=N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "port.h"

static int make_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -1;
}

int main(int argc, char **argv)
{
	int opt, count = 1, listen_fd = -1, fd = -1, af, i, one = 1, err = 1, abort_ms = -1;
	bool do_listen = false, serve = false, wait_go = false, wrong_family = false;
	struct sockaddr_storage ss;
	const char *comm = NULL;
	socklen_t len;
	char line[16];

	while ((opt = getopt(argc, argv, "lswFa:n:c:")) != -1) {
		switch (opt) {
		case 'l':
			do_listen = true;
			break;
		case 's':
			do_listen = serve = true;
			break;
		case 'w':
			wait_go = true;
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'c':
			comm = optarg;
			break;
		case 'a':
			abort_ms = atoi(optarg);
			break;
		case 'F':
			wrong_family = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 2 != argc || count < 1 || (abort_ms < 0 && abort_ms != -1))
		goto usage;
	af = make_addr(argv[optind], atoi(argv[optind + 1]), &ss, &len);
	if (af < 0)
		goto usage;
	if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0)) {
		perror("tconn: prctl");
		goto cleanup;
	}
	if (do_listen) {
		listen_fd = socket(af, SOCK_STREAM, 0);
		if (listen_fd < 0 ||
		    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(listen_fd, (struct sockaddr *)&ss, len) || listen(listen_fd, 128)) {
			perror("tconn: listen");
			goto cleanup;
		}
	}
	if (serve) {
		printf("listening\n");
		fflush(stdout);
		for (;;) {
			fd = accept(listen_fd, NULL, NULL);
			if (fd >= 0)
				close(fd);
		}
	}
	if (wait_go) {
		printf("pid=%d\n", getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			goto cleanup;
	}
	for (i = 0; i < count; i++) {
		int a;

		fd = socket(af, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("tconn: socket");
			goto cleanup;
		}
		if (wrong_family)
			ss.ss_family = af == AF_INET ? AF_INET6 : AF_INET;
		if (abort_ms >= 0 && fcntl(fd, F_SETFL, O_NONBLOCK)) {
			perror("tconn: fcntl");
			goto cleanup;
		}
		if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
			printf("fail lport=%d errno=%s\n", local_port(fd), strerrorname_np(errno));
		} else if (abort_ms >= 0) {
			usleep(abort_ms * 1000);
			printf("closed lport=%d\n", local_port(fd));
		} else {
			printf("ok lport=%d\n", local_port(fd));
		}
		fflush(stdout);
		close(fd);
		fd = -1;
		if (listen_fd >= 0) {
			a = accept(listen_fd, NULL, NULL);
			if (a >= 0)
				close(a);
		}
	}
	err = 0;
	goto cleanup;
usage:
	fprintf(stderr,
		"usage: tconn [-l] [-s] [-w] [-F] [-a MS] [-n COUNT] [-c COMM] ADDR PORT\n");
	err = 2;
cleanup:
	if (fd >= 0)
		close(fd);
	if (listen_fd >= 0)
		close(listen_fd);
	return err;
}

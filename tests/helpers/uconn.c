// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * io_uring connects (IORING_OP_CONNECT): the kernel connects without a connect() system
 * call, from the submitting thread or, when it has to wait, from an io_uring worker.
 *
 *   uconn [-n COUNT] ADDR PORT
 *
 * Prints "tid=N" (the submitting thread), then one line per connect: "ok lport=N" or
 * "fail lport=N errno=E".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "port.h"

int main(int argc, char **argv)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr *sa = (struct sockaddr *)&s4;
	socklen_t len = sizeof(s4);
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int count = 1, i, fd, res, af = AF_INET;

	if (argc == 5 && !strcmp(argv[1], "-n")) {
		count = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc != 3 || count < 1) {
		fprintf(stderr, "usage: uconn [-n COUNT] ADDR PORT\n");
		return 2;
	}
	s4.sin_port = s6.sin6_port = htons(atoi(argv[2]));
	if (inet_pton(AF_INET6, argv[1], &s6.sin6_addr) == 1) {
		af = AF_INET6;
		sa = (struct sockaddr *)&s6;
		len = sizeof(s6);
	} else if (inet_pton(AF_INET, argv[1], &s4.sin_addr) != 1) {
		fprintf(stderr, "uconn: bad address '%s'\n", argv[1]);
		return 2;
	}
	res = io_uring_queue_init(8, &ring, 0);
	if (res) {
		fprintf(stderr, "uconn: io_uring_queue_init: %s\n", strerror(-res));
		return 1;
	}
	printf("tid=%d\n", gettid());
	for (i = 0; i < count; i++) {
		fd = socket(af, SOCK_STREAM, 0);
		sqe = io_uring_get_sqe(&ring);
		if (fd < 0 || !sqe)
			return 1;
		io_uring_prep_connect(sqe, fd, sa, len);
		io_uring_submit(&ring);
		res = io_uring_wait_cqe(&ring, &cqe);
		if (res) {
			fprintf(stderr, "uconn: io_uring_wait_cqe: %s\n", strerror(-res));
			return 1;
		}
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (res < 0)
			printf("fail lport=%d errno=%s\n", local_port(fd), strerrorname_np(-res));
		else
			printf("ok lport=%d\n", local_port(fd));
		fflush(stdout);
		close(fd);
	}
	io_uring_queue_exit(&ring);
	return 0;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Connects spread over many loopback destinations, for -H --by daddr with many keys:
 *
 *   connspread ADDRS SECS PORT
 *
 * Listens on 0.0.0.0:PORT, then makes rounds of ADDRS connects, one to each of 127.0.1.1,
 * 127.0.1.2, ... (every 127/8 address is local), each accepted and both ends closed with a
 * reset (no TIME_WAIT), until SECS seconds have passed; the last round is completed, so every
 * address gets the same number of connects. Prints "rounds=R connects=N errors=E".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void close_reset(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* One connect to 127.0.1.0 + i (i from 1); 0 when it was made and accepted. */
static int one(int lfd, int i, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd, afd;

	a.sin_addr.s_addr = htonl(0x7f000100 + i);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	afd = accept(lfd, NULL, NULL);
	if (afd >= 0)
		close_reset(afd);
	close_reset(fd);
	return afd < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in any = {.sin_family = AF_INET};
	unsigned long rounds = 0, connects = 0, errors = 0;
	int addrs, port, lfd, i, on = 1;
	double end;

	if (argc != 4 || (addrs = atoi(argv[1])) < 1 || addrs > 254 * 200) {
		fprintf(stderr, "usage: connspread ADDRS SECS PORT\n");
		return 2;
	}
	end = now() + atof(argv[2]);
	port = atoi(argv[3]);
	any.sin_port = htons(port);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&any, sizeof(any)) || listen(lfd, 128)) {
		perror("connspread: listen");
		return 1;
	}
	do {
		/* Skip x.x.x.0 and x.x.x.255: 254 addresses per /24. */
		for (i = 0; i < addrs; i++) {
			if (one(lfd, i / 254 * 256 + i % 254 + 1, port))
				errors++;
			else
				connects++;
		}
		rounds++;
	} while (now() < end);
	printf("rounds=%lu connects=%lu errors=%lu\n", rounds, connects, errors);
	return errors ? 1 : 0;
}

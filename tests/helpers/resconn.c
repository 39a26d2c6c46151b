// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * A client that resolves a name with glibc's getaddrinfo() (so through /etc/resolv.conf, as
 * applications do) and connects to the first address at once, with nothing in between: the
 * tool's name for the connect must come from an answer its reader may not have read yet.
 *
 *   resconn [-4|-6] NAME PORT
 *
 * Prints "ok addr=A lport=N", or "fail ..." and exits 1.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "port.h"

int main(int argc, char **argv)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	char addr[INET6_ADDRSTRLEN];
	int fd, e, i = 1;

	if (argc > 1 && (!strcmp(argv[1], "-4") || !strcmp(argv[1], "-6"))) {
		hints.ai_family = argv[1][1] == '4' ? AF_INET : AF_INET6;
		i++;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: resconn [-4|-6] NAME PORT\n");
		return 2;
	}
	e = getaddrinfo(argv[i], argv[i + 1], &hints, &ai);
	if (e) {
		printf("fail resolve %s: %s\n", argv[i], gai_strerror(e));
		return 1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		perror("fail connect");
		return 1;
	}
	getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), NULL, 0, NI_NUMERICHOST);
	printf("ok addr=%s lport=%d\n", addr, local_port(fd));
	close(fd);
	freeaddrinfo(ai);
	return 0;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * make bench: -N's other hook candidate (bench/sockdns.bpf.c) on a packet socket of this
 * network namespace (every device, both directions), reading what it keeps. Prints "ready",
 * runs until SIGINT, then "packets=N" (DNS packets read).
 *   sockdns OBJECT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct bpf_object *obj;
	struct bpf_program *prog;
	unsigned long packets = 0;
	char buf[2048];
	int fd, pfd;

	if (argc != 2) {
		fprintf(stderr, "usage: sockdns OBJECT\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "sockdns: cannot load %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "sock_dns");
	pfd = bpf_program__fd(prog);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &pfd, sizeof(pfd))) {
		perror("sockdns: packet socket");
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 100) > 0)
			while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				packets++;
	}
	printf("packets=%lu\n", packets);
	close(fd);
	bpf_object__close(obj);
	return 0;
}

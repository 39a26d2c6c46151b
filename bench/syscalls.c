// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * What a tracer costs every system call of the machine, not only connect(): the exporter's and
 * -x's syscall trace event puts every task's syscalls on the kernel's traced path. Times N
 * getppid() calls (a syscall that does next to nothing) and prints "ns=NS per call".
 *
 *   syscalls [-n N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	long n = 5000000, i;
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			goto usage;
		n = strtol(optarg, &end, 10);
		if (*end || n <= 0) {
			fprintf(stderr, "syscalls: bad -n '%s'\n", optarg);
			return 2;
		}
	}
	if (optind != argc)
		goto usage;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("ns=%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
usage:
	fprintf(stderr, "usage: syscalls [-n N]\n");
	return 2;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Start-up time of a tracer: from fork+exec to the first stdout line containing MARK (a
 * header printed once the probes are attached), then SIGINT and wait.
 *
 *   startup [-n RUNS] [-t SECS] MARK COMMAND [ARGS...]
 *
 * Prints one line per run: "ms=M hwm_kb=K" (VmHWM of the tracer when MARK appeared), or
 * "failed" if it exited or timed out (-t, default 60 s) before printing MARK.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long vm_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* One run: returns the ms to MARK, or -1. */
static double one_run(const char *mark, char **cmd, int timeout_s, long *hwm)
{
	char buf[65536];
	size_t used = 0;
	double t0 = now_ms(), ms = -1;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -1;
	t0 = now_ms();
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		int left = timeout_s * 1000 - (int)(now_ms() - t0);

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		n = read(fds[0], buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			break;
		used += n;
		buf[used] = '\0';
		if (strstr(buf, mark)) {
			ms = now_ms() - t0;
			*hwm = vm_hwm_kb(pid);
			break;
		}
		if (used == sizeof(buf) - 1)
			used = 0;
	}
	kill(pid, SIGINT);
	/* Keep draining so that a tracer blocked on a full pipe can see the signal and exit. */
	while (read(fds[0], buf, sizeof(buf)) > 0)
		;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return ms;
}

int main(int argc, char **argv)
{
	int opt, runs = 10, timeout_s = 60, i;
	double ms;
	long hwm;

	while ((opt = getopt(argc, argv, "+n:t:")) != -1) {
		switch (opt) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 't':
			timeout_s = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 2 || runs < 1 || timeout_s < 1)
		goto usage;
	for (i = 0; i < runs; i++) {
		hwm = -1;
		ms = one_run(argv[optind], argv + optind + 1, timeout_s, &hwm);
		if (ms < 0)
			printf("failed\n");
		else
			printf("ms=%.1f hwm_kb=%ld\n", ms, hwm);
		fflush(stdout);
	}
	return 0;
usage:
	fprintf(stderr, "usage: startup [-n RUNS] [-t SECS] MARK COMMAND [ARGS...]\n");
	return 2;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * The reader of a command's standard output, for tests of a reader that goes away: runs CMD
 * with its stdout on a pipe (or, with -s, a unix stream socket), copies what CMD writes to
 * its own stdout, and closes its end of the pipe or socket as soon as a line (or EOF) comes
 * on its own stdin. Then it waits (at most 10 s) for CMD to exit.
 *
 *   outpeer [-s] CMD [ARGS...]
 *
 * Prints "pid=N" (CMD's) first, and last "status=S ms=M": CMD's exit status (128 + the
 * signal if one ended it, "timeout" if it was still running 10 s after the close; it is
 * then killed) and how many ms CMD took to exit after the close. CMD's stderr is outpeer's.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* The last byte copied: the status line must start a line of its own. */
static char last = '\n';

/* Copies what is readable on fd to stdout; false at EOF or on an error. */
static bool copy_out(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	fwrite(buf, 1, n, stdout);
	fflush(stdout);
	last = buf[n - 1];
	return true;
}

int main(int argc, char **argv)
{
	bool sock = argc > 1 && !strcmp(argv[1], "-s");
	int fds[2], argi = sock ? 2 : 1, status;
	struct pollfd p[2];
	long long closed;
	char line[256];
	pid_t pid;

	if (argi >= argc) {
		fprintf(stderr, "usage: outpeer [-s] CMD [ARGS...]\n");
		return 2;
	}
	if (sock ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds) : pipe(fds)) {
		perror("outpeer: pipe");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("outpeer: fork");
		return 1;
	}
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[argi], argv + argi);
		perror("outpeer: exec");
		_exit(127);
	}
	close(fds[1]);
	printf("pid=%d\n", (int)pid);
	fflush(stdout);

	/* Copy CMD's output until told (a line or EOF on stdin) to go away. */
	p[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
	p[1] = (struct pollfd){.fd = fds[0], .events = POLLIN};
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("outpeer: poll");
			return 1;
		}
		if (p[0].revents)
			break;
		if (p[1].revents && !copy_out(fds[0]))
			p[1].fd = -1; /* CMD closed its stdout: only wait for the cue */
	}
	if (fgets(line, sizeof(line), stdin) == NULL)
		line[0] = '\0';
	close(fds[0]);
	closed = now_ms();
	/* Closed in the middle of a line (a busy CMD): end it, or "status=" would join it. */
	if (last != '\n')
		putchar('\n');

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() - closed > 10000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			printf("status=timeout ms=%lld\n", now_ms() - closed);
			return 0;
		}
		usleep(5000);
	}
	printf("status=%d ms=%lld\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), now_ms() - closed);
	return 0;
}

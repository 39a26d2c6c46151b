// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Connect load for the benchmarks: loopback connect/accept/close loops, one per thread, each
 * thread with a listener of its own. The client closes with a reset (SO_LINGER 0), so no
 * TIME_WAIT piles up and round after round sees the same port space; with -f the server
 * closes first with a FIN (its side keeps the TIME_WAIT, on the listener's port).
 *
 *   loadgen [-6] [-f] [-t THREADS] [-n CONNECTS | -s SECONDS] [-r RATE] [-p PORT]
 *           [-H COUNT:PORT]
 *     -6            IPv6 (::1) instead of IPv4 (127.0.0.1)
 *     -f            close with FINs (the server first) instead of a reset
 *     -t THREADS    connect loops in parallel (default 1)
 *     -n CONNECTS   stop after this many connects in all (default 10000)
 *     -s SECONDS    stop after this long instead
 *     -r RATE       at most RATE connects/s in all (paced; default: as fast as possible)
 *     -p PORT       thread i listens on PORT + i (default: ports the kernel picks)
 *     -H COUNT:PORT first start COUNT non-blocking connects to PORT on the same address and
 *                   hold them open until the end (handshakes in flight when its SYNs drop)
 *
 * Prints one line: "connects=N errors=N secs=S rate=R held=N" (rate: connects per second).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

struct worker {
	pthread_t th;
	int lfd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint64_t quota;	      /* connects to make; 0: until the deadline */
	uint64_t interval_ns; /* pacing; 0: none */
	uint64_t deadline_ns; /* 0: none */
	uint64_t done, errors;
};

static bool ipv6;
static bool fin; /* -f */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000ull, .tv_nsec = ns % 1000000000ull};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static socklen_t loopback(struct sockaddr_storage *ss, int port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (ipv6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s4->sin_port = htons(port);
	return sizeof(*s4);
}

static int listen_on(struct worker *w, int port)
{
	int one = 1;

	w->lfd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (w->lfd < 0)
		return -1;
	setsockopt(w->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	w->addrlen = loopback(&w->addr, port);
	if (bind(w->lfd, (struct sockaddr *)&w->addr, w->addrlen) || listen(w->lfd, 128))
		return -1;
	return getsockname(w->lfd, (struct sockaddr *)&w->addr, &w->addrlen);
}

/* One connect, accepted and closed on both sides; returns 0 if it was established. */
static int one_connect(struct worker *w)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int fd, afd, err = 0;

	fd = socket(w->addr.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&w->addr, w->addrlen)) {
		close(fd);
		return -1;
	}
	afd = accept(w->lfd, NULL, NULL);
	if (afd < 0)
		err = -1;
	if (fin) {
		if (afd >= 0)
			close(afd);
		close(fd);
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	if (afd >= 0)
		close(afd);
	return err;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t next = now_ns();

	while (!w->quota || w->done + w->errors < w->quota) {
		if (w->deadline_ns && now_ns() >= w->deadline_ns)
			break;
		if (w->interval_ns) {
			sleep_until(next);
			next += w->interval_ns;
		}
		if (one_connect(w))
			w->errors++;
		else
			w->done++;
	}
	return NULL;
}

/* -H: COUNT connects started and left in flight; returns how many were started. */
static long hold(long count, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, port);
	struct rlimit rl;
	long i;
	int fd;

	rl.rlim_cur = rl.rlim_max = count + 1024;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		perror("loadgen: setrlimit");
	for (i = 0; i < count; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
			close(fd);
			break;
		}
	}
	return i;
}

static long number(const char *s, const char *what, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max) {
		fprintf(stderr, "loadgen: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	long threads = 1, connects = 10000, secs = 0, rate = 0, port = 0, hcount = 0, hport = 0;
	long held = 0, i;
	uint64_t start, total = 0, errors = 0, elapsed;
	char *colon;
	int opt;

	while ((opt = getopt(argc, argv, "6ft:n:s:r:p:H:")) != -1) {
		switch (opt) {
		case '6':
			ipv6 = true;
			break;
		case 'f':
			fin = true;
			break;
		case 't':
			threads = number(optarg, "thread count", MAX_THREADS);
			break;
		case 'n':
			connects = number(optarg, "connect count", 1000000000000l);
			break;
		case 's':
			secs = number(optarg, "duration", 86400);
			break;
		case 'r':
			rate = number(optarg, "rate", 100000000);
			break;
		case 'p':
			port = number(optarg, "port", 65535);
			break;
		case 'H':
			colon = strchr(optarg, ':');
			if (!colon) {
				fprintf(stderr, "loadgen: bad -H '%s': want COUNT:PORT\n", optarg);
				return 2;
			}
			*colon = '\0';
			hcount = number(optarg, "-H count", 1000000);
			hport = number(colon + 1, "-H port", 65535);
			break;
		default:
			fprintf(stderr,
				"usage: loadgen [-6] [-f] [-t THREADS] [-n CONNECTS | -s SECONDS] "
				"[-r RATE] [-p PORT] [-H COUNT:PORT]\n");
			return 2;
		}
	}
	if (threads < 1) {
		fprintf(stderr, "loadgen: bad thread count '0'\n");
		return 2;
	}
	if (hcount)
		held = hold(hcount, hport);
	for (i = 0; i < threads; i++) {
		if (listen_on(&w[i], port ? port + i : 0)) {
			perror("loadgen: listen");
			return 1;
		}
		if (!secs)
			w[i].quota = connects / threads + (i < connects % threads);
		if (rate)
			w[i].interval_ns = 1000000000ull * threads / rate;
	}
	start = now_ns();
	for (i = 0; i < threads; i++) {
		w[i].deadline_ns = secs ? start + secs * 1000000000ull : 0;
		if (pthread_create(&w[i].th, NULL, work, &w[i])) {
			fprintf(stderr, "loadgen: cannot start thread %ld\n", i);
			return 1;
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].done;
		errors += w[i].errors;
	}
	elapsed = now_ns() - start;
	printf("connects=%llu errors=%llu secs=%.3f rate=%.0f held=%ld\n",
	       (unsigned long long)total, (unsigned long long)errors, elapsed / 1e9,
	       total * 1e9 / elapsed, held);
	return errors ? 1 : 0;
}

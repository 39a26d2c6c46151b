// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Many threads inside connect() at once, for the map of threads in connect() (-x):
 *
 *   threadconn THREADS ADDR PORT
 *
 * Starts THREADS threads (small stacks), each making one blocking IPv4 connect to ADDR:PORT,
 * all released together once every thread exists. Prints "ok=N fail=N" when all have
 * returned (a port whose SYNs are dropped makes each wait for its timeout).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in dest = {.sin_family = AF_INET};
static pthread_barrier_t go;

static void *one(void *arg)
{
	long ok = 0;
	int fd;

	(void)arg;
	pthread_barrier_wait(&go);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0) {
		ok = !connect(fd, (struct sockaddr *)&dest, sizeof(dest));
		close(fd);
	}
	return (void *)ok;
}

int main(int argc, char **argv)
{
	pthread_attr_t attr;
	pthread_t *th;
	long n, i, ok = 0;
	void *r;

	if (argc != 4 || (n = atol(argv[1])) < 1 ||
	    inet_pton(AF_INET, argv[2], &dest.sin_addr) != 1) {
		fprintf(stderr, "usage: threadconn THREADS ADDR PORT\n");
		return 2;
	}
	dest.sin_port = htons(atoi(argv[3]));
	th = calloc(n, sizeof(*th));
	if (!th || pthread_barrier_init(&go, NULL, n + 1))
		return 1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < n; i++) {
		if (pthread_create(&th[i], &attr, one, NULL)) {
			fprintf(stderr, "threadconn: cannot start thread %ld\n", i);
			return 1;
		}
	}
	pthread_barrier_wait(&go);
	for (i = 0; i < n; i++) {
		pthread_join(th[i], &r);
		ok += (long)r;
	}
	printf("ok=%ld fail=%ld\n", ok, n - ok);
	return 0;
}

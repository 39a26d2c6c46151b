// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * A hostile DNS server for test_names.sh: sends DNS answers from ADDR port 53 to a socket
 * of its own on ADDR (which drains them), so that -N's hook sees them delivered.
 *
 *   baddns ADDR bad          the malformed answers (a truncated one, a compression loop,
 *                            counts past the end, a label of 64 bytes, a name of 319
 *                            bytes), one of 1000 A records, then a good one
 *                            (good.bad.test -> 127.0.0.87); prints "sent N malformed"
 *   baddns ADDR flood SECS [RATE]
 *                            well-formed answers (fN.flood.test -> 10.77.x.y) for SECS
 *                            seconds, RATE a second (default: as fast as it can); prints
 *                            "sent N"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint8_t msg[70000];
static size_t len;

static void put(const void *p, size_t n)
{
	memcpy(msg + len, p, n);
	len += n;
}

static void put16(unsigned v)
{
	uint8_t b[2] = {v >> 8, v & 0xff};

	put(b, 2);
}

static void put_name(const char *name)
{
	while (*name) {
		size_t n = strcspn(name, ".");

		msg[len++] = n;
		put(name, n);
		name += n + (name[n] == '.');
	}
	msg[len++] = 0;
}

/* Header with qd = 1 and an = an, then the question. */
static void header(const char *qname, unsigned an)
{
	len = 0;
	put16(0x4242);
	put16(0x8180);
	put16(1);
	put16(an);
	put16(0);
	put16(0);
	put_name(qname);
	put16(1);
	put16(1);
}

/* An A record owned by the question's name (a pointer to offset 12). */
static void a_rr(uint32_t addr)
{
	put16(0xc00c);
	put16(1);
	put16(1);
	put16(0);
	put16(300);
	put16(4);
	put(&addr, 4);
}

static int tx, rx;
static struct sockaddr_in to;

static void send_msg(void)
{
	char buf[70000];

	while (sendto(tx, msg, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (errno != EAGAIN && errno != ENOBUFS) {
			perror("baddns: sendto");
			exit(1);
		}
	}
	/* Drain what arrived: the receiver's buffer never fills. */
	while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int bad(void)
{
	char name[400];
	int i, n = 0;

	/* Truncated inside its answer record. */
	header("trunc.bad.test", 1);
	a_rr(htonl(0x0a4d0001));
	len -= 3;
	send_msg(), n++;
	/* A compression loop: the answer's owner points at itself. */
	header("loop.bad.test", 1);
	put16(0xc000 | len);
	put16(1), put16(1), put16(0), put16(60), put16(4), put("\x0a\x4d\0\2", 4);
	send_msg(), n++;
	/* Five answers announced, one there. */
	header("count.bad.test", 5);
	a_rr(htonl(0x0a4d0003));
	send_msg(), n++;
	/* A label of 64 bytes. */
	memset(name, 'l', 64);
	strcpy(name + 64, ".bad.test");
	header(name, 1);
	a_rr(htonl(0x0a4d0004));
	send_msg(), n++;
	/* A name of 5 labels of 63: 320 bytes on the wire. */
	for (i = 0; i < 5; i++) {
		memset(name + 64 * i, 'n', 63);
		name[64 * i + 63] = '.';
	}
	name[319] = '\0';
	header(name, 1);
	a_rr(htonl(0x0a4d0005));
	send_msg(), n++;
	/* 1000 A records: well-formed, but longer than the capture. */
	header("many.bad.test", 1000);
	for (i = 0; i < 1000; i++)
		a_rr(htonl(0x0a4e0000 | i));
	send_msg();
	/* The control: a good answer after all of them. */
	header("good.bad.test", 1);
	a_rr(htonl(0x7f000057)); /* 127.0.0.87 */
	send_msg();
	printf("sent %d malformed\n", n);
	return 0;
}

static uint64_t elapsed_ns(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000000ull + t.tv_nsec - t0->tv_nsec;
}

static int flood(int secs, unsigned long rate)
{
	struct timespec t0;
	unsigned long n = 0;
	uint64_t now, due;
	char name[64];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		snprintf(name, sizeof(name), "f%lu.flood.test", n);
		header(name, 1);
		a_rr(htonl(0x0a4d0000 | (n & 0xffff)));
		send_msg();
		n++;
		if (n & 255)
			continue;
		now = elapsed_ns(&t0);
		if (now >= secs * 1000000000ull)
			break;
		/* Paced in batches of 256: ahead of RATE, wait for the schedule. */
		due = rate ? n * 1000000000ull / rate : 0;
		if (due > now)
			nanosleep(&(struct timespec){.tv_sec = (due - now) / 1000000000,
						     .tv_nsec = (due - now) % 1000000000},
				  NULL);
	}
	printf("sent %lu\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(53)};
	socklen_t alen = sizeof(to);
	int big = 4 << 20;

	if (argc < 3 || inet_pton(AF_INET, argv[1], &from.sin_addr) != 1) {
		fprintf(stderr, "usage: baddns ADDR bad | baddns ADDR flood SECS [RATE]\n");
		return 2;
	}
	to = from;
	to.sin_port = 0;
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(tx, (struct sockaddr *)&from, sizeof(from)) ||
	    bind(rx, (struct sockaddr *)&to, sizeof(to)) ||
	    getsockname(rx, (struct sockaddr *)&to, &alen)) {
		perror("baddns: bind");
		return 1;
	}
	if (!strcmp(argv[2], "bad"))
		return bad();
	if (!strcmp(argv[2], "flood") && (argc == 4 || argc == 5))
		return flood(atoi(argv[3]), argc == 5 ? strtoul(argv[4], NULL, 10) : 0);
	fprintf(stderr, "usage: baddns ADDR bad | baddns ADDR flood SECS [RATE]\n");
	return 2;
}

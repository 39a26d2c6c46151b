// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * libFuzzer target for parse_args(). The input, split at its NUL bytes, is the argument list
 * after "tcpconnlat" (a trailing NUL starts no new argument; at most MAX_ARGS are taken).
 * Besides the sanitizers' checks, abort()s when a documented property breaks:
 *   PARSE_USAGE  exactly one line on err, "tcpconnlat: ... (try 'tcpconnlat --help')", no
 *                control bytes in it; nothing on out
 *   PARSE_EXIT   something on out, ending in a newline; nothing on err
 *   PARSE_RUN    nothing printed; every config field within the bounds args.h documents,
 *                strings pointing into the arguments
 * and when a second parse of the same arguments differs from the first in any way (getopt
 * keeps state between calls; the tool parses once, the tests many times).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "args.h"
#include "hist.h"

#define MAX_ARGS 64

struct parsed {
	char *argv[MAX_ARGS + 2];
	int argc;
	enum parse_result res;
	struct config cfg;
	char *out, *err;
	size_t out_len, err_len;
};

/* Names the broken property and the arguments (printable), then aborts for libFuzzer. */
static void fail(const char *what, const struct parsed *p)
{
	int i;

	fprintf(stderr, "fuzz_args: %s\nargs:", what);
	for (i = 1; i < p->argc; i++) {
		const unsigned char *s = (const unsigned char *)p->argv[i];

		fputs(" '", stderr);
		for (; *s; s++)
			fprintf(stderr, *s >= ' ' && *s < 0x7f ? "%c" : "\\x%02x", *s);
		fputc('\'', stderr);
	}
	fprintf(stderr, "\nresult %d\nout: %.300s\nerr: %.300s\n", p->res, p->out, p->err);
	abort();
}

#define CHECK(cond, p)                                 \
	do {                                           \
		if (!(cond))                           \
			fail("violated: " #cond, (p)); \
	} while (0)

static void parse(char *buf, size_t size, struct parsed *p)
{
	size_t i = 0;
	FILE *out, *err;

	p->argc = 0;
	p->argv[p->argc++] = "tcpconnlat";
	while (i < size && p->argc <= MAX_ARGS) {
		p->argv[p->argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	p->argv[p->argc] = NULL;
	out = open_memstream(&p->out, &p->out_len);
	err = open_memstream(&p->err, &p->err_len);
	if (!out || !err)
		abort();
	p->res = parse_args(p->argc, p->argv, &p->cfg, out, err);
	if (fclose(out) || fclose(err))
		abort();
}

/* A string the config keeps must be (a tail of) one of the arguments. */
static bool in_args(const char *s, const char *buf, size_t size)
{
	return !s || (s >= buf && s <= buf + size);
}

static void check_usage(const struct parsed *p)
{
	static const char head[] = "tcpconnlat: ", tail[] = " (try 'tcpconnlat --help')\n";
	size_t i;

	CHECK(p->out_len == 0, p);
	CHECK(p->err_len == strlen(p->err), p);
	CHECK(p->err_len > strlen(head) + strlen(tail), p);
	CHECK(!strncmp(p->err, head, strlen(head)), p);
	CHECK(!strcmp(p->err + p->err_len - strlen(tail), tail), p);
	/* One line: the value as typed is shown with its control bytes escaped. */
	for (i = 0; i + 1 < p->err_len; i++)
		CHECK((unsigned char)p->err[i] >= ' ' && p->err[i] != 0x7f, p);
}

static void check_run(const struct parsed *p, const char *buf, size_t size)
{
	const struct config *c = &p->cfg;
	int i, j;

	CHECK(p->out_len == 0 && p->err_len == 0, p);
	CHECK(c->pid <= PID_MAX, p);
	CHECK(c->min_us <= (uint64_t)(MIN_MS_MAX * 1000), p);
	CHECK(c->af == 0 || c->af == AF_INET || c->af == AF_INET6, p);
	CHECK(c->hist_by == HIST_BY_NONE || hist_by_parse(hist_by_name(c->hist_by)) == c->hist_by,
	      p);
	CHECK(c->interval <= INTERVAL_MAX, p);
	CHECK(c->hist || c->exporter || (!c->interval && c->hist_by == HIST_BY_NONE), p);
	CHECK(c->count <= COUNT_MAX && !(c->hist && c->count), p);
	CHECK(c->duration <= DURATION_MAX, p);
	CHECK(c->buffer_pages >= 1 && c->buffer_pages <= BUFFER_PAGES_MAX, p);
	CHECK(!(c->buffer_pages & (c->buffer_pages - 1)), p);
	CHECK(c->ndports >= 0 && c->ndports <= MAX_DPORTS, p);
	for (i = 0; i < c->ndports; i++) {
		CHECK(c->dports[i] >= 1, p);
		for (j = 0; j < i; j++)
			CHECK(c->dports[i] != c->dports[j], p);
	}
	for (i = c->ndports; i < MAX_DPORTS; i++)
		CHECK(c->dports[i] == 0, p);
	if (c->daddr_af == AF_INET)
		CHECK(c->daddr_bits >= 0 && c->daddr_bits <= 32, p);
	else if (c->daddr_af == AF_INET6)
		CHECK(c->daddr_bits >= 0 && c->daddr_bits <= 128, p);
	else
		CHECK(c->daddr_af == 0 && !c->daddr_text, p);
	CHECK(!c->daddr_af || c->daddr_text, p);
	CHECK(!c->af || !c->daddr_af || c->af == c->daddr_af, p);
	/* (uid_t)-1 is "no user" to the kernel, never a user id to match. */
	CHECK(c->filter_uid || c->uid == 0, p);
	CHECK(c->uid != UINT32_MAX, p);
	CHECK(!c->comm || (strlen(c->comm) >= 1 && strlen(c->comm) < TASK_COMM_LEN), p);
	CHECK(!c->cgroup_path || *c->cgroup_path, p);
	CHECK(!c->btf_path || *c->btf_path, p);
	CHECK(c->backend >= BACKEND_AUTO && c->backend <= BACKEND_TRACEPOINT, p);
	CHECK(in_args(c->comm, buf, size) && in_args(c->cgroup_path, buf, size) &&
		      in_args(c->btf_path, buf, size) && in_args(c->daddr_text, buf, size) &&
		      in_args(c->metrics_text, buf, size) && in_args(c->textfile, buf, size) &&
		      in_args(c->container_api, buf, size) && in_args(c->pod_logs, buf, size),
	      p);
}

/* The config with its strings as offsets into the arguments, to compare two parses. */
static struct config relative(const struct config *c, const char *buf)
{
	struct config r = *c;

#define REL(f) r.f = c->f ? (const char *)(uintptr_t)(c->f - buf + 1) : NULL
	REL(comm);
	REL(cgroup_path);
	REL(btf_path);
	REL(daddr_text);
	REL(metrics_text);
	REL(textfile);
	REL(container_api);
	REL(pod_logs);
#undef REL
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *again = malloc(size + 1);
	struct parsed p = {0}, q = {0};
	struct config a, b;

	if (!buf || !again)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	memcpy(again, buf, size + 1);

	parse(buf, size, &p);
	switch (p.res) {
	case PARSE_USAGE:
		check_usage(&p);
		break;
	case PARSE_EXIT:
		CHECK(p.err_len == 0 && p.out_len > 0, &p);
		CHECK(p.out[p.out_len - 1] == '\n', &p);
		break;
	case PARSE_RUN:
		check_run(&p, buf, size);
		break;
	default:
		CHECK(!"a parse_result", &p);
	}

	parse(again, size, &q);
	a = relative(&p.cfg, buf);
	b = relative(&q.cfg, again);
	CHECK(q.res == p.res, &q);
	CHECK(q.out_len == p.out_len && !memcmp(q.out, p.out, p.out_len), &q);
	CHECK(q.err_len == p.err_len && !memcmp(q.err, p.err, p.err_len), &q);
	CHECK(p.res != PARSE_RUN || !memcmp(&a, &b, sizeof(a)), &q);

	free(p.out);
	free(p.err);
	free(q.out);
	free(q.err);
	free(buf);
	free(again);
	return 0;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * libFuzzer target for what the tool does with the kernel's bytes: events_record() decoding
 * a perf record, fmt_header()/fmt_event() and json_event() formatting a struct event. Each
 * input is read three ways:
 *   1. as a struct event (the bytes there, zeros past the input), formatted as text with no
 *      optional column and with all of them, and as JSON;
 *   2. its first byte choosing the options (bit 0 TIME(s), 1 LPORT, 2 SYNRTX, 3 RESULT,
 *      4 JSON), the rest as the event, formatted by the same formatter as event 1, so that
 *      TIME(s) counts from an arbitrary first event;
 *   3. as a perf record, in a buffer of exactly the size its header gives (libbpf hands the
 *      callback a record whose header.size bytes are readable, nothing more): ASan catches a
 *      read past it; the result and the callbacks must match the record; a delivered event
 *      is formatted with the options of 2, as main.c's handle_event does.
 * A text line must be one line of printable ASCII with one word per column (the header's
 * count), PID, COMM (unescaped), addresses and ports reading back as the event's. A JSON
 * line must be one line, valid UTF-8 without raw control bytes, one flat object with the
 * documented keys in order, its numbers and "comm" reading back as the event's.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "events.h"
#include "format.h"
#include "json.h"

static const struct event *cur_event;

static void fail(const char *what, const char *line)
{
	const unsigned char *b = (const unsigned char *)cur_event;
	size_t i;

	fprintf(stderr, "fuzz_event: %s\nline: %s\nevent:", what, line ? line : "-");
	for (i = 0; cur_event && i < sizeof(*cur_event); i++)
		fprintf(stderr, " %02x", b[i]);
	fputc('\n', stderr);
	abort();
}

#define CHECK(cond, line)                               \
	do {                                            \
		if (!(cond))                            \
			fail("violated: " #cond, line); \
	} while (0)

/* ---- text ---- */

#define MAX_WORDS 16

/* Splits a copy of line at its blanks; returns the number of words. */
static int words(const char *line, char *copy, size_t len, char **w)
{
	char *save, *tok;
	int n = 0;

	snprintf(copy, len, "%s", line);
	for (tok = strtok_r(copy, " \n", &save); tok && n < MAX_WORDS;
	     tok = strtok_r(NULL, " \n", &save))
		w[n++] = tok;
	return n;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The reverse of escape_comm(): "\xHH" back to its byte; SIZE_MAX if a backslash starts
 * anything else. */
static size_t unescape(const char *s, char *out, size_t len)
{
	size_t n = 0;

	while (*s && n < len) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		if (s[1] != 'x' || hexval(s[2]) < 0 || hexval(s[3]) < 0)
			return SIZE_MAX;
		out[n++] = hexval(s[2]) << 4 | hexval(s[3]);
		s += 4;
	}
	return *s ? SIZE_MAX : n;
}

static void check_addr(const char *word, const struct event *e, const __u8 *addr, const char *line)
{
	__u8 back[16];

	if (e->af != AF_INET && e->af != AF_INET6) {
		CHECK(!strcmp(word, "?"), line);
		return;
	}
	CHECK(inet_pton(e->af, word, back) == 1, line);
	CHECK(!memcmp(back, addr, e->af == AF_INET ? 4 : 16), line);
}

static void check_text(const struct formatter *f, const struct event *e, const char *line, size_t n)
{
	char hdr[FMT_LINE_MAX], copy[FMT_LINE_MAX], hcopy[FMT_LINE_MAX], num[24];
	char comm[TASK_COMM_LEN + 1], *w[MAX_WORDS], *hw[MAX_WORDS];
	int nw, nh, i = 0;
	size_t k;

	CHECK(n > 0 && n < FMT_LINE_MAX && n == strlen(line) && line[n - 1] == '\n', line);
	for (k = 0; k + 1 < n; k++)
		CHECK(line[k] >= ' ' && line[k] <= '~', line);
	CHECK(line[0] != ' ' && line[n - 2] != ' ', line);
	fmt_header(f, hdr, sizeof(hdr));
	nh = words(hdr, hcopy, sizeof(hcopy), hw);
	nw = words(line, copy, sizeof(copy), w);
	CHECK(nh == 7 + f->timestamp + f->lport + f->syn_retrans + f->result + !!f->cgroups, hdr);
	CHECK(nw == nh, line);

	i += f->timestamp;
	snprintf(num, sizeof(num), "%u", e->tgid);
	CHECK(!strcmp(w[i++], num), line);
	if (!e->comm[0]) {
		CHECK(!strcmp(w[i], "-"), line);
	} else {
		k = unescape(w[i], comm, sizeof(comm));
		CHECK(k == strnlen(e->comm, TASK_COMM_LEN) && !memcmp(comm, e->comm, k), line);
	}
	i++;
	CHECK(!strcmp(w[i++], e->af == AF_INET ? "4" : e->af == AF_INET6 ? "6" : "?"), line);
	check_addr(w[i++], e, e->saddr, line);
	if (f->lport) {
		snprintf(num, sizeof(num), "%u", e->lport);
		CHECK(!strcmp(w[i++], num), line);
	}
	check_addr(w[i++], e, e->daddr, line);
	snprintf(num, sizeof(num), "%u", e->dport);
	CHECK(!strcmp(w[i++], num), line);
	snprintf(num, sizeof(num), "%.2f", e->delta_us / 1000.0);
	CHECK(!strcmp(w[i++], num), line);
	if (f->syn_retrans) {
		snprintf(num, sizeof(num), "%u", e->syn_retrans);
		CHECK(!strcmp(w[i++], num), line);
	}
	if (f->cgroups) {
		/* No cgroup2 mount behind it: every cgroup is shown by its id. */
		snprintf(num, sizeof(num), "id:%llu", (unsigned long long)e->cgroup_id);
		CHECK(!strcmp(w[nw - 1], num), line);
	}
	CHECK(i + f->result + !!f->cgroups == nw, line);
}

/* ---- JSON ---- */

/* The keys, in the order the README documents. */
static const char *const json_keys[] = {
	"time",		"pid",	     "comm",   "ip",	    "saddr",	   "lport",   "daddr",
	"dport",	"lat_us",    "result", "errno",	    "syn_retrans", "backend", "cgroup",
	"container_id", "container", "pod",    "namespace", "dhost",
};
#define NKEYS (sizeof(json_keys) / sizeof(json_keys[0]))

/* Length of the valid UTF-8 sequence at s, 0 if there is none (checked independently of
 * json.c's own reading). */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
	size_t len = s[0] < 0x80	     ? 1
		     : (s[0] & 0xe0) == 0xc0 ? 2
		     : (s[0] & 0xf0) == 0xe0 ? 3
		     : (s[0] & 0xf8) == 0xf0 ? 4
					     : 0;
	uint32_t cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	size_t i;

	if (!len || (size_t)(end - s) < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string at *s: moves past it and decodes it into out ("\u00XX" as the byte XX,
 * the tool's escape for a byte that is no UTF-8). False if it is no valid JSON string. */
static bool j_string(const char **s, char *out, size_t len, size_t *n)
{
	const char *p = *s;
	unsigned int u;

	*n = 0;
	if (*p++ != '"')
		return false;
	for (; *p != '"'; p++) {
		char c = *p;

		if ((unsigned char)c < 0x20)
			return false; /* the NUL at the end included */
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				if (strspn(p + 1, "0123456789abcdefABCDEF") < 4 ||
				    sscanf(p + 1, "%4x", &u) != 1)
					return false;
				c = u < 0x100 ? (char)u : '?';
				p += 4;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				c = *p == '"' || *p == '\\' || *p == '/' ? *p : '?';
			} else {
				return false;
			}
		}
		if (*n < len)
			out[*n] = c;
		++*n;
	}
	*s = p + 1;
	return true;
}

/* A JSON number (RFC 8259 grammar) at *s: moves past it. */
static bool j_number(const char **s)
{
	const char *p = *s;

	p += *p == '-';
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p += strspn(p, "0123456789");
	else
		return false;
	if (*p == '.') {
		if (!strspn(p + 1, "0123456789"))
			return false;
		p += 1 + strspn(p + 1, "0123456789");
	}
	if (*p == 'e' || *p == 'E') {
		p += 1 + (p[1] == '+' || p[1] == '-');
		if (!strspn(p, "0123456789"))
			return false;
		p += strspn(p, "0123456789");
	}
	*s = p;
	return true;
}

struct jvalue {
	const char *text; /* as written */
	size_t len;
	char str[128]; /* a string, decoded */
	size_t str_len;
};

static struct json_ctx jctx;
/* What -G and -j use, with no cgroup2 mount behind it. */
static struct cgroups no_mount = {.mount_fd = -1};

/* The object json_event() writes: flat, the documented keys in order, strings, numbers
 * or null as values, then the newline and nothing else. */
static bool j_object(const char *p, struct jvalue *v)
{
	char key[32];
	size_t n, i;

	if (*p++ != '{')
		return false;
	for (i = 0; i < NKEYS; i++) {
		if (i && *p++ != ',')
			return false;
		if (!j_string(&p, key, sizeof(key), &n) || n != strlen(json_keys[i]) ||
		    memcmp(key, json_keys[i], n) || *p++ != ':')
			return false;
		v[i].text = p;
		v[i].str_len = 0;
		if (*p == '"') {
			if (!j_string(&p, v[i].str, sizeof(v[i].str), &v[i].str_len))
				return false;
		} else if (!strncmp(p, "null", 4)) {
			p += 4;
		} else if (!j_number(&p)) {
			return false;
		}
		v[i].len = p - v[i].text;
	}
	return !strcmp(p, "}\n");
}

static void check_num(const struct jvalue *v, unsigned long long want, const char *line)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", want);
	CHECK(v->len == strlen(num) && !memcmp(v->text, num, v->len), line);
}

static void check_json(const struct event *e, const char *line, size_t n)
{
	const unsigned char *s = (const unsigned char *)line, *end = s + n;
	struct jvalue v[NKEYS];
	size_t k, comm_len = strnlen(e->comm, TASK_COMM_LEN);

	CHECK(n > 0 && n < JSON_LINE_MAX - 1 && n == strlen(line) && line[n - 1] == '\n', line);
	while (s < end - 1) {
		CHECK(*s >= 0x20, line);
		k = utf8_seq(s, end);
		CHECK(k > 0, line);
		s += k;
	}
	CHECK(j_object(line, v), line);
	check_num(&v[1], e->tgid, line);
	CHECK(v[2].str_len == comm_len && !memcmp(v[2].str, e->comm, comm_len), line);
	CHECK(!strncmp(v[3].text,
		       e->af == AF_INET	   ? "4,"
		       : e->af == AF_INET6 ? "6,"
					   : "null,",
		       v[3].len + 1),
	      line);
	check_num(&v[5], e->lport, line);
	check_num(&v[7], e->dport, line);
	check_num(&v[8], e->delta_us, line);
	check_num(&v[11], e->syn_retrans, line);
	if (jctx.cgroups) {
		char id[32];

		snprintf(id, sizeof(id), "id:%llu", (unsigned long long)e->cgroup_id);
		CHECK(v[13].str_len == strlen(id) && !memcmp(v[13].str, id, v[13].str_len), line);
	} else {
		CHECK(v[13].len == 4 && !memcmp(v[13].text, "null", 4), line);
	}
	CHECK(v[10].text[0] == (e->failed && e->err ? '"' : 'n'), line);
}

/* ---- the three readings ---- */

struct opts {
	struct formatter fmt;
	bool json;
	bool cgroups;
};

static void format(struct opts *o, const struct event *e)
{
	char line[JSON_LINE_MAX];
	size_t n;

	cur_event = e;
	/* Stale bytes must not pass for output: fill the buffer first. */
	memset(line, 'Z', sizeof(line));
	if (o->json) {
		jctx.cgroups = o->cgroups ? &no_mount : NULL;
		n = json_event(&jctx, e, line, sizeof(line));
		check_json(e, line, n);
	} else {
		n = fmt_event(&o->fmt, e, line, sizeof(line));
		check_text(&o->fmt, e, line, n);
	}
}

static void set_opts(struct opts *o, uint8_t bits)
{
	fmt_init(&o->fmt, bits & 1, bits & 2);
	o->fmt.syn_retrans = bits & 4;
	o->fmt.result = bits & 8;
	o->json = bits & 16;
	o->cgroups = bits & 32;
	o->fmt.cgroups = o->cgroups ? &no_mount : NULL;
}

struct seen {
	int events, lost_calls, cpu;
	uint64_t lost;
	struct event e;
	struct opts *o;
};

static void on_event(void *ctx, const struct event *e)
{
	struct seen *s = ctx;

	s->events++;
	s->e = *e;
	format(s->o, e);
}

static void on_lost(void *ctx, int cpu, uint64_t n)
{
	struct seen *s = ctx;

	s->lost_calls++;
	s->cpu = cpu;
	s->lost = n;
}

/* Events are 80 bytes; a longer input is read no further by 1 and 2. */
static struct event event_at(const uint8_t *data, size_t size)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	return e;
}

static void record(const uint8_t *data, size_t size, struct opts *o)
{
	struct perf_event_header h = {0};
	struct seen s = {.o = o};
	struct event_sink sink = {on_event, on_lost, &s};
	size_t len;
	uint32_t raw;
	uint64_t lost;
	int cpu = size % 8, want, got;
	unsigned char *rec;

	memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
	/* The header itself is always there; past it, exactly what it claims. */
	len = h.size < sizeof(h) ? sizeof(h) : h.size;
	rec = calloc(1, len);
	if (!rec)
		abort();
	memcpy(rec, data, size < len ? size : len);

	want = -1;
	if (h.type == PERF_RECORD_SAMPLE && h.size >= 12) {
		memcpy(&raw, rec + 8, 4);
		if (raw >= sizeof(struct event) && raw <= h.size - 12u)
			want = 1;
	} else if (h.type == PERF_RECORD_LOST && h.size >= 24) {
		want = 0;
	}
	cur_event = NULL;
	got = events_record(&sink, cpu, (const struct perf_event_header *)rec);
	cur_event = NULL; /* format() pointed it at events_record()'s copy, gone now */
	CHECK(got == want, NULL);
	CHECK(s.events == (want == 1) && s.lost_calls == (want == 0), NULL);
	if (want == 1)
		CHECK(!memcmp(&s.e, rec + 12, sizeof(s.e)), NULL);
	if (want == 0) {
		memcpy(&lost, rec + 16, 8);
		CHECK(s.cpu == cpu && s.lost == lost, NULL);
	}
	free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event plain = event_at(data, size), opt;
	struct opts none, all, chosen;
	struct timespec mono, real;

	if (!jctx.backend) {
		/* As main.c sets it up: the wall clock's offset from CLOCK_MONOTONIC. */
		clock_gettime(CLOCK_MONOTONIC, &mono);
		clock_gettime(CLOCK_REALTIME, &real);
		jctx.backend = "tracepoint";
		jctx.wall_offset_us = (real.tv_sec - mono.tv_sec) * 1000000ll +
				      (real.tv_nsec - mono.tv_nsec) / 1000;
	}

	set_opts(&none, 0);
	set_opts(&all, 15 | 32);
	format(&none, &plain);
	format(&all, &plain);
	set_opts(&none, 16);
	format(&none, &plain);
	set_opts(&none, 16 | 32);
	format(&none, &plain);

	if (size) {
		set_opts(&chosen, data[0]);
		opt = event_at(data + 1, size - 1);
		if (!chosen.json)
			format(&chosen, &plain);
		format(&chosen, &opt);
		set_opts(&chosen, data[0]);
		record(data, size, &chosen);
	}
	return 0;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "namer.h"

#define NS_PER_S 1000000000ull

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

struct answer_ctx {
	struct namer *nm;
	uint64_t ts_ns;
};

static void on_addr(void *ctx, int af, const void *addr, const char *qname, uint32_t ttl)
{
	struct answer_ctx *a = ctx;

	names_add(&a->nm->cache, af, addr, qname, a->ts_ns, ttl);
}

static enum bpf_perf_event_ret on_record(void *ctx, int cpu, struct perf_event_header *h)
{
	const struct sample_record *sr = (const void *)h;
	const struct lost_record *lr = (const void *)h;
	struct namer *nm = ctx;
	struct answer_ctx a = {.nm = nm};
	struct dns_record r;

	(void)cpu;
	if (h->type == PERF_RECORD_LOST && h->size >= sizeof(*lr)) {
		nm->lost += lr->lost;
	} else if (h->type == PERF_RECORD_SAMPLE && h->size >= sizeof(*sr) &&
		   sr->size <= h->size - sizeof(*sr) && sr->size >= sizeof(r)) {
		memcpy(&r, sr->data, sizeof(r));
		a.ts_ns = r.ts_ns;
		/* The record is in the ring; the parser reads it in place (bytes, no alignment). */
		dns_parse_record(sr->data, sr->size, on_addr, &a, &nm->st);
	}
	return LIBBPF_PERF_EVENT_CONT;
}

static void load_hosts(struct namer *nm)
{
	struct stat sb;
	FILE *f;

	if (stat(nm->hosts_path, &sb)) {
		/* Gone: its names go too. */
		if (nm->hosts_known) {
			names_load_hosts(&nm->cache, NULL);
			nm->hosts_known = false;
		}
		return;
	}
	if (nm->hosts_known && sb.st_mtim.tv_sec == nm->hosts_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == nm->hosts_mtime.tv_nsec)
		return;
	f = fopen(nm->hosts_path, "re");
	if (!f)
		return;
	names_load_hosts(&nm->cache, f);
	fclose(f);
	nm->hosts_mtime = sb.st_mtim;
	nm->hosts_known = true;
}

int namer_open(struct namer *nm, int fd, size_t pages, bool verbose, FILE *err)
{
	struct perf_event_attr attr;
	const char *hosts = getenv(NAMER_HOSTS_ENV);
	int e;

	memset(nm, 0, sizeof(*nm));
	nm->verbose = verbose;
	nm->err = err;
	nm->hosts_path = hosts && *hosts ? hosts : NAMER_HOSTS_DEFAULT;
	e = names_init(&nm->cache, NAMES_MAX_DEFAULT);
	if (e)
		return e;
	/* Woken a quarter full, as the events: a burst of answers costs one wakeup per batch. */
	events_attr(&attr, events_wakeup_bytes(pages * getpagesize()));
	nm->pb = perf_buffer__new_raw(fd, pages, &attr, on_record, nm, NULL);
	if (!nm->pb) {
		e = -errno;
		names_free(&nm->cache);
		return e;
	}
	load_hosts(nm);
	nm->next_tick_ns = mono_ns() + NS_PER_S;
	return 0;
}

int namer_epoll_fd(const struct namer *nm)
{
	return perf_buffer__epoll_fd(nm->pb);
}

void namer_consume(struct namer *nm)
{
	nm->consumed_ns = mono_ns();
	perf_buffer__consume(nm->pb);
}

const char *namer_name(struct namer *nm, const struct event *e)
{
	uint64_t start_ns = (e->ts_us - e->delta_us) * 1000;

	if (nm->consumed_ns <= e->ts_us * 1000)
		namer_consume(nm);
	return names_lookup(&nm->cache, e->af, e->daddr, start_ns, mono_ns());
}

void namer_tick(struct namer *nm)
{
	uint64_t now = mono_ns();
	const struct dns_stats *s = &nm->st, *o = &nm->said;

	if (now < nm->next_tick_ns)
		return;
	nm->next_tick_ns = now + NS_PER_S;
	namer_consume(nm);
	load_hosts(nm);
	names_expire(&nm->cache, now);
	if (nm->verbose &&
	    (s->malformed > o->malformed || s->cut > o->cut || s->tcp_split > o->tcp_split ||
	     nm->lost > nm->said_lost || nm->cache.evicted > nm->said_evicted))
		fprintf(nm->err,
			"tcpconnlat: names: %llu DNS answers (%llu addresses) so far; dropped "
			"%llu malformed, %llu cut by the capture, %llu split over TCP segments, "
			"%llu lost; %llu names evicted\n",
			(unsigned long long)s->answers, (unsigned long long)s->addresses,
			(unsigned long long)s->malformed, (unsigned long long)s->cut,
			(unsigned long long)s->tcp_split, (unsigned long long)nm->lost,
			(unsigned long long)nm->cache.evicted);
	nm->said = *s;
	nm->said_lost = nm->lost;
	nm->said_evicted = nm->cache.evicted;
}

void namer_report(struct namer *nm, uint64_t bpf_lost)
{
	const struct dns_stats *s = &nm->st;
	uint64_t lost = bpf_lost > nm->lost ? bpf_lost : nm->lost;

	if (!nm->pb)
		return;
	if (nm->verbose || s->malformed || s->cut || s->tcp_split || lost || nm->cache.evicted)
		fprintf(nm->err,
			"tcpconnlat: names: %llu DNS answers read (%llu addresses); %llu malformed "
			"answers dropped, %llu cut by the capture (over %d bytes), %llu split over "
			"TCP segments, %llu lost (buffer full); %llu names evicted, %llu expired\n",
			(unsigned long long)s->answers, (unsigned long long)s->addresses,
			(unsigned long long)s->malformed, (unsigned long long)s->cut,
			DNS_CAPTURE_MAX, (unsigned long long)s->tcp_split, (unsigned long long)lost,
			(unsigned long long)nm->cache.evicted,
			(unsigned long long)nm->cache.expired);
}

void namer_close(struct namer *nm)
{
	perf_buffer__free(nm->pb);
	nm->pb = NULL;
	names_free(&nm->cache);
}

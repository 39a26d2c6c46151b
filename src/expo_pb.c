// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "expo_pb.h"
#include "metrics.pb-c.h"

typedef Io__Prometheus__Client__MetricFamily Family;
typedef Io__Prometheus__Client__Metric Metric;
typedef Io__Prometheus__Client__LabelPair LabelPair;
typedef Io__Prometheus__Client__Histogram Histogram;
typedef Io__Prometheus__Client__BucketSpan BucketSpan;

/*
 * A family's messages live in an arena, freed at once when the family is written: a scrape
 * of 10,000 label sets makes some 200,000 small objects.
 */
#define CHUNK_SIZE (256 * 1024)
struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

/*
 * Parsed label sets of the current family, reused while the text is the same: a key's
 * labels come once per sample (5 failure reasons), each reason's once per key.
 */
#define LABEL_CACHE 8
struct parsed {
	char *text;
	LabelPair **pairs;
	size_t n;
};

struct pbenc {
	struct strbuf *out;
	struct chunk *first, *cur; /* allocating from cur */
	Family fam;
	size_t cap; /* of fam.metric */
	bool open;
	struct parsed cache[LABEL_CACHE];
	unsigned next; /* the cache entry to replace next */
};

static void *alloc(struct pbenc *e, size_t n)
{
	struct chunk *c = e->cur;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	/* The chunks after cur are empty: the last family's, after arena_reset(). */
	if (c && c->size - c->used < n && c->next && c->next->size >= n)
		c = e->cur = c->next;
	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (!c) {
			e->out->oom = true;
			return NULL;
		}
		c->used = 0;
		c->size = size;
		c->next = e->cur ? e->cur->next : NULL;
		if (e->cur)
			e->cur->next = c;
		else
			e->first = c;
		e->cur = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

/* Everything allocated is free again, the memory kept for the next family. */
static void arena_reset(struct pbenc *e)
{
	struct chunk *c;

	for (c = e->first; c; c = c->next)
		c->used = 0;
	e->cur = e->first;
	memset(e->cache, 0, sizeof(e->cache));
}

static void arena_free(struct pbenc *e)
{
	struct chunk *c, *next;

	for (c = e->first; c; c = next) {
		next = c->next;
		free(c);
	}
	e->first = e->cur = NULL;
}

struct pbenc *pbenc_new(void)
{
	return calloc(1, sizeof(struct pbenc));
}

void pbenc_begin(struct pbenc *e, struct strbuf *out)
{
	e->out = out;
	e->open = false;
}

/* Writes the family as one length-delimited message. */
static void flush(struct pbenc *e)
{
	size_t n, len, pos = 0;
	uint8_t hdr[10], *p;

	if (!e->open)
		return;
	e->open = false;
	/* A family without samples (no label set yet) says nothing. */
	if (e->fam.n_metric && !e->out->oom) {
		len = protobuf_c_message_get_packed_size(&e->fam.base);
		for (n = len; n >= 0x80; n >>= 7)
			hdr[pos++] = (uint8_t)(n | 0x80);
		hdr[pos++] = (uint8_t)n;
		p = sb_extend(e->out, pos + len);
		if (p) {
			memcpy(p, hdr, pos);
			protobuf_c_message_pack(&e->fam.base, p + pos);
		}
	}
	e->fam.n_metric = 0;
	arena_reset(e);
}

void pbenc_family(struct pbenc *e, const char *name, const char *type, const char *help)
{
	Family init = IO__PROMETHEUS__CLIENT__METRIC_FAMILY__INIT;

	flush(e);
	init.metric = e->fam.metric; /* the array of the families before, kept */
	e->fam = init;
	e->fam.name = (char *)name;
	e->fam.help = (char *)help;
	e->fam.has_type = true;
	e->fam.type = !strcmp(type, "counter")	   ? IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER
		      : !strcmp(type, "gauge")	   ? IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE
		      : !strcmp(type, "histogram") ? IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM
						   : IO__PROMETHEUS__CLIENT__METRIC_TYPE__UNTYPED;
	e->open = true;
}

static size_t count_labels(const char *s)
{
	size_t n = 0;

	/* Every label has exactly one '=' outside its quoted value. */
	for (bool quoted = false; *s; s++) {
		if (*s == '\\' && quoted && s[1])
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (*s == '=' && !quoted)
			n++;
	}
	return n;
}

/* Parses `name="escaped value",...` (as expo.c writes it) into pairs; returns how many. */
static size_t parse_labels(struct pbenc *e, const char *s, LabelPair **pairs, size_t max)
{
	LabelPair init = IO__PROMETHEUS__CLIENT__LABEL_PAIR__INIT;
	size_t n = 0, len, i;
	const char *eq;
	char *name, *v;

	while (*s && n < max) {
		eq = strchr(s, '=');
		if (!eq || eq[1] != '"')
			break;
		len = strlen(eq + 2);
		pairs[n] = alloc(e, sizeof(*pairs[n]));
		name = alloc(e, eq - s + 1);
		v = alloc(e, len + 1);
		if (!pairs[n] || !name || !v)
			return n;
		*pairs[n] = init;
		memcpy(name, s, eq - s);
		name[eq - s] = '\0';
		pairs[n]->name = name;
		/* The value up to its closing quote, unescaped. */
		for (s = eq + 2, i = 0; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1]) {
				s++;
				v[i++] = *s == 'n' ? '\n' : *s;
			} else {
				v[i++] = *s;
			}
		}
		v[i] = '\0';
		pairs[n++]->value = v;
		if (*s == '"')
			s++;
		if (*s == ',')
			s++;
	}
	return n;
}

/* The pairs of a label set's text, parsed once while cached; returns how many. */
static size_t labels_of(struct pbenc *e, const char *text, LabelPair ***pairs)
{
	struct parsed *c;
	size_t n;
	unsigned i;

	*pairs = NULL;
	if (!*text)
		return 0;
	for (i = 0; i < LABEL_CACHE; i++) {
		c = &e->cache[i];
		if (c->text && !strcmp(c->text, text)) {
			*pairs = c->pairs;
			return c->n;
		}
	}
	n = count_labels(text);
	c = &e->cache[e->next++ % LABEL_CACHE];
	c->pairs = alloc(e, n * sizeof(*c->pairs));
	c->text = alloc(e, strlen(text) + 1);
	if (!c->pairs || !c->text) {
		c->text = NULL;
		return 0;
	}
	strcpy(c->text, text);
	c->n = parse_labels(e, text, c->pairs, n);
	*pairs = c->pairs;
	return c->n;
}

/* A new metric of the current family, with its labels; NULL without memory. */
static Metric *metric(struct pbenc *e, const char *labels, const char *extra)
{
	Metric init = IO__PROMETHEUS__CLIENT__METRIC__INIT, *m, **grown;
	LabelPair **lp, **ep;
	size_t nl, ne, cap;

	if (!e || !e->open || e->out->oom)
		return NULL;
	if (e->fam.n_metric == e->cap) {
		cap = e->cap ? e->cap * 2 : 64;
		grown = realloc(e->fam.metric, cap * sizeof(*grown));
		if (!grown) {
			e->out->oom = true;
			return NULL;
		}
		e->fam.metric = grown;
		e->cap = cap;
	}
	m = alloc(e, sizeof(*m));
	if (!m)
		return NULL;
	*m = init;
	nl = labels_of(e, labels, &lp);
	ne = labels_of(e, extra, &ep);
	if (!ne) { /* the key's pairs as they are, shared by its samples */
		m->label = lp;
	} else if (!nl) {
		m->label = ep;
	} else {
		m->label = alloc(e, (nl + ne) * sizeof(*m->label));
		if (!m->label)
			return NULL;
		memcpy(m->label, lp, nl * sizeof(*lp));
		memcpy(m->label + nl, ep, ne * sizeof(*ep));
	}
	m->n_label = nl + ne;
	e->fam.metric[e->fam.n_metric++] = m;
	return m;
}

void pbenc_sample(struct pbenc *e, const char *labels, const char *extra, const char *value)
{
	Io__Prometheus__Client__Counter cinit = IO__PROMETHEUS__CLIENT__COUNTER__INIT;
	Io__Prometheus__Client__Gauge ginit = IO__PROMETHEUS__CLIENT__GAUGE__INIT;
	Metric *m = metric(e, labels, extra);
	double v = strtod(value, NULL);

	if (!m)
		return;
	if (e->fam.type == IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER) {
		m->counter = alloc(e, sizeof(*m->counter));
		if (!m->counter)
			return;
		*m->counter = cinit;
		m->counter->has_value = true;
		m->counter->value = v;
	} else {
		m->gauge = alloc(e, sizeof(*m->gauge));
		if (!m->gauge)
			return;
		*m->gauge = ginit;
		m->gauge->has_value = true;
		m->gauge->value = v;
	}
}

/*
 * Zero buckets between two non-empty ones cost a delta byte each, a new span about four:
 * a gap of up to this many stays inside the span.
 */
#define SPAN_GAP_MAX 2

void pbenc_native(struct pbenc *e, const char *labels, const struct hist *h)
{
	Histogram hinit = IO__PROMETHEUS__CLIENT__HISTOGRAM__INIT;
	BucketSpan sinit = IO__PROMETHEUS__CLIENT__BUCKET_SPAN__INIT;
	Metric *m = metric(e, labels, "");
	BucketSpan *span = NULL;
	int64_t prev = 0;
	uint64_t count;
	int s, j, end = 0;
	Histogram *hg;

	if (!m || !(hg = alloc(e, sizeof(*hg))))
		return;
	*hg = hinit;
	m->histogram = hg;
	/* At most one span per bucket, and one delta per bucket. */
	hg->positive_span = alloc(e, HIST_SLOTS * sizeof(*hg->positive_span));
	hg->positive_delta = alloc(e, HIST_SLOTS * sizeof(*hg->positive_delta));
	if (!hg->positive_span || !hg->positive_delta)
		return;
	hg->has_schema = true;
	hg->schema = 0;
	hg->has_zero_threshold = true;
	hg->zero_threshold = ldexp(1, NATIVE_ZERO_LOG2);
	hg->has_zero_count = true;
	hg->zero_count = count = h->nslots[0];
	for (s = 1; s < HIST_SLOTS; s++) {
		if (!h->nslots[s])
			continue;
		j = s + NATIVE_ZERO_LOG2; /* the bucket (2^(j-1), 2^j] */
		if (span && j - end <= SPAN_GAP_MAX) {
			for (; end < j; end++, span->length++) { /* empty buckets inside the span */
				hg->positive_delta[hg->n_positive_delta++] = -prev;
				prev = 0;
			}
		} else {
			span = alloc(e, sizeof(*span));
			if (!span)
				return;
			*span = sinit;
			span->has_offset = span->has_length = true;
			span->offset = hg->n_positive_span ? j - end : j;
			hg->positive_span[hg->n_positive_span++] = span;
		}
		hg->positive_delta[hg->n_positive_delta++] = (int64_t)h->nslots[s] - prev;
		prev = h->nslots[s];
		span->length++;
		end = j + 1;
		count += h->nslots[s];
	}
	/* No observation yet: a span of length 0 says "native" to every Prometheus version. */
	if (!hg->n_positive_span) {
		span = alloc(e, sizeof(*span));
		if (!span)
			return;
		*span = sinit;
		span->has_offset = span->has_length = true;
		hg->positive_span[hg->n_positive_span++] = span;
	}
	/* The count as the buckets add up (a connect may be read half-added). */
	hg->has_sample_count = true;
	hg->sample_count = count;
	hg->has_sample_sum = true;
	hg->sample_sum = h->sum_us / 1e6;
}

void pbenc_end(struct pbenc *e)
{
	if (e)
		flush(e);
}

void pbenc_free(struct pbenc *e)
{
	if (!e)
		return;
	free(e->fam.metric);
	arena_free(e);
	free(e);
}

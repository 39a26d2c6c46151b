// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "expo.h"
#include "expo_pb.h"
#include "format.h"
#include "text.h"

int expo_series_init(struct expo_series *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->keys = calloc(max ? max : 1, sizeof(*s->keys));
	s->max = max;
	s->le_first = 0;
	s->le_last = HIST_SLOTS - 2;
	return s->keys ? 0 : -1;
}

/* le of bucket i, in microseconds */
static uint64_t le_us(int i)
{
	return 1ull << (i + 1);
}

void expo_buckets(struct expo_series *s, uint64_t min_us, uint64_t max_us)
{
	int i;

	s->le_first = 0;
	s->le_last = HIST_SLOTS - 2;
	for (i = 0; i <= HIST_SLOTS - 2; i++) {
		if (le_us(i) <= min_us)
			s->le_first = i;
		if (le_us(i) >= max_us) {
			s->le_last = i;
			break;
		}
	}
}

void expo_series_free(struct expo_series *s)
{
	pbenc_free(s->pb);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

size_t expo_le(int i, char *buf, size_t len)
{
	unsigned long long us = le_us(i);
	int n = snprintf(buf, len, "%llu.%06llu", us / 1000000, us % 1000000);

	return fmt_len(n, len);
}

size_t expo_escape(const char *s, char *out, size_t len)
{
	size_t pos = 0;

	for (; *s; s++) {
		const char *rep = *s == '\\'   ? "\\\\"
				  : *s == '"'  ? "\\\""
				  : *s == '\n' ? "\\n"
					       : NULL;
		size_t n = rep ? 2 : 1;

		if (pos + n + 1 > len)
			break;
		if (rep)
			memcpy(out + pos, rep, 2);
		else
			out[pos] = *s;
		pos += n;
	}
	if (len)
		out[pos] = '\0';
	return pos;
}

/* The q of one Accept item ("type;version=1.0.0;q=0.5"): 1 unless it says otherwise. */
static double accept_q(const char *item, size_t n)
{
	const char *p;

	for (p = item; p + 2 < item + n; p++)
		if ((p == item || p[-1] == ';' || p[-1] == ' ') && !strncasecmp(p, "q=", 2))
			return strtod(p + 2, NULL);
	return 1;
}

/* The item has this parameter ("encoding=delimited"), any case, after a ';'. */
static bool has_param(const char *item, size_t n, const char *param)
{
	size_t len = strlen(param);
	const char *p;

	for (p = item; p + len <= item + n; p++)
		if (p > item && (p[-1] == ';' || p[-1] == ' ') && !strncasecmp(p, param, len) &&
		    (p + len == item + n || p[len] == ';' || p[len] == ' '))
			return true;
	return false;
}

/* The highest q the Accept header gives each format (0: not acceptable). */
static void accept_scan(const char *accept, double q[3])
{
	const char *p = accept;
	double v;
	size_t n, t;
	int f;

	q[EXPO_TEXT] = q[EXPO_OPENMETRICS] = q[EXPO_PROTOBUF] = 0;

	while (p && *p) {
		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		t = strcspn(p, ";,");
		while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
			t--;
		v = accept_q(p, n);
		f = -1;
		if (t == 28 && !strncasecmp(p, "application/openmetrics-text", t))
			f = EXPO_OPENMETRICS;
		else if ((t == 10 && !strncasecmp(p, "text/plain", t)) ||
			 (t == 6 && !strncasecmp(p, "text/*", t)) ||
			 (t == 3 && !strncmp(p, "*/*", t)))
			f = EXPO_TEXT;
		/* Only the delimited MetricFamily stream: not the text or compact-text encodings.
		 */
		else if (t == 31 && !strncasecmp(p, "application/vnd.google.protobuf", t) &&
			 has_param(p, n, "proto=io.prometheus.client.MetricFamily") &&
			 has_param(p, n, "encoding=delimited"))
			f = EXPO_PROTOBUF;
		if (f >= 0 && v > q[f])
			q[f] = v;
		p += n;
	}
}

bool expo_wants_openmetrics(const char *accept)
{
	double q[3];

	accept_scan(accept, q);
	return q[EXPO_OPENMETRICS] > 0 && q[EXPO_OPENMETRICS] >= q[EXPO_TEXT];
}

enum expo_format expo_negotiate(const char *accept)
{
	double q[3];

	if (!accept)
		return EXPO_TEXT;
	accept_scan(accept, q);
	/* Equal q: the text formats, which every scraper reads. */
	if (q[EXPO_PROTOBUF] > 0 && q[EXPO_PROTOBUF] > q[EXPO_OPENMETRICS] &&
	    q[EXPO_PROTOBUF] > q[EXPO_TEXT])
		return EXPO_PROTOBUF;
	return q[EXPO_OPENMETRICS] > 0 && q[EXPO_OPENMETRICS] >= q[EXPO_TEXT] ? EXPO_OPENMETRICS
									      : EXPO_TEXT;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct hist_key));
}

static int cmp_entry_key(const void *a, const void *b)
{
	const struct hist_entry *x = a, *y = b;

	return cmp_key(&x->key, &y->key);
}

static void hist_add_into(struct hist *to, const struct hist *h)
{
	int i;

	for (i = 0; i < HIST_SLOTS; i++)
		to->slots[i] += h->slots[i];
	to->count += h->count;
	to->sum_us += h->sum_us;
	to->failures += h->failures;
	for (i = 0; i < FAIL_REASONS; i++)
		to->fail_reasons[i] += h->fail_reasons[i];
	to->syn_retrans += h->syn_retrans;
	for (i = 0; i < HIST_SLOTS; i++)
		to->nslots[i] += h->nslots[i];
}

/*
 * Moves the keys without a series of their own out of v[0..n) into *other; returns how many
 * keep theirs (v sorted by key). Keys first seen now get a series while there is room.
 */
static size_t fold(struct expo_series *s, struct hist_entry *v, size_t n, struct hist *other)
{
	size_t i, kept = 0, known = s->n;

	if (n)
		qsort(v, n, sizeof(*v), cmp_entry_key);
	memset(other, 0, sizeof(*other));
	s->folded = 0;
	for (i = 0; i < n; i++) {
		if (!bsearch(&v[i].key, s->keys, known, sizeof(*s->keys), cmp_key)) {
			if (s->n >= s->max) {
				hist_add_into(other, &v[i].hist);
				s->folded++;
				continue;
			}
			s->keys[s->n++] = v[i].key;
		}
		v[kept++] = v[i];
	}
	if (s->n > known)
		qsort(s->keys, s->n, sizeof(*s->keys), cmp_key);
	return kept;
}

#define LABEL_MAX (2 * CGROUP_TEXT_MAX + 64)

static void label(char *buf, size_t len, const char *name, const char *value)
{
	size_t pos = strlen(buf), n = strlen(name);

	/* name="value": a long value is cut at a whole character, never inside an escape. */
	if (pos + (pos ? 1 : 0) + n + 4 > len)
		return;
	pos += snprintf(buf + pos, len - pos, "%s%s=\"", pos ? "," : "", name);
	pos += expo_escape(value, buf + pos, len - pos - 1);
	buf[pos++] = '"';
	buf[pos] = '\0';
}

/* The labels of a key's series, without braces: `daddr="10.0.0.1",dport="443"`. */
static void key_labels(int by, struct cgroups *cg, const struct hist_key *k, bool other, char *buf,
		       size_t len)
{
	char text[HIST_KEY_TEXT_MAX];
	enum hist_by keys[HIST_BY_MAX];
	int i, n = hist_by_keys(by, keys);

	buf[0] = '\0';
	/* One label per key, in the order given; dest is the two labels daddr and dport. */
	for (i = 0; i < n; i++) {
		if (keys[i] == HIST_BY_DEST) {
			if (!other)
				hist_key_text(HIST_BY_DADDR, cg, k, text, sizeof(text));
			label(buf, len, "daddr", other ? "other" : text);
			if (!other)
				hist_key_text(HIST_BY_DPORT, cg, k, text, sizeof(text));
			label(buf, len, "dport", other ? "other" : text);
			continue;
		}
		if (!other)
			hist_key_text(keys[i], cg, k, text, sizeof(text));
		label(buf, len, hist_by_name(keys[i]), other ? "other" : text);
	}
}

/*
 * Where the families and samples go: text, or the protobuf encoder, which is handed the
 * samples as the text format has them (labels escaped, values as numbers in text).
 */
struct out {
	struct strbuf *sb;
	struct pbenc *pb; /* EXPO_PROTOBUF */
};

/* name{labels,extra} value */
static void sample(struct out *b, const char *name, const char *labels, const char *extra,
		   const char *value)
{
	bool any = labels[0] || extra[0];
	size_t nn = strlen(name), nl = strlen(labels), ne = strlen(extra), nv = strlen(value);
	char *p;

	if (b->pb) {
		pbenc_sample(b->pb, labels, extra, value);
		return;
	}
	/* name{labels,extra} value\n, in one piece: printf's parsing dominated big scrapes */
	p = sb_extend(b->sb, nn + nl + ne + nv + (any ? 2 : 0) + (nl && ne) + 2);
	if (!p)
		return;
	memcpy(p, name, nn);
	p += nn;
	if (any)
		*p++ = '{';
	memcpy(p, labels, nl);
	p += nl;
	if (nl && ne)
		*p++ = ',';
	memcpy(p, extra, ne);
	p += ne;
	if (any)
		*p++ = '}';
	*p++ = ' ';
	memcpy(p, value, nv);
	p[nv] = '\n';
}

/* OpenMetrics names a counter family without its _total suffix. */
static void family(struct out *b, const char *name, const char *type, const char *help, bool om)
{
	size_t n = strlen(name);

	if (b->pb) {
		pbenc_family(b->pb, name, type, help);
		return;
	}
	if (om && !strcmp(type, "counter") && n > 6 && !strcmp(name + n - 6, "_total"))
		n -= 6;
	sb_printf(b->sb, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help, (int)n, name,
		  type);
}

static void u64(char *buf, size_t len, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do
		tmp[n++] = '0' + v % 10;
	while ((v /= 10));
	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = tmp[n - 1 - i];
	if (len)
		buf[i] = '\0';
}

/* A count of smaller units as seconds, exactly: 1500 us is "0.001500". */
static void seconds(char *buf, size_t len, uint64_t v, uint64_t per_sec, int digits)
{
	snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(v / per_sec), digits,
		 (unsigned long long)(v % per_sec));
}

struct series {
	char *labels;
	const struct hist *h;
};

static void histograms(struct out *b, const struct expo_series *s, const struct series *sv,
		       size_t n, bool om)
{
	char extra[HIST_SLOTS][48], le[32], val[48];
	uint64_t cum;
	size_t k;
	int i;

	for (i = 0; i < HIST_SLOTS - 1; i++) {
		expo_le(i, le, sizeof(le));
		snprintf(extra[i], sizeof(extra[i]), "le=\"%s\"", le);
	}
	family(b, "tcpconnlat_connect_duration_seconds", "histogram",
	       "Time from a TCP connect's first SYN to the SYN-ACK, successful connects only.", om);
	if (b->pb) {
		for (k = 0; k < n; k++)
			pbenc_native(b->pb, sv[k].labels, sv[k].h);
		return;
	}
	for (k = 0; k < n; k++) {
		cum = 0;
		/* Slot 31 also holds everything longer: it is in +Inf only. */
		for (i = 0; i < HIST_SLOTS - 1; i++) {
			cum += sv[k].h->slots[i];
			/* --buckets: the le series outside the range are left out */
			if (i < s->le_first || i > s->le_last)
				continue;
			u64(val, sizeof(val), cum);
			sample(b, "tcpconnlat_connect_duration_seconds_bucket", sv[k].labels,
			       extra[i], val);
		}
		/* The count as the buckets add up, so that +Inf is never below a bucket when a
		 * connect was read half-added. */
		cum += sv[k].h->slots[HIST_SLOTS - 1];
		u64(val, sizeof(val), cum);
		sample(b, "tcpconnlat_connect_duration_seconds_bucket", sv[k].labels, "le=\"+Inf\"",
		       val);
		seconds(val, sizeof(val), sv[k].h->sum_us, 1000000, 6);
		sample(b, "tcpconnlat_connect_duration_seconds_sum", sv[k].labels, "", val);
		u64(val, sizeof(val), cum);
		sample(b, "tcpconnlat_connect_duration_seconds_count", sv[k].labels, "", val);
	}
}

static void failures(struct out *b, const struct series *sv, size_t n, bool om)
{
	char extra[FAIL_REASONS][64], val[32];
	size_t k;
	int r;

	for (r = 0; r < FAIL_REASONS; r++)
		snprintf(extra[r], sizeof(extra[r]), "reason=\"%s\"", fail_reason_name(r));
	family(b, "tcpconnlat_connect_failures_total", "counter",
	       "TCP connects that failed, by reason: refused, timeout, unreach, aborted (closed "
	       "while connecting) or error (any other errno).",
	       om);
	for (k = 0; k < n; k++) {
		for (r = 0; r < FAIL_REASONS; r++) {
			u64(val, sizeof(val), sv[k].h->fail_reasons[r]);
			sample(b, "tcpconnlat_connect_failures_total", sv[k].labels, extra[r], val);
		}
	}
	family(b, "tcpconnlat_syn_retransmits_total", "counter",
	       "SYNs retransmitted by TCP connects (successful or not) before their outcome.", om);
	for (k = 0; k < n; k++) {
		u64(val, sizeof(val), sv[k].h->syn_retrans);
		sample(b, "tcpconnlat_syn_retransmits_total", sv[k].labels, "", val);
	}
}

static void self_metrics(struct out *b, const struct expo_self *self, size_t folded, bool om)
{
	char extra[128], val[48], esc[64], help[512];
	size_t i, pos;

	family(b, "tcpconnlat_build_info", "gauge",
	       "Always 1: the tool's version and the attach backend it runs with.", om);
	expo_escape(self->backend ? self->backend : "?", esc, sizeof(esc));
	snprintf(extra, sizeof(extra), "version=\"%s\",backend=\"%s\"",
		 self->version ? self->version : "?", esc);
	sample(b, "tcpconnlat_build_info", "", extra, "1");
	family(b, "tcpconnlat_presyn_failures_counted", "gauge",
	       "1: connects that fail before sending a SYN (no route, say) are counted in "
	       "tcpconnlat_connect_failures_total; 0: they are not, as the syscall trace events "
	       "are unavailable (tracefs cannot be mounted, or no CONFIG_FTRACE_SYSCALLS).",
	       om);
	sample(b, "tcpconnlat_presyn_failures_counted", "", "", self->no_presyn ? "0" : "1");
	pos = snprintf(help, sizeof(help), "Connects missing from the metrics: ");
	for (i = 0; i < UNCOUNTED_REASONS; i++)
		pos += fmt_len(snprintf(help + pos, sizeof(help) - pos, "%s (%s)%s",
					uncounted_counters[i].reason, uncounted_counters[i].help,
					i + 1 < UNCOUNTED_REASONS ? ", " : "."),
			       sizeof(help) - pos);
	family(b, "tcpconnlat_uncounted_connects_total", "counter", help, om);
	for (i = 0; i < UNCOUNTED_REASONS; i++) {
		snprintf(extra, sizeof(extra), "reason=\"%s\"", uncounted_counters[i].reason);
		u64(val, sizeof(val), self->uncounted.n[i]);
		sample(b, "tcpconnlat_uncounted_connects_total", "", extra, val);
	}
	family(b, "tcpconnlat_bpf_runs_missed_total", "counter",
	       "Runs of the tool's BPF programs the kernel skipped (one already running on that "
	       "CPU): up to as many connects unseen.",
	       om);
	u64(val, sizeof(val), self->runs_missed);
	sample(b, "tcpconnlat_bpf_runs_missed_total", "", "", val);
	family(b, "tcpconnlat_overflow_keys", "gauge",
	       "Label sets beyond --max-series, whose connects are counted in the series "
	       "labelled \"other\".",
	       om);
	u64(val, sizeof(val), folded);
	sample(b, "tcpconnlat_overflow_keys", "", "", val);
	if (!self->bpf_stats)
		return;
	family(b, "tcpconnlat_bpf_run_seconds_total", "counter",
	       "CPU time spent in each BPF program (kernel.bpf_stats_enabled=1).", om);
	for (i = 0; i < self->nprogs; i++) {
		snprintf(extra, sizeof(extra), "program=\"%s\"", self->progs[i].name);
		seconds(val, sizeof(val), self->progs[i].run_ns, 1000000000, 9);
		sample(b, "tcpconnlat_bpf_run_seconds_total", "", extra, val);
	}
	family(b, "tcpconnlat_bpf_runs_total", "counter",
	       "Runs of each BPF program (kernel.bpf_stats_enabled=1).", om);
	for (i = 0; i < self->nprogs; i++) {
		snprintf(extra, sizeof(extra), "program=\"%s\"", self->progs[i].name);
		u64(val, sizeof(val), self->progs[i].runs);
		sample(b, "tcpconnlat_bpf_runs_total", "", extra, val);
	}
}

void expo_render(struct strbuf *sb, int by, struct cgroups *cg, struct expo_series *s,
		 struct hist_entry *v, size_t n, const struct expo_self *self, enum expo_format fmt)
{
	static const struct hist zero;
	static char text[LABEL_MAX];
	bool openmetrics = fmt == EXPO_OPENMETRICS;
	struct out o = {.sb = sb}, *b = &o;
	struct series *sv;
	struct hist other;
	size_t kept, k, ns = 0;

	n = hist_group(by, cg, v, n);
	kept = fold(s, v, n, &other);
	/* Every series, plus "other", or the one all-zero series of a run without --by. */
	sv = calloc(kept + 1, sizeof(*sv));
	if (!sv) {
		sb->oom = true;
		return;
	}
	for (k = 0; k <= kept; k++) {
		bool rest = k == kept;

		if (rest && !s->folded && (by != HIST_BY_NONE || kept))
			break;
		key_labels(by, cg, rest ? NULL : &v[k].key, rest, text, sizeof(text));
		sv[ns].labels = strdup(text);
		if (!sv[ns].labels) {
			sb->oom = true;
			goto cleanup;
		}
		sv[ns++].h = !rest ? &v[k].hist : s->folded ? &other : &zero;
	}
	if (fmt == EXPO_PROTOBUF) {
		if (!s->pb && !(s->pb = pbenc_new())) {
			sb->oom = true;
			goto cleanup;
		}
		o.pb = s->pb;
		pbenc_begin(o.pb, sb);
	}
	histograms(b, s, sv, ns, openmetrics);
	failures(b, sv, ns, openmetrics);
	self_metrics(b, self, s->folded, openmetrics);
	pbenc_end(o.pb);
	if (openmetrics)
		sb_printf(sb, "# EOF\n");
cleanup:
	for (k = 0; k < ns; k++)
		free(sv[k].labels);
	free(sv);
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "exporter.h"
#include "expo.h"
#include "textfile.h"

#ifndef TCPCONNLAT_VERSION
#define TCPCONNLAT_VERSION "dev"
#endif

/* How often the loop looks at *exiting, -d and the --textfile interval. */
#define TICK_MS 100
/*
 * Hostile or broken scrapers: a connection that sends nothing, or reads nothing, for this
 * long is closed; a request's headers are small (a 1 MiB header is refused) and it has no
 * body. What a scraper can hold is thus bounded by the time and the response's size.
 */
#define HTTP_TIMEOUT_SECS 10
#define HTTP_MAX_HEADERS  8192
#define HTTP_MAX_BODY	  1024
#define LISTEN_BACKLOG	  64

struct exporter {
	struct tracer *t;
	const struct config *cfg;
	struct cgroups *cg;
	const struct hist_source *src;
	struct expo_series series;
	struct event_base *base;
	volatile sig_atomic_t *exiting;
	uint64_t start_ms, next_write_ms;
	int err;
	FILE *errf;
	/*
	 * The last response's buffer, for the next: a scrape of 10,000 label sets is 30 MB of
	 * text, and fresh memory for each would cost more in page faults than the rendering.
	 */
	struct strbuf spare;
};

/* A response being sent: its buffer is libevent's (by reference) until reply_done(). */
struct reply {
	struct exporter *ex;
	struct strbuf b;
};

static void reply_done(const void *data, size_t len, void *arg)
{
	struct reply *r = arg;

	(void)data;
	(void)len;
	if (!r->ex->spare.p)
		r->ex->spare = r->b;
	else
		sb_free(&r->b);
	free(r);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int exporter_prepare(const struct config *cfg, int *listen_fd, FILE *err)
{
	int fd = -1, one = 1, e;

	*listen_fd = -1;
	if (cfg->textfile && (e = textfile_check(cfg->textfile))) {
		fprintf(err, "tcpconnlat: cannot write --textfile '%s': %s\n", cfg->textfile,
			strerror(-e));
		return -1;
	}
	if (!cfg->metrics_text)
		return 0;
	fd = socket(cfg->metrics_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&cfg->metrics_addr, cfg->metrics_addrlen) ||
	    listen(fd, LISTEN_BACKLOG)) {
		e = errno;
		fprintf(err, "tcpconnlat: cannot listen on --metrics '%s': %s\n", cfg->metrics_text,
			strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*listen_fd = fd;
	return 0;
}

/* The whole exposition, read from the kernel now. */
static void render(struct exporter *ex, struct strbuf *b, enum expo_format fmt)
{
	static struct hist_entry v[MAX_HIST_KEYS];
	struct expo_self self = {.version = TCPCONNLAT_VERSION};
	uint64_t *keys_full = &self.uncounted.n[UNCOUNTED_KEYS_FULL];
	size_t n;

	if (ex->src) {
		ex->src->pump(ex->src->ctx);
		n = ex->src->read(ex->src->ctx, v, MAX_HIST_KEYS, keys_full);
	} else {
		n = tracer_read_hists(ex->t, v, MAX_HIST_KEYS, keys_full);
	}
	self.backend = backend_name(tracer_backend(ex->t));
	tracer_untracked(ex->t, &self.uncounted);
	self.runs_missed = tracer_runs_missed(ex->t);
	self.no_presyn = ex->cfg->no_presyn;
	self.bpf_stats = bpf_stats_enabled();
	if (self.bpf_stats)
		self.nprogs = tracer_prog_stats(ex->t, self.progs, EXPO_MAX_PROGS);
	expo_render(b, ex->cfg->hist_by, ex->cg, &ex->series, v, n, &self, fmt);
}

static void write_textfile(struct exporter *ex)
{
	struct strbuf b = {};
	int e;

	render(ex, &b, EXPO_TEXT);
	e = b.oom ? -ENOMEM : textfile_write(ex->cfg->textfile, b.p, b.len);
	sb_free(&b);
	/* A full disk or a directory gone may come back: say so, and keep trying. */
	if (e)
		fprintf(ex->errf, "tcpconnlat: cannot write --textfile '%s': %s\n",
			ex->cfg->textfile, strerror(-e));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct exporter *ex = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL, *accept;
	static const char *const types[] = {
		[EXPO_TEXT] = EXPO_TEXT_TYPE,
		[EXPO_OPENMETRICS] = EXPO_OPENMETRICS_TYPE,
		[EXPO_PROTOBUF] = EXPO_PROTOBUF_TYPE,
	};
	struct evbuffer *body = NULL;
	enum expo_format fmt;
	struct reply *r;

	if (!path || strcmp(path, "/metrics")) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(out, "Allow", "GET, HEAD");
		evhttp_send_error(req, HTTP_BADMETHOD, NULL);
		return;
	}
	accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
	fmt = expo_negotiate(accept);
	r = malloc(sizeof(*r));
	if (!r) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	r->ex = ex;
	r->b = ex->spare;
	r->b.len = 0;
	r->b.oom = false;
	memset(&ex->spare, 0, sizeof(ex->spare));
	render(ex, &r->b, fmt);
	body = evbuffer_new();
	if (r->b.oom || !body || evbuffer_add_reference(body, r->b.p, r->b.len, reply_done, r)) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		sb_free(&r->b);
		free(r);
		goto cleanup;
	}
	evhttp_add_header(out, "Content-Type", types[fmt]);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
cleanup:
	if (body)
		evbuffer_free(body);
}

static void on_events(evutil_socket_t fd, short what, void *arg)
{
	struct exporter *ex = arg;

	(void)fd;
	(void)what;
	ex->src->pump(ex->src->ctx);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct exporter *ex = arg;
	uint64_t now = now_ms();

	(void)fd;
	(void)what;
	if (*ex->exiting || (ex->cfg->duration && now - ex->start_ms >= ex->cfg->duration * 1000)) {
		event_base_loopbreak(ex->base);
		return;
	}
	/* The records of cgroups made must not pile up between scrapes. */
	tracer_cgroups_drain(ex->t);
	/* Events below the wakeup mark, and -N's bookkeeping. */
	if (ex->src)
		ex->src->pump(ex->src->ctx);
	if (ex->cfg->textfile && now >= ex->next_write_ms) {
		ex->next_write_ms += ex->cfg->interval * 1000;
		write_textfile(ex);
	}
}

static struct evhttp *http_start(struct exporter *ex, int listen_fd)
{
	struct evhttp *http = evhttp_new(ex->base);

	if (!http)
		return NULL;
	/* Every method reaches on_request, which answers 405: libevent's own answer is 501. */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						 EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						 EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
						 EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(http, HTTP_TIMEOUT_SECS);
	evhttp_set_max_headers_size(http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(http, HTTP_MAX_BODY);
	evhttp_set_gencb(http, on_request, ex);
	if (evhttp_accept_socket(http, listen_fd)) {
		evhttp_free(http);
		return NULL;
	}
	return http;
}

int exporter_run(struct tracer *t, const struct config *cfg, struct cgroups *cg, int listen_fd,
		 const struct hist_source *src, struct event_base *base,
		 volatile sig_atomic_t *exiting, FILE *err)
{
	struct exporter ex = {.t = t,
			      .cfg = cfg,
			      .cg = cg,
			      .src = src,
			      .base = base,
			      .exiting = exiting,
			      .errf = err};
	struct event *events = NULL;
	struct timeval tick = {.tv_usec = TICK_MS * 1000};
	struct evhttp *http = NULL;
	struct event *timer = NULL;
	int ret = 1;

	if (expo_series_init(&ex.series, cfg->max_series)) {
		fprintf(err, "tcpconnlat: out of memory\n");
		goto cleanup;
	}
	if (cfg->buckets_max_us)
		expo_buckets(&ex.series, cfg->buckets_min_us, cfg->buckets_max_us);
	if (listen_fd >= 0) {
		http = http_start(&ex, listen_fd);
		if (!http) {
			fprintf(err, "tcpconnlat: cannot serve --metrics '%s' (libevent)\n",
				cfg->metrics_text);
			goto cleanup;
		}
		listen_fd = -1; /* the server's now */
	}
	timer = event_new(ex.base, -1, EV_PERSIST, on_tick, &ex);
	if (!timer || event_add(timer, &tick)) {
		fprintf(err, "tcpconnlat: cannot set up the event loop (libevent)\n");
		goto cleanup;
	}
	if (src) {
		events = event_new(ex.base, src->fd, EV_READ | EV_PERSIST, on_events, &ex);
		if (!events || event_add(events, NULL)) {
			fprintf(err, "tcpconnlat: cannot set up the event loop (libevent)\n");
			goto cleanup;
		}
	}
	ex.start_ms = now_ms();
	ex.next_write_ms = ex.start_ms;
	if (event_base_dispatch(ex.base) < 0) {
		fprintf(err, "tcpconnlat: the event loop failed\n");
		goto cleanup;
	}
	/* The last word: what was counted up to the end. */
	if (cfg->textfile)
		write_textfile(&ex);
	ret = 0;

cleanup:
	if (events)
		event_free(events);
	if (timer)
		event_free(timer);
	if (http)
		evhttp_free(http);
	if (listen_fd >= 0)
		close(listen_fd);
	sb_free(&ex.spare);
	expo_series_free(&ex.series);
	return ret;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <http_parser.h>
#include <json-c/json.h>
#include "dockerapi.h"

/* An answer (the stream: its headers) must come within this. */
#define TIMEOUT_MS 1000
/* Reconnecting the event stream: from this, doubling, up to the max. */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
/* A stream that stayed this long was a working one: the next reconnect starts over. */
#define STREAM_GOOD_MS 10000
/* One JSON value larger than this (an inspect answer is a few KiB) is garbage. */
#define VALUE_MAX (1 << 20)
/* Ids waiting for a lookup; more are not asked (they show by id). */
#define QUEUE_MAX  256
#define REASON_MAX 256

static const char *const default_paths[] = {"/var/run/docker.sock", "/run/podman/podman.sock"};

/* Only container starts: {"type":["container"],"event":["start"]}, URL-encoded. */
static const char events_request[] =
	"GET /events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22start"
	"%22%5D%7D HTTP/1.1\r\nHost: docker\r\n\r\n";

struct conn {
	struct dockerapi *api;
	struct bufferevent *bev;
	http_parser hp;
	struct json_tokener *tok;
	size_t value_len;    /* bytes of the JSON value being parsed */
	bool stream;	     /* the event stream, else a lookup of id */
	bool complete;	     /* the whole answer was read */
	unsigned int status; /* the answer's HTTP status, 0 before its headers */
	bool no_such;	     /* an error answer's body said "no such container" */
	uint64_t opened_ms;
	char id[CONTAINER_ID_LEN + 1];
	char err[REASON_MAX]; /* why this answer is no use; "" while it is */
};

struct dockerapi {
	struct event_base *base;
	struct containers *c;
	const char *path; /* NULL: the default ones */
	const char *used; /* the socket the stream is connected to */
	bool verbose, told, up;
	FILE *errf;
	struct conn *stream, *lookup;
	struct event *retry;
	int backoff_ms;
	char queue[QUEUE_MAX][CONTAINER_ID_LEN + 1];
	int qhead, qlen;
	uint64_t failures;
	uint64_t gone; /* lookups of containers the API no longer knew (404) */
};

static void stream_start(struct dockerapi *api);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}
static void lookup_next(struct dockerapi *api);

static void conn_free(struct conn *k)
{
	if (!k)
		return;
	if (k->bev)
		bufferevent_free(k->bev);
	if (k->tok)
		json_tokener_free(k->tok);
	free(k);
}

/* Counted; -v says why, once per run. */
static void failed(struct dockerapi *api, const char *why)
{
	api->failures++;
	if (api->verbose && !api->told) {
		fprintf(api->errf, "tcpconnlat: container names unknown: %s\n", why);
		api->told = true;
	}
}

static void schedule_retry(struct dockerapi *api)
{
	struct timeval tv = {.tv_sec = api->backoff_ms / 1000,
			     .tv_usec = api->backoff_ms % 1000 * 1000};

	event_add(api->retry, &tv);
	api->backoff_ms =
		api->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : api->backoff_ms * 2;
}

/* A connection's end: the stream is retried later; the next lookup goes ahead. */
static void conn_end(struct conn *k)
{
	struct dockerapi *api = k->api;
	bool stream = k->stream;

	if (stream) {
		api->stream = NULL;
		api->up = false;
		/* Not for a stream that answers 200 and then garbage: that one backs off too. */
		if (now_ms() - k->opened_ms >= STREAM_GOOD_MS)
			api->backoff_ms = BACKOFF_MIN_MS;
	} else {
		api->lookup = NULL;
	}
	conn_free(k);
	if (stream)
		schedule_retry(api);
	else
		lookup_next(api);
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool is_id(const char *s)
{
	size_t i;

	if (!s || strlen(s) != CONTAINER_ID_LEN)
		return false;
	for (i = 0; i < CONTAINER_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * A container's name and labels (an event's Actor.Attributes has both; an inspect answer
 * its Name and Config.Labels). A Kubernetes container is named by its
 * io.kubernetes.container.name (Docker names it k8s_CONTAINER_POD_...).
 */
static void learn(struct dockerapi *api, const char *id, const char *name,
		  struct json_object *labels)
{
	struct container_info info = {};
	const char *k8s = str_of(labels, "io.kubernetes.container.name");

	if (name && name[0] == '/')
		name++;
	snprintf(info.name, sizeof(info.name), "%s", k8s ? k8s : name ? name : "");
	snprintf(info.pod, sizeof(info.pod), "%s", str_of(labels, "io.kubernetes.pod.name") ?: "");
	snprintf(info.namespace, sizeof(info.namespace), "%s",
		 str_of(labels, "io.kubernetes.pod.namespace") ?: "");
	containers_set(api->c, id, &info);
}

static void on_event(struct conn *k, struct json_object *o)
{
	struct json_object *actor = NULL, *attrs = NULL;
	const char *id;

	json_object_object_get_ex(o, "Actor", &actor);
	if (actor)
		json_object_object_get_ex(actor, "Attributes", &attrs);
	id = str_of(actor, "ID") ?: str_of(o, "id");
	if (!is_id(id))
		return;
	/* An event without the name: asked for (a lookup) like an id seen first in a connect. */
	if (str_of(attrs, "name"))
		learn(k->api, id, str_of(attrs, "name"), attrs);
	else
		dockerapi_want(k->api, id);
}

static void on_inspect(struct conn *k, struct json_object *o)
{
	struct json_object *config = NULL, *labels = NULL;

	if (json_object_object_get_ex(o, "Config", &config))
		json_object_object_get_ex(config, "Labels", &labels);
	learn(k->api, k->id, str_of(o, "Name"), labels);
}

/*
 * A lookup's error answer: podman 4.3 answers 500, not 404, to a lookup that races the
 * removal of a --rm container; its body's cause tells that the container had ended.
 */
static void on_error_body(struct conn *k, struct json_object *o)
{
	const char *cause = str_of(o, "cause") ?: str_of(o, "message");

	k->no_such = cause && strcasestr(cause, "no such container");
}

static int on_headers(http_parser *hp)
{
	struct conn *k = hp->data;

	k->status = hp->status_code;
	if (hp->status_code != 200) {
		snprintf(k->err, sizeof(k->err), "%s answered HTTP %u to %s", k->api->used,
			 hp->status_code, k->stream ? "GET /events" : "GET /containers/ID/json");
		/* The body of a lookup's 500 is read for its cause; any other ends here. */
		return k->stream || hp->status_code != 500;
	}
	if (k->stream) {
		/* Streaming: quiet for as long as no container starts. */
		struct timeval wt = {.tv_sec = TIMEOUT_MS / 1000};

		bufferevent_set_timeouts(k->bev, NULL, &wt);
		k->api->up = true;
	}
	return 0;
}

/* The body: JSON values one after another (the stream) or one (a lookup). */
static int on_body(http_parser *hp, const char *at, size_t len)
{
	struct conn *k = hp->data;
	struct json_object *o;
	enum json_tokener_error e;
	size_t used;

	while (len) {
		o = json_tokener_parse_ex(k->tok, at, len);
		e = json_tokener_get_error(k->tok);
		used = json_tokener_get_parse_end(k->tok);
		if (e == json_tokener_continue) {
			k->value_len += len;
			if (k->value_len > VALUE_MAX)
				goto garbage;
			return 0;
		}
		if (e != json_tokener_success || !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			goto garbage;
		}
		if (k->status != 200)
			on_error_body(k, o);
		else if (k->stream) {
			on_event(k, o);
			k->api->backoff_ms = BACKOFF_MIN_MS;
		} else
			on_inspect(k, o);
		json_object_put(o);
		json_tokener_reset(k->tok);
		k->value_len = 0;
		if (used == 0 || used > len)
			goto garbage;
		at += used;
		len -= used;
		/* What separates values: a newline. */
		while (len && (*at == '\n' || *at == '\r' || *at == ' ')) {
			at++;
			len--;
		}
	}
	return 0;
garbage:
	/* An error answer's body that is no JSON: the error (its status) is what to say. */
	if (k->status == 200)
		snprintf(k->err, sizeof(k->err), "%s answered no JSON (%s)", k->api->used,
			 json_tokener_error_desc(json_tokener_get_error(k->tok)));
	return 1;
}

static int on_complete(http_parser *hp)
{
	struct conn *k = hp->data;

	k->complete = true;
	return 0;
}

static const http_parser_settings parser_settings = {
	.on_headers_complete = on_headers,
	.on_body = on_body,
	.on_message_complete = on_complete,
};

/* After an answer or a failure: what becomes of the connection; false when it ended. */
static bool conn_done(struct conn *k, const char *why)
{
	struct dockerapi *api = k->api;
	bool complete = k->complete;

	if (why) {
		/* A lookup's failure for a container already named by its start event costs
		 * nothing. Its 404 otherwise is no failure either: the API works, but the
		 * container had ended (podman run --rm) before it was asked; so is a 500 whose
		 * cause says so. */
		const struct container_info *i = k->stream ? NULL : containers_get(api->c, k->id);
		bool named = i && i->name[0];

		if (!named && !k->stream && (k->status == 404 || k->no_such))
			api->gone++;
		else if (!named)
			failed(api, why);
		conn_end(k);
		return false;
	}
	/* A stream that ends (the API restarts) is resumed, like a failed one. */
	if (complete)
		conn_end(k);
	return !complete;
}

static bool feed(struct conn *k, const char *data, size_t len)
{
	char why[REASON_MAX + 64];

	http_parser_execute(&k->hp, &parser_settings, data, len);
	/* An error answer read to its end (a lookup's 500) is a failure all the same. */
	if (HTTP_PARSER_ERRNO(&k->hp) == HPE_OK && !(k->complete && k->status != 200))
		return conn_done(k, NULL);
	if (k->err[0])
		snprintf(why, sizeof(why), "%s", k->err);
	else
		snprintf(why, sizeof(why), "%s answered no HTTP (%s)", k->api->used,
			 http_errno_description(HTTP_PARSER_ERRNO(&k->hp)));
	return conn_done(k, why);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *k = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[4096];
	int n;

	/* feed() may end the connection: then k is gone. */
	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0)
		if (!feed(k, buf, n))
			return;
}

static void on_bev_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *k = arg;
	char why[REASON_MAX];

	(void)bev;
	if (what & BEV_EVENT_EOF) {
		/* An answer without a length ends with the connection. */
		http_parser_execute(&k->hp, &parser_settings, NULL, 0);
		if (k->complete) {
			conn_done(k, NULL);
			return;
		}
		snprintf(why, sizeof(why), "%s closed the connection before its answer ended",
			 k->api->used);
	} else if (what & BEV_EVENT_TIMEOUT) {
		snprintf(why, sizeof(why), "%s did not answer within %d ms", k->api->used,
			 TIMEOUT_MS);
	} else {
		snprintf(why, sizeof(why), "talking to %s failed: %s", k->api->used,
			 strerror(errno));
	}
	conn_done(k, why);
}

/* A connected, non-blocking unix socket to path, or -errno. */
static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A unix socket connects at once, or not (EAGAIN: the listener's backlog is full). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* A connection with its request sent (in base's loop), or NULL with why set. */
static struct conn *conn_open(struct dockerapi *api, const char *id, char *why, size_t len)
{
	struct timeval t = {.tv_sec = TIMEOUT_MS / 1000, .tv_usec = TIMEOUT_MS % 1000 * 1000};
	struct conn *k;
	size_t i;
	int fd = -ENOENT, err;

	if (api->path) {
		fd = connect_to(api->path);
		api->used = api->path;
		if (fd < 0)
			snprintf(why, len, "cannot connect to --container-api %s: %s", api->path,
				 strerror(-fd));
	} else {
		for (i = 0; i < sizeof(default_paths) / sizeof(default_paths[0]) && fd < 0; i++) {
			fd = connect_to(default_paths[i]);
			api->used = default_paths[i];
		}
		if (fd < 0)
			snprintf(why, len, "no container API at %s or %s (--container-api)",
				 default_paths[0], default_paths[1]);
	}
	if (fd < 0)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k) {
		close(fd);
		snprintf(why, len, "out of memory");
		return NULL;
	}
	k->api = api;
	k->stream = !id;
	k->opened_ms = now_ms();
	if (id)
		snprintf(k->id, sizeof(k->id), "%s", id);
	http_parser_init(&k->hp, HTTP_RESPONSE);
	k->hp.data = k;
	k->tok = json_tokener_new();
	k->bev = bufferevent_socket_new(api->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!k->tok || !k->bev) {
		if (!k->bev)
			close(fd);
		conn_free(k);
		snprintf(why, len, "out of memory");
		return NULL;
	}
	bufferevent_setcb(k->bev, on_read, NULL, on_bev_event, k);
	bufferevent_set_timeouts(k->bev, &t, &t);
	if (id)
		err = evbuffer_add_printf(bufferevent_get_output(k->bev),
					  "GET /containers/%s/json HTTP/1.1\r\nHost: docker\r\n"
					  "Connection: close\r\n\r\n",
					  id) < 0;
	else
		err = bufferevent_write(k->bev, events_request, sizeof(events_request) - 1);
	if (err || bufferevent_enable(k->bev, EV_READ | EV_WRITE)) {
		conn_free(k);
		snprintf(why, len, "cannot set up a connection (libevent)");
		return NULL;
	}
	return k;
}

static void stream_start(struct dockerapi *api)
{
	char why[REASON_MAX + 64];

	api->stream = conn_open(api, NULL, why, sizeof(why));
	if (!api->stream) {
		failed(api, why);
		schedule_retry(api);
	}
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stream_start(arg);
}

static void lookup_next(struct dockerapi *api)
{
	const struct container_info *i;
	char why[REASON_MAX + 64];
	char *id;

	while (!api->lookup && api->qlen && api->up) {
		id = api->queue[api->qhead];
		api->qhead = (api->qhead + 1) % QUEUE_MAX;
		api->qlen--;
		/* Its start event may have named it meanwhile. */
		i = containers_get(api->c, id);
		if (i && i->name[0])
			continue;
		api->lookup = conn_open(api, id, why, sizeof(why));
		if (!api->lookup)
			failed(api, why);
	}
}

void dockerapi_want(struct dockerapi *api, const char *id)
{
	struct container_info none = {};

	if (!api || !api->up || !is_id(id) || api->qlen == QUEUE_MAX)
		return;
	/* Asked once: known from now on, by id until the answer names it. */
	containers_set(api->c, id, &none);
	strcpy(api->queue[(api->qhead + api->qlen) % QUEUE_MAX], id);
	api->qlen++;
	lookup_next(api);
}

struct dockerapi *dockerapi_new(struct event_base *base, const char *path, struct containers *c,
				bool verbose, FILE *errf)
{
	struct dockerapi *api = calloc(1, sizeof(*api));

	if (!api)
		return NULL;
	api->base = base;
	api->c = c;
	api->path = path;
	api->verbose = verbose;
	api->errf = errf;
	api->backoff_ms = BACKOFF_MIN_MS;
	api->retry = evtimer_new(base, on_retry, api);
	if (!api->retry) {
		free(api);
		return NULL;
	}
	stream_start(api);
	return api;
}

int dockerapi_pollfds(const struct dockerapi *api, struct pollfd *p, int max)
{
	const struct conn *conns[] = {api->stream, api->lookup};
	int i, n = 0;

	for (i = 0; i < 2 && n < max; i++) {
		if (!conns[i])
			continue;
		p[n].fd = bufferevent_getfd(conns[i]->bev);
		p[n].events = POLLIN;
		if (evbuffer_get_length(bufferevent_get_output(conns[i]->bev)))
			p[n].events |= POLLOUT;
		p[n].revents = 0;
		n++;
	}
	return n;
}

uint64_t dockerapi_failures(const struct dockerapi *api)
{
	return api ? api->failures : 0;
}

uint64_t dockerapi_gone(const struct dockerapi *api)
{
	return api ? api->gone : 0;
}

void dockerapi_free(struct dockerapi *api)
{
	if (!api)
		return;
	conn_free(api->stream);
	conn_free(api->lookup);
	event_free(api->retry);
	free(api);
}

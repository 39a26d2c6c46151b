/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Container names and Kubernetes labels from the Docker Engine API (Docker, or podman's
 * Docker-compatible service) on its unix socket, learnt as containers start (GET /events) and
 * looked up for ids seen without a start (GET /containers/ID/json). All I/O runs in the
 * caller's libevent loop and never blocks: a name not known yet when a row is formatted is
 * simply missing from that row.
 */
#ifndef TCPCONNLAT_DOCKERAPI_H
#define TCPCONNLAT_DOCKERAPI_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "container.h"

struct event_base;
struct dockerapi;

/* The fds dockerapi_pollfds() may give: the event stream and one lookup. */
#define DOCKERAPI_MAX_FDS 2

/*
 * Starts talking to the API at path (NULL: /var/run/docker.sock, else
 * /run/podman/podman.sock) in base's loop, filling c. With verbose, says on errf why names
 * are missing, once. Returns NULL only when out of memory.
 */
struct dockerapi *dockerapi_new(struct event_base *base, const char *path, struct containers *c,
				bool verbose, FILE *errf);
/* Asks for id's name unless already asked or the API is known to be away. */
void dockerapi_want(struct dockerapi *api, const char *id);
/* For a loop of poll(2) that steps base with EVLOOP_NONBLOCK: the API's fds now. */
int dockerapi_pollfds(const struct dockerapi *api, struct pollfd *p, int max);
/* Requests that failed (no socket, a timeout, not HTTP, not JSON, an error status). */
uint64_t dockerapi_failures(const struct dockerapi *api);
/* Containers the API no longer knew when asked (ended first): shown by id, not a failure. */
uint64_t dockerapi_gone(const struct dockerapi *api);
void dockerapi_free(struct dockerapi *api);

#endif

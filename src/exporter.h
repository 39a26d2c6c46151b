/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * --metrics and --textfile: serves the kernel's histograms over HTTP (libevent's evhttp) and
 * writes them to a file every interval, until *exiting is set.
 */
#ifndef TCPCONNLAT_EXPORTER_H
#define TCPCONNLAT_EXPORTER_H

#include <signal.h>
#include <stdio.h>
#include "args.h"
#include "tracer.h"
#include "cgroup.h"

/*
 * Before any BPF: binds and listens on --metrics's address (returns the socket), and checks
 * that --textfile's directory takes files. On failure prints one line naming the address or
 * path and the cause, and returns -1; *listen_fd is -1 without --metrics.
 */
int exporter_prepare(const struct config *cfg, int *listen_fd, FILE *err);

struct event_base;

/*
 * --by dhost: histograms user space aggregates from events instead of the kernel's. fd is
 * readable when events wait; pump reads them; read is tracer_read_hists()'s counterpart.
 */
struct hist_source {
	int fd;
	void (*pump)(void *ctx);
	size_t (*read)(void *ctx, struct hist_entry *v, size_t max, uint64_t *lost);
	void *ctx;
};

/*
 * Serves and writes until *exiting is set (or -d's time is up), in base's loop (which may
 * carry other I/O: the container API's). Takes listen_fd over. src: NULL for the kernel's
 * histograms. Returns 0, or 1 after printing why it could not go on.
 */
int exporter_run(struct tracer *t, const struct config *cfg, struct cgroups *cg, int listen_fd,
		 const struct hist_source *src, struct event_base *base,
		 volatile sig_atomic_t *exiting, FILE *err);

#endif

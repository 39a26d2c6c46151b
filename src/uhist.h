/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * --by dhost: the histograms user space keeps, since only it knows each connect's name. The
 * kernel then sends every connect as an event; this aggregates them as the kernel's hists map
 * does (the same struct hist_key, with dhost_id), and as many keys at most.
 */
#ifndef TCPCONNLAT_UHIST_H
#define TCPCONNLAT_UHIST_H

#include <stddef.h>
#include <stdint.h>
#include "hist.h"
#include "tcpconnlat.h"

struct uhist {
	struct hist_entry *v; /* v[0..n) */
	uint32_t *slot;	      /* open addressing: index + 1, 0 free */
	size_t n, max, nslots;
	uint32_t fields; /* HIST_F_* of the list */
	bool dhost;
	uint64_t lost; /* connects not counted: max keys (or names) reached */
};

int uhist_init(struct uhist *u, int by, size_t max);
void uhist_free(struct uhist *u);
/* One connect, named dhost (NULL: none known), into its key's histogram. */
void uhist_add(struct uhist *u, const struct event *e, const char *dhost);
/* As tracer_read_hists(): the cumulative histograms into v (at most max); *lost as there. */
size_t uhist_read(const struct uhist *u, struct hist_entry *v, size_t max, uint64_t *lost);

#endif

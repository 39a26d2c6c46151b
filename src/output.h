/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Writes lines to stdout: buffered, flushed once per batch, and noticing a reader that left. */
#ifndef TCPCONNLAT_OUTPUT_H
#define TCPCONNLAT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Big enough for a poll batch of lines; flushed once per batch, not per line. */
#define OUT_BUF_SIZE (64 * 1024)

struct output {
	FILE *fp;
	int fd;
	bool pipe; /* a pipe, FIFO or socket: its reader can go away */
	int err;   /* first write error (positive errno), sticky */
	/* stdio's own: glibc ignores the size given to setvbuf() without a buffer. */
	char buf[OUT_BUF_SIZE];
};

int out_init(struct output *o, FILE *fp);
void out_line(struct output *o, const char *line, size_t len);
/* Returns 0 or the first write error (EPIPE when the reader closed). */
int out_flush(struct output *o);
/* True when stdout is a pipe or socket whose reader has closed it, even if nothing was written. */
bool out_reader_gone(const struct output *o);

#endif

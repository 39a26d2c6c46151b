/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* --textfile: replaces a file's content at once, as node_exporter's textfile collector needs. */
#ifndef TCPCONNLAT_TEXTFILE_H
#define TCPCONNLAT_TEXTFILE_H

#include <stddef.h>

/*
 * Writes text to a temporary file next to path, then renames it over path: a reader sees the
 * old content or the new, never part of it. Mode 0644 (node_exporter reads it as another
 * user). Returns 0 or a negative errno; no temporary file is left behind.
 */
int textfile_write(const char *path, const char *text, size_t len);

/* Whether textfile_write() can work: creates and removes a temporary file next to path. */
int textfile_check(const char *path);

#endif

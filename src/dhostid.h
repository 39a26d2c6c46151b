/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * --by dhost: the numbers that stand for DNS names in struct hist_key's dhost_id. uhist.c
 * hands them out, hist.c turns them back into names.
 */
#ifndef TCPCONNLAT_DHOSTID_H
#define TCPCONNLAT_DHOSTID_H

#include <stdint.h>

/* The number of name, handed one the first time: 0 for NULL, UINT32_MAX when none is left. */
uint32_t dhost_id(const char *name);
/* The name behind a number, NULL for 0 or one not handed out. */
const char *dhost_name(uint32_t id);
/* Forgets every name. */
void dhost_ids_free(void);

#endif

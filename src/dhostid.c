// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <stdlib.h>
#include <string.h>
#include "dhostid.h"
#include "tcpconnlat.h"

/*
 * Names handed a number, for the run: one reader thread, and at most MAX_HIST_KEYS of them
 * (each names at least one key). Numbered from 1; 0 is "no name".
 */
static char *names[MAX_HIST_KEYS + 1];
static uint32_t nnames;

/* Linear: a handful of names in practice, and bounded; a hash if this ever shows. */
uint32_t dhost_id(const char *name)
{
	uint32_t i;

	if (!name)
		return 0;
	for (i = 1; i <= nnames; i++)
		if (!strcmp(names[i], name))
			return i;
	if (nnames == MAX_HIST_KEYS)
		return UINT32_MAX;
	names[nnames + 1] = strdup(name);
	if (!names[nnames + 1])
		return UINT32_MAX;
	return ++nnames;
}

const char *dhost_name(uint32_t id)
{
	return id && id <= nnames ? names[id] : NULL;
}

void dhost_ids_free(void)
{
	uint32_t i;

	for (i = 1; i <= nnames; i++)
		free(names[i]);
	nnames = 0;
}

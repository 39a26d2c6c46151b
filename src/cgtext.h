/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* A cgroup, and the container, pod or namespace it belongs to, as one word of text. */
#ifndef TCPCONNLAT_CGTEXT_H
#define TCPCONNLAT_CGTEXT_H

#include <stddef.h>
#include <stdint.h>
#include "cgroup.h"
#include "tcpconnlat.h"

/* cgroup_text(): a path escaped (escape_word(): up to 4 bytes per byte), or "id:N". */
#define CGROUP_TEXT_MAX (CGROUP_PATH_MAX * 4 + 1)

/* cgroup_path() as one word (escape_word()), or "id:N"; returns the length. */
size_t cgroup_text(struct cgroups *c, uint64_t id, char *buf, size_t len);

/* The text of a container, pod or namespace key of cgroup_id: "-" for none. */
size_t container_key_text(enum hist_by by, struct cgroups *cg, uint64_t cgroup_id, char *buf,
			  size_t len);

#endif

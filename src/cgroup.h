/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* cgroup v2 ids, as the BPF side records them, turned into paths below the cgroup2 mount. */
#ifndef TCPCONNLAT_CGROUP_H
#define TCPCONNLAT_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes of a cgroup path kept; a longer path is cut (Kubernetes paths are ~200 bytes). */
#define CGROUP_PATH_MAX 1024
/* Its text (escape_word(): up to 4 bytes per byte), or "id:N". */
#define CGROUP_TEXT_MAX (CGROUP_PATH_MAX * 4 + 1)

struct cgroup_slot;

struct cgroups {
	int mount_fd; /* the cgroup2 mount, or -1 */
	char mount[PATH_MAX];
	struct cgroup_slot *slots; /* cache of id -> path, open addressing */
	size_t cap, used;
};

/*
 * The mount point of the first cgroup2 file system in mountinfo (the format of
 * /proc/self/mountinfo), unescaped, into buf: 0, or -ENOENT if there is none. Hybrid systems
 * mount it at /sys/fs/cgroup/unified, pure v2 ones at /sys/fs/cgroup.
 */
int cgroup2_mount_find(FILE *mountinfo, char *buf, size_t len);

/*
 * Finds and opens this mount namespace's cgroup2 mount. 0, or -ENOENT (none mounted) or
 * another negative errno; then c resolves nothing and every id shows as "id:N".
 */
int cgroups_open(struct cgroups *c);
void cgroups_close(struct cgroups *c);

/*
 * The path of cgroup id below the cgroup2 mount ("/" for its root, "/system.slice/..."),
 * looked up once and cached; NULL when it cannot be found (removed before it was looked up,
 * or outside what this mount shows).
 */
const char *cgroup_path(struct cgroups *c, uint64_t id);

/* cgroup_path() as one word (escape_word()), or "id:N"; returns the length. */
size_t cgroup_text(struct cgroups *c, uint64_t id, char *buf, size_t len);

#endif

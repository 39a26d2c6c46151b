/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* cgroup v2 ids, as the BPF side records them, turned into paths below the cgroup2 mount. */
#ifndef TCPCONNLAT_CGROUP_H
#define TCPCONNLAT_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes of a cgroup path kept; a longer path is cut (Kubernetes paths are ~200 bytes). */
#define CGROUP_PATH_MAX 1024

struct cgroup_slot;
struct containers;
struct container_ref;
struct container_info;

struct cgroups {
	int mount_fd; /* the cgroup2 mount, or -1 */
	char mount[PATH_MAX];
	/*
	 * It shows a part of the hierarchy only: it was mounted in a cgroup namespace of its
	 * own (a container's), or it is a bind mount of a subtree.
	 */
	bool partial;
	struct cgroup_slot *slots; /* cache of id -> path, open addressing */
	size_t cap, used;
	/*
	 * Called before an id not in the cache is looked up: hands what the kernel reported
	 * of cgroups made since (cgroups_learn()) to the cache, so that one already removed
	 * is still named. NULL: none.
	 */
	void (*refresh)(void *ctx);
	void *refresh_ctx;
	/* What runtimes said of containers (-C, --by container...); NULL: nothing. */
	struct containers *containers;
};

/*
 * The mount point of the first cgroup2 file system in mountinfo (the format of
 * /proc/self/mountinfo), unescaped, into buf: 0, or -ENOENT if there is none. Hybrid systems
 * mount it at /sys/fs/cgroup/unified, pure v2 ones at /sys/fs/cgroup.
 */
int cgroup2_mount_find(FILE *mountinfo, char *buf, size_t len);

/*
 * Finds and opens this mount namespace's cgroup2 mount: the first one that shows the whole
 * hierarchy, else the first one (c->partial). 0, or -ENOENT (none mounted) or another
 * negative errno; then c resolves nothing and every id shows as "id:N".
 */
int cgroups_open(struct cgroups *c);
void cgroups_close(struct cgroups *c);

/*
 * The path of cgroup id below the cgroup2 mount ("/" for its root, "/system.slice/..."),
 * looked up once and cached; NULL when it cannot be found (removed before it was looked up,
 * or outside what this mount shows).
 */
const char *cgroup_path(struct cgroups *c, uint64_t id);

/*
 * Records the path of cgroup id (from the hierarchy's root, as the kernel's cgroup_mkdir and
 * cgroup_rename tracepoints give it), replacing what the cache held for it.
 */
void cgroups_learn(struct cgroups *c, uint64_t id, const char *path);

/*
 * Records every cgroup below the mount as it is now: with cgroups_learn() fed from the time
 * before, a cgroup that existed at any time since start-up is named even once removed.
 * Returns how many were found, or a negative errno.
 */
int cgroups_scan(struct cgroups *c);

/*
 * The container of cgroup id, from its path (container_parse()), and what is known of it
 * (container_lookup()): false, with *ref and *info empty, outside containers or for a cgroup
 * whose path is not known.
 */
bool cgroup_container(struct cgroups *c, uint64_t id, struct container_ref *ref,
		      struct container_info *info);

#endif

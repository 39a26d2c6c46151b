// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "container.h"

/*
 * A cgroup v2 id is the kernfs id of its directory, and kernfs takes it back as a file
 * handle of this type (include/linux/exportfs.h, not exported to user space).
 */
#define FILEID_KERNFS 0xfe
/* The cache starts at this many slots and is emptied, not grown, past the maximum. */
#define CACHE_MIN 64
#define CACHE_MAX 65536

struct cgroup_slot {
	uint64_t id; /* 0: free (no cgroup has id 0) */
	char *path;  /* NULL: looked up, not found */
};

/* Undoes mountinfo's octal escapes (\040 for a space, \011, \012, \134) in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int cgroup2_mount_find(FILE *mountinfo, char *buf, size_t len)
{
	char line[4096], *fields[6], *sep, *save, *tok;
	int n;

	while (fgets(line, sizeof(line), mountinfo)) {
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE ..." */
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		tok = strtok_r(sep + 3, " \n", &save);
		if (!tok || strcmp(tok, "cgroup2"))
			continue;
		for (n = 0, tok = strtok_r(line, " ", &save); tok && n < 6;
		     tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		if (n < 5)
			continue;
		unescape_octal(fields[4]);
		if (strlen(fields[4]) >= len)
			return -ENAMETOOLONG;
		strcpy(buf, fields[4]);
		return 0;
	}
	return -ENOENT;
}

/*
 * The hierarchy's root cgroup has no cgroup.events (CFTYPE_NOT_ON_ROOT in
 * kernel/cgroup/cgroup.c, since 4.5); a cgroup namespace's root, which its own mounts
 * show at their top, is a cgroup below it and has one.
 */
static bool whole_tree(int dirfd)
{
	return faccessat(dirfd, "cgroup.events", F_OK, AT_EACCESS) && errno == ENOENT;
}

int cgroups_open(struct cgroups *c)
{
	char path[PATH_MAX];
	bool whole = false;
	int err = 0, found, fd;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->mount_fd = -1;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	/*
	 * A container with a cgroup namespace of its own has its own cgroup2 mount (its part of
	 * the tree); the host's, if it was given one, shows every cgroup and is taken instead.
	 */
	while (!whole && (found = cgroup2_mount_find(f, path, sizeof(path))) != -ENOENT) {
		fd = found ? -1 : open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			err = found ?: -errno;
			continue;
		}
		whole = whole_tree(fd);
		if (c->mount_fd >= 0 && !whole) {
			close(fd);
			continue;
		}
		if (c->mount_fd >= 0)
			close(c->mount_fd);
		c->mount_fd = fd;
		c->partial = !whole;
		strcpy(c->mount, path);
	}
	fclose(f);
	if (c->mount_fd >= 0)
		return 0;
	return err ?: -ENOENT;
}

void cgroups_close(struct cgroups *c)
{
	size_t i;

	for (i = 0; i < c->cap; i++)
		free(c->slots[i].path);
	free(c->slots);
	if (c->mount_fd >= 0)
		close(c->mount_fd);
	c->slots = NULL;
	c->cap = c->used = 0;
	c->mount_fd = -1;
}

/* The kernel's path of the cgroup directory id, below the mount; NULL if not found. */
static char *lookup(const struct cgroups *c, uint64_t id)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	char link[64], path[PATH_MAX];
	size_t mlen = strlen(c->mount);
	ssize_t n;
	int fd;

	if (c->mount_fd < 0)
		return NULL;
	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(c->mount_fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	path[n] = '\0';
	if (strncmp(path, c->mount, mlen) || (path[mlen] && path[mlen] != '/'))
		return NULL;
	return strndup(path[mlen] ? path + mlen : "/", CGROUP_PATH_MAX - 1);
}

static struct cgroup_slot *slot_of(struct cgroup_slot *slots, size_t cap, uint64_t id)
{
	size_t i = (id * 0x9e3779b97f4a7c15ull) & (cap - 1);

	while (slots[i].id && slots[i].id != id)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Room for one more id: doubles the table, or empties it at CACHE_MAX. */
static int make_room(struct cgroups *c)
{
	struct cgroup_slot *slots, *s;
	size_t cap, i;

	if (c->cap && (c->used + 1) * 4 <= c->cap * 3)
		return 0;
	cap = c->cap ? c->cap * 2 : CACHE_MIN;
	if (cap > CACHE_MAX) {
		for (i = 0; i < c->cap; i++)
			free(c->slots[i].path);
		memset(c->slots, 0, c->cap * sizeof(*c->slots));
		c->used = 0;
		return 0;
	}
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < c->cap; i++) {
		if (!c->slots[i].id)
			continue;
		s = slot_of(slots, cap, c->slots[i].id);
		*s = c->slots[i];
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	return 0;
}

/* The cache's slot for id, made if need be (its path NULL); NULL when out of memory. */
static struct cgroup_slot *slot_for(struct cgroups *c, uint64_t id, bool *found)
{
	struct cgroup_slot *s;

	*found = false;
	if (c->cap) {
		s = slot_of(c->slots, c->cap, id);
		if (s->id) {
			*found = true;
			return s;
		}
	}
	if (make_room(c))
		return NULL;
	s = slot_of(c->slots, c->cap, id);
	s->id = id;
	s->path = NULL;
	c->used++;
	return s;
}

static struct cgroup_slot *cached(struct cgroups *c, uint64_t id)
{
	struct cgroup_slot *s;

	if (!c->cap)
		return NULL;
	s = slot_of(c->slots, c->cap, id);
	return s->id ? s : NULL;
}

const char *cgroup_path(struct cgroups *c, uint64_t id)
{
	struct cgroup_slot *s;
	bool found;

	if (!id)
		return NULL;
	s = cached(c, id);
	if (s)
		return s->path;
	/* Made since the last refresh, and perhaps removed already: the kernel said where. */
	if (c->refresh) {
		c->refresh(c->refresh_ctx);
		s = cached(c, id);
		if (s)
			return s->path;
	}
	/* Out of memory for the cache: shown by its id. */
	s = slot_for(c, id, &found);
	if (!s)
		return NULL;
	s->path = lookup(c, id);
	return s->path;
}

void cgroups_learn(struct cgroups *c, uint64_t id, const char *path)
{
	struct cgroup_slot *s;
	bool found;
	char *p;

	if (!id || !path[0])
		return;
	p = strndup(path, CGROUP_PATH_MAX - 1);
	if (!p)
		return;
	s = slot_for(c, id, &found);
	if (!s) {
		free(p);
		return;
	}
	free(s->path);
	s->path = p;
}

/* nftw() passes no context: the scan in progress. */
static struct cgroups *scanning;
static int scanned;

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	size_t mlen = strlen(scanning->mount);
	uint64_t id;
	int mount_id;

	(void)st;
	(void)ftw;
	if (type != FTW_D)
		return 0;
	h.fh.handle_bytes = sizeof(id);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) ||
	    h.fh.handle_type != FILEID_KERNFS || h.fh.handle_bytes != sizeof(id))
		return 0;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	cgroups_learn(scanning, id, path[mlen] ? path + mlen : "/");
	scanned++;
	return 0;
}

int cgroups_scan(struct cgroups *c)
{
	int err;

	if (c->mount_fd < 0)
		return -ENOENT;
	scanning = c;
	scanned = 0;
	/* Physical walk, one mount: a cgroup tree has no links and no mounts inside. */
	err = nftw(c->mount, scan_one, 16, FTW_PHYS | FTW_MOUNT);
	scanning = NULL;
	return err ? -errno : scanned;
}

bool cgroup_container(struct cgroups *c, uint64_t id, struct container_ref *ref,
		      struct container_info *info)
{
	const char *path = cgroup_path(c, id);
	bool found = path && container_parse(path, ref);

	if (!found) {
		memset(ref, 0, sizeof(*ref));
		memset(info, 0, sizeof(*info));
		return false;
	}
	container_lookup(c->containers, ref, info);
	return true;
}

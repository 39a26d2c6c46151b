// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "podlogs.h"

/* A pod UID as the cgroup path gives it: a UUID, or 32 hex digits (a static pod's). */
static bool pod_uid(const char *s, size_t n)
{
	size_t i;

	if (n != 32 && n != 36)
		return false;
	for (i = 0; i < n; i++) {
		bool dash = n == 36 && (i == 8 || i == 13 || i == 18 || i == 23);
		bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');

		if (dash ? s[i] != '-' : !hex)
			return false;
	}
	return true;
}

bool podlogs_parse(const char *dirname, char *namespace, char *pod, char *uid)
{
	const char *a = strchr(dirname, '_'), *b = strrchr(dirname, '_');
	size_t ns_len, pod_len, uid_len;

	if (!a || a == b)
		return false;
	ns_len = a - dirname;
	pod_len = b - a - 1;
	uid_len = strlen(b + 1);
	if (!ns_len || !pod_len || ns_len >= CONTAINER_NAME_MAX || pod_len >= CONTAINER_NAME_MAX ||
	    !pod_uid(b + 1, uid_len))
		return false;
	memcpy(namespace, dirname, ns_len);
	namespace[ns_len] = '\0';
	memcpy(pod, a + 1, pod_len);
	pod[pod_len] = '\0';
	memcpy(uid, b + 1, uid_len + 1);
	return true;
}

/* The name of the only container directory in a pod's directory, or "". */
static void only_container(int dirfd, const char *pod_dir, char *name)
{
	struct dirent *d;
	int n = 0, fd = openat(dirfd, pod_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

	name[0] = '\0';
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || d->d_type != DT_DIR)
			continue;
		if (++n == 1 && strlen(d->d_name) < CONTAINER_NAME_MAX)
			strcpy(name, d->d_name);
	}
	if (n != 1)
		name[0] = '\0';
	closedir(dir);
}

int podlogs_scan(struct containers *c, const char *dir)
{
	char namespace[CONTAINER_NAME_MAX], pod[CONTAINER_NAME_MAX], uid[POD_UID_MAX + 1];
	char container[CONTAINER_NAME_MAX];
	struct dirent *d;
	DIR *top = opendir(dir);
	int n = 0;

	if (!top)
		return -errno;
	while ((d = readdir(top))) {
		if (d->d_name[0] == '.' || !podlogs_parse(d->d_name, namespace, pod, uid))
			continue;
		only_container(dirfd(top), d->d_name, container);
		containers_set_pod(c, uid, pod, namespace, container);
		n++;
	}
	closedir(top);
	return n;
}

static bool hex_id(const char *s, size_t n)
{
	size_t i;

	if (n != CONTAINER_ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Copies n bytes of s into a CONTAINER_NAME_MAX buffer: false if empty or too long. */
static bool name_of(const char *s, size_t n, char *out)
{
	if (!n || n >= CONTAINER_NAME_MAX)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

bool podlogs_parse_link(const char *filename, char *pod, char *namespace, char *container, char *id)
{
	size_t len = strlen(filename), rest;
	const char *a, *b, *dash;

	/* "-" ID ".log" at the end; Kubernetes names have no '_', so two split the rest. */
	if (len < CONTAINER_ID_LEN + 5 || strcmp(filename + len - 4, ".log"))
		return false;
	dash = filename + len - 4 - CONTAINER_ID_LEN - 1;
	if (*dash != '-' || !hex_id(dash + 1, CONTAINER_ID_LEN))
		return false;
	rest = dash - filename;
	a = memchr(filename, '_', rest);
	b = a ? memchr(a + 1, '_', rest - (a + 1 - filename)) : NULL;
	if (!b || memchr(b + 1, '_', dash - (b + 1)))
		return false;
	if (!name_of(filename, a - filename, pod) || !name_of(a + 1, b - a - 1, namespace) ||
	    !name_of(b + 1, dash - b - 1, container))
		return false;
	memcpy(id, dash + 1, CONTAINER_ID_LEN);
	id[CONTAINER_ID_LEN] = '\0';
	return true;
}

int podlogs_links_dir(const char *pods_dir, char *buf, size_t len)
{
	size_t n = strlen(pods_dir);
	int w;

	/* Its last component, trailing slashes and all, is replaced. */
	while (n > 1 && pods_dir[n - 1] == '/')
		n--;
	while (n > 0 && pods_dir[n - 1] != '/')
		n--;
	w = snprintf(buf, len, "%.*scontainers", (int)n, pods_dir);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

int podlogs_scan_links(struct containers *c, const char *dir)
{
	char id[CONTAINER_ID_LEN + 1];
	struct container_info info;
	const struct container_info *known;
	struct dirent *d;
	DIR *top = opendir(dir);
	int n = 0;

	if (!top)
		return -errno;
	while ((d = readdir(top))) {
		if (d->d_type == DT_DIR ||
		    !podlogs_parse_link(d->d_name, info.pod, info.namespace, info.name, id))
			continue;
		n++;
		/* What a runtime said stays; a name asked of it and not answered yet is none. */
		known = containers_get(c, id);
		if (!known || !known->name[0])
			containers_set(c, id, &info);
	}
	closedir(top);
	return n;
}

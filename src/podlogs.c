// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

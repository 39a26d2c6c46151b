// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "textfile.h"

/*
 * The temporary file: ".NAME.XXXXXX" in path's directory (rename() works within one file
 * system only). The leading dot and the suffix keep node_exporter, which reads *.prom only,
 * from ever reading it.
 */
static int open_temp(const char *path, char *tmp, size_t len)
{
	const char *slash = strrchr(path, '/');
	int dir = slash ? (int)(slash - path + 1) : 0, n, fd;

	n = snprintf(tmp, len, "%.*s.%s.XXXXXX", dir, path, slash ? slash + 1 : path);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int textfile_write(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	size_t done = 0;
	ssize_t n;
	int fd, err = 0;

	fd = open_temp(path, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	while (done < len) {
		n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto cleanup;
		}
		done += n;
	}
	if (fchmod(fd, 0644))
		err = -errno;
cleanup:
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int textfile_check(const char *path)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd;

	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return -EISDIR;
	fd = open_temp(path, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	close(fd);
	unlink(tmp);
	return 0;
}

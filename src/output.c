// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <poll.h>
#include <sys/stat.h>
#include "output.h"

int out_init(struct output *o, FILE *fp)
{
	struct stat st;

	o->fp = fp;
	o->fd = fileno(fp);
	o->err = 0;
	/* A socket too: systemd's StandardOutput=journal or socket, a socketpair's end. */
	o->pipe = !fstat(o->fd, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	/* Full buffering even on a terminal: out_flush() decides when lines leave. */
	return setvbuf(fp, o->buf, _IOFBF, sizeof(o->buf)) ? -errno : 0;
}

void out_line(struct output *o, const char *line, size_t len)
{
	if (o->err)
		return;
	if (fwrite(line, 1, len, o->fp) != len)
		o->err = errno ? errno : EIO;
}

int out_flush(struct output *o)
{
	if (!o->err && fflush(o->fp))
		o->err = errno ? errno : EIO;
	return o->err;
}

bool out_reader_gone(const struct output *o)
{
	struct pollfd p = {.fd = o->fd, .events = 0};

	/*
	 * The write end of a pipe reports POLLERR once the last reader has closed it; a
	 * connected stream socket reports POLLHUP once its peer has closed (a TCP peer's close
	 * is only a FIN, which shows at the next write: a half-closed peer may still read).
	 */
	return o->pipe && poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What the connect helpers share: the local port a test matches the tracer's lines by. */
#ifndef TCPCONNLAT_HELPERS_PORT_H
#define TCPCONNLAT_HELPERS_PORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* The socket's local port, or 0 if it has none. */
static inline int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

#endif

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "tcpconnlat.h"
#include "text.h"

size_t escape_word(const char *s, size_t n, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, pos = 0;

	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];
		bool plain = c > ' ' && c < 0x7f && c != '\\';

		/* Room for this byte's text and the final NUL, or stop here. */
		if (pos + (plain ? 1 : 4) + 1 > len)
			break;
		if (plain) {
			out[pos++] = c;
			continue;
		}
		out[pos++] = '\\';
		out[pos++] = 'x';
		out[pos++] = hex[c >> 4];
		out[pos++] = hex[c & 0xf];
	}
	if (len)
		out[pos] = '\0';
	return pos;
}

size_t escape_comm(const char *comm, char *out, size_t len)
{
	return escape_word(comm, TASK_COMM_LEN, out, len);
}

size_t fmt_addr(int af, const void *addr, char *buf, size_t len)
{
	if ((af != AF_INET && af != AF_INET6) || !inet_ntop(af, addr, buf, len))
		return fmt_len(snprintf(buf, len, "?"), len);
	return strlen(buf);
}

const char *fmt_ip_version(int af)
{
	return af == AF_INET ? "4" : af == AF_INET6 ? "6" : NULL;
}

size_t fmt_len(int n, size_t len)
{
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *p;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += n;
			return;
		}
		cap = b->cap ? b->cap * 2 : 64 * 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

void *sb_extend(struct strbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 64 * 1024;
	char *p;

	if (b->oom)
		return NULL;
	if (b->len + n + 1 <= b->cap) { /* the usual case: room left */
		b->len += n;
		b->p[b->len] = '\0';
		return b->p + b->len - n;
	}
	while (cap < b->len + n + 1)
		cap *= 2;
	if (cap != b->cap) {
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->len += n;
	b->p[b->len] = '\0'; /* text stays a string */
	return b->p + b->len - n;
}

void sb_free(struct strbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

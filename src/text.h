/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Text helpers every other module may use: escaping, addresses, snprintf() lengths and a
 * growing buffer. A leaf: it uses no other module (only tcpconnlat.h's TASK_COMM_LEN).
 */
#ifndef TCPCONNLAT_TEXT_H
#define TCPCONNLAT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copies at most n bytes of s (up to a NUL) so that they are one printable, whitespace-free
 * word: bytes outside '!'..'~' and the backslash become "\xHH". Any process can name
 * itself, and any cgroup, terminal escapes and spaces included. Stops before a byte whose
 * text would not fit.
 */
size_t escape_word(const char *s, size_t n, char *out, size_t len);
/* escape_word() of a kernel COMM (at most TASK_COMM_LEN bytes, NUL-terminated or not). */
size_t escape_comm(const char *comm, char *out, size_t len);

/* An IPv4 or IPv6 address of family af as text ("?" for another family); returns its length. */
size_t fmt_addr(int af, const void *addr, char *buf, size_t len);

/* The IP version as the IP column and JSON's "ip" say it: "4", "6", or NULL for neither. */
const char *fmt_ip_version(int af);

/* What snprintf() returned n for wrote into a buffer of len bytes, the NUL not counted. */
size_t fmt_len(int n, size_t len);

/* A growing text buffer; oom is set (and text stops growing) when memory runs out. */
struct strbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *b);
/* n more bytes at the end of b, for the caller to fill; NULL (and oom set) without memory. */
void *sb_extend(struct strbuf *b, size_t n);

#endif

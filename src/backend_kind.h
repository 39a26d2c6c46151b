/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * The attach backends by name: tracer.c runs them, the option parser names them. Inline,
 * so that naming one links no libbpf.
 */
#ifndef TCPCONNLAT_BACKEND_KIND_H
#define TCPCONNLAT_BACKEND_KIND_H

enum backend {
	BACKEND_AUTO,
	BACKEND_FENTRY,
	BACKEND_KPROBE,
	BACKEND_TRACEPOINT,
};

/* As --backend takes it and -v and JSON say it; "?" for no backend. */
static inline const char *backend_name(enum backend b)
{
	switch (b) {
	case BACKEND_AUTO:
		return "auto";
	case BACKEND_FENTRY:
		return "fentry";
	case BACKEND_KPROBE:
		return "kprobe";
	case BACKEND_TRACEPOINT:
		return "tracepoint";
	}
	return "?";
}

#endif

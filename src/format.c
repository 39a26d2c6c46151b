// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "cgtext.h"
#include "format.h"

struct column {
	const char *title;
	int width; /* left-aligned, padded to this; the last column is not padded */
	bool (*shown)(const struct formatter *f);
	int (*cell)(char *buf, size_t len, const struct formatter *f, const struct event *e);
};

static bool always(const struct formatter *f)
{
	(void)f;
	return true;
}

static bool with_timestamp(const struct formatter *f)
{
	return f->timestamp;
}

static bool with_lport(const struct formatter *f)
{
	return f->lport;
}

static bool with_syn_retrans(const struct formatter *f)
{
	return f->syn_retrans;
}

static bool with_result(const struct formatter *f)
{
	return f->result;
}

static bool with_names(const struct formatter *f)
{
	return f->names;
}

static bool with_cgroup(const struct formatter *f)
{
	return f->cgroups != NULL;
}

static bool with_container(const struct formatter *f)
{
	return f->container != NULL;
}

static int cell_time(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	/* Signed: events from different CPUs may arrive slightly out of order. */
	return snprintf(buf, len, "%.3f", (int64_t)(e->ts_us - f->first_ts_us) / 1e6);
}

static int cell_pid(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)f;
	return snprintf(buf, len, "%u", e->tgid);
}

static int cell_comm(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)f;
	/* A process may rename itself to ""; keep the column count for awk. */
	if (!e->comm[0])
		return snprintf(buf, len, "-");
	return escape_comm(e->comm, buf, len);
}

static int cell_ip(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	const char *v = fmt_ip_version(e->af);

	(void)f;
	return snprintf(buf, len, "%s", v ? v : "?");
}

static int cell_saddr(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)f;
	return fmt_addr(e->af, e->saddr, buf, len);
}

static int cell_daddr(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)f;
	return fmt_addr(e->af, e->daddr, buf, len);
}

static int cell_lport(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)f;
	return snprintf(buf, len, "%u", e->lport);
}

static int cell_dport(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)f;
	return snprintf(buf, len, "%u", e->dport);
}

static int cell_lat(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)f;
	return snprintf(buf, len, "%.2f", e->delta_us / 1000.0);
}

static int cell_syn_retrans(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)f;
	return snprintf(buf, len, "%u", e->syn_retrans);
}

static int cell_result(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)f;
	return fmt_result(e, buf, len);
}

static int cell_dhost(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	(void)e;
	if (!f->dhost || !f->dhost[0])
		return snprintf(buf, len, "-");
	return escape_word(f->dhost, DNS_NAME_MAX, buf, len);
}

static int cell_container(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	return container_key_text(HIST_BY_CONTAINER, f->container, e->cgroup_id, buf, len);
}

static int cell_cgroup(char *buf, size_t len, const struct formatter *f, const struct event *e)
{
	return cgroup_text(f->cgroups, e->cgroup_id, buf, len);
}

/*
 * Titles and widths up to LAT(ms) are BCC tcpconnlat's, so existing scripts keep working;
 * the optional columns come after it.
 */
static const struct column columns[] = {
	{"TIME(s)", 9, with_timestamp, cell_time},
	{"PID", 6, always, cell_pid},
	{"COMM", 12, always, cell_comm},
	{"IP", 2, always, cell_ip},
	{"SADDR", 16, always, cell_saddr},
	{"LPORT", 6, with_lport, cell_lport},
	{"DADDR", 16, always, cell_daddr},
	{"DPORT", 5, always, cell_dport},
	{"LAT(ms)", 7, always, cell_lat},
	{"SYNRTX", 6, with_syn_retrans, cell_syn_retrans},
	{"RESULT", 7, with_result, cell_result},
	{"DHOST", 16, with_names, cell_dhost},
	{"CONTAINER", 12, with_container, cell_container},
	{"CGROUP", 0, with_cgroup, cell_cgroup},
};

#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

void fmt_init(struct formatter *f, bool timestamp, bool lport)
{
	memset(f, 0, sizeof(*f));
	f->timestamp = timestamp;
	f->lport = lport;
}

/* Lays the columns out into buf; e == NULL gives the header. */
static size_t fmt_line(const struct formatter *f, const struct event *e, char *buf, size_t len)
{
	char cell[CGROUP_TEXT_MAX > DHOST_TEXT_MAX ? CGROUP_TEXT_MAX : DHOST_TEXT_MAX];
	size_t pos = 0, i, last = 0;
	int n;

	/* The last column shown is not padded: no trailing blanks. */
	for (i = 0; i < NCOLUMNS; i++)
		if (columns[i].shown(f))
			last = i;
	for (i = 0; i < NCOLUMNS && pos < len; i++) {
		const struct column *c = &columns[i];

		if (!c->shown(f))
			continue;
		if (e)
			c->cell(cell, sizeof(cell), f, e);
		else
			snprintf(cell, sizeof(cell), "%s", c->title);
		n = snprintf(buf + pos, len - pos, "%s%-*s", pos ? " " : "",
			     i < last ? c->width : 0, cell);
		pos += n > 0 ? (size_t)n : 0;
	}
	if (pos >= len - 1)
		pos = len - 2;
	buf[pos++] = '\n';
	buf[pos] = '\0';
	return pos;
}

size_t fmt_header(const struct formatter *f, char *buf, size_t len)
{
	return fmt_line(f, NULL, buf, len);
}

size_t fmt_event(struct formatter *f, const struct event *e, char *buf, size_t len)
{
	if (!f->have_first) {
		f->have_first = true;
		f->first_ts_us = e->ts_us;
	}
	return fmt_line(f, e, buf, len);
}

/* fail_reason_of() spells these errnos as numbers, for the BPF side. */
_Static_assert(ECONNREFUSED == 111 && ETIMEDOUT == 110 && EHOSTUNREACH == 113 && ENETUNREACH == 101,
	       "fail_reason_of() in tcpconnlat.h assumes Linux's generic errno values");

static const char *const reason_names[] = {
	[FAIL_REFUSED] = "refused", [FAIL_TIMEOUT] = "timeout", [FAIL_UNREACH] = "unreach",
	[FAIL_ABORTED] = "aborted", [FAIL_ERROR] = "error",
};

const char *fail_reason_name(enum fail_reason r)
{
	return r < FAIL_REASONS ? reason_names[r] : "error";
}

size_t fmt_result(const struct event *e, char *buf, size_t len)
{
	enum fail_reason r = fail_reason_of(e->err);
	const char *name;
	int n;

	/* aborted: closed (or shut down) by its owner while connecting */
	if (!e->failed)
		name = "ok";
	else if (r != FAIL_ERROR)
		name = fail_reason_name(r);
	else
		name = NULL;
	if (name)
		n = snprintf(buf, len, "%s", name);
	else if ((name = strerrorname_np(e->err)))
		n = snprintf(buf, len, "error:%s", name);
	else
		n = snprintf(buf, len, "error:%u", e->err);
	return fmt_len(n, len);
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "container.h"
#include "format.h"
#include "json.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF are not valid UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t json_string(const char *str, size_t max, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, max), i = 0, pos = 0, k;
	char esc[8];

	if (len < 3) {
		if (len)
			out[0] = '\0';
		return 0;
	}
	out[pos++] = '"';
	while (i < n) {
		k = utf8_len(s + i, n - i);
		if (k == 1 && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' && s[i] != 0x7f) {
			snprintf(esc, sizeof(esc), "%c", s[i]);
		} else if (k == 1 && (s[i] == '"' || s[i] == '\\')) {
			snprintf(esc, sizeof(esc), "\\%c", s[i]);
		} else if (k > 1) {
			memcpy(esc, s + i, k);
			esc[k] = '\0';
		} else {
			/* Controls, DEL, and bytes that are not UTF-8. */
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			k = 1;
		}
		/* Room for this piece, the closing quote and the NUL, or stop here. */
		if (pos + strlen(esc) + 2 > len)
			break;
		memcpy(out + pos, esc, strlen(esc));
		pos += strlen(esc);
		i += k;
	}
	out[pos++] = '"';
	out[pos] = '\0';
	return pos;
}

size_t json_comm(const char *comm, char *out, size_t len)
{
	return json_string(comm, TASK_COMM_LEN, out, len);
}

/* RFC 3339 in UTC with microseconds: 2026-11-25T04:55:01.123456Z. */
static void time_text(int64_t wall_us, char *buf, size_t len)
{
	time_t secs = wall_us / 1000000;
	struct tm tm;

	if (wall_us < 0 || !gmtime_r(&secs, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf + strlen(buf), len - strlen(buf), ".%06lldZ", (long long)(wall_us % 1000000));
}

/* s as a JSON string, or null when it is empty. */
static void json_or_null(const char *s, char *out, size_t len)
{
	if (s[0])
		json_string(s, CONTAINER_NAME_MAX, out, len);
	else
		snprintf(out, len, "null");
}

size_t json_event(const struct json_ctx *j, const struct event *e, char *buf, size_t len)
{
	char comm[TASK_COMM_LEN * 6 + 3], saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];
	char when[40], result[32], err[40], cgroup[CGROUP_PATH_MAX * 6 + 3];
	char dhost[JSON_DHOST_MAX];
	char cid[CONTAINER_ID_LEN + 3], cname[CONTAINER_NAME_MAX * 6 + 3];
	char pod[CONTAINER_NAME_MAX * 6 + 3], ns[CONTAINER_NAME_MAX * 6 + 3];
	struct container_ref ref = {};
	struct container_info info = {};
	const char *ename, *path, *ip = fmt_ip_version(e->af);
	int64_t wall_us;
	int n;

	json_comm(e->comm, comm, sizeof(comm));
	fmt_addr(e->af, e->saddr, saddr, sizeof(saddr));
	fmt_addr(e->af, e->daddr, daddr, sizeof(daddr));
	/* A monotonic time is nowhere near 2^63 us, but a time past it must not overflow. */
	if (e->ts_us > INT64_MAX ||
	    __builtin_add_overflow((int64_t)e->ts_us, j->wall_offset_us, &wall_us))
		wall_us = -1;
	time_text(wall_us, when, sizeof(when));
	fmt_result(e, result, sizeof(result));
	path = j->cgroups ? cgroup_path(j->cgroups, e->cgroup_id) : NULL;
	if (path)
		json_string(path, CGROUP_PATH_MAX, cgroup, sizeof(cgroup));
	else if (j->cgroups)
		snprintf(cgroup, sizeof(cgroup), "\"id:%llu\"", (unsigned long long)e->cgroup_id);
	else
		snprintf(cgroup, sizeof(cgroup), "null");
	if (j->dhost)
		json_string(j->dhost, DNS_NAME_MAX, dhost, sizeof(dhost));
	else
		snprintf(dhost, sizeof(dhost), "null");
	if (j->cgroups)
		cgroup_container(j->cgroups, e->cgroup_id, &ref, &info);
	json_or_null(ref.id, cid, sizeof(cid));
	json_or_null(info.name, cname, sizeof(cname));
	json_or_null(info.pod, pod, sizeof(pod));
	json_or_null(info.namespace, ns, sizeof(ns));
	ename = e->err ? strerrorname_np(e->err) : NULL;
	if (!e->failed || !e->err)
		snprintf(err, sizeof(err), "null");
	else if (ename)
		snprintf(err, sizeof(err), "\"%s\"", ename);
	else
		snprintf(err, sizeof(err), "\"%u\"", e->err);
	n = snprintf(buf, len,
		     "{\"time\":\"%s\",\"pid\":%u,\"comm\":%s,\"ip\":%s,\"saddr\":\"%s\","
		     "\"lport\":%u,\"daddr\":\"%s\",\"dport\":%u,\"lat_us\":%llu,"
		     "\"result\":\"%s\",\"errno\":%s,\"syn_retrans\":%u,\"backend\":\"%s\","
		     "\"cgroup\":%s,\"container_id\":%s,\"container\":%s,\"pod\":%s,"
		     "\"namespace\":%s,\"dhost\":%s}\n",
		     when, e->tgid, comm, ip ? ip : "null", saddr, e->lport, daddr, e->dport,
		     (unsigned long long)e->delta_us, result, err, e->syn_retrans, j->backend,
		     cgroup, cid, cname, pod, ns, dhost);
	/* Never cut: the buffer is sized for the widest object. */
	return fmt_len(n, len);
}

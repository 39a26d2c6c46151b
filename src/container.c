// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container.h"
#include "text.h"

static bool all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* s[0..n) is prefix + 64 hex + suffix exactly: copies the id. */
static bool id_between(const char *s, size_t n, const char *prefix, const char *suffix, char *id)
{
	size_t p = strlen(prefix), q = strlen(suffix);

	if (n != p + CONTAINER_ID_LEN + q || strncmp(s, prefix, p) ||
	    strncmp(s + p + CONTAINER_ID_LEN, suffix, q) || !all_hex(s + p, CONTAINER_ID_LEN))
		return false;
	memcpy(id, s + p, CONTAINER_ID_LEN);
	id[CONTAINER_ID_LEN] = '\0';
	return true;
}

/*
 * The container id one path component names. Systemd driver: docker-ID.scope (Docker),
 * cri-containerd-ID.scope (containerd's CRI), crio-ID.scope (CRI-O), libpod-ID.scope
 * (podman). cgroupfs driver: ID alone (Docker's /docker/ID, the kubelet's podUID/ID),
 * libpod-ID (podman), crio-ID (CRI-O).
 */
static bool component_id(const char *s, size_t n, char *id)
{
	static const char *const scopes[] = {"docker-", "cri-containerd-", "crio-", "libpod-"};
	size_t i;

	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
		if (id_between(s, n, scopes[i], ".scope", id) ||
		    id_between(s, n, scopes[i], "", id))
			return true;
	return id_between(s, n, "", "", id);
}

/*
 * The pod UID one component names: "pod<UID>" (cgroupfs) or "kubepods[-<qos>]-pod<UID>.slice"
 * (systemd, whose unit names turn the UID's dashes into underscores).
 */
static bool component_pod(const char *s, size_t n, char *uid)
{
	const char *p = NULL, *q;
	size_t len, i;

	if (n > 6 && !strncmp(s + n - 6, ".slice", 6))
		n -= 6;
	for (q = s; q + 3 <= s + n; q++)
		if (!strncmp(q, "pod", 3) && (q == s || q[-1] == '-'))
			p = q + 3;
	if (!p)
		return false;
	len = s + n - p;
	if (len == 32 && all_hex(p, 32)) {
		memcpy(uid, p, 32);
		uid[32] = '\0';
		return true;
	}
	if (len != 36)
		return false;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? p[i] != '-' && p[i] != '_' : !all_hex(p + i, 1))
			return false;
		uid[i] = dash ? '-' : p[i];
	}
	uid[36] = '\0';
	return true;
}

bool container_parse(const char *path, struct container_ref *out)
{
	const char *end = path + strlen(path), *start;
	bool found = false;

	memset(out, 0, sizeof(*out));
	/* From the innermost component out: a container in a container is the inner one. */
	while (end > path) {
		while (end > path && end[-1] == '/')
			end--;
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		if (start == end)
			break;
		if (!found)
			found = component_id(start, end - start, out->id);
		else if (component_pod(start, end - start, out->pod_uid))
			break;
		end = start;
	}
	return found;
}

struct container_entry {
	struct container_entry *next;
	bool pod; /* keyed by pod UID (pod and namespace only) */
	char key[CONTAINER_ID_LEN + 1];
	struct container_info info;
};

#define NBUCKETS 1024
/* Containers remembered at most: past it the oldest names are forgotten (shown by id). */
#define CONTAINERS_MAX 65536

int containers_init(struct containers *c)
{
	memset(c, 0, sizeof(*c));
	c->buckets = calloc(NBUCKETS, sizeof(*c->buckets));
	if (!c->buckets)
		return -1;
	c->nbuckets = NBUCKETS;
	return 0;
}

void containers_free(struct containers *c)
{
	struct container_entry *e, *next;
	size_t i;

	for (i = 0; i < c->nbuckets; i++)
		for (e = c->buckets[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

static size_t bucket(const struct containers *c, const char *key, bool pod)
{
	uint64_t h = pod ? 1469598103934665603ull : 1099511628211ull;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	return h % c->nbuckets;
}

static struct container_entry *find(const struct containers *c, const char *key, bool pod)
{
	struct container_entry *e;

	if (!c || !c->buckets || !key[0])
		return NULL;
	for (e = c->buckets[bucket(c, key, pod)]; e; e = e->next)
		if (e->pod == pod && !strcmp(e->key, key))
			return e;
	return NULL;
}

static void put(struct containers *c, const char *key, bool pod, const struct container_info *info)
{
	struct container_entry *e = find(c, key, pod);
	size_t b;

	if (!c->buckets || !key[0] || strlen(key) > CONTAINER_ID_LEN)
		return;
	if (!e) {
		if (c->n >= CONTAINERS_MAX)
			return;
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		strcpy(e->key, key);
		e->pod = pod;
		b = bucket(c, key, pod);
		e->next = c->buckets[b];
		c->buckets[b] = e;
		c->n++;
	}
	e->info = *info;
}

void containers_set(struct containers *c, const char *id, const struct container_info *info)
{
	put(c, id, false, info);
}

void containers_set_pod(struct containers *c, const char *pod_uid, const char *pod,
			const char *namespace, const char *container)
{
	struct container_info info = {};

	snprintf(info.name, sizeof(info.name), "%s", container);
	snprintf(info.pod, sizeof(info.pod), "%s", pod);
	snprintf(info.namespace, sizeof(info.namespace), "%s", namespace);
	put(c, pod_uid, true, &info);
}

const struct container_info *containers_get(const struct containers *c, const char *id)
{
	struct container_entry *e = find(c, id, false);

	return e ? &e->info : NULL;
}

const struct container_info *containers_get_pod(const struct containers *c, const char *pod_uid)
{
	struct container_entry *e = find(c, pod_uid, true);

	return e ? &e->info : NULL;
}

void container_lookup(const struct containers *c, const struct container_ref *ref,
		      struct container_info *out)
{
	const struct container_info *ci = ref->id[0] ? containers_get(c, ref->id) : NULL;
	const struct container_info *pi =
		ref->pod_uid[0] ? containers_get_pod(c, ref->pod_uid) : NULL;

	/* A pod's new container, or a new pod: its source may know it at once. */
	if (c && (!pi || (!ci && ref->id[0])) && ref->pod_uid[0] && c->unknown_pod) {
		c->unknown_pod(c->ctx, ref->pod_uid);
		ci = ref->id[0] ? containers_get(c, ref->id) : NULL;
		pi = containers_get_pod(c, ref->pod_uid);
	}
	if (c && !ci && ref->id[0] && c->unknown)
		c->unknown(c->ctx, ref->id);
	memset(out, 0, sizeof(*out));
	if (ci)
		*out = *ci;
	if (pi && !out->name[0])
		memcpy(out->name, pi->name, sizeof(out->name));
	if (pi && !out->pod[0])
		memcpy(out->pod, pi->pod, sizeof(out->pod));
	if (pi && !out->namespace[0])
		memcpy(out->namespace, pi->namespace, sizeof(out->namespace));
}

size_t container_text(const struct container_ref *ref, const struct container_info *info, char *buf,
		      size_t len)
{
	if (info && info->name[0])
		return escape_word(info->name, CONTAINER_NAME_MAX, buf, len);
	if (!ref->id[0])
		return fmt_len(snprintf(buf, len, "-"), len);
	return fmt_len(snprintf(buf, len, "%.12s", ref->id), len);
}

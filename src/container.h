/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Container identity from a cgroup path (the layouts container runtimes create), and the names
 * runtimes tell (struct containers, filled by a name source such as the Docker Engine API).
 * No I/O here.
 */
#ifndef TCPCONNLAT_CONTAINER_H
#define TCPCONNLAT_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#define CONTAINER_ID_LEN 64
/* A pod UID: a UUID, or 32 hex digits for a static pod (the hash of its manifest). */
#define POD_UID_MAX 36
/* Kubernetes names: at most 253 bytes (DNS subdomain); runtimes' names stay below. */
#define CONTAINER_NAME_MAX 256

/* What the cgroup path tells. */
struct container_ref {
	char id[CONTAINER_ID_LEN + 1]; /* "" : not in a container */
	char pod_uid[POD_UID_MAX + 1]; /* "" : not in a Kubernetes pod; dashes, not '_' */
};

/*
 * The container a cgroup path (below the cgroup2 root) belongs to: its innermost component
 * that names one, e.g. "/system.slice/docker-ID.scope", "/docker/ID",
 * "/kubepods/burstable/podUID/ID", ".../cri-containerd-ID.scope", ".../crio-ID.scope",
 * "/machine.slice/libpod-ID.scope", "/libpod_parent/libpod-ID". The pod UID comes from the
 * component above the container ("pod<UID>", "kubepods-<qos>-pod<UID_with_underscores>.slice").
 * A runtime's monitor (libpod-conmon-ID.scope, crio-conmon-ID.scope) is not the container.
 * Returns true when a container was found.
 */
bool container_parse(const char *path, struct container_ref *out);

/* What a runtime says about a container; "" for what it does not say. */
struct container_info {
	char name[CONTAINER_NAME_MAX];
	char pod[CONTAINER_NAME_MAX];
	char namespace[CONTAINER_NAME_MAX];
};

struct container_entry;

/* Names by container id, and pod names by pod UID (the kubelet's log directories). */
struct containers {
	struct container_entry **buckets;
	size_t nbuckets, n;
	/*
	 * Called by container_lookup() for a container id nothing is known of: a name source
	 * may ask its runtime (without waiting) and containers_set() it later. NULL: none.
	 */
	void (*unknown)(void *ctx, const char *id);
	/*
	 * Called first for a container in a pod when the pod, or the container, is not known:
	 * a source may containers_set_pod() and containers_set() them before returning.
	 */
	void (*unknown_pod)(void *ctx, const char *pod_uid);
	void *ctx;
};

int containers_init(struct containers *c);
void containers_free(struct containers *c);
/* Sets (or replaces) what is known of container id (64 hex digits). */
void containers_set(struct containers *c, const char *id, const struct container_info *info);
/*
 * Sets pod and namespace of a pod UID, for containers whose runtime says nothing; container:
 * the pod's only container's name, or "" when it has several.
 */
void containers_set_pod(struct containers *c, const char *pod_uid, const char *pod,
			const char *namespace, const char *container);
/* What is known of id, or NULL. */
const struct container_info *containers_get(const struct containers *c, const char *id);
/* Pod and namespace of a pod UID (info->name ""), or NULL. */
const struct container_info *containers_get_pod(const struct containers *c, const char *pod_uid);

/*
 * All that is known of the container of ref: its runtime's word if any, else its pod's
 * (from the kubelet's directories). Fields not known are "". c may be NULL.
 */
void container_lookup(const struct containers *c, const struct container_ref *ref,
		      struct container_info *out);

/* The CONTAINER column: the name if known, else the first 12 hex digits of the id, "-". */
size_t container_text(const struct container_ref *ref, const struct container_info *info, char *buf,
		      size_t len);

#endif

/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Pod names and namespaces from the kubelet's log directories (DIR/NAMESPACE_POD_UID/CONTAINER/),
 * and container names by id from its links next to them
 * (containers/POD_NAMESPACE_CONTAINER-ID.log), for Kubernetes runtimes without a Docker Engine API
 * (containerd, CRI-O).
 */
#ifndef TCPCONNLAT_PODLOGS_H
#define TCPCONNLAT_PODLOGS_H

#include <stdbool.h>
#include "container.h"

/*
 * One directory name NAMESPACE_POD_UID: false unless it has that shape. Kubernetes names
 * have no '_', so the first and the last '_' split it.
 */
bool podlogs_parse(const char *dirname, char *namespace, char *pod, char *uid);

/*
 * Reads every pod directory of dir into c (containers_set_pod()); a pod with exactly one
 * container directory also names its container. Returns the number of pods, or -errno.
 */
int podlogs_scan(struct containers *c, const char *dir);

/*
 * One file name of the kubelet's containers directory, POD_NAMESPACE_CONTAINER-ID.log
 * (legacyLogSymlink() in kubernetes' pkg/kubelet/kuberuntime/legacy.go): false unless it has
 * that shape with a whole id (64 hex digits; the kubelet cuts a name longer than 255 bytes,
 * the id first). id: CONTAINER_ID_LEN + 1 bytes.
 */
bool podlogs_parse_link(const char *filename, char *pod, char *namespace, char *container,
			char *id);

/*
 * The kubelet's containers directory for its pods directory pods_dir: "containers" next to
 * it (/var/log/pods: /var/log/containers). 0, or -ENAMETOOLONG.
 */
int podlogs_links_dir(const char *pods_dir, char *buf, size_t len);

/*
 * Reads every link name of dir into c (containers_set()) for the ids nothing has named yet.
 * Returns the number of links, or -errno.
 */
int podlogs_scan_links(struct containers *c, const char *dir);

#endif

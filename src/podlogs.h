/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Pod names and namespaces from the kubelet's log directories (DIR/NAMESPACE_POD_UID/CONTAINER/),
 * for Kubernetes runtimes without a Docker Engine API (containerd, CRI-O).
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

#endif

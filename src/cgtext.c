// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <stdio.h>
#include "cgtext.h"
#include "container.h"
#include "text.h"

size_t cgroup_text(struct cgroups *c, uint64_t id, char *buf, size_t len)
{
	const char *path = cgroup_path(c, id);
	int n;

	if (path)
		return escape_word(path, CGROUP_PATH_MAX, buf, len);
	n = snprintf(buf, len, "id:%llu", (unsigned long long)id);
	return fmt_len(n, len);
}

size_t container_key_text(enum hist_by by, struct cgroups *cg, uint64_t cgroup_id, char *buf,
			  size_t len)
{
	struct container_ref ref;
	struct container_info info;
	const char *v;

	cgroup_container(cg, cgroup_id, &ref, &info);
	if (by == HIST_BY_CONTAINER)
		return container_text(&ref, &info, buf, len);
	v = by == HIST_BY_POD ? info.pod : info.namespace;
	if (!v[0])
		return fmt_len(snprintf(buf, len, "-"), len);
	return escape_word(v, CONTAINER_NAME_MAX, buf, len);
}

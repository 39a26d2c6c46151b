// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/btf.h>
#include "pidns.h"

uint32_t pidns_self(void)
{
	struct stat st;

	/* nsfs, not procfs: right whichever PID namespace mounted /proc. */
	if (stat("/proc/self/ns/pid", &st) || st.st_ino == PIDNS_INIT_INO)
		return 0;
	return (uint32_t)st.st_ino;
}

static bool has_member(const struct btf *btf, const char *type, const char *member)
{
	const struct btf_member *m;
	const struct btf_type *t;
	__s32 id;
	int i;

	id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return true;
	return false;
}

int pidns_check(const char *btf_path, FILE *err)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	bool ok;

	/* No BTF at all is preflight()'s to report, with its reason. */
	if (!btf)
		return 0;
	ok = has_member(btf, "task_struct", "thread_pid");
	btf__free(btf);
	if (ok)
		return 0;
	fprintf(err, "tcpconnlat: this kernel (before Linux 4.19) cannot show PIDs as this PID "
		     "namespace sees them: run tcpconnlat in the initial PID namespace\n");
	return -EOPNOTSUPP;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "checks.h"

/* Linux 5.8 split these out of CAP_SYS_ADMIN; older uapi headers lack them. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/*
 * -x reads connect()'s return value from the syscalls:sys_{enter,exit}_connect trace events,
 * which libbpf attaches through tracefs (CONFIG_FTRACE_SYSCALLS).
 */
static bool syscall_tracepoints_missing(bool exporter, FILE *err)
{
	static const char *const dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_connect", dirs[i]);
		if (!access(path, F_OK))
			return false;
	}
	fprintf(err,
		"tcpconnlat: %s needs the syscalls:sys_enter_connect and sys_exit_connect trace "
		"events: not found (mount tracefs: mount -t tracefs tracefs /sys/kernel/tracing; "
		"the kernel needs CONFIG_FTRACE_SYSCALLS)\n",
		exporter ? "--metrics/--textfile (counting failures)" : "-x/--failed");
	return true;
}

int preflight(const struct config *cfg, FILE *err)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};
	const char *path = cfg->btf_path ? cfg->btf_path : SYSFS_BTF;
	struct stat st;
	struct btf *btf;

	if (syscall(SYS_capget, &hdr, data) ||
	    !(has_cap(data, CAP_SYS_ADMIN) ||
	      (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON)))) {
		fprintf(err, "tcpconnlat: not enough privileges: run as root (needs CAP_BPF and "
			     "CAP_PERFMON, or CAP_SYS_ADMIN)\n");
		return 1;
	}
	if (!cfg->btf_path && access(path, R_OK)) {
		fprintf(err,
			"tcpconnlat: no kernel BTF: %s is missing (kernel built without "
			"CONFIG_DEBUG_INFO_BTF=y); pass this kernel's BTF with --btf FILE\n",
			path);
		return 1;
	}
	if (cfg->btf_path && access(path, R_OK)) {
		fprintf(err, "tcpconnlat: cannot use BTF file '%s': %s\n", path, strerror(errno));
		return 1;
	}
	if (cfg->report_failed && syscall_tracepoints_missing(cfg->exporter, err))
		return 1;
	if (cfg->btf_path) {
		/* libbpf would only say EIO: it reads a directory as an empty file. */
		if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
			fprintf(err, "tcpconnlat: cannot use BTF file '%s': %s\n", path,
				strerror(EISDIR));
			return 1;
		}
		/*
		 * libbpf says ENOENT for an ELF file without a .BTF section: not a missing file.
		 * EINVAL: the file starts like BTF (raw, or an ELF .BTF section) but does not
		 * parse, e.g. a truncated copy of /sys/kernel/btf/vmlinux.
		 */
		btf = btf__parse(path, NULL);
		if (!btf) {
			fprintf(err, "tcpconnlat: cannot use BTF file '%s': %s\n", path,
				errno == EINVAL ? "its BTF is truncated or corrupt"
						: "it holds no BTF");
			return 1;
		}
		btf__free(btf);
	}
	return 0;
}

int cgroup_open(const char *path, FILE *err)
{
	struct statfs fs;
	int fd, e;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		fprintf(err, "tcpconnlat: cannot use --cgroup '%s': %s\n", path, strerror(e));
		return -e;
	}
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		fprintf(err,
			"tcpconnlat: cannot use --cgroup '%s': not a cgroup v2 directory (the "
			"unified hierarchy, e.g. /sys/fs/cgroup/system.slice/nginx.service)\n",
			path);
		close(fd);
		return -ENOTDIR;
	}
	return fd;
}

/*
 * -p is checked against /proc before any BPF: a thread's id is refused (events carry the
 * process id, so it would never match), and a PID that is not running is accepted with a
 * warning, as the service may be about to (re)start and get it.
 */
int pid_check(uint32_t pid, FILE *err)
{
	char path[64], line[128];
	unsigned int tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			fprintf(err,
				"tcpconnlat: warning: no process %u is running now; tracing it "
				"if one starts with that PID\n",
				pid);
		/* Anything else (no /proc, say): nothing to judge by, so trust the user. */
		return 0;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %u", &tgid) == 1)
			break;
	fclose(f);
	if (tgid && tgid != pid) {
		fprintf(err,
			"tcpconnlat: PID %u is a thread of process %u: -p takes a process id "
			"(try -p %u)\n",
			pid, tgid, tgid);
		return -EINVAL;
	}
	return 0;
}

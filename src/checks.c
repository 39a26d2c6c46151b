// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
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
 * -x, and the exporter's count of connects that fail before any SYN, read connect()'s return
 * value from the syscalls:sys_exit_connect trace event, which libbpf attaches through tracefs
 * (CONFIG_FTRACE_SYSCALLS), at either of these places.
 */
static const char *const trace_dirs[] = {TRACEFS_DIR, "/sys/kernel/debug/tracing"};

static bool syscall_events_found(void)
{
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(trace_dirs) / sizeof(trace_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_connect", trace_dirs[i]);
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

int syscall_events(bool verbose, FILE *err, char *why, size_t len)
{
	struct statfs fs;

	if (syscall_events_found())
		return 0;
	/*
	 * A fresh VM or a container may have no tracefs mounted: mount it where the kernel
	 * provides the directory, as perf does (and as systemd would, with these flags). It
	 * stays for later runs, like a mount systemd made.
	 */
	if (statfs(TRACEFS_DIR, &fs) || fs.f_type != TRACEFS_MAGIC) {
		if (mount("tracefs", TRACEFS_DIR, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL)) {
			snprintf(why, len,
				 "tracefs is not mounted, and mounting it at %s failed: %s (mount "
				 "it before: mount -t tracefs tracefs %s)",
				 TRACEFS_DIR, strerror(errno), TRACEFS_DIR);
			return -1;
		}
		if (verbose)
			fprintf(err,
				"tcpconnlat: mounted tracefs at %s (for the syscall trace "
				"events)\n",
				TRACEFS_DIR);
		if (syscall_events_found())
			return 0;
	}
	snprintf(why, len, "not in this kernel's tracefs (built without CONFIG_FTRACE_SYSCALLS)");
	return -1;
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

int cgroup_filter_open(const char *path, FILE *err)
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

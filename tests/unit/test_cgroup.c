// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/* Unit tests for cgroup.c (finding the cgroup2 mount, ids as text) and the CGROUP column. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "cgtext.h"
#include "format.h"
#include "json.h"

/* cgroup2_mount_find() on mountinfo text. */
static int find(const char *text, char *buf, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	assert_non_null(f);
	err = cgroup2_mount_find(f, buf, len);
	fclose(f);
	return err;
}

static void test_mount_hybrid(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(
		find("24 1 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
		     "26 24 0:24 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro,mode=755\n"
		     "27 26 0:25 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw\n"
		     "28 26 0:26 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup "
		     "rw,name=systemd\n",
		     buf, sizeof(buf)),
		0);
	assert_string_equal(buf, "/sys/fs/cgroup/unified");
}

static void test_mount_pure_v2_optional_fields(void **state)
{
	char buf[64];

	(void)state;
	/* Any number of optional fields before the separator; a cgroup v1 mount is skipped. */
	assert_int_equal(find("30 24 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
			      "35 24 0:30 / /sys/fs/cgroup rw,nosuid shared:9 master:2 - cgroup2 "
			      "cgroup2 rw,nsdelegate\n",
			      buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "/sys/fs/cgroup");
}

static void test_mount_escaped(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(
		find("40 1 0:40 / /mnt/my\\040cg\\134x rw - cgroup2 none rw\n", buf, sizeof(buf)),
		0);
	assert_string_equal(buf, "/mnt/my cg\\x");
}

static void test_mount_none(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(find("24 1 0:22 / /sys rw - sysfs sysfs rw\n"
			      "26 24 0:26 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw\n",
			      buf, sizeof(buf)),
			 -ENOENT);
	assert_int_equal(find("", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(find("40 1 0:40 / /mnt/long rw - cgroup2 none rw\n", buf, 5),
			 -ENAMETOOLONG);
}

/* Without a mount, every id is shown by its number, as for a removed cgroup. */
static void test_text_unknown(void **state)
{
	struct cgroups c = {.mount_fd = -1};
	char buf[CGROUP_TEXT_MAX];

	(void)state;
	assert_int_equal(cgroup_text(&c, 12345, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "id:12345");
	assert_null(cgroup_path(&c, 12345));
	/* Asked again: from the cache, the same answer. */
	assert_null(cgroup_path(&c, 12345));
	assert_int_equal(cgroup_text(&c, 7, buf, 4), 3);
	assert_string_equal(buf, "id:");
	cgroups_close(&c);
}

/* Many ids: the cache grows, then empties at its limit, and every answer stays right. */
static void test_cache_many(void **state)
{
	struct cgroups c = {.mount_fd = -1};
	char buf[64], want[64];
	uint64_t id;

	(void)state;
	for (id = 1; id <= 70000; id++)
		assert_null(cgroup_path(&c, id));
	for (id = 69990; id <= 70000; id++) {
		cgroup_text(&c, id, buf, sizeof(buf));
		snprintf(want, sizeof(want), "id:%llu", (unsigned long long)id);
		assert_string_equal(buf, want);
	}
	cgroups_close(&c);
}

static void test_column_last(void **state)
{
	struct cgroups c = {.mount_fd = -1};
	struct event e = {
		.af = 2, .tgid = 9, .comm = "curl", .cgroup_id = 77, .failed = 1, .err = 111};
	struct formatter f;
	char line[FMT_LINE_MAX];

	(void)state;
	fmt_init(&f, false, false);
	f.result = true;
	f.cgroups = &c;
	fmt_header(&f, line, sizeof(line));
	assert_string_equal(line, "PID    COMM         IP SADDR            DADDR            DPORT "
				  "LAT(ms) RESULT  CGROUP\n");
	fmt_event(&f, &e, line, sizeof(line));
	assert_string_equal(line, "9      curl         4  0.0.0.0          0.0.0.0          0     "
				  "0.00    refused id:77\n");
	cgroups_close(&c);
}

static void test_json_key(void **state)
{
	struct cgroups c = {.mount_fd = -1};
	struct json_ctx j = {.backend = "kprobe", .cgroups = &c};
	struct event e = {.af = 2, .cgroup_id = 77};
	char line[JSON_LINE_MAX];

	(void)state;
	json_event(&j, &e, line, sizeof(line));
	assert_non_null(strstr(line, ",\"cgroup\":\"id:77\",\"container_id\":null,"));
	j.cgroups = NULL;
	json_event(&j, &e, line, sizeof(line));
	assert_non_null(strstr(line, ",\"cgroup\":null,\"container_id\":null,\"container\":null,"
				     "\"pod\":null,\"namespace\":null,\"dhost\":null}\n"));
	cgroups_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_hybrid),
		cmocka_unit_test(test_mount_pure_v2_optional_fields),
		cmocka_unit_test(test_mount_escaped),
		cmocka_unit_test(test_mount_none),
		cmocka_unit_test(test_text_unknown),
		cmocka_unit_test(test_cache_many),
		cmocka_unit_test(test_column_last),
		cmocka_unit_test(test_json_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

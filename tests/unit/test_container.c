// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Unit tests for container.c: container ids and pod UIDs from cgroup paths as runtimes make
 * them, each sample from a real system (the source is cited above it), names, the CONTAINER
 * column, JSON keys and --by container grouping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cgroup.h"
#include "container.h"
#include "format.h"
#include "hist.h"
#include "json.h"
#include "podlogs.h"
#include "unit.h"

struct sample {
	const char *path, *id, *pod_uid;
};

static const struct sample samples[] = {
	/* podman 4.3 with runc, cgroupfs driver, hybrid (this machine; docs/testing.md). */
	{"/libpod_parent/libpod-2d41e64a1d72493daadef126112d028e9ebcc0694d8fa66199189c342d52440c",
	 "2d41e64a1d72493daadef126112d028e9ebcc0694d8fa66199189c342d52440c", ""},
	/* podman, systemd driver, rootful: podman-container-tools/podman#10602 (0:: line). */
	{"/machine.slice/"
	 "libpod-2521e906f0a0c758c3a7dc4fd68c197e32e96abb4b36807d0b0ede6d014a7c24.scope",
	 "2521e906f0a0c758c3a7dc4fd68c197e32e96abb4b36807d0b0ede6d014a7c24", ""},
	/* podman, systemd driver, rootless, with crun's "container" sub-cgroup:
	 * podman-container-tools/podman#20423. */
	{"/user.slice/user-0.slice/user@0.service/machine.slice/"
	 "libpod-cf21d19260ace8544fe8b769fc2638bf2c0873dfbfff0b6253f0569b26a1d5eb.scope/container",
	 "cf21d19260ace8544fe8b769fc2638bf2c0873dfbfff0b6253f0569b26a1d5eb", ""},
	/* Docker, systemd driver: docker-ID.scope under system.slice (Docker's "Runtime metrics"
	 * page, docs.docker.com/engine/containers/runmetrics, and gist Luit/2f7235db). */
	{"/system.slice/"
	 "docker-aa41902101351f415e6e983b0673c0ba715dd4bc316bd5fc0ebd6fcf94287f86.scope",
	 "aa41902101351f415e6e983b0673c0ba715dd4bc316bd5fc0ebd6fcf94287f86", ""},
	/* Docker, cgroupfs driver: /docker/ID (the same Docker page; minikube#11280's node). */
	{"/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22",
	 "d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22", ""},
	/* containerd's CRI, systemd driver, a burstable pod: netdata/netdata#4868's tree. */
	{"/kubepods.slice/kubepods-burstable.slice/"
	 "kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/"
	 "cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope",
	 "2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36",
	 "55c6c714-b240-4dec-9a45-57b61696ab6e"},
	/* A static pod: the UID is its manifest's hash (netdata/netdata#4868, the same tree). */
	{"/kubepods.slice/kubepods-burstable.slice/"
	 "kubepods-burstable-pod8daa50c3a64c9ff60bb9eab7b44b56fd.slice/"
	 "cri-containerd-2884d57c0e100d7a9a2f9487ce0bc2986bca3430e988af7a4865aff061f51ac5.scope",
	 "2884d57c0e100d7a9a2f9487ce0bc2986bca3430e988af7a4865aff061f51ac5",
	 "8daa50c3a64c9ff60bb9eab7b44b56fd"},
	/* CRI-O, systemd driver, a node that is itself a Docker container (kind/minikube): the
	 * innermost container counts. kubernetes/minikube#11280. */
	{"/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice/"
	 "kubepods-besteffort.slice/"
	 "kubepods-besteffort-pod2ca4a155_3599_498d_bb9d_4446693fa3ea.slice/"
	 "crio-358607a37e7ada357032e7f5729c9ae6a3efdb7962acbcbe47ff6a3c5506cb1c.scope",
	 "358607a37e7ada357032e7f5729c9ae6a3efdb7962acbcbe47ff6a3c5506cb1c",
	 "2ca4a155-3599-498d-bb9d-4446693fa3ea"},
	/* The kubelet's cgroupfs driver: /kubepods/<qos>/pod<UID>/<ID> (pod paths as in
	 * google/cadvisor#2540; the container directory is the runtime's id). */
	{"/kubepods/burstable/pod1ff47ee6-9685-4726-ac6f-0ff070c452d6/"
	 "0c34bcd7d02f321d0df7aa6ea703285b02abebc9096c5128c14091fc43ea1f3b",
	 "0c34bcd7d02f321d0df7aa6ea703285b02abebc9096c5128c14091fc43ea1f3b",
	 "1ff47ee6-9685-4726-ac6f-0ff070c452d6"},
	/* Docker under a kubelet with mismatched drivers: kubernetes/kubernetes#36807. */
	{"/system.slice/docker.service/BestEffort.slice/"
	 "BestEffort-pod0d33f94b_ab1a_11e6_9e1a_68f7281d8004.slice/"
	 "0c34bcd7d02f321d0df7aa6ea703285b02abebc9096c5128c14091fc43ea1f3b",
	 "0c34bcd7d02f321d0df7aa6ea703285b02abebc9096c5128c14091fc43ea1f3b",
	 "0d33f94b-ab1a-11e6-9e1a-68f7281d8004"},
	/* Not containers: a runtime's monitor (podman's conmon, from podman PR #507's tree), a
	 * pod's own cgroup, system services, a session, the root. */
	{"/machine.slice/"
	 "libpod-conmon-0411a2a82311fbc65b137ca550d5f7e6b6863bc734759be2f515b0b67062d49a.scope",
	 "", ""},
	{"/kubepods.slice/kubepods-burstable.slice/"
	 "kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice",
	 "", ""},
	{"/system.slice/ssh.service", "", ""},
	{"/user.slice/user-1000.slice/session-3.scope", "", ""},
	{"/", "", ""},
	/* One hex digit short, or not hex: no container. */
	{"/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf2", "", ""},
	{"/system.slice/"
	 "docker-zz41902101351f415e6e983b0673c0ba715dd4bc316bd5fc0ebd6fcf94287f86.scope",
	 "", ""},
};

static void test_parse_samples(void **state)
{
	struct container_ref ref;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		bool found = container_parse(samples[i].path, &ref);

		if (found != (samples[i].id[0] != '\0') || strcmp(ref.id, samples[i].id) ||
		    strcmp(ref.pod_uid, samples[i].pod_uid))
			fail_because("%s: got id '%s' pod '%s', want '%s' '%s'", samples[i].path,
				     ref.id, ref.pod_uid, samples[i].id, samples[i].pod_uid);
	}
}

#define ID_A "2d41e64a1d72493daadef126112d028e9ebcc0694d8fa66199189c342d52440c"
#define ID_B "0c34bcd7d02f321d0df7aa6ea703285b02abebc9096c5128c14091fc43ea1f3b"
#define POD  "1ff47ee6-9685-4726-ac6f-0ff070c452d6"

static void test_names(void **state)
{
	struct containers c;
	struct container_ref ref;
	struct container_info info = {.name = "web"}, got;
	char buf[64];

	(void)state;
	assert_int_equal(containers_init(&c), 0);
	container_parse("/libpod_parent/libpod-" ID_A, &ref);
	container_lookup(&c, &ref, &got);
	container_text(&ref, &got, buf, sizeof(buf));
	assert_string_equal(buf, "2d41e64a1d72");
	containers_set(&c, ID_A, &info);
	container_lookup(&c, &ref, &got);
	container_text(&ref, &got, buf, sizeof(buf));
	assert_string_equal(buf, "web");
	/* A Kubernetes container without a runtime's word: its pod from the kubelet's logs. */
	container_parse("/kubepods/burstable/pod" POD "/" ID_B, &ref);
	containers_set_pod(&c, POD, "api-7d9f", "shop", "");
	container_lookup(&c, &ref, &got);
	assert_string_equal(got.pod, "api-7d9f");
	assert_string_equal(got.namespace, "shop");
	assert_string_equal(got.name, "");
	container_parse("/system.slice/ssh.service", &ref);
	container_lookup(&c, &ref, &got);
	container_text(&ref, &got, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	containers_free(&c);
}

/* A cgroups cache that knows paths without a mount (cgroups_learn()). */
static void cgroups_with(struct cgroups *cg, struct containers *ct)
{
	memset(cg, 0, sizeof(*cg));
	cg->mount_fd = -1;
	cg->containers = ct;
	cgroups_learn(cg, 10, "/libpod_parent/libpod-" ID_A);
	cgroups_learn(cg, 11, "/kubepods/burstable/pod" POD "/" ID_B);
	cgroups_learn(cg, 12, "/system.slice/ssh.service");
	cgroups_learn(cg, 13, "/user.slice/user-0.slice/session-1.scope");
}

static void test_column_and_json(void **state)
{
	struct containers ct;
	struct cgroups cg;
	struct container_info web = {.name = "web", .pod = "api-7d9f", .namespace = "shop"};
	struct event e = {.af = 2, .tgid = 9, .comm = "curl", .cgroup_id = 10};
	struct json_ctx j = {.backend = "tracepoint", .cgroups = &cg};
	struct formatter f;
	char line[JSON_LINE_MAX];

	(void)state;
	assert_int_equal(containers_init(&ct), 0);
	cgroups_with(&cg, &ct);
	fmt_init(&f, false, false);
	f.container = &cg;
	f.cgroups = &cg;
	fmt_header(&f, line, sizeof(line));
	assert_string_equal(line, "PID    COMM         IP SADDR            DADDR            DPORT "
				  "LAT(ms) CONTAINER    CGROUP\n");
	fmt_event(&f, &e, line, sizeof(line));
	assert_non_null(strstr(line, " 2d41e64a1d72 /libpod_parent/libpod-" ID_A "\n"));
	json_event(&j, &e, line, sizeof(line));
	assert_non_null(strstr(line, "\"container_id\":\"" ID_A "\",\"container\":null,"
				     "\"pod\":null,\"namespace\":null,\"dhost\":null}\n"));
	containers_set(&ct, ID_A, &web);
	fmt_event(&f, &e, line, sizeof(line));
	assert_non_null(strstr(line, " web          /libpod_parent/"));
	json_event(&j, &e, line, sizeof(line));
	assert_non_null(strstr(line,
			       "\"container_id\":\"" ID_A "\",\"container\":\"web\","
			       "\"pod\":\"api-7d9f\",\"namespace\":\"shop\",\"dhost\":null}\n"));
	e.cgroup_id = 12;
	fmt_event(&f, &e, line, sizeof(line));
	assert_non_null(strstr(line, " -            /system.slice/ssh.service\n"));
	/* With -N: DHOST before CONTAINER, CGROUP last; JSON's dhost after namespace. */
	f.names = true;
	f.dhost = "web.test";
	fmt_header(&f, line, sizeof(line));
	assert_string_equal(line, "PID    COMM         IP SADDR            DADDR            DPORT "
				  "LAT(ms) DHOST            CONTAINER    CGROUP\n");
	e.cgroup_id = 10;
	fmt_event(&f, &e, line, sizeof(line));
	assert_non_null(strstr(line, " web.test         web          /libpod_parent/"));
	j.dhost = "web.test";
	json_event(&j, &e, line, sizeof(line));
	assert_non_null(strstr(line, "\"pod\":\"api-7d9f\",\"namespace\":\"shop\","
				     "\"dhost\":\"web.test\"}\n"));
	cgroups_close(&cg);
	containers_free(&ct);
}

static void test_group_by(void **state)
{
	struct containers ct;
	struct cgroups cg;
	struct container_info b = {.name = "db", .pod = "api-7d9f", .namespace = "shop"};
	struct container_info a = {.name = "web", .pod = "api-7d9f", .namespace = "shop"};
	struct hist_entry v[4] = {};
	char text[64];
	size_t n, i;

	(void)state;
	assert_int_equal(containers_init(&ct), 0);
	cgroups_with(&cg, &ct);
	containers_set(&ct, ID_A, &a);
	containers_set(&ct, ID_B, &b);
	for (i = 0; i < 4; i++) {
		v[i].key.cgroup_id = 10 + i;
		add(&v[i].hist, 100 * (i + 1), i + 1);
		v[i].hist.nslots[5] = i + 1; /* the native histogram adds up too */
	}
	/* Two host cgroups add up as "-"; each container stays apart. */
	n = hist_group(HIST_BY_CONTAINER, &cg, v, 4);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		hist_key_text(HIST_BY_CONTAINER, &cg, &v[i].key, text, sizeof(text));
		if (!strcmp(text, "-"))
			assert_int_equal(v[i].hist.count + v[i].hist.nslots[5], 2 * (3 + 4));
		else if (!strcmp(text, "web"))
			assert_int_equal(v[i].hist.count, 1);
		else if (!strcmp(text, "db"))
			assert_int_equal(v[i].hist.count, 2);
		else
			fail_because("unexpected key '%s'", text);
	}
	/* By pod: both containers in one. */
	n = hist_group(HIST_BY_POD, &cg, v, n);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		hist_key_text(HIST_BY_POD, &cg, &v[i].key, text, sizeof(text));
		assert_int_equal(v[i].hist.count, !strcmp(text, "api-7d9f") ? 3 : 7);
	}
	cgroups_close(&cg);
	containers_free(&ct);
}

/* --by lists with container keys: a key of the kernel's, then the texts added up. */
static void test_group_by_list(void **state)
{
	struct containers ct;
	struct cgroups cg;
	struct container_info a = {.name = "web", .pod = "api-7d9f", .namespace = "shop"};
	struct container_info b = {.name = "db", .pod = "api-7d9f", .namespace = "shop"};
	struct hist_entry v[4] = {};
	int by = hist_by_parse("namespace,dport");
	char text[128];
	size_t n, i;

	(void)state;
	assert_true(by > 0);
	assert_int_equal(hist_by_fields(by), HIST_F_CGROUP | HIST_F_DPORT);
	assert_true(hist_by_grouped(by));
	assert_false(hist_by_grouped(hist_by_parse("cgroup,dport")));
	assert_int_equal(containers_init(&ct), 0);
	cgroups_with(&cg, &ct);
	containers_set(&ct, ID_A, &a);
	containers_set(&ct, ID_B, &b);
	/* Both containers in namespace shop: port 443 adds up, port 80 stays apart. */
	v[0].key.cgroup_id = 10;
	v[0].key.dport = 443;
	v[1].key.cgroup_id = 11;
	v[1].key.dport = 443;
	v[2].key.cgroup_id = 11;
	v[2].key.dport = 80;
	v[3].key.cgroup_id = 12; /* the host: "-" */
	v[3].key.dport = 443;
	for (i = 0; i < 4; i++)
		add(&v[i].hist, 100, i + 1);
	n = hist_group(by, &cg, v, 4);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		hist_key_text(by, &cg, &v[i].key, text, sizeof(text));
		if (!strcmp(text, "shop,443"))
			assert_int_equal(v[i].hist.count, 1 + 2);
		else if (!strcmp(text, "shop,80"))
			assert_int_equal(v[i].hist.count, 3);
		else if (!strcmp(text, "-,443"))
			assert_int_equal(v[i].hist.count, 4);
		else
			fail_because("unexpected key '%s'", text);
	}
	cgroups_close(&cg);
	containers_free(&ct);
}

static void test_by_names(void **state)
{
	(void)state;
	/* In lists: with each other (a pod's containers), with cgroup, with dhost. */
	assert_string_equal(hist_by_name(hist_by_parse("pod,container")), "pod,container");
	assert_string_equal(hist_by_name(hist_by_parse("cgroup,namespace")), "cgroup,namespace");
	assert_string_equal(hist_by_name(hist_by_parse("dhost,container")), "dhost,container");
	assert_int_equal(hist_by_parse("container,container"), -1);
	assert_int_equal(hist_by_parse("pod,container,namespace,dhost,dport"), -1);
	assert_int_equal(hist_by_parse("container"), HIST_BY_CONTAINER);
	assert_int_equal(hist_by_parse("pod"), HIST_BY_POD);
	assert_int_equal(hist_by_parse("namespace"), HIST_BY_NAMESPACE);
	assert_string_equal(hist_by_name(HIST_BY_NAMESPACE), "namespace");
	assert_int_equal(hist_by_parse("containers"), -1);
}

/* The kubelet's pod log directory names: NAMESPACE_POD_UID (kubelet's kuberuntime logs). */
static void test_podlogs_names(void **state)
{
	char ns[CONTAINER_NAME_MAX], pod[CONTAINER_NAME_MAX], uid[POD_UID_MAX + 1];

	(void)state;
	assert_true(podlogs_parse("kube-system_coredns-5d78c9869d-7xk2p_"
				  "3f1e5a2c-8b7d-4e6f-9a0b-1c2d3e4f5a6b",
				  ns, pod, uid));
	assert_string_equal(ns, "kube-system");
	assert_string_equal(pod, "coredns-5d78c9869d-7xk2p");
	assert_string_equal(uid, "3f1e5a2c-8b7d-4e6f-9a0b-1c2d3e4f5a6b");
	/* A static pod: its UID is the manifest's hash, 32 hex digits. */
	assert_true(podlogs_parse("kube-system_etcd-node1_0123456789abcdef0123456789abcdef", ns,
				  pod, uid));
	assert_string_equal(pod, "etcd-node1");
	assert_false(podlogs_parse("no-underscore", ns, pod, uid));
	assert_false(podlogs_parse("one_underscore", ns, pod, uid));
	assert_false(podlogs_parse("_pod_uid", ns, pod, uid));
	assert_false(podlogs_parse("ns__uid", ns, pod, uid));
	assert_false(podlogs_parse("ns_pod_", ns, pod, uid));
	assert_false(podlogs_parse("ns_pod_0123456789abcdef0123456789abcdef0", ns, pod, uid));
}

/*
 * The kubelet's links in /var/log/containers: POD_NAMESPACE_CONTAINER-ID.log (legacyLogSymlink(),
 * kubernetes pkg/kubelet/kuberuntime/legacy.go; the kube-apiserver and kube-proxy samples are a
 * kubeadm node's, dec1/practical_devops cloud/devops/kubernetes/ref/troubleshooting/general.md).
 */
#define APISERVER_ID "3959d7abfbd0221e5043fccbcb8040e9a1a4e6518dad483b7a33a131885e0283"
static void test_podlogs_links(void **state)
{
	char pod[CONTAINER_NAME_MAX], ns[CONTAINER_NAME_MAX], name[CONTAINER_NAME_MAX];
	char id[CONTAINER_ID_LEN + 1], dir[64];

	(void)state;
	assert_true(podlogs_parse_link(
		"kube-apiserver-controlplane_kube-system_kube-apiserver-" APISERVER_ID ".log", pod,
		ns, name, id));
	assert_string_equal(pod, "kube-apiserver-controlplane");
	assert_string_equal(ns, "kube-system");
	assert_string_equal(name, "kube-apiserver");
	assert_string_equal(id, APISERVER_ID);
	assert_true(podlogs_parse_link(
		"kube-proxy-6xsx9_kube-system_kube-proxy-"
		"c269a18400e27b14085c57f8e36f5b4d5471c140eb27e8b0f632c056547555de.log",
		pod, ns, name, id));
	assert_string_equal(pod, "kube-proxy-6xsx9");
	assert_string_equal(name, "kube-proxy");
	assert_string_equal(id, "c269a18400e27b14085c57f8e36f5b4d5471c140eb27e8b0f632c056547555de");
	/* A one-letter container of a pod with dots in its name (a DNS subdomain). */
	assert_true(podlogs_parse_link("web.v2-0_shop_a-" ID_A ".log", pod, ns, name, id));
	assert_string_equal(pod, "web.v2-0");
	assert_string_equal(ns, "shop");
	assert_string_equal(name, "a");
	assert_string_equal(id, ID_A);
	/* Not the kubelet's: no .log, an id short by a digit (a name the kubelet cut), not hex
	 * or upper case, no '-' before the id, a part empty, a third '_'. */
	assert_false(podlogs_parse_link("web-0_shop_app-" ID_A, pod, ns, name, id));
	assert_false(podlogs_parse_link("web-0_shop_app-" ID_A ".log.1", pod, ns, name, id));
	assert_false(podlogs_parse_link(
		"web-0_shop_app-2d41e64a1d72493daadef126112d028e9ebcc0694d8fa66199189c342d52440."
		"log",
		pod, ns, name, id));
	assert_false(podlogs_parse_link(
		"web-0_shop_app-2D41E64A1D72493DAADEF126112D028E9EBCC0694D8FA66199189C342D52440C."
		"log",
		pod, ns, name, id));
	assert_false(podlogs_parse_link(
		"web-0_shop_app-2d41e64a1d72493daadef126112d028e9ebcc0694d8fa66199189c342d5244xc."
		"log",
		pod, ns, name, id));
	assert_false(podlogs_parse_link("web-0_shop_app_" ID_A ".log", pod, ns, name, id));
	assert_false(podlogs_parse_link("web-0_shop_-" ID_A ".log", pod, ns, name, id));
	assert_false(podlogs_parse_link("_shop_app-" ID_A ".log", pod, ns, name, id));
	assert_false(podlogs_parse_link("web-0__app-" ID_A ".log", pod, ns, name, id));
	assert_false(podlogs_parse_link("web-0_shop-" ID_A ".log", pod, ns, name, id));
	assert_false(podlogs_parse_link("web-0_shop_a_b-" ID_A ".log", pod, ns, name, id));
	assert_false(podlogs_parse_link("-" ID_A ".log", pod, ns, name, id));
	assert_false(podlogs_parse_link(".log", pod, ns, name, id));

	/* The links' directory: "containers" next to the pods directory. */
	assert_int_equal(podlogs_links_dir("/var/log/pods", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/var/log/containers");
	assert_int_equal(podlogs_links_dir("/var/log/pods//", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/var/log/containers");
	assert_int_equal(podlogs_links_dir("/tmp/k/pods", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/tmp/k/containers");
	assert_int_equal(podlogs_links_dir("pods", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "containers");
	assert_int_equal(podlogs_links_dir("/var/log/pods", dir, 19), -ENAMETOOLONG);
}

static int asked;
static char asked_id[CONTAINER_ID_LEN + 1];

static void on_unknown(void *ctx, const char *id)
{
	(void)ctx;
	asked++;
	snprintf(asked_id, sizeof(asked_id), "%s", id);
}

static void on_unknown_pod(void *ctx, const char *pod_uid)
{
	containers_set_pod(ctx, pod_uid, "web-1", "shop", "app");
}

/* A lookup asks its sources about what it does not know, and uses what they set at once. */
static void test_unknown_asked(void **state)
{
	struct containers c;
	struct container_ref ref;
	struct container_info got;

	(void)state;
	assert_int_equal(containers_init(&c), 0);
	c.unknown = on_unknown;
	c.unknown_pod = on_unknown_pod;
	c.ctx = &c;
	container_parse("/kubepods/burstable/pod" POD "/" ID_B, &ref);
	container_lookup(&c, &ref, &got);
	assert_int_equal(asked, 1);
	assert_string_equal(asked_id, ID_B);
	assert_string_equal(got.pod, "web-1");
	assert_string_equal(got.namespace, "shop");
	assert_string_equal(got.name, "app");
	/* Known now (with no name): not asked again. */
	containers_set(&c, ID_B, &(struct container_info){});
	container_lookup(&c, &ref, &got);
	assert_int_equal(asked, 1);
	assert_string_equal(got.name, "app");
	containers_free(&c);
}

static int pod_scans;

/* A pod source that also knows its containers by id (the kubelet's links). */
static void on_unknown_pod_links(void *ctx, const char *pod_uid)
{
	pod_scans++;
	containers_set_pod(ctx, pod_uid, "dns-2", "kube-system", "");
	containers_set(ctx, ID_A, &(struct container_info){"sidecar", "dns-2", "kube-system"});
}

/* A known pod's container not known yet: the pod source is asked first, the runtime not. */
static void test_unknown_container_of_pod(void **state)
{
	struct containers c;
	struct container_ref ref;
	struct container_info got;

	(void)state;
	assert_int_equal(containers_init(&c), 0);
	c.unknown = on_unknown;
	c.unknown_pod = on_unknown_pod_links;
	c.ctx = &c;
	containers_set_pod(&c, POD, "dns-2", "kube-system", "");
	asked = 0;
	container_parse("/kubepods/burstable/pod" POD "/" ID_A, &ref);
	container_lookup(&c, &ref, &got);
	assert_int_equal(pod_scans, 1);
	assert_int_equal(asked, 0);
	assert_string_equal(got.name, "sidecar");
	assert_string_equal(got.pod, "dns-2");
	/* Known now: neither is asked again. */
	container_lookup(&c, &ref, &got);
	assert_int_equal(pod_scans, 1);
	assert_int_equal(asked, 0);
	/* A container the pod source does not know either: the runtime is asked. */
	container_parse("/kubepods/burstable/pod" POD "/" ID_B, &ref);
	container_lookup(&c, &ref, &got);
	assert_int_equal(pod_scans, 2);
	assert_int_equal(asked, 1);
	assert_string_equal(asked_id, ID_B);
	assert_string_equal(got.name, "");
	assert_string_equal(got.pod, "dns-2");
	containers_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_samples),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_column_and_json),
		cmocka_unit_test(test_group_by),
		cmocka_unit_test(test_group_by_list),
		cmocka_unit_test(test_by_names),
		cmocka_unit_test(test_podlogs_names),
		cmocka_unit_test(test_podlogs_links),
		cmocka_unit_test(test_unknown_asked),
		cmocka_unit_test(test_unknown_container_of_pod),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

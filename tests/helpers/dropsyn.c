// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Attaches dropsyn.bpf.c to lo's tc ingress until SIGINT/SIGTERM.
 *
 *   dropsyn [-n COUNT] PORT    drop the first COUNT (default 1) SYNs to PORT
 *
 * Prints "ready" once attached and "dropped=N" at exit.
 * The clsact qdisc is removed at exit only if this program created it.
 */
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "dropsyn.skel.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);
	struct sigaction sa = {.sa_handler = on_signal};
	struct dropsyn_bpf *skel = NULL;
	bool created = false, attached = false;
	int opt, count = 1, port, err = 1;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			goto usage;
		count = atoi(optarg);
	}
	if (optind + 1 != argc)
		goto usage;
	port = atoi(argv[optind]);
	if (port < 1 || port > 65535 || count < 0)
		goto usage;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	skel = dropsyn_bpf__open();
	if (!skel) {
		perror("dropsyn: open");
		goto cleanup;
	}
	skel->rodata->targ_port = port;
	skel->rodata->targ_count = count;
	if (dropsyn_bpf__load(skel)) {
		perror("dropsyn: load");
		goto cleanup;
	}
	hook.ifindex = if_nametoindex("lo");
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		fprintf(stderr, "dropsyn: clsact on lo: %s\n", strerror(-err));
		goto cleanup;
	}
	created = !err;
	opts.prog_fd = bpf_program__fd(skel->progs.drop_syn);
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		fprintf(stderr, "dropsyn: attach: %s\n", strerror(-err));
		goto cleanup;
	}
	attached = true;
	printf("ready\n");
	fflush(stdout);
	while (!exiting)
		pause();
	printf("dropped=%u\n", skel->bss->dropped);
	err = 0;
	goto cleanup;
usage:
	fprintf(stderr, "usage: dropsyn [-n COUNT] PORT\n");
	err = 2;
cleanup:
	if (attached) {
		opts.prog_fd = opts.prog_id = opts.flags = 0;
		bpf_tc_detach(&hook, &opts);
	}
	if (created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	dropsyn_bpf__destroy(skel);
	return err ? 1 : 0;
}

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * Leaves one of the tool's BPF programs loaded, so that a test can show that its check for
 * leftover programs sees one (the check must be able to fail):
 *
 *   keepprog OBJ PROG          load program PROG of the BPF object OBJ (only that one), print
 *                              "id=N", hold it until stdin is closed
 *   keepprog OBJ PROG PATH     load it, pin it at PATH (a bpffs file) and exit: the program
 *                              stays loaded with no process holding it
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	struct bpf_program *prog, *want = NULL;
	struct bpf_object *obj;
	char buf[64];
	int err = 1;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: keepprog OBJ PROG [PIN_PATH]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "keepprog: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* The other programs may not load on this kernel (fentry, kprobe): only PROG does. */
	bpf_object__for_each_program(prog, obj)
	{
		if (!strcmp(bpf_program__name(prog), argv[2]))
			want = prog;
		else
			bpf_program__set_autoload(prog, false);
	}
	if (!want) {
		fprintf(stderr, "keepprog: no program %s in %s\n", argv[2], argv[1]);
		goto cleanup;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "keepprog: cannot load %s: %s\n", argv[2], strerror(errno));
		goto cleanup;
	}
	if (bpf_obj_get_info_by_fd(bpf_program__fd(want), &info, &info_len)) {
		fprintf(stderr, "keepprog: no info on %s: %s\n", argv[2], strerror(errno));
		goto cleanup;
	}
	if (argc == 4) {
		if (bpf_program__pin(want, argv[3])) {
			fprintf(stderr, "keepprog: cannot pin at %s: %s\n", argv[3],
				strerror(errno));
			goto cleanup;
		}
		printf("id=%u\n", info.id);
		err = 0;
		goto cleanup;
	}
	printf("id=%u\n", info.id);
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	err = 0;
cleanup:
	bpf_object__close(obj);
	return err;
}

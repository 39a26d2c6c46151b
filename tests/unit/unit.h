/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What the cmocka unit tests share. Include after <cmocka.h>. */
#ifndef TCPCONNLAT_TESTS_UNIT_H
#define TCPCONNLAT_TESTS_UNIT_H

/* Fails the test with a TAP diagnostic line ("# ...") on stdout, in order with the results. */
#define fail_because(fmt, ...)                             \
	do {                                               \
		print_message("# " fmt "\n", __VA_ARGS__); \
		fail();                                    \
	} while (0)

#endif

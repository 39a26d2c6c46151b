/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* What the cmocka unit tests share. Include after <cmocka.h>. */
#ifndef TCPCONNLAT_TESTS_UNIT_H
#define TCPCONNLAT_TESTS_UNIT_H

#include <stdint.h>
#include "tcpconnlat.h"

/* Fails the test with a TAP diagnostic line ("# ...") on stdout, in order with the results. */
#define fail_because(fmt, ...)                             \
	do {                                               \
		print_message("# " fmt "\n", __VA_ARGS__); \
		fail();                                    \
	} while (0)

/* Adds n connects of latency us to h, as the kernel's hist_add() does. */
static inline void add(struct hist *h, uint64_t us, uint64_t n)
{
	if (!n)
		return;
	h->slots[hist_slot(us)] += n;
	h->count += n;
	h->sum_us += us * n;
	if (us > h->max_us)
		h->max_us = us;
}

#endif

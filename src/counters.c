// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
#include "counters.h"
#include "tcpconnlat.h"

const struct uncounted_counter uncounted_counters[UNCOUNTED_REASONS] = {
	[UNCOUNTED_KEYS_FULL] = {"keys_full", "the kernel's map of label sets was full", NULL, NULL,
				 NULL, 0},
	[UNCOUNTED_INFLIGHT_FULL] = {"inflight_full", "too many handshakes at once, never timed",
				     "connects untimed", "more than %d handshakes in flight",
				     "more than %d handshakes in flight at once (neither printed "
				     "nor counted in -H)",
				     MAX_INFLIGHT},
	[UNCOUNTED_OUTCOME_UNSEEN] = {"unseen",
				      "the kernel ran none of our programs for the outcome",
				      "connects ended unseen",
				      "the kernel ran none of our programs for their outcome",
				      "the kernel ran none of our programs for their outcome "
				      "(neither printed nor counted in -H)",
				      0},
};

void untracked_grew(struct untracked *seen, const struct untracked *now, FILE *err)
{
	const struct uncounted_counter *c;
	char why[160];
	int i;

	for (i = 0; i < UNCOUNTED_REASONS; i++) {
		c = &uncounted_counters[i];
		if (!c->what || now->n[i] <= seen->n[i])
			continue;
		snprintf(why, sizeof(why), c->why, c->limit);
		fprintf(err, "tcpconnlat: %llu more %s: %s (%llu so far)\n",
			(unsigned long long)(now->n[i] - seen->n[i]), c->what, why,
			(unsigned long long)now->n[i]);
	}
	*seen = *now;
}

void untracked_report(const struct untracked *u, FILE *err)
{
	const struct uncounted_counter *c;
	char why[160];
	int i;

	for (i = 0; i < UNCOUNTED_REASONS; i++) {
		c = &uncounted_counters[i];
		if (!c->what || !u->n[i])
			continue;
		snprintf(why, sizeof(why), c->why_total, c->limit);
		fprintf(err, "tcpconnlat: %llu %s in total: %s\n", (unsigned long long)u->n[i],
			c->what, why);
	}
}

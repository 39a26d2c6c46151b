/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * The protobuf exposition (delimited io.prometheus.client.MetricFamily messages, protobuf-c):
 * expo.c hands over the samples it would write as text, and the latency histograms, which
 * become native histograms (schema 0) from the kernel's nslots[].
 */
#ifndef TCPCONNLAT_EXPO_PB_H
#define TCPCONNLAT_EXPO_PB_H

#include "hist.h"
#include "text.h"

struct pbenc;

/* An encoder; NULL without memory. It keeps its memory from one scrape to the next. */
struct pbenc *pbenc_new(void);
void pbenc_free(struct pbenc *e);

/* Starts a scrape appended to out. */
void pbenc_begin(struct pbenc *e, struct strbuf *out);

/* Starts a family (type "counter", "gauge" or "histogram"); the previous one is written. */
void pbenc_family(struct pbenc *e, const char *name, const char *type, const char *help);

/*
 * One counter or gauge sample of the current family. labels and extra are label sets in the
 * text format's escaped form, without braces (`daddr="10.0.0.1",dport="443"`, may be "");
 * value is the text format's number.
 */
void pbenc_sample(struct pbenc *e, const char *labels, const char *extra, const char *value);

/* One native histogram of the current family, from h's nslots[] and sum_us. */
void pbenc_native(struct pbenc *e, const char *labels, const struct hist *h);

/* Writes the last family: the scrape is complete. */
void pbenc_end(struct pbenc *e);

#endif

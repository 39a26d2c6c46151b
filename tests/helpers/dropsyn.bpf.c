// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * tc ingress program for the tests: drops the first targ_count SYNs (SYN without ACK) sent
 * to TCP port targ_port, IPv4 or IPv6. The client retransmits after its initial RTO (1 s),
 * so a test gets a connect that takes about a second, on a kernel without netem.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_OK   0
#define TC_ACT_SHOT 2
#define ETH_P_IP    0x0800
#define ETH_P_IPV6  0x86DD
#define IPPROTO_TCP 6

const volatile __u16 targ_port = 0;
const volatile __u32 targ_count = 1;
__u32 dropped = 0;

SEC("tc")
int drop_syn(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP)
			return TC_ACT_OK;
		th = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return TC_ACT_OK;
		th = (void *)(ip6 + 1);
	} else {
		return TC_ACT_OK;
	}
	if ((void *)(th + 1) > end || th->dest != bpf_htons(targ_port) || !th->syn || th->ack)
		return TC_ACT_OK;
	/* Racy between CPUs, which is fine: tests send one SYN at a time. */
	if (dropped >= targ_count)
		return TC_ACT_OK;
	__sync_fetch_and_add(&dropped, 1);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * make bench: the other candidate for -N's hook, measured against dns_ingress (the
 * cgroup_skb/ingress program the tool uses): a socket filter on a packet socket, as packet
 * capture tools do. It keeps what dns_ingress sends (UDP or TCP from port 53, IPv4 and
 * IPv6; at most DNS_CAPTURE_MAX bytes) and drops the rest from the socket. A socket filter
 * has no direct packet access: each header field is a load helper call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tcpconnlat.h"

#define ETH_HLEN    14
#define ETH_P_IP    0x0800
#define ETH_P_IPV6  0x86DD
#define IPPROTO_UDP 17

SEC("socket")
int sock_dns(struct __sk_buff *skb)
{
	__u8 vihl, proto;
	__u16 sport, frag;
	__u32 off;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &vihl, 1) ||
		    bpf_skb_load_bytes(skb, ETH_HLEN + 9, &proto, 1) ||
		    bpf_skb_load_bytes(skb, ETH_HLEN + 6, &frag, 2))
			return 0;
		if (frag & bpf_htons(0x1fff))
			return 0;
		off = ETH_HLEN + (vihl & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + 6, &proto, 1))
			return 0;
		off = ETH_HLEN + 40;
	} else {
		return 0;
	}
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return 0;
	if (bpf_skb_load_bytes(skb, off, &sport, 2) || sport != bpf_htons(DNS_PORT))
		return 0;
	return ETH_HLEN + DNS_CAPTURE_MAX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * What a guest sends, made fit for the wire. rte_vhost (with
 * RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS) turns a virtio-net header into
 * receive flags: RTE_MBUF_F_RX_L4_CKSUM_NONE for a partial TCP/UDP checksum
 * (other partial checksums it completes itself), RTE_MBUF_F_RX_LRO with
 * tso_segsz for a GSO frame. net_macvtap's ports advertise no transmit
 * offload and configure none on the lower, so both are done here, in
 * software, before the port sees the frame: every checksum computed from
 * scratch (whatever the guest left in the field), every TSO frame cut into
 * segments of its own. A frame whose headers do not add up is dropped and
 * counted, never sent half-done. The guest is not trusted: every length is
 * checked against the frame before it is used.
 */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "mvh.h"

#define VLAN_ROOM 8                 /* two tags, beyond the MTU and Ethernet header */

struct hdrs {
	uint32_t l2, l3, l4;            /* header lengths */
	uint32_t l4_bytes;              /* L4 header and payload, as the IP header says */
	bool v4;
	bool tcp;
};

enum verdict { OK, MALFORMED, REFUSED };

/* The pseudo-headers of the TCP and UDP checksums. */
struct pseudo4 {
	rte_be32_t sa, da;
	uint8_t zero, proto;
	rte_be16_t len;
} __rte_packed;

struct pseudo6 {
	uint8_t sa[16], da[16];
	rte_be32_t len, proto;
} __rte_packed;

/* The outer headers of a frame with a partial checksum or TSO. */
static enum verdict
parse(const struct rte_mbuf *m, struct hdrs *h)
{
	struct rte_net_hdr_lens lens;
	uint32_t ptype, l3, l4, len = rte_pktmbuf_pkt_len(m);

	ptype = rte_net_get_ptype(m, &lens, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK |
				  RTE_PTYPE_L4_MASK);
	l3 = ptype & RTE_PTYPE_L3_MASK;
	l4 = ptype & RTE_PTYPE_L4_MASK;
	if (RTE_ETH_IS_IPV4_HDR(l3))
		h->v4 = true;
	else if (RTE_ETH_IS_IPV6_HDR(l3))
		h->v4 = false;
	else
		return MALFORMED;
	if (l4 == RTE_PTYPE_L4_SCTP)
		return REFUSED;     /* a CRC32c, not offered */
	if (l4 != RTE_PTYPE_L4_TCP && l4 != RTE_PTYPE_L4_UDP)
		return MALFORMED;   /* fragments, unknown protocols */
	h->tcp = l4 == RTE_PTYPE_L4_TCP;
	h->l2 = lens.l2_len;
	h->l3 = lens.l3_len;
	h->l4 = lens.l4_len;
	/* The headers are read and written in place: all in the first segment. */
	if (h->l2 + h->l3 + h->l4 > rte_pktmbuf_data_len(m) ||
	    h->l4 < (h->tcp ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr)))
		return MALFORMED;
	if (h->v4) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const void *, h->l2);
		uint32_t total = rte_be_to_cpu_16(ip->total_length);

		if (rte_ipv4_hdr_len(ip) != h->l3 || total < h->l3 + h->l4 || h->l2 + total > len)
			return MALFORMED;
		h->l4_bytes = total - h->l3;
	} else {
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, const void *, h->l2);
		uint32_t payload = rte_be_to_cpu_16(ip->payload_len);

		if (h->l3 < sizeof(*ip) || payload < h->l3 - sizeof(*ip) + h->l4 ||
		    h->l2 + sizeof(*ip) + payload > len)
			return MALFORMED;
		h->l4_bytes = payload - (h->l3 - (uint32_t)sizeof(*ip));
	}
	return OK;
}

static inline uint32_t
fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	return (s & 0xffff) + (s >> 16);
}

/* Compute the TCP or UDP checksum of m from scratch, from the IP header as it is now. */
static void
l4_checksum(struct rte_mbuf *m, const struct hdrs *h)
{
	uint32_t l4_off = h->l2 + h->l3;
	uint16_t *field = rte_pktmbuf_mtod_offset(m, uint16_t *, l4_off +
		(h->tcp ? offsetof(struct rte_tcp_hdr, cksum) :
			  offsetof(struct rte_udp_hdr, dgram_cksum)));
	uint16_t raw = 0, c;
	uint32_t sum;

	if (h->v4) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const void *, h->l2);
		struct pseudo4 ph = {
			.sa = ip->src_addr, .da = ip->dst_addr,
			.proto = h->tcp ? IPPROTO_TCP : IPPROTO_UDP,
			.len = rte_cpu_to_be_16((uint16_t)h->l4_bytes),
		};

		sum = rte_raw_cksum(&ph, sizeof(ph));
	} else {
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, const void *, h->l2);
		struct pseudo6 ph = {
			.len = rte_cpu_to_be_32(h->l4_bytes),
			.proto = rte_cpu_to_be_32(h->tcp ? IPPROTO_TCP : IPPROTO_UDP),
		};

		memcpy(ph.sa, ip->src_addr, sizeof(ph.sa));
		memcpy(ph.da, ip->dst_addr, sizeof(ph.da));
		sum = rte_raw_cksum(&ph, sizeof(ph));
	}
	*field = 0;
	/* Cannot fail: parse() checked that the L4 bytes lie within the frame. */
	rte_raw_cksum_mbuf(m, l4_off, h->l4_bytes, &raw);
	c = (uint16_t)(fold(sum + raw) ^ 0xffff);   /* the one's complement; 0 when the sum is 0xffff */
	if (!h->tcp && c == 0)
		c = 0xffff;     /* UDP: 0 means no checksum */
	*field = c;
}

/* Append len bytes of src from offset off to the chain head, growing it from pool. */
static int
append_from(struct rte_mbuf *head, struct rte_mempool *pool, const struct rte_mbuf *src,
	    uint32_t off, uint32_t len)
{
	struct rte_mbuf *tail = rte_pktmbuf_lastseg(head);

	while (len != 0) {
		uint16_t room = rte_pktmbuf_tailroom(tail), chunk;
		const void *from;
		void *dst;

		if (room == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(pool);

			if (n == NULL)
				return -1;
			if (rte_pktmbuf_chain(head, n) != 0) {
				rte_pktmbuf_free(n);
				return -1;
			}
			tail = n;
			continue;
		}
		chunk = (uint16_t)RTE_MIN(len, (uint32_t)room);
		dst = rte_pktmbuf_mtod_offset(tail, char *, tail->data_len);
		from = rte_pktmbuf_read(src, off, chunk, dst);
		if (from == NULL)
			return -1;
		if (from != dst)
			memcpy(dst, from, chunk);
		tail->data_len += chunk;
		head->pkt_len += chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* Cut a TSO frame into segments of at most tso_segsz payload bytes each. */
static uint16_t
segment(struct rte_mbuf *m, const struct hdrs *h, struct rte_mbuf **out, uint16_t room,
	uint16_t mtu, struct rte_mempool *pool, struct qp_stats *st)
{
	uint32_t hdr = h->l2 + h->l3 + h->l4, mss = m->tso_segsz;
	uint32_t payload = h->l4_bytes - h->l4, nsegs, k, seq0;
	const struct rte_tcp_hdr *tcp0 = rte_pktmbuf_mtod_offset(m, const void *, h->l2 + h->l3);
	uint16_t id0 = 0;

	if (!h->tcp) {
		st->tx_offload_refused++;   /* UDP fragmentation offload: not offered */
		rte_pktmbuf_free(m);
		return 0;
	}
	if (mss == 0 || hdr + mss > (uint32_t)mtu + RTE_ETHER_HDR_LEN + VLAN_ROOM) {
		st->tx_malformed++;
		rte_pktmbuf_free(m);
		return 0;
	}
	nsegs = (payload + mss - 1) / mss;
	if (nsegs <= 1) {
		/* Nothing to cut: a frame that needs its checksum only. */
		l4_checksum(m, h);
		st->tx_csum_done++;
		m->ol_flags = 0;
		out[0] = m;
		return 1;
	}
	if (nsegs > MVH_MAX_TSO_SEGS || nsegs > room) {
		st->tx_malformed++;
		rte_pktmbuf_free(m);
		return 0;
	}
	if (rte_pktmbuf_alloc_bulk(pool, out, nsegs) != 0) {
		st->tx_nombuf++;
		rte_pktmbuf_free(m);
		return 0;
	}
	seq0 = rte_be_to_cpu_32(tcp0->sent_seq);
	if (h->v4)
		id0 = rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
							      h->l2)->packet_id);
	for (k = 0; k < nsegs; k++) {
		struct rte_mbuf *s = out[k];
		uint32_t plen = RTE_MIN(mss, payload - k * mss);
		struct hdrs sh = *h;
		struct rte_tcp_hdr *tcp;
		char *p;

		/* The headers are in m's first segment: they fit a fresh mbuf's. */
		p = rte_pktmbuf_append(s, (uint16_t)hdr);
		if (p == NULL || append_from(s, pool, m, hdr + k * mss, plen) != 0) {
			rte_pktmbuf_free_bulk(out, nsegs);
			st->tx_nombuf++;
			rte_pktmbuf_free(m);
			return 0;
		}
		memcpy(p, rte_pktmbuf_mtod(m, const char *), hdr);
		sh.l4_bytes = h->l4 + plen;
		if (h->v4) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + h->l2);

			ip->total_length = rte_cpu_to_be_16((uint16_t)(h->l3 + sh.l4_bytes));
			ip->packet_id = rte_cpu_to_be_16((uint16_t)(id0 + k));
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		} else {
			struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + h->l2);

			ip->payload_len = rte_cpu_to_be_16((uint16_t)(h->l3 - sizeof(*ip) +
								       sh.l4_bytes));
		}
		tcp = (struct rte_tcp_hdr *)(p + h->l2 + h->l3);
		tcp->sent_seq = rte_cpu_to_be_32(seq0 + k * mss);
		if (k + 1 < nsegs)
			tcp->tcp_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		if (k != 0)
			tcp->tcp_flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
		l4_checksum(s, &sh);
	}
	st->tx_tso_frames++;
	st->tx_tso_segments += nsegs;
	rte_pktmbuf_free(m);
	return (uint16_t)nsegs;
}

uint16_t
offload_prepare(struct rte_mbuf *m, struct rte_mbuf **out, uint16_t room, uint16_t mtu,
		struct rte_mempool *pool, struct qp_stats *st)
{
	uint64_t fl = m->ol_flags;
	struct hdrs h;

	if (room == 0) {
		/* The caller always leaves room; never lose a frame silently. */
		st->tx_port_refused++;
		rte_pktmbuf_free(m);
		return 0;
	}
	if (rte_pktmbuf_pkt_len(m) < RTE_ETHER_HDR_LEN) {
		st->tx_runt++;
		rte_pktmbuf_free(m);
		return 0;
	}
	if ((fl & RTE_MBUF_F_RX_LRO) ||
	    (fl & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE) {
		switch (parse(m, &h)) {
		case OK:
			break;
		case REFUSED:
			st->tx_offload_refused++;
			rte_pktmbuf_free(m);
			return 0;
		default:
			st->tx_malformed++;
			rte_pktmbuf_free(m);
			return 0;
		}
		if (fl & RTE_MBUF_F_RX_LRO)
			return segment(m, &h, out, room, mtu, pool, st);
		l4_checksum(m, &h);
		st->tx_csum_done++;
	}
	if (rte_pktmbuf_pkt_len(m) > (uint32_t)mtu + RTE_ETHER_HDR_LEN + VLAN_ROOM) {
		st->tx_oversize++;
		rte_pktmbuf_free(m);
		return 0;
	}
	/* Nothing for the port to act on: receive flags mean nothing on its way out. */
	m->ol_flags = 0;
	out[0] = m;
	return 1;
}

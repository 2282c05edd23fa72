/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Offloads a sender left in its frames' mbuf flags (checksums, TCP and UDP
 * segmentation), resolved for whoever takes the frame next: the lower does
 * what it was configured to do, a local reader what its tap file enabled
 * (TUNSETOFFLOAD); the rest is done in software first (the kernel's
 * validate_xmit_skb before the lower, the segmentation and checksums of
 * tap_handle_frame before a reader). Used by the tx burst (the wire), the
 * receive path (a bridge sibling's frames) and the tap file writes.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "macvtap.h"

/* One's-complement addition of two 16-bit sums kept in the same byte order. */
uint16_t
macvtap_csum16_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* Every segment a direct mbuf that this frame alone holds: it may be written. */
static bool
mbuf_writable(const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next)
		if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1)
			return false;
	return true;
}

/*
 * Append len bytes to chain head, whose last segment is *tail, with new
 * segments from mp as the last one fills. 0, or -ENOBUFS (the caller frees).
 */
int
macvtap_chain_put(struct rte_mbuf *head, struct rte_mbuf **tail, const void *src, uint32_t len,
		  struct rte_mempool *mp)
{
	const uint8_t *s = src;

	while (len != 0) {
		struct rte_mbuf *t = *tail;
		uint32_t n = rte_pktmbuf_tailroom(t);

		if (n == 0) {
			struct rte_mbuf *seg = rte_pktmbuf_alloc(mp);

			if (seg == NULL || head->nb_segs == UINT16_MAX) {
				rte_pktmbuf_free(seg);
				return -ENOBUFS;
			}
			seg->data_off = 0;   /* only a frame's first segment needs headroom */
			t->next = seg;
			head->nb_segs++;
			*tail = seg;
			continue;
		}
		n = RTE_MIN(n, len);
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), s, n);
		t->data_len += n;
		head->pkt_len += n;
		s += n;
		len -= n;
	}
	return 0;
}

/* Append bytes [off, off + len) of chain src to chain head. */
static int
chain_put_mbuf(struct rte_mbuf *head, struct rte_mbuf **tail, const struct rte_mbuf *src,
	       uint32_t off, uint32_t len, struct rte_mempool *mp)
{
	while (src != NULL && off >= src->data_len) {
		off -= src->data_len;
		src = src->next;
	}
	for (; src != NULL && len != 0; src = src->next, off = 0) {
		uint32_t n = RTE_MIN(len, (uint32_t)src->data_len - off);

		if (macvtap_chain_put(head, tail, rte_pktmbuf_mtod_offset(src, const uint8_t *, off),
				      n, mp) != 0)
			return -ENOBUFS;
		len -= n;
	}
	return len == 0 ? 0 : -EINVAL;
}

/* What a receiver or the lower reads of a frame's metadata, from m to c. */
static void
copy_meta(struct rte_mbuf *c, const struct rte_mbuf *m)
{
	c->port = m->port;
	c->ol_flags = m->ol_flags & ~(RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT);
	c->tx_offload = m->tx_offload;
	c->packet_type = m->packet_type;
	c->hash = m->hash;
	c->vlan_tci = m->vlan_tci;
	c->vlan_tci_outer = m->vlan_tci_outer;
}

/* A copy of m that is ours alone, its first segment as full as mp's mbufs allow. */
static struct rte_mbuf *
mbuf_private_copy(const struct rte_mbuf *m, struct rte_mempool *mp)
{
	struct rte_mbuf *c = rte_pktmbuf_alloc(mp), *tail = c;

	if (c == NULL)
		return NULL;
	if (chain_put_mbuf(c, &tail, m, 0, m->pkt_len, mp) != 0) {
		rte_pktmbuf_free(c);
		return NULL;
	}
	copy_meta(c, m);
	return c;
}

/* Write len bytes at offset off of chain m (inside it). */
static void
mbuf_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *s = src;

	for (; m != NULL && len != 0; m = m->next) {
		uint32_t n;

		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		n = RTE_MIN(len, (uint32_t)m->data_len - off);
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, off), s, n);
		s += n;
		len -= n;
		off = 0;
	}
}

static uint16_t
mbuf_read16(const struct rte_mbuf *m, uint32_t off)
{
	uint16_t v = 0, buf;
	const void *p = rte_pktmbuf_read(m, off, sizeof(v), &buf);

	if (p != NULL)
		memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * The one's-complement sum of bytes [off, off + len) of chain m, folded, in
 * memory order. DPDK 22.11's rte_raw_cksum_mbuf cannot be used: it drops the
 * carries of a segment that starts at an odd offset into the sum (it swaps
 * the bytes of the unfolded sum cut to 16 bits). -EINVAL past the frame.
 */
static int
chain_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *out)
{
	uint32_t sum = 0, done = 0;

	if ((uint64_t)off + len > m->pkt_len)
		return -EINVAL;
	for (; m != NULL && done < len; m = m->next) {
		uint32_t n;
		uint16_t s;

		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		n = RTE_MIN(len - done, (uint32_t)m->data_len - off);
		s = rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const void *, off), n);
		/* Bytes that start at an odd place of the whole sit in the other half of each word. */
		sum += (done & 1) ? rte_bswap16(s) : s;
		done += n;
		off = 0;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	*out = (uint16_t)sum;
	return 0;
}

/*
 * Complete a partial checksum (the kernel's skb_checksum_help): the one's
 * complement of the sum from start to the frame's end, the field's content
 * (the sender's pseudo-header sum) included, stored at start + off; 0 is
 * sent as 0xffff. m must be writable. 0, or -EINVAL when outside the frame.
 */
int
macvtap_csum_complete(struct rte_mbuf *m, uint32_t start, uint32_t off)
{
	uint16_t sum, c;

	if ((uint64_t)start + off + 2 > m->pkt_len ||
	    chain_sum(m, start, m->pkt_len - start, &sum) != 0)
		return -EINVAL;
	/* A sum of all ones would complement to 0: sent as 0xffff. */
	c = sum == 0xffff ? 0xffff : (uint16_t)~sum;
	mbuf_write(m, start + off, &c, sizeof(c));
	return 0;
}

/* Where a frame's requests work, from its mbuf's offload fields. */
struct ol_geo {
	uint32_t l3, l4;             /* offsets of the IP and L4 headers */
	uint32_t hdr;                /* headers a segment repeats; what must be writable */
	uint16_t csum_off;           /* the L4 checksum's offset in its header */
	bool v4, tcp, seg;
};

/* The geometry of m's requests, checked against the frame: 0 or -EINVAL. */
static int
ol_geometry(const struct rte_mbuf *m, struct ol_geo *g)
{
	uint64_t ol = m->ol_flags, l4 = ol & RTE_MBUF_F_TX_L4_MASK;
	uint64_t seg = ol & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG);
	uint32_t need;

	g->v4 = (ol & RTE_MBUF_F_TX_IPV4) != 0;
	g->seg = seg != 0;
	g->tcp = seg == RTE_MBUF_F_TX_TCP_SEG || (seg == 0 && l4 == RTE_MBUF_F_TX_TCP_CKSUM);
	g->csum_off = g->tcp ? offsetof(struct rte_tcp_hdr, cksum) :
		      offsetof(struct rte_udp_hdr, dgram_cksum);
	g->l3 = m->l2_len;
	g->l4 = m->l2_len + m->l3_len;
	g->hdr = g->l4;
	if (seg == (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG) ||
	    (seg == 0 && l4 == RTE_MBUF_F_TX_SCTP_CKSUM) || m->l2_len < RTE_ETHER_HDR_LEN)
		return -EINVAL;
	/* An IP version for what needs one: segments, an IPv4 header checksum. */
	if ((ol & RTE_MBUF_F_TX_IP_CKSUM) && !g->v4)
		return -EINVAL;
	if (seg != 0 && g->v4 == !!(ol & RTE_MBUF_F_TX_IPV6))
		return -EINVAL;
	if ((ol & RTE_MBUF_F_TX_IP_CKSUM) || seg != 0) {
		if (m->l3_len < (g->v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr)))
			return -EINVAL;
	}
	if (seg != 0 || l4 != 0) {
		need = g->l4 + g->csum_off + 2;
		if (seg != 0) {
			if (m->l4_len < (g->tcp ? sizeof(struct rte_tcp_hdr) :
					 sizeof(struct rte_udp_hdr)) || m->tso_segsz == 0)
				return -EINVAL;
			need = g->l4 + m->l4_len;
		}
		g->hdr = need;
	}
	return g->hdr > m->pkt_len ? -EINVAL : 0;
}

/* The pseudo-header sum of an IP packet at ip (no length), for L4 protocol proto. */
uint16_t
macvtap_pseudo_sum(const uint8_t *ip, bool v4, uint8_t proto)
{
	uint32_t sum;
	uint16_t p = rte_cpu_to_be_16(proto);

	sum = v4 ? __rte_raw_cksum(ip + 12, 8, 0) : __rte_raw_cksum(ip + 8, 32, 0);
	sum = __rte_raw_cksum(&p, sizeof(p), sum);
	return __rte_raw_cksum_reduce(sum);
}

/*
 * Headers of segment s (i of n, payload from byte off of the original's): IP
 * length and id, TCP sequence and flags or UDP length, and the pseudo-header
 * sum with this segment's length, so that its checksum is a partial one.
 * seed: the original's pseudo-header sum without length; own: s is not from
 * librte_gso (which sets the IPv4 length and id, the TCP sequence and flags).
 */
static void
seg_headers(struct rte_mbuf *s, const struct ol_geo *g, unsigned int i, unsigned int n,
	    uint32_t off, uint16_t seed, uint16_t ip_id, uint32_t seq, bool own)
{
	uint8_t *p = rte_pktmbuf_mtod(s, uint8_t *);
	uint16_t l4len = (uint16_t)(s->pkt_len - g->l4), sum;

	if (g->v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + g->l3);

		if (own) {
			ip->total_length = rte_cpu_to_be_16((uint16_t)(s->pkt_len - g->l3));
			ip->packet_id = rte_cpu_to_be_16((uint16_t)(ip_id + i));
		}
		/* A new header checksum is asked for (RTE_MBUF_F_TX_IP_CKSUM: the field 0). */
		ip->hdr_checksum = 0;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(p + g->l3);

		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(s->pkt_len - g->l3 -
							       sizeof(*ip6)));
	}
	if (g->tcp) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(p + g->l4);

		if (own) {
			th->sent_seq = rte_cpu_to_be_32(seq + off);
			if (i + 1 < n)
				th->tcp_flags &= ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		}
		/* As the kernel's tcp_gso_segment: CWR on the first segment only. */
		if (i > 0)
			th->tcp_flags &= ~RTE_TCP_CWR_FLAG;
	} else {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(p + g->l4);

		uh->dgram_len = rte_cpu_to_be_16(l4len);
	}
	sum = macvtap_csum16_add(seed, rte_cpu_to_be_16(l4len));
	memcpy(p + g->l4 + g->csum_off, &sum, sizeof(sum));
	s->ol_flags &= ~(RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_L4_MASK);
	s->ol_flags |= g->tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
	if (g->v4)
		s->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
}

/*
 * Segment m (writable, its headers in its first mbuf) into out: TCP over IPv4
 * with librte_gso, TCP over IPv6 and UDP (the kernel's UDP_L4, one datagram
 * per segment) here, each segment a copy of the headers and its share of the
 * payload. Returns the count, or a negative errno (nothing left in out).
 */
static int
ol_segment(struct rte_mbuf *m, const struct ol_geo *g, struct rte_mempool *mp,
	   struct rte_mbuf **out, unsigned int max)
{
	uint32_t payload = m->pkt_len - g->hdr, mss = m->tso_segsz, seq = 0, off;
	unsigned int n = (payload + mss - 1) / mss, i;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t seed = mbuf_read16(m, g->l4 + g->csum_off), ip_id = 0;
	bool own = true;
	int ret;

	if (n > max || n > MACVTAP_GSO_MAX_SEGS)
		return -E2BIG;
	if (g->v4)
		ip_id = rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)(p + g->l3))->packet_id);
	if (g->tcp)
		seq = rte_be_to_cpu_32(((const struct rte_tcp_hdr *)(p + g->l4))->sent_seq);
	if (g->tcp && g->v4 && g->hdr + mss <= UINT16_MAX) {
		struct rte_gso_ctx ctx = {
			.direct_pool = mp,
			.indirect_pool = mp,
			.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO,
			.gso_size = (uint16_t)(g->hdr + mss),
			.flag = 0,
		};

		ret = rte_gso_segment(m, &ctx, out, (uint16_t)RTE_MIN(max, (unsigned int)UINT16_MAX));
		if (ret < 0)
			return ret;
		/* 0: not a frame librte_gso takes (an IPv4 fragment): ours below. */
		own = ret == 0;
		m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
		for (i = 0; i < (unsigned int)ret; i++) {
			out[i]->hash = m->hash;
			out[i]->vlan_tci = m->vlan_tci;
			out[i]->vlan_tci_outer = m->vlan_tci_outer;
		}
		if (!own)
			n = (unsigned int)ret;
	}
	for (i = 0, off = 0; i < n; i++, off += mss) {
		struct rte_mbuf *s, *tail;

		if (own) {
			s = rte_pktmbuf_alloc(mp);
			tail = s;
			if (s == NULL || chain_put_mbuf(s, &tail, m, 0, g->hdr, mp) != 0 ||
			    chain_put_mbuf(s, &tail, m, g->hdr + off, RTE_MIN(mss, payload - off),
					   mp) != 0) {
				rte_pktmbuf_free(s);
				rte_pktmbuf_free_bulk(out, i);
				return -ENOBUFS;
			}
			copy_meta(s, m);
			out[i] = s;
		}
		seg_headers(out[i], g, i, n, off, seed, ip_id, seq, own);
	}
	return (int)n;
}

/* Whether consumer accept takes frame m's segmentation as it is. */
static bool
gso_taken(const struct rte_mbuf *m, const struct ol_geo *g, uint32_t accept)
{
	uint8_t flags = 0;
	const uint8_t *f;

	if (!g->tcp || !(accept & MACVTAP_OL_TCP_CKSUM) ||
	    !(accept & (g->v4 ? MACVTAP_OL_TSO4 : MACVTAP_OL_TSO6)) ||
	    (m->nb_segs > 1 && !(accept & MACVTAP_OL_MULTI_SEGS)))
		return false;
	/* A frame with CWR set is the kernel's SKB_GSO_TCP_ECN: it needs TSO_ECN. */
	f = rte_pktmbuf_read(m, g->l4 + 13, 1, &flags);
	return f != NULL && (!(*f & RTE_TCP_CWR_FLAG) || (accept & MACVTAP_OL_TSO_ECN));
}

/* Checksums frame m asks for that accept does not take, done (m writable). */
static int
ol_csum(struct rte_mbuf *m, const struct ol_geo *g, uint32_t accept)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;

	if ((m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) && !(accept & MACVTAP_OL_IP_CKSUM)) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, g->l3);

		if (rte_ipv4_hdr_len(ip) < sizeof(*ip) || g->l3 + rte_ipv4_hdr_len(ip) > m->data_len)
			return -EINVAL;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		m->ol_flags &= ~RTE_MBUF_F_TX_IP_CKSUM;
	}
	if (l4 != 0 && !(accept & (l4 == RTE_MBUF_F_TX_TCP_CKSUM ? MACVTAP_OL_TCP_CKSUM :
				   MACVTAP_OL_UDP_CKSUM))) {
		if (macvtap_csum_complete(m, g->l4, g->csum_off) != 0)
			return -EINVAL;
		m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
	}
	return 0;
}

/*
 * Frame m as its next consumer takes it: what accept (MACVTAP_OL_*) does not
 * cover of the offloads m asks for is done in software: segmentation into
 * out, checksums completed, chains made linear. m is consumed. Returns the
 * frames put in out (1 when m stays whole, possibly as a private copy), or a
 * negative errno: the frame was dropped (requests that do not fit the frame,
 * more than max segments, no mbufs).
 */
int
macvtap_offload_resolve(struct rte_mbuf *m, uint32_t accept, struct rte_mempool *mp,
			struct rte_mbuf **out, unsigned int max)
{
	struct ol_geo g;
	unsigned int i;
	bool keep_gso;
	int n = 1, ret;

	if (!(m->ol_flags & MACVTAP_TX_OL_FLAGS)) {
		out[0] = m;
		return 1;
	}
	if (max == 0 || ol_geometry(m, &g) != 0) {
		ret = -EINVAL;
		goto drop;
	}
	/* Payload of one segment or less: only the checksum is left to do. */
	if (g.seg && m->pkt_len - g.hdr <= m->tso_segsz)
		g.seg = false;
	keep_gso = g.seg && gso_taken(m, &g, accept);
	/* An IPv4 header checksum is the lower's to do or ours, never a reader's. */
	if (keep_gso && (!(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) ||
			 (accept & MACVTAP_OL_IP_CKSUM))) {
		out[0] = m;
		return 1;
	}
	if (!mbuf_writable(m) || m->data_len < g.hdr) {
		struct rte_mbuf *c = mbuf_private_copy(m, mp);

		rte_pktmbuf_free(m);
		m = c;
		if (m == NULL || m->data_len < g.hdr) {
			ret = -ENOBUFS;
			goto drop;
		}
	}
	out[0] = m;
	if (keep_gso) {
		ret = ol_csum(m, &g, accept);
		if (ret != 0)
			goto drop;
		return 1;
	}
	if (g.seg) {
		n = ol_segment(m, &g, mp, out, max);
		if (n < 0) {
			ret = n;
			goto drop;
		}
		rte_pktmbuf_free(m);   /* the segments hold what they share of it */
	} else if (m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)) {
		/* Not really a large frame: its pseudo-header sum gets its length. */
		seg_headers(m, &g, 0, 1, 0, mbuf_read16(m, g.l4 + g.csum_off), 0, 0, false);
	}
	for (i = 0; i < (unsigned int)n; i++) {
		ret = ol_csum(out[i], &g, accept);
		if (ret == 0 && out[i]->nb_segs > 1 && !(accept & MACVTAP_OL_MULTI_SEGS)) {
			/* One mbuf for a consumer that takes no chains. */
			struct rte_mbuf *c = mbuf_private_copy(out[i], mp);

			ret = c == NULL || c->nb_segs > 1 ? -EMSGSIZE : 0;
			rte_pktmbuf_free(ret == 0 ? out[i] : c);
			if (ret == 0)
				out[i] = c;
		}
		if (ret != 0) {
			rte_pktmbuf_free_bulk(out, n);
			return ret;
		}
	}
	return n;
drop:
	rte_pktmbuf_free(m);
	return ret;
}

/*
 * What the lower does of the offloads, as configured with tx_offloads
 * (RTE_ETH_TX_OFFLOAD_*), and the mbuf requests that make a frame take the
 * software path before it: one test per frame finds them.
 */
void
macvtap_offload_lower_caps(struct macvlan_port *port, uint64_t tx_offloads)
{
	uint32_t ol = 0;
	uint64_t sw = RTE_MBUF_F_TX_UDP_SEG;   /* the lower never gets UDP segmentation */

	if (tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		ol |= MACVTAP_OL_IP_CKSUM;
	if (tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)
		ol |= MACVTAP_OL_TCP_CKSUM;
	if (tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
		ol |= MACVTAP_OL_UDP_CKSUM;
	if ((tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO) && (ol & MACVTAP_OL_TCP_CKSUM) &&
	    (ol & MACVTAP_OL_IP_CKSUM))
		ol |= MACVTAP_OL_TSO4 | MACVTAP_OL_TSO6 | MACVTAP_OL_TSO_ECN;
	if (tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		ol |= MACVTAP_OL_MULTI_SEGS;
	if (!(ol & MACVTAP_OL_IP_CKSUM))
		sw |= RTE_MBUF_F_TX_IP_CKSUM;
	if (!(ol & MACVTAP_OL_TCP_CKSUM) || !(ol & MACVTAP_OL_UDP_CKSUM))
		sw |= RTE_MBUF_F_TX_L4_MASK;
	/* TSO frames are chains when they come from a tap file. */
	if (!(ol & MACVTAP_OL_TSO4) || !(ol & MACVTAP_OL_MULTI_SEGS))
		sw |= RTE_MBUF_F_TX_TCP_SEG;
	port->tx_ol = ol;
	port->tx_sw_flags = sw;
}


/*
 * UDP fragmentation (the kernel's UFO, udp4_ufo_fragment): a UDP datagram over
 * IPv4, its UDP header at offset th of frame m (writable, the headers in its
 * first mbuf), as IP fragments of mss bytes of IP payload each (rounded down
 * to a multiple of 8) made with librte_gso, its UDP checksum computed in full
 * first (a new one, 0 sent as 0xffff), each fragment's IPv4 header checksum
 * anew and marked verified (RTE_MBUF_F_RX_L4_CKSUM_GOOD: a reader reads
 * DATA_VALID); one mbuf each for a taker without chains. m is consumed. Returns the
 * count, or a negative errno (a frame that is no such datagram, an IP
 * fragment already, more than max fragments, no mbufs).
 */
int
macvtap_ufo_fragment(struct rte_mbuf *m, uint32_t th, uint16_t mss, bool chains,
		     struct rte_mempool *mp, struct rte_mbuf **out, unsigned int max)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t l2, unit = mss & ~7u, udp_len = m->pkt_len - th, i;
	uint16_t type = 0, sum;
	struct rte_gso_ctx ctx = {
		.direct_pool = mp,
		.indirect_pool = mp,
		.gso_types = RTE_ETH_TX_OFFLOAD_UDP_TSO,
		.flag = 0,
	};
	int n = -EINVAL;

	/* The ethertype past up to two VLAN tags. */
	for (l2 = 2 * RTE_ETHER_ADDR_LEN, i = 0; i < 3 && l2 + 2 <= m->data_len; l2 += 4, i++) {
		type = (uint16_t)(p[l2] << 8 | p[l2 + 1]);
		if (type != RTE_ETHER_TYPE_VLAN && type != RTE_ETHER_TYPE_QINQ)
			break;
	}
	l2 += 2;
	if (type != RTE_ETHER_TYPE_IPV4 || th + sizeof(struct rte_udp_hdr) > m->data_len ||
	    th < l2 + sizeof(struct rte_ipv4_hdr) || (p[l2] & 0xfu) * 4 != th - l2 ||
	    p[l2 + 9] != IPPROTO_UDP || (p[l2 + 6] & 0x3f) != 0 || p[l2 + 7] != 0 ||
	    unit < 8 || (udp_len + unit - 1) / unit > RTE_MIN(max, (unsigned int)MACVTAP_GSO_MAX_SEGS) ||
	    th + unit > UINT16_MAX)
		goto drop;
	/* The whole datagram's checksum, as the kernel's UFO computes it. */
	memset(p + th + 6, 0, 2);
	sum = macvtap_csum16_add(macvtap_pseudo_sum(p + l2, true, IPPROTO_UDP),
				 rte_cpu_to_be_16((uint16_t)udp_len));
	memcpy(p + th + 6, &sum, sizeof(sum));
	if (macvtap_csum_complete(m, th, 6) != 0)
		goto drop;
	m->l2_len = l2;
	m->l3_len = th - l2;
	m->l4_len = sizeof(struct rte_udp_hdr);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_SEG;
	ctx.gso_size = (uint16_t)(th + unit);
	n = rte_gso_segment(m, &ctx, out, (uint16_t)RTE_MIN(max, (unsigned int)UINT16_MAX));
	if (n <= 0) {
		n = n < 0 ? n : -EINVAL;
		goto drop;
	}
	rte_pktmbuf_free(m);
	for (i = 0; i < (unsigned int)n; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(out[i], struct rte_ipv4_hdr *, l2);

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		/* Checksummed here: a reader reads DATA_VALID, as the kernel's UFO says. */
		out[i]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		if (out[i]->nb_segs > 1 && !chains) {
			struct rte_mbuf *c = mbuf_private_copy(out[i], mp);

			if (c == NULL || c->nb_segs > 1) {
				rte_pktmbuf_free(c);
				rte_pktmbuf_free_bulk(out, (unsigned int)n);
				return -EMSGSIZE;
			}
			rte_pktmbuf_free(out[i]);
			out[i] = c;
		}
	}
	return n;
drop:
	rte_pktmbuf_free(m);
	return n;
}

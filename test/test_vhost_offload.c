/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * dpdk-macvtap-vhost's guest transmit checks (app/vhost/offload.c) on frames
 * a guest could send and virtio_user never does: runts, lies in the IP
 * lengths, TSO with no or tiny segment sizes, UDP and SCTP offloads that are
 * not offered, headers split over segments, no mbuf for the segments. Frames
 * arrive as rte_vhost hands them over (receive flags, tso_segsz). Every mbuf
 * must be back in the pool after each case. Prints PASS:/FAIL: lines.
 */

#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_sctp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "mvh.h"

#define MTU 1500
#define OUT 256

static struct rte_mempool *pool, *tiny;
static int failed;

static void
result(const char *name, bool ok, const char *why)
{
	if (ok) {
		printf("PASS: %s\n", name);
	} else {
		printf("FAIL: %s: %s\n", name, why);
		failed = 1;
	}
}

/* A frame: Ethernet, IPv4 or IPv6, TCP/UDP/SCTP header, payload of len bytes. */
static struct rte_mbuf *
frame(struct rte_mempool *mp, bool v6, uint8_t proto, uint32_t len, uint64_t flags,
      uint16_t segsz)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint32_t l3 = v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint32_t l4 = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) :
		      proto == IPPROTO_UDP ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_sctp_hdr);
	uint32_t total = RTE_ETHER_HDR_LEN + l3 + l4 + len, i;
	struct rte_ether_hdr *eh;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	/* Large frames as rte_vhost builds them: a chain of full segments. */
	for (i = 0; i < total;) {
		struct rte_mbuf *seg = i == 0 ? m : rte_pktmbuf_alloc(mp);
		uint16_t n = (uint16_t)RTE_MIN(total - i, (uint32_t)rte_pktmbuf_tailroom(seg));

		if (seg == NULL || rte_pktmbuf_append(seg, n) == NULL)
			return NULL;
		if (seg != m && rte_pktmbuf_chain(m, seg) != 0)
			return NULL;
		i += n;
	}
	for (i = 0; i < len; i++) {
		uint8_t v = (uint8_t)(i * 7 + 3);
		uint32_t off = RTE_ETHER_HDR_LEN + l3 + l4 + i;
		struct rte_mbuf *seg = m;

		while (seg != NULL && off >= seg->data_len) {
			off -= seg->data_len;
			seg = seg->next;
		}
		if (seg == NULL)
			return NULL;
		*rte_pktmbuf_mtod_offset(seg, uint8_t *, off) = v;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eh, 0x02, sizeof(*eh));
	eh->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	p = (uint8_t *)(eh + 1);
	if (v6) {
		struct rte_ipv6_hdr *ip = (void *)p;

		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = rte_cpu_to_be_32(0x60000000);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + len));
		ip->proto = proto;
		ip->hop_limits = 64;
		ip->src_addr[0] = 0xfd;
		ip->src_addr[15] = 2;
		ip->dst_addr[0] = 0xfd;
		ip->dst_addr[15] = 1;
	} else {
		struct rte_ipv4_hdr *ip = (void *)p;

		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + len));
		ip->packet_id = rte_cpu_to_be_16(100);
		ip->time_to_live = 64;
		ip->next_proto_id = proto;
		ip->src_addr = rte_cpu_to_be_32(0x0a000002);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000001);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	p += l3;
	memset(p, 0, l4);
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (void *)p;

		t->src_port = rte_cpu_to_be_16(1000);
		t->dst_port = rte_cpu_to_be_16(2000);
		t->sent_seq = rte_cpu_to_be_32(5000);
		t->data_off = 5 << 4;
		t->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG |
			       RTE_TCP_CWR_FLAG;
		t->cksum = 0xbeef;      /* garbage: it must be recomputed */
	} else if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (void *)p;

		u->src_port = rte_cpu_to_be_16(1000);
		u->dst_port = rte_cpu_to_be_16(2000);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(l4 + len));
		u->dgram_cksum = 0xbeef;
	}
	m->ol_flags = flags;
	m->tso_segsz = segsz;
	return m;
}

#define CSUM_NONE RTE_MBUF_F_RX_L4_CKSUM_NONE
#define LRO (RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE)

/* Whether the frame's L4 checksum is right. */
static bool
l4_ok(const struct rte_mbuf *m, bool v6)
{
	const void *ip = rte_pktmbuf_mtod_offset(m, const void *, RTE_ETHER_HDR_LEN);
	uint16_t l4_off = RTE_ETHER_HDR_LEN + (v6 ? 40 : 20);

	if (v6)
		return rte_ipv6_udptcp_cksum_mbuf_verify(m, ip, l4_off) == 0;
	return rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, l4_off) == 0 &&
	       rte_ipv4_cksum(ip) == 0;
}

static bool
pool_full(struct rte_mempool *mp)
{
	return rte_mempool_avail_count(mp) == mp->size;
}

/* Run one frame through; out[] gets the result. */
static uint16_t
run(struct rte_mbuf *m, struct rte_mbuf **out, struct qp_stats *st, struct rte_mempool *seg_pool)
{
	memset(st, 0, sizeof(*st));
	return offload_prepare(m, out, OUT, MTU, seg_pool, st);
}

static void
drop_case(const char *name, struct rte_mbuf *m, size_t counter_off)
{
	struct rte_mbuf *out[OUT];
	struct qp_stats st;
	uint16_t n;
	char why[128];

	if (m == NULL) {
		result(name, false, "no frame");
		return;
	}
	n = run(m, out, &st, pool);
	rte_pktmbuf_free_bulk(out, n);
	snprintf(why, sizeof(why), "%u frames out, counter %" PRIu64 ", pool %s", n,
		 *(uint64_t *)((char *)&st + counter_off), pool_full(pool) ? "full" : "short");
	result(name, n == 0 && *(uint64_t *)((char *)&st + counter_off) == 1 && pool_full(pool), why);
}

static void
test_drops(void)
{
	struct rte_mbuf *m;

	m = rte_pktmbuf_alloc(pool);
	if (m != NULL)
		rte_pktmbuf_append(m, 10);
	drop_case("runt", m, offsetof(struct qp_stats, tx_runt));
	drop_case("oversize", frame(pool, false, IPPROTO_UDP, 1600, 0, 0),
		  offsetof(struct qp_stats, tx_oversize));
	m = frame(pool, false, IPPROTO_TCP, 100, CSUM_NONE, 0);
	if (m != NULL)   /* the IP header claims more than the frame has */
		rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->total_length =
			rte_cpu_to_be_16(1400);
	drop_case("ip-length-past-frame", m, offsetof(struct qp_stats, tx_malformed));
	m = frame(pool, true, IPPROTO_TCP, 100, CSUM_NONE, 0);
	if (m != NULL)
		rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14)->payload_len =
			rte_cpu_to_be_16(10);   /* shorter than its own TCP header */
	drop_case("ipv6-length-short", m, offsetof(struct qp_stats, tx_malformed));
	drop_case("tso-segsz-0", frame(pool, false, IPPROTO_TCP, 3000, LRO, 0),
		  offsetof(struct qp_stats, tx_malformed));
	drop_case("tso-too-many-segments", frame(pool, false, IPPROTO_TCP, 3000, LRO, 10),
		  offsetof(struct qp_stats, tx_malformed));
	drop_case("tso-segment-over-mtu", frame(pool, false, IPPROTO_TCP, 3000, LRO, 1600),
		  offsetof(struct qp_stats, tx_malformed));
	drop_case("ufo-refused", frame(pool, false, IPPROTO_UDP, 3000, LRO, 1000),
		  offsetof(struct qp_stats, tx_offload_refused));
	drop_case("sctp-csum-refused", frame(pool, false, IPPROTO_SCTP, 100, CSUM_NONE, 0),
		  offsetof(struct qp_stats, tx_offload_refused));
	m = frame(pool, false, IPPROTO_TCP, 100, CSUM_NONE, 0);
	if (m != NULL) {   /* headers split: the first segment ends inside the IP header */
		struct rte_mbuf *rest = rte_pktmbuf_alloc(pool);
		uint16_t keep = 20;

		if (rest != NULL) {
			memcpy(rte_pktmbuf_append(rest, m->data_len - keep),
			       rte_pktmbuf_mtod_offset(m, char *, keep), m->data_len - keep);
			m->pkt_len = keep;
			m->data_len = keep;
			rte_pktmbuf_chain(m, rest);
		}
	}
	drop_case("headers-split", m, offsetof(struct qp_stats, tx_malformed));
}

static void
test_csum(const char *name, bool v6, uint8_t proto)
{
	struct rte_mbuf *out[OUT];
	struct qp_stats st;
	uint16_t n;
	bool ok;

	n = run(frame(pool, v6, proto, 333, CSUM_NONE, 0), out, &st, pool);
	ok = n == 1 && st.tx_csum_done == 1 && l4_ok(out[0], v6) && out[0]->ol_flags == 0;
	rte_pktmbuf_free_bulk(out, n);
	result(name, ok && pool_full(pool), ok ? "a leak" : "checksum not right");
}

/* A TSO frame cut into segments: lengths, sequence numbers, flags, checksums, payload. */
static void
test_tso(const char *name, bool v6, uint32_t len, uint16_t mss)
{
	struct rte_mbuf *out[OUT];
	struct qp_stats st;
	uint32_t want = (len + mss - 1) / mss, k, i, off = 0, l3 = v6 ? 40 : 20;
	uint16_t n;
	char why[160] = "";

	n = run(frame(pool, v6, IPPROTO_TCP, len, LRO, mss), out, &st, pool);
	/* A frame with one segment's worth of payload only needs its checksum. */
	if (n != want || (want > 1 ? st.tx_tso_segments != want : st.tx_csum_done != 1))
		snprintf(why, sizeof(why), "%u segments, expected %u", n, want);
	for (k = 0; k < n && why[0] == '\0'; k++) {
		struct rte_mbuf *s = out[k];
		const struct rte_tcp_hdr *t = rte_pktmbuf_mtod_offset(s, const void *, 14 + l3);
		uint32_t plen = RTE_MIN((uint32_t)mss, len - k * mss);
		uint8_t fl = t->tcp_flags;

		if (s->pkt_len != 14 + l3 + 20 + plen)
			snprintf(why, sizeof(why), "segment %u: %u bytes", k, s->pkt_len);
		else if (rte_be_to_cpu_32(t->sent_seq) != 5000 + k * mss)
			snprintf(why, sizeof(why), "segment %u: seq %u", k, rte_be_to_cpu_32(t->sent_seq));
		else if (!l4_ok(s, v6))
			snprintf(why, sizeof(why), "segment %u: bad checksum", k);
		else if (!!(fl & RTE_TCP_FIN_FLAG) != (k + 1 == n) ||
			 !!(fl & RTE_TCP_PSH_FLAG) != (k + 1 == n) ||
			 !!(fl & RTE_TCP_CWR_FLAG) != (k == 0) || !(fl & RTE_TCP_ACK_FLAG))
			snprintf(why, sizeof(why), "segment %u: flags 0x%x", k, fl);
		for (i = 0; i < plen && why[0] == '\0'; i++, off++) {
			uint8_t b;
			const uint8_t *pb = rte_pktmbuf_read(s, 14 + l3 + 20 + i, 1, &b);

			if (pb == NULL || *pb != (uint8_t)(off * 7 + 3))
				snprintf(why, sizeof(why), "segment %u: payload byte %u differs", k, i);
		}
		if (!v6 && why[0] == '\0' &&
		    rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(s, struct rte_ipv4_hdr *, 14)->packet_id) !=
		    100 + k)
			snprintf(why, sizeof(why), "segment %u: IPv4 id not incremented", k);
	}
	rte_pktmbuf_free_bulk(out, n);
	if (why[0] == '\0' && !pool_full(pool))
		snprintf(why, sizeof(why), "mbufs not returned");
	result(name, why[0] == '\0', why);
}

int
main(int argc, char **argv)
{
	if (rte_eal_init(argc, argv) < 0) {
		printf("FAIL: eal: rte_eal_init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("tvo_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	tiny = rte_pktmbuf_pool_create("tvo_tiny", 1, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (pool == NULL || tiny == NULL) {
		printf("FAIL: pool: cannot create the mbuf pools\n");
		return 1;
	}
	test_drops();
	{
		/* Segments from a pool that has none: the frame is dropped, counted, freed. */
		struct rte_mbuf *out[OUT];
		struct qp_stats st;
		struct rte_mbuf *keep = rte_pktmbuf_alloc(tiny);
		uint16_t n = run(frame(pool, false, IPPROTO_TCP, 3000, LRO, 1000), out, &st, tiny);

		rte_pktmbuf_free_bulk(out, n);
		result("tso-pool-empty", n == 0 && st.tx_nombuf == 1 && pool_full(pool), "not counted");
		rte_pktmbuf_free(keep);
	}
	test_csum("csum-tcp4", false, IPPROTO_TCP);
	test_csum("csum-udp4", false, IPPROTO_UDP);
	test_csum("csum-tcp6", true, IPPROTO_TCP);
	test_csum("csum-udp6", true, IPPROTO_UDP);
	test_tso("tso4-chained", false, 3000, 1000);
	test_tso("tso4-uneven", false, 2900, 1448);
	test_tso("tso6", true, 4000, 1220);
	test_tso("tso4-one-segment", false, 500, 1000);
	rte_mempool_free(pool);
	rte_mempool_free(tiny);
	rte_eal_cleanup();
	return failed;
}

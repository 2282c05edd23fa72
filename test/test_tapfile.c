/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Tests of the tap file API (rte_pmd_macvtap.h, rte_pmd_macvtap_file_*): the
 * kernel's /dev/tapN file operations on a net_macvtap port, checked against
 * the header's contract and the kernel behaviour of the spec's section 6.
 * Frames come from the harness's lower (rings); what a file writes is read
 * back from the lower's TX ring byte by byte.
 *
 * Run: test_tapfile <EAL args> [-- test-name-substring]
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_service.h>

#include "harness.h"
#include "rte_pmd_macvtap.h"

#define EXT "02:ee:00:00:00:01"       /* a host on the wire */
#define PORT_MAC "02:00:00:00:0f:01"
#define OTHER_MAC "02:00:00:00:0f:02"  /* a sibling port */
#define NEW_MAC "02:00:00:00:0f:03"

#define VHDR 10                        /* the default virtio-net header */
#define FRAME_MAX 2048

/* The virtio-net header as the kernel lays it out (little-endian on x86). */
struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
} __attribute__((packed));

#define VF_NEEDS_CSUM 1
#define VG_TCPV4 1

/* ---- frames ---- */

static void
put_mac(uint8_t *p, const char *s)
{
	struct rte_ether_addr a = t_mac(s);

	memcpy(p, a.addr_bytes, RTE_ETHER_ADDR_LEN);
}

/* An Ethernet frame of len bytes to dst, a pattern after the header, id at 14. */
static size_t
make_raw(uint8_t *p, const char *dst, uint16_t ether_type, uint32_t id, size_t len)
{
	size_t i;

	put_mac(p, dst);
	put_mac(p + 6, EXT);
	p[12] = ether_type >> 8;
	p[13] = ether_type & 0xff;
	for (i = 14; i < len; i++)
		p[i] = (uint8_t)(i * 7 + id);
	if (len >= 18)
		memcpy(p + 14, &id, sizeof(id));
	return len;
}

/* One's-complement sum of 16-bit big-endian words, not folded. */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The UDP checksum a receiver expects: pseudo header + UDP header + data. */
static uint16_t
udp_csum_expected(const uint8_t *frame)
{
	const uint8_t *ip = frame + 14, *udp = frame + 34;
	uint16_t ulen = (uint16_t)(udp[4] << 8 | udp[5]);
	uint8_t copy[FRAME_MAX];
	uint32_t sum;
	uint16_t c;

	memcpy(copy, udp, ulen);
	copy[6] = 0;
	copy[7] = 0;
	sum = sum16(0, ip + 12, 8);   /* source and destination addresses */
	sum += 17;                    /* zero, protocol */
	sum += ulen;
	sum = sum16(sum, copy, ulen);
	c = (uint16_t)~fold(sum);
	return c == 0 ? 0xffff : c;
}

/*
 * An IPv4 frame from EXT to dst with an L4 header and payload bytes of
 * payload: proto 17 (UDP, checksum field 0) or 6 (TCP). IP checksum valid.
 */
static size_t
make_ip(uint8_t *p, const char *dst, uint8_t proto, size_t payload)
{
	size_t l4 = proto == 17 ? 8 : 20, len = 14 + 20 + l4 + payload, i;
	uint8_t *ip = p + 14, *th = p + 34;
	uint16_t c;

	memset(p, 0, len);
	put_mac(p, dst);
	put_mac(p + 6, EXT);
	p[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 10; ip[13] = 1; ip[14] = 2; ip[15] = 3;
	ip[16] = 10; ip[17] = 9; ip[18] = 8; ip[19] = 7;
	c = (uint16_t)~fold(sum16(0, ip, 20));
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	th[0] = 0x30; th[1] = 0x39;   /* port 12345 */
	th[2] = 0x1f; th[3] = 0x90;   /* port 8080 */
	if (proto == 17) {
		th[4] = (uint8_t)((8 + payload) >> 8);
		th[5] = (uint8_t)(8 + payload);
	} else {
		th[12] = 0x50;        /* data offset 5 */
		th[13] = 0x18;
	}
	for (i = 0; i < payload; i++)
		th[l4 + i] = (uint8_t)(0x41 + i * 13);
	return len;
}

static int
inject_bytes(struct t_env *e, const uint8_t *p, size_t len, uint32_t rss)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
	char *d;

	CHECK(m != NULL, "out of mbufs");
	d = rte_pktmbuf_append(m, (uint16_t)len);
	CHECK(d != NULL, "frame of %zu bytes does not fit an mbuf", len);
	memcpy(d, p, len);
	if (rss != 0) {
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		m->hash.rss = rss;
	}
	return t_inject(e, 0, &m, 1);
}

/* The next frame on the wire, copied into p; its length, or -1 if none. */
static int
wire_take(struct t_env *e, uint8_t *p, size_t cap)
{
	struct rte_mbuf *m;
	const void *d;
	uint16_t q;
	int len;

	for (q = 0; q < e->nb_q; q++) {
		if (rte_ring_dequeue(e->tx[q], (void **)&m) != 0)
			continue;
		len = (int)rte_pktmbuf_pkt_len(m);
		if ((size_t)len > cap)
			len = (int)cap;
		d = rte_pktmbuf_read(m, 0, (uint32_t)len, p);
		if (d != NULL && d != p)
			memcpy(p, d, len);
		rte_pktmbuf_free(m);
		return len;
	}
	return -1;
}

static unsigned int
wire_count(struct t_env *e)
{
	uint8_t p[FRAME_MAX];
	unsigned int n = 0;

	while (wire_take(e, p, sizeof(p)) >= 0)
		n++;
	return n;
}

static int
ioctl_int(struct rte_pmd_macvtap_file *f, unsigned long req, int v)
{
	return rte_pmd_macvtap_file_ioctl(f, req, &v);
}

static int
set_iff(struct rte_pmd_macvtap_file *f, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)flags;
	return rte_pmd_macvtap_file_ioctl(f, TUNSETIFF, &ifr);
}

static int
get_iff(struct rte_pmd_macvtap_file *f, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	return rte_pmd_macvtap_file_ioctl(f, TUNGETIFF, ifr);
}

static bool
all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* One port with nb_rxq queues on a fresh lower. */
static int
one_port(struct t_env *e, uint16_t nb_rxq, int *idx)
{
	TRY(t_env_init(e, 1));
	TRY(t_add_port(e, "mac=" PORT_MAC, nb_rxq, 0, idx));
	return 0;
}

static int
finish(struct t_env *e)
{
	t_files_close_all();
	return t_env_fini(e);
}

/* ---- open / close ---- */

static int
test_open_close(void)
{
	static struct t_env e;
	struct rte_pmd_macvtap_file *f0, *f1, *f2;
	struct rte_mbuf *m[8];
	uint8_t fr[64];
	uint16_t port;
	uint64_t held;
	int p, i;
	unsigned int n;

	TRY(one_port(&e, 2, &p));
	port = e.ports[p];
	CHECK_EQ(rte_pmd_macvtap_file_open(port, NULL), -EINVAL, "open with NULL file");
	CHECK_EQ(rte_pmd_macvtap_file_open(e.lower, &f0), -ENODEV, "open on the lower");
	CHECK_EQ(rte_pmd_macvtap_file_open(RTE_MAX_ETHPORTS - 1, &f0), -ENODEV,
		 "open on an unused port id");
	CHECK_EQ(rte_pmd_macvtap_file_close(NULL), -EINVAL, "close NULL");
	CHECK_EQ(rte_pmd_macvtap_file_queue(NULL), -EINVAL, "queue of NULL");

	CHECK_EQ(t_file_open(port, &f0), 0, "first open");
	CHECK_EQ(rte_pmd_macvtap_file_queue(f0), 0, "first file's queue");
	CHECK_EQ(t_file_open(port, &f1), 0, "second open");
	CHECK_EQ(rte_pmd_macvtap_file_queue(f1), 1, "second file's queue");
	CHECK_EQ(t_file_open(port, &f2), -EBUSY, "third open on a 2-queue port");

	/* Queue 0 is held: the ethdev burst gives nothing and counts the calls. */
	make_raw(fr, PORT_MAC, 0x88b5, 1, sizeof(fr));
	TRY(inject_bytes(&e, fr, sizeof(fr), 0)); /* no hash, lower queue 0: queue 0 */
	held = t_xstat(port, "rx_burst_held");
	CHECK(held != UINT64_MAX, "no xstat rx_burst_held");
	for (i = 0; i < 3; i++)
		CHECK_EQ(rte_eth_rx_burst(port, 0, m, 8), 0, "rx burst on a held queue");
	CHECK_EQ(t_xstat(port, "rx_burst_held"), held + 3, "rx_burst_held counts the calls");
	CHECK_EQ(rte_eth_rx_burst(port, 1, m, 8), 0, "rx burst on queue 1 (held)");
	CHECK_EQ(t_xstat(port, "rx_burst_held"), held + 4, "rx_burst_held on queue 1");

	/* Closed, queue 0 goes back to the burst with its frame. */
	CHECK_EQ(t_file_close(f0), 0, "close");
	n = 0;
	for (i = 0; i < 4 && n == 0; i++)
		n = rte_eth_rx_burst(port, 0, m, 8);
	CHECK_EQ(n, 1, "the frame left in the closed file's queue");
	CHECK(rte_pktmbuf_pkt_len(m[0]) == sizeof(fr) &&
	      memcmp(rte_pktmbuf_mtod(m[0], void *), fr, sizeof(fr)) == 0,
	      "frame bytes after close");
	rte_pktmbuf_free(m[0]);
	CHECK_EQ(t_xstat(port, "rx_burst_held"), held + 4, "a free queue's burst is not counted");

	/* The lowest free queue again. */
	CHECK_EQ(t_file_open(port, &f0), 0, "reopen");
	CHECK_EQ(rte_pmd_macvtap_file_queue(f0), 0, "reopened file takes queue 0");
	CHECK_EQ(t_file_close(f1), 0, "close f1");
	CHECK_EQ(t_file_open(port, &f1), 0, "reopen f1");
	CHECK_EQ(rte_pmd_macvtap_file_queue(f1), 1, "queue 1 again");
	CHECK_EQ(t_file_close(f0), 0, "close f0");
	CHECK_EQ(t_file_close(f1), 0, "close f1");
	CHECK(rte_mempool_full(rte_pmd_macvtap_get_lower_mempool(port)),
	      "lower mempool not full with no file open");
	return finish(&e);
}

/* ---- read ---- */

static int
test_read(void)
{
	static struct t_env e;
	struct rte_pmd_macvtap_file *f;
	uint8_t fr[FRAME_MAX], buf[FRAME_MAX], a[4], b[20], c[200];
	struct iovec iov[3];
	size_t len;
	ssize_t r;
	int p;

	TRY(one_port(&e, 1, &p));
	CHECK_EQ(t_file_open(e.ports[p], &f), 0, "open");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN, "empty read");
	CHECK_EQ(rte_pmd_macvtap_file_read(NULL, buf, sizeof(buf)), -EINVAL, "read NULL file");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, NULL, 100), -EINVAL, "read NULL buffer");

	/* A frame from the wire: a zero header, the exact bytes. */
	len = make_raw(fr, PORT_MAC, 0x0800, 1, 64);
	TRY(inject_bytes(&e, fr, len, 0));
	memset(buf, 0xAA, sizeof(buf));
	r = rte_pmd_macvtap_file_read(f, buf, sizeof(buf));
	CHECK_EQ(r, VHDR + len, "read length");
	CHECK(all_bytes(buf, VHDR, 0), "header not all zero: flags %u gso_type %u", buf[0],
	      buf[1]);
	CHECK(memcmp(buf + VHDR, fr, len) == 0, "frame bytes differ");
	CHECK_EQ(buf[VHDR + len], 0xAA, "byte after the frame written");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN, "read after the frame");

	/* len 0: 0, nothing consumed. */
	len = make_raw(fr, PORT_MAC, 0x0800, 2, 100);
	TRY(inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 0), 0, "zero-length read");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, NULL, 0), 0, "zero-length read, NULL buffer");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), VHDR + len,
		 "the frame after zero-length reads");
	CHECK(memcmp(buf + VHDR, fr, len) == 0, "frame bytes differ after zero-length read");

	/* Shorter than the header: -EINVAL, the frame is gone. */
	len = make_raw(fr, PORT_MAC, 0x0800, 3, 64);
	TRY(inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, VHDR - 1), -EINVAL, "buffer under the header");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN,
		 "frame dropped by the short read");

	/* A short buffer truncates; the rest is lost. */
	len = make_raw(fr, PORT_MAC, 0x0800, 4, 64);
	TRY(inject_bytes(&e, fr, len, 0));
	memset(buf, 0xAA, sizeof(buf));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 30), 30, "truncated read");
	CHECK(all_bytes(buf, VHDR, 0) && memcmp(buf + VHDR, fr, 20) == 0,
	      "truncated read's bytes");
	CHECK_EQ(buf[30], 0xAA, "byte past the buffer written");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN,
		 "rest of a truncated frame");
	/* Exactly the header: the header alone. */
	TRY(inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, VHDR), VHDR, "read of the header size");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN, "header-only read");

	/* A 12-byte header: the two extra bytes zeroed. */
	CHECK_EQ(ioctl_int(f, TUNSETVNETHDRSZ, 12), 0, "TUNSETVNETHDRSZ 12");
	len = make_raw(fr, PORT_MAC, 0x0800, 5, 64);
	TRY(inject_bytes(&e, fr, len, 0));
	memset(buf, 0xAA, sizeof(buf));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), 12 + len, "12-byte header read");
	CHECK(all_bytes(buf, 12, 0), "12-byte header not all zero");
	CHECK(memcmp(buf + 12, fr, len) == 0, "frame after a 12-byte header");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 11), -EAGAIN, "empty: -EAGAIN before size");
	TRY(inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 11), -EINVAL, "11 bytes under a 12-byte header");

	/* No IFF_VNET_HDR: no header at all. */
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI), 0, "TUNSETIFF without VNET_HDR");
	len = make_raw(fr, PORT_MAC, 0x0800, 6, 70);
	TRY(inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), len, "read without header");
	CHECK(memcmp(buf, fr, len) == 0, "frame bytes without header");
	TRY(inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 5), 5, "5 bytes without header: truncated");

	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR), 0, "VNET_HDR back");
	CHECK_EQ(ioctl_int(f, TUNSETVNETHDRSZ, VHDR), 0, "TUNSETVNETHDRSZ 10");

	/* A tag the lower stripped is put back after the MACs (TPID 0x8100). */
	{
		struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
		uint8_t tagged[FRAME_MAX];

		len = make_raw(fr, PORT_MAC, 0x0800, 8, 64);
		CHECK(m != NULL && rte_pktmbuf_append(m, (uint16_t)len) != NULL, "mbuf");
		memcpy(rte_pktmbuf_mtod(m, void *), fr, len);
		m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
		m->vlan_tci = 0x2005;
		TRY(t_inject(&e, 0, &m, 1));
		memcpy(tagged, fr, 12);
		tagged[12] = 0x81;
		tagged[13] = 0x00;
		tagged[14] = 0x20;
		tagged[15] = 0x05;
		memcpy(tagged + 16, fr + 12, len - 12);
		memset(buf, 0xAA, sizeof(buf));
		CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), VHDR + len + 4,
			 "read of a frame whose tag the lower stripped");
		CHECK(all_bytes(buf, VHDR, 0) && memcmp(buf + VHDR, tagged, len + 4) == 0,
		      "the tag put back");
		/* Truncated past the tag: the bytes as far as the buffer goes. */
		m = rte_pktmbuf_alloc(t_pool);
		CHECK(m != NULL && rte_pktmbuf_append(m, (uint16_t)len) != NULL, "mbuf");
		memcpy(rte_pktmbuf_mtod(m, void *), fr, len);
		m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
		m->vlan_tci = 0x2005;
		TRY(t_inject(&e, 0, &m, 1));
		CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 40), 40, "truncated tagged read");
		CHECK(memcmp(buf + VHDR, tagged, 30) == 0, "truncated tagged bytes");
	}

	/* A checksum the lower verified: DATA_VALID (2). */
	{
		struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);

		len = make_raw(fr, PORT_MAC, 0x0800, 9, 64);
		CHECK(m != NULL && rte_pktmbuf_append(m, (uint16_t)len) != NULL, "mbuf");
		memcpy(rte_pktmbuf_mtod(m, void *), fr, len);
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		TRY(t_inject(&e, 0, &m, 1));
		CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), VHDR + len,
			 "read of a verified frame");
		CHECK_EQ(buf[0], 2, "flags of a frame the lower verified (DATA_VALID)");
		CHECK(all_bytes(buf + 1, VHDR - 1, 0), "rest of a DATA_VALID header");
	}

	/* readv: 4 + 20 + 200 bytes, filled in order. */
	len = make_raw(fr, PORT_MAC, 0x0800, 7, 100);
	TRY(inject_bytes(&e, fr, len, 0));
	memset(a, 0xAA, sizeof(a));
	memset(b, 0xAA, sizeof(b));
	memset(c, 0xAA, sizeof(c));
	iov[0].iov_base = a;
	iov[0].iov_len = sizeof(a);
	iov[1].iov_base = b;
	iov[1].iov_len = sizeof(b);
	iov[2].iov_base = c;
	iov[2].iov_len = sizeof(c);
	r = rte_pmd_macvtap_file_readv(f, iov, 3);
	CHECK_EQ(r, VHDR + len, "readv length");
	CHECK(all_bytes(a, 4, 0), "readv iov 0: header bytes 0-3");
	CHECK(all_bytes(b, 6, 0), "readv iov 1: header bytes 4-9");
	CHECK(memcmp(b + 6, fr, 14) == 0, "readv iov 1: frame bytes 0-13");
	CHECK(memcmp(c, fr + 14, len - 14) == 0, "readv iov 2: frame bytes 14-");
	CHECK_EQ(c[len - 14], 0xAA, "readv wrote past the frame");
	/* readv that truncates inside the second buffer. */
	TRY(inject_bytes(&e, fr, len, 0));
	iov[1].iov_len = 8;
	CHECK_EQ(rte_pmd_macvtap_file_readv(f, iov, 2), 12, "truncating readv");
	CHECK(memcmp(b + 6, fr, 2) == 0, "truncating readv bytes");
	CHECK_EQ(rte_pmd_macvtap_file_readv(f, iov, 3), -EAGAIN, "readv after truncation");
	return finish(&e);
}

/* ---- write ---- */

static size_t
with_hdr(uint8_t *out, const struct vnet_hdr *h, const uint8_t *frame, size_t len)
{
	memcpy(out, h, sizeof(*h));
	memcpy(out + VHDR, frame, len);
	return VHDR + len;
}

static int
test_write(void)
{
	static struct t_env e;
	struct rte_pmd_macvtap_file *f;
	uint8_t fr[FRAME_MAX], buf[FRAME_MAX], got[FRAME_MAX], got2[FRAME_MAX];
	struct vnet_hdr h;
	struct iovec iov[3];
	uint64_t dropped;
	unsigned int errors = 0;
	size_t len, n;
	uint16_t want;
	int p, wl, wl2;

	TRY(one_port(&e, 1, &p));
	CHECK_EQ(t_file_open(e.ports[p], &f), 0, "open");
	dropped = t_xstat(e.ports[p], "tx_file_dropped");
	CHECK(dropped != UINT64_MAX, "no xstat tx_file_dropped");

	/* A zero header: the frame leaves as it is; the write returns all of it. */
	memset(&h, 0, sizeof(h));
	len = make_ip(fr, EXT, 17, 40);
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "write");
	wl = wire_take(&e, got, sizeof(got));
	CHECK_EQ(wl, len, "length on the wire");
	CHECK(memcmp(got, fr, len) == 0, "bytes on the wire");
	CHECK_EQ(wire_count(&e), 0, "one frame per write");

	/* Errors. */
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR - 1), -EINVAL, "under the header");
	errors++;
	n = with_hdr(buf, &h, fr, 13);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), -EINVAL, "13-byte frame");
	errors++;
	CHECK_EQ(rte_pmd_macvtap_file_write(NULL, buf, n), -EINVAL, "NULL file");
	CHECK_EQ(rte_pmd_macvtap_file_write(f, NULL, n), -EINVAL, "NULL buffer");
	n = with_hdr(buf, &h, fr, 14);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "14-byte frame");
	wl = wire_take(&e, got, sizeof(got));
	CHECK(wl == 14 && memcmp(got, fr, 14) == 0, "14-byte frame on the wire (%d bytes)", wl);

	len = make_ip(fr, EXT, 17, 40);
	h.gso_type = 2;                  /* not a GSO type the kernel knows */
	h.gso_size = 100;
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), -EINVAL, "gso_type 2");
	errors++;
	memset(&h, 0, sizeof(h));
	h.gso_type = VG_TCPV4;           /* a GSO type without gso_size */
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), -EINVAL, "GSO with gso_size 0");
	errors++;
	memset(&h, 0, sizeof(h));
	h.flags = VF_NEEDS_CSUM;
	h.csum_start = 19;
	h.csum_offset = 6;
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), -EINVAL, "NEEDS_CSUM csum_start 19");
	errors++;
	h.csum_start = (uint16_t)len;
	h.csum_offset = 0;
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), -EINVAL, "NEEDS_CSUM start past the end");
	errors++;
	h.csum_start = 34;
	h.csum_offset = (uint16_t)(len - 34 - 1); /* the 2-byte field crosses the end */
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), -EINVAL, "NEEDS_CSUM field past the end");
	errors++;
	memset(&h, 0, sizeof(h));
	h.flags = 0xff;                  /* NEEDS_CSUM among others, zero offsets */
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), -EINVAL, "flags 0xff, zero offsets");
	errors++;
	memset(&h, 0, sizeof(h));
	h.hdr_len = (uint16_t)(len + 1);
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), -EINVAL, "hdr_len past the frame");
	errors++;
	/* hdr_len = the frame: accepted. */
	h.hdr_len = (uint16_t)len;
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "hdr_len = frame length");
	CHECK_EQ(wire_count(&e), 1, "hdr_len = frame on the wire");
	/* DATA_VALID and RSC_INFO are ignored. */
	memset(&h, 0, sizeof(h));
	h.flags = 2 | 4;
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "flags DATA_VALID|RSC_INFO");
	wl = wire_take(&e, got, sizeof(got));
	CHECK(wl == (int)len && memcmp(got, fr, len) == 0, "DATA_VALID frame on the wire");

	/* A valid TCPv4 GSO header: not supported in this version. */
	len = make_ip(fr, EXT, 6, 1400);
	memset(&h, 0, sizeof(h));
	h.flags = VF_NEEDS_CSUM;
	h.gso_type = VG_TCPV4;
	h.gso_size = 500;
	h.hdr_len = 54;
	h.csum_start = 34;
	h.csum_offset = 16;
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), -EOPNOTSUPP, "TCPv4 GSO header");
	errors++;
	/* Longer than the port's pool (data room 2048) can hold. */
	{
		static uint8_t big[VHDR + 4000];

		memset(big, 0, sizeof(big));
		make_raw(big + VHDR, EXT, 0x88b5, 1, 4000);
		CHECK_EQ(rte_pmd_macvtap_file_write(f, big, sizeof(big)), -EINVAL,
			 "a frame longer than the pool's mbufs");
		errors++;
	}
	CHECK_EQ(wire_count(&e), 0, "frames on the wire from refused writes");
	CHECK_EQ(t_xstat(e.ports[p], "tx_file_dropped"), dropped + errors,
		 "tx_file_dropped counts each refused write");
	{
		struct rte_eth_stats st;

		CHECK_EQ(rte_eth_stats_get(e.ports[p], &st), 0, "stats");
		CHECK_EQ(st.oerrors, errors, "oerrors counts the refused writes (the guide)");
	}

	/*
	 * NEEDS_CSUM on IPv4/UDP: completed in software as the kernel does
	 * (skb_checksum_help): the one's-complement sum from csum_start to the
	 * end, of the bytes as written, folded, complemented, stored at
	 * csum_start + csum_offset. A sender of a partial checksum seeds the
	 * field with the pseudo header's sum (virtio, the kernel's own
	 * CHECKSUM_PARTIAL): the wire then has the correct UDP checksum. With
	 * the field left zero the kernel does not add the pseudo header (seen
	 * on this machine's kernel through veth: test/tapfile_kernel.sh,
	 * write-csum-zero-field), and neither must we.
	 */
	len = make_ip(fr, EXT, 17, 37);  /* odd payload: the last byte padded */
	want = udp_csum_expected(fr);
	{
		uint32_t ps = sum16(0, fr + 26, 8) + 17 + (uint32_t)(len - 34);
		uint16_t seed = fold(ps);

		fr[40] = seed >> 8;
		fr[41] = seed & 0xff;
	}
	memset(&h, 0, sizeof(h));
	h.flags = VF_NEEDS_CSUM;
	h.csum_start = 34;
	h.csum_offset = 6;
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "NEEDS_CSUM write, seeded");
	wl = wire_take(&e, got, sizeof(got));
	CHECK_EQ(wl, len, "NEEDS_CSUM frame length on the wire");
	CHECK_EQ(got[40] << 8 | got[41], want, "UDP checksum on the wire (pseudo header seeded)");
	CHECK(memcmp(got, fr, 40) == 0 && memcmp(got + 42, fr + 42, len - 42) == 0,
	      "NEEDS_CSUM changed other bytes");
	/* The field zero: the sum of the UDP header and data alone. */
	fr[40] = 0;
	fr[41] = 0;
	want = (uint16_t)~fold(sum16(0, fr + 34, len - 34));
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "NEEDS_CSUM write, zero field");
	wl = wire_take(&e, got, sizeof(got));
	CHECK_EQ(wl, len, "NEEDS_CSUM (zero field) frame length on the wire");
	CHECK_EQ(got[40] << 8 | got[41], want,
		 "checksum on the wire (zero field: the kernel's sum, no pseudo header)");
	/* At another offset: csum_offset 2 on the same start (a UDP port field). */
	h.csum_offset = 2;
	want = (uint16_t)~fold(sum16(0, fr + 34, len - 34));
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "NEEDS_CSUM write, offset 2");
	wl = wire_take(&e, got, sizeof(got));
	CHECK(wl == (int)len && (got[36] << 8 | got[37]) == want && got[40] == 0 && got[41] == 0,
	      "checksum stored at csum_start + csum_offset 2: %02x%02x, want %04x", got[36],
	      got[37], want);

	/* writev from three pieces equals write. */
	memset(&h, 0, sizeof(h));
	len = make_ip(fr, EXT, 17, 90);
	n = with_hdr(buf, &h, fr, len);
	iov[0].iov_base = buf;
	iov[0].iov_len = 3;
	iov[1].iov_base = buf + 3;
	iov[1].iov_len = 20;
	iov[2].iov_base = buf + 23;
	iov[2].iov_len = n - 23;
	CHECK_EQ(rte_pmd_macvtap_file_writev(f, iov, 3), n, "writev");
	wl = wire_take(&e, got, sizeof(got));
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "write");
	wl2 = wire_take(&e, got2, sizeof(got2));
	CHECK(wl == (int)len && wl2 == wl && memcmp(got, got2, len) == 0 &&
	      memcmp(got, fr, len) == 0, "writev's frame (%d bytes) differs from write's (%d)",
	      wl, wl2);

	/* Without IFF_VNET_HDR: the buffer is the frame. */
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI), 0, "TUNSETIFF without VNET_HDR");
	CHECK_EQ(rte_pmd_macvtap_file_write(f, fr, len), len, "write without header");
	wl = wire_take(&e, got, sizeof(got));
	CHECK(wl == (int)len && memcmp(got, fr, len) == 0, "frame written without header");
	CHECK_EQ(rte_pmd_macvtap_file_write(f, fr, 13), -EINVAL, "13 bytes without header");
	errors++;
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR), 0, "VNET_HDR back");

	/* A stopped port: the write succeeds, nothing leaves, counted. */
	dropped = t_xstat(e.ports[p], "tx_file_dropped");
	CHECK_EQ(rte_eth_dev_stop(e.ports[p]), 0, "stop");
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "write on a stopped port");
	CHECK_EQ(wire_count(&e), 0, "frames on the wire from a stopped port");
	CHECK_EQ(t_xstat(e.ports[p], "tx_file_dropped"), dropped + 1,
		 "write on a stopped port counted");
	CHECK_EQ(rte_eth_dev_start(e.ports[p]), 0, "start");
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "write after start");
	CHECK_EQ(wire_count(&e), 1, "frame on the wire after start");
	return finish(&e);
}

/* ---- ioctls ---- */

static int
test_ioctl(void)
{
	static struct t_env e;
	struct rte_pmd_macvtap_file *f;
	struct rte_ether_addr mac, want;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint8_t fr[128], buf[256];
	struct ifreq ifr;
	unsigned int feat = 0;
	int p, o, v;
	size_t len;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=" PORT_MAC ",mode=bridge", 1, 0, &p));
	TRY(t_add_port(&e, "mac=" OTHER_MAC ",mode=bridge", 1, 0, &o));
	CHECK_EQ(t_file_open(e.ports[p], &f), 0, "open");
	CHECK_EQ(rte_eth_dev_get_name_by_port(e.ports[p], name), 0, "port name");

	/* TUNGETIFF: the defaults and the name. */
	CHECK_EQ(get_iff(f, &ifr), 0, "TUNGETIFF");
	CHECK_EQ((uint16_t)ifr.ifr_flags, 0x5002, "TUNGETIFF default flags");
	CHECK(strncmp(ifr.ifr_name, name, IFNAMSIZ - 1) == 0, "TUNGETIFF name '%.*s', port '%s'",
	      IFNAMSIZ, ifr.ifr_name, name);

	/* TUNSETIFF. */
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI), 0, "TUNSETIFF TAP|NO_PI");
	CHECK_EQ(get_iff(f, &ifr), 0, "TUNGETIFF");
	CHECK_EQ((uint16_t)ifr.ifr_flags, 0x1002, "flags after TUNSETIFF TAP|NO_PI");
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE), 0,
		 "TUNSETIFF TAP|NO_PI|VNET_HDR|MULTI_QUEUE");
	CHECK_EQ(get_iff(f, &ifr), 0, "TUNGETIFF");
	CHECK_EQ((uint16_t)ifr.ifr_flags, 0x5102, "flags after TUNSETIFF with MULTI_QUEUE");
	CHECK_EQ(set_iff(f, IFF_TAP), -EINVAL, "TUNSETIFF TAP alone");
	CHECK_EQ(set_iff(f, IFF_TUN | IFF_NO_PI), -EINVAL, "TUNSETIFF TUN|NO_PI");
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI | IFF_ONE_QUEUE), -EINVAL,
		 "TUNSETIFF TAP|NO_PI|ONE_QUEUE");
	CHECK_EQ(get_iff(f, &ifr), 0, "TUNGETIFF");
	CHECK_EQ((uint16_t)ifr.ifr_flags, 0x5102, "flags unchanged by refused TUNSETIFFs");
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR), 0, "TUNSETIFF default");

	/* TUNGETFEATURES. */
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETFEATURES, &feat), 0, "TUNGETFEATURES");
	CHECK_EQ(feat, 0x5102, "features");

	/* TUNSETQUEUE. */
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	/* A frame queued before the detach is still read; none arrives after it. */
	len = make_raw(fr, PORT_MAC, 0x0800, 4, 64);
	TRY(inject_bytes(&e, fr, len, 0));
	{
		struct rte_mbuf *m[4];

		/* The sibling's burst polls the lower: the frame goes into p's queue. */
		CHECK_EQ(rte_eth_rx_burst(e.ports[o], 0, m, 4), 0, "sibling gets nothing");
	}
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETQUEUE, &ifr), 0, "detach");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), VHDR + len,
		 "read detached: the frame from before the detach");
	/* A frame that arrives (a sibling's burst polls the lower) while detached. */
	len = make_raw(fr, PORT_MAC, 0x0800, 5, 64);
	TRY(inject_bytes(&e, fr, len, 0));
	{
		struct rte_mbuf *m[4];

		CHECK_EQ(rte_eth_rx_burst(e.ports[o], 0, m, 4), 0, "sibling gets nothing");
	}
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN,
		 "read detached: a frame after the detach");
	/* Detached, the file still writes. */
	{
		uint8_t w[VHDR + 64];

		memset(w, 0, VHDR);
		make_raw(w + VHDR, EXT, 0x0800, 6, 64);
		CHECK_EQ(rte_pmd_macvtap_file_write(f, w, sizeof(w)), sizeof(w), "write detached");
		CHECK_EQ(wire_count(&e), 1, "detached file's write on the wire");
	}
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETQUEUE, &ifr), -EINVAL, "detach twice");
	ifr.ifr_flags = 0;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETQUEUE, &ifr), -EINVAL, "TUNSETQUEUE no bit");
	ifr.ifr_flags = IFF_ATTACH_QUEUE;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETQUEUE, &ifr), 0, "attach");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETQUEUE, &ifr), -EINVAL, "attach twice");
	/* What arrived while no queue was attached is not the file's (the kernel's stack got it). */
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN,
		 "read attached: a frame that arrived while detached");
	len = make_raw(fr, PORT_MAC, 0x0800, 1, 64);
	TRY(inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), VHDR + len, "read attached");

	/* vnet header size. */
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETVNETHDRSZ, &v), 0, "TUNGETVNETHDRSZ");
	CHECK_EQ(v, 10, "default vnet header size");
	CHECK_EQ(ioctl_int(f, TUNSETVNETHDRSZ, 9), -EINVAL, "TUNSETVNETHDRSZ 9");
	CHECK_EQ(ioctl_int(f, TUNSETVNETHDRSZ, -1), -EINVAL, "TUNSETVNETHDRSZ -1");
	CHECK_EQ(ioctl_int(f, TUNSETVNETHDRSZ, 12), 0, "TUNSETVNETHDRSZ 12");
	v = 0;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETVNETHDRSZ, &v), 0, "TUNGETVNETHDRSZ");
	CHECK_EQ(v, 12, "vnet header size after set");
	CHECK_EQ(ioctl_int(f, TUNSETVNETHDRSZ, 10), 0, "TUNSETVNETHDRSZ 10");

	/* Endianness. */
	v = -1;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETVNETLE, &v), 0, "TUNGETVNETLE");
	CHECK_EQ(v, 0, "default VNETLE");
	CHECK_EQ(ioctl_int(f, TUNSETVNETLE, 5), 0, "TUNSETVNETLE 5");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETVNETLE, &v), 0, "TUNGETVNETLE");
	CHECK_EQ(v, 1, "VNETLE after setting 5");
	CHECK_EQ(ioctl_int(f, TUNSETVNETLE, 0), 0, "TUNSETVNETLE 0");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETVNETLE, &v), 0, "TUNGETVNETLE");
	CHECK_EQ(v, 0, "VNETLE after setting 0");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETVNETBE, &v), -EINVAL, "TUNGETVNETBE");
	CHECK_EQ(ioctl_int(f, TUNSETVNETBE, 0), -EINVAL, "TUNSETVNETBE");

	/* Send buffer, offloads. */
	CHECK_EQ(ioctl_int(f, TUNSETSNDBUF, 0), -EINVAL, "TUNSETSNDBUF 0");
	CHECK_EQ(ioctl_int(f, TUNSETSNDBUF, -5), -EINVAL, "TUNSETSNDBUF -5");
	CHECK_EQ(ioctl_int(f, TUNSETSNDBUF, 65536), 0, "TUNSETSNDBUF 65536");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, (void *)(uintptr_t)0x80), -EINVAL,
		 "TUNSETOFFLOAD 0x80");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, (void *)(uintptr_t)0x1ff), -EINVAL,
		 "TUNSETOFFLOAD 0x1ff");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, (void *)(uintptr_t)0x7f), 0,
		 "TUNSETOFFLOAD 0x7f");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, (void *)(uintptr_t)0x1), 0,
		 "TUNSETOFFLOAD CSUM");
	/* By value, as ioctl(2) passes it: 0 (no offload) is not a NULL pointer. */
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, NULL), 0, "TUNSETOFFLOAD 0");

	/* SIOCGIFHWADDR. */
	memset(&ifr, 0, sizeof(ifr));
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, SIOCGIFHWADDR, &ifr), 0, "SIOCGIFHWADDR");
	want = t_mac(PORT_MAC);
	CHECK_EQ(ifr.ifr_hwaddr.sa_family, 1, "SIOCGIFHWADDR family (ARPHRD_ETHER)");
	CHECK(memcmp(ifr.ifr_hwaddr.sa_data, want.addr_bytes, 6) == 0, "SIOCGIFHWADDR MAC");
	CHECK(strncmp(ifr.ifr_name, name, IFNAMSIZ - 1) == 0, "SIOCGIFHWADDR name '%.*s'",
	      IFNAMSIZ, ifr.ifr_name);

	/* SIOCSIFHWADDR: a new MAC, then frames to it are the file's. */
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = 1;
	want = t_mac(NEW_MAC);
	memcpy(ifr.ifr_hwaddr.sa_data, want.addr_bytes, 6);
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, SIOCSIFHWADDR, &ifr), 0, "SIOCSIFHWADDR");
	CHECK_EQ(rte_eth_macaddr_get(e.ports[p], &mac), 0, "macaddr_get");
	CHECK(rte_is_same_ether_addr(&mac, &want), "port MAC after SIOCSIFHWADDR");
	memset(&ifr, 0, sizeof(ifr));
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, SIOCGIFHWADDR, &ifr), 0, "SIOCGIFHWADDR");
	CHECK(memcmp(ifr.ifr_hwaddr.sa_data, want.addr_bytes, 6) == 0,
	      "SIOCGIFHWADDR after the change");
	len = make_raw(fr, NEW_MAC, 0x0800, 2, 64);
	TRY(inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), VHDR + len,
		 "frame to the new MAC read");
	CHECK(memcmp(buf + VHDR, fr, len) == 0, "frame to the new MAC");
	len = make_raw(fr, PORT_MAC, 0x0800, 3, 64);
	TRY(inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN,
		 "frame to the old MAC read");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = 1;
	want = t_mac(OTHER_MAC);
	memcpy(ifr.ifr_hwaddr.sa_data, want.addr_bytes, 6);
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, SIOCSIFHWADDR, &ifr), -EADDRINUSE,
		 "SIOCSIFHWADDR to a sibling's MAC");
	CHECK_EQ(rte_eth_macaddr_get(e.ports[p], &mac), 0, "macaddr_get");
	want = t_mac(NEW_MAC);
	CHECK(rte_is_same_ether_addr(&mac, &want), "port MAC after a busy SIOCSIFHWADDR");

	/* Anything else: -EINVAL; a NULL argument: -EFAULT. */
	CHECK_EQ(ioctl_int(f, TUNSETPERSIST, 1), -EINVAL, "TUNSETPERSIST");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETSNDBUF, &v), -EINVAL, "TUNGETSNDBUF");
	CHECK_EQ(ioctl_int(f, TUNSETTXFILTER, 0), -EINVAL, "TUNSETTXFILTER");
	CHECK_EQ(ioctl_int(f, 0x12345678, 0), -EINVAL, "an unknown request");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETIFF, NULL), -EFAULT, "TUNGETIFF NULL");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETIFF, NULL), -EFAULT, "TUNSETIFF NULL");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETFEATURES, NULL), -EFAULT,
		 "TUNGETFEATURES NULL");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETVNETHDRSZ, NULL), -EFAULT,
		 "TUNSETVNETHDRSZ NULL");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, SIOCGIFHWADDR, NULL), -EFAULT,
		 "SIOCGIFHWADDR NULL");
	return finish(&e);
}

/* ---- bursts ---- */

static int
test_bursts(void)
{
	static struct t_env e;
	struct rte_pmd_macvtap_file *f;
	struct rte_mbuf *m[8];
	uint8_t fr[4][128], got[FRAME_MAX];
	struct ifreq ifr;
	int p, i, wl;
	uint16_t n;

	TRY(one_port(&e, 1, &p));
	CHECK_EQ(t_file_open(e.ports[p], &f), 0, "open");
	CHECK_EQ(rte_pmd_macvtap_file_rx_burst(NULL, m, 8), 0, "rx burst of NULL file");
	CHECK_EQ(rte_pmd_macvtap_file_rx_burst(f, m, 8), 0, "rx burst, empty");
	for (i = 0; i < 4; i++) {
		make_raw(fr[i], PORT_MAC, 0x0800, 10 + i, 60 + i * 10);
		TRY(inject_bytes(&e, fr[i], 60 + i * 10, 0));
	}
	n = rte_pmd_macvtap_file_rx_burst(f, m, 8);
	CHECK_EQ(n, 4, "rx burst");
	for (i = 0; i < 4; i++) {
		uint32_t l = rte_pktmbuf_pkt_len(m[i]);

		CHECK(l == 60u + i * 10 && memcmp(rte_pktmbuf_mtod(m[i], void *), fr[i], l) == 0,
		      "rx burst frame %d: %u bytes, not the frame (no header expected)", i, l);
	}
	n = rte_pmd_macvtap_file_tx_burst(f, m, 4);
	if (n < 4)
		rte_pktmbuf_free_bulk(m + n, 4 - n);
	CHECK_EQ(n, 4, "tx burst");
	for (i = 0; i < 4; i++) {
		wl = wire_take(&e, got, sizeof(got));
		CHECK(wl == 60 + i * 10 && memcmp(got, fr[i], wl) == 0,
		      "tx burst frame %d on the wire (%d bytes)", i, wl);
	}
	CHECK_EQ(wire_count(&e), 0, "extra frames on the wire");

	/* Detached: the burst gives nothing, and the frame waits. */
	make_raw(fr[0], PORT_MAC, 0x0800, 20, 64);
	TRY(inject_bytes(&e, fr[0], 64, 0));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETQUEUE, &ifr), 0, "detach");
	CHECK_EQ(rte_pmd_macvtap_file_rx_burst(f, m, 8), 0, "rx burst detached");
	ifr.ifr_flags = IFF_ATTACH_QUEUE;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETQUEUE, &ifr), 0, "attach");
	/* Left in the queue (or closed with it): freed either way by close + burst. */
	n = rte_pmd_macvtap_file_rx_burst(f, m, 8);
	rte_pktmbuf_free_bulk(m, n);
	CHECK_EQ(t_file_close(f), 0, "close");
	for (i = 0; i < 4; i++) {
		n = rte_eth_rx_burst(e.ports[p], 0, m, 8);
		rte_pktmbuf_free_bulk(m, n);
	}
	CHECK(rte_mempool_full(rte_pmd_macvtap_get_lower_mempool(e.ports[p])),
	      "lower mempool not full: %u in use",
	      rte_mempool_in_use_count(rte_pmd_macvtap_get_lower_mempool(e.ports[p])));
	return finish(&e);
}

/* ---- a multi-queue port, two files: the hash picks the file ---- */

static int
test_multiqueue(void)
{
	static struct t_env e;
	struct rte_pmd_macvtap_file *f[2];
	struct rte_mbuf *m[8];
	uint8_t fr[128], buf[256];
	unsigned int got[2] = { 0, 0 };
	uint32_t id;
	ssize_t r;
	int p, i, k;

	TRY(one_port(&e, 2, &p));
	CHECK_EQ(t_file_open(e.ports[p], &f[0]), 0, "open 0");
	CHECK_EQ(t_file_open(e.ports[p], &f[1]), 0, "open 1");
	CHECK_EQ(rte_pmd_macvtap_file_queue(f[0]), 0, "file 0's queue");
	CHECK_EQ(rte_pmd_macvtap_file_queue(f[1]), 1, "file 1's queue");
	/* 16 flows, hashes 1..16: queue hash % 2. */
	for (i = 0; i < 16; i++) {
		make_raw(fr, PORT_MAC, 0x0800, 100 + i, 64);
		TRY(inject_bytes(&e, fr, 64, (uint32_t)i + 1));
	}
	CHECK_EQ(rte_eth_rx_burst(e.ports[p], 0, m, 8), 0, "ethdev burst on held queue 0");
	CHECK_EQ(rte_eth_rx_burst(e.ports[p], 1, m, 8), 0, "ethdev burst on held queue 1");
	for (k = 0; k < 2; k++) {
		while ((r = rte_pmd_macvtap_file_read(f[k], buf, sizeof(buf))) > 0) {
			CHECK_EQ(r, VHDR + 64, "read length");
			memcpy(&id, buf + VHDR + 14, sizeof(id));
			CHECK(id >= 100 && id < 116, "unexpected frame id %u", id);
			CHECK_EQ((id - 100 + 1) % 2, k, "file (queue) of a flow");
			got[k]++;
		}
		CHECK_EQ(r, -EAGAIN, "end of a file's frames");
	}
	CHECK(got[0] == 8 && got[1] == 8, "frames per file %u/%u", got[0], got[1]);
	/* One flow, again: the same file. */
	for (i = 0; i < 4; i++) {
		make_raw(fr, PORT_MAC, 0x0800, 200 + i, 64);
		TRY(inject_bytes(&e, fr, 64, 7));
	}
	/*
	 * File 1 read alone (file 0's reader idle): as the kernel's queues, each
	 * file gets its frames whoever else reads, and a read polls the lower.
	 */
	for (i = 0; i < 4; i++)
		CHECK_EQ(rte_pmd_macvtap_file_read(f[1], buf, sizeof(buf)), VHDR + 64,
			 "flow of hash 7 read on file 1 alone (file 0 not read)");
	CHECK_EQ(rte_pmd_macvtap_file_read(f[0], buf, sizeof(buf)), -EAGAIN,
		 "flow of hash 7 not on file 0");
	return finish(&e);
}

/*
 * A port closed under its file (the kernel's macvtap deleted while open):
 * reads and writes -ENXIO (the guide; the kernel's read gives -EAGAIN and its
 * write succeeds, discarding), ioctls as the kernel's, and the file closes.
 */
static int
test_port_closed(void)
{
	static struct t_env e;
	struct rte_pmd_macvtap_file *f;
	uint8_t buf[128];
	struct ifreq ifr;
	int p;

	TRY(one_port(&e, 1, &p));
	CHECK_EQ(t_file_open(e.ports[p], &f), 0, "open");
	CHECK_EQ(rte_eth_dev_stop(e.ports[p]), 0, "stop");
	CHECK_EQ(rte_eth_dev_close(e.ports[p]), 0, "close the port under its file");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -ENXIO, "read");
	memset(buf, 0, sizeof(buf));
	make_raw(buf + VHDR, EXT, 0x0800, 1, 64);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + 64), -ENXIO, "write");
	/*
	 * ioctls give the kernel's answers for a device that is gone (spec
	 * 6.10, 6.3): -ENOLINK for those that need it, -EINVAL for TUNSETQUEUE,
	 * the queue's own settings still work.
	 */
	CHECK_EQ(get_iff(f, &ifr), -ENOLINK, "TUNGETIFF");
	memset(&ifr, 0, sizeof(ifr));
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, SIOCGIFHWADDR, &ifr), -ENOLINK, "SIOCGIFHWADDR");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, (void *)(uintptr_t)1), -ENOLINK,
		 "TUNSETOFFLOAD");
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETQUEUE, &ifr), -EINVAL, "TUNSETQUEUE");
	CHECK_EQ(ioctl_int(f, TUNSETVNETHDRSZ, 12), 0, "TUNSETVNETHDRSZ");
	{
		unsigned int feat = 0;

		CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETFEATURES, &feat), 0, "TUNGETFEATURES");
		CHECK_EQ(feat, 0x5102, "features");
	}
	CHECK_EQ(rte_pmd_macvtap_file_rx_burst(f, (struct rte_mbuf **)(void *)buf, 4), 0,
		 "rx burst");
	CHECK_EQ(rte_pmd_macvtap_file_fd(f), -ENXIO, "fd");
	CHECK_EQ(t_file_close(f), 0, "close the file");
	CHECK_EQ(wire_count(&e), 0, "frames on the wire");
	/* t_env_fini leaves a closed port's device alone: remove it here. */
	CHECK_EQ(rte_vdev_uninit(e.port_names[p]), 0, "uninit the closed port");
	return finish(&e);
}

static short
revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

/*
 * The pollable descriptor (the kernel's poll on /dev/tapN): POLLIN while
 * frames wait, POLLOUT always; and the dispatcher service, which fills
 * queues that no rx burst reads (a file read alone, as in file_multiqueue).
 */
static int
test_fd_and_dispatcher(void)
{
	static struct t_env e;
	struct rte_pmd_macvtap_file *f[2];
	uint8_t fr[128], buf[256];
	uint32_t sid, id;
	unsigned int got = 0;
	ssize_t r;
	int p, fd, fd1, i;

	CHECK_EQ(rte_pmd_macvtap_file_fd(NULL), -EINVAL, "fd of NULL");
	CHECK_EQ(rte_pmd_macvtap_dispatch_service_id(NULL), -EINVAL, "service id to NULL");
	TRY(one_port(&e, 2, &p));
	CHECK_EQ(rte_pmd_macvtap_dispatch_service_id(&sid), 0, "service id");
	CHECK_EQ(t_file_open(e.ports[p], &f[0]), 0, "open 0");
	CHECK_EQ(t_file_open(e.ports[p], &f[1]), 0, "open 1");
	fd = rte_pmd_macvtap_file_fd(f[0]);
	CHECK(fd >= 0, "fd: %d", fd);
	CHECK_EQ(rte_pmd_macvtap_file_fd(f[0]), fd, "the same fd again");
	fd1 = rte_pmd_macvtap_file_fd(f[1]);
	CHECK(fd1 >= 0 && fd1 != fd, "file 1's fd: %d", fd1);
	CHECK_EQ(revents(fd), POLLOUT, "empty queue: POLLOUT only");

	/* Frames for both queues (hash 2: queue 0; hash 7: queue 1); the dispatcher runs once. */
	for (i = 0; i < 4; i++) {
		make_raw(fr, PORT_MAC, 0x0800, 300 + i, 64);
		TRY(inject_bytes(&e, fr, 64, i < 2 ? 2 : 7));
	}
	CHECK_EQ(rte_service_runstate_set(sid, 1), 0, "service runstate");
	for (i = 0; i < 3; i++)
		rte_service_run_iter_on_app_lcore(sid, 1);
	CHECK_EQ(rte_service_runstate_set(sid, 0), 0, "service runstate off");
	CHECK_EQ(revents(fd1), POLLIN | POLLOUT, "file 1 readable after the dispatcher");
	CHECK_EQ(revents(fd), POLLIN | POLLOUT, "file 0 readable after the dispatcher");
	while ((r = rte_pmd_macvtap_file_read(f[1], buf, sizeof(buf))) > 0) {
		memcpy(&id, buf + VHDR + 14, sizeof(id));
		CHECK(id == 302 || id == 303, "frame %u on file 1", id);
		got++;
	}
	CHECK_EQ(r, -EAGAIN, "file 1 drained");
	CHECK_EQ(got, 2, "file 1's frames from the dispatcher");
	CHECK_EQ(revents(fd1), POLLOUT, "file 1 drained: POLLOUT only");
	CHECK_EQ(rte_pmd_macvtap_file_read(f[0], buf, sizeof(buf)), VHDR + 64, "file 0 frame 1");
	CHECK_EQ(revents(fd), POLLIN | POLLOUT, "file 0 still has one");
	CHECK_EQ(rte_pmd_macvtap_file_read(f[0], buf, sizeof(buf)), VHDR + 64, "file 0 frame 2");
	CHECK_EQ(revents(fd), POLLOUT, "file 0 drained");
	/* A file's own read fills its descriptor's state too. */
	make_raw(fr, PORT_MAC, 0x0800, 310, 64);
	TRY(inject_bytes(&e, fr, 64, 0));
	CHECK_EQ(revents(fd), POLLOUT, "a frame no one polled yet");
	return finish(&e);
}

#define WRAP(fn) \
	static int fn##_run(void) { int r = fn(); t_files_close_all(); return r; }
WRAP(test_open_close)
WRAP(test_read)
WRAP(test_write)
WRAP(test_ioctl)
WRAP(test_bursts)
WRAP(test_multiqueue)
WRAP(test_port_closed)
WRAP(test_fd_and_dispatcher)

static const struct t_test tests[] = {
	{ "file_open_close", test_open_close_run, 0 },
	{ "file_read", test_read_run, 0 },
	{ "file_write", test_write_run, 0 },
	{ "file_ioctl", test_ioctl_run, 0 },
	{ "file_bursts", test_bursts_run, 0 },
	{ "file_multiqueue", test_multiqueue_run, 0 },
	{ "file_port_closed", test_port_closed_run, 0 },
	{ "file_fd_and_dispatcher", test_fd_and_dispatcher_run, 0 },
};

int
main(int argc, char **argv)
{
	return t_main(argc, argv, "test_tapfile", tests, RTE_DIM(tests));
}

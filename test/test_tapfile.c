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
#include <inttypes.h>
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
/* The TX requests a frame handed to a reader must not carry (rte_mbuf_core.h). */
#define MACVTAP_TEST_TX_OL (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | \
	RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)

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



static unsigned int
wire_count(struct t_env *e)
{
	uint8_t p[FRAME_MAX];
	unsigned int n = 0;

	while (t_wire_take(e, p, sizeof(p)) >= 0)
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
	TRY(t_inject_bytes(&e, fr, sizeof(fr), 0)); /* no hash, lower queue 0: queue 0 */
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
	TRY(t_inject_bytes(&e, fr, len, 0));
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
	TRY(t_inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 0), 0, "zero-length read");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, NULL, 0), 0, "zero-length read, NULL buffer");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), VHDR + len,
		 "the frame after zero-length reads");
	CHECK(memcmp(buf + VHDR, fr, len) == 0, "frame bytes differ after zero-length read");

	/* Shorter than the header: -EINVAL, the frame is gone. */
	len = make_raw(fr, PORT_MAC, 0x0800, 3, 64);
	TRY(t_inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, VHDR - 1), -EINVAL, "buffer under the header");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN,
		 "frame dropped by the short read");

	/* A short buffer truncates; the rest is lost. */
	len = make_raw(fr, PORT_MAC, 0x0800, 4, 64);
	TRY(t_inject_bytes(&e, fr, len, 0));
	memset(buf, 0xAA, sizeof(buf));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 30), 30, "truncated read");
	CHECK(all_bytes(buf, VHDR, 0) && memcmp(buf + VHDR, fr, 20) == 0,
	      "truncated read's bytes");
	CHECK_EQ(buf[30], 0xAA, "byte past the buffer written");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN,
		 "rest of a truncated frame");
	/* Exactly the header: the header alone. */
	TRY(t_inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, VHDR), VHDR, "read of the header size");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), -EAGAIN, "header-only read");

	/* A 12-byte header: the two extra bytes zeroed. */
	CHECK_EQ(ioctl_int(f, TUNSETVNETHDRSZ, 12), 0, "TUNSETVNETHDRSZ 12");
	len = make_raw(fr, PORT_MAC, 0x0800, 5, 64);
	TRY(t_inject_bytes(&e, fr, len, 0));
	memset(buf, 0xAA, sizeof(buf));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), 12 + len, "12-byte header read");
	CHECK(all_bytes(buf, 12, 0), "12-byte header not all zero");
	CHECK(memcmp(buf + 12, fr, len) == 0, "frame after a 12-byte header");
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 11), -EAGAIN, "empty: -EAGAIN before size");
	TRY(t_inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, 11), -EINVAL, "11 bytes under a 12-byte header");

	/* No IFF_VNET_HDR: no header at all. */
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI), 0, "TUNSETIFF without VNET_HDR");
	len = make_raw(fr, PORT_MAC, 0x0800, 6, 70);
	TRY(t_inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), len, "read without header");
	CHECK(memcmp(buf, fr, len) == 0, "frame bytes without header");
	TRY(t_inject_bytes(&e, fr, len, 0));
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
	TRY(t_inject_bytes(&e, fr, len, 0));
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
	TRY(t_inject_bytes(&e, fr, len, 0));
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
	wl = t_wire_take(&e, got, sizeof(got));
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
	wl = t_wire_take(&e, got, sizeof(got));
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
	wl = t_wire_take(&e, got, sizeof(got));
	CHECK(wl == (int)len && memcmp(got, fr, len) == 0, "DATA_VALID frame on the wire");

	/* A valid TCPv4 GSO header: segmented for the wire (file_write_offloads checks them). */
	len = make_ip(fr, EXT, 6, 1400);
	memset(&h, 0, sizeof(h));
	h.flags = VF_NEEDS_CSUM;
	h.gso_type = VG_TCPV4;
	h.gso_size = 500;
	h.hdr_len = 54;
	h.csum_start = 34;
	h.csum_offset = 16;
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "TCPv4 GSO header");
	CHECK_EQ(wire_count(&e), 3, "TCPv4 GSO frame of 1400 bytes, gso_size 500: segments");
	/* Longer than one mbuf of the port's pool (data room 2048): a chain, sent as it is. */
	{
		static uint8_t big[VHDR + 4000];

		memset(big, 0, sizeof(big));
		make_raw(big + VHDR, EXT, 0x88b5, 1, 4000);
		CHECK_EQ(rte_pmd_macvtap_file_write(f, big, sizeof(big)), sizeof(big),
			 "a frame longer than the pool's mbufs");
		CHECK_EQ(t_wire_take(&e, got, sizeof(got)), sizeof(got), "the long frame on the wire");
		CHECK(memcmp(got, big + VHDR, sizeof(got)) == 0, "the long frame's bytes");
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
	wl = t_wire_take(&e, got, sizeof(got));
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
	wl = t_wire_take(&e, got, sizeof(got));
	CHECK_EQ(wl, len, "NEEDS_CSUM (zero field) frame length on the wire");
	CHECK_EQ(got[40] << 8 | got[41], want,
		 "checksum on the wire (zero field: the kernel's sum, no pseudo header)");
	/* At another offset: csum_offset 2 on the same start (a UDP port field). */
	h.csum_offset = 2;
	want = (uint16_t)~fold(sum16(0, fr + 34, len - 34));
	n = with_hdr(buf, &h, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "NEEDS_CSUM write, offset 2");
	wl = t_wire_take(&e, got, sizeof(got));
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
	wl = t_wire_take(&e, got, sizeof(got));
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, n), n, "write");
	wl2 = t_wire_take(&e, got2, sizeof(got2));
	CHECK(wl == (int)len && wl2 == wl && memcmp(got, got2, len) == 0 &&
	      memcmp(got, fr, len) == 0, "writev's frame (%d bytes) differs from write's (%d)",
	      wl, wl2);

	/* Without IFF_VNET_HDR: the buffer is the frame. */
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI), 0, "TUNSETIFF without VNET_HDR");
	CHECK_EQ(rte_pmd_macvtap_file_write(f, fr, len), len, "write without header");
	wl = t_wire_take(&e, got, sizeof(got));
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
	TRY(t_inject_bytes(&e, fr, len, 0));
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
	TRY(t_inject_bytes(&e, fr, len, 0));
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
	TRY(t_inject_bytes(&e, fr, len, 0));
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
	TRY(t_inject_bytes(&e, fr, len, 0));
	CHECK_EQ(rte_pmd_macvtap_file_read(f, buf, sizeof(buf)), VHDR + len,
		 "frame to the new MAC read");
	CHECK(memcmp(buf + VHDR, fr, len) == 0, "frame to the new MAC");
	len = make_raw(fr, PORT_MAC, 0x0800, 3, 64);
	TRY(t_inject_bytes(&e, fr, len, 0));
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
		TRY(t_inject_bytes(&e, fr[i], 60 + i * 10, 0));
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
		wl = t_wire_take(&e, got, sizeof(got));
		CHECK(wl == 60 + i * 10 && memcmp(got, fr[i], wl) == 0,
		      "tx burst frame %d on the wire (%d bytes)", i, wl);
	}
	CHECK_EQ(wire_count(&e), 0, "extra frames on the wire");

	/* Detached: the burst gives nothing, and the frame waits. */
	make_raw(fr[0], PORT_MAC, 0x0800, 20, 64);
	TRY(t_inject_bytes(&e, fr[0], 64, 0));
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
		TRY(t_inject_bytes(&e, fr, 64, (uint32_t)i + 1));
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
		TRY(t_inject_bytes(&e, fr, 64, 7));
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
		TRY(t_inject_bytes(&e, fr, 64, i < 2 ? 2 : 7));
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
	TRY(t_inject_bytes(&e, fr, 64, 0));
	CHECK_EQ(revents(fd), POLLOUT, "a frame no one polled yet");
	return finish(&e);
}

/* ---- offloads ---- */

#define VF_DATA_VALID 2
#define VG_UDP 3
#define VG_TCPV6 4
#define VG_UDP_L4 5
#define VG_ECN 0x80
#define BIG_FRAME 70000
#define TCP_ACK_PSH_FIN_CWR 0x99

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The pseudo-header sum of the IP packet at ip (version v6), with l4len or without (0). */
static uint32_t
pseudo(const uint8_t *ip, bool v6, uint8_t proto, uint32_t l4len)
{
	uint32_t sum = v6 ? sum16(0, ip + 8, 32) : sum16(0, ip + 12, 8);

	return sum + proto + l4len;
}

/*
 * A TCP (20-byte header, flags tcp_flags) or UDP frame over IPv4 or IPv6 from
 * src to dst, payload bytes of a pattern; IPv4 header checksum valid; the L4
 * checksum field the pseudo-header sum with the length (a partial checksum,
 * as Linux and virtio keep it) when seed, else fill.
 */
static size_t
make_l4(uint8_t *p, const char *dst, const char *src, bool v6, uint8_t proto, size_t payload,
	uint8_t tcp_flags, bool seed, uint16_t fill)
{
	size_t l3 = v6 ? 40 : 20, l4 = proto == 6 ? 20 : 8, len = 14 + l3 + l4 + payload, i;
	uint8_t *ip = p + 14, *th = p + 14 + l3;
	uint16_t c;

	memset(p, 0, 14 + l3 + l4);
	put_mac(p, dst);
	put_mac(p + 6, src);
	if (v6) {
		p[12] = 0x86;
		p[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (uint8_t)((l4 + payload) >> 8);
		ip[5] = (uint8_t)(l4 + payload);
		ip[6] = proto;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
	} else {
		p[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = (uint8_t)((len - 14) >> 8);
		ip[3] = (uint8_t)(len - 14);
		ip[4] = 0x12;
		ip[5] = 0x34;        /* id 0x1234 */
		ip[8] = 64;
		ip[9] = proto;
		ip[12] = 10; ip[13] = 1; ip[14] = 2; ip[15] = 3;
		ip[16] = 10; ip[17] = 9; ip[18] = 8; ip[19] = 7;
		c = (uint16_t)~fold(sum16(0, ip, 20));
		ip[10] = c >> 8;
		ip[11] = c & 0xff;
	}
	th[0] = 0x30; th[1] = 0x39;
	th[2] = 0x1f; th[3] = 0x90;
	if (proto == 6) {
		th[4] = 0x01; th[5] = 0x02; th[6] = 0x03; th[7] = 0x04;   /* sequence */
		th[8] = 0x0a; th[11] = 0x0b;                             /* ack */
		th[12] = 0x50;
		th[13] = tcp_flags;
		th[14] = 0xff; th[15] = 0xf0;
	} else {
		th[4] = (uint8_t)((l4 + payload) >> 8);
		th[5] = (uint8_t)(l4 + payload);
	}
	for (i = 0; i < payload; i++)
		th[l4 + i] = (uint8_t)(0x41 + i * 13 + i / 251);
	c = seed ? fold(pseudo(ip, v6, proto, (uint32_t)(l4 + payload))) : fill;
	th[proto == 6 ? 16 : 6] = c >> 8;
	th[proto == 6 ? 17 : 7] = c & 0xff;
	return len;
}

static bool
ip4_csum_ok(const uint8_t *p)
{
	return fold(sum16(0, p + 14, (p[14] & 0xfu) * 4)) == 0xffff;
}

/* Frame p's TCP or UDP checksum verifies (the one's-complement sum is all ones). */
static bool
l4_csum_ok(const uint8_t *p, size_t len)
{
	bool v6 = p[12] == 0x86;
	const uint8_t *ip = p + 14;
	size_t l3 = v6 ? 40 : (ip[0] & 0xfu) * 4, l4len = len - 14 - l3;
	uint32_t sum = pseudo(ip, v6, v6 ? ip[6] : ip[9], (uint32_t)l4len);

	return fold(sum16(sum, ip + l3, l4len)) == 0xffff;
}

/* Complete frame p's partial checksum at start + off, as a NIC or a reader would. */
static void
complete_partial(uint8_t *p, size_t len, size_t start, size_t off)
{
	uint16_t c = (uint16_t)~fold(sum16(0, p + start, len - start));

	if (c == 0)
		c = 0xffff;
	p[start + off] = c >> 8;
	p[start + off + 1] = c & 0xff;
}

/*
 * seg (len bytes) is segment i of n of the large frame big (blen bytes) cut
 * every mss bytes of payload: big's headers with a segment's lengths, IPv4 id,
 * TCP sequence and flags (FIN and PSH on the last only, CWR on the first
 * only), its share of the payload, and correct checksums.
 */
static int
check_segment(const uint8_t *seg, size_t len, const uint8_t *big, size_t blen, unsigned int i,
	      unsigned int n, size_t mss)
{
	bool v6 = big[12] == 0x86;
	size_t l3 = v6 ? 40 : 20;
	uint8_t proto = v6 ? big[20] : big[23];
	size_t l4 = proto == 6 ? (size_t)(big[14 + l3 + 12] >> 4) * 4 : 8, hdr = 14 + l3 + l4;
	size_t plen = RTE_MIN(mss, blen - hdr - i * mss);
	const uint8_t *th = seg + 14 + l3, *bth = big + 14 + l3;

	CHECK_EQ(len, hdr + plen, "segment length");
	CHECK(memcmp(seg, big, 14) == 0, "segment %u: Ethernet header", i);
	CHECK(memcmp(seg + hdr, big + hdr + i * mss, plen) == 0, "segment %u: payload", i);
	if (v6) {
		CHECK_EQ(be16(seg + 18), len - 54, "IPv6 payload length");
		CHECK(memcmp(seg + 14, big + 14, 4) == 0 && memcmp(seg + 20, big + 20, 34) == 0,
		      "segment %u: IPv6 header", i);
	} else {
		CHECK_EQ(be16(seg + 16), len - 14, "IPv4 total length");
		CHECK_EQ(be16(seg + 18), (be16(big + 18) + i) & 0xffff, "IPv4 id (+1 a segment)");
		CHECK(memcmp(seg + 14, big + 14, 2) == 0 && memcmp(seg + 20, big + 20, 4) == 0 &&
		      memcmp(seg + 26, big + 26, 8) == 0, "segment %u: IPv4 header", i);
		CHECK(ip4_csum_ok(seg), "segment %u: IPv4 header checksum", i);
	}
	CHECK(memcmp(th, bth, 4) == 0, "segment %u: ports", i);
	if (proto == 6) {
		uint8_t flags = bth[13];

		if (i + 1 < n)
			flags &= (uint8_t)~0x09;     /* FIN, PSH */
		if (i > 0)
			flags &= (uint8_t)~0x80;     /* CWR */
		CHECK_EQ(be32(th + 4), be32(bth + 4) + i * mss, "TCP sequence");
		CHECK_EQ(th[13], flags, "TCP flags");
		CHECK(memcmp(th + 8, bth + 8, 5) == 0 && memcmp(th + 14, bth + 14, 2) == 0 &&
		      memcmp(th + 18, bth + 18, l4 - 18) == 0, "segment %u: TCP header", i);
	} else {
		CHECK_EQ(be16(th + 4), len - 14 - l3, "UDP length");
	}
	CHECK(l4_csum_ok(seg, len), "segment %u of %u: L4 checksum", i, n);
	return 0;
}

/* Write header h and frame fr through f; the segments on the wire against big. */
static int
write_segments(struct t_env *e, struct rte_pmd_macvtap_file *f, const struct vnet_hdr *h,
	       const uint8_t *fr, size_t len, size_t mss, unsigned int want_segs)
{
	static uint8_t buf[VHDR + BIG_FRAME], got[FRAME_MAX];
	unsigned int i;
	int wl;

	memcpy(buf, h, sizeof(*h));
	memcpy(buf + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), VHDR + len, "GSO write");
	for (i = 0; i < want_segs; i++) {
		wl = t_wire_take(e, got, sizeof(got));
		CHECK(wl > 0, "segment %u of %u not on the wire", i, want_segs);
		TRY(check_segment(got, (size_t)wl, fr, len, i, want_segs, mss));
	}
	CHECK_EQ(wire_count(e), 0, "more segments than expected");
	return 0;
}

static struct vnet_hdr
gso_hdr(uint8_t flags, uint8_t type, uint16_t size, uint16_t start, uint16_t off)
{
	struct vnet_hdr h;

	memset(&h, 0, sizeof(h));
	h.flags = flags;
	h.gso_type = type;
	h.gso_size = size;
	h.csum_start = start;
	h.csum_offset = off;
	h.hdr_len = flags ? (uint16_t)(start + (off == 16 ? 20 : 8)) : 0;
	return h;
}

/* An mbuf chain of t_pool holding p (its first segment at most first bytes long). */
static struct rte_mbuf *
mbuf_of(const uint8_t *p, size_t len, size_t first)
{
	struct rte_mbuf *head = NULL, *prev = NULL;
	size_t at = 0;

	while (at < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
		size_t n = RTE_MIN(len - at, (size_t)rte_pktmbuf_tailroom(m));

		if (at == 0)
			n = RTE_MIN(n, first);
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), p + at, n);
		if (head == NULL) {
			head = m;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += (uint32_t)n;
		}
		prev = m;
		at += n;
	}
	return head;
}

/*
 * Writes with NEEDS_CSUM and GSO headers, to a lower that does no offload:
 * checksums completed, frames segmented in software before the wire.
 */
static int
test_write_offloads(void)
{
	static struct t_env e;
	static uint8_t fr[BIG_FRAME], buf[VHDR + BIG_FRAME], got[FRAME_MAX];
	struct rte_pmd_macvtap_file *f;
	struct rte_eth_dev_info info;
	struct vnet_hdr h;
	uint64_t fdrop, odrop;
	size_t len;
	int p, wl;

	TRY(one_port(&e, 1, &p));
	CHECK_EQ(rte_eth_dev_info_get(e.ports[p], &info), 0, "dev info");
	CHECK((info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
	       RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO)) ==
	      (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
	       RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO),
	      "tx_offload_capa %#" PRIx64 " lacks checksums or TSO", info.tx_offload_capa);
	CHECK_EQ(t_file_open(e.ports[p], &f), 0, "open");
	fdrop = t_xstat(e.ports[p], "tx_file_dropped");
	odrop = t_xstat(e.ports[p], "tx_offload_dropped");
	CHECK(odrop != UINT64_MAX, "no xstat tx_offload_dropped");

	/* NEEDS_CSUM: TCPv4 and UDPv6, checksums correct on the wire, nothing else changed. */
	len = make_l4(fr, EXT, PORT_MAC, false, 6, 301, 0x18, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, 0, 0, 34, 16);
	memcpy(buf, &h, VHDR);
	memcpy(buf + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), VHDR + len, "NEEDS_CSUM TCPv4");
	wl = t_wire_take(&e, got, sizeof(got));
	CHECK(wl == (int)len && l4_csum_ok(got, len), "NEEDS_CSUM TCPv4: %d bytes, checksum %s",
	      wl, wl == (int)len && l4_csum_ok(got, len) ? "ok" : "wrong");
	CHECK(memcmp(got, fr, 50) == 0 && memcmp(got + 52, fr + 52, len - 52) == 0,
	      "NEEDS_CSUM TCPv4: other bytes changed");
	len = make_l4(fr, EXT, PORT_MAC, true, 17, 77, 0, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, 0, 0, 54, 6);
	memcpy(buf, &h, VHDR);
	memcpy(buf + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), VHDR + len, "NEEDS_CSUM UDPv6");
	wl = t_wire_take(&e, got, sizeof(got));
	CHECK(wl == (int)len && l4_csum_ok(got, len), "NEEDS_CSUM UDPv6 checksum");

	/* TCPv4 GSO, 3000 bytes by 1000, PSH FIN CWR set: 3 segments. */
	len = make_l4(fr, EXT, PORT_MAC, false, 6, 3000, TCP_ACK_PSH_FIN_CWR, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_TCPV4 | VG_ECN, 1000, 34, 16);
	TRY(write_segments(&e, f, &h, fr, len, 1000, 3));
	/* Without NEEDS_CSUM (whatever is in the field): the checksums are made anew. */
	len = make_l4(fr, EXT, PORT_MAC, false, 6, 2500, 0x10, false, 0x1234);
	h = gso_hdr(0, VG_TCPV4, 1000, 0, 0);
	TRY(write_segments(&e, f, &h, fr, len, 1000, 3));
	/* TCPv6 and UDP_L4 (one datagram a segment), over IPv4 and IPv6. */
	len = make_l4(fr, EXT, PORT_MAC, true, 6, 3000, 0x18, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_TCPV6, 1000, 54, 16);
	TRY(write_segments(&e, f, &h, fr, len, 1000, 3));
	len = make_l4(fr, EXT, PORT_MAC, false, 17, 3000, 0, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_UDP_L4, 1000, 34, 6);
	TRY(write_segments(&e, f, &h, fr, len, 1000, 3));
	len = make_l4(fr, EXT, PORT_MAC, true, 17, 2999, 0, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_UDP_L4, 1200, 54, 6);
	TRY(write_segments(&e, f, &h, fr, len, 1200, 3));
	/* 64 KiB: a chain of mbufs, 45 segments. */
	len = make_l4(fr, EXT, PORT_MAC, false, 6, 65000, 0x18, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_TCPV4, 1448, 34, 16);
	TRY(write_segments(&e, f, &h, fr, len, 1448, 45));
	/* Payload of one gso_size or less: a plain frame with a partial checksum. */
	len = make_l4(fr, EXT, PORT_MAC, false, 6, 900, 0x18, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_TCPV4, 1000, 34, 16);
	TRY(write_segments(&e, f, &h, fr, len, 1000, 1));
	CHECK_EQ(t_xstat(e.ports[p], "tx_offload_dropped"), odrop, "tx_offload_dropped so far");

	/* UDP fragmentation over IPv4: IP fragments, the datagram's checksum computed. */
	len = make_l4(fr, EXT, PORT_MAC, false, 17, 3000, 0, true, 0);
	fr[20] = 0x40;                   /* DF: cleared in the fragments */
	fr[24] = 0;
	fr[25] = 0;
	{
		uint16_t ic = (uint16_t)~fold(sum16(0, fr + 14, 20));

		fr[24] = ic >> 8;
		fr[25] = ic & 0xff;
	}
	h = gso_hdr(VF_NEEDS_CSUM, VG_UDP, 1000, 34, 6);
	memcpy(buf, &h, VHDR);
	memcpy(buf + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), VHDR + len, "UFO");
	{
		static uint8_t whole[BIG_FRAME];
		unsigned int k;

		memcpy(whole, fr, 34);
		for (k = 0; k < 4; k++) {
			size_t pl = k < 3 ? 1000 : 8;   /* 3008 bytes of IP payload */

			wl = t_wire_take(&e, got, sizeof(got));
			CHECK_EQ(wl, 34 + pl, "UFO fragment length");
			CHECK(memcmp(got, fr, 14) == 0 && ip4_csum_ok(got) &&
			      be16(got + 16) == 20 + pl && be16(got + 18) == 0x1234 &&
			      be16(got + 20) == ((k < 3 ? 0x2000 : 0) | (k * 1000 / 8)),
			      "UFO fragment %u: length %u id %#x frag_off %#x", k, be16(got + 16),
			      be16(got + 18), be16(got + 20));
			memcpy(whole + 34 + k * 1000, got + 34, pl);
		}
		CHECK(memcmp(whole + 34, fr + 34, 6) == 0 &&
		      memcmp(whole + 42, fr + 42, len - 42) == 0, "UFO: the datagram reassembled");
		/* Reassembled, with the original IP header: its UDP checksum verifies. */
		CHECK(l4_csum_ok(whole, len), "UFO: the datagram's UDP checksum");
	}
	/* Over IPv6: not done here, refused and counted. */
	len = make_l4(fr, EXT, PORT_MAC, true, 17, 3000, 0, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_UDP, 1000, 54, 6);
	memcpy(buf, &h, VHDR);
	memcpy(buf + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), -EOPNOTSUPP, "UFO over IPv6");
	CHECK_EQ(t_xstat(e.ports[p], "tx_file_dropped"), fdrop + 1, "UFO over IPv6 counted");
	/* ... but a small one is a plain frame. */
	len = make_l4(fr, EXT, PORT_MAC, false, 17, 1400, 0, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_UDP, 1500, 34, 6);
	memcpy(buf, &h, VHDR);
	memcpy(buf + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), VHDR + len, "UFO, one fragment");
	wl = t_wire_take(&e, got, sizeof(got));
	CHECK(wl == (int)len && l4_csum_ok(got, len), "UFO of one fragment on the wire");

	/* Written, then lost where the kernel's segmentation fails: TCPV4 GSO of an IPv6 frame. */
	len = make_l4(fr, EXT, PORT_MAC, true, 6, 3000, 0x18, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_TCPV4, 1000, 54, 16);
	memcpy(buf, &h, VHDR);
	memcpy(buf + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), VHDR + len, "TCPV4 GSO of IPv6");
	CHECK_EQ(t_xstat(e.ports[p], "tx_offload_dropped"), odrop + 1,
		 "TCPV4 GSO of an IPv6 frame: tx_offload_dropped");
	/* More than 256 segments: dropped, counted. */
	len = make_l4(fr, EXT, PORT_MAC, false, 6, 30000, 0x18, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_TCPV4, 100, 34, 16);
	memcpy(buf, &h, VHDR);
	memcpy(buf + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), VHDR + len, "300 segments");
	CHECK_EQ(t_xstat(e.ports[p], "tx_offload_dropped"), odrop + 2,
		 "a frame of 300 segments: tx_offload_dropped");
	/* The kernel's further checks: a TCP GSO checksum not at 16, UDP_L4 without NEEDS_CSUM. */
	len = make_l4(fr, EXT, PORT_MAC, false, 6, 3000, 0x18, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_TCPV4, 1000, 34, 6);
	memcpy(buf, &h, VHDR);
	memcpy(buf + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), -EINVAL, "TCP GSO, offset 6");
	h = gso_hdr(0, VG_UDP_L4, 1000, 0, 0);
	memcpy(buf, &h, VHDR);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), -EINVAL, "UDP_L4 without csum");
	h = gso_hdr(0, VG_UDP, 1000, 0, 0);   /* UFO of a TCP frame: the dissection says TCP */
	memcpy(buf, &h, VHDR);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), -EINVAL, "UFO of TCP");
	h = gso_hdr(0, VG_ECN, 0, 0, 0);      /* the ECN bit alone (the kernel: -EINVAL) */
	memcpy(buf, &h, VHDR);
	CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), -EINVAL, "ECN bit alone");
	CHECK_EQ(t_xstat(e.ports[p], "tx_file_dropped"), fdrop + 5, "tx_file_dropped");
	CHECK_EQ(wire_count(&e), 0, "frames on the wire from dropped writes");

	/* The port's ethdev tx burst, same rules: a TSO frame and a partial UDP checksum. */
	{
		struct rte_mbuf *m[2];
		static uint8_t fr2[FRAME_MAX];
		size_t len2, n;
		uint16_t c;

		len = make_l4(fr, EXT, PORT_MAC, false, 6, 3000, 0x18, false, 0);
		c = fold(pseudo(fr + 14, false, 6, 0));   /* DPDK's TSO: the sum without length */
		fr[50] = c >> 8;
		fr[51] = c & 0xff;
		fr[24] = 0;
		fr[25] = 0;
		m[0] = mbuf_of(fr, len, 200);
		len2 = make_l4(fr2, EXT, PORT_MAC, true, 17, 99, 0, true, 0);
		m[1] = mbuf_of(fr2, len2, len2);
		CHECK(m[0] != NULL && m[1] != NULL, "mbufs");
		m[0]->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		m[0]->l2_len = 14;
		m[0]->l3_len = 20;
		m[0]->l4_len = 20;
		m[0]->tso_segsz = 1000;
		m[1]->ol_flags = RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV6;
		m[1]->l2_len = 14;
		m[1]->l3_len = 40;
		CHECK_EQ(rte_eth_tx_burst(e.ports[p], 0, m, 2), 2, "tx burst with offloads");
		/* What the test compares with: the frame as it would be with IPv4 checksum. */
		{
			uint16_t ic = (uint16_t)~fold(sum16(0, fr + 14, 20));

			fr[24] = ic >> 8;
			fr[25] = ic & 0xff;
		}
		for (n = 0; n < 3; n++) {
			wl = t_wire_take(&e, got, sizeof(got));
			CHECK(wl > 0, "tx burst's TSO segment %zu not on the wire", n);
			TRY(check_segment(got, (size_t)wl, fr, len, (unsigned int)n, 3, 1000));
		}
		wl = t_wire_take(&e, got, sizeof(got));
		CHECK(wl == (int)len2 && l4_csum_ok(got, len2), "tx burst's UDPv6 frame: %d bytes, "
		      "checksum %s", wl, wl == (int)len2 && l4_csum_ok(got, len2) ? "ok" : "wrong");
	}
	CHECK(rte_mempool_full(rte_pmd_macvtap_get_lower_mempool(e.ports[p])),
	      "lower mempool not full: %u in use",
	      rte_mempool_in_use_count(rte_pmd_macvtap_get_lower_mempool(e.ports[p])));
	return finish(&e);
}

/* The frame on the wire as an mbuf (net_nicsim's copy: ol_flags and offload fields kept). */
static struct rte_mbuf *
wire_mbuf(struct t_env *e)
{
	struct rte_mbuf *m;

	return rte_ring_dequeue(e->tx[0], (void **)&m) == 0 ? m : NULL;
}

/*
 * A lower that does offloads (net_nicsim claiming them): the requests reach
 * it as flags, the work left to it; with checksums but no TSO, segments that
 * ask it for their checksums.
 */
static int
test_offloads_lower(void)
{
	static struct t_env e;
	static uint8_t fr[BIG_FRAME], buf[VHDR + BIG_FRAME], got[FRAME_MAX];
	struct rte_pmd_macvtap_file *f;
	struct rte_mbuf *m;
	struct vnet_hdr h;
	char args[128];
	size_t len;
	uint16_t seed;
	unsigned int i;
	int p, pass;

	for (pass = 0; pass < 2; pass++) {
		uint64_t ol = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
			      RTE_ETH_TX_OFFLOAD_UDP_CKSUM;

		if (pass == 0)
			ol |= RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		snprintf(args, sizeof(args), "tx_offloads=%#" PRIx64, ol);
		TRY(t_env_init_nic(&e, 1, args));
		TRY(t_add_port(&e, "mac=" PORT_MAC, 1, 0, &p));
		CHECK_EQ(t_file_open(e.ports[p], &f), 0, "open");

		/* NEEDS_CSUM TCPv4: as it was written, TCP and IPv4 flags, l2 and l3 lengths. */
		len = make_l4(fr, EXT, PORT_MAC, false, 6, 301, 0x18, true, 0);
		h = gso_hdr(VF_NEEDS_CSUM, 0, 0, 34, 16);
		memcpy(buf, &h, VHDR);
		memcpy(buf + VHDR, fr, len);
		CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), VHDR + len, "write");
		m = wire_mbuf(&e);
		CHECK(m != NULL, "NEEDS_CSUM frame not on the wire");
		CHECK((m->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IPV4)) ==
		      (RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4) && m->l2_len == 14 &&
		      m->l3_len == 20, "NEEDS_CSUM: ol_flags %#" PRIx64 ", l2 %u l3 %u",
		      m->ol_flags, m->l2_len, m->l3_len);
		CHECK(m->pkt_len == len && rte_pktmbuf_read(m, 0, (uint32_t)len, got) != NULL,
		      "NEEDS_CSUM frame length %u", m->pkt_len);
		memcpy(got, rte_pktmbuf_read(m, 0, (uint32_t)len, got), len);
		rte_pktmbuf_free(m);
		CHECK(memcmp(got, fr, len) == 0, "NEEDS_CSUM frame changed on its way to the lower");
		complete_partial(got, len, 34, 16);
		CHECK(l4_csum_ok(got, len), "the lower's completion would be wrong");

		/* TCPv4 GSO 3000 by 1000. */
		len = make_l4(fr, EXT, PORT_MAC, false, 6, 3000, 0x18, true, 0);
		h = gso_hdr(VF_NEEDS_CSUM, VG_TCPV4, 1000, 34, 16);
		memcpy(buf, &h, VHDR);
		memcpy(buf + VHDR, fr, len);
		CHECK_EQ(rte_pmd_macvtap_file_write(f, buf, VHDR + len), VHDR + len, "GSO write");
		if (pass == 0) {
			static uint8_t whole[BIG_FRAME];

			/* TSO: one frame asking for it, its sum without the length (DPDK's way). */
			m = wire_mbuf(&e);
			CHECK(m != NULL, "TSO frame not on the wire");
			CHECK((m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) && (m->ol_flags & RTE_MBUF_F_TX_IPV4) &&
			      (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) && m->tso_segsz == 1000 &&
			      m->l2_len == 14 && m->l3_len == 20 && m->l4_len == 20 && m->pkt_len == len,
			      "TSO frame: ol_flags %#" PRIx64 " segsz %u l4 %u len %u", m->ol_flags,
			      m->tso_segsz, m->l4_len, m->pkt_len);
			memcpy(whole, rte_pktmbuf_read(m, 0, (uint32_t)len, whole), len);
			rte_pktmbuf_free(m);
			seed = fold(pseudo(fr + 14, false, 6, 0));
			CHECK_EQ(be16(whole + 50), seed, "TSO frame: pseudo-header sum without length");
			CHECK_EQ(be16(whole + 24), 0, "TSO frame: IPv4 checksum left 0 for the lower");
			CHECK(memcmp(whole + 54, fr + 54, len - 54) == 0, "TSO frame's payload");
		} else {
			/* Checksums but no TSO: segments that ask for their checksums. */
			for (i = 0; i < 3; i++) {
				m = wire_mbuf(&e);
				CHECK(m != NULL, "segment %u not on the wire", i);
				CHECK((m->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM |
						      RTE_MBUF_F_TX_TCP_SEG)) ==
				      (RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IP_CKSUM),
				      "segment %u: ol_flags %#" PRIx64, i, m->ol_flags);
				len = m->pkt_len;
				memcpy(got, rte_pktmbuf_read(m, 0, (uint32_t)len, got), len);
				rte_pktmbuf_free(m);
				CHECK_EQ(be16(got + 24), 0, "segment: IPv4 checksum left 0");
				/* What the lower does: the IPv4 header checksum, the TCP one. */
				{
					uint16_t c = (uint16_t)~fold(sum16(0, got + 14, 20));

					got[24] = c >> 8;
					got[25] = c & 0xff;
				}
				complete_partial(got, len, 34, 16);
				TRY(check_segment(got, len, fr, 3054, i, 3, 1000));
			}
		}
		CHECK(wire_mbuf(&e) == NULL, "extra frames on the wire");
		/* The ethdev tx burst: a frame asking for a UDP checksum goes as it is. */
		len = make_l4(fr, EXT, PORT_MAC, false, 17, 100, 0, true, 0);
		m = mbuf_of(fr, len, len);
		m->ol_flags = RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV4;
		m->l2_len = 14;
		m->l3_len = 20;
		CHECK_EQ(rte_eth_tx_burst(e.ports[p], 0, &m, 1), 1, "tx burst");
		m = wire_mbuf(&e);
		CHECK(m != NULL && (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM,
		      "tx burst's UDP frame: not on the wire with its request");
		rte_pktmbuf_free(m);
		CHECK(rte_mempool_full(rte_pmd_macvtap_get_lower_mempool(e.ports[p])),
		      "lower mempool not full");
		TRY(finish(&e));
	}
	return 0;
}

/* Send frame fr from port s with requests ol (its l2/l3/l4 lengths and segment size). */
static int
send_with(uint16_t s, const uint8_t *fr, size_t len, uint64_t ol, uint16_t segsz)
{
	bool v6 = fr[12] == 0x86;
	uint8_t proto = v6 ? fr[20] : fr[23];
	struct rte_mbuf *m = mbuf_of(fr, len, 1000);

	CHECK(m != NULL, "no mbuf");
	m->ol_flags = ol | (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
	m->l2_len = 14;
	m->l3_len = v6 ? 40 : 20;
	m->l4_len = proto == 6 ? 20 : 8;
	m->tso_segsz = segsz;
	CHECK_EQ(rte_eth_tx_burst(s, 0, &m, 1), 1, "the sender's tx burst");
	return 0;
}

/* A bridge sibling's TSO frame as DPDK wants it: IPv4 checksum 0, pseudo sum without length. */
static size_t
make_tso(uint8_t *fr, bool v6, uint8_t tcp_flags)
{
	size_t len = make_l4(fr, PORT_MAC, OTHER_MAC, v6, 6, 3000, tcp_flags, false, 0);
	uint16_t c = fold(pseudo(fr + 14, v6, 6, 0));

	fr[14 + (v6 ? 40 : 20) + 16] = c >> 8;
	fr[14 + (v6 ? 40 : 20) + 17] = c & 0xff;
	if (!v6) {
		fr[24] = 0;
		fr[25] = 0;
	}
	return len;
}

/* Read n segments of fr (mss 1000) from f, each with header flags want_flags. */
static int
read_segments(struct rte_pmd_macvtap_file *f, int hdr_sz, const uint8_t *fr, size_t len,
	      unsigned int n, uint8_t want_flags)
{
	static uint8_t rd[FRAME_MAX];
	bool v6 = fr[12] == 0x86;
	size_t start = v6 ? 54 : 34;
	unsigned int i;
	ssize_t r;

	for (i = 0; i < n; i++) {
		r = rte_pmd_macvtap_file_read(f, rd, sizeof(rd));
		CHECK(r > hdr_sz, "segment %u of %u: read %zd", i, n, r);
		if (hdr_sz != 0) {
			CHECK(rd[0] == want_flags && rd[1] == 0, "segment %u: header flags %u gso %u",
			      i, rd[0], rd[1]);
			if (want_flags == VF_NEEDS_CSUM) {
				CHECK(rd[6] == start && rd[8] == 16, "segment %u: csum %u/%u", i,
				      rd[6], rd[8]);
				complete_partial(rd + hdr_sz, (size_t)r - hdr_sz, start, 16);
			}
		}
		TRY(check_segment(rd + hdr_sz, (size_t)r - hdr_sz, fr, len, i, n, 1000));
	}
	CHECK_EQ(rte_pmd_macvtap_file_read(f, rd, sizeof(rd)), -EAGAIN, "more segments");
	return 0;
}

/*
 * Frames a bridge sibling sent with offload requests, read as the reader's
 * offloads (TUNSETOFFLOAD, IFF_VNET_HDR) allow: NEEDS_CSUM and GSO headers
 * for what it took, segments and complete checksums for what it did not.
 */
static int
test_read_offloads(void)
{
	static struct t_env e;
	static uint8_t fr[BIG_FRAME], rd[BIG_FRAME], w[VHDR + BIG_FRAME];
	struct rte_pmd_macvtap_file *f, *fs;
	struct rte_mbuf *mb[8];
	struct vnet_hdr h;
	size_t len, ulen;
	ssize_t r;
	uint16_t a, s, n, i;
	int pa, ps;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=" PORT_MAC ",mode=bridge", 1, 0, &pa));
	TRY(t_add_port(&e, "mac=" OTHER_MAC ",mode=bridge", 1, 0, &ps));
	a = e.ports[pa];
	s = e.ports[ps];
	CHECK_EQ(t_file_open(a, &f), 0, "open");

	/* The kernel's default (CSUM, TSO4, TSO6, TSO_ECN): as they were sent. */
	ulen = make_l4(fr, PORT_MAC, OTHER_MAC, false, 17, 333, 0, true, 0);
	TRY(send_with(s, fr, ulen, RTE_MBUF_F_TX_UDP_CKSUM, 0));
	r = rte_pmd_macvtap_file_read(f, rd, sizeof(rd));
	CHECK_EQ(r, VHDR + ulen, "partial UDP read");
	memcpy(&h, rd, VHDR);
	CHECK(h.flags == VF_NEEDS_CSUM && h.gso_type == 0 && h.csum_start == 34 &&
	      h.csum_offset == 6, "partial UDP: header flags %u gso %u csum %u/%u", h.flags,
	      h.gso_type, h.csum_start, h.csum_offset);
	CHECK(memcmp(rd + VHDR, fr, ulen) == 0, "partial UDP frame bytes");
	complete_partial(rd + VHDR, ulen, 34, 6);
	CHECK(l4_csum_ok(rd + VHDR, ulen), "partial UDP: completing gives a wrong checksum");
	len = make_tso(fr, false, 0x18);
	TRY(send_with(s, fr, len, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
		      RTE_MBUF_F_TX_IP_CKSUM, 1000));
	r = rte_pmd_macvtap_file_read(f, rd, sizeof(rd));
	CHECK_EQ(r, VHDR + len, "TSO read: the frame whole");
	memcpy(&h, rd, VHDR);
	CHECK(h.flags == VF_NEEDS_CSUM && h.gso_type == VG_TCPV4 && h.gso_size == 1000 &&
	      h.hdr_len == 54 && h.csum_start == 34 && h.csum_offset == 16,
	      "TSO read: flags %u gso_type %u size %u hdr_len %u csum %u/%u", h.flags,
	      h.gso_type, h.gso_size, h.hdr_len, h.csum_start, h.csum_offset);
	CHECK(ip4_csum_ok(rd + VHDR), "TSO read: IPv4 header checksum");
	complete_partial(rd + VHDR, len, 34, 16);
	CHECK(l4_csum_ok(rd + VHDR, len), "TSO read: the field is not virtio's pseudo-header sum");
	CHECK(memcmp(rd + VHDR + 54, fr + 54, len - 54) == 0, "TSO read: payload");
	/* TCPv6 and CWR (ECN) taken too. */
	len = make_tso(fr, true, 0x98);
	TRY(send_with(s, fr, len, RTE_MBUF_F_TX_TCP_SEG, 1000));
	r = rte_pmd_macvtap_file_read(f, rd, sizeof(rd));
	memcpy(&h, rd, VHDR);
	CHECK(r == (ssize_t)(VHDR + len) && h.gso_type == (VG_TCPV6 | VG_ECN) && h.csum_start == 54,
	      "TSO6 with CWR read: %zd bytes, gso_type %#x", r, h.gso_type);

	/* CSUM only: segments, each a partial checksum. */
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, (void *)(uintptr_t)TUN_F_CSUM), 0,
		 "TUNSETOFFLOAD CSUM");
	len = make_tso(fr, false, 0x19);
	TRY(send_with(s, fr, len, RTE_MBUF_F_TX_TCP_SEG, 1000));
	TRY(read_segments(f, VHDR, fr, len, 3, VF_NEEDS_CSUM));
	/* TSO4 without TSO_ECN: a frame with CWR is segmented. */
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD,
					    (void *)(uintptr_t)(TUN_F_CSUM | TUN_F_TSO4)), 0,
		 "TUNSETOFFLOAD CSUM|TSO4");
	len = make_tso(fr, false, 0x98);
	TRY(send_with(s, fr, len, RTE_MBUF_F_TX_TCP_SEG, 1000));
	TRY(read_segments(f, VHDR, fr, len, 3, VF_NEEDS_CSUM));
	/* TSO6 not taken: an IPv6 TSO frame is segmented. */
	len = make_tso(fr, true, 0x18);
	TRY(send_with(s, fr, len, RTE_MBUF_F_TX_TCP_SEG, 1000));
	TRY(read_segments(f, VHDR, fr, len, 3, VF_NEEDS_CSUM));
	/* TSO without CSUM counts for nothing (the kernel ignores it). */
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, (void *)(uintptr_t)TUN_F_TSO4), 0,
		 "TUNSETOFFLOAD TSO4");
	len = make_tso(fr, false, 0x18);
	TRY(send_with(s, fr, len, RTE_MBUF_F_TX_TCP_SEG, 1000));
	TRY(read_segments(f, VHDR, fr, len, 3, 0));
	/* None: complete checksums, flags 0. */
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, NULL), 0, "TUNSETOFFLOAD 0");
	ulen = make_l4(fr, PORT_MAC, OTHER_MAC, false, 17, 333, 0, true, 0);
	TRY(send_with(s, fr, ulen, RTE_MBUF_F_TX_UDP_CKSUM, 0));
	r = rte_pmd_macvtap_file_read(f, rd, sizeof(rd));
	CHECK(r == (ssize_t)(VHDR + ulen) && all_bytes(rd, VHDR, 0) && l4_csum_ok(rd + VHDR, ulen),
	      "UDP read without offloads: %zd bytes, flags %u, checksum %s", r, rd[0],
	      l4_csum_ok(rd + VHDR, ulen) ? "ok" : "wrong");
	len = make_tso(fr, false, 0x18);
	TRY(send_with(s, fr, len, RTE_MBUF_F_TX_TCP_SEG, 1000));
	TRY(read_segments(f, VHDR, fr, len, 3, 0));
	/* No IFF_VNET_HDR, every offload on: no header, so none taken. */
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, (void *)(uintptr_t)0x0f), 0,
		 "TUNSETOFFLOAD 0x0f");
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI), 0, "TUNSETIFF without VNET_HDR");
	TRY(send_with(s, fr, len, RTE_MBUF_F_TX_TCP_SEG, 1000));
	TRY(read_segments(f, 0, fr, len, 3, 0));
	CHECK_EQ(set_iff(f, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR), 0, "VNET_HDR back");

	/* A sibling's tap file writes (NEEDS_CSUM, TCPv4 GSO): read as written. */
	CHECK_EQ(t_file_open(s, &fs), 0, "the sender's file");
	len = make_l4(fr, PORT_MAC, OTHER_MAC, false, 6, 3000, 0x18, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_TCPV4, 1000, 34, 16);
	memcpy(w, &h, VHDR);
	memcpy(w + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(fs, w, VHDR + len), VHDR + len, "sibling's GSO write");
	r = rte_pmd_macvtap_file_read(f, rd, sizeof(rd));
	memcpy(&h, rd, VHDR);
	CHECK(r == (ssize_t)(VHDR + len) && h.gso_type == VG_TCPV4 && h.gso_size == 1000 &&
	      memcmp(rd + VHDR, fr, len) == 0, "sibling's GSO frame read: %zd bytes, gso_type %u, "
	      "%s", r, h.gso_type, memcmp(rd + VHDR, fr, len) == 0 ? "same bytes" : "other bytes");
	/* A sibling's UFO write: every reader gets IP fragments, checksummed (DATA_VALID). */
	len = make_l4(fr, PORT_MAC, OTHER_MAC, false, 17, 3000, 0, true, 0);
	h = gso_hdr(VF_NEEDS_CSUM, VG_UDP, 1000, 34, 6);
	memcpy(w, &h, VHDR);
	memcpy(w + VHDR, fr, len);
	CHECK_EQ(rte_pmd_macvtap_file_write(fs, w, VHDR + len), VHDR + len, "sibling's UFO write");
	for (i = 0; i < 4; i++) {
		r = rte_pmd_macvtap_file_read(f, rd, sizeof(rd));
		CHECK(r == (ssize_t)(VHDR + 34 + (i < 3 ? 1000 : 8)) && rd[0] == VF_DATA_VALID &&
		      all_bytes(rd + 1, VHDR - 1, 0), "UFO fragment %u read: %zd bytes, flags %u", i,
		      r, rd[0]);
	}
	CHECK_EQ(rte_pmd_macvtap_file_read(f, rd, sizeof(rd)), -EAGAIN, "more UFO fragments");
	CHECK_EQ(t_file_close(fs), 0, "close the sender's file");

	/* The port's own ethdev rx burst (no file): no request left, segments, checksums done. */
	CHECK_EQ(t_file_close(f), 0, "close");
	len = make_tso(fr, false, 0x18);
	TRY(send_with(s, fr, len, RTE_MBUF_F_TX_TCP_SEG, 1000));
	TRY(send_with(s, fr, ulen, 0, 0));   /* (the UDP frame's bytes: fr was overwritten) */
	n = 0;
	for (i = 0; i < 4 && n < 4; i++)
		n += rte_eth_rx_burst(a, 0, mb + n, (uint16_t)(RTE_DIM(mb) - n));
	CHECK_EQ(n, 4, "frames by the rx burst: 3 segments and one frame");
	for (i = 0; i < 3; i++) {
		CHECK(!(mb[i]->ol_flags & MACVTAP_TEST_TX_OL) && mb[i]->nb_segs == 1,
		      "rx burst segment %u: ol_flags %#" PRIx64 ", %u segments", i, mb[i]->ol_flags,
		      mb[i]->nb_segs);
		TRY(check_segment(rte_pktmbuf_mtod(mb[i], uint8_t *), mb[i]->pkt_len, fr, len, i, 3,
				  1000));
	}
	rte_pktmbuf_free_bulk(mb, n);
	CHECK_EQ(t_xstat(a, "rx_offload_dropped"), 0, "rx_offload_dropped");
	CHECK(rte_mempool_full(rte_pmd_macvtap_get_lower_mempool(a)), "lower mempool not full: %u",
	      rte_mempool_in_use_count(rte_pmd_macvtap_get_lower_mempool(a)));
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
WRAP(test_write_offloads)
WRAP(test_offloads_lower)
WRAP(test_read_offloads)

static const struct t_test tests[] = {
	{ "file_open_close", test_open_close_run, 0 },
	{ "file_read", test_read_run, 0 },
	{ "file_write", test_write_run, 0 },
	{ "file_ioctl", test_ioctl_run, 0 },
	{ "file_bursts", test_bursts_run, 0 },
	{ "file_multiqueue", test_multiqueue_run, 0 },
	{ "file_port_closed", test_port_closed_run, 0 },
	{ "file_fd_and_dispatcher", test_fd_and_dispatcher_run, 0 },
	{ "file_write_offloads", test_write_offloads_run, 0 },
	{ "file_offloads_lower", test_offloads_lower_run, T_OWN_LOWER },
	{ "file_read_offloads", test_read_offloads_run, 0 },
};

int
main(int argc, char **argv)
{
	return t_main(argc, argv, "test_tapfile", tests, RTE_DIM(tests));
}

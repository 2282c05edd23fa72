/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * libFuzzer target: tap file writes (rte_pmd_macvtap_file_write and _writev)
 * with arbitrary virtio-net headers and frames, reads of what bridge ports
 * received, and the ioctls that change a file's header and queue, checked
 * against an independent model of the documented rules (the kernel spec's
 * 6.7-6.10 and 1.4, Matrix C; rte_pmd_macvtap.h; the guide's "Tap files").
 *
 * One net_ring lower with one queue; its TX ring holds 63 frames, so the wire
 * refuses what an input sends beyond that (a drain record empties it). Ports:
 *   BR0 bridge, one queue, joined G1: file F0 (TUNSETVNETHDRSZ 12)
 *   BR1 bridge, spoofchk, two queues: files F1 (queue 0, header 12) and F2
 *       (queue 1, TUNSETIFF without IFF_VNET_HDR: no header)
 *   VE0 vepa, one queue: file F3 (the default 10-byte header)
 * Every input starts from that state (links up, files attached, BR1 not
 * allmulticast, the headers as above).
 *
 * Input: records of an 8-byte header h[], then, for writes, the data:
 *   h[0] bits 0-2: OP_*; bits 3-5: writev: iovecs - 1 (their lengths are the
 *        bytes right after the header, the last iovec takes the rest), bit 6:
 *        its empty iovecs have a NULL base;
 *        read: bit 3 readv (two buffers, the first h[4] + 1 bytes long)
 *   h[1] the file (OP_WRITE*, OP_READ, OP_QUEUE, OP_FILE) or port (OP_PORT)
 *   writes: h[2] bits 0-1 header (HDR_*), bits 2-4 MAC rewrite (RW_*), bits
 *        5-7 pad units (PAD_UNIT bytes each, after the data: frames up to
 *        and beyond the mbuf's data room); h[3], h[4], h[5] the header's
 *        fields (HDR_*), h[6] low nibble the destination, high nibble the
 *        source (index into macs[]), h[7] the data's length
 *   OP_READ: h[2] | h[3] << 8 modulo READ_MAX is the length
 *   OP_PORT: h[2] bit 0 up/down, bit 1 allmulticast instead of the link
 *   OP_QUEUE: TUNSETQUEUE with queue_flags[h[2] & 3]
 *   OP_FILE: h[2] & 3: 0 TUNSETVNETHDRSZ h[3] - 8, 1 TUNSETIFF
 *        iff_flags[h[3] & 7] (7: h[4] << 8 | h[5]), 2 drain and check the
 *        wire, 3 TUNSETIFF with the file's setup flags again
 *
 * Checked, abort() (a crash for libFuzzer) on a violation:
 * - each write returns what the rules say (the kernel's, checked against it by
 *   test/tapfile_kernel.sh): its length; -EINVAL for a buffer shorter than
 *   the header, a frame under 14 bytes, a gso_type (without 0x80) not in
 *   {1,3,4,5} or the ECN bit alone, a GSO type with size 0 or 0xffff,
 *   NEEDS_CSUM with csum_start < 20 (40 with TCPv6 GSO) or the checksum (and
 *   the GSO type's transport header, 20 bytes TCP, 8 UDP) past the frame,
 *   hdr_len (raised to csum_start + csum_offset + 2 by NEEDS_CSUM) past the
 *   frame, TCP GSO with a checksum not at offset 16, UDP_L4 GSO without
 *   NEEDS_CSUM, at another offset than 6 or of more than 128 segments, GSO
 *   without NEEDS_CSUM whose transport header the dissection (IPv4, IPv6 past
 *   its extension headers, behind up to two VLAN tags) does not find of the
 *   type's protocol; -EOPNOTSUPP for UDP fragmentation (gso_type 3) of more
 *   than one gso_size over IPv6;
 * - how the driver takes an accepted frame: as it is; a partial TCP/UDP
 *   checksum right after an IPv4/IPv6 header left to the taker (any other
 *   completed at once); a large TCP/UDP frame left to be segmented, or lost
 *   (counted) when its headers do not fit its GSO type; UDP fragmentation over
 *   IPv4 done at once (IP fragments, each a frame, the datagram's checksum
 *   new, DATA_VALID for a reader);
 * - what each taker gets: the wire (no offloads: segments, complete
 *   checksums, new IPv4 header checksums, ids, lengths, TCP sequence and
 *   flags), a reader with IFF_VNET_HDR (the default offloads: the partial
 *   checksum or whole TCP GSO frame behind its NEEDS_CSUM/GSO header, UDP
 *   segments with partial checksums), one without (segments, complete
 *   checksums); byte for byte, header included;
 * - each ioctl and read returns what the model says; a read gives the header
 *   (zeros past 10 bytes), then the frame, cut at the buffer's length, and
 *   writes nothing past what it returns;
 * - every accepted frame of an UP port is on the wire or in the bridge
 *   sibling's file (or its own) exactly once as its mode says (spoofchk,
 *   bridge unicast local only, group frames fanned out to the other bridge
 *   ports that accept them, PAUSE not), segments and rings' room included;
 * - port counters (opackets, obytes, oerrors, ipackets, ibytes, ierrors,
 *   imissed; xstats tx_file_dropped, tx_local_packets, tx_spoof_dropped,
 *   tx_lower_dropped, tx_copy_failed, tx_offload_dropped, rx_oversize_dropped,
 *   rx_offload_dropped) and the lower's (rx_packets, rx_no_port) are as the
 *   model counts;
 * - every mbuf is back in its pool, no rte_malloc allocation, mempool,
 *   memzone or port leaked; and no ASan/UBSan report.
 *
 * FUZZ_VERBOSE=1 traces each record and the model's verdict on stderr.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fuzz_common.h"
#include "harness.h"
#include "rte_pmd_macvtap.h"

#define HDR_LEN 8
#define MAX_RECORDS 160
#define PAD_UNIT 300
#define MAX_BUF (255 + 7 * PAD_UNIT)   /* a write's bytes, header included */
#define READ_MAX 2600
#define WIRE_SIZE 64                   /* the lower's TX ring: 63 frames */
#define MAX_IOV 8
#define VNET_HDR 10                    /* the header's fields, whatever its size */
#define F_NEEDS_CSUM 1
#define ETHER_HDR 14

enum { BR0, BR1, VE0, NB_PORTS };
enum { F0, F1, F2, F3, NB_FILES };
enum { OP_WRITE0, OP_WRITE1, OP_WRITE2, OP_WRITEV, OP_READ, OP_PORT, OP_QUEUE, OP_FILE };
/* How a write's header is made: the data's bytes, or fields from h[3..5]. */
enum { HDR_RAW, HDR_PLAIN, HDR_CSUM, HDR_GSO };
/* MAC rewrites of the frame's first 12 bytes (and the type for RW_PAUSE). */
enum { RW_NONE, RW_DST, RW_OWN_SRC, RW_DST_OWN_SRC, RW_DST_SRC, RW_PAUSE, RW_BCAST,
       RW_DST_OWN_SRC2 };
enum { MAC_BR0, MAC_BR1, MAC_VE0, MAC_BCAST, MAC_G1, MAC_G2, MAC_PAUSE, MAC_UNKNOWN,
       NB_MACS };

struct port_def {
	const char *name;
	const char *args;
	uint8_t mode;
	bool spoofchk;
	uint16_t nb_q;
	const char *mc;
};

static const struct port_def defs[NB_PORTS] = {
	[BR0] = { "net_macvtap_fztw0", "mac=02:00:00:00:00:01,mode=bridge",
		  RTE_PMD_MACVTAP_MODE_BRIDGE, false, 1, "01:00:5e:00:00:01" },
	[BR1] = { "net_macvtap_fztw1", "mac=02:00:00:00:00:02,mode=bridge,spoofchk=1",
		  RTE_PMD_MACVTAP_MODE_BRIDGE, true, 2, NULL },
	[VE0] = { "net_macvtap_fztw2", "mac=02:00:00:00:00:03,mode=vepa",
		  RTE_PMD_MACVTAP_MODE_VEPA, false, 1, NULL },
};

static const char *const mac_strs[NB_MACS] = {
	"02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03", "ff:ff:ff:ff:ff:ff",
	"01:00:5e:00:00:01", "33:33:00:00:00:01", "01:80:c2:00:00:01", "02:99:00:00:00:99",
};

#define IFF_SETUP (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

/* The files as set up: port, queue, TUNSETIFF flags, header size. */
struct file_def {
	unsigned int port;
	uint16_t queue;
	uint16_t flags;
	int hdr_sz;
};

static const struct file_def fdefs[NB_FILES] = {
	[F0] = { BR0, 0, IFF_SETUP, 12 },
	[F1] = { BR1, 0, IFF_SETUP, 12 },
	[F2] = { BR1, 1, IFF_TAP | IFF_NO_PI, 10 },
	[F3] = { VE0, 0, IFF_SETUP, 10 },
};

static const short queue_flags[4] = {
	IFF_ATTACH_QUEUE, IFF_DETACH_QUEUE, IFF_ATTACH_QUEUE | IFF_DETACH_QUEUE, 0,
};

static const uint16_t iff_flags[7] = {
	IFF_TAP | IFF_NO_PI, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
	IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE,
	IFF_TAP, IFF_TUN | IFF_NO_PI, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_ONE_QUEUE,
};

/* ---- the model's state ---- */

struct port_state {
	uint16_t id;
	bool up, allmulti;
	uint16_t mtu;
	struct rte_ether_addr mac;
	uint64_t xs_id[8];
};
enum { XS_FILE_DROP, XS_LOCAL, XS_SPOOF, XS_LOWER_DROP, XS_COPY_FAILED, XS_OVERSIZE,
       XS_TX_OFFLOAD, XS_RX_OFFLOAD };
static const char *const xs_names[] = {
	"tx_file_dropped", "tx_local_packets", "tx_spoof_dropped", "tx_lower_dropped",
	"tx_copy_failed", "rx_oversize_dropped", "tx_offload_dropped", "rx_offload_dropped",
};

/*
 * Each RX queue's ring (setup_port): small enough that an input whose GSO
 * frames fill them is drained in a few seconds, sanitizers and all.
 */
#define RING_CAP 256
#define QSLOTS 2048

struct file_state {
	struct rte_pmd_macvtap_file *f;
	bool attached;
	uint16_t flags;
	int hdr_sz;
	/* The frames (outs[] ids) the model expects in its queue, oldest first. */
	uint32_t q[QSLOTS];
	unsigned int head, tail;
};

struct port_count {
	uint64_t opackets, obytes, file_drop, local, spoof, lower_drop, tx_offload;
	uint64_t ipackets, ibytes, oversize, ring_full, rx_offload;
};

static struct port_state ps[NB_PORTS];
static struct file_state fs[NB_FILES];
static struct rte_ether_addr macs[NB_MACS];
static struct t_env lw;
static struct rte_mempool *lower_pool;
static uint32_t data_room;           /* what a lower pool mbuf holds */
static struct fz_snapshot baseline;
static bool verbose;

/*
 * A written frame as the driver takes it (rte_pmd_macvtap.h, the guide's
 * "Offloads"): as it is (a partial checksum that is not TCP's or UDP's after
 * the IP header completed already), a partial TCP or UDP checksum left to the
 * taker, or a large TCP or UDP frame left to be segmented.
 */
enum { WF_PLAIN, WF_PARTIAL, WF_GSO, WF_LOST, WF_UFO };
struct wframe {
	uint8_t d[MAX_BUF];
	uint32_t len;
	int kind;
	uint8_t vflags;              /* a reader's header flags (DATA_VALID for UFO fragments) */
	bool v4, tcp;
	uint32_t l2, l3, l4, mss;    /* offsets: the IP header; lengths: IP, L4 headers */
	uint32_t off;                /* the L4 checksum's offset in its header */
};

/* What a taker gets: frames (segments) with the header a reader reads before them. */
#define MAX_OUTS 16384
struct mout {
	uint8_t *d;
	uint32_t len;
	uint8_t vh[VNET_HDR];
	bool gso;                    /* a whole GSO frame: no MTU check */
};
static struct mout outs[MAX_OUTS];
static unsigned int nb_outs;
static uint32_t wire[WIRE_SIZE];
static unsigned int nb_wire, wire_room;
static struct port_count want[NB_PORTS];
static uint64_t want_lower_rx, want_lower_no_port;

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

/* ---- the rules ---- */

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* The sum of big-endian 16-bit words (a last odd byte as the high one), folded. */
static uint16_t
sum16(uint32_t sum, const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* One's-complement addition, end-around carry. */
static uint16_t
add16(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* The one's-complement checksum of p[0..n), as RFC 1071 sums it, 0 sent as 0xffff. */
static uint16_t
model_csum(const uint8_t *p, uint32_t n)
{
	uint16_t c = (uint16_t)~sum16(0, p, n);

	return c == 0 ? 0xffff : c;
}

/* The checksum of p[0..n) with seed (a folded sum) added, 0 sent as 0xffff. */
static uint16_t
model_csum_seeded(const uint8_t *p, uint32_t n, uint16_t seed)
{
	uint16_t c = (uint16_t)~sum16(seed, p, n);

	return c == 0 ? 0xffff : c;
}

/* Complete the partial checksum of frame d at start + off (skb_checksum_help). */
static void
complete(uint8_t *d, uint32_t len, uint32_t start, uint32_t off)
{
	put_be16(d + start + off, model_csum(d + start, len - start));
}

/* A new IPv4 header checksum for the header at ip, l3 bytes long. */
static void
ip4_checksum(uint8_t *ip, uint32_t l3)
{
	put_be16(ip + 10, 0);
	put_be16(ip + 10, (uint16_t)~sum16(0, ip, l3));
}

/* The ethertype past up to two VLAN tags (offset of the IP header in *l2); 0: too short. */
static uint16_t
model_ethertype(const uint8_t *d, uint32_t n, uint32_t *l2)
{
	uint32_t at = 12;
	uint16_t type = 0;
	int tags;

	*l2 = at;
	for (tags = 0; tags <= 2; tags++) {
		if (at + 2 > n)
			return 0;
		type = be16(d + at);
		at += 2;
		if (type != 0x8100 && type != 0x88a8)
			break;
		at += 2;
	}
	*l2 = at;
	return type;
}

/*
 * The transport header of a GSO frame written without NEEDS_CSUM (the
 * kernel's flow dissection, as the guide states it): IPv4 with its options,
 * IPv6 past hop-by-hop, routing and destination options headers; UFO tries an
 * IPv4 header that does not parse as IPv6. -1 if none.
 */
static int
model_dissect(const uint8_t *d, uint32_t n, bool ufo, uint32_t *th, uint8_t *proto)
{
	uint32_t at;
	uint16_t type = model_ethertype(d, n, &at);

	if (type == 0x0800) {
		if (at + 20 <= n && (d[at] & 0xf) >= 5) {
			*proto = d[at + 9];
			*th = at + (d[at] & 0xfu) * 4;
			return 0;
		}
		if (!ufo)
			return -1;
	} else if (type != 0x86dd) {
		return -1;
	}
	if (at + 40 > n)
		return -1;
	*proto = d[at + 6];
	at += 40;
	while (*proto == 0 || *proto == 43 || *proto == 60) {
		if (at + 2 > n)
			return -1;
		*proto = d[at];
		at += ((uint32_t)d[at + 1] + 1) * 8;
	}
	*th = at;
	return 0;
}

/*
 * What a write of buf (len bytes) to file fi must return, by the documented
 * rules alone (the kernel's, 6.7-6.8); for a write that goes, how the driver
 * takes its frame (*wf).
 */
static int
model_write_ret(unsigned int fi, const uint8_t *buf, uint32_t len, struct wframe *wf)
{
	int hdr_sz = (fs[fi].flags & IFF_VNET_HDR) ? fs[fi].hdr_sz : 0;
	uint32_t flen, start, off, hdr_len, size, thlen, th = 0, nh_off, l2, need;
	const uint8_t *d;
	uint8_t gso, proto = 0;
	uint16_t type, seed;
	bool csum, real, v4, v6, tcp;

	wf->kind = WF_PLAIN;
	wf->vflags = 0;
	if (len < (uint32_t)hdr_sz)
		return -EINVAL;
	flen = len - (uint32_t)hdr_sz;
	if (flen < ETHER_HDR)
		return -EINVAL;
	d = buf + hdr_sz;
	wf->len = flen;
	memcpy(wf->d, d, flen);
	if (hdr_sz == 0)
		return (int)len;
	gso = buf[1] & 0x7f;
	csum = (buf[0] & F_NEEDS_CSUM) != 0;
	hdr_len = le16(buf + 2);
	size = le16(buf + 4);
	start = le16(buf + 6);
	off = le16(buf + 8);
	if (csum)
		hdr_len = RTE_MAX(hdr_len, start + off + 2);
	if (hdr_len > flen)
		return -EINVAL;
	/* A GSO type, the ECN bit on its own not being one. */
	if ((buf[1] != 0 && gso == 0) || (gso != 0 && gso != 1 && gso != 3 && gso != 4 && gso != 5))
		return -EINVAL;
	thlen = gso == 1 || gso == 4 ? 20 : gso == 3 || gso == 5 ? 8 : 0;
	if (gso != 0 && (size == 0 || size == 0xffff))
		return -EINVAL;
	/* The checksum and the GSO type's transport header inside, after an IPv4 (IPv6) header. */
	if (csum && (start < (gso == 4 ? 40u : 20u) || start + RTE_MAX(thlen, off + 2) > flen))
		return -EINVAL;
	if ((gso == 1 || gso == 4) && csum && off != 16)
		return -EINVAL;
	if (gso == 5 && (!csum || off != 6 || flen - (start + 8) > 128 * size))
		return -EINVAL;
	if (gso != 0 && !csum &&
	    (model_dissect(d, flen, gso == 3, &th, &proto) != 0 ||
	     proto != (thlen == 20 ? 6 : 17) || th + thlen > flen))
		return -EINVAL;
	nh_off = (csum ? start : th) + (gso == 3 ? 0 : thlen);
	real = gso != 0 && flen - nh_off > size;
	if (real && gso == 3) {
		/* UDP fragmentation: IP fragments over IPv4, refused over IPv6. */
		uint32_t unit = size & ~7u;

		type = model_ethertype(d, flen, &l2);
		if (type == 0x86dd)
			return -EOPNOTSUPP;
		if (csum)
			th = start;
		if (type != 0x0800 || th + 8 > RTE_MIN(flen, data_room) || th < l2 + 20 ||
		    (d[l2] & 0xfu) * 4 != th - l2 || d[l2 + 9] != 17 || (d[l2 + 6] & 0x3f) != 0 ||
		    d[l2 + 7] != 0 || unit < 8 || (flen - th + unit - 1) / unit > 256 ||
		    th + unit > 0xffff) {
			wf->kind = WF_LOST;
			return (int)len;
		}
		wf->kind = WF_UFO;
		wf->l2 = l2;
		wf->l3 = th - l2;
		wf->mss = unit;
		/* The datagram's checksum, anew: pseudo header with length, UDP with the field 0. */
		put_be16(wf->d + th + 6, 0);
		put_be16(wf->d + th + 6, model_csum_seeded(wf->d + th, flen - th,
			 sum16(sum16(0, d + l2 + 12, 8) + 17 + (flen - th), NULL, 0)));
		return (int)len;
	}
	if (!csum && !real)
		return (int)len;
	/* How the driver takes the frame (hdr_to_mbuf). */
	type = model_ethertype(d, flen, &l2);
	v4 = type == 0x0800;
	v6 = type == 0x86dd;
	if (real) {
		tcp = gso == 1 || gso == 4;
		if ((gso == 1 && !v4) || (gso != 1 && !v4 && !v6) || (gso == 4 && v4)) {
			wf->kind = WF_LOST;
			return (int)len;
		}
	} else if (off != 16 && off != 6) {
		complete(wf->d, flen, start, off);
		return (int)len;
	} else {
		tcp = off == 16;
	}
	if (csum)
		th = start;
	proto = tcp ? 6 : 17;
	need = th + (tcp ? 20 : 8);
	if (!(v4 || v6) || need > RTE_MIN(flen, data_room) || th < l2 + (v4 ? 20 : 40) ||
	    th - l2 >= 512 || l2 >= 128 ||
	    !(v4 ? (d[l2] & 0xfu) * 4 == th - l2 && d[l2 + 9] == proto :
	      th - l2 > 40 || d[l2 + 6] == proto)) {
		if (real)
			wf->kind = WF_LOST;
		else
			complete(wf->d, flen, start, off);
		return (int)len;
	}
	wf->v4 = v4;
	wf->tcp = tcp;
	wf->l2 = l2;
	wf->l3 = th - l2;
	wf->off = tcp ? 16 : 6;
	if (!real) {
		wf->kind = WF_PARTIAL;
		return (int)len;
	}
	wf->l4 = tcp ? (d[th + 12] >> 4) * 4u : 8;
	if (wf->l4 < (tcp ? 20u : 8u) || th + wf->l4 > RTE_MIN(flen, data_room)) {
		wf->kind = WF_LOST;
		return (int)len;
	}
	wf->kind = WF_GSO;
	wf->mss = size;
	/* DPDK's way: the IPv4 checksum 0 (made anew), the pseudo-header sum without length. */
	if (v4)
		put_be16(wf->d + l2 + 10, 0);
	if (csum)
		seed = add16(be16(d + th + wf->off), (uint16_t)~(uint16_t)(flen - th));
	else
		seed = sum16(sum16(0, d + l2 + (v4 ? 12 : 8), v4 ? 8 : 32) + proto, NULL, 0);
	put_be16(wf->d + th + wf->off, seed);
	return (int)len;
}

#define A_CSUM 1u
#define A_TSO4 2u
#define A_TSO6 4u
#define A_ECN 8u
#define A_READER (A_CSUM | A_TSO4 | A_TSO6 | A_ECN)   /* the kernel's default offloads */

/* A new output frame: len bytes of d, a zero header. */
static uint32_t
new_out(const uint8_t *d, uint32_t len)
{
	struct mout *o;

	if (nb_outs == MAX_OUTS)
		fz_fail("the model's frame table is full");
	o = &outs[nb_outs];
	o->d = malloc(RTE_MAX(len, 1u));
	if (o->d == NULL)
		fz_fail("out of memory");
	memcpy(o->d, d, len);
	o->len = len;
	memset(o->vh, 0, sizeof(o->vh));
	o->gso = false;
	return nb_outs++;
}

/* A partial L4 checksum of output o at start, off: the header says so, or it is completed. */
static void
out_partial(uint32_t o, uint32_t start, uint32_t off, uint32_t accept)
{
	if (accept & A_CSUM) {
		outs[o].vh[0] = F_NEEDS_CSUM;
		put_le16(outs[o].vh + 6, (uint16_t)start);
		put_le16(outs[o].vh + 8, (uint16_t)off);
	} else {
		complete(outs[o].d, outs[o].len, start, off);
	}
}

/*
 * What frame wf becomes for a taker that takes accept (A_*; the wire: 0):
 * its ids in ids, their count, or -1: dropped (more than 256 segments).
 */
static int
model_emit(const struct wframe *wf, uint32_t accept, uint32_t *ids)
{
	uint32_t hdr = wf->l2 + wf->l3 + wf->l4, start = wf->l2 + wf->l3, payload, n, i, o;
	uint16_t seed;
	bool cwr;

	if (wf->kind == WF_PLAIN) {
		ids[0] = new_out(wf->d, wf->len);
		outs[ids[0]].vh[0] = wf->vflags;
		return 1;
	}
	if (wf->kind == WF_PARTIAL) {
		ids[0] = new_out(wf->d, wf->len);
		out_partial(ids[0], start, wf->off, accept);
		return 1;
	}
	payload = wf->len - hdr;
	seed = be16(wf->d + start + wf->off);
	cwr = wf->tcp && (wf->d[start + 13] & 0x80);
	if (payload <= wf->mss) {
		/* One segment's worth: a partial checksum with the length in its sum. */
		o = ids[0] = new_out(wf->d, wf->len);
		if (!wf->v4)
			put_be16(outs[o].d + wf->l2 + 4, (uint16_t)(wf->len - wf->l2 - 40));
		else
			ip4_checksum(outs[o].d + wf->l2, wf->l3);
		if (!wf->tcp)
			put_be16(outs[o].d + start + 4, (uint16_t)(wf->len - start));
		put_be16(outs[o].d + start + wf->off, add16(seed, (uint16_t)(wf->len - start)));
		out_partial(o, start, wf->off, accept);
		return 1;
	}
	if (wf->tcp && (accept & A_CSUM) && (accept & (wf->v4 ? A_TSO4 : A_TSO6)) &&
	    (!cwr || (accept & A_ECN))) {
		/* Whole, behind a GSO header; virtio's sum has the length. */
		o = ids[0] = new_out(wf->d, wf->len);
		if (wf->v4)
			ip4_checksum(outs[o].d + wf->l2, wf->l3);
		put_be16(outs[o].d + start + 16, add16(seed, (uint16_t)(wf->len - start)));
		outs[o].vh[0] = F_NEEDS_CSUM;
		outs[o].vh[1] = (uint8_t)((wf->v4 ? 1 : 4) | (cwr ? 0x80 : 0));
		put_le16(outs[o].vh + 2, (uint16_t)hdr);
		put_le16(outs[o].vh + 4, (uint16_t)wf->mss);
		put_le16(outs[o].vh + 6, (uint16_t)start);
		put_le16(outs[o].vh + 8, 16);
		outs[o].gso = true;
		return 1;
	}
	n = (payload + wf->mss - 1) / wf->mss;
	if (n > 256)
		return -1;
	for (i = 0; i < n; i++) {
		uint32_t plen = RTE_MIN(wf->mss, payload - i * wf->mss), slen = hdr + plen;
		static uint8_t seg[MAX_BUF];
		uint8_t *ip, *l4;

		memcpy(seg, wf->d, hdr);
		memcpy(seg + hdr, wf->d + hdr + i * wf->mss, plen);
		o = ids[i] = new_out(seg, slen);
		ip = outs[o].d + wf->l2;
		l4 = outs[o].d + start;
		if (wf->v4) {
			put_be16(ip + 2, (uint16_t)(slen - wf->l2));
			put_be16(ip + 4, (uint16_t)(be16(wf->d + wf->l2 + 4) + i));
			ip4_checksum(ip, wf->l3);
		} else {
			put_be16(ip + 4, (uint16_t)(slen - wf->l2 - 40));
		}
		if (wf->tcp) {
			uint32_t seq = ((uint32_t)be16(l4 + 4) << 16 | be16(l4 + 6)) + i * wf->mss;

			put_be16(l4 + 4, (uint16_t)(seq >> 16));
			put_be16(l4 + 6, (uint16_t)seq);
			if (i + 1 < n)
				l4[13] &= (uint8_t)~0x09;   /* FIN, PSH on the last only */
			if (i > 0)
				l4[13] &= (uint8_t)~0x80;   /* CWR on the first only */
		} else {
			put_be16(l4 + 4, (uint16_t)(slen - start));
		}
		put_be16(l4 + wf->off, add16(seed, (uint16_t)(slen - start)));
		out_partial(o, start, wf->off, accept);
	}
	return (int)n;
}

static bool
port_owns(unsigned int p, const uint8_t *a)
{
	return memcmp(ps[p].mac.addr_bytes, a, RTE_ETHER_ADDR_LEN) == 0;
}

/* The UP port with MAC a, or -1. */
static int
up_port_by_mac(const uint8_t *a)
{
	unsigned int p;

	for (p = 0; p < NB_PORTS; p++)
		if (ps[p].up && port_owns(p, a))
			return (int)p;
	return -1;
}

/* The attached file of port p that a frame goes to (its first queue), or -1. */
static int
rx_file(unsigned int p)
{
	unsigned int fi;

	for (fi = 0; fi < NB_FILES; fi++)
		if (fdefs[fi].port == p && fs[fi].attached)
			return (int)fi;
	return -1;
}

/* Output o into port p's queue (its MTU, its ring's room permitting). */
static void
expect_rx(unsigned int p, uint32_t o)
{
	int fi = rx_file(p);

	if (fi < 0) {
		if (verbose)
			fprintf(stderr, "  frame %u -> %s: no attached queue\n", o, defs[p].name);
		return;
	}
	if (!outs[o].gso && outs[o].len > (uint32_t)ps[p].mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN) {
		if (verbose)
			fprintf(stderr, "  frame %u -> %s: beyond its MTU\n", o, defs[p].name);
		want[p].oversize++;
		return;
	}
	if (fs[fi].tail - fs[fi].head >= RING_CAP) {
		want[p].ring_full++;
		return;
	}
	if (verbose)
		fprintf(stderr, "  frame %u -> file %d\n", o, fi);
	fs[fi].q[fs[fi].tail++ % QSLOTS] = o;
	want[p].ipackets++;
	want[p].ibytes += outs[o].len;
}

/* Written frame wf, delivered to port p's reader as its offloads take it. */
static void
deliver_local(unsigned int p, const struct wframe *wf)
{
	static uint32_t ids[256];
	int fi = rx_file(p), n, i;

	if (fi < 0) {
		if (verbose)
			fprintf(stderr, "  -> %s: no attached queue\n", defs[p].name);
		return;
	}
	n = model_emit(wf, (fs[fi].flags & IFF_VNET_HDR) ? A_READER : 0, ids);
	if (n < 0) {
		want[p].rx_offload++;
		return;
	}
	for (i = 0; i < n; i++)
		expect_rx(p, ids[i]);
}

/* Frame o onto the wire from port p; false when the lower's ring is full. */
static bool
expect_wire(unsigned int p, uint32_t o)
{
	if (wire_room == 0)
		return false;
	wire_room--;
	wire[nb_wire++] = o;
	want[p].opackets++;
	want[p].obytes += outs[o].len;
	if (verbose)
		fprintf(stderr, "  frame %u -> wire\n", o);
	return true;
}

/*
 * A frame with offloads to the wire: done in software (the lower does none)
 * and sent; the segments the lower refuses are lost and the frame counted
 * as its drop; it counts as sent (its own length) only if all went.
 */
static void
wire_offloaded(unsigned int p, const struct wframe *wf)
{
	static uint32_t ids[256];
	int n = model_emit(wf, 0, ids), i;

	if (n < 0) {
		want[p].tx_offload++;
		return;
	}
	for (i = 0; i < n && wire_room != 0; i++) {
		wire_room--;
		wire[nb_wire++] = ids[i];
	}
	if (i == n) {
		want[p].opackets++;
		want[p].obytes += wf->len;
	} else {
		want[p].lower_drop++;
	}
}

static void model_send(unsigned int p, const struct wframe *wf);

/*
 * UDP fragmentation: IP fragments of mss bytes of IP payload (the id kept,
 * offsets, MF but on the last, DF cleared, the header checksum anew), each a
 * frame of the port's tx burst (a reader sees DATA_VALID); a vepa port's
 * burst stops at the wire's room, one refusal counted for the write.
 */
static void
model_send_ufo(unsigned int p, const struct wframe *wf)
{
	static struct wframe frag;
	uint32_t hl = wf->l2 + wf->l3, ip_len = wf->len - hl, off, n, k;
	bool vepa = defs[p].mode != RTE_PMD_MACVTAP_MODE_BRIDGE && !defs[p].spoofchk;
	bool refused = false;
	static uint32_t ids[1];

	n = (ip_len + wf->mss - 1) / wf->mss;
	for (k = 0, off = 0; k < n; k++, off += wf->mss) {
		uint32_t pl = RTE_MIN(wf->mss, ip_len - off);
		uint8_t *ip = frag.d + wf->l2;

		memcpy(frag.d, wf->d, hl);
		memcpy(frag.d + hl, wf->d + hl + off, pl);
		frag.len = hl + pl;
		frag.kind = WF_PLAIN;
		frag.vflags = 2;
		put_be16(ip + 2, (uint16_t)(wf->l3 + pl));
		put_be16(ip + 6, (uint16_t)((off >> 3) | (k + 1 < n ? 0x2000 : 0)));
		ip4_checksum(ip, wf->l3);
		if (!vepa) {
			model_send(p, &frag);
		} else if (refused || model_emit(&frag, 0, ids) != 1 || !expect_wire(p, ids[0])) {
			refused = true;
		}
	}
	if (refused)
		want[p].file_drop++;
}

/* Where accepted frame wf, written by port p, goes (spec 1.4, Matrix C; spoofchk). */
static void
model_send(unsigned int p, const struct wframe *wf)
{
	static uint32_t ids[1];
	const uint8_t *d = wf->d;
	bool ol = wf->kind != WF_PLAIN;
	unsigned int q;
	int target;

	if (!ps[p].up) {
		want[p].file_drop++;
		return;
	}
	if (wf->kind == WF_LOST) {
		/* Written, then lost where the kernel's segmentation fails. */
		want[p].tx_offload++;
		return;
	}
	if (wf->kind == WF_UFO) {
		model_send_ufo(p, wf);
		return;
	}
	if (defs[p].mode != RTE_PMD_MACVTAP_MODE_BRIDGE && !defs[p].spoofchk) {
		/* Nothing but the wire: a refusal comes back to the write, counted there. */
		if (ol)
			wire_offloaded(p, wf);
		else if (model_emit(wf, 0, ids) != 1 || !expect_wire(p, ids[0]))
			want[p].file_drop++;
		return;
	}
	if (defs[p].spoofchk && !port_owns(p, d + 6)) {
		want[p].spoof++;
		return;
	}
	if (defs[p].mode == RTE_PMD_MACVTAP_MODE_BRIDGE) {
		if (d[0] & 1) {
			if (d[12] != 0x88 || d[13] != 0x08) {
				for (q = 0; q < NB_PORTS; q++) {
					if (q == p || !ps[q].up ||
					    defs[q].mode != RTE_PMD_MACVTAP_MODE_BRIDGE)
						continue;
					/* Broadcast, allmulticast, or its group (BR0's G1). */
					if (memcmp(d, macs[MAC_BCAST].addr_bytes, 6) != 0 &&
					    !ps[q].allmulti && (defs[q].mc == NULL ||
					    memcmp(d, macs[MAC_G1].addr_bytes, 6) != 0))
						continue;
					want[p].local++;
					deliver_local(q, wf);
				}
			}
		} else {
			target = up_port_by_mac(d);
			if (target >= 0 && defs[target].mode == RTE_PMD_MACVTAP_MODE_BRIDGE) {
				/* Into the lower's receive path, not the wire. */
				want[p].local++;
				want[p].opackets++;
				want[p].obytes += wf->len;
				want_lower_rx++;
				if (rx_file(target) < 0)
					want_lower_no_port++;
				else
					deliver_local(target, wf);
				return;
			}
		}
	}
	if (ol)
		wire_offloaded(p, wf);
	else if (model_emit(wf, 0, ids) != 1 || !expect_wire(p, ids[0]))
		want[p].lower_drop++;
}

/* ---- checks ---- */

/* Got (n bytes of a frame of full bytes) against output o: equal, or say how not. */
static void
check_frame(uint32_t o, const uint8_t *got, uint32_t n, uint32_t full, const char *where)
{
	uint32_t i;

	if (full != outs[o].len)
		fz_fail("%s: frame %u of %u bytes, the model says %u", where, o, full, outs[o].len);
	for (i = 0; i < n; i++) {
		if (got[i] == outs[o].d[i])
			continue;
		fz_hexdump("got", got, n);
		fz_hexdump("model", outs[o].d, outs[o].len);
		fz_fail("%s: frame %u differs at byte %u: %02x, the model says %02x", where, o,
			i, got[i], outs[o].d[i]);
	}
}

/* The wire so far against the model, in order; it is emptied. */
static void
check_wire(void)
{
	static uint8_t buf[MAX_BUF + 64];
	struct rte_mbuf *m;
	unsigned int next = 0;
	const char *reason;
	const uint8_t *p;

	while (rte_ring_dequeue(lw.tx[0], (void **)&m) == 0) {
		if (rte_mbuf_check(m, 1, &reason) != 0)
			fz_fail("wire: malformed mbuf: %s", reason);
		if (m->pkt_len > MAX_BUF)
			fz_fail("wire: a frame of %u bytes, longer than any written", m->pkt_len);
		p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
		if (next >= nb_wire) {
			fz_hexdump("frame", p, m->pkt_len);
			fz_fail("wire: frame #%u, the model expects only %u", next, nb_wire);
		}
		check_frame(wire[next], p, m->pkt_len, m->pkt_len, "wire");
		next++;
		rte_pktmbuf_free(m);
	}
	if (next != nb_wire)
		fz_fail("wire: %u frames, the model says %u (first missing: frame %u)", next,
			nb_wire, wire[next]);
	nb_wire = 0;
	wire_room = WIRE_SIZE - 1;
}

/*
 * Read from file fi into len bytes (two buffers, the first split long, when
 * split is not 0), against the model's queue.
 */
static void
do_read(unsigned int fi, size_t len, size_t split)
{
	struct file_state *s = &fs[fi];
	int hdr_sz = (s->flags & IFF_VNET_HDR) ? s->hdr_sz : 0;
	uint8_t *a, *b, *got;
	size_t la = split != 0 ? RTE_MIN(split, len) : len, lb = len - la, n, full, i;
	struct iovec iov[2];
	ssize_t ret, want_ret;
	uint32_t fr = 0;
	uint8_t vh[64];

	/* Exact-size buffers: ASan sees a write past either. */
	a = malloc(RTE_MAX(la, (size_t)1));
	b = malloc(RTE_MAX(lb, (size_t)1));
	got = malloc(RTE_MAX(len, (size_t)1));
	if (a == NULL || b == NULL || got == NULL)
		fz_fail("out of memory");
	memset(a, 0xa5, la);
	memset(b, 0x5a, lb);
	if (split != 0) {
		iov[0].iov_base = a;
		iov[0].iov_len = la;
		iov[1].iov_base = b;
		iov[1].iov_len = lb;
		ret = rte_pmd_macvtap_file_readv(s->f, iov, 2);
	} else {
		ret = rte_pmd_macvtap_file_read(s->f, a, la);
	}
	if (len == 0) {
		want_ret = 0;
	} else if (s->head == s->tail) {
		want_ret = -EAGAIN;
	} else {
		fr = s->q[s->head++ % QSLOTS];
		full = (size_t)hdr_sz + outs[fr].len;
		want_ret = len < (size_t)hdr_sz ? -EINVAL : (ssize_t)RTE_MIN(full, len);
	}
	if (verbose)
		fprintf(stderr, "read file %u, %zu bytes (%s): %zd, model %zd\n", fi, len,
			split ? "readv" : "read", ret, want_ret);
	if (ret != want_ret)
		fz_fail("file %u: read of %zu bytes returned %zd, the model says %zd%s", fi, len,
			ret, want_ret, want_ret == -EAGAIN ? " (no frame)" : "");
	n = ret > 0 ? (size_t)ret : 0;
	memcpy(got, a, RTE_MIN(n, la));
	if (n > la)
		memcpy(got + la, b, n - la);
	for (i = n; i < len; i++)
		if ((i < la ? a[i] : b[i - la]) != (i < la ? 0xa5 : 0x5a))
			fz_fail("file %u: read returned %zd but wrote byte %zu", fi, ret, i);
	/* The header: what the frame carries (offloads), then zeros. */
	memset(vh, 0, sizeof(vh));
	if (n != 0)
		memcpy(vh, outs[fr].vh, VNET_HDR);
	for (i = 0; i < n && i < (size_t)hdr_sz; i++)
		if (got[i] != (i < sizeof(vh) ? vh[i] : 0))
			fz_fail("file %u: header byte %zu of the read is %02x, the model says %02x",
				fi, i, got[i], i < sizeof(vh) ? vh[i] : 0);
	if (n > (size_t)hdr_sz)
		check_frame(fr, got + hdr_sz, (uint32_t)(n - hdr_sz), outs[fr].len, "read");
	free(a);
	free(b);
	free(got);
}

static void
check_eq(uint64_t got, uint64_t expected, const char *who, const char *what)
{
	if (got != expected)
		fz_fail("%s: %s %" PRIu64 ", the model says %" PRIu64, who, what, got, expected);
}

static void
check_counters(const struct rte_pmd_macvtap_lower_stats *before)
{
	struct rte_pmd_macvtap_lower_stats now;
	struct rte_eth_stats st;
	uint64_t xs[RTE_DIM(xs_names)];
	unsigned int p;

	for (p = 0; p < NB_PORTS; p++) {
		const char *who = defs[p].name;
		const struct port_count *w = &want[p];

		if (rte_eth_stats_get(ps[p].id, &st) != 0 ||
		    rte_eth_xstats_get_by_id(ps[p].id, ps[p].xs_id, xs, RTE_DIM(xs)) !=
		    (int)RTE_DIM(xs))
			fz_fail("%s: cannot read counters", who);
		check_eq(st.opackets, w->opackets, who, "opackets");
		check_eq(st.obytes, w->obytes, who, "obytes");
		check_eq(xs[XS_FILE_DROP], w->file_drop, who, "tx_file_dropped");
		check_eq(xs[XS_LOCAL], w->local, who, "tx_local_packets");
		check_eq(xs[XS_SPOOF], w->spoof, who, "tx_spoof_dropped");
		check_eq(xs[XS_LOWER_DROP], w->lower_drop, who, "tx_lower_dropped");
		check_eq(xs[XS_COPY_FAILED], 0, who, "tx_copy_failed");
		check_eq(xs[XS_TX_OFFLOAD], w->tx_offload, who, "tx_offload_dropped");
		check_eq(st.oerrors, w->file_drop + w->spoof + w->lower_drop + w->tx_offload, who,
			 "oerrors");
		check_eq(st.ipackets, w->ipackets, who, "ipackets");
		check_eq(st.ibytes, w->ibytes, who, "ibytes");
		check_eq(st.imissed, w->ring_full, who, "imissed");
		check_eq(xs[XS_OVERSIZE], w->oversize, who, "rx_oversize_dropped");
		check_eq(xs[XS_RX_OFFLOAD], w->rx_offload, who, "rx_offload_dropped");
		check_eq(st.ierrors, w->oversize + w->rx_offload, who, "ierrors");
	}
	if (rte_pmd_macvtap_get_lower_stats(ps[BR0].id, &now) != 0)
		fz_fail("lower: no counters");
	check_eq(now.rx_packets - before->rx_packets, want_lower_rx, "lower", "rx_packets");
	check_eq(now.rx_no_port - before->rx_no_port, want_lower_no_port, "lower",
		 "rx_no_port");
}

static void
check_pools(void)
{
	struct rte_mempool *pools[] = { t_pool, lower_pool };
	unsigned int i;

	for (i = 0; i < RTE_DIM(pools); i++)
		if (!rte_mempool_full(pools[i]))
			fz_fail("mempool %s: %u mbufs not back", pools[i]->name,
				rte_mempool_in_use_count(pools[i]));
}

/* ---- records ---- */

static void
put_mac(uint8_t *d, uint32_t len, uint32_t at, const struct rte_ether_addr *a)
{
	uint32_t i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN && at + i < len; i++)
		d[at + i] = a->addr_bytes[i];
}

/* The bytes of a write: data, pad, then the header and MAC rewrites h asks for. */
static uint32_t
build_write(unsigned int fi, const uint8_t *h, const uint8_t *data, uint32_t n, uint8_t *buf)
{
	const struct rte_ether_addr *own = &ps[fdefs[fi].port].mac;
	int hdr_sz = (fs[fi].flags & IFF_VNET_HDR) ? fs[fi].hdr_sz : 0;
	uint32_t pad = (h[2] >> 5) * PAD_UNIT, len = n + pad, i, fo = (uint32_t)hdr_sz;
	const struct rte_ether_addr *dst = &macs[(h[6] & 15) % NB_MACS];
	const struct rte_ether_addr *src = &macs[(h[6] >> 4) % NB_MACS];
	uint8_t hdr[VNET_HDR];
	static const uint16_t gso_sizes[4] = { 0, 0xffff, 1448 };

	memcpy(buf, data, n);
	for (i = 0; i < pad; i++)
		buf[n + i] = (uint8_t)(i * 13 + h[6]);
	memset(hdr, 0, sizeof(hdr));
	switch (h[2] & 3) {
	case HDR_PLAIN:
		/* No NEEDS_CSUM; an ECN bit alone; any hdr_len. */
		hdr[0] = h[5] & 0xfe;
		hdr[1] = h[5] & 1 ? 0x80 : 0;
		put_le16(hdr + 2, h[3]);
		put_le16(hdr + 4, h[4]);
		break;
	case HDR_CSUM:
		hdr[0] = F_NEEDS_CSUM | (h[5] & 6);
		put_le16(hdr + 2, h[5] >> 3);
		put_le16(hdr + 6, h[3]);
		put_le16(hdr + 8, h[4] & 0x80 ? (uint16_t)(h[4] << 8 | h[5]) : h[4]);
		break;
	case HDR_GSO:
		/* Any type; sizes 0, 0xffff, 1448 or h[4]; a TCP checksum or none. */
		hdr[0] = h[5] & 3;
		hdr[1] = h[3];
		put_le16(hdr + 2, h[5] >> 2);
		put_le16(hdr + 4, (h[4] & 3) < 3 ? gso_sizes[h[4] & 3] : h[4]);
		put_le16(hdr + 6, (h[4] >> 2) + 14);
		put_le16(hdr + 8, 16);
		break;
	default:
		break;
	}
	if ((h[2] & 3) != HDR_RAW && hdr_sz != 0)
		memcpy(buf, hdr, RTE_MIN(len, (uint32_t)VNET_HDR));
	switch ((h[2] >> 2) & 7) {
	case RW_DST:
		put_mac(buf, len, fo, dst);
		break;
	case RW_OWN_SRC:
		put_mac(buf, len, fo + 6, own);
		break;
	case RW_DST_OWN_SRC:
	case RW_DST_OWN_SRC2:
		put_mac(buf, len, fo, dst);
		put_mac(buf, len, fo + 6, own);
		break;
	case RW_DST_SRC:
		put_mac(buf, len, fo, dst);
		put_mac(buf, len, fo + 6, src);
		break;
	case RW_PAUSE:
		put_mac(buf, len, fo, &macs[MAC_PAUSE]);
		put_mac(buf, len, fo + 6, own);
		if (len >= fo + 14) {
			buf[fo + 12] = 0x88;
			buf[fo + 13] = 0x08;
		}
		break;
	case RW_BCAST:
		put_mac(buf, len, fo, &macs[MAC_BCAST]);
		put_mac(buf, len, fo + 6, own);
		break;
	default:
		break;
	}
	return len;
}

/*
 * A write record: build the bytes, write them (as iovecs when nb_iov > 0,
 * their lengths in splits), check the return, and model where the frame goes.
 */
static void
do_write(unsigned int fi, const uint8_t *h, const uint8_t *data, uint32_t n,
	 const uint8_t *splits, unsigned int nb_iov)
{
	static uint8_t bytes[MAX_BUF];
	static struct wframe wf;
	struct file_state *s = &fs[fi];
	unsigned int p = fdefs[fi].port, i;
	int hdr_sz = (s->flags & IFF_VNET_HDR) ? s->hdr_sz : 0;
	uint32_t len = build_write(fi, h, data, n, bytes), at = 0;
	struct iovec iov[MAX_IOV];
	uint8_t *chunk[MAX_IOV];
	ssize_t ret;
	int want_ret = model_write_ret(fi, bytes, len, &wf);

	if (nb_iov == 0) {
		/* One buffer of exactly len bytes: ASan sees a read past it. */
		chunk[0] = malloc(RTE_MAX(len, 1u));
		if (chunk[0] == NULL)
			fz_fail("out of memory");
		memcpy(chunk[0], bytes, len);
		ret = rte_pmd_macvtap_file_write(s->f, chunk[0], len);
		free(chunk[0]);
	} else {
		for (i = 0; i < nb_iov; i++) {
			uint32_t l = i + 1 < nb_iov ? RTE_MIN((uint32_t)splits[i], len - at) :
				     len - at;

			/* Empty ones, NULL (h[0] bit 6) or not, and exact-size buffers. */
			chunk[i] = l == 0 && (h[0] & 0x40) ? NULL : malloc(RTE_MAX(l, 1u));
			if (l != 0 && chunk[i] == NULL)
				fz_fail("out of memory");
			if (l != 0)
				memcpy(chunk[i], bytes + at, l);
			iov[i].iov_base = chunk[i];
			iov[i].iov_len = l;
			at += l;
		}
		ret = rte_pmd_macvtap_file_writev(s->f, iov, (int)nb_iov);
		for (i = 0; i < nb_iov; i++)
			free(chunk[i]);
	}
	if (verbose) {
		fprintf(stderr, "write file %u (%s, header %d), %u bytes in %u iovecs: %zd, "
			"model %d\n", fi, defs[p].name, hdr_sz, len, nb_iov, ret, want_ret);
		fz_hexdump("bytes", bytes, len);
	}
	if (ret != want_ret) {
		fz_hexdump("write", bytes, len);
		fz_fail("file %u: write of %u bytes (header %d) returned %zd, the model says %d",
			fi, len, hdr_sz, ret, want_ret);
	}
	if (want_ret < 0) {
		want[p].file_drop++;
		return;
	}
	if (verbose)
		fprintf(stderr, "  taken as %s\n", wf.kind == WF_PLAIN ? "it is" :
			wf.kind == WF_PARTIAL ? "a partial checksum" : wf.kind == WF_GSO ?
			"a GSO frame" : wf.kind == WF_UFO ? "UDP fragments" :
			"lost (segmentation fails)");
	model_send(p, &wf);
}

static void
check_ret(int got, int expected, const char *what, unsigned int who)
{
	if (got != expected)
		fz_fail("%s (%u): %d, the model says %d", what, who, got, expected);
}

static void
set_link(unsigned int p, bool up)
{
	struct rte_eth_link link;

	check_ret(up ? rte_eth_dev_set_link_up(ps[p].id) : rte_eth_dev_set_link_down(ps[p].id),
		  0, "set link", p);
	ps[p].up = up;
	if (rte_eth_link_get_nowait(ps[p].id, &link) != 0 ||
	    link.link_status != (up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN))
		fz_fail("%s: link %s, set %s", defs[p].name, link.link_status ? "up" : "down",
			up ? "up" : "down");
}

static void
set_allmulti(unsigned int p, bool on)
{
	check_ret(on ? rte_eth_allmulticast_enable(ps[p].id) :
		  rte_eth_allmulticast_disable(ps[p].id), 0, "allmulticast", p);
	ps[p].allmulti = on;
	check_ret(rte_eth_allmulticast_get(ps[p].id), on, "allmulticast get", p);
}

static void
ioctl_queue(unsigned int fi, short flags)
{
	struct ifreq ifr;
	int want_ret = -EINVAL;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	if (flags & IFF_ATTACH_QUEUE) {
		if (!fs[fi].attached)
			want_ret = 0, fs[fi].attached = true;
	} else if (flags & IFF_DETACH_QUEUE) {
		if (fs[fi].attached)
			want_ret = 0, fs[fi].attached = false;
	}
	check_ret(rte_pmd_macvtap_file_ioctl(fs[fi].f, TUNSETQUEUE, &ifr), want_ret,
		  "TUNSETQUEUE", fi);
}

static void
ioctl_hdr_sz(unsigned int fi, int v)
{
	int got = -1;

	check_ret(rte_pmd_macvtap_file_ioctl(fs[fi].f, TUNSETVNETHDRSZ, &v),
		  v < VNET_HDR ? -EINVAL : 0, "TUNSETVNETHDRSZ", fi);
	if (v >= VNET_HDR)
		fs[fi].hdr_sz = v;
	check_ret(rte_pmd_macvtap_file_ioctl(fs[fi].f, TUNGETVNETHDRSZ, &got), 0,
		  "TUNGETVNETHDRSZ", fi);
	check_ret(got, fs[fi].hdr_sz, "TUNGETVNETHDRSZ value", fi);
}

static void
ioctl_iff(unsigned int fi, uint16_t flags)
{
	bool ok = (flags & (uint16_t)~(IFF_VNET_HDR | IFF_MULTI_QUEUE)) == (IFF_TAP | IFF_NO_PI);
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)flags;
	check_ret(rte_pmd_macvtap_file_ioctl(fs[fi].f, TUNSETIFF, &ifr), ok ? 0 : -EINVAL,
		  "TUNSETIFF", fi);
	if (ok)
		fs[fi].flags = flags;
	memset(&ifr, 0, sizeof(ifr));
	check_ret(rte_pmd_macvtap_file_ioctl(fs[fi].f, TUNGETIFF, &ifr), 0, "TUNGETIFF", fi);
	check_ret((uint16_t)ifr.ifr_flags, fs[fi].flags, "TUNGETIFF flags", fi);
}

/* Back to the state every input starts from. */
static void
reset_state(void)
{
	unsigned int p, fi;

	for (p = 0; p < NB_PORTS; p++) {
		if (!ps[p].up)
			set_link(p, true);
		if (ps[p].allmulti)
			set_allmulti(p, false);
	}
	for (fi = 0; fi < NB_FILES; fi++) {
		if (!fs[fi].attached)
			ioctl_queue(fi, IFF_ATTACH_QUEUE);
		if (fs[fi].flags != fdefs[fi].flags)
			ioctl_iff(fi, fdefs[fi].flags);
		if (fs[fi].hdr_sz != fdefs[fi].hdr_sz)
			ioctl_hdr_sz(fi, fdefs[fi].hdr_sz);
		fs[fi].head = fs[fi].tail = 0;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_pmd_macvtap_lower_stats lower_before;
	unsigned int p, fi, nb_rec = 0;
	size_t pos = 0;

	reset_state();
	for (p = 0; p < NB_PORTS; p++) {
		check_ret(rte_eth_stats_reset(ps[p].id), 0, "stats reset", p);
		memset(&want[p], 0, sizeof(want[p]));
	}
	if (rte_pmd_macvtap_get_lower_stats(ps[BR0].id, &lower_before) != 0)
		fz_fail("lower: no counters");
	want_lower_rx = want_lower_no_port = 0;
	while (nb_outs != 0)
		free(outs[--nb_outs].d);
	nb_wire = 0;
	wire_room = WIRE_SIZE - 1;

	while (pos + HDR_LEN <= size && nb_rec++ < MAX_RECORDS) {
		const uint8_t *h = data + pos;
		unsigned int op = h[0] & 7, nb_iov = 0;
		const uint8_t *splits = NULL;
		uint32_t n;

		pos += HDR_LEN;
		fi = h[1] % NB_FILES;
		switch (op) {
		case OP_WRITEV:
			/* As many split lengths as the input still has. */
			nb_iov = 1 + RTE_MIN((h[0] >> 3) & 7u, (unsigned int)(size - pos));
			splits = data + pos;
			pos += nb_iov - 1;
			/* fall through */
		case OP_WRITE0:
		case OP_WRITE1:
		case OP_WRITE2:
			n = RTE_MIN((uint32_t)h[7], (uint32_t)(size - pos));
			do_write(fi, h, data + pos, n, splits, nb_iov);
			pos += n;
			break;
		case OP_READ:
			do_read(fi, (size_t)(h[2] | h[3] << 8) % READ_MAX,
				(h[0] & 8) ? (size_t)h[4] + 1 : 0);
			break;
		case OP_PORT:
			p = h[1] % NB_PORTS;
			if (verbose)
				fprintf(stderr, "%s: %s %s\n", defs[p].name,
					h[2] & 2 ? "allmulticast" : "link", h[2] & 1 ? "on" : "off");
			if (h[2] & 2)
				set_allmulti(p, h[2] & 1);
			else
				set_link(p, h[2] & 1);
			break;
		case OP_QUEUE:
			if (verbose)
				fprintf(stderr, "file %u: TUNSETQUEUE %#x\n", fi,
					(unsigned int)queue_flags[h[2] & 3]);
			ioctl_queue(fi, queue_flags[h[2] & 3]);
			break;
		default:
			if (verbose)
				fprintf(stderr, "file %u: op %u, %u %u\n", fi, h[2] & 3, h[3], h[4]);
			switch (h[2] & 3) {
			case 0:
				ioctl_hdr_sz(fi, (int)h[3] - 8);
				break;
			case 1:
				ioctl_iff(fi, (h[3] & 7) < 7 ? iff_flags[h[3] & 7] :
					  (uint16_t)(h[4] << 8 | h[5]));
				break;
			case 2:
				check_wire();
				break;
			default:
				ioctl_iff(fi, fdefs[fi].flags);
				break;
			}
			break;
		}
	}

	/* What the files still hold, all of it, then the wire and the counters. */
	for (fi = 0; fi < NB_FILES; fi++)
		while (fs[fi].head != fs[fi].tail)
			do_read(fi, READ_MAX, 0);
	for (fi = 0; fi < NB_FILES; fi++)
		do_read(fi, READ_MAX, 0);   /* -EAGAIN: nothing more */
	check_wire();
	check_counters(&lower_before);
	check_pools();
	fz_snapshot_check(&baseline, "after the input");
	return 0;
}

/* ---- set-up and teardown ---- */

static void
teardown(void)
{
	unsigned int p, fi;

	for (fi = 0; fi < NB_FILES; fi++)
		if (fs[fi].f != NULL)
			rte_pmd_macvtap_file_close(fs[fi].f);
	for (p = 0; p < NB_PORTS; p++) {
		if (!rte_eth_dev_is_valid_port(ps[p].id))
			continue;
		rte_eth_dev_stop(ps[p].id);
		rte_eth_dev_close(ps[p].id);
		rte_vdev_uninit(defs[p].name);
	}
	rte_eth_dev_stop(lw.lower);
	rte_eth_dev_close(lw.lower);
	rte_vdev_uninit(lw.lower_name);
	rte_ring_free(lw.rx[0]);
	rte_ring_free(lw.tx[0]);
	rte_mempool_free(t_pool);
	while (nb_outs != 0)
		free(outs[--nb_outs].d);
}

static void
setup_port(unsigned int p)
{
	const struct port_def *d = &defs[p];
	struct port_state *s = &ps[p];
	struct rte_eth_conf conf;
	struct rte_ether_addr mc;
	char args[256];
	unsigned int i;
	uint16_t q;

	snprintf(args, sizeof(args), "iface=%s,%s", lw.lower_name, d->args);
	check_ret(rte_vdev_init(d->name, args), 0, "probe", p);
	check_ret(rte_eth_dev_get_port_by_name(d->name, &s->id), 0, "port id", p);
	check_ret(rte_pmd_macvtap_get_mode(s->id), d->mode, "mode", p);
	memset(&conf, 0, sizeof(conf));
	check_ret(rte_eth_dev_configure(s->id, d->nb_q, d->nb_q, &conf), 0, "configure", p);
	for (q = 0; q < d->nb_q; q++) {
		check_ret(rte_eth_rx_queue_setup(s->id, q, RING_CAP, 0, NULL, t_pool), 0, "rxq",
			  p);
		check_ret(rte_eth_tx_queue_setup(s->id, q, 0, 0, NULL), 0, "txq", p);
	}
	if (d->mc != NULL) {
		mc = t_mac(d->mc);
		check_ret(rte_eth_dev_set_mc_addr_list(s->id, &mc, 1), 0, "mc list", p);
	}
	check_ret(rte_eth_dev_start(s->id), 0, "start", p);
	check_ret(rte_eth_promiscuous_disable(s->id), 0, "promiscuous off", p);
	check_ret(rte_eth_promiscuous_get(s->id), 0, "promiscuous", p);
	check_ret(rte_eth_allmulticast_disable(s->id), 0, "allmulticast off", p);
	s->up = true;
	s->allmulti = false;
	check_ret(rte_eth_dev_get_mtu(s->id, &s->mtu), 0, "MTU", p);
	rte_eth_macaddr_get(s->id, &s->mac);
	for (i = 0; i < RTE_DIM(xs_names); i++)
		check_ret(rte_eth_xstats_get_id_by_name(s->id, xs_names[i], &s->xs_id[i]), 0,
			  xs_names[i], p);
}

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv __rte_unused)
{
	unsigned int p, fi, i;

	/* One lcore: the lower has one queue, all ports send through it in order. */
	fz_eal_init(1, teardown);
	verbose = getenv("FUZZ_VERBOSE") != NULL && strcmp(getenv("FUZZ_VERBOSE"), "1") == 0;
	t_pool = rte_pktmbuf_pool_create("fz_tw", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (t_pool == NULL)
		fz_fail("cannot create the pool");
	fz_lower_create(&lw, "fztw", 1, (const unsigned int []){ WIRE_SIZE });
	for (p = 0; p < NB_PORTS; p++)
		setup_port(p);
	for (i = 0; i < NB_MACS; i++)
		macs[i] = t_mac(mac_strs[i]);
	for (p = 0; p < NB_PORTS; p++)
		if (!rte_is_same_ether_addr(&ps[p].mac, &macs[p]))
			fz_fail("%s: not the MAC of its devargs", defs[p].name);
	lower_pool = rte_pmd_macvtap_get_lower_mempool(ps[BR0].id);
	if (lower_pool == NULL)
		fz_fail("no lower mempool");
	data_room = rte_pktmbuf_data_room_size(lower_pool) - RTE_PKTMBUF_HEADROOM;
	for (fi = 0; fi < NB_FILES; fi++) {
		p = fdefs[fi].port;
		check_ret(rte_pmd_macvtap_file_open(ps[p].id, &fs[fi].f), 0, "file open", fi);
		check_ret(rte_pmd_macvtap_file_queue(fs[fi].f), fdefs[fi].queue, "file queue",
			  fi);
		fs[fi].attached = true;
		fs[fi].flags = IFF_SETUP;
		fs[fi].hdr_sz = VNET_HDR;
		ioctl_iff(fi, fdefs[fi].flags);
		ioctl_hdr_sz(fi, fdefs[fi].hdr_sz);
	}
	fz_snapshot_take(&baseline);
	return 0;
}

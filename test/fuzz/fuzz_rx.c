/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * libFuzzer target: the receive classifier (and the transmit path) fed
 * arbitrary frames through real lowers, checked against a model of the
 * documented delivery rules (the kernel spec's matrices A, B and C, source
 * mode, passthru, the driver guide's counters).
 *
 * Three net_ring lowers: A with two queues carries ports of every mode but
 * passthru (private, vepa, bridge, source with and without nodst, a bridge
 * with no RX queue, ports with several queues and one with more queues than a
 * burst has destinations, a tiny ring, a pool with a private area, spoofchk);
 * B carries a passthru port alone; C, without source or passthru ports, takes
 * the receive path's lean loop. Lower A's TX queue 1 and lower B's hold 63
 * frames: the wire refuses the rest of an input's frames.
 *
 * Input: bytes 0 and 1 set the ports' state for this input (STATE_*, STATE2_*:
 * link up/down, stopped, promiscuous, allmulticast, multicast list, a second
 * MAC, a new MAC). Then records, each a 7-byte header and up to 255 bytes of
 * frame data:
 *   h[0] bits 0-1: 0/1 lower A RX queue 0/1, 2 lower B (C if h[4] is odd),
 *        3 sent by a port
 *        bits 2-3: segmentation (SEG_*), bits 4-6: header rewrite (RW_*),
 *        bit 7: pad the frame with (h[5] >> 4) * 600 bytes (frames beyond the MTU,
 *        which a receiving port drops and counts)
 *   h[1] data length, h[2] destination and h[3] source (index into macs[]),
 *   h[4] sending port and TX queue (TX) / VLAN TCI, h[5] segmentation
 *   parameter (low nibble) and pad, h[6] bit 0: an RSS hash in the mbuf,
 *   bit 1: the mbufs from the pool with a private area (BR2's).
 * Frames from the wire go into the lower's RX rings; frames sent by a port go
 * through rte_eth_tx_burst (consecutive ones of a port in one burst).
 *
 * After each input every port is polled and the wire drained. abort() (a
 * crash for libFuzzer) on: a frame on a port, queue or wire the model does not
 * expect, or a frame the model expects missing (only a port with a tiny ring
 * may lose frames, counted as imissed); a frame whose bytes changed; mbuf->port
 * not the receiving port; a malformed mbuf; frames of one stream (a lower RX
 * queue's, or what bridge ports deliver locally) out of order; port, queue or
 * lower counters not as the model says; a port's link not its state; any mbuf
 * not back in its pool; rte_malloc allocations, mempools or memzones leaked.
 *
 * FUZZ_VERBOSE=1 traces each frame and the model's verdict on stderr.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fuzz_common.h"
#include "harness.h"
#include "rte_pmd_macvtap.h"

#define HDR_LEN 7
#define MAX_FRAMES 128               /* the pools hold all their copies at once */
#define PAD_UNIT 600
#define MAX_FRAME_LEN (255 + 15 * PAD_UNIT + 8)
#define MAX_SEGS 64
#define SMALL_ROOM RTE_MBUF_DEFAULT_DATAROOM
#define BIG_ROOM 9600
#define PRIV_RESERVE 1024            /* mbufs of BR2's pool left for its copies */
#define MAX_RXQ 40                   /* BR1: more queues than a burst has targets */
#define NB_STREAMS 5

enum { LOWER_A, LOWER_B, LOWER_C, NB_LOWERS };
enum { PR0, PR1, VE0, VE1, VE2, BR0, BR1, BR2, SO0, SO1, SO2, BR3, BR4, PT0, PC0, PC1, PC2,
       NB_PORTS };

/* Segmentation of an mbuf chain. */
enum { SEG_ONE, SEG_SPLIT_HEADER, SEG_MANY, SEG_EMPTY_ENDS };
/* Header rewrites: known MACs from macs[], tags, PAUSE. */
enum { RW_RAW, RW_DST, RW_SRC, RW_BOTH, RW_VLAN, RW_QINQ, RW_PAUSE, RW_BCAST };
/*
 * Streams: frames of one stream reach a queue in the order they were sent: a
 * lower RX queue's, and what bridge ports deliver locally (sent one burst at a
 * time, in input order).
 */
enum { ST_RX_A0, ST_RX_A1, ST_RX_B, ST_RX_C, ST_TX };

/* Bits of byte 0: the ports' state for the input. */
#define STATE_PR1_DOWN 0x01
#define STATE_VE1_NOT_PROMISC 0x02
#define STATE_ALLMULTI 0x04          /* VE2 and PT0 allmulticast */
#define STATE_SO1_DOWN 0x08
#define STATE_BR3_UP 0x10
#define STATE_PT0_DOWN 0x20
#define STATE_SO0_DOWN 0x40
#define STATE_VE0_STOPPED 0x80
/* Bits of byte 1: MACs and filters. */
#define STATE2_BR2_MAC2 0x01         /* BR2 (spoofchk) has a second MAC */
#define STATE2_PR0_MAC2 0x02         /* PR0 has a second MAC */
#define STATE2_VE1_GROUP 0x04        /* VE1 joins G1 */
#define STATE2_BR0_NEW_MAC 0x08      /* BR0's MAC is changed */
#define STATE2_BR1_PROMISC 0x10
#define STATE2_PC1_DOWN 0x20
#define STATE2_PC0_PROMISC 0x40

struct port_def {
	const char *name;
	uint8_t lower;
	const char *args;            /* after iface=<lower>, */
	uint8_t mode;
	uint16_t nb_rxq, nb_txq, nb_rxd;
	bool priv_pool;
	bool lossy;                  /* its ring is too small for an input: may drop */
	bool nodst, spoofchk;
	const char *mc[2];
	const char *sources[3];
};

#define M(x) "02:00:00:00:00:" x
#define X1 "02:aa:00:00:00:01"
#define X2 "02:aa:00:00:00:02"
#define X3 "02:aa:00:00:00:03"
#define G1 "01:00:5e:00:00:01"
#define G2 "33:33:00:00:00:01"

#define PORT(n, l, a, m, rxq, txq, rxd) \
	.name = "net_macvtap_fz" n, .lower = (l), .args = (a), .mode = RTE_PMD_MACVTAP_MODE_ ## m, \
	.nb_rxq = (rxq), .nb_txq = (txq), .nb_rxd = (rxd)

static const struct port_def defs[NB_PORTS] = {
	[PR0] = { PORT("pr0", LOWER_A, "mac=" M("01") ",mode=private", PRIVATE, 1, 1, 1024) },
	[PR1] = { PORT("pr1", LOWER_A, "mac=" M("02") ",mode=private", PRIVATE, 1, 1, 1024) },
	[VE0] = { PORT("ve0", LOWER_A, "mac=" M("03") ",mode=vepa", VEPA, 1, 1, 1024),
		  .mc = { G1 } },
	[VE1] = { PORT("ve1", LOWER_A, "mac=" M("04") ",mode=vepa", VEPA, 2, 2, 1024) },
	[VE2] = { PORT("ve2", LOWER_A, "mac=" M("05") ",mode=vepa,spoofchk=1", VEPA, 1, 1, 8),
		  .lossy = true, .spoofchk = true },
	[BR0] = { PORT("br0", LOWER_A, "mac=" M("06") ",mode=bridge", BRIDGE, 1, 1, 1024) },
	[BR1] = { PORT("br1", LOWER_A, "mac=" M("07") ",mode=bridge", BRIDGE, 40, 3, 256),
		  .mc = { G1, G2 } },
	[BR2] = { PORT("br2", LOWER_A, "mac=" M("08") ",mode=bridge,spoofchk=1", BRIDGE, 1, 1,
		       1024), .priv_pool = true, .spoofchk = true },
	[SO0] = { PORT("so0", LOWER_A, "mac=" M("09") ",mode=source,source=[" X1 "," X2 "]",
		       SOURCE, 1, 1, 1024), .sources = { X1, X2 } },
	[SO1] = { PORT("so1", LOWER_A, "mac=" M("0a") ",mode=source,nodst=1,source=[" X2 ","
		       X3 "]", SOURCE, 2, 2, 1024), .nodst = true, .sources = { X2, X3 } },
	[SO2] = { PORT("so2", LOWER_A, "mac=" M("0b") ",mode=source,source=[" X1 "," M("01")
		       "," M("06") "]", SOURCE, 1, 1, 1024),
		  .sources = { X1, M("01"), M("06") } },
	[BR3] = { PORT("br3", LOWER_A, "mac=" M("0c") ",mode=bridge", BRIDGE, 1, 1, 1024) },
	[BR4] = { PORT("br4", LOWER_A, "mac=" M("0d") ",mode=bridge", BRIDGE, 0, 1, 0) },
	[PT0] = { PORT("pt0", LOWER_B, "mode=passthru", PASSTHRU, 1, 1, 1024) },
	/* No source port, no passthru: the receive path's lean loop. */
	[PC0] = { PORT("pc0", LOWER_C, "mac=" M("31") ",mode=vepa", VEPA, 1, 1, 1024) },
	[PC1] = { PORT("pc1", LOWER_C, "mac=" M("32") ",mode=bridge", BRIDGE, 2, 1, 1024),
		  .mc = { G1 } },
	[PC2] = { PORT("pc2", LOWER_C, "mac=" M("33") ",mode=private", PRIVATE, 1, 1, 1024) },
};

#define BR2_MAC2 M("21")
#define PR0_MAC2 M("22")
#define BR0_NEW_MAC M("26")

/*
 * MACs a rewrite can put in a header: the ports' (as set up), lower A's,
 * sources, groups, broadcast, an unknown and the zero address, the MACs the
 * state bytes may add.
 */
enum { MAC_LOWER_A = NB_PORTS, MAC_X1, MAC_X2, MAC_X3, MAC_G1, MAC_G2, MAC_PAUSE, MAC_BCAST,
       MAC_UNKNOWN, MAC_ZERO, MAC_BR2_MAC2, MAC_PR0_MAC2, MAC_BR0_NEW, NB_MACS };
static struct rte_ether_addr macs[NB_MACS];
static const char *const fixed_macs[NB_MACS] = {
	[MAC_X1] = X1, [MAC_X2] = X2, [MAC_X3] = X3, [MAC_G1] = G1, [MAC_G2] = G2,
	[MAC_PAUSE] = "01:80:c2:00:00:01", [MAC_BCAST] = "ff:ff:ff:ff:ff:ff",
	[MAC_UNKNOWN] = "02:99:00:00:00:99", [MAC_ZERO] = "00:00:00:00:00:00",
	[MAC_BR2_MAC2] = BR2_MAC2, [MAC_PR0_MAC2] = PR0_MAC2, [MAC_BR0_NEW] = BR0_NEW_MAC,
};

struct port_state {
	uint16_t id;
	struct rte_ether_addr mac;   /* its MAC now */
	struct rte_ether_addr mac2;  /* a second MAC (mac_addr_add), if has_mac2 */
	bool has_mac2;
	struct rte_ether_addr mc[2];
	struct rte_ether_addr sources[3];
	unsigned int nb_mc, nb_sources;
	bool started, admin_up, promisc, allmulti;
	uint64_t xs_id[8];
};
enum { XS_UC, XS_MC, XS_BC, XS_LOCAL, XS_SPOOF, XS_LOWER_DROP, XS_COPY_FAILED, XS_OVERSIZE };
static const char *const xs_names[] = {
	"rx_unicast_packets", "rx_multicast_packets", "rx_broadcast_packets",
	"tx_local_packets", "tx_spoof_dropped", "tx_lower_dropped", "tx_copy_failed",
	"rx_oversize_dropped",
};

static struct port_state ps[NB_PORTS];
static struct t_env lw[NB_LOWERS];
static const unsigned int lower_port[NB_LOWERS] = { PR0, PT0, PC0 }; /* one port on each */
static uint16_t lower_nb_txq[NB_LOWERS];
static unsigned int wire_capacity[NB_LOWERS][T_MAX_LOWER_Q];
static struct rte_mempool *big_pool, *priv_pool;
static struct fz_snapshot baseline;
static bool verbose;         /* FUZZ_VERBOSE=1: each frame and the model's verdict on stderr */

/* ---- the input's frames and what the model expects of them ---- */

struct fz_frame {
	uint32_t off, len;           /* bytes in frame_data */
	uint64_t hash;               /* of the bytes, to match received frames */
	bool dup;                    /* another frame has the same bytes */
	bool rss;
	uint32_t rss_hash;
	bool priv_pool;              /* its segments from BR2's pool where they fit */
	uint8_t seg_mode, seg_param;
};

struct expect {
	uint16_t frame;
	uint16_t queue;
	uint8_t stream;
	bool got;
};

struct wire_expect {
	uint16_t frame;
};

struct port_count {
	uint64_t ipackets, ibytes, by_class[3];
	uint64_t opackets, obytes, local, spoof, lower_drop, oversize;
};

static uint8_t frame_data[MAX_FRAMES * (MAX_FRAME_LEN + 8)];
static struct fz_frame frames[MAX_FRAMES];
static unsigned int nb_frames;
static struct expect exps[NB_PORTS][MAX_FRAMES * 3];
static unsigned int nb_exps[NB_PORTS], nb_got[NB_PORTS];
static struct wire_expect wexps[NB_LOWERS][T_MAX_LOWER_Q][MAX_FRAMES];
static unsigned int nb_wexps[NB_LOWERS][T_MAX_LOWER_Q];
static struct port_count want[NB_PORTS];
static struct rte_pmd_macvtap_lower_stats want_lower[NB_LOWERS];
static int last_seen[NB_PORTS][MAX_RXQ][NB_STREAMS];

static uint64_t
content_hash(const uint8_t *p, uint32_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static const uint8_t *
fdata(unsigned int f)
{
	return frame_data + frames[f].off;
}

static bool
is_bcast(const uint8_t *a)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return memcmp(a, bcast, 6) == 0;
}

/* 0 unicast, 1 multicast, 2 broadcast: the driver's per-class counters. */
static uint8_t
frame_class(unsigned int f)
{
	const uint8_t *p = fdata(f);

	if (!(p[0] & 1))
		return 0;
	return is_bcast(p) ? 2 : 1;
}

static bool
port_up(unsigned int p)
{
	return ps[p].started && ps[p].admin_up;
}

static bool
port_owns(unsigned int p, const uint8_t *a)
{
	return memcmp(ps[p].mac.addr_bytes, a, 6) == 0 ||
	       (ps[p].has_mac2 && memcmp(ps[p].mac2.addr_bytes, a, 6) == 0);
}

/*
 * The UP port on lower l owning MAC a: what the driver's receive table holds.
 * A zero MAC is nobody's (net_ring lowers have one, and so their passthru port).
 */
static int
up_port_by_mac(unsigned int l, const uint8_t *a)
{
	static const uint8_t zero[6];
	unsigned int p;

	if (memcmp(a, zero, 6) == 0)
		return -1;

	for (p = 0; p < NB_PORTS; p++)
		if (defs[p].lower == l && port_up(p) && port_owns(p, a))
			return p;
	return -1;
}

/* The queue the kernel's tap_get_queue picks: the RSS hash, else the lower queue. */
static uint16_t
model_queue(unsigned int p, unsigned int f, uint16_t hint)
{
	uint16_t n = defs[p].nb_rxq;

	if (n == 1)
		return 0;
	if (frames[f].rss)
		return rte_is_power_of_2(n) ? frames[f].rss_hash & (n - 1) :
		       frames[f].rss_hash % n;
	return hint % n;
}

/* Frame f reaches port p (one with RX queues). */
static void
expect_delivery(unsigned int p, unsigned int f, uint16_t hint, uint8_t stream)
{
	struct expect *e;
	uint16_t mtu;

	/* Longer than the port's MTU, a header and a VLAN tag: dropped, counted. */
	if (rte_eth_dev_get_mtu(ps[p].id, &mtu) != 0)
		fz_fail("%s: cannot read its MTU", defs[p].name);
	if (frames[f].len > (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN) {
		if (verbose)
			fprintf(stderr, "  frame %u -> %s: longer than MTU %u\n", f,
				defs[p].name, mtu);
		want[p].oversize++;
		return;
	}
	if (nb_exps[p] == RTE_DIM(exps[p]))
		fz_fail("%s: more deliveries than the model has room for", defs[p].name);
	e = &exps[p][nb_exps[p]++];
	e->frame = f;
	e->queue = model_queue(p, f, hint);
	e->stream = stream;
	e->got = false;
	if (verbose)
		fprintf(stderr, "  frame %u -> %s queue %u (stream %u)\n", f, defs[p].name,
			e->queue, stream);
	want[p].ipackets++;
	want[p].ibytes += frames[f].len;
	want[p].by_class[frame_class(f)]++;
}


static bool
accepts_group(unsigned int p, const uint8_t *dst)
{
	unsigned int i;

	if (is_bcast(dst) || ps[p].promisc || ps[p].allmulti)
		return true;
	for (i = 0; i < ps[p].nb_mc; i++)
		if (memcmp(ps[p].mc[i].addr_bytes, dst, 6) == 0)
			return true;
	return false;
}

/* Hand f to p by the receive rules: a port without RX queues drops it as no port's. */
static void
rx_to_port(unsigned int p, unsigned int f, uint16_t hint, uint8_t stream,
	   struct rte_pmd_macvtap_lower_stats *ls)
{
	if (defs[p].nb_rxq == 0)
		ls->rx_no_port++;
	else
		expect_delivery(p, f, hint, stream);
}

/*
 * The model of the receive path (spec 1.2, 1.3, 1.6; the guide's "Modes"): a
 * frame lower l received on queue hint, or that a bridge port sent to a bridge
 * port (which re-enters the receive path).
 */
static void
model_rx(unsigned int l, unsigned int f, uint16_t hint, uint8_t stream,
	 struct rte_pmd_macvtap_lower_stats *ls)
{
	const uint8_t *d = fdata(f), *dst = d, *src = d + 6;
	unsigned int p, i, n;
	uint16_t ether_type;
	bool nodst = false;
	uint8_t mask;
	int origin, target;

	ls->rx_packets++;
	if (frames[f].len < RTE_ETHER_HDR_LEN) {
		ls->rx_runt++;
		return;
	}
	ether_type = (uint16_t)(d[12] << 8 | d[13]);
	/* Source mode first: a copy for each UP source port listing src; nodst even when down. */
	for (p = 0; p < NB_PORTS; p++) {
		if (defs[p].lower != l || defs[p].mode != RTE_PMD_MACVTAP_MODE_SOURCE ||
		    (!port_up(p) && !defs[p].nodst))
			continue;
		for (i = 0; i < ps[p].nb_sources; i++) {
			if (memcmp(ps[p].sources[i].addr_bytes, src, 6) != 0)
				continue;
			nodst |= defs[p].nodst;
			if (port_up(p))
				rx_to_port(p, f, hint, stream, ls);
		}
	}
	if (nodst) {
		ls->rx_nodst_dropped++;
		return;
	}
	if (dst[0] & 1) {
		origin = up_port_by_mac(l, src);
		if (origin >= 0 && (defs[origin].mode & (RTE_PMD_MACVTAP_MODE_PRIVATE |
		    RTE_PMD_MACVTAP_MODE_PASSTHRU | RTE_PMD_MACVTAP_MODE_SOURCE))) {
			/* Matrix B: reflected from such a port, it goes back to it alone. */
			rx_to_port(origin, f, hint, stream, ls);
			return;
		}
		if (ether_type == 0x8808) {
			ls->rx_pause++;
			return;
		}
		if (origin < 0)
			mask = RTE_PMD_MACVTAP_MODE_PRIVATE | RTE_PMD_MACVTAP_MODE_VEPA |
			       RTE_PMD_MACVTAP_MODE_BRIDGE | RTE_PMD_MACVTAP_MODE_PASSTHRU;
		else if (defs[origin].mode == RTE_PMD_MACVTAP_MODE_VEPA)
			mask = RTE_PMD_MACVTAP_MODE_VEPA | RTE_PMD_MACVTAP_MODE_BRIDGE;
		else
			mask = RTE_PMD_MACVTAP_MODE_VEPA;
		for (p = 0, n = 0; p < NB_PORTS; p++) {
			if (defs[p].lower != l || !port_up(p) || (int)p == origin ||
			    !(defs[p].mode & mask) || !accepts_group(p, dst))
				continue;
			n++;
			rx_to_port(p, f, hint, stream, ls);
		}
		if (n == 0)
			ls->rx_no_listener++;
		return;
	}
	for (p = 0; p < NB_PORTS; p++) {
		if (defs[p].lower != l || defs[p].mode != RTE_PMD_MACVTAP_MODE_PASSTHRU)
			continue;
		/* Passthru takes every unicast; black-holed while it is down. */
		if (port_up(p))
			rx_to_port(p, f, hint, stream, ls);
		else
			ls->rx_passthru_down++;
		return;
	}
	target = up_port_by_mac(l, dst);
	if (target < 0 || defs[target].mode == RTE_PMD_MACVTAP_MODE_SOURCE)
		ls->rx_no_port++;
	else
		rx_to_port(target, f, hint, stream, ls);
}

/*
 * Frame f from port p to the wire, lower l's TX queue lq; false when that ring
 * is full (the wire is read only after the input) and the lower refuses it.
 */
static bool
expect_wire(unsigned int l, uint16_t lq, unsigned int f, unsigned int p)
{
	struct wire_expect *w;

	if (nb_wexps[l][lq] == wire_capacity[l][lq])
		return false;
	w = &wexps[l][lq][nb_wexps[l][lq]++];
	w->frame = f;
	want[p].opackets++;
	want[p].obytes += frames[f].len;
	return true;
}

/* To the wire from the classified path: what the lower refuses is dropped, counted. */
static void
expect_wire_or_drop(unsigned int l, uint16_t lq, unsigned int f, unsigned int p)
{
	if (!expect_wire(l, lq, f, p))
		want[p].lower_drop++;
}

/*
 * The model of one frame sent by UP port p on TX queue txq (spec 1.4, Matrix
 * C). Returns false when the burst hands it back: a port whose frames only go
 * to the wire keeps the lower's backpressure.
 */
static bool
model_tx(unsigned int p, unsigned int f, uint16_t txq)
{
	unsigned int l = defs[p].lower, q;
	uint16_t lq = txq % lower_nb_txq[l];
	const uint8_t *d = fdata(f);
	int target;

	if (defs[p].mode != RTE_PMD_MACVTAP_MODE_BRIDGE && !defs[p].spoofchk)
		return expect_wire(l, lq, f, p);
	if (frames[f].len < RTE_ETHER_HDR_LEN) {
		want[p].lower_drop++;
		return true;
	}
	if (defs[p].spoofchk && !port_owns(p, d + 6)) {
		want[p].spoof++;
		return true;
	}
	if (defs[p].mode == RTE_PMD_MACVTAP_MODE_BRIDGE) {
		if (d[0] & 1) {
			/*
			 * The other UP bridge ports that accept it get a copy, then the
			 * wire; PAUSE frames are never fanned out (spec 1.3, 1.4).
			 */
			if (d[12] != 0x88 || d[13] != 0x08) {
				for (q = 0; q < NB_PORTS; q++) {
					if (q == p || defs[q].lower != l || !port_up(q) ||
					    defs[q].mode != RTE_PMD_MACVTAP_MODE_BRIDGE ||
					    !accepts_group(q, d))
						continue;
					want[p].local++;
					if (defs[q].nb_rxq != 0)
						expect_delivery(q, f, lq, ST_TX);
				}
			}
		} else {
			target = up_port_by_mac(l, d);
			if (target >= 0 && defs[target].mode == RTE_PMD_MACVTAP_MODE_BRIDGE) {
				/* Bridge to bridge: into the lower's receive path, not the wire. */
				want[p].local++;
				want[p].opackets++;
				want[p].obytes += frames[f].len;
				model_rx(l, f, lq, ST_TX, &want_lower[l]);
				return true;
			}
		}
	}
	expect_wire_or_drop(l, lq, f, p);
	return true;
}

/* ---- building frames ---- */

static void
put_mac(uint8_t *d, uint32_t len, uint32_t at, const struct rte_ether_addr *a)
{
	uint32_t i;

	for (i = 0; i < 6 && at + i < len; i++)
		d[at + i] = a->addr_bytes[i];
}

static uint32_t
insert_tag(uint8_t *d, uint32_t len, const uint8_t *tag, uint32_t tag_len)
{
	if (len < 12)
		return len;
	memmove(d + 12 + tag_len, d + 12, len - 12);
	memcpy(d + 12, tag, tag_len);
	return len + tag_len;
}

/* Segment lengths for frame f: how its bytes are spread over an mbuf chain. */
static unsigned int
plan_segments(const struct fz_frame *fr, uint32_t *seg)
{
	uint32_t len = fr->len, size, left, first;
	unsigned int n = 0;

	switch (fr->seg_mode) {
	case SEG_ONE:
		seg[n++] = len;
		return n;
	case SEG_SPLIT_HEADER:
		/* The header across two segments, possibly an empty first one. */
		first = RTE_MIN(len, (uint32_t)(fr->seg_param & 15));
		seg[n++] = first;
		if (len > first)
			seg[n++] = len - first;
		return n;
	default:
		break;
	}
	size = 1 + (fr->seg_param & 15) * 16;
	size = RTE_MAX(size, (len + MAX_SEGS - 5) / (MAX_SEGS - 4));
	if (fr->seg_mode == SEG_EMPTY_ENDS)
		seg[n++] = 0;
	for (left = len; left > 0; left -= RTE_MIN(left, size))
		seg[n++] = RTE_MIN(left, size);
	if (fr->seg_mode == SEG_EMPTY_ENDS || n == 0)
		seg[n++] = 0;
	return n;
}

/* The mbuf chain of frame f, from the pools, tagged as the lower's RX would. */
static struct rte_mbuf *
build_mbuf(unsigned int f, uint16_t port_tag)
{
	const struct fz_frame *fr = &frames[f];
	uint32_t seg[MAX_SEGS + 2], off = 0;
	struct rte_mbuf *head = NULL, *m;
	unsigned int n = plan_segments(fr, seg), i;
	char *p;

	for (i = 0; i < n; i++) {
		/*
		 * BR2 gets a frame from its own pool without a copy. That pool keeps
		 * enough for the copies into it: the choice depends on the input alone.
		 */
		if (seg[i] > SMALL_ROOM)
			m = rte_pktmbuf_alloc(big_pool);
		else if (fr->priv_pool && rte_mempool_avail_count(priv_pool) > PRIV_RESERVE)
			m = rte_pktmbuf_alloc(priv_pool);
		else
			m = rte_pktmbuf_alloc(t_pool);
		if (m == NULL)
			fz_fail("out of mbufs building frame %u", f);
		p = rte_pktmbuf_append(m, (uint16_t)seg[i]);
		if (p == NULL)
			fz_fail("segment of %u bytes does not fit", seg[i]);
		memcpy(p, fdata(f) + off, seg[i]);
		off += seg[i];
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			fz_fail("cannot chain segment %u", i);
	}
	head->port = port_tag;
	if (fr->rss) {
		head->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		head->hash.rss = fr->rss_hash;
	}
	return head;
}

/* ---- port state ---- */

static void
check0(int ret, const char *what, unsigned int p)
{
	if (ret != 0)
		fz_fail("%s %s: %d", what, defs[p].name, ret);
}

/* Give port p a second MAC, or take it away. */
static void
set_mac2(unsigned int p, const char *mac, bool on)
{
	struct rte_ether_addr a = t_mac(mac);

	if (ps[p].has_mac2 == on)
		return;
	check0(on ? rte_eth_dev_mac_addr_add(ps[p].id, &a, 0) :
	       rte_eth_dev_mac_addr_remove(ps[p].id, &a), "second MAC", p);
	ps[p].mac2 = a;
	ps[p].has_mac2 = on;
}

/* MACs and filters as byte 1 asks. */
static void
apply_state2(uint8_t b)
{
	struct rte_ether_addr br0_mac = t_mac((b & STATE2_BR0_NEW_MAC) ? BR0_NEW_MAC : M("06"));
	struct rte_ether_addr g1 = t_mac(G1);
	unsigned int nb_mc = (b & STATE2_VE1_GROUP) ? 1 : 0;

	set_mac2(BR2, BR2_MAC2, (b & STATE2_BR2_MAC2) != 0);
	set_mac2(PR0, PR0_MAC2, (b & STATE2_PR0_MAC2) != 0);
	if (ps[VE1].nb_mc != nb_mc) {
		check0(rte_eth_dev_set_mc_addr_list(ps[VE1].id, nb_mc ? &g1 : NULL, nb_mc),
		       "mc list", VE1);
		ps[VE1].mc[0] = g1;
		ps[VE1].nb_mc = nb_mc;
	}
	if (!rte_is_same_ether_addr(&ps[BR0].mac, &br0_mac)) {
		check0(rte_eth_dev_default_mac_addr_set(ps[BR0].id, &br0_mac), "MAC set", BR0);
		ps[BR0].mac = br0_mac;
	}
}

/* Put the ports in the state bytes 0 and 1 ask for; read back what the model needs. */
static void
apply_state(uint8_t b, uint8_t b2)
{
	bool want_started[NB_PORTS], want_up[NB_PORTS], want_promisc[NB_PORTS];
	bool want_allmulti[NB_PORTS];
	struct rte_eth_link link;
	unsigned int p;

	for (p = 0; p < NB_PORTS; p++) {
		want_started[p] = true;
		want_up[p] = true;
		want_promisc[p] = false;
		want_allmulti[p] = false;
	}
	want_up[PR1] = !(b & STATE_PR1_DOWN);
	want_promisc[VE1] = !(b & STATE_VE1_NOT_PROMISC);
	want_allmulti[VE2] = want_allmulti[PT0] = (b & STATE_ALLMULTI) != 0;
	want_up[SO1] = !(b & STATE_SO1_DOWN);
	want_up[BR3] = (b & STATE_BR3_UP) != 0;
	want_up[PT0] = !(b & STATE_PT0_DOWN);
	want_up[SO0] = !(b & STATE_SO0_DOWN);
	want_started[VE0] = !(b & STATE_VE0_STOPPED);
	want_promisc[BR1] = (b2 & STATE2_BR1_PROMISC) != 0;
	want_up[PC1] = !(b2 & STATE2_PC1_DOWN);
	want_promisc[PC0] = (b2 & STATE2_PC0_PROMISC) != 0;
	apply_state2(b2);

	for (p = 0; p < NB_PORTS; p++) {
		uint16_t id = ps[p].id;

		if (ps[p].admin_up != want_up[p]) {
			check0(want_up[p] ? rte_eth_dev_set_link_up(id) :
			       rte_eth_dev_set_link_down(id), "set link", p);
			ps[p].admin_up = want_up[p];
		}
		if (ps[p].started != want_started[p]) {
			check0(want_started[p] ? rte_eth_dev_start(id) : rte_eth_dev_stop(id),
			       "start/stop", p);
			ps[p].started = want_started[p];
		}
		if (rte_eth_promiscuous_get(id) != want_promisc[p])
			check0(want_promisc[p] ? rte_eth_promiscuous_enable(id) :
			       rte_eth_promiscuous_disable(id), "promiscuous", p);
		if (rte_eth_allmulticast_get(id) != want_allmulti[p])
			check0(want_allmulti[p] ? rte_eth_allmulticast_enable(id) :
			       rte_eth_allmulticast_disable(id), "allmulticast", p);
		ps[p].promisc = rte_eth_promiscuous_get(id) == 1;
		ps[p].allmulti = rte_eth_allmulticast_get(id) == 1;
		if (verbose)
			fprintf(stderr, "%s: %s%s%s%s\n", defs[p].name,
				ps[p].started ? "started" : "stopped",
				ps[p].admin_up ? ", link up" : ", link down",
				ps[p].promisc ? ", promiscuous" : "",
				ps[p].allmulti ? ", allmulticast" : "");
		/* The port's link is its own state and the lower's (up). */
		if (rte_eth_link_get_nowait(id, &link) != 0 ||
		    link.link_status != (port_up(p) ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN))
			fz_fail("%s: link %s, the port is %s", defs[p].name,
				link.link_status ? "up" : "down", port_up(p) ? "up" : "down");
	}
}

/* ---- collecting and checking ---- */

static uint8_t rx_buf[MAX_FRAME_LEN + 64];

static void
check_mbuf(const struct rte_mbuf *m, const char *where)
{
	const char *reason;

	if (rte_mbuf_check(m, 1, &reason) != 0)
		fz_fail("%s: malformed mbuf: %s", where, reason);
	if (rte_pktmbuf_pkt_len(m) > MAX_FRAME_LEN)
		fz_fail("%s: a frame of %u bytes, longer than any sent", where,
			rte_pktmbuf_pkt_len(m));
}

static const uint8_t *
mbuf_bytes(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), rx_buf);

	if (p == NULL && rte_pktmbuf_pkt_len(m) != 0)
		fz_fail("cannot read a frame of %u bytes", rte_pktmbuf_pkt_len(m));
	return p;
}

static bool
same_bytes(unsigned int f, const uint8_t *p, uint32_t len, uint64_t h)
{
	return frames[f].len == len && frames[f].hash == h &&
	       (len == 0 || memcmp(fdata(f), p, len) == 0);
}

/* A frame port p got on queue q: the model's earliest match, in order. */
static void
received(unsigned int p, uint16_t q, const struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *b;
	struct expect *e = NULL;
	unsigned int i;
	uint64_t h;
	int *last;

	check_mbuf(m, defs[p].name);
	if (m->port != ps[p].id)
		fz_fail("%s (port %u) got a frame tagged port %u", defs[p].name, ps[p].id,
			m->port);
	b = mbuf_bytes(m);
	h = content_hash(b, len);
	for (i = 0; i < nb_exps[p] && e == NULL; i++)
		if (!exps[p][i].got && exps[p][i].queue == q &&
		    same_bytes(exps[p][i].frame, b, len, h))
			e = &exps[p][i];
	if (e == NULL) {
		for (i = 0; i < nb_exps[p]; i++) {
			if (!exps[p][i].got && same_bytes(exps[p][i].frame, b, len, h)) {
				fz_hexdump("frame", b, len);
				fz_fail("%s got frame %u on queue %u, the model says queue %u",
					defs[p].name, exps[p][i].frame, q, exps[p][i].queue);
			}
		}
		for (i = 0; i < nb_frames; i++)
			if (same_bytes(i, b, len, h))
				break;
		fz_hexdump("frame", b, len);
		if (i < nb_frames)
			fz_fail("%s got frame %u (or one more copy of it) on queue %u: the "
				"model says it must not", defs[p].name, i, q);
		fz_fail("%s got a frame that was never sent (bytes changed?)", defs[p].name);
	}
	e->got = true;
	nb_got[p]++;
	if (frames[e->frame].dup)
		return;
	last = &last_seen[p][q][e->stream];
	if ((int)e->frame < *last)
		fz_fail("%s queue %u: frame %u arrived after frame %u of the same stream %u",
			defs[p].name, q, e->frame, *last, e->stream);
	*last = e->frame;
}

/*
 * Poll every started port until nothing comes and the lowers' RX rings are
 * empty. Burst sizes vary (with the input's seed) from 1 to 32: a reader with
 * little room gets part of its frames directly, the rest through its ring.
 */
static void
collect(unsigned int seed)
{
	struct rte_mbuf *m[32];
	unsigned int idle = 0, rounds = 0, got, p, l, k, i;
	uint16_t q, burst;
	bool pending;

	for (;;) {
		got = 0;
		for (p = 0; p < NB_PORTS; p++) {
			if (!ps[p].started)
				continue;
			for (q = 0; q < defs[p].nb_rxq; q++) {
				burst = idle > 0 ? RTE_DIM(m) :
					1 + (rounds * 13 + p * 7 + q * 3 + seed) % RTE_DIM(m);
				k = rte_eth_rx_burst(ps[p].id, q, m, burst);
				for (i = 0; i < k; i++)
					received(p, q, m[i]);
				rte_pktmbuf_free_bulk(m, k);
				got += k;
			}
		}
		idle = got == 0 ? idle + 1 : 0;
		pending = false;
		for (l = 0; l < NB_LOWERS; l++)
			for (q = 0; q < lw[l].nb_q; q++)
				pending |= rte_ring_count(lw[l].rx[q]) != 0;
		if (idle >= 3 && !pending)
			break;
		if (++rounds > 100000)
			fz_fail("the lowers' RX rings never drained");
	}
}

/* Frame #next on lower l's TX queue q: the one the model expects there next. */
static void
wire_frame(unsigned int l, uint16_t q, unsigned int next, const struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *b;

	check_mbuf(m, "wire");
	b = mbuf_bytes(m);
	if (next < nb_wexps[l][q] &&
	    same_bytes(wexps[l][q][next].frame, b, len, content_hash(b, len)))
		return;
	fz_hexdump("frame", b, len);
	fz_fail("lower %u TX queue %u: frame #%u on the wire is not the one the model expects "
		"(%s)", l, q, next, next == nb_wexps[l][q] ? "none more" : "another");
}

/* What went to the wire, against the model, in order per lower TX queue. */
static void
check_wire(void)
{
	struct rte_mbuf *m[64];
	unsigned int l, k, i, next;
	uint16_t q;

	for (l = 0; l < NB_LOWERS; l++) {
		for (q = 0; q < lw[l].nb_q; q++) {
			next = 0;
			while ((k = rte_ring_dequeue_burst(lw[l].tx[q], (void **)m, RTE_DIM(m),
							   NULL)) != 0) {
				for (i = 0; i < k; i++)
					wire_frame(l, q, next++, m[i]);
				rte_pktmbuf_free_bulk(m, k);
			}
			if (next != nb_wexps[l][q])
				fz_fail("lower %u TX queue %u: %u frames on the wire, the model "
					"says %u (first missing: frame %u)", l, q, next,
					nb_wexps[l][q], wexps[l][q][next].frame);
		}
	}
}

static void
check_eq(uint64_t got, uint64_t expected, const char *who, const char *what)
{
	if (got != expected)
		fz_fail("%s: %s %" PRIu64 ", the model says %" PRIu64, who, what, got, expected);
}

static void
check_counters(const struct rte_pmd_macvtap_lower_stats *lower_before)
{
	struct rte_pmd_macvtap_lower_stats now;
	const uint64_t *a, *b, *w;
	static const char *const lower_names[] = {
		"rx_packets", "rx_no_port", "rx_no_listener", "rx_runt", "rx_pause",
		"rx_nodst_dropped", "rx_passthru_down", "rx_copy_failed",
	};
	struct rte_eth_stats st;
	uint64_t xs[RTE_DIM(xs_names)];
	unsigned int p, l, i;
	uint16_t q;

	for (p = 0; p < NB_PORTS; p++) {
		const char *who = defs[p].name;
		struct rte_ring *r;

		if (rte_eth_stats_get(ps[p].id, &st) != 0 ||
		    rte_eth_xstats_get_by_id(ps[p].id, ps[p].xs_id, xs, RTE_DIM(xs)) !=
		    (int)RTE_DIM(xs))
			fz_fail("%s: cannot read counters", who);
		if (defs[p].lossy) {
			check_eq(st.ipackets, nb_got[p], who, "ipackets (frames it got)");
			check_eq(st.ipackets + st.imissed, want[p].ipackets, who,
				 "ipackets + imissed");
		} else {
			for (i = 0; i < nb_exps[p]; i++) {
				if (!exps[p][i].got) {
					fz_hexdump("frame", fdata(exps[p][i].frame),
						   frames[exps[p][i].frame].len);
					fz_fail("%s: frame %u never arrived on queue %u", who,
						exps[p][i].frame, exps[p][i].queue);
				}
			}
			check_eq(st.ipackets, want[p].ipackets, who, "ipackets");
			check_eq(st.ibytes, want[p].ibytes, who, "ibytes");
			check_eq(st.imissed, 0, who, "imissed");
			check_eq(xs[XS_UC], want[p].by_class[0], who, "rx_unicast_packets");
			check_eq(xs[XS_MC], want[p].by_class[1], who, "rx_multicast_packets");
			check_eq(xs[XS_BC], want[p].by_class[2], who, "rx_broadcast_packets");
			for (q = 0; q < defs[p].nb_rxq; q++) {
				uint64_t n = 0;

				for (i = 0; i < nb_exps[p]; i++)
					n += exps[p][i].queue == q;
				if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS)
					check_eq(st.q_ipackets[q], n, who, "q_ipackets of a queue");
			}
		}
		check_eq(st.rx_nombuf, 0, who, "rx_nombuf");
		check_eq(st.opackets, want[p].opackets, who, "opackets");
		check_eq(st.obytes, want[p].obytes, who, "obytes");
		check_eq(xs[XS_LOCAL], want[p].local, who, "tx_local_packets");
		check_eq(xs[XS_SPOOF], want[p].spoof, who, "tx_spoof_dropped");
		check_eq(xs[XS_LOWER_DROP], want[p].lower_drop, who, "tx_lower_dropped");
		check_eq(xs[XS_COPY_FAILED], 0, who, "tx_copy_failed");
		check_eq(st.oerrors, want[p].spoof + want[p].lower_drop, who, "oerrors");
		check_eq(xs[XS_OVERSIZE], want[p].oversize, who, "rx_oversize_dropped");
		check_eq(st.ierrors, want[p].oversize, who, "ierrors");
		for (i = 0; i < defs[p].nb_rxq; i++) {
			r = rte_pmd_macvtap_get_rx_ring(ps[p].id, i);
			if (r == NULL || rte_ring_count(r) != 0)
				fz_fail("%s: queue %u ring not empty after the poll", who, i);
		}
	}
	for (l = 0; l < NB_LOWERS; l++) {
		if (rte_pmd_macvtap_get_lower_stats(ps[lower_port[l]].id, &now) != 0)
			fz_fail("lower %u: no counters", l);
		a = (const uint64_t *)&now;
		b = (const uint64_t *)&lower_before[l];
		w = (const uint64_t *)&want_lower[l];
		for (i = 0; i < RTE_DIM(lower_names); i++) {
			char who[32];

			snprintf(who, sizeof(who), "lower %c", 'A' + l);
			check_eq(a[i] - b[i], w[i], who, lower_names[i]);
		}
	}
}

static void
check_pools(void)
{
	struct rte_mempool *pools[] = {
		t_pool, big_pool, priv_pool,
		rte_pmd_macvtap_get_lower_mempool(ps[PR0].id),
		rte_pmd_macvtap_get_lower_mempool(ps[PT0].id),
		rte_pmd_macvtap_get_lower_mempool(ps[PC0].id),
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(pools); i++) {
		if (pools[i] == NULL)
			fz_fail("pool %u missing", i);
		if (!rte_mempool_full(pools[i]))
			fz_fail("mempool %s: %u mbufs not back", pools[i]->name,
				rte_mempool_in_use_count(pools[i]));
	}
}

/* ---- the input ---- */

struct tx_burst {
	unsigned int port;
	uint16_t txq;
	unsigned int n;
	uint16_t frame[64];
};

static void
flush_tx(struct tx_burst *t)
{
	struct rte_mbuf *m[64];
	unsigned int i, p = t->port, taken = 0;
	uint16_t sent;

	if (t->n == 0)
		return;
	if (!ps[p].started) {
		/* ethdev's stub for a stopped port: nothing of the driver's to test. */
		t->n = 0;
		return;
	}
	for (i = 0; i < t->n; i++)
		m[i] = build_mbuf(t->frame[i], 0);
	/* A down port takes nothing; an up one all but what the lower hands back. */
	for (i = 0; i < t->n && port_up(p); i++)
		taken += model_tx(p, t->frame[i], t->txq);
	sent = rte_eth_tx_burst(ps[p].id, t->txq, m, (uint16_t)t->n);
	if (verbose)
		fprintf(stderr, "tx burst of %u frames from %s queue %u: %u sent\n", t->n,
			defs[p].name, t->txq, sent);
	if (sent != taken) {
		rte_pktmbuf_free_bulk(m + sent, t->n - sent);
		fz_fail("%s: tx burst took %u of %u frames, the model says %u (the port is %s)",
			defs[p].name, sent, t->n, taken, port_up(p) ? "up" : "down");
	}
	rte_pktmbuf_free_bulk(m + sent, t->n - sent);
	t->n = 0;
}

/* Frame bytes from one record; returns the bytes of the input it used. */
static size_t
parse_frame(const uint8_t *h, const uint8_t *data, size_t avail, unsigned int f)
{
	struct fz_frame *fr = &frames[f];
	uint8_t *d = frame_data + f * (MAX_FRAME_LEN + 8);
	uint32_t n = RTE_MIN((uint32_t)h[1], (uint32_t)avail), pad = 0, len, i;
	uint16_t tci = (uint16_t)(h[4] << 8 | h[5]);
	uint8_t tag[8];

	memcpy(d, data, n);
	if (h[0] & 0x80)
		pad = (h[5] >> 4) * PAD_UNIT;
	for (i = 0; i < pad; i++)
		d[n + i] = (uint8_t)(i * 7 + f);
	len = n + pad;
	switch ((h[0] >> 4) & 7) {
	case RW_DST:
		put_mac(d, len, 0, &macs[h[2] % NB_MACS]);
		break;
	case RW_SRC:
		put_mac(d, len, 6, &macs[h[3] % NB_MACS]);
		break;
	case RW_BOTH:
	case RW_VLAN:
	case RW_QINQ:
	case RW_PAUSE:
		put_mac(d, len, 0, &macs[h[2] % NB_MACS]);
		put_mac(d, len, 6, &macs[h[3] % NB_MACS]);
		break;
	case RW_BCAST:
		put_mac(d, len, 0, &macs[MAC_BCAST]);
		put_mac(d, len, 6, &macs[h[3] % NB_MACS]);
		break;
	default:
		break;
	}
	switch ((h[0] >> 4) & 7) {
	case RW_VLAN:
		tag[0] = 0x81, tag[1] = 0x00, tag[2] = tci >> 8, tag[3] = tci & 0xff;
		len = insert_tag(d, len, tag, 4);
		break;
	case RW_QINQ:
		tag[0] = 0x88, tag[1] = 0xa8, tag[2] = tci >> 8, tag[3] = tci & 0xff;
		tag[4] = 0x81, tag[5] = 0x00, tag[6] = 0, tag[7] = tci & 0xff;
		len = insert_tag(d, len, tag, 8);
		break;
	case RW_PAUSE:
		if (len >= 14)
			d[12] = 0x88, d[13] = 0x08;
		break;
	default:
		break;
	}
	fr->off = d - frame_data;
	fr->len = len;
	fr->hash = content_hash(d, len);
	fr->seg_mode = (h[0] >> 2) & 3;
	fr->seg_param = h[5];
	fr->rss = h[6] & 1;
	fr->priv_pool = (h[6] & 2) != 0;
	fr->rss_hash = (uint32_t)h[6] * 0x01000193u ^ (uint32_t)h[2] << 16;
	fr->dup = false;
	for (i = 0; i < f; i++) {
		if (same_bytes(i, d, len, fr->hash)) {
			fr->dup = true;
			frames[i].dup = true;
		}
	}
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_pmd_macvtap_lower_stats lower_before[NB_LOWERS];
	struct tx_burst tx = { .n = 0 };
	unsigned int p, q, s, kind, l;
	size_t pos = 2;

	if (size < 2)
		return 0;
	apply_state(data[0], data[1]);
	for (p = 0; p < NB_PORTS; p++) {
		check0(rte_eth_stats_reset(ps[p].id), "stats reset", p);
		nb_exps[p] = nb_got[p] = 0;
		memset(&want[p], 0, sizeof(want[p]));
		for (q = 0; q < MAX_RXQ; q++)
			for (s = 0; s < NB_STREAMS; s++)
				last_seen[p][q][s] = -1;
	}
	for (l = 0; l < NB_LOWERS; l++) {
		memset(&want_lower[l], 0, sizeof(want_lower[l]));
		memset(nb_wexps[l], 0, sizeof(nb_wexps[l]));
		if (rte_pmd_macvtap_get_lower_stats(ps[lower_port[l]].id,
						    &lower_before[l]) != 0)
			fz_fail("lower %u: no counters", l);
	}

	nb_frames = 0;
	while (pos + HDR_LEN <= size && nb_frames < MAX_FRAMES) {
		const uint8_t *h = data + pos;
		unsigned int f = nb_frames++;
		struct rte_mbuf *m;

		pos += HDR_LEN;
		pos += parse_frame(h, data + pos, size - pos, f);
		kind = h[0] & 3;
		if (verbose) {
			fprintf(stderr, "frame %u: kind %u, %u bytes, segmentation %u%s\n", f, kind,
				frames[f].len, frames[f].seg_mode, frames[f].rss ? ", rss" : "");
			fz_hexdump("bytes", fdata(f), frames[f].len);
		}
		if (kind == 3) {
			unsigned int port = h[4] % NB_PORTS;
			uint16_t txq = (h[4] / NB_PORTS) % defs[port].nb_txq;

			if (tx.n != 0 && (tx.port != port || tx.txq != txq || tx.n == 64))
				flush_tx(&tx);
			tx.port = port;
			tx.txq = txq;
			tx.frame[tx.n++] = (uint16_t)f;
			continue;
		}
		/* Kind 2: lower B, or lower C when h[4] is odd. */
		l = kind != 2 ? LOWER_A : (h[4] & 1) ? LOWER_C : LOWER_B;
		q = kind == 2 ? 0 : kind;
		model_rx(l, f, q, (uint8_t)(kind != 2 ? kind : ST_RX_B + l - LOWER_B),
			 &want_lower[l]);
		m = build_mbuf(f, lw[l].lower);
		if (rte_ring_enqueue(lw[l].rx[q], m) != 0)
			fz_fail("lower RX ring full");
	}
	flush_tx(&tx);

	collect(data[0] ^ data[1]);
	check_wire();
	check_counters(lower_before);
	check_pools();
	fz_snapshot_check(&baseline, "after the input");
	return 0;
}

/* ---- set-up and teardown ---- */

static void
teardown(void)
{
	unsigned int p, l;
	uint16_t q;

	for (p = 0; p < NB_PORTS; p++) {
		if (!rte_eth_dev_is_valid_port(ps[p].id))
			continue;
		rte_eth_dev_stop(ps[p].id);
		rte_eth_dev_close(ps[p].id);
		rte_vdev_uninit(defs[p].name);
	}
	for (l = 0; l < NB_LOWERS; l++) {
		rte_eth_dev_stop(lw[l].lower);
		rte_eth_dev_close(lw[l].lower);
		rte_vdev_uninit(lw[l].lower_name);
		for (q = 0; q < lw[l].nb_q; q++) {
			rte_ring_free(lw[l].rx[q]);
			rte_ring_free(lw[l].tx[q]);
		}
	}
	rte_mempool_free(t_pool);
	rte_mempool_free(big_pool);
	rte_mempool_free(priv_pool);
}

static void
setup_port(unsigned int p)
{
	const struct port_def *d = &defs[p];
	struct port_state *s = &ps[p];
	struct rte_eth_conf conf;
	char args[256];
	unsigned int i;
	uint16_t q;

	snprintf(args, sizeof(args), "iface=%s,%s", lw[d->lower].lower_name, d->args);
	check0(rte_vdev_init(d->name, args), "probe", p);
	check0(rte_eth_dev_get_port_by_name(d->name, &s->id), "port id", p);
	if (rte_pmd_macvtap_get_mode(s->id) != d->mode)
		fz_fail("%s: mode %d", d->name, rte_pmd_macvtap_get_mode(s->id));
	memset(&conf, 0, sizeof(conf));
	check0(rte_eth_dev_configure(s->id, d->nb_rxq, d->nb_txq, &conf), "configure", p);
	for (q = 0; q < d->nb_rxq; q++)
		check0(rte_eth_rx_queue_setup(s->id, q, d->nb_rxd, 0, NULL,
					      d->priv_pool ? priv_pool : t_pool), "rxq", p);
	for (q = 0; q < d->nb_txq; q++)
		check0(rte_eth_tx_queue_setup(s->id, q, 0, 0, NULL), "txq", p);
	for (i = 0; i < RTE_DIM(d->mc) && d->mc[i] != NULL; i++)
		s->mc[s->nb_mc++] = t_mac(d->mc[i]);
	if (s->nb_mc != 0)
		check0(rte_eth_dev_set_mc_addr_list(s->id, s->mc, s->nb_mc), "mc list", p);
	for (i = 0; i < RTE_DIM(d->sources) && d->sources[i] != NULL; i++)
		s->sources[s->nb_sources++] = t_mac(d->sources[i]);
	check0(rte_eth_dev_start(s->id), "start", p);
	s->started = true;
	s->admin_up = true;
	rte_eth_macaddr_get(s->id, &s->mac);
	for (i = 0; i < RTE_DIM(xs_names); i++)
		check0(rte_eth_xstats_get_id_by_name(s->id, xs_names[i], &s->xs_id[i]),
		       xs_names[i], p);
}

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv __rte_unused)
{
	struct rte_eth_dev_info info;
	unsigned int p, i, l;

	/* Two lcores (on one CPU): lower A gets two queues. */
	fz_eal_init(2, teardown);
	verbose = getenv("FUZZ_VERBOSE") != NULL && strcmp(getenv("FUZZ_VERBOSE"), "1") == 0;
	t_pool = rte_pktmbuf_pool_create("fz_small", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	big_pool = rte_pktmbuf_pool_create("fz_big", 1023, 0, 0,
					   BIG_ROOM + RTE_PKTMBUF_HEADROOM, 0);
	/* A pool with a private area, as OVS-DPDK's: the port gets copies into it. */
	priv_pool = rte_pktmbuf_pool_create("fz_priv", 4095, 0, 64, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (t_pool == NULL || big_pool == NULL || priv_pool == NULL)
		fz_fail("cannot create the pools");
	/* Small TX rings on lower A's queue 1 and on lower B: the wire can refuse. */
	fz_lower_create(&lw[LOWER_A], "fza", 2, (const unsigned int []){ 4096, 64 });
	fz_lower_create(&lw[LOWER_B], "fzb", 1, (const unsigned int []){ 64 });
	fz_lower_create(&lw[LOWER_C], "fzc", 1, NULL);
	for (l = 0; l < NB_LOWERS; l++)
		for (i = 0; i < lw[l].nb_q; i++)
			wire_capacity[l][i] = rte_ring_get_capacity(lw[l].tx[i]);
	for (p = 0; p < NB_PORTS; p++)
		setup_port(p);
	for (l = 0; l < NB_LOWERS; l++) {
		/* The driver configured the lower: as many TX queues as it found. */
		if (rte_eth_dev_info_get(lw[l].lower, &info) != 0)
			fz_fail("lower %u: no info", l);
		lower_nb_txq[l] = info.nb_tx_queues;
		if (info.nb_tx_queues != lw[l].nb_q || info.nb_rx_queues != lw[l].nb_q)
			fz_fail("lower %u: %u queues, want %u (are there 2 lcores?)", l,
				lower_nb_txq[l], lw[l].nb_q);
	}
	for (i = 0; i < NB_MACS; i++) {
		if (i < NB_PORTS)
			macs[i] = ps[i].mac;
		else if (i == MAC_LOWER_A)
			rte_eth_macaddr_get(lw[LOWER_A].lower, &macs[i]);
		else
			macs[i] = t_mac(fixed_macs[i]);
	}
	apply_state(0, 0);
	fz_snapshot_take(&baseline);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Concurrency stress: eight ports of mixed modes (four bridge, two vepa, two
 * private) share one lower with two queues; half of them belong to the main
 * lcore, half to a worker. Both lcores receive, transmit and inject frames
 * "from the wire" at once for a bounded time, while the main lcore also swaps
 * the receive table (allmulticast toggles) and reads counters.
 *
 * Every frame carries (flow, sequence number); a flow is one sender (a port,
 * or the wire injector of one lcore) and one destination (a port's MAC, a
 * host nobody owns, broadcast). Who must get each flow follows from the
 * spec's matrices A and C. At the end: no frame at a wrong receiver, none
 * duplicated or reordered within its flow, none altered; every frame that a
 * receiver missed is accounted for by a drop counter; counters agree with
 * what the receivers saw; both mempools are full.
 *
 * Run: test_concurrency <EAL args, -l 0-1> [-- test-name-substring]
 * MACVTAP_STRESS_SECONDS sets the traffic time (default 10).
 */

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "harness.h"
#include "rte_pmd_macvtap.h"

#define NB_PORTS 8
#define NB_LCORES 2
#define NB_SENDERS (NB_PORTS + NB_LCORES)  /* the ports, then one wire injector per lcore */
#define DST_EXT NB_PORTS                   /* a host on the wire that no port owns */
#define DST_BCAST (NB_PORTS + 1)
#define NB_DSTS (NB_PORTS + 2)
#define NB_FLOWS (NB_SENDERS * NB_DSTS)
#define RX_WIRE NB_PORTS                   /* receiver index of the wire */
#define NB_RECEIVERS (NB_PORTS + 1)
#define BIT(i) (1u << (i))

#define FRAME_MAGIC 0x4d565453u
#define ETHER_TYPE_TEST 0x88b5             /* local experimental */
#define BURST 32
#define SEND_BURST 16
#define SMALL_RING 16
#define INJECT_LOW_WATER 256               /* inject while the lower's RX ring holds fewer */
#define CHURN_EVERY 64                     /* main-lcore iterations between table swaps */
#define STATS_EVERY 256                    /* ... between counter reads */
#define PACE_SLACK 16                      /* send rounds one lcore may be ahead */
#define SLOW_WIRE_EPOCH 256                /* main-lcore iterations of one wire regime */
#define SLOW_WIRE_EVERY 8                  /* one epoch in this many has a slow wire */
#define DEFAULT_SECONDS 10.0

struct port_spec {
	const char *mode;
	uint16_t nb_q;
	uint16_t ring;       /* RX ring size */
	unsigned int lcore;  /* 0: main, 1: worker */
};

/*
 * Bridge ports on both lcores, with one and two queues, so that bridge-local
 * delivery crosses lcores and lower queues; vepa and private on both too. One
 * bridge port has small rings: it drops, and the drops must be counted.
 */
static const struct port_spec port_specs[NB_PORTS] = {
	{ "bridge", 1, 1024, 0 }, { "bridge", 2, 1024, 0 },
	{ "vepa", 1, 1024, 0 }, { "private", 2, 1024, 0 },
	{ "bridge", 2, 1024, 1 }, { "bridge", 1, SMALL_RING, 1 },
	{ "vepa", 2, 1024, 1 }, { "private", 1, 1024, 1 },
};
#define CHURN_PORT 2  /* a main-lcore vepa port: its allmulticast flag swaps the table */

/* What follows the Ethernet header of every test frame. */
struct stress_payload {
	uint32_t magic;
	uint16_t flow;
	uint16_t len;        /* the frame's length as sent */
	uint32_t seq;        /* from 1 in each flow */
	uint32_t check;      /* from flow and seq; the filler bytes follow from it */
};
#define HDR_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct stress_payload))

struct flow {
	uint16_t sender;
	uint16_t dst;
	uint32_t expect;             /* receivers that must get it, a bit each */
	struct rte_ether_addr dmac, smac;
};

struct lcore_ctx {
	unsigned int idx;
	uint64_t rng;
	uint64_t iterations;
	uint64_t sends;              /* iterations that sent: the other lcore paces on it */
	uint64_t received;
	uint64_t refused;            /* frames a tx burst or the lower's RX ring did not take */
	unsigned int nb_errors;
	char error[256];
};

static struct t_env env;
static uint16_t port_ids[NB_PORTS];
static struct flow flows[NB_FLOWS];
static struct lcore_ctx ctx[NB_LCORES];
/* Each written by one lcore only: a flow's by its sender's, a receiver's by its owner's. */
static uint32_t next_seq[NB_FLOWS];
static uint32_t last_seq[NB_FLOWS][NB_RECEIVERS];
static uint64_t got[NB_FLOWS][NB_RECEIVERS];
static uint64_t rx_total[NB_RECEIVERS];       /* every frame a receiver read, right or wrong */
static uint64_t tx_accepted[NB_PORTS];        /* frames each port's tx burst took */
static uint32_t traffic_stop, poll_stop;
static uint64_t deadline;

static inline uint64_t
rnd(struct lcore_ctx *c)
{
	/* xorshift64*: cheap, per lcore, good enough to pick flows. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545F4914F6CDD1DULL;
}

static void __rte_format_printf(2, 3)
fail(struct lcore_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->nb_errors++ != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
}

static bool
is_bridge(unsigned int p)
{
	return strcmp(port_specs[p].mode, "bridge") == 0;
}

static struct rte_ether_addr
port_mac(unsigned int p)
{
	struct rte_ether_addr a = {{ 0x02, 0x00, 0x00, 0x5a, 0x00, (uint8_t)(p + 1) }};

	return a;
}

/*
 * Who must get a flow, from the spec: Matrix A for frames from the wire with
 * an external source, Matrix C for frames a port sends.
 */
static uint32_t
expected_receivers(unsigned int sender, unsigned int dst)
{
	uint32_t mask = 0;
	unsigned int p;

	if (sender >= NB_PORTS) {
		if (dst < NB_PORTS)
			return BIT(dst);                      /* A1 */
		if (dst == DST_EXT)
			return 0;                             /* A3: lower_rx_no_port_dropped */
		return BIT(NB_PORTS) - 1;                     /* A6: every UP port */
	}
	if (dst < NB_PORTS)
		return is_bridge(sender) && is_bridge(dst) ? BIT(dst) : BIT(RX_WIRE);
	if (dst == DST_EXT)
		return BIT(RX_WIRE);
	mask = BIT(RX_WIRE);
	if (is_bridge(sender))
		for (p = 0; p < NB_PORTS; p++)
			if (p != sender && is_bridge(p))
				mask |= BIT(p);
	return mask;
}

static void
flows_init(void)
{
	unsigned int s, d;

	for (s = 0; s < NB_SENDERS; s++) {
		for (d = 0; d < NB_DSTS; d++) {
			struct flow *f = &flows[s * NB_DSTS + d];

			f->sender = s;
			f->dst = d;
			f->expect = expected_receivers(s, d);
			if (d < NB_PORTS)
				f->dmac = port_mac(d);
			else if (d == DST_EXT)
				f->dmac = t_mac("02:ee:00:00:00:99");
			else
				f->dmac = t_mac("ff:ff:ff:ff:ff:ff");
			if (s < NB_PORTS) {
				f->smac = port_mac(s);
			} else {
				/* One external host per injector. */
				f->smac = t_mac("02:ee:00:00:01:00");
				f->smac.addr_bytes[5] = (uint8_t)(s - NB_PORTS + 1);
			}
		}
	}
}

static inline uint32_t
flow_check(uint32_t flow, uint32_t seq)
{
	return (flow * 0x9e3779b1u) ^ (seq * 0x85ebca6bu) ^ 0x5bd1e995u;
}

/* Fill m (empty) with frame seq of flow f. */
static int
build(struct rte_mbuf *m, unsigned int f, uint32_t seq)
{
	const struct flow *fl = &flows[f];
	uint16_t len = (uint16_t)(64 + (seq * 7 + f) % 64);
	struct stress_payload pl;
	struct rte_ether_hdr eh;
	uint8_t *p;
	unsigned int i;

	p = (uint8_t *)rte_pktmbuf_append(m, len);
	if (p == NULL)
		return -1;
	eh.dst_addr = fl->dmac;
	eh.src_addr = fl->smac;
	eh.ether_type = rte_cpu_to_be_16(ETHER_TYPE_TEST);
	pl.magic = FRAME_MAGIC;
	pl.flow = (uint16_t)f;
	pl.len = len;
	pl.seq = seq;
	pl.check = flow_check(f, seq);
	memcpy(p, &eh, sizeof(eh));
	memcpy(p + sizeof(eh), &pl, sizeof(pl));
	for (i = HDR_LEN; i < len; i++)
		p[i] = (uint8_t)(pl.check + i);
	return 0;
}

/* A frame that receiver r read: check it against its flow, record it. */
static void
take(struct lcore_ctx *c, unsigned int r, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;
	struct stress_payload pl;
	const struct flow *fl;
	const uint8_t *p;
	unsigned int i;

	rx_total[r]++;
	c->received++;
	if (m->nb_segs != 1 || m->data_len < HDR_LEN) {
		fail(c, "receiver %u: a frame of %u bytes in %u segments", r, m->pkt_len,
		     m->nb_segs);
		return;
	}
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	eh = (const struct rte_ether_hdr *)p;
	memcpy(&pl, p + sizeof(*eh), sizeof(pl));
	if (pl.magic != FRAME_MAGIC || pl.flow >= NB_FLOWS || pl.len != m->pkt_len ||
	    pl.check != flow_check(pl.flow, pl.seq)) {
		fail(c, "receiver %u: a frame not as sent (magic %#x flow %u len %u/%u)", r,
		     pl.magic, pl.flow, pl.len, m->pkt_len);
		return;
	}
	for (i = HDR_LEN; i < m->data_len; i++) {
		if (p[i] != (uint8_t)(pl.check + i)) {
			fail(c, "receiver %u: flow %u seq %u altered at byte %u", r, pl.flow,
			     pl.seq, i);
			return;
		}
	}
	fl = &flows[pl.flow];
	if (!rte_is_same_ether_addr(&eh->dst_addr, &fl->dmac) ||
	    !rte_is_same_ether_addr(&eh->src_addr, &fl->smac)) {
		fail(c, "receiver %u: flow %u seq %u has other addresses", r, pl.flow, pl.seq);
		return;
	}
	if (r < NB_PORTS && m->port != port_ids[r]) {
		fail(c, "receiver %u: mbuf->port %u, want %u", r, m->port, port_ids[r]);
		return;
	}
	if (!(fl->expect & BIT(r))) {
		fail(c, "flow %u (sender %u, dst %u) reached receiver %u (seq %u)", pl.flow,
		     fl->sender, fl->dst, r, pl.seq);
		return;
	}
	if (pl.seq <= last_seq[pl.flow][r]) {
		fail(c, "flow %u at receiver %u: seq %u after %u (duplicate or reordered)",
		     pl.flow, r, pl.seq, last_seq[pl.flow][r]);
		return;
	}
	last_seq[pl.flow][r] = pl.seq;
	got[pl.flow][r]++;
}

/* Read every queue of port p once. */
static unsigned int
poll_port(struct lcore_ctx *c, unsigned int p)
{
	struct rte_mbuf *m[BURST];
	unsigned int total = 0;
	uint16_t q, n, i;

	for (q = 0; q < port_specs[p].nb_q; q++) {
		n = rte_eth_rx_burst(port_ids[p], q, m, BURST);
		for (i = 0; i < n; i++)
			take(c, p, m[i]);
		rte_pktmbuf_free_bulk(m, n);
		total += n;
	}
	return total;
}

/*
 * What the lower sent, at most max_bursts bursts of each of its queues: the
 * main lcore is the wire's only reader, so flows keep their order there.
 */
static unsigned int
drain_wire(struct lcore_ctx *c, unsigned int max_bursts)
{
	struct rte_mbuf *m[BURST];
	unsigned int total = 0, n, i, bursts;
	uint16_t q;

	for (q = 0; q < env.nb_q; q++) {
		bursts = 0;
		do {
			n = rte_ring_dequeue_burst(env.tx[q], (void **)m, BURST, NULL);
			for (i = 0; i < n; i++)
				take(c, RX_WIRE, m[i]);
			rte_pktmbuf_free_bulk(m, n);
			total += n;
		} while (n == BURST && ++bursts < max_bursts);
	}
	return total;
}

/*
 * Up to SEND_BURST frames of random flows of sender s, built in m. The flows
 * are those whose queue is q (port senders). Returns how many were built.
 */
static unsigned int
make_burst(struct lcore_ctx *c, unsigned int s, uint16_t q, uint16_t nb_q,
	   struct rte_mbuf **m, uint16_t *flow_of)
{
	unsigned int i, d, f;

	if (rte_pktmbuf_alloc_bulk(t_pool, m, SEND_BURST) != 0)
		return 0; /* the receivers hold the pool: next time */
	for (i = 0; i < SEND_BURST; i++) {
		d = rnd(c) % NB_DSTS;
		/*
		 * A flow keeps to one TX queue (dst % nb_q), hence to one lower
		 * TX ring: the wire sees it in order.
		 */
		if (nb_q > 1)
			d = (d - d % nb_q + q) % NB_DSTS;
		f = s * NB_DSTS + d;
		flow_of[i] = (uint16_t)f;
		if (build(m[i], f, ++next_seq[f]) != 0) {
			fail(c, "cannot build a frame");
			rte_pktmbuf_free_bulk(m, SEND_BURST);
			/* Roll back every frame built so far. */
			while (i-- > 0)
				next_seq[flow_of[i]]--;
			next_seq[f]--;
			return 0;
		}
	}
	return SEND_BURST;
}

/* Frames m[k..n) were not taken: not sent, their sequence numbers are reused. */
static void
roll_back(struct lcore_ctx *c, struct rte_mbuf **m, const uint16_t *flow_of, unsigned int k,
	  unsigned int n)
{
	unsigned int i;

	c->refused += n - k;
	/* Untaken frames are the tail: each flow's highest numbers. */
	for (i = n; i > k; i--)
		next_seq[flow_of[i - 1]]--;
	if (n > k)
		rte_pktmbuf_free_bulk(&m[k], n - k);
}

static void
send_port(struct lcore_ctx *c, unsigned int p)
{
	struct rte_mbuf *m[SEND_BURST];
	uint16_t flow_of[SEND_BURST], q, nb_q = port_specs[p].nb_q;
	unsigned int n, k;

	q = (uint16_t)(rnd(c) % nb_q);
	n = make_burst(c, p, q, nb_q, m, flow_of);
	if (n == 0)
		return;
	k = rte_eth_tx_burst(port_ids[p], q, m, (uint16_t)n);
	tx_accepted[p] += k;
	roll_back(c, m, flow_of, k, n);
}

/* Frames "from the wire" into lower queue c->idx, while it is not too full. */
static void
inject(struct lcore_ctx *c)
{
	struct rte_mbuf *m[SEND_BURST];
	uint16_t flow_of[SEND_BURST];
	struct rte_ring *r = env.rx[c->idx % env.nb_q];
	unsigned int n, k;

	if (rte_ring_count(r) >= INJECT_LOW_WATER)
		return;
	n = make_burst(c, NB_PORTS + c->idx, 0, 1, m, flow_of);
	if (n == 0)
		return;
	k = rte_ring_enqueue_burst(r, (void **)m, n, NULL);
	roll_back(c, m, flow_of, k, n);
}

/* Control-path activity beside the traffic: table swaps and counter reads. */
static void
churn(struct lcore_ctx *c)
{
	struct rte_pmd_macvtap_lower_stats ls;
	struct rte_eth_stats st;
	unsigned int p;
	int ret;

	if (c->iterations % CHURN_EVERY == 0) {
		/* No multicast flows: delivery stays the same, the table does not. */
		ret = c->iterations / CHURN_EVERY % 2 ?
		      rte_eth_allmulticast_enable(port_ids[CHURN_PORT]) :
		      rte_eth_allmulticast_disable(port_ids[CHURN_PORT]);
		if (ret != 0)
			fail(c, "allmulticast toggle: %d", ret);
	}
	if (c->iterations % STATS_EVERY == 0) {
		for (p = 0; p < NB_PORTS; p++)
			if (rte_eth_stats_get(port_ids[p], &st) != 0)
				fail(c, "stats of port %u", p);
		if (rte_pmd_macvtap_get_lower_stats(port_ids[0], &ls) != 0)
			fail(c, "lower stats");
	}
}

static int
traffic_loop(void *arg)
{
	struct lcore_ctx *c = arg;
	const struct lcore_ctx *other = &ctx[(c->idx + 1) % NB_LCORES];
	unsigned int p;

	while (!__atomic_load_n(&traffic_stop, __ATOMIC_ACQUIRE)) {
		for (p = 0; p < NB_PORTS; p++)
			if (port_specs[p].lcore == c->idx)
				poll_port(c, p);
		/*
		 * An lcore well ahead of the other only reads: sending at its own
		 * pace would just fill the other's rings (drops are counted, but
		 * frames that arrive test more).
		 */
		if (c->sends <= __atomic_load_n(&other->sends, __ATOMIC_RELAXED) + PACE_SLACK) {
			for (p = 0; p < NB_PORTS; p++)
				if (port_specs[p].lcore == c->idx)
					send_port(c, p);
			inject(c);
			__atomic_store_n(&c->sends, c->sends + 1, __ATOMIC_RELAXED);
		}
		if (c->idx == 0) {
			/*
			 * Now and then the wire is slow: the lower's TX rings fill,
			 * vepa and private ports see backpressure, bridge ports
			 * count tx_lower_dropped.
			 */
			drain_wire(c, c->iterations / SLOW_WIRE_EPOCH % SLOW_WIRE_EVERY ==
				   SLOW_WIRE_EVERY - 1 ? 1 : UINT_MAX);
			churn(c);
			if (rte_get_timer_cycles() >= deadline)
				__atomic_store_n(&traffic_stop, 1, __ATOMIC_RELEASE);
		}
		c->iterations++;
	}
	/* The worker reads its ports until told to stop; the main lcore reads the rest after. */
	while (c->idx != 0 && !__atomic_load_n(&poll_stop, __ATOMIC_ACQUIRE))
		for (p = 0; p < NB_PORTS; p++)
			if (port_specs[p].lcore == c->idx)
				poll_port(c, p);
	return 0;
}

static double
stress_seconds(void)
{
	const char *s = getenv("MACVTAP_STRESS_SECONDS");
	double v;

	if (s == NULL || *s == '\0')
		return DEFAULT_SECONDS;
	v = strtod(s, NULL);
	/* At least a second: every flow must have been sent. */
	return v >= 1 ? v : DEFAULT_SECONDS;
}

static uint64_t
xstat(unsigned int p, const char *name)
{
	return t_xstat(port_ids[p], name);
}

/* After the traffic: per receiver, what it missed against the drop counters. */
static int
check_accounting(void)
{
	struct rte_pmd_macvtap_lower_stats ls;
	struct rte_eth_stats st[NB_PORTS];
	uint64_t missing[NB_RECEIVERS] = { 0 }, sent, unexplained = 0, copy_failed;
	uint64_t no_port = 0, wire_dropped = 0, local, cross[NB_LCORES] = { 0 }, imissed = 0;
	unsigned int f, r, p, d;

	CHECK_EQ(rte_pmd_macvtap_get_lower_stats(port_ids[0], &ls), 0, "lower stats");
	copy_failed = ls.rx_copy_failed;
	for (p = 0; p < NB_PORTS; p++) {
		CHECK_EQ(rte_eth_stats_get(port_ids[p], &st[p]), 0, "stats");
		copy_failed += xstat(p, "tx_copy_failed") + st[p].rx_nombuf;
		wire_dropped += xstat(p, "tx_lower_dropped");
	}
	for (f = 0; f < NB_FLOWS; f++) {
		sent = next_seq[f];
		CHECK(sent > 0, "flow %u (sender %u, dst %u) never sent", f, flows[f].sender,
		      flows[f].dst);
		if (flows[f].sender >= NB_PORTS && flows[f].dst == DST_EXT)
			no_port += sent;
		for (r = 0; r < NB_RECEIVERS; r++) {
			if (!(flows[f].expect & BIT(r))) {
				CHECK_EQ(got[f][r], 0, "frames at a wrong receiver");
				continue;
			}
			CHECK(got[f][r] <= sent && last_seq[f][r] <= sent,
			      "flow %u at receiver %u: %" PRIu64 " received, last %u, of %" PRIu64
			      " sent", f, r, got[f][r], last_seq[f][r], sent);
			/* Drops are rare: each receiver must see each of its flows. */
			CHECK(got[f][r] > 0, "flow %u (sender %u, dst %u): receiver %u got none "
			      "of %" PRIu64, f, flows[f].sender, flows[f].dst, r, sent);
			missing[r] += sent - got[f][r];
			/* Bridge-local frames from the other lcore's ports. */
			if (r < NB_PORTS && flows[f].sender < NB_PORTS &&
			    port_specs[flows[f].sender].lcore != port_specs[r].lcore)
				cross[port_specs[r].lcore] += got[f][r];
		}
	}
	CHECK(cross[0] > 0 && cross[1] > 0, "no bridge-local frames crossed lcores (%" PRIu64
	      ", %" PRIu64 ")", cross[0], cross[1]);
	/* Ports: a frame missed is one its ring refused, or a copy that found no mbuf. */
	for (p = 0; p < NB_PORTS; p++) {
		CHECK(st[p].ipackets == rx_total[p], "port %u: ipackets %" PRIu64 ", read %" PRIu64,
		      p, st[p].ipackets, rx_total[p]);
		CHECK(missing[p] >= st[p].imissed, "port %u: %" PRIu64 " frames missed, imissed %"
		      PRIu64, p, missing[p], st[p].imissed);
		CHECK_EQ(xstat(p, "rx_ring_full_dropped"), st[p].imissed, "rx_ring_full_dropped");
		unexplained += missing[p] - st[p].imissed;
		/* Every frame the tx burst took went out, or is counted. */
		CHECK(st[p].opackets + xstat(p, "tx_lower_dropped") +
		      xstat(p, "tx_spoof_dropped") == tx_accepted[p],
		      "port %u: opackets %" PRIu64 " + drops, %" PRIu64 " taken", p,
		      st[p].opackets, tx_accepted[p]);
		CHECK_EQ(xstat(p, "tx_spoof_dropped"), 0, "tx_spoof_dropped (own source MACs)");
		if (!is_bridge(p)) {
			CHECK_EQ(xstat(p, "tx_local_packets"), 0, "tx_local_packets, not bridge");
			continue;
		}
		/* Local deliveries: unicast to bridge ports, broadcast copies to the others. */
		local = 0;
		for (d = 0; d < NB_PORTS; d++)
			if (is_bridge(d))
				local += next_seq[p * NB_DSTS + d];
		for (d = 0; d < NB_PORTS; d++)
			if (d != p && is_bridge(d))
				local += next_seq[p * NB_DSTS + DST_BCAST];
		CHECK(xstat(p, "tx_local_packets") + xstat(p, "tx_copy_failed") == local,
		      "port %u: tx_local_packets %" PRIu64 " + copy failures, want %" PRIu64, p,
		      xstat(p, "tx_local_packets"), local);
	}
	CHECK(unexplained == copy_failed, "%" PRIu64 " frames missed beyond imissed, %" PRIu64
	      " copies failed", unexplained, copy_failed);
	CHECK(missing[RX_WIRE] == wire_dropped, "%" PRIu64 " frames missing on the wire, %" PRIu64
	      " counted as tx_lower_dropped", missing[RX_WIRE], wire_dropped);
	CHECK(ls.rx_no_port == no_port, "lower rx_no_port %" PRIu64 ", want %" PRIu64,
	      ls.rx_no_port, no_port);
	CHECK(ls.rx_no_listener == 0 && ls.rx_runt == 0 && ls.rx_pause == 0 &&
	      ls.rx_nodst_dropped == 0 && ls.rx_passthru_down == 0, "unexpected lower drops");
	for (p = 0; p < NB_PORTS; p++)
		imissed += st[p].imissed;
	printf("  %.1f s: %" PRIu64 "/%" PRIu64 " send rounds (main/worker), %" PRIu64
	       " frames read, %" PRIu64 " ring drops, %" PRIu64 " copy failures, %" PRIu64
	       " wire drops, %" PRIu64 " refused by tx bursts, %" PRIu64 "+%" PRIu64
	       " bridge frames across lcores\n",
	       stress_seconds(), ctx[0].sends, ctx[1].sends,
	       ctx[0].received + ctx[1].received, imissed, copy_failed, wire_dropped,
	       ctx[0].refused + ctx[1].refused, cross[0], cross[1]);
	return 0;
}

/* Everything still in flight, read by the main lcore alone once the worker is done. */
static void
final_drain(struct lcore_ctx *c)
{
	unsigned int idle = 0, n, p;
	uint16_t q;
	bool pending;

	while (idle < 3) {
		n = drain_wire(c, UINT_MAX);
		for (p = 0; p < NB_PORTS; p++)
			n += poll_port(c, p);
		pending = false;
		for (q = 0; q < env.nb_q; q++)
			pending |= rte_ring_count(env.rx[q]) != 0;
		idle = n == 0 && !pending ? idle + 1 : 0;
	}
}

static int
test_concurrent_traffic(void)
{
	struct rte_eth_dev_info info;
	struct rte_mempool *lower_mp;
	unsigned int worker, p, i;
	char args[128];
	int idx;

	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE)
		T_SKIP_BECAUSE("needs a second lcore (-l 0-1)");
	memset(next_seq, 0, sizeof(next_seq));
	memset(last_seq, 0, sizeof(last_seq));
	memset(got, 0, sizeof(got));
	memset(rx_total, 0, sizeof(rx_total));
	memset(tx_accepted, 0, sizeof(tx_accepted));
	traffic_stop = 0;
	poll_stop = 0;
	flows_init();
	TRY(t_env_init(&env, NB_LCORES));
	for (p = 0; p < NB_PORTS; p++) {
		struct rte_ether_addr a = port_mac(p);
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_ether_format_addr(mac, sizeof(mac), &a);
		snprintf(args, sizeof(args), "mac=%s,mode=%s", mac, port_specs[p].mode);
		TRY(t_add_port(&env, args, port_specs[p].nb_q, port_specs[p].ring, &idx));
		port_ids[p] = env.ports[idx];
	}
	CHECK_EQ(rte_eth_dev_info_get(env.lower, &info), 0, "lower info");
	CHECK_EQ(info.nb_rx_queues, NB_LCORES, "lower RX queues (one per lcore)");
	lower_mp = rte_pmd_macvtap_get_lower_mempool(port_ids[0]);
	CHECK(lower_mp != NULL, "the lower's mempool");

	for (i = 0; i < NB_LCORES; i++) {
		memset(&ctx[i], 0, sizeof(ctx[i]));
		ctx[i].idx = i;
		ctx[i].rng = (rte_rdtsc() + i * 0x9e3779b97f4a7c15ULL) | 1; /* never 0 */
	}
	deadline = rte_get_timer_cycles() + (uint64_t)(stress_seconds() * rte_get_timer_hz());
	CHECK_EQ(rte_eal_remote_launch(traffic_loop, &ctx[1], worker), 0, "launch");
	traffic_loop(&ctx[0]);
	/*
	 * Both lcores still reading for a while lets the worker take what the
	 * traffic left for it; then it stops, and the main lcore reads the rest.
	 */
	for (i = 0; i < 1000; i++)
		for (p = 0; p < NB_PORTS; p++)
			if (port_specs[p].lcore == 0)
				poll_port(&ctx[0], p);
	__atomic_store_n(&poll_stop, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(worker);
	final_drain(&ctx[0]);

	for (i = 0; i < NB_LCORES; i++)
		CHECK(ctx[i].nb_errors == 0, "lcore %u: %u errors, first: %s", i, ctx[i].nb_errors,
		      ctx[i].error);
	TRY(check_accounting());
	CHECK(rte_mempool_full(lower_mp), "the lower's mempool: %u mbufs missing",
	      rte_mempool_in_use_count(lower_mp));
	CHECK(rte_mempool_full(t_pool), "test mempool: %u mbufs missing",
	      rte_mempool_in_use_count(t_pool));
	return t_env_fini(&env);
}

static const struct t_test tests[] = {
	{ "concurrent_traffic", test_concurrent_traffic, 0 },
};

int
main(int argc, char **argv)
{
	return t_main(argc, argv, "test_concurrency", tests, RTE_DIM(tests));
}

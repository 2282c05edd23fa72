/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Receive: lower rx burst -> classify by destination (and source) MAC ->
 * per destination queue, one ring enqueue per burst. The kernel's
 * macvlan_handle_frame, macvlan_forward_source and macvlan_broadcast.
 */

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "macvtap.h"

#define RX_BATCH_TARGETS 32
#define ETHER_TYPE_PAUSE 0x8808

/* Frames gathered for each destination queue during one burst. */
struct rx_target {
	struct tap_queue *q;
	uint16_t nb;
	uint8_t cls[MACVTAP_BURST];
	struct rte_mbuf *pkts[MACVTAP_BURST];
};

struct rx_batch {
	uint16_t nb_targets;
	struct rx_target t[RX_BATCH_TARGETS];
};

static void
rx_target_flush(struct rx_target *t)
{
	if (t->nb != 0)
		tap_queue_deliver(t->q, t->pkts, t->nb, t->cls);
	t->nb = 0;
}

static void
rx_batch_flush(struct rx_batch *b)
{
	uint16_t i;

	for (i = 0; i < b->nb_targets; i++)
		rx_target_flush(&b->t[i]);
	b->nb_targets = 0;
}

static void
rx_batch_add(struct rx_batch *b, struct tap_queue *q, struct rte_mbuf *m, uint8_t cls)
{
	struct rx_target *t = NULL;
	uint16_t i;

	for (i = b->nb_targets; i-- > 0;) {
		if (b->t[i].q == q) {
			t = &b->t[i];
			break;
		}
	}
	if (t == NULL) {
		if (b->nb_targets == RX_BATCH_TARGETS)
			rx_batch_flush(b);
		t = &b->t[b->nb_targets++];
		t->q = q;
		t->nb = 0;
	} else if (t->nb == MACVTAP_BURST) {
		rx_target_flush(t);
	}
	t->cls[t->nb] = cls;
	t->pkts[t->nb++] = m;
}

/* Hand a frame to an endpoint's queue; the frame now belongs to the batch. */
static inline void
deliver(struct rx_batch *b, const struct macvlan_endpoint *ep, struct rte_mbuf *m,
	uint16_t queue_hint, uint8_t cls)
{
	struct tap_queue *q = ep->rxq[tap_get_queue(m, queue_hint, ep->nb_rxq)];

	m->port = ep->port_id;
	rx_batch_add(b, q, m, cls);
}

static inline bool
endpoint_accepts_group(const struct macvlan_endpoint *ep, uint64_t dst, bool bcast)
{
	uint16_t i;

	if (bcast || ep->all_multicast)
		return true;
	for (i = 0; i < ep->nb_mc; i++)
		if (ep->mc[i] == dst)
			return true;
	return false;
}

/* A private copy of m for one more recipient (consumers rewrite frames). */
static inline struct rte_mbuf *
copy_frame(struct macvlan_port *port, struct rte_mbuf *m,
	   struct rte_pmd_macvtap_lower_stats *stats)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, port->mp, 0, UINT32_MAX);

	if (unlikely(c == NULL))
		stats->rx_copy_failed++;
	return c;
}

/*
 * The source-mode step for every frame (kernel: macvlan_forward_source): each
 * UP source port listing the source MAC gets a copy; if any listing port has
 * nodst, even a down one, the original stops here. Returns true if consumed.
 */
static bool
forward_source(struct macvlan_port *port, const struct macvlan_table *t, struct rx_batch *b,
	       struct rte_mbuf *m, uint64_t src, uint16_t queue_hint, uint8_t cls,
	       struct rte_pmd_macvtap_lower_stats *stats)
{
	bool nodst = false;
	uint32_t i;

	for (i = 0; i < t->nb_sources; i++) {
		const struct macvlan_source *s = &t->sources[i];
		struct rte_mbuf *c;

		if (s->mac != src)
			continue;
		nodst |= s->nodst;
		if (s->ep < 0)
			continue;
		c = copy_frame(port, m, stats);
		if (c != NULL)
			deliver(b, &t->endpoints[s->ep], c, queue_hint, cls);
	}
	if (nodst) {
		stats->rx_nodst_dropped++;
		rte_pktmbuf_free(m);
	}
	return nodst;
}

/* Which modes may receive a group frame, by the mode of its local origin (Matrix B). */
static inline uint8_t
fanout_mask(int32_t origin_mode)
{
	switch (origin_mode) {
	case RTE_PMD_MACVTAP_MODE_VEPA:
		return RTE_PMD_MACVTAP_MODE_VEPA | RTE_PMD_MACVTAP_MODE_BRIDGE;
	case RTE_PMD_MACVTAP_MODE_BRIDGE:
		return RTE_PMD_MACVTAP_MODE_VEPA;
	default: /* external origin */
		return RTE_PMD_MACVTAP_MODE_PRIVATE | RTE_PMD_MACVTAP_MODE_VEPA |
		       RTE_PMD_MACVTAP_MODE_BRIDGE | RTE_PMD_MACVTAP_MODE_PASSTHRU;
	}
}

/*
 * Broadcast and multicast (kernel: the group branch of macvlan_handle_frame and
 * macvlan_broadcast). Every eligible endpoint gets its own copy; the last one
 * gets the original.
 */
static void
handle_group(struct macvlan_port *port, const struct macvlan_table *t, struct rx_batch *b,
	     struct rte_mbuf *m, uint64_t dst, uint64_t src, uint16_t ether_type,
	     uint16_t queue_hint, struct rte_pmd_macvtap_lower_stats *stats)
{
	bool bcast = dst == 0xffffffffffffULL;
	uint8_t cls = bcast ? MACVTAP_BROADCAST : MACVTAP_MULTICAST;
	int32_t origin = macvlan_table_lookup(t, src);
	int32_t origin_mode = 0, last = -1;
	uint8_t mask;
	uint32_t i;

	if (origin >= 0) {
		origin_mode = t->endpoints[origin].mode;
		/* Reflected from a private/passthru/source port: back to it alone. */
		if (origin_mode & (RTE_PMD_MACVTAP_MODE_PRIVATE | RTE_PMD_MACVTAP_MODE_PASSTHRU |
				   RTE_PMD_MACVTAP_MODE_SOURCE)) {
			deliver(b, &t->endpoints[origin], m, queue_hint, cls);
			return;
		}
	}
	if (ether_type == ETHER_TYPE_PAUSE) {
		stats->rx_pause++;
		rte_pktmbuf_free(m);
		return;
	}
	mask = fanout_mask(origin_mode);
	for (i = 0; i < t->nb_endpoints; i++) {
		const struct macvlan_endpoint *ep = &t->endpoints[i];
		struct rte_mbuf *c;

		if ((int32_t)i == origin || !(ep->mode & mask) ||
		    !endpoint_accepts_group(ep, dst, bcast))
			continue;
		if (last >= 0) {
			c = copy_frame(port, m, stats);
			if (c != NULL)
				deliver(b, &t->endpoints[last], c, queue_hint, cls);
		}
		last = i;
	}
	if (last >= 0) {
		deliver(b, &t->endpoints[last], m, queue_hint, cls);
	} else {
		stats->rx_no_listener++;
		rte_pktmbuf_free(m);
	}
}

/*
 * Classify and deliver a burst of frames that the lower received (or that a
 * bridge port sent to a bridge port: the kernel injects those into the lower's
 * receive path too). Called with a lower queue lock held, t read under it.
 */
void
macvlan_handle_frames(struct macvlan_port *port, const struct macvlan_table *t,
		      uint16_t queue_hint, struct rte_mbuf **pkts, uint16_t nb,
		      struct rte_pmd_macvtap_lower_stats *stats)
{
	struct rx_batch batch;
	uint16_t i;

	batch.nb_targets = 0;
	stats->rx_packets += nb;
	for (i = 0; i < nb && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr copy;
		const struct rte_ether_hdr *eh;
		uint64_t dst, src;
		int32_t target;

		if (i + 4 < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		eh = rte_pktmbuf_read(m, 0, sizeof(*eh), &copy);
		if (unlikely(eh == NULL || t == NULL)) {
			/* Runt frame, or no port is up. */
			if (eh == NULL)
				stats->rx_runt++;
			else
				stats->rx_no_port++;
			rte_pktmbuf_free(m);
			continue;
		}
		dst = macvtap_mac_key(&eh->dst_addr);
		src = macvtap_mac_key(&eh->src_addr);
		if (t->nb_sources != 0 &&
		    forward_source(port, t, &batch, m, src, queue_hint,
				   rte_is_multicast_ether_addr(&eh->dst_addr) ?
				   (dst == 0xffffffffffffULL ? MACVTAP_BROADCAST : MACVTAP_MULTICAST) :
				   MACVTAP_UNICAST, stats))
			continue;
		if (rte_is_multicast_ether_addr(&eh->dst_addr)) {
			handle_group(port, t, &batch, m, dst, src,
				     rte_be_to_cpu_16(eh->ether_type), queue_hint, stats);
			continue;
		}
		if (t->has_passthru) {
			target = t->passthru;
			if (target == MACVLAN_PASSTHRU_DOWN) {
				stats->rx_passthru_down++;
				rte_pktmbuf_free(m);
				continue;
			}
		} else {
			target = macvlan_table_lookup(t, dst);
		}
		if (target < 0 || t->endpoints[target].mode == RTE_PMD_MACVTAP_MODE_SOURCE) {
			/* The kernel passes these to the lower's own stack; we have none. */
			stats->rx_no_port++;
			rte_pktmbuf_free(m);
			continue;
		}
		deliver(&batch, &t->endpoints[target], m, queue_hint, MACVTAP_UNICAST);
	}
	rx_batch_flush(&batch);
}

/*
 * Poll one lower RX queue if nobody else is: whoever gets the lock drains it
 * for every port; the others just read their own rings.
 */
void
macvlan_port_poll(struct macvlan_port *port, uint16_t lower_queue)
{
	struct macvlan_lower_rxq *lq = &port->rxq[lower_queue];
	struct rte_mbuf *pkts[MACVTAP_BURST];
	const struct macvlan_table *t;
	uint16_t nb;

	if (!rte_spinlock_trylock(&lq->lock))
		return;
	if (likely(!__atomic_load_n(&port->dead, __ATOMIC_ACQUIRE))) {
		nb = rte_eth_rx_burst(port->lower_port_id, lower_queue, pkts, MACVTAP_BURST);
		if (nb != 0) {
			t = __atomic_load_n(&port->table, __ATOMIC_ACQUIRE);
			macvlan_handle_frames(port, t, lower_queue, pkts, nb, &lq->stats);
		}
	}
	rte_spinlock_unlock(&lq->lock);
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Receive (kernel: macvlan_handle_frame, macvlan_forward_source and
 * macvlan_broadcast; tap.c's read side), top-down:
 *   macvtap_rx_burst    a port's rx burst: its ring first, then a poll of the
 *                       lower when the ring came back empty
 *   macvlan_port_poll   one lower RX queue, by whoever gets its lock
 *   macvlan_handle_frames  classify a burst by destination (and source) MAC
 *                       and hand each frame to its port's queue
 * Frames are gathered per destination queue (struct rx_target) in arrival
 * order and handed over with one ring enqueue per destination per burst; a
 * frame for the polling reader itself goes straight into its array.
 */

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <ethdev_driver.h>

#include "macvtap.h"

#define RX_TARGET_FRAMES 64      /* frames gathered per destination before it is delivered */
#define RX_BATCH_TARGETS 32      /* destination queues per batch */
#define RX_PREFETCH 4

/* Frames on their way to one destination queue. */
struct rx_target {
	struct tap_queue *q;
	bool sp;                     /* single-producer enqueue is safe */
	uint16_t nb;
	uint32_t by_class[MACVTAP_NB_CLASSES]; /* multicast and broadcast; unicast at delivery */
	uint64_t bytes;
	struct rte_mbuf *pkts[RX_TARGET_FRAMES];
};

/* One burst's frames on their way to the ports' queues, by destination. */
struct rx_batch {
	struct macvlan_port *port;
	const struct macvlan_table *t_table;
	struct rte_pmd_macvtap_lower_stats *stats;
	uint16_t queue_hint;         /* the lower queue: tap_get_queue's fallback */
	uint16_t slot;               /* this producer's counter slot in each tap_queue */
	struct macvlan_reader *reader; /* the polling queue's caller, or NULL */
	uint16_t nb_targets;
	uint16_t budget;             /* what the next poll may take, from the rings' room */
	int8_t tid_of_ep[MACVLAN_MAX_DEVS]; /* last target of each endpoint, -1 if none */
	struct rx_target t[RX_BATCH_TARGETS];
};

static void
rx_batch_reset(struct rx_batch *b)
{
	b->nb_targets = 0;
	memset(b->tid_of_ep, -1, sizeof(b->tid_of_ep));
}

/*
 * How much the next poll may take, seen from one ring after a delivery: all
 * of MACVLAN_POLL_BURST while the ring is under a quarter full, the minimum
 * burst once it is half full, in between in proportion. Rings then stay well
 * below capacity whatever share of the traffic each has, and a poll never
 * outruns the readers for long.
 */
static inline uint16_t
poll_budget(unsigned int capacity, unsigned int room)
{
	unsigned int used = capacity - room;

	if (used * 4 <= capacity)
		return MACVLAN_POLL_BURST;
	if (used * 2 >= capacity)
		return MACVTAP_BURST;
	return MACVLAN_POLL_BURST - (used * 4 - capacity) *
	       (MACVLAN_POLL_BURST - MACVTAP_BURST) / capacity;
}

/*
 * One destination's frames: straight into the polling reader's array when
 * they are its own (no ring round trip), the rest into the ring. Lowers the
 * budget of the next poll to what this ring allows.
 */
static void
rx_target_deliver(struct rx_batch *b, struct rx_target *tg)
{
	struct macvlan_reader *r = b->reader;
	struct tap_queue *q = tg->q;
	uint16_t n = tg->nb, direct = 0, budget;
	uint32_t *by_class = tg->by_class, head_class[MACVTAP_NB_CLASSES];
	unsigned int room, i;
	uint64_t bytes;

	by_class[MACVTAP_UNICAST] = n - by_class[MACVTAP_MULTICAST] - by_class[MACVTAP_BROADCAST];
	if (r != NULL && r->q == q && r->room != 0) {
		direct = RTE_MIN(n, r->room);
		memcpy(&r->pkts[r->nb], tg->pkts, direct * sizeof(struct rte_mbuf *));
		r->nb += direct;
		r->room -= direct;
	}
	if (direct == n) {
		tap_queue_count(q, b->slot, n, tg->bytes, by_class);
		room = q->nb_desc - rte_ring_count(q->ring);
	} else if (direct == 0) {
		room = tap_queue_deliver(q, b->slot, tg->sp, tg->pkts, n, tg->bytes, by_class);
	} else {
		/* Split the counts between what was handed over and what goes to the ring. */
		bytes = 0;
		memset(head_class, 0, sizeof(head_class));
		for (i = 0; i < direct; i++) {
			bytes += tg->pkts[i]->pkt_len;
			head_class[macvtap_frame_class(tg->pkts[i])]++;
		}
		tap_queue_count(q, b->slot, direct, bytes, head_class);
		for (i = 0; i < MACVTAP_NB_CLASSES; i++)
			head_class[i] = by_class[i] - head_class[i];
		room = tap_queue_deliver(q, b->slot, tg->sp, tg->pkts + direct, n - direct,
					 tg->bytes - bytes, head_class);
	}
	budget = poll_budget(q->nb_desc, room);
	if (budget < b->budget)
		b->budget = budget;
	tg->nb = 0;
	tg->bytes = 0;
	memset(tg->by_class, 0, sizeof(tg->by_class));
}

/* Deliver every destination's frames; the fullest ring sets the next poll's budget. */
static void
rx_batch_flush(struct rx_batch *b)
{
	uint16_t k, budget;

	/*
	 * A poll's frames wait in the rings, out of the mempool's per-lcore
	 * cache, until their readers come: a few frames per destination are
	 * enough to spread the poll's cost, and more cost more than they save
	 * (through testpmd, 8 ports: 256 frames a poll 12% slower than 64, 512
	 * 25% slower; with testpmd's mbuf cache doubled, half of that).
	 */
	budget = RTE_MIN((unsigned int)MACVLAN_POLL_BURST,
			 RTE_MAX(2u * MACVTAP_BURST, MACVTAP_BURST * b->nb_targets / 4u));
	if (b->nb_targets != 0 && budget < b->budget)
		b->budget = budget;
	for (k = 0; k < b->nb_targets; k++)
		if (b->t[k].nb != 0)
			rx_target_deliver(b, &b->t[k]);
	rx_batch_reset(b);
}

/* The batch's target for queue q of endpoint e; flushes first if all are taken. */
static struct rx_target *
rx_batch_target(struct rx_batch *b, int32_t e, struct tap_queue *q)
{
	struct rx_target *tg;
	uint16_t id;

	for (id = 0; id < b->nb_targets && b->t[id].q != q; id++)
		;
	if (id == b->nb_targets) {
		if (unlikely(id == RX_BATCH_TARGETS)) {
			rx_batch_flush(b);
			id = 0;
		}
		tg = &b->t[id];
		tg->q = q;
		tg->sp = b->t_table->endpoints[e].single_producer;
		tg->nb = 0;
		tg->bytes = 0;
		memset(tg->by_class, 0, sizeof(tg->by_class));
		b->nb_targets++;
	}
	b->tid_of_ep[e] = (int8_t)id; /* < RX_BATCH_TARGETS */
	return &b->t[id];
}

/* Add frame m to a target: delivered at once when the target is full. */
static __rte_always_inline void
target_add(struct rx_batch *b, struct rx_target *tg, struct rte_mbuf *m, uint16_t port_id)
{
	m->port = port_id;
	tg->bytes += m->pkt_len;
	tg->pkts[tg->nb++] = m;
	if (unlikely(tg->nb == RX_TARGET_FRAMES))
		rx_target_deliver(b, tg);
}

static void deliver_resolved(struct rx_batch *b, int32_t e, struct tap_queue *q,
			     struct rte_mbuf *m, uint8_t cls);

/* Hand frame m to queue q of endpoint e. */
static inline void
deliver_q(struct rx_batch *b, int32_t e, struct tap_queue *q, struct rte_mbuf *m, uint8_t cls)
{
	const struct macvlan_endpoint *ep = &b->t_table->endpoints[e];
	struct rx_target *tg;
	int8_t id;

	if (unlikely(macvtap_frame_too_long(ep, m))) {
		q->stats[b->slot].oversize++;
		rte_pktmbuf_free(m);
		return;
	}
	id = b->tid_of_ep[e];
	tg = id >= 0 && b->t[id].q == q ? &b->t[id] : rx_batch_target(b, e, q);
	if (cls != MACVTAP_UNICAST)
		tg->by_class[cls]++;
	target_add(b, tg, m, ep->port_id);
}

/* Hand frame m to endpoint e (any mode, any queue count). */
static inline void
deliver(struct rx_batch *b, int32_t e, struct rte_mbuf *m, uint8_t cls)
{
	const struct macvlan_endpoint *ep = &b->t_table->endpoints[e];
	struct tap_queue *q;

	if (unlikely(ep->nb_rxq == 0)) {
		/* A port with no RX queue, as a tap with no reader: dropped, counted. */
		b->stats->rx_no_port++;
		rte_pktmbuf_free(m);
		return;
	}
	q = tap_get_queue(ep, m, b->queue_hint);
	/* A local sender's offloads (bridge mode): as the queue's reader takes them. */
	if (unlikely(m->ol_flags & MACVTAP_TX_OL_FLAGS)) {
		deliver_resolved(b, e, q, m, cls);
		return;
	}
	deliver_q(b, e, q, m, cls);
}

/*
 * A frame with offloads for queue q: what its reader did not enable is done
 * here (the kernel's tap_handle_frame segments and checksums for it).
 */
static __rte_noinline void
deliver_resolved(struct rx_batch *b, int32_t e, struct tap_queue *q, struct rte_mbuf *m,
		 uint8_t cls)
{
	struct rte_mbuf *segs[MACVTAP_GSO_MAX_SEGS];
	int n, i;

	n = macvtap_offload_resolve(m, __atomic_load_n(&q->ol_accept, __ATOMIC_RELAXED),
				    b->port->mp, segs, RTE_DIM(segs));
	if (n < 0) {
		q->stats[b->slot].offload_failed++;
		return;
	}
	for (i = 0; i < n; i++)
		deliver_q(b, e, q, segs[i], cls);
}

/*
 * n private copies of m for n more recipients (consumers rewrite frames). One
 * bulk allocation and a plain copy for the common single-segment frame;
 * rte_pktmbuf_copy otherwise. Returns how many copies were made.
 */
static unsigned int
copy_frames(struct rx_batch *b, struct rte_mbuf *m, struct rte_mbuf **copies, unsigned int n)
{
	struct rte_mempool *mp = b->port->mp;
	unsigned int i, made = 0;

	if (n == 0)
		return 0;
	if (m->nb_segs == 1 && m->data_len <= rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM &&
	    rte_pktmbuf_alloc_bulk(mp, copies, n) == 0) {
		for (i = 0; i < n; i++)
			macvtap_copy_linear(copies[i], m);
		return n;
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);

		if (c != NULL)
			copies[made++] = c;
	}
	b->stats->rx_copy_failed += n - made;
	return made;
}

/*
 * The source-mode step for every frame (kernel: macvlan_forward_source): each
 * UP source port listing the source MAC gets a copy; if any listing port has
 * nodst, even a down one, the original stops here. Returns true if consumed.
 */
static bool
forward_source(struct rx_batch *b, struct rte_mbuf *m, uint64_t src, uint8_t cls)
{
	const struct macvlan_table *t = b->t_table;
	struct rte_mbuf *copies[MACVLAN_MAX_DEVS];
	int32_t eps[MACVLAN_MAX_DEVS];
	unsigned int n = 0, made, i;
	bool nodst = false;

	for (i = 0; i < t->nb_sources; i++) {
		const struct macvlan_source *s = &t->sources[i];

		if (s->mac != src)
			continue;
		nodst |= s->nodst;
		if (s->ep >= 0 && n < RTE_DIM(eps))
			eps[n++] = s->ep;
	}
	made = copy_frames(b, m, copies, n);
	for (i = 0; i < made; i++)
		/* copy_frames filled copies[0, made): */
		deliver(b, eps[i], copies[i], cls); /* NOLINT(clang-analyzer-core.CallAndMessage) */
	if (nodst) {
		b->stats->rx_nodst_dropped++;
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
handle_group(struct rx_batch *b, struct rte_mbuf *m, uint64_t dst, uint64_t src,
	     uint16_t ether_type)
{
	const struct macvlan_table *t = b->t_table;
	struct rte_mbuf *copies[MACVLAN_MAX_DEVS];
	int32_t eps[MACVLAN_MAX_DEVS];
	bool bcast = dst == MACVTAP_KEY_BROADCAST;
	uint8_t cls = bcast ? MACVTAP_BROADCAST : MACVTAP_MULTICAST;
	int32_t origin = macvlan_table_lookup(t, src);
	int32_t origin_mode = 0;
	unsigned int n = 0, made, i;
	uint8_t mask;

	if (origin >= 0) {
		origin_mode = t->endpoints[origin].mode;
		/* Reflected from a private/passthru/source port: back to it alone. */
		if (origin_mode & (RTE_PMD_MACVTAP_MODE_PRIVATE | RTE_PMD_MACVTAP_MODE_PASSTHRU |
				   RTE_PMD_MACVTAP_MODE_SOURCE)) {
			deliver(b, origin, m, cls);
			return;
		}
	}
	if (ether_type == MACVTAP_ETHER_TYPE_PAUSE) {
		b->stats->rx_pause++;
		rte_pktmbuf_free(m);
		return;
	}
	/* The kernel's port filter: a group nobody joined, on a lower that filters. */
	if (!bcast && !macvlan_table_group_passes(t, dst)) {
		b->stats->rx_no_listener++;
		rte_pktmbuf_free(m);
		return;
	}
	mask = fanout_mask(origin_mode);
	for (i = 0; i < t->nb_endpoints; i++) {
		const struct macvlan_endpoint *ep = &t->endpoints[i];

		if ((int32_t)i != origin && (ep->mode & mask) &&
		    endpoint_accepts_group(ep, dst, bcast))
			eps[n++] = (int32_t)i;
	}
	if (n == 0) {
		b->stats->rx_no_listener++;
		rte_pktmbuf_free(m);
		return;
	}
	/* Copies for all but the last recipient, who gets the original. */
	made = copy_frames(b, m, copies, n - 1);
	for (i = 0; i < made; i++)
		/* copy_frames filled copies[0, made): */
		deliver(b, eps[i], copies[i], cls); /* NOLINT(clang-analyzer-core.CallAndMessage) */
	deliver(b, eps[n - 1], m, cls);
}

/*
 * One frame by the general rules: runts, source mode, groups, passthru, and
 * unicast to any port. Returns true if the frame is to be dropped as a frame
 * no port takes (the caller frees those in bulk).
 */
static __rte_noinline bool
handle_one(struct rx_batch *b, struct rte_mbuf *m)
{
	const struct macvlan_table *t = b->t_table;
	const struct macvlan_hash_slot *hs;
	struct rte_ether_hdr copy;
	const struct rte_ether_hdr *eh;
	uint64_t dst, src;

	eh = likely(m->data_len >= RTE_ETHER_HDR_LEN) ?
	     rte_pktmbuf_mtod(m, const struct rte_ether_hdr *) :
	     rte_pktmbuf_read(m, 0, sizeof(copy), &copy);
	if (unlikely(eh == NULL)) {
		b->stats->rx_runt++;
		rte_pktmbuf_free(m);
		return false;
	}
	macvtap_hdr_keys(eh, &dst, &src);
	if (t->nb_sources != 0 &&
	    forward_source(b, m, src, !rte_is_multicast_ether_addr(&eh->dst_addr) ?
			   MACVTAP_UNICAST : dst == MACVTAP_KEY_BROADCAST ?
			   MACVTAP_BROADCAST : MACVTAP_MULTICAST))
		return false;
	if (rte_is_multicast_ether_addr(&eh->dst_addr)) {
		handle_group(b, m, dst, src, rte_be_to_cpu_16(eh->ether_type));
		return false;
	}
	if (t->has_passthru) {
		if (t->passthru == MACVLAN_PASSTHRU_DOWN) {
			b->stats->rx_passthru_down++;
			rte_pktmbuf_free(m);
			return false;
		}
		deliver(b, t->passthru, m, MACVTAP_UNICAST);
		return false;
	}
	hs = macvlan_table_slot(t, dst);
	if (hs == NULL || hs->uc_ep < 0)
		return true; /* the kernel passes these to the lower's own stack; we have none */
	deliver(b, hs->uc_ep, m, MACVTAP_UNICAST);
	return false;
}

/*
 * Classify and deliver a burst of frames that the lower received (or that a
 * bridge port sent to a bridge port: the kernel injects those into the lower's
 * receive path too). Called with a lower queue lock held, t read under it.
 * Returns how many frames the next poll of this queue should take.
 *
 * The loop is the common case, kept lean: unicast to a port with one queue,
 * found at the first probe, no source-mode port and no passthru on the lower.
 * Anything else takes handle_one.
 */
uint16_t
macvlan_handle_frames(struct macvlan_port *port, const struct macvlan_table *t,
		      uint16_t queue_hint, unsigned int slot, struct rte_mbuf **pkts, uint16_t nb,
		      struct rte_pmd_macvtap_lower_stats *stats, struct macvlan_reader *reader)
{
	const struct macvlan_hash_slot *slots;
	struct rte_mbuf *drop[MACVLAN_POLL_BURST];
	uint16_t nb_drop = 0, i;
	struct rx_batch b;
	bool lean;
	uint32_t shift;

	stats->rx_packets += nb;
	if (unlikely(t == NULL)) {
		/* No port is up. */
		stats->rx_no_port += nb;
		rte_pktmbuf_free_bulk(pkts, nb);
		return MACVLAN_POLL_BURST;
	}
	b.port = port;
	b.t_table = t;
	b.stats = stats;
	b.queue_hint = queue_hint;
	b.slot = slot;
	b.reader = reader;
	b.budget = MACVLAN_POLL_BURST;
	rx_batch_reset(&b);
	slots = t->slots;
	shift = t->hash_shift;
	/* The lean loop reads keys with one little-endian load. */
	lean = t->nb_sources == 0 && !t->has_passthru &&
	       RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN;
	for (i = 0; i < nb && i < RX_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct macvlan_hash_slot *hs;
		struct rx_target *tg;
		uint64_t dst;
		int8_t id;

		if (i + RX_PREFETCH < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + RX_PREFETCH], void *));
		/* Frames with offloads (from a local sender) take the general path. */
		if (unlikely(!lean || m->data_len < RTE_ETHER_HDR_LEN ||
			     (m->ol_flags & MACVTAP_TX_OL_FLAGS)))
			goto general;
		memcpy(&dst, rte_pktmbuf_mtod(m, const void *), sizeof(dst));
		dst &= 0xffffffffffffULL;
		if (unlikely(rte_is_multicast_ether_addr(rte_pktmbuf_mtod(m,
						const struct rte_ether_addr *))))
			goto general;
		hs = &slots[macvlan_hash(dst, shift)];
		if (unlikely(hs->key != dst || hs->q0 == NULL || m->pkt_len > hs->max_frame))
			goto general;
		/* A one-queue port's target is its only one: no queue to check. */
		id = b.tid_of_ep[hs->uc_ep];
		tg = likely(id >= 0) ? &b.t[id] : rx_batch_target(&b, hs->uc_ep, hs->q0);
		target_add(&b, tg, m, hs->port_id);
		continue;
general:
		if (handle_one(&b, m)) {
			stats->rx_no_port++;
			drop[nb_drop++] = m;
		}
	}
	rx_batch_flush(&b);
	if (nb_drop != 0)
		rte_pktmbuf_free_bulk(drop, nb_drop);
	return b.budget;
}

/*
 * The lower's only port, of one queue, polls for its own caller: each frame
 * needs one table check and goes straight into the caller's array, with no
 * per-destination batch. The first frame that needs more (a group, a frame
 * with offloads, another MAC, a runt, one over the MTU) and all after it take
 * macvlan_handle_frames, which appends to the same array: order is kept.
 */
static uint16_t
macvlan_handle_own(struct macvlan_port *port, const struct macvlan_table *t,
		   uint16_t lower_queue, struct rte_mbuf **pkts, uint16_t nb,
		   struct rte_pmd_macvtap_lower_stats *stats, struct macvlan_reader *reader)
{
	const struct macvlan_hash_slot *slots = t->slots;
	struct tap_queue *q = reader->q;
	struct rte_mbuf **out = reader->pkts + reader->nb;
	uint32_t by_class[MACVTAP_NB_CLASSES] = { 0 };
	uint32_t shift = t->hash_shift;
	uint16_t i, n = RTE_MIN(nb, reader->room);
	uint64_t bytes = 0;

	if (t->nb_sources != 0 || t->has_passthru || RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN)
		n = 0;
	for (i = 0; i < n && i < RX_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct macvlan_hash_slot *hs;
		uint64_t dst;

		if (i + RX_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + RX_PREFETCH], void *));
		if (unlikely(m->data_len < RTE_ETHER_HDR_LEN || (m->ol_flags & MACVTAP_TX_OL_FLAGS)))
			break;
		memcpy(&dst, rte_pktmbuf_mtod(m, const void *), sizeof(dst));
		dst &= 0xffffffffffffULL;
		if (unlikely(dst & 1))   /* the group bit: first bit on the wire */
			break;
		hs = &slots[macvlan_hash(dst, shift)];
		if (unlikely(hs->key != dst || hs->q0 != q || m->pkt_len > hs->max_frame))
			break;
		m->port = hs->port_id;
		bytes += m->pkt_len;
		out[i] = m;
	}
	if (i != 0) {
		stats->rx_packets += i;
		by_class[MACVTAP_UNICAST] = i;
		tap_queue_count(q, lower_queue, i, bytes, by_class);
		reader->nb += i;
		reader->room -= i;
	}
	if (i < nb)
		return macvlan_handle_frames(port, t, lower_queue, lower_queue, pkts + i, nb - i,
					     stats, reader);
	/* What a batch of one destination with an empty ring asks for next. */
	return RTE_MIN((unsigned int)MACVLAN_POLL_BURST, 2u * MACVTAP_BURST);
}

/*
 * Poll one lower RX queue if nobody else is: whoever gets the lock drains a
 * burst of it for every port; the others just read their rings. The burst is
 * what the last poll of this queue found the rings could take, at most limit.
 * The reader's own frames go straight to it if its ring is empty once the
 * lock is held: only a holder of this lock queues frames of this lower queue,
 * so none of them can be older.
 */
void
macvlan_port_poll(struct macvlan_port *port, uint16_t lower_queue, uint16_t limit,
		  struct macvlan_reader *reader)
{
	struct macvlan_lower_rxq *lq = &port->rxq[lower_queue];
	struct rte_mbuf *pkts[MACVLAN_POLL_BURST];
	const struct macvlan_table *t;
	uint16_t nb = 0, got, budget;
	bool own;

	/* Not before the lower's RX is set up and started (macvlan_port_start_rx). */
	if (unlikely(!__atomic_load_n(&port->rx_started, __ATOMIC_ACQUIRE)) ||
	    !rte_spinlock_trylock(&lq->lock))
		return;
	if (likely(!__atomic_load_n(&port->dead, __ATOMIC_ACQUIRE))) {
		if (reader != NULL && rte_ring_count(reader->q->ring) != 0)
			reader = NULL;
		t = __atomic_load_n(&port->table, __ATOMIC_ACQUIRE);
		budget = RTE_MIN(limit, lq->budget);
		/*
		 * The lower's only taker polls just what its caller asked for: its
		 * frames then go straight to it while the lower's writes are still
		 * in the cache, and never through its ring. (The table is read
		 * under the lock: a table replaced meanwhile is freed only once
		 * every lower queue's lock has been taken after the swap.)
		 */
		own = reader != NULL && t != NULL && t->nb_endpoints == 1 &&
		      t->endpoints[0].nb_rxq == 1 && t->endpoints[0].dev == reader->q->dev;
		if (own)
			budget = RTE_MIN(budget, reader->room);
		do {
			got = rte_eth_rx_burst(port->lower_port_id, lower_queue, pkts + nb,
					       RTE_MIN((uint16_t)MACVTAP_BURST, budget - nb));
			nb += got;
		} while (got == MACVTAP_BURST && nb < budget);
		/* Plain adds: only this lock's holder writes them. */
		lq->polls++;
		if (nb == 0)
			lq->empty_polls++;
		if (nb != 0)
			lq->budget = own ? macvlan_handle_own(port, t, lower_queue, pkts, nb,
							      &lq->stats, reader) :
				     macvlan_handle_frames(port, t, lower_queue, lower_queue,
							   pkts, nb, &lq->stats, reader);
	}
	rte_spinlock_unlock(&lq->lock);
}

/*
 * Frames handed to the application must come from the pool it gave the
 * queue when that pool has a private area (OVS-DPDK keeps per-packet state
 * there and reads it for every frame it receives), or from a lower pool made
 * to fit it (zc_pool: the same private area, macvtap_pool.c). Frames from any
 * other pool are copied into it (one bulk allocation, a plain copy for one
 * segment) and counted; a frame with no mbuf for it is dropped and counted as
 * rx_nombuf.
 */
static uint16_t
tap_queue_to_pool(struct tap_queue *q, struct rte_mbuf **pkts, uint16_t nb)
{
	struct rte_mbuf *copies[MACVLAN_POLL_BURST], *orig[MACVLAN_POLL_BURST];
	const struct rte_mempool *zc = __atomic_load_n(&q->zc_pool, __ATOMIC_ACQUIRE);
	uint16_t i, n = 0, kept = 0, failed = 0, copied = 0;

	for (i = 0; i < nb; i++)
		if (pkts[i]->pool != q->mp && pkts[i]->pool != zc)
			n++;
	if (n == 0)
		return nb;
	if (rte_pktmbuf_alloc_bulk(q->mp, copies, n) != 0)
		memset(copies, 0, n * sizeof(struct rte_mbuf *));
	for (i = 0, n = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i], *c;

		if (m->pool == q->mp || m->pool == zc) {
			pkts[kept++] = m;
			continue;
		}
		c = copies[n++];
		if (c != NULL && m->nb_segs == 1 && m->data_len <= rte_pktmbuf_tailroom(c)) {
			macvtap_copy_linear(c, m);
		} else {
			/* Several segments, or a small buffer: the general copy. */
			if (c != NULL)
				rte_pktmbuf_free(c);
			c = rte_pktmbuf_copy(m, q->mp, 0, UINT32_MAX);
		}
		orig[failed++] = m;
		if (c != NULL) {
			pkts[kept++] = c;
			copied++;
		} else {
			rte_eth_devices[q->dev->port_id].data->rx_mbuf_alloc_failed++;
		}
	}
	rte_pktmbuf_free_bulk(orig, failed);
	q->pool_copied += copied;
	return kept;
}

/*
 * The port's rx burst. Queue q of a port with n queues stands for the lower's
 * queues q, q + n, q + 2n... so that every lower queue is polled whatever the
 * queue counts. Each call takes what waits in the ring, and only when the
 * ring was empty (or every TAP_QUEUE_POLL_EVERY calls) polls one of its lower
 * queues, in turn: a queue that still has frames leaves the polling to one
 * that has none, so polls are rarer and larger when traffic spreads over many
 * ports, and a consumer that falls behind leaves the polling to the others
 * (its backlog is what its ring holds, as with the kernel's tap_queue). Its
 * own frames from that poll come straight back, without a ring round trip.
 */
uint16_t
macvtap_queue_take(struct tap_queue *q, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct macvtap_dev *dev = q->dev;
	struct macvlan_port *port = dev->port;
	struct macvlan_reader reader;
	uint16_t nb, lq;

	if (unlikely(q->copy_to_pool))
		nb_pkts = RTE_MIN(nb_pkts, (uint16_t)MACVLAN_POLL_BURST); /* what it copies at once */
	/* What waits in the ring is older than anything polled now: it goes first. */
	nb = rte_ring_sc_dequeue_burst(q->ring, (void **)pkts, nb_pkts, NULL);
	/*
	 * Poll when the ring came back empty, and every few calls anyway: local
	 * (bridge) traffic may keep a ring from ever running empty, and the
	 * lower must not starve while any port is read.
	 */
	if ((nb == 0 || ++q->calls_since_poll >= TAP_QUEUE_POLL_EVERY) && port->nb_rxq != 0) {
		q->calls_since_poll = 0;
		reader.q = q;
		reader.pkts = pkts + nb;
		reader.room = nb_pkts - nb;
		reader.nb = 0;
		/*
		 * A queue beyond the lower's count polls lower queue q mod count
		 * too: its reader may be the only one (a tap file read alone).
		 */
		lq = q->next_lower_queue < port->nb_rxq ? q->next_lower_queue :
		     q->queue_id % port->nb_rxq;
		/* As much as this ring can take: the others are served alike. */
		macvlan_port_poll(port, lq, RTE_MAX(rte_ring_free_count(q->ring),
						    (unsigned int)nb_pkts), &reader);
		nb += reader.nb;
		lq += dev->nb_rx_queues;
		q->next_lower_queue = lq < port->nb_rxq ? lq : q->queue_id % port->nb_rxq;
	}
	if (unlikely(q->copy_to_pool) && nb != 0)
		nb = tap_queue_to_pool(q, pkts, nb);
	return nb;
}

/* The ethdev rx burst: a queue a tap file holds is that file's alone. */
uint16_t
macvtap_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct tap_queue *q = queue;

	if (unlikely(__atomic_load_n(&q->held, __ATOMIC_ACQUIRE))) {
		q->held_bursts++;
		return 0;
	}
	return macvtap_queue_take(q, pkts, nb_pkts);
}

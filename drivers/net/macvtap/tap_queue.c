/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * The per-queue rings of a macvtap port (the kernel's tap_queue, tap.c): the
 * lower fills them, the port's consumers drain them. Tail drop when full,
 * counted.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include <rte_memcpy.h>
#include <ethdev_driver.h>

#include "macvtap.h"

int
tap_queue_create(struct macvtap_dev *dev, uint16_t queue_id, uint16_t nb_desc,
		 unsigned int socket_id, struct rte_mempool *mp, struct tap_queue **out)
{
	char name[RTE_RING_NAMESIZE];
	struct tap_queue *q;

	q = rte_zmalloc_socket("tap_queue", sizeof(*q), RTE_CACHE_LINE_SIZE, (int)socket_id);
	if (q == NULL)
		return -ENOMEM;
	/* Ring names are global across processes: build them from ids. */
	snprintf(name, sizeof(name), "mvt_rx_%u_%u", dev->port_id, queue_id);
	/* Exact size: the kernel's ring holds exactly tx_queue_len frames. */
	q->ring = rte_ring_create(name, nb_desc, (int)socket_id, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (q->ring == NULL) {
		int ret = -rte_errno;

		MACVTAP_LOG(ERR, "port %u: cannot create ring %s: %s", dev->port_id, name,
			    rte_strerror(rte_errno));
		rte_free(q);
		return ret;
	}
	q->dev = dev;
	q->mp = mp;
	/* A pool with a private area belongs to an application that uses it. */
	q->copy_to_pool = rte_pktmbuf_priv_size(mp) != 0;
	q->queue_id = queue_id;
	q->next_lower_queue = queue_id;
	q->nb_desc = nb_desc;
	*out = q;
	return 0;
}

/* Free a queue and whatever frames still wait in it. */
void
tap_queue_free(struct tap_queue *q)
{
	struct rte_mbuf *pkts[MACVTAP_BURST];
	unsigned int n;

	if (q == NULL)
		return;
	while ((n = rte_ring_dequeue_burst(q->ring, (void **)pkts, RTE_DIM(pkts), NULL)) != 0)
		rte_pktmbuf_free_bulk(pkts, n);
	rte_ring_free(q->ring);
	rte_free(q);
}

/*
 * One producer's burst into a queue (the kernel's tap_handle_frame, minus the
 * segmentation it does for readers without offloads). Frames that do not fit
 * are freed and counted. The producer holds the lock of its slot, so its
 * counters take plain adds; the ring takes a single-producer enqueue when no
 * other producer can exist. Returns the room left in the ring.
 */
unsigned int
tap_queue_deliver(struct tap_queue *q, unsigned int slot, bool single_producer,
		  struct rte_mbuf **pkts, uint16_t nb, uint64_t bytes, const uint32_t *by_class)
{
	struct tap_queue_stats *st = &q->stats[slot];
	unsigned int done, room, i;

	done = single_producer ?
	       rte_ring_sp_enqueue_burst(q->ring, (void **)pkts, nb, &room) :
	       rte_ring_mp_enqueue_burst(q->ring, (void **)pkts, nb, &room);
	st->packets += done;
	st->bytes += bytes;
	for (i = 0; i < 3; i++)
		st->by_class[i] += by_class[i];
	if (unlikely(done < nb)) {
		/* Only the tail that did not fit is read again, to correct the counts. */
		for (i = done; i < nb; i++) {
			st->bytes -= pkts[i]->pkt_len;
			st->by_class[macvtap_frame_class(pkts[i])]--;
		}
		st->ring_full += nb - done;
		rte_pktmbuf_free_bulk(&pkts[done], nb - done);
	}
	return room;
}

/* Unicast, multicast or broadcast, from the frame itself. */
uint8_t
macvtap_frame_class(const struct rte_mbuf *m)
{
	struct rte_ether_addr copy;
	const struct rte_ether_addr *dst = rte_pktmbuf_read(m, 0, sizeof(copy), &copy);

	if (dst == NULL || !rte_is_multicast_ether_addr(dst))
		return MACVTAP_UNICAST;
	return rte_is_broadcast_ether_addr(dst) ? MACVTAP_BROADCAST : MACVTAP_MULTICAST;
}

/* Frames a producer handed straight to the queue's reader, counted as delivered. */
void
tap_queue_count(struct tap_queue *q, unsigned int slot, uint16_t nb, uint64_t bytes,
		const uint32_t *by_class)
{
	struct tap_queue_stats *st = &q->stats[slot];
	unsigned int i;

	st->packets += nb;
	st->bytes += bytes;
	for (i = 0; i < 3; i++)
		st->by_class[i] += by_class[i];
}

void
tap_queue_stats_sum(const struct tap_queue *q, struct tap_queue_stats *sum)
{
	unsigned int s, i;

	memset(sum, 0, sizeof(*sum));
	for (s = 0; s < TAP_QUEUE_PRODUCERS; s++) {
		const struct tap_queue_stats *st = &q->stats[s];

		sum->packets += __atomic_load_n(&st->packets, __ATOMIC_RELAXED);
		sum->bytes += __atomic_load_n(&st->bytes, __ATOMIC_RELAXED);
		sum->ring_full += __atomic_load_n(&st->ring_full, __ATOMIC_RELAXED);
		for (i = 0; i < 3; i++)
			sum->by_class[i] += __atomic_load_n(&st->by_class[i], __ATOMIC_RELAXED);
	}
}

/* Under traffic a reset may lose an increment racing with it, as in other PMDs. */
void
tap_queue_stats_reset(struct tap_queue *q)
{
	memset(q->stats, 0, sizeof(q->stats));
}

/*
 * Frames handed to the application must come from the pool it gave the
 * queue when that pool has a private area: OVS-DPDK keeps per-packet state
 * there and reads it for every frame it receives. Frames from another pool
 * are copied into it (one bulk allocation, a plain copy for one segment);
 * a frame with no mbuf for it is dropped and counted as rx_nombuf.
 */
static uint16_t
tap_queue_to_pool(struct tap_queue *q, struct rte_mbuf **pkts, uint16_t nb)
{
	struct rte_mbuf *copies[MACVLAN_POLL_BURST], *orig[MACVLAN_POLL_BURST];
	uint16_t i, n = 0, kept = 0, failed = 0;

	for (i = 0; i < nb; i++)
		if (pkts[i]->pool != q->mp)
			n++;
	if (n == 0)
		return nb;
	if (rte_pktmbuf_alloc_bulk(q->mp, copies, n) != 0)
		memset(copies, 0, n * sizeof(struct rte_mbuf *));
	for (i = 0, n = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i], *c;

		if (m->pool == q->mp) {
			pkts[kept++] = m;
			continue;
		}
		c = copies[n++];
		if (c != NULL && m->nb_segs == 1 && m->data_len <= rte_pktmbuf_tailroom(c)) {
			rte_memcpy(rte_pktmbuf_mtod(c, void *), rte_pktmbuf_mtod(m, void *),
				   m->data_len);
			c->data_len = m->data_len;
			c->pkt_len = m->pkt_len;
			c->port = m->port;
			c->ol_flags = m->ol_flags & ~(RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT);
			c->packet_type = m->packet_type;
			c->hash = m->hash;
			c->vlan_tci = m->vlan_tci;
			c->vlan_tci_outer = m->vlan_tci_outer;
		} else {
			/* Several segments, or a small buffer: the general copy. */
			if (c != NULL)
				rte_pktmbuf_free(c);
			c = rte_pktmbuf_copy(m, q->mp, 0, UINT32_MAX);
		}
		orig[failed++] = m;
		if (c != NULL)
			pkts[kept++] = c;
		else
			rte_eth_devices[q->dev->port_id].data->rx_mbuf_alloc_failed++;
	}
	rte_pktmbuf_free_bulk(orig, failed);
	return kept;
}

/*
 * The port's rx burst. Queue q of a port with n queues stands for the lower's
 * queues q, q + n, q + 2n... so that every lower queue is polled whatever the
 * queue counts. Each call takes what waits in the ring, and only when the
 * ring was empty (or every TAP_QUEUE_POLL_EVERY calls) polls one of its lower
 * queues, in turn: a queue that still has frames leaves the polling to one
 * that has none, so polls are rarer and larger when traffic spreads over many
 * ports, and a consumer that falls
 * behind leaves the polling to the others (its backlog is what its ring
 * holds, as with the kernel's tap_queue). Its own frames from that poll come
 * straight back, without a ring round trip.
 */
uint16_t
macvtap_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct tap_queue *q = queue;
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
	if ((nb == 0 || ++q->calls_since_poll >= TAP_QUEUE_POLL_EVERY) &&
	    q->queue_id < port->nb_rxq) {
		q->calls_since_poll = 0;
		reader.q = q;
		reader.pkts = pkts + nb;
		reader.room = nb_pkts - nb;
		reader.nb = 0;
		lq = q->next_lower_queue;
		/* As much as this ring can take: the others are served alike. */
		macvlan_port_poll(port, lq, RTE_MAX(rte_ring_free_count(q->ring),
						    (unsigned int)nb_pkts), &reader);
		nb += reader.nb;
		lq += dev->nb_rx_queues;
		q->next_lower_queue = lq < port->nb_rxq ? lq : q->queue_id;
	}
	if (unlikely(q->copy_to_pool) && nb != 0)
		nb = tap_queue_to_pool(q, pkts, nb);
	return nb;
}

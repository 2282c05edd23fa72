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

#include "macvtap.h"

int
tap_queue_create(struct macvtap_dev *dev, uint16_t queue_id, uint16_t nb_desc,
		 unsigned int socket_id, struct rte_mempool *mp, struct tap_queue **out)
{
	char name[RTE_RING_NAMESIZE];
	struct tap_queue *q;

	q = rte_zmalloc_socket("tap_queue", sizeof(*q), RTE_CACHE_LINE_SIZE, socket_id);
	if (q == NULL)
		return -ENOMEM;
	/* Ring names are global across processes: build them from ids. */
	snprintf(name, sizeof(name), "mvt_rx_%u_%u", dev->port_id, queue_id);
	/* Exact size: the kernel's ring holds exactly tx_queue_len frames. */
	q->ring = rte_ring_create(name, nb_desc, socket_id, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (q->ring == NULL) {
		int ret = -rte_errno;

		MACVTAP_LOG(ERR, "port %u: cannot create ring %s: %s", dev->port_id, name,
			    rte_strerror(rte_errno));
		rte_free(q);
		return ret;
	}
	q->dev = dev;
	q->mp = mp;
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
		  struct rte_mbuf **pkts, uint16_t nb, const uint8_t *cls, uint64_t bytes,
		  const uint32_t *by_class)
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
		/* Only the tail that did not fit is walked again, to correct the counts. */
		for (i = done; i < nb; i++) {
			st->bytes -= pkts[i]->pkt_len;
			st->by_class[cls[i]]--;
		}
		st->ring_full += nb - done;
		rte_pktmbuf_free_bulk(&pkts[done], nb - done);
	}
	return room;
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
 * The port's rx burst. Queue q of a port with n queues stands for the lower's
 * queues q, q + n, q + 2n... so that every lower queue is polled whatever the
 * queue counts. Each call polls one of them, in turn, and only when the ring
 * cannot fill the caller's burst: what is polled never outruns what is read,
 * and a consumer that falls behind leaves the polling to the others (its
 * backlog is what its ring holds, as with the kernel's tap_queue).
 */
uint16_t
macvtap_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct tap_queue *q = queue;
	struct macvtap_dev *dev = q->dev;
	struct macvlan_port *port = dev->port;
	uint16_t nb_rxq = dev->nb_rx_queues;
	uint16_t lq;

	if (rte_ring_count(q->ring) < nb_pkts && q->queue_id < port->nb_rxq) {
		/* As much as this ring can take: the others are served alike. */
		unsigned int room = rte_ring_free_count(q->ring);

		lq = q->next_lower_queue;
		macvlan_port_poll(port, lq, RTE_MAX(room, (unsigned int)nb_pkts));
		lq += nb_rxq;
		q->next_lower_queue = lq < port->nb_rxq ? lq : q->queue_id;
	}
	return rte_ring_dequeue_burst(q->ring, (void **)pkts, nb_pkts, NULL);
}

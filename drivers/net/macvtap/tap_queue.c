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
#include <sys/eventfd.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>

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
	q->efd = -1;
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
	/*
	 * A tap file waits on its eventfd: the first producer to commit after
	 * its reader found the queue empty and armed it wakes it. Decided after
	 * the enqueue committed (the room seen at reservation may be stale); the
	 * exchange is a full barrier, paired with the reader's (tap_file.c).
	 */
	if (unlikely(q->efd >= 0) && done != 0 &&
	    __atomic_exchange_n(&q->efd_armed, 0, __ATOMIC_SEQ_CST) != 0)
		eventfd_write(q->efd, 1);
	st->packets += done;
	st->bytes += bytes;
	for (i = 0; i < MACVTAP_NB_CLASSES; i++)
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
	for (i = 0; i < MACVTAP_NB_CLASSES; i++)
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
		sum->oversize += __atomic_load_n(&st->oversize, __ATOMIC_RELAXED);
		sum->offload_failed += __atomic_load_n(&st->offload_failed, __ATOMIC_RELAXED);
		for (i = 0; i < MACVTAP_NB_CLASSES; i++)
			sum->by_class[i] += __atomic_load_n(&st->by_class[i], __ATOMIC_RELAXED);
	}
}

/* Under traffic a reset may lose an increment racing with it, as in other PMDs. */
void
tap_queue_stats_reset(struct tap_queue *q)
{
	memset(q->stats, 0, sizeof(q->stats));
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Transmit: the port's mode decides between local delivery and the wire
 * (kernel: macvlan_queue_xmit, Matrix C), then the lower's tx burst under the
 * lower queue's lock. spoofchk, which the kernel lacks, drops frames with a
 * source MAC that is not one of the port's.
 */

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "macvtap.h"

static inline bool
source_is_own(const struct macvlan_endpoint *ep, uint64_t src)
{
	uint16_t i;

	for (i = 0; i < ep->nb_macs; i++)
		if (ep->macs[i] == src)
			return true;
	return false;
}

static const struct macvlan_endpoint *
table_find_dev(const struct macvlan_table *t, const struct macvtap_dev *dev)
{
	uint32_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->nb_endpoints; i++)
		if (t->endpoints[i].dev == dev)
			return &t->endpoints[i];
	return NULL;
}

/*
 * A bridge port's group frame: a copy for every other UP bridge port that
 * accepts it (the kernel's local fan-out); the frame itself then goes to the
 * wire. Group traffic is rare: one delivery per copy keeps this simple.
 */
static void
bridge_local_group(struct macvlan_port *port, const struct macvlan_table *t,
		   const struct macvlan_endpoint *self, struct rte_mbuf *m, uint64_t dst,
		   uint16_t lq, struct macvtap_txq *txq)
{
	bool bcast = dst == MACVTAP_KEY_BROADCAST;
	uint8_t cls = bcast ? MACVTAP_BROADCAST : MACVTAP_MULTICAST;
	uint32_t i;

	for (i = 0; i < t->nb_endpoints; i++) {
		const struct macvlan_endpoint *ep = &t->endpoints[i];
		struct rte_mbuf *c;

		if (ep == self || ep->mode != RTE_PMD_MACVTAP_MODE_BRIDGE ||
		    !endpoint_accepts_group(ep, dst, bcast))
			continue;
		c = rte_pktmbuf_copy(m, port->mp, 0, UINT32_MAX);
		if (unlikely(c == NULL)) {
			txq->tx_copy_failed++;
			continue;
		}
		c->port = ep->port_id;
		if (ep->nb_rxq == 0) {
			rte_pktmbuf_free(c);
		} else if (unlikely(macvtap_frame_too_long(ep, c))) {
			tap_get_queue(ep, c, lq)->stats[TAP_QUEUE_TX_SLOT(lq)].oversize++;
			rte_pktmbuf_free(c);
		} else {
			uint32_t by_class[MACVTAP_NB_CLASSES] = { 0 };

			by_class[cls] = 1;
			tap_queue_deliver(tap_get_queue(ep, c, lq), TAP_QUEUE_TX_SLOT(lq), false,
					  &c, 1, c->pkt_len, by_class);
		}
		txq->tx_local++;
	}
}

/* Bridge unicast re-enters the lower's receive path, as in the kernel. */
static inline void
bridge_local_flush(struct macvlan_port *port, const struct macvlan_table *t, uint16_t lq,
		   struct rte_mbuf **local, uint16_t *nb_local)
{
	if (*nb_local == 0)
		return;
	macvlan_handle_frames(port, t, lq, TAP_QUEUE_TX_SLOT(lq), local, *nb_local,
			      &port->local_stats[lq], NULL);
	*nb_local = 0;
}

/* The general path: spoofchk, bridge-local delivery, wire. Consumes every frame. */
static uint16_t
tx_classified(struct macvtap_txq *txq, struct macvlan_port *port, const struct macvlan_table *t,
	      const struct macvlan_endpoint *self, uint16_t lq, struct rte_mbuf **pkts,
	      uint16_t nb_pkts)
{
	const struct macvtap_dev *dev = txq->dev;
	struct rte_mbuf *wire[MACVTAP_BURST], *local[MACVTAP_BURST];
	uint16_t nb_wire = 0, nb_local = 0, nb_local_total = 0, sent, i;
	uint64_t bytes = 0, wire_bytes = 0;

	for (i = 0; i < nb_pkts; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr copy;
		const struct rte_ether_hdr *eh = rte_pktmbuf_read(m, 0, sizeof(copy), &copy);
		uint64_t dst, src;
		int32_t target;

		if (unlikely(eh == NULL)) {
			txq->tx_lower_dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		macvtap_hdr_keys(eh, &dst, &src);
		if (dev->spoofchk && !source_is_own(self, src)) {
			txq->tx_spoof_dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (dev->mode == RTE_PMD_MACVTAP_MODE_BRIDGE) {
			if (rte_is_multicast_ether_addr(&eh->dst_addr)) {
				if (eh->ether_type != RTE_BE16(MACVTAP_ETHER_TYPE_PAUSE)) {
					/* A sibling gets this sender's frames in order. */
					bridge_local_flush(port, t, lq, local, &nb_local);
					bridge_local_group(port, t, self, m, dst, lq, txq);
				}
			} else {
				target = macvlan_table_lookup(t, dst);
				if (target >= 0 &&
				    t->endpoints[target].mode == RTE_PMD_MACVTAP_MODE_BRIDGE) {
					bytes += m->pkt_len;
					local[nb_local++] = m;
					nb_local_total++;
					txq->tx_local++;
					continue;
				}
			}
		}
		wire_bytes += m->pkt_len;
		wire[nb_wire++] = m;
	}
	bridge_local_flush(port, t, lq, local, &nb_local);
	sent = nb_wire == 0 ? 0 : rte_eth_tx_burst(port->lower_port_id, lq, wire, nb_wire);
	if (unlikely(sent < nb_wire)) {
		for (i = sent; i < nb_wire; i++)
			wire_bytes -= wire[i]->pkt_len;
		rte_pktmbuf_free_bulk(&wire[sent], nb_wire - sent);
		txq->tx_lower_dropped += nb_wire - sent;
	}
	txq->tx_packets += sent + nb_local_total;
	txq->tx_bytes += wire_bytes + bytes;
	return nb_pkts;
}

/*
 * The port's tx burst. Frames that only go to the wire keep the lower's
 * backpressure: what the lower does not take is returned to the caller. With
 * bridge mode or spoofchk, every frame is consumed and a lower refusal is
 * counted as tx_lower_dropped. A port sends only once it is in the receive
 * table (its own MACs for spoofchk, its siblings for bridge delivery): until
 * then, and from the moment it leaves it, the burst takes nothing, as a
 * port that is down.
 */
uint16_t
macvtap_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct macvtap_txq *txq = queue;
	struct macvtap_dev *dev = txq->dev;
	struct macvlan_port *port = dev->port;
	const struct macvlan_endpoint *self;
	const struct macvlan_table *t;
	uint16_t lq, done = 0, n, sent, i;
	uint64_t bytes = 0;

	if (unlikely(__atomic_load_n(&port->dead, __ATOMIC_ACQUIRE) || !dev->up))
		return 0;
	lq = txq->queue_id % port->nb_txq;
	rte_spinlock_lock(&port->txq[lq].lock);
	/* The removal path sets dead, then takes every queue lock once: check again under it. */
	if (unlikely(__atomic_load_n(&port->dead, __ATOMIC_ACQUIRE))) {
		rte_spinlock_unlock(&port->txq[lq].lock);
		return 0;
	}
	if (dev->mode != RTE_PMD_MACVTAP_MODE_BRIDGE && !dev->spoofchk) {
		/*
		 * The lower owns what it took as soon as tx burst returns (a NIC
		 * may complete and free it at once): count before, correct by
		 * what it left, which is still ours.
		 */
		for (i = 0; i < nb_pkts; i++)
			bytes += pkts[i]->pkt_len;
		sent = rte_eth_tx_burst(port->lower_port_id, lq, pkts, nb_pkts);
		for (i = sent; i < nb_pkts; i++)
			bytes -= pkts[i]->pkt_len;
		rte_spinlock_unlock(&port->txq[lq].lock);
		txq->tx_packets += sent;
		txq->tx_bytes += bytes;
		return sent;
	}
	t = __atomic_load_n(&port->table, __ATOMIC_ACQUIRE);
	self = table_find_dev(t, dev);
	while (self != NULL && done < nb_pkts) {
		n = RTE_MIN(nb_pkts - done, MACVTAP_BURST);
		done += tx_classified(txq, port, t, self, lq, pkts + done, n);
	}
	rte_spinlock_unlock(&port->txq[lq].lock);
	return done;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Transmit: the port's mode decides between local delivery and the wire
 * (kernel: macvlan_queue_xmit, Matrix C), then the lower's tx burst under the
 * lower queue's lock. spoofchk, which the kernel lacks, drops frames with a
 * source MAC that is not one of the port's. Offloads the lower cannot do are
 * done first (macvtap_offload.c).
 */

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "macvtap.h"

/*
 * Frames for the wire, some with requests the lower cannot do: those are
 * resolved and sent one by one, the others in runs. Every frame is consumed;
 * returns how many went out whole, their bytes added to *bytes. Called with
 * the lower queue's lock.
 */
static uint16_t
tx_wire_sw(struct macvtap_txq *txq, struct macvlan_port *port, uint16_t lq,
	   struct rte_mbuf **pkts, uint16_t nb, uint64_t *bytes)
{
	struct rte_mbuf *segs[MACVTAP_GSO_MAX_SEGS];
	uint16_t i, run = 0, sent = 0, s, k;
	uint64_t run_bytes = 0;
	int n;

	for (i = 0; i <= nb; i++) {
		struct rte_mbuf *m = i < nb ? pkts[i] : NULL;
		uint32_t len;

		if (m != NULL && !(m->ol_flags & port->tx_sw_flags)) {
			run_bytes += m->pkt_len;
			run++;
			continue;
		}
		if (run != 0) {
			struct rte_mbuf **r = pkts + i - run;

			s = rte_eth_tx_burst(port->lower_port_id, lq, r, run);
			for (k = s; k < run; k++)
				run_bytes -= r[k]->pkt_len;
			if (s < run) {
				rte_pktmbuf_free_bulk(r + s, run - s);
				txq->tx_lower_dropped += run - s;
			}
			sent += s;
			*bytes += run_bytes;
			run = 0;
			run_bytes = 0;
		}
		if (m == NULL)
			break;
		len = m->pkt_len;
		n = macvtap_offload_resolve(m, port->tx_ol, port->mp, segs, RTE_DIM(segs));
		if (n < 0) {
			txq->tx_offload_failed++;
			continue;
		}
		s = rte_eth_tx_burst(port->lower_port_id, lq, segs, (uint16_t)n);
		if (s < n) {
			rte_pktmbuf_free_bulk(segs + s, n - s);
			txq->tx_lower_dropped++;
		} else {
			sent++;
			*bytes += len;
		}
	}
	return sent;
}

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

/* One copy of a group frame to endpoint ep, its offloads resolved for the reader. */
static void
bridge_local_one(struct macvlan_port *port, const struct macvlan_endpoint *ep,
		 struct rte_mbuf *c, uint8_t cls, uint16_t lq)
{
	struct tap_queue *q = tap_get_queue(ep, c, lq);
	struct tap_queue_stats *st = &q->stats[TAP_QUEUE_TX_SLOT(lq)];
	struct rte_mbuf *segs[MACVTAP_GSO_MAX_SEGS];
	int n = 1, i;

	segs[0] = c;
	if (unlikely(c->ol_flags & MACVTAP_TX_OL_FLAGS)) {
		n = macvtap_offload_resolve(c, __atomic_load_n(&q->ol_accept, __ATOMIC_RELAXED),
					    port->mp, segs, RTE_DIM(segs));
		if (n < 0) {
			st->offload_failed++;
			return;
		}
	}
	for (i = 0; i < n; i++) {
		uint32_t by_class[MACVTAP_NB_CLASSES] = { 0 };

		if (unlikely(macvtap_frame_too_long(ep, segs[i]))) {
			st->oversize++;
			rte_pktmbuf_free(segs[i]);
			continue;
		}
		by_class[cls] = 1;
		tap_queue_deliver(q, TAP_QUEUE_TX_SLOT(lq), false, &segs[i], 1, segs[i]->pkt_len,
				  by_class);
	}
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
		if (ep->nb_rxq == 0)
			rte_pktmbuf_free(c);
		else
			bridge_local_one(port, ep, c, cls, lq);
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
	uint64_t bytes = 0, wire_bytes = 0, wire_ol = 0;

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
		wire_ol |= m->ol_flags;
		wire[nb_wire++] = m;
	}
	bridge_local_flush(port, t, lq, local, &nb_local);
	if (unlikely(wire_ol & port->tx_sw_flags)) {
		wire_bytes = 0;
		sent = tx_wire_sw(txq, port, lq, wire, nb_wire, &wire_bytes);
		nb_wire = sent;
	} else {
		sent = nb_wire == 0 ? 0 : rte_eth_tx_burst(port->lower_port_id, lq, wire, nb_wire);
	}
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
		uint64_t ol = 0;

		for (i = 0; i < nb_pkts; i++) {
			bytes += pkts[i]->pkt_len;
			ol |= pkts[i]->ol_flags;
		}
		if (unlikely(ol & port->tx_sw_flags)) {
			/* Offloads to do first: every frame is consumed, refusals counted. */
			bytes = 0;
			sent = tx_wire_sw(txq, port, lq, pkts, nb_pkts, &bytes);
			rte_spinlock_unlock(&port->txq[lq].lock);
			txq->tx_packets += sent;
			txq->tx_bytes += bytes;
			return nb_pkts;
		}
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

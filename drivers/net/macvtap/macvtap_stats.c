/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Statistics and extended statistics of a macvtap port. Per-queue counters
 * are summed here; the lower's counters (frames no port took) are shown on
 * every port, each port keeping its own reset baseline.
 */

#include <stddef.h>
#include <string.h>

#include <ethdev_driver.h>

#include "macvtap.h"

static inline uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

int
macvtap_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *stats)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	uint16_t i;

	for (i = 0; i < data->nb_rx_queues; i++) {
		const struct tap_queue *q = data->rx_queues[i];
		struct tap_queue_stats sum;

		if (q == NULL)
			continue;
		tap_queue_stats_sum(q, &sum);
		stats->ipackets += sum.packets;
		stats->ibytes += sum.bytes;
		stats->imissed += sum.ring_full;
		stats->ierrors += sum.oversize + sum.offload_failed;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_ipackets[i] = sum.packets;
			stats->q_ibytes[i] = sum.bytes;
			stats->q_errors[i] = sum.ring_full;
		}
	}
	for (i = 0; i < data->nb_tx_queues; i++) {
		const struct macvtap_txq *q = data->tx_queues[i];
		uint64_t pkts, bytes;

		if (q == NULL)
			continue;
		pkts = load(&q->tx_packets);
		bytes = load(&q->tx_bytes);
		stats->opackets += pkts;
		stats->obytes += bytes;
		stats->oerrors += load(&q->tx_lower_dropped) + load(&q->tx_spoof_dropped) +
				  load(&q->tx_copy_failed) + load(&q->tx_file_dropped) +
				  load(&q->tx_offload_failed);
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_opackets[i] = pkts;
			stats->q_obytes[i] = bytes;
		}
	}
	return 0;
}

static void
zero(uint64_t *p)
{
	__atomic_store_n(p, 0, __ATOMIC_RELAXED);
}

int
macvtap_stats_reset(struct rte_eth_dev *eth_dev)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	struct macvtap_dev *dev = data->dev_private;
	uint16_t i;

	for (i = 0; i < data->nb_rx_queues; i++) {
		struct tap_queue *q = data->rx_queues[i];

		if (q == NULL)
			continue;
		tap_queue_stats_reset(q);
		zero(&q->held_bursts);
		zero(&q->file_closed_dropped);
		zero(&q->pool_copied);
	}
	for (i = 0; i < data->nb_tx_queues; i++) {
		struct macvtap_txq *q = data->tx_queues[i];

		if (q == NULL)
			continue;
		zero(&q->tx_packets);
		zero(&q->tx_bytes);
		zero(&q->tx_local);
		zero(&q->tx_lower_dropped);
		zero(&q->tx_spoof_dropped);
		zero(&q->tx_copy_failed);
		zero(&q->tx_file_dropped);
		zero(&q->tx_offload_failed);
	}
	if (dev->port != NULL)
		macvlan_port_lower_stats(dev->port, &dev->lower_base);
	macvtap_chardev_stats_reset(dev);
	return 0;
}

enum xstat_source { XS_RXQ, XS_TXQ, XS_LOWER, XS_RXQ_CONSUMER, XS_CHARDEV };

struct xstat_def {
	const char *name;
	enum xstat_source source;
	size_t offset;
};

static const struct xstat_def xstat_defs[] = {
	{ "rx_unicast_packets", XS_RXQ,
	  offsetof(struct tap_queue_stats, by_class[MACVTAP_UNICAST]) },
	{ "rx_multicast_packets", XS_RXQ,
	  offsetof(struct tap_queue_stats, by_class[MACVTAP_MULTICAST]) },
	{ "rx_broadcast_packets", XS_RXQ,
	  offsetof(struct tap_queue_stats, by_class[MACVTAP_BROADCAST]) },
	{ "rx_ring_full_dropped", XS_RXQ, offsetof(struct tap_queue_stats, ring_full) },
	{ "rx_oversize_dropped", XS_RXQ, offsetof(struct tap_queue_stats, oversize) },
	{ "rx_offload_dropped", XS_RXQ, offsetof(struct tap_queue_stats, offload_failed) },
	{ "tx_local_packets", XS_TXQ, offsetof(struct macvtap_txq, tx_local) },
	{ "tx_spoof_dropped", XS_TXQ, offsetof(struct macvtap_txq, tx_spoof_dropped) },
	{ "tx_lower_dropped", XS_TXQ, offsetof(struct macvtap_txq, tx_lower_dropped) },
	{ "tx_copy_failed", XS_TXQ, offsetof(struct macvtap_txq, tx_copy_failed) },
	{ "tx_file_dropped", XS_TXQ, offsetof(struct macvtap_txq, tx_file_dropped) },
	{ "tx_offload_dropped", XS_TXQ, offsetof(struct macvtap_txq, tx_offload_failed) },
	{ "rx_burst_held", XS_RXQ_CONSUMER, offsetof(struct tap_queue, held_bursts) },
	{ "rx_file_closed_dropped", XS_RXQ_CONSUMER,
	  offsetof(struct tap_queue, file_closed_dropped) },
	{ "rx_pool_copied_packets", XS_RXQ_CONSUMER, offsetof(struct tap_queue, pool_copied) },
	{ "lower_rx_packets", XS_LOWER,
	  offsetof(struct rte_pmd_macvtap_lower_stats, rx_packets) },
	{ "lower_rx_no_port_dropped", XS_LOWER,
	  offsetof(struct rte_pmd_macvtap_lower_stats, rx_no_port) },
	{ "lower_rx_no_listener_dropped", XS_LOWER,
	  offsetof(struct rte_pmd_macvtap_lower_stats, rx_no_listener) },
	{ "lower_rx_runt_dropped", XS_LOWER,
	  offsetof(struct rte_pmd_macvtap_lower_stats, rx_runt) },
	{ "lower_rx_pause_dropped", XS_LOWER,
	  offsetof(struct rte_pmd_macvtap_lower_stats, rx_pause) },
	{ "lower_rx_nodst_dropped", XS_LOWER,
	  offsetof(struct rte_pmd_macvtap_lower_stats, rx_nodst_dropped) },
	{ "lower_rx_passthru_down_dropped", XS_LOWER,
	  offsetof(struct rte_pmd_macvtap_lower_stats, rx_passthru_down) },
	{ "lower_rx_copy_failed", XS_LOWER,
	  offsetof(struct rte_pmd_macvtap_lower_stats, rx_copy_failed) },
	{ "chardev_peer_connects", XS_CHARDEV,
	  offsetof(struct macvtap_chardev_stats, peer_connects) },
	{ "chardev_peer_refused", XS_CHARDEV,
	  offsetof(struct macvtap_chardev_stats, peer_refused) },
	{ "chardev_peer_errors", XS_CHARDEV, offsetof(struct macvtap_chardev_stats, peer_errors) },
	{ "chardev_from_peer_packets", XS_CHARDEV,
	  offsetof(struct macvtap_chardev_stats, from_peer_packets) },
	{ "chardev_from_peer_dropped", XS_CHARDEV,
	  offsetof(struct macvtap_chardev_stats, from_peer_dropped) },
	{ "chardev_to_peer_packets", XS_CHARDEV,
	  offsetof(struct macvtap_chardev_stats, to_peer_packets) },
	{ "chardev_no_peer_dropped", XS_CHARDEV,
	  offsetof(struct macvtap_chardev_stats, no_peer_dropped) },
	{ "chardev_to_peer_dropped", XS_CHARDEV,
	  offsetof(struct macvtap_chardev_stats, to_peer_dropped) },
};

int
macvtap_xstats_get_names(struct rte_eth_dev *eth_dev __rte_unused,
			 struct rte_eth_xstat_name *names, unsigned int n)
{
	unsigned int i;

	if (names == NULL || n < RTE_DIM(xstat_defs))
		return RTE_DIM(xstat_defs);
	for (i = 0; i < RTE_DIM(xstat_defs); i++)
		strlcpy(names[i].name, xstat_defs[i].name, sizeof(names[i].name));
	return RTE_DIM(xstat_defs);
}

int
macvtap_xstats_get(struct rte_eth_dev *eth_dev, struct rte_eth_xstat *xstats, unsigned int n)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	struct macvtap_dev *dev = data->dev_private;
	struct rte_pmd_macvtap_lower_stats lower;
	struct macvtap_chardev_stats chardev;
	unsigned int i;
	uint16_t q;

	if (xstats == NULL || n < RTE_DIM(xstat_defs))
		return RTE_DIM(xstat_defs);
	memset(&lower, 0, sizeof(lower));
	if (dev->port != NULL)
		macvlan_port_lower_stats(dev->port, &lower);
	macvtap_chardev_stats_get(dev, &chardev);
	for (i = 0; i < RTE_DIM(xstat_defs); i++) {
		const struct xstat_def *d = &xstat_defs[i];
		uint64_t v = 0;

		switch (d->source) {
		case XS_RXQ:
			for (q = 0; q < data->nb_rx_queues; q++) {
				struct tap_queue_stats sum;

				if (data->rx_queues[q] == NULL)
					continue;
				tap_queue_stats_sum(data->rx_queues[q], &sum);
				v += *(uint64_t *)RTE_PTR_ADD(&sum, d->offset);
			}
			break;
		case XS_TXQ:
			for (q = 0; q < data->nb_tx_queues; q++)
				if (data->tx_queues[q] != NULL)
					v += load(RTE_PTR_ADD(data->tx_queues[q], d->offset));
			break;
		case XS_RXQ_CONSUMER:
			for (q = 0; q < data->nb_rx_queues; q++)
				if (data->rx_queues[q] != NULL)
					v += load(RTE_PTR_ADD(data->rx_queues[q], d->offset));
			break;
		case XS_LOWER:
			v = *(uint64_t *)RTE_PTR_ADD(&lower, d->offset) -
			    *(uint64_t *)RTE_PTR_ADD(&dev->lower_base, d->offset);
			break;
		case XS_CHARDEV:
			v = *(uint64_t *)RTE_PTR_ADD(&chardev, d->offset);
			break;
		}
		xstats[i].id = i;
		xstats[i].value = v;
	}
	return RTE_DIM(xstat_defs);
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * The macvtap port as an ethdev (kernel: macvtap.c and the netdev side of
 * macvlan.c): vdev probe and remove, devargs, eth_dev_ops, the public API.
 */

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <bus_vdev_driver.h>

#include "macvtap.h"

RTE_LOG_REGISTER_DEFAULT(macvtap_logtype, NOTICE);

static const struct eth_dev_ops macvtap_ops;

static bool
macvtap_is_port(uint16_t port_id)
{
	return rte_eth_dev_is_valid_port(port_id) &&
	       rte_eth_devices[port_id].dev_ops == &macvtap_ops;
}

/* ---- link ---- */

static int
macvtap_link_update(struct rte_eth_dev *eth_dev, int wait __rte_unused)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	bool changed;

	/* The lower's link as last seen by its LSC event or poll: never stale by more than a poll. */
	pthread_mutex_lock(&macvlan_lock);
	changed = macvlan_port_link_refresh(dev);
	pthread_mutex_unlock(&macvlan_lock);
	return changed ? 0 : -1;
}

/* ---- control ops ---- */

/* Resolve a lower named before it was probed, and check passthru exclusivity. */
static int
macvtap_attach_lower(struct macvtap_dev *dev, const char *who)
{
	struct macvlan_port *port = dev->port;
	int ret = macvlan_port_resolve(port);

	if ((ret == -EAGAIN || ret == -ENODEV) && if_nametoindex(port->lower_name) != 0) {
		MACVTAP_LOG(ERR, "%s: iface=%s is a kernel interface, not a DPDK port: put a "
			    "DPDK port on it first, e.g. --vdev net_af_packet0,iface=%s (or "
			    "net_pcap0,iface=%s), then iface=net_af_packet0", who, port->lower_name,
			    port->lower_name, port->lower_name);
		return -ENODEV;
	}
	if (ret == -EAGAIN || ret == -ENODEV) {
		MACVTAP_LOG(ERR, "%s: iface=%s: no such port (a DPDK port: a PCI address, or the name "
			    "of a vdev such as net_af_packet0)", who, port->lower_name);
		return -ENODEV;
	}
	if (ret == -ELOOP) {
		MACVTAP_LOG(ERR, "%s: iface=%s: the lower is itself a macvtap port", who,
			    port->lower_name);
		return -EINVAL;
	}
	if (ret != 0) {
		MACVTAP_LOG(ERR, "%s: iface=%s: cannot take the lower: %s", who,
			    port->lower_name, rte_strerror(-ret));
		return ret;
	}
	if (dev->mode == RTE_PMD_MACVTAP_MODE_PASSTHRU && !port->lower_mac_changed)
		rte_eth_macaddr_get(port->lower_port_id, &dev->mac_addrs[0]);
	return 0;
}

static int
macvtap_dev_configure(struct rte_eth_dev *eth_dev)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	int ret;

	pthread_mutex_lock(&macvlan_lock);
	ret = macvtap_attach_lower(dev, eth_dev->data->name);
	if (ret == 0 && dev->port->dead)
		ret = -ENODEV;
	if (ret == 0)
		ret = macvlan_port_configure(dev->port);
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

static int
macvtap_dev_infos_get(struct rte_eth_dev *eth_dev, struct rte_eth_dev_info *info)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	struct macvlan_port *port = dev->port;
	uint32_t mtu = RTE_ETHER_MTU;
	struct rte_eth_dev_info lower_info;

	/* The lower's MTU bounds the port's, configured by us or not yet. */
	if (port != NULL)
		mtu = macvlan_port_lower_mtu(port);
	/*
	 * TX offloads: checksums and TCP segmentation, done by the lower where
	 * it can and in software where not (macvtap_offload_resolve); chains
	 * where the lower takes them.
	 */
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
				RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO;
	if (port != NULL && port->resolved && !port->dead &&
	    rte_eth_dev_info_get(port->lower_port_id, &lower_info) == 0) {
		info->speed_capa = lower_info.speed_capa;
		info->tx_offload_capa |= lower_info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	}
	info->tx_queue_offload_capa = info->tx_offload_capa;
	info->max_rx_queues = MACVTAP_MAX_QUEUES;
	info->max_tx_queues = MACVTAP_MAX_QUEUES;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = mtu;
	info->max_rx_pktlen = mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	info->max_mac_addrs = MACVTAP_MAX_MAC_ADDRS;
	info->min_rx_bufsize = 0;
	info->rx_desc_lim.nb_max = MACVTAP_MAX_DESC;
	info->rx_desc_lim.nb_min = 1;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = MACVTAP_DEFAULT_RING_SIZE;
	info->default_txportconf.ring_size = MACVTAP_DEFAULT_RING_SIZE;
	info->default_rxportconf.burst_size = MACVTAP_BURST;
	info->default_txportconf.burst_size = MACVTAP_BURST;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->dev_capa &= ~RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP;
	return 0;
}

static int
macvtap_dev_start(struct rte_eth_dev *eth_dev)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	struct macvtap_dev *dev = data->dev_private;
	struct macvlan_port *port = dev->port;
	uint16_t i;
	int ret = 0;

	pthread_mutex_lock(&macvlan_lock);
	if (port->dead || !port->configured) {
		MACVTAP_LOG(ERR, "%s: iface=%s: the lower is gone", data->name, port->lower_name);
		ret = -ENODEV;
		goto out;
	}
	for (i = 0; i < data->nb_rx_queues; i++) {
		if (data->rx_queues[i] == NULL) {
			MACVTAP_LOG(ERR, "%s: rx queue %u is not set up", data->name, i);
			ret = -EINVAL;
			goto out;
		}
	}
	if (data->mtu > port->lower_mtu)
		data->mtu = port->lower_mtu;
	dev->mtu = data->mtu;
	dev->nb_rx_queues = RTE_MAX(data->nb_rx_queues, 1);
	/* A port without RX queues may be the first: the lower starts with it. */
	ret = macvlan_port_start_rx(port, dev);
	if (ret != 0)
		goto out;
	for (i = 0; i < data->nb_rx_queues; i++)
		macvlan_port_fit_queue(port, data->rx_queues[i]);
	dev->started = true;
	if (dev->admin_up) {
		ret = macvlan_port_open(port, dev);
		if (ret != 0) {
			dev->started = false;
			MACVTAP_LOG(ERR, "%s: cannot open: %s", data->name,
				    ret == -EADDRINUSE ? "its MAC is in use on the lower" :
				    rte_strerror(-ret));
			goto out;
		}
	}
	for (i = 0; i < data->nb_rx_queues; i++)
		data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	for (i = 0; i < data->nb_tx_queues; i++)
		data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	macvlan_port_link_refresh(dev);
out:
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

static int
macvtap_dev_stop_locked(struct rte_eth_dev *eth_dev)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	struct macvtap_dev *dev = data->dev_private;
	uint16_t i;

	if (dev->port != NULL)
		macvlan_port_stop(dev->port, dev);
	dev->started = false;
	data->dev_started = 0;
	/* The endpoint's thread is done with the port's queues before they may change. */
	macvtap_chardev_quiesce(dev);
	for (i = 0; i < data->nb_rx_queues; i++)
		data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (i = 0; i < data->nb_tx_queues; i++)
		data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	macvlan_port_link_refresh(dev);
	return 0;
}

static int
macvtap_dev_stop(struct rte_eth_dev *eth_dev)
{
	int ret;

	pthread_mutex_lock(&macvlan_lock);
	ret = macvtap_dev_stop_locked(eth_dev);
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

static int
macvtap_dev_close(struct rte_eth_dev *eth_dev)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	struct macvtap_dev *dev = data->dev_private;
	uint16_t i;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	/* Its thread may wait for the lock: joined before it is taken. */
	macvtap_chardev_destroy(dev);
	pthread_mutex_lock(&macvlan_lock);
	tap_file_port_closing(dev);
	if (dev->started)
		macvtap_dev_stop_locked(eth_dev);
	for (i = 0; i < data->nb_rx_queues; i++) {
		tap_queue_free(data->rx_queues[i]);
		data->rx_queues[i] = NULL;
	}
	for (i = 0; i < data->nb_tx_queues; i++) {
		rte_free(data->tx_queues[i]);
		data->tx_queues[i] = NULL;
	}
	if (dev->port != NULL)
		macvlan_port_del_dev(dev->port, dev);
	/* mac_addrs lives in dev_private: ethdev must not free it. */
	data->mac_addrs = NULL;
	pthread_mutex_unlock(&macvlan_lock);
	return 0;
}

static int
macvtap_set_link(struct rte_eth_dev *eth_dev, bool up)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	bool changed;
	int ret = 0;

	pthread_mutex_lock(&macvlan_lock);
	if (dev->admin_up != up) {
		dev->admin_up = up;
		if (dev->started && up)
			ret = macvlan_port_open(dev->port, dev);
		else if (dev->started)
			macvlan_port_stop(dev->port, dev);
		if (ret != 0)
			dev->admin_up = false;
	}
	changed = macvlan_port_link_refresh(dev);
	pthread_mutex_unlock(&macvlan_lock);
	if (changed)
		rte_eth_dev_callback_process(eth_dev, RTE_ETH_EVENT_INTR_LSC, NULL);
	return ret;
}

static int
macvtap_set_link_up(struct rte_eth_dev *eth_dev)
{
	return macvtap_set_link(eth_dev, true);
}

static int
macvtap_set_link_down(struct rte_eth_dev *eth_dev)
{
	return macvtap_set_link(eth_dev, false);
}

static void
macvtap_rx_queue_release(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	struct tap_queue *q = eth_dev->data->rx_queues[qid];

	if (q == NULL)
		return;
	pthread_mutex_lock(&macvlan_lock);
	/* A tap file that holds it keeps its state for the queue set up next. */
	tap_file_queue_released(eth_dev->data->dev_private, q);
	eth_dev->data->rx_queues[qid] = NULL;
	pthread_mutex_unlock(&macvlan_lock);
	tap_queue_free(q);
}

static void
macvtap_tx_queue_release(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	struct macvtap_txq *q = eth_dev->data->tx_queues[qid];

	if (q == NULL)
		return;
	/* Under the lock: telemetry reads the queues' counters under it. */
	pthread_mutex_lock(&macvlan_lock);
	eth_dev->data->tx_queues[qid] = NULL;
	pthread_mutex_unlock(&macvlan_lock);
	rte_free(q);
}

static int
macvtap_rx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t qid, uint16_t nb_desc,
		       unsigned int socket_id, const struct rte_eth_rxconf *conf __rte_unused,
		       struct rte_mempool *mp)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	struct tap_queue *old = eth_dev->data->rx_queues[qid];
	struct tap_queue *q;
	int ret;

	ret = tap_queue_create(dev, qid, nb_desc, socket_id, mp, &q);
	if (ret != 0)
		return ret;
	/* ethdev released the old one already; a direct call may not have. */
	if (old != NULL)
		macvtap_rx_queue_release(eth_dev, qid);
	pthread_mutex_lock(&macvlan_lock);
	tap_file_queue_created(dev, q);
	eth_dev->data->rx_queues[qid] = q;
	/*
	 * The first queue set up on the lower decides its pool and starts it
	 * (a failure shows again at dev_start); then whether this queue's frames
	 * need a copy into its pool.
	 */
	if (dev->port != NULL && macvlan_port_start_rx(dev->port, dev) == 0)
		macvlan_port_fit_queue(dev->port, q);
	pthread_mutex_unlock(&macvlan_lock);
	return 0;
}

static int
macvtap_tx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t qid, uint16_t nb_desc,
		       unsigned int socket_id, const struct rte_eth_txconf *conf __rte_unused)
{
	struct macvtap_txq *q;

	macvtap_tx_queue_release(eth_dev, qid);
	q = rte_zmalloc_socket("macvtap_txq", sizeof(*q), RTE_CACHE_LINE_SIZE,
			       (int)socket_id);
	if (q == NULL)
		return -ENOMEM;
	q->dev = eth_dev->data->dev_private;
	q->queue_id = qid;
	q->nb_desc = nb_desc;
	pthread_mutex_lock(&macvlan_lock);
	eth_dev->data->tx_queues[qid] = q;
	pthread_mutex_unlock(&macvlan_lock);
	return 0;
}

static void
macvtap_rxq_info_get(struct rte_eth_dev *eth_dev, uint16_t qid, struct rte_eth_rxq_info *qinfo)
{
	const struct tap_queue *q = eth_dev->data->rx_queues[qid];

	qinfo->mp = q->mp;
	qinfo->nb_desc = q->nb_desc;
	qinfo->scattered_rx = 0;
	qinfo->queue_state = eth_dev->data->rx_queue_state[qid];
}

static void
macvtap_txq_info_get(struct rte_eth_dev *eth_dev, uint16_t qid, struct rte_eth_txq_info *qinfo)
{
	const struct macvtap_txq *q = eth_dev->data->tx_queues[qid];

	qinfo->nb_desc = q->nb_desc;
	qinfo->queue_state = eth_dev->data->tx_queue_state[qid];
}

/* Apply a receive-filter change of an UP port: lower references, then the table. */
static int
macvtap_rx_mode_changed(struct macvtap_dev *dev)
{
	int ret = 0;

	if (dev->up) {
		ret = macvlan_port_set_rx_mode(dev->port, dev);
		if (ret == 0)
			ret = macvlan_port_rebuild(dev->port);
	}
	return ret;
}

/* After a failed change, the port's previous filters on the lower and in the table. */
static void
macvtap_rx_mode_restore(struct macvtap_dev *dev)
{
	if (macvtap_rx_mode_changed(dev) != 0)
		MACVTAP_LOG(ERR, "port %u: its previous receive filters could not be restored",
			    dev->port_id);
}

static int
macvtap_set_rx_flag(struct rte_eth_dev *eth_dev, bool *flag, bool on)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	int ret;

	pthread_mutex_lock(&macvlan_lock);
	*flag = on;
	ret = macvtap_rx_mode_changed(dev);
	if (ret != 0) {
		*flag = !on;
		macvtap_rx_mode_restore(dev);
	}
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

static int
macvtap_promiscuous_enable(struct rte_eth_dev *eth_dev)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;

	return macvtap_set_rx_flag(eth_dev, &dev->promisc, true);
}

static int
macvtap_promiscuous_disable(struct rte_eth_dev *eth_dev)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;

	return macvtap_set_rx_flag(eth_dev, &dev->promisc, false);
}

static int
macvtap_allmulticast_enable(struct rte_eth_dev *eth_dev)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;

	return macvtap_set_rx_flag(eth_dev, &dev->allmulti, true);
}

static int
macvtap_allmulticast_disable(struct rte_eth_dev *eth_dev)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;

	return macvtap_set_rx_flag(eth_dev, &dev->allmulti, false);
}

/* Re-key one MAC slot (kernel: macvlan_set_mac_address and the uc list). */
static int
macvtap_rekey(struct rte_eth_dev *eth_dev, uint32_t index, const struct rte_ether_addr *mac)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	struct macvlan_port *port = dev->port;
	struct rte_ether_addr old = dev->mac_addrs[index];
	int ret;

	if (mac != NULL && rte_is_same_ether_addr(mac, &old))
		return 0;
	if (mac != NULL && macvlan_port_mac_busy(port, dev, mac)) {
		MACVTAP_LOG(ERR, "%s: " RTE_ETHER_ADDR_PRT_FMT " is in use on iface=%s",
			    eth_dev->data->name, RTE_ETHER_ADDR_BYTES(mac), port->lower_name);
		return -EADDRINUSE;
	}
	if (dev->up)
		macvlan_port_filter_del(port, dev, index);
	if (mac != NULL)
		dev->mac_addrs[index] = *mac;
	else
		memset(&dev->mac_addrs[index], 0, sizeof(dev->mac_addrs[index]));
	if (!dev->up)
		return 0;
	ret = macvlan_port_filter_add(port, dev, index);
	if (ret == 0)
		ret = macvlan_port_rebuild(port);
	if (ret != 0) {
		/* Back to the old address; the table was not replaced. */
		macvlan_port_filter_del(port, dev, index);
		dev->mac_addrs[index] = old;
		if (macvlan_port_filter_add(port, dev, index) != 0)
			MACVTAP_LOG(ERR, "%s: " RTE_ETHER_ADDR_PRT_FMT " is no longer in the "
				    "lower's filter", eth_dev->data->name, RTE_ETHER_ADDR_BYTES(&old));
	}
	return ret;
}

static int
macvtap_mac_addr_set(struct rte_eth_dev *eth_dev, struct rte_ether_addr *mac)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	int ret;

	pthread_mutex_lock(&macvlan_lock);
	if (dev->mode == RTE_PMD_MACVTAP_MODE_PASSTHRU) {
		/* Passthru: the lower takes the address and the port follows. */
		ret = macvlan_port_set_lower_mac(dev->port, mac);
		if (ret == 0) {
			dev->mac_addrs[0] = *mac;
			ret = dev->up ? macvlan_port_rebuild(dev->port) : 0;
		}
	} else {
		ret = macvtap_rekey(eth_dev, 0, mac);
	}
	if (ret == 0)
		macvtap_chardev_mac_changed(dev); /* the port's change stands if this fails (logged) */
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

static int
macvtap_mac_addr_add(struct rte_eth_dev *eth_dev, struct rte_ether_addr *mac, uint32_t index,
		     uint32_t vmdq __rte_unused)
{
	int ret;

	pthread_mutex_lock(&macvlan_lock);
	ret = macvtap_rekey(eth_dev, index, mac);
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

static void
macvtap_mac_addr_remove(struct rte_eth_dev *eth_dev, uint32_t index)
{
	pthread_mutex_lock(&macvlan_lock);
	macvtap_rekey(eth_dev, index, NULL);
	pthread_mutex_unlock(&macvlan_lock);
}

static int
macvtap_set_mc_addr_list(struct rte_eth_dev *eth_dev, struct rte_ether_addr *list, uint32_t nb)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	struct rte_ether_addr saved[MACVTAP_MAX_MC_ADDRS];
	uint32_t saved_nb, i;
	int ret;

	if (nb > MACVTAP_MAX_MC_ADDRS) {
		MACVTAP_LOG(ERR, "%s: %u multicast addresses, at most %d", eth_dev->data->name,
			    nb, MACVTAP_MAX_MC_ADDRS);
		return -ENOSPC;
	}
	for (i = 0; i < nb; i++) {
		if (!rte_is_multicast_ether_addr(&list[i])) {
			MACVTAP_LOG(ERR, "%s: " RTE_ETHER_ADDR_PRT_FMT " is not multicast",
				    eth_dev->data->name, RTE_ETHER_ADDR_BYTES(&list[i]));
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&macvlan_lock);
	saved_nb = dev->nb_mc;
	memcpy(saved, dev->mc_addrs, sizeof(saved));
	if (nb != 0)
		memcpy(dev->mc_addrs, list, nb * sizeof(*list));
	dev->nb_mc = nb;
	ret = macvtap_rx_mode_changed(dev);
	if (ret != 0) {
		memcpy(dev->mc_addrs, saved, sizeof(saved));
		dev->nb_mc = saved_nb;
		macvtap_rx_mode_restore(dev);
	}
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

/* The kernel's macvlan_change_mtu: up to the lower's MTU; frames beyond it are dropped. */
static int
macvtap_mtu_set(struct rte_eth_dev *eth_dev, uint16_t mtu)
{
	struct macvtap_dev *dev = eth_dev->data->dev_private;
	uint16_t old = dev->mtu;
	uint32_t lower_mtu;
	int ret = 0;

	pthread_mutex_lock(&macvlan_lock);
	lower_mtu = macvlan_port_lower_mtu(dev->port);
	if (mtu > lower_mtu) {
		MACVTAP_LOG(ERR, "%s: MTU %u exceeds the lower's %u", eth_dev->data->name, mtu,
			    lower_mtu);
		ret = -EINVAL;
		goto out;
	}
	dev->mtu = mtu;
	if (dev->up) {
		ret = macvlan_port_rebuild(dev->port);
		if (ret != 0)
			dev->mtu = old;
	}
out:
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

static int
macvtap_xstats_reset(struct rte_eth_dev *eth_dev)
{
	return macvtap_stats_reset(eth_dev);
}

static const struct eth_dev_ops macvtap_ops = {
	.dev_configure = macvtap_dev_configure,
	.dev_start = macvtap_dev_start,
	.dev_stop = macvtap_dev_stop,
	.dev_close = macvtap_dev_close,
	.dev_set_link_up = macvtap_set_link_up,
	.dev_set_link_down = macvtap_set_link_down,
	.dev_infos_get = macvtap_dev_infos_get,
	.link_update = macvtap_link_update,
	.rx_queue_setup = macvtap_rx_queue_setup,
	.tx_queue_setup = macvtap_tx_queue_setup,
	.rx_queue_release = macvtap_rx_queue_release,
	.tx_queue_release = macvtap_tx_queue_release,
	.rxq_info_get = macvtap_rxq_info_get,
	.txq_info_get = macvtap_txq_info_get,
	.stats_get = macvtap_stats_get,
	.stats_reset = macvtap_stats_reset,
	.xstats_get = macvtap_xstats_get,
	.xstats_get_names = macvtap_xstats_get_names,
	.xstats_reset = macvtap_xstats_reset,
	.promiscuous_enable = macvtap_promiscuous_enable,
	.promiscuous_disable = macvtap_promiscuous_disable,
	.allmulticast_enable = macvtap_allmulticast_enable,
	.allmulticast_disable = macvtap_allmulticast_disable,
	.mac_addr_set = macvtap_mac_addr_set,
	.mac_addr_add = macvtap_mac_addr_add,
	.mac_addr_remove = macvtap_mac_addr_remove,
	.set_mc_addr_list = macvtap_set_mc_addr_list,
	.mtu_set = macvtap_mtu_set,
};

/* ---- probe and remove ---- */

static uint16_t
macvtap_no_burst(void *queue __rte_unused, struct rte_mbuf **pkts __rte_unused,
		 uint16_t nb __rte_unused)
{
	return 0;
}

/* A secondary process sees the ports and their counters; its datapath is idle. */
static int
macvtap_probe_secondary(struct rte_vdev_device *vdev, const char *name)
{
	struct rte_eth_dev *eth_dev = rte_eth_dev_attach_secondary(name);

	if (eth_dev == NULL) {
		MACVTAP_LOG(ERR, "%s: not found in the primary process", name);
		return -ENODEV;
	}
	eth_dev->dev_ops = &macvtap_ops;
	eth_dev->device = &vdev->device;
	eth_dev->rx_pkt_burst = macvtap_no_burst;
	eth_dev->tx_pkt_burst = macvtap_no_burst;
	rte_eth_dev_probing_finish(eth_dev);
	return 0;
}

static int
macvtap_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct macvlan_port *port = NULL;
	struct rte_eth_dev *eth_dev = NULL;
	struct macvtap_dev *dev;
	struct macvtap_args args;
	int ret;

	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		return macvtap_probe_secondary(vdev, name);
	ret = macvtap_parse_args(name, rte_vdev_device_args(vdev), &args);
	if (ret != 0)
		return ret;

	pthread_mutex_lock(&macvlan_lock);
	ret = macvlan_dispatcher_register();
	if (ret != 0)
		goto fail;
	ret = macvlan_port_get(args.iface, &port);
	if (ret != 0) {
		MACVTAP_LOG(ERR, "%s: iface=%s: %s", name, args.iface, rte_strerror(-ret));
		goto fail;
	}
	if (port->passthru) {
		MACVTAP_LOG(ERR, "%s: iface=%s: a passthru port already has this lower; "
			    "it can have no other port", name, args.iface);
		ret = -EINVAL;
		goto fail;
	}
	if (args.mode == RTE_PMD_MACVTAP_MODE_PASSTHRU && port->nb_devs != 0) {
		MACVTAP_LOG(ERR, "%s: mode=passthru: iface=%s already has %u port(s)",
			    name, args.iface, port->nb_devs);
		ret = -EINVAL;
		goto fail;
	}
	eth_dev = rte_eth_vdev_allocate(vdev, sizeof(*dev));
	if (eth_dev == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	dev = eth_dev->data->dev_private;
	dev->port_id = eth_dev->data->port_id;
	dev->mode = args.mode;
	dev->nodst = args.nodst;
	dev->nopromisc = args.nopromisc;
	dev->spoofchk = args.spoofchk;
	dev->admin_up = true;
	dev->nb_sources = args.nb_sources;
	memcpy(dev->sources, args.sources, sizeof(dev->sources));
	if (args.mac_set)
		dev->mac_addrs[0] = args.mac;
	else
		rte_eth_random_addr(dev->mac_addrs[0].addr_bytes);
	dev->port = port;
	/* The kernel's default: a port's MTU is its lower's (when the lower is known). */
	dev->mtu = (uint16_t)RTE_MIN(macvlan_port_lower_mtu(port), (uint32_t)UINT16_MAX);
	eth_dev->data->mtu = dev->mtu;

	ret = macvlan_port_resolve(port);
	if (ret != 0 && ret != -EAGAIN) {
		ret = macvtap_attach_lower(dev, name);
		goto fail;
	}
	if (ret == 0 && args.mode == RTE_PMD_MACVTAP_MODE_PASSTHRU) {
		/* Passthru shares the lower's MAC; a mac= devarg sets the lower's. */
		ret = args.mac_set ? macvlan_port_set_lower_mac(port, &args.mac) : 0;
		if (ret != 0) {
			MACVTAP_LOG(ERR, "%s: mode=passthru: the port takes the lower's MAC, and "
				    "iface=%s refused to take mac=" RTE_ETHER_ADDR_PRT_FMT ": %s%s",
				    name, args.iface, RTE_ETHER_ADDR_BYTES(&args.mac),
				    rte_strerror(-ret), ret == -ENOTSUP ?
				    " (its driver cannot change its MAC; leave mac= out)" : "");
			goto fail;
		}
		rte_eth_macaddr_get(port->lower_port_id, &dev->mac_addrs[0]);
	}
	if (macvlan_port_mac_busy(port, dev, &dev->mac_addrs[0])) {
		MACVTAP_LOG(ERR, "%s: mac=" RTE_ETHER_ADDR_PRT_FMT " is in use on iface=%s",
			    name, RTE_ETHER_ADDR_BYTES(&dev->mac_addrs[0]), args.iface);
		ret = -EADDRINUSE;
		goto fail;
	}
	ret = macvtap_chardev_create(dev, name, &args.chardev);
	if (ret != 0)
		goto fail;
	ret = macvlan_port_add_dev(port, dev);
	if (ret != 0)
		goto fail;

	eth_dev->dev_ops = &macvtap_ops;
	eth_dev->rx_pkt_burst = macvtap_rx_burst;
	eth_dev->tx_pkt_burst = macvtap_tx_burst;
	eth_dev->data->mac_addrs = dev->mac_addrs;
	eth_dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS | RTE_ETH_DEV_INTR_LSC |
				    RTE_ETH_DEV_INTR_RMV;
	eth_dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	eth_dev->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	eth_dev->data->dev_link.link_autoneg = RTE_ETH_LINK_FIXED;
	if (port->resolved)
		eth_dev->data->numa_node = rte_eth_dev_socket_id(port->lower_port_id);
	pthread_mutex_unlock(&macvlan_lock);
	ret = macvtap_chardev_start(dev);
	if (ret != 0) {
		macvtap_dev_close(eth_dev);
		rte_eth_dev_release_port(eth_dev);
		return ret;
	}
	rte_eth_dev_probing_finish(eth_dev);
	MACVTAP_LOG(INFO, "%s: port %u, mac " RTE_ETHER_ADDR_PRT_FMT ", mode %s, iface=%s%s",
		    name, dev->port_id, RTE_ETHER_ADDR_BYTES(&dev->mac_addrs[0]),
		    macvtap_mode_name(dev->mode), args.iface,
		    port->resolved ? "" : " (not probed yet)");
	return 0;

fail:
	if (eth_dev != NULL) {
		macvtap_chardev_destroy(dev);
		eth_dev->data->mac_addrs = NULL;
		rte_eth_dev_release_port(eth_dev);
	}
	if (port != NULL)
		macvlan_port_put_unused(port);
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

static int
macvtap_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *eth_dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (eth_dev == NULL)
		return 0; /* the application closed it already */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		macvtap_dev_close(eth_dev);
	return rte_eth_dev_release_port(eth_dev);
}

static struct rte_vdev_driver macvtap_vdev_drv = {
	.probe = macvtap_probe,
	.remove = macvtap_remove,
};

RTE_PMD_REGISTER_VDEV(net_macvtap, macvtap_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_macvtap, MACVTAP_PARAM_STRING);

/* ---- public API ---- */

static struct macvtap_dev *
macvtap_dev_get(uint16_t port_id)
{
	if (!macvtap_is_port(port_id))
		return NULL;
	return rte_eth_devices[port_id].data->dev_private;
}

int
rte_pmd_macvtap_get_mode(uint16_t port_id)
{
	struct macvtap_dev *dev = macvtap_dev_get(port_id);

	return dev == NULL ? -ENODEV : dev->mode;
}

int
rte_pmd_macvtap_get_lower(uint16_t port_id, uint16_t *lower_port_id)
{
	struct macvtap_dev *dev = macvtap_dev_get(port_id);

	if (dev == NULL)
		return -ENODEV;
	if (lower_port_id == NULL)
		return -EINVAL;
	if (dev->port == NULL || !dev->port->resolved || dev->port->dead)
		return -ENXIO;
	*lower_port_id = dev->port->lower_port_id;
	return 0;
}

int
rte_pmd_macvtap_get_lower_stats(uint16_t port_id, struct rte_pmd_macvtap_lower_stats *stats)
{
	struct macvtap_dev *dev = macvtap_dev_get(port_id);

	if (dev == NULL)
		return -ENODEV;
	if (stats == NULL)
		return -EINVAL;
	if (dev->port == NULL)
		return -ENXIO;
	macvlan_port_lower_stats(dev->port, stats);
	return 0;
}

struct rte_mempool *
rte_pmd_macvtap_get_lower_mempool(uint16_t port_id)
{
	struct macvtap_dev *dev = macvtap_dev_get(port_id);

	if (dev == NULL) {
		rte_errno = ENODEV;
		return NULL;
	}
	if (dev->port == NULL || dev->port->mp == NULL) {
		rte_errno = ENXIO;
		return NULL;
	}
	return dev->port->mp;
}

struct rte_ring *
rte_pmd_macvtap_get_rx_ring(uint16_t port_id, uint16_t queue_id)
{
	struct macvtap_dev *dev = macvtap_dev_get(port_id);
	struct rte_eth_dev_data *data;

	if (dev == NULL) {
		rte_errno = ENODEV;
		return NULL;
	}
	data = rte_eth_devices[port_id].data;
	if (queue_id >= data->nb_rx_queues || data->rx_queues[queue_id] == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	return ((struct tap_queue *)data->rx_queues[queue_id])->ring;
}

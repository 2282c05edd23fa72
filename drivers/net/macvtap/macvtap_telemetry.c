/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Telemetry: the driver's state for dpdk-telemetry.py.
 *
 *   /macvtap/ports         the net_macvtap ports
 *   /macvtap/lowers        the lowers that carry them
 *   /macvtap/port,<id>     one port: lower, mode, MAC, queues, counters
 *   /macvtap/lower,<id>    one lower: owner, filters, mode references, counters
 *
 * Every command reads under macvlan_lock, as every control operation runs,
 * so that no port or lower goes away while it is read; counters are read as
 * the xstats code reads them (relaxed atomic loads), through its functions.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_telemetry.h>
#include <ethdev_driver.h>

#include "macvtap.h"

static const char *
mode_name(uint8_t mode)
{
	switch (mode) {
	case RTE_PMD_MACVTAP_MODE_PRIVATE:
		return "private";
	case RTE_PMD_MACVTAP_MODE_VEPA:
		return "vepa";
	case RTE_PMD_MACVTAP_MODE_BRIDGE:
		return "bridge";
	case RTE_PMD_MACVTAP_MODE_PASSTHRU:
		return "passthru";
	case RTE_PMD_MACVTAP_MODE_SOURCE:
		return "source";
	}
	return "unknown";
}

/* A port id from the parameters: decimal digits only, a valid port; else -1. */
static int
parse_port_id(const char *params)
{
	unsigned long v;
	char *end;

	if (params == NULL || params[0] < '0' || params[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(params, &end, 10);
	if (errno != 0 || *end != '\0' || v >= RTE_MAX_ETHPORTS)
		return -1;
	return (int)v;
}

/* The lower of a port, if it is there to be read. */
static struct macvlan_port *
live_lower(const struct macvtap_dev *dev)
{
	struct macvlan_port *port = dev->port;

	if (port == NULL || !port->resolved || port->dead)
		return NULL;
	return port;
}

static int
tel_ports(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	unsigned int i;

	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	pthread_mutex_lock(&macvlan_lock);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (macvtap_port_dev(i) != NULL)
			rte_tel_data_add_array_int(d, (int)i);
	pthread_mutex_unlock(&macvlan_lock);
	return 0;
}

static int
tel_lowers(const char *cmd __rte_unused, const char *params __rte_unused,
	   struct rte_tel_data *d)
{
	bool seen[RTE_MAX_ETHPORTS] = { false };
	unsigned int i;

	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	pthread_mutex_lock(&macvlan_lock);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		struct macvtap_dev *dev = macvtap_port_dev(i);
		struct macvlan_port *port;

		if (dev == NULL || (port = live_lower(dev)) == NULL)
			continue;
		seen[port->lower_port_id] = true;
	}
	pthread_mutex_unlock(&macvlan_lock);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (seen[i])
			rte_tel_data_add_array_int(d, (int)i);
	return 0;
}

static void
add_mac(struct rte_tel_data *d, const char *name, const struct rte_ether_addr *mac)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(buf, sizeof(buf), mac);
	rte_tel_data_add_dict_string(d, name, buf);
}

/* The port's counters: its xstats (names and values from macvtap_stats.c) and basic stats. */
static struct rte_tel_data *
port_counters(struct rte_eth_dev *eth_dev)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	struct rte_eth_stats st;
	struct rte_tel_data *c;
	int n, i;

	c = rte_tel_data_alloc();
	if (c == NULL)
		return NULL;
	rte_tel_data_start_dict(c);
	memset(&st, 0, sizeof(st));
	macvtap_stats_get(eth_dev, &st);
	rte_tel_data_add_dict_u64(c, "ipackets", st.ipackets);
	rte_tel_data_add_dict_u64(c, "opackets", st.opackets);
	rte_tel_data_add_dict_u64(c, "ibytes", st.ibytes);
	rte_tel_data_add_dict_u64(c, "obytes", st.obytes);
	rte_tel_data_add_dict_u64(c, "imissed", st.imissed);
	rte_tel_data_add_dict_u64(c, "ierrors", st.ierrors);
	rte_tel_data_add_dict_u64(c, "oerrors", st.oerrors);

	n = macvtap_xstats_get_names(eth_dev, NULL, 0);
	if (n <= 0)
		return c;
	names = calloc(n, sizeof(*names));
	vals = calloc(n, sizeof(*vals));
	if (names != NULL && vals != NULL &&
	    macvtap_xstats_get_names(eth_dev, names, n) == n &&
	    macvtap_xstats_get(eth_dev, vals, n) == n)
		for (i = 0; i < n; i++)
			rte_tel_data_add_dict_u64(c, names[i].name, vals[i].value);
	free(names);
	free(vals);
	return c;
}

/*
 * Per RX queue, keyed q<N>: ring fill and the queue's own counters. A dict of
 * dicts: DPDK 22.11's telemetry takes only arrays of numbers or strings in an array.
 */
static struct rte_tel_data *
port_rx_queues(const struct rte_eth_dev_data *data)
{
	struct rte_tel_data *arr;
	char key[16];
	uint16_t q;

	arr = rte_tel_data_alloc();
	if (arr == NULL)
		return NULL;
	rte_tel_data_start_dict(arr);
	for (q = 0; q < data->nb_rx_queues; q++) {
		const struct tap_queue *tq = data->rx_queues[q];
		struct tap_queue_stats sum;
		struct rte_tel_data *e;

		e = rte_tel_data_alloc();
		if (e == NULL)
			break;
		rte_tel_data_start_dict(e);
		if (tq != NULL && tq->ring != NULL) {
			rte_tel_data_add_dict_u64(e, "ring_count", rte_ring_count(tq->ring));
			rte_tel_data_add_dict_u64(e, "ring_capacity",
						  rte_ring_get_capacity(tq->ring));
		}
		if (tq != NULL) {
			tap_queue_stats_sum(tq, &sum);
			rte_tel_data_add_dict_u64(e, "packets", sum.packets);
			rte_tel_data_add_dict_u64(e, "bytes", sum.bytes);
			rte_tel_data_add_dict_u64(e, "ring_full_dropped", sum.ring_full);
			rte_tel_data_add_dict_u64(e, "oversize_dropped", sum.oversize);
			rte_tel_data_add_dict_u64(e, "offload_dropped", sum.offload_failed);
		}
		snprintf(key, sizeof(key), "q%u", q);
		if (rte_tel_data_add_dict_container(arr, key, e, 0) != 0)
			rte_tel_data_free(e);
	}
	return arr;
}

static int
tel_port(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev *eth_dev;
	struct macvtap_dev *dev;
	struct macvlan_port *port;
	struct rte_tel_data *c;
	int id;
	uint16_t i;

	id = parse_port_id(params);
	if (id < 0)
		return -EINVAL;
	pthread_mutex_lock(&macvlan_lock);
	dev = macvtap_port_dev(id);
	if (dev == NULL) {
		pthread_mutex_unlock(&macvlan_lock);
		return -EINVAL;
	}
	eth_dev = &rte_eth_devices[id];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "port_id", id);
	rte_tel_data_add_dict_string(d, "name", eth_dev->data->name);
	port = live_lower(dev);
	if (port != NULL) {
		rte_tel_data_add_dict_int(d, "lower_port_id", port->lower_port_id);
		if (rte_eth_dev_get_name_by_port(port->lower_port_id, name) == 0)
			rte_tel_data_add_dict_string(d, "lower_name", name);
	} else {
		rte_tel_data_add_dict_int(d, "lower_port_id", -1);
		if (dev->port != NULL)
			rte_tel_data_add_dict_string(d, "lower_name", dev->port->lower_name);
	}
	rte_tel_data_add_dict_string(d, "mode", mode_name(dev->mode));
	if (eth_dev->data->mac_addrs != NULL)
		add_mac(d, "mac", &eth_dev->data->mac_addrs[0]);
	rte_tel_data_add_dict_int(d, "started", dev->started);
	rte_tel_data_add_dict_int(d, "up", dev->up);
	rte_tel_data_add_dict_int(d, "nb_rx_queues", eth_dev->data->nb_rx_queues);
	rte_tel_data_add_dict_int(d, "nb_tx_queues", eth_dev->data->nb_tx_queues);
	c = port_rx_queues(eth_dev->data);
	if (c != NULL && rte_tel_data_add_dict_container(d, "rx_queues", c, 0) != 0)
		rte_tel_data_free(c);
	c = port_counters(eth_dev);
	if (c != NULL && rte_tel_data_add_dict_container(d, "counters", c, 0) != 0)
		rte_tel_data_free(c);
	if (dev->mode == RTE_PMD_MACVTAP_MODE_SOURCE) {
		c = rte_tel_data_alloc();
		if (c != NULL) {
			char buf[RTE_ETHER_ADDR_FMT_SIZE];

			rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
			for (i = 0; i < dev->nb_sources; i++) {
				rte_ether_format_addr(buf, sizeof(buf), &dev->sources[i]);
				rte_tel_data_add_array_string(c, buf);
			}
			if (rte_tel_data_add_dict_container(d, "sources", c, 0) != 0)
				rte_tel_data_free(c);
		}
		rte_tel_data_add_dict_int(d, "nodst", dev->nodst);
	}
	pthread_mutex_unlock(&macvlan_lock);
	return 0;
}

/*
 * What the driver programmed on the lower for each port's addresses, keyed
 * port<id>_mac<slot>: the MAC and how (a unicast filter entry, or promiscuous
 * mode when the lower's filter was full).
 */
static struct rte_tel_data *
lower_filters(const struct macvlan_port *port, unsigned int *nb_mac, unsigned int *nb_promisc)
{
	struct rte_tel_data *arr;
	char key[32];
	unsigned int i, k;

	*nb_mac = 0;
	*nb_promisc = 0;
	arr = rte_tel_data_alloc();
	if (arr == NULL)
		return NULL;
	rte_tel_data_start_dict(arr);
	for (i = 0; i < RTE_DIM(port->devs); i++) {
		const struct macvtap_dev *dev = port->devs[i];

		if (dev == NULL)
			continue;
		for (k = 0; k < MACVTAP_MAX_MAC_ADDRS; k++) {
			struct rte_tel_data *e;
			const char *how;

			if (dev->mac_filter[k] == MACVLAN_FILTER_MAC) {
				how = "unicast_filter";
				(*nb_mac)++;
			} else if (dev->mac_filter[k] == MACVLAN_FILTER_PROMISC) {
				how = "promiscuous";
				(*nb_promisc)++;
			} else {
				continue;
			}
			e = rte_tel_data_alloc();
			if (e == NULL)
				continue;
			rte_tel_data_start_dict(e);
			rte_tel_data_add_dict_int(e, "port_id", dev->port_id);
			add_mac(e, "mac", &dev->mac_addrs[k]);
			rte_tel_data_add_dict_string(e, "programmed_as", how);
			snprintf(key, sizeof(key), "port%u_mac%u", dev->port_id, k);
			if (rte_tel_data_add_dict_container(arr, key, e, 0) != 0)
				rte_tel_data_free(e);
		}
	}
	return arr;
}

static int
tel_lower(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct rte_pmd_macvtap_lower_stats st;
	struct rte_eth_dev_owner owner;
	char name[RTE_ETH_NAME_MAX_LEN];
	struct macvlan_port *port;
	struct rte_tel_data *c;
	unsigned int i, nb_mac, nb_promisc;
	uint64_t polls = 0, empty_polls = 0;
	int id;

	id = parse_port_id(params);
	if (id < 0)
		return -EINVAL;
	pthread_mutex_lock(&macvlan_lock);
	port = macvlan_port_find_by_lower(id);
	if (port == NULL) {
		pthread_mutex_unlock(&macvlan_lock);
		return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "port_id", id);
	if (rte_eth_dev_get_name_by_port(id, name) == 0)
		rte_tel_data_add_dict_string(d, "name", name);
	memset(&owner, 0, sizeof(owner));
	if (rte_eth_dev_owner_get(id, &owner) == 0) {
		rte_tel_data_add_dict_string(d, "owner", owner.name);
		rte_tel_data_add_dict_u64(d, "owner_id", owner.id);
	}
	rte_tel_data_add_dict_u64(d, "driver_owner_id", port->owner_id);
	rte_tel_data_add_dict_int(d, "nb_ports", port->nb_devs);
	c = rte_tel_data_alloc();
	if (c != NULL) {
		rte_tel_data_start_array(c, RTE_TEL_INT_VAL);
		for (i = 0; i < RTE_DIM(port->devs); i++)
			if (port->devs[i] != NULL)
				rte_tel_data_add_array_int(c, port->devs[i]->port_id);
		if (rte_tel_data_add_dict_container(d, "ports", c, 0) != 0)
			rte_tel_data_free(c);
	}
	c = lower_filters(port, &nb_mac, &nb_promisc);
	if (c != NULL && rte_tel_data_add_dict_container(d, "mac_filters", c, 0) != 0)
		rte_tel_data_free(c);
	rte_tel_data_add_dict_u64(d, "unicast_filter_entries", nb_mac);
	rte_tel_data_add_dict_u64(d, "promiscuous_fallback_entries", nb_promisc);
	rte_tel_data_add_dict_u64(d, "max_mac_addrs", port->lower_max_mac_addrs);
	rte_tel_data_add_dict_int(d, "mc_programmed", port->mc_programmed);
	rte_tel_data_add_dict_u64(d, "mc_groups_synced", port->nb_mc_synced);
	rte_tel_data_add_dict_int(d, "mc_allmulti_fallback", port->mc_allmulti_ref);
	rte_tel_data_add_dict_u64(d, "promiscuous_refs", port->rx_mode_refs[MACVLAN_RX_PROMISC]);
	rte_tel_data_add_dict_int(d, "promiscuous_on", port->rx_mode_on[MACVLAN_RX_PROMISC]);
	rte_tel_data_add_dict_int(d, "promiscuous_by_driver",
				  port->rx_mode_ours[MACVLAN_RX_PROMISC]);
	rte_tel_data_add_dict_u64(d, "allmulticast_refs", port->rx_mode_refs[MACVLAN_RX_ALLMULTI]);
	rte_tel_data_add_dict_int(d, "allmulticast_on", port->rx_mode_on[MACVLAN_RX_ALLMULTI]);
	rte_tel_data_add_dict_int(d, "allmulticast_by_driver",
				  port->rx_mode_ours[MACVLAN_RX_ALLMULTI]);
	rte_tel_data_add_dict_int(d, "passthru", port->passthru);
	rte_tel_data_add_dict_int(d, "nb_rx_queues", port->nb_rxq);
	rte_tel_data_add_dict_int(d, "nb_tx_queues", port->nb_txq);
	macvlan_port_lower_stats(port, &st);
	for (i = 0; i < MACVLAN_MAX_LOWER_QUEUES; i++) {
		polls += __atomic_load_n(&port->rxq[i].polls, __ATOMIC_RELAXED);
		empty_polls += __atomic_load_n(&port->rxq[i].empty_polls, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&macvlan_lock);

	c = rte_tel_data_alloc();
	if (c == NULL)
		return 0;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "polls", polls);
	rte_tel_data_add_dict_u64(c, "empty_polls", empty_polls);
	rte_tel_data_add_dict_u64(c, "rx_packets", st.rx_packets);
	rte_tel_data_add_dict_u64(c, "rx_no_port_dropped", st.rx_no_port);
	rte_tel_data_add_dict_u64(c, "rx_no_listener_dropped", st.rx_no_listener);
	rte_tel_data_add_dict_u64(c, "rx_runt_dropped", st.rx_runt);
	rte_tel_data_add_dict_u64(c, "rx_pause_dropped", st.rx_pause);
	rte_tel_data_add_dict_u64(c, "rx_nodst_dropped", st.rx_nodst_dropped);
	rte_tel_data_add_dict_u64(c, "rx_passthru_down_dropped", st.rx_passthru_down);
	rte_tel_data_add_dict_u64(c, "rx_copy_failed", st.rx_copy_failed);
	if (rte_tel_data_add_dict_container(d, "counters", c, 0) != 0)
		rte_tel_data_free(c);
	return 0;
}

RTE_INIT(macvtap_telemetry_init)
{
	rte_telemetry_register_cmd("/macvtap/ports", tel_ports,
		"The net_macvtap ports. Takes no parameters.");
	rte_telemetry_register_cmd("/macvtap/lowers", tel_lowers,
		"The lower ports that carry net_macvtap ports. Takes no parameters.");
	rte_telemetry_register_cmd("/macvtap/port", tel_port,
		"A net_macvtap port: lower, mode, MAC, queues, counters. Parameter: port id.");
	rte_telemetry_register_cmd("/macvtap/lower", tel_lower,
		"A lower: owner, MAC filters, mode references, counters. Parameter: port id.");
}

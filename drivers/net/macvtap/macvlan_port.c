/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * One lower port shared by many macvtap ports (the kernel's macvlan_port):
 * ownership of the lower, its configuration, its MAC filter and promiscuous
 * references, the receive table, and the lower's events.
 *
 * Receive-table updates are copy-and-swap: the datapath reads port->table only
 * while it holds one of the lower's queue locks (RX poll or TX), so after
 * publishing a new table, taking and releasing every queue lock once is a grace
 * period: nobody can still hold the old one.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_alarm.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_service_component.h>
#include <ethdev_driver.h>

#include "macvtap.h"

/* Recursive: an event handler may run inside a control call that fired it. */
pthread_mutex_t macvlan_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

#define LOWER_NB_DESC 1024
#define LOWER_POOL_SPARE 8192
#define LOWER_POOL_CACHE 256
#define LSC_POLL_US UINT64_C(100000)

/* The lower's counted receive modes, and how ethdev sets them. */
static const struct {
	const char *name;
	int (*get)(uint16_t port_id);
	int (*enable)(uint16_t port_id);
	int (*disable)(uint16_t port_id);
} rx_modes[MACVLAN_RX_MODES] = {
	[MACVLAN_RX_PROMISC] = { "promiscuous", rte_eth_promiscuous_get,
				 rte_eth_promiscuous_enable, rte_eth_promiscuous_disable },
	[MACVLAN_RX_ALLMULTI] = { "allmulticast", rte_eth_allmulticast_get,
				  rte_eth_allmulticast_enable, rte_eth_allmulticast_disable },
};

/* The net_macvtap port with this id, known by its driver; NULL for any other port. */
struct macvtap_dev *
macvtap_port_dev(uint16_t port_id)
{
	const struct rte_eth_dev *d = &rte_eth_devices[port_id];

	if (!rte_eth_dev_is_valid_port(port_id) || d->device == NULL || d->device->driver == NULL ||
	    strcmp(d->device->driver->name, RTE_PMD_MACVTAP_DRIVER_NAME) != 0)
		return NULL;
	return d->data->dev_private;
}

/* Every lower in use, by name (a lower may be named before it is probed). */
static struct macvlan_port *macvlan_ports[RTE_MAX_ETHPORTS];

struct macvlan_port *
macvlan_port_find_by_lower(uint16_t lower_port_id)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(macvlan_ports); i++)
		if (macvlan_ports[i] != NULL && macvlan_ports[i]->resolved &&
		    !macvlan_ports[i]->dead && macvlan_ports[i]->lower_port_id == lower_port_id)
			return macvlan_ports[i];
	return NULL;
}

static int macvlan_lower_event(uint16_t lower, enum rte_eth_event_type type,
			       void *arg, void *ret_param);

/*
 * Lower events are handled by one handler for every port id, registered once:
 * ethdev keeps a port's callbacks after the port is released and refuses to
 * unregister them then, so a per-lower callback would outlive its context.
 */
static int
macvlan_register_events(void)
{
	static bool registered;
	static const enum rte_eth_event_type types[] = {
		RTE_ETH_EVENT_INTR_LSC, RTE_ETH_EVENT_INTR_RMV, RTE_ETH_EVENT_DESTROY,
	};
	unsigned int i;
	int ret;

	if (registered)
		return 0;
	for (i = 0; i < RTE_DIM(types); i++) {
		ret = rte_eth_dev_callback_register(RTE_ETH_ALL, types[i], macvlan_lower_event,
						    NULL);
		if (ret != 0) {
			while (i-- > 0)
				rte_eth_dev_callback_unregister(RTE_ETH_ALL, types[i],
								macvlan_lower_event, NULL);
			return ret;
		}
	}
	registered = true;
	return 0;
}

/* Find or create the context of a lower. Called with macvlan_lock held. */
int
macvlan_port_get(const char *lower_name, struct macvlan_port **out)
{
	struct macvlan_port *port;
	int free_slot = -1, ret;
	unsigned int i;

	for (i = 0; i < RTE_DIM(macvlan_ports); i++) {
		if (macvlan_ports[i] == NULL) {
			if (free_slot < 0)
				free_slot = (int)i;
			continue;
		}
		/* A removed lower's context stays with its ports; a re-plugged one gets anew. */
		if (!macvlan_ports[i]->dead && strcmp(macvlan_ports[i]->lower_name, lower_name) == 0) {
			*out = macvlan_ports[i];
			return 0;
		}
	}
	if (free_slot < 0)
		return -ENOSPC;
	ret = macvlan_register_events();
	if (ret != 0)
		return ret;
	port = rte_zmalloc("macvlan_port", sizeof(*port), RTE_CACHE_LINE_SIZE);
	if (port == NULL)
		return -ENOMEM;
	strlcpy(port->lower_name, lower_name, sizeof(port->lower_name));
	for (i = 0; i < MACVLAN_MAX_LOWER_QUEUES; i++) {
		rte_spinlock_init(&port->rxq[i].lock);
		rte_spinlock_init(&port->txq[i].lock);
		port->rxq[i].budget = MACVLAN_POLL_BURST;
	}
	macvlan_ports[free_slot] = port;
	*out = port;
	return 0;
}

static void
macvlan_port_free(struct macvlan_port *port)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(macvlan_ports); i++)
		if (macvlan_ports[i] == port)
			macvlan_ports[i] = NULL;
	rte_free(port);
}

/* Wait until no datapath thread can still read a table published before now. */
void
macvlan_port_synchronize(struct macvlan_port *port)
{
	unsigned int i;

	for (i = 0; i < MACVLAN_MAX_LOWER_QUEUES; i++) {
		rte_spinlock_lock(&port->rxq[i].lock);
		rte_spinlock_unlock(&port->rxq[i].lock);
		rte_spinlock_lock(&port->txq[i].lock);
		rte_spinlock_unlock(&port->txq[i].lock);
	}
}

/*
 * Resolve the lower by name, check it and take ownership. A lower named by a
 * devargs entry that is not probed yet stays unresolved (-EAGAIN); a name that
 * nothing knows is -ENODEV.
 */
int
macvlan_port_resolve(struct macvlan_port *port)
{
	struct rte_eth_dev_owner owner;
	struct rte_devargs *da;
	uint16_t lower;
	int ret;

	if (port->resolved)
		return port->dead ? -ENODEV : 0;
	if (rte_eth_dev_get_port_by_name(port->lower_name, &lower) != 0) {
		RTE_EAL_DEVARGS_FOREACH(NULL, da) {
			if (strcmp(da->name, port->lower_name) == 0)
				return -EAGAIN;
		}
		return -ENODEV;
	}
	/* Stacking a macvtap port on another one is refused, as the kernel refuses it. */
	if (macvtap_port_dev(lower) != NULL)
		return -ELOOP;
	ret = rte_eth_dev_owner_get(lower, &owner);
	if (ret != 0)
		return ret;
	if (owner.id != RTE_ETH_DEV_NO_OWNER) {
		MACVTAP_LOG(ERR, "iface=%s: the lower is already owned by %s",
			    port->lower_name, owner.name);
		return -EBUSY;
	}
	ret = rte_eth_dev_owner_new(&port->owner_id);
	if (ret != 0)
		return ret;
	owner.id = port->owner_id;
	strlcpy(owner.name, RTE_PMD_MACVTAP_DRIVER_NAME, sizeof(owner.name));
	ret = rte_eth_dev_owner_set(lower, &owner);
	if (ret != 0)
		return ret;
	port->lower_port_id = lower;
	port->resolved = true;
	rte_eth_macaddr_get(lower, &port->lower_saved_mac);
	return 0;
}

int
macvlan_port_add_dev(struct macvlan_port *port, struct macvtap_dev *dev)
{
	if (port->nb_devs >= MACVLAN_MAX_DEVS)
		return -ENOSPC;
	port->devs[port->nb_devs++] = dev;
	dev->port = port;
	if (dev->mode == RTE_PMD_MACVTAP_MODE_PASSTHRU)
		port->passthru = true;
	return 0;
}

static void macvlan_lsc_alarm(void *arg);

/*
 * A lower may hold mbufs of our pool after we stop it (net_pcap keeps its
 * infinite_rx frames until it is closed). Such a pool is kept as an orphan:
 * freed by an alarm once every mbuf is back, or adopted again by the next
 * context on a lower with the same port id (the pool is named after it).
 */
#define POOL_RETRY_US UINT64_C(500000)
static struct rte_mempool *orphan_pools[RTE_MAX_ETHPORTS];

static void
macvlan_pool_reaper(void *arg __rte_unused)
{
	bool pending = false;
	unsigned int i;

	if (pthread_mutex_trylock(&macvlan_lock) != 0) {
		rte_eal_alarm_set(POOL_RETRY_US, macvlan_pool_reaper, NULL);
		return;
	}
	for (i = 0; i < RTE_DIM(orphan_pools); i++) {
		if (orphan_pools[i] == NULL)
			continue;
		if (rte_mempool_full(orphan_pools[i])) {
			rte_mempool_free(orphan_pools[i]);
			orphan_pools[i] = NULL;
		} else {
			pending = true;
		}
	}
	pthread_mutex_unlock(&macvlan_lock);
	if (pending)
		rte_eal_alarm_set(POOL_RETRY_US, macvlan_pool_reaper, NULL);
}

static void
macvlan_pool_put(struct rte_mempool *mp, const char *lower_name)
{
	unsigned int i;

	if (rte_mempool_full(mp)) {
		rte_mempool_free(mp);
		return;
	}
	for (i = 0; i < RTE_DIM(orphan_pools); i++) {
		if (orphan_pools[i] == NULL) {
			orphan_pools[i] = mp;
			MACVTAP_LOG(INFO, "iface=%s: %u mbufs of %s still held by the lower; "
				    "freed once they are back", lower_name,
				    rte_mempool_in_use_count(mp), mp->name);
			rte_eal_alarm_set(POOL_RETRY_US, macvlan_pool_reaper, NULL);
			return;
		}
	}
	MACVTAP_LOG(WARNING, "iface=%s: %u mbufs still out, mempool %s left behind",
		    lower_name, rte_mempool_in_use_count(mp), mp->name);
}

/* Our own pool for this name, left behind by an earlier context. */
static struct rte_mempool *
macvlan_pool_adopt(const char *name)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(orphan_pools); i++) {
		if (orphan_pools[i] != NULL && strcmp(orphan_pools[i]->name, name) == 0) {
			struct rte_mempool *mp = orphan_pools[i];

			orphan_pools[i] = NULL;
			return mp;
		}
	}
	return NULL;
}

/* Give the lower back when its last macvtap port leaves. */
static void
macvlan_port_release(struct macvlan_port *port)
{
	uint16_t lower = port->lower_port_id;
	unsigned int m;
	int ret;

	if (port->lsc_polled)
		rte_eal_alarm_cancel(macvlan_lsc_alarm, port);
	if (port->resolved && !port->dead) {
		if (port->configured) {
			ret = rte_eth_dev_stop(lower);
			if (ret != 0)
				MACVTAP_LOG(WARNING, "iface=%s: stopping the lower failed: %s",
					    port->lower_name, rte_strerror(-ret));
			for (m = 0; m < MACVLAN_RX_MODES; m++)
				if (port->rx_mode_ours[m] && rx_modes[m].disable(lower) != 0)
					MACVTAP_LOG(WARNING, "iface=%s: the lower stays %s",
						    port->lower_name, rx_modes[m].name);
			if (port->mc_programmed &&
			    rte_eth_dev_set_mc_addr_list(lower, NULL, 0) != 0)
				MACVTAP_LOG(WARNING, "iface=%s: the lower keeps our multicast "
					    "groups", port->lower_name);
		}
		if (port->lower_mac_changed &&
		    rte_eth_dev_default_mac_addr_set(lower, &port->lower_saved_mac) != 0)
			MACVTAP_LOG(WARNING, "iface=%s: the lower keeps the passthru port's MAC",
				    port->lower_name);
		ret = rte_eth_dev_owner_unset(lower, port->owner_id);
		if (ret != 0)
			MACVTAP_LOG(WARNING, "iface=%s: giving the lower back failed: %s",
				    port->lower_name, rte_strerror(-ret));
	}
	rte_free(port->table);
	port->table = NULL;
	if (port->mp != NULL) {
		macvlan_pool_put(port->mp, port->lower_name);
		port->mp = NULL;
	}
	free(port->mp_prof);
	port->mp_prof = NULL;
	macvlan_port_free(port);
}

void
macvlan_port_del_dev(struct macvlan_port *port, struct macvtap_dev *dev)
{
	uint16_t i;

	for (i = 0; i < port->nb_devs; i++) {
		if (port->devs[i] != dev)
			continue;
		port->devs[i] = port->devs[--port->nb_devs];
		port->devs[port->nb_devs] = NULL;
		break;
	}
	if (dev->mode == RTE_PMD_MACVTAP_MODE_PASSTHRU)
		port->passthru = false;
	dev->port = NULL;
	if (port->nb_devs == 0)
		macvlan_port_release(port);
}

/*
 * The dispatcher (an rte_service component, registered below): one round
 * polls every lower queue of every lower in use, so that frames reach ports
 * that no rx burst reads, such as queues consumed only through tap files. It
 * never waits for the control lock: a round that finds it taken is skipped.
 */
static int
macvlan_dispatch(void *arg __rte_unused)
{
	unsigned int i;
	uint16_t q;

	if (pthread_mutex_trylock(&macvlan_lock) != 0)
		return -EAGAIN;
	for (i = 0; i < RTE_DIM(macvlan_ports); i++) {
		struct macvlan_port *port = macvlan_ports[i];

		if (port == NULL || !port->rx_started || port->dead)
			continue;
		for (q = 0; q < port->nb_rxq; q++)
			macvlan_port_poll(port, q, MACVLAN_POLL_BURST, NULL);
	}
	pthread_mutex_unlock(&macvlan_lock);
	return 0;
}

/*
 * The dispatcher service, registered with the first port: EAL's service
 * cores run it once the application maps it (rte_pmd_macvtap_dispatch_service_id).
 */
static uint32_t dispatch_service_id;
static bool dispatch_registered;

int
macvlan_dispatcher_register(void)
{
	struct rte_service_spec spec = {
		.name = "net_macvtap_dispatch",
		.callback = macvlan_dispatch,
		.capabilities = RTE_SERVICE_CAP_MT_SAFE,
		.socket_id = SOCKET_ID_ANY,
	};
	int ret;

	if (dispatch_registered)
		return 0;
	ret = rte_service_component_register(&spec, &dispatch_service_id);
	if (ret == 0)
		ret = rte_service_component_runstate_set(dispatch_service_id, 1);
	if (ret != 0) {
		MACVTAP_LOG(ERR, "cannot register the dispatcher service: %s", rte_strerror(-ret));
		return ret;
	}
	dispatch_registered = true;
	return 0;
}

int
rte_pmd_macvtap_dispatch_service_id(uint32_t *service_id)
{
	if (service_id == NULL)
		return -EINVAL;
	if (!dispatch_registered)
		return -ENOENT;
	*service_id = dispatch_service_id;
	return 0;
}

/* Drop a context that a failed probe created and no port uses. */
void
macvlan_port_put_unused(struct macvlan_port *port)
{
	if (port->nb_devs == 0)
		macvlan_port_release(port);
}

/*
 * Configure and start the lower once, for every port that will use it: one
 * queue per lcore up to what it has, and an RX pool big enough for the lower's
 * rings and the frames waiting in the ports' rings.
 */
int
macvlan_port_configure(struct macvlan_port *port)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t lower = port->lower_port_id;
	uint16_t nb_rxd = LOWER_NB_DESC, nb_txd = LOWER_NB_DESC, mtu;
	uint16_t lcores = (uint16_t)RTE_MIN(rte_lcore_count(), (unsigned int)UINT16_MAX);
	uint16_t q;
	int socket, ret;

	if (port->configured)
		return 0;
	/* Until the lower says what it does: every offload in software. */
	macvtap_offload_lower_caps(port, 0);
	ret = rte_eth_dev_info_get(lower, &info);
	if (ret != 0)
		return ret;
	port->nb_rxq = RTE_MIN(RTE_MIN(info.max_rx_queues, lcores),
			       (uint16_t)MACVLAN_MAX_LOWER_QUEUES);
	port->nb_txq = RTE_MIN(RTE_MIN(info.max_tx_queues, lcores),
			       (uint16_t)MACVLAN_MAX_LOWER_QUEUES);
	if (port->nb_rxq == 0 || port->nb_txq == 0) {
		MACVTAP_LOG(ERR, "iface=%s: the lower has no queues", port->lower_name);
		return -EINVAL;
	}
	if (port->nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & RTE_ETH_RSS_IP;
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
	}
	/* The TX offloads the driver hands to the lower; the rest it does itself. */
	conf.txmode.offloads = info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
		RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
		RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	/* A NIC raises these interrupts only when asked to. */
	if (*info.dev_flags & RTE_ETH_DEV_INTR_LSC)
		conf.intr_conf.lsc = 1;
	if (*info.dev_flags & RTE_ETH_DEV_INTR_RMV)
		conf.intr_conf.rmv = 1;
	/* Keep the lower's MTU: configuring with none would reset it to 1500. */
	if (rte_eth_dev_get_mtu(lower, &mtu) == 0)
		conf.rxmode.mtu = mtu;
	/* The lower may be running for someone before us: take it over. */
	if (rte_eth_devices[lower].data->dev_started) {
		ret = rte_eth_dev_stop(lower);
		if (ret != 0) {
			MACVTAP_LOG(ERR, "iface=%s: stopping the lower to take it over failed: %s",
				    port->lower_name, rte_strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_configure(lower, port->nb_rxq, port->nb_txq, &conf);
	if (ret != 0) {
		MACVTAP_LOG(ERR, "iface=%s: configuring the lower failed: %s",
			    port->lower_name, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(lower, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	socket = rte_eth_dev_socket_id(lower);
	if (socket < 0)
		socket = (int)rte_socket_id();
	port->nb_rxd = nb_rxd;
	port->socket = socket;
	port->nb_mbufs = port->nb_rxq * nb_rxd + LOWER_POOL_SPARE + lcores * LOWER_POOL_CACHE * 2;
	for (q = 0; q < port->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(lower, q, nb_txd, socket, NULL);
		if (ret != 0)
			goto fail;
	}
	port->lower_max_mac_addrs = info.max_mac_addrs;
	macvtap_offload_lower_caps(port, conf.txmode.offloads);
	port->lower_open_groups = rte_eth_promiscuous_get(lower) == 1 ||
				  rte_eth_allmulticast_get(lower) == 1;
	ret = rte_eth_dev_get_mtu(lower, &mtu);
	port->lower_mtu = ret == 0 ? mtu : RTE_ETHER_MTU;
	rte_eth_link_get_nowait(lower, &port->lower_link);
	port->configured = true;
	if (!conf.intr_conf.lsc) {
		port->lsc_polled = true;
		rte_eal_alarm_set(LSC_POLL_US, macvlan_lsc_alarm, port);
	}
	return 0;
fail:
	MACVTAP_LOG(ERR, "iface=%s: setting up the lower failed: %s",
		    port->lower_name, rte_strerror(-ret));
	return ret;
}

/*
 * The lower's RX pool, and its start: done once, when the first RX queue of
 * a port on it is set up (q), or when a port with none starts, whichever
 * comes first. Its queues' pools are known then: when one has a private area
 * that every one of its objects holds alike (macvtap_pool.c), the lower's
 * pool is made with that private area, so that frames reach that pool's
 * queues without a copy. The pool then stays for as long as the lower is
 * ours: changing it would mean stopping the lower under the ports already
 * started, and some lowers (net_pcap with infinite_rx) cannot set their RX
 * queues up again once stopped.
 */
int
macvlan_port_start_rx(struct macvlan_port *port, struct macvtap_dev *dev)
{
	struct rte_eth_dev_data *data = rte_eth_devices[dev->port_id].data;
	struct macvtap_pool_profile *prof = NULL;
	char name[RTE_MEMPOOL_NAMESIZE];
	uint16_t lower = port->lower_port_id, q;
	unsigned int i, nz = 0;
	int ret;

	if (port->rx_started)
		return 0;
	if (!port->configured || port->dead)
		return -ENODEV;
	for (q = 0; q < data->nb_rx_queues && prof == NULL; q++) {
		struct tap_queue *tq = data->rx_queues[q];

		if (tq != NULL && tq->copy_to_pool && macvtap_pool_profile_get(tq->mp, &prof) != 0)
			prof = NULL;
	}
	snprintf(name, sizeof(name), "mvt_lower_%u", lower);
	if (port->mp != NULL) {
		/* An earlier try's pool: the lower's RX queues may hold it. */
		free(prof);
		prof = NULL;
	} else if (prof == NULL) {
		port->mp = macvlan_pool_adopt(name);
		if (port->mp == NULL)
			port->mp = rte_pktmbuf_pool_create(name, port->nb_mbufs, LOWER_POOL_CACHE,
							   0, RTE_MBUF_DEFAULT_BUF_SIZE,
							   port->socket);
	} else {
		/* An orphan of that name (plain) is left to the reaper. */
		if (rte_mempool_lookup(name) != NULL)
			snprintf(name, sizeof(name), "mvt_lower_%u_%u", lower,
				 (unsigned int)(port->owner_id & 0xffff));
		port->mp = macvtap_pool_create(name, port->nb_mbufs, LOWER_POOL_CACHE, prof,
					       port->socket);
	}
	if (port->mp == NULL) {
		MACVTAP_LOG(ERR, "iface=%s: cannot create mempool %s: %s",
			    port->lower_name, name, rte_strerror(rte_errno));
		free(prof);
		return -rte_errno;
	}
	if (prof != NULL)
		port->mp_prof = prof;
	prof = port->mp_prof;
	for (q = 0; q < port->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(lower, q, port->nb_rxd, (unsigned int)port->socket,
					     NULL, port->mp);
		if (ret != 0)
			goto fail;
	}
	ret = rte_eth_dev_start(lower);
	if (ret != 0)
		goto fail;
	rte_eth_link_get_nowait(lower, &port->lower_link);
	__atomic_store_n(&port->rx_started, true, __ATOMIC_RELEASE);
	MACVTAP_LOG(INFO, "iface=%s: lower port %u started with %u rx / %u tx queues",
		    port->lower_name, lower, port->nb_rxq, port->nb_txq);
	if (prof != NULL) {
		for (i = 0; i < prof->priv_size; i++)
			nz += prof->tmpl[i] != 0;
		MACVTAP_LOG(INFO, "iface=%s: lower pool %s made as %s: %u-byte private area "
			    "(%u bytes of it non-zero), %u-byte buffers", port->lower_name, name,
			    data->name, prof->priv_size, nz, rte_pktmbuf_data_room_size(port->mp));
	}
	return 0;
fail:
	MACVTAP_LOG(ERR, "iface=%s: setting up the lower failed: %s",
		    port->lower_name, rte_strerror(-ret));
	/* Its RX queues may hold the pool: kept for the next try. */
	return ret;
}

/*
 * A queue whose pool has a private area gets the lower's frames as they are
 * when the lower's pool fits that pool (macvtap_pool.c), else copies into it;
 * the queue's consumer tells which by zc_pool. Why it copies is logged once.
 */
void
macvlan_port_fit_queue(struct macvlan_port *port, struct tap_queue *q)
{
	struct macvtap_pool_profile *prof = NULL;
	const char *why;
	int ret;

	if (!q->copy_to_pool || !port->rx_started)
		return;
	ret = macvtap_pool_profile_get(q->mp, &prof);
	if (ret == 0 && macvtap_pool_fits(port->mp, port->mp_prof, prof)) {
		__atomic_store_n(&q->zc_pool, port->mp, __ATOMIC_RELEASE);
		free(prof);
		return;
	}
	__atomic_store_n(&q->zc_pool, NULL, __ATOMIC_RELEASE);
	if (ret == -ENOTUNIQ)
		why = "its objects' private areas differ";
	else if (ret != 0)
		why = rte_strerror(-ret);
	else if (port->mp_prof == NULL || port->mp_prof->priv_size != prof->priv_size)
		why = "the lower's pool has another private area size";
	else if (rte_pktmbuf_data_room_size(port->mp) < prof->data_room)
		why = "the lower's pool has smaller buffers";
	else
		why = "the lower's pool's private area holds other bytes";
	free(prof);
	if (!q->copy_logged)
		MACVTAP_LOG(NOTICE, "port %u rx queue %u: frames are copied into %s "
			    "(%u-byte private area): %s (the lower's pool: %s)", q->dev->port_id,
			    q->queue_id, q->mp->name, rte_pktmbuf_priv_size(q->mp), why,
			    port->mp->name);
	q->copy_logged = true;
}

/* The lower's MTU: as we configured it, or as it is before that. */
uint32_t
macvlan_port_lower_mtu(const struct macvlan_port *port)
{
	uint16_t mtu;

	if (port->configured)
		return port->lower_mtu;
	if (port->resolved && !port->dead && rte_eth_dev_get_mtu(port->lower_port_id, &mtu) == 0)
		return mtu;
	return RTE_ETHER_MTU;
}

/* The kernel's macvlan_addr_busy: the lower's MAC, or a MAC of another port. */
int
macvlan_port_mac_busy(const struct macvlan_port *port, const struct macvtap_dev *self,
		      const struct rte_ether_addr *mac)
{
	struct rte_ether_addr lower_mac;
	uint16_t i, j;

	/* The lower's MAC as it is now: someone may have changed it since we took it. */
	if (self->mode != RTE_PMD_MACVTAP_MODE_PASSTHRU && port->resolved && !port->dead &&
	    rte_eth_macaddr_get(port->lower_port_id, &lower_mac) == 0 &&
	    rte_is_same_ether_addr(mac, &lower_mac))
		return 1;
	for (i = 0; i < port->nb_devs; i++) {
		const struct macvtap_dev *d = port->devs[i];

		if (d == self)
			continue;
		for (j = 0; j < MACVTAP_MAX_MAC_ADDRS; j++)
			if (rte_is_same_ether_addr(mac, &d->mac_addrs[j]))
				return 1;
	}
	return 0;
}


/*
 * Take (delta 1) or drop (delta -1) a reference on a receive mode of the
 * lower, as the kernel's dev_set_promiscuity and dev_set_allmulti count them.
 * The first reference turns the mode on unless the lower was in it already
 * (net_pcap, net_null: always promiscuous); the last one turns off what we
 * turned on. Taking fails with the lower's errno (-ENOTSUP: it has no such
 * mode); dropping never fails.
 */
static int
macvlan_lower_rx_mode_ref(struct macvlan_port *port, enum macvlan_rx_mode mode, int delta)
{
	uint16_t lower = port->lower_port_id;
	int ret;

	/* A removed lower's id may be another port's now: count, touch nothing. */
	if (port->dead) {
		port->rx_mode_refs[mode] += delta;
		return 0;
	}
	if (delta > 0 && port->rx_mode_refs[mode] == 0 && !port->rx_mode_on[mode]) {
		if (rx_modes[mode].get(lower) != 1) {
			ret = rx_modes[mode].enable(lower);
			/*
			 * A lower with no allmulticast mode is taken to pass every
			 * group: net_af_packet takes whatever its kernel interface
			 * takes. One without a promiscuous mode stays an error:
			 * unicast for our MACs would never arrive.
			 */
			if (ret == -ENOTSUP && mode == MACVLAN_RX_ALLMULTI)
				MACVTAP_LOG(INFO, "iface=%s: the lower has no allmulticast mode: "
					    "its multicast is taken as unfiltered",
					    port->lower_name);
			else if (ret != 0)
				return ret;
			else
				port->rx_mode_ours[mode] = true;
		}
		port->rx_mode_on[mode] = true;
	}
	port->rx_mode_refs[mode] += delta;
	if (port->rx_mode_refs[mode] == 0 && port->rx_mode_on[mode]) {
		if (port->rx_mode_ours[mode]) {
			ret = rx_modes[mode].disable(lower);
			if (ret != 0)
				MACVTAP_LOG(WARNING, "iface=%s: the lower stays %s: %s",
					    port->lower_name, rx_modes[mode].name,
					    rte_strerror(-ret));
		}
		port->rx_mode_on[mode] = false;
		port->rx_mode_ours[mode] = false;
	}
	return 0;
}

/*
 * Put one MAC of an open port into the lower's filter, or take a promiscuous
 * reference (the kernel's fallback for a lower without room in its filter).
 * A lower that can do neither would never pass the port its frames: that is
 * an error, not a silent loss.
 */
int
macvlan_port_filter_add(struct macvlan_port *port, struct macvtap_dev *dev, uint32_t index)
{
	const struct rte_ether_addr *mac = &dev->mac_addrs[index];
	int filter_ret, ret;

	if (dev->mac_filter[index] != MACVLAN_FILTER_NONE || rte_is_zero_ether_addr(mac) ||
	    port->dead)
		return 0;
	/* A lower with a single MAC slot has no filter to add to. */
	filter_ret = port->lower_max_mac_addrs > 1 ?
		     rte_eth_dev_mac_addr_add(port->lower_port_id, &dev->mac_addrs[index], 0) :
		     -ENOSPC;
	if (filter_ret == 0) {
		dev->mac_filter[index] = MACVLAN_FILTER_MAC;
		return 0;
	}
	ret = macvlan_lower_rx_mode_ref(port, MACVLAN_RX_PROMISC, 1);
	if (ret == 0) {
		dev->mac_filter[index] = MACVLAN_FILTER_PROMISC;
		return 0;
	}
	MACVTAP_LOG(ERR, "iface=%s: the lower can neither filter " RTE_ETHER_ADDR_PRT_FMT
		    " (%s) nor go promiscuous (%s): its frames would never arrive",
		    port->lower_name, RTE_ETHER_ADDR_BYTES(mac), rte_strerror(-filter_ret),
		    rte_strerror(-ret));
	return ret;
}

void
macvlan_port_filter_del(struct macvlan_port *port, struct macvtap_dev *dev, uint32_t index)
{
	int ret;

	if (dev->mac_filter[index] == MACVLAN_FILTER_MAC && !port->dead) {
		ret = rte_eth_dev_mac_addr_remove(port->lower_port_id, &dev->mac_addrs[index]);
		/* The address stays in the lower's filter: more traffic, never less. */
		if (ret != 0)
			MACVTAP_LOG(WARNING, "iface=%s: removing " RTE_ETHER_ADDR_PRT_FMT
				    " from the lower's filter failed: %s", port->lower_name,
				    RTE_ETHER_ADDR_BYTES(&dev->mac_addrs[index]),
				    rte_strerror(-ret));
	} else if (dev->mac_filter[index] == MACVLAN_FILTER_PROMISC) {
		macvlan_lower_rx_mode_ref(port, MACVLAN_RX_PROMISC, -1);
	}
	dev->mac_filter[index] = MACVLAN_FILTER_NONE;
}

static int
mc_key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The kernel's dev_mc_sync: the lower's multicast filter holds the union of
 * the UP ports' groups. A lower without a multicast filter, or without room
 * in it, gets an allmulticast reference instead, as the kernel falls back to
 * IFF_ALLMULTI.
 */
static int
macvlan_port_sync_mc(struct macvlan_port *port)
{
	struct rte_ether_addr *list = NULL;
	uint64_t *keys = NULL;
	uint32_t n = 0, nb = 0, i, j;
	int ret = 0, set_ret;

	if (port->dead || !port->configured)
		return 0;
	for (i = 0; i < port->nb_devs; i++)
		if (port->devs[i]->up)
			n += port->devs[i]->nb_mc;
	if (n != 0) {
		keys = rte_malloc("macvlan_mc_keys", n * sizeof(*keys), 0);
		list = rte_malloc("macvlan_mc_list", n * sizeof(*list), 0);
		if (keys == NULL || list == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		for (i = 0; i < port->nb_devs; i++)
			for (j = 0; port->devs[i]->up && j < port->devs[i]->nb_mc; j++)
				keys[nb++] = macvtap_mac_key(&port->devs[i]->mc_addrs[j]);
		qsort(keys, nb, sizeof(*keys), mc_key_cmp);
		for (i = 0, n = 0; i < nb; i++)
			if (i == 0 || keys[i] != keys[i - 1])
				memcpy(&list[n++], &keys[i], RTE_ETHER_ADDR_LEN);
	}
	if (n == 0 && !port->mc_programmed)
		set_ret = 0;
	else
		set_ret = rte_eth_dev_set_mc_addr_list(port->lower_port_id, list, n);
	if (set_ret == 0) {
		port->mc_programmed = n != 0;
		port->nb_mc_synced = n;
		if (port->mc_allmulti_ref) {
			macvlan_lower_rx_mode_ref(port, MACVLAN_RX_ALLMULTI, -1);
			port->mc_allmulti_ref = false;
		}
		goto out;
	}
	if (!port->mc_allmulti_ref) {
		ret = macvlan_lower_rx_mode_ref(port, MACVLAN_RX_ALLMULTI, 1);
		if (ret != 0) {
			MACVTAP_LOG(ERR, "iface=%s: the lower can neither filter %u multicast "
				    "groups (%s) nor go allmulticast (%s)", port->lower_name, n,
				    rte_strerror(-set_ret), rte_strerror(-ret));
			goto out;
		}
		port->mc_allmulti_ref = true;
		MACVTAP_LOG(INFO, "iface=%s: %u multicast groups, no room in the lower's "
			    "filter (%s): allmulticast instead", port->lower_name, n,
			    rte_strerror(-set_ret));
	}
out:
	rte_free(keys);
	rte_free(list);
	return ret;
}

/*
 * Apply an UP port's receive filters to the lower: its promiscuous and
 * allmulticast references, and the multicast groups of every UP port. On
 * failure the port's references are as they were.
 */
int
macvlan_port_set_rx_mode(struct macvlan_port *port, struct macvtap_dev *dev)
{
	bool want_promisc, want_allmulti;
	bool had_promisc = dev->lower_promisc_ref, had_allmulti = dev->lower_allmulti_ref;
	int ret;

	if (dev->mode == RTE_PMD_MACVTAP_MODE_PASSTHRU)
		want_promisc = dev->up && !dev->nopromisc;
	else
		want_promisc = dev->up && dev->promisc;
	want_allmulti = dev->up && dev->allmulti;
	if (want_promisc != had_promisc) {
		ret = macvlan_lower_rx_mode_ref(port, MACVLAN_RX_PROMISC, want_promisc ? 1 : -1);
		if (ret != 0)
			goto fail;
		dev->lower_promisc_ref = want_promisc;
	}
	if (want_allmulti != had_allmulti) {
		ret = macvlan_lower_rx_mode_ref(port, MACVLAN_RX_ALLMULTI, want_allmulti ? 1 : -1);
		if (ret != 0)
			goto fail;
		dev->lower_allmulti_ref = want_allmulti;
	}
	ret = macvlan_port_sync_mc(port);
	if (ret == 0)
		return 0;
fail:
	if (dev->lower_allmulti_ref != had_allmulti &&
	    macvlan_lower_rx_mode_ref(port, MACVLAN_RX_ALLMULTI, had_allmulti ? 1 : -1) == 0)
		dev->lower_allmulti_ref = had_allmulti;
	if (dev->lower_promisc_ref != had_promisc &&
	    macvlan_lower_rx_mode_ref(port, MACVLAN_RX_PROMISC, had_promisc ? 1 : -1) == 0)
		dev->lower_promisc_ref = had_promisc;
	MACVTAP_LOG(ERR, "iface=%s: port %u: the lower's receive filters: %s",
		    port->lower_name, dev->port_id, rte_strerror(-ret));
	return ret;
}

/*
 * Whether the lower takes every group, as the kernel's port filter sees it:
 * promiscuous or allmulticast by itself or for a port, not for the groups
 * that did not fit its multicast filter (the kernel's filter has them all).
 */
static bool
macvlan_port_all_groups(const struct macvlan_port *port)
{
	return port->lower_open_groups || port->rx_mode_refs[MACVLAN_RX_PROMISC] > 0 ||
	       port->rx_mode_refs[MACVLAN_RX_ALLMULTI] > (port->mc_allmulti_ref ? 1u : 0u);
}

/* Build the receive table from the ports' current state and publish it. */
int
macvlan_port_rebuild(struct macvlan_port *port)
{
	struct macvlan_table *t, *old;
	struct tap_queue **queues;
	uint32_t nb_ep = 0, nb_src = 0, nb_keys = 0, nb_groups = 0, nb_queues = 0, nb_slots = 1, j;
	uint16_t i;
	size_t size;
	char *mem;

	for (i = 0; i < port->nb_devs; i++) {
		const struct macvtap_dev *d = port->devs[i];

		if (d->up) {
			nb_ep++;
			nb_groups += d->nb_mc;
			nb_queues += rte_eth_devices[d->port_id].data->nb_rx_queues;
			for (j = 0; j < MACVTAP_MAX_MAC_ADDRS; j++)
				nb_keys += !rte_is_zero_ether_addr(&d->mac_addrs[j]);
		}
		if (d->mode == RTE_PMD_MACVTAP_MODE_SOURCE && (d->up || d->nodst))
			nb_src += d->nb_sources;
	}
	while (nb_slots < 2 * nb_keys + 2)
		nb_slots <<= 1;
	size = RTE_ALIGN_CEIL(sizeof(*t), RTE_CACHE_LINE_SIZE) +
	       RTE_ALIGN_CEIL(nb_ep * sizeof(struct macvlan_endpoint), RTE_CACHE_LINE_SIZE) +
	       RTE_ALIGN_CEIL(nb_src * sizeof(struct macvlan_source), RTE_CACHE_LINE_SIZE) +
	       RTE_ALIGN_CEIL(nb_groups * sizeof(uint64_t), RTE_CACHE_LINE_SIZE) +
	       RTE_ALIGN_CEIL(nb_queues * sizeof(struct tap_queue *), RTE_CACHE_LINE_SIZE) +
	       nb_slots * sizeof(struct macvlan_hash_slot);
	mem = rte_zmalloc_socket("macvlan_table", size, RTE_CACHE_LINE_SIZE,
				 rte_eth_dev_socket_id(port->lower_port_id));
	if (mem == NULL)
		return -ENOMEM;
	t = (struct macvlan_table *)mem;
	mem += RTE_ALIGN_CEIL(sizeof(*t), RTE_CACHE_LINE_SIZE);
	t->endpoints = (struct macvlan_endpoint *)mem;
	mem += RTE_ALIGN_CEIL(nb_ep * sizeof(struct macvlan_endpoint), RTE_CACHE_LINE_SIZE);
	t->sources = (struct macvlan_source *)mem;
	mem += RTE_ALIGN_CEIL(nb_src * sizeof(struct macvlan_source), RTE_CACHE_LINE_SIZE);
	t->groups = (uint64_t *)mem;
	mem += RTE_ALIGN_CEIL(nb_groups * sizeof(uint64_t), RTE_CACHE_LINE_SIZE);
	queues = (struct tap_queue **)mem;
	mem += RTE_ALIGN_CEIL(nb_queues * sizeof(struct tap_queue *), RTE_CACHE_LINE_SIZE);
	t->slots = (struct macvlan_hash_slot *)mem;
	t->all_groups = macvlan_port_all_groups(port);
	t->hash_mask = nb_slots - 1;
	t->hash_shift = 64 - rte_log2_u32(nb_slots);
	t->passthru = MACVLAN_NO_EP;

	for (i = 0; i < port->nb_devs; i++) {
		struct macvtap_dev *d = port->devs[i];
		struct rte_eth_dev_data *data = rte_eth_devices[d->port_id].data;
		struct macvlan_endpoint *ep;
		int32_t idx = MACVLAN_NO_EP;

		if (d->mode == RTE_PMD_MACVTAP_MODE_PASSTHRU) {
			t->has_passthru = true;
			t->passthru = MACVLAN_PASSTHRU_DOWN;
		}
		if (d->up) {
			idx = (int32_t)t->nb_endpoints++;
			ep = &t->endpoints[idx];
			ep->dev = d;
			/*
			 * The queues frames may go to: all but those a tap file
			 * detached (the kernel's taps[] of enabled queues).
			 */
			ep->rxq = queues;
			ep->nb_rxq = 0;
			for (j = 0; j < data->nb_rx_queues; j++) {
				struct tap_queue *q = data->rx_queues[j];

				if (q != NULL && !q->detached)
					ep->rxq[ep->nb_rxq++] = q;
			}
			queues += ep->nb_rxq;
			ep->rxq_mask = rte_is_power_of_2(ep->nb_rxq) ? ep->nb_rxq - 1 : 0;
			/*
			 * One lower queue, one poller at a time (its lock). Bridge
			 * senders deliver to bridge ports, and to source ports
			 * through the copies their local unicast gets: those two
			 * modes can have a second producer.
			 */
			ep->single_producer = port->nb_rxq == 1 &&
					      d->mode != RTE_PMD_MACVTAP_MODE_BRIDGE &&
					      d->mode != RTE_PMD_MACVTAP_MODE_SOURCE;
			for (j = 0; j < MACVLAN_MAX_LOWER_QUEUES && ep->nb_rxq != 0; j++)
				ep->lower_q_map[j] = j % ep->nb_rxq;
			ep->port_id = d->port_id;
			ep->mode = d->mode;
			ep->all_multicast = d->promisc || d->allmulti;
			ep->max_frame = (uint32_t)d->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
			ep->nb_mc = d->nb_mc;
			for (j = 0; j < d->nb_mc; j++) {
				ep->mc[j] = macvtap_mac_key(&d->mc_addrs[j]);
				t->groups[t->nb_groups++] = ep->mc[j];
			}
			for (j = 0; j < MACVTAP_MAX_MAC_ADDRS; j++) {
				if (rte_is_zero_ether_addr(&d->mac_addrs[j]))
					continue;
				ep->macs[ep->nb_macs++] = macvtap_mac_key(&d->mac_addrs[j]);
				macvlan_table_insert(t, macvtap_mac_key(&d->mac_addrs[j]), idx);
			}
			if (d->mode == RTE_PMD_MACVTAP_MODE_PASSTHRU)
				t->passthru = idx;
		}
		if (d->mode == RTE_PMD_MACVTAP_MODE_SOURCE && (d->up || d->nodst)) {
			for (j = 0; j < d->nb_sources; j++) {
				struct macvlan_source *s = &t->sources[t->nb_sources++];

				s->mac = macvtap_mac_key(&d->sources[j]);
				s->ep = idx;
				s->nodst = d->nodst;
			}
		}
	}
	old = port->table;
	__atomic_store_n(&port->table, t, __ATOMIC_RELEASE);
	macvlan_port_synchronize(port);
	rte_free(old);
	return 0;
}

/* The kernel's macvlan_open: a started port enters the receive table. */
int
macvlan_port_open(struct macvlan_port *port, struct macvtap_dev *dev)
{
	uint32_t i;
	int ret;

	if (dev->mode != RTE_PMD_MACVTAP_MODE_PASSTHRU) {
		for (i = 0; i < MACVTAP_MAX_MAC_ADDRS; i++) {
			if (rte_is_zero_ether_addr(&dev->mac_addrs[i]))
				continue;
			if (macvlan_port_mac_busy(port, dev, &dev->mac_addrs[i])) {
				ret = -EADDRINUSE;
				goto fail;
			}
			ret = macvlan_port_filter_add(port, dev, i);
			if (ret != 0)
				goto fail;
		}
	}
	dev->up = true;
	ret = macvlan_port_set_rx_mode(port, dev);
	if (ret == 0)
		ret = macvlan_port_rebuild(port);
	if (ret == 0)
		return 0;
	dev->up = false;
	macvlan_port_set_rx_mode(port, dev);
fail:
	for (i = 0; i < MACVTAP_MAX_MAC_ADDRS; i++)
		macvlan_port_filter_del(port, dev, i);
	return ret;
}

/* The kernel's macvlan_stop: out of the table, filters and references dropped. */
void
macvlan_port_stop(struct macvlan_port *port, struct macvtap_dev *dev)
{
	uint32_t i;

	if (!dev->up)
		return;
	dev->up = false;
	if (macvlan_port_rebuild(port) != 0) {
		/* No memory for a new table: publish none rather than a stale one. */
		struct macvlan_table *old = port->table;

		__atomic_store_n(&port->table, NULL, __ATOMIC_RELEASE);
		macvlan_port_synchronize(port);
		rte_free(old);
	}
	macvlan_port_set_rx_mode(port, dev);
	for (i = 0; i < MACVTAP_MAX_MAC_ADDRS; i++)
		macvlan_port_filter_del(port, dev, i);
	/* Its references gone, the lower may no longer take every group. */
	if (port->table != NULL && port->table->all_groups != macvlan_port_all_groups(port) &&
	    macvlan_port_rebuild(port) != 0)
		MACVTAP_LOG(WARNING, "iface=%s: no memory to narrow the multicast filter",
			    port->lower_name);
}

int
macvlan_port_set_lower_mac(struct macvlan_port *port, const struct rte_ether_addr *mac)
{
	struct rte_ether_addr addr = *mac; /* ethdev takes a non-const pointer */
	int ret;

	if (port->dead || !port->resolved)
		return -ENODEV;
	ret = rte_eth_dev_default_mac_addr_set(port->lower_port_id, &addr);
	if (ret == 0)
		port->lower_mac_changed = true;
	return ret;
}

void
macvlan_port_lower_stats(const struct macvlan_port *port, struct rte_pmd_macvtap_lower_stats *out)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)out;
	unsigned int q, i, n = sizeof(*out) / sizeof(uint64_t);

	memset(out, 0, sizeof(*out));
	for (q = 0; q < MACVLAN_MAX_LOWER_QUEUES; q++) {
		src = (const uint64_t *)&port->rxq[q].stats;
		for (i = 0; i < n; i++)
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
		src = (const uint64_t *)&port->local_stats[q];
		for (i = 0; i < n; i++)
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
}

/* A port's link, from its state and the lower's (the kernel's stacked operstate); true if it changed. */
bool
macvlan_port_link_refresh(struct macvtap_dev *dev)
{
	struct rte_eth_dev *eth_dev = &rte_eth_devices[dev->port_id];
	struct macvlan_port *port = dev->port;
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_NONE,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = RTE_ETH_LINK_DOWN,
	};

	if (port != NULL && dev->up && !port->dead &&
	    port->lower_link.link_status == RTE_ETH_LINK_UP) {
		link.link_status = RTE_ETH_LINK_UP;
		link.link_speed = port->lower_link.link_speed;
	}
	return rte_eth_linkstatus_set(eth_dev, &link) == 0;
}

/* Fire an event on ports, outside the control lock (callbacks may call back). */
static void
macvlan_fire(const uint16_t *ids, uint16_t n, enum rte_eth_event_type type)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		if (rte_eth_dev_is_valid_port(ids[i]))
			rte_eth_dev_callback_process(&rte_eth_devices[ids[i]], type, NULL);
}

/*
 * Mirror a new lower link onto every port. Called with the lock held; fills
 * ids with the ports whose link changed, for macvlan_fire.
 */
static uint16_t
macvlan_port_link_changed(struct macvlan_port *port, const struct rte_eth_link *link,
			  uint16_t *ids)
{
	uint16_t n = 0, i;

	port->lower_link = *link;
	for (i = 0; i < port->nb_devs; i++)
		if (macvlan_port_link_refresh(port->devs[i]))
			ids[n++] = port->devs[i]->port_id;
	return n;
}

/* A lower without LSC interrupts is polled; never block on the lock here. */
static void
macvlan_lsc_alarm(void *arg)
{
	struct macvlan_port *port = arg;
	uint16_t ids[MACVLAN_MAX_DEVS], n = 0;
	struct rte_eth_link link;

	if (pthread_mutex_trylock(&macvlan_lock) == 0) {
		if (!port->dead) {
			rte_eth_link_get_nowait(port->lower_port_id, &link);
			if (link.link_status != port->lower_link.link_status ||
			    link.link_speed != port->lower_link.link_speed)
				n = macvlan_port_link_changed(port, &link, ids);
		}
		pthread_mutex_unlock(&macvlan_lock);
	}
	macvlan_fire(ids, n, RTE_ETH_EVENT_INTR_LSC);
	rte_eal_alarm_set(LSC_POLL_US, macvlan_lsc_alarm, port);
}

/*
 * The lower is going away: quiesce the datapath, take every port down, tell
 * the application (LSC and RMV). The ports stay until the application closes
 * them; the lower's id is forgotten so that a new port with that id is not
 * mistaken for it.
 */
static uint16_t
macvlan_port_lower_gone(struct macvlan_port *port, uint16_t *ids)
{
	struct rte_eth_link down = { .link_status = RTE_ETH_LINK_DOWN };
	uint16_t n;

	MACVTAP_LOG(WARNING, "iface=%s: the lower was removed, its ports go down",
		    port->lower_name);
	__atomic_store_n(&port->dead, true, __ATOMIC_RELEASE);
	macvlan_port_synchronize(port);
	/*
	 * The lower is the application's to close or detach now (a NIC's RMV
	 * comes before its release): give it back. Should its id be another
	 * port's already, that port is not ours and this fails harmlessly.
	 */
	if (rte_eth_dev_owner_unset(port->lower_port_id, port->owner_id) == 0)
		MACVTAP_LOG(DEBUG, "iface=%s: lower port %u given back", port->lower_name,
			    port->lower_port_id);
	if (port->lsc_polled)
		rte_eal_alarm_cancel(macvlan_lsc_alarm, port);
	port->lsc_polled = false;
	/*
	 * The pool is named after the lower's id, which a lower plugged back may
	 * get again while these ports are still open: an orphan now, adopted by
	 * that lower's context or freed once its mbufs are back.
	 */
	if (port->mp != NULL) {
		macvlan_pool_put(port->mp, port->lower_name);
		port->mp = NULL;
	}
	macvlan_port_link_changed(port, &down, ids);
	/* Every port hears of the removal, whatever its link was. */
	for (n = 0; n < port->nb_devs; n++)
		ids[n] = port->devs[n]->port_id;
	return n;
}

/* Handle one event of a lower. Called with the lock held; releases it. */
static void
macvlan_lower_event_locked(uint16_t lower, enum rte_eth_event_type type)
{
	uint16_t ids[MACVLAN_MAX_DEVS], n = 0;
	struct macvlan_port *port;
	struct rte_eth_link link;
	bool gone = false;

	port = macvlan_port_find_by_lower(lower);
	if (port != NULL && type == RTE_ETH_EVENT_INTR_LSC) {
		if (rte_eth_link_get_nowait(lower, &link) == 0)
			n = macvlan_port_link_changed(port, &link, ids);
	} else if (port != NULL) {
		n = macvlan_port_lower_gone(port, ids);
		gone = true;
	}
	pthread_mutex_unlock(&macvlan_lock);
	macvlan_fire(ids, n, RTE_ETH_EVENT_INTR_LSC);
	if (gone)
		macvlan_fire(ids, n, RTE_ETH_EVENT_INTR_RMV);
}

/*
 * Events that found the lock taken, by lower port id: a bit per event type.
 * The control path may hold the lock while it stops or configures a lower
 * whose stop waits for the very thread that delivers its events; blocking
 * there would never end. Such events are handled by an alarm instead.
 */
#define EVENT_RETRY_US UINT64_C(1000)
#define EVENT_BIT_LSC 1u
#define EVENT_BIT_GONE 2u
static uint32_t deferred_events[RTE_MAX_ETHPORTS];
static bool event_alarm_armed;

static void
macvlan_deferred_events(void *arg __rte_unused)
{
	unsigned int lower;
	uint32_t bits;

	__atomic_store_n(&event_alarm_armed, false, __ATOMIC_RELEASE);
	for (lower = 0; lower < RTE_DIM(deferred_events); lower++) {
		if (__atomic_load_n(&deferred_events[lower], __ATOMIC_ACQUIRE) == 0)
			continue;
		if (pthread_mutex_trylock(&macvlan_lock) != 0) {
			if (!__atomic_exchange_n(&event_alarm_armed, true, __ATOMIC_ACQ_REL))
				rte_eal_alarm_set(EVENT_RETRY_US, macvlan_deferred_events, NULL);
			return;
		}
		bits = __atomic_exchange_n(&deferred_events[lower], 0, __ATOMIC_ACQ_REL);
		/* Removal covers a link change that came with it. */
		macvlan_lower_event_locked((uint16_t)lower, (bits & EVENT_BIT_GONE) ?
					   RTE_ETH_EVENT_INTR_RMV : RTE_ETH_EVENT_INTR_LSC);
	}
}

static int
macvlan_lower_event(uint16_t lower, enum rte_eth_event_type type, void *arg __rte_unused,
		    void *ret_param __rte_unused)
{
	if (type != RTE_ETH_EVENT_INTR_LSC && type != RTE_ETH_EVENT_INTR_RMV &&
	    type != RTE_ETH_EVENT_DESTROY)
		return 0;
	if (pthread_mutex_trylock(&macvlan_lock) == 0) {
		macvlan_lower_event_locked(lower, type);
		return 0;
	}
	if (lower >= RTE_DIM(deferred_events))
		return 0;
	__atomic_fetch_or(&deferred_events[lower], type == RTE_ETH_EVENT_INTR_LSC ?
			  EVENT_BIT_LSC : EVENT_BIT_GONE, __ATOMIC_ACQ_REL);
	if (!__atomic_exchange_n(&event_alarm_armed, true, __ATOMIC_ACQ_REL))
		rte_eal_alarm_set(EVENT_RETRY_US, macvlan_deferred_events, NULL);
	return 0;
}

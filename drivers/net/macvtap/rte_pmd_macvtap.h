/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

#ifndef RTE_PMD_MACVTAP_H
#define RTE_PMD_MACVTAP_H

/**
 * @file
 * net_macvtap: Linux macvtap semantics as a DPDK poll-mode driver.
 *
 * A net_macvtap port is a virtual ethdev keyed by its MAC address on top of a
 * shared lower ethdev. Ports are created as vdevs:
 * `net_macvtapN,iface=<lower>[,mac=<MAC>][,mode=<mode>][,source=[MAC,...]]
 * [,nodst=0|1][,nopromisc=0|1][,spoofchk=0|1]`.
 * This header adds what the ethdev API cannot say: the mode, the lower port,
 * the lower's counters of frames that no port took, and each RX queue's
 * ring (the kernel's tap_queue) for consumers other than the rx burst.
 */

#include <stdint.h>

#include <rte_ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Driver name as registered with the vdev bus. */
#define RTE_PMD_MACVTAP_DRIVER_NAME "net_macvtap"

/** Forwarding modes; the values are the kernel's MACVLAN_MODE_* bits. */
enum rte_pmd_macvtap_mode {
	RTE_PMD_MACVTAP_MODE_PRIVATE = 1,  /**< isolated from every other port */
	RTE_PMD_MACVTAP_MODE_VEPA = 2,     /**< everything to the wire (default) */
	RTE_PMD_MACVTAP_MODE_BRIDGE = 4,   /**< bridge ports reach each other locally */
	RTE_PMD_MACVTAP_MODE_PASSTHRU = 8, /**< the only port, gets all unicast */
	RTE_PMD_MACVTAP_MODE_SOURCE = 16,  /**< receives by source MAC */
};

/** Counters of one lower port: what arrived and went to no macvtap port. */
struct rte_pmd_macvtap_lower_stats {
	uint64_t rx_packets;        /**< frames read from the lower */
	uint64_t rx_no_port;        /**< unicast to no port (the kernel's lower stack) */
	uint64_t rx_no_listener;    /**< broadcast/multicast no port accepted */
	uint64_t rx_runt;           /**< shorter than an Ethernet header */
	uint64_t rx_pause;          /**< IEEE PAUSE frames, never fanned out */
	uint64_t rx_nodst_dropped;  /**< swallowed by a source-mode port with nodst */
	uint64_t rx_passthru_down;  /**< unicast dropped: the passthru port is down */
	uint64_t rx_copy_failed;    /**< a broadcast/multicast copy found no mbuf */
};

/**
 * Get the forwarding mode of a net_macvtap port.
 *
 * @param port_id
 *   The port.
 * @return
 *   The mode (an rte_pmd_macvtap_mode), or -ENODEV if port_id is not a
 *   net_macvtap port.
 */
int rte_pmd_macvtap_get_mode(uint16_t port_id);

/**
 * Get the lower port of a net_macvtap port.
 *
 * @param port_id
 *   The port.
 * @param lower_port_id
 *   Where the lower's port id goes.
 * @return
 *   0, -ENODEV if port_id is not a net_macvtap port, -ENXIO if the lower has
 *   not been resolved yet or was removed, -EINVAL if lower_port_id is NULL.
 */
int rte_pmd_macvtap_get_lower(uint16_t port_id, uint16_t *lower_port_id);

/**
 * Read the counters of the lower under a net_macvtap port.
 *
 * @param port_id
 *   Any net_macvtap port on that lower.
 * @param stats
 *   Where the counters go.
 * @return
 *   0, -ENODEV if port_id is not a net_macvtap port, -ENXIO if it has no
 *   lower, -EINVAL if stats is NULL.
 */
int rte_pmd_macvtap_get_lower_stats(uint16_t port_id,
				    struct rte_pmd_macvtap_lower_stats *stats);

/**
 * Get the mempool that the driver created for the lower's RX. Every mbuf a
 * macvtap port receives from the wire, and every broadcast copy, comes from it.
 *
 * @param port_id
 *   Any net_macvtap port on that lower.
 * @return
 *   The mempool, or NULL with rte_errno set (ENODEV, ENXIO).
 */
struct rte_mempool *rte_pmd_macvtap_get_lower_mempool(uint16_t port_id);

/**
 * Get the ring behind an RX queue (the kernel's tap_queue ring). The ring is
 * single-consumer: whoever drains it must not run beside the port's rx burst
 * on the same queue. It exists from rx queue setup until the queue is released.
 *
 * @param port_id
 *   The net_macvtap port.
 * @param queue_id
 *   The RX queue.
 * @return
 *   The ring, or NULL with rte_errno set (ENODEV, EINVAL).
 */
struct rte_ring *rte_pmd_macvtap_get_rx_ring(uint16_t port_id, uint16_t queue_id);

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_MACVTAP_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

#ifndef NICSIM_H
#define NICSIM_H

/**
 * @file
 * net_nicsim: a vdev PMD for tests only, a lower port that behaves like a NIC
 * where net_ring does not: it filters what it receives by destination MAC, has a
 * limited number of MAC filter slots, copies what it transmits to "the wire" and
 * poisons and frees the original in tx_burst, pushes back when its TX ring is
 * full, and raises LSC/RMV events from an interrupt thread of its own.
 *
 * Create one with rte_vdev_init("net_nicsim_<x>", "<devargs>"), remove it with
 * rte_vdev_uninit() (which stops it first when it is started) or
 * rte_eth_dev_close(). Devargs (all optional):
 *
 *   queues=N      1..4 RX and TX queues at most (default 1)
 *   mac=MAC       primary MAC (default 02:4e:53:00:00:01)
 *   uc_slots=K    max_mac_addrs, primary included (1..64, default 4)
 *   mc_slots=M    multicast filter entries (0..128, default 16); 0: no
 *                 set_mc_addr_list op at all (ethdev answers -ENOTSUP)
 *   enotsup=LIST  ops left out, '+'-separated: promisc, allmulti, mac (add,
 *                 remove and default set), mac_add (add/remove), mac_set, mtu
 *   ring_size=S   entries of each RX and TX ring (64..16384, default 1024)
 *   tx_room=R     frames the TX ring holds at most (1..ring_size, default
 *                 ring_size): beyond it tx_burst sends fewer than asked
 *   max_mtu=U     largest MTU (68..9600, default 9000); the MTU starts at 1500
 *   lsc=0|1       LSC and RMV interrupts (dev_flags RTE_ETH_DEV_INTR_LSC and
 *                 RTE_ETH_DEV_INTR_RMV; default 1). 0: the link is polled
 *   strict_intr=0|1  1 (default): as a NIC, raise LSC only when the port was
 *                 configured with intr_conf.lsc, RMV only with intr_conf.rmv;
 *                 0: raise them whatever the configuration
 *   stop_waits=0|1  1: dev_stop hands a link-down LSC to the interrupt thread
 *                 and waits (2 s at most) until it has been delivered
 *   tx_offloads=M  tx_offload_capa claims the RTE_ETH_TX_OFFLOAD_* bits M
 *                 (default 0). Nothing is done for them: a frame reaches the
 *                 wire as it was given, its ol_flags and offload fields (l2_len,
 *                 tso_segsz...) kept in the copy, for the test to check
 *
 * Receive: the test enqueues mbufs (any pool, any segments) to nicsim_rx_ring();
 * rx_burst on a started port dequeues them, drops what the filter refuses
 * (counter rx_filtered, not in imissed), runts shorter than 14 bytes and frames
 * longer than MTU + 14 + 4 or than one mbuf of the queue's pool (ierrors), and
 * delivers a copy in a single mbuf of the queue's mempool (port set, no
 * offload flags but those the test put in for what a NIC computes: RSS hash,
 * a stripped VLAN tag, checksum verdicts); a frame for which that pool is empty is lost (imissed,
 * rx_nombuf). The test's mbuf is always freed. Frames stay in the RX ring while
 * the port is stopped. The filter: promiscuous takes everything; broadcast
 * always passes; multicast with allmulticast or when in the multicast list;
 * unicast when equal to a MAC in the unicast table (index 0 the primary).
 *
 * Transmit: each frame is copied (rte_pktmbuf_copy) into the device's wire pool
 * and the copy enqueued to nicsim_tx_ring() of the queue; the test dequeues and
 * frees the copies. The original is then poisoned (data bytes 0x6b, pkt_len
 * 0xdeadbeef, every data_len 0xdead) and freed, as a NIC completes it. Only what
 * the frame owns alone is poisoned: a segment whose refcnt is above 1, or whose
 * buffer is shared (indirect mbuf, external buffer), is left intact and merely
 * released. tx_burst stops at the first frame that finds the TX ring at its
 * tx_room limit (or the wire pool empty); those frames are untouched and still
 * the caller's (counter tx_backpressure).
 *
 * Link: the link is up when the port is started and the carrier (the wire,
 * nicsim_set_link(), up at creation) is up. dev_start and dev_stop change it
 * without an event, but for stop_waits=1. Events are delivered from the
 * device's own control thread, never from the caller's. Note that with
 * strict_intr=1 an application that does not set intr_conf.rmv gets no RMV,
 * as from a NIC that arms that interrupt only on request.
 *
 * Closing: from any thread, including a callback on the interrupt thread
 * (the thread then ends after that callback returns). Closing from another
 * thread joins the interrupt thread, so a callback blocked forever blocks it.
 * ethdev (22.11) keeps callbacks registered on a port id after the port is
 * released: unregister them before removing the device, or they fire for the
 * next device that gets the id.
 *
 * Stats: ipackets/ibytes, opackets/obytes, ierrors (runts + oversize), imissed
 * (rx_nombuf). xstats: rx_filtered, rx_runts, rx_oversize, rx_nombuf,
 * tx_poisoned, tx_shared, tx_backpressure, events_raised.
 *
 * Primary process only. A test program gets it with dependencies: [nicsim_dep]
 * in meson (linked whole, so that the driver registers itself).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The vdev driver's name: rte_vdev_init("net_nicsim_<anything>", ...). */
#define NICSIM_DRIVER_NAME "net_nicsim"

/** Most queues a device may have (devarg queues). */
#define NICSIM_MAX_QUEUES 4

/** How long nicsim_set_link() and nicsim_unplug() wait for the thread. */
#define NICSIM_EVENT_TIMEOUT_MS 5000

/** How long dev_stop waits for the thread with stop_waits=1. */
#define NICSIM_STOP_TIMEOUT_MS 2000

/** Byte value written over the data of a transmitted frame. */
#define NICSIM_POISON_BYTE 0x6b
/** pkt_len of a transmitted frame after tx_burst. */
#define NICSIM_POISON_PKT_LEN 0xdeadbeefu
/** data_len of every segment of a transmitted frame after tx_burst. */
#define NICSIM_POISON_DATA_LEN 0xdeadu

/** Device counters beyond the basic stats (the same as the xstats). */
struct nicsim_counters {
	uint64_t rx_filtered;     /**< refused by the MAC filter (not in imissed) */
	uint64_t rx_runts;        /**< shorter than an Ethernet header (ierrors) */
	uint64_t rx_oversize;     /**< longer than MTU allows or one mbuf holds (ierrors) */
	uint64_t rx_nombuf;       /**< lost: the queue's mempool was empty (imissed) */
	uint64_t tx_poisoned;     /**< transmitted originals poisoned whole */
	uint64_t tx_shared;       /**< transmitted originals left intact, being shared */
	uint64_t tx_backpressure; /**< frames tx_burst refused (TX ring at tx_room) */
	uint64_t events_raised;   /**< LSC and RMV events delivered to callbacks */
	uint64_t lsc_events;      /**< of which LSC */
	uint64_t rmv_events;      /**< of which RMV */
};

/** True when port is a net_nicsim device. */
bool nicsim_is_port(uint16_t port);

/**
 * The RX ring of queue q: mbufs enqueued here are frames arriving from the
 * wire, for rx_burst on queue q. NULL when port is no nicsim device or q is out
 * of range (all devarg queues have rings, configured or not).
 */
struct rte_ring *nicsim_rx_ring(uint16_t port, uint16_t q);

/** The TX ring of queue q ("the wire"): copies of the transmitted frames. */
struct rte_ring *nicsim_tx_ring(uint16_t port, uint16_t q);

/** The mempool of the copies in the TX rings. Free them before removing the device. */
struct rte_mempool *nicsim_wire_pool(uint16_t port);

/** Dequeue and free everything in every TX ring of port; the number freed. */
unsigned int nicsim_tx_drain(uint16_t port);

/**
 * Set the carrier, as a cable plugged in or pulled: the interrupt thread
 * updates the link status and raises an LSC event (one per call, changed or
 * not, unless intr_conf.lsc is off with strict_intr=1). With lsc=0 the carrier
 * changes at once and no event is raised: the application polls.
 *
 * @return 0 once the thread has done it (the callbacks have returned);
 *   -ETIMEDOUT after NICSIM_EVENT_TIMEOUT_MS (the request stays queued);
 *   -ENODEV: no nicsim port; -EAGAIN: too many requests queued.
 *   Called from a callback on the interrupt thread itself, it cannot wait and
 *   returns 0 at once.
 */
int nicsim_set_link(uint16_t port, bool up);

/** nicsim_set_link() without waiting for the thread. */
int nicsim_set_link_nowait(uint16_t port, bool up);

/**
 * Surprise removal: the interrupt thread raises RTE_ETH_EVENT_INTR_RMV (unless
 * intr_conf.rmv is off with strict_intr=1). The device otherwise keeps working:
 * the application is expected to close it. -ENOTSUP with lsc=0; otherwise as
 * nicsim_set_link().
 */
int nicsim_unplug(uint16_t port);

/** nicsim_unplug() without waiting for the thread. */
int nicsim_unplug_nowait(uint16_t port);

/**
 * Wait until the interrupt thread has handled every request queued so far.
 * @return 0, -ETIMEDOUT or -ENODEV.
 */
int nicsim_wait_events(uint16_t port, unsigned int timeout_ms);

/**
 * Sticky: a dev_stop with stop_waits=1 found the interrupt thread still busy
 * after NICSIM_STOP_TIMEOUT_MS (a callback blocked, typically on a lock the
 * stopping thread holds) and returned -ETIMEDOUT. The port is stopped all the
 * same (dev_started 0, so it can be closed or started again); the LSC is
 * delivered once the callback in the way returns, and the thread serves on.
 */
bool nicsim_stop_timed_out(uint16_t port);

/** Clear the flag of nicsim_stop_timed_out(). */
void nicsim_clear_stop_timed_out(uint16_t port);

/** Frames the MAC filter refused so far (xstat rx_filtered). */
uint64_t nicsim_rx_filtered(uint16_t port);

/** All counters; 0 or -ENODEV. */
int nicsim_get_counters(uint16_t port, struct nicsim_counters *c);

/**
 * The multicast filter list as last set: copies up to n entries to addrs
 * (which may be NULL with n 0) and returns the number in the list, or -ENODEV.
 */
int nicsim_mc_list(uint16_t port, struct rte_ether_addr *addrs, unsigned int n);

#ifdef __cplusplus
}
#endif

#endif /* NICSIM_H */

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
#include <sys/types.h>

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

/**
 * @name Tap files: a port's queues as the kernel's /dev/tapN
 *
 * A tap file is what one open() of a macvtap's /dev/tapN is in the kernel: a
 * consumer attached to one queue of the port. rte_pmd_macvtap_file_open()
 * attaches it to the port's lowest RX queue that no file holds (the kernel's
 * tap_queue); the file then owns that RX queue and the TX queue of the same
 * index. While a file holds a queue, the port's ethdev rx burst on that queue
 * returns nothing and counts the call (xstat ``rx_burst_held``): no frame is
 * ever split between two consumers.
 *
 * Reads and writes carry one frame each, behind a virtio-net header (10 bytes
 * by default, TUNSETVNETHDRSZ changes it; IFF_VNET_HDR off: none), with the
 * kernel's errors: -EINVAL for a buffer shorter than the header (the frame is
 * dropped), a truncated frame when the buffer is short, -EINVAL for a written
 * frame shorter than 14 bytes or a malformed header. Reads never block: an
 * empty queue gives -EAGAIN, after polling the lower once as the rx burst does.
 * A written frame goes out as the port's tx burst sends it, and the write
 * returns its full length (header included) whatever the lower does, as the
 * kernel's does; errors and refusals are counted (xstat ``tx_file_dropped``).
 *
 * Offloads, as the kernel's (the guide's "Offloads" has the details): a
 * written NEEDS_CSUM or GSO header (TCPv4, TCPv6, UDP_L4) becomes the frame's
 * mbuf offload requests, which the lower does if it can and the driver in
 * software before the wire if not; UDP fragmentation (GSO type UDP) is done
 * as the frame is written (IP fragments) over IPv4 and -EOPNOTSUPP over IPv6.
 * A frame read carries NEEDS_CSUM (and a TCPv4/TCPv6 GSO header)
 * when a bridge sibling left its checksum (segmentation) to offload and the
 * port's TUNSETOFFLOAD (per port; before any: CSUM, TSO4, TSO6, TSO_ECN)
 * takes it; else it is segmented and checksummed for the reader; DATA_VALID
 * when the lower verified its checksum.
 *
 * A file is used by one thread at a time; different files of a port may be
 * used from different threads. Files must be closed before their port is.
 * @{
 */

/** Most files (queues) one port may have open: the kernel's MAX_TAP_QUEUES. */
#define RTE_PMD_MACVTAP_MAX_FILES 256

struct rte_pmd_macvtap_file;
struct iovec;
struct rte_mbuf;

/**
 * Open the port's tap file: attach a consumer to its lowest free RX queue.
 *
 * @param port_id
 *   A net_macvtap port, configured (its RX queues set up), started or not.
 * @param file
 *   Where the handle goes.
 * @return
 *   0; -ENODEV: not a net_macvtap port; -EINVAL: file is NULL or the port has
 *   no RX queue set up; -EBUSY: every queue is held already (or
 *   RTE_PMD_MACVTAP_MAX_FILES are open); -ENOMEM.
 */
int rte_pmd_macvtap_file_open(uint16_t port_id, struct rte_pmd_macvtap_file **file);

/**
 * Close a tap file: its queue goes back to the ethdev rx burst, with any
 * frames still in it (the kernel discards them; a DPDK consumer may want them).
 *
 * @return 0, or -EINVAL for NULL.
 */
int rte_pmd_macvtap_file_close(struct rte_pmd_macvtap_file *file);

/**
 * A descriptor for poll(2)/epoll: readable while frames wait in the file's
 * queue (the kernel's POLLIN), always writable (writes never block here).
 * Created at the first call, closed with the file. Frames arrive in the queue
 * when something polls the lower: the file's own reads, another port's rx
 * burst, or the dispatcher service (rte_pmd_macvtap_dispatch_service_id()).
 *
 * @return the descriptor, or -EINVAL (NULL), -ENXIO (port closed), -errno of eventfd.
 */
int rte_pmd_macvtap_file_fd(struct rte_pmd_macvtap_file *file);

/**
 * The id of the driver's dispatcher, an rte_service component that polls
 * every lower queue in use, for ports no rx burst reads (queues consumed
 * through tap files and their descriptors). Map it to a service lcore (EAL's
 * -s coremask, then rte_service_map_lcore_set() and rte_service_runstate_set(),
 * or rte_service_start_with_defaults()). Rx bursts keep polling as before.
 *
 * @return 0; -ENOENT before the first net_macvtap port was probed; -EINVAL
 *   for a NULL service_id.
 */
int rte_pmd_macvtap_dispatch_service_id(uint32_t *service_id);

/** The RX (and TX) queue a file holds, or -EINVAL. */
int rte_pmd_macvtap_file_queue(const struct rte_pmd_macvtap_file *file);

/**
 * Read one frame, behind its virtio-net header (the kernel's read()).
 *
 * @return
 *   The bytes written to buf: header size + frame length, or less when buf is
 *   shorter (the rest of the frame is lost); -EAGAIN: no frame; -EINVAL: buf
 *   shorter than the header (the frame is dropped), NULL buf with len > 0, or
 *   a NULL file; 0 for len 0 (nothing consumed); -ENXIO: the port was closed.
 *   A queue detached with TUNSETQUEUE gets no new frame (the port's other
 *   queues share its traffic, as the kernel's do): its reads give what it
 *   still holds, then -EAGAIN.
 */
ssize_t rte_pmd_macvtap_file_read(struct rte_pmd_macvtap_file *file, void *buf, size_t len);

/** rte_pmd_macvtap_file_read() into several buffers, filled in order. */
ssize_t rte_pmd_macvtap_file_readv(struct rte_pmd_macvtap_file *file, const struct iovec *iov,
				   int iovcnt);

/**
 * Write one frame, behind its virtio-net header (the kernel's write()).
 *
 * @return
 *   len (the whole write, header included), also when the port is down, the
 *   lower refuses the frame, or its offloads cannot be done (counted);
 *   -EINVAL: shorter than the header, a frame under 14 bytes or over 64 KiB
 *   + 18, or a header the kernel refuses (see the guide); -EOPNOTSUPP: UDP
 *   fragmentation (GSO type UDP) of an IPv6 frame of more than one gso_size;
 *   -ENOBUFS: no mbuf; -EINVAL also for a NULL file or buffer.
 */
ssize_t rte_pmd_macvtap_file_write(struct rte_pmd_macvtap_file *file, const void *buf,
				   size_t len);

/** rte_pmd_macvtap_file_write() from several buffers, taken in order. */
ssize_t rte_pmd_macvtap_file_writev(struct rte_pmd_macvtap_file *file, const struct iovec *iov,
				    int iovcnt);

/**
 * The kernel tap file's ioctls, with <linux/if_tun.h> and <linux/sockios.h>
 * request numbers and the same arguments (a pointer to struct ifreq, or to an
 * int; TUNSETOFFLOAD takes its value cast to a pointer, as ioctl(2) does):
 * TUNGETIFF, TUNSETIFF (flags: IFF_TAP | IFF_NO_PI, plus IFF_VNET_HDR and
 * IFF_MULTI_QUEUE), TUNGETFEATURES, TUNSETQUEUE (IFF_ATTACH_QUEUE,
 * IFF_DETACH_QUEUE), TUNSETOFFLOAD, TUNGETVNETHDRSZ, TUNSETVNETHDRSZ,
 * TUNGETVNETLE, TUNSETVNETLE, TUNGETVNETBE, TUNSETVNETBE (-EINVAL, as on a
 * little-endian kernel without cross-endian support), TUNSETSNDBUF,
 * SIOCGIFHWADDR, SIOCSIFHWADDR.
 *
 * @return
 *   0, or the kernel's negative errno for that call (-EINVAL for anything
 *   else, as the kernel answers; -EFAULT for a NULL argument).
 */
int rte_pmd_macvtap_file_ioctl(struct rte_pmd_macvtap_file *file, unsigned long request,
			       void *arg);

/**
 * Up to n frames of the file's queue, as mbufs with their offload flags (no
 * copy, no header): for consumers in the same process, such as a vhost
 * backend. A bridge sibling's checksum and TCP segmentation requests that the
 * port's offloads take stay as RTE_MBUF_F_TX_* flags (l2_len, l3_len, l4_len,
 * tso_segsz; the TCP checksum field of a segmentation frame holds the
 * pseudo-header sum without the length, as DPDK has it). Polls the lower as
 * the rx burst does. The caller frees them.
 *
 * @return frames put in pkts (0 also for a detached queue or a NULL file).
 */
uint16_t rte_pmd_macvtap_file_rx_burst(struct rte_pmd_macvtap_file *file,
				       struct rte_mbuf **pkts, uint16_t n);

/**
 * Send up to n frames through the file's queue, as the port's tx burst does.
 *
 * @return frames taken; the rest stay the caller's.
 */
uint16_t rte_pmd_macvtap_file_tx_burst(struct rte_pmd_macvtap_file *file,
				       struct rte_mbuf **pkts, uint16_t n);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_MACVTAP_H */

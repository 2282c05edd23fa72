/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

#ifndef MACVTAP_H
#define MACVTAP_H

/*
 * Private types. They mirror the kernel's three objects:
 *   struct macvlan_port  one per lower port, shared by every macvtap port on it
 *   struct macvtap_dev   one macvtap port: the macvlan endpoint plus its tap device
 *   struct tap_queue     one RX queue of a port: the ring the lower fills
 * The receive path reads an immutable snapshot of the UP ports
 * (struct macvlan_table), swapped by the control path; see macvlan_port.c.
 *
 * Locking, once for every file:
 * - macvlan_lock (the kernel's RTNL) serialises every control operation on
 *   every lower and port: probe, configure, start/stop, filters, MTU, close,
 *   lower events. It is recursive because ethdev calls back into us from
 *   inside our own calls (stopping a lower may fire its LSC event on the same
 *   thread). Threads that must never wait for it (lower events raised by a
 *   driver's interrupt thread, EAL alarms) take it with trylock and retry
 *   from an alarm: a lower's stop may wait for the very thread that raises
 *   its events, while the control path holds the lock around that stop.
 * - The datapath takes no mutex. Each lower RX queue has a spinlock held by
 *   whoever polls it (trylock: a reader that loses just reads its ring), each
 *   lower TX queue one held by the senders on it. Table and dead flag are read
 *   under one of them.
 * - Publishing a new table, then taking and releasing every queue lock once,
 *   is the grace period after which the old table is freed: no datapath
 *   thread can still hold it (macvlan_port_synchronize).
 * - Counters have one writer at a time: the holder of the queue lock of
 *   their producer slot (struct tap_queue_stats), or the port's tx burst.
 *
 * The receive table is this driver's own open-addressing hash rather than
 * rte_hash: one read of one slot gives the common case (a port with one
 * queue) everything delivery needs, keys are 48-bit MACs compared in one
 * 64-bit load, and the table is immutable, so readers need no lock of
 * rte_hash's kind.
 */

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "rte_pmd_macvtap.h"

extern int macvtap_logtype;
#define MACVTAP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, macvtap_logtype, "net_macvtap: " fmt "\n", ## __VA_ARGS__)

#define MACVTAP_MAX_QUEUES 256        /* the kernel's MAX_TAP_QUEUES */
#define MACVTAP_DEFAULT_RING_SIZE 500 /* the kernel's tx_queue_len, TUN_READQ_SIZE */
#define MACVTAP_MAX_DESC 8192
#define MACVTAP_MAX_MAC_ADDRS 64
#define MACVTAP_MAX_MC_ADDRS 128
#define MACVTAP_MAX_SOURCES 32
#define MACVTAP_BURST 32
#define MACVLAN_POLL_BURST 1024    /* frames one poll of a lower queue may take */
#define MACVLAN_MAX_LOWER_QUEUES 16
#define MACVLAN_MAX_DEVS RTE_MAX_ETHPORTS

#define MACVTAP_MODE_ALL (RTE_PMD_MACVTAP_MODE_PRIVATE | RTE_PMD_MACVTAP_MODE_VEPA | \
	RTE_PMD_MACVTAP_MODE_BRIDGE | RTE_PMD_MACVTAP_MODE_PASSTHRU | RTE_PMD_MACVTAP_MODE_SOURCE)

/* Frame classes, for the per-queue counters. */
enum macvtap_class {
	MACVTAP_UNICAST,
	MACVTAP_MULTICAST,
	MACVTAP_BROADCAST,
	MACVTAP_NB_CLASSES
};

/* What one producer delivered into one queue. */
struct tap_queue_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t by_class[MACVTAP_NB_CLASSES];
	uint64_t ring_full;          /* dropped: the ring was full (imissed) */
	uint64_t oversize;           /* dropped: longer than the port's MTU allows */
	uint64_t offload_failed;     /* dropped: a local sender's offload could not be done */
} __rte_cache_aligned;

/* Producer slots: lower RX queue q is slot q; bridge TX on lower TX queue q is slot 16 + q. */
#define TAP_QUEUE_PRODUCERS (2 * MACVLAN_MAX_LOWER_QUEUES)
#define TAP_QUEUE_TX_SLOT(q) (MACVLAN_MAX_LOWER_QUEUES + (q))
#define TAP_QUEUE_POLL_EVERY 32  /* a busy queue still polls the lower this often */

/* One RX queue of a macvtap port (the kernel's tap_queue). */
struct tap_queue {
	struct rte_ring *ring;       /* MP enqueue (lower queues, bridge TX), SC dequeue */
	struct macvtap_dev *dev;
	struct rte_mempool *mp;      /* the application's pool for this queue */
	bool copy_to_pool;           /* mp has a private area: frames must come from it, */
	struct rte_mempool *zc_pool; /* ... or from this lower pool, made to fit it (or NULL) */
	bool copy_logged;            /* why frames are copied into mp was logged */
	uint16_t queue_id;
	uint16_t nb_desc;
	uint16_t next_lower_queue;   /* the consumer's turn among the lower queues it polls */
	uint16_t calls_since_poll;   /* rx bursts since this queue last polled the lower */
	bool held;                   /* a tap file consumes it: the rx burst gives nothing */
	int efd;                     /* its file's eventfd, readable while frames wait; or -1 */
	uint32_t efd_armed;          /* its reader found it empty: the next producer wakes it */
	bool detached;               /* its file detached it (TUNSETQUEUE): no frame is chosen for it */
	uint8_t ol_accept;           /* MACVTAP_OL_* its consumer takes as they are (its file's) */
	uint64_t held_bursts;        /* rx bursts refused while held; the consumer's own count */
	uint64_t pool_copied;        /* frames copied into mp; the consumer's own count */
	uint64_t file_closed_dropped; /* taken by a tap file, not read when it closed */
	/*
	 * Counters by producer, as the kernel's per-CPU stats: each lower RX
	 * queue's poller, and each lower TX queue's bridge senders, hold a lock
	 * while they deliver, so each slot has one writer at a time: plain adds.
	 */
	struct tap_queue_stats stats[TAP_QUEUE_PRODUCERS];
} __rte_cache_aligned;

/* One TX queue of a macvtap port. Counters have one writer: the tx burst. */
struct macvtap_txq {
	struct macvtap_dev *dev;
	uint16_t queue_id;
	uint16_t nb_desc;
	uint64_t tx_packets;         /* onto the wire or delivered locally */
	uint64_t tx_bytes;
	uint64_t tx_local;           /* bridge mode: delivered to ports on the same lower */
	uint64_t tx_lower_dropped;   /* the lower did not take them */
	uint64_t tx_spoof_dropped;   /* spoofchk: foreign source MAC */
	uint64_t tx_copy_failed;     /* bridge broadcast: no mbuf for a local copy */
	uint64_t tx_file_dropped;    /* tap file writes refused, failed or not sent */
	uint64_t tx_offload_failed;  /* an offload asked for could not be done in software */
} __rte_cache_aligned;

/* Where a port's MAC went on the lower: its MAC filter, or a promiscuous reference. */
enum macvlan_filter_slot {
	MACVLAN_FILTER_NONE,
	MACVLAN_FILTER_MAC,
	MACVLAN_FILTER_PROMISC,
};

/* One macvtap port: the macvlan endpoint and its tap device. Lives in shared memory. */
struct macvtap_dev {
	struct macvlan_port *port;   /* the lower's context, shared with siblings */
	uint16_t port_id;            /* this port's ethdev id */
	uint8_t mode;                /* enum rte_pmd_macvtap_mode */
	bool nodst;                  /* MACVLAN_FLAG_NODST */
	bool nopromisc;              /* MACVLAN_FLAG_NOPROMISC */
	bool spoofchk;
	bool started;                /* dev_start .. dev_stop: the kernel's open */
	bool admin_up;               /* set_link_up/down */
	bool up;                     /* started && admin_up: in the receive table */
	bool promisc;
	bool allmulti;
	bool lower_promisc_ref;      /* this port holds a promiscuous reference on the lower */
	bool lower_allmulti_ref;
	uint16_t nb_rx_queues;       /* as of dev_start: how this port's queues share the lower's */
	uint16_t mtu;                /* data->mtu, known before ethdev stores a new one */
	uint16_t nb_sources;
	uint32_t nb_mc;
	struct rte_ether_addr sources[MACVTAP_MAX_SOURCES];
	struct rte_ether_addr mc_addrs[MACVTAP_MAX_MC_ADDRS];
	struct rte_ether_addr mac_addrs[MACVTAP_MAX_MAC_ADDRS]; /* data->mac_addrs */
	uint8_t mac_filter[MACVTAP_MAX_MAC_ADDRS];              /* enum macvlan_filter_slot */
	struct rte_pmd_macvtap_lower_stats lower_base;          /* lower counters at xstats reset */
	uint8_t tap_offload;         /* TUNSETOFFLOAD's bits, per port as in the kernel */
	bool tap_offload_set;        /* until the first TUNSETOFFLOAD: the kernel's default */
	uint16_t nb_files;
	struct rte_pmd_macvtap_file *files[MACVTAP_MAX_QUEUES]; /* open tap files, by queue */
	struct macvtap_chardev *chardev;  /* devarg chardev=: the endpoint that serves its queues */
};

/* A port as the receive path sees it: a snapshot taken when the table was built. */
struct macvlan_endpoint {
	struct macvtap_dev *dev;
	struct tap_queue **rxq;      /* the port's rx_queues array */
	uint16_t nb_rxq;
	uint16_t rxq_mask;           /* nb_rxq - 1 when a power of two, else 0 */
	bool single_producer;        /* only one lower queue's poller can fill its rings */
	uint8_t lower_q_map[MACVLAN_MAX_LOWER_QUEUES]; /* lower queue -> queue, no division */
	uint16_t port_id;
	uint8_t mode;
	bool all_multicast;          /* promiscuous or allmulticast: every group passes */
	uint32_t max_frame;          /* longest frame its MTU takes, VLAN tag included */
	uint16_t nb_mc;
	uint16_t nb_macs;
	uint64_t macs[MACVTAP_MAX_MAC_ADDRS];   /* for spoofchk */
	uint64_t mc[MACVTAP_MAX_MC_ADDRS];
};

/*
 * The queue of an endpoint that a frame goes to (the kernel's tap_get_queue):
 * by the flow hash if the lower computed one, else by the lower's queue.
 */
static inline struct tap_queue *
tap_get_queue(const struct macvlan_endpoint *ep, const struct rte_mbuf *m, uint16_t lower_queue)
{
	if (ep->nb_rxq == 1)
		return ep->rxq[0];
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return ep->rxq[ep->rxq_mask != 0 ? m->hash.rss & ep->rxq_mask :
			       m->hash.rss % ep->nb_rxq];
	return ep->rxq[ep->lower_q_map[lower_queue]];
}

/* A source-mode entry: frames from this source MAC go to that endpoint. */
struct macvlan_source {
	uint64_t mac;
	int32_t ep;                  /* index into endpoints, -1 if the port is down */
	bool nodst;
};

#define MACVLAN_NO_EP (-1)
#define MACVLAN_PASSTHRU_DOWN (-2)

/*
 * The receive table: immutable once published. Unicast keys of UP ports hash
 * into an open-addressing array; the control path builds a new table, publishes
 * it and waits for every datapath lock to turn over before freeing the old one.
 */
struct macvlan_table {
	uint32_t nb_endpoints;
	uint32_t nb_sources;
	uint32_t hash_mask;          /* slots - 1 */
	uint32_t hash_shift;         /* 64 - log2(slots): a hash is the product's top bits */
	int32_t passthru;            /* endpoint index, MACVLAN_NO_EP or MACVLAN_PASSTHRU_DOWN */
	bool has_passthru;
	/*
	 * The kernel's port mc_filter: a group from the wire reaches the ports'
	 * own filters only if the lower is promiscuous or allmulticast, or some UP
	 * port joined it (groups[], the union of their lists).
	 */
	bool all_groups;
	uint32_t nb_groups;
	uint64_t *groups;
	struct macvlan_endpoint *endpoints;
	struct macvlan_source *sources;
	struct macvlan_hash_slot *slots;
};

/*
 * A MAC in the receive table, with what unicast delivery needs, so that the
 * common case (a port with one RX queue) reads this slot and nothing else.
 */
struct macvlan_hash_slot {
	uint64_t key;                /* MAC as macvtap_mac_key; 0 = empty (never a valid unicast) */
	int32_t ep;                  /* the owner, whatever its mode */
	int32_t uc_ep;               /* unicast goes there; -1 for source ports, no-queue ports */
	struct tap_queue *q0;        /* uc_ep's queue if it has exactly one, else NULL */
	uint32_t max_frame;          /* uc_ep's longest frame */
	uint16_t port_id;            /* uc_ep's ethdev port */
	bool single_producer;
};

/* Per lower RX queue: the poll lock and the counters of frames no port took. */
struct macvlan_lower_rxq {
	rte_spinlock_t lock;
	uint16_t budget;             /* frames the next poll may take (set by the last one) */
	struct rte_pmd_macvtap_lower_stats stats;
	uint64_t polls;              /* polls of this queue (under lock; telemetry) */
	uint64_t empty_polls;        /* of which found nothing */
} __rte_cache_aligned;

struct macvlan_lower_txq {
	rte_spinlock_t lock;
} __rte_cache_aligned;

/* The lower's counted receive modes. */
enum macvlan_rx_mode {
	MACVLAN_RX_PROMISC,
	MACVLAN_RX_ALLMULTI,
	MACVLAN_RX_MODES
};

/* One lower port and the macvtap ports on it (the kernel's macvlan_port). */
struct macvlan_port {
	char lower_name[RTE_ETH_NAME_MAX_LEN];
	uint16_t lower_port_id;
	bool resolved;               /* lower_port_id is valid and owned */
	bool configured;             /* we configured and started the lower */
	bool dead;                   /* the lower was removed */
	bool passthru;
	bool lsc_polled;             /* lower has no LSC interrupt: an alarm polls it */
	bool mc_programmed;          /* the lower's multicast filter holds our groups */
	bool mc_allmulti_ref;        /* they did not fit: an allmulticast reference instead */
	bool lower_open_groups;      /* promiscuous or allmulticast by itself (net_ring, net_pcap) */
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t nb_devs;
	uint32_t nb_mc_synced;       /* groups in the lower's multicast filter */
	/* Promiscuous and allmulticast on the lower, counted as the kernel's dev_set_*. */
	uint32_t rx_mode_refs[MACVLAN_RX_MODES];
	bool rx_mode_on[MACVLAN_RX_MODES];   /* the lower is in that mode */
	bool rx_mode_ours[MACVLAN_RX_MODES]; /* ... because we turned it on */
	uint64_t owner_id;
	uint32_t lower_mtu;
	uint32_t lower_max_mac_addrs;
	struct rte_ether_addr lower_saved_mac; /* restored when a passthru port leaves */
	bool lower_mac_changed;
	struct rte_eth_link lower_link;
	struct rte_mempool *mp;       /* the lower's RX pool (rte_pmd_macvtap_get_lower_mempool) */
	struct macvtap_pool_profile *mp_prof; /* its objects' private area, or NULL: none */
	uint32_t nb_mbufs;            /* its size */
	uint16_t nb_rxd;              /* the lower's RX descriptors per queue */
	bool rx_started;              /* RX queues set up with mp, the lower started */
	int socket;                   /* the lower's socket */
	uint32_t tx_ol;               /* MACVTAP_OL_* the lower does, as we configured it */
	uint64_t tx_sw_flags;         /* mbuf TX requests some frames need done before it */
	struct macvlan_table *table;  /* read by the datapath under a queue lock */
	struct macvtap_dev *devs[MACVLAN_MAX_DEVS];
	struct macvlan_lower_rxq rxq[MACVLAN_MAX_LOWER_QUEUES];
	struct macvlan_lower_txq txq[MACVLAN_MAX_LOWER_QUEUES];
	struct rte_pmd_macvtap_lower_stats local_stats[MACVLAN_MAX_LOWER_QUEUES]; /* bridge TX */
};

/*
 * Offloads. A local sender (an ethdev tx burst, a tap file write) may leave
 * work in a frame's mbuf flags: checksums (l2_len, l3_len) and segmentation
 * (l4_len, tso_segsz), as rte_mbuf_core.h defines them. Whoever takes the
 * frame next (the lower, or a local port's reader) takes what it can as it is;
 * the rest is done in software first (macvtap_offload_resolve). What a
 * consumer takes, in MACVTAP_OL_* bits (8 of them at most: tap_queue.ol_accept):
 */
#define MACVTAP_OL_IP_CKSUM   (1u << 0)  /* IPv4 header checksum (the lower only) */
#define MACVTAP_OL_TCP_CKSUM  (1u << 1)  /* partial TCP checksums */
#define MACVTAP_OL_UDP_CKSUM  (1u << 2)  /* partial UDP checksums */
#define MACVTAP_OL_TSO4       (1u << 3)  /* TCP over IPv4 segmentation */
#define MACVTAP_OL_TSO6       (1u << 4)  /* TCP over IPv6 segmentation */
#define MACVTAP_OL_TSO_ECN    (1u << 5)  /* ... of frames with CWR set */
#define MACVTAP_OL_MULTI_SEGS (1u << 6)  /* chained mbufs */
/* The mbuf requests the driver carries out. */
#define MACVTAP_TX_OL_FLAGS (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | \
	RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)
/* Most segments one frame may become (a larger count drops the frame). */
#define MACVTAP_GSO_MAX_SEGS 256

/* The one control lock: every control operation on every lower (the kernel's RTNL). */
extern pthread_mutex_t macvlan_lock;

#define MACVTAP_KEY_BROADCAST 0xffffffffffffULL
/* IEEE 802.3x PAUSE: link-local flow control, never fanned out to ports. */
#define MACVTAP_ETHER_TYPE_PAUSE 0x8808

/* A MAC as a 48-bit key: its six bytes in memory order (one load, no shuffling). */
static inline uint64_t
macvtap_mac_key(const struct rte_ether_addr *a)
{
	uint64_t k = 0;

	memcpy(&k, a->addr_bytes, RTE_ETHER_ADDR_LEN);
	return k;
}

/*
 * Destination and source keys of a frame header, from two 8-byte loads that
 * stay inside its 14 bytes; on a big-endian host the mask falls on the other
 * end, so build them the portable way there.
 */
static inline void
macvtap_hdr_keys(const struct rte_ether_hdr *eh, uint64_t *dst, uint64_t *src)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	uint64_t lo, hi;

	memcpy(&lo, eh, sizeof(lo));
	memcpy(&hi, (const uint8_t *)eh + 4, sizeof(hi));
	*dst = lo & 0xffffffffffffULL;
	*src = hi >> 16;
#else
	*dst = macvtap_mac_key(&eh->dst_addr);
	*src = macvtap_mac_key(&eh->src_addr);
#endif
}

/*
 * Multiplicative hashing: the top bits of key times the golden ratio depend
 * on every bit of the key (MACs often differ in their last byte only, the top
 * of the key).
 */
static inline uint32_t
macvlan_hash(uint64_t key, uint32_t shift)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> shift);
}

/* The slot of a MAC in the table, or NULL. */
static inline const struct macvlan_hash_slot *
macvlan_table_slot(const struct macvlan_table *t, uint64_t key)
{
	const struct macvlan_hash_slot *slots = t->slots;
	uint32_t mask = t->hash_mask, i;

	for (i = macvlan_hash(key, t->hash_shift); slots[i].key != 0; i = (i + 1) & mask)
		if (slots[i].key == key)
			return &slots[i];
	return NULL;
}

/* Put a MAC of endpoint idx into a table being built (dpdk-macvtap-hash-bench builds its tables so too). */
static inline void
macvlan_table_insert(struct macvlan_table *t, uint64_t key, int32_t idx)
{
	const struct macvlan_endpoint *ep = &t->endpoints[idx];
	struct macvlan_hash_slot *s;
	uint32_t i;

	for (i = macvlan_hash(key, t->hash_shift); t->slots[i].key != 0;
	     i = (i + 1) & t->hash_mask)
		if (t->slots[i].key == key)
			return; /* first owner keeps it; busy checks prevent this */
	s = &t->slots[i];
	s->key = key;
	s->ep = idx;
	s->uc_ep = ep->mode == RTE_PMD_MACVTAP_MODE_SOURCE || ep->nb_rxq == 0 ? -1 : idx;
	s->q0 = s->uc_ep >= 0 && ep->nb_rxq == 1 ? ep->rxq[0] : NULL;
	s->max_frame = ep->max_frame;
	s->port_id = ep->port_id;
	s->single_producer = ep->single_producer;
}

/* The endpoint whose MAC key is key, or MACVLAN_NO_EP. */
static inline int32_t
macvlan_table_lookup(const struct macvlan_table *t, uint64_t key)
{
	const struct macvlan_hash_slot *s;

	if (t == NULL)
		return MACVLAN_NO_EP;
	s = macvlan_table_slot(t, key);
	return s == NULL ? MACVLAN_NO_EP : s->ep;
}

/*
 * Copy single-segment frame m, and what a receiver reads of its metadata,
 * into c: a fresh mbuf whose tailroom the caller checked.
 */
static inline void
macvtap_copy_linear(struct rte_mbuf *c, const struct rte_mbuf *m)
{
	rte_memcpy(rte_pktmbuf_mtod(c, void *), rte_pktmbuf_mtod(m, const void *), m->data_len);
	c->data_len = m->data_len;
	c->pkt_len = m->pkt_len;
	c->port = m->port;
	c->ol_flags = m->ol_flags & ~(RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT);
	c->tx_offload = m->tx_offload;
	c->packet_type = m->packet_type;
	c->hash = m->hash;
	c->vlan_tci = m->vlan_tci;
	c->vlan_tci_outer = m->vlan_tci_outer;
}

/*
 * A frame longer than a receiving port's MTU (and a VLAN tag) is dropped, as
 * the kernel's is_skb_forwardable drops it; segmentation offloads are exempt.
 */
static inline bool
macvtap_frame_too_long(const struct macvlan_endpoint *ep, const struct rte_mbuf *m)
{
	return m->pkt_len > ep->max_frame &&
	       !(m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_RX_LRO));
}

/* Whether an endpoint takes a group frame to dst (kernel: the mc filter hash). */
static inline bool
endpoint_accepts_group(const struct macvlan_endpoint *ep, uint64_t dst, bool bcast)
{
	uint16_t i;

	if (bcast || ep->all_multicast)
		return true;
	for (i = 0; i < ep->nb_mc; i++)
		if (ep->mc[i] == dst)
			return true;
	return false;
}

/*
 * The devargs keys and what each takes. This one list drives the parser, its
 * unknown-key message and the parameter string registered with the vdev bus.
 */
#define MACVTAP_DEVARGS(X) \
	X(iface, "<lower port name>") \
	X(mac, "<MAC>") \
	X(mode, "private|vepa|bridge|passthru|source") \
	X(source, "[MAC,MAC,...]") \
	X(nodst, "0|1") \
	X(nopromisc, "0|1") \
	X(spoofchk, "0|1") \
	X(chardev, "stream|dgram|seqpacket:<socket path>|tap|host:<ifname>") \
	X(chardev_owner, "<uid>") \
	X(chardev_group, "<gid>") \
	X(chardev_mode, "<octal mode>")
#define MACVTAP_PARAM_ONE(key, value) #key "=" value " "
#define MACVTAP_PARAM_STRING MACVTAP_DEVARGS(MACVTAP_PARAM_ONE)

/* Who consumes a port's queues from outside the process (devarg chardev=). */
enum macvtap_chardev_kind {
	MACVTAP_CHARDEV_NONE,
	MACVTAP_CHARDEV_STREAM,      /* unix stream socket, QEMU -netdev stream framing */
	MACVTAP_CHARDEV_DGRAM,       /* unix datagram socket, QEMU -netdev dgram */
	MACVTAP_CHARDEV_SEQPACKET,   /* unix seqpacket socket: a connection is a tap file */
	MACVTAP_CHARDEV_TAP,         /* a kernel TAP interface whose file a consumer holds */
	MACVTAP_CHARDEV_HOST,        /* a kernel TAP interface whose file the driver holds */
};

#define MACVTAP_CHARDEV_WHERE_LEN 108   /* sun_path */

struct macvtap_chardev_args {
	uint8_t kind;                /* enum macvtap_chardev_kind */
	char where[MACVTAP_CHARDEV_WHERE_LEN]; /* socket path or interface name */
	bool owner_set, group_set, mode_set;
	uid_t owner;
	gid_t group;
	mode_t mode;
};

/* An endpoint's counters; one writer each (the endpoint's thread). */
struct macvtap_chardev_stats {
	uint64_t peer_connects;      /* peers accepted */
	uint64_t peer_refused;       /* a peer came while the endpoint had its consumer */
	uint64_t peer_errors;        /* a peer broke the framing or sent a runt or giant */
	uint64_t from_peer_packets;  /* frames a peer sent, handed to the port's TX */
	uint64_t from_peer_dropped;  /* frames a peer sent while the port was stopped */
	uint64_t to_peer_packets;    /* frames the port received, handed to the peer */
	uint64_t no_peer_dropped;    /* frames the port received while no peer was there */
	uint64_t to_peer_dropped;    /* the peer could not take them */
};

/* A port's devargs, parsed. */
struct macvtap_args {
	const char *name;            /* the vdev's name, for messages */
	char iface[RTE_ETH_NAME_MAX_LEN];
	struct rte_ether_addr mac;
	bool mac_set;
	uint8_t mode;
	bool nodst, nopromisc, spoofchk;
	uint16_t nb_sources;
	struct rte_ether_addr sources[MACVTAP_MAX_SOURCES];
	struct macvtap_chardev_args chardev;
};

/* macvtap_args.c */
int macvtap_parse_args(const char *name, const char *params, struct macvtap_args *a);
const char *macvtap_mode_name(uint8_t mode);

/* Whether a group from the wire passes the lower's filter, as the kernel's port filter says. */
static inline bool
macvlan_table_group_passes(const struct macvlan_table *t, uint64_t dst)
{
	uint32_t i;

	if (t->all_groups)
		return true;
	for (i = 0; i < t->nb_groups; i++)
		if (t->groups[i] == dst)
			return true;
	return false;
}

/*
 * macvtap_pool.c: what every object of a pktmbuf pool holds in its private
 * area (struct rte_mbuf is followed by priv_size bytes, then the data room).
 */
struct macvtap_pool_profile {
	uint16_t priv_size;
	uint16_t data_room;          /* rte_pktmbuf_data_room_size(), headroom included */
	uint8_t tmpl[];              /* priv_size bytes, the same in every object */
};

int macvtap_pool_profile_get(struct rte_mempool *mp, struct macvtap_pool_profile **out);
struct macvtap_pool_profile *macvtap_pool_profile_dup(const struct macvtap_pool_profile *p);
bool macvtap_pool_fits(const struct rte_mempool *lower_mp,
		       const struct macvtap_pool_profile *lower,
		       const struct macvtap_pool_profile *app);
struct rte_mempool *macvtap_pool_create(const char *name, unsigned int n, unsigned int cache,
					const struct macvtap_pool_profile *p, int socket);

/* macvlan_port.c: the lower's life and the receive table. */
int macvlan_port_get(const char *lower_name, struct macvlan_port **port);
int macvlan_port_resolve(struct macvlan_port *port);
int macvlan_port_add_dev(struct macvlan_port *port, struct macvtap_dev *dev);
void macvlan_port_del_dev(struct macvlan_port *port, struct macvtap_dev *dev);
void macvlan_port_put_unused(struct macvlan_port *port);
int macvlan_port_configure(struct macvlan_port *port);
int macvlan_port_mac_busy(const struct macvlan_port *port, const struct macvtap_dev *self,
			  const struct rte_ether_addr *mac);
int macvlan_port_open(struct macvlan_port *port, struct macvtap_dev *dev);
void macvlan_port_stop(struct macvlan_port *port, struct macvtap_dev *dev);
int macvlan_port_filter_add(struct macvlan_port *port, struct macvtap_dev *dev, uint32_t index);
void macvlan_port_filter_del(struct macvlan_port *port, struct macvtap_dev *dev, uint32_t index);
int macvlan_port_set_rx_mode(struct macvlan_port *port, struct macvtap_dev *dev);
int macvlan_port_rebuild(struct macvlan_port *port);
int macvlan_port_set_lower_mac(struct macvlan_port *port, const struct rte_ether_addr *mac);
void macvlan_port_synchronize(struct macvlan_port *port);
int macvlan_port_start_rx(struct macvlan_port *port, struct macvtap_dev *dev);
void macvlan_port_fit_queue(struct macvlan_port *port, struct tap_queue *q);
int macvlan_dispatcher_register(void);
void macvlan_port_lower_stats(const struct macvlan_port *port,
			      struct rte_pmd_macvtap_lower_stats *out);
struct macvlan_port *macvlan_port_find_by_lower(uint16_t lower_port_id);
bool macvlan_port_link_refresh(struct macvtap_dev *dev);
uint32_t macvlan_port_lower_mtu(const struct macvlan_port *port);
struct macvtap_dev *macvtap_port_dev(uint16_t port_id);

/* A queue's reader in its rx burst: where its own frames can go directly. */
struct macvlan_reader {
	struct tap_queue *q;
	struct rte_mbuf **pkts;      /* the caller's array, after what the ring gave */
	uint16_t room;
	uint16_t nb;                 /* frames put there */
};

/* macvlan_rx.c: lower RX, classify, deliver. */
void macvlan_port_poll(struct macvlan_port *port, uint16_t lower_queue, uint16_t limit,
		       struct macvlan_reader *reader);
uint16_t macvlan_handle_frames(struct macvlan_port *port, const struct macvlan_table *t,
			       uint16_t queue_hint, unsigned int slot, struct rte_mbuf **pkts,
			       uint16_t nb, struct rte_pmd_macvtap_lower_stats *stats,
			       struct macvlan_reader *reader);

uint16_t macvtap_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);

/* macvlan_tx.c */
uint16_t macvtap_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);

/* macvtap_offload.c */
void macvtap_offload_lower_caps(struct macvlan_port *port, uint64_t tx_offloads);
int macvtap_offload_resolve(struct rte_mbuf *m, uint32_t accept, struct rte_mempool *mp,
			    struct rte_mbuf **out, unsigned int max);
int macvtap_csum_complete(struct rte_mbuf *m, uint32_t start, uint32_t off);
int macvtap_ufo_fragment(struct rte_mbuf *m, uint32_t th, uint16_t mss, bool chains,
			 struct rte_mempool *mp, struct rte_mbuf **out, unsigned int max);
int macvtap_chain_put(struct rte_mbuf *head, struct rte_mbuf **tail, const void *src,
		      uint32_t len, struct rte_mempool *mp);
uint16_t macvtap_csum16_add(uint16_t a, uint16_t b);
uint16_t macvtap_pseudo_sum(const uint8_t *ip, bool v4, uint8_t proto);

/* tap_queue.c: the rings and their counters */
int tap_queue_create(struct macvtap_dev *dev, uint16_t queue_id, uint16_t nb_desc,
		     unsigned int socket_id, struct rte_mempool *mp, struct tap_queue **out);
void tap_queue_free(struct tap_queue *q);
unsigned int tap_queue_deliver(struct tap_queue *q, unsigned int slot, bool single_producer,
			       struct rte_mbuf **pkts, uint16_t nb, uint64_t bytes,
			       const uint32_t *by_class);
uint8_t macvtap_frame_class(const struct rte_mbuf *m);
void tap_queue_count(struct tap_queue *q, unsigned int slot, uint16_t nb, uint64_t bytes,
		     const uint32_t *by_class);
void tap_queue_stats_sum(const struct tap_queue *q, struct tap_queue_stats *sum);
void tap_queue_stats_reset(struct tap_queue *q);
/* The port's rx burst on one queue, whoever consumes it (ethdev or a tap file). */
uint16_t macvtap_queue_take(struct tap_queue *q, struct rte_mbuf **pkts, uint16_t nb_pkts);

/* tap_file.c */
void tap_file_port_closing(struct macvtap_dev *dev);
void tap_file_queue_released(struct macvtap_dev *dev, struct tap_queue *q);
void tap_file_queue_created(struct macvtap_dev *dev, struct tap_queue *q);

/*
 * tap_chardev.c: create makes the socket or interface (at probe, under the
 * control lock), start runs its thread (after probe, without the lock),
 * quiesce waits for the thread's frame work in progress (the port stopped),
 * destroy joins the thread and removes what create made (without the lock:
 * the thread may wait for it).
 */
int macvtap_chardev_create(struct macvtap_dev *dev, const char *name,
			   const struct macvtap_chardev_args *a);
int macvtap_chardev_start(struct macvtap_dev *dev);
void macvtap_chardev_mac_changed(struct macvtap_dev *dev);
void macvtap_chardev_quiesce(struct macvtap_dev *dev);
void macvtap_chardev_destroy(struct macvtap_dev *dev);
void macvtap_chardev_stats_get(const struct macvtap_dev *dev, struct macvtap_chardev_stats *s);
void macvtap_chardev_stats_reset(struct macvtap_dev *dev);

/* macvtap_stats.c */
int macvtap_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *stats);
int macvtap_stats_reset(struct rte_eth_dev *eth_dev);
int macvtap_xstats_get(struct rte_eth_dev *eth_dev, struct rte_eth_xstat *xstats,
		       unsigned int n);
int macvtap_xstats_get_names(struct rte_eth_dev *eth_dev,
			     struct rte_eth_xstat_name *names, unsigned int n);

#endif /* MACVTAP_H */

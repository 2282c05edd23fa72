/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * A port's queues as tap files (kernel: tap.c's file operations): open
 * attaches a consumer to one queue, read and write carry one frame behind a
 * virtio-net header, the ioctls set what the kernel's set. The frames move
 * through the port's own bursts (macvtap_queue_take, macvtap_tx_burst).
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <ethdev_driver.h>

#include "macvtap.h"

/* The virtio-net header as the kernel reads and writes it (virtio 1.x layout). */
struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
} __rte_packed;

#define VNET_HDR_LEN ((int)sizeof(struct vnet_hdr))   /* 10 */
#define VNET_F_NEEDS_CSUM 1
#define VNET_F_DATA_VALID 2
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3
#define VNET_GSO_TCPV6 4
#define VNET_GSO_UDP_L4 5
#define VNET_GSO_ECN 0x80
#define TAP_DEFAULT_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)   /* 0x5002 */
#define TAP_FEATURES (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE)
#define TAP_DEFAULT_SNDBUF 212992    /* the kernel's wmem_default */
#define TAP_OFFLOAD_MASK 0x7f
#define FRAME_MIN RTE_ETHER_HDR_LEN

struct rte_pmd_macvtap_file {
	struct macvtap_dev *dev;     /* NULL once its port closed */
	uint16_t port_id;
	uint16_t queue;
	uint16_t flags;              /* IFF_* as TUNSETIFF set them */
	bool attached;               /* TUNSETQUEUE */
	bool vnet_le;
	int vnet_hdr_sz;
	int sndbuf;
	/*
	 * Frames taken off the queue a burst at a time, read one by one: the
	 * file is the queue's only consumer, so they are its next frames still.
	 */
	uint16_t stash_head, stash_len;
	uint16_t nb_read;            /* frames of the stash read, freed together */
	int parked_efd;              /* its eventfd while ethdev replaces its queue, or -1 */
	struct rte_mbuf *stash[MACVTAP_BURST];
};

/* What a port's readers take before any TUNSETOFFLOAD: the kernel's TUN_OFFLOADS. */
#define TAP_OFFLOAD_DEFAULT (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

/*
 * The offloads file f's reader takes as they are (the kernel's tap_features,
 * per port, for a queue with IFF_VNET_HDR): partial checksums with TUN_F_CSUM,
 * TCP segmentation with TSO4 / TSO6 (and TSO_ECN) on top of it; never UDP
 * segmentation (UFO, USO). Chains always: a read copies them out.
 */
static uint32_t
tap_file_accept(const struct rte_pmd_macvtap_file *f)
{
	uint8_t tun = f->dev->tap_offload_set ? f->dev->tap_offload : TAP_OFFLOAD_DEFAULT;
	uint32_t a = MACVTAP_OL_MULTI_SEGS;

	if (!(f->flags & IFF_VNET_HDR) || !(tun & TUN_F_CSUM))
		return a;
	a |= MACVTAP_OL_TCP_CKSUM | MACVTAP_OL_UDP_CKSUM;
	if (tun & TUN_F_TSO4)
		a |= MACVTAP_OL_TSO4;
	if (tun & TUN_F_TSO6)
		a |= MACVTAP_OL_TSO6;
	if ((tun & TUN_F_TSO_ECN) && (tun & (TUN_F_TSO4 | TUN_F_TSO6)))
		a |= MACVTAP_OL_TSO_ECN;
	return a;
}

/* Each file's queue takes what its reader does; called with the lock. */
static void
tap_file_offloads_apply(struct macvtap_dev *dev)
{
	struct rte_eth_dev_data *data = rte_eth_devices[dev->port_id].data;
	unsigned int q;

	for (q = 0; q < RTE_DIM(dev->files); q++) {
		struct rte_pmd_macvtap_file *f = dev->files[q];

		if (f != NULL && q < data->nb_rx_queues && data->rx_queues[q] != NULL)
			__atomic_store_n(&((struct tap_queue *)data->rx_queues[q])->ol_accept,
					 (uint8_t)tap_file_accept(f), __ATOMIC_RELAXED);
	}
}

/* Drop what the stash holds (the file closes, or its port does). */
static void
tap_file_stash_free(struct rte_pmd_macvtap_file *f)
{
	rte_pktmbuf_free_bulk(f->stash + f->stash_head - f->nb_read,
			      f->stash_len - f->stash_head + f->nb_read);
	f->stash_head = f->stash_len = f->nb_read = 0;
}

/* ---- open and close ---- */

int
rte_pmd_macvtap_file_open(uint16_t port_id, struct rte_pmd_macvtap_file **file)
{
	struct macvtap_dev *dev = macvtap_port_dev(port_id);
	struct rte_eth_dev_data *data;
	struct rte_pmd_macvtap_file *f;
	uint16_t q;
	int ret = 0;

	if (dev == NULL)
		return -ENODEV;
	if (file == NULL)
		return -EINVAL;
	data = rte_eth_devices[port_id].data;
	pthread_mutex_lock(&macvlan_lock);
	for (q = 0; q < data->nb_rx_queues; q++)
		if (data->rx_queues[q] != NULL && dev->files[q] == NULL)
			break;
	if (data->nb_rx_queues == 0 || data->rx_queues[0] == NULL) {
		MACVTAP_LOG(ERR, "%s: a tap file needs the port's RX queues set up", data->name);
		ret = -EINVAL;
	} else if (q == data->nb_rx_queues || dev->nb_files >= RTE_PMD_MACVTAP_MAX_FILES) {
		ret = -EBUSY;
	}
	if (ret != 0)
		goto out;
	f = rte_zmalloc("macvtap_file", sizeof(*f), 0);
	if (f == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	f->dev = dev;
	f->port_id = port_id;
	f->queue = q;
	f->flags = TAP_DEFAULT_FLAGS;
	f->attached = true;
	f->vnet_hdr_sz = VNET_HDR_LEN;
	f->sndbuf = TAP_DEFAULT_SNDBUF;
	f->parked_efd = -1;
	dev->files[q] = f;
	dev->nb_files++;
	tap_file_offloads_apply(dev);
	__atomic_store_n(&((struct tap_queue *)data->rx_queues[q])->held, true, __ATOMIC_RELEASE);
	*file = f;
out:
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

/*
 * The file's queue. NULL while ethdev replaces it (a new rx queue setup
 * releases the old one first): the file's state waits in the file, and
 * tap_file_queue_created gives it to the new queue.
 */
static inline struct tap_queue *
tap_file_q(const struct rte_pmd_macvtap_file *f)
{
	struct rte_eth_dev_data *data = rte_eth_devices[f->port_id].data;

	return f->queue < data->nb_rx_queues ? data->rx_queues[f->queue] : NULL;
}

/* ethdev releases a queue a file holds: the file keeps its eventfd meanwhile. */
void
tap_file_queue_released(struct macvtap_dev *dev, struct tap_queue *q)
{
	struct rte_pmd_macvtap_file *f = dev->files[q->queue_id];

	if (f == NULL)
		return;
	f->parked_efd = q->efd;
	q->efd = -1;
}

/* A queue set up where a file holds the index: the file holds it, as it held the old one. */
void
tap_file_queue_created(struct macvtap_dev *dev, struct tap_queue *q)
{
	struct rte_pmd_macvtap_file *f = dev->files[q->queue_id];

	if (f == NULL)
		return;
	q->held = true;
	q->detached = !f->attached;
	q->ol_accept = (uint8_t)tap_file_accept(f);
	q->efd = f->parked_efd;
	f->parked_efd = -1;
	/* The reader looks again (the arm of the old queue is gone). */
	if (q->efd >= 0)
		eventfd_write(q->efd, 1);
}

/* Attach or detach a file's queue for frame selection; called with the lock. */
static int
tap_file_set_detached(struct rte_pmd_macvtap_file *f, bool detached)
{
	struct tap_queue *q = tap_file_q(f);
	int ret;

	if (q == NULL)
		return 0;  /* the new queue takes it from f->attached */
	q->detached = detached;
	if (!f->dev->up)
		return 0;
	ret = macvlan_port_rebuild(f->dev->port);
	if (ret != 0)
		q->detached = !detached;
	return ret;
}

int
rte_pmd_macvtap_file_close(struct rte_pmd_macvtap_file *f)
{
	struct tap_queue *q;

	if (f == NULL)
		return -EINVAL;
	pthread_mutex_lock(&macvlan_lock);
	if (f->dev != NULL && (q = tap_file_q(f)) == NULL) {
		/* Its queue is being replaced: nothing of it to give back. */
		if (f->parked_efd >= 0)
			close(f->parked_efd);
		f->dev->files[f->queue] = NULL;
		f->dev->nb_files--;
	} else if (f->dev != NULL) {
		if (!f->attached && tap_file_set_detached(f, false) != 0)
			MACVTAP_LOG(WARNING, "port %u: queue %u stays detached (no memory)",
				    f->port_id, f->queue);
		if (q->efd >= 0) {
			int efd = q->efd;

			/* No producer may still be writing to it once it is closed. */
			__atomic_store_n(&q->efd, -1, __ATOMIC_RELEASE);
			if (f->dev->port != NULL)
				macvlan_port_synchronize(f->dev->port);
			close(efd);
		}
		__atomic_store_n(&q->held, false, __ATOMIC_RELEASE);
		/* The ethdev rx burst's consumer takes no offload. */
		__atomic_store_n(&q->ol_accept, 0, __ATOMIC_RELAXED);
		/* Frames it took and did not read go with it, as a kernel tap queue's do. */
		__atomic_store_n(&q->file_closed_dropped, q->file_closed_dropped +
				 (uint64_t)(f->stash_len - f->stash_head), __ATOMIC_RELAXED);
		f->dev->files[f->queue] = NULL;
		f->dev->nb_files--;
	}
	pthread_mutex_unlock(&macvlan_lock);
	tap_file_stash_free(f);
	rte_free(f);
	return 0;
}

/* The port closes with files open: they stay valid handles, with no port behind. */
void
tap_file_port_closing(struct macvtap_dev *dev)
{
	unsigned int q;

	if (dev->nb_files == 0)
		return;
	MACVTAP_LOG(WARNING, "port %u: closed with %u tap files open", dev->port_id,
		    dev->nb_files);
	for (q = 0; q < RTE_DIM(dev->files); q++) {
		if (dev->files[q] != NULL) {
			/* Its frames go back to their pool while the pool is sure to exist. */
			tap_file_stash_free(dev->files[q]);
			dev->files[q]->dev = NULL;
		}
		dev->files[q] = NULL;
	}
	dev->nb_files = 0;
}

/*
 * The reader found its queue empty: clear the descriptor and arm it for the
 * next producer, then look again (a producer that committed before seeing
 * the arm did not wake it). The arm is a full barrier before the look, paired
 * with the producer's exchange after its commit: one of the two sees the other.
 */
static void
tap_file_arm_slow(struct tap_queue *q)
{
	eventfd_t v;

	eventfd_read(q->efd, &v);
	__atomic_store_n(&q->efd_armed, 1, __ATOMIC_SEQ_CST);
	if (rte_ring_count(q->ring) != 0 &&
	    __atomic_exchange_n(&q->efd_armed, 0, __ATOMIC_SEQ_CST) != 0)
		eventfd_write(q->efd, 1);
}

static inline void
tap_file_arm(const struct rte_pmd_macvtap_file *f, struct tap_queue *q)
{
	/* Frames in the stash or the ring: it stays readable. */
	if (likely(q->efd < 0) || f->stash_head != f->stash_len || rte_ring_count(q->ring) != 0)
		return;
	tap_file_arm_slow(q);
}

int
rte_pmd_macvtap_file_fd(struct rte_pmd_macvtap_file *f)
{
	struct tap_queue *q;
	int ret;

	if (f == NULL)
		return -EINVAL;
	pthread_mutex_lock(&macvlan_lock);
	if (f->dev == NULL) {
		ret = -ENXIO;
		goto out;
	}
	q = tap_file_q(f);
	if (q == NULL) {
		ret = f->parked_efd >= 0 ? f->parked_efd : -EAGAIN;
		goto out;
	}
	if (q->efd < 0) {
		ret = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (ret < 0) {
			ret = -errno;
			goto out;
		}
		__atomic_store_n(&q->efd, ret, __ATOMIC_SEQ_CST);
		/* Readable at once if frames came before it; else armed. */
		if (rte_ring_count(q->ring) != 0 || f->stash_head != f->stash_len)
			eventfd_write(ret, 1);
		else
			tap_file_arm(f, q);
	}
	ret = q->efd;
out:
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

int
rte_pmd_macvtap_file_queue(const struct rte_pmd_macvtap_file *f)
{
	return f == NULL ? -EINVAL : f->queue;
}

/* ---- read ---- */

/* The frame just read is done with: the stash's frames go back to the pool together. */
static inline void
tap_file_read_done(struct rte_pmd_macvtap_file *f)
{
	f->nb_read++;
	if (f->stash_head == f->stash_len) {
		rte_pktmbuf_free_bulk(f->stash + f->stash_head - f->nb_read, f->nb_read);
		f->stash_head = f->stash_len = f->nb_read = 0;
	}
}

static inline uint16_t
vnet16(const struct rte_pmd_macvtap_file *f __rte_unused, uint16_t v)
{
	/* Little-endian whatever TUNSETVNETLE says, as on a little-endian kernel. */
	return rte_cpu_to_le_16(v);
}

/* Copy len bytes from src into the iovecs at offset *at; what does not fit is lost. */
static inline size_t
iov_put(const struct iovec *iov, int iovcnt, size_t *at, const void *src, size_t len)
{
	size_t done = 0, skip = *at;
	int i;

	if (iovcnt == 1) {
		/* read(): one buffer, the common case. */
		done = skip >= iov->iov_len ? 0 : RTE_MIN(len, iov->iov_len - skip);
		rte_memcpy((uint8_t *)iov->iov_base + skip, src, done);
		*at += done;
		return done;
	}
	for (i = 0; i < iovcnt && done < len; i++) {
		size_t room, n;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		room = iov[i].iov_len - skip;
		n = RTE_MIN(room, len - done);
		memcpy((uint8_t *)iov[i].iov_base + skip, (const uint8_t *)src + done, n);
		done += n;
		skip = 0;
	}
	*at += done;
	return done;
}

static ssize_t
iov_total(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	int i;

	if (iovcnt < 0 || (iov == NULL && iovcnt > 0))
		return -EINVAL;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_base == NULL && iov[i].iov_len != 0)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	return (ssize_t)RTE_MIN(total, (size_t)SSIZE_MAX);
}

/* The frame's bytes into the iovecs, a stripped VLAN tag put back after the MACs. */
static void
put_frame(const struct iovec *iov, int iovcnt, size_t *at, const struct rte_mbuf *m)
{
	const struct rte_mbuf *seg;
	uint32_t skip = 0;

	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		uint8_t head[2 * RTE_ETHER_ADDR_LEN];
		struct rte_vlan_hdr tag = { .vlan_tci = rte_cpu_to_be_16(m->vlan_tci) };
		uint16_t tpid = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);

		rte_memcpy(head, rte_pktmbuf_read(m, 0, sizeof(head), head), sizeof(head));
		iov_put(iov, iovcnt, at, head, sizeof(head));
		iov_put(iov, iovcnt, at, &tpid, sizeof(tpid));
		iov_put(iov, iovcnt, at, &tag.vlan_tci, sizeof(tag.vlan_tci));
		skip = sizeof(head);
	}
	for (seg = m; seg != NULL; seg = seg->next) {
		uint32_t n = seg->data_len;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		iov_put(iov, iovcnt, at, rte_pktmbuf_mtod_offset(seg, uint8_t *, skip), n - skip);
		skip = 0;
	}
}

/*
 * The virtio-net header of frame m (the kernel's virtio_net_hdr_from_skb):
 * NEEDS_CSUM for a partial TCP or UDP checksum (checksum start and offset),
 * with gso_type, gso_size and hdr_len (its headers' length) for a TCP
 * segmentation frame, ECN when it has CWR set; else DATA_VALID for a
 * checksum the lower verified. Returns where in the frame as read (0 for
 * nowhere) the 2 bytes *patch go over the frame's own: the checksum field of
 * a GSO frame, whose pseudo-header sum DPDK keeps without the length and
 * virtio with it.
 */
static size_t
hdr_from_mbuf(const struct rte_pmd_macvtap_file *f, const struct rte_mbuf *m,
	      struct vnet_hdr *h, uint16_t *patch)
{
	uint64_t ol = m->ol_flags, l4 = ol & RTE_MBUF_F_TX_L4_MASK;
	uint32_t vlan = (ol & RTE_MBUF_F_RX_VLAN_STRIPPED) ? RTE_VLAN_HLEN : 0;
	uint32_t start = (uint32_t)m->l2_len + m->l3_len, off;
	uint16_t sum = 0, buf;
	uint8_t tcp_flags = 0;
	const void *p;

	if (ol & RTE_MBUF_F_TX_TCP_SEG)
		l4 = RTE_MBUF_F_TX_TCP_CKSUM;
	if (l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM) {
		if (ol & RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			h->flags = VNET_F_DATA_VALID;
		return 0;
	}
	off = l4 == RTE_MBUF_F_TX_TCP_CKSUM ? 16 : 6;
	h->flags = VNET_F_NEEDS_CSUM;
	h->csum_start = vnet16(f, (uint16_t)(start + vlan));
	h->csum_offset = vnet16(f, (uint16_t)off);
	if (!(ol & RTE_MBUF_F_TX_TCP_SEG))
		return 0;
	p = rte_pktmbuf_read(m, start + 13, 1, &tcp_flags);
	h->gso_type = (ol & RTE_MBUF_F_TX_IPV6) ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
	if (p != NULL && (*(const uint8_t *)p & 0x80))   /* CWR */
		h->gso_type |= VNET_GSO_ECN;
	h->gso_size = vnet16(f, m->tso_segsz);
	h->hdr_len = vnet16(f, (uint16_t)(start + m->l4_len + vlan));
	p = rte_pktmbuf_read(m, start + off, sizeof(sum), &buf);
	if (p == NULL)
		return 0;
	memcpy(&sum, p, sizeof(sum));
	*patch = macvtap_csum16_add(sum, rte_cpu_to_be_16((uint16_t)(m->pkt_len - start)));
	return start + off + vlan;
}

ssize_t
rte_pmd_macvtap_file_readv(struct rte_pmd_macvtap_file *f, const struct iovec *iov, int iovcnt)
{
	struct tap_queue *q;
	struct rte_mbuf *m;
	ssize_t want;
	size_t at = 0, total, patch_at = 0;
	struct vnet_hdr h = { 0 };
	uint16_t patch = 0;
	int hdr_sz;

	if (f == NULL)
		return -EINVAL;
	want = iov_total(iov, iovcnt);
	if (want <= 0)
		return want;
	if (f->dev == NULL)
		return -ENXIO;
	q = tap_file_q(f);
	if (f->stash_head == f->stash_len) {
		if (unlikely(q == NULL))
			return -EAGAIN;
		/* A detached queue gets no new frames; what it holds may still be read. */
		f->stash_head = f->nb_read = 0;
		f->stash_len = f->attached ? macvtap_queue_take(q, f->stash, MACVTAP_BURST) :
			rte_ring_sc_dequeue_burst(q->ring, (void **)f->stash, MACVTAP_BURST, NULL);
		if (f->stash_len == 0) {
			tap_file_arm(f, q);
			return -EAGAIN;
		}
	}
	m = f->stash[f->stash_head++];
	if (likely(q != NULL))
		tap_file_arm(f, q);
	hdr_sz = (f->flags & IFF_VNET_HDR) ? f->vnet_hdr_sz : 0;
	if (want < hdr_sz) {
		/* The kernel drops the frame it took off the ring. */
		tap_file_read_done(f);
		return -EINVAL;
	}
	/* A GSO frame's checksum field is patched, header or not (the kernel's bytes). */
	patch_at = hdr_from_mbuf(f, m, &h, &patch);
	if (patch_at != 0)
		patch_at += (size_t)hdr_sz;
	if (hdr_sz != 0) {
		static const uint8_t zero[64];
		int pad;

		iov_put(iov, iovcnt, &at, &h, sizeof(h));
		for (pad = hdr_sz - VNET_HDR_LEN; pad > 0; pad -= (int)sizeof(zero))
			iov_put(iov, iovcnt, &at, zero, RTE_MIN((size_t)pad, sizeof(zero)));
	}
	total = (size_t)hdr_sz + m->pkt_len +
		((m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) ? RTE_VLAN_HLEN : 0);
	put_frame(iov, iovcnt, &at, m);
	/* A GSO frame's checksum field as virtio has it: the pseudo-header sum with the length. */
	if (patch_at != 0)
		iov_put(iov, iovcnt, &patch_at, &patch, sizeof(patch));
	tap_file_read_done(f);
	return (ssize_t)RTE_MIN(total, (size_t)want);
}

/* What a frame's mbuf may carry for read()'s fast path: nothing its header or bytes depend on. */
#define READ_SLOW_FLAGS (RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)

ssize_t
rte_pmd_macvtap_file_read(struct rte_pmd_macvtap_file *f, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	if (buf == NULL && len != 0)
		return -EINVAL;
	/*
	 * The common case, a frame of the stash in one segment with nothing for
	 * its header but DATA_VALID, into a buffer that holds it: one store of
	 * the header and one copy, none of readv's iovec walks.
	 */
	if (likely(f != NULL && f->stash_head != f->stash_len && f->dev != NULL)) {
		struct rte_mbuf *m = f->stash[f->stash_head];
		size_t hdr_sz = (f->flags & IFF_VNET_HDR) ? (size_t)f->vnet_hdr_sz : 0;
		struct tap_queue *q;

		if (likely(m->nb_segs == 1 && !(m->ol_flags & READ_SLOW_FLAGS) &&
			   (hdr_sz == 0 || hdr_sz == VNET_HDR_LEN) &&
			   len >= hdr_sz + m->pkt_len)) {
			uint8_t *out = buf;

			f->stash_head++;
			q = tap_file_q(f);
			if (likely(q != NULL))
				tap_file_arm(f, q);
			if (hdr_sz != 0) {
				struct vnet_hdr h = {
					.flags = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_GOOD) ?
						 VNET_F_DATA_VALID : 0,
				};

				memcpy(out, &h, sizeof(h));
			}
			rte_memcpy(out + hdr_sz, rte_pktmbuf_mtod(m, const void *), m->pkt_len);
			len = hdr_sz + m->pkt_len;
			tap_file_read_done(f);
			return (ssize_t)len;
		}
	}
	return rte_pmd_macvtap_file_readv(f, &iov, 1);
}

/* ---- write ---- */

#define TAP_FRAME_MAX (UINT16_MAX + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN) /* 64 KiB IP, headers */
#define TAP_UDP_MAX_SEGS 128  /* the kernel's UDP_MAX_SEGMENTS */
#define TCP_HLEN 20
#define UDP_HLEN 8

/* A written header's fields, as the kernel's virtio_net_hdr_to_skb reads them. */
struct wr_hdr {
	uint8_t gso;                 /* gso_type without the ECN bit */
	bool csum;                   /* NEEDS_CSUM */
	uint32_t start, off;         /* csum_start, csum_offset */
	uint32_t thlen;              /* the transport header its GSO type needs (0 none) */
	uint16_t gso_size;
};

/*
 * The kernel's checks of a written header that need nothing but the header
 * and the frame's length (tap_get_user, virtio_net_hdr_to_skb): 0 or -EINVAL.
 */
static int
check_hdr(const struct rte_pmd_macvtap_file *f, const struct vnet_hdr *h, size_t frame_len,
	  struct wr_hdr *w)
{
	uint32_t hdr_len = vnet16(f, h->hdr_len);

	w->gso = h->gso_type & ~VNET_GSO_ECN;
	w->csum = (h->flags & VNET_F_NEEDS_CSUM) != 0;
	w->start = vnet16(f, h->csum_start);
	w->off = vnet16(f, h->csum_offset);
	w->gso_size = vnet16(f, h->gso_size);
	if (w->csum)
		hdr_len = RTE_MAX(hdr_len, w->start + w->off + 2);
	if (hdr_len > frame_len)
		return -EINVAL;
	switch (w->gso) {
	case VNET_GSO_NONE:
		/* The ECN bit alone is no GSO type the kernel knows. */
		if (h->gso_type != VNET_GSO_NONE)
			return -EINVAL;
		w->thlen = 0;
		break;
	case VNET_GSO_TCPV4:
	case VNET_GSO_TCPV6:
		w->thlen = TCP_HLEN;
		break;
	case VNET_GSO_UDP:
	case VNET_GSO_UDP_L4:
		w->thlen = UDP_HLEN;
		break;
	default:
		return -EINVAL;
	}
	if (w->gso != VNET_GSO_NONE && (w->gso_size == 0 || w->gso_size == 0xffff))
		return -EINVAL;
	/*
	 * The checksum, and the transport header a GSO type needs, inside the
	 * frame, after at least an IPv4 (IPv6 for TCPv6 GSO) header.
	 */
	if (w->csum && (w->start < (w->gso == VNET_GSO_TCPV6 ? 40u : 20u) ||
			w->start + RTE_MAX(w->thlen, w->off + 2) > frame_len))
		return -EINVAL;
	/* TCP GSO: a partial checksum is TCP's; UDP_L4: it must be UDP's, 128 segments at most. */
	if ((w->gso == VNET_GSO_TCPV4 || w->gso == VNET_GSO_TCPV6) && w->csum && w->off != 16)
		return -EINVAL;
	if (w->gso == VNET_GSO_UDP_L4 &&
	    (!w->csum || w->off != 6 ||
	     frame_len - (w->start + UDP_HLEN) > (size_t)TAP_UDP_MAX_SEGS * w->gso_size))
		return -EINVAL;
	return 0;
}

/* Where a frame's network and transport headers are. */
struct frame_l3 {
	uint32_t l2;                 /* the network header: past the MACs, tags, ethertype */
	uint16_t type;               /* the ethertype */
	uint32_t th;                 /* the transport header */
	uint8_t proto;
};

/* The ethertype past up to two VLAN tags; 0 for a frame too short. */
static uint16_t
frame_ethertype(const struct rte_mbuf *m, uint32_t *l2)
{
	uint32_t at = 2 * RTE_ETHER_ADDR_LEN;
	uint16_t type = 0;
	uint8_t buf[2];
	const uint8_t *p;
	int tags;

	*l2 = at;
	for (tags = 0; tags <= 2; tags++) {
		p = rte_pktmbuf_read(m, at, 2, buf);
		if (p == NULL)
			return 0;
		type = (uint16_t)(p[0] << 8 | p[1]);
		at += 2;
		if (type != RTE_ETHER_TYPE_VLAN && type != RTE_ETHER_TYPE_QINQ)
			break;
		at += 2;
	}
	*l2 = at;
	return type;
}

/*
 * The kernel's flow dissection of a GSO frame written without NEEDS_CSUM,
 * as far as it goes here: IPv4 (options), IPv6 (hop-by-hop, routing and
 * destination options headers) behind up to two VLAN tags; a UDP
 * fragmentation frame whose IPv4 header does not parse is tried as IPv6, as
 * the kernel does. 0, or -EINVAL.
 */
static int
frame_dissect(const struct rte_mbuf *m, bool retry_v6, struct frame_l3 *o)
{
	uint8_t buf[40];
	const uint8_t *p;
	uint32_t at;

	o->type = frame_ethertype(m, &o->l2);
	at = o->l2;
	if (o->type == RTE_ETHER_TYPE_IPV4) {
		p = rte_pktmbuf_read(m, at, 20, buf);
		if (p != NULL && (p[0] & 0xf) >= 5) {
			o->proto = p[9];
			o->th = at + (p[0] & 0xfu) * 4;
			return 0;
		}
		if (!retry_v6)
			return -EINVAL;
	} else if (o->type != RTE_ETHER_TYPE_IPV6) {
		return -EINVAL;
	}
	p = rte_pktmbuf_read(m, at, 40, buf);
	if (p == NULL)
		return -EINVAL;
	o->proto = p[6];
	at += 40;
	while (o->proto == 0 || o->proto == 43 || o->proto == 60) {
		p = rte_pktmbuf_read(m, at, 2, buf);
		if (p == NULL)
			return -EINVAL;
		o->proto = p[0];
		at += ((uint32_t)p[1] + 1) * 8;
	}
	o->th = at;
	return 0;
}

/*
 * A written header as the frame's mbuf offload requests, the way the kernel
 * marks its skb: a large frame (its payload past one gso_size) for TCP or
 * UDP segmentation, a partial TCP or UDP checksum right after the IP header
 * for a checksum; any other partial checksum is completed here. A GSO frame
 * these do not fit (no IP header of the GSO type's version, another L4
 * protocol, a TCP header that is not whole) is -EPROTO: the kernel fails
 * its segmentation, after the write. l3: where the dissection put the
 * transport header, for a GSO frame without NEEDS_CSUM.
 */
static int
hdr_to_mbuf(struct rte_mbuf *m, const struct wr_hdr *w, const struct frame_l3 *l3, bool gso)
{
	uint32_t l2, th = w->csum ? w->start : l3->th, l4len;
	uint16_t type = frame_ethertype(m, &l2), sum;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), proto;
	bool v4 = type == RTE_ETHER_TYPE_IPV4, tcp = w->off == 16;

	if (gso) {
		tcp = w->gso == VNET_GSO_TCPV4 || w->gso == VNET_GSO_TCPV6;
		if ((w->gso == VNET_GSO_TCPV4 && !v4) ||
		    (w->gso != VNET_GSO_TCPV4 && !v4 && type != RTE_ETHER_TYPE_IPV6) ||
		    (w->gso == VNET_GSO_TCPV6 && v4))
			return -EPROTO;
	} else if (!w->csum) {
		return 0;
	} else if (w->off != 16 && w->off != 6) {
		/* Not where TCP or UDP keep theirs: completed here. */
		return macvtap_csum_complete(m, w->start, w->off);
	}
	proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	/* Headers are in the first segment: it holds far more than any header. */
	if ((v4 || type == RTE_ETHER_TYPE_IPV6) && th + (tcp ? TCP_HLEN : UDP_HLEN) <= m->data_len &&
	    th >= l2 + (v4 ? 20 : 40) && th - l2 < 512 && l2 < 128 &&
	    (v4 ? (p[l2] & 0xfu) * 4 == th - l2 && p[l2 + 9] == proto :
	     th - l2 > 40 || p[l2 + 6] == proto)) {
		l4len = m->pkt_len - th;
		m->l2_len = l2;
		m->l3_len = th - l2;
		m->ol_flags |= (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6) |
			       (tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
		if (!gso)
			return 0;
		m->l4_len = tcp ? (p[th + 12] >> 4) * 4u : UDP_HLEN;
		if (m->l4_len < (tcp ? TCP_HLEN : UDP_HLEN) ||
		    th + m->l4_len > m->data_len) {
			m->ol_flags = 0;
			return -EPROTO;
		}
		m->tso_segsz = w->gso_size;
		m->ol_flags |= (tcp ? RTE_MBUF_F_TX_TCP_SEG : RTE_MBUF_F_TX_UDP_SEG) |
			       (v4 ? RTE_MBUF_F_TX_IP_CKSUM : 0);
		/* Each segment's IPv4 header gets its checksum anew (the field 0 for it). */
		if (v4)
			memset(p + l2 + offsetof(struct rte_ipv4_hdr, hdr_checksum), 0, 2);
		/*
		 * DPDK's segmentation wants the pseudo-header sum without the
		 * length: the writer's (with NEEDS_CSUM) less it, else a new one
		 * (the kernel's tcp4_gso_segment writes one for such a frame).
		 */
		if (w->csum) {
			memcpy(&sum, p + th + (tcp ? 16 : 6), sizeof(sum));
			sum = macvtap_csum16_add(sum, (uint16_t)~rte_cpu_to_be_16((uint16_t)l4len));
		} else {
			sum = macvtap_pseudo_sum(p + l2, v4, proto);
		}
		memcpy(p + th + (tcp ? 16 : 6), &sum, sizeof(sum));
		return 0;
	}
	if (gso)
		return -EPROTO;
	return macvtap_csum_complete(m, w->start, w->off);
}

/* Count a write the port did not send: the kernel's tx_dropped. */
static void
count_tx_dropped(const struct rte_pmd_macvtap_file *f, bool offload)
{
	struct rte_eth_dev_data *data = rte_eth_devices[f->port_id].data;
	struct macvtap_txq *txq;

	if (data->nb_tx_queues == 0)
		return;
	txq = data->tx_queues[f->queue % data->nb_tx_queues];
	if (txq == NULL)
		return;
	if (offload)
		txq->tx_offload_failed++;
	else
		txq->tx_file_dropped++;
}

/*
 * UDP fragmentation over IPv4, done as the frame is written: every taker
 * gets the fragments, as every reader and the wire get them from the kernel.
 * Each fragment is a frame of the port's tx burst.
 */
static void
tap_file_send_ufo(const struct rte_pmd_macvtap_file *f, struct macvtap_txq *txq,
		  struct rte_mbuf *m, uint32_t th, uint16_t mss)
{
	struct macvlan_port *port = f->dev->port;
	struct rte_mbuf *frags[MACVTAP_GSO_MAX_SEGS];
	int n, sent;

	n = macvtap_ufo_fragment(m, th, mss, (port->tx_ol & MACVTAP_OL_MULTI_SEGS) != 0,
				 port->mp, frags, RTE_DIM(frags));
	if (n < 0) {
		/* Written, then lost where the kernel's fragmentation fails. */
		count_tx_dropped(f, true);
		return;
	}
	sent = macvtap_tx_burst(txq, frags, (uint16_t)n);
	if (sent < n) {
		rte_pktmbuf_free_bulk(frags + sent, (unsigned int)(n - sent));
		count_tx_dropped(f, false);
	}
}

/* The frame of a write, gathered from the iovecs past the header into a chain from mp. */
static struct rte_mbuf *
gather_frame(const struct iovec *iov, int iovcnt, size_t hdr_sz, struct rte_mempool *mp)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp), *tail = m;
	size_t at = 0;
	int i;

	if (m == NULL)
		return NULL;
	for (i = 0; i < iovcnt; i++) {
		size_t len = iov[i].iov_len, skip = 0;

		if (len == 0 || at + len <= hdr_sz) {
			at += len;
			continue;
		}
		if (at < hdr_sz)
			skip = hdr_sz - at;
		if (macvtap_chain_put(m, &tail, (const uint8_t *)iov[i].iov_base + skip,
				      (uint32_t)(len - skip), mp) != 0) {
			rte_pktmbuf_free(m);
			return NULL;
		}
		at += len;
	}
	return m;
}

ssize_t
rte_pmd_macvtap_file_writev(struct rte_pmd_macvtap_file *f, const struct iovec *iov, int iovcnt)
{
	struct rte_eth_dev_data *data;
	struct vnet_hdr h = { 0 };
	struct wr_hdr w = { 0 };
	struct frame_l3 l3 = { 0 };
	struct rte_mbuf *m;
	struct macvtap_txq *txq;
	ssize_t total;
	size_t frame_len, at;
	bool gso = false;
	int hdr_sz, i, ret;

	if (f == NULL)
		return -EINVAL;
	total = iov_total(iov, iovcnt);
	if (total < 0)
		return total;
	if (f->dev == NULL)
		return -ENXIO;
	data = rte_eth_devices[f->port_id].data;
	hdr_sz = (f->flags & IFF_VNET_HDR) ? f->vnet_hdr_sz : 0;
	ret = -EINVAL;
	if (total < hdr_sz || (size_t)total - (size_t)hdr_sz < FRAME_MIN)
		goto drop;
	frame_len = (size_t)total - (size_t)hdr_sz;
	if (hdr_sz != 0) {
		uint8_t raw[VNET_HDR_LEN];

		for (i = 0, at = 0; i < iovcnt && at < sizeof(raw); i++) {
			size_t n = RTE_MIN(iov[i].iov_len, sizeof(raw) - at);

			if (n == 0)
				continue;
			memcpy(raw + at, iov[i].iov_base, n);
			at += n;
		}
		memcpy(&h, raw, sizeof(h));
		ret = check_hdr(f, &h, frame_len, &w);
		if (ret != 0)
			goto drop;
	}
	ret = -ENXIO;
	if (f->dev->port == NULL || f->dev->port->mp == NULL || data->nb_tx_queues == 0)
		goto drop;
	ret = -EINVAL;
	if (frame_len > TAP_FRAME_MAX)
		goto drop;
	ret = -ENOBUFS;
	m = gather_frame(iov, iovcnt, (size_t)hdr_sz, f->dev->port->mp);
	if (m == NULL)
		goto drop;
	if (w.gso != VNET_GSO_NONE) {
		uint32_t nh_off;

		/* Without NEEDS_CSUM the transport header is found, of the GSO type's protocol. */
		if (!w.csum && (frame_dissect(m, w.gso == VNET_GSO_UDP, &l3) != 0 ||
				l3.proto != (w.thlen == TCP_HLEN ? IPPROTO_TCP : IPPROTO_UDP) ||
				l3.th + w.thlen > frame_len)) {
			rte_pktmbuf_free(m);
			ret = -EINVAL;
			goto drop;
		}
		nh_off = (w.csum ? w.start : l3.th) + (w.gso == VNET_GSO_UDP ? 0 : w.thlen);
		/* Payload of one gso_size or less: not a large frame (the kernel's rule). */
		gso = frame_len - nh_off > w.gso_size;
		if (gso && w.gso == VNET_GSO_UDP && frame_ethertype(m, &l3.l2) == RTE_ETHER_TYPE_IPV6) {
			/* UDP fragmentation (UFO) over IPv6: not done here. */
			rte_pktmbuf_free(m);
			ret = -EOPNOTSUPP;
			goto drop;
		}
	}
	txq = data->tx_queues[f->queue % data->nb_tx_queues];
	if (txq == NULL || data->dev_started == 0 || !f->dev->up) {
		/* Down: the kernel drops it before any segmentation, and reports the write. */
		rte_pktmbuf_free(m);
		count_tx_dropped(f, false);
		return total;
	}
	if (gso && w.gso == VNET_GSO_UDP) {
		tap_file_send_ufo(f, txq, m, w.csum ? w.start : l3.th, w.gso_size);
		return total;
	}
	if (hdr_sz != 0 && hdr_to_mbuf(m, &w, &l3, gso) != 0) {
		/* Written, then lost where the kernel's segmentation fails. */
		rte_pktmbuf_free(m);
		count_tx_dropped(f, true);
		return total;
	}
	if (macvtap_tx_burst(txq, &m, 1) == 0) {
		/* Down, or the lower refused: the kernel still reports the write. */
		rte_pktmbuf_free(m);
		count_tx_dropped(f, false);
	}
	return total;
drop:
	count_tx_dropped(f, false);
	return ret;
}

ssize_t
rte_pmd_macvtap_file_write(struct rte_pmd_macvtap_file *f, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };

	if (buf == NULL && len != 0)
		return -EINVAL;
	return rte_pmd_macvtap_file_writev(f, &iov, 1);
}

/* ---- ioctl ---- */

static int
tap_file_ioctl_locked(struct rte_pmd_macvtap_file *f, unsigned long request, void *arg)
{
	struct rte_eth_dev_data *data;
	struct ifreq *ifr = arg;
	int *val = arg;
	int ret;

	/* TUNSETOFFLOAD takes its value, every other request a pointer. */
	if (request != TUNSETOFFLOAD && arg == NULL)
		return -EFAULT;
	switch (request) {
	case TUNGETFEATURES:
		*(unsigned int *)arg = TAP_FEATURES;
		return 0;
	case TUNSETIFF:
		if ((ifr->ifr_flags & ~(IFF_VNET_HDR | IFF_MULTI_QUEUE)) != (IFF_TAP | IFF_NO_PI))
			return -EINVAL;
		f->flags = (uint16_t)ifr->ifr_flags;
		if (f->dev != NULL)
			tap_file_offloads_apply(f->dev);
		return 0;
	case TUNSETSNDBUF:
		if (*val <= 0)
			return -EINVAL;
		f->sndbuf = *val;
		return 0;
	case TUNGETVNETHDRSZ:
		*val = f->vnet_hdr_sz;
		return 0;
	case TUNSETVNETHDRSZ:
		if (*val < VNET_HDR_LEN)
			return -EINVAL;
		f->vnet_hdr_sz = *val;
		return 0;
	case TUNGETVNETLE:
		*val = f->vnet_le;
		return 0;
	case TUNSETVNETLE:
		f->vnet_le = *val != 0;
		return 0;
	default:
		break;
	}
	/* The rest needs the port, as the kernel's needs the device (ENOLINK when gone). */
	if (f->dev == NULL)
		return request == TUNSETQUEUE ? -EINVAL : request == TUNSETOFFLOAD ||
		       request == TUNGETIFF || request == SIOCGIFHWADDR ||
		       request == SIOCSIFHWADDR ? -ENOLINK : -EINVAL;
	data = rte_eth_devices[f->port_id].data;
	switch (request) {
	case TUNGETIFF:
		memset(ifr->ifr_name, 0, sizeof(ifr->ifr_name));
		strlcpy(ifr->ifr_name, data->name, sizeof(ifr->ifr_name));
		ifr->ifr_flags = (short)f->flags;
		return 0;
	case TUNSETQUEUE:
		if (ifr->ifr_flags & IFF_ATTACH_QUEUE) {
			if (f->attached)
				return -EINVAL;
			ret = tap_file_set_detached(f, false);
			if (ret == 0)
				f->attached = true;
			return ret;
		}
		if (ifr->ifr_flags & IFF_DETACH_QUEUE) {
			if (!f->attached)
				return -EINVAL;
			ret = tap_file_set_detached(f, true);
			if (ret == 0)
				f->attached = false;
			return ret;
		}
		return -EINVAL;
	case TUNSETOFFLOAD:
		if ((uintptr_t)arg & ~(uintptr_t)TAP_OFFLOAD_MASK)
			return -EINVAL;
		f->dev->tap_offload = (uint8_t)(uintptr_t)arg;
		f->dev->tap_offload_set = true;
		tap_file_offloads_apply(f->dev);
		return 0;
	case SIOCGIFHWADDR:
		memset(ifr->ifr_name, 0, sizeof(ifr->ifr_name));
		strlcpy(ifr->ifr_name, data->name, sizeof(ifr->ifr_name));
		ifr->ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr->ifr_hwaddr.sa_data, data->mac_addrs[0].addr_bytes, RTE_ETHER_ADDR_LEN);
		return 0;
	default:
		return -EINVAL;
	}
}

int
rte_pmd_macvtap_file_ioctl(struct rte_pmd_macvtap_file *f, unsigned long request, void *arg)
{
	struct rte_ether_addr mac;
	struct ifreq *ifr = arg;
	int ret;

	if (f == NULL)
		return -EINVAL;
	if (request == SIOCSIFHWADDR) {
		/* Through ethdev, as the kernel goes through the netdev: busy rules and all. */
		if (arg == NULL)
			return -EFAULT;
		if (f->dev == NULL)
			return -ENOLINK;
		if (ifr->ifr_hwaddr.sa_family != ARPHRD_ETHER)
			return -EINVAL;
		memcpy(mac.addr_bytes, ifr->ifr_hwaddr.sa_data, RTE_ETHER_ADDR_LEN);
		if (!rte_is_valid_assigned_ether_addr(&mac))
			return -EADDRNOTAVAIL;
		return rte_eth_dev_default_mac_addr_set(f->port_id, &mac);
	}
	pthread_mutex_lock(&macvlan_lock);
	ret = tap_file_ioctl_locked(f, request, arg);
	pthread_mutex_unlock(&macvlan_lock);
	return ret;
}

/* ---- bursts, for consumers in the same process ---- */

uint16_t
rte_pmd_macvtap_file_rx_burst(struct rte_pmd_macvtap_file *f, struct rte_mbuf **pkts,
			      uint16_t n)
{
	struct tap_queue *q;
	uint16_t got, i;

	if (f == NULL || f->dev == NULL || !f->attached || pkts == NULL)
		return 0;
	q = tap_file_q(f);
	/* What reads left in the stash comes first. */
	/* Read frames sit just before stash_head: freed before others are handed out. */
	rte_pktmbuf_free_bulk(f->stash + f->stash_head - f->nb_read, f->nb_read);
	f->nb_read = 0;
	got = RTE_MIN(n, (uint16_t)(f->stash_len - f->stash_head));
	for (i = 0; i < got; i++)
		pkts[i] = f->stash[f->stash_head++];
	if (f->stash_head == f->stash_len)
		f->stash_head = f->stash_len = 0;
	if (unlikely(q == NULL))
		return got;
	if (got < n)
		got += macvtap_queue_take(q, pkts + got, n - got);
	tap_file_arm(f, q);
	return got;
}

uint16_t
rte_pmd_macvtap_file_tx_burst(struct rte_pmd_macvtap_file *f, struct rte_mbuf **pkts,
			      uint16_t n)
{
	struct rte_eth_dev_data *data;

	if (f == NULL || f->dev == NULL || pkts == NULL)
		return 0;
	data = rte_eth_devices[f->port_id].data;
	if (data->nb_tx_queues == 0 || data->dev_started == 0)
		return 0;
	return macvtap_tx_burst(data->tx_queues[f->queue % data->nb_tx_queues], pkts, n);
}

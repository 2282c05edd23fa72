/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * net_nicsim: a test-only lower port that behaves like a NIC (see nicsim.h):
 * MAC filtering with limited slots, copy-poison-free transmit with
 * backpressure, and LSC/RMV events from an interrupt thread of its own.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_kvargs.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <bus_vdev_driver.h>

#include "nicsim.h"

RTE_LOG_REGISTER_DEFAULT(nicsim_logtype, NOTICE);

#define NICSIM_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, nicsim_logtype, "net_nicsim: " fmt "\n", ## __VA_ARGS__)

#define ARG_QUEUES "queues"
#define ARG_MAC "mac"
#define ARG_UC_SLOTS "uc_slots"
#define ARG_MC_SLOTS "mc_slots"
#define ARG_ENOTSUP "enotsup"
#define ARG_RING_SIZE "ring_size"
#define ARG_TX_ROOM "tx_room"
#define ARG_MAX_MTU "max_mtu"
#define ARG_LSC "lsc"
#define ARG_STRICT_INTR "strict_intr"
#define ARG_STOP_WAITS "stop_waits"
#define ARG_TX_OFFLOADS "tx_offloads"

static const char *const valid_args[] = {
	ARG_QUEUES, ARG_MAC, ARG_UC_SLOTS, ARG_MC_SLOTS, ARG_ENOTSUP, ARG_RING_SIZE,
	ARG_TX_ROOM, ARG_MAX_MTU, ARG_LSC, ARG_STRICT_INTR, ARG_STOP_WAITS, ARG_TX_OFFLOADS, NULL
};

#define NICSIM_MAX_UC_SLOTS 64
#define NICSIM_MAX_MC_SLOTS 128 /* ethdev's RTE_ETH_NUM_RECEIVE_MAC_ADDR */
#define NICSIM_MAX_MTU_LIMIT 9600
#define NICSIM_BURST 32
#define NICSIM_REQ_SLOTS 64

/* The ops each enotsup token removes. */
#define OMIT_PROMISC  (1u << 0)
#define OMIT_ALLMULTI (1u << 1)
#define OMIT_MAC_ADD  (1u << 2)
#define OMIT_MAC_SET  (1u << 3)
#define OMIT_MTU      (1u << 4)

static const struct {
	const char *name;
	unsigned int omit;
} enotsup_tokens[] = {
	{ "promisc", OMIT_PROMISC },
	{ "allmulti", OMIT_ALLMULTI },
	{ "mac", OMIT_MAC_ADD | OMIT_MAC_SET },
	{ "mac_add", OMIT_MAC_ADD },
	{ "mac_set", OMIT_MAC_SET },
	{ "mtu", OMIT_MTU },
};

struct nicsim_args {
	const char *name;
	uint16_t queues;
	struct rte_ether_addr mac;
	uint16_t uc_slots;
	uint16_t mc_slots;
	unsigned int omit;
	uint32_t ring_size;
	uint32_t tx_room; /* 0: ring_size */
	uint16_t max_mtu;
	bool lsc;
	bool strict_intr;
	bool stop_waits;
	uint64_t tx_offloads;     /* claimed in tx_offload_capa, never done */
};

/* Counters have one writer each (a queue's lcore, or the event thread). */
#define CNT_ADD(p, v) __atomic_fetch_add(p, v, __ATOMIC_RELAXED)
#define CNT_GET(p) __atomic_load_n(p, __ATOMIC_RELAXED)

struct nicsim_priv;

struct nicsim_rxq {
	struct nicsim_priv *priv;
	struct rte_ring *ring;
	struct rte_mempool *mp; /* the application's, from rx_queue_setup */
	uint64_t pkts, bytes, filtered, runts, oversize, nombuf;
};

struct nicsim_txq {
	struct nicsim_priv *priv;
	struct rte_ring *ring;
	uint64_t pkts, bytes, poisoned, shared, backpressure;
};

enum nicsim_req_kind {
	REQ_LINK, /* carrier change: link status, LSC */
	REQ_STOP, /* dev_stop: link down, LSC; the carrier stays */
	REQ_RMV,
};

struct nicsim_req {
	enum nicsim_req_kind kind;
	bool up;
	uint64_t seq;
};

/*
 * The interrupt thread's state, apart from the ethdev's private data: a
 * callback on the thread may close the port, which frees dev_private while the
 * thread still has to finish; the thread then frees this itself.
 */
struct nicsim_events {
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* requests queued, or quit */
	pthread_cond_t done_cond; /* done_seq advanced */
	pthread_t thread;
	struct rte_eth_dev *dev;  /* valid while !quit */
	struct nicsim_req req[NICSIM_REQ_SLOTS];
	uint64_t head, tail;      /* req[] indexes, free-running */
	uint64_t next_seq, done_seq;
	unsigned int waiters;     /* in event_wait(): free only at 0 */
	bool quit;
	bool self_free;           /* closed from the thread: it frees this */
	uint64_t raised, lsc, rmv;
};

struct nicsim_priv {
	struct eth_dev_ops ops;   /* per device: enotsup leaves some NULL */
	struct nicsim_args args;
	uint16_t port_id;
	unsigned int id;          /* process-wide, makes ring and pool names unique */
	struct rte_mempool *wire;
	struct nicsim_rxq rxq[NICSIM_MAX_QUEUES];
	struct nicsim_txq txq[NICSIM_MAX_QUEUES];

	/* The filter, as the hardware holds it; the RX path reads it under the lock. */
	rte_spinlock_t filter_lock;
	bool promisc, allmulti;
	struct rte_ether_addr uc[NICSIM_MAX_UC_SLOTS];
	uint16_t nb_mc;
	struct rte_ether_addr mc[NICSIM_MAX_MC_SLOTS];

	bool carrier;             /* the wire: the event thread writes it */
	bool stop_timed_out;
	struct nicsim_events *ev;
};

static const struct eth_dev_ops nicsim_ops;
static struct rte_vdev_driver nicsim_vdev_drv;
static unsigned int nicsim_next_id;

/* ---- devargs ---- */

static int
arg_uint(const char *key, const char *value, unsigned long min, unsigned long max,
	 unsigned long *out)
{
	char *end;
	unsigned long v;

	if (value == NULL || value[0] == '\0')
		goto bad;
	errno = 0;
	v = strtoul(value, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	NICSIM_LOG(ERR, "%s=%s: needs a number from %lu to %lu", key, value ? value : "",
		   min, max);
	return -EINVAL;
}

static int
arg_one(const char *key, const char *value, void *opaque)
{
	struct nicsim_args *a = opaque;
	unsigned long v = 0;
	int ret;

	if (strcmp(key, ARG_MAC) == 0) {
		if (value == NULL || rte_ether_unformat_addr(value, &a->mac) != 0 ||
		    !rte_is_unicast_ether_addr(&a->mac) || rte_is_zero_ether_addr(&a->mac)) {
			NICSIM_LOG(ERR, "%s: mac=%s: needs a unicast MAC", a->name,
				   value ? value : "");
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, ARG_ENOTSUP) == 0) {
		char buf[128], *tok, *save = NULL;
		unsigned int i;

		if (value == NULL || strlen(value) >= sizeof(buf))
			return -EINVAL;
		snprintf(buf, sizeof(buf), "%s", value);
		for (tok = strtok_r(buf, "+", &save); tok != NULL;
		     tok = strtok_r(NULL, "+", &save)) {
			for (i = 0; i < RTE_DIM(enotsup_tokens); i++)
				if (strcmp(tok, enotsup_tokens[i].name) == 0)
					break;
			if (i == RTE_DIM(enotsup_tokens)) {
				NICSIM_LOG(ERR, "%s: enotsup: unknown op '%s'", a->name, tok);
				return -EINVAL;
			}
			a->omit |= enotsup_tokens[i].omit;
		}
		return 0;
	}
	if (strcmp(key, ARG_TX_OFFLOADS) == 0) {
		char *end;

		errno = 0;
		a->tx_offloads = value == NULL ? 0 : strtoull(value, &end, 0);
		if (value == NULL || value[0] == '\0' || errno != 0 || *end != '\0') {
			NICSIM_LOG(ERR, "%s: tx_offloads=%s: needs a number", a->name,
				   value ? value : "");
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, ARG_QUEUES) == 0) {
		ret = arg_uint(key, value, 1, NICSIM_MAX_QUEUES, &v);
		a->queues = (uint16_t)v;
	} else if (strcmp(key, ARG_UC_SLOTS) == 0) {
		ret = arg_uint(key, value, 1, NICSIM_MAX_UC_SLOTS, &v);
		a->uc_slots = (uint16_t)v;
	} else if (strcmp(key, ARG_MC_SLOTS) == 0) {
		ret = arg_uint(key, value, 0, NICSIM_MAX_MC_SLOTS, &v);
		a->mc_slots = (uint16_t)v;
	} else if (strcmp(key, ARG_RING_SIZE) == 0) {
		ret = arg_uint(key, value, 64, 16384, &v);
		a->ring_size = (uint32_t)v;
	} else if (strcmp(key, ARG_TX_ROOM) == 0) {
		ret = arg_uint(key, value, 1, 16384, &v);
		a->tx_room = (uint32_t)v;
	} else if (strcmp(key, ARG_MAX_MTU) == 0) {
		ret = arg_uint(key, value, RTE_ETHER_MIN_MTU, NICSIM_MAX_MTU_LIMIT, &v);
		a->max_mtu = (uint16_t)v;
	} else {
		ret = arg_uint(key, value, 0, 1, &v);
		if (strcmp(key, ARG_LSC) == 0)
			a->lsc = v != 0;
		else if (strcmp(key, ARG_STRICT_INTR) == 0)
			a->strict_intr = v != 0;
		else
			a->stop_waits = v != 0;
	}
	return ret;
}

static int
nicsim_parse_args(const char *name, const char *params, struct nicsim_args *a)
{
	static const struct rte_ether_addr default_mac = {{ 0x02, 0x4e, 0x53, 0x00, 0x00, 0x01 }};
	struct rte_kvargs *kv;
	unsigned int i;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	a->name = name;
	a->queues = 1;
	a->mac = default_mac;
	a->uc_slots = 4;
	a->mc_slots = 16;
	a->ring_size = 1024;
	a->max_mtu = 9000;
	a->lsc = true;
	a->strict_intr = true;

	if (params == NULL || params[0] == '\0')
		return 0;
	kv = rte_kvargs_parse(params, valid_args);
	if (kv == NULL) {
		NICSIM_LOG(ERR, "%s: cannot parse '%s'", name, params);
		return -EINVAL;
	}
	for (i = 0; valid_args[i] != NULL && ret == 0; i++)
		if (rte_kvargs_count(kv, valid_args[i]) > 0)
			ret = rte_kvargs_process(kv, valid_args[i], arg_one, a);
	rte_kvargs_free(kv);
	if (ret == 0 && a->tx_room > a->ring_size) {
		NICSIM_LOG(ERR, "%s: tx_room %u exceeds ring_size %u", name, a->tx_room,
			   a->ring_size);
		ret = -EINVAL;
	}
	if (ret == 0 && a->tx_room == 0)
		a->tx_room = a->ring_size;
	return ret < 0 ? ret : (ret > 0 ? -EINVAL : 0);
}

/* ---- the interrupt thread ---- */

static void
deadline_after(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Whether the port's configuration asks for this event (as a NIC arms its interrupt). */
static bool
event_armed(struct rte_eth_dev *dev, enum rte_eth_event_type type)
{
	struct nicsim_priv *p = dev->data->dev_private;

	if (!p->args.strict_intr)
		return true;
	if (type == RTE_ETH_EVENT_INTR_LSC)
		return dev->data->dev_conf.intr_conf.lsc != 0;
	return dev->data->dev_conf.intr_conf.rmv != 0;
}

static void
link_publish(struct rte_eth_dev *dev)
{
	struct nicsim_priv *p = dev->data->dev_private;
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_10G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
	};

	link.link_status = (__atomic_load_n(&p->carrier, __ATOMIC_RELAXED) &&
			    dev->data->dev_started) ?
			   RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	if (link.link_status == RTE_ETH_LINK_DOWN)
		link.link_speed = RTE_ETH_SPEED_NUM_NONE;
	rte_eth_linkstatus_set(dev, &link);
}

/* Once the thread has quit: after the last waiter has left. */
static void
events_free(struct nicsim_events *ev)
{
	pthread_mutex_lock(&ev->lock);
	while (ev->waiters > 0)
		pthread_cond_wait(&ev->done_cond, &ev->lock);
	pthread_mutex_unlock(&ev->lock);
	pthread_cond_destroy(&ev->cond);
	pthread_cond_destroy(&ev->done_cond);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

/* On the thread, lock not held; dev is valid until the callbacks return. */
static void
event_deliver(struct nicsim_events *ev, struct rte_eth_dev *dev, const struct nicsim_req *req)
{
	struct nicsim_priv *p = dev->data->dev_private;
	enum rte_eth_event_type type;

	if (req->kind == REQ_LINK || req->kind == REQ_STOP) {
		if (req->kind == REQ_LINK)
			__atomic_store_n(&p->carrier, req->up, __ATOMIC_RELAXED);
		link_publish(dev);
		type = RTE_ETH_EVENT_INTR_LSC;
	} else {
		type = RTE_ETH_EVENT_INTR_RMV;
	}
	if (!event_armed(dev, type))
		return;
	CNT_ADD(&ev->raised, 1);
	CNT_ADD(type == RTE_ETH_EVENT_INTR_LSC ? &ev->lsc : &ev->rmv, 1);
	rte_eth_dev_callback_process(dev, type, NULL);
}

static void *
event_thread(void *arg)
{
	struct nicsim_events *ev = arg;
	struct rte_eth_dev *dev;
	struct nicsim_req req;
	bool self_free;

	pthread_mutex_lock(&ev->lock);
	for (;;) {
		while (!ev->quit && ev->head == ev->tail)
			pthread_cond_wait(&ev->cond, &ev->lock);
		if (ev->quit)
			break;
		req = ev->req[ev->tail % NICSIM_REQ_SLOTS];
		ev->tail++;
		/* Valid until the callbacks return: closing joins this thread. */
		dev = ev->dev;
		pthread_mutex_unlock(&ev->lock);
		event_deliver(ev, dev, &req);
		pthread_mutex_lock(&ev->lock);
		/* A callback may have closed the port: ev->dev is gone if quit. */
		ev->done_seq = req.seq;
		pthread_cond_broadcast(&ev->done_cond);
	}
	/* Requests left are dropped: release anyone waiting on them. */
	ev->done_seq = ev->next_seq - 1;
	pthread_cond_broadcast(&ev->done_cond);
	self_free = ev->self_free;
	pthread_mutex_unlock(&ev->lock);
	if (self_free)
		events_free(ev);
	return NULL;
}

static bool
on_event_thread(const struct nicsim_events *ev)
{
	return pthread_equal(pthread_self(), ev->thread) != 0;
}

/*
 * Queue a request; its sequence number, 0 when the queue is full. With hold,
 * the caller becomes a waiter in the same breath and must call event_wait():
 * a callback may close the port and the thread free ev as soon as it is
 * unlocked here.
 */
static uint64_t
event_post(struct nicsim_events *ev, enum nicsim_req_kind kind, bool up, bool hold)
{
	struct nicsim_req *r;
	uint64_t seq = 0;

	pthread_mutex_lock(&ev->lock);
	if (!ev->quit && ev->head - ev->tail < NICSIM_REQ_SLOTS) {
		r = &ev->req[ev->head % NICSIM_REQ_SLOTS];
		r->kind = kind;
		r->up = up;
		r->seq = seq = ev->next_seq++;
		ev->head++;
		if (hold)
			ev->waiters++;
		pthread_cond_signal(&ev->cond);
	}
	pthread_mutex_unlock(&ev->lock);
	return seq;
}

/* Wait until request seq is done; drops the hold taken with it. */
static int
event_wait(struct nicsim_events *ev, uint64_t seq, unsigned int timeout_ms)
{
	struct timespec deadline;
	int ret = 0;

	deadline_after(&deadline, timeout_ms);
	pthread_mutex_lock(&ev->lock);
	/* On the thread itself it would wait for itself. */
	while (ev->done_seq < seq && ret == 0 && !on_event_thread(ev))
		ret = pthread_cond_timedwait(&ev->done_cond, &ev->lock, &deadline);
	if (ev->done_seq >= seq || on_event_thread(ev))
		ret = 0;
	if (--ev->waiters == 0 && ev->quit)
		pthread_cond_broadcast(&ev->done_cond);
	pthread_mutex_unlock(&ev->lock);
	return ret == 0 ? 0 : -ETIMEDOUT;
}

static int
events_start(struct nicsim_priv *p, struct rte_eth_dev *dev)
{
	struct nicsim_events *ev;
	pthread_condattr_t attr;
	char name[RTE_MAX_THREAD_NAME_LEN];
	int ret;

	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return -ENOMEM;
	ev->dev = dev;
	ev->next_seq = 1;
	pthread_mutex_init(&ev->lock, NULL);
	/* Waits have deadlines: on the monotonic clock, not the settable one. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->cond, &attr);
	pthread_cond_init(&ev->done_cond, &attr);
	pthread_condattr_destroy(&attr);
	snprintf(name, sizeof(name), "nicsim-%u", p->id);
	ret = rte_ctrl_thread_create(&ev->thread, name, NULL, event_thread, ev);
	if (ret != 0) {
		pthread_cond_destroy(&ev->cond);
		pthread_cond_destroy(&ev->done_cond);
		pthread_mutex_destroy(&ev->lock);
		free(ev);
		return -ret;
	}
	p->ev = ev;
	return 0;
}

static void
events_stop(struct nicsim_priv *p)
{
	struct nicsim_events *ev = p->ev;
	bool self = on_event_thread(ev);

	p->ev = NULL;
	pthread_mutex_lock(&ev->lock);
	ev->quit = true;
	ev->dev = NULL;
	ev->self_free = self;
	pthread_cond_signal(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
	if (self) {
		/* Closed from a callback: the thread ends after it returns. */
		pthread_detach(ev->thread);
		return;
	}
	pthread_join(ev->thread, NULL);
	events_free(ev);
}

/* ---- data path ---- */

static bool
filter_pass(const struct nicsim_priv *p, const struct rte_ether_addr *dst)
{
	unsigned int i;

	if (p->promisc || rte_is_broadcast_ether_addr(dst))
		return true;
	if (rte_is_multicast_ether_addr(dst)) {
		if (p->allmulti)
			return true;
		for (i = 0; i < p->nb_mc; i++)
			if (rte_is_same_ether_addr(dst, &p->mc[i]))
				return true;
		return false;
	}
	for (i = 0; i < p->args.uc_slots; i++)
		if (!rte_is_zero_ether_addr(&p->uc[i]) && rte_is_same_ether_addr(dst, &p->uc[i]))
			return true;
	return false;
}

/* A copy of m in one mbuf of mp, as a NIC DMAs a frame into a posted buffer. */
static struct rte_mbuf *
rx_copy(const struct rte_mbuf *m, struct rte_mempool *mp, uint16_t port)
{
	const struct rte_mbuf *seg;
	struct rte_mbuf *c;
	char *dst;

	c = rte_pktmbuf_alloc(mp);
	if (c == NULL)
		return NULL;
	dst = rte_pktmbuf_append(c, (uint16_t)m->pkt_len);
	for (seg = m; seg != NULL; seg = seg->next) {
		memcpy(dst, rte_pktmbuf_mtod(seg, const char *), seg->data_len);
		dst += seg->data_len;
	}
	c->port = port;
	/*
	 * What a NIC computes on receive (RSS hash, stripped VLAN tag, checksum
	 * verdicts): the test's mbuf says it, standing for the NIC.
	 */
	c->ol_flags |= m->ol_flags & (RTE_MBUF_F_RX_RSS_HASH | RTE_MBUF_F_RX_VLAN |
				      RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_L4_CKSUM_MASK |
				      RTE_MBUF_F_RX_IP_CKSUM_MASK);
	c->hash.rss = m->hash.rss;
	c->vlan_tci = m->vlan_tci;
	return c;
}

static uint16_t
nicsim_rx_burst(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	struct nicsim_rxq *q = queue;
	struct nicsim_priv *p = q->priv;
	struct rte_eth_dev_data *data = rte_eth_devices[p->port_id].data;
	struct rte_mbuf *in[NICSIM_BURST] = { NULL }, *m, *c;
	struct rte_ether_hdr hdr_buf;
	const struct rte_ether_hdr *hdr;
	unsigned int n, i, room, max_len;
	uint64_t bytes = 0, filtered = 0, runts = 0, oversize = 0, nombuf = 0;
	uint16_t got = 0;

	if (!data->dev_started || q->mp == NULL)
		return 0;
	n = rte_ring_dequeue_burst(q->ring, (void **)in, RTE_MIN(nb_bufs, NICSIM_BURST), NULL);
	if (n == 0)
		return 0;
	room = rte_pktmbuf_data_room_size(q->mp) - RTE_PKTMBUF_HEADROOM;
	max_len = RTE_MIN((unsigned int)data->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN, room);
	rte_spinlock_lock(&p->filter_lock);
	for (i = 0; i < n; i++) {
		m = in[i];
		c = NULL;
		hdr = rte_pktmbuf_read(m, 0, sizeof(hdr_buf), &hdr_buf);
		if (hdr == NULL)
			runts++;
		else if (m->pkt_len > max_len)
			oversize++;
		else if (!filter_pass(p, &hdr->dst_addr))
			filtered++;
		else if ((c = rx_copy(m, q->mp, p->port_id)) == NULL)
			nombuf++;
		if (c != NULL) {
			bytes += c->pkt_len;
			bufs[got++] = c;
		}
		rte_pktmbuf_free(m);
	}
	rte_spinlock_unlock(&p->filter_lock);
	CNT_ADD(&q->pkts, got);
	CNT_ADD(&q->bytes, bytes);
	if (filtered)
		CNT_ADD(&q->filtered, filtered);
	if (runts)
		CNT_ADD(&q->runts, runts);
	if (oversize)
		CNT_ADD(&q->oversize, oversize);
	if (nombuf)
		CNT_ADD(&q->nombuf, nombuf);
	return got;
}

/* Whether seg's data buffer is seg's alone (nobody else sees its bytes). */
static bool
buffer_exclusive(const struct rte_mbuf *seg)
{
	if (RTE_MBUF_HAS_EXTBUF(seg))
		return rte_mbuf_ext_refcnt_read(seg->shinfo) == 1;
	if (RTE_MBUF_CLONED(seg))
		return rte_mbuf_refcnt_read(rte_mbuf_from_indirect((struct rte_mbuf *)(uintptr_t)seg)) == 1;
	return true;
}

/*
 * Overwrite what the caller gave away, as a completed NIC descriptor would
 * leave the buffer to be reused: anyone reading it after tx_burst sees
 * garbage. next and nb_segs stay, for the free; a segment with another
 * reference, or a buffer someone else sees, is left alone. Whether all of it
 * was poisoned.
 */
static bool
tx_poison(struct rte_mbuf *m)
{
	struct rte_mbuf *seg;
	bool own_head, whole = true;

	if (m == NULL)
		return false;
	own_head = rte_mbuf_refcnt_read(m) == 1;

	for (seg = m; seg != NULL; seg = seg->next) {
		if (rte_mbuf_refcnt_read(seg) != 1) {
			whole = false;
			continue;
		}
		if (buffer_exclusive(seg))
			memset(rte_pktmbuf_mtod(seg, void *), NICSIM_POISON_BYTE, seg->data_len);
		else
			whole = false;
		seg->data_len = NICSIM_POISON_DATA_LEN;
	}
	if (own_head)
		m->pkt_len = NICSIM_POISON_PKT_LEN;
	return whole;
}

static uint16_t
nicsim_tx_burst(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	struct nicsim_txq *q = queue;
	struct nicsim_priv *p = q->priv;
	struct rte_mbuf *c;
	uint64_t bytes = 0, poisoned = 0, shared = 0;
	unsigned int used;
	uint16_t i;

	if (!rte_eth_devices[p->port_id].data->dev_started)
		return 0;
	for (i = 0; i < nb_bufs; i++) {
		/* The test may dequeue meanwhile: the count only falls. */
		used = rte_ring_count(q->ring);
		if (used >= p->args.tx_room)
			break;
		c = rte_pktmbuf_copy(bufs[i], p->wire, 0, UINT32_MAX);
		if (c == NULL)
			break;
		if (rte_ring_enqueue(q->ring, c) != 0) {
			rte_pktmbuf_free(c);
			break;
		}
		bytes += c->pkt_len;
		if (tx_poison(bufs[i]))
			poisoned++;
		else
			shared++;
		rte_pktmbuf_free(bufs[i]);
	}
	CNT_ADD(&q->pkts, i);
	CNT_ADD(&q->bytes, bytes);
	CNT_ADD(&q->poisoned, poisoned);
	if (shared)
		CNT_ADD(&q->shared, shared);
	if (i < nb_bufs)
		CNT_ADD(&q->backpressure, nb_bufs - i);
	return i;
}

/* ---- eth_dev_ops ---- */

static int
nicsim_dev_configure(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static int
nicsim_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct nicsim_priv *p = dev->data->dev_private;

	info->max_rx_queues = p->args.queues;
	info->max_tx_queues = p->args.queues;
	info->max_mac_addrs = p->args.uc_slots;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = p->args.max_mtu;
	info->max_rx_pktlen = (uint32_t)p->args.max_mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	info->min_rx_bufsize = 0;
	info->rx_desc_lim.nb_max = (uint16_t)RTE_MIN(p->args.ring_size, (uint32_t)UINT16_MAX);
	info->rx_desc_lim.nb_min = 1;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim = info->rx_desc_lim;
	info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	info->rx_offload_capa = 0;
	info->tx_offload_capa = p->args.tx_offloads;
	return 0;
}

static int
nicsim_dev_start(struct rte_eth_dev *dev)
{
	uint16_t i;

	dev->data->dev_started = 1;
	link_publish(dev);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	return 0;
}

static int
nicsim_dev_stop(struct rte_eth_dev *dev)
{
	struct nicsim_priv *p = dev->data->dev_private;
	struct nicsim_events *ev = p->ev;
	bool self = on_event_thread(ev);
	uint64_t seq;
	uint16_t i;

	dev->data->dev_started = 0;
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	if (!p->args.stop_waits) {
		link_publish(dev);
		return 0;
	}
	/* The thread publishes the link down and raises LSC; wait for it. */
	seq = event_post(ev, REQ_STOP, false, !self);
	if (seq == 0) {
		NICSIM_LOG(ERR, "port %u: stop: interrupt thread queue full", dev->data->port_id);
		return -EAGAIN;
	}
	if (self) {
		NICSIM_LOG(NOTICE, "port %u: stopped from its own interrupt thread: not waiting",
			   dev->data->port_id);
		return 0;
	}
	if (event_wait(ev, seq, NICSIM_STOP_TIMEOUT_MS) != 0) {
		/* Stopped all the same (ethdev has pointed the fast path to
		 * dummies already); the event arrives when the callback returns.
		 */
		p->stop_timed_out = true;
		NICSIM_LOG(ERR, "port %u: stop: the interrupt thread did not deliver LSC within %u ms (a callback blocked?)",
			   dev->data->port_id, NICSIM_STOP_TIMEOUT_MS);
		return -ETIMEDOUT;
	}
	return 0;
}

static void
ring_drain_free(struct rte_ring *r)
{
	void *m;

	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

/* Everything but dev_private and mac_addrs, which ethdev frees with the port. */
static void
nicsim_free_resources(struct nicsim_priv *p)
{
	unsigned int q;

	if (p->ev != NULL)
		events_stop(p);
	for (q = 0; q < NICSIM_MAX_QUEUES; q++) {
		if (p->rxq[q].ring != NULL) {
			ring_drain_free(p->rxq[q].ring);
			rte_ring_free(p->rxq[q].ring);
			p->rxq[q].ring = NULL;
		}
		if (p->txq[q].ring != NULL) {
			ring_drain_free(p->txq[q].ring);
			rte_ring_free(p->txq[q].ring);
			p->txq[q].ring = NULL;
		}
	}
	rte_mempool_free(p->wire);
	p->wire = NULL;
}

static int
nicsim_dev_close(struct rte_eth_dev *dev)
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	nicsim_free_resources(dev->data->dev_private);
	return 0;
}

static int
nicsim_link_update(struct rte_eth_dev *dev, int wait __rte_unused)
{
	struct rte_eth_link old;

	memset(&old, 0, sizeof(old));
	rte_eth_linkstatus_get(dev, &old);
	link_publish(dev);
	return old.link_status == dev->data->dev_link.link_status ? -1 : 0;
}

static int
nicsim_promisc_enable(struct rte_eth_dev *dev)
{
	struct nicsim_priv *p = dev->data->dev_private;

	rte_spinlock_lock(&p->filter_lock);
	p->promisc = true;
	rte_spinlock_unlock(&p->filter_lock);
	return 0;
}

static int
nicsim_promisc_disable(struct rte_eth_dev *dev)
{
	struct nicsim_priv *p = dev->data->dev_private;

	rte_spinlock_lock(&p->filter_lock);
	p->promisc = false;
	rte_spinlock_unlock(&p->filter_lock);
	return 0;
}

static int
nicsim_allmulti_enable(struct rte_eth_dev *dev)
{
	struct nicsim_priv *p = dev->data->dev_private;

	rte_spinlock_lock(&p->filter_lock);
	p->allmulti = true;
	rte_spinlock_unlock(&p->filter_lock);
	return 0;
}

static int
nicsim_allmulti_disable(struct rte_eth_dev *dev)
{
	struct nicsim_priv *p = dev->data->dev_private;

	rte_spinlock_lock(&p->filter_lock);
	p->allmulti = false;
	rte_spinlock_unlock(&p->filter_lock);
	return 0;
}

static int
/* cppcheck-suppress constParameter ; ethdev's op type */
nicsim_mac_addr_add(struct rte_eth_dev *dev, struct rte_ether_addr *addr, uint32_t index,
		    uint32_t vmdq __rte_unused)
{
	struct nicsim_priv *p = dev->data->dev_private;

	if (index >= p->args.uc_slots)
		return -ENOSPC;
	rte_spinlock_lock(&p->filter_lock);
	p->uc[index] = *addr;
	rte_spinlock_unlock(&p->filter_lock);
	return 0;
}

static void
nicsim_mac_addr_remove(struct rte_eth_dev *dev, uint32_t index)
{
	struct nicsim_priv *p = dev->data->dev_private;

	if (index >= p->args.uc_slots)
		return;
	rte_spinlock_lock(&p->filter_lock);
	memset(&p->uc[index], 0, sizeof(p->uc[index]));
	rte_spinlock_unlock(&p->filter_lock);
}

static int
/* cppcheck-suppress constParameter ; ethdev's op type */
nicsim_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr)
{
	struct nicsim_priv *p = dev->data->dev_private;

	rte_spinlock_lock(&p->filter_lock);
	p->uc[0] = *addr;
	rte_spinlock_unlock(&p->filter_lock);
	return 0;
}

static int
nicsim_set_mc_addr_list(struct rte_eth_dev *dev, struct rte_ether_addr *addrs, uint32_t nb)
{
	struct nicsim_priv *p = dev->data->dev_private;
	uint32_t i;

	if (nb > p->args.mc_slots)
		return -ENOSPC;
	for (i = 0; i < nb; i++)
		if (!rte_is_multicast_ether_addr(&addrs[i]))
			return -EINVAL;
	rte_spinlock_lock(&p->filter_lock);
	if (nb > 0)
		memcpy(p->mc, addrs, nb * sizeof(*addrs));
	p->nb_mc = (uint16_t)nb;
	rte_spinlock_unlock(&p->filter_lock);
	return 0;
}

static int
nicsim_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct nicsim_priv *p = dev->data->dev_private;

	/* ethdev has checked against dev_info already; a NIC checks again. */
	return (mtu < RTE_ETHER_MIN_MTU || mtu > p->args.max_mtu) ? -EINVAL : 0;
}

static int
nicsim_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
		      unsigned int socket __rte_unused,
		      const struct rte_eth_rxconf *conf __rte_unused, struct rte_mempool *mp)
{
	struct nicsim_priv *p = dev->data->dev_private;

	if (qid >= p->args.queues || mp == NULL)
		return -EINVAL;
	p->rxq[qid].mp = mp;
	dev->data->rx_queues[qid] = &p->rxq[qid];
	return 0;
}

static int
nicsim_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
		      unsigned int socket __rte_unused,
		      const struct rte_eth_txconf *conf __rte_unused)
{
	struct nicsim_priv *p = dev->data->dev_private;

	if (qid >= p->args.queues)
		return -EINVAL;
	dev->data->tx_queues[qid] = &p->txq[qid];
	return 0;
}

static int
nicsim_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct nicsim_priv *p = dev->data->dev_private;
	unsigned int q, nb = RTE_MIN(p->args.queues, NICSIM_MAX_QUEUES);
	uint64_t v;

	for (q = 0; q < nb; q++) {
		const struct nicsim_rxq *r = &p->rxq[q];
		const struct nicsim_txq *t = &p->txq[q];

		v = CNT_GET(&r->pkts);
		st->ipackets += v;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS)
			st->q_ipackets[q] = v;
		v = CNT_GET(&r->bytes);
		st->ibytes += v;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS)
			st->q_ibytes[q] = v;
		st->ierrors += CNT_GET(&r->runts) + CNT_GET(&r->oversize);
		st->imissed += CNT_GET(&r->nombuf);
		v = CNT_GET(&t->pkts);
		st->opackets += v;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS)
			st->q_opackets[q] = v;
		v = CNT_GET(&t->bytes);
		st->obytes += v;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS)
			st->q_obytes[q] = v;
	}
	return 0;
}

static void
counters_collect(const struct nicsim_priv *p, struct nicsim_counters *c)
{
	unsigned int q;

	memset(c, 0, sizeof(*c));
	for (q = 0; q < p->args.queues; q++) {
		c->rx_filtered += CNT_GET(&p->rxq[q].filtered);
		c->rx_runts += CNT_GET(&p->rxq[q].runts);
		c->rx_oversize += CNT_GET(&p->rxq[q].oversize);
		c->rx_nombuf += CNT_GET(&p->rxq[q].nombuf);
		c->tx_poisoned += CNT_GET(&p->txq[q].poisoned);
		c->tx_shared += CNT_GET(&p->txq[q].shared);
		c->tx_backpressure += CNT_GET(&p->txq[q].backpressure);
	}
	if (p->ev != NULL) {
		c->events_raised = CNT_GET(&p->ev->raised);
		c->lsc_events = CNT_GET(&p->ev->lsc);
		c->rmv_events = CNT_GET(&p->ev->rmv);
	}
}

/* Not concurrent with the data path, as ethdev requires of resets. */
static int
nicsim_stats_reset(struct rte_eth_dev *dev)
{
	struct nicsim_priv *p = dev->data->dev_private;
	unsigned int q;

	for (q = 0; q < NICSIM_MAX_QUEUES; q++) {
		struct nicsim_rxq *r = &p->rxq[q];
		struct nicsim_txq *t = &p->txq[q];

		r->pkts = r->bytes = r->filtered = r->runts = r->oversize = r->nombuf = 0;
		t->pkts = t->bytes = t->poisoned = t->shared = t->backpressure = 0;
	}
	if (p->ev != NULL) {
		__atomic_store_n(&p->ev->raised, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&p->ev->lsc, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&p->ev->rmv, 0, __ATOMIC_RELAXED);
	}
	return 0;
}

static const char *const xstat_names[] = {
	"rx_filtered", "rx_runts", "rx_oversize", "rx_nombuf",
	"tx_poisoned", "tx_shared", "tx_backpressure", "events_raised",
};

static int
nicsim_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n)
{
	struct nicsim_counters c;
	uint64_t values[RTE_DIM(xstat_names)];
	unsigned int i;

	if (xstats == NULL || n < RTE_DIM(xstat_names))
		return RTE_DIM(xstat_names);
	counters_collect(dev->data->dev_private, &c);
	values[0] = c.rx_filtered;
	values[1] = c.rx_runts;
	values[2] = c.rx_oversize;
	values[3] = c.rx_nombuf;
	values[4] = c.tx_poisoned;
	values[5] = c.tx_shared;
	values[6] = c.tx_backpressure;
	values[7] = c.events_raised;
	for (i = 0; i < RTE_DIM(xstat_names); i++) {
		xstats[i].id = i;
		xstats[i].value = values[i];
	}
	return RTE_DIM(xstat_names);
}

static int
nicsim_xstats_get_names(struct rte_eth_dev *dev __rte_unused,
			struct rte_eth_xstat_name *names, unsigned int n)
{
	unsigned int i;

	if (names == NULL || n < RTE_DIM(xstat_names))
		return RTE_DIM(xstat_names);
	for (i = 0; i < RTE_DIM(xstat_names); i++)
		snprintf(names[i].name, sizeof(names[i].name), "%s", xstat_names[i]);
	return RTE_DIM(xstat_names);
}

static const struct eth_dev_ops nicsim_ops = {
	.dev_configure = nicsim_dev_configure,
	.dev_infos_get = nicsim_dev_infos_get,
	.dev_start = nicsim_dev_start,
	.dev_stop = nicsim_dev_stop,
	.dev_close = nicsim_dev_close,
	.link_update = nicsim_link_update,
	.promiscuous_enable = nicsim_promisc_enable,
	.promiscuous_disable = nicsim_promisc_disable,
	.allmulticast_enable = nicsim_allmulti_enable,
	.allmulticast_disable = nicsim_allmulti_disable,
	.mac_addr_add = nicsim_mac_addr_add,
	.mac_addr_remove = nicsim_mac_addr_remove,
	.mac_addr_set = nicsim_mac_addr_set,
	.set_mc_addr_list = nicsim_set_mc_addr_list,
	.mtu_set = nicsim_mtu_set,
	.rx_queue_setup = nicsim_rx_queue_setup,
	.tx_queue_setup = nicsim_tx_queue_setup,
	.stats_get = nicsim_stats_get,
	.stats_reset = nicsim_stats_reset,
	.xstats_get = nicsim_xstats_get,
	.xstats_get_names = nicsim_xstats_get_names,
	.xstats_reset = nicsim_stats_reset,
};

/* ---- the test-facing API ---- */

static struct nicsim_priv *
nicsim_priv_of(uint16_t port)
{
	struct rte_eth_dev *dev;

	if (!rte_eth_dev_is_valid_port(port))
		return NULL;
	dev = &rte_eth_devices[port];
	if (dev->device == NULL || dev->device->driver != &nicsim_vdev_drv.driver)
		return NULL;
	return dev->data->dev_private;
}

bool
nicsim_is_port(uint16_t port)
{
	return nicsim_priv_of(port) != NULL;
}

struct rte_ring *
nicsim_rx_ring(uint16_t port, uint16_t q)
{
	struct nicsim_priv *p = nicsim_priv_of(port);

	return (p == NULL || q >= p->args.queues) ? NULL : p->rxq[q].ring;
}

struct rte_ring *
nicsim_tx_ring(uint16_t port, uint16_t q)
{
	struct nicsim_priv *p = nicsim_priv_of(port);

	return (p == NULL || q >= p->args.queues) ? NULL : p->txq[q].ring;
}

struct rte_mempool *
nicsim_wire_pool(uint16_t port)
{
	struct nicsim_priv *p = nicsim_priv_of(port);

	return p == NULL ? NULL : p->wire;
}

unsigned int
nicsim_tx_drain(uint16_t port)
{
	struct nicsim_priv *p = nicsim_priv_of(port);
	unsigned int q, n = 0;
	void *m;

	if (p == NULL)
		return 0;
	for (q = 0; q < p->args.queues; q++)
		while (rte_ring_dequeue(p->txq[q].ring, &m) == 0) {
			rte_pktmbuf_free(m);
			n++;
		}
	return n;
}

static int
event_request(uint16_t port, enum nicsim_req_kind kind, bool up, bool wait)
{
	struct nicsim_priv *p = nicsim_priv_of(port);
	struct nicsim_events *ev;
	uint64_t seq;

	if (p == NULL || p->ev == NULL)
		return -ENODEV;
	/* A callback may close the port (freeing p) before the wait ends. */
	ev = p->ev;
	if (!p->args.lsc) {
		if (kind == REQ_RMV)
			return -ENOTSUP;
		/* No interrupt: the wire changes, the application polls. */
		__atomic_store_n(&p->carrier, up, __ATOMIC_RELAXED);
		link_publish(&rte_eth_devices[port]);
		return 0;
	}
	seq = event_post(ev, kind, up, wait);
	if (seq == 0)
		return -EAGAIN;
	return wait ? event_wait(ev, seq, NICSIM_EVENT_TIMEOUT_MS) : 0;
}

int
nicsim_set_link(uint16_t port, bool up)
{
	return event_request(port, REQ_LINK, up, true);
}

int
nicsim_set_link_nowait(uint16_t port, bool up)
{
	return event_request(port, REQ_LINK, up, false);
}

int
nicsim_unplug(uint16_t port)
{
	return event_request(port, REQ_RMV, false, true);
}

int
nicsim_unplug_nowait(uint16_t port)
{
	return event_request(port, REQ_RMV, false, false);
}

int
nicsim_wait_events(uint16_t port, unsigned int timeout_ms)
{
	struct nicsim_priv *p = nicsim_priv_of(port);
	struct nicsim_events *ev;
	uint64_t last;

	if (p == NULL || p->ev == NULL)
		return -ENODEV;
	ev = p->ev;
	pthread_mutex_lock(&ev->lock);
	last = ev->next_seq - 1;
	ev->waiters++;
	pthread_mutex_unlock(&ev->lock);
	return event_wait(ev, last, timeout_ms);
}

bool
nicsim_stop_timed_out(uint16_t port)
{
	struct nicsim_priv *p = nicsim_priv_of(port);

	return p != NULL && p->stop_timed_out;
}

void
nicsim_clear_stop_timed_out(uint16_t port)
{
	struct nicsim_priv *p = nicsim_priv_of(port);

	if (p != NULL)
		p->stop_timed_out = false;
}

uint64_t
nicsim_rx_filtered(uint16_t port)
{
	struct nicsim_counters c;

	return nicsim_get_counters(port, &c) == 0 ? c.rx_filtered : 0;
}

int
nicsim_get_counters(uint16_t port, struct nicsim_counters *c)
{
	struct nicsim_priv *p = nicsim_priv_of(port);

	if (p == NULL)
		return -ENODEV;
	counters_collect(p, c);
	return 0;
}

int
nicsim_mc_list(uint16_t port, struct rte_ether_addr *addrs, unsigned int n)
{
	struct nicsim_priv *p = nicsim_priv_of(port);
	unsigned int i;
	int nb;

	if (p == NULL)
		return -ENODEV;
	rte_spinlock_lock(&p->filter_lock);
	nb = p->nb_mc;
	for (i = 0; i < n && i < p->nb_mc; i++)
		addrs[i] = p->mc[i];
	rte_spinlock_unlock(&p->filter_lock);
	return nb;
}

/* ---- probe and remove ---- */

static int
nicsim_create_resources(struct nicsim_priv *p, int socket)
{
	char name[RTE_RING_NAMESIZE];
	unsigned int q, nb_mbufs;

	for (q = 0; q < p->args.queues; q++) {
		p->rxq[q].priv = p;
		p->txq[q].priv = p;
		snprintf(name, sizeof(name), "nicsim%u_rx%u", p->id, q);
		p->rxq[q].ring = rte_ring_create(name, p->args.ring_size, socket, RING_F_EXACT_SZ);
		if (p->rxq[q].ring == NULL)
			return -rte_errno;
		snprintf(name, sizeof(name), "nicsim%u_tx%u", p->id, q);
		p->txq[q].ring = rte_ring_create(name, p->args.ring_size, socket, RING_F_EXACT_SZ);
		if (p->txq[q].ring == NULL)
			return -rte_errno;
	}
	/* Enough for full TX rings and a few bursts in flight; no cache, so
	 * that a full pool means every copy came back.
	 */
	nb_mbufs = p->args.queues * p->args.tx_room + 2 * NICSIM_BURST;
	snprintf(name, sizeof(name), "nicsim%u_wire", p->id);
	p->wire = rte_pktmbuf_pool_create(name, nb_mbufs, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (p->wire == NULL)
		return -rte_errno;
	return 0;
}

static int
nicsim_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *eth_dev;
	struct nicsim_priv *p;
	struct nicsim_args args;
	int socket = (int)rte_socket_id();
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		NICSIM_LOG(ERR, "%s: primary process only", name);
		return -ENOTSUP;
	}
	ret = nicsim_parse_args(name, rte_vdev_device_args(vdev), &args);
	if (ret != 0)
		return ret;
	eth_dev = rte_eth_vdev_allocate(vdev, sizeof(*p));
	if (eth_dev == NULL)
		return -ENOMEM;
	p = eth_dev->data->dev_private;
	p->args = args;
	p->args.name = eth_dev->data->name;
	p->port_id = eth_dev->data->port_id;
	p->id = __atomic_fetch_add(&nicsim_next_id, 1, __ATOMIC_RELAXED);
	p->carrier = true;
	rte_spinlock_init(&p->filter_lock);
	p->uc[0] = args.mac;

	eth_dev->data->mac_addrs = rte_zmalloc_socket(name, sizeof(struct rte_ether_addr) *
						      args.uc_slots, 0, socket);
	if (eth_dev->data->mac_addrs == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	eth_dev->data->mac_addrs[0] = args.mac;
	ret = nicsim_create_resources(p, socket);
	if (ret != 0)
		goto fail;
	ret = events_start(p, eth_dev);
	if (ret != 0)
		goto fail;

	p->ops = nicsim_ops;
	if (args.omit & OMIT_PROMISC)
		p->ops.promiscuous_enable = p->ops.promiscuous_disable = NULL;
	if (args.omit & OMIT_ALLMULTI)
		p->ops.allmulticast_enable = p->ops.allmulticast_disable = NULL;
	if (args.omit & OMIT_MAC_ADD) {
		p->ops.mac_addr_add = NULL;
		p->ops.mac_addr_remove = NULL;
	}
	if (args.omit & OMIT_MAC_SET)
		p->ops.mac_addr_set = NULL;
	if (args.omit & OMIT_MTU)
		p->ops.mtu_set = NULL;
	if (args.mc_slots == 0)
		p->ops.set_mc_addr_list = NULL;
	eth_dev->dev_ops = &p->ops;
	eth_dev->rx_pkt_burst = nicsim_rx_burst;
	eth_dev->tx_pkt_burst = nicsim_tx_burst;
	eth_dev->data->mtu = RTE_ETHER_MTU;
	eth_dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	if (args.lsc)
		eth_dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_INTR_RMV;
	link_publish(eth_dev);
	rte_eth_dev_probing_finish(eth_dev);
	NICSIM_LOG(INFO, "%s: port %u, %u queues, uc_slots %u, mc_slots %u, tx_room %u",
		   name, p->port_id, args.queues, args.uc_slots, args.mc_slots, args.tx_room);
	return 0;
fail:
	NICSIM_LOG(ERR, "%s: cannot create: %s", name, rte_strerror(-ret));
	nicsim_free_resources(p);
	rte_eth_dev_release_port(eth_dev);
	return ret;
}

static int
nicsim_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *eth_dev;
	uint16_t port;
	int ret;

	eth_dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
	if (eth_dev == NULL)
		return 0; /* closed already */
	port = eth_dev->data->port_id;
	if (eth_dev->data->dev_started) {
		ret = rte_eth_dev_stop(port);
		if (ret != 0)
			return ret;
	}
	return rte_eth_dev_close(port);
}

static struct rte_vdev_driver nicsim_vdev_drv = {
	.probe = nicsim_probe,
	.remove = nicsim_remove,
};

RTE_PMD_REGISTER_VDEV(net_nicsim, nicsim_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_nicsim,
	ARG_QUEUES "=<1-4> "
	ARG_MAC "=<mac> "
	ARG_UC_SLOTS "=<1-64> "
	ARG_MC_SLOTS "=<0-128> "
	ARG_ENOTSUP "=<promisc+allmulti+mac+mac_add+mac_set+mtu> "
	ARG_RING_SIZE "=<64-16384> "
	ARG_TX_ROOM "=<n> "
	ARG_MAX_MTU "=<68-9600> "
	ARG_LSC "=<0|1> "
	ARG_STRICT_INTR "=<0|1> "
	ARG_STOP_WAITS "=<0|1> "
	ARG_TX_OFFLOADS "=<RTE_ETH_TX_OFFLOAD_* mask>");

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * The datapath: each worker lcore polls the queue pairs assigned to it, in
 * turn, a budget of frames per direction each. Port to guest: the tap
 * file's rx burst, then rte_vhost_enqueue_burst (a copy into the guest: every
 * mbuf is freed here, what the guest did not take is counted). Guest to port:
 * rte_vhost_dequeue_burst, the frame checks of offload.c, then the tap file's
 * tx burst (what it does not take is freed and counted).
 *
 * The lists of queue pairs are replaced, never edited: the control side
 * publishes a new list and waits (RCU, rte_rcu_qsbr) until every worker has
 * finished the turn that might still use the old one. A guest going away
 * waits the same way, so no worker is inside its virtqueues once
 * destroy_device returns.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_vhost.h>

#include "mvh.h"

#define VIRTIO_RXQ 0
#define VIRTIO_TXQ 1
#define OUT_MAX (MVH_BURST + MVH_MAX_TSO_SEGS)

struct qp_list {
	uint16_t n;
	struct qp *qp[];
};

struct worker {
	struct qp_list *list;           /* atomic: the worker reads it every turn */
	unsigned int load;              /* queue pairs, under list_lock */
	bool enabled;                   /* a worker lcore */
} __rte_cache_aligned;

static struct worker workers[RTE_MAX_LCORE];
static struct rte_rcu_qsbr *qsbr;
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile bool stopping;
static unsigned int paused;             /* workers_pause() depth; atomic */

/* Port to guest. Returns the frames moved. */
static uint32_t
qp_to_guest(struct qp *qp, int vid, uint32_t budget)
{
	struct rte_mbuf *pkts[MVH_BURST];
	struct qp_stats *st = &qp->stats;
	uint32_t done = 0;
	uint16_t n, sent, i, want;

	while (done < budget) {
		want = (uint16_t)RTE_MIN(budget - done, (uint32_t)MVH_BURST);
		n = rte_pmd_macvtap_file_rx_burst(qp->file, pkts, want);
		if (n == 0)
			break;
		sent = rte_vhost_enqueue_burst(vid, qp->index * 2 + VIRTIO_RXQ, pkts, n);
		for (i = 0; i < sent; i++)
			st->rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
		st->rx_frames += sent;
		st->rx_guest_full += n - sent;
		rte_pktmbuf_free_bulk(pkts, n);
		done += n;
		if (n < want)
			break;
	}
	return done;
}

/* Hand frames to the port; free and count what it did not take. */
static void
qp_send(struct qp *qp, struct rte_mbuf **out, uint16_t n)
{
	struct qp_stats *st = &qp->stats;
	uint16_t sent, i;
	uint64_t bytes = 0;

	if (n == 0)
		return;
	/* Counted before: what the port takes is no longer ours to read. */
	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(out[i]);
	sent = rte_pmd_macvtap_file_tx_burst(qp->file, out, n);
	for (i = sent; i < n; i++)
		bytes -= rte_pktmbuf_pkt_len(out[i]);
	st->tx_frames += sent;
	st->tx_bytes += bytes;
	if (sent < n) {
		st->tx_port_refused += n - sent;
		rte_pktmbuf_free_bulk(out + sent, n - sent);
	}
}

/* Guest to port. Returns the frames moved (segments count as frames). */
static uint32_t
qp_from_guest(struct qp *qp, int vid, uint32_t budget)
{
	struct rte_mbuf *pkts[MVH_BURST], *out[OUT_MAX];
	struct qp_stats *st = &qp->stats;
	uint32_t done = 0;
	uint16_t n, nout, i, want;

	while (done < budget) {
		want = (uint16_t)RTE_MIN(budget - done, (uint32_t)MVH_BURST);
		n = rte_vhost_dequeue_burst(vid, qp->index * 2 + VIRTIO_TXQ, mvh.pool, pkts, want);
		if (n == 0)
			break;
		st->tx_guest_frames += n;
		nout = 0;
		for (i = 0; i < n; i++) {
			uint16_t need = (pkts[i]->ol_flags & RTE_MBUF_F_RX_LRO) ?
					MVH_MAX_TSO_SEGS : 1;

			if (OUT_MAX - nout < need) {
				qp_send(qp, out, nout);
				nout = 0;
			}
			nout += offload_prepare(pkts[i], out + nout, OUT_MAX - nout, qp->vm->mtu,
						mvh.pool, st);
		}
		qp_send(qp, out, nout);
		done += RTE_MAX(n, nout);
		if (n < want)
			break;
	}
	return done;
}

/* No guest: what the port's queue holds goes nowhere (a tap file nobody reads). */
static uint32_t
qp_drain(struct qp *qp)
{
	struct rte_mbuf *pkts[MVH_BURST];
	uint16_t n = rte_pmd_macvtap_file_rx_burst(qp->file, pkts, MVH_BURST);

	if (n != 0) {
		qp->stats.rx_no_guest += n;
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return n;
}

static int
worker_main(void *arg __rte_unused)
{
	unsigned int lcore = rte_lcore_id();
	struct worker *w = &workers[lcore];

	rte_rcu_qsbr_thread_register(qsbr, lcore);
	rte_rcu_qsbr_thread_online(qsbr, lcore);
	while (!stopping) {
		const struct qp_list *l;
		uint32_t moved = 0;
		uint16_t i;

		if (unlikely(__atomic_load_n(&paused, __ATOMIC_ACQUIRE) != 0)) {
			rte_rcu_qsbr_quiescent(qsbr, lcore);
			rte_pause();
			continue;
		}
		l = __atomic_load_n(&w->list, __ATOMIC_ACQUIRE);

		for (i = 0; l != NULL && i < l->n; i++) {
			struct qp *qp = l->qp[i];
			uint32_t budget = qp->vm->conf.budget, m;

			qp->stats.turns++;
			if (__atomic_load_n(&qp->active, __ATOMIC_ACQUIRE)) {
				int vid = qp->vid;

				m = qp_to_guest(qp, vid, budget);
				m += qp_from_guest(qp, vid, budget);
			} else {
				m = qp_drain(qp);
			}
			if (m != 0)
				qp->stats.busy_turns++;
			moved += m;
		}
		rte_rcu_qsbr_quiescent(qsbr, lcore);
		if (moved == 0)
			rte_pause();
	}
	rte_rcu_qsbr_thread_offline(qsbr, lcore);
	rte_rcu_qsbr_thread_unregister(qsbr, lcore);
	return 0;
}

int
workers_init(void)
{
	unsigned int lcore, n = 0;
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);

	qsbr = rte_zmalloc("mvh_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, RTE_MAX_LCORE) != 0)
		return -ENOMEM;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		workers[lcore].enabled = true;
		n++;
	}
	if (n == 0) {
		MVH_LOG(ERR, "no worker lcore: give EAL at least two (-l 0-1)\n");
		return -EINVAL;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (rte_eal_remote_launch(worker_main, NULL, lcore) != 0)
			return -EBUSY;
	}
	return 0;
}

bool
worker_lcore_ok(unsigned int lcore)
{
	return lcore < RTE_MAX_LCORE && workers[lcore].enabled;
}

unsigned int
worker_pick_lcore(void)
{
	unsigned int lcore, best = RTE_MAX_LCORE;

	pthread_mutex_lock(&list_lock);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (best == RTE_MAX_LCORE || workers[lcore].load < workers[best].load)
			best = lcore;
	}
	pthread_mutex_unlock(&list_lock);
	return best;
}

unsigned int
worker_load(unsigned int lcore)
{
	unsigned int n;

	pthread_mutex_lock(&list_lock);
	n = lcore < RTE_MAX_LCORE ? workers[lcore].load : 0;
	pthread_mutex_unlock(&list_lock);
	return n;
}

void
workers_sync(void)
{
	rte_rcu_qsbr_synchronize(qsbr, RTE_QSBR_THRID_INVALID);
}

void
workers_pause(void)
{
	__atomic_add_fetch(&paused, 1, __ATOMIC_RELEASE);
	workers_sync();
}

void
workers_resume(void)
{
	__atomic_sub_fetch(&paused, 1, __ATOMIC_RELEASE);
}

/* Publish a list with qp added (add) or taken out; then free the old one. */
static int
worker_edit(struct qp *qp, bool add)
{
	struct worker *w = &workers[qp->lcore];
	struct qp_list *old, *nl;
	uint16_t i, n;

	pthread_mutex_lock(&list_lock);
	old = w->list;
	n = old == NULL ? 0 : old->n;
	/* An array of pointers after the header. */
	nl = malloc(sizeof(*nl) + (n + 1) * sizeof(nl->qp[0])); /* NOLINT(bugprone-sizeof-expression) */
	if (nl == NULL) {
		pthread_mutex_unlock(&list_lock);
		return -ENOMEM;
	}
	nl->n = 0;
	for (i = 0; i < n; i++)
		if (old->qp[i] != qp)
			nl->qp[nl->n++] = old->qp[i];
	if (add)
		nl->qp[nl->n++] = qp;
	w->load = nl->n;
	__atomic_store_n(&w->list, nl, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&list_lock);
	workers_sync();
	free(old);
	return 0;
}

int
worker_attach(struct qp *qp)
{
	return worker_edit(qp, true);
}

void
worker_detach(struct qp *qp)
{
	/* Without memory for a new list, stop everything rather than free a polled queue. */
	while (worker_edit(qp, false) != 0)
		rte_delay_ms(10);
}

void
workers_stop(void)
{
	unsigned int lcore;

	stopping = true;
	rte_eal_mp_wait_lcore();
	RTE_LCORE_FOREACH_WORKER(lcore) {
		free(workers[lcore].list);
		workers[lcore].list = NULL;
	}
	rte_free(qsbr);
	qsbr = NULL;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Pool profiles: whether the lower's frames may go to an application as they
 * are, without a copy into the pool it gave its queue.
 *
 * An application whose pool has a private area (struct rte_mbuf, then
 * priv_size bytes, then the data room) may keep per-packet state there and
 * read it in every frame it receives. It may only be handed an mbuf whose
 * private area is as its own pool's objects' are: the same size, holding
 * what its own objects hold. DPDK does not record a pool's object
 * initialiser (an application runs it with rte_mempool_obj_iter after
 * rte_pktmbuf_pool_create), so this file observes its result instead: the
 * profile of a pool is the content of its objects' private areas, taken when
 * every object of the pool (free or in use) holds the same bytes there. Then
 * whatever its initialiser wrote is the same for every object, and an mbuf of
 * another pool whose private area holds those bytes is, there, like any
 * object the application's own pool can give it: a NIC hands an application
 * an arbitrary object of its pool, so it cannot rely on more than what all of
 * them hold. A pool whose objects differ there (an initialiser that writes
 * each object's own index or address, or objects already used and left with
 * per-packet state) has no profile: its queues keep the copy.
 *
 * A profile, once taken, is remembered for that pool until it is freed
 * (RTE_MEMPOOL_EVENT_DESTROY): an application's pool that is in use by the
 * time a second port's queue is set up with it (OVS-DPDK shares one pool
 * among its ports of an MTU) no longer shows what its initialiser wrote in
 * every object, but it is the same pool, initialised once.
 *
 * The objects of a lower pool made to a profile (macvtap_pool_create) start
 * with its bytes; once they have been received and freed by an application
 * they hold what it left there, as its own pool's objects do.
 *
 * OVS-DPDK 3.1 (lib/netdev-dpdk.c, lib/dp-packet.[ch]), what this is for:
 * its struct dp_packet starts with the rte_mbuf and goes on in the private
 * area; its pools' initialiser (ovs_rte_pktmbuf_init, dp_packet_init_dpdk)
 * sets only dp_packet.source = DPBUF_DPDK there, after rte_pktmbuf_init
 * zeroed it, so a fresh pool has one profile: that field set, the rest zero.
 * On receive (netdev_dpdk_rxq_recv) OVS takes the mbufs as dp_packets and
 * sets the per-packet fields itself before they are read
 * (dp_packet_batch_init_packet_fields: packet_type, cutlen; the datapath:
 * the metadata and the header offsets), as it must for its own recycled
 * objects; the one field it relies on from the initialiser is source, which
 * decides how a packet is freed: DPBUF_DPDK, rte_pktmbuf_free (free_dpdk_buf),
 * which returns the mbuf to m->pool, the lower's pool. Sending such a packet
 * through a DPDK port hands it over as it is (no copy for DPBUF_DPDK), and the
 * port frees it to m->pool too. So OVS gets, in an mbuf of a lower pool with
 * its profile, exactly what it gets in one of its own, and gives it back to
 * the pool it came from.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "macvtap.h"

/* Profiles remembered, by pool (beyond that, pools are scanned at every look). */
#define POOL_PROFILES 64

static struct {
	const struct rte_mempool *mp;
	struct macvtap_pool_profile *p;
} profiles[POOL_PROFILES];
/* Taken alone, or under macvlan_lock; never held while a pool is freed. */
static pthread_mutex_t profiles_lock = PTHREAD_MUTEX_INITIALIZER;
static bool profiles_watched;   /* the DESTROY event forgets a freed pool's profile */

/* The callback's type (rte_mempool_event_callback) wants mp non-const. */
static void
/* cppcheck-suppress constParameter */
pool_event(enum rte_mempool_event event, struct rte_mempool *mp, void *arg __rte_unused)
{
	unsigned int i;

	if (event != RTE_MEMPOOL_EVENT_DESTROY)
		return;
	pthread_mutex_lock(&profiles_lock);
	for (i = 0; i < RTE_DIM(profiles); i++) {
		if (profiles[i].mp == mp) {
			free(profiles[i].p);
			profiles[i].p = NULL;
			profiles[i].mp = NULL;
		}
	}
	pthread_mutex_unlock(&profiles_lock);
}

static size_t
profile_size(uint16_t priv_size)
{
	return sizeof(struct macvtap_pool_profile) + priv_size;
}

struct macvtap_pool_profile *
macvtap_pool_profile_dup(const struct macvtap_pool_profile *p)
{
	struct macvtap_pool_profile *c = malloc(profile_size(p->priv_size));

	if (c != NULL)
		memcpy(c, p, profile_size(p->priv_size));
	return c;
}

struct profile_scan {
	struct macvtap_pool_profile *p;
	unsigned int seen;
	bool uniform;
};

/*
 * One object's private area against the first one's. Objects in use may be
 * written meanwhile by their holders: such an object differs, or matches what
 * the others hold; either way the verdict stands for the pool.
 */
static void
profile_scan_obj(struct rte_mempool *mp __rte_unused, void *arg, void *obj,
		 unsigned int idx __rte_unused)
{
	struct profile_scan *s = arg;
	const volatile uint8_t *priv = (const uint8_t *)obj + sizeof(struct rte_mbuf);
	uint16_t i;

	if (!s->uniform)
		return;
	for (i = 0; i < s->p->priv_size; i++) {
		uint8_t b = priv[i];

		if (s->seen == 0)
			s->p->tmpl[i] = b;
		else if (b != s->p->tmpl[i])
			s->uniform = false;
	}
	s->seen++;
}

/*
 * The profile of an application's pool with a private area, as a copy the
 * caller frees: 0, or -ENOTUNIQ when its objects' private areas differ,
 * -EINVAL when it has none or no objects, -ENOMEM.
 */
int
macvtap_pool_profile_get(struct rte_mempool *mp, struct macvtap_pool_profile **out)
{
	struct profile_scan s = { .uniform = true };
	uint16_t priv = rte_pktmbuf_priv_size(mp);
	unsigned int i, slot = RTE_DIM(profiles);

	*out = NULL;
	if (priv == 0 || mp->populated_size == 0)
		return -EINVAL;
	pthread_mutex_lock(&profiles_lock);
	if (!profiles_watched)
		profiles_watched = rte_mempool_event_callback_register(pool_event, NULL) == 0;
	for (i = 0; i < RTE_DIM(profiles); i++) {
		if (profiles[i].mp == mp) {
			*out = macvtap_pool_profile_dup(profiles[i].p);
			pthread_mutex_unlock(&profiles_lock);
			return *out != NULL ? 0 : -ENOMEM;
		}
		if (profiles[i].mp == NULL && slot == RTE_DIM(profiles))
			slot = i;
	}
	pthread_mutex_unlock(&profiles_lock);

	s.p = calloc(1, profile_size(priv));
	if (s.p == NULL)
		return -ENOMEM;
	s.p->priv_size = priv;
	s.p->data_room = rte_pktmbuf_data_room_size(mp);
	rte_mempool_obj_iter(mp, profile_scan_obj, &s);
	if (!s.uniform || s.seen == 0) {
		free(s.p);
		return s.uniform ? -EINVAL : -ENOTUNIQ;
	}
	*out = s.p;
	/* Remembered only while a freed pool is sure to be forgotten. */
	pthread_mutex_lock(&profiles_lock);
	if (profiles_watched && slot < RTE_DIM(profiles) && profiles[slot].mp == NULL) {
		profiles[slot].p = macvtap_pool_profile_dup(s.p);
		if (profiles[slot].p != NULL)
			profiles[slot].mp = mp;
	}
	pthread_mutex_unlock(&profiles_lock);
	return 0;
}

/*
 * Whether the frames of lower pool lower_mp (its objects made to profile
 * lower, NULL for no private area) may go as they are to an application
 * whose pool has profile app: the same private area, and buffers at least as
 * large as its own (it may count on their room).
 */
bool
macvtap_pool_fits(const struct rte_mempool *lower_mp, const struct macvtap_pool_profile *lower,
		  const struct macvtap_pool_profile *app)
{
	if (lower_mp == NULL || lower == NULL || app == NULL)
		return false;
	return lower->priv_size == app->priv_size &&
	       rte_pktmbuf_priv_size((struct rte_mempool *)(uintptr_t)lower_mp) == app->priv_size &&
	       rte_pktmbuf_data_room_size((struct rte_mempool *)(uintptr_t)lower_mp) >=
	       app->data_room &&
	       memcmp(lower->tmpl, app->tmpl, app->priv_size) == 0;
}

static void
pool_fill_priv(struct rte_mempool *mp __rte_unused, void *arg, void *obj,
	       unsigned int idx __rte_unused)
{
	const struct macvtap_pool_profile *p = arg;

	memcpy((uint8_t *)obj + sizeof(struct rte_mbuf), p->tmpl, p->priv_size);
}

/*
 * A pktmbuf pool whose every object's private area holds profile p's bytes,
 * with buffers of at least the default size and p's.
 */
struct rte_mempool *
macvtap_pool_create(const char *name, unsigned int n, unsigned int cache,
		    const struct macvtap_pool_profile *p, int socket)
{
	uint16_t room = RTE_MAX((uint16_t)RTE_MBUF_DEFAULT_BUF_SIZE, p->data_room);
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, n, cache, p->priv_size, room, socket);
	if (mp != NULL)
		rte_mempool_obj_iter(mp, pool_fill_priv, (void *)(uintptr_t)p);
	return mp;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Fault injection under traffic. In each test a worker lcore plays the wire
 * and the applications at once: it sends frames from the wire to some ports,
 * reads those ports, forwards what they receive back to the wire and reads the
 * wire, counting everything. Meanwhile the main lcore causes the fault: link
 * flaps, the lower hot-unplugged and plugged back, a port reconfigured, ports
 * attached and detached thousands of times, the broadcast copy pool exhausted,
 * full rings. Each test ends with the program running, every frame accounted
 * for (sent = received + counted as dropped, by cause: port stats, xstats,
 * rte_pmd_macvtap_get_lower_stats) and the mempools full (the runner then
 * checks the test pool and rte_malloc).
 *
 * Run: test_faults <EAL args with two lcores> [-- test-name-substring]
 * MACVTAP_FAULT_ROUNDS=<n>: rounds of the attach/detach loop (default 10000).
 */

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_pause.h>

#include "harness.h"
#include "rte_pmd_macvtap.h"

#define FRAME_LEN 64
#define BURST 32

/* The host on the wire that sends, and where forwarded frames go (no port has it). */
static const struct rte_ether_addr ext_mac = {{ 0x02, 0xee, 0x00, 0x00, 0x00, 0x01 }};
static const struct rte_ether_addr sink_mac = {{ 0x02, 0x99, 0x00, 0x00, 0x00, 0x99 }};
static const struct rte_ether_addr bcast_mac = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};

/* Counters shared between the lcores: one writer each, read at any time. */
#define LOAD(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define ADD(p, v) __atomic_fetch_add(p, v, __ATOMIC_RELAXED)
#define READ(p) __atomic_load_n(p, __ATOMIC_RELAXED)

static uint64_t
deadline_ms(unsigned int ms)
{
	return rte_get_timer_cycles() + rte_get_timer_hz() * ms / 1000;
}

static bool
past(uint64_t deadline)
{
	return rte_get_timer_cycles() > deadline;
}

static struct rte_ether_addr
mac_n(unsigned int a, unsigned int b)
{
	struct rte_ether_addr m = {{ 0x02, 0x00, 0x00, 0x00, (uint8_t)a, (uint8_t)b }};

	return m;
}

static struct rte_mbuf *
mk_frame(const struct rte_ether_addr *dst, const struct rte_ether_addr *src, uint32_t id)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
	struct rte_ether_hdr *eh;

	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, FRAME_LEN);
	memset(eh, 0, FRAME_LEN);
	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(0x0800);
	/* Where the harness's t_frame_id reads it. */
	memcpy(eh + 1, &id, sizeof(id));
	return m;
}

/* Build n frames; all or none. */
static int
mk_frames(struct rte_mbuf **m, unsigned int n, const struct rte_ether_addr *dst,
	  const struct rte_ether_addr *src, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		m[i] = mk_frame(dst, src, id + i);
		if (m[i] == NULL) {
			rte_pktmbuf_free_bulk(m, i);
			CHECK(false, "out of mbufs in the test pool");
		}
	}
	return 0;
}

/* n frames from the wire to dst on lower queue q, ids id, id + 1...; waits for room. */
static int
inject(struct t_env *e, uint16_t q, const struct rte_ether_addr *dst, uint32_t id,
       unsigned int n)
{
	uint64_t deadline = deadline_ms(3000);
	struct rte_mbuf *m[BURST];
	unsigned int done = 0, k, put;

	while (done < n) {
		k = RTE_MIN(n - done, (unsigned int)BURST);
		TRY(mk_frames(m, k, dst, &ext_mac, id + done));
		put = 0;
		while (put < k) {
			put += rte_ring_enqueue_burst(e->rx[q], (void **)&m[put], k - put, NULL);
			if (put < k && past(deadline)) {
				rte_pktmbuf_free_bulk(&m[put], k - put);
				CHECK(false, "the lower's RX ring stays full: nobody polls it");
			}
			if (put < k)
				rte_delay_us_sleep(100);
		}
		done += k;
	}
	return 0;
}

/*
 * Read a port the main lcore drives until want frames came (or 3 s passed),
 * then a few polls more to catch any extra; record them, free them.
 */
static unsigned int
rx_port(uint16_t port, uint16_t nb_q, struct t_frame *out, unsigned int max, unsigned int want)
{
	uint64_t deadline = deadline_ms(3000);
	struct rte_mbuf *m[BURST];
	unsigned int n = 0, extra = 0, i;
	uint16_t q, k;

	while (extra < 4 && !past(deadline)) {
		if (n >= want)
			extra++;
		for (q = 0; q < nb_q; q++) {
			k = rte_eth_rx_burst(port, q, m, BURST);
			for (i = 0; i < k; i++)
				if (n < max)
					t_record(&out[n++], m[i], q);
			rte_pktmbuf_free_bulk(m, k);
		}
		if (n < want)
			rte_delay_us_sleep(50);
	}
	return n;
}

static int
port_stats(uint16_t port, struct rte_eth_stats *st)
{
	int ret = rte_eth_stats_get(port, st);

	CHECK(ret == 0, "stats of port %u: %d", port, ret);
	return 0;
}

static int
lower_stats(uint16_t port, struct rte_pmd_macvtap_lower_stats *ls)
{
	int ret = rte_pmd_macvtap_get_lower_stats(port, ls);

	CHECK(ret == 0, "lower stats through port %u: %d", port, ret);
	return 0;
}

/* ---- the traffic worker ---- */

#define TR_SLOTS 16
#define TR_SOURCES 32
#define TR_GEN_BURST 8
#define TR_LOWER_BACKLOG 128 /* the generator waits while a lower RX ring holds this many */

/* A port the worker drives, and its MAC: what was sent to it, what it got, what it sent. */
struct tr_slot {
	uint16_t port;
	uint16_t nb_q;
	int generate;            /* the worker sends it unicast from the wire */
	int src;                 /* its index among the wire's sources */
	struct rte_ether_addr mac;
	uint64_t generated;
	uint64_t rx_unicast;     /* to its MAC, tagged with its port */
	uint64_t rx_broadcast;
	uint64_t rx_bad;         /* anything else: misdelivered */
	uint64_t tx_sent;        /* forwarded: the tx burst took them */
	uint64_t tx_refused;     /* forwarded: the tx burst returned them; freed */
};

struct traffic {
	struct t_env *e;
	unsigned int lcore;
	bool launched;
	bool forward;            /* received frames go back to the wire, else freed */
	int stop;
	int pause;
	int paused;
	int drain_wire;          /* the worker reads (and counts) what the lower sends */
	uint64_t loops;
	uint32_t next_id;
	int nb_slots;
	struct tr_slot slot[TR_SLOTS];
	int nb_src;
	struct rte_ether_addr src[TR_SOURCES];
	uint64_t wire_by_src[TR_SOURCES];
	uint64_t wire_other;
};

static struct traffic tr;

static void
tr_init(struct traffic *t, struct t_env *e, bool forward)
{
	memset(t, 0, sizeof(*t));
	t->e = e;
	t->forward = forward;
	t->drain_wire = 1;
	t->lcore = rte_get_next_lcore(-1, 1, 0);
}

/* A source MAC the wire counts frames of; call before launch or while paused. */
static int
tr_add_source(struct traffic *t, const struct rte_ether_addr *mac)
{
	int i;

	for (i = 0; i < t->nb_src; i++)
		if (rte_is_same_ether_addr(&t->src[i], mac))
			return i;
	if (t->nb_src == TR_SOURCES)
		return -1;
	t->src[t->nb_src] = *mac;
	return t->nb_src++;
}

static int
tr_add_slot(struct traffic *t, uint16_t port, uint16_t nb_q, const struct rte_ether_addr *mac,
	    bool generate)
{
	struct tr_slot *s;

	if (t->nb_slots == TR_SLOTS)
		return -1;
	s = &t->slot[t->nb_slots];
	memset(s, 0, sizeof(*s));
	s->port = port;
	s->nb_q = nb_q;
	s->mac = *mac;
	s->generate = generate;
	s->src = tr_add_source(t, mac);
	return t->nb_slots++;
}

static void
tr_generate(struct traffic *t, struct tr_slot *s, uint16_t q)
{
	struct rte_ring *r = t->e->rx[q];
	struct rte_mbuf *m[TR_GEN_BURST];
	unsigned int n, done;

	if (rte_ring_count(r) >= TR_LOWER_BACKLOG)
		return;
	for (n = 0; n < TR_GEN_BURST; n++) {
		m[n] = mk_frame(&s->mac, &ext_mac, t->next_id++);
		if (m[n] == NULL)
			break; /* the test pool is short: send fewer */
	}
	done = rte_ring_enqueue_burst(r, (void **)m, n, NULL);
	if (done < n)
		rte_pktmbuf_free_bulk(&m[done], n - done);
	ADD(&s->generated, done);
}

/* Read every queue of a slot's port; check and count; forward or free. */
static void
tr_poll(struct traffic *t, struct tr_slot *s)
{
	struct rte_mbuf *m[BURST];
	uint64_t uc, bc, bad;
	uint16_t q, n, i, sent;

	for (q = 0; q < s->nb_q; q++) {
		n = rte_eth_rx_burst(s->port, q, m, BURST);
		if (n == 0)
			continue;
		uc = bc = bad = 0;
		for (i = 0; i < n; i++) {
			struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m[i], struct rte_ether_hdr *);

			if (m[i]->port != s->port)
				bad++;
			else if (rte_is_same_ether_addr(&eh->dst_addr, &s->mac))
				uc++;
			else if (rte_is_broadcast_ether_addr(&eh->dst_addr))
				bc++;
			else
				bad++;
			/* Sent on as an application would: from its MAC, to a host on the wire. */
			eh->dst_addr = sink_mac;
			eh->src_addr = s->mac;
		}
		ADD(&s->rx_unicast, uc);
		ADD(&s->rx_broadcast, bc);
		ADD(&s->rx_bad, bad);
		if (!t->forward) {
			rte_pktmbuf_free_bulk(m, n);
			continue;
		}
		sent = rte_eth_tx_burst(s->port, q, m, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(&m[sent], n - sent);
		ADD(&s->tx_sent, sent);
		ADD(&s->tx_refused, n - sent);
	}
}

static void
tr_drain_wire(struct traffic *t)
{
	struct rte_mbuf *m[64];
	unsigned int n, i;
	uint16_t q;
	int j;

	for (q = 0; q < t->e->nb_q; q++) {
		n = rte_ring_dequeue_burst(t->e->tx[q], (void **)m, RTE_DIM(m), NULL);
		for (i = 0; i < n; i++) {
			const struct rte_ether_hdr *eh =
				rte_pktmbuf_mtod(m[i], const struct rte_ether_hdr *);

			for (j = 0; j < t->nb_src; j++)
				if (rte_is_same_ether_addr(&eh->src_addr, &t->src[j]))
					break;
			if (j < t->nb_src)
				ADD(&t->wire_by_src[j], 1);
			else
				ADD(&t->wire_other, 1);
		}
		rte_pktmbuf_free_bulk(m, n);
	}
}

static int
tr_worker(void *arg)
{
	struct traffic *t = arg;
	uint16_t turn = 0;
	int i;

	while (!LOAD(&t->stop)) {
		if (LOAD(&t->pause)) {
			/* Quiescent: the main lcore may change ports and slots now. */
			STORE(&t->paused, 1);
			while (LOAD(&t->pause) && !LOAD(&t->stop))
				rte_pause();
			STORE(&t->paused, 0);
			continue;
		}
		for (i = 0; i < t->nb_slots; i++) {
			struct tr_slot *s = &t->slot[i];

			if (LOAD(&s->generate))
				tr_generate(t, s, turn % t->e->nb_q);
			tr_poll(t, s);
		}
		if (LOAD(&t->drain_wire))
			tr_drain_wire(t);
		turn++;
		ADD(&t->loops, 1);
	}
	return 0;
}

static int
tr_launch(struct traffic *t)
{
	int ret = rte_eal_remote_launch(tr_worker, t, t->lcore);

	CHECK(ret == 0, "launch the worker on lcore %u: %d", t->lcore, ret);
	t->launched = true;
	return 0;
}

/* Stop the worker and wait for it; safe to call again. */
static void
tr_stop(struct traffic *t)
{
	if (!t->launched)
		return;
	STORE(&t->stop, 1);
	rte_eal_wait_lcore(t->lcore);
	t->launched = false;
}

/* Hold the worker where it touches nothing (no port, no ring, no pool). */
static int
tr_pause(struct traffic *t)
{
	uint64_t deadline = deadline_ms(3000);

	STORE(&t->pause, 1);
	while (!LOAD(&t->paused)) {
		CHECK(!past(deadline), "the worker does not pause: stuck in a burst?");
		rte_pause();
	}
	return 0;
}

static void
tr_resume(struct traffic *t)
{
	STORE(&t->pause, 0);
}

/* Wait until the worker went through its loop n more times. */
static int
tr_wait_loops(struct traffic *t, uint64_t n)
{
	uint64_t deadline = deadline_ms(3000), target = READ(&t->loops) + n;

	while (READ(&t->loops) < target) {
		CHECK(!past(deadline), "the worker stopped looping");
		rte_delay_us_sleep(100);
	}
	return 0;
}

static uint64_t
slot_rx(struct tr_slot *s)
{
	return READ(&s->rx_unicast) + READ(&s->rx_broadcast);
}

/* Wait until every slot received at least n more frames: traffic flows. */
static int
tr_wait_progress(struct traffic *t, uint64_t n)
{
	uint64_t deadline = deadline_ms(5000), start[TR_SLOTS];
	int i;

	for (i = 0; i < t->nb_slots; i++)
		start[i] = slot_rx(&t->slot[i]);
	for (i = 0; i < t->nb_slots; i++) {
		struct tr_slot *s = &t->slot[i];

		while (slot_rx(s) < start[i] + n) {
			CHECK(!past(deadline), "no traffic on port %u: %" PRIu64 " of %" PRIu64
			      " frames", s->port, slot_rx(s) - start[i], n);
			rte_delay_us_sleep(200);
		}
	}
	return 0;
}

static void
tr_generating(struct traffic *t, bool on)
{
	int i;

	for (i = 0; i < t->nb_slots; i++)
		STORE(&t->slot[i].generate, on ? 1 : 0);
}

/* Nothing in flight: the lower's rings, the driven ports' rings, the wire. */
static bool
tr_idle(struct traffic *t)
{
	struct rte_ring *r;
	uint16_t q;
	int i;

	for (q = 0; q < t->e->nb_q; q++) {
		if (rte_ring_count(t->e->rx[q]) != 0)
			return false;
		if (READ(&t->drain_wire) && rte_ring_count(t->e->tx[q]) != 0)
			return false;
	}
	for (i = 0; i < t->nb_slots; i++) {
		for (q = 0; q < t->slot[i].nb_q; q++) {
			r = rte_pmd_macvtap_get_rx_ring(t->slot[i].port, q);
			if (r != NULL && rte_ring_count(r) != 0)
				return false;
		}
	}
	return true;
}

/* Stop generating and wait until every frame in flight has been read and counted. */
static int
tr_quiesce(struct traffic *t)
{
	uint64_t deadline = deadline_ms(5000);

	tr_generating(t, false);
	for (;;) {
		/* Two whole loops with nothing left: what a loop took is counted. */
		if (tr_idle(t)) {
			TRY(tr_wait_loops(t, 2));
			if (tr_idle(t))
				return 0;
		}
		CHECK(!past(deadline), "frames still in flight after 5 s");
		rte_delay_us_sleep(500);
	}
}

/*
 * The worker's books for one slot whose port did not change, after
 * tr_quiesce: every frame sent to the port was read or dropped and counted
 * (imissed); every frame read was forwarded or refused; every forwarded frame
 * reached the wire. bcast: broadcasts the port was sent besides.
 */
static int
tr_check_slot(struct traffic *t, int i, uint64_t bcast)
{
	struct tr_slot *s = &t->slot[i];
	struct rte_eth_stats st;

	TRY(port_stats(s->port, &st));
	CHECK_EQ(s->rx_bad, 0, "frames misdelivered to the port");
	CHECK(s->generated + bcast == s->rx_unicast + s->rx_broadcast + st.imissed,
	      "port %u: %" PRIu64 " + %" PRIu64 " sent, %" PRIu64 " + %" PRIu64 " received, %"
	      PRIu64 " counted dropped", s->port, s->generated, bcast, s->rx_unicast,
	      s->rx_broadcast, st.imissed);
	if (st.imissed == 0)
		CHECK_EQ(s->rx_broadcast, bcast, "broadcasts received");
	CHECK_EQ(st.ipackets, s->rx_unicast + s->rx_broadcast,
		 "ipackets: frames queued = frames the application read");
	CHECK_EQ(t_xstat(s->port, "rx_ring_full_dropped"), st.imissed, "rx_ring_full_dropped");
	if (!t->forward)
		return 0;
	CHECK_EQ(s->tx_sent + s->tx_refused, s->rx_unicast + s->rx_broadcast,
		 "frames forwarded or refused");
	CHECK_EQ(st.opackets, s->tx_sent, "opackets: what the tx burst took");
	CHECK_EQ(t->wire_by_src[s->src], s->tx_sent, "frames from the port on the wire");
	return 0;
}

static uint64_t
tr_sum(const struct traffic *t, size_t offset)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < t->nb_slots; i++)
		sum += READ((const uint64_t *)((const char *)&t->slot[i] + offset));
	return sum;
}
#define TR_SUM(t, field) tr_sum(t, offsetof(struct tr_slot, field))

/* ---- lower events and the log ---- */

static int lsc_count[RTE_MAX_ETHPORTS], rmv_count[RTE_MAX_ETHPORTS];
static uint16_t watched[RTE_MAX_ETHPORTS];
static int nb_watched;

static int
on_event(uint16_t port, enum rte_eth_event_type type, void *arg __rte_unused,
	 void *ret_param __rte_unused)
{
	if (type == RTE_ETH_EVENT_INTR_LSC)
		ADD(&lsc_count[port], 1);
	else if (type == RTE_ETH_EVENT_INTR_RMV)
		ADD(&rmv_count[port], 1);
	return 0;
}

/* Count a port's LSC and RMV events; unwatch before it is closed (ethdev keeps callbacks). */
static int
ev_watch(uint16_t port)
{
	STORE(&lsc_count[port], 0);
	STORE(&rmv_count[port], 0);
	CHECK(rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, on_event, NULL) == 0 &&
	      rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_RMV, on_event, NULL) == 0,
	      "register event callbacks on port %u", port);
	watched[nb_watched++] = port;
	return 0;
}

static void
ev_unwatch(uint16_t port)
{
	int i;

	for (i = 0; i < nb_watched; i++) {
		if (watched[i] != port)
			continue;
		rte_eth_dev_callback_unregister(port, RTE_ETH_EVENT_INTR_LSC, on_event, NULL);
		rte_eth_dev_callback_unregister(port, RTE_ETH_EVENT_INTR_RMV, on_event, NULL);
		watched[i] = watched[--nb_watched];
		return;
	}
}

static void
ev_unwatch_all(void)
{
	while (nb_watched > 0)
		ev_unwatch(watched[0]);
}

static int
wait_link(uint16_t port, int status)
{
	uint64_t deadline = deadline_ms(3000);
	struct rte_eth_link link;

	for (;;) {
		CHECK(rte_eth_link_get_nowait(port, &link) == 0, "link of port %u", port);
		if (link.link_status == status)
			return 0;
		CHECK(!past(deadline), "port %u: link stays %s", port, status ? "down" : "up");
		rte_delay_us_sleep(5000);
	}
}

/* Wait for want LSC events on a port; one more is a failure too. */
static int
wait_lsc(uint16_t port, int want)
{
	uint64_t deadline = deadline_ms(3000);

	while (READ(&lsc_count[port]) < want) {
		CHECK(!past(deadline), "port %u: %d LSC events, want %d", port,
		      READ(&lsc_count[port]), want);
		rte_delay_us_sleep(2000);
	}
	CHECK(READ(&lsc_count[port]) == want, "port %u: %d LSC events, want %d", port,
	      READ(&lsc_count[port]), want);
	return 0;
}

/* The driver's log lines, captured to check that an error says so. */
/* Take a port out of the environment's list once the test closed it itself. */
static void
env_forget(struct t_env *e, uint16_t port)
{
	int i;

	for (i = 0; i < e->nb_ports; i++) {
		if (e->ports[i] != port)
			continue;
		e->nb_ports--;
		e->ports[i] = e->ports[e->nb_ports];
		memcpy(e->port_names[i], e->port_names[e->nb_ports], sizeof(e->port_names[i]));
		return;
	}
}

/* Close and remove one port of the environment. */
static int
env_remove_port(struct t_env *e, uint16_t port)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	int ret;

	CHECK(rte_eth_dev_get_name_by_port(port, name) == 0, "name of port %u", port);
	ev_unwatch(port);
	rte_eth_dev_stop(port);
	ret = rte_eth_dev_close(port);
	CHECK(ret == 0, "close port %u: %d", port, ret);
	ret = rte_vdev_uninit(name);
	CHECK(ret == 0, "uninit %s: %d", name, ret);
	env_forget(e, port);
	return 0;
}

/* A second environment a test may use; torn down after a failure too. */
static struct t_env *extra_env;

static int
run_under_traffic(int (*body)(void))
{
	int ret;

	if (rte_get_next_lcore(-1, 1, 0) >= RTE_MAX_LCORE)
		T_SKIP_BECAUSE("needs a second lcore for the traffic (EAL -l 0-1)");
	ret = body();
	/* Whatever happened, the worker stops before anything is torn down. */
	tr_stop(&tr);
	ev_unwatch_all();
	t_log_stop();
	if (extra_env != NULL) {
		if (ret != 0)
			t_env_fini(extra_env);
		extra_env = NULL;
	}
	return ret;
}

/* Lower counters of frames no port took, besides those a test expects: all zero. */
static int
check_lower_drops(const struct rte_pmd_macvtap_lower_stats *ls, uint64_t no_port,
		  uint64_t copy_failed)
{
	CHECK_EQ(ls->rx_no_port, no_port, "lower rx_no_port");
	CHECK_EQ(ls->rx_copy_failed, copy_failed, "lower rx_copy_failed");
	CHECK_EQ(ls->rx_no_listener + ls->rx_runt + ls->rx_pause + ls->rx_nodst_dropped +
		 ls->rx_passthru_down, 0, "other lower drops");
	return 0;
}

/* ---- 1. link flaps ---- */

#define FLAPS 6

/*
 * The lower's link goes down and up again and again while two ports forward:
 * each port's link follows, with one LSC event per change, the traffic goes on
 * after each up, and every frame is read or counted.
 */
static int
link_flap(void)
{
	static struct t_env e;
	struct rte_pmd_macvtap_lower_stats ls;
	struct rte_ether_addr mac[2] = { mac_n(0x10, 1), mac_n(0x10, 2) };
	uint16_t ports[2];
	int p[2], f, i;

	TRY(t_env_init(&e, 2));
	TRY(t_add_port(&e, "mac=02:00:00:00:10:01", 1, 1024, &p[0]));
	TRY(t_add_port(&e, "mac=02:00:00:00:10:02,mode=bridge", 1, 1024, &p[1]));
	tr_init(&tr, &e, true);
	for (i = 0; i < 2; i++) {
		ports[i] = e.ports[p[i]];
		tr_add_slot(&tr, ports[i], 1, &mac[i], true);
		TRY(wait_link(ports[i], RTE_ETH_LINK_UP));
		TRY(ev_watch(ports[i]));
	}
	TRY(tr_launch(&tr));
	TRY(tr_wait_progress(&tr, 256));
	for (f = 0; f < FLAPS; f++) {
		CHECK_EQ(rte_eth_dev_set_link_down(e.lower), 0, "lower link down");
		for (i = 0; i < 2; i++) {
			TRY(wait_link(ports[i], RTE_ETH_LINK_DOWN));
			TRY(wait_lsc(ports[i], 2 * f + 1));
		}
		/* The wire keeps sending while the link is down. */
		rte_delay_us_sleep(5000);
		CHECK_EQ(rte_eth_dev_set_link_up(e.lower), 0, "lower link up");
		for (i = 0; i < 2; i++) {
			TRY(wait_link(ports[i], RTE_ETH_LINK_UP));
			TRY(wait_lsc(ports[i], 2 * f + 2));
		}
		TRY(tr_wait_progress(&tr, 64));
	}
	TRY(tr_quiesce(&tr));
	tr_stop(&tr);
	for (i = 0; i < 2; i++) {
		TRY(tr_check_slot(&tr, i, 0));
		/* No late or spurious event. */
		TRY(wait_lsc(ports[i], 2 * FLAPS));
	}
	CHECK_EQ(tr.wire_other, 0, "frames on the wire from nobody");
	TRY(lower_stats(ports[0], &ls));
	CHECK_EQ(ls.rx_packets, TR_SUM(&tr, generated), "frames the lower read = frames sent");
	TRY(check_lower_drops(&ls, 0, 0));
	ev_unwatch_all();
	return t_env_fini(&e);
}

static int
test_link_flap(void)
{
	return run_under_traffic(link_flap);
}

/* ---- 2. the lower hot-unplugged and plugged back ---- */

/*
 * The lower's device removed while two ports forward (a surprise removal:
 * rte_vdev_uninit, as a bus does on unplug). The ports report it: RMV and LSC
 * events, link down, a log line; tx takes nothing, rx gives what was queued
 * then nothing, start and configure fail with -ENODEV, the lower is -ENXIO.
 * Then a new lower of the same name comes on the same wire; the old ports stay
 * dead (documented: they stay until closed, a restart fails with -ENODEV) and
 * new ports with the same MACs carry the traffic again. close_stale_first: the
 * documented order (close the old ports, then attach new ones); else the old
 * ports are still open while the new ones come up, and closing them at last
 * must leave the new lower alone.
 */
/* Cycles of the documented order; the other order stops after one (stale ports pile up). */
#define UNPLUG_CYCLES 6

/* The books of a lower and its ports, summed over the lowers that came and went. */
struct unplug_books {
	uint64_t missed;            /* imissed of closed ports */
	uint64_t opackets[2];       /* opackets of closed ports, per slot */
	uint64_t rx_at_swap[2];     /* what the slot had read when its current port came */
	uint64_t no_port;           /* lower counters of removed lowers */
	uint64_t lower_rx;
};

/*
 * The lower removed under traffic, its ports' reactions checked, its books
 * taken; the worker is left paused.
 */
static int
unplug_and_check(struct t_env *e, const uint16_t *port, const struct rte_ether_addr *mac,
		 struct unplug_books *bk)
{
	struct rte_pmd_macvtap_lower_stats ls;
	struct rte_eth_stats st;
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	struct rte_mbuf *m;
	uint16_t lower;
	int i, ret;
	/* Log lines so far: each step below must add exactly one. */
	unsigned int logged[3] = {
		t_log_count("the lower was removed"), t_log_count("the lower is gone"),
		t_log_count("no such port"),
	};

	for (i = 0; i < 2; i++) {
		STORE(&lsc_count[port[i]], 0);
		STORE(&rmv_count[port[i]], 0);
	}
	CHECK_EQ(rte_vdev_uninit(e->lower_name), 0, "the lower removed under traffic");
	for (i = 0; i < 2; i++) {
		CHECK_EQ(READ(&rmv_count[port[i]]), 1, "RMV events");
		CHECK(READ(&lsc_count[port[i]]) >= 1, "port %u: no LSC event", port[i]);
		CHECK_EQ(rte_eth_link_get_nowait(port[i], &link), 0, "link");
		CHECK_EQ(link.link_status, RTE_ETH_LINK_DOWN, "link after the removal");
	}
	CHECK_EQ(t_log_count("the lower was removed"), logged[0] + 1, "log lines on the removal");
	/* The worker goes on polling and sending on the dead ports for a while. */
	TRY(tr_wait_loops(&tr, 1000));
	for (i = 0; i < 2; i++)
		CHECK_EQ(rte_ring_count(rte_pmd_macvtap_get_rx_ring(port[i], 0)), 0,
			 "what the port's ring held was read");
	TRY(tr_pause(&tr));

	/* Errors, cleanly, on every path. */
	TRY(mk_frames(&m, 1, &sink_mac, &mac[0], 1));
	ret = rte_eth_tx_burst(port[0], 0, &m, 1);
	rte_pktmbuf_free(m);
	CHECK_EQ(ret, 0, "tx on a removed lower takes nothing");
	CHECK_EQ(rte_eth_rx_burst(port[0], 0, &m, 1), 0, "rx on a removed lower");
	CHECK_EQ(rte_pmd_macvtap_get_lower(port[0], &lower), -ENXIO, "get_lower");
	/* The books of the removed lower and of its ports, before they go. */
	TRY(lower_stats(port[0], &ls));
	TRY(check_lower_drops(&ls, ls.rx_no_port, 0));
	bk->no_port += ls.rx_no_port;
	bk->lower_rx += ls.rx_packets;
	for (i = 0; i < 2; i++) {
		TRY(port_stats(port[i], &st));
		CHECK_EQ(st.ipackets, slot_rx(&tr.slot[i]) - bk->rx_at_swap[i],
			 "ipackets = frames read");
		bk->missed += st.imissed;
		bk->opackets[i] += st.opackets;
	}
	CHECK_EQ(rte_eth_dev_stop(port[0]), 0, "stop after the removal");
	CHECK_EQ(rte_eth_dev_start(port[0]), -ENODEV, "restart with no lower");
	CHECK_EQ(t_log_count("the lower is gone"), logged[1] + 1, "log lines on the failed start");
	/* (A failed configure makes ethdev release the port's queues, counters too.) */
	memset(&conf, 0, sizeof(conf));
	CHECK_EQ(rte_eth_dev_configure(port[0], 1, 1, &conf), -ENODEV, "reconfigure");
	CHECK_EQ(t_log_count("no such port"), logged[2] + 1, "log lines on the failed configure");
	return 0;
}

/*
 * The lower's device removed while two ports forward (a surprise removal:
 * rte_vdev_uninit, as a bus does on unplug). The ports report it: RMV and LSC
 * events, link down, a log line; tx takes nothing, rx gives what was queued
 * then nothing, start and configure fail with -ENODEV, the lower is -ENXIO.
 * Then a new lower of the same name comes on the same wire; the old ports stay
 * dead (documented: they stay until closed, a restart fails with -ENODEV) and
 * new ports with the same MACs carry the traffic again. close_stale_first: the
 * documented order (close the old ports, then attach new ones), several times
 * over; else the old ports are still open while the new ones come up, and
 * stopping and closing them must leave the new lower alone.
 */
static int
lower_unplug(bool close_stale_first)
{
	static struct t_env e;
	struct rte_pmd_macvtap_lower_stats ls;
	struct rte_ether_addr mac[2] = { mac_n(0x20, 1), mac_n(0x20, 2) };
	const char *args[2] = { "mac=02:00:00:00:20:01", "mac=02:00:00:00:20:02,mode=bridge" };
	int cycles = close_stale_first ? UNPLUG_CYCLES : 1;
	struct unplug_books bk;
	uint16_t port[2], old_port[2], lower;
	struct rte_eth_stats st;
	int p[2], i, c, ret;

	memset(&bk, 0, sizeof(bk));
	TRY(t_env_init(&e, 2));
	tr_init(&tr, &e, true);
	for (i = 0; i < 2; i++) {
		TRY(t_add_port(&e, args[i], 1, 1024, &p[i]));
		port[i] = e.ports[p[i]];
		tr_add_slot(&tr, port[i], 1, &mac[i], true);
		TRY(ev_watch(port[i]));
	}
	/* A started port's allmulticast holds a reference on the lower. */
	if (!close_stale_first)
		CHECK_EQ(rte_eth_allmulticast_enable(port[1]), 0, "allmulticast on a port");
	TRY(tr_launch(&tr));
	TRY(tr_wait_progress(&tr, 256));
	TRY(t_log_start());

	for (c = 0; c < cycles; c++) {
		TRY(unplug_and_check(&e, port, mac, &bk));
		memcpy(old_port, port, sizeof(port));
		if (close_stale_first)
			for (i = 0; i < 2; i++)
				TRY(env_remove_port(&e, old_port[i]));

		/* Plugged back: a new device of the same name, on the same wire. */
		ret = rte_eth_from_rings(e.lower_name + strlen("net_ring_"), e.rx, e.nb_q, e.tx,
					 e.nb_q, 0);
		CHECK(ret >= 0, "plug the lower back: %d", ret);
		e.lower = (uint16_t)ret;
		if (!close_stale_first)
			CHECK_EQ(rte_pmd_macvtap_get_lower(old_port[1], &lower), -ENXIO,
				 "a removed lower's port is not bound to the new lower");
		for (i = 0; i < 2; i++) {
			int k;

			if (t_add_port(&e, args[i], 1, 1024, &k) != 0) {
				char why[sizeof(t_fail_reason)];

				memcpy(why, t_fail_reason, sizeof(why));
				snprintf(t_fail_reason, sizeof(t_fail_reason),
					 "a new port on the re-plugged lower%s: %.300s",
					 close_stale_first ? "" : " (old ports still open)", why);
				return -1;
			}
			port[i] = e.ports[k];
			tr.slot[i].port = port[i];
			bk.rx_at_swap[i] = slot_rx(&tr.slot[i]);
			TRY(ev_watch(port[i]));
		}
		if (!close_stale_first) {
			CHECK_EQ(rte_eth_allmulticast_enable(port[0]), 0,
				 "allmulticast on a new port");
			CHECK_EQ(rte_eth_allmulticast_get(e.lower), 1,
				 "the new lower is allmulticast");
			/* The old allmulticast port stops: it stays dead, the lower is not its. */
			CHECK_EQ(rte_eth_dev_stop(old_port[1]), 0, "stop an old port");
			CHECK_EQ(rte_eth_dev_start(old_port[1]), -ENODEV,
				 "a removed lower's port stays dead when a new lower comes");
			CHECK_EQ(rte_eth_allmulticast_get(e.lower), 1,
				 "the new lower's allmulticast (a new port wants it) after an old "
				 "port stopped");
		}
		tr_resume(&tr);
		TRY(tr_wait_progress(&tr, 256));
	}
	TRY(tr_quiesce(&tr));
	tr_stop(&tr);

	/* Every frame sent was read, or counted by one of the lowers. */
	TRY(lower_stats(port[0], &ls));
	TRY(check_lower_drops(&ls, ls.rx_no_port, 0));
	bk.no_port += ls.rx_no_port;
	bk.lower_rx += ls.rx_packets;
	for (i = 0; i < 2; i++) {
		struct tr_slot *s = &tr.slot[i];

		TRY(port_stats(port[i], &st));
		bk.missed += st.imissed;
		CHECK_EQ(s->rx_bad, 0, "misdelivered");
		CHECK_EQ(st.ipackets, slot_rx(s) - bk.rx_at_swap[i], "the last port's ipackets");
		CHECK_EQ(s->tx_sent + s->tx_refused, slot_rx(s), "forwarded or refused");
		CHECK_EQ(bk.opackets[i] + st.opackets, s->tx_sent, "opackets of all its ports");
		CHECK_EQ(tr.wire_by_src[s->src], s->tx_sent, "frames on the wire");
	}
	CHECK(TR_SUM(&tr, generated) == TR_SUM(&tr, rx_unicast) + bk.missed + bk.no_port,
	      "sent %" PRIu64 ", received %" PRIu64 ", ring-full %" PRIu64 ", no port %" PRIu64,
	      TR_SUM(&tr, generated), TR_SUM(&tr, rx_unicast), bk.missed, bk.no_port);
	CHECK_EQ(bk.lower_rx, TR_SUM(&tr, generated), "frames read by the lowers");
	CHECK_EQ(tr.wire_other, 0, "frames on the wire from nobody");

	if (!close_stale_first) {
		struct t_frame got[16];

		for (i = 0; i < 2; i++)
			TRY(env_remove_port(&e, old_port[i]));
		/* The old context must not touch the new lower, which has its id. */
		CHECK_EQ(rte_eth_allmulticast_get(e.lower), 1,
			 "the new lower's allmulticast (a new port wants it) after the old "
			 "ports closed");
		TRY(inject(&e, 0, &mac[0], 1000, 8));
		CHECK_EQ(rx_port(port[0], 1, got, RTE_DIM(got), 8), 8,
			 "a new port after the old ones closed");
	}
	t_log_stop();
	ev_unwatch_all();
	return t_env_fini(&e);
}

static int
lower_unplug_replug(void)
{
	return lower_unplug(true);
}

static int
lower_replug_stale_ports(void)
{
	return lower_unplug(false);
}

static int
test_lower_unplug_replug(void)
{
	return run_under_traffic(lower_unplug_replug);
}

static int
test_lower_replug_stale_ports(void)
{
	return run_under_traffic(lower_replug_stale_ports);
}

/* ---- 3. a port reconfigured while the others forward ---- */

#define RECONF_FRAMES 128

static struct t_frame frames[T_MAX_FRAMES];

/*
 * Send RECONF_FRAMES to a port the main lcore drives, half on each lower
 * queue (even ids on queue 0), and read them all: each once, on the queue the
 * lower queue maps to, tagged with the port.
 */
static int
reconf_rx_check(struct t_env *e, uint16_t port, const struct rte_ether_addr *mac, uint16_t nb_q,
		uint32_t id)
{
	static uint8_t seen[RECONF_FRAMES];
	unsigned int n, i, half = RECONF_FRAMES / 2;

	for (i = 0; i < half; i++) {
		TRY(inject(e, 0, mac, id + 2 * i, 1));
		TRY(inject(e, 1, mac, id + 2 * i + 1, 1));
	}
	n = rx_port(port, nb_q, frames, T_MAX_FRAMES, RECONF_FRAMES);
	CHECK_EQ(n, RECONF_FRAMES, "frames received by the reconfigured port");
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		uint32_t k = frames[i].id - id;

		CHECK(k < RECONF_FRAMES && !seen[k], "frame %u unexpected or twice", frames[i].id);
		seen[k] = 1;
		CHECK_EQ(frames[i].port, port, "mbuf->port");
		CHECK(rte_is_same_ether_addr(&frames[i].dst, mac), "frame to another MAC");
		/* No RSS hash from net_ring: lower queue q goes to queue q % nb_q. */
		CHECK_EQ(frames[i].queue, (k % 2) % nb_q, "queue of a frame");
	}
	return 0;
}

/* Inject n frames to a MAC nobody has, and see them counted by the lower. */
static int
expect_no_port(struct t_env *e, uint16_t any_port, const struct rte_ether_addr *mac,
	       uint32_t id, unsigned int n)
{
	struct rte_pmd_macvtap_lower_stats before, now;
	uint64_t deadline = deadline_ms(3000);

	TRY(lower_stats(any_port, &before));
	TRY(inject(e, 0, mac, id, n / 2));
	TRY(inject(e, 1, mac, id + n / 2, n - n / 2));
	for (;;) {
		TRY(lower_stats(any_port, &now));
		if (now.rx_no_port >= before.rx_no_port + n)
			break;
		CHECK(!past(deadline), "%" PRIu64 " of %u frames to an old MAC counted",
		      now.rx_no_port - before.rx_no_port, n);
		rte_delay_us_sleep(200);
	}
	CHECK_EQ(now.rx_no_port - before.rx_no_port, n, "frames to no port");
	return 0;
}

/* One reconfiguration: queue count, MTU, MAC. */
struct reconf {
	uint16_t nb_q;
	uint16_t mtu;
	uint8_t mac;
};

/*
 * A port stopped, reconfigured (queue count, MTU, MAC) and started again,
 * round after round, and its MAC changed again while it runs, as two others
 * forward on the worker: they lose nothing; the reconfigured port works with
 * its new settings (its new MAC receives on its new queues, its old MAC is no
 * one's and counted as such), errors are refused cleanly (a MAC in use, an MTU
 * above the lower's, configure while started).
 */
static int
port_reconfigure(void)
{
	static struct t_env e;
	static const struct reconf rounds[] = {
		{ 2, 1280, 2 }, { 4, 1500, 3 }, { 1, 1400, 4 }, { 2, 1500, 5 }, { 3, 1000, 6 },
	};
	struct rte_ether_addr mac[2] = { mac_n(0x30, 1), mac_n(0x30, 2) };
	struct rte_ether_addr xmac = mac_n(0x31, 1), newmac, got_mac;
	struct rte_pmd_macvtap_lower_stats ls;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_stats st;
	struct rte_mbuf *m[16];
	uint64_t no_port = 0, injected = 0, x_tx = 0;
	uint16_t x, nb_q = 1, mtu, q;
	uint32_t id = 1u << 24;
	int p[2], k, i, r, ret, x_src[2 * RTE_DIM(rounds) + 1];

	TRY(t_env_init(&e, 2));
	tr_init(&tr, &e, true);
	TRY(t_add_port(&e, "mac=02:00:00:00:30:01", 1, 1024, &p[0]));
	TRY(t_add_port(&e, "mac=02:00:00:00:30:02,mode=bridge", 1, 1024, &p[1]));
	TRY(t_add_port(&e, "mac=02:00:00:00:31:01", 1, 512, &k));
	x = e.ports[k];
	for (i = 0; i < 2; i++)
		tr_add_slot(&tr, e.ports[p[i]], 1, &mac[i], true);
	x_src[0] = tr_add_source(&tr, &xmac);
	for (r = 0; r < (int)RTE_DIM(rounds); r++) {
		newmac = mac_n(0x31, rounds[r].mac);
		x_src[2 * r + 1] = tr_add_source(&tr, &newmac);
		newmac = mac_n(0x32, rounds[r].mac);
		x_src[2 * r + 2] = tr_add_source(&tr, &newmac);
	}
	TRY(tr_launch(&tr));
	TRY(tr_wait_progress(&tr, 128));
	TRY(t_log_start());

	for (r = 0; r < (int)RTE_DIM(rounds); r++) {
		const struct reconf *rc = &rounds[r];

		/* The port works as it is; it sends too. */
		TRY(reconf_rx_check(&e, x, &xmac, nb_q, id));
		id += RECONF_FRAMES;
		injected += RECONF_FRAMES;
		TRY(mk_frames(m, RTE_DIM(m), &sink_mac, &xmac, id));
		ret = rte_eth_tx_burst(x, 0, m, RTE_DIM(m));
		rte_pktmbuf_free_bulk(&m[ret], RTE_DIM(m) - ret);
		CHECK_EQ(ret, RTE_DIM(m), "the port sends");
		x_tx += ret;

		memset(&conf, 0, sizeof(conf));
		CHECK_EQ(rte_eth_dev_configure(x, rc->nb_q, rc->nb_q, &conf), -EBUSY,
			 "configure while started");
		CHECK_EQ(rte_eth_dev_stop(x), 0, "stop");
		/* Stopped: its MAC is no one's. */
		TRY(expect_no_port(&e, e.ports[p[0]], &xmac, id, RECONF_FRAMES));
		id += RECONF_FRAMES;
		injected += RECONF_FRAMES;
		no_port += RECONF_FRAMES;

		CHECK_EQ(rte_eth_dev_configure(x, rc->nb_q, rc->nb_q, &conf), 0, "reconfigure");
		CHECK_EQ(rte_eth_dev_set_mtu(x, 9000), -EINVAL, "an MTU above the lower's");
		CHECK_EQ(rte_eth_dev_set_mtu(x, rc->mtu), 0, "set MTU");
		CHECK_EQ(rte_eth_dev_default_mac_addr_set(x, &mac[0]), -EADDRINUSE,
			 "a sibling's MAC");
		CHECK_EQ(t_log_count("is in use"), r + 1, "log lines for a MAC in use");
		newmac = mac_n(0x31, rc->mac);
		CHECK_EQ(rte_eth_dev_default_mac_addr_set(x, &newmac), 0, "set MAC");
		for (q = 0; q < rc->nb_q; q++) {
			CHECK_EQ(rte_eth_rx_queue_setup(x, q, 256, 0, NULL, t_pool), 0, "rxq");
			CHECK_EQ(rte_eth_tx_queue_setup(x, q, 256, 0, NULL), 0, "txq");
		}
		CHECK_EQ(rte_eth_dev_start(x), 0, "start");

		/* Its new settings, as the application sees them. */
		CHECK_EQ(rte_eth_dev_get_mtu(x, &mtu), 0, "get MTU");
		CHECK_EQ(mtu, rc->mtu, "MTU");
		CHECK_EQ(rte_eth_macaddr_get(x, &got_mac), 0, "get MAC");
		CHECK(rte_is_same_ether_addr(&got_mac, &newmac), "MAC after the restart");
		CHECK_EQ(rte_eth_dev_info_get(x, &info), 0, "info");
		CHECK_EQ(info.nb_rx_queues, rc->nb_q, "RX queues");
		TRY(wait_link(x, RTE_ETH_LINK_UP));
		/* The old MAC is no one's; the new one receives, on the new queues. */
		TRY(expect_no_port(&e, e.ports[p[0]], &xmac, id, RECONF_FRAMES));
		id += RECONF_FRAMES;
		injected += RECONF_FRAMES;
		no_port += RECONF_FRAMES;
		xmac = newmac;
		nb_q = rc->nb_q;
		TRY(port_stats(x, &st));
		CHECK_EQ(st.ipackets + st.imissed, 0, "fresh queues, fresh counters");
		TRY(reconf_rx_check(&e, x, &xmac, nb_q, id));
		id += RECONF_FRAMES;
		injected += RECONF_FRAMES;
		TRY(port_stats(x, &st));
		CHECK_EQ(st.ipackets, RECONF_FRAMES, "ipackets after the restart");
		CHECK_EQ(st.imissed, 0, "imissed after the restart");

		/* A MAC change on the running port: the old one is no one's at once. */
		newmac = mac_n(0x32, rc->mac);
		CHECK_EQ(rte_eth_dev_default_mac_addr_set(x, &newmac), 0, "set MAC, started");
		TRY(expect_no_port(&e, e.ports[p[0]], &xmac, id, RECONF_FRAMES));
		id += RECONF_FRAMES;
		injected += RECONF_FRAMES;
		no_port += RECONF_FRAMES;
		xmac = newmac;
		TRY(reconf_rx_check(&e, x, &xmac, nb_q, id));
		id += RECONF_FRAMES;
		injected += RECONF_FRAMES;
	}
	TRY(mk_frames(m, RTE_DIM(m), &sink_mac, &xmac, id));
	ret = rte_eth_tx_burst(x, (uint16_t)(nb_q - 1), m, RTE_DIM(m));
	rte_pktmbuf_free_bulk(&m[ret], RTE_DIM(m) - ret);
	CHECK_EQ(ret, RTE_DIM(m), "the port sends on its last queue");
	x_tx += ret;

	TRY(tr_quiesce(&tr));
	tr_stop(&tr);
	for (i = 0; i < 2; i++)
		TRY(tr_check_slot(&tr, i, 0));
	{
		uint64_t x_wire = 0;

		for (r = 0; r < (int)RTE_DIM(x_src); r++)
			x_wire += tr.wire_by_src[x_src[r]];
		CHECK_EQ(x_wire, x_tx, "frames the reconfigured port sent, on the wire");
	}
	CHECK_EQ(tr.wire_other, 0, "frames on the wire from nobody");
	TRY(lower_stats(x, &ls));
	CHECK_EQ(ls.rx_packets, TR_SUM(&tr, generated) + injected, "frames the lower read");
	TRY(check_lower_drops(&ls, no_port, 0));
	t_log_stop();
	return t_env_fini(&e);
}

static int
test_port_reconfigure(void)
{
	return run_under_traffic(port_reconfigure);
}

/* ---- 4. attach/detach in a loop ---- */

#define LOOP_DEFAULT_ROUNDS 10000
#define LOOP_BASELINE_ROUND 10   /* state after this round is the reference */
#define LOOP_LOWER_CYCLE 100     /* every this many rounds, the port is alone on a lower */
#define LOOP_UNICAST 4

/* What must not grow. */
struct footprint {
	unsigned int alloc_count;
	size_t heap_allocsz_bytes;
	unsigned int mempools;
	unsigned int memzones;
	unsigned int test_pool_in_use;
	size_t libc_in_use;
};

static void
footprint_take(struct footprint *f)
{
	struct rte_malloc_socket_stats ms;
	struct mallinfo2 mi = mallinfo2();

	rte_malloc_get_socket_stats(0, &ms);
	memset(f, 0, sizeof(*f));
	f->alloc_count = ms.alloc_count;
	f->heap_allocsz_bytes = ms.heap_allocsz_bytes;
	f->mempools = t_count_mempools();
	f->memzones = t_count_memzones();
	f->test_pool_in_use = rte_mempool_in_use_count(t_pool);
	f->libc_in_use = mi.uordblks;
}

static unsigned int
loop_rounds(void)
{
	const char *s = getenv("MACVTAP_FAULT_ROUNDS");
	unsigned long n;
	char *end;

	if (s == NULL || s[0] == '\0')
		return LOOP_DEFAULT_ROUNDS;
	n = strtoul(s, &end, 10);
	if (*end != '\0' || n == 0 || n > 100000000)
		return LOOP_DEFAULT_ROUNDS;
	return (unsigned int)n;
}

/*
 * One round: probe, configure (1 or 2 queues), start, traffic both ways
 * (unicast on both lower queues, a broadcast, two frames sent), stop, close,
 * remove; the port is a new one each time (mode and queue count vary).
 */
static int
loop_round(struct t_env *e, unsigned int round, bool alone, const struct rte_ether_addr *xmac)
{
	static const char *name = "net_macvtap_loop";
	char args[160], mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_mbuf *m[2];
	uint16_t x, nb_q = 1 + round % 2, q;
	unsigned int n, i, uc = 0, bc = 0;
	uint32_t id = round * 8;
	int ret;

	rte_ether_format_addr(mac, sizeof(mac), xmac);
	snprintf(args, sizeof(args), "iface=%s,mac=%s,mode=%s", e->lower_name, mac,
		 round % 3 == 0 ? "bridge" : round % 3 == 1 ? "vepa" : "private");
	ret = rte_vdev_init(name, args);
	CHECK(ret == 0, "round %u: probe: %d", round, ret);
	CHECK(rte_eth_dev_get_port_by_name(name, &x) == 0, "round %u: port id", round);
	ret = t_port_setup(x, nb_q, 256);
	if (ret == 0) {
		for (i = 0; i < LOOP_UNICAST; i++)
			if (inject(e, i % 2, xmac, id + i, 1) != 0)
				ret = -1;
		if (ret == 0 && inject(e, 0, &bcast_mac, id + LOOP_UNICAST, 1) != 0)
			ret = -1;
	}
	if (ret == 0) {
		n = rx_port(x, nb_q, frames, T_MAX_FRAMES, LOOP_UNICAST + 1);
		for (i = 0; i < n; i++) {
			if (frames[i].port != x || frames[i].id - id > LOOP_UNICAST)
				ret = -1;
			else if (rte_is_same_ether_addr(&frames[i].dst, xmac) &&
				 frames[i].queue == (frames[i].id - id) % 2 % nb_q)
				uc++;
			else if (rte_is_broadcast_ether_addr(&frames[i].dst))
				bc++;
			else
				ret = -1;
		}
		if (ret != 0 || uc != LOOP_UNICAST || bc != 1)
			snprintf(t_fail_reason, sizeof(t_fail_reason),
				 "round %u%s: %u frames, %u unicast, %u broadcast", round,
				 alone ? " (alone on a lower)" : "", n, uc, bc);
		if (uc != LOOP_UNICAST || bc != 1)
			ret = -1;
	}
	if (ret == 0 && mk_frames(m, 2, &sink_mac, xmac, id) == 0) {
		q = (uint16_t)(nb_q - 1);
		n = rte_eth_tx_burst(x, q, m, 2);
		rte_pktmbuf_free_bulk(&m[n], 2 - n);
		if (n != 2) {
			snprintf(t_fail_reason, sizeof(t_fail_reason), "round %u: sent %u of 2",
				 round, n);
			ret = -1;
		}
	}
	/* Detach as an application does, whatever happened. */
	rte_eth_dev_stop(x);
	CHECK(rte_eth_dev_close(x) == 0, "round %u: close", round);
	CHECK(rte_vdev_uninit(name) == 0, "round %u: remove", round);
	return ret;
}

/* Read and free what a lower nobody else reads sent; count frames from src. */
static unsigned int
drain_wire_from(struct t_env *e, const struct rte_ether_addr *src)
{
	unsigned int n, total = 0, i;

	n = t_wire(e, frames, T_MAX_FRAMES);
	for (i = 0; i < n; i++)
		total += rte_is_same_ether_addr(&frames[i].src, src);
	return total;
}

/*
 * Ports attached and detached a thousand times (probe, configure, start,
 * traffic, stop, close, remove) while another port forwards on the worker;
 * every hundredth round the port is alone on a second lower, which the driver
 * then configures, starts and gives back each time. Nothing may grow:
 * rte_malloc (count and bytes), mempools, memzones, the libc heap, mbufs in
 * use all as after the first rounds; every frame accounted for.
 */
static int
attach_detach_loop(void)
{
	static struct t_env e, e2;
	struct rte_ether_addr amac = mac_n(0x40, 1), xmac = mac_n(0x41, 1);
	struct footprint base, now;
	struct rte_pmd_macvtap_lower_stats ls;
	struct rte_mempool *mp;
	unsigned int rounds = loop_rounds(), r, shared_rounds = 0, alone_rounds = 0;
	unsigned int alone_wire = 0;
	uint64_t x_wire;
	int a, x_src;

	TRY(t_env_init(&e2, 2));
	extra_env = &e2;
	TRY(t_env_init(&e, 2));
	tr_init(&tr, &e, true);
	TRY(t_add_port(&e, "mac=02:00:00:00:40:01", 1, 1024, &a));
	tr_add_slot(&tr, e.ports[a], 1, &amac, true);
	x_src = tr_add_source(&tr, &xmac);
	TRY(tr_launch(&tr));
	TRY(tr_wait_progress(&tr, 64));

	memset(&base, 0, sizeof(base));
	for (r = 0; r < rounds; r++) {
		bool alone = r % LOOP_LOWER_CYCLE == 1;

		TRY(loop_round(alone ? &e2 : &e, r, alone, &xmac));
		if (alone) {
			alone_wire += drain_wire_from(&e2, &xmac);
			alone_rounds++;
		} else {
			shared_rounds++;
		}
		if (r == RTE_MIN((unsigned int)LOOP_BASELINE_ROUND, rounds - 1)) {
			/* The test pool's in-use count needs the worker's frames settled. */
			TRY(tr_quiesce(&tr));
			footprint_take(&base);
			tr_generating(&tr, true);
		}
	}
	TRY(tr_quiesce(&tr));
	footprint_take(&now);
	CHECK_EQ(now.alloc_count, base.alloc_count, "rte_malloc allocations");
	CHECK_EQ(now.heap_allocsz_bytes, base.heap_allocsz_bytes, "rte_malloc bytes");
	CHECK_EQ(now.mempools, base.mempools, "mempools");
	CHECK_EQ(now.memzones, base.memzones, "memzones");
	CHECK_EQ(now.test_pool_in_use, base.test_pool_in_use, "test pool mbufs in use");
	/* The libc heap: a leak of a few bytes a round would show; alarms come and go. */
	CHECK(now.libc_in_use <= base.libc_in_use + 16384,
	      "libc heap grew from %zu to %zu bytes over %u rounds", base.libc_in_use,
	      now.libc_in_use, rounds);
	mp = rte_pmd_macvtap_get_lower_mempool(e.ports[a]);
	CHECK(mp != NULL && rte_mempool_full(mp), "the lower's pool full");
	tr_stop(&tr);
	fprintf(stderr, "  %u rounds (%u alone on a lower); rte_malloc %u allocations, %zu "
		"bytes; %u mempools, %u memzones; libc heap %zu -> %zu bytes\n", rounds,
		alone_rounds, now.alloc_count, now.heap_allocsz_bytes, now.mempools, now.memzones,
		base.libc_in_use, now.libc_in_use);

	TRY(tr_check_slot(&tr, 0, shared_rounds));
	x_wire = tr.wire_by_src[x_src];
	CHECK_EQ(x_wire, 2 * shared_rounds, "frames the attached ports sent, on the wire");
	CHECK_EQ(alone_wire, 2 * alone_rounds, "frames sent on the second lower");
	CHECK_EQ(tr.wire_other, 0, "frames on the wire from nobody");
	TRY(lower_stats(e.ports[a], &ls));
	CHECK_EQ(ls.rx_packets, TR_SUM(&tr, generated) + (LOOP_UNICAST + 1) * shared_rounds,
		 "frames the lower read");
	TRY(check_lower_drops(&ls, 0, 0));
	TRY(t_env_fini(&e));
	extra_env = NULL;
	return t_env_fini(&e2);
}

static int
test_attach_detach_loop(void)
{
	return run_under_traffic(attach_detach_loop);
}

/* ---- 5. the broadcast copy pool exhausted ---- */

#define BC_PORTS 12
#define BC_FRAMES 64

/*
 * Inject BC_FRAMES broadcasts (both lower queues) and wait until all were
 * handled; *delivered: broadcasts the ports read, *failed: copies the lower
 * counted as not made.
 */
static int
bcast_phase(struct t_env *e, uint16_t any_port, uint32_t id, uint64_t *delivered,
	    uint64_t *failed)
{
	struct rte_pmd_macvtap_lower_stats before, after;
	uint64_t rx_before = TR_SUM(&tr, rx_broadcast);

	TRY(lower_stats(any_port, &before));
	TRY(inject(e, 0, &bcast_mac, id, BC_FRAMES / 2));
	TRY(inject(e, 1, &bcast_mac, id + BC_FRAMES / 2, BC_FRAMES / 2));
	TRY(tr_quiesce(&tr));
	TRY(lower_stats(any_port, &after));
	*delivered = TR_SUM(&tr, rx_broadcast) - rx_before;
	*failed = after.rx_copy_failed - before.rx_copy_failed;
	CHECK_EQ(after.rx_packets - before.rx_packets, BC_FRAMES, "broadcasts the lower read");
	return 0;
}

/* Give mbufs back to a pool's common store, where any lcore finds them. */
static void
pool_put(struct rte_mempool *mp, struct rte_mbuf **m, unsigned int n)
{
	rte_pktmbuf_free_bulk(m, n);
	rte_mempool_cache_flush(rte_mempool_default_cache(mp, rte_lcore_id()), mp);
}

/*
 * Broadcast copies come from the driver's lower pool
 * (rte_pmd_macvtap_get_lower_mempool, macvlan_rx.c copy_frames); the frame
 * itself goes to the last recipient. With that pool empty, each broadcast
 * reaches one port and the other copies are counted (lower_rx_copy_failed);
 * with a few mbufs, some copies are made and the rest counted; once the mbufs
 * are back, every port gets every broadcast again. The worker reads all the
 * ports throughout.
 */
static struct rte_mbuf *held[65536];
static unsigned int nb_held;

static int
bcast_exhaustion(void)
{
	static struct t_env e;
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	struct rte_pmd_macvtap_lower_stats ls;
	uint64_t delivered, failed, total_delivered = 0, total_failed = 0, rx[BC_PORTS];
	unsigned int avail, give, i;
	uint32_t id = 1;
	char args[64];
	int p;

	TRY(t_env_init(&e, 2));
	tr_init(&tr, &e, false);
	for (i = 0; i < BC_PORTS; i++) {
		mac = mac_n(0x50, i + 1);
		snprintf(args, sizeof(args), "mac=02:00:00:00:50:%02x%s", i + 1,
			 i % 3 == 1 ? ",mode=bridge" : i % 3 == 2 ? ",mode=private" : "");
		TRY(t_add_port(&e, args, 1, 1024, &p));
		tr_add_slot(&tr, e.ports[p], 1, &mac, false);
	}
	mp = rte_pmd_macvtap_get_lower_mempool(e.ports[0]);
	CHECK(mp != NULL, "the lower's pool: %d", rte_errno);
	nb_held = 0;
	TRY(tr_launch(&tr));

	/* Plenty of mbufs: every port gets every broadcast. */
	TRY(bcast_phase(&e, e.ports[0], id, &delivered, &failed));
	id += BC_FRAMES;
	CHECK_EQ(delivered, BC_FRAMES * BC_PORTS, "broadcasts delivered");
	CHECK_EQ(failed, 0, "copies failed");
	total_delivered += delivered;

	/* The pool empty: not a single mbuf on any lcore. */
	TRY(tr_pause(&tr));
	rte_mempool_cache_flush(rte_mempool_default_cache(mp, tr.lcore), mp);
	while ((avail = rte_mempool_avail_count(mp)) != 0 && nb_held < RTE_DIM(held)) {
		unsigned int k = RTE_MIN(RTE_MIN(avail, 64u),
					 (unsigned int)RTE_DIM(held) - nb_held);

		if (rte_pktmbuf_alloc_bulk(mp, &held[nb_held], k) == 0) {
			nb_held += k;
		} else {
			held[nb_held] = rte_pktmbuf_alloc(mp);
			if (held[nb_held] == NULL)
				break;
			nb_held++;
		}
	}
	tr_resume(&tr);
	CHECK_EQ(rte_mempool_avail_count(mp), 0, "mbufs left in the lower's pool");
	TRY(bcast_phase(&e, e.ports[0], id, &delivered, &failed));
	id += BC_FRAMES;
	CHECK_EQ(delivered, BC_FRAMES, "broadcasts delivered with no mbuf for copies");
	CHECK_EQ(failed, BC_FRAMES * (BC_PORTS - 1), "copies counted as failed");
	total_delivered += delivered;
	total_failed += failed;

	/* A few mbufs: some copies, the rest counted; they cycle through the ports. */
	give = BC_PORTS / 2;
	nb_held -= give;
	pool_put(mp, &held[nb_held], give);
	TRY(bcast_phase(&e, e.ports[0], id, &delivered, &failed));
	id += BC_FRAMES;
	CHECK(delivered + failed == BC_FRAMES * BC_PORTS,
	      "%" PRIu64 " delivered + %" PRIu64 " failed, want %u", delivered, failed,
	      BC_FRAMES * BC_PORTS);
	CHECK(failed > 0 && delivered >= BC_FRAMES + give,
	      "with %u mbufs: %" PRIu64 " delivered, %" PRIu64 " failed", give, delivered, failed);
	total_delivered += delivered;
	total_failed += failed;

	/* All back: every port gets every broadcast again. */
	pool_put(mp, held, nb_held);
	nb_held = 0;
	for (i = 0; i < BC_PORTS; i++)
		rx[i] = READ(&tr.slot[i].rx_broadcast);
	TRY(bcast_phase(&e, e.ports[0], id, &delivered, &failed));
	CHECK_EQ(delivered, BC_FRAMES * BC_PORTS, "broadcasts delivered once the mbufs are back");
	CHECK_EQ(failed, 0, "copies failed once the mbufs are back");
	for (i = 0; i < BC_PORTS; i++)
		CHECK_EQ(READ(&tr.slot[i].rx_broadcast) - rx[i], BC_FRAMES, "broadcasts per port");
	total_delivered += delivered;

	tr_stop(&tr);
	CHECK(rte_mempool_full(mp), "the lower's pool: %u mbufs missing",
	      rte_mempool_in_use_count(mp));
	for (i = 0; i < BC_PORTS; i++) {
		struct rte_eth_stats st;

		TRY(port_stats(tr.slot[i].port, &st));
		CHECK_EQ(tr.slot[i].rx_bad + tr.slot[i].rx_unicast, 0, "misdelivered");
		CHECK_EQ(st.ipackets, tr.slot[i].rx_broadcast, "ipackets");
		CHECK_EQ(t_xstat(tr.slot[i].port, "rx_broadcast_packets"), tr.slot[i].rx_broadcast,
			 "rx_broadcast_packets");
		CHECK_EQ(st.imissed, 0, "imissed");
	}
	CHECK_EQ(TR_SUM(&tr, rx_broadcast), total_delivered, "broadcasts read");
	TRY(lower_stats(e.ports[0], &ls));
	TRY(check_lower_drops(&ls, 0, total_failed));
	CHECK_EQ(t_xstat(e.ports[0], "lower_rx_copy_failed"), total_failed, "lower_rx_copy_failed");
	CHECK_EQ(ls.rx_packets, 4 * BC_FRAMES, "broadcasts the lower read");
	CHECK_EQ(total_delivered + total_failed, 4 * BC_FRAMES * BC_PORTS,
		 "every copy delivered or counted");
	return t_env_fini(&e);
}

static int
test_bcast_exhaustion(void)
{
	int ret = run_under_traffic(bcast_exhaustion);

	/* After a failure: the pool back full, so that the driver can free it. */
	rte_pktmbuf_free_bulk(held, nb_held);
	nb_held = 0;
	return ret;
}

/* ---- 6. full rings ---- */

#define SMALL_RING 64
#define FLOOD 1000

/*
 * A port nobody reads, with a ring of SMALL_RING frames, flooded while two
 * others forward: its ring keeps the first SMALL_RING (tail drop, in order),
 * every other frame is counted (imissed, rx_ring_full_dropped), exactly; the
 * other ports lose nothing; read again, the port works.
 */
static int
rx_ring_full(void)
{
	static struct t_env e;
	struct rte_ether_addr mac[2] = { mac_n(0x60, 1), mac_n(0x60, 2) };
	struct rte_ether_addr cmac = mac_n(0x61, 1);
	struct rte_pmd_macvtap_lower_stats ls;
	struct rte_eth_stats st;
	uint64_t deadline;
	unsigned int n, i;
	uint16_t c;
	int p[2], k;

	TRY(t_env_init(&e, 2));
	tr_init(&tr, &e, true);
	TRY(t_add_port(&e, "mac=02:00:00:00:60:01", 1, 1024, &p[0]));
	TRY(t_add_port(&e, "mac=02:00:00:00:60:02,mode=bridge", 1, 1024, &p[1]));
	TRY(t_add_port(&e, "mac=02:00:00:00:61:01", 1, SMALL_RING, &k));
	c = e.ports[k];
	for (i = 0; i < 2; i++)
		tr_add_slot(&tr, e.ports[p[i]], 1, &mac[i], true);
	TRY(tr_launch(&tr));
	TRY(tr_wait_progress(&tr, 128));

	/* One lower queue: one poller at a time, so arrival order is ring order. */
	TRY(inject(&e, 0, &cmac, 0, FLOOD));
	deadline = deadline_ms(5000);
	for (;;) {
		TRY(port_stats(c, &st));
		if (st.ipackets + st.imissed >= FLOOD)
			break;
		CHECK(!past(deadline), "%" PRIu64 " of %u frames to the full port handled",
		      st.ipackets + st.imissed, FLOOD);
		rte_delay_us_sleep(500);
	}
	CHECK_EQ(st.ipackets, SMALL_RING, "frames queued in the full ring");
	CHECK_EQ(st.imissed, FLOOD - SMALL_RING, "imissed: tail drops");
	CHECK_EQ(t_xstat(c, "rx_ring_full_dropped"), FLOOD - SMALL_RING, "rx_ring_full_dropped");
	CHECK_EQ(st.q_errors[0], FLOOD - SMALL_RING, "queue 0 errors");
	CHECK_EQ(rte_ring_count(rte_pmd_macvtap_get_rx_ring(c, 0)), SMALL_RING, "ring count");
	/* The others keep going meanwhile. */
	TRY(tr_wait_progress(&tr, 128));

	/* The oldest frames were kept, in order. */
	n = rx_port(c, 1, frames, T_MAX_FRAMES, SMALL_RING);
	CHECK_EQ(n, SMALL_RING, "frames read from the full port");
	for (i = 0; i < n; i++)
		CHECK_EQ(frames[i].id, i, "frame kept by tail drop");
	/* Read again, it works. */
	TRY(inject(&e, 1, &cmac, FLOOD, 16));
	n = rx_port(c, 1, frames, T_MAX_FRAMES, 16);
	CHECK_EQ(n, 16, "frames once the port is read again");
	for (i = 0; i < n; i++)
		CHECK_EQ(frames[i].id, FLOOD + i, "frame after the drops");

	TRY(tr_quiesce(&tr));
	tr_stop(&tr);
	for (i = 0; i < 2; i++) {
		TRY(tr_check_slot(&tr, i, 0));
		TRY(port_stats(tr.slot[i].port, &st));
		CHECK_EQ(st.imissed, 0, "a port that is read loses nothing");
	}
	CHECK_EQ(tr.wire_other, 0, "frames on the wire from nobody");
	TRY(port_stats(c, &st));
	CHECK_EQ(st.ipackets + st.imissed, FLOOD + 16, "frames to the full port");
	TRY(lower_stats(c, &ls));
	CHECK_EQ(ls.rx_packets, TR_SUM(&tr, generated) + FLOOD + 16, "frames the lower read");
	TRY(check_lower_drops(&ls, 0, 0));
	return t_env_fini(&e);
}

static int
test_rx_ring_full(void)
{
	return run_under_traffic(rx_ring_full);
}

/* Send n frames from a port the main lcore drives; returns what the burst took. */
static int
send_n(uint16_t port, const struct rte_ether_addr *src, const struct rte_ether_addr *dst,
       unsigned int n, uint16_t *taken)
{
	struct rte_mbuf *m[BURST];

	TRY(mk_frames(m, n, dst, src, 0));
	*taken = rte_eth_tx_burst(port, 0, m, (uint16_t)n);
	/* What the burst did not take is still the caller's. */
	rte_pktmbuf_free_bulk(&m[*taken], n - *taken);
	return 0;
}

/*
 * The lower's TX ring full (the wire stalls) while a port forwards on the
 * worker. As documented: a vepa port without spoofchk keeps the lower's
 * backpressure (the tx burst returns fewer, the caller keeps the rest, nothing
 * counted as dropped); bridge and spoofchk ports consume every frame and count
 * the ones the lower refused (tx_lower_dropped, oerrors); bridge-local
 * delivery does not need the wire. Once the wire drains, sending works again,
 * and what is on the wire is what the ports counted as sent.
 */
static int
lower_tx_full(void)
{
	static struct t_env e;
	struct rte_ether_addr amac = mac_n(0x70, 1), vmac = mac_n(0x71, 1);
	struct rte_ether_addr smac = mac_n(0x71, 2), b1mac = mac_n(0x71, 3);
	struct rte_ether_addr b2mac = mac_n(0x71, 4);
	struct rte_eth_stats st;
	uint64_t deadline, v_sent = 0, refused_before;
	uint16_t v, s, b1, b2, taken;
	int k, src_v, src_s, src_b1;
	unsigned int n;

	TRY(t_env_init(&e, 2));
	tr_init(&tr, &e, true);
	TRY(t_add_port(&e, "mac=02:00:00:00:70:01", 1, 1024, &k));
	tr_add_slot(&tr, e.ports[k], 1, &amac, true);
	TRY(t_add_port(&e, "mac=02:00:00:00:71:01", 1, 0, &k));
	v = e.ports[k];
	TRY(t_add_port(&e, "mac=02:00:00:00:71:02,spoofchk=1", 1, 0, &k));
	s = e.ports[k];
	TRY(t_add_port(&e, "mac=02:00:00:00:71:03,mode=bridge", 1, 0, &k));
	b1 = e.ports[k];
	TRY(t_add_port(&e, "mac=02:00:00:00:71:04,mode=bridge", 1, 0, &k));
	b2 = e.ports[k];
	src_v = tr_add_source(&tr, &vmac);
	src_s = tr_add_source(&tr, &smac);
	src_b1 = tr_add_source(&tr, &b1mac);
	tr_add_source(&tr, &b2mac);
	TRY(tr_launch(&tr));
	TRY(tr_wait_progress(&tr, 128));

	/* The wire stalls: nobody reads the lower's TX ring; it fills. */
	STORE(&tr.drain_wire, 0);
	TRY(tr_wait_loops(&tr, 2));
	deadline = deadline_ms(5000);
	do {
		TRY(send_n(v, &vmac, &sink_mac, BURST, &taken));
		v_sent += taken;
		CHECK(!past(deadline), "the lower's TX ring does not fill");
	} while (taken == BURST || rte_ring_free_count(e.tx[0]) != 0);
	refused_before = READ(&tr.slot[0].tx_refused);
	TRY(tr_wait_progress(&tr, 64));
	CHECK(READ(&tr.slot[0].tx_refused) > refused_before,
	      "the forwarding port's tx burst takes frames with the wire full");

	/* vepa: backpressure, the caller keeps the frames, nothing dropped. */
	TRY(send_n(v, &vmac, &sink_mac, BURST, &taken));
	CHECK_EQ(taken, 0, "vepa tx with the wire full");
	TRY(port_stats(v, &st));
	CHECK_EQ(st.opackets, v_sent, "vepa opackets");
	CHECK_EQ(st.oerrors, 0, "vepa oerrors");
	CHECK_EQ(t_xstat(v, "tx_lower_dropped"), 0, "vepa tx_lower_dropped");
	/* spoofchk: consumed, counted. */
	TRY(send_n(s, &smac, &sink_mac, 16, &taken));
	CHECK_EQ(taken, 16, "spoofchk tx consumes");
	TRY(port_stats(s, &st));
	CHECK_EQ(st.opackets, 0, "spoofchk opackets");
	CHECK_EQ(st.oerrors, 16, "spoofchk oerrors");
	CHECK_EQ(t_xstat(s, "tx_lower_dropped"), 16, "spoofchk tx_lower_dropped");
	/* bridge to the wire: consumed, counted; bridge to a sibling: delivered. */
	TRY(send_n(b1, &b1mac, &sink_mac, 16, &taken));
	CHECK_EQ(taken, 16, "bridge tx to the wire consumes");
	TRY(send_n(b1, &b1mac, &b2mac, 16, &taken));
	CHECK_EQ(taken, 16, "bridge tx to a sibling");
	TRY(port_stats(b1, &st));
	CHECK_EQ(st.opackets, 16, "bridge opackets: the local ones");
	CHECK_EQ(st.oerrors, 16, "bridge oerrors");
	CHECK_EQ(t_xstat(b1, "tx_lower_dropped"), 16, "bridge tx_lower_dropped");
	CHECK_EQ(t_xstat(b1, "tx_local_packets"), 16, "bridge tx_local_packets");
	n = rx_port(b2, 1, frames, T_MAX_FRAMES, 16);
	CHECK_EQ(n, 16, "bridge-local frames received with the wire full");

	/* The wire drains: sending works again. */
	STORE(&tr.drain_wire, 1);
	deadline = deadline_ms(5000);
	while (rte_ring_count(e.tx[0]) != 0) {
		CHECK(!past(deadline), "the wire does not drain");
		rte_delay_us_sleep(500);
	}
	TRY(send_n(v, &vmac, &sink_mac, BURST, &taken));
	CHECK_EQ(taken, BURST, "vepa tx once the wire drained");
	v_sent += taken;

	TRY(tr_quiesce(&tr));
	tr_stop(&tr);
	TRY(tr_check_slot(&tr, 0, 0));
	CHECK(tr.slot[0].tx_refused > 0, "no refusal seen by the forwarding port");
	TRY(port_stats(v, &st));
	CHECK_EQ(st.opackets, v_sent, "vepa opackets");
	CHECK_EQ(tr.wire_by_src[src_v], v_sent, "vepa frames on the wire");
	CHECK_EQ(tr.wire_by_src[src_s], 0, "spoofchk frames on the wire");
	CHECK_EQ(tr.wire_by_src[src_b1], 0, "bridge frames on the wire");
	CHECK_EQ(tr.wire_other, 0, "frames on the wire from nobody");
	return t_env_fini(&e);
}

static int
test_lower_tx_full(void)
{
	return run_under_traffic(lower_tx_full);
}

static const struct t_test tests[] = {
	{ "link_flap", test_link_flap, 0 },
	{ "lower_unplug_replug", test_lower_unplug_replug, 0 },
	{ "lower_replug_stale_ports", test_lower_replug_stale_ports, 0 },
	{ "port_reconfigure", test_port_reconfigure, 0 },
	{ "attach_detach_loop", test_attach_detach_loop, 0 },
	{ "bcast_exhaustion", test_bcast_exhaustion, 0 },
	{ "rx_ring_full", test_rx_ring_full, 0 },
	{ "lower_tx_full", test_lower_tx_full, 0 },
};

int
main(int argc, char **argv)
{
	return t_main(argc, argv, "test_faults", tests, RTE_DIM(tests));
}

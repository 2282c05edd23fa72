/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Functional tests of net_macvtap through a real lower (net_ring built from
 * rings): the delivery matrices A, B and C of the kernel behaviour spec,
 * filters, queues, counters, bad devargs, hot attach/detach, lower events. Each
 * test ends with the mempools full and the rte_malloc heap as it was.
 *
 * Run: test_macvtap <EAL args> [-- test-name-substring]
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "harness.h"
#include "nicsim.h"
#include "rte_pmd_macvtap.h"

#define EXT "02:ee:00:00:00:01"    /* a host on the wire */
#define BCAST "ff:ff:ff:ff:ff:ff"
#define GROUP "01:00:5e:00:00:01"
#define GROUP2 "01:00:5e:00:00:02"
#define UNKNOWN "02:99:00:00:00:99"

static struct t_frame rx[T_MAX_FRAMES], wire[T_MAX_FRAMES];

#define BIT(i) (1u << (i))

/* Inject one frame from the wire; check who got it, and that it did not go back out. */
static int
expect_rx(struct t_env *e, const char *dst, const char *src, uint32_t id, uint32_t want)
{
	unsigned int n, copies;
	uint32_t got;

	TRY(t_inject1(e, dst, src, id));
	n = t_collect(e, rx, T_MAX_FRAMES);
	got = t_receivers(e, rx, n, id, &copies);
	CHECK(got == want, "frame %u dst %s src %s: receivers 0x%x, want 0x%x", id, dst, src,
	      got, want);
	CHECK_EQ(copies, __builtin_popcount(want), "copies delivered");
	CHECK_EQ(t_wire(e, wire, T_MAX_FRAMES), 0, "frames sent to the wire by RX");
	return 0;
}

static uint64_t
lower_stat(uint16_t port, size_t offset)
{
	struct rte_pmd_macvtap_lower_stats s;

	if (rte_pmd_macvtap_get_lower_stats(port, &s) != 0)
		return UINT64_MAX;
	return *(uint64_t *)((char *)&s + offset);
}
#define LOWER_STAT(port, field) \
	lower_stat(port, offsetof(struct rte_pmd_macvtap_lower_stats, field))

/* ---- Matrix A: frames from the wire with an external source ---- */

static int
test_matrix_a(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	struct rte_ether_addr g = t_mac(GROUP);
	int pr, ve, br, so, dn, ve2;
	uint64_t no_port, no_listener, pause, filtered;
	struct rte_mbuf *m;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:10,mode=private", 1, 0, &pr));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:11,mode=vepa", 1, 0, &ve));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:12,mode=bridge", 1, 0, &br));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:13,mode=source,source=[02:aa:00:00:00:01]", 1, 0,
		       &so));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:14,mode=vepa", 1, 0, &dn));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:15", 1, 0, &ve2));
	CHECK_EQ(rte_pmd_macvtap_get_mode(e.ports[ve2]), RTE_PMD_MACVTAP_MODE_VEPA,
		 "default mode");
	CHECK_EQ(rte_eth_dev_stop(e.ports[dn]), 0, "stop");

	/* A1: unicast to an UP private/vepa/bridge port reaches it alone. */
	TRY(expect_rx(&e, "02:00:00:00:00:10", EXT, 1, BIT(pr)));
	TRY(expect_rx(&e, "02:00:00:00:00:11", EXT, 2, BIT(ve)));
	TRY(expect_rx(&e, "02:00:00:00:00:12", EXT, 3, BIT(br)));
	/*
	 * A2, A3, A4: a source port's MAC, unknown, the lower's, a DOWN port:
	 * nobody. Counted by the driver, or by a NIC lower's filter, which
	 * passes only the UP ports' MACs.
	 */
	no_port = LOWER_STAT(e.ports[ve], rx_no_port);
	filtered = t_lower_filtered(&e);
	TRY(expect_rx(&e, "02:00:00:00:00:13", EXT, 4, 0));
	TRY(expect_rx(&e, UNKNOWN, EXT, 5, 0));
	TRY(expect_rx(&e, "02:00:00:00:00:14", EXT, 6, 0));
	CHECK_EQ(LOWER_STAT(e.ports[ve], rx_no_port) + t_lower_filtered(&e), no_port + filtered + 3,
		 "unknown unicast counted");
	CHECK_EQ(t_xstat(e.ports[ve], "lower_rx_no_port_dropped"),
		 LOWER_STAT(e.ports[ve], rx_no_port), "xstat lower_rx_no_port_dropped");
	/* A6: broadcast to every UP private, vepa, bridge port; not source, not DOWN. */
	TRY(expect_rx(&e, BCAST, EXT, 7, BIT(pr) | BIT(ve) | BIT(br) | BIT(ve2)));
	/* A8: a group nobody joined: nobody, counted (by a NIC lower's multicast filter). */
	no_listener = LOWER_STAT(e.ports[ve], rx_no_listener);
	filtered = t_lower_filtered(&e);
	TRY(expect_rx(&e, GROUP, EXT, 8, 0));
	CHECK_EQ(LOWER_STAT(e.ports[ve], rx_no_listener) + t_lower_filtered(&e),
		 no_listener + filtered + 1, "no listener counted");
	/* A7: joined (vepa), allmulticast (bridge), promiscuous (private) ports get it. */
	CHECK_EQ(rte_eth_dev_set_mc_addr_list(e.ports[ve], &g, 1), 0, "mc list");
	TRY(expect_rx(&e, GROUP, EXT, 9, BIT(ve)));
	TRY(expect_rx(&e, GROUP2, EXT, 10, 0));
	CHECK_EQ(rte_eth_allmulticast_enable(e.ports[br]), 0, "allmulti");
	TRY(expect_rx(&e, GROUP, EXT, 11, BIT(ve) | BIT(br)));
	CHECK_EQ(rte_eth_promiscuous_enable(e.ports[pr]), 0, "promisc");
	TRY(expect_rx(&e, GROUP2, EXT, 12, BIT(br) | BIT(pr)));
	/* A promiscuous port still gets no unknown unicast. */
	TRY(expect_rx(&e, UNKNOWN, EXT, 13, 0));
	/* A9: PAUSE is never fanned out, even to allmulticast ports. */
	pause = LOWER_STAT(e.ports[ve], rx_pause);
	m = t_make("01:80:c2:00:00:01", EXT, 0x8808, 14);
	TRY(t_inject(&e, 0, &m, 1));
	CHECK_EQ(t_collect(&e, rx, T_MAX_FRAMES), 0, "PAUSE delivered");
	CHECK_EQ(LOWER_STAT(e.ports[ve], rx_pause), pause + 1, "PAUSE counted");
	/* Counters: per class. */
	CHECK_EQ(t_xstat(e.ports[ve], "rx_unicast_packets"), 1, "vepa unicast");
	CHECK_EQ(t_xstat(e.ports[ve], "rx_broadcast_packets"), 1, "vepa broadcast");
	CHECK_EQ(t_xstat(e.ports[ve], "rx_multicast_packets"), 2, "vepa multicast");
	return t_env_fini(&e);
}

/* Source mode (spec 1.6): copies by source MAC, nodst, DOWN nodst still swallows. */
static int
test_source_mode(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	int b1, s1, s2;
	uint64_t nodst;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:21,mode=bridge", 1, 0, &b1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:22,mode=source,source=[02:aa:00:00:00:01,"
		       "02:aa:00:00:00:02]", 1, 0, &s1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:23,mode=source,source=02:aa:00:00:00:01", 1, 0,
		       &s2));
	/* X -> B1: B1, S1, S2. */
	TRY(expect_rx(&e, "02:00:00:00:00:21", "02:aa:00:00:00:01", 1,
		      BIT(b1) | BIT(s1) | BIT(s2)));
	/*
	 * X -> unknown: S1, S2; a NIC lower's filter never passes an unknown
	 * destination, as under the kernel, whose source mode widens no filter.
	 */
	TRY(expect_rx(&e, UNKNOWN, "02:aa:00:00:00:01", 2, e.nic ? 0 : BIT(s1) | BIT(s2)));
	/* Unlisted source to S1's own MAC: nobody. */
	TRY(expect_rx(&e, "02:00:00:00:00:22", "02:aa:00:00:00:07", 3, 0));
	/* Broadcast from X: every non-source port plus S1, S2. */
	TRY(expect_rx(&e, BCAST, "02:aa:00:00:00:01", 4, BIT(b1) | BIT(s1) | BIT(s2)));
	/* Second listed source of S1 only. */
	TRY(expect_rx(&e, "02:00:00:00:00:21", "02:aa:00:00:00:02", 5, BIT(b1) | BIT(s1)));
	TRY(t_env_fini(&e));

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:21,mode=bridge", 1, 0, &b1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:22,mode=source,nodst=1,source=02:aa:00:00:00:01",
		       1, 0, &s1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:23,mode=source,source=02:aa:00:00:00:01", 1, 0,
		       &s2));
	nodst = LOWER_STAT(e.ports[b1], rx_nodst_dropped);
	/* S1 with nodst: X -> B1 reaches S1 and S2 only. */
	TRY(expect_rx(&e, "02:00:00:00:00:21", "02:aa:00:00:00:01", 1, BIT(s1) | BIT(s2)));
	CHECK_EQ(LOWER_STAT(e.ports[b1], rx_nodst_dropped), nodst + 1, "nodst counted");
	/* S1 with nodst and DOWN: S2 only, still no B1. */
	CHECK_EQ(rte_eth_dev_stop(e.ports[s1]), 0, "stop");
	TRY(expect_rx(&e, "02:00:00:00:00:21", "02:aa:00:00:00:01", 2, BIT(s2)));
	/* Other sources are untouched. */
	TRY(expect_rx(&e, "02:00:00:00:00:21", EXT, 3, BIT(b1)));
	return t_env_fini(&e);
}

/* A5: passthru gets every unicast; DOWN, it black-holes them (counted). */
static int
test_passthru(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	struct rte_ether_addr lower_mac, port_mac;
	char own[RTE_ETHER_ADDR_FMT_SIZE];
	int pt, other;
	uint64_t down;

	TRY(t_env_init(&e, 1));
	rte_eth_macaddr_get(e.lower, &lower_mac);
	TRY(t_add_port(&e, "mode=passthru", 1, 0, &pt));
	rte_eth_macaddr_get(e.ports[pt], &port_mac);
	CHECK(rte_is_same_ether_addr(&lower_mac, &port_mac), "passthru inherits the lower MAC");
	CHECK_EQ(t_probe(&e, "mac=02:00:00:00:00:31", &other), -EINVAL, "port beside passthru");
	CHECK_EQ(t_probe(&e, "mode=passthru", &other), -EINVAL, "second passthru");
	TRY(expect_rx(&e, UNKNOWN, EXT, 1, BIT(pt)));
	TRY(expect_rx(&e, "02:00:00:00:00:77", EXT, 2, BIT(pt)));
	TRY(expect_rx(&e, BCAST, EXT, 3, BIT(pt)));
	/*
	 * Admin down but still polled: unicast is dropped, not passed on (spec
	 * A5). To its own MAC, which a NIC lower still passes once the port
	 * gave its promiscuous reference back.
	 */
	CHECK_EQ(rte_eth_dev_set_link_down(e.ports[pt]), 0, "link down");
	down = LOWER_STAT(e.ports[pt], rx_passthru_down);
	rte_ether_format_addr(own, sizeof(own), &port_mac);
	TRY(expect_rx(&e, own, EXT, 4, 0));
	CHECK_EQ(LOWER_STAT(e.ports[pt], rx_passthru_down), down + 1, "passthru-down counted");
	TRY(t_env_fini(&e));
	/* After the passthru port, the lower takes ports of any mode again. */
	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mode=passthru", 1, 0, &pt));
	CHECK_EQ(rte_eth_dev_stop(e.ports[pt]), 0, "stop");
	CHECK_EQ(rte_eth_dev_close(e.ports[pt]), 0, "close");
	e.ports[pt] = RTE_MAX_ETHPORTS; /* closed: its id may be reused */
	TRY(t_add_port(&e, "mac=02:00:00:00:00:31", 1, 0, &other));
	return t_env_fini(&e);
}

/*
 * Some lowers keep a few rte_malloc allocations after their own removal (seen
 * on 22.11 with net_null and net_pcap, with no macvtap involved): measure one
 * life of such a lower, configured as the driver does, to tell theirs from ours.
 */
static int
lower_life(const char *name, const char *args, unsigned int *residue)
{
	struct rte_malloc_socket_stats before, after;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t lower, q, nb_q;

	memset(&conf, 0, sizeof(conf));
	rte_malloc_get_socket_stats(0, &before);
	CHECK_EQ(rte_vdev_init(name, args), 0, "lower");
	CHECK_EQ(rte_eth_dev_get_port_by_name(name, &lower), 0, "lower id");
	CHECK_EQ(rte_eth_dev_info_get(lower, &info), 0, "info");
	nb_q = RTE_MIN(RTE_MIN(rte_lcore_count(), 16u), info.max_rx_queues);
	CHECK_EQ(rte_eth_dev_configure(lower, nb_q, nb_q, &conf), 0, "configure");
	for (q = 0; q < nb_q; q++) {
		CHECK_EQ(rte_eth_rx_queue_setup(lower, q, 1024, 0, NULL, t_pool), 0, "rxq");
		CHECK_EQ(rte_eth_tx_queue_setup(lower, q, 1024, 0, NULL), 0, "txq");
	}
	CHECK_EQ(rte_eth_dev_start(lower), 0, "start");
	CHECK_EQ(rte_eth_dev_stop(lower), 0, "stop");
	CHECK_EQ(rte_eth_dev_close(lower), 0, "close");
	CHECK_EQ(rte_vdev_uninit(name), 0, "uninit");
	rte_malloc_get_socket_stats(0, &after);
	*residue = after.alloc_count - before.alloc_count;
	return 0;
}

/*
 * What a test that creates nb_lowers such lowers may leave: some keep a few
 * allocations once per process, some once per life; two lives measured tell.
 */
static int
lower_residue(const char *name, const char *args, unsigned int nb_lowers,
	      unsigned int *allowance)
{
	unsigned int first, next;

	TRY(lower_life(name, args, &first));
	TRY(lower_life(name, args, &next));
	*allowance = first + next * (1 + nb_lowers);
	return 0;
}

/* Passthru and the lower's MAC (spec 3): shared, set through the port, restored after. */
static int
test_passthru_mac(void)
{
	struct rte_ether_addr orig, mac, newmac = t_mac("02:00:00:00:0f:0f");
	uint16_t lower, port;

	TRY(lower_residue("net_null_probe", NULL, 1, &t_alloc_allowance));

	CHECK_EQ(rte_vdev_init("net_null_pt", NULL), 0, "null lower");
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_null_pt", &lower), 0, "lower id");
	rte_eth_macaddr_get(lower, &orig);
	CHECK_EQ(rte_vdev_init("net_macvtap_pt", "iface=net_null_pt,mode=passthru,"
			       "mac=02:00:00:00:0e:0e"), 0, "probe");
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_macvtap_pt", &port), 0, "port id");
	rte_eth_macaddr_get(lower, &mac);
	CHECK(rte_is_same_ether_addr(&mac, &(struct rte_ether_addr){
		{ 0x02, 0, 0, 0, 0x0e, 0x0e } }), "mac= sets the lower's MAC");
	TRY(t_port_setup(port, 1, 0));
	CHECK_EQ(rte_eth_dev_default_mac_addr_set(port, &newmac), 0, "mac set");
	rte_eth_macaddr_get(lower, &mac);
	CHECK(rte_is_same_ether_addr(&mac, &newmac), "the lower follows the passthru port");
	rte_eth_macaddr_get(port, &mac);
	CHECK(rte_is_same_ether_addr(&mac, &newmac), "the port reports it");
	CHECK_EQ(rte_eth_dev_stop(port), 0, "stop");
	CHECK_EQ(rte_eth_dev_close(port), 0, "close");
	CHECK_EQ(rte_vdev_uninit("net_macvtap_pt"), 0, "uninit");
	rte_eth_macaddr_get(lower, &mac);
	CHECK(rte_is_same_ether_addr(&mac, &orig), "the lower's MAC restored");
	CHECK_EQ(rte_vdev_uninit("net_null_pt"), 0, "null lower removed");
	return 0;
}

/* ---- Matrix B: frames from the wire whose source is a local UP port ---- */

static int
test_matrix_b(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	int br, br2, ve, ve2, pr, pr2, so;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:41,mode=bridge", 1, 0, &br));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:42,mode=bridge", 1, 0, &br2));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:43,mode=vepa", 1, 0, &ve));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:44,mode=vepa", 1, 0, &ve2));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:45,mode=private", 1, 0, &pr));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:46,mode=private", 1, 0, &pr2));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:47,mode=source,source=02:aa:00:00:00:01", 1, 0,
		       &so));
	/* S bridge: all UP vepa ports except S; not bridge, not private. */
	TRY(expect_rx(&e, BCAST, "02:00:00:00:00:41", 1, BIT(ve) | BIT(ve2)));
	/* S vepa: vepa and bridge ports except S; not private. */
	TRY(expect_rx(&e, BCAST, "02:00:00:00:00:43", 2, BIT(ve2) | BIT(br) | BIT(br2)));
	/*
	 * S private: S only, its filter ignored (it joined nothing), as far as the
	 * lower passes the group: a NIC lower's multicast filter does not.
	 */
	TRY(expect_rx(&e, BCAST, "02:00:00:00:00:45", 3, BIT(pr)));
	TRY(expect_rx(&e, GROUP, "02:00:00:00:00:45", 4, e.nic ? 0 : BIT(pr)));
	/* S source: S only. */
	TRY(expect_rx(&e, BCAST, "02:00:00:00:00:47", 5, BIT(so)));
	/* Unicast is dispatched by destination whatever the source: private to private too. */
	TRY(expect_rx(&e, "02:00:00:00:00:46", "02:00:00:00:00:45", 6, BIT(pr2)));
	TRY(expect_rx(&e, "02:00:00:00:00:41", "02:00:00:00:00:43", 7, BIT(br)));
	return t_env_fini(&e);
}

/* ---- Matrix C: TX from a port ---- */

static int
send1(struct t_env *e, int from, const char *dst, uint32_t id)
{
	struct rte_ether_addr src;
	char s[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_mbuf *m;

	rte_eth_macaddr_get(e->ports[from], &src);
	rte_ether_format_addr(s, sizeof(s), &src);
	m = t_make(dst, s, 0x0800, id);
	CHECK(m != NULL, "no mbuf");
	CHECK_EQ(rte_eth_tx_burst(e->ports[from], 0, &m, 1), 1, "tx burst");
	return 0;
}

/* How many copies of frame id the wire got. */
static unsigned int
wire_copies(const struct t_frame *f, unsigned int n, uint32_t id)
{
	unsigned int i, c = 0;

	for (i = 0; i < n; i++)
		c += f[i].id == id;
	return c;
}

/* Send one frame from a port; check who got it locally (one copy each) and the wire. */
static int
expect_tx(struct t_env *e, int from, const char *dst, uint32_t id, uint32_t want_local,
	  bool want_wire)
{
	unsigned int n, w, copies;
	uint32_t got;

	TRY(send1(e, from, dst, id));
	w = t_wire(e, wire, T_MAX_FRAMES);
	n = t_collect(e, rx, T_MAX_FRAMES);
	got = t_receivers(e, rx, n, id, &copies);
	CHECK(got == want_local, "frame %u from port %d to %s: local receivers 0x%x, want 0x%x",
	      id, from, dst, got, want_local);
	CHECK_EQ(copies, __builtin_popcount(want_local), "local copies delivered");
	CHECK_EQ(wire_copies(wire, w, id), want_wire ? 1 : 0, "copies on the wire");
	CHECK_EQ(w, want_wire ? 1 : 0, "frames on the wire");
	return 0;
}

/* Reflect what the wire got (a hairpinning switch); check who got frame id, once each. */
static int
expect_reflected(struct t_env *e, uint32_t id, uint32_t want)
{
	unsigned int n, copies;
	uint32_t got;

	CHECK_EQ(t_reflect(e), 1, "reflected");
	n = t_collect(e, rx, T_MAX_FRAMES);
	got = t_receivers(e, rx, n, id, &copies);
	CHECK(got == want, "frame %u after reflection: receivers 0x%x, want 0x%x", id, got, want);
	CHECK_EQ(copies, __builtin_popcount(want), "copies after reflection");
	CHECK_EQ(n, copies, "frames received after reflection");
	return 0;
}

static int
test_matrix_c(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	int br, br2, ve, pr, so, dn;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:51,mode=bridge", 1, 0, &br));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:52,mode=bridge", 1, 0, &br2));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:53,mode=vepa", 1, 0, &ve));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:54,mode=private", 1, 0, &pr));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:55,mode=source,source=02:aa:00:00:00:01", 1, 0,
		       &so));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:56,mode=bridge", 1, 0, &dn));
	CHECK_EQ(rte_eth_dev_stop(e.ports[dn]), 0, "stop");
	/* BRIDGE sender. */
	TRY(expect_tx(&e, br, "02:00:00:00:00:52", 1, BIT(br2), false));
	TRY(expect_tx(&e, br, "02:00:00:00:00:51", 2, BIT(br), false)); /* itself */
	TRY(expect_tx(&e, br, "02:00:00:00:00:53", 3, 0, true));
	TRY(expect_tx(&e, br, "02:00:00:00:00:54", 4, 0, true));
	TRY(expect_tx(&e, br, "02:00:00:00:00:56", 5, 0, true)); /* DOWN bridge */
	TRY(expect_tx(&e, br, UNKNOWN, 6, 0, true));
	TRY(expect_tx(&e, br, BCAST, 7, BIT(br2), true));
	TRY(expect_tx(&e, br, GROUP, 8, 0, true)); /* br2 did not join */
	CHECK_EQ(rte_eth_allmulticast_enable(e.ports[br2]), 0, "allmulti");
	TRY(expect_tx(&e, br, GROUP, 9, BIT(br2), true));
	CHECK_EQ(t_xstat(e.ports[br], "tx_local_packets"), 4, "tx_local_packets");
	/* VEPA, PRIVATE, SOURCE senders: everything to the wire. */
	TRY(expect_tx(&e, ve, "02:00:00:00:00:51", 10, 0, true));
	TRY(expect_tx(&e, ve, BCAST, 11, 0, true));
	TRY(expect_tx(&e, pr, "02:00:00:00:00:51", 12, 0, true));
	TRY(expect_tx(&e, pr, BCAST, 13, 0, true));
	TRY(expect_tx(&e, so, "02:00:00:00:00:52", 14, 0, true));
	TRY(expect_tx(&e, so, BCAST, 15, 0, true));
	return t_env_fini(&e);
}

/* A hairpinning switch reflects what the wire got: vepa ports meet, Matrix B applies. */
static int
test_hairpin(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	int br, ve, ve2, pr;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:61,mode=bridge", 1, 0, &br));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:62,mode=vepa", 1, 0, &ve));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:63,mode=vepa", 1, 0, &ve2));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:64,mode=private", 1, 0, &pr));
	/* vepa -> vepa only through the switch. */
	TRY(send1(&e, ve, "02:00:00:00:00:63", 1));
	CHECK_EQ(t_collect(&e, rx, T_MAX_FRAMES), 0, "delivered before reflection");
	TRY(expect_reflected(&e, 1, BIT(ve2)));
	/* A bridge broadcast: bridge peers locally (none here), vepa ports by reflection. */
	TRY(send1(&e, br, BCAST, 2));
	TRY(expect_reflected(&e, 2, BIT(ve) | BIT(ve2)));
	/* A private broadcast comes back to itself only. */
	TRY(send1(&e, pr, BCAST, 3));
	TRY(expect_reflected(&e, 3, BIT(pr)));
	return t_env_fini(&e);
}

/* spoofchk: a foreign source MAC never reaches the wire or another port; counted. */
static int
test_spoofchk(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	struct rte_mbuf *m[3];
	int sp, br, peer;
	unsigned int n;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:71,mode=bridge,spoofchk=1", 1, 0, &sp));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:72,mode=bridge", 1, 0, &peer));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:73,mode=vepa,spoofchk=1", 1, 0, &br));
	m[0] = t_make("02:00:00:00:00:72", "02:00:00:00:00:99", 0x0800, 1); /* spoofed */
	m[1] = t_make(BCAST, "02:00:00:00:00:72", 0x0800, 2);               /* peer's MAC */
	m[2] = t_make("02:00:00:00:00:72", "02:00:00:00:00:71", 0x0800, 3); /* own */
	CHECK_EQ(rte_eth_tx_burst(e.ports[sp], 0, m, 3), 3, "consumed");
	n = t_collect(&e, rx, T_MAX_FRAMES);
	CHECK_EQ(t_receivers(&e, rx, n, 1, NULL) | t_receivers(&e, rx, n, 2, NULL), 0,
		 "spoofed frames delivered");
	CHECK_EQ(t_receivers(&e, rx, n, 3, NULL), BIT(peer), "own frame delivered");
	CHECK_EQ(t_wire(&e, wire, T_MAX_FRAMES), 0, "wire");
	CHECK_EQ(t_xstat(e.ports[sp], "tx_spoof_dropped"), 2, "tx_spoof_dropped");
	m[0] = t_make(UNKNOWN, "02:00:00:00:00:99", 0x0800, 4);
	m[1] = t_make(UNKNOWN, "02:00:00:00:00:73", 0x0800, 5);
	CHECK_EQ(rte_eth_tx_burst(e.ports[br], 0, m, 2), 2, "consumed");
	n = t_wire(&e, wire, T_MAX_FRAMES);
	CHECK(!t_on_wire(wire, n, 4) && t_on_wire(wire, n, 5), "vepa spoofchk on the wire");
	CHECK_EQ(t_xstat(e.ports[br], "tx_spoof_dropped"), 1, "tx_spoof_dropped vepa");
	return t_env_fini(&e);
}

/* Per-queue rings: size from nb_rx_desc, tail drop counted, queue chosen by hash. */
static int
test_queues(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	struct rte_mbuf *m[64];
	struct rte_eth_stats st;
	struct rte_eth_rxq_info qi;
	int a, b, c, i;
	unsigned int n, q0 = 0, q1 = 0;

	TRY(t_env_init(&e, 2));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:81", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:82", 1, 8, &b));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:83", 2, 0, &c));
	CHECK_EQ(rte_eth_rx_queue_info_get(e.ports[a], 0, &qi), 0, "rxq info");
	CHECK_EQ(qi.nb_desc, 500, "default ring size is the kernel's tx_queue_len");
	CHECK_EQ(rte_ring_get_capacity(rte_pmd_macvtap_get_rx_ring(e.ports[b], 0)), 8,
		 "ring capacity = nb_rx_desc");
	/* 20 frames for b, whose ring holds 8: a's poll drains the lower into it. */
	for (i = 0; i < 20; i++)
		m[i] = t_make("02:00:00:00:00:82", EXT, 0x0800, 100 + i);
	TRY(t_inject(&e, 0, m, 20));
	CHECK_EQ(rte_eth_rx_burst(e.ports[a], 0, m, 32), 0, "a gets nothing");
	n = t_collect(&e, rx, T_MAX_FRAMES);
	CHECK_EQ(n, 8, "b receives a ring's worth");
	CHECK_EQ(rte_eth_stats_get(e.ports[b], &st), 0, "stats");
	CHECK_EQ(st.imissed, 12, "imissed");
	CHECK_EQ(st.ipackets, 8, "ipackets");
	CHECK_EQ(st.q_ipackets[0], 8, "per-queue ipackets");
	CHECK_EQ(st.q_errors[0], 12, "per-queue drops");
	CHECK_EQ(st.ibytes, 8 * 64, "ibytes");
	CHECK_EQ(t_xstat(e.ports[b], "rx_ring_full_dropped"), 12, "rx_ring_full_dropped");
	/* Frames the lower hashed go to queue hash % 2, others to lower queue % 2. */
	for (i = 0; i < 16; i++) {
		m[i] = t_make("02:00:00:00:00:83", EXT, 0x0800, 200 + i);
		m[i]->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		m[i]->hash.rss = i;
	}
	TRY(t_inject(&e, 0, m, 16));
	for (i = 0; i < 6; i++)
		m[i] = t_make("02:00:00:00:00:83", EXT, 0x0800, 300 + i);
	TRY(t_inject(&e, 1, m, 6)); /* lower queue 1, no hash */
	n = t_collect(&e, rx, T_MAX_FRAMES);
	CHECK_EQ(n, 22, "c receives all");
	for (i = 0; i < (int)n; i++) {
		if (rx[i].id >= 300) {
			CHECK_EQ(rx[i].queue, 1, "no-hash frame from lower queue 1");
			continue;
		}
		CHECK_EQ(rx[i].queue, (rx[i].id - 200) % 2, "queue by hash");
		if (rx[i].queue == 0)
			q0++;
		else
			q1++;
	}
	CHECK(q0 == 8 && q1 == 8, "hash spread %u/%u", q0, q1);
	CHECK_EQ(rte_eth_stats_get(e.ports[c], &st), 0, "stats");
	CHECK(st.q_ipackets[0] == 8 && st.q_ipackets[1] == 14, "per-queue counters %" PRIu64
	      "/%" PRIu64, st.q_ipackets[0], st.q_ipackets[1]);
	/* A port with 1 queue is fed from both lower queues. */
	for (i = 0; i < 4; i++)
		m[i] = t_make("02:00:00:00:00:81", EXT, 0x0800, 400 + i);
	TRY(t_inject(&e, 1, m, 4));
	n = 0;
	for (i = 0; i < 4 && n < 4; i++)
		n += rte_eth_rx_burst(e.ports[a], 0, m + n, 32);
	CHECK_EQ(n, 4, "1-queue port polled lower queue 1");
	rte_pktmbuf_free_bulk(m, n);
	/* Stats reset. */
	CHECK_EQ(rte_eth_stats_reset(e.ports[b]), 0, "reset");
	CHECK_EQ(rte_eth_stats_get(e.ports[b], &st), 0, "stats");
	CHECK(st.ipackets == 0 && st.imissed == 0, "reset counters");
	CHECK_EQ(rte_eth_xstats_reset(e.ports[b]), 0, "xreset");
	CHECK_EQ(t_xstat(e.ports[b], "lower_rx_packets"), 0, "lower counters reset per port");
	return t_env_fini(&e);
}

/* Broadcast copies are independent: each port may rewrite its own. */
static int
test_broadcast_copies(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	struct rte_mbuf *m[4], *got[3];
	int p[3], i;
	uint16_t n;

	TRY(t_env_init(&e, 1));
	for (i = 0; i < 3; i++) {
		char a[64];

		snprintf(a, sizeof(a), "mac=02:00:00:00:00:9%d", i);
		TRY(t_add_port(&e, a, 1, 0, &p[i]));
	}
	m[0] = t_make(BCAST, EXT, 0x0800, 7);
	TRY(t_inject(&e, 0, m, 1));
	for (i = 0; i < 3; i++) {
		n = rte_eth_rx_burst(e.ports[p[i]], 0, &got[i], 1);
		if (n == 0)
			n = rte_eth_rx_burst(e.ports[p[i]], 0, &got[i], 1);
		CHECK_EQ(n, 1, "each port gets the broadcast");
		CHECK_EQ(rte_mbuf_refcnt_read(got[i]), 1, "own copy");
		CHECK_EQ(got[i]->port, e.ports[p[i]], "mbuf->port");
	}
	CHECK(got[0] != got[1] && got[1] != got[2] && got[0] != got[2], "distinct mbufs");
	CHECK(rte_pktmbuf_mtod(got[0], void *) != rte_pktmbuf_mtod(got[1], void *),
	      "distinct data");
	/* Rewrite one; the others are untouched. */
	memset(rte_pktmbuf_mtod(got[0], char *), 0xab, 6);
	CHECK(rte_is_broadcast_ether_addr(rte_pktmbuf_mtod(got[1], struct rte_ether_addr *)),
	      "copy 1 untouched");
	rte_pktmbuf_free_bulk(got, 3);
	return t_env_fini(&e);
}

/* Bad devargs: one log line each, a negative errno, nothing left behind. */
static int
test_bad_devargs(void)
{
	static const struct {
		const char *args;
		int err;
	} cases[] = {
		{ "bogus=1", -EINVAL },
		{ "", -EINVAL },                                       /* no iface */
		{ "iface=", -EINVAL },
		{ "iface=net_ring_none", -ENODEV },
		{ "mac=02:00:00:00:00", -EINVAL },
		{ "mac=zz:00:00:00:00:01", -EINVAL },
		{ "mac=01:00:00:00:00:01", -EADDRNOTAVAIL },            /* multicast */
		{ "mac=00:00:00:00:00:00", -EADDRNOTAVAIL },
		{ "mode=bogus", -EINVAL },
		{ "mode=vepa,mode=bridge", -EINVAL },
		{ "nodst=2", -EINVAL },
		{ "nopromisc=yes", -EINVAL },
		{ "spoofchk=", -EINVAL },
		{ "source=02:aa:00:00:00:01", -EINVAL },               /* not source mode */
		{ "mode=source,source=[02:aa:00:00:00:01", -EINVAL },
		{ "mode=source,source=[nonsense]", -EINVAL },
		{ "mac=02:00:00:00:00:a1", -EADDRINUSE },              /* taken below */
	};
	struct rte_malloc_socket_stats before, after;
	static struct t_env e; /* static: main cleans it up after a failure */
	char args[256];
	unsigned int i;
	uint16_t count;
	int idx, ret;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:a1", 1, 0, &idx));
	count = rte_eth_dev_count_total();
	rte_malloc_get_socket_stats(0, &before);
	for (i = 0; i < RTE_DIM(cases); i++) {
		if (strncmp(cases[i].args, "iface=", 6) == 0 || cases[i].args[0] == '\0' ||
		    strncmp(cases[i].args, "bogus", 5) == 0)
			snprintf(args, sizeof(args), "%s", cases[i].args);
		else
			snprintf(args, sizeof(args), "iface=%s,%s", e.lower_name, cases[i].args);
		if (strncmp(cases[i].args, "bogus", 5) == 0)
			snprintf(args, sizeof(args), "iface=%s,%s", e.lower_name, cases[i].args);
		ret = rte_vdev_init("net_macvtap_bad", args);
		CHECK(ret == cases[i].err, "'%s': got %d, want %d", args, ret, cases[i].err);
		CHECK_EQ(rte_eth_dev_count_total(), count, "a port was left behind");
	}
	/* A macvtap port cannot be a lower. */
	snprintf(args, sizeof(args), "iface=%s", e.port_names[idx]);
	CHECK_EQ(rte_vdev_init("net_macvtap_bad", args), -EINVAL, "macvtap as lower");
	/* A kernel interface is no DPDK port: the message says what to put on it. */
	TRY(t_log_start());
	CHECK_EQ(rte_vdev_init("net_macvtap_bad", "iface=lo"), -ENODEV, "a kernel interface");
	CHECK_EQ(t_log_count("iface=lo is a kernel interface, not a DPDK port"), 1,
		 "the kernel-interface message");
	CHECK_EQ(t_log_count("--vdev net_af_packet0,iface=lo"), 1, "the devargs to use");
	t_log_stop();
	rte_malloc_get_socket_stats(0, &after);
	CHECK_EQ(after.alloc_count, before.alloc_count, "rte_malloc allocations after bad probes");
	CHECK_EQ(rte_eth_dev_count_total(), count, "ports after bad probes");
	TRY(t_env_fini(&e));
	/* Passthru's mac= on a lower that cannot take it: the lower's errno, and why. */
	CHECK_EQ(rte_vdev_init("net_nicsim_nomac", "enotsup=mac_set"), 0, "a lower without MAC set");
	TRY(t_log_start());
	ret = rte_vdev_init("net_macvtap_bad",
			    "iface=net_nicsim_nomac,mode=passthru,mac=02:00:00:00:00:a9");
	CHECK_EQ(rte_vdev_uninit("net_nicsim_nomac"), 0, "that lower removed");
	CHECK_EQ(ret, -ENOTSUP, "passthru mac= refused by the lower");
	CHECK_EQ(t_log_count("refused to take mac=02:00:00:00:00:A9: "), 1, "the reason logged");
	t_log_stop();
	/* The lower's own MAC is busy (a lower whose MAC is a valid unicast). */
	{
		struct rte_ether_addr lm;
		char s[RTE_ETHER_ADDR_FMT_SIZE];
		uint16_t lower;

		CHECK_EQ(rte_vdev_init("net_null_busy", NULL), 0, "null lower");
		CHECK_EQ(rte_eth_dev_get_port_by_name("net_null_busy", &lower), 0, "lower id");
		rte_eth_macaddr_get(lower, &lm);
		rte_ether_format_addr(s, sizeof(s), &lm);
		snprintf(args, sizeof(args), "iface=net_null_busy,mac=%s", s);
		ret = rte_vdev_init("net_macvtap_bad", args);
		rte_vdev_uninit("net_null_busy");
		CHECK_EQ(ret, -EADDRINUSE, "the lower's MAC is busy");
	}
	return 0;
}

/* The lower is owned while used and hidden from the application; released after. */
static int
test_ownership(void)
{
	struct rte_eth_dev_owner owner;
	static struct t_env e; /* static: main cleans it up after a failure */
	uint16_t p;
	bool seen = false;
	int a, b;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:b1", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:b2", 1, 0, &b));
	CHECK_EQ(rte_eth_dev_owner_get(e.lower, &owner), 0, "owner get");
	CHECK(strcmp(owner.name, RTE_PMD_MACVTAP_DRIVER_NAME) == 0, "owner is %s", owner.name);
	RTE_ETH_FOREACH_DEV(p)
		seen |= p == e.lower;
	CHECK(!seen, "the lower is visible to the application");
	CHECK_EQ(rte_pmd_macvtap_get_lower(e.ports[a], &p), 0, "get lower");
	CHECK_EQ(p, e.lower, "lower id");
	CHECK_EQ(rte_pmd_macvtap_get_lower(e.lower, &p), -ENODEV, "not a macvtap port");
	CHECK(rte_pmd_macvtap_get_lower_mempool(e.ports[a]) != NULL, "lower mempool");
	/* Closing one port keeps the lower owned; the last one releases it. */
	CHECK_EQ(rte_eth_dev_stop(e.ports[a]), 0, "stop");
	CHECK_EQ(rte_eth_dev_close(e.ports[a]), 0, "close");
	e.ports[a] = RTE_MAX_ETHPORTS;
	CHECK_EQ(rte_eth_dev_owner_get(e.lower, &owner), 0, "owner get");
	CHECK(owner.id != RTE_ETH_DEV_NO_OWNER, "released too early");
	TRY(expect_rx(&e, "02:00:00:00:00:b2", EXT, 1, BIT(b)));
	CHECK_EQ(rte_eth_dev_stop(e.ports[b]), 0, "stop");
	CHECK_EQ(rte_eth_dev_close(e.ports[b]), 0, "close");
	e.ports[b] = RTE_MAX_ETHPORTS;
	CHECK_EQ(rte_eth_dev_owner_get(e.lower, &owner), 0, "owner get");
	CHECK(owner.id == RTE_ETH_DEV_NO_OWNER, "lower still owned after the last close");
	return t_env_fini(&e);
}

/* MAC changes: re-keying, busy addresses, extra addresses (kernel spec section 4). */
static int
test_mac_changes(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	struct rte_ether_addr busy = t_mac("02:00:00:00:00:c2"), fresh = t_mac("02:00:00:00:00:c9");
	struct rte_ether_addr extra = t_mac("02:00:00:00:00:ca"), mac;
	int a, b;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:c1", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:c2", 1, 0, &b));
	CHECK_EQ(rte_eth_dev_default_mac_addr_set(e.ports[a], &busy), -EADDRINUSE, "busy MAC");
	CHECK_EQ(rte_eth_dev_default_mac_addr_set(e.ports[a], &fresh), 0, "set MAC");
	rte_eth_macaddr_get(e.ports[a], &mac);
	CHECK(rte_is_same_ether_addr(&mac, &fresh), "reported MAC");
	TRY(expect_rx(&e, "02:00:00:00:00:c9", EXT, 1, BIT(a)));
	TRY(expect_rx(&e, "02:00:00:00:00:c1", EXT, 2, 0));
	CHECK_EQ(rte_eth_dev_mac_addr_add(e.ports[a], &busy, 0), -EADDRINUSE, "add busy");
	CHECK_EQ(rte_eth_dev_mac_addr_add(e.ports[a], &extra, 0), 0, "add extra");
	TRY(expect_rx(&e, "02:00:00:00:00:ca", EXT, 3, BIT(a)));
	CHECK_EQ(rte_eth_dev_mac_addr_remove(e.ports[a], &extra), 0, "remove extra");
	TRY(expect_rx(&e, "02:00:00:00:00:ca", EXT, 4, 0));
	/*
	 * Stricter than the kernel, which lets a port take a DOWN port's MAC and
	 * fails the second to come up: here a MAC belongs to one port of a lower
	 * whatever its state (the guide's "Differences from the kernel").
	 */
	CHECK_EQ(rte_eth_dev_stop(e.ports[b]), 0, "stop");
	CHECK_EQ(rte_eth_dev_default_mac_addr_set(e.ports[a], &busy), -EADDRINUSE,
		 "a DOWN port's MAC is still its own");
	return t_env_fini(&e);
}

/*
 * The kernel's busy check at open: a port whose MAC became the lower's while
 * it was stopped cannot start (-EADDRINUSE, logged) and starts again once the
 * lower's MAC has moved on.
 */
static int
test_busy_at_start(void)
{
	struct rte_ether_addr mine = t_mac("02:00:00:00:00:cb"), other = t_mac("02:00:00:00:00:cc");
	struct rte_ether_addr saved;
	uint16_t lower, port;
	unsigned int logged;

	TRY(lower_residue("net_null_bs_probe", NULL, 1, &t_alloc_allowance));
	CHECK_EQ(rte_vdev_init("net_null_bs", NULL), 0, "null lower");
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_null_bs", &lower), 0, "lower id");
	CHECK_EQ(rte_eth_macaddr_get(lower, &saved), 0, "the lower's MAC");
	CHECK_EQ(rte_vdev_init("net_macvtap_bs", "iface=net_null_bs,mac=02:00:00:00:00:cb"), 0,
		 "probe");
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_macvtap_bs", &port), 0, "port id");
	TRY(t_port_setup(port, 1, 0));
	CHECK_EQ(rte_eth_dev_stop(port), 0, "stop");
	CHECK_EQ(rte_eth_dev_default_mac_addr_set(lower, &mine), 0, "the lower takes its MAC");
	TRY(t_log_start());
	logged = t_log_count("its MAC is in use on the lower");
	CHECK_EQ(rte_eth_dev_start(port), -EADDRINUSE, "start with the lower's MAC");
	CHECK_EQ(t_log_count("its MAC is in use on the lower"), logged + 1, "logged");
	t_log_stop();
	CHECK_EQ(rte_eth_dev_default_mac_addr_set(lower, &other), 0, "the lower moves on");
	CHECK_EQ(rte_eth_dev_start(port), 0, "start once the MAC is free");
	CHECK_EQ(rte_eth_dev_stop(port), 0, "stop");
	CHECK_EQ(rte_eth_dev_close(port), 0, "close");
	CHECK_EQ(rte_vdev_uninit("net_macvtap_bs"), 0, "uninit");
	CHECK_EQ(rte_eth_dev_default_mac_addr_set(lower, &saved), 0, "restore");
	CHECK_EQ(rte_vdev_uninit("net_null_bs"), 0, "null lower removed");
	return 0;
}

/* Receive frames of exactly len bytes from the wire at port i, and one byte more. */
static int
expect_mtu_edge(struct t_env *e, int i, const char *dst, uint16_t len, uint32_t id)
{
	struct rte_mbuf *m[2];
	uint64_t oversize = t_xstat(e->ports[i], "rx_oversize_dropped");
	struct rte_eth_stats st, lower_before, lower_after;
	unsigned int n, copies;

	CHECK_EQ(rte_eth_stats_get(e->lower, &lower_before), 0, "the lower's stats");

	m[0] = t_make_len(dst, EXT, 0x0800, id, len);
	m[1] = t_make_len(dst, EXT, 0x0800, id + 1, len + 1);
	CHECK(m[0] != NULL && m[1] != NULL, "no mbuf");
	TRY(t_inject(e, 0, m, 2));
	n = t_collect(e, rx, T_MAX_FRAMES);
	CHECK_EQ(t_receivers(e, rx, n, id, &copies), BIT(i), "a frame as long as the MTU");
	CHECK_EQ(t_receivers(e, rx, n, id + 1, NULL), 0, "a frame one byte longer");
	/* Dropped by the port, or, beyond the lower's own MTU, by a NIC lower. */
	CHECK_EQ(rte_eth_stats_get(e->lower, &lower_after), 0, "the lower's stats");
	CHECK_EQ(t_xstat(e->ports[i], "rx_oversize_dropped") +
		 (lower_after.ierrors - lower_before.ierrors), oversize + 1, "oversize counted");
	CHECK_EQ(rte_eth_stats_get(e->ports[i], &st), 0, "stats");
	CHECK_EQ(st.ierrors, t_xstat(e->ports[i], "rx_oversize_dropped"), "ierrors");
	return 0;
}

/*
 * MTU (spec 3.x, kernel is_skb_forwardable): never above the lower's; a frame
 * longer than MTU + header + VLAN tag is dropped and counted, from the wire and
 * from a bridge sibling alike. set_link_down takes a port out of delivery.
 */
static int
test_mtu_and_admin(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	struct rte_eth_link link;
	struct rte_mbuf *m[2];
	uint16_t lower_mtu, mtu;
	uint64_t oversize;
	unsigned int n;
	int a, b, c;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:d1", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:d2,mode=bridge", 1, 0, &b));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:d3,mode=bridge", 1, 0, &c));
	CHECK_EQ(rte_eth_dev_get_mtu(e.lower, &lower_mtu), 0, "the lower's MTU");
	CHECK_EQ(rte_eth_dev_get_mtu(e.ports[a], &mtu), 0, "the port's MTU");
	CHECK_EQ(mtu, lower_mtu, "a port's MTU starts as its lower's");
	CHECK(rte_eth_dev_set_mtu(e.ports[a], lower_mtu + 1) < 0, "MTU above the lower's");
	CHECK_EQ(rte_eth_dev_set_mtu(e.ports[a], 1000), 0, "smaller MTU");
	CHECK_EQ(rte_eth_dev_get_mtu(e.ports[a], &mtu), 0, "the port's MTU");
	CHECK_EQ(mtu, 1000, "MTU set");
	/* 1000 + 14 + a VLAN tag's 4 bytes pass; one more does not. */
	TRY(expect_mtu_edge(&e, a, "02:00:00:00:00:d1", 1018, 1));
	/* The lean path takes a port with the lower's MTU up to its own limit. */
	TRY(expect_mtu_edge(&e, b, "02:00:00:00:00:d2", lower_mtu + 18, 3));
	/* Bridge-local copies: unicast and broadcast from c to b, whose MTU is 1000. */
	CHECK_EQ(rte_eth_dev_set_mtu(e.ports[b], 1000), 0, "bridge port MTU");
	oversize = t_xstat(e.ports[b], "rx_oversize_dropped");
	m[0] = t_make_len("02:00:00:00:00:d2", "02:00:00:00:00:d3", 0x0800, 5, 1019);
	m[1] = t_make_len(BCAST, "02:00:00:00:00:d3", 0x0800, 6, 1019);
	CHECK_EQ(rte_eth_tx_burst(e.ports[c], 0, m, 2), 2, "bridge sends");
	n = t_collect(&e, rx, T_MAX_FRAMES);
	CHECK_EQ(n, 0, "oversize bridge-local frames delivered");
	CHECK_EQ(t_xstat(e.ports[b], "rx_oversize_dropped"), oversize + 2,
		 "bridge-local oversize counted");
	n = t_wire(&e, wire, T_MAX_FRAMES);
	CHECK(n == 1 && wire[0].id == 6, "the broadcast still goes to the wire (%u frames)", n);
	m[0] = t_make_len("02:00:00:00:00:d2", "02:00:00:00:00:d3", 0x0800, 7, 1018);
	CHECK_EQ(rte_eth_tx_burst(e.ports[c], 0, m, 1), 1, "bridge sends");
	n = t_collect(&e, rx, T_MAX_FRAMES);
	CHECK_EQ(t_receivers(&e, rx, n, 7, NULL), BIT(b), "a bridge-local frame within the MTU");
	/* Admin down and up. */
	CHECK_EQ(rte_eth_link_get_nowait(e.ports[a], &link), 0, "link");
	CHECK_EQ(link.link_status, RTE_ETH_LINK_UP, "link up");
	CHECK_EQ(rte_eth_dev_set_link_down(e.ports[a]), 0, "link down");
	CHECK_EQ(rte_eth_link_get_nowait(e.ports[a], &link), 0, "link");
	CHECK_EQ(link.link_status, RTE_ETH_LINK_DOWN, "admin down");
	TRY(expect_rx(&e, "02:00:00:00:00:d1", EXT, 8, 0));
	CHECK_EQ(rte_eth_dev_set_link_up(e.ports[a]), 0, "link up");
	TRY(expect_rx(&e, "02:00:00:00:00:d1", EXT, 9, BIT(a)));
	return t_env_fini(&e);
}

/*
 * A lower whose MTU is above 1500 before the driver takes it: a port's first
 * configure may ask for it, and the driver's configure of the lower keeps it.
 */
static int
test_jumbo_lower(void)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t lower, port, mtu;

	TRY(lower_residue("net_null_jp", NULL, 1, &t_alloc_allowance));
	memset(&conf, 0, sizeof(conf));
	CHECK_EQ(rte_vdev_init("net_null_jumbo", NULL), 0, "null lower");
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_null_jumbo", &lower), 0, "lower id");
	CHECK_EQ(rte_eth_dev_configure(lower, 1, 1, &conf), 0, "configure the lower");
	CHECK_EQ(rte_eth_dev_set_mtu(lower, 9000), 0, "the lower's MTU");
	CHECK_EQ(rte_vdev_init("net_macvtap_jumbo", "iface=net_null_jumbo,mac=02:00:00:00:00:d9"),
		 0, "probe");
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_macvtap_jumbo", &port), 0, "port id");
	CHECK_EQ(rte_eth_dev_info_get(port, &info), 0, "info");
	CHECK_EQ(info.max_mtu, 9000, "max_mtu before the lower is configured");
	conf.rxmode.mtu = 9000;
	CHECK_EQ(rte_eth_dev_configure(port, 1, 1, &conf), 0, "a first configure at 9000");
	CHECK_EQ(rte_eth_dev_get_mtu(port, &mtu), 0, "the port's MTU");
	CHECK_EQ(mtu, 9000, "the port's MTU");
	CHECK_EQ(rte_eth_dev_get_mtu(lower, &mtu), 0, "the lower's MTU");
	CHECK_EQ(mtu, 9000, "the lower keeps its MTU when the driver configures it");
	/* The lower's RX is set up with the first port's RX queue: its whole life, as measured. */
	CHECK_EQ(rte_eth_rx_queue_setup(port, 0, 0, 0, NULL, t_pool), 0, "rxq");
	CHECK_EQ(rte_eth_dev_get_mtu(lower, &mtu), 0, "the lower's MTU");
	CHECK_EQ(mtu, 9000, "the lower keeps its MTU when the driver starts it");
	CHECK_EQ(rte_eth_dev_close(port), 0, "close");
	CHECK_EQ(rte_vdev_uninit("net_macvtap_jumbo"), 0, "uninit");
	CHECK_EQ(rte_vdev_uninit("net_null_jumbo"), 0, "null lower removed");
	return 0;
}

/* Sends from a bridge port with spoofchk while its link flaps (one worker lcore). */
struct flap_sender {
	uint16_t port;
	volatile bool stop;
	uint64_t sent;
};

static int
flap_send(void *p)
{
	struct flap_sender *s = p;
	struct rte_mbuf *m[8];
	uint16_t n, i;

	while (!s->stop) {
		for (i = 0; i < RTE_DIM(m); i++) {
			m[i] = t_make("02:00:00:00:00:e2", "02:00:00:00:00:e1", 0x0800, i);
			if (m[i] == NULL)
				break;
		}
		n = rte_eth_tx_burst(s->port, 0, m, i);
		s->sent += n;
		rte_pktmbuf_free_bulk(m + n, i - n);
	}
	return 0;
}

/*
 * A port comes up under traffic (spec 4.2's open): from the first frame it
 * sends, its own frames pass spoofchk and bridge-local frames stay local. Its
 * link goes down and up while a worker sends from it to a bridge sibling.
 */
static int
test_link_up_under_traffic(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	static struct flap_sender s;
	struct rte_eth_stats st;
	unsigned int lcore, i, w;
	uint64_t received = 0;
	int a, b;

	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE)
		T_SKIP_BECAUSE("needs a second lcore (-l 0-1)");
	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:e1,mode=bridge,spoofchk=1", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:e2,mode=bridge", 1, 4096, &b));
	/* Siblings make each table rebuild, and so the moment of coming up, longer. */
	for (i = 0; i < 12; i++) {
		char args[64];

		snprintf(args, sizeof(args), "mac=02:00:00:00:01:%02x,mode=vepa", i);
		TRY(t_add_port(&e, args, 1, 0, NULL));
	}
	memset(&s, 0, sizeof(s));
	s.port = e.ports[a];
	CHECK_EQ(rte_eal_remote_launch(flap_send, &s, lcore), 0, "launch");
	for (i = 0; i < 2000; i++) {
		if (rte_eth_dev_set_link_down(e.ports[a]) != 0 ||
		    rte_eth_dev_set_link_up(e.ports[a]) != 0)
			break;
		received += t_collect(&e, rx, T_MAX_FRAMES);
	}
	s.stop = true;
	rte_eal_wait_lcore(lcore);
	CHECK_EQ(i, 2000, "link flaps");
	received += t_collect(&e, rx, T_MAX_FRAMES);
	w = t_wire(&e, wire, T_MAX_FRAMES);
	CHECK_EQ(t_xstat(e.ports[a], "tx_spoof_dropped"), 0, "own frames dropped as spoofed");
	CHECK_EQ(w, 0, "bridge-local frames on the wire");
	CHECK_EQ(rte_eth_stats_get(e.ports[b], &st), 0, "stats");
	CHECK(s.sent > 0 && received > 0, "nothing sent or received");
	CHECK_EQ(st.ipackets + st.imissed, s.sent, "frames sent = delivered + ring-full drops");
	return t_env_fini(&e);
}

static volatile int lsc_events[RTE_MAX_ETHPORTS], rmv_events[RTE_MAX_ETHPORTS];

static int
count_event(uint16_t port, enum rte_eth_event_type type, void *arg __rte_unused,
	    void *ret __rte_unused)
{
	if (type == RTE_ETH_EVENT_INTR_LSC)
		lsc_events[port]++;
	else if (type == RTE_ETH_EVENT_INTR_RMV)
		rmv_events[port]++;
	return 0;
}

static int
wait_link(uint16_t port, int status)
{
	struct rte_eth_link link;
	int i;

	for (i = 0; i < 200; i++) {
		rte_eth_link_get_nowait(port, &link);
		if (link.link_status == status)
			return 0;
		rte_delay_us_sleep(10000);
	}
	return -1;
}

/* Lower link changes are mirrored on every port, with an LSC event each. */
static int
test_lsc(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	int a, b;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:e1", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:e2", 1, 0, &b));
	rte_eth_dev_callback_register(e.ports[a], RTE_ETH_EVENT_INTR_LSC, count_event, NULL);
	rte_eth_dev_callback_register(e.ports[b], RTE_ETH_EVENT_INTR_LSC, count_event, NULL);
	lsc_events[e.ports[a]] = lsc_events[e.ports[b]] = 0;
	CHECK_EQ(t_lower_set_link(&e, false), 0, "lower link down");
	CHECK_EQ(wait_link(e.ports[a], RTE_ETH_LINK_DOWN), 0, "port a follows the lower down");
	CHECK_EQ(wait_link(e.ports[b], RTE_ETH_LINK_DOWN), 0, "port b follows the lower down");
	CHECK(lsc_events[e.ports[a]] == 1 && lsc_events[e.ports[b]] == 1,
	      "one LSC event each: %d %d", lsc_events[e.ports[a]], lsc_events[e.ports[b]]);
	CHECK_EQ(t_lower_set_link(&e, true), 0, "lower link up");
	CHECK_EQ(wait_link(e.ports[a], RTE_ETH_LINK_UP), 0, "port a follows the lower up");
	CHECK_EQ(wait_link(e.ports[b], RTE_ETH_LINK_UP), 0, "port b follows the lower up");
	rte_delay_us_sleep(200000);
	CHECK(lsc_events[e.ports[a]] == 2 && lsc_events[e.ports[b]] == 2,
	      "two LSC events each: %d %d", lsc_events[e.ports[a]], lsc_events[e.ports[b]]);
	rte_eth_dev_callback_unregister(e.ports[a], RTE_ETH_EVENT_INTR_LSC, count_event, NULL);
	rte_eth_dev_callback_unregister(e.ports[b], RTE_ETH_EVENT_INTR_LSC, count_event, NULL);
	return t_env_fini(&e);
}

/* The lower removed under traffic: ports go down with RMV, nothing crashes or leaks. */
static int
test_lower_removal(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	struct rte_mbuf *m[32];
	struct rte_eth_link link;
	unsigned int got_a, got_b;
	int a, b, i;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:f1", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:f2", 1, 0, &b));
	rte_eth_dev_callback_register(e.ports[a], RTE_ETH_EVENT_INTR_RMV, count_event, NULL);
	rte_eth_dev_callback_register(e.ports[b], RTE_ETH_EVENT_INTR_RMV, count_event, NULL);
	rmv_events[e.ports[a]] = rmv_events[e.ports[b]] = 0;
	/* Frames in flight: some in the lower, some in the ports' rings. */
	for (i = 0; i < 32; i++)
		m[i] = t_make(i % 2 ? "02:00:00:00:00:f1" : "02:00:00:00:00:f2", EXT, 0x0800, i);
	TRY(t_inject(&e, 0, m, 32));
	CHECK_EQ(rte_eth_rx_burst(e.ports[a], 0, m, 4), 4, "some received");
	rte_pktmbuf_free_bulk(m, 4);
	/* Hot-unplug the lower. */
	CHECK_EQ(rte_eth_dev_stop(e.lower), 0, "lower stop");
	CHECK_EQ(rte_eth_dev_close(e.lower), 0, "lower close");
	CHECK_EQ(rte_vdev_uninit(e.lower_name), 0, "lower removed");
	CHECK(rmv_events[e.ports[a]] == 1 && rmv_events[e.ports[b]] == 1,
	      "one RMV event each: %d %d", rmv_events[e.ports[a]], rmv_events[e.ports[b]]);
	rte_eth_link_get_nowait(e.ports[a], &link);
	CHECK_EQ(link.link_status, RTE_ETH_LINK_DOWN, "link down after removal");
	m[0] = t_make(UNKNOWN, "02:00:00:00:00:f1", 0x0800, 99);
	CHECK_EQ(rte_eth_tx_burst(e.ports[a], 0, m, 1), 0, "tx refused");
	rte_pktmbuf_free(m[0]);
	/*
	 * What was already in the ports' rings may still be read, every frame
	 * once (a took 4 of its 16 above); then nothing, and no poll of the
	 * removed lower.
	 */
	for (i = 0, got_a = 0, got_b = 0; i < 4; i++) {
		uint16_t n = rte_eth_rx_burst(e.ports[a], 0, m, 32);

		rte_pktmbuf_free_bulk(m, n);
		got_a += n;
		n = rte_eth_rx_burst(e.ports[b], 0, m, 32);
		rte_pktmbuf_free_bulk(m, n);
		got_b += n;
	}
	CHECK_EQ(got_a, 12, "frames left for a after removal");
	CHECK_EQ(got_b, 16, "frames left for b after removal");
	CHECK_EQ(rte_eth_rx_burst(e.ports[b], 0, m, 32), 0, "a ring read empty stays empty");
	CHECK_EQ(rte_eth_dev_stop(e.ports[a]), 0, "stop after removal");
	CHECK_EQ(rte_eth_dev_start(e.ports[a]), -ENODEV, "restart with no lower refused");
	rte_eth_dev_callback_unregister(e.ports[a], RTE_ETH_EVENT_INTR_RMV, count_event, NULL);
	rte_eth_dev_callback_unregister(e.ports[b], RTE_ETH_EVENT_INTR_RMV, count_event, NULL);
	return t_env_fini(&e);
}

/* Hot attach and detach (testpmd's port attach/detach) while siblings forward. */
static int
test_hot_attach(void)
{
	static struct t_env e; /* static: main cleans it up after a failure */
	char args[128];
	uint16_t c;
	int a, b, round;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:01:01", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:01:02", 1, 0, &b));
	for (round = 0; round < 3; round++) {
		snprintf(args, sizeof(args), "net_macvtap_hot,iface=%s,mac=02:00:00:00:01:03",
			 e.lower_name);
		CHECK_EQ(rte_dev_probe(args), 0, "attach");
		CHECK_EQ(rte_eth_dev_get_port_by_name("net_macvtap_hot", &c), 0, "port id");
		TRY(t_port_setup(c, 1, 0));
		e.ports[e.nb_ports] = c;
		strcpy(e.port_names[e.nb_ports], "net_macvtap_hot");
		e.nb_ports++;
		TRY(expect_rx(&e, "02:00:00:00:01:03", EXT, 10 * round + 1, BIT(e.nb_ports - 1)));
		TRY(expect_rx(&e, "02:00:00:00:01:01", EXT, 10 * round + 2, BIT(a)));
		TRY(expect_rx(&e, BCAST, EXT, 10 * round + 3,
			      BIT(a) | BIT(b) | BIT(e.nb_ports - 1)));
		/* Detach as testpmd does: stop, then remove the device. */
		CHECK_EQ(rte_eth_dev_stop(c), 0, "stop");
		{
			struct rte_eth_dev_info info;

			CHECK_EQ(rte_eth_dev_info_get(c, &info), 0, "info");
			CHECK_EQ(rte_dev_remove(info.device), 0, "detach");
		}
		e.nb_ports--;
		TRY(expect_rx(&e, "02:00:00:00:01:03", EXT, 10 * round + 4, 0));
		TRY(expect_rx(&e, "02:00:00:00:01:02", EXT, 10 * round + 5, BIT(b)));
	}
	return t_env_fini(&e);
}

/* A lower named before it is probed (EAL --vdev order) is resolved at configure. */
static int
test_late_lower(void)
{
	uint16_t port, lower;
	struct rte_eth_dev_owner owner;

	if (rte_eth_dev_get_port_by_name("net_macvtap_early", &port) != 0)
		T_SKIP_BECAUSE("not started with the late-lower EAL arguments");
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_ring_late", &lower), 0, "late lower exists");
	TRY(t_port_setup(port, 1, 0));
	CHECK_EQ(rte_eth_dev_owner_get(lower, &owner), 0, "owner");
	CHECK(owner.id != RTE_ETH_DEV_NO_OWNER, "late lower owned after configure");
	CHECK_EQ(rte_eth_dev_stop(port), 0, "stop");
	CHECK_EQ(rte_eth_dev_close(port), 0, "close");
	rte_eth_dev_stop(lower);
	rte_eth_dev_close(lower);
	return 0;
}

/*
 * A bridge port's frames reach a sibling in the order sent, group frames
 * included, and its PAUSE frames reach no sibling (the kernel never fans them out).
 */
static int
test_bridge_order_and_pause(void)
{
	static struct t_env e;
	struct rte_mbuf *m[4], *got[8];
	uint32_t ids[8];
	int a, b;
	uint16_t n, i;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:81,mode=bridge", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:00:82,mode=bridge", 1, 0, &b));
	CHECK_EQ(rte_eth_allmulticast_enable(e.ports[b]), 0, "allmulticast on the sibling");
	m[0] = t_make("02:00:00:00:00:82", "02:00:00:00:00:81", 0x0800, 1);
	m[1] = t_make(BCAST, "02:00:00:00:00:81", 0x0800, 2);
	m[2] = t_make("02:00:00:00:00:82", "02:00:00:00:00:81", 0x0800, 3);
	m[3] = t_make("01:80:c2:00:00:01", "02:00:00:00:00:81", 0x8808, 4);
	CHECK(m[0] && m[1] && m[2] && m[3], "out of mbufs");
	CHECK_EQ(rte_eth_tx_burst(e.ports[a], 0, m, 4), 4, "consumed");
	n = rte_eth_rx_burst(e.ports[b], 0, got, 8);
	for (i = 0; i < n; i++)
		ids[i] = t_frame_id(got[i]);
	rte_pktmbuf_free_bulk(got, n);
	CHECK_EQ(n, 3, "frames at the sibling (not the PAUSE frame)");
	CHECK(ids[0] == 1 && ids[1] == 2 && ids[2] == 3, "order at the sibling: %u %u %u",
	      ids[0], ids[1], ids[2]);
	n = t_wire(&e, wire, T_MAX_FRAMES);
	CHECK_EQ(n, 2, "on the wire: the broadcast and the PAUSE frame");
	CHECK(t_on_wire(wire, n, 4), "the PAUSE frame went to the wire");
	return t_env_fini(&e);
}

/* ---- threads: ports on different lcores sharing one lower ---- */

struct worker_arg {
	uint16_t port;
	uint16_t nb_q;
	unsigned int want;
	unsigned int got;
	unsigned int bad;        /* frames not addressed to this port */
	unsigned int sent;
	uint32_t seen[2048 / 32];
	struct rte_ether_addr mac;
};

/* Receive on every queue, check, bounce each frame to the wire; stop at want. */
static int
worker(void *p)
{
	struct worker_arg *w = p;
	struct rte_mbuf *m[32];
	uint64_t deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();
	uint16_t q, n, i, sent;

	while (w->got < w->want && rte_get_timer_cycles() < deadline) {
		for (q = 0; q < w->nb_q; q++) {
			n = rte_eth_rx_burst(w->port, q, m, 32);
			for (i = 0; i < n; i++) {
				uint32_t id = t_frame_id(m[i]);
				struct rte_ether_hdr *eh =
					rte_pktmbuf_mtod(m[i], struct rte_ether_hdr *);

				if (!rte_is_same_ether_addr(&eh->dst_addr, &w->mac) || id >= 2048 ||
				    (w->seen[id / 32] & (1u << (id % 32))))
					w->bad++;
				else
					w->seen[id / 32] |= 1u << (id % 32);
				/* Send it on with our own source, to an unknown host. */
				eh->src_addr = w->mac;
				eh->dst_addr = t_mac(UNKNOWN);
			}
			w->got += n;
			sent = 0;
			while (sent < n)
				sent += rte_eth_tx_burst(w->port, q, m + sent, n - sent);
			w->sent += sent;
		}
	}
	return 0;
}

static int
test_two_lcores(void)
{
	static struct t_env e;
	static struct worker_arg wa, wb;
	struct rte_mbuf *m[64];
	unsigned int lcore, i, j, n;
	int a, b;

	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE)
		T_SKIP_BECAUSE("needs a second lcore (-l 0-1)");
	TRY(t_env_init(&e, 2));
	/* Rings that hold a whole side of the 2000-frame burst injected at once. */
	TRY(t_add_port(&e, "mac=02:00:00:00:02:01", 1, 1024, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:02:02", 2, 1024, &b));
	memset(&wa, 0, sizeof(wa));
	memset(&wb, 0, sizeof(wb));
	wa.port = e.ports[a], wa.nb_q = 1, wa.mac = t_mac("02:00:00:00:02:01");
	wb.port = e.ports[b], wb.nb_q = 2, wb.mac = t_mac("02:00:00:00:02:02");
	/* 2000 frames, alternating destinations, spread over both lower queues. */
	for (i = 0; i < 2000; i += 64) {
		n = RTE_MIN(64u, 2000 - i);
		for (j = 0; j < n; j++)
			m[j] = t_make((i + j) % 2 ? "02:00:00:00:02:01" : "02:00:00:00:02:02", EXT,
				      0x0800, i + j);
		TRY(t_inject(&e, (i / 64) % 2, m, n));
	}
	wa.want = 1000;
	wb.want = 1000;
	CHECK_EQ(rte_eal_remote_launch(worker, &wa, lcore), 0, "launch");
	worker(&wb);
	rte_eal_wait_lcore(lcore);
	CHECK(wa.got == 1000 && wb.got == 1000, "received %u and %u of 1000 each", wa.got, wb.got);
	CHECK(wa.bad == 0 && wb.bad == 0, "misdelivered or duplicated: %u and %u", wa.bad, wb.bad);
	CHECK_EQ(wa.sent + wb.sent, 2000, "sent");
	n = t_wire(&e, wire, T_MAX_FRAMES);
	CHECK_EQ(n, 2000, "frames on the wire");
	return t_env_fini(&e);
}

/* A tiny capture: n 64-byte frames to dst. */
static int
write_capture(const char *path, const char *dst, unsigned int n)
{
	struct { uint32_t magic; uint16_t major, minor; int32_t zone; uint32_t sigfigs, snaplen,
		 linktype; } gh = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 };
	struct { uint32_t sec, usec, caplen, len; } rh = { 0, 0, 64, 64 };
	struct rte_ether_hdr eh;
	uint8_t frame[64];
	FILE *f = fopen(path, "wb");
	unsigned int i;

	if (f == NULL)
		return -1;
	fwrite(&gh, sizeof(gh), 1, f);
	for (i = 0; i < n; i++) {
		memset(frame, 0, sizeof(frame));
		eh.dst_addr = t_mac(dst);
		eh.src_addr = t_mac(EXT);
		eh.ether_type = rte_cpu_to_be_16(0x88b5);
		memcpy(frame, &eh, sizeof(eh));
		fwrite(&rh, sizeof(rh), 1, f);
		fwrite(frame, sizeof(frame), 1, f);
	}
	fclose(f);
	return 0;
}

/*
 * A lower may keep mbufs of the driver's pool after the driver stops it
 * (net_pcap holds its infinite_rx frames until closed). The next port on a
 * lower with that id still works, and the pool is freed once they are back.
 */
static int
test_pool_held_by_lower(void)
{
	char path[] = "/tmp/mvt_test_XXXXXX", args[128], pool_name[32];
	uint16_t lower, port;
	struct rte_mbuf *m[32];
	uint16_t got;
	int fd, i, n;

	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	close(fd);
	TRY(write_capture(path, "02:00:00:00:03:01", 8));
	snprintf(args, sizeof(args), "rx_pcap=%s,infinite_rx=1", path);
	TRY(lower_residue("net_pcap_probe", args, 2, &t_alloc_allowance));
	for (i = 0; i < 2; i++) {
		CHECK_EQ(rte_vdev_init("net_pcap_held", args), 0, "pcap lower");
		CHECK_EQ(rte_eth_dev_get_port_by_name("net_pcap_held", &lower), 0, "lower id");
		snprintf(pool_name, sizeof(pool_name), "mvt_lower_%u", lower);
		CHECK_EQ(rte_vdev_init("net_macvtap_held", "iface=net_pcap_held,"
				       "mac=02:00:00:00:03:01"), 0, "probe");
		CHECK_EQ(rte_eth_dev_get_port_by_name("net_macvtap_held", &port), 0, "port id");
		TRY(t_port_setup(port, 1, 0));
		for (n = 0, got = 0; n < 50 && got == 0; n++)
			got = rte_eth_rx_burst(port, 0, m, 32);
		CHECK(got > 0, "round %d: nothing received from the pcap lower", i);
		rte_pktmbuf_free_bulk(m, got);
		CHECK_EQ(rte_eth_dev_stop(port), 0, "stop");
		CHECK_EQ(rte_eth_dev_close(port), 0, "close");
		rte_vdev_uninit("net_macvtap_held");
		/* The lower still holds its 8 frames from our pool: kept, not freed. */
		CHECK(rte_mempool_lookup(pool_name) != NULL, "round %d: pool gone too early", i);
		/* Closing the lower gives them back; the next round comes at once. */
		CHECK_EQ(rte_eth_dev_close(lower), 0, "lower close");
		rte_vdev_uninit("net_pcap_held");
	}
	for (n = 0; n < 40 && rte_mempool_lookup(pool_name) != NULL; n++)
		rte_delay_us_sleep(50000);
	CHECK(rte_mempool_lookup(pool_name) == NULL, "pool not freed once its mbufs were back");
	unlink(path);
	return 0;
}

/*
 * Bridge ports that keep each other's rings busy with local traffic must not
 * starve the lower: as long as any port is polled, the lower is polled.
 */
static int
test_busy_ring_still_polls(void)
{
	static struct t_env e;
	struct rte_mbuf *m[32];
	struct rte_ring *r;
	int a, b, c, i, j;
	uint16_t n;

	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:04:01,mode=bridge", 1, 0, &a));
	TRY(t_add_port(&e, "mac=02:00:00:00:04:02,mode=bridge", 1, 0, &b));
	TRY(t_add_port(&e, "mac=02:00:00:00:04:03", 1, 0, &c));
	/* Frames from the wire for c, whose reader is not polling. */
	for (i = 0; i < 8; i++)
		m[i] = t_make("02:00:00:00:04:03", EXT, 0x0800, 500 + i);
	TRY(t_inject(&e, 0, m, 8));
	/* a sends to b locally; only b is read, and its ring never runs empty. */
	for (i = 0; i < 64; i++) {
		for (j = 0; j < 4; j++)
			m[j] = t_make("02:00:00:00:04:02", "02:00:00:00:04:01", 0x0800, i * 4 + j);
		CHECK_EQ(rte_eth_tx_burst(e.ports[a], 0, m, 4), 4, "local tx");
		n = rte_eth_rx_burst(e.ports[b], 0, m, 2);
		rte_pktmbuf_free_bulk(m, n);
	}
	r = rte_pmd_macvtap_get_rx_ring(e.ports[c], 0);
	CHECK(r != NULL, "ring");
	CHECK_EQ(rte_ring_count(r), 8, "frames for c were polled from the lower");
	return t_env_fini(&e);
}

/*
 * A queue whose pool has a private area (as OVS-DPDK's, which keeps per-packet
 * state there), on a lower whose pool was made for another port's plain pool
 * (the first one set up), only ever gets mbufs from its own pool, unicast and
 * broadcast copies alike, each copy counted; rxq_info reports it.
 */
static int
test_app_pool_with_priv(void)
{
	static struct t_env e;
	struct rte_mempool *priv_pool;
	struct rte_eth_rxq_info qi;
	struct rte_eth_conf conf;
	struct rte_mbuf *m[32];
	uint16_t port, n, got = 0, i;
	int a, b, tries;

	priv_pool = rte_pktmbuf_pool_create("t_priv_pool", 1023, 0, 64,
					    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	CHECK(priv_pool != NULL, "pool with a private area");
	TRY(t_env_init(&e, 1));
	TRY(t_add_port(&e, "mac=02:00:00:00:05:01", 1, 0, &a));
	CHECK_EQ(t_probe(&e, "mac=02:00:00:00:05:02", &b), 0, "probe");
	port = e.ports[b];
	memset(&conf, 0, sizeof(conf));
	CHECK_EQ(rte_eth_dev_configure(port, 1, 1, &conf), 0, "configure");
	CHECK_EQ(rte_eth_rx_queue_setup(port, 0, 0, 0, NULL, priv_pool), 0, "rxq");
	CHECK_EQ(rte_eth_tx_queue_setup(port, 0, 0, 0, NULL), 0, "txq");
	CHECK_EQ(rte_eth_dev_start(port), 0, "start");
	CHECK_EQ(rte_eth_rx_queue_info_get(port, 0, &qi), 0, "rxq info");
	CHECK(qi.mp == priv_pool, "rxq_info reports the application's pool");
	for (i = 0; i < 8; i++)
		m[i] = t_make(i % 2 ? BCAST : "02:00:00:00:05:02", EXT, 0x0800, 700 + i);
	TRY(t_inject(&e, 0, m, 8));
	for (tries = 0; tries < 10 && got < 8; tries++) {
		n = rte_eth_rx_burst(port, 0, m, 32);
		for (i = 0; i < n; i++) {
			CHECK(m[i]->pool == priv_pool, "frame %u from pool %s", t_frame_id(m[i]),
			      m[i]->pool->name);
			CHECK_EQ(t_frame_id(m[i]) >= 700 && t_frame_id(m[i]) < 708, 1, "content");
			CHECK_EQ(m[i]->port, port, "mbuf->port");
		}
		got += n;
		rte_pktmbuf_free_bulk(m, n);
	}
	CHECK_EQ(got, 8, "frames received");
	/* The lower's pool was made for port a's plain pool: every frame was copied. */
	CHECK_EQ(t_xstat(port, "rx_pool_copied_packets"), 8, "frames copied");
	/* The other port, with a plain pool, got the broadcasts too. */
	n = rte_eth_rx_burst(e.ports[a], 0, m, 32);
	CHECK_EQ(n, 4, "broadcasts on the plain port");
	rte_pktmbuf_free_bulk(m, n);
	TRY(t_env_fini(&e));
	CHECK(rte_mempool_full(priv_pool), "private pool full again");
	rte_mempool_free(priv_pool);
	return 0;
}

/* ---- a NIC-like lower (test/nicsim): what net_ring cannot show ---- */

/* A net_nicsim lower with devargs, and n macvtap ports on it, configured and started. */
static int
nic_env(struct t_env *e, const char *nic_args, unsigned int n, const char *const *port_args)
{
	static unsigned int seq;
	uint16_t port;
	unsigned int i;

	memset(e, 0, sizeof(*e));
	t_current = e;
	e->nic = true;
	e->nb_q = 1;
	snprintf(e->lower_name, sizeof(e->lower_name), "net_nicsim_x%u", ++seq);
	CHECK_EQ(rte_vdev_init(e->lower_name, nic_args), 0, "nicsim lower");
	CHECK_EQ(rte_eth_dev_get_port_by_name(e->lower_name, &port), 0, "nicsim id");
	e->lower = port;
	e->rx[0] = nicsim_rx_ring(port, 0);
	e->tx[0] = nicsim_tx_ring(port, 0);
	for (i = 0; i < n; i++)
		TRY(t_add_port(e, port_args[i], 1, 0, NULL));
	return 0;
}

/* Pools with a private area, initialised by the test as an application would. */
#define ZC_PRIV 64
static const char zc_mark[] = "dp_packet-like";

static void
zc_init_mark(struct rte_mempool *mp __rte_unused, void *arg, void *obj,
	     unsigned int idx __rte_unused)
{
	memcpy((uint8_t *)obj + sizeof(struct rte_mbuf), arg, strlen(arg));
}

static void
zc_init_index(struct rte_mempool *mp __rte_unused, void *arg __rte_unused, void *obj,
	      unsigned int idx)
{
	memcpy((uint8_t *)obj + sizeof(struct rte_mbuf), &idx, sizeof(idx));
}

static struct rte_mempool *
zc_pool(const char *name, rte_mempool_obj_cb_t *init, const char *arg)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create(name, 1023, 0, ZC_PRIV,
							 RTE_MBUF_DEFAULT_BUF_SIZE, 0);

	if (mp != NULL)
		rte_mempool_obj_iter(mp, init, (void *)(uintptr_t)arg);
	return mp;
}

static int
zc_port(struct t_env *e, const char *args, struct rte_mempool *mp, uint16_t *port)
{
	struct rte_eth_conf conf;
	int i;

	memset(&conf, 0, sizeof(conf));
	CHECK(t_probe(e, args, &i) == 0, "probe %s", args);
	*port = e->ports[i];
	CHECK_EQ(rte_eth_dev_configure(*port, 1, 1, &conf), 0, "configure");
	CHECK_EQ(rte_eth_rx_queue_setup(*port, 0, 0, 0, NULL, mp), 0, "rxq");
	CHECK_EQ(rte_eth_tx_queue_setup(*port, 0, 0, 0, NULL), 0, "txq");
	CHECK_EQ(rte_eth_dev_start(*port), 0, "start");
	return 0;
}

/* Read n frames from a port, checking which pool each came from. */
static int
zc_read(uint16_t port, unsigned int want, struct rte_mempool *from, const char *priv)
{
	struct rte_mbuf *m[32];
	unsigned int got = 0, tries, i;
	uint16_t n;

	for (tries = 0; tries < 20 && got < want; tries++) {
		n = rte_eth_rx_burst(port, 0, m, RTE_DIM(m));
		for (i = 0; i < n; i++) {
			CHECK(m[i]->pool == from, "port %u: frame %u from %s, not %s", port,
			      t_frame_id(m[i]), m[i]->pool->name, from->name);
			CHECK_EQ(rte_pktmbuf_priv_size(m[i]->pool), ZC_PRIV, "private area size");
			if (priv != NULL)
				CHECK(memcmp(RTE_PTR_ADD(m[i], sizeof(struct rte_mbuf)), priv,
					     strlen(priv)) == 0, "private area as the pool's init");
			CHECK_EQ(m[i]->port, port, "mbuf->port");
		}
		got += n;
		rte_pktmbuf_free_bulk(m, n);
	}
	CHECK(got == want, "port %u: %u frames received, want %u", port, got, want);
	return 0;
}

/*
 * Issue 11: a lower started for a queue whose pool has a private area that
 * every object holds alike gets a pool with that private area, and hands its
 * frames to that queue without a copy (rx_pool_copied_packets stays 0). A
 * queue whose pool's objects differ there, or hold other bytes, still gets
 * copies into its own pool, counted. Every pool is full again afterwards.
 */
static int
test_zero_copy_priv_pool(void)
{
	static struct t_env e;
	struct rte_mempool *same, *index, *other, *lower_mp;
	struct rte_mbuf *m[12];
	uint16_t b, c, d;
	unsigned int i;

	same = zc_pool("t_zc_same", zc_init_mark, zc_mark);
	index = zc_pool("t_zc_index", zc_init_index, NULL);
	other = zc_pool("t_zc_other", zc_init_mark, "something else");
	CHECK(same != NULL && index != NULL && other != NULL, "pools");
	TRY(nic_env(&e, "", 0, NULL));
	TRY(zc_port(&e, "mac=02:00:00:00:0a:01", same, &b));
	TRY(zc_port(&e, "mac=02:00:00:00:0a:02", index, &c));
	TRY(zc_port(&e, "mac=02:00:00:00:0a:03", other, &d));
	lower_mp = rte_pmd_macvtap_get_lower_mempool(b);
	CHECK(lower_mp != NULL && lower_mp != same, "the lower's own pool");
	CHECK_EQ(rte_pktmbuf_priv_size(lower_mp), ZC_PRIV, "the lower's pool's private area");
	/* Per port: 4 unicast frames; and 4 broadcasts that every port gets. */
	for (i = 0; i < 12; i++)
		m[i] = t_make(i < 4 ? "02:00:00:00:0a:01" : i < 8 ? "02:00:00:00:0a:02" :
			      "02:00:00:00:0a:03", EXT, 0x0800, 900 + i);
	TRY(t_inject(&e, 0, m, 12));
	for (i = 0; i < 4; i++)
		m[i] = t_make(BCAST, EXT, 0x0800, 950 + i);
	TRY(t_inject(&e, 0, m, 4));
	TRY(zc_read(b, 8, lower_mp, zc_mark));
	TRY(zc_read(c, 8, index, NULL));
	TRY(zc_read(d, 8, other, "something else"));
	CHECK_EQ(t_xstat(b, "rx_pool_copied_packets"), 0, "no copy for the fitting pool");
	CHECK_EQ(t_xstat(c, "rx_pool_copied_packets"), 8, "copies: objects differ");
	CHECK_EQ(t_xstat(d, "rx_pool_copied_packets"), 8, "copies: other bytes");
	CHECK(rte_mempool_full(lower_mp), "the lower's pool full again");
	CHECK(rte_mempool_full(same) && rte_mempool_full(index) && rte_mempool_full(other),
	      "the applications' pools full again");
	TRY(t_env_fini(&e));
	rte_mempool_free(same);
	rte_mempool_free(index);
	rte_mempool_free(other);
	return 0;
}

/*
 * A NIC completes and frees what it sent inside tx burst (net_nicsim poisons
 * it first): the port's byte counts come from the frames before they left.
 * What the lower did not take is still the caller's, intact.
 */
static int
test_nic_tx_completes(void)
{
	static const char *const ports[] = {
		"mac=02:00:00:00:07:01", "mac=02:00:00:00:07:02,mode=bridge,spoofchk=1",
	};
	static struct t_env e;
	struct rte_mbuf *m[10];
	struct rte_eth_stats st;
	uint64_t bytes = 0, head = 0;
	unsigned int i, w;
	uint16_t sent;

	TRY(nic_env(&e, "tx_room=4", 2, ports));
	for (i = 0; i < 2; i++) {
		unsigned int k;

		/* Port 0 takes the fast path (vepa), port 1 the general one (spoofchk). */
		for (k = 0, bytes = 0; k < 4; k++) {
			m[k] = t_make_len(UNKNOWN, i == 0 ? "02:00:00:00:07:01" :
					  "02:00:00:00:07:02", 0x0800, k, 60 + 50 * k);
			CHECK(m[k] != NULL, "no mbuf");
			bytes += m[k]->pkt_len;
		}
		CHECK_EQ(rte_eth_tx_burst(e.ports[i], 0, m, 4), 4, "tx burst");
		CHECK_EQ(rte_eth_stats_get(e.ports[i], &st), 0, "stats");
		CHECK_EQ(st.opackets, 4, "opackets");
		CHECK_EQ(st.obytes, bytes, "obytes of frames the NIC freed and poisoned");
		w = t_wire(&e, wire, T_MAX_FRAMES);
		CHECK_EQ(w, 4, "frames on the wire");
	}
	/* Room for 4: the vepa port's burst of 10 leaves 6 to its caller, intact. */
	for (i = 0, bytes = 0, head = 0; i < 10; i++) {
		m[i] = t_make_len(UNKNOWN, "02:00:00:00:07:01", 0x0800, 100 + i, 100 + i);
		CHECK(m[i] != NULL, "no mbuf");
		if (i < 4)
			head += m[i]->pkt_len;
	}
	sent = rte_eth_tx_burst(e.ports[0], 0, m, 10);
	CHECK_EQ(sent, 4, "what the lower took");
	for (i = sent; i < 10; i++) {
		CHECK_EQ(m[i]->pkt_len, 100 + i, "an unsent frame is intact");
		CHECK_EQ(t_frame_id(m[i]), 100 + i, "an unsent frame's bytes");
	}
	rte_pktmbuf_free_bulk(m + sent, 10 - sent);
	CHECK_EQ(rte_eth_stats_get(e.ports[0], &st), 0, "stats");
	CHECK_EQ(st.opackets, 8, "opackets");
	CHECK_EQ(st.obytes, (60 + 110 + 160 + 210) + head, "obytes count only what left");
	CHECK_EQ(t_wire(&e, wire, T_MAX_FRAMES), 4, "frames on the wire");
	return t_env_fini(&e);
}

/* The lower's multicast list now, as a count, and whether it holds group g. */
static int
nic_mc_has(uint16_t lower, const char *g, int *count)
{
	struct rte_ether_addr list[8], want = t_mac(g);
	int n = nicsim_mc_list(lower, list, RTE_DIM(list)), i;

	*count = n;
	for (i = 0; i < n && i < (int)RTE_DIM(list); i++)
		if (rte_is_same_ether_addr(&list[i], &want))
			return 1;
	return 0;
}

/*
 * The groups ports join reach a filtering lower (the kernel's dev_mc_sync):
 * the union of the UP ports' lists, allmulticast when it does not fit, back to
 * the list when it fits again, and nothing once no port is up.
 */
static int
test_nic_multicast_sync(void)
{
	static const char *const ports[] = { "mac=02:00:00:00:08:01", "mac=02:00:00:00:08:02" };
	static const char *const pt_ports[] = { "mode=passthru,nopromisc=1" };
	static struct t_env e;
	struct rte_ether_addr g1 = t_mac(GROUP), g23[3] = {
		t_mac(GROUP2), t_mac("01:00:5e:00:00:03"), t_mac(GROUP),
	};
	uint64_t filtered, no_listener;
	int n;

	TRY(nic_env(&e, "mc_slots=2", 2, ports));
	CHECK_EQ(rte_eth_dev_set_mc_addr_list(e.ports[0], &g1, 1), 0, "port 0 joins G1");
	CHECK(nic_mc_has(e.lower, GROUP, &n) && n == 1, "the lower's list: %d groups", n);
	TRY(expect_rx(&e, GROUP, EXT, 1, BIT(0)));
	/* G1 (again), G2, G3 from port 1: three groups, two slots: allmulticast. */
	CHECK_EQ(rte_eth_dev_set_mc_addr_list(e.ports[1], g23, 3), 0, "port 1 joins three");
	CHECK_EQ(rte_eth_allmulticast_get(e.lower), 1, "the lower is allmulticast");
	TRY(expect_rx(&e, GROUP, EXT, 2, BIT(0) | BIT(1)));
	TRY(expect_rx(&e, GROUP2, EXT, 3, BIT(1)));
	TRY(expect_rx(&e, "01:00:5e:00:00:03", EXT, 4, BIT(1)));
	no_listener = LOWER_STAT(e.ports[0], rx_no_listener);
	TRY(expect_rx(&e, "01:00:5e:00:00:04", EXT, 5, 0));
	CHECK_EQ(LOWER_STAT(e.ports[0], rx_no_listener), no_listener + 1, "no listener");
	/* Port 1 leaves: G1 fits again, allmulticast goes. */
	CHECK_EQ(rte_eth_dev_stop(e.ports[1]), 0, "stop port 1");
	CHECK_EQ(rte_eth_allmulticast_get(e.lower), 0, "the lower is no longer allmulticast");
	CHECK(nic_mc_has(e.lower, GROUP, &n) && n == 1, "the lower's list: %d groups", n);
	filtered = t_lower_filtered(&e);
	TRY(expect_rx(&e, GROUP2, EXT, 6, 0));
	CHECK_EQ(t_lower_filtered(&e), filtered + 1, "the lower filters G2 again");
	TRY(expect_rx(&e, GROUP, EXT, 7, BIT(0)));
	/* Port 0 leaves the group: the lower's list empties. */
	CHECK_EQ(rte_eth_dev_set_mc_addr_list(e.ports[0], NULL, 0), 0, "port 0 leaves");
	CHECK(!nic_mc_has(e.lower, GROUP, &n) && n == 0, "the lower's list: %d groups", n);
	TRY(expect_rx(&e, GROUP, EXT, 8, 0));
	TRY(t_env_fini(&e));

	/* A lower without a multicast filter: allmulticast while a port has groups. */
	TRY(nic_env(&e, "mc_slots=0", 1, ports));
	CHECK_EQ(rte_eth_dev_set_mc_addr_list(e.ports[0], &g1, 1), 0, "join on a lower without");
	CHECK_EQ(rte_eth_allmulticast_get(e.lower), 1, "the lower is allmulticast");
	TRY(expect_rx(&e, GROUP, EXT, 9, BIT(0)));
	CHECK_EQ(rte_eth_dev_set_mc_addr_list(e.ports[0], NULL, 0), 0, "leave");
	CHECK_EQ(rte_eth_allmulticast_get(e.lower), 0, "allmulticast given back");
	TRY(t_env_fini(&e));

	/*
	 * The kernel's port filter (found by the kernel comparison): a passthru
	 * port with nopromisc, set promiscuous, leaves the lower as it is; a group
	 * nobody joined stops at the lower even where the lower lets it in (here
	 * because its groups did not fit), and the port's own filter never sees it.
	 */
	TRY(nic_env(&e, "mc_slots=0", 1, pt_ports));
	CHECK_EQ(rte_eth_promiscuous_enable(e.ports[0]), 0, "the port promiscuous");
	CHECK_EQ(rte_eth_promiscuous_get(e.lower), 0, "the lower left alone (nopromisc)");
	CHECK_EQ(rte_eth_dev_set_mc_addr_list(e.ports[0], &g1, 1), 0, "join G1");
	TRY(expect_rx(&e, GROUP, EXT, 10, BIT(0)));
	no_listener = LOWER_STAT(e.ports[0], rx_no_listener);
	TRY(expect_rx(&e, GROUP2, EXT, 11, 0));
	CHECK_EQ(LOWER_STAT(e.ports[0], rx_no_listener), no_listener + 1, "counted");
	TRY(expect_rx(&e, BCAST, EXT, 12, BIT(0)));
	return t_env_fini(&e);
}

/*
 * A lower that can neither filter a port's MAC nor go promiscuous: the start
 * fails with -ENOTSUP and says why, rather than a port whose unicast never
 * comes. One with a free filter slot takes the port.
 */
static int
test_nic_no_filter_no_promisc(void)
{
	static const char *const ports[] = { "mac=02:00:00:00:09:01" };
	static struct t_env e;
	struct rte_eth_conf conf;
	uint16_t p;
	int i;

	memset(&conf, 0, sizeof(conf));
	/* Two slots: the NIC's own MAC and one port's. */
	TRY(nic_env(&e, "uc_slots=2,enotsup=promisc", 1, ports));
	TRY(expect_rx(&e, "02:00:00:00:09:01", EXT, 1, BIT(0)));
	CHECK_EQ(t_probe(&e, "mac=02:00:00:00:09:02", &i), 0, "a second port");
	p = e.ports[i];
	CHECK_EQ(rte_eth_dev_configure(p, 1, 1, &conf), 0, "configure");
	CHECK_EQ(rte_eth_rx_queue_setup(p, 0, 0, 0, NULL, t_pool), 0, "rxq");
	CHECK_EQ(rte_eth_tx_queue_setup(p, 0, 0, 0, NULL), 0, "txq");
	TRY(t_log_start());
	CHECK_EQ(rte_eth_dev_start(p), -ENOTSUP, "start with no filter slot and no promiscuous");
	CHECK_EQ(t_log_count("the lower can neither filter 02:00:00:00:09:02"), 1, "logged");
	t_log_stop();
	/* The first port gives its slot back: now the second starts and receives. */
	CHECK_EQ(rte_eth_dev_stop(e.ports[0]), 0, "stop the first");
	CHECK_EQ(rte_eth_dev_start(p), 0, "start in the freed slot");
	TRY(expect_rx(&e, "02:00:00:00:09:02", EXT, 2, BIT(i)));
	CHECK_EQ(rte_eth_dev_start(e.ports[0]), -ENOTSUP, "and the first cannot come back");
	return t_env_fini(&e);
}

static volatile int nic_events;

static int
count_any_event(uint16_t port __rte_unused, enum rte_eth_event_type type __rte_unused,
		void *arg __rte_unused, void *ret __rte_unused)
{
	nic_events++;
	return 0;
}

/*
 * A NIC whose stop waits for its own interrupt thread (stop_waits=1): events
 * it raises while the driver stops it, under the driver's control lock, must
 * not wait for that lock. Also: link flaps while ports stop and start, and a
 * NIC's hot unplug, which it announces only to those who asked (intr_conf.rmv).
 */
static int
test_nic_events_while_stopping(void)
{
	static const char *const ports[] = { "mac=02:00:00:00:0a:01", "mac=02:00:00:00:0a:02" };
	static struct t_env e;
	uint16_t lower;
	int i;

	TRY(nic_env(&e, "stop_waits=1", 1, ports));
	lower = e.lower;
	/* The last port closes: the driver stops the lower, which raises an LSC and waits. */
	CHECK_EQ(rte_eth_dev_stop(e.ports[0]), 0, "stop");
	CHECK_EQ(rte_eth_dev_close(e.ports[0]), 0, "close");
	CHECK(!nicsim_stop_timed_out(lower), "the lower's stop waited 2 s for its interrupt "
	      "thread, held by the driver's lock");
	CHECK_EQ(rte_vdev_uninit(e.port_names[0]), 0, "uninit");
	e.nb_ports = 0;
	TRY(t_env_fini(&e));

	/* Link flaps from the interrupt thread while ports stop and start. */
	TRY(nic_env(&e, "stop_waits=1", 2, ports));
	for (i = 0; i < 50; i++) {
		CHECK_EQ(nicsim_set_link_nowait(e.lower, i % 2), 0, "carrier");
		CHECK_EQ(rte_eth_dev_stop(e.ports[i % 2]), 0, "stop");
		CHECK_EQ(rte_eth_dev_start(e.ports[i % 2]), 0, "start");
	}
	CHECK_EQ(nicsim_set_link(e.lower, true), 0, "carrier up");
	CHECK_EQ(nicsim_wait_events(e.lower, 2000), 0, "events delivered");
	CHECK_EQ(wait_link(e.ports[0], RTE_ETH_LINK_UP), 0, "port 0 follows the carrier up");
	CHECK_EQ(wait_link(e.ports[1], RTE_ETH_LINK_UP), 0, "port 1 follows the carrier up");
	CHECK(!nicsim_stop_timed_out(e.lower), "a stop timed out");

	/* Hot unplug: an RMV from the NIC's thread reaches the ports. */
	nic_events = 0;
	CHECK_EQ(rte_eth_dev_callback_register(e.ports[0], RTE_ETH_EVENT_INTR_RMV,
					       count_any_event, NULL), 0, "callback");
	CHECK_EQ(nicsim_unplug(e.lower), 0, "unplug");
	for (i = 0; i < 200 && nic_events == 0; i++)
		rte_delay_us_sleep(10000);
	rte_eth_dev_callback_unregister(e.ports[0], RTE_ETH_EVENT_INTR_RMV, count_any_event,
					NULL);
	CHECK_EQ(nic_events, 1, "RMV events on the port");
	CHECK_EQ(wait_link(e.ports[0], RTE_ETH_LINK_DOWN), 0, "link down after the unplug");
	return t_env_fini(&e);
}

static const struct t_test tests[] = {
	{ "late_lower", test_late_lower, T_NO_CLEAN_CHECK | T_OWN_LOWER },
	{ "matrix_a", test_matrix_a, 0 },
	{ "source_mode", test_source_mode, 0 },
	{ "passthru", test_passthru, 0 },
	{ "passthru_mac", test_passthru_mac, T_OWN_LOWER },
	{ "matrix_b", test_matrix_b, 0 },
	{ "matrix_c", test_matrix_c, 0 },
	{ "hairpin", test_hairpin, 0 },
	{ "spoofchk", test_spoofchk, 0 },
	{ "bridge_order_and_pause", test_bridge_order_and_pause, 0 },
	{ "queues", test_queues, 0 },
	{ "broadcast_copies", test_broadcast_copies, 0 },
	{ "bad_devargs", test_bad_devargs, 0 },
	{ "ownership", test_ownership, 0 },
	{ "mac_changes", test_mac_changes, 0 },
	{ "busy_at_start", test_busy_at_start, T_OWN_LOWER },
	{ "mtu_and_admin", test_mtu_and_admin, 0 },
	{ "jumbo_lower", test_jumbo_lower, T_OWN_LOWER },
	{ "link_up_under_traffic", test_link_up_under_traffic, 0 },
	{ "lsc", test_lsc, 0 },
	{ "lower_removal", test_lower_removal, 0 },
	{ "hot_attach", test_hot_attach, 0 },
	{ "two_lcores", test_two_lcores, 0 },
	{ "pool_held_by_lower", test_pool_held_by_lower, T_OWN_LOWER },
	{ "busy_ring_still_polls", test_busy_ring_still_polls, 0 },
	{ "app_pool_with_priv", test_app_pool_with_priv, 0 },
	{ "nic_tx_completes", test_nic_tx_completes, T_OWN_LOWER },
	{ "zero_copy_priv_pool", test_zero_copy_priv_pool, T_OWN_LOWER },
	{ "nic_multicast_sync", test_nic_multicast_sync, T_OWN_LOWER },
	{ "nic_no_filter_no_promisc", test_nic_no_filter_no_promisc, T_OWN_LOWER },
	{ "nic_events_while_stopping", test_nic_events_while_stopping, T_OWN_LOWER },
};

int
main(int argc, char **argv)
{
	return t_main(argc, argv, "test_macvtap", tests, RTE_DIM(tests));
}

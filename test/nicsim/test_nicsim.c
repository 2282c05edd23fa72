/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Self-test of net_nicsim (nicsim.h) through the ordinary ethdev API: the MAC
 * filter, slot limits and left-out ops, poisoning transmit and backpressure,
 * LSC/RMV from the interrupt thread, the stop_waits deadlock detector, and
 * create/remove without leaks. One line per check: PASS: name, or
 * FAIL: name: why; the exit status is non-zero when any failed.
 *
 * Run: test_nicsim --no-huge -m 512 --no-pci -l 0-1 --file-prefix=<unique>
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "nicsim.h"

#define NB_TEST_MBUFS 1023
#define MAX_FRAME 2048
#define LEAK_ROUNDS 100

static const struct rte_ether_addr own_mac = {{ 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa }};
static const struct rte_ether_addr other_mac = {{ 0x02, 0x00, 0x00, 0x00, 0x00, 0xbb }};
static const struct rte_ether_addr added_mac = {{ 0x02, 0x00, 0x00, 0x00, 0x00, 0xcc }};
static const struct rte_ether_addr new_mac = {{ 0x02, 0x00, 0x00, 0x00, 0x00, 0xdd }};
static const struct rte_ether_addr src_mac = {{ 0x02, 0xee, 0x00, 0x00, 0x00, 0x01 }};
static const struct rte_ether_addr bcast = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};
static const struct rte_ether_addr mc_a = {{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x0a }};
static const struct rte_ether_addr mc_b = {{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x0b }};
static const struct rte_ether_addr mc_c = {{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x0c }};

static struct rte_mempool *frame_pool; /* what the test puts on the wire */
static struct rte_mempool *rx_pool;    /* the RX queues' buffers */
static pthread_t main_thread;
static unsigned int passed, failed;
static char why_buf[512];

/* ---- helpers ---- */

static const char *
why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	return why_buf;
}

static void
run(const char *name, const char *(*fn)(void))
{
	const char *err = fn();

	if (err == NULL) {
		printf("PASS: %s\n", name);
		passed++;
	} else {
		printf("FAIL: %s: %s\n", name, err);
		failed++;
	}
	fflush(stdout);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A nicsim device; its port, or -errno. */
static int
create(const char *name, const char *args)
{
	uint16_t port;
	int ret;

	ret = rte_vdev_init(name, args);
	if (ret != 0)
		return ret < 0 ? ret : -EINVAL;
	if (rte_eth_dev_get_port_by_name(name, &port) != 0)
		return -ENODEV;
	return port;
}

/* Configure nq queues on the test pools and start. */
static int
start_port(uint16_t port, uint16_t nq, bool lsc, bool rmv)
{
	struct rte_eth_conf conf;
	uint16_t q;
	int ret;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.lsc = lsc;
	conf.intr_conf.rmv = rmv;
	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	if (ret != 0)
		return ret;
	for (q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, 256, rte_socket_id(), NULL, rx_pool);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, 256, rte_socket_id(), NULL);
		if (ret != 0)
			return ret;
	}
	return rte_eth_dev_start(port);
}

static void
fill_frame(uint8_t *p, const struct rte_ether_addr *dst, uint16_t len, uint8_t seed)
{
	uint16_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
	if (len >= RTE_ETHER_HDR_LEN) {
		memcpy(p, dst, RTE_ETHER_ADDR_LEN);
		memcpy(p + RTE_ETHER_ADDR_LEN, &src_mac, RTE_ETHER_ADDR_LEN);
		p[12] = 0x88; /* local experimental ethertype */
		p[13] = 0xb5;
	}
}

static struct rte_mbuf *
make_frame(struct rte_mempool *mp, const struct rte_ether_addr *dst, uint16_t len, uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *p;

	if (m == NULL)
		return NULL;
	p = rte_pktmbuf_append(m, len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	fill_frame((uint8_t *)p, dst, len, seed);
	return m;
}

/* Whether m holds exactly the len bytes of want. */
static bool
frame_equal(const struct rte_mbuf *m, const uint8_t *want, uint32_t len)
{
	uint8_t buf[MAX_FRAME * 2];
	const uint8_t *p;

	if (m->pkt_len != len || len > sizeof(buf))
		return false;
	p = rte_pktmbuf_read(m, 0, len, buf);
	return p != NULL && memcmp(p, want, len) == 0;
}

/*
 * One frame of len bytes for dst arrives on queue q: how many rx_burst
 * delivered (0 or 1), or -1 when what it delivered is not that frame in an
 * mbuf of the queue's pool.
 */
static int
rx_try(uint16_t port, uint16_t q, const struct rte_ether_addr *dst, uint16_t len)
{
	static uint8_t seed;
	uint8_t want[MAX_FRAME];
	struct rte_mbuf *m, *out[4];
	uint16_t n, i;
	int ret;

	seed++;
	m = make_frame(frame_pool, dst, len, seed);
	if (m == NULL || rte_ring_enqueue(nicsim_rx_ring(port, q), m) != 0) {
		rte_pktmbuf_free(m);
		return -1;
	}
	fill_frame(want, dst, len, seed);
	n = rte_eth_rx_burst(port, q, out, RTE_DIM(out));
	ret = n;
	for (i = 0; i < n; i++) {
		if (out[i]->pool != rx_pool || out[i]->port != port || out[i]->nb_segs != 1 ||
		    !frame_equal(out[i], want, len))
			ret = -1;
		rte_pktmbuf_free(out[i]);
	}
	return ret;
}

static int
xstat(uint16_t port, const char *name, uint64_t *value)
{
	uint64_t id;
	int ret;

	ret = rte_eth_xstats_get_id_by_name(port, name, &id);
	if (ret != 0)
		return ret;
	return rte_eth_xstats_get_by_id(port, &id, value, 1) == 1 ? 0 : -EIO;
}

static const char *
pools_full(void)
{
	if (!rte_mempool_full(frame_pool))
		return why("frame pool: %u of %u back", rte_mempool_avail_count(frame_pool),
			   frame_pool->size);
	if (!rte_mempool_full(rx_pool))
		return why("rx pool: %u of %u back", rte_mempool_avail_count(rx_pool),
			   rx_pool->size);
	return NULL;
}

/* Remove a device if it exists (ethdev wants a port configured before an MTU is set). */
static void
remove_dev(const char *name)
{
	rte_vdev_uninit(name);
}

static int
configure(int port)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	return port < 0 ? -ENODEV : rte_eth_dev_configure(port, 1, 1, &conf);
}

/* ---- checks ---- */

static const char *
t_defaults(void)
{
	static const struct rte_ether_addr dflt = {{ 0x02, 0x4e, 0x53, 0x00, 0x00, 0x01 }};
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	const char *err = NULL;
	uint16_t mtu;
	int port, port2 = -1;

	port = create("net_nicsim_dflt", "");
	if (port < 0)
		return why("create: %s", rte_strerror(-port));
	if (!nicsim_is_port(port)) {
		err = why("nicsim_is_port false");
		goto out;
	}
	if (rte_eth_dev_info_get(port, &info) != 0 || rte_eth_macaddr_get(port, &mac) != 0 ||
	    rte_eth_dev_get_mtu(port, &mtu) != 0) {
		err = why("dev_info/macaddr/mtu get failed");
		goto out;
	}
	if (info.max_rx_queues != 1 || info.max_tx_queues != 1 || info.max_mac_addrs != 4 ||
	    info.min_mtu != RTE_ETHER_MIN_MTU || info.max_mtu != 9000 ||
	    info.max_rx_pktlen != 9000 + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN ||
	    info.rx_offload_capa != 0 || info.tx_offload_capa != 0) {
		err = why("dev_info: queues %u/%u mac_addrs %u mtu %u..%u pktlen %u offloads %#" PRIx64,
			  info.max_rx_queues, info.max_tx_queues, info.max_mac_addrs,
			  info.min_mtu, info.max_mtu, info.max_rx_pktlen, info.rx_offload_capa);
		goto out;
	}
	if (!rte_is_same_ether_addr(&mac, &dflt) || mtu != RTE_ETHER_MTU) {
		err = why("default MAC or MTU %u wrong", mtu);
		goto out;
	}
	if ((*info.dev_flags & (RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_INTR_RMV)) !=
	    (RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_INTR_RMV)) {
		err = why("lsc=1 by default but dev_flags %#x", *info.dev_flags);
		goto out;
	}
	if (nicsim_rx_ring(port, 0) == NULL || nicsim_tx_ring(port, 0) == NULL ||
	    nicsim_rx_ring(port, 1) != NULL || nicsim_wire_pool(port) == NULL ||
	    nicsim_rx_ring(RTE_MAX_ETHPORTS - 1, 0) != NULL) {
		err = why("ring accessors wrong");
		goto out;
	}
	port2 = create("net_nicsim_nolsc", "lsc=0,queues=4");
	if (port2 < 0) {
		err = why("create lsc=0: %s", rte_strerror(-port2));
		goto out;
	}
	if (rte_eth_dev_info_get(port2, &info) != 0 ||
	    (*info.dev_flags & (RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_INTR_RMV)) != 0 ||
	    info.max_rx_queues != 4 || nicsim_rx_ring(port2, 3) == NULL) {
		err = why("lsc=0,queues=4: flags %#x queues %u", *info.dev_flags,
			  info.max_rx_queues);
		goto out;
	}
	if (create("net_nicsim_bad1", "queues=5") >= 0 || create("net_nicsim_bad2", "bogus=1") >= 0 ||
	    create("net_nicsim_bad3", "mac=01:00:5e:00:00:01") >= 0 ||
	    create("net_nicsim_bad4", "enotsup=promisc+bogus") >= 0 ||
	    create("net_nicsim_bad5", "ring_size=64,tx_room=65") >= 0) {
		err = why("a bad devarg was accepted");
		goto out;
	}
out:
	remove_dev("net_nicsim_dflt");
	remove_dev("net_nicsim_nolsc");
	return err;
}

static const char *
t_filter_matrix(void)
{
	static const struct {
		const char *what;
		const struct rte_ether_addr *dst;
		int want;
	} base[] = {
		{ "own unicast", &own_mac, 1 },
		{ "other unicast", &other_mac, 0 },
		{ "broadcast", &bcast, 1 },
		{ "multicast unlisted", &mc_b, 0 },
	};
	struct rte_ether_addr list[1] = { mc_a };
	struct nicsim_counters c;
	struct rte_eth_stats st;
	uint64_t delivered = 0, filtered = 0, bytes = 0, xv = 0;
	const char *err = NULL;
	unsigned int i;
	int port, got, ret;
	uint16_t q;

	port = create("net_nicsim_filt", "queues=2,mac=02:00:00:00:00:aa,uc_slots=4,mc_slots=4");
	if (port < 0)
		return why("create: %s", rte_strerror(-port));
	ret = start_port(port, 2, false, false);
	if (ret != 0) {
		err = why("start: %s", rte_strerror(-ret));
		goto out;
	}
/* One frame: got must be want; counts what the NIC must have counted. */
#define EXPECT_RX(q_, dst_, len_, want_, what_) do { \
		got = rx_try(port, (q_), (dst_), (len_)); \
		if (got != (want_)) { \
			err = why("%s on queue %u: delivered %d, want %d", (what_), (q_), got, (want_)); \
			goto out; \
		} \
		if (got == 1) { \
			delivered++; \
			bytes += (len_); \
		} \
	} while (0)

	for (q = 0; q < 2; q++)
		for (i = 0; i < RTE_DIM(base); i++) {
			EXPECT_RX(q, base[i].dst, 64, base[i].want, base[i].what);
			filtered += base[i].want == 0;
		}
	ret = rte_eth_dev_mac_addr_add(port, (struct rte_ether_addr *)(uintptr_t)&added_mac, 0);
	if (ret != 0) {
		err = why("mac_addr_add: %s", rte_strerror(-ret));
		goto out;
	}
	EXPECT_RX(1, &added_mac, 64, 1, "added unicast");
	rte_eth_dev_mac_addr_remove(port, (struct rte_ether_addr *)(uintptr_t)&added_mac);
	EXPECT_RX(0, &added_mac, 64, 0, "removed unicast");
	filtered++;
	ret = rte_eth_dev_set_mc_addr_list(port, list, 1);
	if (ret != 0) {
		err = why("set_mc_addr_list: %s", rte_strerror(-ret));
		goto out;
	}
	EXPECT_RX(0, &mc_a, 64, 1, "multicast listed");
	EXPECT_RX(0, &mc_b, 64, 0, "multicast unlisted, list set");
	filtered++;
	if (rte_eth_promiscuous_enable(port) != 0) {
		err = why("promiscuous_enable failed");
		goto out;
	}
	EXPECT_RX(0, &other_mac, 64, 1, "promisc: other unicast");
	EXPECT_RX(1, &mc_b, 64, 1, "promisc: multicast unlisted");
	rte_eth_promiscuous_disable(port);
	EXPECT_RX(0, &other_mac, 64, 0, "promisc off: other unicast");
	filtered++;
	if (rte_eth_allmulticast_enable(port) != 0) {
		err = why("allmulticast_enable failed");
		goto out;
	}
	EXPECT_RX(0, &mc_b, 64, 1, "allmulti: multicast unlisted");
	EXPECT_RX(0, &other_mac, 64, 0, "allmulti: other unicast");
	filtered++;
	rte_eth_allmulticast_disable(port);
	EXPECT_RX(0, &mc_b, 64, 0, "allmulti off: multicast unlisted");
	filtered++;
	ret = rte_eth_dev_default_mac_addr_set(port, (struct rte_ether_addr *)(uintptr_t)&new_mac);
	if (ret != 0) {
		err = why("default_mac_addr_set: %s", rte_strerror(-ret));
		goto out;
	}
	EXPECT_RX(0, &new_mac, 64, 1, "new primary");
	EXPECT_RX(0, &own_mac, 64, 0, "old primary");
	filtered++;
	/* Errors: a runt, a frame one byte over MTU + header + VLAN tag, and the largest. */
	EXPECT_RX(0, &new_mac, 10, 0, "runt");
	EXPECT_RX(0, &new_mac, RTE_ETHER_MTU + RTE_ETHER_HDR_LEN + 4 + 1, 0, "oversize");
	EXPECT_RX(1, &new_mac, RTE_ETHER_MTU + RTE_ETHER_HDR_LEN + 4, 1, "largest");
#undef EXPECT_RX

	if (nicsim_get_counters(port, &c) != 0 || rte_eth_stats_get(port, &st) != 0) {
		err = why("counters/stats get failed");
		goto out;
	}
	if (c.rx_filtered != filtered || nicsim_rx_filtered(port) != filtered ||
	    xstat(port, "rx_filtered", &xv) != 0 || xv != filtered) {
		err = why("rx_filtered %" PRIu64 " (xstat %" PRIu64 "), want %" PRIu64,
			  c.rx_filtered, xv, filtered);
		goto out;
	}
	if (st.ipackets != delivered || st.ibytes != bytes || st.ierrors != 2 ||
	    c.rx_runts != 1 || c.rx_oversize != 1 || st.imissed != 0) {
		err = why("stats: ipackets %" PRIu64 "/%" PRIu64 " ibytes %" PRIu64 "/%" PRIu64
			  " ierrors %" PRIu64 " imissed %" PRIu64, st.ipackets, delivered,
			  st.ibytes, bytes, st.ierrors, st.imissed);
		goto out;
	}
	if (st.q_ipackets[0] + st.q_ipackets[1] != delivered || st.q_ipackets[1] == 0) {
		err = why("per-queue ipackets %" PRIu64 "+%" PRIu64, st.q_ipackets[0],
			  st.q_ipackets[1]);
		goto out;
	}
out:
	remove_dev("net_nicsim_filt");
	return err != NULL ? err : pools_full();
}

static const char *
t_rx_nombuf(void)
{
	struct rte_mempool *tiny;
	struct rte_eth_conf conf;
	struct rte_mbuf *m, *out[4];
	struct rte_eth_stats st;
	const char *err = NULL;
	uint16_t n;
	int port;

	tiny = rte_pktmbuf_pool_create("t_tiny_rx", 1, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (tiny == NULL)
		return why("pool: %s", rte_strerror(rte_errno));
	port = create("net_nicsim_nombuf", "mac=02:00:00:00:00:aa");
	if (port < 0) {
		rte_mempool_free(tiny);
		return why("create: %s", rte_strerror(-port));
	}
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 64, rte_socket_id(), NULL, tiny) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 64, rte_socket_id(), NULL) != 0 ||
	    rte_eth_dev_start(port) != 0) {
		err = why("setup failed");
		goto out;
	}
	/* Two frames, one buffer: the second is lost and counted as missed. */
	for (n = 0; n < 2; n++) {
		m = make_frame(frame_pool, &own_mac, 64, 1);
		if (m == NULL || rte_ring_enqueue(nicsim_rx_ring(port, 0), m) != 0) {
			rte_pktmbuf_free(m);
			err = why("inject failed");
			goto out;
		}
	}
	n = rte_eth_rx_burst(port, 0, out, RTE_DIM(out));
	if (n != 1) {
		err = why("delivered %u with one buffer, want 1", n);
		goto out;
	}
	rte_pktmbuf_free(out[0]);
	if (rte_eth_stats_get(port, &st) != 0 || st.imissed != 1 || st.ipackets != 1) {
		err = why("imissed %" PRIu64 " ipackets %" PRIu64 ", want 1 and 1", st.imissed,
			  st.ipackets);
		goto out;
	}
out:
	remove_dev("net_nicsim_nombuf");
	if (err == NULL && !rte_mempool_full(tiny))
		err = why("the queue's pool is not full after removal");
	rte_mempool_free(tiny);
	return err != NULL ? err : pools_full();
}

static const char *
t_slots(void)
{
	struct rte_ether_addr a = added_mac, b = other_mac, c = new_mac;
	struct rte_ether_addr mcs[3] = { mc_a, mc_b, mc_c }, got[4], uni = own_mac;
	struct rte_eth_dev_info info;
	const char *err = NULL;
	int p1, p3, pm, p0, ret;

	p1 = create("net_nicsim_uc1", "uc_slots=1");
	p3 = create("net_nicsim_uc3", "uc_slots=3,mc_slots=2");
	p0 = create("net_nicsim_mc0", "mc_slots=0");
	pm = p3;
	if (p1 < 0 || p3 < 0 || p0 < 0) {
		err = why("create failed");
		goto out;
	}
	if (rte_eth_dev_info_get(p1, &info) != 0 || info.max_mac_addrs != 1) {
		err = why("uc_slots=1: max_mac_addrs %u", info.max_mac_addrs);
		goto out;
	}
	ret = rte_eth_dev_mac_addr_add(p1, &a, 0);
	if (ret != -ENOSPC) {
		err = why("uc_slots=1: mac_addr_add gave %d, want -ENOSPC", ret);
		goto out;
	}
	if (rte_eth_dev_mac_addr_add(p3, &a, 0) != 0 || rte_eth_dev_mac_addr_add(p3, &b, 0) != 0) {
		err = why("uc_slots=3: two adds failed");
		goto out;
	}
	ret = rte_eth_dev_mac_addr_add(p3, &c, 0);
	if (ret != -ENOSPC) {
		err = why("uc_slots=3: third add gave %d, want -ENOSPC", ret);
		goto out;
	}
	if (rte_eth_dev_mac_addr_add(p3, &a, 0) != 0 || rte_eth_dev_mac_addr_remove(p3, &a) != 0 ||
	    rte_eth_dev_mac_addr_add(p3, &c, 0) != 0) {
		err = why("uc_slots=3: re-add, remove, add again failed");
		goto out;
	}
	if (rte_eth_dev_set_mc_addr_list(pm, mcs, 2) != 0) {
		err = why("mc_slots=2: two failed");
		goto out;
	}
	ret = rte_eth_dev_set_mc_addr_list(pm, mcs, 3);
	if (ret != -ENOSPC) {
		err = why("mc_slots=2: three gave %d, want -ENOSPC", ret);
		goto out;
	}
	ret = nicsim_mc_list(pm, got, RTE_DIM(got));
	if (ret != 2 || !rte_is_same_ether_addr(&got[0], &mc_a) ||
	    !rte_is_same_ether_addr(&got[1], &mc_b)) {
		err = why("mc list changed by the refused set: %d entries", ret);
		goto out;
	}
	ret = rte_eth_dev_set_mc_addr_list(pm, &uni, 1);
	if (ret != -EINVAL || nicsim_mc_list(pm, NULL, 0) != 2) {
		err = why("a unicast in the mc list gave %d, want -EINVAL", ret);
		goto out;
	}
	if (rte_eth_dev_set_mc_addr_list(pm, NULL, 0) != 0 || nicsim_mc_list(pm, NULL, 0) != 0) {
		err = why("clearing the mc list failed");
		goto out;
	}
	ret = rte_eth_dev_set_mc_addr_list(p0, mcs, 1);
	if (ret != -ENOTSUP) {
		err = why("mc_slots=0: gave %d, want -ENOTSUP", ret);
		goto out;
	}
out:
	remove_dev("net_nicsim_uc1");
	remove_dev("net_nicsim_uc3");
	remove_dev("net_nicsim_mc0");
	return err;
}

static const char *
t_enotsup(void)
{
	/* Two addresses: ethdev refuses a primary that is also a secondary (-EEXIST). */
	struct rte_ether_addr a = added_mac, b = new_mac;
	const char *err = NULL;
	int pn, pc, pt, r[6];

	pn = create("net_nicsim_nosup", "enotsup=promisc+allmulti+mac");
	pc = create("net_nicsim_sup", "");
	pt = create("net_nicsim_nomtu", "enotsup=mtu+mac_set");
	if (pn < 0 || configure(pc) != 0 || configure(pt) != 0) {
		err = why("create failed");
		goto out;
	}
	r[0] = rte_eth_promiscuous_enable(pn);
	r[1] = rte_eth_allmulticast_enable(pn);
	r[2] = rte_eth_dev_mac_addr_add(pn, &a, 0);
	r[3] = rte_eth_dev_default_mac_addr_set(pn, &a);
	r[4] = rte_eth_promiscuous_disable(pn);
	r[5] = rte_eth_allmulticast_disable(pn);
	/* Disabling what is off is 0 in ethdev before it looks for the op. */
	if (r[0] != -ENOTSUP || r[1] != -ENOTSUP || r[2] != -ENOTSUP || r[3] != -ENOTSUP ||
	    r[4] != 0 || r[5] != 0 || rte_eth_promiscuous_get(pn) != 0) {
		err = why("promisc %d allmulti %d mac_add %d mac_set %d promisc_off %d allmulti_off %d, want -ENOTSUP x4, 0, 0",
			  r[0], r[1], r[2], r[3], r[4], r[5]);
		goto out;
	}
	/* The same calls on a device without the option: the ops are there. */
	if (rte_eth_promiscuous_enable(pc) != 0 || rte_eth_allmulticast_enable(pc) != 0 ||
	    rte_eth_dev_mac_addr_add(pc, &a, 0) != 0 ||
	    rte_eth_dev_default_mac_addr_set(pc, &b) != 0 || rte_eth_dev_set_mtu(pc, 9000) != 0) {
		err = why("the control device refused an op");
		goto out;
	}
	r[0] = rte_eth_dev_set_mtu(pt, 2000);
	r[1] = rte_eth_dev_default_mac_addr_set(pt, &a);
	r[2] = rte_eth_dev_mac_addr_add(pt, &a, 0);
	if (r[0] != -ENOTSUP || r[1] != -ENOTSUP || r[2] != 0) {
		err = why("enotsup=mtu+mac_set: mtu %d mac_set %d mac_add %d", r[0], r[1], r[2]);
		goto out;
	}
out:
	remove_dev("net_nicsim_nosup");
	remove_dev("net_nicsim_sup");
	remove_dev("net_nicsim_nomtu");
	return err;
}

static const char *
t_mtu(void)
{
	struct rte_eth_dev_info info;
	const char *err = NULL;
	uint16_t mtu = 0;
	int port, small, r[3];

	port = create("net_nicsim_mtu", "");
	small = create("net_nicsim_mtu2", "max_mtu=2000");
	if (configure(port) != 0 || configure(small) != 0) {
		err = why("create failed");
		goto out;
	}
	r[0] = rte_eth_dev_set_mtu(port, 9000);
	rte_eth_dev_get_mtu(port, &mtu);
	r[1] = rte_eth_dev_set_mtu(port, 9001);
	r[2] = rte_eth_dev_set_mtu(port, RTE_ETHER_MIN_MTU - 1);
	if (r[0] != 0 || mtu != 9000 || r[1] != -EINVAL || r[2] != -EINVAL) {
		err = why("set 9000 %d (mtu %u), 9001 %d, 67 %d", r[0], mtu, r[1], r[2]);
		goto out;
	}
	if (rte_eth_dev_info_get(small, &info) != 0 || info.max_mtu != 2000 ||
	    info.max_rx_pktlen != 2000 + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN) {
		err = why("max_mtu=2000: dev_info max_mtu %u pktlen %u", info.max_mtu,
			  info.max_rx_pktlen);
		goto out;
	}
	r[0] = rte_eth_dev_set_mtu(small, 2000);
	r[1] = rte_eth_dev_set_mtu(small, 2001);
	if (r[0] != 0 || r[1] != -EINVAL) {
		err = why("max_mtu=2000: set 2000 %d, 2001 %d", r[0], r[1]);
		goto out;
	}
out:
	remove_dev("net_nicsim_mtu");
	remove_dev("net_nicsim_mtu2");
	return err;
}

/* Whether the len bytes at p are all the poison byte. */
static bool
all_poison(const uint8_t *p, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (p[i] != NICSIM_POISON_BYTE)
			return false;
	return true;
}

static const char *
t_tx_poison(void)
{
	struct rte_mempool *one = NULL, *two = NULL;
	struct rte_mbuf *m, *seg2, *w, *back[2];
	struct nicsim_counters c;
	struct rte_eth_stats st;
	uint8_t want[128];
	const char *err = NULL;
	uint16_t sent;
	int port, ret;

	/* Pools of one and two mbufs without cache: what tx_burst freed is
	 * exactly what the next raw allocation hands back, unreset.
	 */
	one = rte_pktmbuf_pool_create("t_one", 1, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	two = rte_pktmbuf_pool_create("t_two", 2, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	port = create("net_nicsim_tx", "mac=02:00:00:00:00:aa");
	if (one == NULL || two == NULL || port < 0) {
		err = why("setup failed");
		goto out;
	}
	ret = start_port(port, 1, false, false);
	if (ret != 0) {
		err = why("start: %s", rte_strerror(-ret));
		goto out;
	}

	/* One segment. */
	m = make_frame(one, &other_mac, 100, 9);
	if (m == NULL) {
		err = why("alloc failed");
		goto out;
	}
	fill_frame(want, &other_mac, 100, 9);
	sent = rte_eth_tx_burst(port, 0, &m, 1);
	if (sent != 1) {
		rte_pktmbuf_free(m);
		err = why("tx_burst sent %u of 1", sent);
		goto out;
	}
	if (rte_ring_dequeue(nicsim_tx_ring(port, 0), (void **)&w) != 0) {
		err = why("nothing on the wire");
		goto out;
	}
	ret = w->pool == nicsim_wire_pool(port) && frame_equal(w, want, 100);
	rte_pktmbuf_free(w);
	if (!ret) {
		err = why("the wire copy is not the frame sent, or not from the wire pool");
		goto out;
	}
	back[0] = rte_mbuf_raw_alloc(one);
	if (back[0] == NULL || back[0] != m) {
		err = why("the original did not go back to its pool (got %p, sent %p)",
			  (void *)back[0], (void *)m);
		if (back[0] != NULL)
			rte_mbuf_raw_free(back[0]);
		goto out;
	}
	ret = m->pkt_len == NICSIM_POISON_PKT_LEN && m->data_len == NICSIM_POISON_DATA_LEN &&
	      all_poison(rte_pktmbuf_mtod(m, uint8_t *), 100);
	rte_pktmbuf_reset(m);
	rte_pktmbuf_free(m);
	if (!ret) {
		err = why("the original is not poisoned");
		goto out;
	}

	/* Two segments from the pool of two. */
	m = make_frame(two, &other_mac, 60, 3);
	seg2 = make_frame(two, &other_mac, 40, 4);
	if (m == NULL || seg2 == NULL || rte_pktmbuf_chain(m, seg2) != 0) {
		err = why("building a chain failed");
		goto out;
	}
	fill_frame(want, &other_mac, 60, 3);
	fill_frame(want + 60, &other_mac, 40, 4);
	sent = rte_eth_tx_burst(port, 0, &m, 1);
	if (sent != 1) {
		rte_pktmbuf_free(m);
		err = why("tx_burst sent %u of 1 (chain)", sent);
		goto out;
	}
	if (rte_ring_dequeue(nicsim_tx_ring(port, 0), (void **)&w) != 0) {
		err = why("nothing on the wire (chain)");
		goto out;
	}
	ret = frame_equal(w, want, 100);
	rte_pktmbuf_free(w);
	if (!ret) {
		err = why("the wire copy of the chain differs");
		goto out;
	}
	if (rte_mempool_get_bulk(two, (void **)back, 2) != 0) {
		err = why("the chain did not go back to its pool");
		goto out;
	}
	ret = (back[0] == m || back[1] == m) && (back[0] == seg2 || back[1] == seg2) &&
	      m->pkt_len == NICSIM_POISON_PKT_LEN && m->data_len == NICSIM_POISON_DATA_LEN &&
	      seg2->data_len == NICSIM_POISON_DATA_LEN &&
	      all_poison(rte_pktmbuf_mtod(m, uint8_t *), 60) &&
	      all_poison(rte_pktmbuf_mtod(seg2, uint8_t *), 40);
	rte_pktmbuf_reset(back[0]);
	rte_pktmbuf_reset(back[1]);
	rte_pktmbuf_free(back[0]);
	rte_pktmbuf_free(back[1]);
	if (!ret) {
		err = why("the chain is not poisoned segment by segment");
		goto out;
	}

	/* A frame someone else holds a reference to: sent, but left intact. */
	m = make_frame(one, &other_mac, 100, 5);
	if (m == NULL) {
		err = why("alloc failed");
		goto out;
	}
	fill_frame(want, &other_mac, 100, 5);
	rte_mbuf_refcnt_update(m, 1);
	sent = rte_eth_tx_burst(port, 0, &m, 1);
	ret = sent == 1 && rte_mbuf_refcnt_read(m) == 1 && frame_equal(m, want, 100);
	if (sent != 1)
		rte_pktmbuf_free(m);
	rte_pktmbuf_free(m);
	if (!ret) {
		err = why("a shared frame was poisoned or not released (sent %u)", sent);
		goto out;
	}
	if (nicsim_tx_drain(port) != 1) {
		err = why("the shared frame's copy is not on the wire");
		goto out;
	}
	if (nicsim_get_counters(port, &c) != 0 || rte_eth_stats_get(port, &st) != 0 ||
	    c.tx_poisoned != 2 || c.tx_shared != 1 || st.opackets != 3 || st.obytes != 300) {
		err = why("tx_poisoned %" PRIu64 " tx_shared %" PRIu64 " opackets %" PRIu64
			  " obytes %" PRIu64, c.tx_poisoned, c.tx_shared, st.opackets, st.obytes);
		goto out;
	}
	if (!rte_mempool_full(nicsim_wire_pool(port))) {
		err = why("the wire pool is not full with the rings empty");
		goto out;
	}
out:
	remove_dev("net_nicsim_tx");
	if (err == NULL && ((one != NULL && !rte_mempool_full(one)) ||
			    (two != NULL && !rte_mempool_full(two))))
		err = why("the one/two pools are not full at the end");
	rte_mempool_free(one);
	rte_mempool_free(two);
	return err;
}

static const char *
t_tx_backpressure(void)
{
	struct rte_mbuf *m[6];
	uint8_t want[64];
	struct nicsim_counters c;
	const char *err = NULL;
	unsigned int i, drained;
	uint16_t sent = 0, again = 0;
	int port, ret;

	memset(m, 0, sizeof(m));
	port = create("net_nicsim_room", "tx_room=4");
	if (port < 0)
		return why("create: %s", rte_strerror(-port));
	ret = start_port(port, 1, false, false);
	if (ret != 0) {
		err = why("start: %s", rte_strerror(-ret));
		goto out;
	}
	for (i = 0; i < RTE_DIM(m); i++) {
		m[i] = make_frame(frame_pool, &other_mac, 64, (uint8_t)i);
		if (m[i] == NULL) {
			err = why("alloc failed");
			goto out;
		}
	}
	sent = rte_eth_tx_burst(port, 0, m, RTE_DIM(m));
	if (sent != 4) {
		err = why("sent %u of 6 with tx_room=4, want 4", sent);
		goto out;
	}
	/* Those refused are still the caller's, untouched. */
	for (i = sent; i < RTE_DIM(m); i++) {
		fill_frame(want, &other_mac, 64, (uint8_t)i);
		if (rte_mbuf_refcnt_read(m[i]) != 1 || !frame_equal(m[i], want, 64)) {
			err = why("refused frame %u was touched", i);
			goto out;
		}
	}
	if (rte_eth_tx_burst(port, 0, &m[4], 2) != 0) {
		err = why("sent with the TX ring at tx_room");
		goto out;
	}
	drained = nicsim_tx_drain(port);
	again = rte_eth_tx_burst(port, 0, &m[4], 2);
	if (drained != 4 || again != 2) {
		err = why("drained %u (want 4), then sent %u of 2", drained, again);
		goto out;
	}
	if (nicsim_get_counters(port, &c) != 0 || c.tx_backpressure != 4) {
		err = why("tx_backpressure %" PRIu64 ", want 4", c.tx_backpressure);
		goto out;
	}
out:
	for (i = sent + again; i < RTE_DIM(m); i++)
		rte_pktmbuf_free(m[i]);
	remove_dev("net_nicsim_room");
	return err != NULL ? err : pools_full();
}

/* What the event callbacks saw. */
struct cb_log {
	unsigned int lsc, rmv;
	bool foreign;        /* every call on a thread other than main */
	int link_in_cb;      /* link status read in the last LSC callback */
	bool block;          /* LSC: take block_lock first */
	bool close_on_rmv;   /* RMV: stop and close the port from the callback */
	int stop_ret, close_ret;
};

static pthread_mutex_t block_lock = PTHREAD_MUTEX_INITIALIZER;

static int
event_cb(uint16_t port, enum rte_eth_event_type type, void *arg, void *param __rte_unused)
{
	struct cb_log *log = arg;
	struct rte_eth_link link;

	if (pthread_equal(pthread_self(), main_thread))
		__atomic_store_n(&log->foreign, false, __ATOMIC_RELAXED);
	if (type == RTE_ETH_EVENT_INTR_LSC) {
		if (__atomic_load_n(&log->block, __ATOMIC_RELAXED)) {
			pthread_mutex_lock(&block_lock);
			pthread_mutex_unlock(&block_lock);
		}
		rte_eth_link_get_nowait(port, &link);
		__atomic_store_n(&log->link_in_cb, link.link_status, __ATOMIC_RELAXED);
		__atomic_fetch_add(&log->lsc, 1, __ATOMIC_RELEASE);
	} else if (type == RTE_ETH_EVENT_INTR_RMV) {
		if (log->close_on_rmv) {
			log->close_on_rmv = false;
			log->stop_ret = rte_eth_dev_stop(port);
			log->close_ret = rte_eth_dev_close(port);
		}
		__atomic_fetch_add(&log->rmv, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

static unsigned int
lsc_count(struct cb_log *log)
{
	return __atomic_load_n(&log->lsc, __ATOMIC_ACQUIRE);
}

static int
cb_register(uint16_t port, struct cb_log *log)
{
	memset(log, 0, sizeof(*log));
	log->foreign = true;
	log->link_in_cb = -1;
	if (rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, event_cb, log) != 0 ||
	    rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_RMV, event_cb, log) != 0)
		return -1;
	return 0;
}

static void
cb_unregister(uint16_t port, struct cb_log *log)
{
	rte_eth_dev_callback_unregister(port, RTE_ETH_EVENT_INTR_LSC, event_cb, log);
	rte_eth_dev_callback_unregister(port, RTE_ETH_EVENT_INTR_RMV, event_cb, log);
}

static int
link_status(uint16_t port)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(port, &link) != 0)
		return -1;
	return link.link_status;
}

static const char *
t_lsc_rmv(void)
{
	static struct cb_log log;
	struct nicsim_counters c;
	const char *err = NULL;
	uint64_t xv = 0;
	int port, ret;

	port = create("net_nicsim_ev", "");
	if (port < 0)
		return why("create: %s", rte_strerror(-port));
	if (cb_register(port, &log) != 0) {
		err = why("callback_register failed");
		goto out;
	}
	ret = start_port(port, 1, true, true);
	if (ret != 0 || link_status(port) != RTE_ETH_LINK_UP) {
		err = why("start: %d, link %d", ret, link_status(port));
		goto out;
	}
	ret = nicsim_set_link(port, false);
	if (ret != 0 || lsc_count(&log) != 1 || log.link_in_cb != RTE_ETH_LINK_DOWN ||
	    link_status(port) != RTE_ETH_LINK_DOWN) {
		err = why("link down: ret %d, %u LSC on return (want 1), link in callback %d",
			  ret, lsc_count(&log), log.link_in_cb);
		goto out;
	}
	ret = nicsim_set_link(port, true);
	if (ret != 0 || lsc_count(&log) != 2 || log.link_in_cb != RTE_ETH_LINK_UP ||
	    link_status(port) != RTE_ETH_LINK_UP) {
		err = why("link up: ret %d, %u LSC on return (want 2)", ret, lsc_count(&log));
		goto out;
	}
	ret = nicsim_unplug(port);
	if (ret != 0 || __atomic_load_n(&log.rmv, __ATOMIC_ACQUIRE) != 1) {
		err = why("unplug: ret %d, %u RMV on return (want 1)", ret, log.rmv);
		goto out;
	}
	ret = nicsim_set_link_nowait(port, false);
	if (ret != 0 || nicsim_wait_events(port, NICSIM_EVENT_TIMEOUT_MS) != 0 ||
	    lsc_count(&log) != 3 || link_status(port) != RTE_ETH_LINK_DOWN) {
		err = why("nowait: ret %d, %u LSC after the wait (want 3)", ret, lsc_count(&log));
		goto out;
	}
	if (!__atomic_load_n(&log.foreign, __ATOMIC_RELAXED)) {
		err = why("a callback ran on the caller's thread");
		goto out;
	}
	if (nicsim_get_counters(port, &c) != 0 || c.events_raised != 4 || c.lsc_events != 3 ||
	    c.rmv_events != 1 || xstat(port, "events_raised", &xv) != 0 || xv != 4) {
		err = why("events_raised %" PRIu64 " (xstat %" PRIu64 "), want 4", c.events_raised, xv);
		goto out;
	}
	/* Removal of a started device after its callbacks fired. */
	cb_unregister(port, &log);
	ret = rte_vdev_uninit("net_nicsim_ev");
	if (ret != 0 || rte_eth_dev_is_valid_port(port)) {
		err = why("rte_vdev_uninit: %d, port still valid %d", ret,
			  rte_eth_dev_is_valid_port(port));
		goto out;
	}
	return pools_full();
out:
	if (rte_eth_dev_is_valid_port(port))
		cb_unregister(port, &log);
	remove_dev("net_nicsim_ev");
	return err;
}

/* No interrupt armed (strict), and no interrupt at all (lsc=0): the link is polled. */
static const char *
t_link_polled(void)
{
	static struct cb_log log, log2;
	struct rte_eth_conf conf;
	const char *err = NULL;
	int p1, p2 = -1, ret;

	p1 = create("net_nicsim_unarmed", "");
	p2 = create("net_nicsim_polled", "lsc=0");
	if (p1 < 0 || p2 < 0) {
		err = why("create failed");
		goto out;
	}
	if (cb_register(p1, &log) != 0 || cb_register(p2, &log2) != 0) {
		err = why("callback_register failed");
		goto out;
	}
	ret = start_port(p1, 1, false, false);
	if (ret != 0 || nicsim_set_link(p1, false) != 0 || nicsim_unplug(p1) != 0) {
		err = why("unarmed: start/set_link/unplug failed");
		goto out;
	}
	if (lsc_count(&log) != 0 || log.rmv != 0 || link_status(p1) != RTE_ETH_LINK_DOWN) {
		err = why("unarmed: %u LSC %u RMV raised, link %d", lsc_count(&log), log.rmv,
			  link_status(p1));
		goto out;
	}
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.lsc = 1;
	ret = rte_eth_dev_configure(p2, 1, 1, &conf);
	if (ret != -EINVAL) {
		err = why("lsc=0: configure with intr_conf.lsc gave %d, want -EINVAL", ret);
		goto out;
	}
	ret = start_port(p2, 1, false, false);
	if (ret != 0 || link_status(p2) != RTE_ETH_LINK_UP) {
		err = why("lsc=0: start %d link %d", ret, link_status(p2));
		goto out;
	}
	ret = nicsim_set_link(p2, false);
	if (ret != 0 || link_status(p2) != RTE_ETH_LINK_DOWN || lsc_count(&log2) != 0) {
		err = why("lsc=0: set_link %d, link %d, %u LSC", ret, link_status(p2),
			  lsc_count(&log2));
		goto out;
	}
	ret = nicsim_unplug(p2);
	if (ret != -ENOTSUP) {
		err = why("lsc=0: unplug gave %d, want -ENOTSUP", ret);
		goto out;
	}
	if (rte_eth_dev_stop(p1) != 0 || nicsim_set_link(p1, true) != 0 ||
	    link_status(p1) != RTE_ETH_LINK_DOWN) {
		err = why("a stopped port shows link up");
		goto out;
	}
out:
	if (p1 >= 0)
		cb_unregister(p1, &log);
	if (p2 >= 0)
		cb_unregister(p2, &log2);
	remove_dev("net_nicsim_unarmed");
	remove_dev("net_nicsim_polled");
	return err;
}

static const char *
t_stop_waits(void)
{
	static struct cb_log log;
	const char *err = NULL;
	int port, ret;

	port = create("net_nicsim_sw", "stop_waits=1");
	if (port < 0)
		return why("create: %s", rte_strerror(-port));
	if (cb_register(port, &log) != 0) {
		err = why("callback_register failed");
		goto out;
	}
	ret = start_port(port, 1, true, false);
	if (ret != 0) {
		err = why("start: %s", rte_strerror(-ret));
		goto out;
	}
	ret = rte_eth_dev_stop(port);
	if (ret != 0 || lsc_count(&log) != 1 || log.link_in_cb != RTE_ETH_LINK_DOWN ||
	    nicsim_stop_timed_out(port) || !log.foreign) {
		err = why("stop: %d, %u LSC on return (want 1), link in callback %d, timed out %d",
			  ret, lsc_count(&log), log.link_in_cb, nicsim_stop_timed_out(port));
		goto out;
	}
out:
	if (rte_eth_dev_is_valid_port(port))
		cb_unregister(port, &log);
	remove_dev("net_nicsim_sw");
	return err;
}

/*
 * The deadlock a driver makes when its event callback takes a lock that the
 * thread calling stop holds: here stop gives up after 2 s and says so.
 */
static const char *
t_stop_waits_deadlock(void)
{
	static struct cb_log log;
	const char *err = NULL;
	uint64_t t0, elapsed;
	bool locked = false;
	int port, ret;

	port = create("net_nicsim_dl", "stop_waits=1");
	if (port < 0)
		return why("create: %s", rte_strerror(-port));
	if (cb_register(port, &log) != 0) {
		err = why("callback_register failed");
		goto out;
	}
	ret = start_port(port, 1, true, false);
	if (ret != 0) {
		err = why("start: %s", rte_strerror(-ret));
		goto out;
	}
	__atomic_store_n(&log.block, true, __ATOMIC_RELAXED);
	pthread_mutex_lock(&block_lock);
	locked = true;
	t0 = now_ms();
	ret = rte_eth_dev_stop(port);
	elapsed = now_ms() - t0;
	if (ret != -ETIMEDOUT || !nicsim_stop_timed_out(port) || lsc_count(&log) != 0) {
		err = why("stop gave %d after %" PRIu64 " ms, flag %d, %u LSC done; want -ETIMEDOUT, flag, 0",
			  ret, elapsed, nicsim_stop_timed_out(port), lsc_count(&log));
		goto out;
	}
	if (elapsed < NICSIM_STOP_TIMEOUT_MS - 100 || elapsed > NICSIM_STOP_TIMEOUT_MS + 3000) {
		err = why("stop gave up after %" PRIu64 " ms", elapsed);
		goto out;
	}
	/* The callback ends once the lock is free; the thread serves on. */
	pthread_mutex_unlock(&block_lock);
	locked = false;
	__atomic_store_n(&log.block, false, __ATOMIC_RELAXED);
	if (nicsim_wait_events(port, NICSIM_EVENT_TIMEOUT_MS) != 0 || lsc_count(&log) != 1) {
		err = why("the blocked callback did not complete: %u LSC", lsc_count(&log));
		goto out;
	}
	ret = nicsim_set_link(port, false);
	if (ret != 0 || lsc_count(&log) != 2) {
		err = why("thread not serving after the timeout: set_link %d, %u LSC", ret,
			  lsc_count(&log));
		goto out;
	}
	if (!nicsim_stop_timed_out(port)) {
		err = why("the timeout flag is not sticky");
		goto out;
	}
	nicsim_clear_stop_timed_out(port);
	ret = rte_eth_dev_start(port);
	if (ret == 0)
		ret = rte_eth_dev_stop(port);
	if (ret != 0 || nicsim_stop_timed_out(port) || lsc_count(&log) != 3) {
		err = why("restart and stop: %d, flag %d, %u LSC", ret, nicsim_stop_timed_out(port),
			  lsc_count(&log));
		goto out;
	}
out:
	if (locked)
		pthread_mutex_unlock(&block_lock);
	__atomic_store_n(&log.block, false, __ATOMIC_RELAXED);
	if (rte_eth_dev_is_valid_port(port)) {
		nicsim_wait_events(port, NICSIM_EVENT_TIMEOUT_MS);
		cb_unregister(port, &log);
	}
	remove_dev("net_nicsim_dl");
	return err;
}

/* A callback on the interrupt thread closes the port: the thread must outlive it. */
static const char *
t_close_from_callback(void)
{
	static struct cb_log log;
	const char *err = NULL;
	int port, ret;

	port = create("net_nicsim_cc", "stop_waits=1");
	if (port < 0)
		return why("create: %s", rte_strerror(-port));
	if (cb_register(port, &log) != 0) {
		err = why("callback_register failed");
		goto out;
	}
	ret = start_port(port, 1, true, true);
	if (ret != 0) {
		err = why("start: %s", rte_strerror(-ret));
		goto out;
	}
	log.close_on_rmv = true;
	ret = nicsim_unplug(port);
	if (ret != 0 || __atomic_load_n(&log.rmv, __ATOMIC_ACQUIRE) != 1 || log.stop_ret != 0 ||
	    log.close_ret != 0 || rte_eth_dev_is_valid_port(port)) {
		err = why("unplug %d, RMV %u, stop %d, close %d in the callback, port valid %d",
			  ret, log.rmv, log.stop_ret, log.close_ret,
			  rte_eth_dev_is_valid_port(port));
		goto out;
	}
	/* The vdev outlives its ethdev port; the callbacks stay registered on the
	 * released port id (ethdev 22.11 keeps them), inert as close_on_rmv is off.
	 */
	ret = rte_vdev_uninit("net_nicsim_cc");
	if (ret != 0) {
		err = why("rte_vdev_uninit after close: %d", ret);
		goto out;
	}
	return pools_full();
out:
	log.close_on_rmv = false;
	if (rte_eth_dev_is_valid_port(port))
		cb_unregister(port, &log);
	remove_dev("net_nicsim_cc");
	return err;
}

static const char *
t_several(void)
{
	static const char *const names[] = { "net_nicsim_s0", "net_nicsim_s1", "net_nicsim_s2" };
	char first_ring[RTE_RING_NAMESIZE];
	struct rte_mbuf *out[4];
	const char *err = NULL;
	int ports[3], again, got, i, j;

	for (i = 0; i < 3; i++) {
		ports[i] = create(names[i], "queues=2,mac=02:00:00:00:00:aa");
		if (ports[i] < 0)
			return why("create %s: %s", names[i], rte_strerror(-ports[i]));
		if (start_port(ports[i], 2, false, false) != 0) {
			err = why("start %s failed", names[i]);
			goto out;
		}
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			if (i != j && (nicsim_rx_ring(ports[i], 0) == nicsim_rx_ring(ports[j], 0) ||
				       strcmp(nicsim_tx_ring(ports[i], 1)->name,
					      nicsim_tx_ring(ports[j], 1)->name) == 0)) {
				err = why("devices %d and %d share a ring", i, j);
				goto out;
			}
	/* A frame on one device's wire reaches that device alone. */
	got = rx_try(ports[1], 1, &own_mac, 64);
	for (i = 0; i < 3 && err == NULL && got == 1; i++)
		if (i != 1 && rte_eth_rx_burst(ports[i], 1, out, 4) != 0)
			err = why("device %d received device 1's frame", i);
	if (got != 1 && err == NULL)
		err = why("device 1 delivered %d", got);
	if (err != NULL)
		goto out;
	snprintf(first_ring, sizeof(first_ring), "%s", nicsim_rx_ring(ports[0], 0)->name);
	remove_dev(names[0]);
	again = create(names[0], "");
	if (again < 0) {
		err = why("create again under the same name: %s", rte_strerror(-again));
		goto out;
	}
	if (nicsim_rx_ring(again, 0) == NULL ||
	    strcmp(nicsim_rx_ring(again, 0)->name, first_ring) == 0) {
		err = why("the new device has no ring of its own");
		goto out;
	}
out:
	for (i = 0; i < 3; i++)
		remove_dev(names[i]);
	return err != NULL ? err : pools_full();
}

struct usage {
	size_t heap;
	unsigned int memzones, mempools;
};

static void
count_mz(const struct rte_memzone *mz __rte_unused, void *arg)
{
	(*(unsigned int *)arg)++;
}

static void
count_mp(struct rte_mempool *mp __rte_unused, void *arg)
{
	(*(unsigned int *)arg)++;
}

static void
usage_get(struct usage *u)
{
	struct rte_malloc_socket_stats st;
	unsigned int i;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < rte_socket_count(); i++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			u->heap += st.heap_allocsz_bytes;
	rte_memzone_walk(count_mz, &u->memzones);
	rte_mempool_walk(count_mp, &u->mempools);
}

/* One life: traffic both ways and an event, then removal with frames still queued. */
static const char *
one_life(unsigned int round)
{
	static struct cb_log log;
	struct rte_mbuf *m[3];
	char args[96];
	unsigned int i;
	uint16_t sent;
	int port, ret;

	snprintf(args, sizeof(args), "queues=4,mac=02:00:00:00:00:aa,stop_waits=%u,tx_room=%u",
		 round % 2, 64 + round);
	port = create("net_nicsim_life", args);
	if (port < 0)
		return why("round %u: create: %s", round, rte_strerror(-port));
	ret = start_port(port, 4, true, false);
	if (ret != 0 || cb_register(port, &log) != 0) {
		remove_dev("net_nicsim_life");
		return why("round %u: start failed", round);
	}
	for (i = 0; i < 3; i++) {
		m[i] = make_frame(frame_pool, &own_mac, 64, (uint8_t)i);
		if (m[i] != NULL && rte_ring_enqueue(nicsim_rx_ring(port, i), m[i]) != 0)
			rte_pktmbuf_free(m[i]);
	}
	if (rx_try(port, 3, &own_mac, 64) != 1)
		ret = -1;
	for (i = 0; i < 3; i++)
		m[i] = make_frame(frame_pool, &other_mac, 64, (uint8_t)i);
	sent = rte_eth_tx_burst(port, (uint16_t)(round % 4), m, 3);
	for (i = sent; i < 3; i++)
		rte_pktmbuf_free(m[i]);
	if (sent != 3 || nicsim_set_link(port, round % 3 != 0) != 0 || lsc_count(&log) != 1)
		ret = -1;
	cb_unregister(port, &log);
	if (rte_vdev_uninit("net_nicsim_life") != 0 || rte_eth_dev_is_valid_port(port))
		return why("round %u: removal failed", round);
	return ret == 0 ? NULL : why("round %u: traffic or event wrong", round);
}

static const char *
t_create_remove_leak(void)
{
	struct usage before, after;
	const char *err;
	unsigned int i;

	/* Once first: ethdev and EAL allocate some things on first use. */
	err = one_life(0);
	if (err != NULL)
		return err;
	usage_get(&before);
	for (i = 1; i <= LEAK_ROUNDS; i++) {
		err = one_life(i);
		if (err != NULL)
			return err;
	}
	usage_get(&after);
	if (after.heap != before.heap || after.memzones != before.memzones ||
	    after.mempools != before.mempools)
		return why("after %u rounds: heap %zu -> %zu bytes, memzones %u -> %u, mempools %u -> %u",
			   LEAK_ROUNDS, before.heap, after.heap, before.memzones, after.memzones,
			   before.mempools, after.mempools);
	return pools_full();
}

int
main(int argc, char **argv)
{
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		printf("FAIL: eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	main_thread = pthread_self();
	frame_pool = rte_pktmbuf_pool_create("t_frames", NB_TEST_MBUFS, 0, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	rx_pool = rte_pktmbuf_pool_create("t_rx", NB_TEST_MBUFS, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (frame_pool == NULL || rx_pool == NULL) {
		printf("FAIL: pools: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	run("defaults_and_devargs", t_defaults);
	run("filter_matrix", t_filter_matrix);
	run("rx_nombuf_is_imissed", t_rx_nombuf);
	run("slot_limits", t_slots);
	run("enotsup_ops", t_enotsup);
	run("mtu", t_mtu);
	run("tx_copy_and_poison", t_tx_poison);
	run("tx_room_backpressure", t_tx_backpressure);
	run("lsc_rmv_from_thread", t_lsc_rmv);
	run("link_polled_or_unarmed", t_link_polled);
	run("stop_waits", t_stop_waits);
	run("stop_waits_deadlock_detected", t_stop_waits_deadlock);
	run("close_from_rmv_callback", t_close_from_callback);
	run("several_devices", t_several);
	run("create_remove_x100_no_leak", t_create_remove_leak);

	rte_mempool_free(frame_pool);
	rte_mempool_free(rx_pool);
	rte_eal_cleanup();
	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}

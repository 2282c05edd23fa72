/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * dpdk-macvtap-bench: how much net_macvtap costs on top of its lower port.
 *
 * RX: one lower (net_pcap, infinite_rx: each frame copied into a fresh mbuf,
 * as a NIC fills its descriptors) replays 64-byte frames whose destination
 * MACs are spread uniformly over N macvtap destinations. Rounds alternate:
 *   baseline  the macvtap ports stopped; the loop reads the lower itself
 *   macvtap   the ports started; the loop reads every port
 * and free what they read. The lower, its queues, its pool and the input are
 * the same in both; the median of each over the rounds is reported with the
 * ratio. After every round every mbuf must be back in its pool.
 *
 * TX: frames from a pool sent to a ring-backed lower, directly (baseline) or
 * through a vepa port (to the wire) or a bridge port to another bridge port
 * (local delivery, read back on the receiving port).
 *
 * Debian's DPDK allows 32 ethdevs: above 31 destinations the destinations are
 * MACs spread over 31 ports (rte_eth_dev_mac_addr_add), which exercises the
 * same receive table.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include "rte_pmd_macvtap.h"

#define MAX_PORTS 31            /* RTE_MAX_ETHPORTS (32) minus the lower */
#define MAX_DESTS 4096
#define MAX_ROUNDS 31
#define BURST 64
#define FRAME_LEN 64
#define LOWER_QUEUES 2

/*
 * rx: the lower alone (base) against the ports' ethdev rx bursts (mvt).
 * file-read, file-burst: the ports' ethdev rx bursts (base) against the same
 * ports read through tap files, one frame per read into a buffer behind its
 * virtio-net header, or mbuf bursts (mvt).
 */
enum kind { RX, TX_WIRE, TX_BRIDGE, FILE_READ, FILE_BURST };
static const char *const kind_name[] = { "rx", "tx-wire", "tx-bridge", "file-read",
					 "file-burst" };

struct config {
	enum kind kind;
	unsigned int dests;      /* destination MACs */
	unsigned int bcast_pct;  /* share of broadcast frames */
	unsigned int lcores;
};

struct result {
	struct config cfg;
	unsigned int ports;
	double base[MAX_ROUNDS], mvt[MAX_ROUNDS], delivered[MAX_ROUNDS];
	double base_mpps, mvt_mpps, delivered_mpps, ratio;
	uint64_t dropped;        /* counted drops during the macvtap rounds: */
	uint64_t ring_full;      /* a port's ring was full (imissed) */
	uint64_t no_port;        /* no port for the destination */
	uint64_t copy_failed;    /* no mbuf for a broadcast copy */
	bool mbufs_ok;
};

/* Options. */
static unsigned int opt_rounds = 5;
static double opt_seconds = 1.0;
static const char *opt_csv, *opt_json, *opt_plot, *opt_dir = ".";
static bool opt_quick;
static const char *opt_only;
static char pcap_dir[512];

/* A worker's job for one window. */
struct job {
	enum kind kind;
	unsigned int lcore_index;
	bool baseline;
	uint16_t lower;
	uint16_t nb_ports;
	uint16_t ports[MAX_PORTS];
	uint16_t queue;          /* port queue this lcore reads */
	uint16_t lower_queues[LOWER_QUEUES];
	uint16_t nb_lower_queues;
	struct rte_ring *wire;   /* TX: the ring lower's TX ring, drained by the loop */
	struct rte_mempool *tx_pool;
	uint16_t tx_port, rx_port;
	struct rte_pmd_macvtap_file *files[MAX_PORTS]; /* file kinds, in their windows */
	uint64_t cycles;
	uint64_t count;          /* frames read (RX) or sent (TX) */
} __rte_cache_aligned;           /* each lcore's counter on its own line */

static volatile bool stop_flag;

static void
drain_wire(struct rte_ring *r)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int n;

	while ((n = rte_ring_dequeue_burst(r, (void **)pkts, BURST, NULL)) != 0)
		rte_pktmbuf_free_bulk(pkts, n);
}

/* One pass of a job's loop: read every queue or port once, or send one burst. */
static inline void
job_iteration(struct job *j)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t i, n, sent;

	if ((j->kind == FILE_READ || j->kind == FILE_BURST) && !j->baseline) {
		static uint8_t buf[RTE_MAX_LCORE][2048];
		uint8_t *b = buf[rte_lcore_id()];

		for (i = 0; i < j->nb_ports; i++) {
			if (j->kind == FILE_BURST) {
				n = rte_pmd_macvtap_file_rx_burst(j->files[i], pkts, BURST);
				rte_pktmbuf_free_bulk(pkts, n);
				j->count += n;
				continue;
			}
			for (n = 0; n < BURST &&
			     rte_pmd_macvtap_file_read(j->files[i], b, 2048) > 0; n++)
				;
			j->count += n;
		}
		return;
	}
	if (j->kind != TX_WIRE && j->kind != TX_BRIDGE) {
		if (j->baseline && j->kind == RX) {
			for (i = 0; i < j->nb_lower_queues; i++) {
				n = rte_eth_rx_burst(j->lower, j->lower_queues[i], pkts, BURST);
				rte_pktmbuf_free_bulk(pkts, n);
				j->count += n;
			}
		} else {
			/* The ports' rx bursts: rx's measured side, the file kinds' base. */
			for (i = 0; i < j->nb_ports; i++) {
				n = rte_eth_rx_burst(j->ports[i], j->queue, pkts, BURST);
				rte_pktmbuf_free_bulk(pkts, n);
				j->count += n;
			}
		}
		return;
	}
	/* TX: frames from a pool whose objects already hold the frame. */
	if (rte_pktmbuf_alloc_bulk(j->tx_pool, pkts, 32) != 0)
		return;
	for (i = 0; i < 32; i++) {
		pkts[i]->data_len = FRAME_LEN;
		pkts[i]->pkt_len = FRAME_LEN;
	}
	sent = rte_eth_tx_burst(j->baseline ? j->lower : j->tx_port, 0, pkts, 32);
	if (sent < 32)
		rte_pktmbuf_free_bulk(pkts + sent, 32 - sent);
	j->count += sent;
	if (j->kind == TX_BRIDGE && !j->baseline) {
		n = rte_eth_rx_burst(j->rx_port, 0, pkts, BURST);
		rte_pktmbuf_free_bulk(pkts, n);
	} else {
		drain_wire(j->wire);
	}
}

static int
worker_main(void *arg)
{
	struct job *j = arg;

	while (!stop_flag)
		job_iteration(j);
	return 0;
}

/*
 * Run one window on nb_lcores lcores; return the frames per second the loops
 * handled. With a macvtap port given, *input_rate is what its lower read in
 * the same window (broadcast copies make the two differ).
 */
static double
run_window(struct job *jobs, unsigned int nb_lcores, uint16_t macvtap_port, double *input_rate)
{
	struct rte_pmd_macvtap_lower_stats ls0, ls1;
	uint64_t total = 0, hz = rte_get_timer_hz(), start, end;
	unsigned int lcore, i;

	stop_flag = false;
	for (i = 0; i < nb_lcores; i++)
		jobs[i].count = 0;
	i = 1;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i >= nb_lcores)
			break;
		rte_eal_remote_launch(worker_main, &jobs[i++], lcore);
	}
	/* The main lcore works too, and keeps the time. */
	if (input_rate != NULL)
		rte_pmd_macvtap_get_lower_stats(macvtap_port, &ls0);
	start = rte_get_timer_cycles();
	end = start + (uint64_t)(opt_seconds * hz);
	while (rte_get_timer_cycles() < end)
		job_iteration(&jobs[0]);
	end = rte_get_timer_cycles();
	if (input_rate != NULL) {
		rte_pmd_macvtap_get_lower_stats(macvtap_port, &ls1);
		*input_rate = (double)(ls1.rx_packets - ls0.rx_packets) * hz / (end - start);
	}
	stop_flag = true;
	rte_eal_mp_wait_lcore();
	for (i = 0; i < nb_lcores; i++)
		total += jobs[i].count;
	return (double)total * hz / (end - start);
}

/* ---- input ---- */

static void
dest_mac(unsigned int i, struct rte_ether_addr *a)
{
	a->addr_bytes[0] = 0x02;
	a->addr_bytes[1] = 0x4d;
	a->addr_bytes[2] = 0x56;
	a->addr_bytes[3] = (i >> 16) & 0xff;
	a->addr_bytes[4] = (i >> 8) & 0xff;
	a->addr_bytes[5] = i & 0xff;
}

/* A pcap file of 64-byte frames, destinations uniform over dests MACs. */
static int
write_pcap(const char *path, unsigned int dests, unsigned int bcast_pct)
{
	struct { uint32_t magic; uint16_t major, minor; int32_t zone; uint32_t sigfigs, snaplen,
		 linktype; } gh = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 };
	struct { uint32_t sec, usec, caplen, len; } rh = { 0, 0, FRAME_LEN, FRAME_LEN };
	uint8_t frame[FRAME_LEN];
	unsigned int nb = RTE_MAX(dests, 1u) * 4, i, d = 0;
	uint32_t seed = 12345;
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -errno;
	if (nb < 1024)
		nb = 1024;
	fwrite(&gh, sizeof(gh), 1, f);
	for (i = 0; i < nb; i++) {
		struct rte_ether_hdr *eh = (struct rte_ether_hdr *)frame;

		memset(frame, 0, sizeof(frame));
		seed = seed * 1103515245 + 12345;
		if (bcast_pct != 0 && (seed >> 8) % 100 < bcast_pct) {
			memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
		} else {
			dest_mac(d, &eh->dst_addr);
			d = (d + 1) % dests;
		}
		eh->src_addr.addr_bytes[0] = 0x02;
		eh->src_addr.addr_bytes[5] = 0xfe;
		eh->ether_type = rte_cpu_to_be_16(0x88b5);
		memcpy(frame + sizeof(*eh), &i, sizeof(i));
		fwrite(&rh, sizeof(rh), 1, f);
		fwrite(frame, sizeof(frame), 1, f);
	}
	fclose(f);
	return 0;
}

/* ---- ports ---- */

static unsigned int vdev_seq;

/* ethdev wants a pool at rx queue setup; the driver fills its rings from the lower's. */
static struct rte_mempool *setup_pool;

static int
port_setup(uint16_t port, uint16_t nb_q, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	uint16_t q;
	int ret;

	if (mp == NULL)
		mp = setup_pool;
	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, nb_q, nb_q, &conf);
	for (q = 0; ret == 0 && q < nb_q; q++) {
		ret = rte_eth_rx_queue_setup(port, q, 0, rte_socket_id(), NULL, mp);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, q, 0, rte_socket_id(), NULL);
	}
	return ret;
}

struct setup {
	char lower_name[64];
	uint16_t lower;
	unsigned int nb_ports;
	char names[MAX_PORTS][48];
	uint16_t ports[MAX_PORTS];
	struct rte_ring *ring_rx, *ring_tx;
};

/* Probe, configure (not start) one port with destination MAC number mac_index. */
static int
add_port(struct setup *s, unsigned int mac_index, const char *mode, uint16_t nb_q)
{
	struct rte_ether_addr mac;
	char args[256], macs[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int i = s->nb_ports;
	int ret;

	dest_mac(mac_index, &mac);
	rte_ether_format_addr(macs, sizeof(macs), &mac);
	snprintf(s->names[i], sizeof(s->names[i]), "net_macvtap_b%u", vdev_seq++);
	snprintf(args, sizeof(args), "iface=%s,mac=%s,mode=%s", s->lower_name, macs, mode);
	ret = rte_vdev_init(s->names[i], args);
	if (ret == 0)
		ret = rte_eth_dev_get_port_by_name(s->names[i], &s->ports[i]);
	if (ret == 0)
		s->nb_ports++;
	if (ret == 0)
		ret = port_setup(s->ports[i], nb_q, NULL);
	if (ret != 0)
		fprintf(stderr, "port %s: %s\n", s->names[i], strerror(-ret));
	return ret;
}

/* Create ports on the lower, spreading dests MACs over at most MAX_PORTS of them. */
static int
create_ports(struct setup *s, unsigned int dests, const char *mode, uint16_t nb_q)
{
	struct rte_ether_addr mac;
	unsigned int nb = RTE_MIN(dests, (unsigned int)MAX_PORTS), i;
	int ret;

	for (i = 0; i < nb; i++) {
		ret = add_port(s, i, mode, nb_q);
		if (ret != 0)
			return ret;
	}
	for (i = nb; i < dests; i++) {
		dest_mac(i, &mac);
		ret = rte_eth_dev_mac_addr_add(s->ports[i % nb], &mac, 0);
		if (ret != 0) {
			fprintf(stderr, "mac_addr_add: %s\n", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int
ports_start(struct setup *s, bool start)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < s->nb_ports && ret == 0; i++)
		ret = start ? rte_eth_dev_start(s->ports[i]) : rte_eth_dev_stop(s->ports[i]);
	return ret;
}

/* Free what waits in the stopped ports' rings, through the public ring API. */
static uint64_t
ports_drain(struct setup *s, uint16_t nb_q)
{
	struct rte_mbuf *pkts[BURST];
	struct rte_eth_stats st;
	uint64_t missed = 0;
	unsigned int i, n;
	uint16_t q;

	for (i = 0; i < s->nb_ports; i++) {
		for (q = 0; q < nb_q; q++) {
			struct rte_ring *r = rte_pmd_macvtap_get_rx_ring(s->ports[i], q);

			while (r != NULL &&
			       (n = rte_ring_dequeue_burst(r, (void **)pkts, BURST, NULL)) != 0)
				rte_pktmbuf_free_bulk(pkts, n);
		}
		if (rte_eth_stats_get(s->ports[i], &st) == 0)
			missed += st.imissed;
		rte_eth_stats_reset(s->ports[i]);
	}
	return missed;
}

static void
ports_destroy(struct setup *s)
{
	unsigned int i;

	for (i = 0; i < s->nb_ports; i++) {
		rte_eth_dev_stop(s->ports[i]);
		rte_eth_dev_close(s->ports[i]);
		rte_vdev_uninit(s->names[i]);
	}
	s->nb_ports = 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(const double *v, unsigned int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- the RX benchmark ---- */

/* Tap files on every port, queue by lcore, for a file kind's measured window. */
static int
files_open(struct setup *s, struct job *jobs, const struct config *c)
{
	unsigned int l, i;
	int ret;

	if (c->kind != FILE_READ && c->kind != FILE_BURST)
		return 0;
	for (l = 0; l < c->lcores; l++) {
		for (i = 0; i < s->nb_ports; i++) {
			ret = rte_pmd_macvtap_file_open(s->ports[i], &jobs[l].files[i]);
			if (ret != 0) {
				fprintf(stderr, "tap file on port %u: %s\n", s->ports[i],
					strerror(-ret));
				return ret;
			}
		}
	}
	return 0;
}

static void
files_close(struct job *jobs, const struct config *c)
{
	unsigned int l, i;

	for (l = 0; l < c->lcores; l++)
		for (i = 0; i < MAX_PORTS; i++)
			if (jobs[l].files[i] != NULL) {
				rte_pmd_macvtap_file_close(jobs[l].files[i]);
				jobs[l].files[i] = NULL;
			}
}

static int
bench_rx(struct result *r)
{
	const struct config *c = &r->cfg;
	static struct job jobs[RTE_MAX_LCORE];
	struct rte_pmd_macvtap_lower_stats ls0, ls1;
	struct setup s;
	struct rte_mempool *mp;
	char path[600], args[1400];
	unsigned int round, l;
	unsigned int in_use_before;
	uint16_t q, nb_lower_q;
	int ret;

	memset(&s, 0, sizeof(s));
	snprintf(path, sizeof(path), "%s/in_%u_%u.pcap", pcap_dir, c->dests, c->bcast_pct);
	ret = write_pcap(path, c->dests, c->bcast_pct);
	if (ret != 0)
		return ret;
	snprintf(s.lower_name, sizeof(s.lower_name), "net_pcap_b%u", vdev_seq++);
	snprintf(args, sizeof(args), "rx_pcap=%s,rx_pcap=%s,infinite_rx=1", path, path);
	ret = rte_vdev_init(s.lower_name, args);
	if (ret != 0) {
		fprintf(stderr, "%s: %s\n", s.lower_name, strerror(-ret));
		return ret;
	}
	rte_eth_dev_get_port_by_name(s.lower_name, &s.lower);
	ret = create_ports(&s, c->dests, "vepa", c->lcores);
	if (ret != 0)
		goto out;
	r->ports = s.nb_ports;
	/* Start once, so that the driver configures the lower; then measure. */
	ret = ports_start(&s, true);
	if (ret == 0)
		ret = ports_start(&s, false);
	if (ret != 0)
		goto out;
	mp = rte_pmd_macvtap_get_lower_mempool(s.ports[0]);
	/* The driver gave the lower one queue per lcore, up to what it has. */
	{
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(s.lower, &info) != 0) {
			ret = -ENODEV;
			goto out;
		}
		nb_lower_q = RTE_MIN(info.nb_rx_queues, (uint16_t)LOWER_QUEUES);
	}
	ports_drain(&s, c->lcores);
	in_use_before = rte_mempool_in_use_count(mp);
	r->mbufs_ok = true;
	for (l = 0; l < c->lcores; l++) {
		struct job *j = &jobs[l];

		memset(j, 0, sizeof(*j));
		j->kind = c->kind;
		j->lower = s.lower;
		j->nb_ports = s.nb_ports;
		memcpy(j->ports, s.ports, sizeof(s.ports));
		j->queue = l;
		/* Lower queues by lcore: one lcore reads all, two read half each. */
		for (q = l; q < nb_lower_q; q += c->lcores)
			j->lower_queues[j->nb_lower_queues++] = q;
	}
	for (round = 0; round < opt_rounds; round++) {
		double input;

		for (l = 0; l < c->lcores; l++)
			jobs[l].baseline = true;
		if (c->kind == RX) {
			r->base[round] = run_window(jobs, c->lcores, 0, NULL) / 1e6;
		} else {
			/* The file kinds' base: the same ports through their rx bursts. */
			ports_start(&s, true);
			r->base[round] = run_window(jobs, c->lcores, s.ports[0], &input) / 1e6;
			r->base[round] = input / 1e6;
			ports_start(&s, false);
			r->ring_full += ports_drain(&s, c->lcores);
		}
		ports_start(&s, true);
		ret = files_open(&s, jobs, c);
		if (ret != 0)
			goto out;
		rte_pmd_macvtap_get_lower_stats(s.ports[0], &ls0);
		for (l = 0; l < c->lcores; l++)
			jobs[l].baseline = false;
		r->delivered[round] = run_window(jobs, c->lcores, s.ports[0], &input) / 1e6;
		r->mvt[round] = input / 1e6;
		rte_pmd_macvtap_get_lower_stats(s.ports[0], &ls1);
		files_close(jobs, c);
		ports_start(&s, false);
		r->ring_full += ports_drain(&s, c->lcores);
		r->no_port += ls1.rx_no_port - ls0.rx_no_port;
		r->copy_failed += ls1.rx_copy_failed - ls0.rx_copy_failed;
		r->dropped = r->ring_full + r->no_port + r->copy_failed;
		if (rte_mempool_in_use_count(mp) != in_use_before) {
			fprintf(stderr, "round %u: %d mbufs not back in %s\n", round,
				(int)rte_mempool_in_use_count(mp) - (int)in_use_before, mp->name);
			r->mbufs_ok = false;
		}
	}
out:
	ports_destroy(&s);
	rte_eth_dev_stop(s.lower);
	rte_eth_dev_close(s.lower);
	rte_vdev_uninit(s.lower_name);
	unlink(path);
	return ret;
}

/* ---- the TX benchmarks ---- */

static void
init_tx_frame(struct rte_mempool *mp __rte_unused, void *arg, void *obj,
	      unsigned int idx __rte_unused)
{
	struct rte_mbuf *m = obj;
	const struct rte_ether_addr *macs = arg;
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	memset(eh, 0, FRAME_LEN);
	eh->dst_addr = macs[0];
	eh->src_addr = macs[1];
	eh->ether_type = rte_cpu_to_be_16(0x88b5);
}

static int
bench_tx(struct result *r)
{
	const struct config *c = &r->cfg;
	static struct job jobs[1];
	struct rte_ether_addr macs[2];
	struct rte_mempool *pool;
	struct setup s;
	char name[32];
	unsigned int round, in_use_before;
	int ret;

	memset(&s, 0, sizeof(s));
	snprintf(name, sizeof(name), "btx%u", vdev_seq);
	s.ring_rx = rte_ring_create("bench_lrx", 1024, rte_socket_id(), 0);
	s.ring_tx = rte_ring_create("bench_ltx", 4096, rte_socket_id(), 0);
	if (s.ring_rx == NULL || s.ring_tx == NULL)
		return -ENOMEM;
	ret = rte_eth_from_rings(name, &s.ring_rx, 1, &s.ring_tx, 1, rte_socket_id());
	if (ret < 0)
		return ret;
	s.lower = ret;
	snprintf(s.lower_name, sizeof(s.lower_name), "net_ring_%s", name);
	vdev_seq++;
	ret = create_ports(&s, 2, c->kind == TX_BRIDGE ? "bridge" : "vepa", 1);
	if (ret != 0)
		goto out;
	r->ports = 1;
	ret = ports_start(&s, true);
	if (ret != 0)
		goto out;
	/* Frames from port 0 to port 1's MAC: local in bridge mode, the wire in vepa. */
	dest_mac(1, &macs[0]);
	dest_mac(0, &macs[1]);
	pool = rte_pktmbuf_pool_create("bench_tx_pool", 8191, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	rte_mempool_obj_iter(pool, init_tx_frame, macs);
	in_use_before = 0;
	memset(&jobs[0], 0, sizeof(jobs[0]));
	jobs[0].kind = c->kind;
	jobs[0].lower = s.lower;
	jobs[0].tx_port = s.ports[0];
	jobs[0].rx_port = s.ports[1];
	jobs[0].wire = s.ring_tx;
	jobs[0].tx_pool = pool;
	r->mbufs_ok = true;
	for (round = 0; round < opt_rounds; round++) {
		jobs[0].baseline = true;
		r->base[round] = run_window(jobs, 1, 0, NULL) / 1e6;
		jobs[0].baseline = false;
		r->mvt[round] = run_window(jobs, 1, 0, NULL) / 1e6;
		r->delivered[round] = r->mvt[round];
		drain_wire(s.ring_tx);
		r->ring_full += ports_drain(&s, 1);
		r->dropped = r->ring_full;
		if (rte_mempool_in_use_count(pool) != in_use_before) {
			/* The receiving port's ring is drained by ports_drain only when stopped. */
			ports_start(&s, false);
			ports_drain(&s, 1);
			if (rte_mempool_in_use_count(pool) != in_use_before) {
				fprintf(stderr, "round %u: %u mbufs not back in the TX pool\n",
					round, rte_mempool_in_use_count(pool));
				r->mbufs_ok = false;
			}
			ports_start(&s, true);
		}
	}
	ports_destroy(&s);
	drain_wire(s.ring_tx);
	if (!rte_mempool_full(pool))
		r->mbufs_ok = false;
	rte_mempool_free(pool);
out:
	ports_destroy(&s);
	rte_eth_dev_stop(s.lower);
	rte_eth_dev_close(s.lower);
	rte_vdev_uninit(s.lower_name);
	rte_ring_free(s.ring_rx);
	rte_ring_free(s.ring_tx);
	return ret;
}

/* ---- memory ---- */

/* Heap bytes one more port costs beyond its mbufs: rings, queue structs, table. */
static long
port_footprint(void)
{
	struct rte_malloc_socket_stats before, after;
	struct setup s;
	char name[32];
	long bytes = -1;
	int ret;

	memset(&s, 0, sizeof(s));
	s.ring_rx = rte_ring_create("bench_frx", 1024, rte_socket_id(), 0);
	s.ring_tx = rte_ring_create("bench_ftx", 1024, rte_socket_id(), 0);
	snprintf(name, sizeof(name), "bfp%u", vdev_seq++);
	ret = rte_eth_from_rings(name, &s.ring_rx, 1, &s.ring_tx, 1, rte_socket_id());
	if (ret < 0)
		goto out;
	s.lower = ret;
	snprintf(s.lower_name, sizeof(s.lower_name), "net_ring_%s", name);
	/* The first port brings the lower's pool along; the second is what a port costs. */
	if (create_ports(&s, 1, "vepa", 1) != 0 || ports_start(&s, true) != 0)
		goto out;
	rte_malloc_get_socket_stats(rte_socket_id(), &before);
	if (add_port(&s, 1, "vepa", 1) != 0 || rte_eth_dev_start(s.ports[1]) != 0)
		goto out;
	rte_malloc_get_socket_stats(rte_socket_id(), &after);
	bytes = (long)after.heap_allocsz_bytes - (long)before.heap_allocsz_bytes;
out:
	ports_destroy(&s);
	if (s.lower_name[0] != '\0') {
		rte_eth_dev_stop(s.lower);
		rte_eth_dev_close(s.lower);
		rte_vdev_uninit(s.lower_name);
	}
	rte_ring_free(s.ring_rx);
	rte_ring_free(s.ring_tx);
	return bytes;
}

/* ---- output ---- */

/* Nanoseconds one lcore spends per frame at this rate. */
static double
ns_per_pkt(double mpps, unsigned int lcores)
{
	return mpps > 0 ? 1e3 / mpps * lcores : 0.0;
}

/* What net_macvtap adds per frame on top of the lower alone. */
static double
added_ns(const struct result *r)
{
	return ns_per_pkt(r->mvt_mpps, r->cfg.lcores) - ns_per_pkt(r->base_mpps, r->cfg.lcores);
}

static void
print_row(FILE *f, const struct result *r)
{
	fprintf(f, "%-9s %6u %5u %4u%% %6u %10.2f %10.2f %10.2f %6.3f %8.1f %8.1f %8" PRIu64
		" %s\n",
		kind_name[r->cfg.kind], r->cfg.dests, r->ports, r->cfg.bcast_pct, r->cfg.lcores,
		r->base_mpps, r->mvt_mpps, r->delivered_mpps, r->ratio,
		ns_per_pkt(r->mvt_mpps, r->cfg.lcores), added_ns(r), r->dropped,
		r->mbufs_ok ? "ok" : "LOST");
}

static void
write_outputs(const struct result *res, unsigned int n, long footprint)
{
	FILE *f;
	unsigned int i, k;

	if (opt_csv != NULL && (f = fopen(opt_csv, "w")) != NULL) {
		fprintf(f, "kind,dests,ports,bcast_pct,lcores,base_mpps,macvtap_mpps,"
			"delivered_mpps,ratio,ns_per_pkt_per_lcore,added_ns_per_pkt,dropped,ring_full,"
			"no_port,copy_failed,mbufs_ok\n");
		for (i = 0; i < n; i++)
			fprintf(f, "%s,%u,%u,%u,%u,%.3f,%.3f,%.3f,%.4f,%.2f,%.2f,%" PRIu64 ",%" PRIu64
				",%" PRIu64 ",%" PRIu64 ",%d\n",
				kind_name[res[i].cfg.kind], res[i].cfg.dests, res[i].ports,
				res[i].cfg.bcast_pct, res[i].cfg.lcores, res[i].base_mpps,
				res[i].mvt_mpps, res[i].delivered_mpps, res[i].ratio,
				ns_per_pkt(res[i].mvt_mpps, res[i].cfg.lcores), added_ns(&res[i]),
				res[i].dropped, res[i].ring_full, res[i].no_port,
				res[i].copy_failed, res[i].mbufs_ok);
		fclose(f);
	}
	if (opt_json != NULL && (f = fopen(opt_json, "w")) != NULL) {
		fprintf(f, "{\n  \"rounds\": %u,\n  \"seconds_per_window\": %.3f,\n"
			"  \"port_footprint_bytes\": %ld,\n  \"results\": [\n", opt_rounds,
			opt_seconds, footprint);
		for (i = 0; i < n; i++) {
			const struct result *r = &res[i];

			fprintf(f, "    {\"kind\": \"%s\", \"dests\": %u, \"ports\": %u, "
				"\"bcast_pct\": %u, \"lcores\": %u, \"base_mpps\": %.3f, "
				"\"macvtap_mpps\": %.3f, \"delivered_mpps\": %.3f, \"ratio\": %.4f, "
				"\"ns_per_pkt\": %.2f, \"added_ns_per_pkt\": %.2f, "
				"\"dropped\": %" PRIu64 ", \"ring_full\": %" PRIu64 ", \"no_port\": %"
				PRIu64 ", \"copy_failed\": %" PRIu64 ", \"mbufs_ok\": %s, \"rounds\": [",
				kind_name[r->cfg.kind], r->cfg.dests, r->ports, r->cfg.bcast_pct,
				r->cfg.lcores, r->base_mpps, r->mvt_mpps, r->delivered_mpps, r->ratio,
				ns_per_pkt(r->mvt_mpps, r->cfg.lcores), added_ns(r), r->dropped, r->ring_full, r->no_port, r->copy_failed,
				r->mbufs_ok ? "true" : "false");
			for (k = 0; k < opt_rounds; k++)
				fprintf(f, "%s[%.3f, %.3f]", k ? ", " : "", r->base[k], r->mvt[k]);
			fprintf(f, "]}%s\n", i + 1 < n ? "," : "");
		}
		fprintf(f, "  ]\n}\n");
		fclose(f);
	}
	if (opt_plot != NULL) {
		char data[600], cmd[2400];

		snprintf(data, sizeof(data), "%s/plot.dat", pcap_dir);
		f = fopen(data, "w");
		if (f == NULL)
			return;
		for (i = 0; i < n; i++)
			if (res[i].cfg.kind == RX && res[i].cfg.bcast_pct == 0 &&
			    res[i].cfg.lcores == 1)
				fprintf(f, "%u %.3f %.3f\n", res[i].cfg.dests, res[i].base_mpps,
					res[i].mvt_mpps);
		fclose(f);
		snprintf(cmd, sizeof(cmd),
			 "gnuplot -e \"set terminal png size 800,500 noenhanced; set output '%s'; "
			 "set logscale x 2; set xlabel 'destination ports (MACs)'; "
			 "set ylabel 'Mpps (64-byte frames, 1 lcore)'; set yrange [0:*]; "
			 "set key bottom left; set title 'net_macvtap RX vs its lower alone'; "
			 "plot '%s' using 1:2 with linespoints title 'lower alone', "
			 "'%s' using 1:3 with linespoints title 'through net_macvtap'\"",
			 opt_plot, data, data);
		if (system(cmd) != 0)
			fprintf(stderr, "plot: gnuplot failed (apt-get install gnuplot-nox)\n");
		unlink(data);
	}
}

static void
usage(const char *prog)
{
	printf("usage: %s <EAL args> -- [options]\n"
	       "  --rounds N      alternating baseline/macvtap rounds (default 5, median)\n"
	       "  --seconds S     length of each window (default 1.0)\n"
	       "  --quick         a short, small configuration (for the test suite)\n"
	       "  --only K:D:B:L  one configuration: kind (rx, tx-wire, tx-bridge, file-read,\n"
	       "                  file-burst), destinations, broadcast percent, lcores;\n"
	       "                  e.g. --only rx:8:10:1. The file kinds compare tap-file reads\n"
	       "                  (one frame per read, or mbuf bursts) with the same ports'\n"
	       "                  ethdev rx bursts, which are their base\n"
	       "  --csv F, --json F, --plot F.png   outputs\n"
	       "  --dir D         where input captures go (default .)\n", prog);
}

int
main(int argc, char **argv)
{
	static struct result res[32];
	static const unsigned int dests_sweep[] = { 1, 8, 64, 1024 };
	unsigned int n = 0, i, lcores;
	long footprint;
	int ret, opt;
	static const struct option longopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "csv", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "plot", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 2;
	}
	argc -= ret;
	argv += ret;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': opt_rounds = RTE_MIN((unsigned int)atoi(optarg), (unsigned int)MAX_ROUNDS); break;
		case 's': opt_seconds = atof(optarg); break;
		case 'q': opt_quick = true; break;
		case 'o': opt_only = optarg; break;
		case 'c': opt_csv = optarg; break;
		case 'j': opt_json = optarg; break;
		case 'p': opt_plot = optarg; break;
		case 'd': opt_dir = optarg; break;
		default: usage(argv[0]); return opt == 'h' ? 0 : 2;
		}
	}
	if (opt_rounds == 0)
		opt_rounds = 1;
	snprintf(pcap_dir, sizeof(pcap_dir), "%s", opt_dir);
	setup_pool = rte_pktmbuf_pool_create("bench_setup", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					     rte_socket_id());
	if (setup_pool == NULL) {
		fprintf(stderr, "cannot create a mempool\n");
		return 2;
	}
	lcores = rte_lcore_count();
	if (opt_only != NULL) {
		char kind[16];
		struct config *c = &res[n++].cfg;

		if (sscanf(opt_only, "%15[a-z-]:%u:%u:%u", kind, &c->dests, &c->bcast_pct,
			   &c->lcores) != 4 || c->dests == 0 || c->dests > MAX_DESTS ||
		    c->bcast_pct > 100 || c->lcores == 0) {
			fprintf(stderr, "--only: want kind:dests:bcast_pct:lcores, e.g. rx:8:10:1\n");
			return 2;
		}
		for (i = 0; i < RTE_DIM(kind_name) && strcmp(kind, kind_name[i]) != 0; i++)
			;
		if (i == RTE_DIM(kind_name)) {
			fprintf(stderr, "--only: kind is rx, tx-wire, tx-bridge, file-read or "
				"file-burst\n");
			return 2;
		}
		c->kind = i;
	} else if (opt_quick) {
		opt_rounds = RTE_MIN(opt_rounds, 3u);
		opt_seconds = RTE_MIN(opt_seconds, 0.05);
		res[n++].cfg = (struct config){ RX, 1, 0, 1 };
		res[n++].cfg = (struct config){ RX, 64, 10, 1 };
		if (lcores >= 2)
			res[n++].cfg = (struct config){ RX, 8, 0, 2 };
		res[n++].cfg = (struct config){ TX_WIRE, 1, 0, 1 };
		res[n++].cfg = (struct config){ TX_BRIDGE, 2, 0, 1 };
		res[n++].cfg = (struct config){ FILE_READ, 1, 0, 1 };
		res[n++].cfg = (struct config){ FILE_BURST, 1, 0, 1 };
	} else {
		for (i = 0; i < RTE_DIM(dests_sweep); i++)
			res[n++].cfg = (struct config){ RX, dests_sweep[i], 0, 1 };
		res[n++].cfg = (struct config){ RX, 8, 10, 1 };
		if (lcores >= 2) {
			res[n++].cfg = (struct config){ RX, 1, 0, 2 };
			res[n++].cfg = (struct config){ RX, 8, 0, 2 };
		}
		res[n++].cfg = (struct config){ TX_WIRE, 1, 0, 1 };
		res[n++].cfg = (struct config){ TX_BRIDGE, 2, 0, 1 };
		res[n++].cfg = (struct config){ FILE_READ, 1, 0, 1 };
		res[n++].cfg = (struct config){ FILE_BURST, 1, 0, 1 };
		res[n++].cfg = (struct config){ FILE_BURST, 8, 0, 1 };
	}

	printf("net_macvtap benchmark: %u rounds of %.2f s per side, median; 64-byte frames\n",
	       opt_rounds, opt_seconds);
	printf("%-9s %6s %5s %5s %6s %10s %10s %10s %6s %8s %8s %8s %s\n", "test", "dests",
	       "ports", "bcast", "lcores", "base_Mpps", "mvt_Mpps", "deliv_Mpps", "ratio", "ns/pkt",
	       "added_ns", "dropped", "mbufs");
	ret = 0;
	for (i = 0; i < n; i++) {
		struct result *r = &res[i];
		int rc;

		if (r->cfg.lcores > lcores)
			continue;
		rc = r->cfg.kind == TX_WIRE || r->cfg.kind == TX_BRIDGE ? bench_tx(r) : bench_rx(r);
		if (rc != 0) {
			fprintf(stderr, "%s dests=%u: failed: %s\n", kind_name[r->cfg.kind],
				r->cfg.dests, strerror(-rc));
			ret = 1;
			continue;
		}
		r->base_mpps = median(r->base, opt_rounds);
		r->mvt_mpps = median(r->mvt, opt_rounds);
		r->delivered_mpps = median(r->delivered, opt_rounds);
		r->ratio = r->base_mpps > 0 ? r->mvt_mpps / r->base_mpps : 0;
		print_row(stdout, r);
		fflush(stdout);
		if (!r->mbufs_ok)
			ret = 1;
	}
	footprint = port_footprint();
	printf("memory: one port (1 RX queue of 500, 1 TX queue) costs %ld bytes of heap "
	       "beyond its mbufs\n", footprint);
	write_outputs(res, n, footprint);
	rte_eal_cleanup();
	return ret;
}

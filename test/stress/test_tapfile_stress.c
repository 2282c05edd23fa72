/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Concurrency stress of tap files (rte_pmd_macvtap_file_*): bridge ports with
 * two queues on a lower with two queues (net_ring), a file on each queue,
 * every file owned by one thread (lcore 0, the main one, or lcore 1).
 *
 * - tapfile_traffic: every file writes sequence-numbered frames (flow = writer
 *   file and destination) to its sibling ports' MACs (bridge-local delivery)
 *   and to a host nobody owns (the wire); the main lcore also injects frames
 *   "from the wire" into the lower, reads the wire, and runs the dispatcher
 *   service itself (rte_service_run_iter_on_app_lcore in its loop: with -l 0-1
 *   there is no third lcore to make a service core of, and the tap files'
 *   descriptors must be served while both lcores read and write). On each
 *   lcore, half the files are read by busy-polling read(), half only when
 *   their descriptor says so: poll(2) on the main lcore (1 ms timeout, it runs
 *   the dispatcher too), epoll on the worker (5 ms). After the traffic: no
 *   frame at a wrong port, none altered, duplicated or reordered within its
 *   (flow, receiving queue), every accepted write received or counted by a
 *   named drop counter, and no lost wakeup: a waited file that holds frames
 *   while its descriptor is not readable for LOST_WAKEUP_MS is a failure,
 *   during the traffic (watchdog) and after it (the waiting readers alone
 *   must empty their queues once the writers stop).
 * - tapfile_open_close_churn: open/close x1000 (two files each time, the
 *   third open -EBUSY) on one port while the other lcore writes to it.
 * - tapfile_queue_detach_churn: TUNSETQUEUE detach/attach x1000 under the
 *   other lcore's traffic, with the kernel's errors for a queue already in
 *   that state; a detached queue gets no frame.
 * - tapfile_misuse: every misuse of the API, with the kernel's errno.
 * The churn tests also check /proc/self/fd, rte_malloc's count and the number
 * of mempools before and after the loop; the harness checks the pools full
 * and rte_malloc after each test.
 *
 * Run: test_tapfile_stress <EAL args, -l 0-1> [-- test-name-substring]
 * MACVTAP_TAPSTRESS_SECONDS sets the traffic time (default 5, 1 to 60).
 */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_service.h>

#include "harness.h"
#include "rte_pmd_macvtap.h"

#define NB_Q 2                          /* queues of the lower and of every port */
#define MAX_PORTS 4
#define NB_FILE_SLOTS (MAX_PORTS * NB_Q) /* a file (receiver, writer) per port queue */
#define RX_WIRE NB_FILE_SLOTS            /* receiver index of the wire */
#define NB_RECV (NB_FILE_SLOTS + 1)
#define INJ0 NB_FILE_SLOTS               /* sender: the injector into lower queue q */
#define NB_SENDERS (NB_FILE_SLOTS + NB_Q)
#define DST_EXT MAX_PORTS                /* a host on the wire that no port owns */
#define NB_DSTS (MAX_PORTS + 1)
#define NB_FLOWS (NB_SENDERS * NB_DSTS)

#define VHDR 10                          /* the default virtio-net header */
#define FRAME_MAGIC 0x54465354u
#define ETHER_TYPE_TEST 0x88b5
#define BUF_LEN 2048
#define WRITE_BURST 8
#define READ_MAX 64                      /* reads of one file per round */
#define INJECT_BURST 8
#define INJECT_LOW_WATER 256
#define LOST_WAKEUP_MS 200
#define DRAIN_MAX_MS 2000
#define CHURN_LOOPS 1000
#define DEFAULT_SECONDS 5.0
#define MAX_SECONDS 60.0
#define MAIN_POLL_MS 1
#define WORKER_EPOLL_MS 5

struct payload {
	uint32_t magic;
	uint16_t flow;
	uint16_t len;                    /* the Ethernet frame's length */
	uint32_t seq;                    /* from 1 in each flow */
	uint32_t check;
};
#define HDR_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct payload))

/* A tap file and its owner. */
struct tfile {
	struct rte_pmd_macvtap_file *f;
	struct rte_ring *ring;           /* its queue's ring, to watch */
	uint64_t stuck_since;            /* frames queued, descriptor not readable, since */
	uint64_t wakeups, spurious;
	uint64_t refused;                /* writes not accepted (-ENOBUFS) */
	unsigned int slot;               /* port * NB_Q + queue */
	unsigned int lcore;              /* 0: main, 1: worker */
	int fd;
	unsigned int lost;               /* lost wakeups the owner saw (episodes) */
	bool waits;                      /* read only when its descriptor is readable */
	bool writes;
	bool stuck_reported;             /* this episode was counted */
	char lost_what[160];
};

struct lcore_ctx {
	unsigned int idx;
	uint64_t rng;
	uint64_t writes, reads, injected, rounds;
	unsigned int nb_errors;
	char error[256];
};

static struct t_env env;
static unsigned int nb_ports;
static uint16_t port_ids[MAX_PORTS];
static struct tfile tfiles[NB_FILE_SLOTS];
static unsigned int nb_tfiles;
static struct lcore_ctx ctx[2];
static int worker_epfd = -1;
static uint32_t service_id;
static bool service_on;
static uint64_t hz_ms;
static uint64_t start_ms;

/* Each written by one thread: a flow's by its sender's, a receiver's by its reader's. */
static uint32_t next_seq[NB_FLOWS];
static bool flow_used[NB_FLOWS];
static uint32_t last_seq[NB_FLOWS][NB_RECV];
static uint64_t got[NB_FLOWS][NB_RECV];
static uint64_t rx_total[NB_RECV];

enum phase { PH_RUN, PH_DRAIN, PH_STOP };
static uint32_t phase;
static uint32_t worker_quiet;            /* the worker saw PH_DRAIN: it writes no more */

static void
cleanup(void)
{
	t_files_close_all();
	if (worker_epfd >= 0)
		close(worker_epfd);
	worker_epfd = -1;
	if (service_on)
		rte_service_runstate_set(service_id, 0);
	service_on = false;
}

static inline uint64_t
rnd(struct lcore_ctx *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545F4914F6CDD1DULL;
}

static void __rte_format_printf(2, 3)
fail(struct lcore_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->nb_errors++ != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
}

static double
stress_seconds(void)
{
	const char *s = getenv("MACVTAP_TAPSTRESS_SECONDS");
	double v;

	if (s == NULL || *s == '\0')
		return DEFAULT_SECONDS;
	v = strtod(s, NULL);
	if (v < 1)
		return DEFAULT_SECONDS;
	return v > MAX_SECONDS ? MAX_SECONDS : v;
}

static uint64_t
now_ms(void)
{
	return rte_get_timer_cycles() / hz_ms;
}

static int
count_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

/* ---- flows and frames ---- */

static struct rte_ether_addr
port_mac(unsigned int p)
{
	struct rte_ether_addr a = {{ 0x02, 0x00, 0x00, 0x7f, 0x00, (uint8_t)(p + 1) }};

	return a;
}

static struct rte_ether_addr
dst_mac(unsigned int d)
{
	return d == DST_EXT ? t_mac("02:ee:00:00:00:99") : port_mac(d);
}

static struct rte_ether_addr
src_mac(unsigned int s)
{
	struct rte_ether_addr a;

	if (s < NB_FILE_SLOTS)
		return port_mac(s / NB_Q);
	a = t_mac("02:ee:00:00:01:00");
	a.addr_bytes[5] = (uint8_t)(s - INJ0 + 1);
	return a;
}

static inline unsigned int
flow_of(unsigned int sender, unsigned int dst)
{
	return sender * NB_DSTS + dst;
}

static inline uint32_t
flow_check(uint32_t flow, uint32_t seq)
{
	return (flow * 0x9e3779b1u) ^ (seq * 0x85ebca6bu) ^ 0x5bd1e995u;
}

/* Ethernet frame seq of flow f at p; returns its length (64..127). */
static size_t
build(uint8_t *p, unsigned int f, uint32_t seq)
{
	uint16_t len = (uint16_t)(64 + (seq * 7 + f) % 64);
	struct rte_ether_hdr eh;
	struct payload pl;
	unsigned int i;

	eh.dst_addr = dst_mac(f % NB_DSTS);
	eh.src_addr = src_mac(f / NB_DSTS);
	eh.ether_type = rte_cpu_to_be_16(ETHER_TYPE_TEST);
	pl.magic = FRAME_MAGIC;
	pl.flow = (uint16_t)f;
	pl.len = len;
	pl.seq = seq;
	pl.check = flow_check(f, seq);
	memcpy(p, &eh, sizeof(eh));
	memcpy(p + sizeof(eh), &pl, sizeof(pl));
	for (i = HDR_LEN; i < len; i++)
		p[i] = (uint8_t)(pl.check + i);
	return len;
}

/* A frame receiver r got (r: port * NB_Q + queue, or RX_WIRE): check and record it. */
static void
take(struct lcore_ctx *c, unsigned int r, const uint8_t *p, size_t len)
{
	struct rte_ether_hdr eh;
	struct rte_ether_addr want;
	struct payload pl;
	unsigned int i, dst;

	rx_total[r]++;
	c->reads++;
	if (len < HDR_LEN) {
		fail(c, "receiver %u: a frame of %zu bytes", r, len);
		return;
	}
	memcpy(&eh, p, sizeof(eh));
	memcpy(&pl, p + sizeof(eh), sizeof(pl));
	if (pl.magic != FRAME_MAGIC || pl.flow >= NB_FLOWS || !flow_used[pl.flow] ||
	    pl.len != len || pl.check != flow_check(pl.flow, pl.seq)) {
		fail(c, "receiver %u: a frame not as sent (magic %#x flow %u len %u/%zu)", r,
		     pl.magic, pl.flow, pl.len, len);
		return;
	}
	for (i = HDR_LEN; i < len; i++) {
		if (p[i] != (uint8_t)(pl.check + i)) {
			fail(c, "receiver %u: flow %u seq %u altered at byte %u", r, pl.flow,
			     pl.seq, i);
			return;
		}
	}
	dst = pl.flow % NB_DSTS;
	want = dst_mac(dst);
	if (!rte_is_same_ether_addr(&eh.dst_addr, &want)) {
		fail(c, "receiver %u: flow %u seq %u to another MAC", r, pl.flow, pl.seq);
		return;
	}
	if (r == RX_WIRE ? dst != DST_EXT : dst != r / NB_Q) {
		fail(c, "flow %u (sender %u, dst %u) seq %u at receiver %u: a wrong port",
		     pl.flow, pl.flow / NB_DSTS, dst, pl.seq, r);
		return;
	}
	if (pl.seq <= last_seq[pl.flow][r]) {
		fail(c, "flow %u at receiver %u: seq %u after %u (duplicate or reordered)",
		     pl.flow, r, pl.seq, last_seq[pl.flow][r]);
		return;
	}
	if (pl.seq > __atomic_load_n(&next_seq[pl.flow], __ATOMIC_ACQUIRE)) {
		fail(c, "flow %u at receiver %u: seq %u never accepted (last %u)", pl.flow, r,
		     pl.seq, next_seq[pl.flow]);
		return;
	}
	last_seq[pl.flow][r] = pl.seq;
	got[pl.flow][r]++;
}

/*
 * Read file f (receiver r) until it has nothing or max frames were read.
 * Returns frames read; *empty tells whether the last read said -EAGAIN.
 */
static unsigned int
read_file(struct lcore_ctx *c, struct rte_pmd_macvtap_file *f, unsigned int r, unsigned int max,
	  bool *empty)
{
	uint8_t buf[BUF_LEN];
	unsigned int n = 0;
	ssize_t ret = 0;

	while (n < max) {
		ret = rte_pmd_macvtap_file_read(f, buf, sizeof(buf));
		if (ret < 0)
			break;
		if (ret < VHDR || buf[1] != 0) {
			fail(c, "receiver %u: read %zd bytes, gso_type %u", r, ret, buf[1]);
			continue;
		}
		take(c, r, buf + VHDR, (size_t)ret - VHDR);
		n++;
	}
	if (ret < 0 && ret != -EAGAIN)
		fail(c, "receiver %u: read: %zd", r, ret);
	if (empty != NULL)
		*empty = ret == -EAGAIN;
	return n;
}

/* WRITE_BURST frames from file t to random siblings and the wire. */
static void
write_burst(struct lcore_ctx *c, struct tfile *t)
{
	uint8_t buf[BUF_LEN];
	unsigned int i, d, f, own = t->slot / NB_Q;
	uint32_t seq;
	size_t len;
	ssize_t ret;

	memset(buf, 0, VHDR);
	for (i = 0; i < WRITE_BURST; i++) {
		d = (unsigned int)(rnd(c) % nb_ports);
		if (d == own)
			d = DST_EXT;
		f = flow_of(t->slot, d);
		seq = next_seq[f] + 1;
		len = build(buf + VHDR, f, seq) + VHDR;
		/* Published before the write: a reader may see the frame at once. */
		__atomic_store_n(&next_seq[f], seq, __ATOMIC_RELEASE);
		ret = rte_pmd_macvtap_file_write(t->f, buf, len);
		if (ret == (ssize_t)len) {
			c->writes++;
			continue;
		}
		__atomic_store_n(&next_seq[f], seq - 1, __ATOMIC_RELEASE);
		if (ret == -ENOBUFS) {
			t->refused++; /* counted as tx_file_dropped, not accepted */
			continue;
		}
		fail(c, "file %u: write of %zu bytes: %zd", t->slot, len, ret);
	}
}

/* Frames "from the wire" into each lower queue while it is not too full. */
static void
inject(struct lcore_ctx *c)
{
	struct rte_mbuf *m[INJECT_BURST];
	unsigned int q, i, k, f[INJECT_BURST];
	uint32_t seq;
	uint8_t *p;

	for (q = 0; q < NB_Q; q++) {
		if (rte_ring_count(env.rx[q]) >= INJECT_LOW_WATER)
			continue;
		if (rte_pktmbuf_alloc_bulk(t_pool, m, INJECT_BURST) != 0)
			return;
		for (i = 0; i < INJECT_BURST; i++) {
			/* A flow keeps to its lower queue: it reaches one receiving queue. */
			f[i] = flow_of(INJ0 + q, (unsigned int)(rnd(c) % nb_ports));
			seq = next_seq[f[i]] + 1;
			/* Published first: its readers check what they get against it. */
			__atomic_store_n(&next_seq[f[i]], seq, __ATOMIC_RELEASE);
			p = (uint8_t *)rte_pktmbuf_append(m[i], 128);
			rte_pktmbuf_trim(m[i], (uint16_t)(128 - build(p, f[i], seq)));
		}
		k = rte_ring_enqueue_burst(env.rx[q], (void **)m, INJECT_BURST, NULL);
		c->injected += k;
		/* Not taken: the tail, each flow's highest numbers. */
		for (i = INJECT_BURST; i > k; i--)
			__atomic_store_n(&next_seq[f[i - 1]], next_seq[f[i - 1]] - 1,
					 __ATOMIC_RELEASE);
		if (k < INJECT_BURST)
			rte_pktmbuf_free_bulk(&m[k], INJECT_BURST - k);
	}
}

/* What the lower sent; the main lcore is the wire's only reader. */
static unsigned int
drain_wire(struct lcore_ctx *c)
{
	struct rte_mbuf *m[32];
	unsigned int total = 0, n, i, q;

	for (q = 0; q < NB_Q; q++) {
		while ((n = rte_ring_dequeue_burst(env.tx[q], (void **)m, 32, NULL)) != 0) {
			for (i = 0; i < n; i++) {
				if (m[i]->nb_segs != 1)
					fail(c, "a frame on the wire in %u segments",
					     m[i]->nb_segs);
				else
					take(c, RX_WIRE, rte_pktmbuf_mtod(m[i], const uint8_t *),
					     m[i]->data_len);
			}
			rte_pktmbuf_free_bulk(m, n);
			total += n;
		}
	}
	return total;
}

/* The main lcore's share beside its files: the dispatcher, the wire, the injector. */
static void
main_service(struct lcore_ctx *c, bool traffic)
{
	int ret = rte_service_run_iter_on_app_lcore(service_id, 1);

	if (ret != 0 && ret != -EBUSY)
		fail(c, "dispatcher: %d", ret);
	if (traffic)
		inject(c);
	drain_wire(c);
}

static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/*
 * The watchdog of a waited file, by its owner, after each wait: frames queued
 * while the descriptor is not readable for LOST_WAKEUP_MS is a lost wakeup.
 */
static void
watch(struct tfile *t)
{
	unsigned int n = rte_ring_count(t->ring);
	uint64_t now;

	if (n == 0 || readable(t->fd)) {
		t->stuck_since = 0;
		t->stuck_reported = false;
		return;
	}
	now = now_ms();
	if (t->stuck_since == 0) {
		t->stuck_since = now;
	} else if (now - t->stuck_since > LOST_WAKEUP_MS && !t->stuck_reported) {
		t->stuck_reported = true;
		if (t->lost++ == 0)
			snprintf(t->lost_what, sizeof(t->lost_what),
				 "file %u (port %u queue %u, lcore %u): %u frames queued, "
				 "descriptor not readable for %" PRIu64 " ms, from %" PRIu64
				 " ms into the traffic", t->slot, t->slot / NB_Q, t->slot % NB_Q,
				 t->lcore, n, now - t->stuck_since, t->stuck_since - start_ms);
	}
}

/* A waited file its descriptor says is readable: read it. */
static void
woken(struct lcore_ctx *c, struct tfile *t)
{
	bool empty;

	t->wakeups++;
	if (read_file(c, t->f, t->slot, READ_MAX * 4, &empty) == 0)
		t->spurious++;
}

/* Wait on the lcore's waited files: poll(2) on the main lcore, epoll on the worker. */
static void
wait_files(struct lcore_ctx *c)
{
	struct pollfd pfd[NB_FILE_SLOTS];
	struct tfile *who[NB_FILE_SLOTS];
	struct epoll_event ev[NB_FILE_SLOTS];
	unsigned int i, n = 0;
	int k, j;

	for (i = 0; i < nb_tfiles; i++) {
		if (tfiles[i].lcore == c->idx && tfiles[i].waits) {
			who[n] = &tfiles[i];
			pfd[n].fd = tfiles[i].fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
	}
	if (n == 0)
		return;
	if (c->idx == 0) {
		k = poll(pfd, n, MAIN_POLL_MS);
		if (k < 0)
			fail(c, "poll: %s", strerror(errno));
		for (i = 0; k > 0 && i < n; i++)
			if (pfd[i].revents & POLLIN)
				woken(c, who[i]);
	} else {
		k = epoll_wait(worker_epfd, ev, NB_FILE_SLOTS, WORKER_EPOLL_MS);
		if (k < 0 && errno != EINTR)
			fail(c, "epoll_wait: %s", strerror(errno));
		for (j = 0; j < k; j++)
			if (ev[j].events & EPOLLIN)
				woken(c, &tfiles[ev[j].data.u32]);
	}
	for (i = 0; i < n; i++)
		watch(who[i]);
}

/* One round of an lcore: write, busy-read, wait. */
static void
lcore_round(struct lcore_ctx *c, bool writing)
{
	unsigned int i;

	for (i = 0; i < nb_tfiles && writing; i++)
		if (tfiles[i].lcore == c->idx && tfiles[i].writes)
			write_burst(c, &tfiles[i]);
	if (c->idx == 0)
		main_service(c, writing);
	for (i = 0; i < nb_tfiles; i++)
		if (tfiles[i].lcore == c->idx && !tfiles[i].waits)
			read_file(c, tfiles[i].f, tfiles[i].slot, READ_MAX, NULL);
	wait_files(c);
	c->rounds++;
}

static int
worker_loop(void *arg)
{
	struct lcore_ctx *c = arg;
	uint32_t ph;

	while ((ph = __atomic_load_n(&phase, __ATOMIC_ACQUIRE)) != PH_STOP) {
		if (ph != PH_RUN)
			__atomic_store_n(&worker_quiet, 1, __ATOMIC_RELEASE);
		lcore_round(c, ph == PH_RUN);
	}
	return 0;
}

/* One writer file, one frame per write, until told to stop. */
static int
one_producer_loop(void *arg)
{
	struct lcore_ctx *c = arg;
	uint8_t buf[BUF_LEN];
	struct tfile *t = &tfiles[1];
	unsigned int f = flow_of(t->slot, 0);
	uint32_t seq;
	size_t len;
	ssize_t ret;

	memset(buf, 0, VHDR);
	while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) == PH_RUN) {
		seq = next_seq[f] + 1;
		len = build(buf + VHDR, f, seq) + VHDR;
		__atomic_store_n(&next_seq[f], seq, __ATOMIC_RELEASE);
		ret = rte_pmd_macvtap_file_write(t->f, buf, len);
		if (ret == (ssize_t)len) {
			c->writes++;
			continue;
		}
		__atomic_store_n(&next_seq[f], seq - 1, __ATOMIC_RELEASE);
		if (ret == -ENOBUFS)
			t->refused++;
		else
			fail(c, "write: %zd", ret);
	}
	return 0;
}

/* ---- set-up ---- */

static void
reset_state(void)
{
	memset(next_seq, 0, sizeof(next_seq));
	memset(flow_used, 0, sizeof(flow_used));
	memset(last_seq, 0, sizeof(last_seq));
	memset(got, 0, sizeof(got));
	memset(rx_total, 0, sizeof(rx_total));
	memset(tfiles, 0, sizeof(tfiles));
	memset(ctx, 0, sizeof(ctx));
	nb_tfiles = 0;
	phase = PH_RUN;
	worker_quiet = 0;
	hz_ms = rte_get_timer_hz() / 1000;
	ctx[0].idx = 0;
	ctx[1].idx = 1;
	ctx[0].rng = rte_rdtsc() | 1;
	ctx[1].rng = (rte_rdtsc() * 0x9e3779b97f4a7c15ULL) | 1;
}

/* n bridge ports with NB_Q queues, rings of the sizes given; the dispatcher on. */
static int
setup_ports(unsigned int n, const uint16_t *ring)
{
	char args[128], mac[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int p;
	int idx, ret;

	nb_ports = n;
	TRY(t_env_init(&env, NB_Q));
	for (p = 0; p < n; p++) {
		struct rte_ether_addr a = port_mac(p);

		rte_ether_format_addr(mac, sizeof(mac), &a);
		snprintf(args, sizeof(args), "mac=%s,mode=bridge", mac);
		TRY(t_add_port(&env, args, NB_Q, ring[p], &idx));
		port_ids[p] = env.ports[idx];
	}
	CHECK_EQ(rte_pmd_macvtap_dispatch_service_id(&service_id), 0, "dispatcher id");
	ret = rte_service_runstate_set(service_id, 1);
	CHECK_EQ(ret, 0, "dispatcher runstate");
	service_on = true;
	return 0;
}

/* A file on the next queue of port p for the given owner; its flows marked used. */
static int
add_tfile(unsigned int p, unsigned int lcore, bool waits, bool writes)
{
	struct tfile *t = &tfiles[nb_tfiles];
	unsigned int d;
	int q, ret;

	ret = t_file_open(port_ids[p], &t->f);
	CHECK_EQ(ret, 0, "open a file");
	q = rte_pmd_macvtap_file_queue(t->f);
	CHECK(q >= 0 && q < NB_Q, "file queue %d", q);
	t->slot = p * NB_Q + (unsigned int)q;
	t->lcore = lcore;
	t->waits = waits;
	t->writes = writes;
	t->ring = rte_pmd_macvtap_get_rx_ring(port_ids[p], (uint16_t)q);
	CHECK(t->ring != NULL, "the queue's ring");
	t->fd = -1;
	if (waits) {
		t->fd = rte_pmd_macvtap_file_fd(t->f);
		CHECK(t->fd >= 0, "file descriptor: %d", t->fd);
	}
	if (lcore == 1 && waits) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = nb_tfiles };

		CHECK_EQ(epoll_ctl(worker_epfd, EPOLL_CTL_ADD, t->fd, &ev), 0, "epoll_ctl");
	}
	for (d = 0; d < nb_ports && writes; d++)
		flow_used[flow_of(t->slot, d == p ? DST_EXT : d)] = true;
	nb_tfiles++;
	return 0;
}

static void
mark_injector_flows(void)
{
	unsigned int q, d;

	for (q = 0; q < NB_Q; q++)
		for (d = 0; d < nb_ports; d++)
			flow_used[flow_of(INJ0 + q, d)] = true;
}

/* ---- the end: everything read, then the accounting ---- */

/* Every file, the wire and the lower's rings read until nothing moves; main lcore alone. */
static void
final_drain(struct lcore_ctx *c)
{
	unsigned int idle = 0, n, i, q;

	while (idle < 3) {
		main_service(c, false);
		n = drain_wire(c);
		for (i = 0; i < nb_tfiles; i++)
			n += read_file(c, tfiles[i].f, tfiles[i].slot, UINT32_MAX, NULL);
		for (q = 0; q < NB_Q; q++)
			n += rte_ring_count(env.rx[q]);
		idle = n == 0 ? idle + 1 : 0;
	}
}

/*
 * Per flow, what its receivers missed; per port, against the drop counters:
 * a frame missed at a port is one its ring refused (rx_ring_full_dropped,
 * imissed), a write accepted and not sent (tx_file_dropped, less the writes
 * refused with -ENOBUFS), one the lower refused (tx_lower_dropped) or one
 * for a port whose queues were all detached (lower_rx_no_port_dropped).
 */
static int
check_accounting(bool allow_no_port, bool every_flow)
{
	struct rte_pmd_macvtap_lower_stats ls;
	struct rte_eth_stats st;
	uint64_t missing[MAX_PORTS + 1] = { 0 }, total_missing = 0, sent, g, read;
	uint64_t imissed = 0, file_unsent = 0, wire_dropped = 0, refused[MAX_PORTS] = { 0 };
	unsigned int f, r, p, d, i;

	for (i = 0; i < nb_tfiles; i++)
		refused[tfiles[i].slot / NB_Q] += tfiles[i].refused;
	for (f = 0; f < NB_FLOWS; f++) {
		d = f % NB_DSTS;
		sent = next_seq[f];
		for (r = 0, g = 0; r < NB_RECV; r++) {
			bool mine = r == RX_WIRE ? d == DST_EXT : r / NB_Q == d;

			if (!mine) {
				CHECK(got[f][r] == 0, "flow %u: %" PRIu64 " frames at receiver %u",
				      f, got[f][r], r);
				continue;
			}
			g += got[f][r];
		}
		if (!flow_used[f]) {
			CHECK(sent == 0 && g == 0, "flow %u: not a flow of this test", f);
			continue;
		}
		CHECK(!every_flow || sent > 0, "flow %u (sender %u, dst %u) never sent", f,
		      f / NB_DSTS, d);
		CHECK(g <= sent, "flow %u: %" PRIu64 " received of %" PRIu64 " sent", f, g, sent);
		missing[d] += sent - g;
		total_missing += sent - g;
	}
	for (p = 0; p < nb_ports; p++) {
		uint64_t fd_drop = t_xstat(port_ids[p], "tx_file_dropped");

		CHECK_EQ(rte_eth_stats_get(port_ids[p], &st), 0, "stats");
		for (read = 0, r = p * NB_Q; r < (p + 1) * NB_Q; r++)
			read += rx_total[r];
		/* Frames a file took and did not read before it closed are counted apart. */
		read += t_xstat(port_ids[p], "rx_file_closed_dropped");
		CHECK(st.ipackets == read, "port %u: ipackets %" PRIu64 ", read %" PRIu64
		      " (with rx_file_closed_dropped)", p, st.ipackets, read);
		CHECK_EQ(t_xstat(port_ids[p], "rx_ring_full_dropped"), st.imissed,
			 "rx_ring_full_dropped against imissed");
		CHECK(missing[p] >= st.imissed, "port %u: %" PRIu64 " frames missed, imissed %"
		      PRIu64, p, missing[p], st.imissed);
		CHECK(missing[p] >= st.imissed + t_xstat(port_ids[p], "rx_file_closed_dropped"),
		      "port %u: %" PRIu64 " frames missed, fewer than imissed and "
		      "rx_file_closed_dropped", p, missing[p]);
		CHECK(fd_drop >= refused[p], "port %u: tx_file_dropped %" PRIu64 ", %" PRIu64
		      " writes refused", p, fd_drop, refused[p]);
		CHECK_EQ(t_xstat(port_ids[p], "rx_oversize_dropped"), 0, "rx_oversize_dropped");
		CHECK_EQ(t_xstat(port_ids[p], "tx_copy_failed"), 0, "tx_copy_failed");
		CHECK_EQ(t_xstat(port_ids[p], "tx_spoof_dropped"), 0, "tx_spoof_dropped");
		CHECK_EQ(st.rx_nombuf, 0, "rx_nombuf");
		imissed += st.imissed + t_xstat(port_ids[p], "rx_file_closed_dropped");
		file_unsent += fd_drop - refused[p];
		wire_dropped += t_xstat(port_ids[p], "tx_lower_dropped");
	}
	CHECK(missing[DST_EXT] >= wire_dropped, "%" PRIu64 " frames missing on the wire, %"
	      PRIu64 " tx_lower_dropped", missing[DST_EXT], wire_dropped);
	CHECK_EQ(rte_pmd_macvtap_get_lower_stats(port_ids[0], &ls), 0, "lower stats");
	CHECK(allow_no_port || ls.rx_no_port == 0, "lower rx_no_port %" PRIu64, ls.rx_no_port);
	CHECK(ls.rx_no_listener == 0 && ls.rx_runt == 0 && ls.rx_pause == 0 &&
	      ls.rx_copy_failed == 0, "unexpected lower drops");
	CHECK(total_missing == imissed + file_unsent + wire_dropped + ls.rx_no_port,
	      "%" PRIu64 " frames missing; counted: %" PRIu64 " imissed (and closed files' unread) + %" PRIu64
	      " tx_file_dropped (accepted) + %" PRIu64 " tx_lower_dropped + %" PRIu64
	      " lower rx_no_port", total_missing, imissed, file_unsent, wire_dropped,
	      ls.rx_no_port);
	printf("  %" PRIu64 "+%" PRIu64 " writes, %" PRIu64 " injected, %" PRIu64
	       " frames read, %" PRIu64 " ring drops, %" PRIu64 " no-port drops, %" PRIu64
	       " wire drops, %" PRIu64 " unsent writes\n",
	       ctx[0].writes, ctx[1].writes, ctx[0].injected, ctx[0].reads + ctx[1].reads,
	       imissed, ls.rx_no_port, wire_dropped, file_unsent);
	return 0;
}

static int
check_pools(void)
{
	struct rte_mempool *mp = rte_pmd_macvtap_get_lower_mempool(port_ids[0]);

	CHECK(mp != NULL, "the lower's mempool");
	CHECK(rte_mempool_full(mp), "the lower's mempool: %u mbufs missing",
	      rte_mempool_in_use_count(mp));
	CHECK(rte_mempool_full(t_pool), "test mempool: %u mbufs missing",
	      rte_mempool_in_use_count(t_pool));
	return 0;
}

static int
check_lcores(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		CHECK(ctx[i].nb_errors == 0, "lcore %u: %u errors, first: %s", i,
		      ctx[i].nb_errors, ctx[i].error);
	return 0;
}

static int
finish(void)
{
	unsigned int i;

	for (i = 0; i < nb_tfiles; i++)
		CHECK_EQ(t_file_close(tfiles[i].f), 0, "close");
	nb_tfiles = 0;
	cleanup();
	return t_env_fini(&env);
}

/* ---- tapfile_traffic ---- */

/*
 * Who holds which file: per lcore, two read busily and two wait on their
 * descriptors, every one writes. Port 3 has small rings: it drops, counted.
 */
static const struct { unsigned int lcore; bool waits; } roles[NB_FILE_SLOTS] = {
	{ 0, false }, { 1, true },   /* port 0 */
	{ 1, false }, { 0, true },   /* port 1 */
	{ 0, true }, { 1, false },   /* port 2 */
	{ 1, true }, { 0, false },   /* port 3 */
};
static const uint16_t traffic_rings[MAX_PORTS] = { 512, 512, 512, 64 };

/*
 * After the writers stopped and the lower was emptied: the waiting readers
 * alone must empty their queues. A queue still holding frames after
 * LOST_WAKEUP_MS with its descriptor not readable is a lost wakeup; one
 * still holding them after DRAIN_MAX_MS although readable, a reader that
 * was never woken for it.
 */
static unsigned int drain_lost;
static char drain_what[256];
static uint64_t drain_ms;

static void
main_drain_phase(struct lcore_ctx *c)
{
	uint64_t t0 = 0, now;
	unsigned int i, q, pending, n;
	bool lower_empty;

	drain_lost = 0;
	drain_what[0] = '\0';
	for (;;) {
		lcore_round(c, false);
		now = now_ms();
		for (q = 0, lower_empty = true; q < NB_Q; q++)
			lower_empty &= rte_ring_count(env.rx[q]) == 0;
		if (!lower_empty)
			continue;
		if (t0 == 0)
			t0 = now;
		for (i = 0, pending = 0; i < nb_tfiles; i++)
			pending += rte_ring_count(tfiles[i].ring);
		if (pending == 0) {
			drain_ms = now - t0;
			return;
		}
		if (now - t0 <= LOST_WAKEUP_MS)
			continue;
		for (i = 0; i < nb_tfiles; i++) {
			struct tfile *t = &tfiles[i];

			n = rte_ring_count(t->ring);
			if (n == 0 || !t->waits)
				continue;
			if (!readable(t->fd)) {
				drain_lost++;
				snprintf(drain_what, sizeof(drain_what),
					 "file %u (port %u queue %u, lcore %u): %u frames queued "
					 "%" PRIu64 " ms after the writers stopped, descriptor not "
					 "readable", t->slot, t->slot / NB_Q, t->slot % NB_Q,
					 t->lcore, n, now - t0);
			} else if (now - t0 > DRAIN_MAX_MS) {
				drain_lost++;
				snprintf(drain_what, sizeof(drain_what),
					 "file %u: %u frames queued %" PRIu64 " ms after the "
					 "writers stopped, descriptor readable, never read",
					 t->slot, n, now - t0);
			}
		}
		if (drain_lost != 0 || now - t0 > DRAIN_MAX_MS) {
			drain_ms = now - t0;
			return;
		}
	}
}

static int
test_traffic(void)
{
	unsigned int worker, p, q, i, lost = 0;
	uint64_t deadline, wakeups = 0, spurious = 0;
	const char *lost_what = NULL;
	int ret;

	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE)
		T_SKIP_BECAUSE("needs a second lcore (-l 0-1)");
	reset_state();
	TRY(setup_ports(MAX_PORTS, traffic_rings));
	worker_epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(worker_epfd >= 0, "epoll_create1: %s", strerror(errno));
	for (p = 0; p < MAX_PORTS; p++)
		for (q = 0; q < NB_Q; q++)
			TRY(add_tfile(p, roles[p * NB_Q + q].lcore, roles[p * NB_Q + q].waits,
				      true));
	for (i = 0; i < nb_tfiles; i++)
		CHECK_EQ(tfiles[i].slot, i, "files on queues in order");
	mark_injector_flows();

	deadline = rte_get_timer_cycles() +
		   (uint64_t)(stress_seconds() * (double)rte_get_timer_hz());
	start_ms = now_ms();
	ret = rte_eal_remote_launch(worker_loop, &ctx[1], worker);
	CHECK_EQ(ret, 0, "launch");
	while (rte_get_timer_cycles() < deadline)
		lcore_round(&ctx[0], true);
	__atomic_store_n(&phase, PH_DRAIN, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&worker_quiet, __ATOMIC_ACQUIRE))
		lcore_round(&ctx[0], false);
	main_drain_phase(&ctx[0]);
	__atomic_store_n(&phase, PH_STOP, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(worker);
	final_drain(&ctx[0]);

	for (i = 0; i < nb_tfiles; i++) {
		wakeups += tfiles[i].wakeups;
		spurious += tfiles[i].spurious;
		lost += tfiles[i].lost;
		if (tfiles[i].lost != 0) {
			printf("  lost wakeups: %u on file %u; first: %s\n", tfiles[i].lost,
			       tfiles[i].slot, tfiles[i].lost_what);
			if (lost_what == NULL)
				lost_what = tfiles[i].lost_what;
		}
	}
	printf("  %.1f s, %" PRIu64 "/%" PRIu64 " rounds (main/worker), %" PRIu64
	       " wakeups (%" PRIu64 " with nothing to read), drained in %" PRIu64 " ms\n",
	       stress_seconds(), ctx[0].rounds, ctx[1].rounds, wakeups, spurious, drain_ms);
	if (drain_lost != 0)
		printf("  after the traffic: %u files not emptied; last: %s\n", drain_lost,
		       drain_what);
	/* Everything read at last: the accounting holds whatever the wakeups did. */
	TRY(check_lcores());
	TRY(check_accounting(false, true));
	TRY(check_pools());
	CHECK(wakeups > 0, "no waiting reader was ever woken");
	CHECK(lost == 0, "%u lost wakeups during the traffic; first: %s", lost, lost_what);
	CHECK(drain_lost == 0, "lost wakeup after the traffic: %s", drain_what);
	return finish();
}

/* ---- the wakeup alone: one producer, one waiting reader ---- */

/*
 * The smallest case of a lost wakeup: port 1's file on the worker writes
 * frames one at a time to port 0 (bridge-local, the only producer of port
 * 0's queue 0); the main lcore reads port 0's queue 0 only when poll(2) says
 * its descriptor is readable. No lower traffic, no dispatcher, no second
 * producer: a queue holding frames with its descriptor not readable for
 * LOST_WAKEUP_MS can only come from the producer's wakeup decision.
 */
static int
test_wakeup_one_producer(void)
{
	static const uint16_t rings[2] = { 512, 512 };
	unsigned int worker, i, lost = 0;
	uint64_t deadline;
	int ret;

	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE)
		T_SKIP_BECAUSE("needs a second lcore (-l 0-1)");
	reset_state();
	TRY(setup_ports(2, rings));
	TRY(add_tfile(0, 0, true, false));    /* port 0 queue 0: waited on the main lcore */
	TRY(add_tfile(1, 1, false, false));   /* port 1 queue 0: the worker's writer */
	/* Its only flow: to port 0, through lower queue 0, to port 0's queue 0. */
	flow_used[flow_of(tfiles[1].slot, 0)] = true;
	deadline = rte_get_timer_cycles() +
		   (uint64_t)(RTE_MIN(stress_seconds(), 3.0) * (double)rte_get_timer_hz());
	start_ms = now_ms();
	ret = rte_eal_remote_launch(one_producer_loop, &ctx[1], worker);
	CHECK_EQ(ret, 0, "launch");
	while (rte_get_timer_cycles() < deadline)
		wait_files(&ctx[0]);
	__atomic_store_n(&phase, PH_STOP, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(worker);
	/* The producer is gone: what the queue holds must be readable now. */
	for (i = 0; i < 3; i++)
		wait_files(&ctx[0]);
	lost = tfiles[0].lost;
	if (rte_ring_count(tfiles[0].ring) != 0 && !readable(tfiles[0].fd))
		lost += 1000000; /* marks the end state in the message */
	printf("  %" PRIu64 " writes, %" PRIu64 " wakeups, %" PRIu64 " frames read; at the end "
	       "%u frames queued, descriptor %sreadable\n", ctx[1].writes, tfiles[0].wakeups,
	       ctx[0].reads, rte_ring_count(tfiles[0].ring),
	       readable(tfiles[0].fd) ? "" : "not ");
	final_drain(&ctx[0]);
	TRY(check_lcores());
	TRY(check_accounting(false, true));
	TRY(check_pools());
	CHECK(tfiles[0].wakeups > 0, "the reader was never woken");
	CHECK(lost == 0, "lost wakeup with one producer (%u episodes%s); first: %s",
	      lost % 1000000, lost >= 1000000 ? ", and stuck at the end" : "",
	      tfiles[0].lost_what);
	return finish();
}

/* ---- churn: open/close, detach/attach, under the other lcore's traffic ---- */

/* Port 0 churns on the main lcore; port 1's files write to it from the worker. */
static const uint16_t churn_rings[2] = { 256, 256 };

static int
churn_setup(unsigned int *worker)
{
	*worker = rte_get_next_lcore(-1, 1, 0);
	if (*worker >= RTE_MAX_LCORE)
		T_SKIP_BECAUSE("needs a second lcore (-l 0-1)");
	reset_state();
	TRY(setup_ports(2, churn_rings));
	TRY(add_tfile(1, 1, false, true));
	TRY(add_tfile(1, 1, false, true));
	mark_injector_flows();
	return 0;
}

/* The traffic stops; port 0's queues are read by f (or the rx burst with no file). */
static void
churn_stop(unsigned int worker)
{
	__atomic_store_n(&phase, PH_DRAIN, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&worker_quiet, __ATOMIC_ACQUIRE))
		main_service(&ctx[0], false);
	__atomic_store_n(&phase, PH_STOP, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(worker);
}

/* Port 0's queues through its ethdev rx burst (no file holds them). */
static unsigned int
read_port0_burst(struct lcore_ctx *c)
{
	struct rte_mbuf *m[32];
	unsigned int n = 0, k, i;
	uint16_t q;

	for (q = 0; q < NB_Q; q++) {
		while ((k = rte_eth_rx_burst(port_ids[0], q, m, 32)) != 0) {
			for (i = 0; i < k; i++) {
				if (m[i]->nb_segs != 1 || m[i]->port != port_ids[0])
					fail(c, "port 0: a frame in %u segments, port %u",
					     m[i]->nb_segs, m[i]->port);
				else
					take(c, q, rte_pktmbuf_mtod(m[i], const uint8_t *),
					     m[i]->data_len);
			}
			rte_pktmbuf_free_bulk(m, k);
			n += k;
		}
	}
	return n;
}

static int
test_open_close_churn(void)
{
	struct rte_malloc_socket_stats before, after;
	struct rte_pmd_macvtap_file *f[NB_Q], *extra;
	unsigned int worker, i, q, idle, mempools;
	struct pollfd pfd[NB_Q];
	int fds, fd, ret;

	TRY(churn_setup(&worker));
	fds = count_fds();
	CHECK(fds > 0, "count /proc/self/fd");
	mempools = t_count_mempools();
	rte_malloc_get_socket_stats(0, &before);
	ret = rte_eal_remote_launch(worker_loop, &ctx[1], worker);
	CHECK_EQ(ret, 0, "launch");
	for (i = 0; i < CHURN_LOOPS; i++) {
		for (q = 0; q < NB_Q; q++) {
			ret = t_file_open(port_ids[0], &f[q]);
			if (ret != 0) {
				fail(&ctx[0], "loop %u: open %u: %d", i, q, ret);
				break;
			}
			if (rte_pmd_macvtap_file_queue(f[q]) != (int)q)
				fail(&ctx[0], "loop %u: file %u on queue %d", i, q,
				     rte_pmd_macvtap_file_queue(f[q]));
			fd = rte_pmd_macvtap_file_fd(f[q]);
			if (fd < 0)
				fail(&ctx[0], "loop %u: fd %d", i, fd);
			pfd[q].fd = fd;
			pfd[q].events = POLLIN;
		}
		if (q < NB_Q) {
			while (q-- > 0)
				t_file_close(f[q]);
			break;
		}
		/* Both queues held: the kernel's limit of one file per queue. */
		ret = rte_pmd_macvtap_file_open(port_ids[0], &extra);
		if (ret != -EBUSY) {
			fail(&ctx[0], "loop %u: a third open: %d, want -EBUSY", i, ret);
			if (ret == 0)
				rte_pmd_macvtap_file_close(extra);
		}
		main_service(&ctx[0], true);
		if (poll(pfd, NB_Q, (int)(i % 2)) < 0)
			fail(&ctx[0], "poll: %s", strerror(errno));
		for (q = 0; q < NB_Q; q++) {
			read_file(&ctx[0], f[q], q, READ_MAX, NULL);
			ret = t_file_close(f[q]);
			if (ret != 0)
				fail(&ctx[0], "loop %u: close: %d", i, ret);
		}
	}
	churn_stop(worker);
	rte_malloc_get_socket_stats(0, &after);
	CHECK_EQ(count_fds(), fds, "open descriptors after the loop");
	CHECK_EQ(after.alloc_count, before.alloc_count, "rte_malloc allocations after the loop");
	CHECK_EQ(t_count_mempools(), mempools, "mempools after the loop");
	/* What the last files left in the queues is the rx burst's again. */
	for (idle = 0; idle < 3;) {
		unsigned int n = read_port0_burst(&ctx[0]);

		main_service(&ctx[0], false);
		for (i = 0; i < nb_tfiles; i++)
			n += read_file(&ctx[0], tfiles[i].f, tfiles[i].slot, UINT32_MAX, NULL);
		idle = n == 0 ? idle + 1 : 0;
	}
	TRY(check_lcores());
	for (q = 0; q < NB_Q; q++)
		CHECK(rx_total[q] > 0, "port 0 queue %u: nothing read", q);
	TRY(check_accounting(false, false));
	TRY(check_pools());
	return finish();
}

static int
setqueue(struct rte_pmd_macvtap_file *f, short flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	return rte_pmd_macvtap_file_ioctl(f, TUNSETQUEUE, &ifr);
}

static int
test_queue_detach_churn(void)
{
	struct rte_malloc_socket_stats before, after;
	struct rte_pmd_macvtap_file *f[NB_Q];
	struct rte_ring *ring1;
	unsigned int worker, i, q, both = 0, mempools;
	struct lcore_ctx *c = &ctx[0];
	bool empty;
	int fds, ret;

	TRY(churn_setup(&worker));
	for (q = 0; q < NB_Q; q++) {
		CHECK_EQ(t_file_open(port_ids[0], &f[q]), 0, "open");
		CHECK_EQ(rte_pmd_macvtap_file_queue(f[q]), q, "queue");
	}
	ring1 = rte_pmd_macvtap_get_rx_ring(port_ids[0], 1);
	CHECK(ring1 != NULL, "queue 1's ring");
	fds = count_fds();
	CHECK(fds > 0, "count /proc/self/fd");
	mempools = t_count_mempools();
	rte_malloc_get_socket_stats(0, &before);
	ret = rte_eal_remote_launch(worker_loop, &ctx[1], worker);
	CHECK_EQ(ret, 0, "launch");
	for (i = 0; i < CHURN_LOOPS; i++) {
		ret = setqueue(f[1], IFF_DETACH_QUEUE);
		if (ret != 0)
			fail(c, "loop %u: detach: %d", i, ret);
		ret = setqueue(f[1], IFF_DETACH_QUEUE);
		if (ret != -EINVAL)
			fail(c, "loop %u: detach a detached queue: %d, want -EINVAL", i, ret);
		/* Now and then the last queue too: the port then takes no frame. */
		if (i % 8 == 7) {
			ret = setqueue(f[0], IFF_DETACH_QUEUE);
			if (ret != 0)
				fail(c, "loop %u: detach the last queue: %d", i, ret);
			main_service(c, true);
			read_file(c, f[0], 0, READ_MAX, NULL);
			ret = setqueue(f[0], IFF_ATTACH_QUEUE);
			if (ret != 0)
				fail(c, "loop %u: attach queue 0: %d", i, ret);
			both++;
		}
		/* A detached queue gives what it holds, then -EAGAIN, and gets nothing new. */
		read_file(c, f[1], 1, UINT32_MAX, &empty);
		if (!empty)
			fail(c, "loop %u: a detached queue never ran empty", i);
		main_service(c, true);
		read_file(c, f[0], 0, READ_MAX, NULL);
		if (rte_ring_count(ring1) != 0)
			fail(c, "loop %u: %u frames reached a detached queue", i,
			     rte_ring_count(ring1));
		ret = setqueue(f[1], IFF_ATTACH_QUEUE);
		if (ret != 0)
			fail(c, "loop %u: attach: %d", i, ret);
		ret = setqueue(f[1], IFF_ATTACH_QUEUE);
		if (ret != -EINVAL)
			fail(c, "loop %u: attach an attached queue: %d, want -EINVAL", i, ret);
		ret = setqueue(f[1], 0);
		if (ret != -EINVAL)
			fail(c, "loop %u: TUNSETQUEUE without a flag: %d, want -EINVAL", i, ret);
		main_service(c, true);
		for (q = 0; q < NB_Q; q++)
			read_file(c, f[q], q, READ_MAX, NULL);
	}
	churn_stop(worker);
	rte_malloc_get_socket_stats(0, &after);
	CHECK_EQ(count_fds(), fds, "open descriptors after the loop");
	CHECK_EQ(after.alloc_count, before.alloc_count, "rte_malloc allocations after the loop");
	CHECK_EQ(t_count_mempools(), mempools, "mempools after the loop");
	for (q = 0; q < NB_Q; q++) {
		tfiles[nb_tfiles].f = f[q];
		tfiles[nb_tfiles].slot = q;
		tfiles[nb_tfiles].ring = rte_pmd_macvtap_get_rx_ring(port_ids[0], (uint16_t)q);
		nb_tfiles++;
	}
	final_drain(c);
	TRY(check_lcores());
	for (q = 0; q < NB_Q; q++)
		CHECK(rx_total[q] > 0, "port 0 queue %u: nothing read", q);
	printf("  %u detach/attach rounds, %u with both queues detached\n", CHURN_LOOPS, both);
	TRY(check_accounting(true, false));
	TRY(check_pools());
	return finish();
}

/* ---- misuse: the kernel's errno for each ---- */

static int
test_misuse(void)
{
	static const uint16_t rings[1] = { 64 };
	struct rte_pmd_macvtap_file *f[NB_Q], *extra;
	uint8_t buf[BUF_LEN], small[4];
	struct ifreq ifr;
	struct iovec iov;
	unsigned int refused = 0, i;
	uint64_t dropped0;
	int val, ret;

	reset_state();
	TRY(setup_ports(1, rings));
	/* open */
	CHECK_EQ(rte_pmd_macvtap_file_open(port_ids[0], NULL), -EINVAL, "open to NULL");
	CHECK_EQ(rte_pmd_macvtap_file_open(env.lower, &extra), -ENODEV, "open the lower");
	CHECK_EQ(rte_pmd_macvtap_file_open(RTE_MAX_ETHPORTS, &extra), -ENODEV,
		 "open an invalid port");
	for (i = 0; i < NB_Q; i++)
		CHECK_EQ(t_file_open(port_ids[0], &f[i]), 0, "open");
	ret = rte_pmd_macvtap_file_open(port_ids[0], &extra);
	if (ret == 0)
		t_file_close(extra);
	CHECK_EQ(ret, -EBUSY, "open with every queue held");
	/* NULL handles */
	CHECK_EQ(rte_pmd_macvtap_file_close(NULL), -EINVAL, "close NULL");
	CHECK_EQ(rte_pmd_macvtap_file_fd(NULL), -EINVAL, "fd of NULL");
	CHECK_EQ(rte_pmd_macvtap_file_queue(NULL), -EINVAL, "queue of NULL");
	CHECK_EQ(rte_pmd_macvtap_file_read(NULL, buf, sizeof(buf)), -EINVAL, "read NULL file");
	CHECK_EQ(rte_pmd_macvtap_file_write(NULL, buf, 64), -EINVAL, "write NULL file");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(NULL, TUNGETIFF, &ifr), -EINVAL, "ioctl NULL file");
	CHECK_EQ(rte_pmd_macvtap_dispatch_service_id(NULL), -EINVAL, "service id to NULL");
	/* read */
	CHECK_EQ(rte_pmd_macvtap_file_read(f[0], NULL, 10), -EINVAL, "read to NULL");
	CHECK_EQ(rte_pmd_macvtap_file_read(f[0], buf, 0), 0, "read of 0 bytes");
	CHECK_EQ(rte_pmd_macvtap_file_read(f[0], buf, sizeof(buf)), -EAGAIN, "read empty");
	iov.iov_base = NULL;
	iov.iov_len = 10;
	CHECK_EQ(rte_pmd_macvtap_file_readv(f[0], &iov, 1), -EINVAL, "readv to NULL");
	CHECK_EQ(rte_pmd_macvtap_file_readv(f[0], &iov, -1), -EINVAL, "readv of -1 iovecs");
	dropped0 = t_xstat(port_ids[0], "tx_file_dropped");
	/* write: each refusal counted as tx_file_dropped */
	memset(buf, 0, sizeof(buf));
	build(buf + VHDR, flow_of(INJ0, 0), 1);
	CHECK_EQ(rte_pmd_macvtap_file_write(f[0], NULL, 64), -EINVAL, "write from NULL");
	CHECK_EQ(rte_pmd_macvtap_file_write(f[0], buf, VHDR - 1), -EINVAL,
		 "write shorter than the header");
	refused++;
	CHECK_EQ(rte_pmd_macvtap_file_write(f[0], buf, VHDR + 13), -EINVAL,
		 "write of a 13-byte frame");
	refused++;
	buf[1] = 1;        /* GSO TCPv4 */
	buf[4] = 0;        /* gso_size 0 */
	buf[5] = 0;
	CHECK_EQ(rte_pmd_macvtap_file_write(f[0], buf, VHDR + 64), -EINVAL,
		 "write GSO with gso_size 0");
	refused++;
	buf[4] = 0x40;     /* gso_size 64 */
	/* Without NEEDS_CSUM the kernel's dissection must find TCP: a test frame has none. */
	CHECK_EQ(rte_pmd_macvtap_file_write(f[0], buf, VHDR + 64), -EINVAL,
		 "write GSO of a frame that is not TCP");
	refused++;
	buf[1] = 3;        /* UDP fragmentation of a frame that is not UDP */
	CHECK_EQ(rte_pmd_macvtap_file_write(f[0], buf, VHDR + 64), -EINVAL,
		 "write UFO of a frame that is not UDP");
	refused++;
	buf[1] = 2;        /* no such GSO type */
	CHECK_EQ(rte_pmd_macvtap_file_write(f[0], buf, VHDR + 64), -EINVAL,
		 "write an unknown GSO type");
	refused++;
	buf[1] = 0;
	buf[4] = 0;
	buf[0] = 1;        /* NEEDS_CSUM at 0, before the IP header */
	CHECK_EQ(rte_pmd_macvtap_file_write(f[0], buf, VHDR + 64), -EINVAL,
		 "write NEEDS_CSUM with csum_start 0");
	refused++;
	buf[0] = 0;
	CHECK_EQ(t_xstat(port_ids[0], "tx_file_dropped") - dropped0, refused,
		 "tx_file_dropped after the refused writes");
	/* ioctl */
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f[0], TUNGETIFF, NULL), -EFAULT, "TUNGETIFF to NULL");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f[0], TUNSETQUEUE, NULL), -EFAULT,
		 "TUNSETQUEUE from NULL");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f[0], 0x12345678, &val), -EINVAL, "unknown ioctl");
	CHECK_EQ(setqueue(f[0], IFF_ATTACH_QUEUE), -EINVAL, "attach an attached queue");
	CHECK_EQ(setqueue(f[0], 0), -EINVAL, "TUNSETQUEUE without a flag");
	CHECK_EQ(setqueue(f[0], IFF_DETACH_QUEUE), 0, "detach");
	CHECK_EQ(setqueue(f[0], IFF_DETACH_QUEUE), -EINVAL, "detach a detached queue");
	CHECK_EQ(setqueue(f[0], IFF_ATTACH_QUEUE), 0, "attach again");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f[0], TUNSETIFF, &ifr), -EINVAL, "TUNSETIFF IFF_TUN");
	val = VHDR - 1;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f[0], TUNSETVNETHDRSZ, &val), -EINVAL,
		 "TUNSETVNETHDRSZ below 10");
	val = 0;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f[0], TUNSETSNDBUF, &val), -EINVAL,
		 "TUNSETSNDBUF 0");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f[0], TUNSETOFFLOAD, (void *)(uintptr_t)0x100),
		 -EINVAL, "TUNSETOFFLOAD with an unknown bit");
	val = 1;
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f[0], TUNSETVNETBE, &val), -EINVAL, "TUNSETVNETBE");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memset(ifr.ifr_hwaddr.sa_data, 0xff, RTE_ETHER_ADDR_LEN);
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f[0], SIOCSIFHWADDR, &ifr), -EADDRNOTAVAIL,
		 "SIOCSIFHWADDR broadcast");
	/* a read buffer shorter than the header drops the frame, as the kernel does */
	memset(buf, 0, VHDR);
	build(buf + VHDR, flow_of(INJ0, 0), 1);
	{
		struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);

		CHECK(m != NULL, "an mbuf");
		memcpy(rte_pktmbuf_append(m, 64), buf + VHDR, 64);
		CHECK(rte_ring_enqueue(env.rx[0], m) == 0, "inject");
	}
	for (i = 0; i < 10; i++)
		rte_service_run_iter_on_app_lcore(service_id, 1);
	CHECK(readable(rte_pmd_macvtap_file_fd(f[0])), "queue 0 readable");
	CHECK_EQ(rte_pmd_macvtap_file_read(f[0], small, sizeof(small)), -EINVAL,
		 "read into 4 bytes");
	CHECK_EQ(rte_pmd_macvtap_file_read(f[0], buf, sizeof(buf)), -EAGAIN,
		 "the frame was dropped");
	CHECK(!readable(rte_pmd_macvtap_file_fd(f[0])), "queue 0 no longer readable");
	for (i = 0; i < NB_Q; i++)
		CHECK_EQ(t_file_close(f[i]), 0, "close");
	cleanup();
	TRY(check_pools());
	return t_env_fini(&env);
}

#define WRAP(fn) \
	static int fn##_run(void) { int r = fn(); cleanup(); return r; }
WRAP(test_traffic)
WRAP(test_wakeup_one_producer)
WRAP(test_open_close_churn)
WRAP(test_queue_detach_churn)
WRAP(test_misuse)

static const struct t_test tests[] = {
	{ "tapfile_traffic", test_traffic_run, 0 },
	{ "tapfile_wakeup_one_producer", test_wakeup_one_producer_run, 0 },
	{ "tapfile_open_close_churn", test_open_close_churn_run, 0 },
	{ "tapfile_queue_detach_churn", test_queue_detach_churn_run, 0 },
	{ "tapfile_misuse", test_misuse_run, 0 },
};

int
main(int argc, char **argv)
{
	return t_main(argc, argv, "test_tapfile_stress", tests, RTE_DIM(tests));
}

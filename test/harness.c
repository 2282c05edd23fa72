/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_memzone.h>

#include "harness.h"
#include "nicsim.h"
#include "rte_pmd_macvtap.h"

struct rte_mempool *t_pool;
struct t_env *t_current;
char t_fail_reason[512];
unsigned int t_alloc_allowance;
bool t_nic_lower;

static unsigned int env_seq;
static unsigned int port_seq;

static int
env_init(struct t_env *e, uint16_t nb_q, bool nic, const char *extra)
{
	char name[16];
	uint16_t q;
	int ret;

	memset(e, 0, sizeof(*e));
	e->nb_q = nb_q;
	t_current = e;
	env_seq++;
	if (nic) {
		char args[256];
		uint16_t port;

		/* Room in its filters for the tests' MACs and groups, as a real NIC has. */
		snprintf(e->lower_name, sizeof(e->lower_name), "net_nicsim_t%u", env_seq);
		snprintf(args, sizeof(args), "queues=%u,uc_slots=32,mc_slots=32,ring_size=4096%s%s",
			 nb_q, extra[0] != '\0' ? "," : "", extra);
		ret = rte_vdev_init(e->lower_name, args);
		CHECK(ret == 0, "net_nicsim lower: %d", ret);
		CHECK(rte_eth_dev_get_port_by_name(e->lower_name, &port) == 0, "nicsim port");
		e->lower = port;
		e->nic = true;
		for (q = 0; q < nb_q; q++) {
			e->rx[q] = nicsim_rx_ring(port, q);
			e->tx[q] = nicsim_tx_ring(port, q);
		}
		return 0;
	}
	for (q = 0; q < nb_q; q++) {
		snprintf(name, sizeof(name), "t%u_rx%u", env_seq, q);
		e->rx[q] = rte_ring_create(name, 4096, 0, 0);
		snprintf(name, sizeof(name), "t%u_tx%u", env_seq, q);
		e->tx[q] = rte_ring_create(name, 4096, 0, 0);
		CHECK(e->rx[q] != NULL && e->tx[q] != NULL, "cannot create rings");
	}
	/* rte_eth_from_rings names the port net_ring_<name>. */
	snprintf(name, sizeof(name), "t%u", env_seq);
	snprintf(e->lower_name, sizeof(e->lower_name), "net_ring_%s", name);
	ret = rte_eth_from_rings(name, e->rx, nb_q, e->tx, nb_q, 0);
	CHECK(ret >= 0, "rte_eth_from_rings: %d", ret);
	e->lower = (uint16_t)ret;
	return 0;
}

int
t_env_init(struct t_env *e, uint16_t nb_q)
{
	return env_init(e, nb_q, t_nic_lower, "");
}

int
t_env_init_nic(struct t_env *e, uint16_t nb_q, const char *devargs)
{
	return env_init(e, nb_q, true, devargs);
}

int
t_probe(struct t_env *e, const char *devargs, int *index)
{
	char args[512];
	uint16_t port;
	int i = e->nb_ports, ret;

	snprintf(e->port_names[i], sizeof(e->port_names[i]), "net_macvtap_t%u", ++port_seq);
	if (strstr(devargs, "iface=") != NULL)
		snprintf(args, sizeof(args), "%s", devargs);
	else
		snprintf(args, sizeof(args), "iface=%s%s%s", e->lower_name,
			 devargs[0] != '\0' ? "," : "", devargs);
	ret = rte_vdev_init(e->port_names[i], args);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_get_port_by_name(e->port_names[i], &port);
	if (ret != 0)
		return ret;
	e->ports[i] = port;
	e->nb_ports++;
	if (index != NULL)
		*index = i;
	return 0;
}

int
t_port_setup(uint16_t port, uint16_t nb_rxq, uint16_t nb_rxd)
{
	struct rte_eth_conf conf;
	uint16_t q;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, nb_rxq, nb_rxq, &conf);
	CHECK(ret == 0, "configure port %u: %d", port, ret);
	for (q = 0; q < nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, 0, NULL, t_pool);
		CHECK(ret == 0, "rx queue setup port %u: %d", port, ret);
		ret = rte_eth_tx_queue_setup(port, q, 0, 0, NULL);
		CHECK(ret == 0, "tx queue setup port %u: %d", port, ret);
	}
	ret = rte_eth_dev_start(port);
	CHECK(ret == 0, "start port %u: %d", port, ret);
	return 0;
}

int
t_add_port(struct t_env *e, const char *devargs, uint16_t nb_rxq, uint16_t nb_rxd, int *index)
{
	int i, ret;

	ret = t_probe(e, devargs, &i);
	CHECK(ret == 0, "probe '%s': %d", devargs, ret);
	TRY(t_port_setup(e->ports[i], nb_rxq, nb_rxd));
	if (index != NULL)
		*index = i;
	return 0;
}

static void
drain_ring(struct rte_ring *r)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	while ((n = rte_ring_dequeue_burst(r, (void **)m, 64, NULL)) != 0)
		rte_pktmbuf_free_bulk(m, n);
}

int
t_env_fini(struct t_env *e)
{
	int i, ret, result = 0;
	uint16_t q;

	t_current = NULL;
	for (i = 0; i < e->nb_ports; i++) {
		if (!rte_eth_dev_is_valid_port(e->ports[i]))
			continue;
		rte_eth_dev_stop(e->ports[i]);
		ret = rte_eth_dev_close(e->ports[i]);
		if (ret != 0) {
			snprintf(t_fail_reason, sizeof(t_fail_reason), "close: %d", ret);
			result = -1;
		}
		ret = rte_vdev_uninit(e->port_names[i]);
		if (ret != 0 && ret != -ENOENT) {
			snprintf(t_fail_reason, sizeof(t_fail_reason), "uninit: %d", ret);
			result = -1;
		}
	}
	if (rte_eth_dev_is_valid_port(e->lower)) {
		char name[RTE_ETH_NAME_MAX_LEN];

		if (rte_eth_dev_get_name_by_port(e->lower, name) == 0 &&
		    strcmp(name, e->lower_name) == 0) {
			struct rte_eth_dev_owner owner;

			rte_eth_dev_owner_get(e->lower, &owner);
			if (owner.id != RTE_ETH_DEV_NO_OWNER) {
				snprintf(t_fail_reason, sizeof(t_fail_reason),
					 "the lower is still owned by %s", owner.name);
				result = -1;
			}
			rte_eth_dev_stop(e->lower);
			if (e->nic)
				nicsim_tx_drain(e->lower); /* its wire pool goes with it */
			rte_eth_dev_close(e->lower);
			rte_vdev_uninit(e->lower_name);
		}
	}
	/* net_nicsim's rings go with it; net_ring's are ours. */
	for (q = 0; q < e->nb_q && !e->nic; q++) {
		drain_ring(e->rx[q]);
		drain_ring(e->tx[q]);
		rte_ring_free(e->rx[q]);
		rte_ring_free(e->tx[q]);
	}
	/* Let the driver's deferred callback clean-up (an EAL alarm) run. */
	rte_delay_us_sleep(5000);
	return result;
}

struct rte_ether_addr
t_mac(const char *s)
{
	struct rte_ether_addr a;

	if (rte_ether_unformat_addr(s, &a) != 0)
		memset(&a, 0, sizeof(a));
	return a;
}

struct rte_mbuf *
t_make_len(const char *dst, const char *src, uint16_t ether_type, uint32_t id, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
	struct rte_ether_hdr *eh;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	if (len < sizeof(*eh) + 4)
		len = sizeof(*eh) + 4;
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	memset(p, 0, len);
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = t_mac(dst);
	eh->src_addr = t_mac(src);
	eh->ether_type = rte_cpu_to_be_16(ether_type);
	memcpy(p + sizeof(*eh), &id, sizeof(id));
	return m;
}

struct rte_mbuf *
t_make(const char *dst, const char *src, uint16_t ether_type, uint32_t id)
{
	return t_make_len(dst, src, ether_type, id, 64);
}

uint32_t
t_frame_id(const struct rte_mbuf *m)
{
	uint32_t id;

	memcpy(&id, rte_pktmbuf_mtod_offset(m, const uint8_t *, sizeof(struct rte_ether_hdr)),
	       sizeof(id));
	return id;
}

int
t_inject_bytes(struct t_env *e, const uint8_t *p, size_t len, uint32_t rss)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
	char *d;

	CHECK(m != NULL, "out of mbufs");
	d = rte_pktmbuf_append(m, (uint16_t)len);
	if (d == NULL)
		rte_pktmbuf_free(m);
	CHECK(d != NULL, "a frame of %zu bytes does not fit an mbuf", len);
	memcpy(d, p, len);
	if (rss != 0) {
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		m->hash.rss = rss;
	}
	return t_inject(e, 0, &m, 1);
}

int
t_wire_take(struct t_env *e, uint8_t *p, size_t cap)
{
	struct rte_mbuf *m;
	const void *d;
	uint16_t q;
	int len;

	for (q = 0; q < e->nb_q; q++) {
		if (rte_ring_dequeue(e->tx[q], (void **)&m) != 0)
			continue;
		len = (int)RTE_MIN((size_t)rte_pktmbuf_pkt_len(m), cap);
		d = rte_pktmbuf_read(m, 0, (uint32_t)len, p);
		if (d != NULL && d != p)
			memcpy(p, d, len);
		rte_pktmbuf_free(m);
		return d != NULL ? len : -1;
	}
	return -1;
}

int
t_inject(struct t_env *e, uint16_t q, struct rte_mbuf **m, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		CHECK(m[i] != NULL, "out of mbufs building frames");
	CHECK(rte_ring_enqueue_bulk(e->rx[q], (void **)m, n, NULL) == n, "lower rx ring full");
	return 0;
}

int
t_inject1(struct t_env *e, const char *dst, const char *src, uint32_t id)
{
	struct rte_mbuf *m = t_make(dst, src, 0x0800, id);

	return t_inject(e, 0, &m, 1);
}

void
t_record(struct t_frame *f, const struct rte_mbuf *m, uint16_t queue)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	f->id = t_frame_id(m);
	f->port = m->port;
	f->queue = queue;
	f->dst = eh->dst_addr;
	f->src = eh->src_addr;
}

unsigned int
t_collect(struct t_env *e, struct t_frame *out, unsigned int max)
{
	struct rte_mbuf *m[32];
	struct rte_eth_dev_info info;
	unsigned int n = 0, idle = 0, got, i;
	int p;
	uint16_t q;

	/* Several rounds: a frame may be polled from the lower by another port. */
	while (idle < 3) {
		got = 0;
		for (p = 0; p < e->nb_ports; p++) {
			if (!rte_eth_dev_is_valid_port(e->ports[p]) ||
			    rte_eth_dev_info_get(e->ports[p], &info) != 0)
				continue;
			for (q = 0; q < info.nb_rx_queues; q++) {
				struct rte_eth_rxq_info qi;
				uint16_t k;

				/* A stopped port is not polled, as an application would not. */
				if (rte_eth_rx_queue_info_get(e->ports[p], q, &qi) != 0 ||
				    qi.queue_state != RTE_ETH_QUEUE_STATE_STARTED)
					continue;
				k = rte_eth_rx_burst(e->ports[p], q, m, 32);

				for (i = 0; i < k; i++) {
					if (n < max)
						t_record(&out[n++], m[i], q);
					if (m[i]->port != e->ports[p] && n <= max)
						out[n - 1].port = UINT16_MAX; /* wrong port tag */
				}
				rte_pktmbuf_free_bulk(m, k);
				got += k;
			}
		}
		idle = got == 0 ? idle + 1 : 0;
	}
	return n;
}

unsigned int
t_wire(struct t_env *e, struct t_frame *out, unsigned int max)
{
	struct rte_mbuf *m[64];
	unsigned int n = 0, k, i;
	uint16_t q;

	for (q = 0; q < e->nb_q; q++) {
		while ((k = rte_ring_dequeue_burst(e->tx[q], (void **)m, 64, NULL)) != 0) {
			for (i = 0; i < k; i++)
				if (n < max)
					t_record(&out[n++], m[i], q);
			rte_pktmbuf_free_bulk(m, k);
		}
	}
	return n;
}

unsigned int
t_reflect(struct t_env *e)
{
	struct rte_mbuf *m[64];
	unsigned int n = 0, k;
	uint16_t q;

	for (q = 0; q < e->nb_q; q++) {
		while ((k = rte_ring_dequeue_burst(e->tx[q], (void **)m, 64, NULL)) != 0) {
			rte_ring_enqueue_burst(e->rx[q], (void **)m, k, NULL);
			n += k;
		}
	}
	return n;
}

uint32_t
t_receivers(const struct t_env *e, const struct t_frame *f, unsigned int n, uint32_t id,
	    unsigned int *copies)
{
	uint32_t mask = 0;
	unsigned int i, c = 0;
	int p;

	for (i = 0; i < n; i++) {
		if (f[i].id != id)
			continue;
		c++;
		for (p = 0; p < e->nb_ports; p++)
			if (e->ports[p] == f[i].port)
				mask |= 1u << p;
		if (f[i].port == UINT16_MAX)
			mask |= 1u << 31;
	}
	if (copies != NULL)
		*copies = c;
	return mask;
}

bool
t_on_wire(const struct t_frame *f, unsigned int n, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (f[i].id == id)
			return true;
	return false;
}

uint64_t
t_xstat(uint16_t port, const char *name)
{
	uint64_t id, value;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0)
		return UINT64_MAX;
	if (rte_eth_xstats_get_by_id(port, &id, &value, 1) != 1)
		return UINT64_MAX;
	return value;
}

int
t_check_clean(const struct rte_malloc_socket_stats *before)
{
	struct rte_malloc_socket_stats after;
	unsigned int i;

	CHECK(rte_mempool_full(t_pool), "test mempool not full: %u mbufs missing",
	      rte_mempool_in_use_count(t_pool));
	rte_malloc_get_socket_stats(0, &after);
	/* A pool the lower still held is freed by the driver's alarm (500 ms) once full. */
	for (i = 0; i < 200 && after.alloc_count != before->alloc_count + t_alloc_allowance; i++) {
		rte_delay_us_sleep(10000);
		rte_malloc_get_socket_stats(0, &after);
	}
	CHECK(after.alloc_count == before->alloc_count + t_alloc_allowance,
	      "rte_malloc allocations: %u before, %u after (%u allowed for other PMDs)",
	      before->alloc_count, after.alloc_count, t_alloc_allowance);
	return 0;
}

static struct rte_pmd_macvtap_file *t_files[64];

int
t_file_open(uint16_t port, struct rte_pmd_macvtap_file **f)
{
	unsigned int i;
	int ret = rte_pmd_macvtap_file_open(port, f);

	if (ret != 0)
		return ret;
	for (i = 0; i < RTE_DIM(t_files); i++) {
		if (t_files[i] == NULL) {
			t_files[i] = *f;
			break;
		}
	}
	return 0;
}

int
t_file_close(struct rte_pmd_macvtap_file *f)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(t_files); i++)
		if (t_files[i] == f)
			t_files[i] = NULL;
	return rte_pmd_macvtap_file_close(f);
}

void
t_files_close_all(void)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(t_files); i++) {
		if (t_files[i] != NULL)
			rte_pmd_macvtap_file_close(t_files[i]);
		t_files[i] = NULL;
	}
}

uint64_t
t_lower_filtered(const struct t_env *e)
{
	return e->nic ? nicsim_rx_filtered(e->lower) : 0;
}

int
t_lower_set_link(struct t_env *e, bool up)
{
	if (e->nic)
		return nicsim_set_link(e->lower, up);
	return up ? rte_eth_dev_set_link_up(e->lower) : rte_eth_dev_set_link_down(e->lower);
}

int
t_main(int argc, char **argv, const char *program, const struct t_test *tests,
       unsigned int nb_tests)
{
	int ret, passed = 0, failed = 0, skipped = 0;
	const char *filter = NULL;
	static struct t_env warm;
	unsigned int i;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 2;
	}
	argc -= ret;
	argv += ret;
	if (argc > 1)
		filter = argv[1];
	t_nic_lower = getenv("MACVTAP_TEST_LOWER") != NULL &&
		      strcmp(getenv("MACVTAP_TEST_LOWER"), "nic") == 0;
	t_pool = rte_pktmbuf_pool_create("test_pool", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (t_pool == NULL) {
		fprintf(stderr, "cannot create the test pool\n");
		return 2;
	}
	/*
	 * Warm-up: the driver registers its lower-event handler once per process
	 * (on every port id); let that happen outside any test's leak check.
	 */
	if (t_env_init(&warm, 1) != 0 || t_add_port(&warm, "", 1, 0, NULL) != 0 ||
	    t_env_fini(&warm) != 0) {
		fprintf(stderr, "warm-up failed: %s\n", t_fail_reason);
		return 2;
	}
	for (i = 0; i < nb_tests; i++) {
		struct rte_malloc_socket_stats before;

		if (filter != NULL && strstr(tests[i].name, filter) == NULL)
			continue;
		if (t_nic_lower && (tests[i].flags & T_OWN_LOWER)) {
			fprintf(stderr, "%s: not run again on net_nicsim: it makes lowers of its own\n",
				tests[i].name);
			continue;
		}
		rte_malloc_get_socket_stats(0, &before);
		t_fail_reason[0] = '\0';
		t_current = NULL;
		t_alloc_allowance = 0;
		ret = tests[i].fn();
		t_files_close_all(); /* before the ports they hold */
		t_log_stop(); /* a test that failed mid-capture */
		if (ret != 0 && t_current != NULL)
			t_env_fini(t_current); /* leave nothing to the next test */
		if (ret == 0 && !(tests[i].flags & T_NO_CLEAN_CHECK))
			ret = t_check_clean(&before);
		if (ret == 0) {
			printf("PASS: %s\n", tests[i].name);
			passed++;
		} else if (ret == T_SKIP) {
			printf("SKIP: %s: %s\n", tests[i].name, t_fail_reason);
			skipped++;
		} else {
			printf("FAIL: %s: %s\n", tests[i].name, t_fail_reason);
			failed++;
		}
		fflush(stdout);
	}
	printf("%s%s: %d passed, %d failed, %d skipped\n", program,
	       t_nic_lower ? " (net_nicsim lower)" : "", passed, failed, skipped);
	rte_mempool_free(t_pool);
	rte_eal_cleanup();
	return failed == 0 ? 0 : 1;
}

static void
count_mempool(struct rte_mempool *mp __rte_unused, void *arg)
{
	(*(unsigned int *)arg)++;
}

static void
count_memzone(const struct rte_memzone *mz __rte_unused, void *arg)
{
	(*(unsigned int *)arg)++;
}

unsigned int
t_count_mempools(void)
{
	unsigned int n = 0;

	rte_mempool_walk(count_mempool, &n);
	return n;
}

unsigned int
t_count_memzones(void)
{
	unsigned int n = 0;

	rte_memzone_walk(count_memzone, &n);
	return n;
}

static FILE *log_file;
static char *log_buf;
static size_t log_len;

int
t_log_start(void)
{
	if (log_file != NULL)
		return 0;
	log_file = open_memstream(&log_buf, &log_len);
	CHECK(log_file != NULL, "open_memstream");
	rte_openlog_stream(log_file);
	return 0;
}

/* How many times the captured log says text (0 when nothing is captured). */
unsigned int
t_log_count(const char *text)
{
	const char *at;
	unsigned int n = 0;

	if (log_file == NULL)
		return 0;
	fflush(log_file);
	for (at = log_buf; at != NULL && (at = strstr(at, text)) != NULL; at++)
		n++;
	return n;
}

/* Stop capturing; what was captured goes to stderr as it would have. */
void
t_log_stop(void)
{
	if (log_file == NULL)
		return;
	rte_openlog_stream(NULL);
	fclose(log_file);
	if (log_buf != NULL)
		fputs(log_buf, stderr);
	free(log_buf);
	log_file = NULL;
	log_buf = NULL;
	log_len = 0;
}

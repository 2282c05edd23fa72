/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

#ifndef MACVTAP_TEST_HARNESS_H
#define MACVTAP_TEST_HARNESS_H

/*
 * A small test harness: a lower port built from rings (frames injected into
 * its RX rings, the wire read from its TX rings), macvtap ports on it, frame
 * builders, and the checks every test ends with (mempools full, no leak).
 * The lower is net_ring, or with MACVTAP_TEST_LOWER=nic net_nicsim
 * (test/nicsim): a lower that filters by MAC, frees and poisons what it
 * sends, and raises its events from an interrupt thread, as a NIC does.
 * Output: one line per test, "PASS: name", "FAIL: name: why" or
 * "SKIP: name: why", which test/run-all.sh counts.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#define T_MAX_PORTS 16
#define T_MAX_FRAMES 4096
#define T_MAX_LOWER_Q 2

extern struct rte_mempool *t_pool;
extern struct t_env *t_current; /* the environment a failed test leaves behind */
extern char t_fail_reason[512];

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		snprintf(t_fail_reason, sizeof(t_fail_reason), __VA_ARGS__); \
		fprintf(stderr, "  check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		return -1; \
	} \
} while (0)

#define CHECK_EQ(a, b, what) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	CHECK(_a == _b, "%s: got %lld, want %lld", what, _a, _b); \
} while (0)

#define TRY(expr) do { if ((expr) != 0) return -1; } while (0)

#define T_SKIP 1
/* Skip the running test, with the reason the runner prints. */
#define T_SKIP_BECAUSE(...) do { \
	snprintf(t_fail_reason, sizeof(t_fail_reason), __VA_ARGS__); \
	return T_SKIP; \
} while (0)

/* A test: 0 passed, T_SKIP skipped, else failed (reason in t_fail_reason). */
struct t_test {
	const char *name;
	int (*fn)(void);
	unsigned int flags;
};
/* The test leaves state on purpose (e.g. EAL-created ports): no leak check after it. */
#define T_NO_CLEAN_CHECK 1u
/* The test makes lowers of its own: it runs once, on the net_ring pass. */
#define T_OWN_LOWER 2u

/* t_env_init makes net_nicsim lowers (MACVTAP_TEST_LOWER=nic), else net_ring. */
extern bool t_nic_lower;

/* rte_malloc allocations the running test may leave that belong to another PMD. */
extern unsigned int t_alloc_allowance;

/*
 * The whole program: EAL init, the test pool, a warm-up, then each test whose
 * name contains the first argument after EAL's (all without one), each followed
 * by the leak check. Prints PASS/FAIL/SKIP lines; returns main's exit status.
 */
int t_main(int argc, char **argv, const char *program, const struct t_test *tests,
	   unsigned int nb_tests);
/* The check after each test: the test pool full, rte_malloc's count as before. */
int t_check_clean(const struct rte_malloc_socket_stats *before);

/* A frame as a test sees it. */
struct t_frame {
	uint32_t id;
	uint16_t port;           /* the port it was received on (mbuf->port) */
	uint16_t queue;
	struct rte_ether_addr dst, src;
};

struct t_env {
	bool nic;                            /* the lower is net_nicsim */
	char lower_name[32];
	uint16_t lower;
	uint16_t nb_q;
	struct rte_ring *rx[T_MAX_LOWER_Q];  /* into the lower: "from the wire" */
	struct rte_ring *tx[T_MAX_LOWER_Q];  /* out of the lower: "the wire" */
	int nb_ports;
	uint16_t ports[T_MAX_PORTS];
	char port_names[T_MAX_PORTS][32];
};

/* The lower, from rings. */
int t_env_init(struct t_env *e, uint16_t nb_q);
/* A net_nicsim lower whatever MACVTAP_TEST_LOWER says, with more devargs. */
int t_env_init_nic(struct t_env *e, uint16_t nb_q, const char *devargs);
/* A macvtap port "net_macvtap_tN" with extra devargs, configured and started. */
int t_add_port(struct t_env *e, const char *devargs, uint16_t nb_rxq, uint16_t nb_rxd,
	       int *index);
/* Probe only; returns the probe's result. */
int t_probe(struct t_env *e, const char *devargs, int *index);
int t_port_setup(uint16_t port, uint16_t nb_rxq, uint16_t nb_rxd);
/* Stop and close every port, remove the lower, free everything. */
int t_env_fini(struct t_env *e);

struct rte_ether_addr t_mac(const char *s);
struct rte_mbuf *t_make(const char *dst, const char *src, uint16_t ether_type, uint32_t id);
struct rte_mbuf *t_make_len(const char *dst, const char *src, uint16_t ether_type, uint32_t id,
			    uint16_t len);
uint32_t t_frame_id(const struct rte_mbuf *m);
/* Inject frames as if received by the lower on queue q. */
int t_inject(struct t_env *e, uint16_t q, struct rte_mbuf **m, unsigned int n);
int t_inject1(struct t_env *e, const char *dst, const char *src, uint32_t id);
/* Inject one frame of the bytes p on lower queue 0, with an RSS hash when rss is not 0. */
int t_inject_bytes(struct t_env *e, const uint8_t *p, size_t len, uint32_t rss);
/* The next frame on the wire, its first cap bytes copied into p: its length, or -1 if none. */
int t_wire_take(struct t_env *e, uint8_t *p, size_t cap);
/* Poll every port's every RX queue until nothing more comes; record, free. */
unsigned int t_collect(struct t_env *e, struct t_frame *out, unsigned int max);
/* Read and free what went to the wire. */
unsigned int t_wire(struct t_env *e, struct t_frame *out, unsigned int max);
/* Frames the lower itself refused (net_nicsim's MAC filter; none for net_ring). */
uint64_t t_lower_filtered(const struct t_env *e);
/* The lower's carrier up or down: net_ring's set_link, net_nicsim's interrupt thread. */
int t_lower_set_link(struct t_env *e, bool up);
/* Move what went to the wire back into the lower's RX (a hairpinning switch). */
unsigned int t_reflect(struct t_env *e);
/* Which ports (bit per port index) got frame id; count of copies in *copies. */
uint32_t t_receivers(const struct t_env *e, const struct t_frame *f, unsigned int n, uint32_t id,
		     unsigned int *copies);
bool t_on_wire(const struct t_frame *f, unsigned int n, uint32_t id);
uint64_t t_xstat(uint16_t port, const char *name);
/* Record one received frame (id, port tag, queue, MACs). */
void t_record(struct t_frame *f, const struct rte_mbuf *m, uint16_t queue);
/*
 * Tap files a test opens through these are closed after the test whatever
 * happened (t_main), before its ports are.
 */
struct rte_pmd_macvtap_file;
int t_file_open(uint16_t port, struct rte_pmd_macvtap_file **f);
int t_file_close(struct rte_pmd_macvtap_file *f);
void t_files_close_all(void);
/* Capture EAL's log (then also copied to stderr at t_log_stop), to count lines of it. */
int t_log_start(void);
unsigned int t_log_count(const char *text);
void t_log_stop(void);
/* How many mempools and memzones exist: what a leak check compares. */
unsigned int t_count_mempools(void);
unsigned int t_count_memzones(void);

#endif

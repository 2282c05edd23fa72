/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * dpdk-macvtap-hash-bench: the receive table (the driver's own open-addressing
 * hash, drivers/net/macvtap/macvtap.h) against rte_hash's bulk lookup, on the
 * same keys and the same stream of destinations.
 *
 *   dpdk-macvtap-hash-bench --no-huge -m 256 --no-pci -l 0 -- \
 *       [--keys N[,N...]] [--rounds R] [--lookups L] [--burst B]
 *
 * For each key count N: N unicast MACs (02:4d:56 and i as 24 bits, as the
 * benchmark's frames), each the MAC of an endpoint with one queue; a stream
 * of L destinations drawn uniformly from them; looked up B at a time, as a
 * poll's burst is classified. Each side yields what delivery needs (the
 * target queue and the port id):
 *   table     macvlan_table_slot, the slot holding queue and port id (the
 *             lean receive loop's load, key compare and queue test);
 *   rte_hash  rte_hash_lookup_bulk_data on 8-byte keys, the data a pointer to
 *             the endpoint holding queue and port id, then that load.
 * Rounds alternate the two; the median ns per lookup of each and their ratio
 * are printed, one line per N. Both sides must find the same endpoint for
 * every destination: a mismatch is an error (exit 1).
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "macvtap.h"

#define MAX_BURST 64
#define MAX_ROUNDS 31

struct side_result {
	double ns[MAX_ROUNDS];
	uint64_t check;              /* sum over the stream of queue index + port id + 1 */
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The n'th benchmark MAC as a receive-table key. */
static uint64_t
bench_key(unsigned int n)
{
	struct rte_ether_addr a = { .addr_bytes = { 0x02, 0x4d, 0x56, (uint8_t)(n >> 16),
						    (uint8_t)(n >> 8), (uint8_t)n } };

	return macvtap_mac_key(&a);
}

/* A table of the driver's layout with n one-queue endpoints, built by its own insert. */
static struct macvlan_table *
table_build(unsigned int n, struct tap_queue **queues)
{
	struct macvlan_table *t;
	uint32_t nb_slots = 1;
	unsigned int i;

	while (nb_slots < 2 * n + 2)
		nb_slots <<= 1;
	t = rte_zmalloc("hash_bench_table", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		return NULL;
	t->endpoints = rte_zmalloc("hash_bench_eps", n * sizeof(*t->endpoints), RTE_CACHE_LINE_SIZE);
	t->slots = rte_zmalloc("hash_bench_slots", nb_slots * sizeof(*t->slots),
			       RTE_CACHE_LINE_SIZE);
	if (t->endpoints == NULL || t->slots == NULL)
		return NULL;
	t->nb_endpoints = n;
	t->hash_mask = nb_slots - 1;
	t->hash_shift = 64 - rte_log2_u32(nb_slots);
	for (i = 0; i < n; i++) {
		struct macvlan_endpoint *ep = &t->endpoints[i];

		ep->rxq = &queues[i];
		ep->nb_rxq = 1;
		ep->port_id = (uint16_t)i;
		ep->mode = RTE_PMD_MACVTAP_MODE_BRIDGE;
		ep->max_frame = RTE_ETHER_MAX_LEN;
		macvlan_table_insert(t, bench_key(i), (int32_t)i);
	}
	return t;
}

/* One pass of the stream through the table, as the lean receive loop looks up. */
static uint64_t
pass_table(const struct macvlan_table *t, const uint64_t *stream, unsigned int len,
	   unsigned int burst, const struct tap_queue *queues_base)
{
	uint64_t check = 0;
	unsigned int i, j;

	for (i = 0; i + burst <= len; i += burst) {
		for (j = 0; j < burst; j++) {
			const struct macvlan_hash_slot *hs = macvlan_table_slot(t, stream[i + j]);

			if (likely(hs != NULL && hs->q0 != NULL))
				check += (uint64_t)(hs->q0 - queues_base) + hs->port_id + 1;
		}
	}
	return check;
}

/* The same pass through rte_hash: a bulk lookup per burst, then the endpoint's load. */
static uint64_t
pass_rte_hash(const struct rte_hash *h, const uint64_t *stream, unsigned int len,
	      unsigned int burst, const struct tap_queue *queues_base)
{
	const void *keys[MAX_BURST];
	void *data[MAX_BURST];
	uint64_t check = 0, hits;
	unsigned int i, j;

	for (i = 0; i + burst <= len; i += burst) {
		for (j = 0; j < burst; j++)
			keys[j] = &stream[i + j];
		rte_hash_lookup_bulk_data(h, keys, burst, &hits, data);
		for (j = 0; j < burst; j++) {
			const struct macvlan_endpoint *ep = data[j];

			if (likely(hits & (1ULL << j)))
				check += (uint64_t)(ep->rxq[0] - queues_base) + ep->port_id + 1;
		}
	}
	return check;
}

static int
bench_keys(unsigned int n, unsigned int rounds, unsigned int len, unsigned int burst)
{
	struct rte_hash_parameters hp = {
		.entries = RTE_MAX(n, 8u), .key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc, .socket_id = (int)rte_socket_id(),
	};
	struct side_result tab = { { 0 }, 0 }, rh = { { 0 }, 0 };
	struct tap_queue *queues_base, **queues;
	struct macvlan_table *t = NULL;
	struct rte_hash *h;
	uint64_t *stream;
	char name[RTE_HASH_NAMESIZE];
	unsigned int i, r;
	double hz = (double)rte_get_tsc_hz();
	int ret = -ENOMEM;

	/* Distinct addresses stand for the queues; nothing is ever read through them. */
	queues_base = rte_zmalloc("hash_bench_q", n * sizeof(struct tap_queue), 0);
	queues = rte_malloc("hash_bench_qp", n * sizeof(*queues), 0);
	stream = rte_malloc("hash_bench_stream", len * sizeof(*stream), RTE_CACHE_LINE_SIZE);
	snprintf(name, sizeof(name), "mvt_hb_%u", n);
	hp.name = name;
	h = rte_hash_create(&hp);
	if (queues_base == NULL || queues == NULL || stream == NULL || h == NULL) {
		fprintf(stderr, "hash-bench: no memory for %u keys\n", n);
		goto out;
	}
	for (i = 0; i < n; i++)
		queues[i] = &queues_base[i];
	t = table_build(n, queues);
	if (t == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		uint64_t k = bench_key(i);

		ret = rte_hash_add_key_data(h, &k, &t->endpoints[i]);
		if (ret != 0) {
			fprintf(stderr, "hash-bench: rte_hash_add_key_data: %s\n", strerror(-ret));
			goto out;
		}
	}
	srand(n);
	for (i = 0; i < len; i++)
		stream[i] = bench_key((unsigned int)rand() % n);
	for (r = 0; r < rounds; r++) {
		uint64_t t0 = rte_rdtsc_precise(), c;

		c = pass_table(t, stream, len, burst, queues_base);
		tab.ns[r] = (double)(rte_rdtsc_precise() - t0) * 1e9 / hz / len;
		tab.check = c;
		t0 = rte_rdtsc_precise();
		c = pass_rte_hash(h, stream, len, burst, queues_base);
		rh.ns[r] = (double)(rte_rdtsc_precise() - t0) * 1e9 / hz / len;
		rh.check = c;
	}
	if (tab.check != rh.check) {
		fprintf(stderr, "hash-bench: %u keys: the two found different endpoints "
			"(%" PRIu64 " against %" PRIu64 ")\n", n, tab.check, rh.check);
		ret = -EPROTO;
		goto out;
	}
	{
		double a = median(tab.ns, rounds), b = median(rh.ns, rounds);

		printf("hash-bench: keys %5u  table %6.2f ns/lookup  rte_hash %6.2f ns/lookup  "
		       "rte_hash/table %.2f\n", n, a, b, b / a);
	}
	ret = 0;
out:
	rte_hash_free(h);
	if (t != NULL) {
		rte_free(t->endpoints);
		rte_free(t->slots);
		rte_free(t);
	}
	rte_free(stream);
	rte_free(queues);
	rte_free(queues_base);
	return ret;
}

int
main(int argc, char **argv)
{
	unsigned int keys[16] = { 1, 8, 64, 1024, 4096 }, nb_keys = 5;
	unsigned int rounds = 7, len = 1u << 20, burst = 32, i;
	static const struct option opts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "lookups", required_argument, NULL, 'l' },
		{ "burst", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	int ret, c;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "hash-bench: EAL init failed\n");
		return 2;
	}
	argc -= ret;
	argv += ret;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *s, *end;

		switch (c) {
		case 'k':
			for (nb_keys = 0, s = optarg; nb_keys < RTE_DIM(keys); s = end + 1) {
				unsigned long v = strtoul(s, &end, 10);

				if (end == s || v == 0 || v > (1u << 22))
					goto usage;
				keys[nb_keys++] = (unsigned int)v;
				if (*end != ',')
					break;
			}
			break;
		case 'r':
			rounds = (unsigned int)atoi(optarg);
			if (rounds == 0 || rounds > MAX_ROUNDS)
				goto usage;
			break;
		case 'l':
			len = (unsigned int)atoi(optarg);
			if (len < MAX_BURST)
				goto usage;
			break;
		case 'b':
			burst = (unsigned int)atoi(optarg);
			if (burst == 0 || burst > MAX_BURST)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	printf("hash-bench: %u lookups per side per round, bursts of %u, median of %u rounds\n",
	       len, burst, rounds);
	for (i = 0; i < nb_keys; i++)
		if (bench_keys(keys[i], rounds, len, burst) != 0) {
			rte_eal_cleanup();
			return 1;
		}
	rte_eal_cleanup();
	return 0;
usage:
	fprintf(stderr, "usage: dpdk-macvtap-hash-bench EAL -- [--keys N[,N...]] "
		"[--rounds 1-%u] [--lookups L>=%u] [--burst 1-%u]\n", MAX_ROUNDS, MAX_BURST,
		MAX_BURST);
	rte_eal_cleanup();
	return 2;
}

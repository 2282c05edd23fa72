/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

#include <errno.h>
#include <ftw.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "fuzz_common.h"
#include "harness.h"

static char runtime_dir[PATH_MAX];
static void (*user_teardown)(void);

void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("FUZZ FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

static int
remove_entry(const char *path, const struct stat *st __rte_unused, int flag __rte_unused,
	     struct FTW *ftw __rte_unused)
{
	remove(path);
	return 0;
}

/* At exit: the target's teardown, EAL's cleanup, then its runtime directory. */
static void
fz_exit(void)
{
	if (user_teardown != NULL)
		user_teardown();
	rte_eal_cleanup();
	if (runtime_dir[0] != '\0')
		nftw(runtime_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The first CPU this process may run on: the lcores are pinned there. */
static int
first_cpu(void)
{
	cpu_set_t set;
	int c;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return 0;
}

void
fz_eal_init(unsigned int nb_lcores, void (*teardown)(void))
{
	static char prefix_arg[128], lcores_arg[64];
	const char *prefix = getenv("FUZZ_EAL_PREFIX");
	const char *verbose = getenv("FUZZ_VERBOSE");
	char *argv[16];
	int argc = 0, cpu = first_cpu(), n;
	unsigned int i;

	if (prefix == NULL || prefix[0] == '\0')
		prefix = "fuzz";
	snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s_%d", prefix, (int)getpid());
	n = snprintf(lcores_arg, sizeof(lcores_arg), "--lcores=");
	for (i = 0; i < nb_lcores && n < (int)sizeof(lcores_arg); i++)
		n += snprintf(lcores_arg + n, sizeof(lcores_arg) - n, "%s%u@%d",
			      i == 0 ? "" : ",", i, cpu);
	argv[argc++] = (char *)(uintptr_t)"fuzz";
	argv[argc++] = (char *)(uintptr_t)"--no-huge";
	argv[argc++] = (char *)(uintptr_t)"-m";
	argv[argc++] = (char *)(uintptr_t)"512";
	argv[argc++] = (char *)(uintptr_t)"--no-pci";
	argv[argc++] = (char *)(uintptr_t)"--no-telemetry";
	argv[argc++] = lcores_arg;
	argv[argc++] = prefix_arg;
	if (verbose == NULL || strcmp(verbose, "1") != 0) {
		/* Bad devargs log an error each: thousands a second. */
		argv[argc++] = (char *)(uintptr_t)"--log-level=pmd.net.macvtap:crit";
		argv[argc++] = (char *)(uintptr_t)"--log-level=lib.eal:error";
		argv[argc++] = (char *)(uintptr_t)"--log-level=lib.ethdev:crit";
	}
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0)
		fz_fail("EAL init failed: %s", rte_strerror(rte_errno));
	strlcpy(runtime_dir, rte_eal_get_runtime_dir(), sizeof(runtime_dir));
	user_teardown = teardown;
	atexit(fz_exit);
}

void
fz_snapshot_take(struct fz_snapshot *s)
{
	struct rte_malloc_socket_stats st;

	memset(s, 0, sizeof(*s));
	rte_malloc_get_socket_stats(0, &st);
	s->alloc_count = st.alloc_count;
	s->nb_mempools = t_count_mempools();
	s->nb_memzones = t_count_memzones();
	s->nb_ports = rte_eth_dev_count_total();
}

void
fz_snapshot_check(const struct fz_snapshot *before, const char *what)
{
	struct fz_snapshot now;

	fz_snapshot_take(&now);
	if (now.alloc_count != before->alloc_count)
		fz_fail("%s: rte_malloc allocations %u, before %u", what, now.alloc_count,
			before->alloc_count);
	if (now.nb_mempools != before->nb_mempools)
		fz_fail("%s: %u mempools, before %u", what, now.nb_mempools,
			before->nb_mempools);
	if (now.nb_memzones != before->nb_memzones)
		fz_fail("%s: %u memzones, before %u", what, now.nb_memzones,
			before->nb_memzones);
	if (now.nb_ports != before->nb_ports)
		fz_fail("%s: %u ethdev ports, before %u", what, now.nb_ports, before->nb_ports);
}

void
fz_lower_create(struct t_env *e, const char *name, uint16_t nb_q, const unsigned int *tx_size)
{
	char ring_name[RTE_RING_NAMESIZE];
	uint16_t q;
	int ret;

	memset(e, 0, sizeof(*e));
	if (nb_q == 0 || nb_q > T_MAX_LOWER_Q)
		fz_fail("lower %s: %u queues", name, nb_q);
	e->nb_q = nb_q;
	for (q = 0; q < nb_q; q++) {
		snprintf(ring_name, sizeof(ring_name), "fz_%s_rx%u", name, q);
		e->rx[q] = rte_ring_create(ring_name, 4096, 0, 0);
		snprintf(ring_name, sizeof(ring_name), "fz_%s_tx%u", name, q);
		e->tx[q] = rte_ring_create(ring_name, tx_size != NULL ? tx_size[q] : 4096, 0, 0);
		if (e->rx[q] == NULL || e->tx[q] == NULL)
			fz_fail("lower %s: cannot create rings: %s", name, rte_strerror(rte_errno));
	}
	ret = rte_eth_from_rings(name, e->rx, nb_q, e->tx, nb_q, 0);
	if (ret < 0)
		fz_fail("rte_eth_from_rings %s: %d", name, ret);
	e->lower = (uint16_t)ret;
	snprintf(e->lower_name, sizeof(e->lower_name), "net_ring_%s", name);
}

void
fz_hexdump(const char *title, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	fprintf(stderr, "  %s (%u bytes):", title, len);
	for (i = 0; i < len && i < 64; i++)
		fprintf(stderr, "%s%02x", i % 16 == 0 ? "\n    " : " ", p[i]);
	fprintf(stderr, "%s\n", len > 64 ? " ..." : "");
}

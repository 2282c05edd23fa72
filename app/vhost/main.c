/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * dpdk-macvtap-vhost: Linux macvtap's job for VMs, in user space. Each VM is
 * a net_macvtap port on a shared lower (its MAC, mode and queue count) served
 * to the VM over vhost-user. The main lcore sets up, runs the control
 * requests and shuts down; the worker lcores move the frames (worker.c).
 * See doc/guides/nics/macvtap_vhost.rst.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_string_fns.h>

#include "mvh.h"

struct mvh mvh = {
	.vm_lock = PTHREAD_MUTEX_INITIALIZER,
};

static volatile sig_atomic_t signalled;

static void
on_signal(int sig)
{
	signalled = sig;
}

/* Probe a lower (PCI address or vdev devargs) and find its ethdev. */
static int
lower_probe(uint16_t i)
{
	const char *devargs = mvh.conf.lowers[i];
	struct rte_devargs da;
	struct rte_eth_dev_info info;
	uint16_t port;
	int ret;

	memset(&da, 0, sizeof(da));
	ret = rte_devargs_parse(&da, devargs);
	if (ret != 0) {
		MVH_LOG(ERR, "lower '%s': cannot parse: %s\n", devargs, rte_strerror(-ret));
		return ret;
	}
	rte_devargs_reset(&da);
	ret = rte_dev_probe(devargs);
	if (ret != 0 && ret != -EEXIST) {
		MVH_LOG(ERR, "lower '%s': probing failed: %s\n", devargs, rte_strerror(-ret));
		return ret;
	}
	RTE_ETH_FOREACH_DEV(port) {
		if (rte_eth_dev_info_get(port, &info) != 0 || info.device == NULL)
			continue;
		if (strcmp(rte_dev_name(info.device), da.name) == 0) {
			mvh.lower_ports[i] = port;
			rte_eth_dev_get_name_by_port(port, mvh.lower_names[i]);
			MVH_LOG(INFO, "lower %u: port %u (%s)\n", i, port, mvh.lower_names[i]);
			return 0;
		}
	}
	MVH_LOG(ERR, "lower '%s': probed, but no port for device %s\n", devargs, da.name);
	return -ENODEV;
}

static void
lowers_close(void)
{
	uint16_t i;

	for (i = 0; i < mvh.conf.nb_lowers; i++) {
		if (mvh.lower_names[i][0] == '\0')
			continue;
		if (!rte_eth_dev_is_valid_port(mvh.lower_ports[i]))
			continue;
		rte_eth_dev_stop(mvh.lower_ports[i]);
		rte_eth_dev_close(mvh.lower_ports[i]);
	}
}

/* What each mempool has out at exit: the test of a clean shutdown. */
static void
pool_report(struct rte_mempool *mp, void *arg)
{
	unsigned int *leaked = arg;
	unsigned int in_use = mp->size - rte_mempool_avail_count(mp);

	printf("mvh: exit: mempool %s: size %u, in use %u\n", mp->name, mp->size, in_use);
	*leaked += in_use;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned int leaked = 0;
	char err[256];
	uint16_t i;
	int ret, status = 0;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "mvh: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)(uintptr_t)"dpdk-macvtap-vhost";
	if (conf_parse_args(argc, argv, &mvh.conf) != 0) {
		rte_eal_cleanup();
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A telemetry client that leaves before its answer must not end us (write(2), EPIPE). */
	signal(SIGPIPE, SIG_IGN);

	mvh.pool = rte_pktmbuf_pool_create("mvh_pool", mvh.conf.mbufs, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mvh.pool == NULL) {
		MVH_LOG(ERR, "cannot create the mbuf pool (%u mbufs): %s\n", mvh.conf.mbufs,
			rte_strerror(rte_errno));
		status = 1;
		goto out;
	}
	for (i = 0; i < mvh.conf.nb_lowers; i++) {
		if (lower_probe(i) != 0) {
			status = 1;
			goto out;
		}
	}
	ret = workers_init();
	if (ret != 0) {
		status = 1;
		goto out;
	}
	if (telemetry_init() != 0)
		MVH_LOG(WARNING, "telemetry commands could not be registered\n");
	for (i = 0; i < mvh.conf.nb_vms && !signalled; i++) {
		ret = vm_add(&mvh.conf.vms[i], err, sizeof(err));
		if (ret != 0) {
			MVH_LOG(ERR, "%s\n", err);
			status = 1;
			goto stop;
		}
	}
	MVH_LOG(INFO, "ready: %u VM(s), %u worker lcore(s)\n", mvh.conf.nb_vms,
		rte_lcore_count() - 1);
	fflush(stdout);
	while (!signalled) {
		vm_queues_poll();
		if (!control_poll())
			usleep(2000);
	}
	MVH_LOG(INFO, "signal %d: shutting down\n", (int)signalled);
stop:
	control_shutdown();
	vm_remove_all();
	workers_stop();
out:
	lowers_close();
	rte_mempool_walk(pool_report, &leaked);
	printf("mvh: exit: %u mbufs not returned\n", leaked);
	fflush(stdout);
	rte_mempool_free(mvh.pool);
	rte_eal_cleanup();
	return status;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Telemetry commands: what the VMs are and count (read under vm_lock, from
 * the telemetry thread), and the control commands that change them (add,
 * remove, set_mac, rx_filter). Those run on the main lcore, one at a time: the
 * telemetry thread queues the request and waits for its answer, so that
 * every VM is created and destroyed by the same thread that shuts down.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_string_fns.h>
#include <rte_telemetry.h>
#include <rte_vhost.h>

#include "mvh.h"

#define MAX_XSTATS 200
#define MAX_VRING_STATS 64
#define MAX_MC 64

enum req_kind { REQ_ADD, REQ_REMOVE, REQ_SET_MAC, REQ_RX_FILTER };

struct req {
	enum req_kind kind;
	char arg[1024];
	int ret;
	char msg[256];
	bool done;
	struct req *next;
};

static pthread_mutex_t req_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t req_cond = PTHREAD_COND_INITIALIZER;
static struct req *req_head, *req_tail;
static bool req_closed;
static uint16_t added;              /* VMs added at run time: default names */

/* ---- requests, run on the main lcore ---- */

static void
req_run(struct req *r)
{
	char *comma;

	r->msg[0] = '\0';
	switch (r->kind) {
	case REQ_ADD: {
		struct vm_conf c;

		r->ret = conf_parse_vm(r->arg, (uint16_t)(mvh.conf.nb_vms + added), &c, r->msg,
				       sizeof(r->msg));
		if (r->ret == 0) {
			added++;
			r->ret = vm_add(&c, r->msg, sizeof(r->msg));
			if (r->ret == 0)
				strlcpy(r->msg, c.name, sizeof(r->msg));
		}
		break;
	}
	case REQ_REMOVE:
		r->ret = vm_remove(r->arg);
		break;
	case REQ_SET_MAC: {
		struct rte_ether_addr mac;

		comma = strchr(r->arg, ',');
		if (comma == NULL || rte_ether_unformat_addr(comma + 1, &mac) != 0 ||
		    !rte_is_valid_assigned_ether_addr(&mac)) {
			r->ret = -EINVAL;
			strlcpy(r->msg, "usage: set_mac,<vm>,<unicast MAC>", sizeof(r->msg));
			break;
		}
		*comma = '\0';
		r->ret = vm_set_mac(r->arg, &mac);
		break;
	}
	case REQ_RX_FILTER: {
		struct rte_ether_addr mc[MAX_MC];
		uint32_t nb_mc = 0;
		bool have_mc = false;
		int allmulti = -1, promisc = -1;
		char *tok, *save = NULL;

		comma = strchr(r->arg, ',');
		if (comma == NULL) {
			r->ret = -EINVAL;
			strlcpy(r->msg, "usage: rx_filter,<vm>[,mc=MAC:...][,allmulti=0|1][,promisc=0|1]",
				sizeof(r->msg));
			break;
		}
		*comma = '\0';
		r->ret = 0;
		for (tok = strtok_r(comma + 1, ",", &save); tok != NULL && r->ret == 0;
		     tok = strtok_r(NULL, ",", &save)) {
			if (strncmp(tok, "mc=", 3) == 0) {
				char *m, *s2 = NULL;

				have_mc = true;
				for (m = strtok_r(tok + 3, "+", &s2); m != NULL; m = strtok_r(NULL, "+", &s2)) {
					if (nb_mc == MAX_MC || rte_ether_unformat_addr(m, &mc[nb_mc]) != 0 ||
					    !rte_is_multicast_ether_addr(&mc[nb_mc]))
						r->ret = -EINVAL;
					else
						nb_mc++;
				}
			} else if (strcmp(tok, "allmulti=0") == 0 || strcmp(tok, "allmulti=1") == 0) {
				allmulti = tok[9] - '0';
			} else if (strcmp(tok, "promisc=0") == 0 || strcmp(tok, "promisc=1") == 0) {
				promisc = tok[8] - '0';
			} else {
				r->ret = -EINVAL;
			}
		}
		if (r->ret == 0)
			r->ret = vm_set_rx_filter(r->arg, have_mc ? mc : NULL, nb_mc, allmulti, promisc);
		else
			strlcpy(r->msg, "mc= takes multicast MACs joined by '+'", sizeof(r->msg));
		break;
	}
	}
	if (r->ret != 0 && r->msg[0] == '\0')
		strlcpy(r->msg, rte_strerror(-r->ret), sizeof(r->msg));
}

bool
control_poll(void)
{
	struct req *r;

	pthread_mutex_lock(&req_lock);
	r = req_head;
	if (r != NULL) {
		req_head = r->next;
		if (req_head == NULL)
			req_tail = NULL;
	}
	pthread_mutex_unlock(&req_lock);
	if (r == NULL)
		return false;
	req_run(r);
	pthread_mutex_lock(&req_lock);
	r->done = true;
	pthread_cond_broadcast(&req_cond);
	pthread_mutex_unlock(&req_lock);
	return true;
}

void
control_shutdown(void)
{
	struct req *r;

	pthread_mutex_lock(&req_lock);
	req_closed = true;
	for (r = req_head; r != NULL; r = r->next) {
		r->ret = -ESHUTDOWN;
		strlcpy(r->msg, "shutting down", sizeof(r->msg));
		r->done = true;
	}
	req_head = req_tail = NULL;
	pthread_cond_broadcast(&req_cond);
	pthread_mutex_unlock(&req_lock);
}

/* Queue a request for the main lcore and wait for its answer. */
static int
submit(enum req_kind kind, const char *params, struct rte_tel_data *d)
{
	struct req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -ENOMEM;
	r->kind = kind;
	if (params == NULL || strlcpy(r->arg, params, sizeof(r->arg)) >= sizeof(r->arg)) {
		free(r);
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "error", params == NULL ? "a parameter is needed" :
					     "parameter too long");
		return 0;
	}
	pthread_mutex_lock(&req_lock);
	if (req_closed) {
		r->done = true;
		r->ret = -ESHUTDOWN;
		strlcpy(r->msg, "shutting down", sizeof(r->msg));
	} else if (req_tail == NULL) {
		req_head = req_tail = r;
	} else {
		req_tail->next = r;
		req_tail = r;
	}
	while (!r->done)
		pthread_cond_wait(&req_cond, &req_lock);
	pthread_mutex_unlock(&req_lock);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "result", r->ret);
	if (r->ret != 0)
		rte_tel_data_add_dict_string(d, "error", r->msg);
	else if (r->msg[0] != '\0')
		rte_tel_data_add_dict_string(d, "name", r->msg);
	free(r);
	return 0;
}

static int
tel_add(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	return submit(REQ_ADD, params, d);
}

static int
tel_remove(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	return submit(REQ_REMOVE, params, d);
}

static int
tel_set_mac(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	return submit(REQ_SET_MAC, params, d);
}

static int
tel_rx_filter(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	return submit(REQ_RX_FILTER, params, d);
}

/* ---- reads ---- */

static const char *const state_names[] = { "waiting", "running", "removing" };

static int
tel_vms(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	unsigned int i;

	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&mvh.vm_lock);
	for (i = 0; i < MVH_MAX_VMS; i++)
		if (mvh.vms[i] != NULL)
			rte_tel_data_add_array_string(d, mvh.vms[i]->conf.name);
	pthread_mutex_unlock(&mvh.vm_lock);
	return 0;
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ADD_U64(d, s, f) rte_tel_data_add_dict_u64(d, #f, LOAD((s)->f))

static void
qp_dict(struct rte_tel_data *q, const struct qp *qp)
{
	const struct qp_stats *s = &qp->stats;

	rte_tel_data_start_dict(q);
	rte_tel_data_add_dict_int(q, "lcore", (int)qp->lcore);
	rte_tel_data_add_dict_int(q, "active", LOAD(qp->active));
	rte_tel_data_add_dict_int(q, "attached", LOAD(qp->attached));
	ADD_U64(q, s, rx_frames);
	ADD_U64(q, s, rx_bytes);
	ADD_U64(q, s, rx_guest_full);
	ADD_U64(q, s, rx_no_guest);
	ADD_U64(q, s, tx_frames);
	ADD_U64(q, s, tx_bytes);
	ADD_U64(q, s, tx_guest_frames);
	ADD_U64(q, s, tx_port_refused);
	ADD_U64(q, s, tx_runt);
	ADD_U64(q, s, tx_oversize);
	ADD_U64(q, s, tx_malformed);
	ADD_U64(q, s, tx_offload_refused);
	ADD_U64(q, s, tx_nombuf);
	ADD_U64(q, s, tx_csum_done);
	ADD_U64(q, s, tx_tso_frames);
	ADD_U64(q, s, tx_tso_segments);
	ADD_U64(q, s, turns);
	ADD_U64(q, s, busy_turns);
}

/* The port's extended statistics that are not 0 (the driver's drops: spoofing and the rest). */
static void
port_dict(struct rte_tel_data *p, uint16_t port)
{
	struct rte_eth_xstat_name names[MAX_XSTATS];
	struct rte_eth_xstat vals[MAX_XSTATS];
	int n, m, i;

	rte_tel_data_start_dict(p);
	n = rte_eth_xstats_get_names(port, names, MAX_XSTATS);
	m = rte_eth_xstats_get(port, vals, MAX_XSTATS);
	if (n <= 0 || m <= 0)
		return;
	n = RTE_MIN(RTE_MIN(n, m), MAX_XSTATS);
	/* The ones that counted something: the reply must fit telemetry's buffer. */
	for (i = 0; i < n; i++)
		if (vals[i].value != 0 && vals[i].id < (uint64_t)n)
			rte_tel_data_add_dict_u64(p, names[vals[i].id].name, vals[i].value);
}

/* One virtqueue's rte_vhost statistics; the guest runs (vid valid) under vm_lock. */
static struct rte_tel_data *
vring_dict(int vid, uint16_t vq)
{
	struct rte_vhost_stat_name names[MAX_VRING_STATS];
	struct rte_vhost_stat vals[MAX_VRING_STATS];
	struct rte_tel_data *v;
	int n, m, i;

	n = rte_vhost_vring_stats_get_names(vid, vq, names, MAX_VRING_STATS);
	if (n <= 0 || n > MAX_VRING_STATS)
		return NULL;
	m = rte_vhost_vring_stats_get(vid, vq, vals, MAX_VRING_STATS);
	if (m <= 0 || m > MAX_VRING_STATS)
		return NULL;
	v = rte_tel_data_alloc();
	if (v == NULL)
		return NULL;
	rte_tel_data_start_dict(v);
	for (i = 0; i < RTE_MIN(n, m); i++)
		if (vals[i].id < (uint64_t)n)
			rte_tel_data_add_dict_u64(v, names[vals[i].id].name, vals[i].value);
	return v;
}

static int
tel_vm(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE], key[16];
	struct rte_tel_data *c;
	struct vm *vm;
	uint16_t q;
	uint64_t sum_rx = 0, sum_tx = 0;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&mvh.vm_lock);
	vm = vm_find(params);
	if (vm == NULL) {
		pthread_mutex_unlock(&mvh.vm_lock);
		rte_tel_data_add_dict_string(d, "error", "no such VM (give a name or an index)");
		return 0;
	}
	rte_ether_format_addr(mac, sizeof(mac), &vm->conf.mac);
	rte_tel_data_add_dict_string(d, "name", vm->conf.name);
	rte_tel_data_add_dict_string(d, "mac", mac);
	rte_tel_data_add_dict_string(d, "mode", vm->conf.mode);
	rte_tel_data_add_dict_string(d, "socket", vm->conf.socket);
	rte_tel_data_add_dict_string(d, "role", vm->conf.server ? "server" : "client");
	rte_tel_data_add_dict_string(d, "port", vm->port_name);
	rte_tel_data_add_dict_int(d, "port_id", vm->port_id);
	rte_tel_data_add_dict_string(d, "lower", mvh.lower_names[vm->conf.lower]);
	rte_tel_data_add_dict_int(d, "queues", vm->conf.queues);
	rte_tel_data_add_dict_int(d, "trusted", vm->conf.trusted);
	rte_tel_data_add_dict_int(d, "budget", (int)vm->conf.budget);
	rte_tel_data_add_dict_int(d, "mtu", vm->mtu);
	rte_tel_data_add_dict_string(d, "state", state_names[vm->state]);
	rte_tel_data_add_dict_int(d, "vid", vm->vid);
	rte_tel_data_add_dict_u64(d, "features", vm->features);
	rte_tel_data_add_dict_u64(d, "connections", vm->connections);
	rte_tel_data_add_dict_u64(d, "new_devices", vm->new_devices);
	rte_tel_data_add_dict_u64(d, "destroys", vm->destroys);
	rte_tel_data_add_dict_u64(d, "unserved_vrings", LOAD(vm->unserved_vrings));
	rte_tel_data_add_dict_u64(d, "filter_refused", vm->filter_refused);
	rte_tel_data_add_dict_u64(d, "vrings_enabled", LOAD(vm->vring_enabled[0]));
	for (q = 0; q < vm->conf.queues; q++) {
		sum_rx += LOAD(vm->qps[q].stats.rx_frames);
		sum_tx += LOAD(vm->qps[q].stats.tx_frames);
		c = rte_tel_data_alloc();
		if (c == NULL)
			continue;
		qp_dict(c, &vm->qps[q]);
		snprintf(key, sizeof(key), "q%u", q);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	rte_tel_data_add_dict_u64(d, "rx_frames", sum_rx);
	rte_tel_data_add_dict_u64(d, "tx_frames", sum_tx);
	c = rte_tel_data_alloc();
	if (c != NULL) {
		port_dict(c, vm->port_id);
		rte_tel_data_add_dict_container(d, "port_xstats", c, 0);
	}
	if (vm->vid >= 0 && mvh.conf.stats_vring) {
		for (q = 0; q < 2 * vm->conf.queues; q++) {
			c = vring_dict(vm->vid, q);
			if (c == NULL)
				continue;
			snprintf(key, sizeof(key), "vring%u", q);
			rte_tel_data_add_dict_container(d, key, c, 0);
		}
	}
	pthread_mutex_unlock(&mvh.vm_lock);
	return 0;
}

static void
pool_walk(struct rte_mempool *mp, void *arg)
{
	struct rte_tel_data *d = arg;
	char key[RTE_MEMPOOL_NAMESIZE + 8];
	unsigned int avail = rte_mempool_avail_count(mp);

	snprintf(key, sizeof(key), "%s", mp->name);
	rte_tel_data_add_dict_u64(d, key, mp->size - avail);
}

/* Mbufs in use in each mempool of the process. */
static int
tel_pools(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	rte_mempool_walk(pool_walk, d);
	return 0;
}

static int
tel_lcores(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	char key[MVH_NAME_LEN + 8];
	unsigned int i;
	uint16_t q;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&mvh.vm_lock);
	for (i = 0; i < MVH_MAX_VMS; i++) {
		const struct vm *vm = mvh.vms[i];

		if (vm == NULL)
			continue;
		for (q = 0; q < vm->conf.queues; q++) {
			snprintf(key, sizeof(key), "%s/q%u", vm->conf.name, q);
			rte_tel_data_add_dict_int(d, key, (int)vm->qps[q].lcore);
		}
	}
	pthread_mutex_unlock(&mvh.vm_lock);
	return 0;
}

int
telemetry_init(void)
{
	int ret = 0;

	ret |= rte_telemetry_register_cmd("/macvtap_vhost/vms", tel_vms,
					  "The VMs' names. No parameters");
	ret |= rte_telemetry_register_cmd("/macvtap_vhost/vm", tel_vm,
					  "A VM's state and counters. Parameter: name or index");
	ret |= rte_telemetry_register_cmd("/macvtap_vhost/lcores", tel_lcores,
					  "Which lcore polls each VM queue. No parameters");
	ret |= rte_telemetry_register_cmd("/macvtap_vhost/pools", tel_pools,
					  "Mbufs in use in each mempool. No parameters");
	ret |= rte_telemetry_register_cmd("/macvtap_vhost/add", tel_add,
					  "Add a VM. Parameter: a --vm spec (mac=...,socket=...)");
	ret |= rte_telemetry_register_cmd("/macvtap_vhost/remove", tel_remove,
					  "Remove a VM. Parameter: name or index");
	ret |= rte_telemetry_register_cmd("/macvtap_vhost/set_mac", tel_set_mac,
					  "Change a trusted VM's MAC. Parameters: vm,MAC");
	ret |= rte_telemetry_register_cmd("/macvtap_vhost/rx_filter", tel_rx_filter,
					  "A VM's receive filter. Parameters: vm[,mc=MAC+MAC][,allmulti=0|1][,promisc=0|1]");
	return ret == 0 ? 0 : -EINVAL;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * A VM's life: its net_macvtap port (a vdev on the VM's lower, with the VM's
 * MAC, mode and spoofchk=1), one tap file per queue pair, a vhost-user socket,
 * and the rte_vhost callbacks that start and stop its queue pairs.
 *
 * Locking. vm_lock guards the VM table, each VM's state and what the
 * telemetry reads. It is never held while calling rte_vhost_driver_*: those
 * may call back into us (new_connection, destroy_device) and wait for the
 * callbacks to end. vring_state_changed runs with every virtqueue lock of
 * the device held (and telemetry holds vm_lock while it reads the vring
 * statistics, which take a virtqueue lock): it takes no lock of ours and finds
 * its VM in vid_vm, which new_connection fills.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>
#include <rte_vhost.h>

#include "mvh.h"

/* The VM of each vhost device id, from its connection on (no lock: see above). */
static struct vm *vid_vm[RTE_MAX_VHOST_DEVICE];

static struct vm *
vm_by_socket_locked(const char *path)
{
	unsigned int i;

	for (i = 0; i < MVH_MAX_VMS; i++)
		if (mvh.vms[i] != NULL && strcmp(mvh.vms[i]->conf.socket, path) == 0)
			return mvh.vms[i];
	return NULL;
}

static struct vm *
vm_by_name_locked(const char *name)
{
	unsigned int i;

	for (i = 0; i < MVH_MAX_VMS; i++)
		if (mvh.vms[i] != NULL && strcmp(mvh.vms[i]->conf.name, name) == 0)
			return mvh.vms[i];
	return NULL;
}

struct vm *
vm_find(const char *s)
{
	char *end;
	unsigned long idx;

	if (s == NULL || s[0] == '\0')
		return NULL;
	idx = strtoul(s, &end, 10);
	if (*end == '\0')
		return idx < MVH_MAX_VMS ? mvh.vms[idx] : NULL;
	return vm_by_name_locked(s);
}

static struct vm *
vm_of_vid_locked(int vid)
{
	char path[PATH_MAX];

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) != 0)
		return NULL;
	return vm_by_socket_locked(path);
}

/* ---- rte_vhost callbacks ---- */

/*
 * A vhost-user message as the vhost-user specification lays it out: a
 * 12-byte header, then the payload (a u64 for the messages handled here).
 */
struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint64_t u64;
} __rte_packed;

#define VU_GET_QUEUE_NUM 17

/*
 * Before rte_vhost handles a message: answer VHOST_USER_GET_QUEUE_NUM with
 * the VM's queue pairs, so that QEMU refuses more than are served. DPDK
 * 22.11 has no rte_vhost_driver_set_max_queue_num and answers 128.
 */
static enum rte_vhost_msg_result
cb_pre_msg(int vid, void *msg)
{
	struct vu_msg *m = msg;
	struct vm *vm;

	if (m->request != VU_GET_QUEUE_NUM || vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	vm = __atomic_load_n(&vid_vm[vid], __ATOMIC_ACQUIRE);
	if (vm == NULL)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	m->u64 = vm->conf.queues;
	m->size = sizeof(m->u64);
	return RTE_VHOST_MSG_RESULT_REPLY;
}

static const struct rte_vhost_user_extern_ops vm_extern_ops = {
	.pre_msg_handle = cb_pre_msg,
};

static int
cb_new_connection(int vid)
{
	struct vm *vm;

	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return -1;
	pthread_mutex_lock(&mvh.vm_lock);
	vm = vm_of_vid_locked(vid);
	if (vm != NULL && vm->state == VM_REMOVING)
		vm = NULL;
	if (vm != NULL) {
		vm->connections++;
		memset(vm->vring_enabled, 0, sizeof(vm->vring_enabled));
		__atomic_store_n(&vm->queues_changed, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&vid_vm[vid], vm, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mvh.vm_lock);
	if (vm == NULL)
		return -1;
	if (rte_vhost_extern_callback_register(vid, &vm_extern_ops, NULL) != 0)
		MVH_LOG(WARNING, "%s: cannot answer GET_QUEUE_NUM: QEMU may ask for more than %u queue pairs\n",
			vm->conf.name, vm->conf.queues);
	MVH_LOG(INFO, "%s: connection (vhost device %d)\n", vm->conf.name, vid);
	return 0;
}

static void
cb_destroy_connection(int vid)
{
	struct vm *vm;

	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return;
	vm = __atomic_load_n(&vid_vm[vid], __ATOMIC_ACQUIRE);
	if (vm != NULL)
		MVH_LOG(INFO, "%s: disconnected (vhost device %d)\n", vm->conf.name, vid);
}

/* Whether the guest uses queue pair q: both its vrings enabled (queue pair 0: always). */
static bool
qp_used(const struct vm *vm, uint16_t q)
{
	uint64_t bits = 3ULL << (2 * q % 64);

	return q == 0 || (__atomic_load_n(&vm->vring_enabled[2 * q / 64], __ATOMIC_ACQUIRE) &
			  bits) == bits;
}

/* Start queue pair q of vm for the guest vid; no wait is needed to start one. */
static void
qp_start(struct vm *vm, uint16_t q, int vid)
{
	struct qp *qp = &vm->qps[q];

	if (__atomic_load_n(&qp->active, __ATOMIC_ACQUIRE))
		return;
	qp->vid = vid;
	__atomic_store_n(&qp->active, true, __ATOMIC_RELEASE);
}

static int
cb_new_device(int vid)
{
	uint16_t nr_vring = rte_vhost_get_vring_num(vid), q, served = 0;
	uint64_t features = 0;
	struct vm *vm;

	rte_vhost_get_negotiated_features(vid, &features);
	pthread_mutex_lock(&mvh.vm_lock);
	vm = vm_of_vid_locked(vid);
	if (vm == NULL || vm->state == VM_REMOVING) {
		pthread_mutex_unlock(&mvh.vm_lock);
		return -1;
	}
	vm->features = features;
	vm->new_devices++;
	__atomic_store_n(&vm->vid, vid, __ATOMIC_RELEASE);
	vm->state = VM_RUNNING;
	/*
	 * The queue pairs the guest uses now; later ones start as their vrings
	 * are enabled. A pair whose vrings exist but are not enabled (a guest
	 * with fewer CPUs than queue pairs) is not the guest's yet.
	 */
	for (q = 0; q < vm->conf.queues && 2u * q + 1 < nr_vring; q++) {
		if (!qp_used(vm, q))
			continue;
		qp_start(vm, q, vid);
		served++;
	}
	__atomic_store_n(&vm->queues_changed, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mvh.vm_lock);
	MVH_LOG(INFO, "%s: guest running (vhost device %d): %u of %u queue pairs, features 0x%" PRIx64
		" (csum %d tso4 %d tso6 %d mrg_rxbuf %d)\n",
		vm->conf.name, vid, served, vm->conf.queues, features,
		!!(features & (1ULL << VIRTIO_NET_F_CSUM)),
		!!(features & (1ULL << VIRTIO_NET_F_HOST_TSO4)),
		!!(features & (1ULL << VIRTIO_NET_F_HOST_TSO6)),
		!!(features & (1ULL << VIRTIO_NET_F_MRG_RXBUF)));
	return 0;
}

static void
cb_destroy_device(int vid)
{
	struct vm *vm;
	uint16_t q;

	pthread_mutex_lock(&mvh.vm_lock);
	vm = vm_of_vid_locked(vid);
	if (vm == NULL || vm->vid != vid) {
		pthread_mutex_unlock(&mvh.vm_lock);
		return;
	}
	__atomic_store_n(&vm->vid, -1, __ATOMIC_RELEASE);
	for (q = 0; q < vm->conf.queues; q++)
		__atomic_store_n(&vm->qps[q].active, false, __ATOMIC_RELEASE);
	vm->destroys++;
	if (vm->state == VM_RUNNING)
		vm->state = VM_WAITING;
	pthread_mutex_unlock(&mvh.vm_lock);
	/* No worker is inside this guest's virtqueues once this returns. */
	workers_sync();
	MVH_LOG(INFO, "%s: guest stopped (vhost device %d)\n", vm->conf.name, vid);
}

static int
cb_vring_state_changed(int vid, uint16_t queue_id, int enable)
{
	struct vm *vm;
	uint16_t q = queue_id / 2;

	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return 0;
	vm = __atomic_load_n(&vid_vm[vid], __ATOMIC_ACQUIRE);
	if (vm == NULL)
		return 0;
	if (queue_id < 64 * RTE_DIM(vm->vring_enabled)) {
		uint64_t bit = 1ULL << (queue_id % 64);

		if (enable)
			__atomic_fetch_or(&vm->vring_enabled[queue_id / 64], bit, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&vm->vring_enabled[queue_id / 64], ~bit,
					   __ATOMIC_RELAXED);
	}
	if (q >= vm->conf.queues) {
		if (enable) {
			__atomic_fetch_add(&vm->unserved_vrings, 1, __ATOMIC_RELAXED);
			MVH_LOG(WARNING, "%s: the guest enabled virtqueue %u, beyond the %u queue pairs served: "
				"its frames go nowhere (give the VM queues=%u at most)\n",
				vm->conf.name, queue_id, vm->conf.queues, vm->conf.queues);
		}
		return 0;
	}
	/* The main lcore attaches or detaches its tap file (vm_queues_poll). */
	__atomic_store_n(&vm->queues_changed, 1, __ATOMIC_RELEASE);
	/*
	 * A queue pair the guest takes after new_device starts once both its
	 * vrings are enabled; one it gives up stops (rte_vhost moves nothing
	 * on a disabled vring, so no worker needs waiting for). Queue pair 0
	 * stops with the device (destroy_device).
	 */
	if (__atomic_load_n(&vm->vid, __ATOMIC_ACQUIRE) == vid) {
		if (enable && qp_used(vm, q))
			qp_start(vm, q, vid);
		else if (!enable && q != 0)
			__atomic_store_n(&vm->qps[q].active, false, __ATOMIC_RELEASE);
	}
	return 0;
}

const struct rte_vhost_device_ops vm_vhost_ops = {
	.new_device = cb_new_device,
	.destroy_device = cb_destroy_device,
	.vring_state_changed = cb_vring_state_changed,
	.new_connection = cb_new_connection,
	.destroy_connection = cb_destroy_connection,
};

/* ---- the port ---- */

static void
port_destroy_paused(struct vm *vm)
{
	uint16_t q;

	for (q = 0; q < vm->conf.queues; q++) {
		if (vm->qps[q].file != NULL)
			rte_pmd_macvtap_file_close(vm->qps[q].file);
		vm->qps[q].file = NULL;
	}
	rte_eth_dev_stop(vm->port_id);
	rte_eth_dev_close(vm->port_id);
	rte_vdev_uninit(vm->port_name);
}

static int
port_create_paused(struct vm *vm, char *err, size_t err_len)
{
	const struct vm_conf *c = &vm->conf;
	struct rte_eth_conf econf = { 0 };
	char args[256], mac[RTE_ETHER_ADDR_FMT_SIZE];
	uint16_t q;
	int ret;

	snprintf(vm->port_name, sizeof(vm->port_name), "net_macvtap%u", mvh.next_port++);
	rte_ether_format_addr(mac, sizeof(mac), &c->mac);
	snprintf(args, sizeof(args), "iface=%s,mac=%s,mode=%s,spoofchk=1",
		 mvh.lower_names[c->lower], mac, c->mode);
	ret = rte_vdev_init(vm->port_name, args);
	if (ret != 0) {
		snprintf(err, err_len, "creating %s,%s failed: %s", vm->port_name, args,
			 rte_strerror(-ret));
		return ret < 0 ? ret : -EINVAL;
	}
	ret = rte_eth_dev_get_port_by_name(vm->port_name, &vm->port_id);
	if (ret != 0) {
		snprintf(err, err_len, "%s: no such port after probing", vm->port_name);
		rte_vdev_uninit(vm->port_name);
		return -ENODEV;
	}
	ret = rte_eth_dev_configure(vm->port_id, c->queues, c->queues, &econf);
	for (q = 0; ret == 0 && q < c->queues; q++) {
		ret = rte_eth_rx_queue_setup(vm->port_id, q, MVH_RING_SIZE, rte_socket_id(), NULL,
					     mvh.pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(vm->port_id, q, MVH_RING_SIZE, rte_socket_id(),
						     NULL);
	}
	if (ret == 0)
		ret = rte_eth_dev_start(vm->port_id);
	if (ret == 0)
		ret = rte_eth_dev_get_mtu(vm->port_id, &vm->mtu);
	if (ret != 0) {
		snprintf(err, err_len, "%s: configuring and starting failed: %s%s", vm->port_name,
			 rte_strerror(-ret), ret == -EADDRINUSE ? " (the MAC is in use on the lower)" : "");
		rte_vdev_uninit(vm->port_name);
		return ret;
	}
	for (q = 0; q < c->queues; q++) {
		ret = rte_pmd_macvtap_file_open(vm->port_id, &vm->qps[q].file);
		if (ret == 0 && rte_pmd_macvtap_file_queue(vm->qps[q].file) != q)
			ret = -EBUSY;   /* another consumer holds a queue: not ours to share */
		vm->qps[q].attached = ret == 0;
		if (ret != 0) {
			snprintf(err, err_len, "%s: opening tap file %u failed: %s", vm->port_name, q,
				 rte_strerror(-ret));
			port_destroy_paused(vm);
			return ret;
		}
	}
	return 0;
}

/* The port changes with the workers out of the driver (see workers_pause()). */
static int
port_create(struct vm *vm, char *err, size_t err_len)
{
	int ret;

	workers_pause();
	ret = port_create_paused(vm, err, err_len);
	workers_resume();
	return ret;
}

static void
port_destroy(struct vm *vm)
{
	workers_pause();
	port_destroy_paused(vm);
	workers_resume();
}

/* ---- the socket ---- */

/* A socket file nobody listens on (a backend that died): remove it, as QEMU does. */
static void
unlink_stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return;
	strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno == ECONNREFUSED) {
		MVH_LOG(INFO, "removing stale socket %s\n", path);
		unlink(path);
	}
	close(fd);
}

static uint64_t
withheld_features(const struct vm_conf *c)
{
	/* Never offered: what this backend does not complete for the guest. */
	uint64_t off = (1ULL << VIRTIO_NET_F_HOST_UFO) | (1ULL << VIRTIO_NET_F_HOST_ECN) |
		       (1ULL << VIRTIO_NET_F_GSO) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
		       (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
		       (1ULL << VIRTIO_NET_F_GUEST_UFO) | (1ULL << VIRTIO_NET_F_GUEST_ECN);

	if (!c->tso)
		off |= (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6);
	if (!c->csum)
		off |= 1ULL << VIRTIO_NET_F_CSUM;
	if (!c->mrg_rxbuf)
		off |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	if (c->queues == 1)
		off |= 1ULL << VIRTIO_NET_F_MQ;
	return off;
}

static int
socket_register(struct vm *vm, char *err, size_t err_len)
{
	const struct vm_conf *c = &vm->conf;
	uint64_t flags = RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS;
	mode_t old_umask = 0;
	int ret;

	if (!c->server)
		flags |= RTE_VHOST_USER_CLIENT;
	if (mvh.conf.stats_vring)
		flags |= RTE_VHOST_USER_NET_STATS_ENABLE;
	if (c->server)
		unlink_stale_socket(c->socket);
	if (rte_vhost_driver_register(c->socket, flags) != 0) {
		snprintf(err, err_len, "%s: rte_vhost_driver_register failed", c->socket);
		return -EINVAL;
	}
	vm->registered = true;
	if (rte_vhost_driver_disable_features(c->socket, withheld_features(c)) != 0 ||
	    rte_vhost_driver_callback_register(c->socket, &vm_vhost_ops) != 0) {
		snprintf(err, err_len, "%s: setting up the vhost-user socket failed", c->socket);
		return -EINVAL;
	}
	/* A server's socket never exists with looser permissions than asked. */
	if (c->server)
		old_umask = umask(0177);
	ret = rte_vhost_driver_start(c->socket);
	if (c->server)
		umask(old_umask);
	if (ret != 0) {
		snprintf(err, err_len, "%s: starting the vhost-user socket failed", c->socket);
		return -EINVAL;
	}
	if (c->server) {
		if (c->perm >= 0 && chmod(c->socket, (mode_t)c->perm) != 0) {
			snprintf(err, err_len, "%s: chmod %o: %s", c->socket, c->perm, strerror(errno));
			return -errno;
		}
		if ((c->uid != (uid_t)-1 || c->gid != (gid_t)-1) &&
		    chown(c->socket, c->uid, c->gid) != 0) {
			snprintf(err, err_len, "%s: chown: %s", c->socket, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* ---- add and remove ---- */

static void
vm_forget_vids(const struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < RTE_MAX_VHOST_DEVICE; i++)
		if (__atomic_load_n(&vid_vm[i], __ATOMIC_ACQUIRE) == vm)
			__atomic_store_n(&vid_vm[i], NULL, __ATOMIC_RELEASE);
}

/* Undo what vm_add did, in reverse; the VM is in the table as VM_REMOVING. */
static void
vm_teardown(struct vm *vm, int slot, bool attached)
{
	uint16_t q;

	if (vm->registered) {
		/* Disconnects the guest: destroy_device runs, and ends its queue pairs. */
		rte_vhost_driver_unregister(vm->conf.socket);
		vm->registered = false;
	}
	if (attached)
		for (q = 0; q < vm->conf.queues; q++)
			worker_detach(&vm->qps[q]);
	vm_forget_vids(vm);
	pthread_mutex_lock(&mvh.vm_lock);
	if (slot >= 0)
		mvh.vms[slot] = NULL;
	pthread_mutex_unlock(&mvh.vm_lock);
	port_destroy(vm);
	rte_free(vm);
}

int
vm_add(const struct vm_conf *conf, char *err, size_t err_len)
{
	struct vm *vm;
	int slot = -1, ret;
	unsigned int i;
	uint16_t q;

	if (conf->lower >= mvh.conf.nb_lowers) {
		snprintf(err, err_len, "%s: lower=%u: there are %u lowers", conf->name, conf->lower,
			 mvh.conf.nb_lowers);
		return -EINVAL;
	}
	for (i = 0; i < conf->nb_lcores; i++) {
		if (!worker_lcore_ok(conf->lcores[i])) {
			snprintf(err, err_len, "%s: lcore %u is not a worker lcore", conf->name,
				 conf->lcores[i]);
			return -EINVAL;
		}
	}
	vm = rte_zmalloc("mvh_vm", sizeof(*vm), RTE_CACHE_LINE_SIZE);
	if (vm == NULL) {
		snprintf(err, err_len, "no memory");
		return -ENOMEM;
	}
	vm->conf = *conf;
	vm->vid = -1;
	vm->state = VM_REMOVING;        /* invisible to the callbacks until it is whole */
	for (q = 0; q < conf->queues; q++) {
		vm->qps[q].vm = vm;
		vm->qps[q].index = q;
		vm->qps[q].vid = -1;
		vm->qps[q].lcore = conf->nb_lcores != 0 ? conf->lcores[q % conf->nb_lcores] :
				   worker_pick_lcore();
	}
	pthread_mutex_lock(&mvh.vm_lock);
	if (vm_by_name_locked(conf->name) != NULL) {
		snprintf(err, err_len, "%s: a VM has that name", conf->name);
		ret = -EEXIST;
	} else if (vm_by_socket_locked(conf->socket) != NULL) {
		snprintf(err, err_len, "%s: socket %s is another VM's", conf->name, conf->socket);
		ret = -EEXIST;
	} else {
		ret = -ENOSPC;
		snprintf(err, err_len, "%s: at most %d VMs", conf->name, MVH_MAX_VMS);
		for (i = 0; i < MVH_MAX_VMS; i++) {
			if (mvh.vms[i] == NULL) {
				mvh.vms[i] = vm;
				slot = (int)i;
				ret = 0;
				break;
			}
		}
	}
	pthread_mutex_unlock(&mvh.vm_lock);
	if (ret != 0) {
		rte_free(vm);
		return ret;
	}
	ret = port_create(vm, err, err_len);
	if (ret != 0) {
		pthread_mutex_lock(&mvh.vm_lock);
		mvh.vms[slot] = NULL;
		pthread_mutex_unlock(&mvh.vm_lock);
		rte_free(vm);
		return ret;
	}
	for (q = 0; q < conf->queues; q++) {
		ret = worker_attach(&vm->qps[q]);
		if (ret != 0) {
			snprintf(err, err_len, "%s: no memory for the worker lists", conf->name);
			while (q-- > 0)
				worker_detach(&vm->qps[q]);
			vm_teardown(vm, slot, false);
			return ret;
		}
	}
	pthread_mutex_lock(&mvh.vm_lock);
	vm->state = VM_WAITING;
	/* No guest uses a queue pair but the first yet. */
	__atomic_store_n(&vm->queues_changed, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mvh.vm_lock);
	ret = socket_register(vm, err, err_len);
	if (ret != 0) {
		pthread_mutex_lock(&mvh.vm_lock);
		vm->state = VM_REMOVING;
		pthread_mutex_unlock(&mvh.vm_lock);
		vm_teardown(vm, slot, true);
		return ret;
	}
	{
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_ether_format_addr(mac, sizeof(mac), &conf->mac);
		MVH_LOG(INFO, "%s: index %d, port %u (%s), mac %s, mode %s, %u queue pair(s), %s %s%s\n",
			conf->name, slot, vm->port_id, vm->port_name, mac, conf->mode, conf->queues,
			conf->server ? "listening on" : "connecting to", conf->socket,
			conf->trusted ? ", trusted" : "");
		for (q = 0; q < conf->queues; q++)
			MVH_LOG(INFO, "%s: queue %u -> lcore %u\n", conf->name, q, vm->qps[q].lcore);
	}
	return 0;
}

int
vm_remove(const char *name)
{
	struct vm *vm;
	int slot = -1;
	unsigned int i;

	pthread_mutex_lock(&mvh.vm_lock);
	vm = vm_find(name);
	if (vm != NULL && vm->state == VM_REMOVING)
		vm = NULL;      /* being added or removed: not ours to touch */
	if (vm != NULL) {
		vm->state = VM_REMOVING;
		for (i = 0; i < MVH_MAX_VMS; i++)
			if (mvh.vms[i] == vm)
				slot = (int)i;
	}
	pthread_mutex_unlock(&mvh.vm_lock);
	if (vm == NULL)
		return -ENOENT;
	MVH_LOG(INFO, "%s: removing\n", vm->conf.name);
	vm_teardown(vm, slot, true);
	return 0;
}

void
vm_remove_all(void)
{
	char name[MVH_NAME_LEN];
	unsigned int i;

	for (i = 0; i < MVH_MAX_VMS; i++) {
		name[0] = '\0';
		pthread_mutex_lock(&mvh.vm_lock);
		if (mvh.vms[i] != NULL)
			strlcpy(name, mvh.vms[i]->conf.name, sizeof(name));
		pthread_mutex_unlock(&mvh.vm_lock);
		if (name[0] != '\0')
			vm_remove(name);
	}
}

/* ---- queue pairs the guest uses, from the control side ---- */

void
vm_queues_poll(void)
{
	struct qp *change[MVH_MAX_VMS * MVH_MAX_QUEUES];
	unsigned int i, n = 0;
	uint16_t q;

	/* Only this lcore adds and removes VMs: the table holds still here. */
	pthread_mutex_lock(&mvh.vm_lock);
	for (i = 0; i < MVH_MAX_VMS; i++) {
		struct vm *vm = mvh.vms[i];

		if (vm == NULL || vm->state == VM_REMOVING ||
		    !__atomic_exchange_n(&vm->queues_changed, 0, __ATOMIC_ACQ_REL))
			continue;
		for (q = 1; q < vm->conf.queues; q++)
			if (vm->qps[q].file != NULL && vm->qps[q].attached != qp_used(vm, q))
				change[n++] = &vm->qps[q];
	}
	pthread_mutex_unlock(&mvh.vm_lock);
	if (n == 0)
		return;
	/* A TUNSETQUEUE republishes the port's receive table: see workers_pause(). */
	workers_pause();
	for (i = 0; i < n; i++) {
		struct qp *qp = change[i];
		struct ifreq ifr = { .ifr_flags = qp->attached ? IFF_DETACH_QUEUE : IFF_ATTACH_QUEUE };
		int ret = rte_pmd_macvtap_file_ioctl(qp->file, TUNSETQUEUE, &ifr);

		if (ret == 0) {
			__atomic_store_n(&qp->attached, !qp->attached, __ATOMIC_RELAXED);
			MVH_LOG(INFO, "%s: queue %u %s\n", qp->vm->conf.name, qp->index,
				qp->attached ? "attached: the guest uses it" :
				"detached: the guest does not use it");
		} else {
			/* No memory for the port's new table: tried again at the next vring change. */
			MVH_LOG(WARNING, "%s: queue %u stays %s: TUNSETQUEUE failed: %s\n",
				qp->vm->conf.name, qp->index, qp->attached ? "attached" : "detached",
				rte_strerror(-ret));
		}
	}
	workers_resume();
}

/* ---- guest receive filters, from the control side ---- */

int
vm_set_mac(const char *name, const struct rte_ether_addr *mac)
{
	struct vm *vm;
	uint16_t port;
	int ret;

	pthread_mutex_lock(&mvh.vm_lock);
	vm = vm_find(name);
	if (vm == NULL || vm->state == VM_REMOVING) {
		pthread_mutex_unlock(&mvh.vm_lock);
		return -ENOENT;
	}
	if (!vm->conf.trusted) {
		vm->filter_refused++;
		pthread_mutex_unlock(&mvh.vm_lock);
		return -EPERM;
	}
	port = vm->port_id;
	pthread_mutex_unlock(&mvh.vm_lock);
	/* Only the control side (this thread) removes VMs: the port stays. */
	workers_pause();
	ret = rte_eth_dev_default_mac_addr_set(port, (struct rte_ether_addr *)(uintptr_t)mac);
	workers_resume();
	if (ret == 0) {
		pthread_mutex_lock(&mvh.vm_lock);
		vm->conf.mac = *mac;
		pthread_mutex_unlock(&mvh.vm_lock);
	}
	return ret;
}

int
vm_set_rx_filter(const char *name, const struct rte_ether_addr *mc, uint32_t nb_mc, int allmulti,
		 int promisc)
{
	struct vm *vm;
	uint16_t port;
	int ret = 0;

	pthread_mutex_lock(&mvh.vm_lock);
	vm = vm_find(name);
	if (vm == NULL || vm->state == VM_REMOVING) {
		pthread_mutex_unlock(&mvh.vm_lock);
		return -ENOENT;
	}
	if (promisc == 1 && !vm->conf.trusted) {
		vm->filter_refused++;
		pthread_mutex_unlock(&mvh.vm_lock);
		return -EPERM;
	}
	port = vm->port_id;
	pthread_mutex_unlock(&mvh.vm_lock);
	workers_pause();
	if (mc != NULL)
		ret = rte_eth_dev_set_mc_addr_list(port, (struct rte_ether_addr *)(uintptr_t)mc,
						   nb_mc);
	if (ret == 0 && allmulti >= 0)
		ret = allmulti ? rte_eth_allmulticast_enable(port) : rte_eth_allmulticast_disable(port);
	if (ret == 0 && promisc >= 0)
		ret = promisc ? rte_eth_promiscuous_enable(port) : rte_eth_promiscuous_disable(port);
	workers_resume();
	return ret;
}

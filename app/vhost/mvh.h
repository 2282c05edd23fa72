/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * dpdk-macvtap-vhost: VMs on net_macvtap ports over vhost-user. What the
 * files share: a VM's configuration (config.c parses it), its state and
 * counters (vm.c owns them), the worker lcores (worker.c) and the guest
 * transmit path's frame checks (offload.c).
 */

#ifndef MVH_H
#define MVH_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "rte_pmd_macvtap.h"

#define MVH_NAME_LEN 32
#define MVH_PATH_LEN 108            /* sun_path */
#define MVH_MAX_VMS 30              /* Debian's RTE_MAX_ETHPORTS (32) less room for lowers */
#define MVH_MAX_QUEUES 8            /* queue pairs per VM */
#define MVH_MAX_LOWERS 2
#define MVH_BURST 32
#define MVH_DEFAULT_BUDGET 256      /* frames per direction per queue pair per turn */
#define MVH_RING_SIZE 1024          /* the port's queue rings */
#define MVH_MAX_TSO_SEGS 160        /* a TSO frame with more segments is refused */

#define MVH_LOG(level, ...) \
	RTE_LOG(level, USER1, "mvh: " __VA_ARGS__)

/* ---- configuration (config.c) ---- */

/* One VM as --vm, a config file line or the add command give it. */
struct vm_conf {
	char name[MVH_NAME_LEN];
	struct rte_ether_addr mac;
	char socket[MVH_PATH_LEN];
	char mode[16];                  /* a net_macvtap mode= value */
	uint16_t queues;
	bool server;                    /* we listen; QEMU (or virtio_user) connects */
	bool trusted;                   /* may change its MAC and go promiscuous */
	uint16_t lower;                 /* index into the lowers */
	int perm;                       /* socket permissions (server), -1: umask's */
	uid_t uid;                      /* socket owner (server), (uid_t)-1: ours */
	gid_t gid;
	uint32_t budget;                /* frames per direction per queue per turn */
	uint16_t nb_lcores;             /* queue q runs on lcores[q % nb_lcores]; 0: any */
	uint16_t lcores[MVH_MAX_QUEUES];
	bool tso;                       /* offer TSO to the guest */
	bool csum;                      /* offer checksum offload to the guest */
	bool mrg_rxbuf;                 /* offer mergeable receive buffers */
};

struct app_conf {
	char lowers[MVH_MAX_LOWERS][256];   /* devargs as rte_dev_probe takes them */
	uint16_t nb_lowers;
	struct vm_conf vms[MVH_MAX_VMS];
	uint16_t nb_vms;
	uint32_t mbufs;                     /* the shared pool's size */
	bool stats_vring;                   /* RTE_VHOST_USER_NET_STATS_ENABLE */
};

/*
 * Parse "key=value,..." into a VM; unset keys get defaults. vm_index names
 * the VM "vm<index>" when no name= is given. On failure, err says why.
 */
int conf_parse_vm(const char *spec, uint16_t vm_index, struct vm_conf *vm,
		  char *err, size_t err_len);
/* Parse the program's own options (after EAL's); 0, or -1 after printing why. */
int conf_parse_args(int argc, char **argv, struct app_conf *conf);
/* A config file: "lower <devargs>" and "vm <spec>" lines, '#' comments. */
int conf_load_file(const char *path, struct app_conf *conf);

/* ---- VM state and counters (vm.c) ---- */

/* What the datapath counts; each queue pair's own, written by one worker. */
struct qp_stats {
	/* port -> guest (the guest's receive virtqueue) */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_guest_full;         /* the virtqueue took fewer than offered */
	uint64_t rx_no_guest;           /* drained while no guest was running */
	/* guest -> port (the guest's transmit virtqueue) */
	uint64_t tx_frames, tx_bytes;   /* frames handed to the port (after TSO) */
	uint64_t tx_guest_frames;       /* frames dequeued from the guest */
	uint64_t tx_port_refused;       /* the port's tx burst did not take them */
	uint64_t tx_runt;               /* shorter than an Ethernet header */
	uint64_t tx_oversize;           /* longer than the MTU allows, no TSO */
	uint64_t tx_malformed;          /* headers a checksum or TSO cannot use */
	uint64_t tx_offload_refused;    /* an offload that is not offered (UFO, SCTP) */
	uint64_t tx_nombuf;             /* no mbuf for a TSO segment */
	uint64_t tx_csum_done;          /* checksums completed here */
	uint64_t tx_tso_frames, tx_tso_segments;
	uint64_t turns, busy_turns;     /* polls, and polls that moved a frame */
};

struct vm;

/* One queue pair: the port's tap file q and the guest's virtqueues 2q, 2q+1. */
struct qp {
	struct vm *vm;
	uint16_t index;
	unsigned int lcore;
	struct rte_pmd_macvtap_file *file;
	int vid;                        /* valid while active */
	bool active;                    /* the guest runs: atomic, release on set */
	bool attached;                  /* its tap file takes frames (TUNSETQUEUE); main lcore */
	struct qp_stats stats;
} __rte_cache_aligned;

enum vm_state {
	VM_WAITING,                     /* registered, no guest running */
	VM_RUNNING,                     /* new_device came */
	VM_REMOVING,
};

struct vm {
	struct vm_conf conf;
	uint16_t port_id;
	uint16_t mtu;
	char port_name[RTE_ETH_NAME_MAX_LEN];
	enum vm_state state;            /* under vm_lock */
	int vid;                        /* -1 when no guest runs */
	bool registered;                /* the vhost-user socket is */
	uint64_t features;              /* negotiated, at the last new_device */
	uint64_t connections, new_devices, destroys;
	uint64_t unserved_vrings;       /* the guest enabled a queue nobody serves */
	uint64_t filter_refused;        /* MAC or promiscuous asked of an untrusted VM */
	uint64_t vring_enabled[4];      /* bit per vring, atomics */
	uint32_t queues_changed;        /* vrings enabled or disabled since the last look: atomic */
	struct qp qps[MVH_MAX_QUEUES];
};

/* The program-wide state the files share. */
struct mvh {
	struct app_conf conf;
	uint16_t lower_ports[MVH_MAX_LOWERS];
	char lower_names[MVH_MAX_LOWERS][RTE_ETH_NAME_MAX_LEN];
	struct rte_mempool *pool;
	pthread_mutex_t vm_lock;        /* the VM table, states, counters' readers */
	struct vm *vms[MVH_MAX_VMS];
	uint32_t next_port;             /* net_macvtap<N> names are never reused */
};

extern struct mvh mvh;

/* Create a VM: its port, files and socket. 0 or -errno; err says why. */
int vm_add(const struct vm_conf *conf, char *err, size_t err_len);
/* Remove a VM by name; 0 or -ENOENT. Other VMs go on. */
int vm_remove(const char *name);
/* Remove every VM (shutdown). */
void vm_remove_all(void);
/* The VM of that name or index (decimal), NULL if none; under vm_lock. */
struct vm *vm_find(const char *name_or_index);
/* Change a trusted VM's MAC; -EPERM for an untrusted one. Under no lock. */
int vm_set_mac(const char *name, const struct rte_ether_addr *mac);
/* Guest receive filters: multicast list, allmulti, promisc (trusted only). */
int vm_set_rx_filter(const char *name, const struct rte_ether_addr *mc, uint32_t nb_mc,
		     int allmulti, int promisc);
/*
 * Attach the tap file of each queue pair the guest uses (both its vrings
 * enabled; queue pair 0 always) and detach the others' (TUNSETQUEUE), as
 * QEMU does with a kernel tap's queues, so that the driver spreads a VM's
 * frames over the queue pairs its guest reads only. The callbacks flag the
 * VMs whose vrings changed; this does the rest, with the workers held out of
 * the driver. Main lcore only.
 */
void vm_queues_poll(void);
/* rte_vhost callbacks, one table for every socket. */
extern const struct rte_vhost_device_ops vm_vhost_ops;

/* ---- workers (worker.c) ---- */

int workers_init(void);
/* Add or take away a queue pair from its lcore's list; waits until no worker still polls it. */
int worker_attach(struct qp *qp);
void worker_detach(struct qp *qp);
/* Wait until every worker has finished the turn it was in. */
void workers_sync(void);
/*
 * Hold every worker out of the driver (they keep reporting quiescent) until
 * workers_resume(), around the port changes that republish the driver's
 * receive table. A workaround: net_macvtap's tap file rx burst reads that
 * table outside the lock its table updates wait on (macvtap_poll_limit in
 * macvlan_rx.c), so a port started or stopped while another port's file is
 * read can make that read use freed memory. Main lcore only.
 */
void workers_pause(void);
void workers_resume(void);
/* The least loaded worker lcore, for a queue with no lcore configured. */
unsigned int worker_pick_lcore(void);
bool worker_lcore_ok(unsigned int lcore);
void workers_stop(void);
/* The lcore's number of queue pairs. */
unsigned int worker_load(unsigned int lcore);

/* ---- the guest transmit path's frame checks (offload.c) ---- */

/*
 * Make a frame the guest sent fit for the wire: drop what is malformed,
 * complete partial checksums, segment TSO frames. The frames to send go to
 * out (at most room; a TSO frame's segments replace it); returns how many,
 * having freed and counted what it dropped.
 */
uint16_t offload_prepare(struct rte_mbuf *m, struct rte_mbuf **out, uint16_t room,
			 uint16_t mtu, struct rte_mempool *pool, struct qp_stats *st);

/* ---- telemetry and control (telemetry.c) ---- */

int telemetry_init(void);
/* Run the control requests that wait (on the main lcore); false when none. */
bool control_poll(void);
/* Answer the waiting requests with -ESHUTDOWN. */
void control_shutdown(void);

#endif /* MVH_H */

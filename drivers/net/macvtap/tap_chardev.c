/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * The devarg chardev=: a port's queues served to another process, through a
 * thread of the driver's own that moves frames between a tap file of the
 * port (tap_file.c) and
 *   stream:<path>     a unix stream socket, QEMU's -netdev stream framing
 *                     (a 4-byte big-endian length, then the frame);
 *   dgram:<path>      a unix datagram socket, one datagram per frame (QEMU's
 *                     -netdev dgram); the peer is the first address that sends;
 *   seqpacket:<path>  a unix seqpacket socket: each connection is one open
 *                     /dev/tapN (virtio-net header + frame per message, the
 *                     ioctls as control messages: rte_pmd_macvtap_client.h);
 *   tap:<ifname>      a kernel TAP interface whose file a consumer holds (QEMU
 *                     -netdev tap,fd=, libvirt type='ethernet'): the driver is
 *                     its interface side, through a packet socket;
 *   host:<ifname>     a kernel TAP interface whose file the driver holds: the
 *                     interface is the host stack's own place on the lower.
 * The kernel has none of these: its tap file is a character device. Each
 * endpoint has one consumer at a time (seqpacket: one per queue); what a
 * peer sends is bounded by the framing and by the port's own write checks.
 *
 * The thread polls the lower through its reads (as an rx burst does) every
 * millisecond while nothing wakes it, or sleeps on the queue's eventfd while
 * the dispatcher service runs on a service core.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_service.h>
#include <ethdev_driver.h>

#include "macvtap.h"
#include "macvtap_client.h"

#define CHARDEV_MAX_FRAME 69632      /* QEMU's largest stream frame */
#define CHARDEV_SEND_BUF (1 << 20)   /* stream: frames batched into one send */
#define CHARDEV_BUDGET 256           /* frames each way per turn: no side starves the other */
#define CHARDEV_POLL_MS 1            /* the lower's poll period with no service core */
#define CHARDEV_IDLE_MS 100          /* sleep while the dispatcher service wakes us */
#define CHARDEV_MAX_CONNS 64         /* seqpacket connections (each holds a queue) */
#define CHARDEV_VNET_HDR_LEN 10      /* tap and host: the header in front of each frame */
/* tap and host: the kernel takes (and finishes where it must) what these say. */
#define CHARDEV_TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

#define CHARDEV_SEQ_BATCH 32         /* messages per sendmmsg() */

/* A seqpacket connection: one open tap file. */
struct chardev_conn {
	int fd;
	int efd;                     /* its file's eventfd (the same for the file's life) */
	struct rte_pmd_macvtap_file *file;
	uint8_t *buf;                /* a message from the peer (CHARDEV_MAX_MSG bytes) */
	uint8_t *out;                /* messages to the peer, one per CHARDEV_MAX_MSG slot */
	unsigned int pending;        /* messages in out, not sent yet */
	unsigned int batch;          /* frames per message (MACVTAP_CTL_SETBATCH), 1 by default */
	uint32_t out_len[CHARDEV_SEQ_BATCH];
	uint8_t out_frames[CHARDEV_SEQ_BATCH]; /* frames in each message */
};

#define CHARDEV_MAX_MSG (CHARDEV_MAX_FRAME + 256)  /* a frame behind a header */
/* A slot of out: a message, or a batch of frames filled up to CHARDEV_MAX_MSG and one more. */
#define CHARDEV_SLOT (2 * CHARDEV_MAX_MSG + 8)

struct macvtap_chardev {
	struct macvtap_dev *dev;
	uint16_t port_id;
	char name[RTE_ETH_NAME_MAX_LEN];
	struct macvtap_chardev_args a;
	int sock;                    /* listening, bound, packet socket or TAP file */
	int peer;                    /* stream: the connected peer, or -1 */
	struct sockaddr_un dgram_peer;
	socklen_t dgram_peer_len;    /* 0: no dgram peer yet */
	struct rte_pmd_macvtap_file *file; /* all kinds but seqpacket */
	int file_efd;                /* its eventfd, or -1 */
	bool file_failed_logged;
	int wake;                    /* eventfd: stop, or look again */
	volatile bool stop;
	bool running;
	bool busy;                   /* the last turn moved frames: no sleep before the next */
	pthread_t thread;
	pthread_mutex_t io_lock;     /* held by the thread while it moves frames */
	uint32_t nb_conns;
	struct chardev_conn conns[CHARDEV_MAX_CONNS];
	size_t rlen;                 /* stream: bytes of a partial frame in rbuf */
	size_t slen, soff;           /* stream: bytes in sbuf, bytes of them sent */
	uint8_t *rbuf, *sbuf, *frame;
	struct macvtap_chardev_stats stats;
};

static inline void
count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* ---- making and removing the socket or interface ---- */

static int
chardev_socket_type(uint8_t kind)
{
	return kind == MACVTAP_CHARDEV_STREAM ? SOCK_STREAM :
	       kind == MACVTAP_CHARDEV_DGRAM ? SOCK_DGRAM : SOCK_SEQPACKET;
}

/* A path already there: a socket nobody serves is stale and goes; anything else stays. */
static int
chardev_path_free(struct macvtap_chardev *c, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(sa->sun_path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		MACVTAP_LOG(ERR, "%s: chardev: %s exists and is not a socket", c->name,
			    sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, chardev_socket_type(c->a.kind) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (ret == 0 || errno == EPROTOTYPE) {
		MACVTAP_LOG(ERR, "%s: chardev: %s is in use by another process", c->name,
			    sa->sun_path);
		return -EADDRINUSE;
	}
	MACVTAP_LOG(INFO, "%s: chardev: %s was left by a process that is gone: replaced",
		    c->name, sa->sun_path);
	return unlink(sa->sun_path) == 0 ? 0 : -errno;
}

static int
chardev_socket_create(struct macvtap_chardev *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t mode = c->a.mode_set ? c->a.mode : 0600;
	int fd, ret;

	strlcpy(sa.sun_path, c->a.where, sizeof(sa.sun_path));
	ret = chardev_path_free(c, &sa);
	if (ret != 0)
		return ret;
	fd = socket(AF_UNIX, chardev_socket_type(c->a.kind) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Owner-only from the start: bind takes the socket inode's mode. */
	if (fchmod(fd, 0600) != 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		ret = -errno;
		MACVTAP_LOG(ERR, "%s: chardev: cannot bind %s: %s", c->name, c->a.where,
			    strerror(-ret));
		close(fd);
		return ret;
	}
	if ((c->a.owner_set || c->a.group_set) &&
	    chown(c->a.where, c->a.owner_set ? c->a.owner : (uid_t)-1,
		  c->a.group_set ? c->a.group : (gid_t)-1) != 0) {
		ret = -errno;
		MACVTAP_LOG(ERR, "%s: chardev: cannot give %s to %d:%d: %s", c->name, c->a.where,
			    c->a.owner_set ? (int)c->a.owner : -1,
			    c->a.group_set ? (int)c->a.group : -1, strerror(-ret));
		goto fail;
	}
	if (chmod(c->a.where, mode) != 0 ||
	    (c->a.kind != MACVTAP_CHARDEV_DGRAM && listen(fd, 4) != 0)) {
		ret = -errno;
		MACVTAP_LOG(ERR, "%s: chardev: %s: %s", c->name, c->a.where, strerror(-ret));
		goto fail;
	}
	c->sock = fd;
	return 0;
fail:
	close(fd);
	unlink(c->a.where);
	return ret;
}

static int
tun_open(struct macvtap_chardev *c, struct ifreq *ifr, short extra_flags)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int ret;

	if (fd < 0) {
		ret = -errno;
		MACVTAP_LOG(ERR, "%s: chardev: cannot open /dev/net/tun: %s", c->name,
			    strerror(-ret));
		return ret;
	}
	memset(ifr, 0, sizeof(*ifr));
	strlcpy(ifr->ifr_name, c->a.where, sizeof(ifr->ifr_name));
	ifr->ifr_flags = IFF_TAP | IFF_NO_PI | extra_flags;
	if (ioctl(fd, TUNSETIFF, ifr) != 0) {
		ret = -errno;
		MACVTAP_LOG(ERR, "%s: chardev: TAP interface %s: %s", c->name, c->a.where,
			    ret == -EBUSY ? "it exists and its file is held by another process" :
			    ret == -EINVAL ? "an interface of another kind has that name" :
			    strerror(-ret));
		close(fd);
		return ret;
	}
	if ((c->a.owner_set && ioctl(fd, TUNSETOWNER, (unsigned long)c->a.owner) != 0) ||
	    (c->a.group_set && ioctl(fd, TUNSETGROUP, (unsigned long)c->a.group) != 0)) {
		ret = -errno;
		MACVTAP_LOG(ERR, "%s: chardev: TAP interface %s: cannot set its owner: %s",
			    c->name, c->a.where, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

/* An interface's flags or MAC, through a socket as ip(8) does. */
static int
if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int
if_set_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int ret;

	strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ret = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (ret != 0)
		return ret;
	ifr.ifr_flags |= IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

/* The interface is a port of the driver, not of the host: no IPv6 of its own. */
static void
if_no_ipv6(const char *ifname)
{
	char path[sizeof("/proc/sys/net/ipv6/conf//disable_ipv6") + MACVTAP_CHARDEV_WHERE_LEN];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	f = fopen(path, "we");
	if (f == NULL)
		return;
	fputs("1", f);
	fclose(f);
}

/* Remove an interface by index (RTM_DELLINK): a persistent TAP whose file another holds. */
static void
if_delete(const char *ifname)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req;
	unsigned int ifindex = if_nametoindex(ifname);
	int fd;

	if (ifindex == 0)
		return;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_DELLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)ifindex;
	if (send(fd, &req, sizeof(req), 0) == (ssize_t)sizeof(req)) {
		char ack[256];

		/* The answer tells nothing we could act on; wait for it so the name is free. */
		if (recv(fd, ack, sizeof(ack), 0) < 0)
			MACVTAP_LOG(DEBUG, "%s: no answer to its removal", ifname);
	}
	close(fd);
}

/* Whether a packet socket (of any process in this namespace) is bound to the interface. */
static bool
if_has_packet_socket(unsigned int ifindex)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/net/packet", "re");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *save = NULL, *tok = strtok_r(line, " \t", &save);
		char *end;
		int col;

		/* sk RefCnt Type Proto Iface ...: the fifth column; the header's is not a number. */
		for (col = 0; tok != NULL && col < 4; col++)
			tok = strtok_r(NULL, " \t", &save);
		if (tok != NULL)
			found = strtoul(tok, &end, 10) == ifindex && end != tok && *end == '\0';
	}
	fclose(f);
	return found;
}

/* tap: the TAP is left persistent for its consumer; the driver serves its interface side. */
static int
chardev_tap_create(struct macvtap_chardev *c)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned int ifindex = if_nametoindex(c->a.where);
	struct ifreq ifr;
	int fd, one = 1, ret;

	/* One left by a process that died is taken over; one that is served is not. */
	if (ifindex != 0 && if_has_packet_socket(ifindex)) {
		MACVTAP_LOG(ERR, "%s: chardev: TAP interface %s is served already (a packet "
			    "socket is bound to it: another endpoint, or a capture)", c->name,
			    c->a.where);
		return -EADDRINUSE;
	}
	fd = tun_open(c, &ifr, 0);
	if (fd < 0)
		return fd;
	ret = ioctl(fd, TUNSETPERSIST, 1UL) != 0 ? -errno : 0;
	close(fd);
	if (ret != 0) {
		MACVTAP_LOG(ERR, "%s: chardev: TAP interface %s: cannot keep it: %s", c->name,
			    c->a.where, strerror(-ret));
		return ret;
	}
	if_no_ipv6(c->a.where);
	ret = if_set_up(c->a.where);
	if (ret != 0) {
		MACVTAP_LOG(ERR, "%s: chardev: cannot set %s up: %s", c->name, c->a.where,
			    strerror(-ret));
		goto fail;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(c->a.where);
	/*
	 * What the driver sends is for the consumer, not for its own reads; a
	 * virtio-net header in front of each frame both ways, so that partial
	 * checksums and large frames of a consumer with offloads are finished
	 * by the port's write (and the kernel finishes what the driver sends).
	 */
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		ret = -errno;
		close(fd);
		MACVTAP_LOG(ERR, "%s: chardev: packet socket on %s: %s", c->name, c->a.where,
			    strerror(-ret));
		goto fail;
	}
	c->sock = fd;
	return 0;
fail:
	if_delete(c->a.where);
	return ret;
}

/* host: the TAP interface takes the port's MAC, as a macvlan interface has its own. */
static int
chardev_host_set_mac(const struct macvtap_chardev *c)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, c->a.where, sizeof(ifr.ifr_name));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, c->dev->mac_addrs[0].addr_bytes, RTE_ETHER_ADDR_LEN);
	return if_ioctl(SIOCSIFHWADDR, &ifr);
}

/* host: the driver holds the TAP's file; the interface carries the port's MAC. */
static int
chardev_host_create(struct macvtap_chardev *c)
{
	struct ifreq ifr;
	int fd, ret;

	/* With a virtio-net header, the host stack may hand over partial checksums and large frames. */
	fd = tun_open(c, &ifr, IFF_VNET_HDR);
	if (fd < 0)
		return fd;
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)CHARDEV_TAP_OFFLOADS) != 0)
		MACVTAP_LOG(WARNING, "%s: chardev: %s: no offloads from the host stack: %s",
			    c->name, c->a.where, strerror(errno));
	ret = chardev_host_set_mac(c);
	if (ret == 0)
		ret = if_set_up(c->a.where);
	if (ret != 0) {
		MACVTAP_LOG(ERR, "%s: chardev: TAP interface %s: %s", c->name, c->a.where,
			    strerror(-ret));
		close(fd);
		return ret;
	}
	c->sock = fd;
	return 0;
}

int
macvtap_chardev_create(struct macvtap_dev *dev, const char *name,
		       const struct macvtap_chardev_args *a)
{
	struct macvtap_chardev *c;
	unsigned int i;
	int ret;

	if (a->kind == MACVTAP_CHARDEV_NONE)
		return 0;
	c = rte_zmalloc("macvtap_chardev", sizeof(*c), 0);
	if (c == NULL)
		return -ENOMEM;
	c->dev = dev;
	c->port_id = dev->port_id;
	strlcpy(c->name, name, sizeof(c->name));
	c->a = *a;
	c->sock = -1;
	c->peer = -1;
	c->file_efd = -1;
	for (i = 0; i < RTE_DIM(c->conns); i++)
		c->conns[i].fd = c->conns[i].efd = -1;
	pthread_mutex_init(&c->io_lock, NULL);
	c->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->rbuf = rte_malloc("macvtap_chardev_rx", 4 + CHARDEV_MAX_FRAME, 0);
	c->sbuf = rte_malloc("macvtap_chardev_tx", CHARDEV_SEND_BUF, 0);
	c->frame = rte_malloc("macvtap_chardev_frame", CHARDEV_MAX_FRAME, 0);
	ret = -ENOMEM;
	if (c->wake < 0 || c->rbuf == NULL || c->sbuf == NULL || c->frame == NULL)
		goto fail;
	switch (a->kind) {
	case MACVTAP_CHARDEV_TAP:
		ret = chardev_tap_create(c);
		break;
	case MACVTAP_CHARDEV_HOST:
		ret = chardev_host_create(c);
		break;
	default:
		ret = chardev_socket_create(c);
		break;
	}
	if (ret != 0)
		goto fail;
	dev->chardev = c;
	return 0;
fail:
	if (c->wake >= 0)
		close(c->wake);
	rte_free(c->rbuf);
	rte_free(c->sbuf);
	rte_free(c->frame);
	rte_free(c);
	return ret;
}

/* ---- the thread ---- */

static void
chardev_log_once(struct macvtap_chardev *c, int ret)
{
	if (c->file_failed_logged)
		return;
	c->file_failed_logged = true;
	MACVTAP_LOG(WARNING, "%s: chardev: no queue for the endpoint: %s", c->name,
		    rte_strerror(-ret));
}

/* A tap file on the port, as the endpoint's consumer wants it. */
static struct rte_pmd_macvtap_file *
chardev_file_open(struct macvtap_chardev *c, bool vnet_hdr)
{
	struct rte_pmd_macvtap_file *f;
	struct ifreq ifr = { 0 };
	int ret;

	ret = rte_pmd_macvtap_file_open(c->port_id, &f);
	if (ret != 0) {
		chardev_log_once(c, ret);
		return NULL;
	}
	c->file_failed_logged = false;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
	rte_pmd_macvtap_file_ioctl(f, TUNSETIFF, &ifr);
	/* A kernel interface behind it takes frames with their offloads left to do. */
	if (c->a.kind == MACVTAP_CHARDEV_TAP || c->a.kind == MACVTAP_CHARDEV_HOST)
		rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD,
					   (void *)(uintptr_t)CHARDEV_TAP_OFFLOADS);
	return f;
}

static void
chardev_stream_close_peer(struct macvtap_chardev *c)
{
	close(c->peer);
	c->peer = -1;
	c->rlen = 0;
	c->slen = 0;
	c->soff = 0;
}

/* stream: one peer; another that comes meanwhile is refused. */
static void
chardev_stream_accept(struct macvtap_chardev *c)
{
	int fd;

	while ((fd = accept4(c->sock, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (c->peer >= 0) {
			close(fd);
			count(&c->stats.peer_refused, 1);
			MACVTAP_LOG(WARNING, "%s: chardev: %s has its peer: another refused",
				    c->name, c->a.where);
			continue;
		}
		c->peer = fd;
		count(&c->stats.peer_connects, 1);
		MACVTAP_LOG(INFO, "%s: chardev: peer connected on %s", c->name, c->a.where);
	}
}

/* stream: the peer's bytes into frames; a frame outside the bounds ends the connection. */
static void
chardev_stream_from_peer(struct macvtap_chardev *c)
{
	unsigned int frames = 0;
	size_t at = 0;
	ssize_t n;

	n = recv(c->peer, c->rbuf + c->rlen, 4 + CHARDEV_MAX_FRAME - c->rlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		MACVTAP_LOG(INFO, "%s: chardev: peer left %s", c->name, c->a.where);
		chardev_stream_close_peer(c);
		return;
	}
	if (n < 0)
		return;
	c->rlen += (size_t)n;
	while (c->rlen - at >= 4) {
		uint32_t len;

		memcpy(&len, c->rbuf + at, sizeof(len));
		len = ntohl(len);
		if (len < RTE_ETHER_HDR_LEN || len > CHARDEV_MAX_FRAME) {
			count(&c->stats.peer_errors, 1);
			MACVTAP_LOG(WARNING, "%s: chardev: peer on %s sent a frame of %u bytes "
				    "(%d to %d): disconnected", c->name, c->a.where, len,
				    RTE_ETHER_HDR_LEN, CHARDEV_MAX_FRAME);
			chardev_stream_close_peer(c);
			return;
		}
		if (c->rlen - at < 4 + (size_t)len)
			break;
		/* The port counts what it refuses (tx_file_dropped). */
		if (rte_pmd_macvtap_file_write(c->file, c->rbuf + at + 4, len) > 0)
			frames++;
		at += 4 + (size_t)len;
	}
	count(&c->stats.from_peer_packets, frames);
	if (at != 0) {
		memmove(c->rbuf, c->rbuf + at, c->rlen - at);
		c->rlen -= at;
	}
}

/* Frames the port received, with no peer to take them: dropped and counted. */
static void
chardev_drain(struct macvtap_chardev *c, struct rte_pmd_macvtap_file *f)
{
	struct rte_mbuf *pkts[MACVTAP_BURST];
	uint16_t n, i;

	n = rte_pmd_macvtap_file_rx_burst(f, pkts, RTE_DIM(pkts));
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	count(&c->stats.no_peer_dropped, n);
}

/* stream: frames batched behind their lengths; what the peer cannot take yet waits. */
static void
chardev_stream_to_peer(struct macvtap_chardev *c)
{
	unsigned int frames = 0;
	ssize_t n;

	if (c->peer < 0) {
		chardev_drain(c, c->file);
		return;
	}
	if (c->soff == c->slen) {
		c->slen = c->soff = 0;
		while (frames < CHARDEV_BUDGET && CHARDEV_SEND_BUF - c->slen >= 4 + CHARDEV_MAX_FRAME) {
			uint32_t len;

			n = rte_pmd_macvtap_file_read(c->file, c->sbuf + c->slen + 4,
						      CHARDEV_MAX_FRAME);
			if (n <= 0)
				break;
			len = htonl((uint32_t)n);
			memcpy(c->sbuf + c->slen, &len, sizeof(len));
			c->slen += 4 + (size_t)n;
			frames++;
		}
		count(&c->stats.to_peer_packets, frames);
	}
	if (c->soff == c->slen)
		return;
	n = send(c->peer, c->sbuf + c->soff, c->slen - c->soff, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0)
		c->soff += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		chardev_stream_close_peer(c);
}

/* dgram: the peer is the first address that sends; others are refused. */
static void
chardev_dgram_from_peer(struct macvtap_chardev *c)
{
	unsigned int frames = 0, i;

	for (i = 0; i < CHARDEV_BUDGET; i++) {
		struct sockaddr_un from;
		socklen_t from_len = sizeof(from);
		ssize_t n;

		n = recvfrom(c->sock, c->frame, CHARDEV_MAX_FRAME, MSG_TRUNC,
			     (struct sockaddr *)&from, &from_len);
		if (n < 0)
			break;
		if (from_len <= offsetof(struct sockaddr_un, sun_path)) {
			/* An unbound sender cannot be answered: not a peer. */
			count(&c->stats.peer_refused, 1);
			continue;
		}
		if (c->dgram_peer_len == 0) {
			c->dgram_peer = from;
			c->dgram_peer_len = from_len;
			count(&c->stats.peer_connects, 1);
			MACVTAP_LOG(INFO, "%s: chardev: dgram peer %s", c->name, from.sun_path);
		} else if (from_len != c->dgram_peer_len ||
			   memcmp(&from, &c->dgram_peer, from_len) != 0) {
			count(&c->stats.peer_refused, 1);
			continue;
		}
		if (n < RTE_ETHER_HDR_LEN || n > CHARDEV_MAX_FRAME) {
			count(&c->stats.peer_errors, 1);
			continue;
		}
		if (rte_pmd_macvtap_file_write(c->file, c->frame, (size_t)n) > 0)
			frames++;
	}
	count(&c->stats.from_peer_packets, frames);
}

/* One frame at a time to a datagram-like consumer (dgram, tap, host). */
static void
chardev_frames_to(struct macvtap_chardev *c)
{
	unsigned int sent = 0, dropped = 0, i;

	if (c->a.kind == MACVTAP_CHARDEV_DGRAM && c->dgram_peer_len == 0) {
		chardev_drain(c, c->file);
		return;
	}
	for (i = 0; i < CHARDEV_BUDGET; i++) {
		ssize_t n = rte_pmd_macvtap_file_read(c->file, c->frame, CHARDEV_MAX_FRAME);

		if (n <= 0)
			break;
		if (c->a.kind == MACVTAP_CHARDEV_DGRAM)
			n = sendto(c->sock, c->frame, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (struct sockaddr *)&c->dgram_peer, c->dgram_peer_len);
		else if (c->a.kind == MACVTAP_CHARDEV_TAP)
			n = send(c->sock, c->frame, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(c->sock, c->frame, (size_t)n);
		if (n >= 0) {
			sent++;
			continue;
		}
		if (c->a.kind == MACVTAP_CHARDEV_DGRAM &&
		    (errno == ECONNREFUSED || errno == ENOENT)) {
			/* The peer's socket is gone: the next sender is the peer. */
			c->dgram_peer_len = 0;
			count(&c->stats.no_peer_dropped, 1);
			continue;
		}
		dropped++;
	}
	count(&c->stats.to_peer_packets, sent);
	count(&c->stats.to_peer_dropped, dropped);
}

/* tap and host: what the interface side or the host stack sent. */
static void
chardev_if_from(struct macvtap_chardev *c)
{
	unsigned int frames = 0, i;

	for (i = 0; i < CHARDEV_BUDGET; i++) {
		ssize_t n = c->a.kind == MACVTAP_CHARDEV_TAP ?
			recv(c->sock, c->frame, CHARDEV_MAX_FRAME, MSG_TRUNC) :
			read(c->sock, c->frame, CHARDEV_MAX_FRAME);

		if (n < 0)
			break;
		if (n < CHARDEV_VNET_HDR_LEN + RTE_ETHER_HDR_LEN || n > CHARDEV_MAX_FRAME) {
			count(&c->stats.peer_errors, 1);
			continue;
		}
		if (rte_pmd_macvtap_file_write(c->file, c->frame, (size_t)n) > 0)
			frames++;
	}
	count(&c->stats.from_peer_packets, frames);
}

/* ---- seqpacket: each connection is one open tap file ---- */

static const uint8_t ctl_magic[4] = MACVTAP_CTL_MAGIC;
static const uint8_t batch_magic[4] = MACVTAP_BATCH_MAGIC;

/* Frames in messages [from, to) of a connection's out. */
static uint64_t
seq_frames(const struct chardev_conn *conn, unsigned int from, unsigned int to)
{
	uint64_t n = 0;

	for (; from < to; from++)
		n += conn->out_frames[from];
	return n;
}

static void
seq_conn_close(struct macvtap_chardev *c, struct chardev_conn *conn)
{
	close(conn->fd);
	conn->fd = -1;
	conn->efd = -1;
	/* The control lock, taken by closing the file, is never taken under io_lock. */
	if (conn->file != NULL)
		rte_pmd_macvtap_file_close(conn->file);
	conn->file = NULL;
	free(conn->buf);
	free(conn->out);
	conn->buf = NULL;
	conn->out = NULL;
	count(&c->stats.to_peer_dropped, seq_frames(conn, 0, conn->pending));
	conn->pending = 0;
	c->nb_conns--;
}

/* Answer a connection that cannot have a file, then hang up. */
static void
seq_refuse(struct macvtap_chardev *c, int fd, int err)
{
	struct macvtap_ctl_msg ans = { .request = TUNGETFEATURES, .result = err };

	memcpy(ans.magic, ctl_magic, sizeof(ctl_magic));
	if (send(fd, &ans, offsetof(struct macvtap_ctl_msg, arg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		MACVTAP_LOG(DEBUG, "%s: chardev: a refused peer left first", c->name);
	/* What it sent already is read: fewer peers see a reset before the answer. */
	while (recv(fd, &ans, sizeof(ans), MSG_DONTWAIT) > 0)
		;
	close(fd);
	count(&c->stats.peer_refused, 1);
}

static void
seq_accept(struct macvtap_chardev *c)
{
	int fd;

	while ((fd = accept4(c->sock, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct chardev_conn *conn = NULL;
		unsigned int i;

		for (i = 0; i < RTE_DIM(c->conns) && conn == NULL; i++)
			if (c->conns[i].fd < 0)
				conn = &c->conns[i];
		if (conn == NULL) {
			seq_refuse(c, fd, -EBUSY);
			continue;
		}
		conn->buf = malloc(CHARDEV_MAX_MSG);
		/* Slots for a whole batch; only the bytes frames use are touched. */
		conn->out = malloc((size_t)CHARDEV_SEQ_BATCH * CHARDEV_SLOT);
		conn->batch = 1;
		if (conn->buf == NULL || conn->out == NULL) {
			free(conn->buf);
			free(conn->out);
			conn->buf = conn->out = NULL;
			seq_refuse(c, fd, -ENOMEM);
			continue;
		}
		conn->file = chardev_file_open(c, true);
		if (conn->file == NULL) {
			free(conn->buf);
			free(conn->out);
			conn->buf = conn->out = NULL;
			seq_refuse(c, fd, -EBUSY);
			continue;
		}
		conn->fd = fd;
		c->nb_conns++;
		count(&c->stats.peer_connects, 1);
	}
}

/* A control message: the file's ioctl, answered with the argument as it left it. */
static void
seq_ioctl(struct macvtap_chardev *c, struct chardev_conn *conn, size_t len)
{
	struct macvtap_ctl_msg *m = (struct macvtap_ctl_msg *)conn->buf;
	size_t hdr = offsetof(struct macvtap_ctl_msg, arg);
	union {
		uint8_t bytes[MACVTAP_CTL_MAX_ARG];
		uint64_t value;
		struct ifreq ifr;
	} arg;

	if (len < hdr || len > sizeof(*m) || m->arg_len != len - hdr) {
		count(&c->stats.peer_errors, 1);
		return;
	}
	memset(&arg, 0, sizeof(arg));
	memcpy(arg.bytes, m->arg, m->arg_len);
	if (m->request == MACVTAP_CTL_SETBATCH) {
		int v;

		memcpy(&v, arg.bytes, sizeof(v));
		m->result = v < 1 || v > MACVTAP_BATCH_MAX ? -EINVAL : 0;
		if (m->result == 0)
			conn->batch = (unsigned int)v;
	} else {
		m->result = rte_pmd_macvtap_file_ioctl(conn->file, m->request,
			m->request == (uint32_t)TUNSETOFFLOAD ? (void *)(uintptr_t)arg.value :
			arg.bytes);
	}
	memcpy(m->arg, arg.bytes, m->arg_len);
	if (send(conn->fd, m, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		count(&c->stats.to_peer_dropped, 1);
}

/*
 * A connection's messages: frames written to its file (dropped and counted
 * while the port is stopped), until a control message, which is left in buf
 * (*ctl its length) for seq_ioctl once io_lock is released: an ioctl may take
 * the control lock, which the port's stop holds while it waits for io_lock.
 */
static bool
seq_from_peer(struct macvtap_chardev *c, struct chardev_conn *conn, bool started, size_t *ctl)
{
	unsigned int frames = 0, dropped = 0, i;

	for (i = 0; i < CHARDEV_BUDGET; i++) {
		ssize_t n = recv(conn->fd, conn->buf, CHARDEV_MAX_MSG, MSG_TRUNC);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return false;
		if (n < 0)
			break;
		if (n > CHARDEV_MAX_MSG) {
			count(&c->stats.peer_errors, 1);
			continue;
		}
		if (n >= 4 && memcmp(conn->buf, ctl_magic, sizeof(ctl_magic)) == 0) {
			*ctl = (size_t)n;
			break;
		}
		if (!started)
			dropped++;
		else if (rte_pmd_macvtap_file_write(conn->file, conn->buf, (size_t)n) > 0)
			frames++;
	}
	count(&c->stats.from_peer_packets, frames);
	count(&c->stats.from_peer_dropped, dropped);
	return true;
}

/*
 * One message for a connection into slot: a frame as a tap file reads it, or
 * with batches on, up to conn->batch of them behind their lengths. Returns
 * its length, 0 when no frame waits.
 */
static uint32_t
seq_fill_slot(struct chardev_conn *conn, uint8_t *slot, uint8_t *frames)
{
	uint32_t used = 8, nb = 0;
	ssize_t n;

	*frames = 1;
	if (conn->batch == 1) {
		n = rte_pmd_macvtap_file_read(conn->file, slot, CHARDEV_MAX_MSG);
		return n > 0 ? (uint32_t)n : 0;
	}
	/* Room for one more whole frame stays while used is under CHARDEV_MAX_MSG. */
	while (nb < conn->batch && used <= CHARDEV_MAX_MSG) {
		uint32_t len;

		n = rte_pmd_macvtap_file_read(conn->file, slot + used + 4, CHARDEV_MAX_MSG);
		if (n <= 0)
			break;
		len = (uint32_t)n;
		memcpy(slot + used, &len, sizeof(len));
		used += 4 + len;
		nb++;
	}
	if (nb == 0)
		return 0;
	memcpy(slot, batch_magic, sizeof(batch_magic));
	memcpy(slot + 4, &nb, sizeof(nb));
	*frames = (uint8_t)nb;
	return used;
}

/*
 * A connection's frames, one message each, up to CHARDEV_SEQ_BATCH in one
 * sendmmsg(); those the peer cannot take yet wait in out for the next turn.
 */
static void
seq_to_peer(struct macvtap_chardev *c, struct chardev_conn *conn)
{
	struct mmsghdr msgs[CHARDEV_SEQ_BATCH];
	struct iovec iov[CHARDEV_SEQ_BATCH];
	unsigned int turns, i;
	int sent;

	for (turns = 0; turns < CHARDEV_BUDGET / CHARDEV_SEQ_BATCH; turns++) {
		/* Fill the free slots after those still waiting. */
		while (conn->pending < CHARDEV_SEQ_BATCH) {
			uint32_t len = seq_fill_slot(conn,
				conn->out + (size_t)conn->pending * CHARDEV_SLOT,
				&conn->out_frames[conn->pending]);

			if (len == 0)
				break;
			conn->out_len[conn->pending++] = len;
		}
		if (conn->pending == 0)
			return;
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < conn->pending; i++) {
			iov[i].iov_base = conn->out + (size_t)i * CHARDEV_SLOT;
			iov[i].iov_len = conn->out_len[i];
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(conn->fd, msgs, (unsigned int)conn->pending,
				MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* The peer is going: its hangup closes it; these frames are lost. */
			count(&c->stats.to_peer_dropped, seq_frames(conn, 0, conn->pending));
			conn->pending = 0;
			return;
		}
		count(&c->stats.to_peer_packets, seq_frames(conn, 0, (unsigned int)sent));
		/* The unsent ones move to the front, in order. */
		for (i = (unsigned int)sent; i < conn->pending; i++) {
			memmove(conn->out + (size_t)(i - sent) * CHARDEV_SLOT,
				conn->out + (size_t)i * CHARDEV_SLOT, conn->out_len[i]);
			conn->out_len[i - sent] = conn->out_len[i];
			conn->out_frames[i - sent] = conn->out_frames[i];
		}
		conn->pending -= (unsigned int)sent;
		if (conn->pending != 0)
			return;
	}
}

/* One turn of frame work, with the port started, under io_lock. */
static void
chardev_move(struct macvtap_chardev *c, const struct pollfd *peer_pfd)
{
	switch (c->a.kind) {
	case MACVTAP_CHARDEV_STREAM:
		if (c->peer >= 0 && peer_pfd != NULL && (peer_pfd->revents & (POLLIN | POLLHUP)))
			chardev_stream_from_peer(c);
		chardev_stream_to_peer(c);
		break;
	case MACVTAP_CHARDEV_DGRAM:
		chardev_dgram_from_peer(c);
		chardev_frames_to(c);
		break;
	case MACVTAP_CHARDEV_TAP:
	case MACVTAP_CHARDEV_HOST:
		chardev_if_from(c);
		chardev_frames_to(c);
		break;
	default:
		break;
	}
}

static bool
dispatcher_runs(void)
{
	uint32_t id;

	return rte_pmd_macvtap_dispatch_service_id(&id) == 0 && rte_service_runstate_get(id) == 1;
}

/* Frames the endpoint moved or dropped so far: a turn that changes it was busy. */
static uint64_t
chardev_work(const struct macvtap_chardev *c)
{
	return c->stats.from_peer_packets + c->stats.to_peer_packets +
	       c->stats.no_peer_dropped + c->stats.to_peer_dropped;
}

/* How long the loop may sleep: not at all while frames flow. */
static int
chardev_timeout(const struct macvtap_chardev *c, bool has_work)
{
	if (!has_work)
		return CHARDEV_IDLE_MS;
	if (c->busy)
		return 0;
	return dispatcher_runs() ? CHARDEV_IDLE_MS : CHARDEV_POLL_MS;
}

/* The seqpacket endpoint's loop: a listening socket and a file per connection. */
static void
seq_turn(struct macvtap_chardev *c)
{
	struct pollfd pfd[2 + 2 * CHARDEV_MAX_CONNS];
	struct chardev_conn *polled[CHARDEV_MAX_CONNS];
	bool started = c->dev->started, gone[CHARDEV_MAX_CONNS] = { false };
	size_t ctl[CHARDEV_MAX_CONNS] = { 0 };
	unsigned int i, nb = 0;
	int n = 0, timeout;
	uint64_t work;
	eventfd_t v;

	pfd[n++] = (struct pollfd){ .fd = c->wake, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = c->sock, .events = POLLIN };
	for (i = 0; i < RTE_DIM(c->conns); i++) {
		struct chardev_conn *conn = &c->conns[i];
		int efd;

		if (conn->fd < 0)
			continue;
		polled[nb++] = conn;
		/* Read while stopped too: ioctls are answered then, as the kernel's are. */
		pfd[n++] = (struct pollfd){ .fd = conn->fd, .events = (short)(
			POLLIN | (started && conn->pending != 0 ? POLLOUT : 0)) };
		/* Asked once: the control lock is not taken every turn. */
		efd = conn->efd >= 0 ? conn->efd : (conn->efd = rte_pmd_macvtap_file_fd(conn->file));
		pfd[n++] = (struct pollfd){ .fd = started ? efd : -1, .events = POLLIN };
	}
	timeout = chardev_timeout(c, started && nb != 0);
	if (poll(pfd, (nfds_t)n, timeout) < 0)
		return;
	work = chardev_work(c);
	if (pfd[0].revents & POLLIN)
		eventfd_read(c->wake, &v);
	pthread_mutex_lock(&c->io_lock);
	started = c->dev->started;
	for (i = 0; i < nb; i++) {
		const struct pollfd *p = &pfd[2 + 2 * i];

		if (p->revents & (POLLERR | POLLNVAL)) {
			gone[i] = true;
			continue;
		}
		if ((p->revents & (POLLIN | POLLHUP)) &&
		    !seq_from_peer(c, polled[i], started, &ctl[i])) {
			gone[i] = true;
			continue;
		}
		if (started)
			seq_to_peer(c, polled[i]);
	}
	pthread_mutex_unlock(&c->io_lock);
	c->busy = chardev_work(c) != work;
	for (i = 0; i < nb; i++) {
		if (gone[i])
			seq_conn_close(c, polled[i]);
		else if (ctl[i] != 0)
			seq_ioctl(c, polled[i], ctl[i]);
	}
	/* After the hangups: a peer that closed and connected again finds its queue free. */
	if (pfd[1].revents & POLLIN)
		seq_accept(c);
}

static void *
chardev_thread(void *arg)
{
	struct macvtap_chardev *c = arg;

	while (c->a.kind == MACVTAP_CHARDEV_SEQPACKET && !c->stop)
		seq_turn(c);
	while (!c->stop) {
		struct pollfd pfd[4];
		const struct pollfd *peer_pfd = NULL;
		bool started = c->dev->started;
		int n = 0, efd, timeout;
		uint64_t work;
		eventfd_t v;

		pfd[n++] = (struct pollfd){ .fd = c->wake, .events = POLLIN };
		if (c->a.kind == MACVTAP_CHARDEV_STREAM) {
			pfd[n++] = (struct pollfd){ .fd = c->sock, .events = POLLIN };
			if (c->peer >= 0) {
				/* Its bytes wait while the port is stopped; its hangup does not. */
				pfd[n] = (struct pollfd){ .fd = c->peer,
					.events = (short)((started ? POLLIN : 0) |
							  (c->soff < c->slen ? POLLOUT : 0)) };
				peer_pfd = &pfd[n++];
			}
		} else if (started) {
			pfd[n++] = (struct pollfd){ .fd = c->sock, .events = POLLIN };
		}
		if (c->file == NULL && started)
			c->file = chardev_file_open(c, c->a.kind == MACVTAP_CHARDEV_TAP ||
						    c->a.kind == MACVTAP_CHARDEV_HOST);
		if (c->file != NULL && c->file_efd < 0)
			c->file_efd = rte_pmd_macvtap_file_fd(c->file);
		efd = c->file != NULL ? c->file_efd : -1;
		if (efd >= 0 && started)
			pfd[n++] = (struct pollfd){ .fd = efd, .events = POLLIN };
		timeout = chardev_timeout(c, started && c->file != NULL);
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			eventfd_read(c->wake, &v);
		if (c->a.kind == MACVTAP_CHARDEV_STREAM && (pfd[1].revents & POLLIN))
			chardev_stream_accept(c);
		if (peer_pfd != NULL && (peer_pfd->revents & (POLLERR | POLLHUP)) && !started) {
			chardev_stream_close_peer(c);
			peer_pfd = NULL;
		}
		work = chardev_work(c);
		pthread_mutex_lock(&c->io_lock);
		if (c->dev->started && c->file != NULL)
			chardev_move(c, peer_pfd);
		pthread_mutex_unlock(&c->io_lock);
		c->busy = chardev_work(c) != work;
	}
	return NULL;
}

int
macvtap_chardev_start(struct macvtap_dev *dev)
{
	struct macvtap_chardev *c = dev->chardev;
	char name[RTE_MAX_THREAD_NAME_LEN];
	int ret;

	if (c == NULL)
		return 0;
	snprintf(name, sizeof(name), "macvtap-cd%u", c->port_id);
	ret = rte_ctrl_thread_create(&c->thread, name, NULL, chardev_thread, c);
	if (ret != 0) {
		MACVTAP_LOG(ERR, "%s: chardev: cannot start its thread: %s", c->name,
			    strerror(ret));
		return -ret;
	}
	c->running = true;
	return 0;
}

/* The port's MAC changed: a host: interface follows it (a TAP takes a new address while up). */
void
macvtap_chardev_mac_changed(struct macvtap_dev *dev)
{
	struct macvtap_chardev *c = dev->chardev;
	int ret;

	if (c == NULL || c->a.kind != MACVTAP_CHARDEV_HOST)
		return;
	ret = chardev_host_set_mac(c);
	if (ret != 0)
		MACVTAP_LOG(ERR, "%s: chardev: TAP interface %s keeps its old MAC: %s", c->name,
			    c->a.where, strerror(-ret));
}

void
macvtap_chardev_quiesce(struct macvtap_dev *dev)
{
	struct macvtap_chardev *c = dev->chardev;

	if (c == NULL)
		return;
	/* The thread looks at dev->started under io_lock: past this, it moves nothing. */
	pthread_mutex_lock(&c->io_lock);
	pthread_mutex_unlock(&c->io_lock);
}

void
macvtap_chardev_destroy(struct macvtap_dev *dev)
{
	struct macvtap_chardev *c = dev->chardev;
	unsigned int i;

	if (c == NULL)
		return;
	if (c->running) {
		c->stop = true;
		eventfd_write(c->wake, 1);
		pthread_join(c->thread, NULL);
	}
	for (i = 0; i < RTE_DIM(c->conns); i++)
		if (c->conns[i].fd >= 0)
			seq_conn_close(c, &c->conns[i]);
	if (c->peer >= 0)
		close(c->peer);
	if (c->file != NULL)
		rte_pmd_macvtap_file_close(c->file);
	if (c->sock >= 0)
		close(c->sock);
	switch (c->a.kind) {
	case MACVTAP_CHARDEV_TAP:
		if_delete(c->a.where);
		break;
	case MACVTAP_CHARDEV_HOST:
		break;  /* not persistent: it went with its file */
	default:
		unlink(c->a.where);
		break;
	}
	close(c->wake);
	rte_free(c->rbuf);
	rte_free(c->sbuf);
	rte_free(c->frame);
	dev->chardev = NULL;
	rte_free(c);
}

void
macvtap_chardev_stats_get(const struct macvtap_dev *dev, struct macvtap_chardev_stats *s)
{
	const uint64_t *from = dev->chardev == NULL ? NULL : (const uint64_t *)&dev->chardev->stats;
	uint64_t *to = (uint64_t *)s;
	unsigned int i;

	for (i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		to[i] = from == NULL ? 0 : __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

void
macvtap_chardev_stats_reset(struct macvtap_dev *dev)
{
	uint64_t *p = dev->chardev == NULL ? NULL : (uint64_t *)&dev->chardev->stats;
	unsigned int i;

	for (i = 0; p != NULL && i < sizeof(dev->chardev->stats) / sizeof(uint64_t); i++)
		__atomic_store_n(&p[i], 0, __ATOMIC_RELAXED);
}

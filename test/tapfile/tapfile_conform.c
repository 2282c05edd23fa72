/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * One table of tap file calls (ioctls, reads, writes), run either on the
 * kernel's macvtap char device or on net_macvtap's tap file API, printing one
 * line per call: "<key> <result>", where a result is a number or -ERRNO,
 * optionally followed by what the call returned (flags, bytes in hex).
 * test/tapfile_kernel.sh runs both and compares the lines.
 *
 *   tapfile_conform kernel DEV IFNAME LOWER PEER MAC OTHER_MAC NEW_MAC [SIB_DEV]
 *     DEV: the char device of macvtap IFNAME (mode bridge, MAC MAC, on LOWER, whose
 *     veth peer is PEER); OTHER_MAC: a sibling macvtap's MAC on LOWER, SIB_DEV
 *     its char device (for the frames it writes to IFNAME's reader).
 *     Frames from the wire are sent on PEER (AF_PACKET); the wire is read there.
 *   tapfile_conform <EAL args> -- dpdk MAC OTHER_MAC NEW_MAC
 *     The same on a net_macvtap port over the harness's ring lower.
 *   tapfile_conform <EAL args> -- seqpacket MAC OTHER_MAC NEW_MAC SOCKET
 *     The same through the port's chardev=seqpacket:SOCKET endpoint, from a
 *     connection of libmacvtap_client (its thread moves the frames: reads
 *     wait up to 300 ms, as the kernel's).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "harness.h"
#include "macvtap_client.h"
#include "rte_pmd_macvtap.h"

#define EXT "02:ee:00:00:00:01"
#define FRAME_MAX 2048

/* What the table needs of a tap file, kernel or ours: each returns -errno on error. */
struct backend {
	int (*ioctl)(unsigned long req, void *arg);
	ssize_t (*read)(void *buf, size_t len);
	ssize_t (*readv)(const struct iovec *iov, int n);
	ssize_t (*write)(const void *buf, size_t len);
	ssize_t (*sib_write)(const void *buf, size_t len); /* the sibling's file */
	int (*inject)(const uint8_t *frame, size_t len);   /* from the wire */
	int (*wire)(uint8_t *buf, size_t cap);             /* a frame sent, or -1 */
	const char *name;                                  /* the device's name */
	int fd;                                            /* for poll(2) */
};

static const char *mac_s, *other_s, *new_s;

/* ---- the kernel ---- */

static int kfd = -1, kpkt = -1, kpeer_index, ksib = -1;

static int
k_ioctl(unsigned long req, void *arg)
{
	return ioctl(kfd, req, arg) < 0 ? -errno : 0;
}

/* A read waits up to 300 ms for a frame: the kernel's path is asynchronous. */
static void
k_wait_in(void)
{
	struct pollfd p = { .fd = kfd, .events = POLLIN };

	poll(&p, 1, 300);
}

static ssize_t
k_read(void *buf, size_t len)
{
	ssize_t r;

	k_wait_in();
	r = read(kfd, buf, len);
	return r < 0 ? -errno : r;
}

static ssize_t
k_readv(const struct iovec *iov, int n)
{
	ssize_t r;

	k_wait_in();
	r = readv(kfd, iov, n);
	return r < 0 ? -errno : r;
}

static ssize_t
k_write(const void *buf, size_t len)
{
	ssize_t r = write(kfd, buf, len);

	return r < 0 ? -errno : r;
}

static ssize_t
k_sib_write(const void *buf, size_t len)
{
	ssize_t r = write(ksib, buf, len);

	return r < 0 ? -errno : r;
}

static int
k_inject(const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_ifindex = kpeer_index,
				  .sll_halen = 6 };

	return sendto(kpkt, frame, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len ?
		0 : -1;
}

static int
k_wire(uint8_t *buf, size_t cap)
{
	struct sockaddr_ll from;
	socklen_t fl;
	struct pollfd p = { .fd = kpkt, .events = POLLIN };
	ssize_t r;

	/* The first frame arriving at the peer from the macvtap side, within 300 ms. */
	for (;;) {
		if (poll(&p, 1, 300) <= 0)
			return -1;
		fl = sizeof(from);
		r = recvfrom(kpkt, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (r < 0)
			return -1;
		if (from.sll_pkttype != PACKET_OUTGOING)
			return (int)r;
	}
}

static int
k_ethtool(int sock, const char *ifname, uint32_t cmd, uint32_t value)
{
	struct ethtool_value ev = { .cmd = cmd, .data = value };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	return ioctl(sock, SIOCETHTOOL, &ifr);
}

static int
kernel_init(struct backend *b, const char *dev, const char *name, const char *lower,
	    const char *peer, const char *sib)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int s;

	kfd = open(dev, O_RDWR | O_NONBLOCK);
	if (kfd < 0) {
		fprintf(stderr, "open %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (sib != NULL) {
		ksib = open(sib, O_RDWR | O_NONBLOCK);
		if (ksib < 0) {
			fprintf(stderr, "open %s: %s\n", sib, strerror(errno));
			return -1;
		}
		b->sib_write = k_sib_write;
	}
	kpeer_index = (int)if_nametoindex(peer);
	kpkt = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (kpeer_index == 0 || kpkt < 0) {
		fprintf(stderr, "packet socket on %s: %s\n", peer, strerror(errno));
		return -1;
	}
	sa.sll_ifindex = kpeer_index;
	if (bind(kpkt, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "bind %s: %s\n", peer, strerror(errno));
		return -1;
	}
	/*
	 * The lower neither verifies nor offloads checksums, as the ring lower
	 * of the other side: a partial checksum is completed before the wire.
	 */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || k_ethtool(s, lower, ETHTOOL_STXCSUM, 0) != 0 ||
	    k_ethtool(s, lower, ETHTOOL_SRXCSUM, 0) != 0)
		fprintf(stderr, "# warning: cannot turn %s's checksum offloads off: %s\n", lower,
			strerror(errno));
	/* The wire's end merges nothing: each segment is seen as it was sent. */
	if (s >= 0 && (k_ethtool(s, peer, ETHTOOL_SGRO, 0) != 0 ||
		       k_ethtool(s, peer, ETHTOOL_SRXCSUM, 0) != 0))
		fprintf(stderr, "# warning: cannot turn %s's GRO off: %s\n", peer, strerror(errno));
	if (s >= 0)
		close(s);
	b->ioctl = k_ioctl;
	b->read = k_read;
	b->readv = k_readv;
	b->write = k_write;
	b->inject = k_inject;
	b->wire = k_wire;
	b->name = name;
	b->fd = kfd;
	return 0;
}

/* ---- ours ---- */

static struct t_env env;
static struct rte_pmd_macvtap_file *ofile, *osib;

static int
o_ioctl(unsigned long req, void *arg)
{
	return rte_pmd_macvtap_file_ioctl(ofile, req, arg);
}

static ssize_t
o_read(void *buf, size_t len)
{
	return rte_pmd_macvtap_file_read(ofile, buf, len);
}

static ssize_t
o_readv(const struct iovec *iov, int n)
{
	return rte_pmd_macvtap_file_readv(ofile, iov, n);
}

static ssize_t
o_write(const void *buf, size_t len)
{
	return rte_pmd_macvtap_file_write(ofile, buf, len);
}

static ssize_t
o_sib_write(const void *buf, size_t len)
{
	if (osib == NULL && rte_pmd_macvtap_file_open(env.ports[1], &osib) != 0)
		return -ENODEV;
	return rte_pmd_macvtap_file_write(osib, buf, len);
}

/* The sibling port's burst polls the lower, as any port's does. */
static void
sibling_poll(void)
{
	struct rte_mbuf *m[4];
	uint16_t n = rte_eth_rx_burst(env.ports[1], 0, m, 4);

	rte_pktmbuf_free_bulk(m, n);
}

static int
o_inject(const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
	char *d;

	if (m == NULL || (d = rte_pktmbuf_append(m, (uint16_t)len)) == NULL) {
		rte_pktmbuf_free(m);
		return -1;
	}
	memcpy(d, frame, len);
	if (t_inject(&env, 0, &m, 1) != 0)
		return -1;
	/* Arrival: the kernel's delivery is asynchronous; here a sibling's poll. */
	sibling_poll();
	return 0;
}

static int
o_wire(uint8_t *buf, size_t cap)
{
	struct rte_mbuf *m;
	const void *d;
	uint32_t len;

	if (rte_ring_dequeue(env.tx[0], (void **)&m) != 0)
		return -1;
	len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)cap);
	d = rte_pktmbuf_read(m, 0, len, buf);
	if (d != NULL && d != buf)
		memcpy(buf, d, len);
	rte_pktmbuf_free(m);
	return (int)len;
}

static int
dpdk_init(struct backend *b)
{
	static char name[RTE_ETH_NAME_MAX_LEN];
	char args[128];
	int p, ret;

	t_pool = rte_pktmbuf_pool_create("conform_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (t_pool == NULL || t_env_init(&env, 1) != 0)
		return -1;
	snprintf(args, sizeof(args), "mac=%s,mode=bridge", mac_s);
	if (t_add_port(&env, args, 1, 0, &p) != 0)
		return -1;
	snprintf(args, sizeof(args), "mac=%s,mode=bridge", other_s);
	if (t_add_port(&env, args, 1, 0, NULL) != 0)
		return -1;
	ret = rte_pmd_macvtap_file_open(env.ports[p], &ofile);
	if (ret != 0) {
		fprintf(stderr, "file open: %d\n", ret);
		return -1;
	}
	rte_eth_dev_get_name_by_port(env.ports[p], name);
	b->ioctl = o_ioctl;
	b->read = o_read;
	b->readv = o_readv;
	b->write = o_write;
	b->sib_write = o_sib_write;
	b->inject = o_inject;
	b->wire = o_wire;
	b->name = name;
	b->fd = rte_pmd_macvtap_file_fd(ofile);
	return 0;
}

/* ---- ours, through a chardev=seqpacket endpoint ---- */

static struct macvtap_client *oclient;

static int
s_ioctl(unsigned long req, void *arg)
{
	return macvtap_client_ioctl(oclient, req, arg) < 0 ? -errno : 0;
}

static ssize_t
s_read(void *buf, size_t len)
{
	struct pollfd p = { .fd = macvtap_client_fd(oclient), .events = POLLIN };
	ssize_t r;

	if (macvtap_client_pending(oclient) == 0)
		poll(&p, 1, 300);
	r = macvtap_client_read(oclient, buf, len, MSG_DONTWAIT);
	return r < 0 ? -errno : r;
}

/* No readv in the client: one message read whole, then spread as readv would. */
static ssize_t
s_readv(const struct iovec *iov, int n)
{
	static uint8_t msg[FRAME_MAX + 64];
	ssize_t r, at = 0;
	size_t want = 0;
	int i;

	for (i = 0; i < n; i++)
		want += iov[i].iov_len;
	r = s_read(msg, RTE_MIN(want, sizeof(msg)));
	for (i = 0; r > 0 && i < n && at < r; i++) {
		size_t k = RTE_MIN(iov[i].iov_len, (size_t)(r - at));

		memcpy(iov[i].iov_base, msg + at, k);
		at += (ssize_t)k;
	}
	return r;
}

static ssize_t
s_write(const void *buf, size_t len)
{
	ssize_t r = macvtap_client_write(oclient, buf, len);

	/* The endpoint's thread sends it: let it before the wire is looked at. */
	rte_delay_us_sleep(20000);
	return r < 0 ? -errno : r;
}

static int
seqpacket_init(struct backend *b, const char *path)
{
	static char name[RTE_ETH_NAME_MAX_LEN];
	char args[256];
	int p;

	t_pool = rte_pktmbuf_pool_create("conform_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (t_pool == NULL || t_env_init(&env, 1) != 0)
		return -1;
	snprintf(args, sizeof(args), "mac=%s,mode=bridge,chardev=seqpacket:%s", mac_s, path);
	if (t_add_port(&env, args, 1, 0, &p) != 0)
		return -1;
	snprintf(args, sizeof(args), "mac=%s,mode=bridge", other_s);
	if (t_add_port(&env, args, 1, 0, NULL) != 0)
		return -1;
	oclient = macvtap_client_open(path);
	if (oclient == NULL) {
		fprintf(stderr, "connect %s: %s\n", path, strerror(errno));
		return -1;
	}
	rte_eth_dev_get_name_by_port(env.ports[p], name);
	b->ioctl = s_ioctl;
	b->read = s_read;
	b->readv = s_readv;
	b->write = s_write;
	b->sib_write = o_sib_write;
	b->inject = o_inject;
	b->wire = o_wire;
	b->name = name;
	b->fd = macvtap_client_fd(oclient);
	return 0;
}

/* ---- the table ---- */

static const char *k_ifname;

/* The count of refused or unsent writes: the kernel's tx_dropped, our tx_file_dropped. */
static long
tx_dropped(void)
{
	char path[128];
	long v = -1;
	FILE *f;

	if (kfd < 0)
		return (long)t_xstat(env.ports[0], "tx_file_dropped");
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", k_ifname);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Down (the kernel's 'ip link set down', our port stopped) or up again. */
static void
set_down(bool down)
{
	char cmd[64];

	if (kfd >= 0) {
		snprintf(cmd, sizeof(cmd), "ip link set %s %s", k_ifname, down ? "down" : "up");
		if (system(cmd) != 0)
			fprintf(stderr, "# '%s' failed\n", cmd);
	} else if (down) {
		rte_eth_dev_stop(env.ports[0]);
	} else {
		rte_eth_dev_start(env.ports[0]);
	}
}

static const struct backend *B;

static const char *
errname(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case ENOTCONN: return "ENOTCONN";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENOLINK: return "ENOLINK";
	case EPERM: return "EPERM";
	case ENOTTY: return "ENOTTY";
	case ENOBUFS: return "ENOBUFS";
	case ENXIO: return "ENXIO";
	default: return NULL;
	}
}

static void
put(const char *key, long r, const char *extra)
{
	const char *n = r < 0 ? errname((int)-r) : NULL;

	if (r < 0 && n != NULL)
		printf("%s -%s", key, n);
	else if (r < 0)
		printf("%s -errno%ld", key, -r);
	else
		printf("%s %ld", key, r);
	printf("%s%s\n", extra != NULL ? " " : "", extra != NULL ? extra : "");
	fflush(stdout);
}

static char *
hex(const uint8_t *p, long n)
{
	static char s[FRAME_MAX * 2 + 1];
	long i;

	s[0] = '\0';
	for (i = 0; i < n && i < FRAME_MAX; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	return s;
}

static int
call_int(unsigned long req, int v)
{
	return B->ioctl(req, &v);
}

static void
int_get(const char *key, unsigned long req)
{
	char x[32];
	int v = -12345;
	int r = B->ioctl(req, &v);

	snprintf(x, sizeof(x), "value=%d", r == 0 ? v : 0);
	put(key, r, x);
}

static void
iff_get(const char *key)
{
	struct ifreq ifr;
	char x[64];
	int r;

	memset(&ifr, 0, sizeof(ifr));
	r = B->ioctl(TUNGETIFF, &ifr);
	snprintf(x, sizeof(x), "flags=0x%04x name=%s", r == 0 ? (uint16_t)ifr.ifr_flags : 0,
		 r == 0 && strncmp(ifr.ifr_name, B->name, IFNAMSIZ - 1) == 0 ? "ok" : "wrong");
	put(key, r, x);
	if (r == 0 && strncmp(ifr.ifr_name, B->name, IFNAMSIZ - 1) != 0)
		fprintf(stderr, "# %s: name '%.*s', device '%s'\n", key, IFNAMSIZ, ifr.ifr_name,
			B->name);
}

static void
iff_set(const char *key, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)flags;
	put(key, B->ioctl(TUNSETIFF, &ifr), NULL);
}

static void
set_queue(const char *key, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)flags;
	put(key, B->ioctl(TUNSETQUEUE, &ifr), NULL);
}

static void
hwaddr_get(const char *key)
{
	struct ifreq ifr;
	char x[96];
	int r;

	memset(&ifr, 0, sizeof(ifr));
	r = B->ioctl(SIOCGIFHWADDR, &ifr);
	snprintf(x, sizeof(x), "family=%u mac=%s name=%s", r == 0 ? ifr.ifr_hwaddr.sa_family : 0,
		 r == 0 ? hex((const uint8_t *)ifr.ifr_hwaddr.sa_data, 6) : "-",
		 r == 0 && strncmp(ifr.ifr_name, B->name, IFNAMSIZ - 1) == 0 ? "ok" : "wrong");
	put(key, r, x);
}

static void
hwaddr_set(const char *key, const char *mac, int family)
{
	struct rte_ether_addr a = t_mac(mac);
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = (unsigned short)family;
	memcpy(ifr.ifr_hwaddr.sa_data, a.addr_bytes, 6);
	put(key, B->ioctl(SIOCSIFHWADDR, &ifr), NULL);
}

static void
put_mac(uint8_t *p, const char *s)
{
	struct rte_ether_addr a = t_mac(s);

	memcpy(p, a.addr_bytes, 6);
}

/* A frame to dst from EXT: ethertype, optionally a VLAN tag first, a pattern. */
static size_t
frame(uint8_t *p, const char *dst, uint16_t vid, uint16_t type, uint8_t id, size_t len)
{
	size_t i, at = 12;

	put_mac(p, dst);
	put_mac(p + 6, EXT);
	if (vid != 0) {
		p[at++] = 0x81;
		p[at++] = 0x00;
		p[at++] = (uint8_t)(vid >> 8);
		p[at++] = (uint8_t)vid;
	}
	p[at++] = (uint8_t)(type >> 8);
	p[at++] = (uint8_t)type;
	for (i = at; i < len; i++)
		p[i] = (uint8_t)(i * 5 + id);
	return len;
}

static void
read_frame(const char *key, size_t buflen)
{
	uint8_t buf[FRAME_MAX];
	ssize_t r;

	memset(buf, 0xAA, sizeof(buf));
	r = B->read(buf, buflen);
	put(key, r, r > 0 ? hex(buf, r) : NULL);
}

static void
inject(const char *dst, uint16_t vid, uint8_t id, size_t len)
{
	uint8_t f[FRAME_MAX];

	frame(f, dst, vid, 0x88b5, id, len);
	if (B->inject(f, len) != 0)
		fprintf(stderr, "# inject failed: %s\n", strerror(errno));
}

/* What poll(2) says of the file now (after waiting for the kernel's delivery if wait). */
static void
poll_state(const char *key, bool wait)
{
	struct pollfd p = { .fd = B->fd, .events = POLLIN | POLLOUT | POLLPRI };
	char x[32];
	int r;

	if (wait && kfd >= 0)
		k_wait_in();
	if (wait && oclient != NULL) {
		/* The endpoint's thread delivers it: as the kernel's, asynchronously. */
		struct pollfd in = { .fd = B->fd, .events = POLLIN };

		poll(&in, 1, 300);
	}
	r = poll(&p, 1, 0);
	snprintf(x, sizeof(x), "revents=0x%x", r >= 0 ? p.revents : 0);
	put(key, r < 0 ? -errno : 0, x);
}

static void
reads(void)
{
	uint8_t a[4], b[20], c[200];
	struct iovec iov[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	uint8_t all[sizeof(a) + sizeof(b) + sizeof(c)];
	ssize_t r;

	read_frame("read-empty", FRAME_MAX);
	poll_state("poll-empty", false);
	inject(mac_s, 0, 1, 64);
	poll_state("poll-frame", true);
	read_frame("read-plain", FRAME_MAX);
	poll_state("poll-drained", false);
	inject(mac_s, 5, 2, 68);
	read_frame("read-vlan", FRAME_MAX);
	inject(mac_s, 0, 3, 60);
	read_frame("read-len0", 0);
	read_frame("read-after-len0", FRAME_MAX);
	inject(mac_s, 0, 4, 64);
	read_frame("read-9", 9);
	read_frame("read-after-9", FRAME_MAX);
	inject(mac_s, 0, 5, 64);
	read_frame("read-30", 30);
	read_frame("read-after-30", FRAME_MAX);
	inject(mac_s, 0, 6, 40);
	read_frame("read-short-frame", FRAME_MAX);
	put("set-hdrsz-12", call_int(TUNSETVNETHDRSZ, 12), NULL);
	inject(mac_s, 0, 7, 64);
	read_frame("read-hdr12", FRAME_MAX);
	inject(mac_s, 0, 8, 64);
	read_frame("read-11-hdr12", 11);
	put("set-hdrsz-10", call_int(TUNSETVNETHDRSZ, 10), NULL);
	iff_set("setiff-novnet", IFF_TAP | IFF_NO_PI);
	inject(mac_s, 0, 9, 64);
	read_frame("read-novnet", FRAME_MAX);
	inject(mac_s, 7, 10, 64);
	read_frame("read-novnet-vlan", FRAME_MAX);
	iff_set("setiff-vnet", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	inject(mac_s, 0, 11, 100);
	memset(a, 0xAA, sizeof(a));
	memset(b, 0xAA, sizeof(b));
	memset(c, 0xAA, sizeof(c));
	r = B->readv(iov, 3);
	memcpy(all, a, sizeof(a));
	memcpy(all + sizeof(a), b, sizeof(b));
	memcpy(all + sizeof(a) + sizeof(b), c, sizeof(c));
	put("readv-3", r, r > 0 ? hex(all, r) : NULL);
}

/* ---- writes ---- */

struct vnet_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
} __attribute__((packed));

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* IPv4 from 10.1.2.3 to 10.9.8.7, UDP (17) or TCP (6), to EXT, from the port's MAC. */
static size_t
ip_frame(uint8_t *p, uint8_t proto, size_t payload)
{
	size_t l4 = proto == 17 ? 8 : 20, len = 34 + l4 + payload, i;
	uint8_t *ip = p + 14, *th = p + 34;
	uint16_t c;

	memset(p, 0, len);
	put_mac(p, EXT);
	put_mac(p + 6, mac_s);
	p[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, "\x0a\x01\x02\x03\x0a\x09\x08\x07", 8);
	c = (uint16_t)~sum16(0, ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	th[1] = 0x39;
	th[3] = 0x90;
	if (proto == 17) {
		th[4] = (uint8_t)((8 + payload) >> 8);
		th[5] = (uint8_t)(8 + payload);
	} else {
		th[12] = 0x50;
	}
	for (i = 0; i < payload; i++)
		th[l4 + i] = (uint8_t)(0x41 + i * 13);
	return len;
}

static void
write_one(const char *key, const struct vnet_hdr *h, const uint8_t *f, size_t len, bool show)
{
	uint8_t buf[FRAME_MAX + 16], w[FRAME_MAX];
	ssize_t r;
	int wl;
	char x[16];

	memcpy(buf, h, sizeof(*h));
	memcpy(buf + sizeof(*h), f, len);
	r = B->write(buf, sizeof(*h) + len);
	wl = B->wire(w, sizeof(w));
	if (show && wl >= 0) {
		put(key, r, hex(w, wl));
		return;
	}
	snprintf(x, sizeof(x), "wire=%d", wl);
	put(key, r, x);
	while (B->wire(w, sizeof(w)) >= 0)
		;
}

static void
writes(void)
{
	uint8_t f[FRAME_MAX];
	struct vnet_hdr h;
	size_t len;

	long before = tx_dropped();
	char x[32];

	memset(&h, 0, sizeof(h));
	len = ip_frame(f, 17, 40);
	write_one("write-plain", &h, f, len, true);
	write_one("write-13", &h, f, 13, false);
	write_one("write-14", &h, f, 14, true);
	put("write-9", B->write(f, 9), NULL);
	h.gso_type = 2;
	h.gso_size = 100;
	write_one("write-gso-type-2", &h, f, len, false);
	memset(&h, 0, sizeof(h));
	h.gso_type = 1;
	write_one("write-gso-size-0", &h, f, len, false);
	memset(&h, 0, sizeof(h));
	h.flags = 1;
	h.csum_start = 19;
	h.csum_offset = 6;
	write_one("write-csum-start-19", &h, f, len, false);
	h.csum_start = (uint16_t)len;
	h.csum_offset = 0;
	write_one("write-csum-start-end", &h, f, len, false);
	h.csum_start = 34;
	h.csum_offset = (uint16_t)(len - 35);
	write_one("write-csum-field-end", &h, f, len, false);
	memset(&h, 0, sizeof(h));
	h.flags = 0xff;
	write_one("write-flags-ff", &h, f, len, false);
	memset(&h, 0, sizeof(h));
	h.hdr_len = (uint16_t)(len + 1);
	write_one("write-hdrlen-past", &h, f, len, false);
	h.hdr_len = (uint16_t)len;
	write_one("write-hdrlen-frame", &h, f, len, true);
	memset(&h, 0, sizeof(h));
	h.flags = 2 | 4;
	write_one("write-data-valid", &h, f, len, true);
	/* NEEDS_CSUM, the field zero, then seeded with the pseudo header's sum. */
	len = ip_frame(f, 17, 37);
	memset(&h, 0, sizeof(h));
	h.flags = 1;
	h.csum_start = 34;
	h.csum_offset = 6;
	write_one("write-csum-zero-field", &h, f, len, true);
	{
		uint16_t s = (uint16_t)sum16(sum16(0, f + 26, 8) + 17 + (uint32_t)(len - 34), NULL, 0);

		f[40] = (uint8_t)(s >> 8);
		f[41] = (uint8_t)s;
	}
	write_one("write-csum-seeded", &h, f, len, true);
	h.csum_offset = 2;
	write_one("write-csum-offset-2", &h, f, len, true);
	snprintf(x, sizeof(x), "%ld", tx_dropped() - before);
	put("tx-dropped-after-writes", 0, x);
	/* Down: the write succeeds, nothing leaves, counted. */
	memset(&h, 0, sizeof(h));
	before = tx_dropped();
	set_down(true);
	write_one("write-down", &h, f, len, false);
	set_down(false);
	snprintf(x, sizeof(x), "%ld", tx_dropped() - before);
	put("tx-dropped-down", 0, x);
	/* A TCPv4 GSO header. */
	len = ip_frame(f, 6, 1400);
	memset(&h, 0, sizeof(h));
	h.flags = 1;
	h.gso_type = 1;
	h.gso_size = 500;
	h.hdr_len = 54;
	h.csum_start = 34;
	h.csum_offset = 16;
	write_one("write-gso-tcpv4", &h, f, len, false);
}

/* ---- offloads ---- */

static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * A TCP (flags tcp_flags) or UDP frame over IPv4 or IPv6 from the port's MAC
 * to dst, payload bytes; the L4 checksum field the pseudo-header sum with
 * the length when seed (a partial checksum), else 0x1234.
 */
static size_t
l4_frame(uint8_t *p, const char *dst, bool v6, uint8_t proto, size_t payload, uint8_t tcp_flags,
	 bool seed)
{
	size_t l3 = v6 ? 40 : 20, l4 = proto == 6 ? 20 : 8, len = 14 + l3 + l4 + payload, i;
	uint8_t *ip = p + 14, *th = p + 14 + l3;
	uint32_t sum;
	uint16_t c;

	memset(p, 0, 14 + l3 + l4);
	put_mac(p, dst);
	put_mac(p + 6, mac_s);
	if (v6) {
		p[12] = 0x86;
		p[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (uint8_t)((l4 + payload) >> 8);
		ip[5] = (uint8_t)(l4 + payload);
		ip[6] = proto;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
		sum = sum16(0, ip + 8, 32);
	} else {
		p[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = (uint8_t)((len - 14) >> 8);
		ip[3] = (uint8_t)(len - 14);
		ip[4] = 0x12;
		ip[5] = 0x34;
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, "\x0a\x01\x02\x03\x0a\x09\x08\x07", 8);
		c = (uint16_t)~sum16(0, ip, 20);
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		sum = sum16(0, ip + 12, 8);
	}
	th[1] = 0x39;
	th[3] = 0x90;
	if (proto == 6) {
		th[4] = 1; th[5] = 2; th[6] = 3; th[7] = 4;
		th[12] = 0x50;
		th[13] = tcp_flags;
		th[14] = 0xff;
	} else {
		th[4] = (uint8_t)((l4 + payload) >> 8);
		th[5] = (uint8_t)(l4 + payload);
	}
	for (i = 0; i < payload; i++)
		th[l4 + i] = (uint8_t)(0x41 + i * 13 + i / 251);
	c = seed ? (uint16_t)sum16(sum + proto + (uint32_t)(l4 + payload), NULL, 0) : 0x1234;
	th[proto == 6 ? 16 : 6] = (uint8_t)(c >> 8);
	th[proto == 6 ? 17 : 7] = (uint8_t)c;
	return len;
}

static struct vnet_hdr
vh(uint8_t flags, uint8_t type, uint16_t size, uint16_t start, uint16_t off)
{
	struct vnet_hdr h = { flags, type, 0, size, start, off };

	if (flags & 1)
		h.hdr_len = (uint16_t)(start + (off == 16 ? 20 : 8));
	return h;
}

/*
 * A write whose frame may leave as several: the write's result, then each
 * frame on the wire as length:hash (the segments of a GSO frame, in order).
 */
static void
write_gso(const char *key, ssize_t (*wr)(const void *, size_t), const struct vnet_hdr *h,
	  const uint8_t *f, size_t len)
{
	static uint8_t buf[70016], w[70016];
	char x[1024];
	size_t at = 0;
	ssize_t r;
	int wl, n = 0;

	memcpy(buf, h, sizeof(*h));
	memcpy(buf + sizeof(*h), f, len);
	r = wr(buf, sizeof(*h) + len);
	x[0] = '\0';
	while ((wl = B->wire(w, sizeof(w))) >= 0) {
		if (n++ < 48 && at + 32 < sizeof(x))
			at += (size_t)snprintf(x + at, sizeof(x) - at, "%s%d:%016" PRIx64,
					       at ? " " : "", wl, fnv(w, (size_t)wl));
	}
	snprintf(x + at, sizeof(x) - at, "%sframes=%d", at ? " " : "", n);
	put(key, r, x);
}

/*
 * Every frame the file holds, each as its header (flags, gso_type, gso_size,
 * csum_start, csum_offset; hdr_len on a line of its own: the kernel reports
 * its skb's linear length there) and length:hash of the frame.
 */
static void
read_all(const char *key)
{
	static uint8_t rd[70016];
	char x[1024], k[64], hl[256];
	size_t at = 0, hat = 0;
	struct vnet_hdr h;
	ssize_t r;
	int n = 0;

	x[0] = '\0';
	hl[0] = '\0';
	while ((r = B->read(rd, sizeof(rd))) > 10) {
		memcpy(&h, rd, sizeof(h));
		if (n++ < 16 && at + 64 < sizeof(x))
			at += (size_t)snprintf(x + at, sizeof(x) - at,
					       "%s[%u,%u,%u,%u,%u]%zd:%016" PRIx64, at ? " " : "",
					       h.flags, h.gso_type, h.gso_size, h.csum_start,
					       h.csum_offset, r - 10, fnv(rd + 10, (size_t)r - 10));
		if (hat + 8 < sizeof(hl))
			hat += (size_t)snprintf(hl + hat, sizeof(hl) - hat, "%s%u", hat ? "," : "",
						h.hdr_len);
	}
	snprintf(x + at, sizeof(x) - at, "%sframes=%d", at ? " " : "", n);
	put(key, r == -EAGAIN ? 0 : r, x);
	snprintf(k, sizeof(k), "%s-hdrlen", key);
	put(k, 0, hl);
}

/* NEEDS_CSUM and GSO writes to the wire; a sibling's, read with the offloads set. */
static void
offloads(void)
{
	static uint8_t f[70016];
	struct vnet_hdr h;
	size_t len;

	len = l4_frame(f, EXT, false, 6, 301, 0x18, true);
	h = vh(1, 0, 0, 34, 16);
	write_gso("write-ol-csum-tcp4", B->write, &h, f, len);
	len = l4_frame(f, EXT, true, 17, 77, 0, true);
	h = vh(1, 0, 0, 54, 6);
	write_gso("write-ol-csum-udp6", B->write, &h, f, len);
	len = l4_frame(f, EXT, false, 6, 3000, 0x99, true);
	h = vh(1, 1 | 0x80, 1000, 34, 16);
	write_gso("write-ol-gso-tcp4", B->write, &h, f, len);
	len = l4_frame(f, EXT, false, 6, 2500, 0x10, false);
	h = vh(0, 1, 1000, 0, 0);
	write_gso("write-ol-gso-tcp4-nocsum", B->write, &h, f, len);
	len = l4_frame(f, EXT, true, 6, 3000, 0x18, true);
	h = vh(1, 4, 1000, 54, 16);
	write_gso("write-ol-gso-tcp6", B->write, &h, f, len);
	len = l4_frame(f, EXT, false, 17, 3000, 0, true);
	h = vh(1, 5, 1000, 34, 6);
	write_gso("write-ol-gso-udp4-l4", B->write, &h, f, len);
	len = l4_frame(f, EXT, true, 17, 2999, 0, true);
	h = vh(1, 5, 1200, 54, 6);
	write_gso("write-ol-gso-udp6-l4", B->write, &h, f, len);
	len = l4_frame(f, EXT, false, 6, 65000, 0x18, true);
	h = vh(1, 1, 1448, 34, 16);
	write_gso("write-ol-gso-tcp4-64k", B->write, &h, f, len);
	len = l4_frame(f, EXT, false, 6, 900, 0x18, true);
	h = vh(1, 1, 1000, 34, 16);
	write_gso("write-ol-gso-small", B->write, &h, f, len);
	len = l4_frame(f, EXT, false, 17, 3000, 0, true);
	h = vh(1, 3, 1000, 34, 6);
	write_gso("write-ol-gso-ufo", B->write, &h, f, len);
	len = l4_frame(f, EXT, false, 17, 2500, 0, false);
	h = vh(0, 3, 800, 0, 0);
	write_gso("write-ol-gso-ufo-nocsum", B->write, &h, f, len);
	len = l4_frame(f, EXT, true, 17, 3000, 0, true);
	h = vh(1, 3, 1000, 54, 6);
	write_gso("write-ol-gso-ufo6", B->write, &h, f, len);
	len = l4_frame(f, EXT, false, 6, 3000, 0x18, true);
	h = vh(1, 1, 1000, 34, 6);
	write_gso("write-ol-gso-tcp-off6", B->write, &h, f, len);
	h = vh(0, 5, 1000, 0, 0);
	write_gso("write-ol-gso-udpl4-nocsum", B->write, &h, f, len);
	h = vh(0, 0x80, 0, 0, 0);
	write_gso("write-ol-ecn-alone", B->write, &h, f, len);

	/* A sibling's writes to this file's port: what the reader gets. */
	if (B->sib_write == NULL)
		return;
	put("setoffload-0xf", B->ioctl(TUNSETOFFLOAD, (void *)(uintptr_t)0xf), NULL);
	len = l4_frame(f, mac_s, false, 17, 333, 0, true);
	h = vh(1, 0, 0, 34, 6);
	write_gso("sib-write-udp", B->sib_write, &h, f, len);
	read_all("read-ol-default-udp");
	len = l4_frame(f, mac_s, false, 6, 3000, 0x18, true);
	h = vh(1, 1, 1000, 34, 16);
	write_gso("sib-write-tso4", B->sib_write, &h, f, len);
	read_all("read-ol-default-tso4");
	put("setoffload-csum", B->ioctl(TUNSETOFFLOAD, (void *)(uintptr_t)0x1), NULL);
	write_gso("sib-write-tso4-2", B->sib_write, &h, f, len);
	read_all("read-ol-csum-tso4");
	put("setoffload-none", B->ioctl(TUNSETOFFLOAD, NULL), NULL);
	write_gso("sib-write-tso4-3", B->sib_write, &h, f, len);
	read_all("read-ol-none-tso4");
	len = l4_frame(f, mac_s, false, 17, 333, 0, true);
	h = vh(1, 0, 0, 34, 6);
	write_gso("sib-write-udp-2", B->sib_write, &h, f, len);
	read_all("read-ol-none-udp");
	put("setoffload-back", B->ioctl(TUNSETOFFLOAD, (void *)(uintptr_t)0xf), NULL);
	/* UDP segmentation never reaches a reader whole: fragments (UFO), datagrams (USO). */
	len = l4_frame(f, mac_s, false, 17, 3000, 0, true);
	h = vh(1, 3, 1000, 34, 6);
	write_gso("sib-write-ufo", B->sib_write, &h, f, len);
	read_all("read-ol-default-ufo");
	h = vh(1, 5, 1000, 34, 6);
	write_gso("sib-write-uso", B->sib_write, &h, f, len);
	read_all("read-ol-default-uso");
	/* Ours: the sibling's queue back to its rx burst, which polls the lower for the rest. */
	if (kfd < 0 && osib != NULL) {
		rte_pmd_macvtap_file_close(osib);
		osib = NULL;
	}
}

static void
table(void)
{
	unsigned int feat = 0;
	char x[32];
	int r;

	iff_get("getiff-default");
	r = B->ioctl(TUNGETFEATURES, &feat);
	snprintf(x, sizeof(x), "value=0x%04x", r == 0 ? feat : 0);
	put("getfeatures", r, x);
	int_get("getvnethdrsz-default", TUNGETVNETHDRSZ);
	put("setvnethdrsz-9", call_int(TUNSETVNETHDRSZ, 9), NULL);
	put("setvnethdrsz-neg1", call_int(TUNSETVNETHDRSZ, -1), NULL);
	put("setvnethdrsz-12", call_int(TUNSETVNETHDRSZ, 12), NULL);
	int_get("getvnethdrsz-12", TUNGETVNETHDRSZ);
	put("setvnethdrsz-10", call_int(TUNSETVNETHDRSZ, 10), NULL);
	int_get("getvnetle-default", TUNGETVNETLE);
	put("setvnetle-5", call_int(TUNSETVNETLE, 5), NULL);
	int_get("getvnetle-5", TUNGETVNETLE);
	iff_get("getiff-le");
	put("setvnetle-0", call_int(TUNSETVNETLE, 0), NULL);
	int_get("getvnetle-0", TUNGETVNETLE);
	int_get("getvnetbe", TUNGETVNETBE);
	put("setvnetbe-0", call_int(TUNSETVNETBE, 0), NULL);
	put("setvnetbe-1", call_int(TUNSETVNETBE, 1), NULL);
	put("setsndbuf-0", call_int(TUNSETSNDBUF, 0), NULL);
	put("setsndbuf-neg5", call_int(TUNSETSNDBUF, -5), NULL);
	put("setsndbuf-65536", call_int(TUNSETSNDBUF, 65536), NULL);
	put("setoffload-0x80", B->ioctl(TUNSETOFFLOAD, (void *)(uintptr_t)0x80), NULL);
	put("setoffload-0x1ff", B->ioctl(TUNSETOFFLOAD, (void *)(uintptr_t)0x1ff), NULL);
	put("setoffload-0x7f", B->ioctl(TUNSETOFFLOAD, (void *)(uintptr_t)0x7f), NULL);
	put("setoffload-0x1", B->ioctl(TUNSETOFFLOAD, (void *)(uintptr_t)0x1), NULL);
	put("setoffload-0", B->ioctl(TUNSETOFFLOAD, NULL), NULL);
	iff_set("setiff-tap-nopi", IFF_TAP | IFF_NO_PI);
	iff_get("getiff-tap-nopi");
	iff_set("setiff-mq", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE);
	iff_get("getiff-mq");
	iff_set("setiff-tap", IFF_TAP);
	iff_set("setiff-tun-nopi", IFF_TUN | IFF_NO_PI);
	iff_set("setiff-onequeue", IFF_TAP | IFF_NO_PI | IFF_ONE_QUEUE);
	iff_get("getiff-after-refused");
	iff_set("setiff-default", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	set_queue("setqueue-detach", IFF_DETACH_QUEUE);
	set_queue("setqueue-detach-again", IFF_DETACH_QUEUE);
	set_queue("setqueue-none", 0);
	set_queue("setqueue-attach", IFF_ATTACH_QUEUE);
	set_queue("setqueue-attach-again", IFF_ATTACH_QUEUE);
	hwaddr_get("getifhwaddr");
	put("setpersist", call_int(TUNSETPERSIST, 1), NULL);
	int_get("getsndbuf", TUNGETSNDBUF);
	put("settxfilter", call_int(TUNSETTXFILTER, 0), NULL);
	put("unknown-request", call_int(0x12345678, 0), NULL);
	put("getiff-null", B->ioctl(TUNGETIFF, NULL), NULL);
	put("setiff-null", B->ioctl(TUNSETIFF, NULL), NULL);
	put("getfeatures-null", B->ioctl(TUNGETFEATURES, NULL), NULL);
	put("setvnethdrsz-null", B->ioctl(TUNSETVNETHDRSZ, NULL), NULL);
	put("getvnethdrsz-null", B->ioctl(TUNGETVNETHDRSZ, NULL), NULL);
	put("setqueue-null", B->ioctl(TUNSETQUEUE, NULL), NULL);
	put("setsndbuf-null", B->ioctl(TUNSETSNDBUF, NULL), NULL);
	put("getifhwaddr-null", B->ioctl(SIOCGIFHWADDR, NULL), NULL);
	put("setifhwaddr-null", B->ioctl(SIOCSIFHWADDR, NULL), NULL);
	reads();
	writes();
	offloads();
	/* The MAC, last: frames then go to the new one. */
	hwaddr_set("setifhwaddr-busy", other_s, 1);
	hwaddr_set("setifhwaddr-family-0", new_s, 0);
	hwaddr_set("setifhwaddr-new", new_s, 1);
	hwaddr_get("getifhwaddr-new");
	inject(new_s, 0, 12, 64);
	read_frame("read-new-mac", FRAME_MAX);
	inject(mac_s, 0, 13, 64);
	read_frame("read-old-mac", FRAME_MAX);
	/* Detached: the queue keeps what it holds and gets no new frame. */
	inject(new_s, 0, 14, 64);
	if (kfd >= 0)
		k_wait_in();   /* the kernel's delivery is asynchronous */
	set_queue("setqueue-detach-2", IFF_DETACH_QUEUE);
	read_frame("read-detached-held", FRAME_MAX);
	inject(new_s, 0, 15, 64);
	read_frame("read-detached-new", FRAME_MAX);
	set_queue("setqueue-attach-2", IFF_ATTACH_QUEUE);
}

/* The device is gone: the kernel's macvtap deleted, our port closed. */
static void
gone(const char *ifname)
{
	uint8_t buf[128];
	char cmd[64];
	unsigned int feat = 0;
	char x[32];
	int r;

	if (kfd >= 0) {
		snprintf(cmd, sizeof(cmd), "ip link del %s", ifname);
		if (system(cmd) != 0)
			fprintf(stderr, "# '%s' failed\n", cmd);
	} else {
		rte_eth_dev_stop(env.ports[0]);
		rte_eth_dev_close(env.ports[0]);
	}
	read_frame("gone-read", FRAME_MAX);
	memset(buf, 0, sizeof(buf));
	frame(buf + 10, EXT, 0, 0x88b5, 1, 64);
	put("gone-write", B->write(buf, 74), NULL);
	iff_get("gone-getiff");
	hwaddr_get("gone-getifhwaddr");
	put("gone-setoffload", B->ioctl(TUNSETOFFLOAD, (void *)(uintptr_t)1), NULL);
	set_queue("gone-setqueue-detach", IFF_DETACH_QUEUE);
	set_queue("gone-setqueue-attach", IFF_ATTACH_QUEUE);
	put("gone-setvnethdrsz-12", call_int(TUNSETVNETHDRSZ, 12), NULL);
	int_get("gone-getvnethdrsz", TUNGETVNETHDRSZ);
	r = B->ioctl(TUNGETFEATURES, &feat);
	snprintf(x, sizeof(x), "value=0x%04x", r == 0 ? feat : 0);
	put("gone-getfeatures", r, x);
	iff_set("gone-setiff-tap-nopi", IFF_TAP | IFF_NO_PI);
}

int
main(int argc, char **argv)
{
	struct backend b;
	int ret;

	memset(&b, 0, sizeof(b));
	if ((argc == 9 || argc == 10) && strcmp(argv[1], "kernel") == 0) {
		mac_s = argv[6];
		other_s = argv[7];
		new_s = argv[8];
		if (kernel_init(&b, argv[2], argv[3], argv[4], argv[5],
				argc == 10 ? argv[9] : NULL) != 0)
			return 2;
		B = &b;
		k_ifname = argv[3];
		table();
		gone(argv[3]);
		return 0;
	}
	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return 2;
	argc -= ret;
	argv += ret;
	if (!(argc == 5 && strcmp(argv[1], "dpdk") == 0) &&
	    !(argc == 6 && strcmp(argv[1], "seqpacket") == 0)) {
		fprintf(stderr, "usage: %s kernel DEV IFNAME LOWER PEER MAC OTHER NEW | "
			"<EAL args> -- dpdk MAC OTHER NEW | "
			"<EAL args> -- seqpacket MAC OTHER NEW SOCKET\n", argv[0]);
		return 2;
	}
	mac_s = argv[2];
	other_s = argv[3];
	new_s = argv[4];
	if ((argc == 5 ? dpdk_init(&b) : seqpacket_init(&b, argv[5])) != 0) {
		fprintf(stderr, "set-up failed: %s\n", t_fail_reason);
		return 2;
	}
	B = &b;
	table();
	if (osib != NULL)
		rte_pmd_macvtap_file_close(osib);
	gone(NULL);
	if (ofile != NULL)
		rte_pmd_macvtap_file_close(ofile);
	macvtap_client_close(oclient);
	rte_vdev_uninit(env.port_names[0]);
	t_env_fini(&env);
	rte_mempool_free(t_pool);
	rte_eal_cleanup();
	return 0;
}

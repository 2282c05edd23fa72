/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Tests of the devarg chardev=: a port's queues served by a thread of the
 * driver to a peer outside DPDK (tap_chardev.c). The peer lives in this
 * process: the tests connect to the unix sockets, use the seqpacket client
 * library (lib/macvtap_client) or open /dev/net/tun, and the driver's thread
 * serves them, so every wait is a bounded poll (WAIT_MS in 1 ms steps).
 * Frames come from the harness's lower; what the port sends is read back
 * from the lower's TX ring byte by byte. Sockets go in a private directory
 * (mkdtemp under /tmp, removed at exit); TAP interfaces are named mvcdt*.
 *
 * Run: test_chardev <EAL args> [-- test-name-substring]
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "harness.h"
#include "macvtap_client.h"
#include "rte_pmd_macvtap.h"

#define EXT "02:ee:00:00:00:01"        /* a host on the wire */
#define PORT_MAC "02:00:00:00:0c:01"
#define OTHER_MAC "02:00:00:00:0c:02"  /* a sibling port */
#define ETYPE 0x88b5                   /* every test frame's (local experimental) */
#define VHDR 10                        /* the seqpacket connection's virtio-net header */
#define WAIT_MS 2000                   /* the longest wait for the driver's thread */
#define FRAME_MAX 4096
#define MAX_FRAME 69632                /* the stream framing's largest frame */

/* ---- the private directory for sockets ---- */

static char dir[sizeof("/tmp/mvcdt.XXXXXX")];

static void
dir_remove(void)
{
	struct dirent *d;
	char path[PATH_MAX];
	DIR *dp;

	if (dir[0] == '\0')
		return;
	dp = opendir(dir);
	if (dp != NULL) {
		while ((d = readdir(dp)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
			unlink(path);
		}
		closedir(dp);
	}
	rmdir(dir);
}

/* dir/name into buf, the directory made at the first call. */
static const char *
sock_path(char *buf, size_t n, const char *name)
{
	if (dir[0] == '\0') {
		strcpy(dir, "/tmp/mvcdt.XXXXXX");
		if (mkdtemp(dir) == NULL) {
			fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
			exit(2);
		}
		atexit(dir_remove);
	}
	snprintf(buf, n, "%s/%s", dir, name);
	return buf;
}

static bool
path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- time and waits ---- */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned int ms)
{
	usleep(ms * 1000);
}

/* Wait (WAIT_MS at most) for an xstat to reach want; its last value. */
static uint64_t
wait_xstat(uint16_t port, const char *name, uint64_t want)
{
	uint64_t end = now_ms() + WAIT_MS, v;

	while ((v = t_xstat(port, name)) < want && now_ms() < end)
		sleep_ms(1);
	return v;
}

/* Wait (WAIT_MS at most) for the sum of two xstats to reach want; the sum. */
static uint64_t
wait_xstat_sum(uint16_t port, const char *a, const char *b, uint64_t want)
{
	uint64_t end = now_ms() + WAIT_MS, v;

	while ((v = t_xstat(port, a) + t_xstat(port, b)) < want && now_ms() < end)
		sleep_ms(1);
	return v;
}

/* ---- frames ---- */

static void
put_mac(uint8_t *p, const char *s)
{
	struct rte_ether_addr a = t_mac(s);

	memcpy(p, a.addr_bytes, RTE_ETHER_ADDR_LEN);
}

/* A frame of len bytes (at least 14) dst <- src, ETYPE, id at 14 when it fits, a pattern. */
static size_t
make_frame(uint8_t *p, const char *dst, const char *src, uint32_t id, size_t len)
{
	size_t i;

	put_mac(p, dst);
	put_mac(p + 6, src);
	p[12] = ETYPE >> 8;
	p[13] = ETYPE & 0xff;
	for (i = 14; i < len; i++)
		p[i] = (uint8_t)(i * 7 + id);
	if (len >= 18)
		memcpy(p + 14, &id, sizeof(id));
	return len;
}

static uint32_t
frame_id(const uint8_t *p)
{
	uint32_t id;

	memcpy(&id, p + 14, sizeof(id));
	return id;
}

static bool
is_test_frame(const uint8_t *p, size_t len)
{
	return len >= 18 && p[12] == (ETYPE >> 8) && p[13] == (ETYPE & 0xff);
}


/* A frame to the port's MAC from EXT, injected; its bytes in p. */
static int
inject_id(struct t_env *e, uint8_t *p, uint32_t id, size_t len)
{
	make_frame(p, PORT_MAC, EXT, id, len);
	return t_inject_bytes(e, p, len, 0);
}

/* The next test frame on the wire (others, such as the host stack's, are skipped). */
static int
wire_take(struct t_env *e, uint8_t *p, size_t cap)
{
	int len;

	while ((len = t_wire_take(e, p, cap)) >= 0)
		if (is_test_frame(p, (size_t)len))
			return len;
	return -1;
}

/* The next test frame on the wire within WAIT_MS, or -1. */
static int
wire_wait(struct t_env *e, uint8_t *p, size_t cap)
{
	uint64_t end = now_ms() + WAIT_MS;
	int len;

	while ((len = wire_take(e, p, cap)) < 0 && now_ms() < end)
		sleep_ms(1);
	return len;
}

/* Test frames on the wire after ms milliseconds (what should not be there). */
static unsigned int
wire_quiet(struct t_env *e, unsigned int ms)
{
	uint8_t p[FRAME_MAX];
	unsigned int n = 0;

	sleep_ms(ms);
	while (wire_take(e, p, sizeof(p)) >= 0)
		n++;
	return n;
}

/* want (len bytes) is the next test frame on the wire. */
static int
wire_expect(struct t_env *e, const uint8_t *want, size_t len, const char *what)
{
	uint8_t got[FRAME_MAX];
	int n = wire_wait(e, got, sizeof(got));

	CHECK(n >= 0, "%s: nothing on the wire in %d ms", what, WAIT_MS);
	CHECK((size_t)n == len && memcmp(got, want, len) == 0,
	      "%s: the wire has %d bytes (id %u), want %zu (id %u)", what, n,
	      n >= 18 ? frame_id(got) : 0, len, len >= 18 ? frame_id(want) : 0);
	return 0;
}

/* Descriptors this process has open. */
static int
count_fds(void)
{
	DIR *dp = opendir("/proc/self/fd");
	int n = 0;

	if (dp == NULL)
		return -1;
	while (readdir(dp) != NULL)
		n++;
	closedir(dp);
	return n;
}

/* ---- unix socket peers ---- */

static int
unix_socket(int type, const char *bind_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind_path == NULL)
		return fd;
	strlcpy(sa.sun_path, bind_path, sizeof(sa.sun_path));
	unlink(bind_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected socket, or -errno. */
static int
unix_connect(int type, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Wait for fd to be readable until end; false on timeout. */
static bool
wait_readable(int fd, uint64_t end)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now;

	while ((now = now_ms()) < end) {
		int r = poll(&pfd, 1, (int)(end - now));

		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
	return false;
}

/* n bytes from a stream: 0, -1 (timeout) or -2 (the other side closed or reset). */
static int
recv_full(int fd, uint8_t *p, size_t n, uint64_t end)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r;

		if (!wait_readable(fd, end))
			return -1;
		r = recv(fd, p + got, n - got, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return -2;
		if (r > 0)
			got += (size_t)r;
	}
	return 0;
}

/* One frame of the stream framing: its length, -1 (timeout) or -2 (closed). */
static int
stream_read(int fd, uint8_t *p, size_t cap)
{
	uint64_t end = now_ms() + WAIT_MS;
	uint32_t len;
	int r;

	r = recv_full(fd, (uint8_t *)&len, sizeof(len), end);
	if (r != 0)
		return r;
	len = ntohl(len);
	if (len > cap)
		return -3;
	r = recv_full(fd, p, len, end);
	return r != 0 ? r : (int)len;
}

static int
send_all(int fd, const void *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = send(fd, (const uint8_t *)p + done, n - done, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* The 4-byte big-endian length, then the frame. */
static int
stream_write(int fd, const uint8_t *p, uint32_t len)
{
	uint32_t be = htonl(len);

	if (send_all(fd, &be, sizeof(be)) != 0)
		return -1;
	return send_all(fd, p, len);
}

/* The next frame the peer gets is want. */
static int
stream_expect(int fd, const uint8_t *want, size_t len, const char *what)
{
	uint8_t got[FRAME_MAX];
	int n = stream_read(fd, got, sizeof(got));

	CHECK(n >= 0, "%s: the peer got no frame (%s)", what,
	      n == -1 ? "timeout" : n == -2 ? "connection closed" : "a frame too long");
	CHECK((size_t)n == len && memcmp(got, want, len) == 0,
	      "%s: the peer got %d bytes (id %u), want %zu (id %u)", what, n,
	      n >= 18 ? frame_id(got) : 0, len, frame_id(want));
	return 0;
}

/* The endpoint closed this connection (EOF or reset) within WAIT_MS; what came before is read. */
static bool
closed_by_endpoint(int fd)
{
	uint64_t end = now_ms() + WAIT_MS;
	uint8_t buf[4096];

	for (;;) {
		ssize_t r;

		if (!wait_readable(fd, end))
			return false;
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			return false;
	}
}

/* Nothing readable on fd for ms milliseconds. */
static bool
silent(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 0;
}

/*
 * Connect a stream peer and wait until the endpoint accepted it (its
 * chardev_peer_connects grew). A connection that comes while the endpoint
 * still holds the previous peer (whose hangup it has not seen yet) is
 * refused: tried again, counted in *retries. The descriptor, or -1.
 */
static int
stream_peer(uint16_t port, const char *path, unsigned int *retries)
{
	unsigned int tries;

	for (tries = 0; tries < 100; tries++) {
		uint64_t c0 = t_xstat(port, "chardev_peer_connects");
		uint64_t r0 = t_xstat(port, "chardev_peer_refused");
		uint64_t end = now_ms() + WAIT_MS;
		int fd = unix_connect(SOCK_STREAM, path);

		if (fd < 0)
			return -1;
		while (now_ms() < end) {
			if (t_xstat(port, "chardev_peer_connects") > c0)
				return fd;
			if (t_xstat(port, "chardev_peer_refused") > r0)
				break;
			usleep(100);
		}
		close(fd);
		if (now_ms() >= end)
			return -1;
		if (retries != NULL)
			(*retries)++;
		sleep_ms(1);
	}
	return -1;
}

/* Close a stream peer the polite way: the endpoint sees the end, then closes its side. */
static bool
stream_hangup(int fd)
{
	bool ok;

	shutdown(fd, SHUT_WR);
	ok = closed_by_endpoint(fd);
	close(fd);
	return ok;
}

/* ---- seqpacket clients ---- */

/* A refusal: EBUSY, or how a refusal may reach the client (chardev_seqpacket_refusal_errno). */
static bool
refused_errno(int err)
{
	return err == EBUSY || err == ECONNRESET || err == EPIPE;
}

/* A client, tried again while every queue is held (a closed one may not be released yet). */
static struct macvtap_client *
seq_open(const char *path, unsigned int *busy)
{
	uint64_t end = now_ms() + WAIT_MS;
	struct macvtap_client *c;

	while ((c = macvtap_client_open(path)) == NULL && refused_errno(errno) &&
	       now_ms() < end) {
		if (busy != NULL)
			(*busy)++;
		sleep_ms(1);
	}
	return c;
}

/* One message of a connection within WAIT_MS: its length, or -1. */
static ssize_t
seq_read(struct macvtap_client *c, uint8_t *p, size_t cap)
{
	uint64_t end = now_ms() + WAIT_MS;
	ssize_t n;

	for (;;) {
		n = macvtap_client_read(c, p, cap, MSG_DONTWAIT);
		if (n >= 0 || errno != EAGAIN)
			return n;
		if (!wait_readable(macvtap_client_fd(c), end))
			return -1;
	}
}

/* The next frame of a connection is want, behind a 10-byte header of zeros. */
static int
seq_expect(struct macvtap_client *c, const uint8_t *want, size_t len, const char *what)
{
	static const uint8_t zero[VHDR];
	uint8_t got[FRAME_MAX];
	ssize_t n = seq_read(c, got, sizeof(got));

	CHECK(n >= 0, "%s: the connection got nothing: %s", what, strerror(errno));
	CHECK((size_t)n == VHDR + len && memcmp(got, zero, VHDR) == 0 &&
	      memcmp(got + VHDR, want, len) == 0,
	      "%s: the connection got %zd bytes (id %u), want %d + %zu (id %u)", what, n,
	      n >= VHDR + 18 ? frame_id(got + VHDR) : 0, VHDR, len, frame_id(want));
	return 0;
}

/* A frame behind a header of zeros, written on a connection. */
static int
seq_write(struct macvtap_client *c, const uint8_t *frame, size_t len)
{
	uint8_t msg[VHDR + FRAME_MAX];

	memset(msg, 0, VHDR);
	memcpy(msg + VHDR, frame, len);
	return macvtap_client_write(c, msg, VHDR + len) == (ssize_t)(VHDR + len) ? 0 : -1;
}

/* ---- ports ---- */

static int
chardev_port(struct t_env *e, const char *extra, uint16_t nb_rxq, int *idx)
{
	char args[512];

	snprintf(args, sizeof(args), "mac=" PORT_MAC ",mode=bridge,%s", extra);
	return t_add_port(e, args, nb_rxq, 0, idx);
}

/*
 * The endpoint's thread opened its tap file: queue 0's ethdev burst counts
 * as held. Waits for it (the thread opens the file within 100 ms of start).
 */
static int
wait_held(uint16_t port)
{
	struct rte_mbuf *m[4];
	uint64_t end = now_ms() + WAIT_MS, before;
	uint16_t n;

	for (;;) {
		before = t_xstat(port, "rx_burst_held");
		n = rte_eth_rx_burst(port, 0, m, RTE_DIM(m));
		rte_pktmbuf_free_bulk(m, n);
		if (t_xstat(port, "rx_burst_held") == before + 1)
			return 0;
		CHECK(now_ms() < end, "the endpoint did not take queue 0 in %d ms", WAIT_MS);
		sleep_ms(1);
	}
}

static int
lower_pool_full(uint16_t port)
{
	struct rte_mempool *mp = rte_pmd_macvtap_get_lower_mempool(port);
	uint64_t end = now_ms() + WAIT_MS;

	CHECK(mp != NULL, "no lower mempool");
	while (!rte_mempool_full(mp) && now_ms() < end)
		sleep_ms(1);
	CHECK(rte_mempool_full(mp), "lower mempool: %u mbufs in use",
	      rte_mempool_in_use_count(mp));
	return 0;
}

/* ---- 1. probe errors ---- */

struct bad_probe {
	char args[400];
	int err;
	const char *log;          /* the problem the log names */
	char path[256];           /* not there afterwards ("" : none) */
	char ifname[IFNAMSIZ + 8];/* no such interface afterwards ("" : none) */
};

static int
probe_fails(struct t_env *e, const struct bad_probe *b)
{
	uint16_t count = rte_eth_dev_count_total();
	char args[512];
	int ret;

	snprintf(args, sizeof(args), "iface=%s,%s", e->lower_name, b->args);
	TRY(t_log_start());
	ret = rte_vdev_init("net_macvtap_cdbad", args);
	CHECK(ret == b->err, "'%s': got %d, want %d", b->args, ret, b->err);
	CHECK(t_log_count(b->log) >= 1, "'%s': the log does not say '%s'", b->args, b->log);
	t_log_stop();
	CHECK_EQ(rte_eth_dev_count_total(), count, "a port left behind");
	CHECK(b->path[0] == '\0' || !path_exists(b->path), "'%.200s': %.200s left behind",
	      b->args, b->path);
	CHECK(b->ifname[0] == '\0' || if_nametoindex(b->ifname) == 0,
	      "'%s': interface %s left behind", b->args, b->ifname);
	return 0;
}

static int
test_probe_errors(void)
{
	static struct t_env e;
	static struct bad_probe b[16];
	char p[400], longp[200], regular[200], busy[200], busyd[200], stale[200];
	struct rte_malloc_socket_stats before, after;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int i, n = 0;
	size_t dl;
	struct stat st;
	int fd, a, s, ret;

	TRY(t_env_init(&e, 1));
	sock_path(p, sizeof(p), "");
	dl = strlen(p);

#define BAD(err_, log_, path_, if_, ...) do { \
	snprintf(b[n].args, sizeof(b[n].args), __VA_ARGS__); \
	b[n].err = (err_); \
	b[n].log = (log_); \
	snprintf(b[n].path, sizeof(b[n].path), "%s", (path_)); \
	snprintf(b[n].ifname, sizeof(b[n].ifname), "%s", (if_)); \
	n++; \
} while (0)
	BAD(-EINVAL, "'foo:x' is not <kind>:<where>", "", "", "chardev=foo:x");
	BAD(-EINVAL, "is not <kind>:<where>", "", "", "chardev=%s/s", dir);
	BAD(-EINVAL, "'stream' is not <kind>:<where>", "", "", "chardev=stream");
	BAD(-ENAMETOOLONG, "a stream socket needs a path of 1 to 107 characters", "", "",
	    "chardev=stream:");
	/* 108 characters: one more than sun_path holds with its NUL. */
	memset(longp, 'x', 108 - dl);
	longp[108 - dl] = '\0';
	BAD(-ENAMETOOLONG, "a dgram socket needs a path of 1 to 107", "", "",
	    "chardev=dgram:%s/%s", dir, longp);
	BAD(-EINVAL, "'mvcdt0123456789a' is not an interface name", "", "mvcdt0123456789a",
	    "chardev=tap:mvcdt0123456789a");
	BAD(-EINVAL, "'mvcdt/x' is not an interface name", "", "", "chardev=tap:mvcdt/x");
	BAD(-EINVAL, "'' is not an interface name", "", "", "chardev=host:");
	sock_path(p, sizeof(p), "m");
	BAD(-EINVAL, "'999' is not an octal mode", p, "", "chardev=stream:%s,chardev_mode=999", p);
	BAD(-EINVAL, "only a socket has a mode", "", "mvcdtmode",
	    "chardev=tap:mvcdtmode,chardev_mode=0600");
	BAD(-EINVAL, "chardev_owner, chardev_group and chardev_mode need chardev=", "", "",
	    "chardev_owner=0");
	sock_path(p, sizeof(p), "o");
	BAD(-EINVAL, "'no-such-user-cdt' is neither a uid nor a user", p, "",
	    "chardev=stream:%s,chardev_owner=no-such-user-cdt", p);
	/* A directory that does not exist: the bind fails, and says so. */
	sock_path(p, sizeof(p), "nodir/s");
	BAD(-ENOENT, "cannot bind", p, "", "chardev=seqpacket:%s", p);
#undef BAD
	rte_malloc_get_socket_stats(0, &before);
	for (i = 0; i < n; i++)
		TRY(probe_fails(&e, &b[i]));

	/* A regular file is not replaced: -EEXIST, and it stays as it was. */
	sock_path(regular, sizeof(regular), "regular");
	fd = open(regular, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && write(fd, "keep", 4) == 4, "cannot make %s", regular);
	close(fd);
	memset(&b[0], 0, sizeof(b[0]));
	snprintf(b[0].args, sizeof(b[0].args), "chardev=stream:%s", regular);
	b[0].err = -EEXIST;
	b[0].log = "exists and is not a socket";
	TRY(probe_fails(&e, &b[0]));
	CHECK(lstat(regular, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4,
	      "the regular file was touched");
	unlink(regular);
	rte_malloc_get_socket_stats(0, &after);
	CHECK_EQ(after.alloc_count, before.alloc_count, "rte_malloc allocations after bad probes");

	/* A socket another endpoint serves: -EADDRINUSE; that endpoint keeps it and works. */
	snprintf(p, sizeof(p), "chardev=stream:%s", sock_path(busy, sizeof(busy), "busy"));
	TRY(chardev_port(&e, p, 1, &a));
	memset(&b[0], 0, sizeof(b[0]));
	snprintf(b[0].args, sizeof(b[0].args), "mac=" OTHER_MAC ",chardev=stream:%s", busy);
	b[0].err = -EADDRINUSE;
	b[0].log = "is in use by another process";
	TRY(probe_fails(&e, &b[0]));
	CHECK(lstat(busy, &st) == 0 && S_ISSOCK(st.st_mode), "the served socket went");
	fd = stream_peer(e.ports[a], busy, NULL);
	CHECK(fd >= 0, "the first endpoint does not accept a peer after the refused probe");
	close(fd);
	snprintf(p, sizeof(p), "chardev=dgram:%s", sock_path(busyd, sizeof(busyd), "busyd"));
	CHECK_EQ(t_probe(&e, p, NULL), 0, "a dgram endpoint");
	snprintf(b[0].args, sizeof(b[0].args), "mac=" OTHER_MAC ",chardev=dgram:%s", busyd);
	TRY(probe_fails(&e, &b[0]));
	CHECK(path_exists(busyd), "the served dgram socket went");

	/* A socket file nobody serves (its process died) is replaced. */
	sock_path(stale, sizeof(stale), "stale");
	s = unix_socket(SOCK_STREAM, stale);
	CHECK(s >= 0, "cannot bind %s", stale);
	close(s);
	CHECK(path_exists(stale), "the stale socket file");
	snprintf(p, sizeof(p), "mac=" OTHER_MAC ",chardev=stream:%s", stale);
	ret = t_probe(&e, p, &a);
	CHECK_EQ(ret, 0, "a stale socket file replaced");
	CHECK_EQ(t_port_setup(e.ports[a], 1, 0), 0, "setup");
	fd = stream_peer(e.ports[a], stale, NULL);
	CHECK(fd >= 0, "no peer accepted on the replaced socket");
	close(fd);

	/* The longest path, 107 characters, is taken. */
	memset(longp, 'y', 107 - dl);
	longp[107 - dl] = '\0';
	snprintf(p, sizeof(p), "mac=02:00:00:00:0c:03,chardev=stream:%s/%s", dir, longp);
	CHECK_EQ(t_probe(&e, p, NULL), 0, "a path of 107 characters");
	strlcpy(sa.sun_path, p + strlen("mac=02:00:00:00:0c:03,chardev=stream:"),
		sizeof(sa.sun_path));
	CHECK(path_exists(sa.sun_path), "the 107-character socket");
	TRY(t_env_fini(&e));
	CHECK(!path_exists(busy) && !path_exists(busyd) && !path_exists(stale) &&
	      !path_exists(sa.sun_path), "a socket file left after its port closed");
	return 0;
}

/* A tap: name that is another kind of interface, or a TAP whose file another holds. */
static int
test_probe_errors_tap(void)
{
	static struct t_env e;
	struct bad_probe b;
	struct ifreq ifr;
	int fd;

	if (geteuid() != 0)
		T_SKIP_BECAUSE("needs root (TAP interfaces)");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		T_SKIP_BECAUSE("no /dev/net/tun: %s", strerror(errno));
	TRY(t_env_init(&e, 1));
	memset(&b, 0, sizeof(b));
	snprintf(b.args, sizeof(b.args), "chardev=tap:lo");
	b.err = -EINVAL;
	b.log = "an interface of another kind has that name";
	TRY(probe_fails(&e, &b));
	CHECK(if_nametoindex("lo") != 0, "lo went");
	/* A TAP of ours, its file held here: the endpoint cannot have it. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "open /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "mvcdt%ub", (unsigned int)getpid() % 100000);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		close(fd);
		CHECK(0, "TUNSETIFF %s: %s", ifr.ifr_name, strerror(errno));
	}
	snprintf(b.args, sizeof(b.args), "chardev=host:%s", ifr.ifr_name);
	b.err = -EBUSY;
	b.log = "it exists and its file is held by another process";
	if (probe_fails(&e, &b) != 0) {
		close(fd);
		return -1;
	}
	CHECK(if_nametoindex(ifr.ifr_name) != 0, "the refused probe removed %s", ifr.ifr_name);
	close(fd);
	CHECK(if_nametoindex(ifr.ifr_name) == 0, "%s outlived its file", ifr.ifr_name);
	return t_env_fini(&e);
}

/* ---- 2. stream ---- */

static int
test_stream(void)
{
	static struct t_env e;
	uint8_t fr[8][FRAME_MAX], buf[3 * (4 + 1514)], big[3000];
	static const size_t lens[4] = { 60, 64, 100, 1514 };
	char path[256], args[300];
	uint64_t drop0, to0, from0;
	uint32_t be;
	size_t at;
	uint16_t port;
	int p, a, b, c, i;

	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=stream:%s", sock_path(path, sizeof(path), "stream"));
	TRY(chardev_port(&e, args, 1, &p));
	port = e.ports[p];
	CHECK(path_exists(path), "no socket at %s", path);
	TRY(wait_held(port));

	/* No peer: frames for the port are dropped and counted. */
	for (i = 0; i < 5; i++)
		TRY(inject_id(&e, fr[0], 1 + i, 64));
	CHECK_EQ(wait_xstat(port, "chardev_no_peer_dropped", 5), 5, "no_peer_dropped");
	CHECK_EQ(t_xstat(port, "chardev_to_peer_packets"), 0, "to_peer with no peer");

	/* A peer: frames from the wire come out framed, in order, byte for byte. */
	a = stream_peer(port, path, NULL);
	CHECK(a >= 0, "the first peer is not accepted");
	CHECK_EQ(t_xstat(port, "chardev_peer_connects"), 1, "peer_connects");
	for (i = 0; i < 4; i++)
		TRY(inject_id(&e, fr[i], 10 + i, lens[i]));
	for (i = 0; i < 4; i++)
		TRY(stream_expect(a, fr[i], lens[i], "wire to peer"));
	CHECK_EQ(wait_xstat(port, "chardev_to_peer_packets", 4), 4, "to_peer_packets");

	/* Three frames in one write reach the wire as written. */
	for (i = 0, at = 0; i < 3; i++) {
		size_t len = i == 0 ? 60 : i == 1 ? 200 : 1514;

		make_frame(fr[i], EXT, PORT_MAC, 20 + i, len);
		be = htonl((uint32_t)len);
		memcpy(buf + at, &be, 4);
		memcpy(buf + at + 4, fr[i], len);
		at += 4 + len;
	}
	CHECK_EQ(send_all(a, buf, at), 0, "the peer's write");
	TRY(wire_expect(&e, fr[0], 60, "peer to wire, frame 1 of 3"));
	TRY(wire_expect(&e, fr[1], 200, "peer to wire, frame 2 of 3"));
	TRY(wire_expect(&e, fr[2], 1514, "peer to wire, frame 3 of 3"));
	/* A frame cut in pieces, its length too. */
	make_frame(fr[3], EXT, PORT_MAC, 23, 100);
	be = htonl(100);
	memcpy(buf, &be, 4);
	memcpy(buf + 4, fr[3], 100);
	CHECK_EQ(send_all(a, buf, 2), 0, "piece 1");
	sleep_ms(5);
	CHECK_EQ(send_all(a, buf + 2, 5), 0, "piece 2");
	sleep_ms(5);
	CHECK_EQ(wire_quiet(&e, 5), 0, "a partial frame on the wire");
	CHECK_EQ(send_all(a, buf + 7, 97), 0, "piece 3");
	TRY(wire_expect(&e, fr[3], 100, "a frame written in 3 pieces"));
	/* The smallest frame the framing takes: 14 bytes. */
	make_frame(fr[4], EXT, PORT_MAC, 0, 14);
	CHECK_EQ(stream_write(a, fr[4], 14), 0, "a 14-byte frame");
	{
		uint8_t got[64];
		uint64_t end = now_ms() + WAIT_MS;
		struct rte_mbuf *m = NULL;

		while (rte_ring_dequeue(e.tx[0], (void **)&m) != 0 && now_ms() < end)
			sleep_ms(1);
		CHECK(m != NULL && rte_pktmbuf_pkt_len(m) == 14, "the 14-byte frame on the wire");
		memcpy(got, rte_pktmbuf_mtod(m, void *), 14);
		rte_pktmbuf_free(m);
		CHECK(memcmp(got, fr[4], 14) == 0, "the 14-byte frame's bytes");
	}
	CHECK_EQ(wait_xstat(port, "chardev_from_peer_packets", 5), 5, "from_peer_packets");

	/* Past one mbuf of the port's pool: a chain of them, on the wire. */
	make_frame(big, EXT, PORT_MAC, 24, sizeof(big));
	CHECK_EQ(stream_write(a, big, sizeof(big)), 0, "a 3000-byte frame");
	TRY(wire_expect(&e, big, sizeof(big), "a 3000-byte frame"));
	/* A frame the framing allows but the port refuses (over 64 KiB + 18): counted, kept on. */
	{
		static uint8_t huge[MAX_FRAME];

		make_frame(huge, EXT, PORT_MAC, 25, sizeof(huge));
		CHECK_EQ(stream_write(a, huge, sizeof(huge)), 0, "a frame of the framing's largest");
	}
	CHECK_EQ(wait_xstat(port, "tx_file_dropped", 1), 1, "tx_file_dropped");
	CHECK_EQ(wire_quiet(&e, 10), 0, "the refused frame on the wire");
	CHECK_EQ(t_xstat(port, "chardev_from_peer_packets"), 6, "from_peer after a refusal");
	CHECK_EQ(t_xstat(port, "chardev_peer_errors"), 0, "a refused frame is no framing error");

	/* A second peer is refused, counted; the first keeps working. */
	b = unix_connect(SOCK_STREAM, path);
	CHECK(b >= 0, "connect a second peer: %s", strerror(-b));
	CHECK(closed_by_endpoint(b), "the second peer was not closed");
	close(b);
	CHECK_EQ(wait_xstat(port, "chardev_peer_refused", 1), 1, "peer_refused");
	CHECK_EQ(t_xstat(port, "chardev_peer_connects"), 1, "peer_connects after a refusal");
	TRY(inject_id(&e, fr[0], 30, 80));
	TRY(stream_expect(a, fr[0], 80, "the first peer after a refusal"));
	make_frame(fr[1], EXT, PORT_MAC, 31, 90);
	CHECK_EQ(stream_write(a, fr[1], 90), 0, "write");
	TRY(wire_expect(&e, fr[1], 90, "the first peer's frame after a refusal"));

	/* A good frame, then a length of 13: the frame goes out, the peer is disconnected. */
	make_frame(fr[2], EXT, PORT_MAC, 32, 70);
	be = htonl(70);
	memcpy(buf, &be, 4);
	memcpy(buf + 4, fr[2], 70);
	be = htonl(13);
	memcpy(buf + 74, &be, 4);
	memset(buf + 78, 0xab, 13);
	CHECK_EQ(send_all(a, buf, 91), 0, "a frame and a runt length");
	TRY(wire_expect(&e, fr[2], 70, "the frame before the bad length"));
	CHECK(closed_by_endpoint(a), "a length of 13 did not disconnect the peer");
	close(a);
	CHECK_EQ(wait_xstat(port, "chardev_peer_errors", 1), 1, "peer_errors after 13");
	CHECK_EQ(wire_quiet(&e, 5), 0, "the runt on the wire");

	/* A new peer works; a length past 69632 disconnects it too. */
	c = stream_peer(port, path, NULL);
	CHECK(c >= 0, "a peer after a disconnect");
	CHECK_EQ(t_xstat(port, "chardev_peer_connects"), 2, "peer_connects");
	to0 = t_xstat(port, "chardev_to_peer_packets");
	TRY(inject_id(&e, fr[0], 40, 64));
	TRY(stream_expect(c, fr[0], 64, "the new peer"));
	CHECK_EQ(wait_xstat(port, "chardev_to_peer_packets", to0 + 1), to0 + 1, "to_peer");
	from0 = t_xstat(port, "chardev_from_peer_packets");
	make_frame(fr[1], EXT, PORT_MAC, 41, 64);
	CHECK_EQ(stream_write(c, fr[1], 64), 0, "write");
	TRY(wire_expect(&e, fr[1], 64, "the new peer's frame"));
	CHECK_EQ(wait_xstat(port, "chardev_from_peer_packets", from0 + 1), from0 + 1,
		 "from_peer");
	be = htonl(MAX_FRAME + 1);
	CHECK_EQ(send_all(c, &be, 4), 0, "a length of 69633");
	CHECK(closed_by_endpoint(c), "a length of 69633 did not disconnect the peer");
	close(c);
	CHECK_EQ(wait_xstat(port, "chardev_peer_errors", 2), 2, "peer_errors after 69633");

	/* The largest length is no error: the peer stays (the port refuses the frame). */
	c = stream_peer(port, path, NULL);
	CHECK(c >= 0, "a third peer");
	{
		uint8_t *max = calloc(1, MAX_FRAME);

		CHECK(max != NULL, "calloc");
		make_frame(max, EXT, PORT_MAC, 42, 64);
		i = stream_write(c, max, MAX_FRAME);
		free(max);
		CHECK_EQ(i, 0, "a frame of 69632 bytes");
	}
	CHECK_EQ(wait_xstat(port, "tx_file_dropped", 2), 2, "the port refuses 69632 bytes");
	CHECK_EQ(t_xstat(port, "chardev_peer_errors"), 2, "69632 is in bounds");
	TRY(inject_id(&e, fr[0], 43, 64));
	TRY(stream_expect(c, fr[0], 64, "after the largest frame"));
	CHECK(stream_hangup(c), "the endpoint did not close after the peer's end");

	/* No peer again: dropped and counted. */
	drop0 = t_xstat(port, "chardev_no_peer_dropped");
	for (i = 0; i < 3; i++)
		TRY(inject_id(&e, fr[0], 50 + i, 64));
	CHECK_EQ(wait_xstat(port, "chardev_no_peer_dropped", drop0 + 3), drop0 + 3,
		 "no_peer_dropped after the peer left");
	CHECK_EQ(t_xstat(port, "chardev_to_peer_dropped"), 0, "to_peer_dropped");
	CHECK_EQ(t_xstat(port, "chardev_peer_connects"), 3, "peer_connects at the end");
	TRY(lower_pool_full(port));
	TRY(t_env_fini(&e));
	CHECK(!path_exists(path), "the socket outlived its port");
	return 0;
}

/* ---- 3. connect/disconnect cycles ---- */

static int
test_stream_cycles(void)
{
	static struct t_env e;
	uint8_t fr[FRAME_MAX];
	char path[256], args[300];
	unsigned int retries = 0, injected = 0, written = 0, i;
	int fds_start, fds_before, fds_after, p, fd, k;
	uint16_t port;

	fds_start = count_fds();
	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=stream:%s", sock_path(path, sizeof(path), "cyc"));
	TRY(chardev_port(&e, args, 1, &p));
	port = e.ports[p];
	TRY(wait_held(port));
	sleep_ms(20); /* the file's eventfd comes just after its hold */
	fds_before = count_fds();
	for (i = 0; i < 1000; i++) {
		fd = stream_peer(port, path, &retries);
		CHECK(fd >= 0, "cycle %u: no peer accepted", i);
		if (i % 10 == 0) {
			TRY(inject_id(&e, fr, 10000 + i, 64 + i % 100));
			injected++;
			TRY(stream_expect(fd, fr, 64 + i % 100, "a cycle's frame to the peer"));
			make_frame(fr, EXT, PORT_MAC, 20000 + i, 60 + i % 50);
			CHECK_EQ(stream_write(fd, fr, 60 + i % 50), 0, "a cycle's write");
			written++;
			TRY(wire_expect(&e, fr, 60 + i % 50, "a cycle's frame to the wire"));
		}
		if (i % 50 == 49) {
			/* Gone at once, frames on their way to it: none may reach the next peer. */
			for (k = 0; k < 2; k++)
				TRY(inject_id(&e, fr, 30000 + i * 2 + k, 64));
			injected += 2;
			close(fd);
			CHECK_EQ(wait_xstat_sum(port, "chardev_to_peer_packets",
						"chardev_no_peer_dropped", injected), injected,
				 "frames sent to or dropped for a peer that left");
		} else {
			CHECK(stream_hangup(fd), "cycle %u: the endpoint did not close", i);
		}
	}
	/* The last connection still carries frames both ways. */
	fd = stream_peer(port, path, &retries);
	CHECK(fd >= 0, "the last peer");
	for (k = 0; k < 3; k++) {
		TRY(inject_id(&e, fr, 40000 + k, 100));
		TRY(stream_expect(fd, fr, 100, "the last peer"));
		make_frame(fr, EXT, PORT_MAC, 41000 + k, 100);
		CHECK_EQ(stream_write(fd, fr, 100), 0, "the last peer's write");
		TRY(wire_expect(&e, fr, 100, "the last peer's frame"));
	}
	written += 3;
	CHECK(stream_hangup(fd), "the last peer");
	fds_after = count_fds();
	CHECK_EQ(fds_after, fds_before, "descriptors after 1000 cycles");
	CHECK_EQ(t_xstat(port, "chardev_peer_connects"), 1001, "peer_connects");
	CHECK_EQ(t_xstat(port, "chardev_peer_refused"), retries, "peer_refused (tried again)");
	CHECK_EQ(t_xstat(port, "chardev_peer_errors"), 0, "peer_errors");
	CHECK_EQ(t_xstat(port, "chardev_from_peer_packets"), written, "from_peer_packets");
	CHECK_EQ(wire_quiet(&e, 0), 0, "frames on the wire nobody wrote");
	TRY(lower_pool_full(port));
	CHECK(rte_mempool_full(t_pool), "test pool: %u in use", rte_mempool_in_use_count(t_pool));
	TRY(t_env_fini(&e));
	CHECK_EQ(count_fds(), fds_start, "descriptors after the port closed");
	if (retries != 0)
		fprintf(stderr, "stream cycles: %u connections came before the endpoint saw "
			"the last one's close and were refused\n", retries);
	return 0;
}

static int
test_seqpacket_cycles(void)
{
	static struct t_env e;
	uint8_t fr[FRAME_MAX], buf[FRAME_MAX];
	char path[256], args[300];
	unsigned int busy = 0, written = 0, i;
	int fds_start, fds_before, p, k;
	struct macvtap_client *c;
	uint16_t port;

	fds_start = count_fds();
	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=seqpacket:%s",
		 sock_path(path, sizeof(path), "seqcyc"));
	TRY(chardev_port(&e, args, 1, &p));
	port = e.ports[p];
	fds_before = count_fds();
	for (i = 0; i < 200; i++) {
		c = seq_open(path, &busy);
		CHECK(c != NULL, "cycle %u: open: %s", i, strerror(errno));
		if (i % 10 == 0) {
			TRY(inject_id(&e, fr, 10000 + i, 64 + i % 100));
			if (seq_expect(c, fr, 64 + i % 100, "a cycle's frame") != 0) {
				macvtap_client_close(c);
				return -1;
			}
			make_frame(fr, EXT, PORT_MAC, 20000 + i, 60 + i % 50);
			CHECK_EQ(seq_write(c, fr, 60 + i % 50), 0, "a cycle's write");
			written++;
			if (wire_expect(&e, fr, 60 + i % 50, "a cycle's frame to the wire") != 0) {
				macvtap_client_close(c);
				return -1;
			}
		}
		macvtap_client_close(c);
	}
	c = seq_open(path, &busy);
	CHECK(c != NULL, "the last connection: %s", strerror(errno));
	for (k = 0; k < 3; k++) {
		TRY(inject_id(&e, fr, 40000 + k, 100));
		if (seq_expect(c, fr, 100, "the last connection") != 0) {
			macvtap_client_close(c);
			return -1;
		}
		make_frame(fr, EXT, PORT_MAC, 41000 + k, 100);
		CHECK_EQ(seq_write(c, fr, 100), 0, "the last connection's write");
		written++;
		if (wire_expect(&e, fr, 100, "the last connection's frame") != 0) {
			macvtap_client_close(c);
			return -1;
		}
	}
	macvtap_client_close(c);
	/* Its close is seen: a new connection gets the queue (and is let go). */
	c = seq_open(path, &busy);
	CHECK(c != NULL, "a connection after the last: %s", strerror(errno));
	CHECK_EQ(macvtap_client_read(c, buf, sizeof(buf), MSG_DONTWAIT), -1, "nothing to read");
	macvtap_client_close(c);
	{
		uint64_t end = now_ms() + WAIT_MS;

		while (count_fds() != fds_before && now_ms() < end)
			sleep_ms(1);
	}
	CHECK_EQ(count_fds(), fds_before, "descriptors after 200 cycles");
	CHECK_EQ(t_xstat(port, "chardev_peer_connects"), 202, "peer_connects");
	CHECK_EQ(t_xstat(port, "chardev_peer_refused"), busy, "peer_refused (EBUSY, tried again)");
	CHECK_EQ(t_xstat(port, "chardev_from_peer_packets"), written, "from_peer_packets");
	TRY(lower_pool_full(port));
	TRY(t_env_fini(&e));
	CHECK_EQ(count_fds(), fds_start, "descriptors after the port closed");
	if (busy != 0)
		fprintf(stderr, "seqpacket cycles: %u opens found the queue still held by a "
			"connection already closed\n", busy);
	return 0;
}

/* ---- 4. dgram ---- */

static int
dgram_send(int fd, const char *to, const void *p, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strlcpy(sa.sun_path, to, sizeof(sa.sun_path));
	return sendto(fd, p, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len ? 0 : -1;
}

/* The next datagram within WAIT_MS is want. */
static int
dgram_expect(int fd, const uint8_t *want, size_t len, const char *what)
{
	uint8_t got[FRAME_MAX];
	ssize_t n = -1;

	if (wait_readable(fd, now_ms() + WAIT_MS))
		n = recv(fd, got, sizeof(got), MSG_DONTWAIT);
	CHECK(n >= 0, "%s: no datagram", what);
	CHECK((size_t)n == len && memcmp(got, want, len) == 0,
	      "%s: got %zd bytes (id %u), want %zu (id %u)", what, n,
	      n >= 18 ? frame_id(got) : 0, len, frame_id(want));
	return 0;
}

static int
test_dgram(void)
{
	static struct t_env e;
	uint8_t fr[FRAME_MAX], *huge;
	char path[256], p1[256], p2[256], args[300];
	int p, s1, s2, s3, i, ret;
	uint16_t port;

	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=dgram:%s", sock_path(path, sizeof(path), "dgram"));
	TRY(chardev_port(&e, args, 1, &p));
	port = e.ports[p];
	TRY(wait_held(port));
	for (i = 0; i < 2; i++)
		TRY(inject_id(&e, fr, 1 + i, 64));
	CHECK_EQ(wait_xstat(port, "chardev_no_peer_dropped", 2), 2, "no peer yet: dropped");

	/* The first bound sender is the peer. */
	s1 = unix_socket(SOCK_DGRAM, sock_path(p1, sizeof(p1), "peer1"));
	s2 = unix_socket(SOCK_DGRAM, sock_path(p2, sizeof(p2), "peer2"));
	s3 = unix_socket(SOCK_DGRAM, NULL);
	CHECK(s1 >= 0 && s2 >= 0 && s3 >= 0, "peer sockets");
	make_frame(fr, EXT, PORT_MAC, 10, 70);
	ret = dgram_send(s1, path, fr, 70);
	CHECK_EQ(ret, 0, "the first peer's datagram");
	TRY(wire_expect(&e, fr, 70, "the first datagram"));
	CHECK_EQ(wait_xstat(port, "chardev_peer_connects", 1), 1, "peer learned");
	for (i = 0; i < 3; i++) {
		TRY(inject_id(&e, fr, 20 + i, 60 + i * 500));
		TRY(dgram_expect(s1, fr, 60 + i * 500, "wire to the peer"));
	}
	CHECK_EQ(wait_xstat(port, "chardev_to_peer_packets", 3), 3, "to_peer_packets");

	/* Another bound sender, and an unbound one: refused, counted, nothing sent. */
	make_frame(fr, EXT, PORT_MAC, 30, 64);
	CHECK_EQ(dgram_send(s2, path, fr, 64), 0, "the second sender");
	CHECK_EQ(wait_xstat(port, "chardev_peer_refused", 1), 1, "the second sender refused");
	make_frame(fr, EXT, PORT_MAC, 31, 64);
	CHECK_EQ(dgram_send(s3, path, fr, 64), 0, "the unbound sender");
	CHECK_EQ(wait_xstat(port, "chardev_peer_refused", 2), 2, "the unbound sender refused");
	CHECK_EQ(wire_quiet(&e, 10), 0, "a refused sender's frame on the wire");
	TRY(inject_id(&e, fr, 32, 64));
	TRY(dgram_expect(s1, fr, 64, "the peer after the refusals"));
	CHECK(silent(s2, 10), "the refused sender got a frame");

	/* A runt and a giant from the peer: errors; the peer stays. */
	CHECK_EQ(dgram_send(s1, path, fr, 13), 0, "a 13-byte datagram");
	CHECK_EQ(wait_xstat(port, "chardev_peer_errors", 1), 1, "a runt datagram");
	huge = calloc(1, MAX_FRAME + 1);
	CHECK(huge != NULL, "calloc");
	make_frame(huge, EXT, PORT_MAC, 33, 64);
	ret = dgram_send(s1, path, huge, MAX_FRAME + 1);
	free(huge);
	CHECK_EQ(ret, 0, "a datagram of 69633 bytes");
	CHECK_EQ(wait_xstat(port, "chardev_peer_errors", 2), 2, "a giant datagram");
	make_frame(fr, EXT, PORT_MAC, 34, 64);
	CHECK_EQ(dgram_send(s1, path, fr, 64), 0, "the peer again");
	TRY(wire_expect(&e, fr, 64, "the peer's frame after its errors"));
	CHECK_EQ(wait_xstat(port, "chardev_from_peer_packets", 2), 2, "from_peer_packets");

	/* The peer's socket closes: the next frame finds it gone, the next sender is the peer. */
	close(s1);
	TRY(inject_id(&e, fr, 40, 64));
	CHECK_EQ(wait_xstat(port, "chardev_no_peer_dropped", 3), 3, "a frame for a peer gone");
	make_frame(fr, EXT, PORT_MAC, 41, 64);
	CHECK_EQ(dgram_send(s2, path, fr, 64), 0, "the second sender again");
	TRY(wire_expect(&e, fr, 64, "the new peer's frame"));
	CHECK_EQ(wait_xstat(port, "chardev_peer_connects", 2), 2, "the new peer learned");
	TRY(inject_id(&e, fr, 42, 64));
	TRY(dgram_expect(s2, fr, 64, "wire to the new peer"));
	CHECK_EQ(t_xstat(port, "chardev_peer_refused"), 2, "peer_refused at the end");
	close(s2);
	close(s3);
	unlink(p1);
	unlink(p2);
	TRY(lower_pool_full(port));
	TRY(t_env_fini(&e));
	CHECK(!path_exists(path), "the dgram socket outlived its port");
	return 0;
}

/* ---- 5. seqpacket ---- */

/* -errno of a client ioctl, 0 on success. */
static int
client_ioctl(struct macvtap_client *c, unsigned long req, void *arg)
{
	return macvtap_client_ioctl(c, req, arg) == 0 ? 0 : -errno;
}

/* The same request through the client and on an in-process file: the same result. */
static int
same_int_ioctl(struct macvtap_client *c, struct rte_pmd_macvtap_file *f, unsigned long req,
	       int v, const char *what)
{
	int a = v, b = v, rc, rf;

	rc = client_ioctl(c, req, &a);
	rf = rte_pmd_macvtap_file_ioctl(f, req, &b);
	CHECK(rc == rf && a == b, "%s: the client gives %d (value %d), the file %d (value %d)",
	      what, rc, a, rf, b);
	return 0;
}

static int
same_offload(struct macvtap_client *c, struct rte_pmd_macvtap_file *f, uintptr_t v, int want)
{
	int rc = client_ioctl(c, TUNSETOFFLOAD, (void *)v);
	int rf = rte_pmd_macvtap_file_ioctl(f, TUNSETOFFLOAD, (void *)v);

	CHECK(rc == rf && rc == want, "TUNSETOFFLOAD %#lx: client %d, file %d, want %d",
	      (unsigned long)v, rc, rf, want);
	return 0;
}

static int
test_seqpacket_body(struct t_env *e, struct macvtap_client **cl)
{
	uint8_t fr[FRAME_MAX], buf[FRAME_MAX];
	char path[256], args[300], name[RTE_ETH_NAME_MAX_LEN];
	unsigned int got[2] = { 0, 0 }, parity[2] = { 0, 0 }, feat_c = 0, feat_f = 0;
	struct rte_pmd_macvtap_file *f;
	struct rte_ether_addr want;
	struct ifreq ifr_c, ifr_f;
	struct rte_mbuf *m[4];
	uint64_t held, drop0;
	uint16_t port;
	int p, o, i, k, v;
	ssize_t n;

	TRY(t_env_init(e, 1));
	snprintf(args, sizeof(args), "chardev=seqpacket:%s", sock_path(path, sizeof(path), "seq"));
	TRY(chardev_port(e, args, 2, &p));
	TRY(t_add_port(e, "mac=" OTHER_MAC ",mode=bridge", 1, 0, &o));
	port = e->ports[p];
	CHECK_EQ(rte_eth_dev_get_name_by_port(port, name), 0, "port name");

	/* Two connections, two queues; a third finds none. */
	cl[0] = macvtap_client_open(path);
	CHECK(cl[0] != NULL, "the first connection: %s", strerror(errno));
	cl[1] = macvtap_client_open(path);
	CHECK(cl[1] != NULL, "the second connection: %s", strerror(errno));
	/* Its errno is chardev_seqpacket_refusal_errno's. */
	cl[2] = macvtap_client_open(path);
	CHECK(cl[2] == NULL, "a third connection on 2 queues accepted");
	CHECK_EQ(wait_xstat(port, "chardev_peer_refused", 1), 1, "the third refused");
	CHECK_EQ(t_xstat(port, "chardev_peer_connects"), 2, "peer_connects");
	for (k = 0; k < 2; k++) {
		memset(&ifr_c, 0, sizeof(ifr_c));
		CHECK_EQ(client_ioctl(cl[k], TUNGETIFF, &ifr_c), 0, "TUNGETIFF");
		CHECK_EQ((uint16_t)ifr_c.ifr_flags, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
			 "TUNGETIFF flags: the kernel's defaults");
		CHECK(strncmp(ifr_c.ifr_name, name, IFNAMSIZ - 1) == 0, "TUNGETIFF name '%.*s'",
		      IFNAMSIZ, ifr_c.ifr_name);
	}
	/* Both queues held: the ethdev bursts give nothing and count. */
	held = t_xstat(port, "rx_burst_held");
	CHECK_EQ(rte_eth_rx_burst(port, 0, m, 4), 0, "burst on queue 0");
	CHECK_EQ(rte_eth_rx_burst(port, 1, m, 4), 0, "burst on queue 1");
	CHECK_EQ(t_xstat(port, "rx_burst_held"), held + 2, "rx_burst_held");

	/* 16 flows (hashes 1..16): hash % 2 picks the queue, so each connection gets one parity. */
	for (i = 0; i < 16; i++) {
		make_frame(fr, PORT_MAC, EXT, 100 + i, 64);
		TRY(t_inject_bytes(e, fr, 64, (uint32_t)i + 1));
	}
	for (k = 0; k < 2; k++) {
		while (got[k] < 8) {
			n = seq_read(cl[k], buf, sizeof(buf));
			if (n < 0)
				break;
			CHECK_EQ(n, VHDR + 64, "a frame's length");
			CHECK(frame_id(buf + VHDR) >= 100 && frame_id(buf + VHDR) < 116,
			      "frame id %u", frame_id(buf + VHDR));
			parity[k] |= 1u << ((frame_id(buf + VHDR) - 100 + 1) % 2);
			got[k]++;
		}
	}
	CHECK(got[0] == 8 && got[1] == 8, "frames per connection: %u and %u", got[0], got[1]);
	CHECK(parity[0] != parity[1] && (parity[0] == 1 || parity[0] == 2) &&
	      (parity[1] == 1 || parity[1] == 2),
	      "connections do not hold one queue each (hash parities %#x, %#x)", parity[0],
	      parity[1]);
	CHECK(silent(macvtap_client_fd(cl[0]), 10) && silent(macvtap_client_fd(cl[1]), 0),
	      "a frame too many");

	/* Each writes; a header of zeros and a frame reach the wire. */
	for (k = 0; k < 2; k++) {
		make_frame(fr, EXT, PORT_MAC, 500 + k, 64 + k);
		CHECK_EQ(seq_write(cl[k], fr, 64 + k), 0, "write");
		TRY(wire_expect(e, fr, 64 + k, "a connection's frame"));
	}
	CHECK_EQ(wait_xstat(port, "chardev_from_peer_packets", 2), 2, "from_peer_packets");
	CHECK_EQ(wait_xstat(port, "chardev_to_peer_packets", 16), 16, "to_peer_packets");

	/* A runt message, and a header alone: refused by the port, counted there. */
	drop0 = t_xstat(port, "tx_file_dropped");
	memset(buf, 0, sizeof(buf));
	make_frame(buf + VHDR, EXT, PORT_MAC, 510, 13);
	CHECK_EQ(macvtap_client_write(cl[0], buf, VHDR + 13), VHDR + 13, "send a runt");
	CHECK_EQ(wait_xstat(port, "tx_file_dropped", drop0 + 1), drop0 + 1, "a runt counted");
	CHECK_EQ(macvtap_client_write(cl[1], buf, VHDR), VHDR, "send a header alone");
	CHECK_EQ(wait_xstat(port, "tx_file_dropped", drop0 + 2), drop0 + 2,
		 "a header alone counted");
	CHECK_EQ(wire_quiet(e, 10), 0, "a refused message on the wire");
	CHECK_EQ(t_xstat(port, "chardev_from_peer_packets"), 2, "refused messages are not sent");

	/* The ioctls through the client are the in-process file's. */
	CHECK_EQ(t_file_open(e->ports[o], &f), 0, "an in-process file on the sibling");
	CHECK_EQ(client_ioctl(cl[0], TUNGETFEATURES, &feat_c), 0, "TUNGETFEATURES, client");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETFEATURES, &feat_f), 0, "TUNGETFEATURES");
	CHECK_EQ(feat_c, feat_f, "TUNGETFEATURES: client and file");
	memset(&ifr_c, 0, sizeof(ifr_c));
	memset(&ifr_f, 0, sizeof(ifr_f));
	CHECK_EQ(client_ioctl(cl[0], TUNGETIFF, &ifr_c), 0, "TUNGETIFF, client");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNGETIFF, &ifr_f), 0, "TUNGETIFF, file");
	CHECK_EQ(ifr_c.ifr_flags, ifr_f.ifr_flags, "TUNGETIFF flags: client and file");
	TRY(same_int_ioctl(cl[0], f, TUNGETVNETHDRSZ, 0, "TUNGETVNETHDRSZ"));
	TRY(same_int_ioctl(cl[0], f, TUNSETVNETHDRSZ, 9, "TUNSETVNETHDRSZ 9"));
	TRY(same_int_ioctl(cl[0], f, TUNSETVNETHDRSZ, 12, "TUNSETVNETHDRSZ 12"));
	v = 0;
	CHECK_EQ(client_ioctl(cl[0], TUNGETVNETHDRSZ, &v), 0, "TUNGETVNETHDRSZ");
	CHECK_EQ(v, 12, "the header size after TUNSETVNETHDRSZ 12");
	/* The connection's frames now carry 12 bytes of header. */
	make_frame(fr, PORT_MAC, EXT, 600, 64);
	TRY(t_inject_bytes(e, fr, 64, parity[0] == 1 ? 2 : 1)); /* hash of cl[0]'s parity */
	n = seq_read(cl[0], buf, sizeof(buf));
	CHECK(n == 12 + 64 && memcmp(buf + 12, fr, 64) == 0,
	      "a frame behind a 12-byte header: %zd bytes", n);
	TRY(same_int_ioctl(cl[0], f, TUNSETVNETHDRSZ, 10, "TUNSETVNETHDRSZ 10"));
	TRY(same_int_ioctl(cl[0], f, TUNGETVNETLE, 7, "TUNGETVNETLE"));
	TRY(same_int_ioctl(cl[0], f, TUNGETVNETBE, 7, "TUNGETVNETBE"));
	TRY(same_int_ioctl(cl[0], f, TUNSETSNDBUF, 0, "TUNSETSNDBUF 0"));
	TRY(same_int_ioctl(cl[0], f, TUNSETSNDBUF, 65536, "TUNSETSNDBUF 65536"));
	TRY(same_int_ioctl(cl[0], f, 0x12345678, 0, "an unknown request"));
	TRY(same_offload(cl[0], f, 0x80, -EINVAL));
	TRY(same_offload(cl[0], f, 0x1ff, -EINVAL));
	TRY(same_offload(cl[0], f, 0x7f, 0));
	TRY(same_offload(cl[0], f, 0, 0));
	memset(&ifr_c, 0, sizeof(ifr_c));
	ifr_c.ifr_flags = IFF_TAP;
	ifr_f = ifr_c;
	CHECK_EQ(client_ioctl(cl[0], TUNSETIFF, &ifr_c), -EINVAL, "TUNSETIFF TAP alone, client");
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, TUNSETIFF, &ifr_f), -EINVAL, "TUNSETIFF, file");
	memset(&ifr_c, 0, sizeof(ifr_c));
	CHECK_EQ(client_ioctl(cl[1], SIOCGIFHWADDR, &ifr_c), 0, "SIOCGIFHWADDR, client");
	want = t_mac(PORT_MAC);
	CHECK(ifr_c.ifr_hwaddr.sa_family == 1 &&
	      memcmp(ifr_c.ifr_hwaddr.sa_data, want.addr_bytes, 6) == 0,
	      "SIOCGIFHWADDR through the client is not the port's MAC");
	memset(&ifr_f, 0, sizeof(ifr_f));
	CHECK_EQ(rte_pmd_macvtap_file_ioctl(f, SIOCGIFHWADDR, &ifr_f), 0, "SIOCGIFHWADDR, file");
	want = t_mac(OTHER_MAC);
	CHECK(memcmp(ifr_f.ifr_hwaddr.sa_data, want.addr_bytes, 6) == 0,
	      "SIOCGIFHWADDR of the in-process file");
	CHECK_EQ(t_file_close(f), 0, "close the in-process file");

	/* Frames still flow after the ioctls (control messages are no frames). */
	make_frame(fr, EXT, PORT_MAC, 700, 64);
	CHECK_EQ(seq_write(cl[0], fr, 64), 0, "write after the ioctls");
	TRY(wire_expect(e, fr, 64, "after the ioctls"));

	/* A connection closed frees its queue for the next. */
	macvtap_client_close(cl[1]);
	cl[1] = NULL;
	cl[2] = seq_open(path, NULL);
	CHECK(cl[2] != NULL, "a connection after one closed: %s", strerror(errno));
	TRY(lower_pool_full(port));
	return 0;
}

static int
test_seqpacket(void)
{
	static struct t_env e;
	struct macvtap_client *cl[3] = { NULL, NULL, NULL };
	int ret, k;

	ret = test_seqpacket_body(&e, cl);
	for (k = 0; k < 3; k++)
		macvtap_client_close(cl[k]);
	if (ret != 0)
		return ret;
	return t_env_fini(&e);
}

/* ---- 6. permissions ---- */

static int
sock_stat(const char *path, struct stat *st)
{
	CHECK(lstat(path, st) == 0, "stat %s: %s", path, strerror(errno));
	CHECK(S_ISSOCK(st->st_mode), "%s is not a socket", path);
	return 0;
}

static int
test_permissions(void)
{
	static struct t_env e;
	char path[3][256], args[400];
	struct group *daemon_gr;
	struct stat st;
	mode_t old;
	int i;

	TRY(t_env_init(&e, 1));
	/* The default is owner-only whatever the umask says. */
	old = umask(0);
	snprintf(args, sizeof(args), "chardev=stream:%s", sock_path(path[0], 256, "perm_s"));
	i = t_probe(&e, args, NULL);
	umask(old);
	CHECK_EQ(i, 0, "probe");
	TRY(sock_stat(path[0], &st));
	CHECK((st.st_mode & 07777) == 0600, "default mode %o, want 600 (umask 0)",
	      (unsigned int)(st.st_mode & 07777));
	CHECK(st.st_uid == geteuid() && st.st_gid == getegid(), "owned by %u:%u, want %u:%u",
	      (unsigned int)st.st_uid, (unsigned int)st.st_gid, (unsigned int)geteuid(),
	      (unsigned int)getegid());
	snprintf(args, sizeof(args), "mac=02:00:00:00:0c:04,chardev=seqpacket:%s",
		 sock_path(path[1], 256, "perm_q"));
	CHECK_EQ(t_probe(&e, args, NULL), 0, "probe seqpacket");
	TRY(sock_stat(path[1], &st));
	CHECK((st.st_mode & 07777) == 0600, "seqpacket default mode %o",
	      (unsigned int)(st.st_mode & 07777));
	if (geteuid() != 0) {
		TRY(t_env_fini(&e));
		T_SKIP_BECAUSE("defaults checked; another owner or group needs root");
	}
	snprintf(args, sizeof(args), "mac=02:00:00:00:0c:05,chardev=stream:%s,chardev_mode=0660,"
		 "chardev_group=4242", sock_path(path[2], 256, "perm_g"));
	CHECK_EQ(t_probe(&e, args, NULL), 0, "probe with mode and group");
	TRY(sock_stat(path[2], &st));
	CHECK((st.st_mode & 07777) == 0660 && st.st_gid == 4242 && st.st_uid == geteuid(),
	      "mode %o group %u owner %u, want 660, 4242, %u", (unsigned int)(st.st_mode & 07777),
	      (unsigned int)st.st_gid, (unsigned int)st.st_uid, (unsigned int)geteuid());
	TRY(t_env_fini(&e));
	CHECK(!path_exists(path[0]) && !path_exists(path[1]) && !path_exists(path[2]),
	      "sockets left");

	/* An owner by number, a group by name, a mode on a dgram socket. */
	TRY(t_env_init(&e, 1));
	daemon_gr = getgrnam("daemon");
	snprintf(args, sizeof(args), "chardev=dgram:%s,chardev_owner=4321,chardev_mode=0606%s",
		 sock_path(path[0], 256, "perm_d"), daemon_gr != NULL ? ",chardev_group=daemon" : "");
	CHECK_EQ(t_probe(&e, args, NULL), 0, "probe dgram with an owner");
	TRY(sock_stat(path[0], &st));
	CHECK((st.st_mode & 07777) == 0606 && st.st_uid == 4321 &&
	      (daemon_gr == NULL || st.st_gid == daemon_gr->gr_gid),
	      "mode %o owner %u group %u", (unsigned int)(st.st_mode & 07777),
	      (unsigned int)st.st_uid, (unsigned int)st.st_gid);
	TRY(t_env_fini(&e));
	CHECK(!path_exists(path[0]), "the dgram socket left");
	return 0;
}

/* ---- 7. tap: and host: ---- */

static int
need_tun(void)
{
	if (geteuid() != 0)
		T_SKIP_BECAUSE("needs root (a TAP interface)");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		T_SKIP_BECAUSE("no /dev/net/tun: %s", strerror(errno));
	return 0;
}

static unsigned long
sysfs_ulong(const char *ifname, const char *what, int base)
{
	char path[128], buf[64];
	unsigned long v = ULONG_MAX;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, what);
	fp = fopen(path, "re");
	if (fp == NULL)
		return ULONG_MAX;
	if (fgets(buf, sizeof(buf), fp) != NULL)
		v = strtoul(buf, NULL, base);
	fclose(fp);
	return v;
}

/*
 * Wait (3 s at most) until the interface's operstate is (or, up false, is no
 * longer) "up" or "unknown". A TAP's carrier follows its file, and the kernel applies a
 * carrier change (operstate, and the qdisc that passes or drops what is sent
 * on the interface) from its linkwatch work, up to a second later.
 */
static int
wait_operstate(const char *ifname, bool up)
{
	char path[128], state[32];
	uint64_t end = now_ms() + 3000;
	bool is_up;

	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifname);
	for (;;) {
		FILE *fp = fopen(path, "re");

		state[0] = '\0';
		if (fp != NULL) {
			if (fgets(state, sizeof(state), fp) == NULL)
				state[0] = '\0';
			fclose(fp);
		}
		/* "unknown": a TAP set up with its carrier already on (none changed since). */
		is_up = strncmp(state, "up", 2) == 0 || strncmp(state, "unknown", 7) == 0;
		if (is_up == up)
			return 0;
		CHECK(now_ms() < end, "%s: operstate '%.*s' after 3 s", ifname,
		      (int)strcspn(state, "\n"), state);
		sleep_ms(5);
	}
}

/* A consumer of a TAP interface by name, as QEMU's tap backend opens it; the fd or -errno. */
static int
tun_attach(const char *ifname)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* The next test frame with this id on fd (a TAP file or a packet socket) is want. */
static int
fd_expect(int fd, const uint8_t *want, size_t len, const char *what)
{
	uint64_t end = now_ms() + WAIT_MS;
	uint8_t got[FRAME_MAX];
	ssize_t n;

	for (;;) {
		CHECK(wait_readable(fd, end), "%s: nothing in %d ms", what, WAIT_MS);
		n = read(fd, got, sizeof(got));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		CHECK(n >= 0, "%s: read: %s", what, strerror(errno));
		/* The host stack may send frames of its own: only ours count. */
		if (!is_test_frame(got, (size_t)n) || frame_id(got) != frame_id(want))
			continue;
		CHECK((size_t)n == len && memcmp(got, want, len) == 0, "%s: %zd bytes, want %zu",
		      what, n, len);
		return 0;
	}
}

static int
test_tap(void)
{
	static struct t_env e;
	char ifname[IFNAMSIZ], args[100];
	uint8_t fr[FRAME_MAX];
	int p, fd, fd2, i;
	uint16_t port;

	TRY(need_tun());
	snprintf(ifname, sizeof(ifname), "mvcdt%ut", (unsigned int)getpid() % 100000);
	CHECK(if_nametoindex(ifname) == 0, "%s exists already", ifname);
	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=tap:%s", ifname);
	TRY(chardev_port(&e, args, 1, &p));
	port = e.ports[p];
	CHECK(if_nametoindex(ifname) != 0, "no interface %s", ifname);
	CHECK((sysfs_ulong(ifname, "flags", 16) & IFF_UP) != 0, "%s is not up", ifname);
	CHECK_EQ(sysfs_ulong(ifname, "type", 10), 1, "an Ethernet interface");
	TRY(wait_held(port));

	/* A consumer attaches by name; a second is refused by the kernel. */
	fd = tun_attach(ifname);
	CHECK(fd >= 0, "attach to %s: %s", ifname, strerror(-fd));
	fd2 = tun_attach(ifname);
	if (fd2 >= 0)
		close(fd2);
	if (fd2 != -EBUSY)
		close(fd);
	CHECK(fd2 == -EBUSY, "a second consumer: %s", fd2 >= 0 ? "attached" : strerror(-fd2));
	if (wait_operstate(ifname, true) != 0)
		goto fail;

	/* Frames both ways. */
	for (i = 0; i < 3; i++) {
		TRY(inject_id(&e, fr, 100 + i, 64 + i * 700));
		if (fd_expect(fd, fr, 64 + i * 700, "wire to the TAP's consumer") != 0)
			goto fail;
	}
	for (i = 0; i < 3; i++) {
		make_frame(fr, EXT, PORT_MAC, 200 + i, 60 + i * 500);
		if (write(fd, fr, 60 + i * 500) != 60 + i * 500) {
			snprintf(t_fail_reason, sizeof(t_fail_reason), "write to the TAP: %s",
				 strerror(errno));
			goto fail;
		}
		if (wire_expect(&e, fr, 60 + i * 500, "the consumer's frame on the wire") != 0)
			goto fail;
	}
	close(fd);
	CHECK(wait_xstat(port, "chardev_from_peer_packets", 3) >= 3, "from_peer_packets");
	CHECK(wait_xstat(port, "chardev_to_peer_packets", 3) >= 3, "to_peer_packets");
	/* The consumer went; the interface stays for the next. */
	CHECK(if_nametoindex(ifname) != 0, "%s went with its consumer", ifname);
	TRY(wait_operstate(ifname, false));
	fd = tun_attach(ifname);
	CHECK(fd >= 0, "a consumer again: %s", strerror(-fd));
	if (wait_operstate(ifname, true) != 0)
		goto fail;
	TRY(inject_id(&e, fr, 300, 64));
	if (fd_expect(fd, fr, 64, "wire to the next consumer") != 0)
		goto fail;
	close(fd);
	TRY(lower_pool_full(port));
	TRY(t_env_fini(&e));
	CHECK(if_nametoindex(ifname) == 0, "%s outlived its port", ifname);
	return 0;
fail:
	close(fd);
	return -1;
}

/* An interface's MAC as sysfs gives it ("" if it cannot be read). */
static void
if_mac(const char *ifname, char *mac, size_t len)
{
	char path[100];
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	mac[0] = '\0';
	fp = fopen(path, "re");
	if (fp == NULL)
		return;
	if (fgets(mac, (int)len, fp) == NULL)
		mac[0] = '\0';
	fclose(fp);
}

static int
test_host(void)
{
	static struct t_env e;
	char ifname[IFNAMSIZ], args[100], mac[32];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t fr[FRAME_MAX];
	unsigned long rx0;
	int p, ps, i;
	uint16_t port;

	TRY(need_tun());
	snprintf(ifname, sizeof(ifname), "mvcdt%uh", (unsigned int)getpid() % 100000);
	CHECK(if_nametoindex(ifname) == 0, "%s exists already", ifname);
	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=host:%s", ifname);
	TRY(chardev_port(&e, args, 1, &p));
	port = e.ports[p];
	CHECK(if_nametoindex(ifname) != 0, "no interface %s", ifname);
	CHECK((sysfs_ulong(ifname, "flags", 16) & IFF_UP) != 0, "%s is not up", ifname);
	if_mac(ifname, mac, sizeof(mac));
	CHECK(strncasecmp(mac, PORT_MAC, strlen(PORT_MAC)) == 0, "%s has MAC %s, the port %s",
	      ifname, mac, PORT_MAC);
	TRY(wait_held(port));
	TRY(wait_operstate(ifname, true));

	ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	CHECK(ps >= 0, "packet socket: %s", strerror(errno));
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(ps, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		close(ps);
		CHECK(0, "bind the packet socket: %s", strerror(errno));
	}
	/* The wire's frames for the port's MAC are the host interface's. */
	rx0 = sysfs_ulong(ifname, "statistics/rx_packets", 10);
	for (i = 0; i < 3; i++) {
		TRY(inject_id(&e, fr, 100 + i, 64 + i * 700));
		if (fd_expect(ps, fr, 64 + i * 700, "wire to the host interface") != 0)
			goto fail;
	}
	if (sysfs_ulong(ifname, "statistics/rx_packets", 10) < rx0 + 3) {
		snprintf(t_fail_reason, sizeof(t_fail_reason), "rx_packets of %s: %lu, want %lu",
			 ifname, sysfs_ulong(ifname, "statistics/rx_packets", 10), rx0 + 3);
		goto fail;
	}
	/* What the host sends on the interface goes out on the wire. */
	for (i = 0; i < 3; i++) {
		make_frame(fr, EXT, PORT_MAC, 200 + i, 60 + i * 500);
		if (send(ps, fr, 60 + i * 500, 0) != 60 + i * 500) {
			snprintf(t_fail_reason, sizeof(t_fail_reason), "send on %s: %s", ifname,
				 strerror(errno));
			goto fail;
		}
		if (wire_expect(&e, fr, 60 + i * 500, "the host's frame on the wire") != 0)
			goto fail;
	}
	close(ps);
	CHECK(wait_xstat(port, "chardev_to_peer_packets", 3) >= 3, "to_peer_packets");
	CHECK(wait_xstat(port, "chardev_from_peer_packets", 3) >= 3, "from_peer_packets");
	/* The port's MAC changes: the interface's follows, as a macvlan's is the device's. */
	{
		struct rte_ether_addr na = { .addr_bytes = { 0x02, 0xcd, 0x00, 0x00, 0x00, 0x77 } };

		CHECK(rte_eth_dev_default_mac_addr_set(port, &na) == 0, "set the port's MAC");
		if_mac(ifname, mac, sizeof(mac));
		CHECK(strncasecmp(mac, "02:cd:00:00:00:77", 17) == 0,
		      "%s has MAC %s after the port took 02:cd:00:00:00:77", ifname, mac);
	}
	TRY(lower_pool_full(port));
	TRY(t_env_fini(&e));
	CHECK(if_nametoindex(ifname) == 0, "%s outlived its port", ifname);
	return 0;
fail:
	close(ps);
	return -1;
}

/*
 * One TAP interface, one endpoint: a second port asking for the interface a
 * tap: endpoint serves is refused, and the first keeps it. (Two endpoints on
 * one interface would both send each frame its consumer writes.)
 */
static int
test_tap_twice(void)
{
	static struct t_env e;
	char ifname[IFNAMSIZ], args[100];
	uint8_t fr[FRAME_MAX];
	unsigned int copies;
	int p, ret, fd;

	TRY(need_tun());
	snprintf(ifname, sizeof(ifname), "mvcdt%ud", (unsigned int)getpid() % 100000);
	CHECK(if_nametoindex(ifname) == 0, "%s exists already", ifname);
	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=tap:%s", ifname);
	TRY(chardev_port(&e, args, 1, &p));
	snprintf(args, sizeof(args), "mac=" OTHER_MAC ",mode=bridge,chardev=tap:%s", ifname);
	ret = t_probe(&e, args, NULL);
	if (ret == 0) {
		/* Both serve it: see what its consumer's frame becomes. */
		CHECK_EQ(t_port_setup(e.ports[e.nb_ports - 1], 1, 0), 0, "setup");
		TRY(wait_held(e.ports[p]));
		TRY(wait_held(e.ports[e.nb_ports - 1]));
		fd = tun_attach(ifname);
		CHECK(fd >= 0, "attach: %s", strerror(-fd));
		make_frame(fr, EXT, PORT_MAC, 77, 64);
		ret = (int)write(fd, fr, 64);
		close(fd);
		CHECK_EQ(ret, 64, "write");
		copies = wire_wait(&e, fr, sizeof(fr)) >= 0 ? 1 + wire_quiet(&e, 50) : 0;
		CHECK(0, "a second endpoint took tap:%s, which another serves: the consumer's one "
		      "frame went on the wire %u times", ifname, copies);
	}
	CHECK(ret < 0, "probe");
	CHECK(if_nametoindex(ifname) != 0, "the refused probe removed %s", ifname);
	fd = tun_attach(ifname);
	CHECK(fd >= 0, "attach: %s", strerror(-fd));
	make_frame(fr, EXT, PORT_MAC, 78, 64);
	ret = (int)write(fd, fr, 64);
	close(fd);
	CHECK_EQ(ret, 64, "write");
	TRY(wire_expect(&e, fr, 64, "the first endpoint still serves it"));
	TRY(t_env_fini(&e));
	CHECK(if_nametoindex(ifname) == 0, "%s outlived its port", ifname);
	return 0;
}

/* ---- 8. stop and start ---- */

static int
test_stop_start(void)
{
	static struct t_env e;
	uint8_t fr[FRAME_MAX];
	char path[256], args[300];
	uint64_t held;
	struct rte_mbuf *m[4];
	int p, fd, round;
	uint16_t port;

	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=stream:%s", sock_path(path, sizeof(path), "stop"));
	TRY(chardev_port(&e, args, 1, &p));
	port = e.ports[p];
	fd = stream_peer(port, path, NULL);
	CHECK(fd >= 0, "no peer");
	for (round = 0; round < 3; round++) {
		TRY(inject_id(&e, fr, 100 + round, 64));
		if (stream_expect(fd, fr, 64, "wire to the peer") != 0)
			goto fail;
		make_frame(fr, EXT, PORT_MAC, 200 + round, 64);
		if (stream_write(fd, fr, 64) != 0 ||
		    wire_expect(&e, fr, 64, "the peer's frame") != 0)
			goto fail;

		if (rte_eth_dev_stop(port) != 0) {
			snprintf(t_fail_reason, sizeof(t_fail_reason), "stop");
			goto fail;
		}
		/* Stopped: what the peer writes waits, and goes out after the start. */
		make_frame(fr, EXT, PORT_MAC, 300 + round, 64);
		if (stream_write(fd, fr, 64) != 0)
			goto fail;
		if (wire_quiet(&e, 20) != 0) {
			snprintf(t_fail_reason, sizeof(t_fail_reason),
				 "a frame on the wire from a stopped port");
			goto fail;
		}
		if (rte_eth_dev_start(port) != 0) {
			snprintf(t_fail_reason, sizeof(t_fail_reason), "start");
			goto fail;
		}
		if (wire_expect(&e, fr, 64, "the frame written while stopped") != 0)
			goto fail;
		held = t_xstat(port, "rx_burst_held");
		if (rte_eth_rx_burst(port, 0, m, 4) != 0 || t_xstat(port, "rx_burst_held") != held + 1) {
			snprintf(t_fail_reason, sizeof(t_fail_reason),
				 "round %d: queue 0 is not held after the start", round);
			goto fail;
		}
	}
	TRY(inject_id(&e, fr, 400, 64));
	if (stream_expect(fd, fr, 64, "wire to the peer at the end") != 0)
		goto fail;
	CHECK(stream_hangup(fd), "hang up");
	CHECK_EQ(t_xstat(port, "chardev_peer_connects"), 1, "the same peer throughout");
	CHECK_EQ(t_xstat(port, "chardev_from_peer_packets"), 6, "from_peer_packets");
	CHECK_EQ(t_xstat(port, "chardev_to_peer_packets"), 4, "to_peer_packets");
	TRY(lower_pool_full(port));
	return t_env_fini(&e);
fail:
	close(fd);
	return -1;
}

/*
 * An rx queue set up again while the port is stopped: the endpoint's file
 * keeps its hold (rx_burst_held counts, the ethdev burst takes none of the
 * queue's frames) and no descriptor is lost on the way.
 */
static int
test_stop_rxq_setup(void)
{
	static struct t_env e;
	uint8_t fr[10][FRAME_MAX];
	char path[256], args[300];
	struct rte_mbuf *m[16];
	unsigned int taken = 0, got = 0;
	uint64_t held;
	int p, fd, fds0, fds1, i, k;
	uint16_t port, n;

	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=stream:%s", sock_path(path, sizeof(path), "rxq"));
	TRY(chardev_port(&e, args, 1, &p));
	port = e.ports[p];
	fd = stream_peer(port, path, NULL);
	CHECK(fd >= 0, "no peer");
	TRY(inject_id(&e, fr[0], 1, 64));
	if (stream_expect(fd, fr[0], 64, "before the stop") != 0)
		goto fail;
	fds0 = count_fds();
	if (rte_eth_dev_stop(port) != 0 || rte_eth_rx_queue_setup(port, 0, 0, 0, NULL, t_pool) != 0 ||
	    rte_eth_dev_start(port) != 0) {
		snprintf(t_fail_reason, sizeof(t_fail_reason), "stop, rx queue setup, start");
		goto fail;
	}
	sleep_ms(150); /* the endpoint's thread wakes (its idle sleep is 100 ms) */
	fds1 = count_fds();
	held = t_xstat(port, "rx_burst_held");
	n = rte_eth_rx_burst(port, 0, m, RTE_DIM(m));
	rte_pktmbuf_free_bulk(m, n);
	/* Frames for the port while the application polls queue 0 too. */
	for (i = 0; i < 10; i++) {
		TRY(inject_id(&e, fr[i], 10 + i, 64));
		n = rte_eth_rx_burst(port, 0, m, RTE_DIM(m));
		taken += n;
		rte_pktmbuf_free_bulk(m, n);
	}
	for (i = 0; i < 10; i++) {
		uint8_t buf[FRAME_MAX];

		k = stream_read(fd, buf, sizeof(buf));
		if (k < 0)
			break;
		got++;
	}
	close(fd);
	CHECK(t_xstat(port, "rx_burst_held") > held,
	      "after an rx queue setup while stopped, queue 0 is not held: the ethdev burst "
	      "took %u of 10 frames, the endpoint's peer got %u", taken, got);
	CHECK(taken == 0 && got == 10, "the ethdev burst took %u of 10 frames, the peer got %u",
	      taken, got);
	CHECK_EQ(fds1, fds0, "descriptors after the rx queue setup (the queue's eventfd)");
	TRY(lower_pool_full(port));
	return t_env_fini(&e);
fail:
	close(fd);
	return -1;
}

/*
 * A connection refused because every queue is held: macvtap_client_open()
 * says EBUSY (macvtap_client.h), every time.
 */
static int
test_seqpacket_refusal_errno(void)
{
	static struct t_env e;
	struct macvtap_client *a, *c;
	unsigned int busy = 0, reset = 0, pipe_err = 0, other = 0, i;
	char path[256], args[300];
	int p, err;

	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=seqpacket:%s", sock_path(path, sizeof(path), "ref"));
	TRY(chardev_port(&e, args, 1, &p));
	a = macvtap_client_open(path);
	CHECK(a != NULL, "the connection that holds the queue: %s", strerror(errno));
	for (i = 0; i < 200; i++) {
		c = macvtap_client_open(path);
		err = errno;
		if (c != NULL) {
			macvtap_client_close(c);
			other++;
		} else if (err == EBUSY) {
			busy++;
		} else if (err == ECONNRESET) {
			reset++;
		} else if (err == EPIPE) {
			pipe_err++;
		} else {
			other++;
		}
	}
	macvtap_client_close(a);
	CHECK_EQ(wait_xstat(e.ports[p], "chardev_peer_refused", 200), 200, "peer_refused");
	CHECK(busy == 200, "of 200 refused connections %u saw EBUSY, %u ECONNRESET, %u EPIPE, "
	      "%u else: the endpoint closes a refused connection with the client's request "
	      "unread, so the kernel marks the client's socket reset, and its recv (or send) "
	      "fails with that before the queued answer that says EBUSY is read", busy, reset,
	      pipe_err, other);
	return t_env_fini(&e);
}

/*
 * The application stops and starts the port while a seqpacket client issues
 * ioctls. A deadlock cannot be cleaned up after: a watchdog reports it and
 * ends the program (this test runs last).
 */
static volatile bool hammer_stop;
static volatile uint64_t hammer_done, stop_progress;
static volatile bool watchdog_done;

static void *
ioctl_hammer(void *arg)
{
	struct macvtap_client *c = arg;
	int v;

	while (!hammer_stop) {
		if (macvtap_client_ioctl(c, TUNGETVNETHDRSZ, &v) != 0)
			break;
		__atomic_fetch_add(&hammer_done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *
stop_watchdog(void *arg __rte_unused)
{
	uint64_t last = stop_progress, since = now_ms();

	while (!watchdog_done) {
		sleep_ms(50);
		if (stop_progress != last) {
			last = stop_progress;
			since = now_ms();
		} else if (now_ms() - since > 5000) {
			printf("FAIL: chardev_seqpacket_ioctl_during_stop: deadlock: "
			       "rte_eth_dev_stop() did not return in 5 s while a client's ioctls "
			       "were served (after %" PRIu64 " stop/start rounds, %" PRIu64
			       " ioctls answered)\n", last, hammer_done);
			fflush(stdout);
			fprintf(stderr, "the endpoint's thread holds io_lock and waits for the "
				"control lock in rte_pmd_macvtap_file_ioctl(); rte_eth_dev_stop() "
				"holds the control lock and waits for io_lock in "
				"macvtap_chardev_quiesce(): the program ends here\n");
			dir_remove(); /* _exit runs no atexit handler */
			_exit(1);
		}
	}
	return NULL;
}

static int
test_seqpacket_ioctl_during_stop(void)
{
	static struct t_env e;
	struct macvtap_client *c;
	pthread_t hammer, wd;
	char path[256], args[300];
	uint64_t end, before;
	unsigned int rounds = 0;
	int p, ret = 0;
	uint16_t port;

	TRY(t_env_init(&e, 1));
	snprintf(args, sizeof(args), "chardev=seqpacket:%s", sock_path(path, sizeof(path), "ioc"));
	TRY(chardev_port(&e, args, 1, &p));
	port = e.ports[p];
	c = macvtap_client_open(path);
	CHECK(c != NULL, "open: %s", strerror(errno));
	hammer_stop = false;
	watchdog_done = false;
	hammer_done = 0;
	stop_progress = 0;
	if (pthread_create(&hammer, NULL, ioctl_hammer, c) != 0) {
		macvtap_client_close(c);
		CHECK(0, "pthread_create");
	}
	if (pthread_create(&wd, NULL, stop_watchdog, NULL) != 0) {
		hammer_stop = true;
		pthread_join(hammer, NULL);
		macvtap_client_close(c);
		CHECK(0, "pthread_create");
	}
	end = now_ms() + 8000;
	while (rounds < 1000 && now_ms() < end && ret == 0) {
		/* An ioctl in flight: the last round's were answered after the start. */
		before = hammer_done;
		while (hammer_done == before && now_ms() < end)
			usleep(50);
		if (rte_eth_dev_stop(port) != 0 || rte_eth_dev_start(port) != 0)
			ret = -1;
		stop_progress = ++rounds;
	}
	hammer_stop = true;
	pthread_join(hammer, NULL);
	watchdog_done = true;
	pthread_join(wd, NULL);
	macvtap_client_close(c);
	CHECK_EQ(ret, 0, "stop or start failed");
	CHECK(rounds >= 50 && hammer_done >= rounds, "%u rounds, %" PRIu64 " ioctls: too few to "
	      "tell", rounds, hammer_done);
	return t_env_fini(&e);
}

static const struct t_test tests[] = {
	{ "chardev_probe_errors", test_probe_errors, 0 },
	{ "chardev_probe_errors_tap", test_probe_errors_tap, 0 },
	{ "chardev_stream", test_stream, 0 },
	{ "chardev_stream_cycles", test_stream_cycles, 0 },
	{ "chardev_seqpacket_cycles", test_seqpacket_cycles, 0 },
	{ "chardev_dgram", test_dgram, 0 },
	{ "chardev_seqpacket_queues", test_seqpacket, 0 },
	{ "chardev_permissions", test_permissions, 0 },
	{ "chardev_tap", test_tap, 0 },
	{ "chardev_host", test_host, 0 },
	{ "chardev_tap_twice", test_tap_twice, 0 },
	{ "chardev_stop_start", test_stop_start, 0 },
	{ "chardev_stop_rxq_setup", test_stop_rxq_setup, 0 },
	{ "chardev_seqpacket_refusal_errno", test_seqpacket_refusal_errno, 0 },
	/* Last: a deadlock ends the program. */
	{ "chardev_seqpacket_ioctl_during_stop", test_seqpacket_ioctl_during_stop, 0 },
};

int
main(int argc, char **argv)
{
	return t_main(argc, argv, "test_chardev", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 *
 * kernel_tap_rate: the two ends of the kernel macvtap rate benchmark
 * (app/bench/kernel_tap_rate.sh).
 *
 *   kernel_tap_rate read DEVICE [--cpu C] [--warmup S] [--window S] [--wait S]
 *       Opens a macvtap character device, turns the virtio-net header off
 *       (plain frames), then read()s one frame per call, blocking, as fast as
 *       it can. The clock starts at the first frame: frames read during the
 *       first --warmup seconds are not counted, those read in the next
 *       --window seconds are. Gives up if no frame comes within --wait s.
 *
 *   kernel_tap_rate drain DEVICE --fill S [--cpu C]
 *       Opens the device the same way, reads nothing for S seconds or until
 *       SIGUSR1 (while a sender fills the queue), then read()s (non-blocking)
 *       until the queue is empty: the reader's own rate, with no sender
 *       running beside it.
 *
 *   kernel_tap_rate send IFACE DST_MAC [--src MAC] [--cpu C] [--size B]
 *                   [--batch N] [--warmup S] [--window S] [--tail S]
 *                   [--count N] [--sndbuf BYTES]
 *       Sends --size byte frames (no FCS, EtherType 0x88B5) to DST_MAC out
 *       of IFACE through an AF_PACKET socket with PACKET_QDISC_BYPASS, in
 *       sendmmsg() batches, for warmup + window + tail seconds, counting the
 *       frames sent in the same window as the reader; or, with --count,
 *       exactly N frames. --sndbuf raises the socket's send buffer (frames
 *       queued in a macvtap still count against it).
 *
 * Each prints one line of JSON on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE_BENCH 0x88B5
#define MAX_FRAME 2048
#define MAX_BATCH 1024

static volatile sig_atomic_t phase;	/* 0 warm-up, 1 window, 2 done */
static volatile uint64_t count;		/* frames so far */
static uint64_t count_at[2];		/* count at the window's start, end */
static struct timespec time_at[2];
static struct timespec cpu_at[2];	/* this thread's CPU time then */

static void on_alarm(int sig)
{
	(void)sig;
	if (phase < 2) {
		count_at[phase] = count;
		clock_gettime(CLOCK_MONOTONIC, &time_at[phase]);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_at[phase]);
		phase++;
	}
}

static void on_wait_alarm(int sig)
{
	(void)sig;
}

static void die(const char *what)
{
	fprintf(stderr, "kernel_tap_rate: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		die("sched_setaffinity");
}

static void set_alarm_handler(void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;	/* no SA_RESTART: a blocked read() returns */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		die("sigaction");
}

static struct timeval tv_of(double s)
{
	struct timeval tv;

	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return tv;
}

/* SIGALRM after warmup, then after each window. */
static void start_timer(double warmup, double window)
{
	struct itimerval it;

	set_alarm_handler(on_alarm);
	it.it_value = tv_of(warmup);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	it.it_interval = tv_of(window);
	if (setitimer(ITIMER_REAL, &it, NULL) < 0)
		die("setitimer");
}

static void stop_timer(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (unsigned char)b[i];
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kernel_tap_rate read DEVICE [--cpu C] [--warmup S] [--window S] [--wait S]\n"
		"       kernel_tap_rate drain DEVICE --fill S [--cpu C]\n"
		"       kernel_tap_rate send IFACE DST_MAC [--src MAC] [--cpu C] [--size B]\n"
		"                       [--batch N] [--warmup S] [--window S] [--tail S]\n"
		"                       [--count N] [--sndbuf BYTES]\n");
	exit(2);
}

struct opts {
	int cpu;
	double warmup, window, wait, tail, fill;
	int size, batch, sndbuf;
	unsigned long long frames;	/* --count */
	const char *src;
};

static void parse_opts(int argc, char **argv, int first, struct opts *o)
{
	int i;

	for (i = first; i < argc; i++) {
		const char *k = argv[i];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(k, "--cpu"))
			o->cpu = atoi(argv[++i]);
		else if (!strcmp(k, "--warmup"))
			o->warmup = atof(argv[++i]);
		else if (!strcmp(k, "--window"))
			o->window = atof(argv[++i]);
		else if (!strcmp(k, "--wait"))
			o->wait = atof(argv[++i]);
		else if (!strcmp(k, "--tail"))
			o->tail = atof(argv[++i]);
		else if (!strcmp(k, "--fill"))
			o->fill = atof(argv[++i]);
		else if (!strcmp(k, "--size"))
			o->size = atoi(argv[++i]);
		else if (!strcmp(k, "--batch"))
			o->batch = atoi(argv[++i]);
		else if (!strcmp(k, "--sndbuf"))
			o->sndbuf = atoi(argv[++i]);
		else if (!strcmp(k, "--count"))
			o->frames = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(k, "--src"))
			o->src = argv[++i];
		else
			usage();
	}
	if (o->window <= 0 || o->warmup < 0 || o->wait <= 0 || o->tail < 0 || o->fill < 0)
		usage();
}

/* Open a macvtap queue for plain Ethernet frames (no virtio-net header). */
static int open_tap(const char *dev)
{
	struct ifreq ifr;
	int fd = open(dev, O_RDWR);

	if (fd < 0)
		die(dev);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF");
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		die("TUNGETIFF");
	if (ifr.ifr_flags & IFF_VNET_HDR) {
		fprintf(stderr, "kernel_tap_rate: could not turn IFF_VNET_HDR off\n");
		exit(1);
	}
	/* Tells the script that the queue is open. */
	fprintf(stderr, "kernel_tap_rate: reader ready on %s\n", dev);
	return fd;
}

static int is_ours(const unsigned char *buf, ssize_t n)
{
	return n >= 14 && ((buf[12] << 8) | buf[13]) == ETHERTYPE_BENCH;
}

static int cmd_read(const char *dev, const struct opts *o)
{
	static unsigned char buf[MAX_FRAME];
	uint64_t odd = 0, errors = 0, bytes = 0;
	int fd;
	ssize_t n;
	double secs;

	pin(o->cpu);
	fd = open_tap(dev);

	/* Wait for the first frame, bounded by an alarm that interrupts read(). */
	set_alarm_handler(on_wait_alarm);
	alarm((unsigned int)o->wait + 1);
	n = read(fd, buf, sizeof(buf));
	alarm(0);
	if (n <= 0) {
		fprintf(stderr, "kernel_tap_rate: no frame within %.0f s\n", o->wait);
		return 1;
	}
	count = 1;
	bytes = (uint64_t)n;
	start_timer(o->warmup, o->window);

	while (phase < 2) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (++errors > 1000)
				die("read");
			continue;
		}
		count++;
		bytes += (uint64_t)n;
		if (!is_ours(buf, n))
			odd++;
	}
	stop_timer();
	secs = seconds(&time_at[0], &time_at[1]);
	printf("{\"role\": \"reader\", \"frames\": %llu, \"seconds\": %.6f, \"fps\": %.1f, "
	       "\"frames_total\": %llu, \"bytes_total\": %llu, \"other_frames\": %llu, "
	       "\"read_errors\": %llu, \"cpu_busy\": %.3f}\n",
	       (unsigned long long)(count_at[1] - count_at[0]), secs,
	       (double)(count_at[1] - count_at[0]) / secs,
	       (unsigned long long)count, (unsigned long long)bytes,
	       (unsigned long long)odd, (unsigned long long)errors,
	       seconds(&cpu_at[0], &cpu_at[1]) / secs);
	close(fd);
	return 0;
}

static int cmd_drain(const char *dev, const struct opts *o)
{
	static unsigned char buf[MAX_FRAME];
	struct timespec fill, t0, t1, c0, c1;
	uint64_t n_read = 0, odd = 0;
	int fd;
	ssize_t n;
	double secs;

	if (o->fill <= 0)
		usage();
	pin(o->cpu);
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_wait_alarm;	/* SIGUSR1 only ends the sleep */
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL) < 0)
			die("sigaction");
	}
	fd = open_tap(dev);
	fill.tv_sec = (time_t)o->fill;
	fill.tv_nsec = (long)((o->fill - (double)fill.tv_sec) * 1e9);
	nanosleep(&fill, NULL);	/* cut short by SIGUSR1 */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		die("fcntl");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			if (errno == EINTR)
				continue;
			die("read");
		}
		n_read++;
		if (!is_ours(buf, n))
			odd++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	secs = seconds(&t0, &t1);
	printf("{\"role\": \"drain\", \"frames\": %llu, \"seconds\": %.6f, \"fps\": %.1f, "
	       "\"other_frames\": %llu, \"cpu_busy\": %.3f}\n",
	       (unsigned long long)n_read, secs, secs > 0 ? (double)n_read / secs : 0.0,
	       (unsigned long long)odd, secs > 0 ? seconds(&c0, &c1) / secs : 0.0);
	close(fd);
	return 0;
}

static int cmd_send(const char *ifname, const char *dst, const struct opts *o)
{
	static unsigned char frame[MAX_FRAME];
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	struct sockaddr_ll sll;
	unsigned char dmac[6], smac[6];
	uint64_t fails = 0;
	int fd, one = 1, i;
	unsigned int ifindex;
	double secs;
	struct timespec start, now;

	if (o->size < 60 || o->size > 1514 || o->batch < 1 || o->batch > MAX_BATCH)
		usage();
	if (parse_mac(dst, dmac) < 0 || parse_mac(o->src, smac) < 0)
		usage();
	pin(o->cpu);
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		die(ifname);
	fd = socket(AF_PACKET, SOCK_RAW, 0);	/* protocol 0: send only */
	if (fd < 0)
		die("socket(AF_PACKET)");
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		die("PACKET_QDISC_BYPASS");
	if (o->sndbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &o->sndbuf, sizeof(o->sndbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof(o->sndbuf)) < 0)
		die("SO_SNDBUF");
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)ifindex;
	sll.sll_protocol = 0;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind");

	memcpy(frame, dmac, 6);
	memcpy(frame + 6, smac, 6);
	frame[12] = ETHERTYPE_BENCH >> 8;
	frame[13] = ETHERTYPE_BENCH & 0xff;
	memcpy(frame + 14, "MVTP", 4);
	for (i = 18; i < o->size; i++)
		frame[i] = (unsigned char)i;
	for (i = 0; i < o->batch; i++) {
		iov[i].iov_base = frame;
		iov[i].iov_len = (size_t)o->size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	if (o->frames) {
		/* Exactly o->frames frames, as fast as they go. */
		clock_gettime(CLOCK_MONOTONIC, &start);
		count = 0;
		while (count < o->frames) {
			uint64_t left = o->frames - count;
			int sent = sendmmsg(fd, msgs, left < (uint64_t)o->batch ?
					    (unsigned int)left : (unsigned int)o->batch, 0);

			if (sent > 0)
				count += (uint64_t)sent;
			else if (errno != EINTR && errno != ENOBUFS && errno != EAGAIN)
				die("sendmmsg");
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = seconds(&start, &now);
		printf("{\"role\": \"sender\", \"frames\": %llu, \"seconds\": %.6f, \"pps\": %.1f, "
		       "\"batch\": %d, \"size\": %d}\n", (unsigned long long)count, secs,
		       secs > 0 ? (double)count / secs : 0.0, o->batch, o->size);
		close(fd);
		return 0;
	}

	start_timer(o->warmup, o->window);
	clock_gettime(CLOCK_MONOTONIC, &start);
	count = 0;
	for (;;) {
		int sent = sendmmsg(fd, msgs, (unsigned int)o->batch, 0);

		if (sent > 0) {
			count += (uint64_t)sent;
		} else if (errno != EINTR) {
			/* ENOBUFS and the like: the path is full; go on. */
			fails++;
			if (errno != ENOBUFS && errno != EAGAIN && fails > 1000000)
				die("sendmmsg");
		}
		if (phase >= 2) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (seconds(&start, &now) >= o->warmup + o->window + o->tail)
				break;
		}
	}
	stop_timer();
	secs = seconds(&time_at[0], &time_at[1]);
	printf("{\"role\": \"sender\", \"frames\": %llu, \"seconds\": %.6f, \"pps\": %.1f, "
	       "\"frames_total\": %llu, \"send_failures\": %llu, \"batch\": %d, \"size\": %d, "
	       "\"cpu_busy\": %.3f}\n",
	       (unsigned long long)(count_at[1] - count_at[0]), secs,
	       (double)(count_at[1] - count_at[0]) / secs,
	       (unsigned long long)count, (unsigned long long)fails, o->batch, o->size,
	       seconds(&cpu_at[0], &cpu_at[1]) / secs);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.cpu = -1, .warmup = 2, .window = 5, .wait = 10, .tail = 1, .fill = 0,
		.size = 64, .batch = 64, .sndbuf = 0, .frames = 0,
		.src = "02:4d:56:00:10:02",
	};

	if (argc < 3)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "read")) {
		parse_opts(argc, argv, 3, &o);
		return cmd_read(argv[2], &o);
	}
	if (!strcmp(argv[1], "drain")) {
		parse_opts(argc, argv, 3, &o);
		return cmd_drain(argv[2], &o);
	}
	if (!strcmp(argv[1], "send")) {
		if (argc < 4)
			usage();
		parse_opts(argc, argv, 4, &o);
		return cmd_send(argv[2], argv[3], &o);
	}
	usage();
	return 2;
}

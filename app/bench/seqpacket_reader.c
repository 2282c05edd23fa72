/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * macvtap-seqpacket-reader: one reader of a chardev=seqpacket endpoint, in a
 * process of its own, as app/bench/seqpacket_rate.sh runs it: connect,
 * read frames in bursts (macvtap_client_read_burst) for a warm-up, then
 * count them over a window, and print "frames=N seconds=S fps=F".
 *
 *   macvtap-seqpacket-reader PATH [WARMUP_S [WINDOW_S [CPU [BATCH]]]]
 *
 * BATCH > 1 lets the endpoint put that many frames in one message
 * (macvtap_client_set_batch); the reads still return one frame each.
 */

#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macvtap_client.h"

#define BURST 64
#define FRAME_ROOM 2048

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static unsigned char bufs[BURST][FRAME_ROOM];
	struct iovec frames[BURST];
	struct macvtap_client *c;
	double warmup = argc > 2 ? atof(argv[2]) : 1, window = argc > 3 ? atof(argv[3]) : 3;
	double t0, start = 0, end;
	unsigned long long counted = 0;
	bool counting = false;
	int i, n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH [WARMUP_S [WINDOW_S [CPU [BATCH]]]]\n", argv[0]);
		return 2;
	}
	if (argc > 4) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(atoi(argv[4]), &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			perror("sched_setaffinity");
	}
	c = macvtap_client_open(argv[1]);
	if (c == NULL) {
		fprintf(stderr, "cannot connect to %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (argc > 5 && macvtap_client_set_batch(c, (unsigned int)atoi(argv[5])) != 0) {
		fprintf(stderr, "batch %s: %s\n", argv[5], strerror(errno));
		macvtap_client_close(c);
		return 1;
	}
	t0 = now();
	end = t0 + warmup + window;
	for (;;) {
		double t;

		for (i = 0; i < BURST; i++) {
			frames[i].iov_base = bufs[i];
			frames[i].iov_len = FRAME_ROOM;
		}
		n = macvtap_client_read_burst(c, frames, BURST, MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN) {
			fprintf(stderr, "read: %s\n", strerror(errno));
			macvtap_client_close(c);
			return 1;
		}
		t = now();
		if (!counting && t >= t0 + warmup) {
			counting = true;
			start = t;
		}
		if (counting && n > 0)
			counted += (unsigned long long)n;
		if (t >= end)
			break;
	}
	macvtap_client_close(c);
	printf("frames=%llu seconds=%.3f fps=%.0f\n", counted, end - start,
	       (double)counted / (end - start));
	return 0;
}

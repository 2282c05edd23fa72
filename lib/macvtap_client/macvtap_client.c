/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/* The client of a chardev=seqpacket endpoint: see macvtap_client.h. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "macvtap_client.h"

static const uint8_t ctl_magic[4] = MACVTAP_CTL_MAGIC;
static const uint8_t batch_magic[4] = MACVTAP_BATCH_MAGIC;

#define CLIENT_MAX_MSG (69632 + 256)   /* a frame and its header */
#define CLIENT_MAX_KEPT 256            /* frames kept while an ioctl waits */

struct kept_frame {
	size_t len;
	uint8_t *data;
};

struct macvtap_client {
	int fd;
	unsigned int head, nb_kept;
	struct kept_frame kept[CLIENT_MAX_KEPT];
	uint8_t *batch;              /* the batch message being unpacked, or NULL */
	size_t batch_len, batch_off;
	uint32_t batch_left;         /* frames of it not read yet */
};

#define CLIENT_MAX_BATCH_MSG (2 * CLIENT_MAX_MSG)

struct macvtap_client *
macvtap_client_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct macvtap_client *c;
	int fd, err;

	if (path == NULL || strlen(path) >= sizeof(sa.sun_path)) {
		errno = EINVAL;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto fail;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->fd = fd;
	/* The endpoint answers TUNGETFEATURES once the connection has its file. */
	{
		unsigned int features;

		if (macvtap_client_ioctl(c, TUNGETFEATURES, &features) != 0) {
			err = errno;
			macvtap_client_close(c);
			errno = err;
			return NULL;
		}
	}
	return c;
fail:
	err = errno;
	close(fd);
	errno = err;
	return NULL;
}

void
macvtap_client_close(struct macvtap_client *c)
{
	if (c == NULL)
		return;
	while (c->nb_kept != 0) {
		free(c->kept[c->head].data);
		c->head = (c->head + 1) % CLIENT_MAX_KEPT;
		c->nb_kept--;
	}
	free(c->batch);
	close(c->fd);
	free(c);
}

int
macvtap_client_fd(const struct macvtap_client *c)
{
	return c == NULL ? -1 : c->fd;
}

unsigned int
macvtap_client_pending(const struct macvtap_client *c)
{
	return c == NULL ? 0 : c->nb_kept;
}

static int
is_ctl(const void *msg, size_t len)
{
	return len >= offsetof(struct macvtap_ctl_msg, arg) &&
	       memcmp(msg, ctl_magic, sizeof(ctl_magic)) == 0;
}

static int
is_batch(const void *msg, size_t len)
{
	return len >= 8 && memcmp(msg, batch_magic, sizeof(batch_magic)) == 0;
}

/* The next frame of the batch being unpacked into buf; -1 when it is done or broken. */
static ssize_t
batch_next(struct macvtap_client *c, void *buf, size_t len)
{
	uint32_t flen;

	if (c->batch_left == 0 || c->batch_len - c->batch_off < sizeof(flen)) {
		c->batch_left = 0;
		return -1;
	}
	memcpy(&flen, c->batch + c->batch_off, sizeof(flen));
	c->batch_off += sizeof(flen);
	if (flen > c->batch_len - c->batch_off) {
		c->batch_left = 0;
		return -1;
	}
	memcpy(buf, c->batch + c->batch_off, flen < len ? flen : len);
	c->batch_off += flen;
	c->batch_left--;
	return flen < len ? flen : len;
}

/* A batch message received: unpack it from now on. */
static void
batch_start(struct macvtap_client *c, size_t len)
{
	memcpy(&c->batch_left, c->batch + 4, sizeof(c->batch_left));
	c->batch_len = len;
	c->batch_off = 8;
}

ssize_t
macvtap_client_read(struct macvtap_client *c, void *buf, size_t len, int flags)
{
	ssize_t n;

	if (c == NULL || (buf == NULL && len != 0)) {
		errno = EINVAL;
		return -1;
	}
	if (c->nb_kept != 0) {
		struct kept_frame *k = &c->kept[c->head];

		n = (ssize_t)(k->len < len ? k->len : len);
		memcpy(buf, k->data, (size_t)n);
		free(k->data);
		c->head = (c->head + 1) % CLIENT_MAX_KEPT;
		c->nb_kept--;
		return n;
	}
	for (;;) {
		if (c->batch != NULL) {
			n = batch_next(c, buf, len);
			if (n >= 0)
				return n;
			n = recv(c->fd, c->batch, CLIENT_MAX_BATCH_MSG, flags & MSG_DONTWAIT);
			if (n > 0 && is_batch(c->batch, (size_t)n)) {
				batch_start(c, (size_t)n);
				continue;
			}
			/* One frame alone comes as it is. */
			if (n > 0 && !is_ctl(c->batch, (size_t)n)) {
				memcpy(buf, c->batch, (size_t)n < len ? (size_t)n : len);
				return (size_t)n < len ? n : (ssize_t)len;
			}
		} else {
			n = recv(c->fd, buf, len, flags & MSG_DONTWAIT);
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		/* A late answer to an ioctl that gave up is not a frame. */
		if (n > 0 && is_ctl(c->batch != NULL ? c->batch : buf, (size_t)n))
			continue;
		return n;
	}
}

#define CLIENT_BURST 64

int
macvtap_client_read_burst(struct macvtap_client *c, struct iovec *frames, unsigned int n,
			  int flags)
{
	struct mmsghdr msgs[CLIENT_BURST];
	unsigned int i, got = 0;
	int r;

	if (c == NULL || frames == NULL || n == 0) {
		errno = EINVAL;
		return -1;
	}
	/* Frames kept while an ioctl waited are the oldest: one call hands them alone. */
	for (; c->nb_kept != 0 && got < n; got++) {
		ssize_t len = macvtap_client_read(c, frames[got].iov_base, frames[got].iov_len, 0);

		frames[got].iov_len = (size_t)len;
	}
	if (got != 0)
		return (int)got;
	if (c->batch != NULL) {
		/* Batches: the first frame may wait, the rest only come from what is here. */
		for (; got < n; got++) {
			ssize_t len;

			if (c->batch_left == 0 && got != 0)
				break;
			len = macvtap_client_read(c, frames[got].iov_base, frames[got].iov_len,
						  got == 0 ? flags : MSG_DONTWAIT);
			if (len < 0)
				break;
			frames[got].iov_len = (size_t)len;
		}
		return got != 0 ? (int)got : -1;
	}
	n = n < CLIENT_BURST ? n : CLIENT_BURST;
	for (;;) {
		memset(msgs, 0, sizeof(msgs[0]) * n);
		for (i = 0; i < n; i++) {
			msgs[i].msg_hdr.msg_iov = &frames[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		r = recvmmsg(c->fd, msgs, n, flags & MSG_DONTWAIT, NULL);
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		/* Late answers to ioctls are not frames: squeezed out. */
		for (i = 0, got = 0; i < (unsigned int)r; i++) {
			size_t len = msgs[i].msg_len;

			if (is_ctl(frames[i].iov_base, len))
				continue;
			if (got != i) {
				len = len < frames[got].iov_len ? len : frames[got].iov_len;
				memcpy(frames[got].iov_base, frames[i].iov_base, len);
			}
			frames[got++].iov_len = len;
		}
		if (got != 0)
			return (int)got;
	}
}

int
macvtap_client_set_batch(struct macvtap_client *c, unsigned int frames)
{
	int v = (int)frames;

	if (c == NULL || frames == 0 || frames > MACVTAP_BATCH_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (frames > 1 && c->batch == NULL) {
		c->batch = malloc(CLIENT_MAX_BATCH_MSG);
		if (c->batch == NULL)
			return -1;
	}
	if (macvtap_client_ioctl(c, MACVTAP_CTL_SETBATCH, &v) != 0)
		return -1;
	return 0;
}

ssize_t
macvtap_client_write(struct macvtap_client *c, const void *buf, size_t len)
{
	if (c == NULL || (buf == NULL && len != 0)) {
		errno = EINVAL;
		return -1;
	}
	return send(c->fd, buf, len, MSG_NOSIGNAL);
}

/* How many bytes of the argument each request reads or writes. */
static size_t
arg_size(unsigned long request)
{
	switch (request) {
	case TUNGETIFF:
	case TUNSETIFF:
	case TUNSETQUEUE:
	case SIOCGIFHWADDR:
	case SIOCSIFHWADDR:
		return sizeof(struct ifreq);
	case TUNSETOFFLOAD:
		return sizeof(uint64_t);
	case TUNGETFEATURES:
		return sizeof(unsigned int);
	case MACVTAP_CTL_SETBATCH:
	case TUNSETSNDBUF:
	case TUNGETVNETHDRSZ:
	case TUNSETVNETHDRSZ:
	case TUNGETVNETLE:
	case TUNSETVNETLE:
	case TUNGETVNETBE:
	case TUNSETVNETBE:
		return sizeof(int);
	default:
		return 0;
	}
}

/* A frame that came before the answer: kept for macvtap_client_read(). */
static void
keep(struct macvtap_client *c, const uint8_t *msg, size_t len)
{
	struct kept_frame *k;

	if (c->nb_kept == CLIENT_MAX_KEPT)
		return;  /* as a full tap queue: the frame is lost */
	k = &c->kept[(c->head + c->nb_kept) % CLIENT_MAX_KEPT];
	k->data = malloc(len);
	if (k->data == NULL)
		return;
	memcpy(k->data, msg, len);
	k->len = len;
	c->nb_kept++;
}

int
macvtap_client_ioctl(struct macvtap_client *c, unsigned long request, void *arg)
{
	struct macvtap_ctl_msg req = { .request = (uint32_t)request }, *ans;
	size_t len = arg_size(request);
	uint8_t *msg;
	ssize_t n;
	int ret = -1;
	bool sent;

	if (c == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (request != TUNSETOFFLOAD && arg == NULL) {
		errno = EFAULT;
		return -1;
	}
	/* Frames of a batch not read yet go before any that come meanwhile. */
	if (c->batch != NULL) {
		static uint8_t frame[CLIENT_MAX_MSG];
		ssize_t flen;

		while ((flen = batch_next(c, frame, sizeof(frame))) >= 0)
			keep(c, frame, (size_t)flen);
	}
	memcpy(req.magic, ctl_magic, sizeof(ctl_magic));
	req.arg_len = (uint32_t)len;
	if (request == TUNSETOFFLOAD) {
		uint64_t v = (uintptr_t)arg;

		memcpy(req.arg, &v, sizeof(v));
	} else if (len != 0) {
		memcpy(req.arg, arg, len);
	}
	/* An endpoint that refused the connection answered before hanging up: read on. */
	sent = send(c->fd, &req, offsetof(struct macvtap_ctl_msg, arg) + len, MSG_NOSIGNAL) >= 0;
	msg = malloc(CLIENT_MAX_BATCH_MSG);
	if (msg == NULL)
		return -1;
	for (;;) {
		n = recv(c->fd, msg, CLIENT_MAX_BATCH_MSG, sent ? 0 : MSG_DONTWAIT);
		/*
		 * An endpoint that hung up with our request unread left the error
		 * first and its answer after it: the error is reported once, then
		 * what it sent before can still be read.
		 */
		if (n < 0 && errno == ECONNRESET) {
			n = recv(c->fd, msg, CLIENT_MAX_BATCH_MSG, MSG_DONTWAIT);
			if (n < 0)
				errno = ECONNRESET;
		}
		if (n < 0 && !sent)
			errno = ECONNRESET;
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			break;
		}
		if (is_batch(msg, (size_t)n)) {
			uint8_t *saved = c->batch;
			size_t saved_len = c->batch_len, saved_off = c->batch_off;
			uint32_t saved_left = c->batch_left;
			static uint8_t frame[CLIENT_MAX_MSG];
			ssize_t flen;

			/* Its frames are kept, one by one, for the reads. */
			c->batch = msg;
			batch_start(c, (size_t)n);
			while ((flen = batch_next(c, frame, sizeof(frame))) >= 0)
				keep(c, frame, (size_t)flen);
			c->batch = saved;
			c->batch_len = saved_len;
			c->batch_off = saved_off;
			c->batch_left = saved_left;
			continue;
		}
		if (!is_ctl(msg, (size_t)n)) {
			keep(c, msg, (size_t)n);
			continue;
		}
		ans = (struct macvtap_ctl_msg *)msg;
		if (ans->request != req.request)
			continue;
		if (ans->result < 0) {
			errno = -ans->result;
			break;
		}
		if (request != TUNSETOFFLOAD && len != 0 &&
		    (size_t)n >= offsetof(struct macvtap_ctl_msg, arg) + len)
			memcpy(arg, ans->arg, len);
		ret = 0;
		break;
	}
	free(msg);
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/* The client of a chardev=seqpacket endpoint: see macvtap_client.h. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "macvtap_client.h"

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
};

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
	       memcmp(msg, MACVTAP_CTL_MAGIC_BYTES, 4) == 0;
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
		n = recv(c->fd, buf, len, flags & MSG_DONTWAIT);
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		/* A late answer to an ioctl that gave up is not a frame. */
		if (n > 0 && is_ctl(buf, (size_t)n))
			continue;
		return n;
	}
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

	if (c == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (request != TUNSETOFFLOAD && arg == NULL) {
		errno = EFAULT;
		return -1;
	}
	memcpy(req.magic, MACVTAP_CTL_MAGIC_BYTES, 4);
	req.arg_len = (uint32_t)len;
	if (request == TUNSETOFFLOAD) {
		uint64_t v = (uintptr_t)arg;

		memcpy(req.arg, &v, sizeof(v));
	} else if (len != 0) {
		memcpy(req.arg, arg, len);
	}
	if (send(c->fd, &req, offsetof(struct macvtap_ctl_msg, arg) + len, MSG_NOSIGNAL) < 0)
		return -1;
	msg = malloc(CLIENT_MAX_MSG);
	if (msg == NULL)
		return -1;
	for (;;) {
		n = recv(c->fd, msg, CLIENT_MAX_MSG, 0);
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			break;
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

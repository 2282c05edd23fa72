/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

#ifndef MACVTAP_CLIENT_H
#define MACVTAP_CLIENT_H

/**
 * @file
 * The client of a net_macvtap `chardev=seqpacket:<path>` endpoint, for
 * processes other than the DPDK application: each connection is one open
 * /dev/tapN of the port (one queue), one message is what one read() or
 * write() of the tap file carries (virtio-net header, 10 bytes by default,
 * then the frame), and macvtap_client_ioctl() gives the tap file's ioctls.
 * Plain C, no DPDK: link with -lmacvtap_client (pkg-config macvtap-client).
 *
 * On the wire, an ioctl is a control message: MACVTAP_CTL_MAGIC, the request
 * number, then the argument's bytes; the answer repeats magic and request and
 * adds the result (0 or -errno) and the argument as the call left it. A
 * control message starts with the byte 0xff, which no virtio-net header
 * starts with (and, with IFF_VNET_HDR off, only a frame to the multicast
 * address ff:4d:56:54:xx:xx would: such a frame cannot be written here).
 * Frames that arrive while an ioctl waits for its answer are kept for the
 * next reads.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The first four bytes of a control message, as an initializer of uint8_t[4]. */
#define MACVTAP_CTL_MAGIC { 0xff, 'M', 'V', 'T' }
/** The largest ioctl argument carried (a struct ifreq is 40 bytes). */
#define MACVTAP_CTL_MAX_ARG 64

/**
 * Not an ioctl of the kernel's: the most frames the endpoint may put in one
 * message to this connection (int argument, 1 to MACVTAP_BATCH_MAX; 1, the
 * default, is one frame per message as a tap file reads). A batch message
 * starts with MACVTAP_BATCH_MAGIC and a 32-bit frame count, then each
 * frame as a 32-bit length and its bytes (header included); lengths and
 * count in host byte order. macvtap_client_set_batch() turns it on and the
 * reads unpack it.
 */
#define MACVTAP_CTL_SETBATCH 0x4d564201u
#define MACVTAP_BATCH_MAX 64
/** The first four bytes of a batch message, as an initializer of uint8_t[4]. */
#define MACVTAP_BATCH_MAGIC { 0xfe, 'M', 'V', 'B' }

/** A control message: an ioctl request, or its answer. */
struct macvtap_ctl_msg {
	uint8_t magic[4];       /**< MACVTAP_CTL_MAGIC */
	uint32_t request;       /**< TUNSETIFF, TUNSETOFFLOAD, SIOCGIFHWADDR... */
	int32_t result;         /**< answer: 0 or -errno; request: 0 */
	uint32_t arg_len;       /**< bytes of arg used */
	uint8_t arg[MACVTAP_CTL_MAX_ARG]; /**< the argument; TUNSETOFFLOAD: its value as uint64_t */
};

/** A connection to a seqpacket endpoint. */
struct macvtap_client;

/**
 * Connect to the endpoint at path: one tap file of the port.
 * @return the connection, or NULL with errno set (EBUSY: every queue of the
 *   port has its file; ECONNREFUSED: no endpoint there).
 */
struct macvtap_client *macvtap_client_open(const char *path);

/** Close the connection (the tap file closes with it). */
void macvtap_client_close(struct macvtap_client *c);

/** The connection's socket, to poll for POLLIN (a frame may also be kept: see macvtap_client_pending()). */
int macvtap_client_fd(const struct macvtap_client *c);

/** Frames kept while an ioctl waited: read them before polling. */
unsigned int macvtap_client_pending(const struct macvtap_client *c);

/**
 * Read one frame behind its virtio-net header, as read() of /dev/tapN.
 * @param flags 0 to wait, MSG_DONTWAIT not to.
 * @return bytes put in buf (the frame is cut to len), or -1 with errno
 *   (EAGAIN: no frame with MSG_DONTWAIT; ECONNRESET: the endpoint went).
 */
ssize_t macvtap_client_read(struct macvtap_client *c, void *buf, size_t len, int flags);

/**
 * Read up to n frames in one call (recvmmsg), each as macvtap_client_read()
 * reads one: frames[i] is a buffer, whose iov_len becomes the bytes read.
 * @param flags 0 to wait for the first frame, MSG_DONTWAIT not to.
 * @return frames read (at least 1), or -1 with errno as for macvtap_client_read().
 */
int macvtap_client_read_burst(struct macvtap_client *c, struct iovec *frames, unsigned int n,
			      int flags);

/**
 * Let the endpoint send up to frames frames per message (MACVTAP_CTL_SETBATCH):
 * fewer system calls on both sides for a reader that takes many frames; the
 * reads still return one frame each.
 * @return 0, or -1 with errno (EINVAL: frames is 0 or above MACVTAP_BATCH_MAX).
 */
int macvtap_client_set_batch(struct macvtap_client *c, unsigned int frames);

/**
 * Write one frame behind its virtio-net header, as write() of /dev/tapN.
 * The endpoint applies the tap file's checks; a frame it refuses is counted
 * on the port (xstat tx_file_dropped), as the kernel counts tx_dropped.
 * @return len, or -1 with errno.
 */
ssize_t macvtap_client_write(struct macvtap_client *c, const void *buf, size_t len);

/**
 * An ioctl of the tap file: TUNGETIFF, TUNSETIFF, TUNGETFEATURES,
 * TUNSETQUEUE, TUNSETOFFLOAD (arg is the value), TUNGET/SETVNETHDRSZ,
 * TUNGET/SETVNETLE/BE, TUNSETSNDBUF, SIOCGIFHWADDR, SIOCSIFHWADDR.
 * @return 0, or -1 with errno as the kernel's tap file sets it.
 */
int macvtap_client_ioctl(struct macvtap_client *c, unsigned long request, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* MACVTAP_CLIENT_H */

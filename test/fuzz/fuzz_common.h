/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

#ifndef MACVTAP_FUZZ_COMMON_H
#define MACVTAP_FUZZ_COMMON_H

/*
 * What the libFuzzer targets share: EAL set up once from arguments of our own
 * (libFuzzer's are not EAL's), its runtime directory removed at exit, a lower
 * built from rings, the resource snapshot taken before and compared after each
 * input, and the way a violated property is reported: a message, then abort(),
 * which libFuzzer records as a crash with the input that caused it.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "harness.h"

/*
 * EAL init: --no-huge -m 512 --no-pci, nb_lcores lcores all on the first CPU
 * the process may use (a second lcore only gives the lower a second queue; it
 * never runs anything), --file-prefix=$FUZZ_EAL_PREFIX_<pid> (default prefix
 * "fuzz"), the driver's log at crit unless FUZZ_VERBOSE=1. teardown, if not
 * NULL, runs at exit before EAL cleanup and the runtime directory's removal.
 */
void fz_eal_init(unsigned int nb_lcores, void (*teardown)(void));

/* A violated property: print why (with the prefix "FUZZ FAIL: ") and abort. */
__rte_noreturn void fz_fail(const char *fmt, ...) __rte_format_printf(1, 2);

/* Resources a finished input must leave as it found them. */
struct fz_snapshot {
	unsigned int alloc_count;    /* rte_malloc allocations on socket 0 */
	unsigned int nb_mempools;
	unsigned int nb_memzones;
	unsigned int nb_ports;       /* ethdev ports */
};

void fz_snapshot_take(struct fz_snapshot *s);
/* fz_fail unless now is as before; what names the moment in the message. */
void fz_snapshot_check(const struct fz_snapshot *before, const char *what);

/*
 * A lower "net_ring_<name>" with nb_q RX and TX rings (at most T_MAX_LOWER_Q),
 * described by a harness t_env, so that t_inject and t_wire work on it. The RX
 * rings hold 4095 frames, TX ring q tx_size[q] - 1 (a power of two; all 4096
 * when tx_size is NULL): a small one refuses frames once full.
 */
void fz_lower_create(struct t_env *e, const char *name, uint16_t nb_q,
		     const unsigned int *tx_size);

/* Print len bytes as hex on stderr (at most the first 64), for failure messages. */
void fz_hexdump(const char *title, const uint8_t *p, uint32_t len);

#endif

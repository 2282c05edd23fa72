/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * The receive table's hash (drivers/net/macvtap/macvtap.h) spreads MACs that
 * differ only in some bytes over the slots: a regression test for a hash that
 * kept the low bits of a product and put MACs differing in their last byte
 * into 16 slots. No DPDK runtime needed: the header's inline functions only.
 */

#include <stdio.h>
#include <string.h>

#include "macvtap.h"

static int failed;

/* Insert n keys made by mk into a table of 2n+ slots; the longest probe chain. */
static unsigned int
longest_chain(unsigned int n, uint64_t (*mk)(unsigned int))
{
	static uint64_t slots[1 << 16];
	unsigned int nb = 2, shift, i, j, longest = 0;

	while (nb < 2 * n + 2)
		nb <<= 1;
	shift = 64 - rte_log2_u32(nb);
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < n; i++) {
		uint64_t k = mk(i);
		unsigned int len = 1;

		for (j = macvlan_hash(k, shift); slots[j] != 0; j = (j + 1) & (nb - 1))
			len++;
		slots[j] = k;
		if (len > longest)
			longest = len;
	}
	return longest;
}

static uint64_t
mac_from(const uint8_t *b)
{
	struct rte_ether_addr a;

	memcpy(a.addr_bytes, b, 6);
	return macvtap_mac_key(&a);
}

static uint64_t
last_byte(unsigned int i)
{
	uint8_t b[6] = { 0x02, 0x4d, 0x56, 0, 0, (uint8_t)i };

	return mac_from(b);
}

static uint64_t
last_two(unsigned int i)
{
	uint8_t b[6] = { 0x02, 0x4d, 0x56, 0, (uint8_t)(i >> 8), (uint8_t)i };

	return mac_from(b);
}

static uint64_t
first_bytes(unsigned int i)
{
	uint8_t b[6] = { (uint8_t)(0x02 | (i << 2)), (uint8_t)(i >> 6), 0, 0, 0, 1 };

	return mac_from(b);
}

static void
check(const char *name, unsigned int n, uint64_t (*mk)(unsigned int))
{
	unsigned int c = longest_chain(n, mk);

	/* Under half load, linear probing stays short for a good hash. */
	if (c <= 8) {
		printf("PASS: hash-%s-%u: longest probe chain %u\n", name, n, c);
	} else {
		printf("FAIL: hash-%s-%u: longest probe chain %u\n", name, n, c);
		failed = 1;
	}
}

int
main(void)
{
	check("last-byte", 64, last_byte);
	check("last-byte", 256, last_byte);
	check("last-two-bytes", 1024, last_two);
	check("last-two-bytes", 4096, last_two);
	check("first-bytes", 1024, first_bytes);
	return failed;
}

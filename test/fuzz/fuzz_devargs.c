/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * libFuzzer target: arbitrary bytes as the devargs of a net_macvtap vdev.
 *
 * Input: one flags byte (FL_*), then the devargs string (up to the first NUL).
 * Each input probes a port with a new name on a net_ring lower that exists
 * (built once); the string may or may not name it (FL_IFACE prepends it).
 *
 * Properties, checked for every input (abort() on a violation, which libFuzzer
 * records as a crash):
 * - the probe succeeds, or fails with a negative errno the guide lists
 *   (-EINVAL, -EADDRNOTAVAIL, -ENODEV, -EADDRINUSE) or -E2BIG (more than 32
 *   sources), and then leaves no port behind;
 * - a port that probed works: its mode and MAC are sane, it configures, starts,
 *   receives a unicast frame to its MAC (not in source mode), sends to the
 *   wire, stops, closes and uninits;
 * - for strings in a simple subset (key=value pairs of plain characters, or
 *   bracketed lists), an independent model of the documented rules predicts
 *   success or the possible errnos, the mode, the MAC, spoofchk, nodst,
 *   nopromisc and the source list (each listed source gets one copy of a frame
 *   from it, the kernel's "adding an existing pair is a no-op");
 * - afterwards rte_malloc's allocation count, the mempools, memzones and ports
 *   are as before, and the lower is unowned, with its MAC and its promiscuous
 *   mode as they were before its ports.
 *
 * FUZZ_VERBOSE=1 prints each probe, its result and the model's verdict.
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "fuzz_common.h"
#include "harness.h"
#include "rte_pmd_macvtap.h"

#define LOWER_NAME "fuzz"            /* the lower is net_ring_fuzz */
#define SIBLING_NAME "net_macvtap_fzsib"
#define SIBLING_MAC "02:00:00:00:00:aa"
#define MAX_ARGS 2048                /* the input's string, cut there */
#define MAX_STRING (MAX_ARGS + 64)   /* with "iface=<lower>," in front */

/* The flags byte. */
#define FL_IFACE 0x01      /* prepend "iface=<lower>," */
#define FL_TWICE 0x02      /* probe a second port with the same devargs */
#define FL_SIBLING 0x04    /* a bridge port with SIBLING_MAC is on the lower first */
#define FL_TWO_QUEUES 0x08 /* ports get two RX and TX queues */
#define FL_LINK_DOWN 0x10  /* the port goes link down and up again after start */

/* Errnos a probe may fail with, as bits. */
#define E_INVAL 0x01u
#define E_ADDRNOTAVAIL 0x02u
#define E_NODEV 0x04u
#define E_ADDRINUSE 0x08u
#define E_2BIG 0x10u
#define E_LOWER_MAC 0x20u  /* the lower's own errno when it refuses a MAC (passthru mac=) */

#define MODEL_MAX_SOURCES 40

static struct t_env env;
static struct rte_ether_addr lower_mac;
static bool lower_mac_settable;
static int lower_mac_errno;        /* what setting the lower's MAC returns when not settable */
static int lower_promisc;          /* the lower's own promiscuous mode, which ports leave as found */
static unsigned int probe_seq;
static bool verbose;         /* FUZZ_VERBOSE=1: each probe and its result on stderr */

/* What the documented rules say about a devargs string in the simple subset. */
struct dv_model {
	bool known;                  /* the string is in the subset the model covers */
	bool ambiguous;              /* the rules leave the outcome open */
	unsigned int errs;           /* errnos the probe may fail with; 0: it succeeds */
	uint8_t mode;
	bool mac_set;
	struct rte_ether_addr mac;
	bool nodst, nopromisc, spoofchk;
	unsigned int nb_sources;     /* distinct source MACs, each gets one copy */
	struct rte_ether_addr sources[MODEL_MAX_SOURCES];
};

static unsigned int
errno_bit(int ret)
{
	switch (-ret) {
	case EINVAL: return E_INVAL;
	case EADDRNOTAVAIL: return E_ADDRNOTAVAIL;
	case ENODEV: return E_NODEV;
	case EADDRINUSE: return E_ADDRINUSE;
	case E2BIG: return E_2BIG;
	default: return ret == lower_mac_errno ? E_LOWER_MAC : 0;
	}
}

static bool
plain_char(char c)
{
	return isalnum((unsigned char)c) || c == ':' || c == '.' || c == '_' || c == '-';
}

static const char *const keys[] = {
	"iface", "mac", "mode", "source", "nodst", "nopromisc", "spoofchk",
};
enum { K_IFACE, K_MAC, K_MODE, K_SOURCE, K_NODST, K_NOPROMISC, K_SPOOFCHK };

static void
model_add_source(struct dv_model *m, const struct rte_ether_addr *a)
{
	unsigned int i;

	for (i = 0; i < m->nb_sources; i++)
		if (rte_is_same_ether_addr(&m->sources[i], a))
			return; /* the kernel's "adding an existing pair is a no-op" */
	if (m->nb_sources < MODEL_MAX_SOURCES)
		m->sources[m->nb_sources++] = *a;
}

/* source=: plain MAC, or [MAC,...]; at most 32, each a unicast address. */
static void
model_source(struct dv_model *m, const char *value)
{
	char list[MAX_STRING], *tok, *save = NULL;
	struct rte_ether_addr a;
	unsigned int n = 0;
	size_t len = strlen(value);

	if (len >= 32 * 18 + 3) {
		m->errs |= E_INVAL;
		return;
	}
	strlcpy(list, value, sizeof(list));
	if (list[0] == '[') {
		list[len - 1] = '\0'; /* the scanner saw the closing bracket */
		memmove(list, list + 1, len);
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (rte_ether_unformat_addr(tok, &a) != 0)
			m->errs |= E_INVAL;
		else if (!rte_is_valid_assigned_ether_addr(&a))
			m->errs |= E_ADDRNOTAVAIL;
		else
			model_add_source(m, &a);
		n++;
	}
	if (n == 0)
		m->errs |= E_INVAL;
	/*
	 * At most 32 sources. More than 32 items that are 32 MACs or fewer, some
	 * listed twice: a driver may refuse them or count each MAC once.
	 */
	if (n > 32) {
		if (m->nb_sources > 32 || m->errs != 0)
			m->errs |= E_2BIG;
		else
			m->ambiguous = true;
	}
}

static void
model_bool(struct dv_model *m, const char *value, bool *out)
{
	if (strcmp(value, "0") == 0 || strcmp(value, "1") == 0)
		*out = value[0] == '1';
	else
		m->errs |= E_INVAL;
}

static void
model_pair(struct dv_model *m, const char *key, const char *value, unsigned int *count,
	   char *iface, size_t iface_size)
{
	static const struct { const char *name; uint8_t mode; } modes[] = {
		{ "private", RTE_PMD_MACVTAP_MODE_PRIVATE },
		{ "vepa", RTE_PMD_MACVTAP_MODE_VEPA },
		{ "bridge", RTE_PMD_MACVTAP_MODE_BRIDGE },
		{ "passthru", RTE_PMD_MACVTAP_MODE_PASSTHRU },
		{ "source", RTE_PMD_MACVTAP_MODE_SOURCE },
	};
	unsigned int k, i;

	for (k = 0; k < RTE_DIM(keys) && strcmp(key, keys[k]) != 0; k++)
		;
	if (k == RTE_DIM(keys)) {
		m->errs |= E_INVAL; /* unknown key */
		return;
	}
	if (++count[k] > 1)
		m->errs |= E_INVAL; /* given twice */
	if (value == NULL || value[0] == '\0') {
		m->errs |= E_INVAL;
		return;
	}
	if (count[k] > 1)
		return; /* the probe fails anyway: keep the first value */
	switch (k) {
	case K_IFACE:
		if (strlen(value) >= RTE_ETH_NAME_MAX_LEN)
			m->errs |= E_INVAL;
		else
			strlcpy(iface, value, iface_size);
		break;
	case K_MAC:
		if (rte_ether_unformat_addr(value, &m->mac) != 0)
			m->errs |= E_INVAL;
		else if (!rte_is_valid_assigned_ether_addr(&m->mac))
			m->errs |= E_ADDRNOTAVAIL;
		else
			m->mac_set = true;
		break;
	case K_MODE:
		for (i = 0; i < RTE_DIM(modes) && strcmp(value, modes[i].name) != 0; i++)
			;
		if (i == RTE_DIM(modes))
			m->errs |= E_INVAL;
		else
			m->mode = modes[i].mode;
		break;
	case K_SOURCE:
		model_source(m, value);
		break;
	case K_NODST:
		model_bool(m, value, &m->nodst);
		break;
	case K_NOPROMISC:
		model_bool(m, value, &m->nopromisc);
		break;
	default:
		model_bool(m, value, &m->spoofchk);
		break;
	}
}

/*
 * The model: tokens split at commas outside brackets (empty ones ignored, as
 * rte_kvargs does), each key[=value] with a key of [A-Za-z0-9_] and a value of
 * plain characters or one bracketed list of them. Anything else is not known.
 */
static void
model_parse(const char *s, bool sibling, struct dv_model *m)
{
	char key[MAX_STRING], value[MAX_STRING], iface[MAX_STRING] = "";
	unsigned int count[RTE_DIM(keys)] = { 0 }, nb_pairs = 0;
	const char *p = s, *start;
	bool has_value;

	memset(m, 0, sizeof(*m));
	m->mode = RTE_PMD_MACVTAP_MODE_VEPA;
	while (*p != '\0') {
		if (*p == ',') {
			p++;
			continue;
		}
		for (start = p; isalnum((unsigned char)*p) || *p == '_'; p++)
			;
		if (p == start || (*p != '=' && *p != ',' && *p != '\0'))
			return;
		memcpy(key, start, p - start);
		key[p - start] = '\0';
		has_value = *p == '=';
		value[0] = '\0';
		if (has_value) {
			start = ++p;
			if (*p == '[') {
				for (p++; plain_char(*p) || *p == ','; p++)
					;
				if (*p != ']')
					return;
				p++;
			} else {
				while (plain_char(*p))
					p++;
			}
			if (*p != ',' && *p != '\0')
				return;
			memcpy(value, start, p - start);
			value[p - start] = '\0';
		}
		nb_pairs++;
		model_pair(m, key, has_value ? value : NULL, count, iface, sizeof(iface));
	}
	if (nb_pairs > 32)
		m->errs |= E_INVAL; /* rte_kvargs takes at most 32 pairs */
	if (count[K_IFACE] == 0)
		m->errs |= E_INVAL;
	if (count[K_SOURCE] != 0 && m->mode != RTE_PMD_MACVTAP_MODE_SOURCE)
		m->errs |= E_INVAL;
	if (iface[0] != '\0' && strcmp(iface, env.lower_name) != 0) {
		if (strncmp(iface, "net_macvtap", 11) == 0 && !(sibling &&
		    strcmp(iface, SIBLING_NAME) == 0))
			return; /* may name a port being probed: not modelled */
		/* The sibling is a macvtap port, which cannot be a lower. */
		m->errs |= sibling && strcmp(iface, SIBLING_NAME) == 0 ? E_INVAL : E_NODEV;
	}
	if (m->errs == 0) {
		struct rte_ether_addr sib = t_mac(SIBLING_MAC);

		if (m->mode == RTE_PMD_MACVTAP_MODE_PASSTHRU) {
			if (sibling)
				m->errs |= E_INVAL;
			else if (m->mac_set && !lower_mac_settable)
				m->errs |= E_LOWER_MAC;
		} else if (m->mac_set && (rte_is_same_ether_addr(&m->mac, &lower_mac) ||
					  (sibling && rte_is_same_ether_addr(&m->mac, &sib)))) {
			m->errs |= E_ADDRINUSE;
		}
	}
	m->known = !m->ambiguous;
}

/* ---- the ports of one input ---- */

#define MAX_ACTIVE 3

struct active {
	uint16_t port[MAX_ACTIVE];
	uint16_t nb_q[MAX_ACTIVE];
	char name[MAX_ACTIVE][RTE_DEV_NAME_MAX_LEN];
	unsigned int n;
};

static struct active act;

static void
active_add(const char *name, uint16_t nb_q)
{
	uint16_t port;

	if (rte_eth_dev_get_port_by_name(name, &port) != 0)
		fz_fail("%s probed but has no ethdev port", name);
	strlcpy(act.name[act.n], name, sizeof(act.name[act.n]));
	act.port[act.n] = port;
	act.nb_q[act.n] = nb_q;
	act.n++;
}

/* Started: its first RX queue is (ports start all their queues at once). */
static bool
active_started(unsigned int i)
{
	struct rte_eth_rxq_info qi;

	return rte_eth_rx_queue_info_get(act.port[i], 0, &qi) == 0 &&
	       qi.queue_state == RTE_ETH_QUEUE_STATE_STARTED;
}

/*
 * Poll every started port until nothing comes; count the frames with this id
 * on port target and on the other ports. Checks each frame's port tag.
 */
static void
drain(uint16_t target, uint32_t id, unsigned int *on_target, unsigned int *elsewhere)
{
	struct rte_mbuf *m[32];
	unsigned int idle = 0, i, got;
	uint16_t q, k;

	*on_target = *elsewhere = 0;
	while (idle < 3) {
		got = 0;
		for (i = 0; i < act.n; i++) {
			if (!active_started(i))
				continue;
			for (q = 0; q < act.nb_q[i]; q++) {
				k = rte_eth_rx_burst(act.port[i], q, m, RTE_DIM(m));
				got += k;
				while (k-- > 0) {
					if (m[k]->port != act.port[i])
						fz_fail("port %u got a frame tagged port %u",
							act.port[i], m[k]->port);
					if (rte_pktmbuf_pkt_len(m[k]) >= 18 &&
					    t_frame_id(m[k]) == id) {
						if (act.port[i] == target)
							(*on_target)++;
						else
							(*elsewhere)++;
					}
					rte_pktmbuf_free(m[k]);
				}
			}
		}
		idle = got == 0 ? idle + 1 : 0;
	}
}

/* How many frames with this id went to the wire; the wire is left empty. */
static unsigned int
wire_count(uint32_t id)
{
	struct rte_mbuf *m[64];
	unsigned int n = 0, k, i;
	uint16_t q;

	for (q = 0; q < env.nb_q; q++) {
		while ((k = rte_ring_dequeue_burst(env.tx[q], (void **)m, RTE_DIM(m), NULL)) != 0) {
			for (i = 0; i < k; i++)
				n += rte_pktmbuf_pkt_len(m[i]) >= 18 && t_frame_id(m[i]) == id;
			rte_pktmbuf_free_bulk(m, k);
		}
	}
	return n;
}

static bool
mac_in_use(const struct rte_ether_addr *a, const struct dv_model *m)
{
	struct rte_ether_addr mac;
	unsigned int i;

	if (rte_is_same_ether_addr(a, &lower_mac))
		return true;
	for (i = 0; i < act.n; i++) {
		rte_eth_macaddr_get(act.port[i], &mac);
		if (rte_is_same_ether_addr(a, &mac))
			return true;
	}
	for (i = 0; m != NULL && i < m->nb_sources; i++)
		if (rte_is_same_ether_addr(a, &m->sources[i]))
			return true;
	return false;
}

/* An outside host's MAC that nothing on the lower uses; k picks one of several. */
static struct rte_ether_addr
outside_mac(const struct dv_model *m, unsigned int k)
{
	struct rte_ether_addr a = t_mac("02:ee:00:00:00:00");
	unsigned int found = 0, i;

	for (i = 1; i < 250; i++) {
		a.addr_bytes[5] = (uint8_t)i;
		if (!mac_in_use(&a, m) && found++ == k)
			break;
	}
	return a;
}

static struct rte_mbuf *
frame(const struct rte_ether_addr *dst, const struct rte_ether_addr *src, uint32_t id)
{
	char d[RTE_ETHER_ADDR_FMT_SIZE], s[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_mbuf *m;

	rte_ether_format_addr(d, sizeof(d), dst);
	rte_ether_format_addr(s, sizeof(s), src);
	m = t_make(d, s, 0x0800, id);
	if (m == NULL)
		fz_fail("out of mbufs");
	return m;
}

static void
lower_stats(uint16_t port, struct rte_pmd_macvtap_lower_stats *st)
{
	if (rte_pmd_macvtap_get_lower_stats(port, st) != 0)
		fz_fail("port %u: no lower stats", port);
}

/* Inject one frame from the wire; expect want copies on port, none elsewhere unless allowed. */
static void
expect_rx(uint16_t port, struct rte_mbuf *m, uint32_t id, unsigned int want, bool others_may,
	  const char *what)
{
	unsigned int on, off;

	if (t_inject(&env, 0, &m, 1) != 0)
		fz_fail("%s: inject: %s", what, t_fail_reason);
	drain(port, id, &on, &off);
	if (on != want)
		fz_fail("%s: port %u got %u copies, want %u", what, port, on, want);
	if (off != 0 && !others_may)
		fz_fail("%s: %u copies went to other ports", what, off);
}

/* Send one frame on the port; expect it on the wire (want 1) or not (0). */
static void
expect_tx(uint16_t port, struct rte_mbuf *m, uint32_t id, unsigned int want, const char *what)
{
	unsigned int on, off, wire;
	uint16_t sent = rte_eth_tx_burst(port, 0, &m, 1);

	if (sent != 1) {
		rte_pktmbuf_free(m);
		fz_fail("%s: tx burst took %u of 1", what, sent);
	}
	wire = wire_count(id);
	if (wire != want)
		fz_fail("%s: %u copies on the wire, want %u", what, wire, want);
	drain(port, id, &on, &off);
	if (on + off != 0)
		fz_fail("%s: %u copies came back to ports", what, on + off);
}

/*
 * A port that probed must work. m is the model's prediction, NULL when the
 * string is outside the model.
 */
static void
exercise(unsigned int idx, const struct dv_model *m, uint8_t flags)
{
	uint16_t port = act.port[idx], lower, nb_q = act.nb_q[idx];
	struct rte_pmd_macvtap_lower_stats before, after;
	struct rte_ether_addr mac, now_lower, ext, ext2, foreign;
	struct rte_eth_link link;
	unsigned int i;
	int mode, ret;

	mode = rte_pmd_macvtap_get_mode(port);
	if (mode != RTE_PMD_MACVTAP_MODE_PRIVATE && mode != RTE_PMD_MACVTAP_MODE_VEPA &&
	    mode != RTE_PMD_MACVTAP_MODE_BRIDGE && mode != RTE_PMD_MACVTAP_MODE_PASSTHRU &&
	    mode != RTE_PMD_MACVTAP_MODE_SOURCE)
		fz_fail("port %u: mode %d", port, mode);
	if (m != NULL && mode != m->mode)
		fz_fail("port %u: mode %d, the devargs say %u", port, mode, m->mode);
	ret = rte_pmd_macvtap_get_lower(port, &lower);
	if (ret == -ENXIO && m == NULL)
		return; /* iface named a device not probed yet: it cannot start */
	if (ret != 0 || lower != env.lower)
		fz_fail("port %u: lower %d (port %u), want port %u", port, ret, lower, env.lower);
	rte_eth_macaddr_get(port, &mac);
	rte_eth_macaddr_get(env.lower, &now_lower);
	if (mode == RTE_PMD_MACVTAP_MODE_PASSTHRU) {
		if (!rte_is_same_ether_addr(&mac, &now_lower))
			fz_fail("passthru port %u: its MAC is not the lower's", port);
		if (m != NULL && m->mac_set && !rte_is_same_ether_addr(&now_lower, &m->mac))
			fz_fail("passthru port %u: mac= did not set the lower's MAC", port);
	} else {
		if (!rte_is_valid_assigned_ether_addr(&mac) ||
		    rte_is_same_ether_addr(&mac, &lower_mac))
			fz_fail("port %u: MAC not a unicast address of its own", port);
		if (m != NULL && m->mac_set && !rte_is_same_ether_addr(&mac, &m->mac))
			fz_fail("port %u: MAC differs from mac=", port);
	}

	if (t_port_setup(port, nb_q, 64) != 0)
		fz_fail("port %u setup: %s", port, t_fail_reason);
	if (flags & FL_LINK_DOWN) {
		if (rte_eth_dev_set_link_down(port) != 0)
			fz_fail("port %u: set link down failed", port);
		if (rte_eth_link_get_nowait(port, &link) != 0 ||
		    link.link_status != RTE_ETH_LINK_DOWN)
			fz_fail("port %u: link not down after set_link_down", port);
		ext = outside_mac(m, 0);
		/* A down port is not in the table: nothing for it. */
		expect_rx(port, frame(&mac, &ext, 7), 7, 0, mode == RTE_PMD_MACVTAP_MODE_SOURCE,
			  "unicast to a down port");
		if (rte_eth_dev_set_link_up(port) != 0)
			fz_fail("port %u: set link up failed", port);
	}
	if (rte_eth_link_get_nowait(port, &link) != 0 || link.link_status != RTE_ETH_LINK_UP)
		fz_fail("port %u: link not up after start", port);

	ext = outside_mac(m, 0);
	ext2 = outside_mac(m, 1);
	foreign = outside_mac(m, 2);
	if (mode != RTE_PMD_MACVTAP_MODE_SOURCE) {
		/* No source port on this lower (a twin has the same mode): one copy. */
		expect_rx(port, frame(&mac, &ext, 1), 1, 1, false, "unicast to the port's MAC");
	} else if (m != NULL) {
		for (i = 0; i < m->nb_sources; i++) {
			lower_stats(port, &before);
			expect_rx(port, frame(&ext2, &m->sources[i], 100 + i), 100 + i, 1, true,
				  "frame from a listed source");
			lower_stats(port, &after);
			if (m->nodst && after.rx_nodst_dropped != before.rx_nodst_dropped + 1)
				fz_fail("nodst=1: the original was not swallowed");
			if (!m->nodst && after.rx_no_port != before.rx_no_port + 1)
				fz_fail("nodst=0: the original did not go on to unicast dispatch");
		}
	}
	expect_tx(port, frame(&ext, &mac, 2), 2, 1, "frame with the port's source MAC");
	if (m != NULL)
		expect_tx(port, frame(&ext, &foreign, 3), 3, m->spoofchk ? 0 : 1,
			  "frame with a foreign source MAC");
	if (m != NULL && mode == RTE_PMD_MACVTAP_MODE_PASSTHRU &&
	    rte_eth_promiscuous_get(env.lower) != (m->nopromisc ? lower_promisc : 1))
		fz_fail("passthru nopromisc=%d: the lower's promiscuous mode is %d", m->nopromisc,
			rte_eth_promiscuous_get(env.lower));
}

static void
remove_port(unsigned int i)
{
	int ret;

	if (rte_eth_dev_is_valid_port(act.port[i])) {
		ret = rte_eth_dev_stop(act.port[i]);
		if (ret != 0 && ret != -EINVAL)
			fz_fail("%s: stop: %d", act.name[i], ret);
		ret = rte_eth_dev_close(act.port[i]);
		if (ret != 0)
			fz_fail("%s: close: %d", act.name[i], ret);
	}
	ret = rte_vdev_uninit(act.name[i]);
	if (ret != 0)
		fz_fail("%s: uninit: %d", act.name[i], ret);
}

/* Probe one port; check the result against the model. Returns the probe's result. */
static int
probe(const char *args, const struct dv_model *m, unsigned int allowed_errs, uint16_t nb_q)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	uint16_t port, ports = rte_eth_dev_count_total();
	int ret;

	snprintf(name, sizeof(name), "net_macvtap_fz%u", ++probe_seq);
	ret = rte_vdev_init(name, args);
	if (verbose)
		fprintf(stderr, "probe '%s': %d (model: %s, errnos 0x%x)\n", args, ret,
			m != NULL ? "known" : "unknown", allowed_errs);
	if (ret == 0) {
		if (m != NULL && allowed_errs != 0)
			fz_fail("'%s': probe succeeded, the rules say it fails (errnos 0x%x)",
				args, allowed_errs);
		active_add(name, nb_q);
		return 0;
	}
	if (ret > 0 || errno_bit(ret) == 0)
		fz_fail("'%s': probe returned %d, not a documented negative errno", args, ret);
	if (m != NULL && !(errno_bit(ret) & allowed_errs))
		fz_fail("'%s': probe returned %d, the rules say %s", args, ret,
			allowed_errs == 0 ? "it succeeds" : "another errno");
	if (rte_eth_dev_get_port_by_name(name, &port) == 0 || rte_eth_dev_count_total() != ports)
		fz_fail("'%s': a failed probe left a port behind", args);
	return ret;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
teardown(void)
{
	unsigned int i;

	for (i = 0; i < act.n; i++)
		if (rte_eth_dev_is_valid_port(act.port[i]))
			remove_port(i);
	rte_eth_dev_stop(env.lower);
	rte_eth_dev_close(env.lower);
	rte_vdev_uninit(env.lower_name);
	rte_mempool_free(t_pool);
}

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv __rte_unused)
{
	struct rte_ether_addr mac;

	fz_eal_init(1, teardown);
	verbose = getenv("FUZZ_VERBOSE") != NULL && strcmp(getenv("FUZZ_VERBOSE"), "1") == 0;
	t_pool = rte_pktmbuf_pool_create("fz_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (t_pool == NULL)
		fz_fail("cannot create the test pool");
	fz_lower_create(&env, LOWER_NAME, 1, NULL);
	rte_eth_macaddr_get(env.lower, &lower_mac);
	lower_promisc = rte_eth_promiscuous_get(env.lower);
	/*
	 * Whether passthru's mac= can set this lower's MAC, and the lower's errno
	 * when it cannot: the model needs to know. Asked with a valid unicast
	 * address (ethdev refuses others itself), then put back.
	 */
	mac = t_mac("02:00:00:00:0e:0f");
	lower_mac_errno = rte_eth_dev_default_mac_addr_set(env.lower, &mac);
	lower_mac_settable = lower_mac_errno == 0;
	if (lower_mac_settable && rte_eth_dev_default_mac_addr_set(env.lower, &lower_mac) != 0)
		fz_fail("the lower's MAC cannot be put back");
	rte_eth_macaddr_get(env.lower, &mac);
	if (!rte_is_same_ether_addr(&mac, &lower_mac))
		fz_fail("asking whether the lower's MAC can be set changed it");
	/* Warm-up: the driver registers its lower-event handler once per process. */
	act.n = 0;
	if (rte_vdev_init(SIBLING_NAME, "iface=net_ring_" LOWER_NAME) != 0)
		fz_fail("warm-up probe failed");
	active_add(SIBLING_NAME, 1);
	if (t_port_setup(act.port[0], 1, 64) != 0)
		fz_fail("warm-up: %s", t_fail_reason);
	remove_port(0);
	act.n = 0;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char raw[MAX_ARGS], args[MAX_STRING];
	struct fz_snapshot snap;
	struct dv_model model;
	struct rte_eth_dev_owner owner;
	struct rte_ether_addr mac;
	uint8_t flags;
	uint16_t nb_q;
	size_t len;
	unsigned int i, errs2;
	int ret;

	if (size == 0)
		return 0;
	flags = data[0];
	len = RTE_MIN(size - 1, sizeof(raw) - 1);
	memcpy(raw, data + 1, len);
	raw[len] = '\0'; /* the string ends at the first NUL, as a C API sees it */
	snprintf(args, sizeof(args), "%s%s", (flags & FL_IFACE) ? "iface=net_ring_" LOWER_NAME ","
		 : "", raw);
	nb_q = (flags & FL_TWO_QUEUES) ? 2 : 1;

	fz_snapshot_take(&snap);
	act.n = 0;
	if (flags & FL_SIBLING) {
		if (rte_vdev_init(SIBLING_NAME, "iface=net_ring_" LOWER_NAME ",mac=" SIBLING_MAC
				  ",mode=bridge") != 0)
			fz_fail("sibling probe failed");
		active_add(SIBLING_NAME, 1);
		if (t_port_setup(act.port[0], 1, 64) != 0)
			fz_fail("sibling setup: %s", t_fail_reason);
	}
	model_parse(args, (flags & FL_SIBLING) != 0, &model);
	ret = probe(args, model.known ? &model : NULL, model.errs, nb_q);
	if (flags & FL_TWICE) {
		/* The same devargs again, beside the first port if it probed. */
		errs2 = model.errs;
		if (ret == 0 && model.known) {
			if (model.mode == RTE_PMD_MACVTAP_MODE_PASSTHRU)
				errs2 = E_INVAL;
			else if (model.mac_set)
				errs2 = E_ADDRINUSE;
		}
		probe(args, model.known ? &model : NULL, errs2, nb_q);
	}
	for (i = 0; i < act.n; i++)
		if (strcmp(act.name[i], SIBLING_NAME) != 0)
			exercise(i, model.known ? &model : NULL, flags);
	for (i = act.n; i-- > 0;)
		remove_port(i);
	act.n = 0;

	fz_snapshot_check(&snap, "after the input");
	if (rte_eth_dev_owner_get(env.lower, &owner) != 0 || owner.id != RTE_ETH_DEV_NO_OWNER)
		fz_fail("the lower is still owned after its ports left");
	rte_eth_macaddr_get(env.lower, &mac);
	if (!rte_is_same_ether_addr(&mac, &lower_mac))
		fz_fail("the lower's MAC was not restored");
	if (rte_eth_promiscuous_get(env.lower) != lower_promisc)
		fz_fail("the lower's promiscuous mode is %d, was %d before its ports",
			rte_eth_promiscuous_get(env.lower), lower_promisc);
	if (!rte_mempool_full(t_pool))
		fz_fail("test pool: %u mbufs missing", rte_mempool_in_use_count(t_pool));
	return 0;
}

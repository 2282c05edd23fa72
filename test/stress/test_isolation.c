/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * Isolation and anti-spoofing properties over random port sets and random
 * frame mixes, from a seeded PRNG. Each round builds a lower and a random set
 * of ports (private, vepa, bridge, source with random source lists and nodst,
 * or passthru alone; random spoofchk, extra MACs, multicast groups,
 * allmulticast, promiscuous, link down, stopped), sends a random mix of frames
 * (from the wire or from a port's TX; to port MACs, foreign unicast, the
 * lower's MAC, broadcast, multicast, PAUSE; from port MACs or foreign ones;
 * some VLAN-tagged) and checks every frame:
 *   - a unicast frame reaches no port that does not own its destination MAC
 *     (passthru aside, and source ports listing its source);
 *   - a private port's frames reach no other port; reflected by a hairpinning
 *     switch, its broadcast and multicast come back to itself alone (its
 *     unicast then goes by destination, as Matrix B says);
 *   - with spoofchk, a frame whose source is not one of the port's MACs reaches
 *     neither the wire nor a port, and is counted (tx_spoof_dropped);
 *   - a DOWN or stopped port receives nothing and sends nothing;
 *   - and every frame reaches exactly the receivers the spec's matrices A, B
 *     and C and its source-mode rules name, once each, and the lower's drop
 *     counters say why the others were not delivered.
 * Hairpin rounds send the wire back into the lower (t_reflect) and check the
 * reflections against Matrix B.
 *
 * Run: test_isolation <EAL args> [-- test-name-substring]
 * MACVTAP_PROP_SEED replays a run (the seed is printed); MACVTAP_PROP_ROUNDS
 * sets the rounds of each test (default 500).
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "harness.h"
#include "rte_pmd_macvtap.h"

#define MAX_PORTS 7
#define MAX_FRAMES 48           /* < 256: a frame id is round << 8 | index */
#define MAX_RECORDS 2048
#define NB_FOREIGN 6           /* hosts on the wire; source lists use the first 4 */
#define NB_LISTED 4
#define DEFAULT_ROUNDS 500
#define BIT(i) (1u << (i))

#define ETHER_TYPE_TEST 0x88b5
#define ETHER_TYPE_PAUSE 0x8808
#define FRAME_MAGIC 0x49534f4cu

#define MODE_PRIVATE RTE_PMD_MACVTAP_MODE_PRIVATE
#define MODE_VEPA RTE_PMD_MACVTAP_MODE_VEPA
#define MODE_BRIDGE RTE_PMD_MACVTAP_MODE_BRIDGE
#define MODE_PASSTHRU RTE_PMD_MACVTAP_MODE_PASSTHRU
#define MODE_SOURCE RTE_PMD_MACVTAP_MODE_SOURCE

enum { GROUP_JOINED, GROUP_OTHER, NB_GROUPS };
static const char *const group_macs[NB_GROUPS] = { "01:00:5e:00:00:01", "33:33:00:00:00:01" };
#define PAUSE_MAC "01:80:c2:00:00:01"

/* A port of the round, as the model sees it. */
struct mport {
	int idx;                     /* in the harness environment */
	uint16_t id;
	uint8_t mode;
	bool spoofchk, nodst;
	bool started, link_up;
	bool allmulti, promisc;
	bool joined;                 /* GROUP_JOINED */
	uint16_t nb_q;
	unsigned int nb_macs;
	struct rte_ether_addr macs[2];
	unsigned int nb_sources;
	struct rte_ether_addr sources[2];
};

/* The lower's counters of frames no port took, and spoofchk drops per port. */
struct counts {
	uint64_t no_port, no_listener, pause, nodst, passthru_down;
	uint64_t spoof[MAX_PORTS];
};

struct frame {
	uint32_t id;
	int sender;                  /* -1: the wire, else a port */
	uint16_t queue;              /* the lower RX queue, or the port's TX queue */
	struct rte_ether_addr dst, src;
	uint16_t ether_type;
	bool vlan;
	/* what the spec says */
	bool want_sent;
	uint32_t want;
	bool want_wire;
	uint32_t want_back;          /* after the hairpin */
	/* what happened */
	bool sent;
	uint32_t got, got_back;
	unsigned int copies, copies_back;
	bool on_wire;
};

struct round {
	uint64_t rng;
	unsigned int no;             /* in frame ids: unique across the tests */
	unsigned int index;          /* in this test, for messages */
	bool hairpin;
	unsigned int nb_ports;
	struct mport p[MAX_PORTS];
	struct rte_ether_addr lower_mac;
	struct rte_ether_addr foreign[NB_FOREIGN];
	unsigned int nb_frames;
	struct frame f[MAX_FRAMES];
	struct counts model;
};

/* What some rounds exercised, printed so that a run shows what it covered. */
struct coverage {
	unsigned int rounds, frames, reflected, spoofed, private_tx, nodst, passthru,
		     source_copies, bridge_local, vlan, down_senders;
};

struct rec {
	uint32_t id;
	int port;                    /* index in the round, -1 if mbuf->port was wrong */
};

static struct t_env env;
static struct round rd;
static struct rec recs[MAX_RECORDS];
static struct coverage cov;
static uint64_t base_seed;
static unsigned int nb_rounds;

/* ---- PRNG and knobs ---- */

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int
pick(unsigned int n)
{
	return (unsigned int)(splitmix(&rd.rng) % n);
}

/* True with probability pct percent. */
static bool
chance(unsigned int pct)
{
	return pick(100) < pct;
}

static void
knobs_init(void)
{
	const char *s;

	s = getenv("MACVTAP_PROP_SEED");
	if (s != NULL && *s != '\0')
		base_seed = strtoull(s, NULL, 0);
	else
		base_seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid() ^ rte_rdtsc();
	s = getenv("MACVTAP_PROP_ROUNDS");
	nb_rounds = s != NULL && atoi(s) > 0 ? (unsigned int)atoi(s) : DEFAULT_ROUNDS;
	if (nb_rounds >= 1u << 23)
		nb_rounds = (1u << 23) - 1; /* frame ids hold the round number */
	printf("  seed %#" PRIx64 " (MACVTAP_PROP_SEED=%#" PRIx64 " replays), %u rounds a test\n",
	       base_seed, base_seed, nb_rounds);
	fflush(stdout);
}

/* ---- the model ---- */

static bool
port_up(const struct mport *p)
{
	return p->started && p->link_up;
}

static bool
owns(const struct mport *p, const struct rte_ether_addr *a)
{
	unsigned int i;

	for (i = 0; i < p->nb_macs; i++)
		if (rte_is_same_ether_addr(&p->macs[i], a))
			return true;
	return false;
}

static bool
lists(const struct mport *p, const struct rte_ether_addr *a)
{
	unsigned int i;

	if (p->mode != MODE_SOURCE)
		return false;
	for (i = 0; i < p->nb_sources; i++)
		if (rte_is_same_ether_addr(&p->sources[i], a))
			return true;
	return false;
}

/* The UP port that owns a MAC (any mode), or -1: the kernel's hash lookup. */
static int
up_owner(const struct round *r, const struct rte_ether_addr *a)
{
	unsigned int i;

	for (i = 0; i < r->nb_ports; i++)
		if (port_up(&r->p[i]) && owns(&r->p[i], a))
			return (int)i;
	return -1;
}

static int
passthru_port(const struct round *r)
{
	unsigned int i;

	for (i = 0; i < r->nb_ports; i++)
		if (r->p[i].mode == MODE_PASSTHRU)
			return (int)i;
	return -1;
}

/* The port's filter (exact, as the driver's): broadcast always passes. */
static bool
accepts_group(const struct mport *p, const struct rte_ether_addr *dst)
{
	struct rte_ether_addr joined = t_mac(group_macs[GROUP_JOINED]);

	return rte_is_broadcast_ether_addr(dst) || p->allmulti || p->promisc ||
	       (p->joined && rte_is_same_ether_addr(dst, &joined));
}

static uint32_t
down_ports(const struct round *r)
{
	uint32_t mask = 0;
	unsigned int i;

	for (i = 0; i < r->nb_ports; i++)
		if (!port_up(&r->p[i]))
			mask |= BIT(i);
	return mask;
}

/*
 * Who gets a frame the lower receives (spec 1.2, 1.3, 1.6; matrices A and B),
 * and which lower counter takes it when nobody does.
 */
static uint32_t
model_rx(const struct round *r, const struct rte_ether_addr *dst,
	 const struct rte_ether_addr *src, uint16_t ether_type, struct counts *c)
{
	uint32_t want = 0, fan = 0;
	bool nodst = false;
	unsigned int i;
	uint8_t mask;
	int origin, pt;

	/* Source mode first: copies to UP listing ports; nodst (even DOWN) swallows. */
	for (i = 0; i < r->nb_ports; i++) {
		if (!lists(&r->p[i], src))
			continue;
		if (port_up(&r->p[i]))
			want |= BIT(i);
		nodst |= r->p[i].nodst;
	}
	if (nodst) {
		c->nodst++;
		return want;
	}
	if (rte_is_multicast_ether_addr(dst)) {
		origin = up_owner(r, src);
		mask = MODE_PRIVATE | MODE_VEPA | MODE_BRIDGE | MODE_PASSTHRU;
		if (origin >= 0) {
			switch (r->p[origin].mode) {
			case MODE_VEPA:
				mask = MODE_VEPA | MODE_BRIDGE;
				break;
			case MODE_BRIDGE:
				mask = MODE_VEPA;
				break;
			default: /* private, passthru, source: back to the origin alone */
				return want | BIT(origin);
			}
		}
		if (ether_type == ETHER_TYPE_PAUSE) {
			c->pause++;
			return want;
		}
		for (i = 0; i < r->nb_ports; i++)
			if ((int)i != origin && port_up(&r->p[i]) && (r->p[i].mode & mask) &&
			    accepts_group(&r->p[i], dst))
				fan |= BIT(i);
		if (fan == 0)
			c->no_listener++;
		return want | fan;
	}
	pt = passthru_port(r);
	if (pt >= 0) {
		if (port_up(&r->p[pt]))
			return want | BIT(pt);
		c->passthru_down++;
		return want;
	}
	origin = up_owner(r, dst);
	if (origin >= 0 && r->p[origin].mode != MODE_SOURCE)
		return want | BIT(origin);
	c->no_port++;
	return want;
}

/* What a port's TX does with a frame (spec 1.4, Matrix C; spoofchk). */
static void
model_tx(struct round *r, struct frame *f)
{
	const struct mport *s = &r->p[f->sender];
	unsigned int i;
	int target;

	f->want = 0;
	f->want_wire = false;
	f->want_sent = port_up(s);
	if (!f->want_sent)
		return;
	if (s->spoofchk && !owns(s, &f->src)) {
		r->model.spoof[f->sender]++;
		return;
	}
	if (s->mode != MODE_BRIDGE) {
		f->want_wire = true;
		return;
	}
	if (rte_is_multicast_ether_addr(&f->dst)) {
		/* Local fan-out to the other UP bridge ports, never PAUSE; then the wire. */
		if (f->ether_type != ETHER_TYPE_PAUSE)
			for (i = 0; i < r->nb_ports; i++)
				if ((int)i != f->sender && r->p[i].mode == MODE_BRIDGE &&
				    port_up(&r->p[i]) && accepts_group(&r->p[i], &f->dst))
					f->want |= BIT(i);
		f->want_wire = true;
		return;
	}
	target = up_owner(r, &f->dst);
	if (target >= 0 && r->p[target].mode == MODE_BRIDGE) {
		/* Into the lower's receive path, not onto the wire. */
		f->want = model_rx(r, &f->dst, &f->src, f->ether_type, &r->model);
		return;
	}
	f->want_wire = true;
}

/* ---- building a round ---- */

static const char *
mode_name(uint8_t mode)
{
	switch (mode) {
	case MODE_PRIVATE: return "private";
	case MODE_VEPA: return "vepa";
	case MODE_BRIDGE: return "bridge";
	case MODE_PASSTHRU: return "passthru";
	default: return "source";
	}
}

static void
fmt_mac(char *buf, const struct rte_ether_addr *a)
{
	rte_ether_format_addr(buf, RTE_ETHER_ADDR_FMT_SIZE, a);
}

/* Print the round's ports: what to look at when a property fails. */
static void
dump_round(void)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE], mac2[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int i, j;

	fprintf(stderr, "  round %u (seed %#" PRIx64 "), %s, lower %u queue(s):\n", rd.index,
		base_seed, rd.hairpin ? "hairpin" : "no hairpin", env.nb_q);
	for (i = 0; i < rd.nb_ports; i++) {
		const struct mport *p = &rd.p[i];

		fmt_mac(mac, &p->macs[0]);
		mac2[0] = '\0';
		if (p->nb_macs > 1)
			fmt_mac(mac2, &p->macs[1]);
		fprintf(stderr, "    port %u: %s %s%s%s q=%u%s%s%s%s%s%s%s", i, mode_name(p->mode),
			mac, p->nb_macs > 1 ? "+" : "", mac2, p->nb_q,
			p->spoofchk ? " spoofchk" : "", p->nodst ? " nodst" : "",
			p->started ? "" : " STOPPED", p->link_up ? "" : " LINK-DOWN",
			p->joined ? " joined" : "", p->allmulti ? " allmulti" : "",
			p->promisc ? " promisc" : "");
		for (j = 0; j < p->nb_sources; j++) {
			fmt_mac(mac, &p->sources[j]);
			fprintf(stderr, " src=%s", mac);
		}
		fprintf(stderr, "\n");
	}
}

static void
dump_frame(const struct frame *f)
{
	char d[RTE_ETHER_ADDR_FMT_SIZE], s[RTE_ETHER_ADDR_FMT_SIZE];

	fmt_mac(d, &f->dst);
	fmt_mac(s, &f->src);
	fprintf(stderr, "  frame %u: from %s%d, %s -> %s, type %#x%s: want ports 0x%x wire %d "
		"back 0x%x; got 0x%x (%u copies) wire %d back 0x%x (%u copies)\n", f->id & 0xff,
		f->sender < 0 ? "wire" : "port ", f->sender < 0 ? 0 : f->sender, s, d,
		f->ether_type, f->vlan ? " vlan" : "", f->want, f->want_wire, f->want_back,
		f->got, f->copies, f->on_wire, f->got_back, f->copies_back);
}

/* A property does not hold for frame f: show the round and the frame, and fail. */
#define FRAME_FAIL(f, fmt, ...) do { \
	dump_round(); \
	dump_frame(f); \
	snprintf(t_fail_reason, sizeof(t_fail_reason), "round %u frame %u: " fmt, rd.index, \
		 (f)->id & 0xff, __VA_ARGS__); \
	return -1; \
} while (0)

static int
round_ports(bool hairpin, bool passthru)
{
	static const uint8_t modes[] = { MODE_PRIVATE, MODE_VEPA, MODE_VEPA, MODE_BRIDGE,
		MODE_BRIDGE, MODE_BRIDGE, MODE_SOURCE, MODE_SOURCE };
	static const uint8_t hairpin_modes[] = { MODE_PRIVATE, MODE_VEPA, MODE_VEPA, MODE_VEPA,
		MODE_BRIDGE, MODE_BRIDGE, MODE_SOURCE };
	struct rte_ether_addr group = t_mac(group_macs[GROUP_JOINED]);
	char args[256], mac[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int i, j;
	int n;

	TRY(t_env_init(&env, (uint16_t)(1 + pick(2))));
	/*
	 * A real address for the lower, which passthru takes: net_ring's is all
	 * zeros and it cannot set one, so the test double gets it in its data.
	 */
	rd.lower_mac = t_mac("02:00:00:00:0a:00");
	rd.lower_mac.addr_bytes[5] = (uint8_t)(1 + pick(200));
	rte_eth_devices[env.lower].data->mac_addrs[0] = rd.lower_mac;
	rd.nb_ports = passthru ? 1 : 2 + pick(MAX_PORTS - 1);
	for (i = 0; i < rd.nb_ports; i++) {
		struct mport *p = &rd.p[i];

		memset(p, 0, sizeof(*p));
		p->mode = passthru ? MODE_PASSTHRU : hairpin ?
			  hairpin_modes[pick(RTE_DIM(hairpin_modes))] : modes[pick(RTE_DIM(modes))];
		p->nb_q = (uint16_t)(1 + pick(2));
		p->spoofchk = chance(30);
		p->started = i == 0 || chance(90);
		p->link_up = chance(85);
		p->joined = chance(30);
		p->allmulti = chance(20);
		p->promisc = chance(10);
		if (p->mode == MODE_PASSTHRU) {
			p->macs[0] = rd.lower_mac;
			p->started = true; /* a stopped passthru port leaves the lower unpolled */
		} else {
			p->macs[0] = t_mac("02:00:00:00:01:00");
			p->macs[0].addr_bytes[5] = (uint8_t)(i + 1);
		}
		p->nb_macs = 1;
		fmt_mac(mac, &p->macs[0]);
		n = snprintf(args, sizeof(args), "mode=%s%s%s%s", mode_name(p->mode),
			     p->mode == MODE_PASSTHRU ? "" : ",mac=",
			     p->mode == MODE_PASSTHRU ? "" : mac, p->spoofchk ? ",spoofchk=1" : "");
		if (p->mode == MODE_SOURCE) {
			p->nodst = chance(25);
			p->nb_sources = 1 + pick(2);
			p->sources[0] = rd.foreign[pick(NB_LISTED)];
			do {
				p->sources[1] = rd.foreign[pick(NB_LISTED)];
			} while (p->nb_sources > 1 &&
				 rte_is_same_ether_addr(&p->sources[0], &p->sources[1]));
			n += snprintf(args + n, sizeof(args) - n, ",nodst=%d,source=[", p->nodst);
			for (j = 0; j < p->nb_sources; j++) {
				fmt_mac(mac, &p->sources[j]);
				n += snprintf(args + n, sizeof(args) - n, "%s%s", j ? "," : "",
					      mac);
			}
			snprintf(args + n, sizeof(args) - n, "]");
		}
		TRY(t_add_port(&env, args, p->nb_q, 0, &p->idx));
		p->id = env.ports[p->idx];
		if (p->mode == MODE_PASSTHRU) {
			struct rte_ether_addr a;

			CHECK_EQ(rte_eth_macaddr_get(p->id, &a), 0, "passthru MAC");
			CHECK(rte_is_same_ether_addr(&a, &rd.lower_mac),
			      "passthru has the lower's MAC");
		}
		if (p->mode != MODE_PASSTHRU && chance(20)) {
			p->macs[1] = t_mac("02:00:00:00:02:00");
			p->macs[1].addr_bytes[5] = (uint8_t)(i + 1);
			CHECK_EQ(rte_eth_dev_mac_addr_add(p->id, &p->macs[1], 0), 0,
				 "mac_addr_add");
			p->nb_macs = 2;
		}
		if (p->joined)
			CHECK_EQ(rte_eth_dev_set_mc_addr_list(p->id, &group, 1), 0, "mc list");
		if (p->allmulti)
			CHECK_EQ(rte_eth_allmulticast_enable(p->id), 0, "allmulticast");
		if (p->promisc)
			CHECK_EQ(rte_eth_promiscuous_enable(p->id), 0, "promiscuous");
		if (!p->link_up)
			CHECK_EQ(rte_eth_dev_set_link_down(p->id), 0, "link down");
		if (!p->started)
			CHECK_EQ(rte_eth_dev_stop(p->id), 0, "stop");
	}
	return 0;
}

/* A random port index; a started one if started_only. */
static int
random_port(bool started_only)
{
	unsigned int i;

	do {
		i = pick(rd.nb_ports);
	} while (started_only && !rd.p[i].started);
	return (int)i;
}

static struct rte_ether_addr
random_port_mac(void)
{
	const struct mport *p = &rd.p[random_port(false)];

	return p->macs[pick(p->nb_macs)];
}

static void
round_frames(bool wire_senders)
{
	unsigned int i, k;

	rd.nb_frames = 16 + pick(MAX_FRAMES - 16 + 1);
	for (i = 0; i < rd.nb_frames; i++) {
		struct frame *f = &rd.f[i];

		memset(f, 0, sizeof(*f));
		f->id = rd.no << 8 | i; /* the round in it: stale frames show */
		f->sender = wire_senders && chance(45) ? -1 : random_port(true);
		f->ether_type = ETHER_TYPE_TEST;
		k = pick(100);
		if (k < 35)
			f->dst = random_port_mac();
		else if (k < 47)
			f->dst = rd.foreign[pick(NB_FOREIGN)];
		else if (k < 50)
			f->dst = rd.lower_mac;
		else if (k < 70)
			f->dst = t_mac("ff:ff:ff:ff:ff:ff");
		else if (k < 84)
			f->dst = t_mac(group_macs[GROUP_JOINED]);
		else if (k < 92)
			f->dst = t_mac(group_macs[GROUP_OTHER]);
		else {
			f->dst = t_mac(PAUSE_MAC);
			f->ether_type = ETHER_TYPE_PAUSE;
		}
		k = pick(100);
		if (f->sender < 0) {
			f->queue = (uint16_t)pick(env.nb_q);
			/* From the wire: a foreign host, or a port's MAC (a reflection). */
			f->src = k < 55 ? rd.foreign[pick(NB_FOREIGN)] : random_port_mac();
		} else {
			const struct mport *s = &rd.p[f->sender];

			f->queue = (uint16_t)pick(s->nb_q);
			if (k < 60)
				f->src = s->macs[pick(s->nb_macs)];
			else if (k < 80)
				f->src = rd.foreign[pick(NB_FOREIGN)];
			else if (k < 95)
				f->src = random_port_mac();
			else
				f->src = rd.lower_mac;
		}
		f->vlan = f->ether_type != ETHER_TYPE_PAUSE && chance(25);
	}
}

static struct rte_mbuf *
build(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
	struct rte_ether_hdr *eh;
	uint32_t magic = FRAME_MAGIC;
	uint8_t *p;
	size_t off = sizeof(*eh);

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, 64);
	memset(p, 0, 64);
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = f->dst;
	eh->src_addr = f->src;
	if (f->vlan) {
		struct rte_vlan_hdr vh;

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh.vlan_tci = rte_cpu_to_be_16((uint16_t)(1 + f->id % 4094));
		vh.eth_proto = rte_cpu_to_be_16(f->ether_type);
		memcpy(p + off, &vh, sizeof(vh));
		off += sizeof(vh);
	} else {
		eh->ether_type = rte_cpu_to_be_16(f->ether_type);
	}
	memcpy(p + off, &f->id, sizeof(f->id));
	memcpy(p + off + 4, &magic, sizeof(magic));
	return m;
}

/* The id of a frame, or UINT32_MAX if it is not one of ours, intact. */
static uint32_t
frame_id(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)p;
	size_t off = sizeof(*eh);
	uint32_t id, magic;

	if (m->data_len < 64)
		return UINT32_MAX;
	if (eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
		off += sizeof(struct rte_vlan_hdr);
	memcpy(&id, p + off, sizeof(id));
	memcpy(&magic, p + off + 4, sizeof(magic));
	return magic == FRAME_MAGIC ? id : UINT32_MAX;
}

static struct frame *
frame_by_id(uint32_t id)
{
	return id >> 8 == rd.no && (id & 0xff) < rd.nb_frames ? &rd.f[id & 0xff] : NULL;
}

/* Poll every started port's queues until nothing more comes; record who got what. */
static unsigned int
collect(void)
{
	struct rte_mbuf *m[32];
	unsigned int n = 0, idle = 0, got, i;
	bool pending;
	uint16_t q, k;

	while (idle < 3) {
		got = 0;
		for (i = 0; i < rd.nb_ports; i++) {
			const struct mport *p = &rd.p[i];

			if (!p->started)
				continue; /* not polled, as an application would not */
			for (q = 0; q < p->nb_q; q++) {
				k = rte_eth_rx_burst(p->id, q, m, RTE_DIM(m));
				for (got += k; k > 0; k--) {
					struct rte_mbuf *x = m[k - 1];

					if (n < MAX_RECORDS) {
						recs[n].id = frame_id(x);
						recs[n].port = x->port == p->id ? (int)i : -1;
						n++;
					}
					rte_pktmbuf_free(x);
				}
			}
		}
		pending = false;
		for (q = 0; q < env.nb_q; q++)
			pending |= rte_ring_count(env.rx[q]) != 0;
		idle = got == 0 && !pending ? idle + 1 : 0;
	}
	return n;
}

/* Account records to frames: who got each, how many copies. */
static int
account(unsigned int n, bool back)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct frame *f = frame_by_id(recs[i].id);

		CHECK(f != NULL, "round %u: a frame not sent in this round (id %u), or altered",
		      rd.index, recs[i].id);
		CHECK(recs[i].port >= 0, "round %u: frame %u: mbuf->port is not the port read",
		      rd.index, f->id & 0xff);
		if (back) {
			f->got_back |= BIT(recs[i].port);
			f->copies_back++;
		} else {
			f->got |= BIT(recs[i].port);
			f->copies++;
		}
	}
	return 0;
}

/*
 * What the lower sent: marks frames on the wire. With keep, they are put back
 * on the wire in the same order, for t_reflect() to hairpin.
 */
static int
read_wire(bool keep)
{
	struct rte_mbuf *m[MAX_RECORDS / 4];
	struct frame *twice = NULL;
	unsigned int n, i, strangers = 0;
	uint16_t q;

	for (q = 0; q < env.nb_q; q++) {
		n = rte_ring_dequeue_burst(env.tx[q], (void **)m, RTE_DIM(m), NULL);
		for (i = 0; i < n; i++) {
			struct frame *f = frame_by_id(frame_id(m[i]));

			if (f == NULL)
				strangers++;
			else if (f->on_wire)
				twice = f;
			else
				f->on_wire = true;
		}
		if (keep)
			CHECK_EQ(rte_ring_enqueue_burst(env.tx[q], (void **)m, n, NULL), n,
				 "back on the wire");
		else
			rte_pktmbuf_free_bulk(m, n);
	}
	CHECK(strangers == 0, "round %u: %u frames on the wire not sent in this round", rd.index,
	      strangers);
	if (twice != NULL)
		FRAME_FAIL(twice, "on the wire more than once (%s)",
			   keep ? "before the hairpin" : "no hairpin");
	return 0;
}

/* ---- the properties ---- */

/* Who may hold a unicast frame at all: its owner, passthru, a source port listing its source. */
static int
check_unicast_owners(const struct frame *f, uint32_t got, const char *phase)
{
	unsigned int i;

	if (rte_is_multicast_ether_addr(&f->dst))
		return 0;
	for (i = 0; i < rd.nb_ports; i++) {
		const struct mport *p = &rd.p[i];

		if ((got & BIT(i)) && !owns(p, &f->dst) && p->mode != MODE_PASSTHRU &&
		    !lists(p, &f->src))
			FRAME_FAIL(f, "(%s) unicast delivered to port %u, which does not own its "
				   "destination", phase, i);
	}
	return 0;
}

static int
check_frame(const struct frame *f)
{
	const struct mport *s = f->sender >= 0 ? &rd.p[f->sender] : NULL;
	uint32_t down = down_ports(&rd);

	if (f->sent != f->want_sent)
		FRAME_FAIL(f, "tx burst took %d, want %d (a DOWN port sends nothing)", f->sent,
			   f->want_sent);
	if ((f->got & down) != 0)
		FRAME_FAIL(f, "delivered to DOWN ports 0x%x", f->got & down);
	TRY(check_unicast_owners(f, f->got, "direct"));
	if (s != NULL && s->mode == MODE_PRIVATE && f->got != 0)
		FRAME_FAIL(f, "a private port's frame reached ports 0x%x", f->got);
	if (s != NULL && s->spoofchk && !owns(s, &f->src) && (f->got != 0 || f->on_wire))
		FRAME_FAIL(f, "a spoofed source passed spoofchk (ports 0x%x, wire %d)", f->got,
			   f->on_wire);
	if (f->got != f->want || f->copies != (unsigned int)__builtin_popcount(f->want) ||
	    f->on_wire != f->want_wire)
		FRAME_FAIL(f, "not delivered as the spec says (ports 0x%x, want 0x%x)", f->got,
			   f->want);
	return 0;
}

static int
check_reflection(const struct frame *f)
{
	const struct mport *s = f->sender >= 0 ? &rd.p[f->sender] : NULL;

	if ((f->got_back & down_ports(&rd)) != 0)
		FRAME_FAIL(f, "reflection delivered to DOWN ports 0x%x",
			   f->got_back & down_ports(&rd));
	TRY(check_unicast_owners(f, f->got_back, "reflected"));
	/* A private port's own group frame comes back to it alone (Matrix B). */
	if (s != NULL && s->mode == MODE_PRIVATE && owns(s, &f->src) &&
	    rte_is_multicast_ether_addr(&f->dst) && (f->got_back & ~BIT(f->sender)) != 0)
		FRAME_FAIL(f, "a private port's reflected group frame reached ports 0x%x",
			   f->got_back);
	if (f->got_back != f->want_back ||
	    f->copies_back != (unsigned int)__builtin_popcount(f->want_back))
		FRAME_FAIL(f, "reflection not delivered as Matrix B says (ports 0x%x, want 0x%x)",
			   f->got_back, f->want_back);
	return 0;
}

static int
lower_counts(struct counts *c)
{
	struct rte_pmd_macvtap_lower_stats ls;
	unsigned int i;

	CHECK_EQ(rte_pmd_macvtap_get_lower_stats(rd.p[0].id, &ls), 0, "lower stats");
	c->no_port = ls.rx_no_port;
	c->no_listener = ls.rx_no_listener;
	c->pause = ls.rx_pause;
	c->nodst = ls.rx_nodst_dropped;
	c->passthru_down = ls.rx_passthru_down;
	for (i = 0; i < rd.nb_ports; i++)
		c->spoof[i] = t_xstat(rd.p[i].id, "tx_spoof_dropped");
	return 0;
}

static int
check_counts(const struct counts *before)
{
	struct counts now;
	unsigned int i;

#define COUNT_EQ(field, what) do { \
	if (now.field - before->field != rd.model.field) { \
		dump_round(); \
		CHECK(false, "round %u: %s: %" PRIu64 ", want %" PRIu64, rd.index, what, \
		      now.field - before->field, rd.model.field); \
	} \
} while (0)
	TRY(lower_counts(&now));
	COUNT_EQ(no_port, "lower_rx_no_port_dropped");
	COUNT_EQ(no_listener, "lower_rx_no_listener_dropped");
	COUNT_EQ(pause, "lower_rx_pause_dropped");
	COUNT_EQ(nodst, "lower_rx_nodst_dropped");
	COUNT_EQ(passthru_down, "lower_rx_passthru_down_dropped");
	for (i = 0; i < rd.nb_ports; i++)
		COUNT_EQ(spoof[i], "tx_spoof_dropped");
#undef COUNT_EQ
	return 0;
}

/* One round: ports, frames, delivery, (hairpin,) checks. */
static int
run_round(unsigned int index, unsigned int no, bool hairpin, bool passthru)
{
	struct counts before;
	struct rte_mempool *lower_mp;
	struct rte_ring *ring;
	unsigned int i, n, on_wire = 0;
	uint16_t q;

	memset(&rd, 0, sizeof(rd));
	rd.no = no;
	rd.index = index;
	rd.rng = base_seed ^ ((uint64_t)no << 32) ^ (hairpin ? 0x4841ULL : 0) ^
		 (passthru ? 0x5054ULL : 0);
	rd.hairpin = hairpin;
	for (i = 0; i < NB_FOREIGN; i++) {
		rd.foreign[i] = t_mac("02:f0:00:00:00:00");
		rd.foreign[i].addr_bytes[5] = (uint8_t)(i + 1);
	}
	TRY(round_ports(hairpin, passthru));
	round_frames(!hairpin || chance(50));
	TRY(lower_counts(&before));

	for (i = 0; i < rd.nb_frames; i++) {
		struct frame *f = &rd.f[i];
		struct rte_mbuf *m = build(f);

		CHECK(m != NULL, "no mbuf");
		if (f->sender < 0) {
			f->want_sent = true;
			f->want = model_rx(&rd, &f->dst, &f->src, f->ether_type, &rd.model);
			f->sent = true;
			TRY(t_inject(&env, f->queue, &m, 1));
			continue;
		}
		model_tx(&rd, f);
		f->sent = rte_eth_tx_burst(rd.p[f->sender].id, f->queue, &m, 1) == 1;
		if (!f->sent)
			rte_pktmbuf_free(m);
	}
	n = collect();
	TRY(account(n, false));
	TRY(read_wire(hairpin));
	for (i = 0; i < rd.nb_frames; i++)
		TRY(check_frame(&rd.f[i]));

	if (hairpin) {
		/* The switch sends every frame back: each is received as Matrix B says. */
		for (i = 0; i < rd.nb_frames; i++) {
			struct frame *f = &rd.f[i];

			if (!f->on_wire)
				continue;
			on_wire++;
			f->want_back = model_rx(&rd, &f->dst, &f->src, f->ether_type, &rd.model);
		}
		CHECK_EQ(t_reflect(&env), on_wire, "frames the switch reflected");
		n = collect();
		TRY(account(n, true));
		for (i = 0; i < rd.nb_frames; i++)
			if (rd.f[i].on_wire)
				TRY(check_reflection(&rd.f[i]));
		for (q = 0; q < env.nb_q; q++)
			CHECK_EQ(rte_ring_count(env.tx[q]), 0, "frames sent by the receive path");
	}
	TRY(check_counts(&before));
	/* DOWN ports' rings stay empty (stopped ones are not read). */
	for (i = 0; i < rd.nb_ports; i++) {
		for (q = 0; q < rd.p[i].nb_q; q++) {
			ring = rte_pmd_macvtap_get_rx_ring(rd.p[i].id, q);
			CHECK(ring != NULL, "rx ring");
			CHECK_EQ(rte_ring_count(ring), 0, "frames waiting in a port's ring");
		}
	}
	lower_mp = rte_pmd_macvtap_get_lower_mempool(rd.p[0].id);
	CHECK(lower_mp != NULL && rte_mempool_full(lower_mp), "round %u: the lower's mempool "
	      "not full", no);
	CHECK(rte_mempool_full(t_pool), "round %u: %u test mbufs missing", no,
	      rte_mempool_in_use_count(t_pool));

	/* Coverage. */
	cov.rounds++;
	cov.passthru += passthru;
	for (i = 0; i < rd.nb_frames; i++) {
		const struct frame *f = &rd.f[i];
		const struct mport *s = f->sender >= 0 ? &rd.p[f->sender] : NULL;
		unsigned int j;

		cov.frames++;
		cov.reflected += hairpin && f->on_wire;
		cov.vlan += f->vlan;
		cov.spoofed += s != NULL && s->spoofchk && !owns(s, &f->src) && f->sent;
		cov.private_tx += s != NULL && s->mode == MODE_PRIVATE && f->sent;
		cov.down_senders += s != NULL && !f->sent;
		cov.bridge_local += s != NULL && s->mode == MODE_BRIDGE && f->got != 0;
		for (j = 0; j < rd.nb_ports; j++) {
			cov.source_copies += lists(&rd.p[j], &f->src) &&
					     ((f->got | f->got_back) & BIT(j));
			cov.nodst += lists(&rd.p[j], &f->src) && rd.p[j].nodst;
		}
	}
	return t_env_fini(&env);
}

static int
run_rounds(bool hairpin, unsigned int passthru_every, unsigned int first_round)
{
	unsigned int i;

	memset(&cov, 0, sizeof(cov));
	for (i = 0; i < nb_rounds; i++)
		TRY(run_round(i, first_round + i, hairpin,
			      passthru_every != 0 && i % passthru_every == passthru_every - 1));
	printf("  %u rounds, %u frames: %u reflected, %u spoofed, %u from private ports, %u from "
	       "DOWN ports, %u bridge-local, %u source copies, %u nodst matches, %u VLAN, %u "
	       "passthru rounds\n", cov.rounds, cov.frames, cov.reflected, cov.spoofed,
	       cov.private_tx, cov.down_senders, cov.bridge_local, cov.source_copies, cov.nodst,
	       cov.vlan, cov.passthru);
	return 0;
}

/* Random port sets (every sixth is passthru alone), frames from the wire and from ports. */
static int
test_isolation_random(void)
{
	return run_rounds(false, 6, 0);
}

/* Vepa-heavy port sets (every eighth passthru) whose frames a hairpinning switch sends back. */
static int
test_isolation_hairpin(void)
{
	return run_rounds(true, 8, 1u << 23);
}

static const struct t_test tests[] = {
	{ "isolation_random", test_isolation_random, 0 },
	{ "isolation_hairpin", test_isolation_hairpin, 0 },
};

int
main(int argc, char **argv)
{
	knobs_init();
	return t_main(argc, argv, "test_isolation", tests, RTE_DIM(tests));
}

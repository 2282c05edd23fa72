/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * A port's devargs (kernel: macvlan's netlink attributes). The keys come from
 * one list, MACVTAP_DEVARGS in macvtap.h, which also gives the unknown-key
 * message and the parameter string registered with the vdev bus.
 */

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include <rte_kvargs.h>
#include <rte_string_fns.h>

#include "macvtap.h"

static const struct {
	const char *name;
	enum rte_pmd_macvtap_mode mode;
} mode_names[] = {
	{ "private", RTE_PMD_MACVTAP_MODE_PRIVATE },
	{ "vepa", RTE_PMD_MACVTAP_MODE_VEPA },
	{ "bridge", RTE_PMD_MACVTAP_MODE_BRIDGE },
	{ "passthru", RTE_PMD_MACVTAP_MODE_PASSTHRU },
	{ "source", RTE_PMD_MACVTAP_MODE_SOURCE },
};


static int
arg_iface(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;

	if (value == NULL || value[0] == '\0' || strlen(value) >= sizeof(a->iface)) {
		MACVTAP_LOG(ERR, "%s: %s: needs a port name shorter than %zu characters",
			    a->name, key, sizeof(a->iface));
		return -EINVAL;
	}
	strlcpy(a->iface, value, sizeof(a->iface));
	return 0;
}

static int
parse_unicast_mac(const struct macvtap_args *a, const char *key, const char *value,
		  struct rte_ether_addr *mac)
{
	if (value == NULL || rte_ether_unformat_addr(value, mac) != 0) {
		MACVTAP_LOG(ERR, "%s: %s: '%s' is not a MAC address", a->name, key,
			    value == NULL ? "" : value);
		return -EINVAL;
	}
	if (!rte_is_valid_assigned_ether_addr(mac)) {
		MACVTAP_LOG(ERR, "%s: %s: %s is not a unicast address", a->name, key, value);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

static int
arg_mac(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;
	int ret = parse_unicast_mac(a, key, value, &a->mac);

	a->mac_set = ret == 0;
	return ret;
}

static int
arg_mode(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;
	unsigned int i;

	for (i = 0; value != NULL && i < RTE_DIM(mode_names); i++) {
		if (strcmp(value, mode_names[i].name) == 0) {
			a->mode = mode_names[i].mode;
			return 0;
		}
	}
	MACVTAP_LOG(ERR, "%s: %s: '%s' is not one of private, vepa, bridge, passthru, source",
		    a->name, key, value == NULL ? "" : value);
	return -EINVAL;
}

static int
arg_bool(const struct macvtap_args *a, const char *key, const char *value, bool *out)
{
	if (value != NULL && (strcmp(value, "0") == 0 || strcmp(value, "1") == 0)) {
		*out = value[0] == '1';
		return 0;
	}
	MACVTAP_LOG(ERR, "%s: %s: '%s' is not 0 or 1", a->name, key, value == NULL ? "" : value);
	return -EINVAL;
}

static int
arg_nodst(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;

	return arg_bool(a, key, value, &a->nodst);
}

static int
arg_nopromisc(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;

	return arg_bool(a, key, value, &a->nopromisc);
}

static int
arg_spoofchk(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;

	return arg_bool(a, key, value, &a->spoofchk);
}

/* source=[MAC,MAC,...]: the brackets are optional with a single MAC. */
static int
arg_source(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;
	char buf[MACVTAP_MAX_SOURCES * 18 + 3];
	char *list, *tok, *save = NULL;
	size_t len;
	int ret;

	if (value == NULL || strlen(value) >= sizeof(buf)) {
		MACVTAP_LOG(ERR, "%s: %s: needs a list of at most %d MACs", a->name, key,
			    MACVTAP_MAX_SOURCES);
		return -EINVAL;
	}
	strlcpy(buf, value, sizeof(buf));
	list = buf;
	len = strlen(list);
	if (len > 0 && list[0] == '[') {
		if (list[len - 1] != ']') {
			MACVTAP_LOG(ERR, "%s: %s: '%s' lacks its closing ]", a->name, key, value);
			return -EINVAL;
		}
		list[len - 1] = '\0';
		list++;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		struct rte_ether_addr mac;
		uint16_t i;

		ret = parse_unicast_mac(a, key, tok, &mac);
		if (ret != 0)
			return ret;
		/* A MAC listed again is the same (port, source) pair: the kernel keeps one. */
		for (i = 0; i < a->nb_sources; i++)
			if (rte_is_same_ether_addr(&a->sources[i], &mac))
				break;
		if (i < a->nb_sources)
			continue;
		if (a->nb_sources == MACVTAP_MAX_SOURCES) {
			MACVTAP_LOG(ERR, "%s: %s: more than %d MACs", a->name, key,
				    MACVTAP_MAX_SOURCES);
			return -E2BIG;
		}
		a->sources[a->nb_sources++] = mac;
	}
	if (a->nb_sources == 0) {
		MACVTAP_LOG(ERR, "%s: %s: the list is empty", a->name, key);
		return -EINVAL;
	}
	return 0;
}

static const struct {
	const char *name;
	enum macvtap_chardev_kind kind;
	bool is_socket;
} chardev_kinds[] = {
	{ "stream", MACVTAP_CHARDEV_STREAM, true },
	{ "dgram", MACVTAP_CHARDEV_DGRAM, true },
	{ "seqpacket", MACVTAP_CHARDEV_SEQPACKET, true },
	{ "tap", MACVTAP_CHARDEV_TAP, false },
	{ "host", MACVTAP_CHARDEV_HOST, false },
};

/* An interface name the kernel takes: 1..15 printable bytes, no '/', ':' or blank. */
static bool
valid_ifname(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]) || s[i] == '/' || s[i] == ':')
			return false;
	return true;
}

/* chardev=<kind>:<where> */
static int
arg_chardev(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;
	const char *colon = value == NULL ? NULL : strchr(value, ':');
	const char *where;
	unsigned int i;

	for (i = 0; colon != NULL && i < RTE_DIM(chardev_kinds); i++)
		if (strlen(chardev_kinds[i].name) == (size_t)(colon - value) &&
		    strncmp(value, chardev_kinds[i].name, colon - value) == 0)
			break;
	if (colon == NULL || i == RTE_DIM(chardev_kinds)) {
		MACVTAP_LOG(ERR, "%s: %s: '%s' is not <kind>:<where> with kind one of stream, "
			    "dgram, seqpacket, tap, host", a->name, key, value == NULL ? "" : value);
		return -EINVAL;
	}
	where = colon + 1;
	if (chardev_kinds[i].is_socket &&
	    (where[0] == '\0' || strlen(where) >= sizeof(a->chardev.where))) {
		MACVTAP_LOG(ERR, "%s: %s: a %s socket needs a path of 1 to %zu characters",
			    a->name, key, chardev_kinds[i].name, sizeof(a->chardev.where) - 1);
		return -ENAMETOOLONG;
	}
	if (!chardev_kinds[i].is_socket && !valid_ifname(where)) {
		MACVTAP_LOG(ERR, "%s: %s: '%s' is not an interface name (1 to %d characters, "
			    "no '/', ':' or blank)", a->name, key, where, IFNAMSIZ - 1);
		return -EINVAL;
	}
	a->chardev.kind = chardev_kinds[i].kind;
	strlcpy(a->chardev.where, where, sizeof(a->chardev.where));
	return 0;
}

/* A number in base (no sign, nothing after it) up to max. */
static bool
parse_number(const char *s, int base, unsigned long max, unsigned long *out)
{
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*out = strtoul(s, &end, base);
	return errno == 0 && *end == '\0' && *out <= max;
}

static int
arg_chardev_owner(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;
	unsigned long v;
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (parse_number(value, 10, UINT_MAX - 1, &v)) {
		a->chardev.owner = (uid_t)v;
	} else if (value != NULL && getpwnam_r(value, &pw, buf, sizeof(buf), &res) == 0 &&
		   res != NULL) {
		a->chardev.owner = res->pw_uid;
	} else {
		MACVTAP_LOG(ERR, "%s: %s: '%s' is neither a uid nor a user", a->name, key,
			    value == NULL ? "" : value);
		return -EINVAL;
	}
	a->chardev.owner_set = true;
	return 0;
}

static int
arg_chardev_group(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;
	unsigned long v;
	struct group gr, *res = NULL;
	char buf[1024];

	if (parse_number(value, 10, UINT_MAX - 1, &v)) {
		a->chardev.group = (gid_t)v;
	} else if (value != NULL && getgrnam_r(value, &gr, buf, sizeof(buf), &res) == 0 &&
		   res != NULL) {
		a->chardev.group = res->gr_gid;
	} else {
		MACVTAP_LOG(ERR, "%s: %s: '%s' is neither a gid nor a group", a->name, key,
			    value == NULL ? "" : value);
		return -EINVAL;
	}
	a->chardev.group_set = true;
	return 0;
}

static int
arg_chardev_mode(const char *key, const char *value, void *opaque)
{
	struct macvtap_args *a = opaque;
	unsigned long v;

	if (!parse_number(value, 8, 0777, &v)) {
		MACVTAP_LOG(ERR, "%s: %s: '%s' is not an octal mode from 0 to 0777", a->name, key,
			    value == NULL ? "" : value);
		return -EINVAL;
	}
	a->chardev.mode = (mode_t)v;
	a->chardev.mode_set = true;
	return 0;
}

/* One handler per key, from the same list as the parameter string. */
#define MACVTAP_ARG_HANDLER(key, value) { #key, arg_ ## key },
static const struct {
	const char *key;
	arg_handler_t handler;
} arg_handlers[] = {
	MACVTAP_DEVARGS(MACVTAP_ARG_HANDLER)
};

const char *
macvtap_mode_name(uint8_t mode)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(mode_names); i++)
		if (mode_names[i].mode == mode)
			return mode_names[i].name;
	return "?";
}

static int
arg_handler_index(const char *key)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(arg_handlers); i++)
		if (strcmp(key, arg_handlers[i].key) == 0)
			return (int)i;
	return -1;
}

static void
log_unknown_key(const char *name, const char *key)
{
	char valid[256] = "";
	unsigned int i;

	for (i = 0; i < RTE_DIM(arg_handlers); i++) {
		if (i != 0)
			strlcat(valid, ", ", sizeof(valid));
		strlcat(valid, arg_handlers[i].key, sizeof(valid));
	}
	MACVTAP_LOG(ERR, "%s: unknown key '%s' (valid: %s)", name, key, valid);
}

int
macvtap_parse_args(const char *name, const char *params, struct macvtap_args *a)
{
	unsigned int seen[RTE_DIM(arg_handlers)] = { 0 };
	struct rte_kvargs *kvlist;
	unsigned int i;
	int ret = 0, k;

	memset(a, 0, sizeof(*a));
	a->name = name;
	a->mode = RTE_PMD_MACVTAP_MODE_VEPA; /* the kernel's default */
	/* Parse without a key filter, so that an unknown key can be named. */
	kvlist = rte_kvargs_parse(params == NULL ? "" : params, NULL);
	if (kvlist == NULL) {
		MACVTAP_LOG(ERR, "%s: cannot parse devargs '%s'", name, params);
		return -EINVAL;
	}
	/* Every key known, each at most once, before any handler runs. */
	for (i = 0; i < kvlist->count; i++) {
		k = arg_handler_index(kvlist->pairs[i].key);
		if (k < 0) {
			log_unknown_key(name, kvlist->pairs[i].key);
			ret = -EINVAL;
			goto out;
		}
		if (++seen[k] > 1) {
			MACVTAP_LOG(ERR, "%s: %s: given more than once", name,
				    arg_handlers[k].key);
			ret = -EINVAL;
			goto out;
		}
	}
	/* Handlers log the problem and return its errno. */
	for (i = 0; i < kvlist->count; i++) {
		const struct rte_kvargs_pair *p = &kvlist->pairs[i];

		ret = arg_handlers[arg_handler_index(p->key)].handler(p->key, p->value, a);
		if (ret != 0)
			goto out;
	}
	if (a->iface[0] == '\0') {
		MACVTAP_LOG(ERR, "%s: iface is required: the lower port's name", name);
		ret = -EINVAL;
	} else if (a->nb_sources != 0 && a->mode != RTE_PMD_MACVTAP_MODE_SOURCE) {
		MACVTAP_LOG(ERR, "%s: source: only a mode=source port has a source list", name);
		ret = -EINVAL;
	} else if (a->chardev.kind == MACVTAP_CHARDEV_NONE &&
		   (a->chardev.owner_set || a->chardev.group_set || a->chardev.mode_set)) {
		MACVTAP_LOG(ERR, "%s: chardev_owner, chardev_group and chardev_mode need chardev=",
			    name);
		ret = -EINVAL;
	} else if (a->chardev.mode_set && a->chardev.kind != MACVTAP_CHARDEV_STREAM &&
		   a->chardev.kind != MACVTAP_CHARDEV_DGRAM &&
		   a->chardev.kind != MACVTAP_CHARDEV_SEQPACKET) {
		MACVTAP_LOG(ERR, "%s: chardev_mode: only a socket has a mode; a TAP interface "
			    "has an owner and a group", name);
		ret = -EINVAL;
	}
out:
	rte_kvargs_free(kvlist);
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The net_macvtap authors
 */

/*
 * The program's options and config file, and one VM's "key=value,..." spec,
 * which --vm, a config file's vm lines and the add command share.
 */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_string_fns.h>

#include "mvh.h"

#define DEFAULT_MBUFS 16384u

static int
seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A decimal number in [min, max]. */
static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(s, "0") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* "user[:group]", names or numbers. */
static int
parse_owner(const char *s, uid_t *uid, gid_t *gid)
{
	char user[64], *colon;
	unsigned long v;

	if (strlcpy(user, s, sizeof(user)) >= sizeof(user))
		return -EINVAL;
	colon = strchr(user, ':');
	if (colon != NULL)
		*colon++ = '\0';
	if (parse_uint(user, 0, UINT32_MAX - 1, &v) == 0) {
		*uid = (uid_t)v;
	} else {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL)
			return -ENOENT;
		*uid = pw->pw_uid;
		if (colon == NULL)
			*gid = pw->pw_gid;
	}
	if (colon != NULL) {
		if (parse_uint(colon, 0, UINT32_MAX - 1, &v) == 0) {
			*gid = (gid_t)v;
		} else {
			struct group *gr = getgrnam(colon);

			if (gr == NULL)
				return -ENOENT;
			*gid = gr->gr_gid;
		}
	}
	return 0;
}

/* "1:2:3": the lcores of the VM's queues, in turn. */
static int
parse_lcores(const char *s, struct vm_conf *vm)
{
	char buf[128], *tok, *save = NULL;
	unsigned long v;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -EINVAL;
	vm->nb_lcores = 0;
	for (tok = strtok_r(buf, ":", &save); tok != NULL; tok = strtok_r(NULL, ":", &save)) {
		if (vm->nb_lcores == MVH_MAX_QUEUES || parse_uint(tok, 0, RTE_MAX_LCORE - 1, &v) != 0)
			return -EINVAL;
		vm->lcores[vm->nb_lcores++] = (uint16_t)v;
	}
	return vm->nb_lcores == 0 ? -EINVAL : 0;
}

static bool
name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || isdigit((unsigned char)s[0]))
		return false;   /* a number names a VM by index */
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

int
conf_parse_vm(const char *spec, uint16_t vm_index, struct vm_conf *vm, char *err, size_t err_len)
{
	char buf[1024], *tok, *save = NULL;
	bool have_mac = false;
	unsigned long v = 0;

	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "vm%u", vm_index);
	strlcpy(vm->mode, "vepa", sizeof(vm->mode));
	vm->queues = 1;
	vm->perm = -1;
	vm->uid = (uid_t)-1;
	vm->gid = (gid_t)-1;
	vm->budget = MVH_DEFAULT_BUDGET;
	vm->tso = true;
	vm->csum = true;
	vm->mrg_rxbuf = true;
	if (strlcpy(buf, spec, sizeof(buf)) >= sizeof(buf))
		return seterr(err, err_len, "the VM spec is too long");
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *val = strchr(tok, '=');
		const char *key = tok;
		int ret = 0;

		if (val == NULL)
			return seterr(err, err_len, "'%s': not key=value", tok);
		*val++ = '\0';
		if (strcmp(key, "name") == 0) {
			if (!name_ok(val) || strlen(val) >= sizeof(vm->name))
				return seterr(err, err_len,
					      "name=%s: letters, digits, '-', '_', '.', not a number first, under %zu characters",
					      val, sizeof(vm->name));
			strlcpy(vm->name, val, sizeof(vm->name));
		} else if (strcmp(key, "mac") == 0) {
			if (rte_ether_unformat_addr(val, &vm->mac) != 0 ||
			    !rte_is_valid_assigned_ether_addr(&vm->mac))
				return seterr(err, err_len, "mac=%s: not a unicast MAC address", val);
			have_mac = true;
		} else if (strcmp(key, "socket") == 0) {
			if (val[0] != '/' || strlen(val) >= sizeof(vm->socket))
				return seterr(err, err_len, "socket=%s: an absolute path under %zu characters",
					      val, sizeof(vm->socket));
			strlcpy(vm->socket, val, sizeof(vm->socket));
		} else if (strcmp(key, "mode") == 0) {
			if (strcmp(val, "vepa") != 0 && strcmp(val, "bridge") != 0 &&
			    strcmp(val, "private") != 0 && strcmp(val, "passthru") != 0)
				return seterr(err, err_len, "mode=%s: vepa, bridge, private or passthru", val);
			strlcpy(vm->mode, val, sizeof(vm->mode));
		} else if (strcmp(key, "queues") == 0) {
			ret = parse_uint(val, 1, MVH_MAX_QUEUES, &v);
			vm->queues = (uint16_t)v;
		} else if (strcmp(key, "server") == 0) {
			ret = parse_bool(val, &vm->server);
		} else if (strcmp(key, "client") == 0) {
			bool client = !vm->server;

			ret = parse_bool(val, &client);
			vm->server = !client;
		} else if (strcmp(key, "trusted") == 0) {
			ret = parse_bool(val, &vm->trusted);
		} else if (strcmp(key, "lower") == 0) {
			ret = parse_uint(val, 0, MVH_MAX_LOWERS - 1, &v);
			vm->lower = (uint16_t)v;
		} else if (strcmp(key, "perm") == 0) {
			char *end;

			errno = 0;
			v = strtoul(val, &end, 8);
			if (errno != 0 || *end != '\0' || val[0] == '\0' || v > 0777)
				ret = -EINVAL;
			vm->perm = (int)v;
		} else if (strcmp(key, "owner") == 0) {
			ret = parse_owner(val, &vm->uid, &vm->gid);
		} else if (strcmp(key, "budget") == 0) {
			ret = parse_uint(val, 1, 65536, &v);
			vm->budget = (uint32_t)v;
		} else if (strcmp(key, "lcores") == 0) {
			ret = parse_lcores(val, vm);
		} else if (strcmp(key, "tso") == 0) {
			ret = parse_bool(val, &vm->tso);
		} else if (strcmp(key, "csum") == 0) {
			ret = parse_bool(val, &vm->csum);
		} else if (strcmp(key, "mrg") == 0) {
			ret = parse_bool(val, &vm->mrg_rxbuf);
		} else {
			return seterr(err, err_len, "unknown key '%s'", key);
		}
		if (ret != 0)
			return seterr(err, err_len, "%s=%s: invalid value", key, val);
	}
	if (!have_mac)
		return seterr(err, err_len, "mac= is required");
	if (vm->socket[0] == '\0')
		return seterr(err, err_len, "socket= is required");
	if (vm->tso && !vm->csum)
		return seterr(err, err_len, "tso=1 needs csum=1 (virtio ties them)");
	return 0;
}

static int
add_lower(struct app_conf *conf, const char *devargs)
{
	if (conf->nb_lowers == MVH_MAX_LOWERS) {
		fprintf(stderr, "mvh: at most %d lowers\n", MVH_MAX_LOWERS);
		return -1;
	}
	if (strlcpy(conf->lowers[conf->nb_lowers], devargs, sizeof(conf->lowers[0])) >=
	    sizeof(conf->lowers[0])) {
		fprintf(stderr, "mvh: lower '%s' is too long\n", devargs);
		return -1;
	}
	conf->nb_lowers++;
	return 0;
}

static int
add_vm(struct app_conf *conf, const char *spec, const char *where)
{
	char err[256];

	if (conf->nb_vms == MVH_MAX_VMS) {
		fprintf(stderr, "mvh: at most %d VMs\n", MVH_MAX_VMS);
		return -1;
	}
	if (conf_parse_vm(spec, conf->nb_vms, &conf->vms[conf->nb_vms], err, sizeof(err)) != 0) {
		fprintf(stderr, "mvh: %s: %s\n", where, err);
		return -1;
	}
	conf->nb_vms++;
	return 0;
}

int
conf_load_file(const char *path, struct app_conf *conf)
{
	char line[1200], where[300];
	unsigned int n = 0;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (f == NULL) {
		fprintf(stderr, "mvh: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (ret == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *s = line, *end;

		n++;
		snprintf(where, sizeof(where), "%s:%u", path, n);
		s[strcspn(s, "#\r\n")] = '\0';
		while (isspace((unsigned char)*s))
			s++;
		end = s + strlen(s);
		while (end > s && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*s == '\0')
			continue;
		if (strncmp(s, "lower", 5) == 0 && isspace((unsigned char)s[5])) {
			for (s += 5; isspace((unsigned char)*s); s++)
				;
			ret = add_lower(conf, s);
		} else if (strncmp(s, "vm", 2) == 0 && isspace((unsigned char)s[2])) {
			for (s += 2; isspace((unsigned char)*s); s++)
				;
			ret = add_vm(conf, s, where);
		} else {
			fprintf(stderr, "mvh: %s: expected 'lower <devargs>' or 'vm <spec>'\n", where);
			ret = -1;
		}
	}
	fclose(f);
	return ret;
}

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [options]\n"
	       "  --lower DEVARGS   a lower port: a PCI address or vdev devargs (repeatable)\n"
	       "  --vm SPEC         a VM: mac=MAC,socket=PATH[,name=N][,mode=vepa|bridge|private|passthru]\n"
	       "                    [,queues=N][,server=0|1][,trusted=0|1][,lower=I][,perm=OCTAL]\n"
	       "                    [,owner=USER[:GROUP]][,budget=N][,lcores=A:B...][,tso=0|1]\n"
	       "                    [,csum=0|1][,mrg=0|1] (repeatable)\n"
	       "  --config FILE     'lower DEVARGS' and 'vm SPEC' lines\n"
	       "  --mbufs N         mbufs in the shared pool (default %u)\n"
	       "  --no-vring-stats  do not ask rte_vhost for per-virtqueue statistics\n",
	       prog, DEFAULT_MBUFS);
}

int
conf_parse_args(int argc, char **argv, struct app_conf *conf)
{
	static const struct option longopts[] = {
		{ "lower", required_argument, NULL, 'l' },
		{ "vm", required_argument, NULL, 'v' },
		{ "config", required_argument, NULL, 'c' },
		{ "mbufs", required_argument, NULL, 'm' },
		{ "no-vring-stats", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int opt;

	conf->mbufs = DEFAULT_MBUFS;
	conf->stats_vring = true;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (add_lower(conf, optarg) != 0)
				return -1;
			break;
		case 'v':
			if (add_vm(conf, optarg, "--vm") != 0)
				return -1;
			break;
		case 'c':
			if (conf_load_file(optarg, conf) != 0)
				return -1;
			break;
		case 'm':
			if (parse_uint(optarg, 1024, 1u << 24, &v) != 0) {
				fprintf(stderr, "mvh: --mbufs %s: 1024 to %u\n", optarg, 1u << 24);
				return -1;
			}
			conf->mbufs = (uint32_t)v;
			break;
		case 'S':
			conf->stats_vring = false;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mvh: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (conf->nb_lowers == 0) {
		fprintf(stderr, "mvh: no --lower given\n");
		return -1;
	}
	return 0;
}

/* -netdev, -nic, -net and -device (NICs): turned into cfg->netdevs/nics in
 * QEMU's order (net_init_clients: every -netdev, then -nic, then -net; the
 * -device NICs after them), with QEMU's hub 0 wiring for -net spelled out as
 * hubport netdevs (see config.h). Backend options are only carried: the
 * backends validate them. */
#include "cli/cli_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static const char *const net_backends[] = {
	"user", "tap", "bridge", "socket", "stream", "dgram", "hubport",
};

/* QEMU has these; skiff does not (yet). */
static const char *const net_backends_qemu_only[] = {
	"vde", "l2tpv3", "vhost-user", "vhost-vdpa", "netmap", "af-xdp", "passt",
	"vmnet-host", "vmnet-shared", "vmnet-bridged",
};

struct nic_model {
	const char *name;      /* canonical, the device type */
	const char *alias;     /* -device alias */
	const char *legacy;    /* extra -nic/-net model= name */
	const char *desc;
	const char *prop_owner; /* whose property QEMU names in errors */
};

static const struct nic_model nic_models[] = {
	{ "e1000", "e1000-82540em", NULL, "Intel Gigabit Ethernet", "e1000" },
	{ "virtio-net-pci", "virtio-net", "virtio", NULL, "virtio-net-device" },
};

#define NR_NIC_MODELS (sizeof(nic_models) / sizeof(nic_models[0]))

/* QEMU NIC models skiff does not emulate: "not a valid model" plus a hint. */
static const char *const nic_models_qemu_only[] = {
	"e1000e", "e1000-82544gc", "e1000-82545em", "rtl8139", "ne2k_pci", "pcnet",
	"vmxnet3", "i82550", "i82551", "i82557a", "i82557b", "i82557c", "i82558a",
	"i82558b", "i82559a", "i82559b", "i82559c", "i82559er", "i82562", "i82801",
	"tulip", "pvrdma", "igb", "virtio-net-pci-transitional",
	"virtio-net-pci-non-transitional", "virtio-net-device", "ne2k_isa",
};

static const char id_hint[] =
	"Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.";

struct net_build {
	struct skiff_config *cfg;
	bool *peered;          /* per netdev: a NIC or a hubport is attached */
	unsigned next_gen;     /* "#netN" */
	unsigned hub0_ports;
	char **device_ids;
	size_t nr_device_ids;
};

void cli_netdev_help(void)
{
	printf("Available netdev backend types:\n");
	for (size_t i = 0; i < sizeof(net_backends) / sizeof(net_backends[0]); i++)
		printf("%s\n", net_backends[i]);
}

static void net_models_help(void)
{
	printf("Supported NIC models:\n");
	for (size_t i = 0; i < NR_NIC_MODELS; i++)
		printf("%s\n", nic_models[i].name);
}

void cli_device_help(void)
{
	printf("Network devices:\n");
	for (size_t i = 0; i < NR_NIC_MODELS; i++) {
		const struct nic_model *m = &nic_models[i];

		printf("name \"%s\", bus PCI", m->name);
		if (m->alias)
			printf(", alias \"%s\"", m->alias);
		if (m->desc)
			printf(", desc \"%s\"", m->desc);
		printf("\n");
	}
}

static void net_device_props_help(const struct nic_model *m)
{
	printf("%s options:\n"
	       "  addr=<int32>           - Slot and optional function number, example: 06.0 or 06 (default: -1)\n"
	       "  id=<str>               - the device's name\n"
	       "  mac=<str>              - Ethernet 6-byte MAC Address, example: 52:54:00:12:34:56\n"
	       "  netdev=<str>           - ID of a netdev to use as a backend\n"
	       "  (other properties are passed to the device model)\n", m->name);
}

static int net_find(const struct skiff_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->nr_netdevs; i++) {
		if (!strcmp(cfg->netdevs[i].id, id))
			return i;
	}
	return -1;
}

static bool net_is_backend(const char *type)
{
	for (size_t i = 0; i < sizeof(net_backends) / sizeof(net_backends[0]); i++) {
		if (!strcmp(type, net_backends[i]))
			return true;
	}
	return false;
}

/* 0 when skiff has the backend type, else reported. */
static int net_check_type(const char *type)
{
	if (net_is_backend(type))
		return 0;
	for (size_t i = 0; i < sizeof(net_backends_qemu_only) / sizeof(net_backends_qemu_only[0]); i++) {
		if (!strcmp(type, net_backends_qemu_only[i])) {
			error_report("network backend '%s' is not compiled into this binary\n"
				     "skiff's backends: user, tap, bridge, socket, stream, dgram, "
				     "hubport", type);
			return -1;
		}
	}
	error_report("Parameter 'type' does not accept value '%s'", type);
	return -1;
}

static const struct nic_model *net_model_find(const char *name, bool legacy)
{
	for (size_t i = 0; i < NR_NIC_MODELS; i++) {
		const struct nic_model *m = &nic_models[i];

		if (!strcmp(name, m->name) || (m->alias && !strcmp(name, m->alias)) ||
		    (legacy && m->legacy && !strcmp(name, m->legacy)))
			return m;
	}
	return NULL;
}

static size_t net_add_netdev(struct net_build *b, const char *type, const char *id)
{
	struct skiff_config *cfg = b->cfg;
	struct netdev_config *nd;

	cfg->netdevs = realloc(cfg->netdevs, (cfg->nr_netdevs + 1) * sizeof(*cfg->netdevs));
	b->peered = realloc(b->peered, (cfg->nr_netdevs + 1) * sizeof(*b->peered));
	if (!cfg->netdevs || !b->peered)
		die("out of memory");
	nd = &cfg->netdevs[cfg->nr_netdevs];
	memset(nd, 0, sizeof(*nd));
	nd->type = cli_strdup(type);
	nd->id = cli_strdup(id);
	b->peered[cfg->nr_netdevs] = false;
	return cfg->nr_netdevs++;
}

static struct nic_config *net_add_nic(struct net_build *b, const struct nic_model *m)
{
	struct skiff_config *cfg = b->cfg;
	struct nic_config *nic;

	cfg->nics = realloc(cfg->nics, (cfg->nr_nics + 1) * sizeof(*cfg->nics));
	if (!cfg->nics)
		die("out of memory");
	nic = &cfg->nics[cfg->nr_nics++];
	memset(nic, 0, sizeof(*nic));
	nic->model = cli_strdup(m->name);
	nic->slot = -1;
	return nic;
}

/* Copy every key nobody fetched: the backend's or device's own options. */
static void net_copy_unused(struct kvlist *dst, const struct kvlist *src)
{
	for (size_t i = 0; i < src->n; i++) {
		if (!src->items[i].used)
			kvlist_add(dst, src->items[i].key, src->items[i].value);
	}
}

static int net_check_id(const char *id)
{
	if (!id_wellformed(id)) {
		error_report("Parameter 'id' expects an identifier\n%s", id_hint);
		return -1;
	}
	return 0;
}

/* A generated id no user id can take over: bump N until it is free. */
static char *net_gen_name(struct net_build *b, const char *fmt, unsigned start)
{
	for (unsigned n = start;; n++) {
		char *id = cli_sprintf(fmt, n);

		if (net_find(b->cfg, id) < 0)
			return id;
		free(id);
	}
}

/* hubport's hubid= and netdev=: the wiring, so checked here. */
static int net_hubport_check(struct net_build *b, struct kvlist *kv)
{
	const char *hubid = kvlist_get(kv, "hubid");
	const char *peer = kvlist_get(kv, "netdev");
	uint64_t v;
	int idx;

	if (!hubid) {
		error_report("Parameter 'hubid' is missing");
		return -1;
	}
	if (parse_u64(hubid, &v) || v > INT32_MAX) {
		error_report("Parameter 'hubid' expects an int32 value");
		return -1;
	}
	if (peer) {
		idx = net_find(b->cfg, peer);
		if (idx < 0) {
			error_report("netdev '%s' not found", peer);
			return -1;
		}
		if (b->peered[idx]) {
			error_report("netdev '%s' is already in use", peer);
			return -1;
		}
		b->peered[idx] = true;
	}
	/* keep them (unfetched) in opts: the net core builds the hub from them */
	for (size_t i = 0; i < kv->n; i++) {
		if (!strcmp(kv->items[i].key, "hubid") || !strcmp(kv->items[i].key, "netdev"))
			kv->items[i].used = false;
	}
	if (v == 0)
		b->hub0_ports++;
	return 0;
}

static int net_parse_mac(const char *s, uint8_t mac[6], bool *has_mac, const char *prop_owner)
{
	static const uint8_t zero[6];

	if (parse_mac(s, mac)) {
		if (prop_owner)
			error_report("Property '%s.mac' doesn't take value '%s'\n"
				     "a MAC address is six hex bytes, e.g. 52:54:00:12:34:56",
				     prop_owner, s);
		else
			error_report("invalid syntax for ethernet address\n"
				     "a MAC address is six hex bytes, e.g. 52:54:00:12:34:56");
		return -1;
	}
	if (mac[0] & 1) {
		error_report("NIC cannot have multicast MAC address\n"
			     "the first byte must be even, e.g. 52:54:00:12:34:56");
		return -1;
	}
	/* QEMU treats 00:00:00:00:00:00 as "not set": the default MAC follows. */
	*has_mac = memcmp(mac, zero, 6) != 0;
	return 0;
}

/* addr=SLOT[.FN] in hex, as QEMU's PCI devfn property. */
static int net_parse_addr(struct net_build *b, const char *s, const char *model, int *slot)
{
	unsigned long sl, fn = 0;
	char *end;

	if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
		goto bad;
	sl = strtoul(s, &end, 16);
	if (*end == '.') {
		const char *f = end + 1;

		if (!((*f >= '0' && *f <= '9') || (*f >= 'a' && *f <= 'f') || (*f >= 'A' && *f <= 'F')))
			goto bad;
		fn = strtoul(f, &end, 16);
	}
	if (*end || sl > 31 || fn > 7)
		goto bad;
	if (fn) {
		error_report("PCI: single function device can't be populated in function %lx.%lx\n"
			     "skiff's NICs are single-function: use addr=%lx or addr=%lx.0",
			     sl, fn, sl, sl);
		return -1;
	}
	if (sl == 0) {
		error_report("PCI: slot 0 function 0 not available for %s, in use by i440FX,id=(null)\n"
			     "slot 0 is the host bridge", model);
		return -1;
	}
	for (size_t i = 0; i < b->cfg->nr_nics; i++) {
		const struct nic_config *o = &b->cfg->nics[i];

		if (o->slot == (int)sl) {
			error_report("PCI: slot %lu function 0 not available for %s, in use by %s,id=%s",
				     sl, model, o->model, o->id ? o->id : "(null)");
			return -1;
		}
	}
	*slot = sl;
	return 0;
bad:
	error_report("Property '%s.addr' doesn't take value '%s'\n"
		     "addr= is a PCI slot in hex, 1 to 1f, optionally followed by .0", model, s);
	return -1;
}

static int net_model_of(const char *name, const struct nic_model **out)
{
	if (!strcmp(name, "help") || !strcmp(name, "?")) {
		net_models_help();
		return 1;
	}
	*out = net_model_find(name, true);
	if (!*out) {
		error_report("Unsupported NIC model: %s\n"
			     "skiff's NIC models: e1000, virtio-net-pci (also 'virtio')", name);
		return -1;
	}
	return 0;
}

/* The start of -netdev and -device: split the option string, fetch its
 * implied first key (type=, driver=), serve "help"/"?". 0 to go on, 1 when
 * help was printed, -1 after an error message. */
static int net_opts_head(struct kvlist *kv, const char *arg, const char *key, const char **val,
			 void (*help)(void))
{
	if (kvlist_parse(kv, arg, key))
		return -1;
	*val = kvlist_get(kv, key);
	if (!*val) {
		error_report("Parameter '%s' is missing", key);
		return -1;
	}
	if (!strcmp(*val, "help") || !strcmp(*val, "?")) {
		help();
		return 1;
	}
	return 0;
}

/* -netdev TYPE,id=ID,... */
static int net_netdev(struct net_build *b, const char *arg)
{
	struct kvlist kv = { 0 };
	const char *type, *id;
	size_t idx;
	int ret = -1;

	if (arg[0] == '{') {
		error_report("JSON syntax for -netdev is not supported by skiff: "
			     "write -netdev TYPE,id=ID,KEY=VALUE,...");
		return -1;
	}
	ret = net_opts_head(&kv, arg, "type", &type, cli_netdev_help);
	if (ret)
		goto out;
	ret = -1;
	if (net_check_type(type))
		goto out;
	id = kvlist_get(&kv, "id");
	if (!id) {
		error_report("Parameter 'id' is missing\n"
			     "every -netdev needs an id=, which -device ...,netdev=ID refers to");
		goto out;
	}
	if (net_check_id(id))
		goto out;
	if (net_find(b->cfg, id) >= 0) {
		error_report("Duplicate ID '%s' for netdev", id);
		goto out;
	}
	if (!strcmp(type, "hubport") && net_hubport_check(b, &kv))
		goto out;
	idx = net_add_netdev(b, type, id);
	net_copy_unused(&b->cfg->netdevs[idx].opts, &kv);
	ret = 0;
out:
	kvlist_free(&kv);
	return ret;
}

/* -nic [TYPE][,backend opts][,model=][,mac=][,id=]: a backend and a NIC, no hub. */
static int net_nic(struct net_build *b, const char *arg)
{
	struct kvlist kv = { 0 };
	const struct nic_model *model = &nic_models[0];
	const char *type, *id, *s;
	struct nic_config *nic;
	uint8_t mac[6] = { 0 };
	bool has_mac = false;
	char *gen = NULL;
	size_t idx;
	int ret = -1, r;

	if (kvlist_parse(&kv, arg, "type"))
		goto out;
	type = kvlist_get(&kv, "type");
	if (!type)
		type = "user";
	if (!strcmp(type, "none")) {
		ret = 0;
		goto out;
	}
	if (!strcmp(type, "help") || !strcmp(type, "?")) {
		cli_netdev_help();
		net_models_help();
		ret = 1;
		goto out;
	}
	if (net_check_type(type))
		goto out;
	if ((s = kvlist_get(&kv, "model"))) {
		r = net_model_of(s, &model);
		if (r) {
			ret = r;
			goto out;
		}
	}
	if ((s = kvlist_get(&kv, "mac")) && net_parse_mac(s, mac, &has_mac, NULL))
		goto out;
	id = kvlist_get(&kv, "id");
	if (id) {
		if (net_check_id(id))
			goto out;
		if (net_find(b->cfg, id) >= 0) {
			error_report("Duplicate ID '%s'", id);
			goto out;
		}
	} else {
		id = gen = net_gen_name(b, "#net%u", b->next_gen);
		b->next_gen = atoi(gen + 4) + 1;
	}
	if (!strcmp(type, "hubport") && net_hubport_check(b, &kv))
		goto out;
	idx = net_add_netdev(b, type, id);
	net_copy_unused(&b->cfg->netdevs[idx].opts, &kv);
	b->peered[idx] = true;
	nic = net_add_nic(b, model);
	nic->netdev = cli_strdup(id);
	nic->has_mac = has_mac;
	memcpy(nic->mac, mac, 6);
	ret = 0;
out:
	free(gen);
	kvlist_free(&kv);
	return ret;
}

/* A new port on hub 0, optionally peered with netdev peer_idx. */
static char *net_hub0_port(struct net_build *b, int peer_idx)
{
	char *id = net_gen_name(b, "hub0port%u", b->hub0_ports);
	size_t idx;

	b->hub0_ports++;
	idx = net_add_netdev(b, "hubport", id);
	kvlist_add(&b->cfg->netdevs[idx].opts, "hubid", "0");
	if (peer_idx >= 0) {
		kvlist_add(&b->cfg->netdevs[idx].opts, "netdev", b->cfg->netdevs[peer_idx].id);
		b->peered[peer_idx] = true;
	}
	b->peered[idx] = peer_idx >= 0;
	return id;
}

/* -net nic[,model=][,macaddr=][,netdev=][,name=|id=][,addr=][,vectors=] */
static int net_legacy_nic(struct net_build *b, struct kvlist *kv)
{
	const struct nic_model *model = &nic_models[0];
	const char *s, *name, *peer;
	struct nic_config *nic;
	uint8_t mac[6] = { 0 };
	bool has_mac = false;
	int slot = -1, peer_idx = -1, r;
	char *port;

	if ((s = kvlist_get(kv, "model"))) {
		r = net_model_of(s, &model);
		if (r)
			return r;
	}
	if ((s = kvlist_get(kv, "macaddr")) && net_parse_mac(s, mac, &has_mac, NULL))
		return -1;
	name = kvlist_get(kv, "name");
	if ((s = kvlist_get(kv, "id")) && net_check_id(s))
		return -1;
	if (s)
		name = s;
	if ((s = kvlist_get(kv, "addr")) && net_parse_addr(b, s, model->name, &slot))
		return -1;
	peer = kvlist_get(kv, "netdev");
	/* vectors= is a virtio-net property: left to the device */
	for (size_t i = 0; i < kv->n; i++) {
		if (!kv->items[i].used && strcmp(kv->items[i].key, "vectors")) {
			error_report("Invalid parameter '%s'", kv->items[i].key);
			return -1;
		}
	}
	if (peer) {
		peer_idx = net_find(b->cfg, peer);
		if (peer_idx < 0) {
			error_report("netdev '%s' not found", peer);
			return -1;
		}
		if (b->peered[peer_idx]) {
			error_report("Property '%s.netdev' can't take value '%s', it's in use",
				     model->prop_owner, peer);
			return -1;
		}
		b->peered[peer_idx] = true;
		port = cli_strdup(peer);
	} else {
		port = net_hub0_port(b, -1);
		b->peered[net_find(b->cfg, port)] = true;
	}
	nic = net_add_nic(b, model);
	nic->netdev = port;
	nic->id = name ? cli_strdup(name) : NULL;
	nic->has_mac = has_mac;
	memcpy(nic->mac, mac, 6);
	nic->slot = slot;
	net_copy_unused(&nic->opts, kv);
	return 0;
}

/* -net TYPE[,...][,id=|name=]: the backend on hub 0. */
static int net_legacy(struct net_build *b, const char *arg)
{
	struct kvlist kv = { 0 };
	const char *type, *id, *name;
	char *gen = NULL, *port;
	unsigned count = 0;
	size_t idx;
	int ret = -1;

	if (kvlist_parse(&kv, arg, "type"))
		goto out;
	type = kvlist_get(&kv, "type");
	if (!type) {
		error_report("Parameter 'type' is missing");
		goto out;
	}
	if (!strcmp(type, "none")) {
		ret = 0;
		goto out;
	}
	if (!strcmp(type, "help") || !strcmp(type, "?")) {
		printf("Available -net types:\nnic\n");
		for (size_t i = 0; i + 1 < sizeof(net_backends) / sizeof(net_backends[0]); i++)
			printf("%s\n", net_backends[i]);
		ret = 1;
		goto out;
	}
	if (!strcmp(type, "nic")) {
		ret = net_legacy_nic(b, &kv);
		goto out;
	}
	if (!strcmp(type, "hubport")) {
		error_report("network backend 'hubport' is only supported with -netdev/-nic");
		goto out;
	}
	if (net_check_type(type))
		goto out;
	id = kvlist_get(&kv, "id");
	name = kvlist_get(&kv, "name");
	if (id && net_check_id(id))
		goto out;
	if (!id)
		id = name;
	if (id && net_find(b->cfg, id) >= 0) {
		error_report("Duplicate ID '%s'", id);
		goto out;
	}
	if (!id) {
		/* QEMU names an anonymous client "TYPE.N", N counting that type */
		for (size_t i = 0; i < b->cfg->nr_netdevs; i++)
			count += !strcmp(b->cfg->netdevs[i].type, type);
		gen = cli_sprintf("%s.%%u", type);
		id = port = net_gen_name(b, gen, count);
		free(gen);
		gen = port;
	}
	idx = net_add_netdev(b, type, id);
	net_copy_unused(&b->cfg->netdevs[idx].opts, &kv);
	port = net_hub0_port(b, idx);
	free(port);
	ret = 0;
out:
	free(gen);
	kvlist_free(&kv);
	return ret;
}

/* -device MODEL[,netdev=][,mac=][,id=][,addr=][,...] */
static int net_device(struct net_build *b, const char *arg)
{
	struct kvlist kv = { 0 };
	const struct nic_model *model;
	const char *driver, *s, *id;
	struct nic_config *nic;
	uint8_t mac[6] = { 0 };
	bool has_mac = false, help = false;
	int slot = -1, peer_idx = -1;
	int ret = -1;

	ret = net_opts_head(&kv, arg, "driver", &driver, cli_device_help);
	if (ret)
		goto out;
	ret = -1;
	model = net_model_find(driver, false);
	if (!model) {
		bool nic = !strcmp(driver, "virtio");

		for (size_t i = 0; i < sizeof(nic_models_qemu_only) / sizeof(nic_models_qemu_only[0]); i++)
			nic |= !strcmp(driver, nic_models_qemu_only[i]);
		if (nic)
			error_report("'%s' is not a valid device model name\n"
				     "skiff's NICs are e1000 and virtio-net-pci ('-device help' lists "
				     "them)", driver);
		else
			error_report("'%s' is not a valid device model name", driver);
		goto out;
	}
	if (kvlist_get_bool(&kv, "help", &help) > 0 && help) {
		net_device_props_help(model);
		ret = 1;
		goto out;
	}
	id = kvlist_get(&kv, "id");
	if (id) {
		if (net_check_id(id))
			goto out;
		for (size_t i = 0; i < b->nr_device_ids; i++) {
			if (!strcmp(b->device_ids[i], id)) {
				error_report("Duplicate ID '%s' for device", id);
				goto out;
			}
		}
	}
	if ((s = kvlist_get(&kv, "mac")) && net_parse_mac(s, mac, &has_mac, model->name))
		goto out;
	if ((s = kvlist_get(&kv, "addr")) && net_parse_addr(b, s, model->name, &slot))
		goto out;
	if ((s = kvlist_get(&kv, "netdev"))) {
		peer_idx = net_find(b->cfg, s);
		if (peer_idx < 0) {
			error_report("Property '%s.netdev' can't find value '%s'\n"
				     "no -netdev (or -nic/-net) has id=%s", model->prop_owner, s, s);
			goto out;
		}
		if (b->peered[peer_idx]) {
			error_report("Property '%s.netdev' can't take value '%s', it's in use\n"
				     "a netdev connects to one NIC: give each NIC its own -netdev",
				     model->prop_owner, s);
			goto out;
		}
		b->peered[peer_idx] = true;
	}
	nic = net_add_nic(b, model);
	nic->id = id ? cli_strdup(id) : NULL;
	nic->netdev = peer_idx >= 0 ? cli_strdup(s) : NULL;
	nic->has_mac = has_mac;
	memcpy(nic->mac, mac, 6);
	nic->slot = slot;
	net_copy_unused(&nic->opts, &kv);
	if (id) {
		b->device_ids = realloc(b->device_ids, (b->nr_device_ids + 1) * sizeof(char *));
		if (!b->device_ids)
			die("out of memory");
		b->device_ids[b->nr_device_ids++] = nic->id;
	}
	ret = 0;
out:
	kvlist_free(&kv);
	return ret;
}

static int net_each(struct net_build *b, struct cli_deferred_list *l,
		    int (*fn)(struct net_build *, const char *))
{
	for (size_t i = 0; i < l->n; i++) {
		int r;

		log_set_context(l->items[i].ctx);
		r = fn(b, l->items[i].arg);
		log_set_context(NULL);
		if (r)
			return r;
	}
	return 0;
}

int cli_net_resolve(struct cli_net_state *st, struct skiff_config *cfg)
{
	struct net_build b = { .cfg = cfg };
	int r;

	r = net_each(&b, &st->netdevs, net_netdev);
	if (!r)
		r = net_each(&b, &st->nics, net_nic);
	if (!r)
		r = net_each(&b, &st->nets, net_legacy);
	if (!r && st->default_net) {
		/* QEMU's default: -net nic -net user */
		r = net_legacy(&b, "nic");
		if (!r)
			r = net_legacy(&b, "user");
	}
	if (!r)
		r = net_each(&b, &st->devices, net_device);
	free(b.peered);
	free(b.device_ids);
	return r;
}

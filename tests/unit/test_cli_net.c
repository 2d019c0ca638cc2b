/* cli_parse(): -netdev, -nic, -net, -device NICs, the hub 0 wiring and the
 * implicit default network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/config.h"
#include "util/log.h"
#include "test_cli_common.h"   /* setup, parse, expect_error, expect_served */

/* netdev i is TYPE,ID and has exactly the given "k=v" opts, in order */
static void check_netdev(const struct skiff_config *cfg, size_t i, const char *type,
			 const char *id, const char *const *opts)
{
	size_t n = 0;

	if (i >= cfg->nr_netdevs)
		fail_msg("no netdev %zu (have %zu)", i, cfg->nr_netdevs);
	assert_string_equal(cfg->netdevs[i].type, type);
	assert_string_equal(cfg->netdevs[i].id, id);
	for (; opts && opts[n]; n++) {
		char kv[512];

		assert_true(n < cfg->netdevs[i].opts.n);
		snprintf(kv, sizeof(kv), "%s=%s", cfg->netdevs[i].opts.items[n].key,
			 cfg->netdevs[i].opts.items[n].value);
		assert_string_equal(kv, opts[n]);
	}
	assert_int_equal(cfg->netdevs[i].opts.n, n);
}

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void check_nic(const struct skiff_config *cfg, size_t i, const char *model,
		      const char *netdev, const char *id, int slot)
{
	const struct nic_config *nic;

	if (i >= cfg->nr_nics)
		fail_msg("no nic %zu (have %zu)", i, cfg->nr_nics);
	nic = &cfg->nics[i];
	assert_string_equal(nic->model, model);
	if (netdev)
		assert_string_equal(nic->netdev, netdev);
	else
		assert_null(nic->netdev);
	if (id)
		assert_string_equal(nic->id, id);
	else
		assert_null(nic->id);
	assert_int_equal(nic->slot, slot);
}

static void test_default_network(void **state)
{
	struct skiff_config cfg;

	assert_int_equal(parse(&cfg, NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 3);
	check_netdev(&cfg, 0, "hubport", "hub0port0", OPTS("hubid=0"));
	check_netdev(&cfg, 1, "user", "user.0", NULL);
	check_netdev(&cfg, 2, "hubport", "hub0port1", OPTS("hubid=0", "netdev=user.0"));
	assert_int_equal(cfg.nr_nics, 1);
	check_nic(&cfg, 0, "e1000", "hub0port0", NULL, -1);
	assert_false(cfg.nics[0].has_mac);
	config_free(&cfg);

	/* -device alone does not suppress it (QEMU's default_net) */
	assert_int_equal(parse(&cfg, "-device", "e1000", NULL), 0);
	assert_int_equal(cfg.nr_nics, 2);
	check_nic(&cfg, 0, "e1000", "hub0port0", NULL, -1);
	check_nic(&cfg, 1, "e1000", NULL, NULL, -1);
	config_free(&cfg);
}

static void test_default_network_suppressed(void **state)
{
	struct skiff_config cfg;

	assert_int_equal(parse(&cfg, "-nodefaults", NULL), 0);
	assert_int_equal(cfg.nr_netdevs + cfg.nr_nics, 0);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-nic", "none", NULL), 0);
	assert_int_equal(cfg.nr_netdevs + cfg.nr_nics, 0);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-net", "none", NULL), 0);
	assert_int_equal(cfg.nr_netdevs + cfg.nr_nics, 0);
	config_free(&cfg);
	/* a lone -netdev suppresses it too (QEMU warns "has no peer" later) */
	assert_int_equal(parse(&cfg, "-netdev", "user,id=n0", NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 1);
	assert_int_equal(cfg.nr_nics, 0);
	config_free(&cfg);
}

static void test_netdev_device(void **state)
{
	struct skiff_config cfg;
	static const uint8_t mac[6] = { 0x52, 0x55, 0x00, 0xd1, 0x55, 0x01 };

	assert_int_equal(parse(&cfg, "-netdev", "tap,id=mynet0,ifname=tap0,script=no,downscript=no",
			       "-device", "e1000,netdev=mynet0,mac=52:55:00:d1:55:01", NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 1);
	check_netdev(&cfg, 0, "tap", "mynet0", OPTS("ifname=tap0", "script=no", "downscript=no"));
	assert_int_equal(cfg.nr_nics, 1);
	check_nic(&cfg, 0, "e1000", "mynet0", NULL, -1);
	assert_true(cfg.nics[0].has_mac);
	assert_memory_equal(cfg.nics[0].mac, mac, 6);
	assert_int_equal(cfg.nics[0].opts.n, 0);
	config_free(&cfg);

	/* -device before -netdev on the command line is fine; repeatable keys kept */
	assert_int_equal(parse(&cfg, "-device", "virtio-net-pci,netdev=n0,id=nic0,addr=03.0",
			       "-netdev", "user,id=n0,hostfwd=tcp::2222-:22,hostfwd=udp::53-:53,"
			       "dnssearch=a,,b", NULL), 0);
	check_netdev(&cfg, 0, "user", "n0",
		     OPTS("hostfwd=tcp::2222-:22", "hostfwd=udp::53-:53", "dnssearch=a,b"));
	check_nic(&cfg, 0, "virtio-net-pci", "n0", "nic0", 3);
	config_free(&cfg);

	/* type= and driver= spelled out; stream's dotted keys are carried as they are */
	assert_int_equal(parse(&cfg, "-netdev", "type=stream,id=s0,server=on,addr.type=unix,"
			       "addr.path=/tmp/s", "--device", "driver=e1000-82540em,netdev=s0",
			       NULL), 0);
	check_netdev(&cfg, 0, "stream", "s0", OPTS("server=on", "addr.type=unix",
						   "addr.path=/tmp/s"));
	check_nic(&cfg, 0, "e1000", "s0", NULL, -1);
	config_free(&cfg);
}

static void test_netdev_types(void **state)
{
	static const char *const types[] = { "user", "tap", "bridge", "socket", "stream",
					     "dgram" };
	struct skiff_config cfg;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char arg[64];

		snprintf(arg, sizeof(arg), "%s,id=x%zu", types[i], i);
		assert_int_equal(parse(&cfg, "-netdev", arg, NULL), 0);
		assert_string_equal(cfg.netdevs[0].type, types[i]);
		config_free(&cfg);
	}
	assert_int_equal(parse(&cfg, "-netdev", "user,id=n0", "-netdev",
			       "hubport,id=h0,hubid=0,netdev=n0", "-netdev", "hubport,id=h1,hubid=0",
			       "-device", "e1000,netdev=h1", NULL), 0);
	check_netdev(&cfg, 1, "hubport", "h0", OPTS("hubid=0", "netdev=n0"));
	check_netdev(&cfg, 2, "hubport", "h1", OPTS("hubid=0"));
	config_free(&cfg);
}

static void test_netdev_errors(void **state)
{
	expect_error("skiff: -netdev user: Parameter 'id' is missing", "-netdev", "user", NULL);
	expect_error("skiff: -netdev user,id=1a: Parameter 'id' expects an identifier\n"
		     "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.",
		     "-netdev", "user,id=1a", NULL);
	expect_error("skiff: -netdev user,id=: Parameter 'id' expects an identifier",
		     "-netdev", "user,id=", NULL);
	expect_error("skiff: -netdev foo,id=a: Parameter 'type' does not accept value 'foo'",
		     "-netdev", "foo,id=a", NULL);
	expect_error("skiff: -netdev id=a: Parameter 'type' is missing", "-netdev", "id=a", NULL);
	expect_error("skiff: -netdev vde,id=a: network backend 'vde' is not compiled into this "
		     "binary", "-netdev", "vde,id=a", NULL);
	/* the second one is the one reported */
	expect_error("skiff: --netdev tap,id=a: Duplicate ID 'a' for netdev",
		     "-netdev", "user,id=a", "--netdev", "tap,id=a", NULL);
	expect_error("skiff: -netdev {\"type\":\"user\",\"id\":\"a\"}: JSON syntax for -netdev "
		     "is not supported by skiff", "-netdev", "{\"type\":\"user\",\"id\":\"a\"}",
		     NULL);
	expect_error("skiff: -netdev hubport,id=h: Parameter 'hubid' is missing",
		     "-netdev", "hubport,id=h", NULL);
	expect_error("skiff: -netdev hubport,id=h,hubid=x: Parameter 'hubid' expects an int32 "
		     "value", "-netdev", "hubport,id=h,hubid=x", NULL);
	expect_error("skiff: -netdev hubport,id=h,hubid=0,netdev=zz: netdev 'zz' not found",
		     "-netdev", "hubport,id=h,hubid=0,netdev=zz", NULL);
	expect_error("skiff: -netdev hubport,id=h2,hubid=0,netdev=n: netdev 'n' is already in use",
		     "-netdev", "user,id=n", "-netdev", "hubport,id=h,hubid=0,netdev=n",
		     "-netdev", "hubport,id=h2,hubid=0,netdev=n", NULL);
	/* -netdev errors come after every other option's */
	expect_error("skiff: -foo: invalid option", "-netdev", "user", "-foo", NULL);
	expect_served("Available netdev backend types:\nuser\ntap\nbridge\nsocket\nstream\n"
		      "dgram\nhubport\n", "-netdev", "help", NULL);
	expect_served("hubport", "-netdev", "type=help", NULL);
}

static void test_device_forms(void **state)
{
	struct skiff_config cfg;

	assert_int_equal(parse(&cfg, "-nodefaults", "-device", "virtio-net,addr=4,romfile=,bus=pci.0",
			       "-device", "e1000-82540em,addr=1f", "-device", "e1000,addr=05.0,id=e",
			       "-device", "e1000,mac=00:00:00:00:00:00", NULL), 0);
	assert_int_equal(cfg.nr_nics, 4);
	check_nic(&cfg, 0, "virtio-net-pci", NULL, NULL, 4);
	assert_int_equal(cfg.nics[0].opts.n, 2);
	assert_string_equal(cfg.nics[0].opts.items[0].key, "romfile");
	assert_string_equal(cfg.nics[0].opts.items[0].value, "");
	assert_string_equal(cfg.nics[0].opts.items[1].key, "bus");
	check_nic(&cfg, 1, "e1000", NULL, NULL, 31);
	check_nic(&cfg, 2, "e1000", NULL, "e", 5);
	/* all-zero MAC = unset, as QEMU */
	assert_false(cfg.nics[3].has_mac);
	config_free(&cfg);

	/* -device may use the netdev a -net TYPE made, if nothing else did */
	assert_int_equal(parse(&cfg, "-netdev", "user,id=n0", "-device", "e1000,netdev=n0,mac=52-54-00-AB-CD-EF",
			       NULL), 0);
	assert_int_equal(cfg.nics[0].mac[3], 0xab);
	config_free(&cfg);
}

static void test_device_errors(void **state)
{
	expect_error("skiff: -device e1000,netdev=missing: Property 'e1000.netdev' can't find "
		     "value 'missing'", "-device", "e1000,netdev=missing", NULL);
	expect_error("skiff: -device virtio-net-pci,netdev=x: Property 'virtio-net-device.netdev' "
		     "can't find value 'x'", "-device", "virtio-net-pci,netdev=x", NULL);
	expect_error("skiff: -device e1000,netdev=a: Property 'e1000.netdev' can't take value "
		     "'a', it's in use", "-netdev", "user,id=a", "-device", "e1000,netdev=a",
		     "-device", "e1000,netdev=a", NULL);
	/* a -nic's backend already has its NIC */
	expect_error("skiff: -device e1000,netdev=u: Property 'e1000.netdev' can't take value 'u', "
		     "it's in use", "-nic", "user,id=u", "-device", "e1000,netdev=u", NULL);
	expect_error("skiff: -device foo: 'foo' is not a valid device model name",
		     "-device", "foo", NULL);
	expect_error("skiff: -device rtl8139: 'rtl8139' is not a valid device model name\n"
		     "skiff's NICs are e1000 and virtio-net-pci", "-device", "rtl8139", NULL);
	expect_error("skiff: -device virtio: 'virtio' is not a valid device model name",
		     "-device", "virtio", NULL);
	expect_error("skiff: -device netdev=a: Parameter 'driver' is missing",
		     "-device", "netdev=a", NULL);
	expect_error("skiff: -device e1000,mac=zz: Property 'e1000.mac' doesn't take value 'zz'",
		     "-device", "e1000,mac=zz", NULL);
	expect_error("skiff: -device e1000,mac=01:00:00:00:00:00: NIC cannot have multicast MAC "
		     "address", "-device", "e1000,mac=01:00:00:00:00:00", NULL);
	expect_error("skiff: -device e1000,addr=zz: Property 'e1000.addr' doesn't take value 'zz'",
		     "-device", "e1000,addr=zz", NULL);
	expect_error("skiff: -device e1000,addr=40: Property 'e1000.addr' doesn't take value '40'",
		     "-device", "e1000,addr=40", NULL);
	expect_error("skiff: -device e1000,addr=3.8: Property 'e1000.addr' doesn't take value "
		     "'3.8'", "-device", "e1000,addr=3.8", NULL);
	expect_error("skiff: -device e1000,addr=3.: Property 'e1000.addr' doesn't take value",
		     "-device", "e1000,addr=3.", NULL);
	expect_error("skiff: -device e1000,addr=3.1: PCI: single function device can't be "
		     "populated in function 3.1", "-device", "e1000,addr=3.1", NULL);
	expect_error("skiff: -device e1000,addr=0: PCI: slot 0 function 0 not available for "
		     "e1000, in use by i440FX,id=(null)", "-device", "e1000,addr=0", NULL);
	expect_error("skiff: -device e1000,addr=3: PCI: slot 3 function 0 not available for "
		     "e1000, in use by virtio-net-pci,id=v", "-device", "virtio-net-pci,addr=3,id=v",
		     "-device", "e1000,addr=3", NULL);
	expect_error("skiff: -device e1000,id=1x: Parameter 'id' expects an identifier",
		     "-device", "e1000,id=1x", NULL);
	expect_error("skiff: -device e1000,id=a: Duplicate ID 'a' for device",
		     "-device", "e1000,id=a", "-device", "e1000,id=a", NULL);
	expect_served("name \"e1000\", bus PCI, alias \"e1000-82540em\", desc \"Intel Gigabit "
		      "Ethernet\"\nname \"virtio-net-pci\", bus PCI, alias \"virtio-net\"\n",
		      "-device", "help", NULL);
	expect_served("e1000 options:", "-device", "e1000,help", NULL);
	expect_served("virtio-net-pci options:", "-device", "virtio-net,help", NULL);
}

static void test_nic(void **state)
{
	struct skiff_config cfg;
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x99 };

	/* type defaults to user; no hub; the backend gets a hidden id */
	assert_int_equal(parse(&cfg, "-nic", "model=virtio", NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 1);
	check_netdev(&cfg, 0, "user", "#net0", NULL);
	check_nic(&cfg, 0, "virtio-net-pci", "#net0", NULL, -1);
	config_free(&cfg);

	assert_int_equal(parse(&cfg, "-nic", "user,hostfwd=tcp::2222-:22,model=e1000,"
			       "mac=52:54:00:12:34:99,id=u0", "-nic", "tap,ifname=tap0,script=no",
			       "-nic", "user,model=virtio-net-pci", NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 3);
	check_netdev(&cfg, 0, "user", "u0", OPTS("hostfwd=tcp::2222-:22"));
	check_netdev(&cfg, 1, "tap", "#net0", OPTS("ifname=tap0", "script=no"));
	check_netdev(&cfg, 2, "user", "#net1", NULL);
	assert_int_equal(cfg.nr_nics, 3);
	check_nic(&cfg, 0, "e1000", "u0", NULL, -1);
	assert_true(cfg.nics[0].has_mac);
	assert_memory_equal(cfg.nics[0].mac, mac, 6);
	check_nic(&cfg, 1, "e1000", "#net0", NULL, -1);
	check_nic(&cfg, 2, "virtio-net-pci", "#net1", NULL, -1);
	config_free(&cfg);

	/* -nic none next to others: just no NIC from it */
	assert_int_equal(parse(&cfg, "-nic", "none", "-nic", "user", NULL), 0);
	assert_int_equal(cfg.nr_nics, 1);
	config_free(&cfg);

	/* a hubport -nic */
	assert_int_equal(parse(&cfg, "-nic", "hubport,hubid=1,id=p", NULL), 0);
	check_netdev(&cfg, 0, "hubport", "p", OPTS("hubid=1"));
	check_nic(&cfg, 0, "e1000", "p", NULL, -1);
	config_free(&cfg);
}

static void test_nic_errors(void **state)
{
	expect_error("skiff: -nic user,model=foo: Unsupported NIC model: foo",
		     "-nic", "user,model=foo", NULL);
	expect_error("skiff: -nic user,mac=zz: invalid syntax for ethernet address",
		     "-nic", "user,mac=zz", NULL);
	expect_error("skiff: -nic user,mac=01:00:00:00:00:00: NIC cannot have multicast MAC "
		     "address", "-nic", "user,mac=01:00:00:00:00:00", NULL);
	expect_error("skiff: -nic user,id=1a: Parameter 'id' expects an identifier",
		     "-nic", "user,id=1a", NULL);
	expect_error("skiff: -nic user,id=a: Duplicate ID 'a'", "-nic", "user,id=a",
		     "-netdev", "user,id=a", NULL);
	expect_error("skiff: -nic foo: Parameter 'type' does not accept value 'foo'",
		     "-nic", "foo", NULL);
	expect_error("skiff: -nic passt: network backend 'passt' is not compiled into this binary",
		     "-nic", "passt", NULL);
	expect_served("Supported NIC models:\ne1000\nvirtio-net-pci\n", "-nic",
		      "user,model=help", NULL);
	expect_served("Available netdev backend types:", "-nic", "help", NULL);
	expect_served("Supported NIC models:", "-nic", "help", NULL);
}

static void test_net_legacy(void **state)
{
	struct skiff_config cfg;
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

	/* NIC <-> hub0port0 <-> hub 0 <-> hub0port1 <-> user */
	assert_int_equal(parse(&cfg, "-net", "nic", "-net", "user", NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 3);
	check_netdev(&cfg, 0, "hubport", "hub0port0", OPTS("hubid=0"));
	check_netdev(&cfg, 1, "user", "user.0", NULL);
	check_netdev(&cfg, 2, "hubport", "hub0port1", OPTS("hubid=0", "netdev=user.0"));
	check_nic(&cfg, 0, "e1000", "hub0port0", NULL, -1);
	config_free(&cfg);

	/* backend first, options, two NICs on the same hub */
	assert_int_equal(parse(&cfg, "-net", "user,hostfwd=tcp::2222-:22,id=u", "-net",
			       "nic,model=virtio,macaddr=52:54:00:aa:bb:cc,name=n1,addr=4,vectors=3",
			       "-net", "nic,model=e1000", "-net", "tap,ifname=tap0", NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 6);
	check_netdev(&cfg, 0, "user", "u", OPTS("hostfwd=tcp::2222-:22"));
	check_netdev(&cfg, 1, "hubport", "hub0port0", OPTS("hubid=0", "netdev=u"));
	check_netdev(&cfg, 2, "hubport", "hub0port1", OPTS("hubid=0"));
	check_netdev(&cfg, 3, "hubport", "hub0port2", OPTS("hubid=0"));
	check_netdev(&cfg, 4, "tap", "tap.0", OPTS("ifname=tap0"));
	check_netdev(&cfg, 5, "hubport", "hub0port3", OPTS("hubid=0", "netdev=tap.0"));
	assert_int_equal(cfg.nr_nics, 2);
	check_nic(&cfg, 0, "virtio-net-pci", "hub0port1", "n1", 4);
	assert_true(cfg.nics[0].has_mac);
	assert_memory_equal(cfg.nics[0].mac, mac, 6);
	assert_int_equal(cfg.nics[0].opts.n, 1);
	assert_string_equal(cfg.nics[0].opts.items[0].key, "vectors");
	check_nic(&cfg, 1, "e1000", "hub0port2", NULL, -1);
	config_free(&cfg);

	/* two anonymous user backends; name= names the backend */
	assert_int_equal(parse(&cfg, "-net", "user", "-net", "user", "-net", "user,name=x",
			       NULL), 0);
	check_netdev(&cfg, 0, "user", "user.0", NULL);
	check_netdev(&cfg, 2, "user", "user.1", NULL);
	check_netdev(&cfg, 4, "user", "x", NULL);
	config_free(&cfg);

	/* generated names step around user ids; explicit hub 0 ports are counted */
	assert_int_equal(parse(&cfg, "-netdev", "user,id=user.0", "-netdev",
			       "hubport,id=hub0port1,hubid=0", "-net", "user", NULL), 0);
	check_netdev(&cfg, 2, "user", "user.1", NULL);
	check_netdev(&cfg, 3, "hubport", "hub0port2", OPTS("hubid=0", "netdev=user.1"));
	config_free(&cfg);

	/* -net nic,netdev= skips the hub */
	assert_int_equal(parse(&cfg, "-netdev", "user,id=n0", "-net", "nic,netdev=n0", NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 1);
	check_nic(&cfg, 0, "e1000", "n0", NULL, -1);
	config_free(&cfg);

	/* -net none plus a -net: only the latter */
	assert_int_equal(parse(&cfg, "-net", "none", "-net", "user", NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 2);
	assert_int_equal(cfg.nr_nics, 0);
	config_free(&cfg);
}

static void test_net_errors(void **state)
{
	expect_error("skiff: -net hubport,hubid=0: network backend 'hubport' is only supported "
		     "with -netdev/-nic", "-net", "hubport,hubid=0", NULL);
	expect_error("skiff: -net nic,vlan=1: Invalid parameter 'vlan'", "-net", "nic,vlan=1",
		     NULL);
	expect_error("skiff: -net foo: Parameter 'type' does not accept value 'foo'",
		     "-net", "foo", NULL);
	expect_error("skiff: -net nic,netdev=zz: netdev 'zz' not found", "-net", "nic,netdev=zz",
		     NULL);
	expect_error("skiff: -net nic,netdev=a: Property 'e1000.netdev' can't take value 'a', "
		     "it's in use", "-netdev", "user,id=a", "-device", "e1000,netdev=a",
		     "-net", "nic,netdev=a", "-net", "nic,netdev=a", NULL);
	expect_error("skiff: -net nic,macaddr=zz: invalid syntax for ethernet address",
		     "-net", "nic,macaddr=zz", NULL);
	expect_error("skiff: -net nic,macaddr=03:00:00:00:00:00: NIC cannot have multicast MAC "
		     "address", "-net", "nic,macaddr=03:00:00:00:00:00", NULL);
	expect_error("skiff: -net nic,model=foo: Unsupported NIC model: foo",
		     "-net", "nic,model=foo", NULL);
	expect_error("skiff: -net nic,addr=zz: Property 'e1000.addr' doesn't take value 'zz'",
		     "-net", "nic,addr=zz", NULL);
	expect_error("skiff: -net user,id=x: Duplicate ID 'x'", "-net", "user,id=x",
		     "-netdev", "user,id=x", NULL);
	expect_error("skiff: -net user,id=1: Parameter 'id' expects an identifier",
		     "-net", "user,id=1", NULL);
	expect_error("skiff: -net id=a: Parameter 'type' is missing", "-net", "id=a", NULL);
	expect_error("skiff: -net nic,id=_x: Parameter 'id' expects an identifier",
		     "-net", "nic,id=_x", NULL);
	expect_served("Supported NIC models:", "-net", "nic,model=help", NULL);
	expect_served("nic\nuser", "-net", "help", NULL);
}

static void test_order(void **state)
{
	struct skiff_config cfg;

	/* QEMU's order whatever the command line's: -netdev, -nic, -net; NICs of
	 * -nic, then -net nic, then -device */
	assert_int_equal(parse(&cfg, "-device", "virtio-net-pci,netdev=d", "-net", "nic",
			       "-nic", "user,id=c", "-net", "user", "-netdev", "user,id=d", NULL), 0);
	assert_int_equal(cfg.nr_netdevs, 5);
	check_netdev(&cfg, 0, "user", "d", NULL);
	check_netdev(&cfg, 1, "user", "c", NULL);
	check_netdev(&cfg, 2, "hubport", "hub0port0", OPTS("hubid=0"));
	check_netdev(&cfg, 3, "user", "user.2", NULL);
	check_netdev(&cfg, 4, "hubport", "hub0port1", OPTS("hubid=0", "netdev=user.2"));
	assert_int_equal(cfg.nr_nics, 3);
	check_nic(&cfg, 0, "e1000", "c", NULL, -1);
	check_nic(&cfg, 1, "e1000", "hub0port0", NULL, -1);
	check_nic(&cfg, 2, "virtio-net-pci", "d", NULL, -1);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_default_network, setup),
		cmocka_unit_test_setup(test_default_network_suppressed, setup),
		cmocka_unit_test_setup(test_netdev_device, setup),
		cmocka_unit_test_setup(test_netdev_types, setup),
		cmocka_unit_test_setup(test_netdev_errors, setup),
		cmocka_unit_test_setup(test_device_forms, setup),
		cmocka_unit_test_setup(test_device_errors, setup),
		cmocka_unit_test_setup(test_nic, setup),
		cmocka_unit_test_setup(test_nic_errors, setup),
		cmocka_unit_test_setup(test_net_legacy, setup),
		cmocka_unit_test_setup(test_net_errors, setup),
		cmocka_unit_test_setup(test_order, setup),
	};

	return cmocka_run_group_tests_name("cli_net", tests, NULL, NULL);
}

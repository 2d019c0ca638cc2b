/* Netdev creation from the config: type table, QEMU's messages, hubport,
 * the "has no peer" warnings, cleanup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/config.h"
#include "cli/keyval.h"
#include "net/hub.h"
#include "net/net.h"
#include "net/netdev.h"
#include "util/event_loop.h"
#include "util/log.h"
#include "test_log.h"     /* log capture: tests/unit/test_log.h */

static int setup(void **state)
{
	log_capture_start();
	assert_int_equal(el_init(), 0);
	return 0;
}

static int teardown(void **state)
{
	log_capture_stop();
	net_cleanup();
	net_client_free_all();
	el_fini();
	return 0;
}

/* Create one netdev from "type", "id" and an option string. */
static int nd(const char *type, const char *id, const char *opts)
{
	struct netdev_config c = { .type = (char *)type, .id = (char *)id };
	int r;

	log_clear();
	assert_int_equal(kvlist_parse(&c.opts, opts, NULL), 0);
	r = net_init_netdev(&c);
	kvlist_free(&c.opts);
	return r;
}

static void test_unknown_and_unsupported(void **state)
{
	assert_int_equal(nd("foo", "n0", ""), -1);
	assert_string_equal(logbuf, "skiff: -netdev foo,id=n0: Parameter 'type' does not accept value 'foo'\n");
	assert_int_equal(nd("vde", "n0", "sock=/tmp/x"), -1);
	assert_non_null(strstr(logbuf, "skiff: -netdev vde,id=n0,sock=/tmp/x: "
			       "network backend 'vde' is not compiled into this binary"));
	assert_int_equal(nd("user", NULL, ""), -1);
	assert_non_null(strstr(logbuf, "Parameter 'id' is missing"));
}

static void test_user_and_duplicate(void **state)
{
	assert_int_equal(nd("user", "n0", "hostfwd=tcp:127.0.0.1:0-:22"), 0);
	assert_string_equal(logbuf, "");
	struct net_client *nc = net_client_find("n0");
	assert_non_null(nc);
	assert_string_equal(nc->ops->type, "user");
	assert_non_null(nc->info);
	assert_int_equal(nd("user", "n0", ""), -1);
	assert_string_equal(logbuf, "skiff: -netdev user,id=n0: Duplicate ID 'n0' for netdev\n");
	/* Value errors come with the option string as context, commas doubled. */
	assert_int_equal(nd("user", "n1", "dnssearch=a,,b,restrict=maybe"), -1);
	assert_string_equal(logbuf, "skiff: -netdev user,id=n1,dnssearch=a,,b,restrict=maybe: "
			    "Parameter 'restrict' expects 'on' or 'off'\n");
	assert_int_equal(nd("user", "n1", "bogus=1"), -1);
	assert_string_equal(logbuf, "skiff: -netdev user,id=n1,bogus=1: Invalid parameter 'bogus'\n");
}

static void test_hubport(void **state)
{
	assert_int_equal(nd("hubport", "h0", ""), -1);
	assert_non_null(strstr(logbuf, "Parameter 'hubid' is missing"));
	assert_int_equal(nd("hubport", "h0", "hubid=x"), -1);
	assert_non_null(strstr(logbuf, "Parameter 'hubid' expects an int64 value"));
	assert_int_equal(nd("hubport", "h0", "hubid=4294967296"), -1);
	assert_non_null(strstr(logbuf, "Parameter 'hubid' expects int32_t"));
	assert_int_equal(nd("hubport", "h0", "hubid=1,netdev=nope"), -1);
	assert_non_null(strstr(logbuf, "netdev 'nope' not found"));
	assert_int_equal(nd("hubport", "h0", "hubid=1,foo=2"), -1);
	assert_non_null(strstr(logbuf, "Invalid parameter 'foo'"));

	assert_int_equal(nd("user", "u", ""), 0);
	assert_int_equal(nd("hubport", "h0", "hubid=1,netdev=u"), 0);
	struct net_client *h0 = net_client_find("h0");
	assert_true(hub_is_port(h0));
	assert_int_equal(hub_port_id(h0), 1);
	assert_ptr_equal(h0->peer, net_client_find("u"));
	assert_int_equal(nd("hubport", "h1", "hubid=1,netdev=u"), -1);
	assert_non_null(strstr(logbuf, "netdev 'u' is already in use"));
}

static void test_no_peer_warnings(void **state)
{
	struct skiff_config cfg = { 0 };
	struct netdev_config d[2] = { { .type = "user", .id = "s0" }, { .type = "hubport", .id = "p0" } };
	kvlist_add(&d[1].opts, "hubid", "0");
	cfg.netdevs = d;
	cfg.nr_netdevs = 2;
	assert_int_equal(net_init_clients(&cfg), 0);
	kvlist_free(&d[1].opts);
	log_clear();
	net_check_peers();
	assert_non_null(strstr(logbuf, "skiff: warning: netdev s0 has no peer\n"));
	assert_non_null(strstr(logbuf, "skiff: warning: hub port p0 has no peer\n"));
	assert_null(strstr(logbuf, "netdev p0"));
}

/* net_init_clients stops at the first failing netdev. */
static void test_init_clients_fails(void **state)
{
	struct netdev_config d[2] = { { .type = "user", .id = "a" }, { .type = "vde", .id = "b" } };
	struct skiff_config cfg = { .netdevs = d, .nr_netdevs = 2 };
	assert_int_equal(net_init_clients(&cfg), -1);
	assert_non_null(strstr(logbuf, "network backend 'vde' is not compiled into this binary"));
	net_cleanup();
	assert_null(net_client_find("a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_and_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_and_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hubport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_peer_warnings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_clients_fails, setup, teardown),
	};
	return cmocka_run_group_tests_name("net_netdev", tests, NULL, NULL);
}

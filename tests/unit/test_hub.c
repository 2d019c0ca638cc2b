/* Hubs: fan-out to every other port, can_receive as QEMU, drain propagation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/hub.h"
#include "net/net.h"
#include "util/log.h"
#include "test_log.h"     /* log capture: tests/unit/test_log.h */

struct ep {
	bool accept;
	unsigned got;
	unsigned drained;
};

static ssize_t ep_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct ep *e = nc->opaque;
	size_t len = 0;
	if (!e->accept)
		return 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	e->got++;
	return (ssize_t)len;
}

static bool ep_can_receive(struct net_client *nc)
{
	return ((struct ep *)nc->opaque)->accept;
}

static void ep_drained(struct net_client *nc)
{
	((struct ep *)nc->opaque)->drained++;
}

static const struct net_client_ops nic_ops = {
	.type = "test-nic", .is_nic = true, .receive = ep_receive,
	.can_receive = ep_can_receive, .on_drained = ep_drained,
};
static const struct net_client_ops be_ops = {
	.type = "test-be", .receive = ep_receive,
	.can_receive = ep_can_receive, .on_drained = ep_drained,
};

static const struct net_client_ops inline_be_ops = {
	.type = "test-slirp", .receive = ep_receive, .answers_inline = true,
};

static struct ep e[3];
static struct net_client *ep_nc[3], *port[3];

static int setup(void **state)
{
	memset(e, 0, sizeof(e));
	for (int i = 0; i < 3; i++) {
		e[i].accept = true;
		ep_nc[i] = net_client_new(i == 0 ? &nic_ops : &be_ops, NULL, &e[i]);
		port[i] = hub_add_port(0, NULL);
		assert_int_equal(net_client_connect(ep_nc[i], port[i]), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	net_client_free_all();
	return 0;
}

static void test_names(void **state)
{
	assert_string_equal(port[0]->name, "hub0port0");
	assert_string_equal(port[2]->name, "hub0port2");
	assert_true(hub_is_port(port[1]));
	assert_false(hub_is_port(ep_nc[1]));
	assert_int_equal(hub_port_id(port[1]), 0);
	struct net_client *named = hub_add_port(3, "hp");
	assert_string_equal(named->name, "hp");
	assert_int_equal(hub_port_id(named), 3);
}

static void test_fanout(void **state)
{
	assert_int_equal(net_send_buf(ep_nc[0], "frame", 5), 5);
	assert_int_equal(e[0].got, 0);   /* never back out of the source port */
	assert_int_equal(e[1].got, 1);
	assert_int_equal(e[2].got, 1);
	assert_int_equal(net_send_buf(ep_nc[2], "frame", 5), 5);
	assert_int_equal(e[0].got, 1);
	assert_int_equal(e[1].got, 2);
	assert_int_equal(e[2].got, 1);
}

/* Separate hubs do not see each other's frames. */
static void test_hubs_isolated(void **state)
{
	struct ep x = { .accept = true }, y = { .accept = true };
	struct net_client *xn = net_client_new(&be_ops, NULL, &x);
	struct net_client *yn = net_client_new(&be_ops, NULL, &y);
	assert_int_equal(net_client_connect(xn, hub_add_port(1, NULL)), 0);
	assert_int_equal(net_client_connect(yn, hub_add_port(1, NULL)), 0);
	net_send_buf(xn, "a", 1);
	assert_int_equal(y.got, 1);
	assert_int_equal(e[0].got + e[1].got + e[2].got, 0);
}

/* can_receive: true while ANY other port can pass a frame on. */
static void test_can_receive(void **state)
{
	e[1].accept = false;
	assert_true(net_can_send(ep_nc[0]));    /* port 2 still can */
	/* The slow port's copy waits in its own queue; the fast one gets it now. */
	assert_int_equal(net_send_buf(ep_nc[0], "f", 1), 1);
	assert_int_equal(e[2].got, 1);
	assert_int_equal(ep_nc[1]->queue_len, 1);
	e[2].accept = false;
	assert_false(net_can_send(ep_nc[0]));
	/* Nobody can: the frame waits at the source hub port, sender is paused. */
	assert_int_equal(net_send_buf(ep_nc[0], "g", 1), 0);
	assert_int_equal(port[0]->queue_len, 1);
	/* NIC 2 drains: the hub flushes port 0's queue and tells the sender. */
	e[2].accept = true;
	net_client_flush(ep_nc[2]);
	assert_int_equal(port[0]->queue_len, 0);
	assert_int_equal(e[2].got, 2);
	assert_int_equal(e[0].drained, 1);
	/* The slow port got nothing yet, then both of its copies in order. */
	assert_int_equal(e[1].got, 0);
	e[1].accept = true;
	net_client_flush(ep_nc[1]);
	assert_int_equal(e[1].got, 2);
}

/* A port without a peer counts as able to take frames (they are dropped). */
static void test_unconnected_port(void **state)
{
	hub_add_port(0, NULL);
	e[1].accept = e[2].accept = false;
	assert_true(net_can_send(ep_nc[0]));
}

static void test_check_warnings(void **state)
{
	struct ep x = { .accept = true };
	hub_add_port(0, "dangling");
	struct net_client *xn = net_client_new(&be_ops, NULL, &x);
	assert_int_equal(net_client_connect(xn, hub_add_port(5, NULL)), 0);
	struct net_client *nic = net_client_new(&nic_ops, NULL, &x);
	assert_int_equal(net_client_connect(nic, hub_add_port(6, NULL)), 0);
	log_capture_start();
	hub_check_clients();
	log_capture_stop();
	assert_non_null(strstr(logbuf, "skiff: warning: hub port dangling has no peer\n"));
	assert_non_null(strstr(logbuf, "skiff: warning: hub 5 with no nics\n"));
	assert_non_null(strstr(logbuf, "skiff: warning: hub 6 is not connected to host network\n"));
	assert_null(strstr(logbuf, "hub 0 "));
}

/* `-net nic -net user`: a hub between the NIC and libslirp; the NIC must still see a peer
 * that answers inline (so it transmits on the vCPU thread, e1000.c), through the hub. */
static void test_answers_inline_through_hub(void **state)
{
	assert_false(net_peer_answers_inline(ep_nc[0]));   /* hub with two plain backends */
	assert_false(net_peer_answers_inline(NULL));
	struct ep se = { .accept = true };
	struct net_client *slirp = net_client_new(&inline_be_ops, NULL, &se);
	struct net_client *p3 = hub_add_port(0, NULL);
	assert_int_equal(net_client_connect(slirp, p3), 0);
	assert_true(net_peer_answers_inline(ep_nc[0]));
	assert_true(net_peer_answers_inline(ep_nc[1]));
	assert_false(net_peer_answers_inline(slirp));      /* its own port: only the others count */
	/* Another hub's port does not count. */
	struct net_client *nic2 = net_client_new(&nic_ops, NULL, &e[0]);
	struct net_client *q0 = hub_add_port(1, NULL);
	assert_int_equal(net_client_connect(nic2, q0), 0);
	assert_false(net_peer_answers_inline(nic2));
	/* Directly connected: the backend's own flag. */
	struct net_client *nic3 = net_client_new(&nic_ops, NULL, &e[0]);
	struct net_client *slirp2 = net_client_new(&inline_be_ops, NULL, &se);
	assert_int_equal(net_client_connect(nic3, slirp2), 0);
	assert_true(net_peer_answers_inline(nic3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fanout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hubs_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_can_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unconnected_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_warnings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_inline_through_hub, setup, teardown),
	};
	return cmocka_run_group_tests_name("hub", tests, NULL, NULL);
}

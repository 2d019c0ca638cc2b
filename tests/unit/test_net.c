/* Net core: send, queue, back-pressure, flush, link, drop-on-full, vnet hdr, MACs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/net.h"

struct fake {
	bool accept;          /* receive() takes frames */
	bool has_can_receive;
	unsigned got;
	size_t last_len;
	uint8_t last[64];
	unsigned drained;
	unsigned link_changes;
	struct net_client *echo_to;   /* re-entrancy: send back from receive() */
};

static ssize_t fake_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct fake *f = nc->opaque;
	size_t len = 0, off = 0;

	if (!f->accept)
		return 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	for (int i = 0; i < iovcnt; i++) {
		size_t n = iov[i].iov_len;
		if (off + n > sizeof(f->last))
			n = off < sizeof(f->last) ? sizeof(f->last) - off : 0;
		memcpy(f->last + off, iov[i].iov_base, n);
		off += n;
	}
	f->got++;
	f->last_len = len;
	if (f->echo_to)
		net_send_buf(f->echo_to, "echo", 4);
	return (ssize_t)len;
}

static bool fake_can_receive(struct net_client *nc)
{
	struct fake *f = nc->opaque;
	return f->accept;
}

static void fake_drained(struct net_client *nc)
{
	((struct fake *)nc->opaque)->drained++;
}

static void fake_link(struct net_client *nc)
{
	((struct fake *)nc->opaque)->link_changes++;
}

static const struct net_client_ops fake_nic_ops = {
	.type = "fake-nic", .is_nic = true, .receive = fake_receive,
	.on_drained = fake_drained, .link_status_changed = fake_link,
};
static const struct net_client_ops fake_be_ops = {
	.type = "fake-be", .receive = fake_receive, .can_receive = fake_can_receive,
	.on_drained = fake_drained, .link_status_changed = fake_link,
};

static struct fake fa, fb;
static struct net_client *a, *b;

static int setup(void **state)
{
	memset(&fa, 0, sizeof(fa));
	memset(&fb, 0, sizeof(fb));
	fa.accept = fb.accept = true;
	a = net_client_new(&fake_nic_ops, "nic0", &fa);
	b = net_client_new(&fake_be_ops, "be0", &fb);
	assert_int_equal(net_client_connect(a, b), 0);
	return 0;
}

static int teardown(void **state)
{
	net_client_free_all();
	return 0;
}

static void test_send_delivers(void **state)
{
	uint8_t buf[20] = { 1, 2, 3 };
	struct iovec iov[2] = { { buf, 10 }, { buf + 10, 10 } };

	assert_int_equal(net_send(a, iov, 2), 20);
	assert_int_equal(fb.got, 1);
	assert_int_equal(fb.last_len, 20);
	assert_int_equal(fb.last[0], 1);
	assert_int_equal(net_send_buf(b, "hello", 5), 5);
	assert_int_equal(fa.got, 1);
	assert_memory_equal(fa.last, "hello", 5);
}

static void test_lookup_and_names(void **state)
{
	assert_ptr_equal(net_client_find("nic0"), a);
	assert_ptr_equal(net_client_find("be0"), b);
	assert_null(net_client_find("nope"));
	assert_ptr_equal(net_client_first(), a);
	struct net_client *c = net_client_new(&fake_be_ops, NULL, &fb);
	assert_string_equal(c->name, "#net000");
	assert_int_equal(net_client_connect(a, c), -1);   /* a already has a peer */
	assert_int_equal(net_client_connect(c, c), -1);
	net_client_free(c);
}

static void test_no_peer_drops(void **state)
{
	struct net_client *c = net_client_new(&fake_be_ops, "lonely", &fb);
	assert_int_equal(net_send_buf(c, "x", 1), 1);
	assert_int_equal(fb.got, 0);
}

/* A receiver that returns 0 gets the frame queued; order is kept. */
static void test_queue_and_flush(void **state)
{
	fa.accept = false;
	assert_int_equal(net_send_buf(b, "1", 1), 0);
	assert_int_equal(a->queue_len, 1);
	assert_true(a->sender_blocked);
	/* While frames wait, later ones queue behind them even if the NIC could take them. */
	fa.accept = true;
	assert_int_equal(net_send_buf(b, "2cd", 3), 0);
	assert_int_equal(a->queue_len, 2);
	assert_int_equal(a->queue_bytes, 4);  /* what a backend's read-ahead counts (tap.c) */
	assert_int_equal(fa.got, 0);
	net_client_flush(a);
	assert_int_equal(fa.got, 2);
	assert_memory_equal(fa.last, "2cd", 3);
	assert_int_equal(a->queue_len, 0);
	assert_int_equal(a->queue_bytes, 0);
	assert_false(a->sender_blocked);
	assert_int_equal(fb.drained, 1);      /* the backend was told */
	/* Nothing queued: flush does nothing, no spurious on_drained. */
	net_client_flush(a);
	assert_int_equal(fb.drained, 1);
}

/* can_receive() false: net core queues without calling receive(). */
static void test_can_receive_false(void **state)
{
	fb.accept = false;
	assert_false(net_can_send(a));
	assert_int_equal(net_send_buf(a, "abc", 3), 0);
	assert_int_equal(b->queue_len, 1);
	net_client_flush(b);          /* still cannot: stays queued */
	assert_int_equal(b->queue_len, 1);
	assert_int_equal(fa.drained, 0);
	fb.accept = true;
	net_client_flush(b);
	assert_int_equal(fb.got, 1);
	assert_int_equal(fa.drained, 1);
	assert_true(net_can_send(a));
}

static void test_drop_on_full(void **state)
{
	fa.accept = false;
	for (unsigned i = 0; i < NET_QUEUE_LIMIT; i++)
		assert_int_equal(net_send_buf(b, "q", 1), 0);
	assert_int_equal(a->queue_len, NET_QUEUE_LIMIT);
	/* Over the limit: dropped, reported as consumed. */
	assert_int_equal(net_send_buf(b, "q", 1), 1);
	assert_int_equal(a->queue_len, NET_QUEUE_LIMIT);
	fa.accept = true;
	net_client_flush(a);
	assert_int_equal(fa.got, NET_QUEUE_LIMIT);
}

static void test_oversize_dropped(void **state)
{
	static uint8_t big[NET_MAX_FRAME + 1];
	assert_int_equal(net_send_buf(a, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(fb.got, 0);
	assert_int_equal(net_send_buf(a, big, 0), 0);
	assert_int_equal(fb.got, 0);
}

static void test_link(void **state)
{
	/* Backend link down: mirrored to the NIC; both directions dropped. */
	net_client_set_link(b, false);
	assert_true(b->link_down);
	assert_true(a->link_down);
	assert_int_equal(fa.link_changes, 1);
	assert_int_equal(fb.link_changes, 1);
	assert_int_equal(net_send_buf(a, "x", 1), 1);
	assert_int_equal(net_send_buf(b, "x", 1), 1);
	assert_int_equal(fa.got + fb.got, 0);
	net_client_set_link(b, true);
	assert_false(a->link_down);
	assert_int_equal(net_send_buf(a, "x", 1), 1);
	assert_int_equal(fb.got, 1);
	/* A NIC's own link change does not touch the backend. */
	net_client_set_link(a, false);
	assert_true(a->link_down);
	assert_false(b->link_down);
	net_client_set_link(a, true);
}

static void test_link_down_purges_queue(void **state)
{
	fa.accept = false;
	assert_int_equal(net_send_buf(b, "1", 1), 0);
	net_client_set_link(a, false);
	assert_int_equal(a->queue_len, 0);
	assert_int_equal(a->queue_bytes, 0);
	assert_int_equal(fb.drained, 1);
}

/* receive() sending back to the sender (slirp answering synchronously). */
static void test_reentrant_echo(void **state)
{
	fb.echo_to = b;
	assert_int_equal(net_send_buf(a, "ping", 4), 4);
	assert_int_equal(fb.got, 1);
	assert_int_equal(fa.got, 1);
	assert_memory_equal(fa.last, "echo", 4);
	/* Both ends echo: the nested send to a busy receiver is queued, then flushed. */
	fa.echo_to = a;
	fb.echo_to = NULL;
	assert_int_equal(net_send_buf(a, "p", 1), 1);
	assert_int_equal(fb.got, 2);
	assert_int_equal(net_send_buf(b, "p", 1), 1);
	assert_int_equal(fa.got, 2);
	assert_int_equal(fb.got, 3);
}

static void test_vnet_hdr(void **state)
{
	assert_false(net_client_set_vnet_hdr(a, true));
	a->has_vnet_hdr = true;
	assert_false(net_client_set_vnet_hdr(a, true));
	b->has_vnet_hdr = true;
	assert_true(net_client_set_vnet_hdr(a, true));
	assert_true(a->using_vnet_hdr);
	assert_true(b->using_vnet_hdr);
	assert_false(net_client_set_vnet_hdr(b, false));
	assert_false(a->using_vnet_hdr);
	assert_int_equal(sizeof(struct virtio_net_hdr), 10);
}

static void test_default_macs(void **state)
{
	uint8_t m[6];
	static const uint8_t m0[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	net_default_mac(m);
	assert_memory_equal(m, m0, 6);
	net_default_mac(m);
	assert_int_equal(m[5], 0x57);
}

static void test_free_peer(void **state)
{
	fa.accept = false;
	assert_int_equal(net_send_buf(b, "1", 1), 0);
	net_client_free(b);
	assert_null(a->peer);
	assert_int_equal(net_send_buf(a, "1", 1), 1);
	fa.accept = true;
	net_client_flush(a);   /* the queued copy is still delivered; nobody to notify */
	assert_int_equal(fa.got, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_peer_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_and_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_can_receive_false, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_on_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_down_purges_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reentrant_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vnet_hdr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_macs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_peer, setup, teardown),
	};
	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}

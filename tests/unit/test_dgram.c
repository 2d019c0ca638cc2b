/* -netdev dgram: QEMU's validity rules and messages; unix and inet
 * (127.0.0.1) pairs end to end, one frame per datagram; oversized datagrams
 * dropped; multicast on loopback in a private network namespace (root;
 * skipped otherwise); local.type=fd; receive back-pressure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "test_stream_common.h"
#include "test_sock_common.h"   /* free_port, netns_with_lo_up */
#include "net/sock_util.h"

static bool have_netns;
static char tmpdir[100];

static void test_dgram_option_errors(void **state)
{
	assert_int_equal(nd("dgram", "d0", ""), -1);
	assert_true(log_has("dgram requires local= parameter"));
	assert_int_equal(nd("dgram", "d0", "remote.type=inet,remote.host=127.0.0.1,remote.port=5"), -1);
	assert_true(log_has("dgram requires local= parameter"));
	assert_int_equal(nd("dgram", "d0", "local.type=inet,local.host=127.0.0.1,local.port=5"), -1);
	assert_true(log_has("type=inet or type=unix requires remote parameter"));
	assert_int_equal(nd("dgram", "d0", "local.type=fd,local.str=0,remote.type=unix,remote.path=/x"), -1);
	assert_true(log_has("don't set remote with local.fd"));
	assert_int_equal(nd("dgram", "d0", "local.type=unix,local.path=/x,"
			    "remote.type=inet,remote.host=127.0.0.1,remote.port=5"), -1);
	assert_true(log_has("remote and local types must be the same"));
	assert_int_equal(nd("dgram", "d0", "local.type=unix,local.path=/x,"
			    "remote.type=inet,remote.host=239.1.1.1,remote.port=5"), -1);
	assert_true(log_has("multicast only support inet type"));
	assert_int_equal(nd("dgram", "d0", "local.type=pipe"), -1);
	assert_true(log_has("Parameter 'local.type' does not accept value 'pipe'"));
	assert_int_equal(nd("dgram", "d0", "local.host=127.0.0.1"), -1);
	assert_true(log_has("Parameter 'local.type' is missing"));
	assert_int_equal(nd("dgram", "d0", "local.type=inet,local.host=127.0.0.1"), -1);
	assert_true(log_has("Parameter 'local.port' is missing"));
	assert_int_equal(nd("dgram", "d0", "local.type=unix"), -1);
	assert_true(log_has("Parameter 'local.path' is missing"));
	assert_int_equal(nd("dgram", "d0", "local.type=fd"), -1);
	assert_true(log_has("Parameter 'local.str' is missing"));
	assert_int_equal(nd("dgram", "d0", "local.type=unix,local.path=/x,local.port=3"), -1);
	assert_true(log_has("Parameter 'local.port' is unexpected"));
	assert_int_equal(nd("dgram", "d0", "local.type=fd,local.str=3,wat=1"), -1);
	assert_true(log_has("Parameter 'wat' is unexpected"));
	assert_int_equal(nd("dgram", "d0", "remote.type=fd,remote.str=3"), -1);
	assert_true(log_has("Parameter 'remote.type' does not accept value 'fd'"));
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	char o[64];
	snprintf(o, sizeof(o), "local.type=fd,local.str=%d", sv[0]);
	assert_int_equal(nd("dgram", "d0", o), -1);
	assert_true(log_has("is not a datagram socket"));
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(nd("dgram", "d0", "local.type=inet,local.host=127.0.0.1,local.port=x,"
			    "remote.type=inet,remote.host=127.0.0.1,remote.port=5"), -1);
	assert_true(log_has("port number 'x' is invalid"));
	assert_null(net_client_find("d0"));
}

static void pair(const char *o1, const char *o2)
{
	struct tnic *a, *b;
	uint8_t f[1400];

	assert_int_equal(nd("dgram", "a", o1), 0);
	assert_int_equal(nd("dgram", "b", o2), 0);
	vmm_lock();
	a = tnic_attach("a", false);
	b = tnic_attach("b", false);
	assert_false(a->nc->link_down);
	assert_string_equal(net_client_find("a")->ops->type, "dgram");
	vmm_unlock();
	for (unsigned i = 0; i < 10; i++) {
		frame_fill(f, sizeof(f) - i * 10, i);
		LOCKED(net_send_buf(a->nc, f, sizeof(f) - i * 10));
		LOCKED(net_send_buf(b->nc, f, 60 + i));
	}
	assert_true(wait_frames(a, 10, 3000));
	assert_true(wait_frames(b, 10, 3000));
	vmm_lock();
	for (unsigned i = 0; i < 10; i++) {
		frame_fill(f, sizeof(f) - i * 10, i);
		assert_int_equal(b->len[i], sizeof(f) - i * 10);
		assert_memory_equal(b->data[i], f, sizeof(f) - i * 10);
		assert_int_equal(a->len[i], 60 + i);
	}
	vmm_unlock();
}

static void test_dgram_unix_pair(void **state)
{
	char o1[300], o2[300];
	snprintf(o1, sizeof(o1), "local.type=unix,local.path=%s/a,remote.type=unix,remote.path=%s/b",
		 tmpdir, tmpdir);
	snprintf(o2, sizeof(o2), "local.type=unix,local.path=%s/b,remote.type=unix,remote.path=%s/a",
		 tmpdir, tmpdir);
	pair(o1, o2);
}

static void test_dgram_inet_pair(void **state)
{
	char o1[300], o2[300];
	int p1 = free_port(SOCK_DGRAM), p2 = free_port(SOCK_DGRAM);
	snprintf(o1, sizeof(o1), "local.type=inet,local.host=127.0.0.1,local.port=%d,"
		 "remote.type=inet,remote.host=127.0.0.1,remote.port=%d", p1, p2);
	snprintf(o2, sizeof(o2), "local.type=inet,local.host=127.0.0.1,local.port=%d,"
		 "remote.type=inet,remote.host=127.0.0.1,remote.port=%d", p2, p1);
	pair(o1, o2);
}

static void test_dgram_oversized_and_backpressure(void **state)
{
	int sv[2];
	char o[64];
	struct tnic *t;
	static uint8_t big[NET_MAX_FRAME + 100];
	uint8_t f[200];

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	int sz = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	snprintf(o, sizeof(o), "local.type=fd,local.str=%d", sv[0]);
	assert_int_equal(nd("dgram", "fd", o), 0);
	vmm_lock();
	t = tnic_attach("fd", false);
	t->full = true;
	vmm_unlock();
	/* Too big for NET_MAX_FRAME: dropped, the next one still arrives. */
	assert_int_equal(write(sv[1], big, sizeof(big)), sizeof(big));
	for (unsigned i = 0; i < 20; i++) {
		frame_fill(f, sizeof(f), i);
		assert_int_equal(write(sv[1], f, sizeof(f)), sizeof(f));
	}
	settle(100);
	vmm_lock();
	assert_int_equal(t->count, 0);
	assert_int_equal(t->nc->queue_len, 1);   /* reading paused */
	vmm_unlock();
	LOCKED(t->full = false; net_client_flush(t->nc));
	assert_true(wait_frames(t, 20, 3000));
	vmm_lock();
	for (unsigned i = 0; i < 20; i++) {
		frame_fill(f, sizeof(f), i);
		assert_int_equal(t->len[i], sizeof(f));
		assert_memory_equal(t->data[i], f, sizeof(f));
	}
	vmm_unlock();
	/* Sending to a gone peer drops, never blocks or fails the backend. */
	close(sv[1]);
	LOCKED(assert_int_equal(net_send_buf(t->nc, f, sizeof(f)), sizeof(f)));
}

static void test_dgram_mcast(void **state)
{
	struct tnic *a, *b;
	uint8_t f[300];

	if (!have_netns) {
		printf("skipped: multicast test needs root for a private network namespace\n");
		return;
	}
	assert_int_equal(nd("dgram", "m1", "remote.type=inet,remote.host=239.192.168.1,remote.port=1102,"
			    "local.type=inet,local.host=127.0.0.1,local.port=0"), 0);
	assert_int_equal(nd("dgram", "m2", "remote.type=inet,remote.host=239.192.168.1,remote.port=1102,"
			    "local.type=inet,local.host=127.0.0.1,local.port=0"), 0);
	vmm_lock();
	a = tnic_attach("m1", false);
	b = tnic_attach("m2", false);
	vmm_unlock();
	frame_fill(f, sizeof(f), 8);
	LOCKED(net_send_buf(a->nc, f, sizeof(f)));
	assert_true(wait_frames(b, 1, 3000));
	vmm_lock();
	assert_memory_equal(b->data[0], f, sizeof(f));
	vmm_unlock();
}

int main(void)
{
	have_netns = netns_with_lo_up();
	if (!scratch_dir_make(tmpdir, sizeof(tmpdir), "dgram"))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dgram_option_errors, common_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_dgram_unix_pair, common_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_dgram_inet_pair, common_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_dgram_oversized_and_backpressure, common_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_dgram_mcast, common_setup, common_teardown),
	};
	return scratch_dir_remove(tmpdir, cmocka_run_group_tests(tests, NULL, NULL));
}

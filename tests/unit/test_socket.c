/* -netdev socket (legacy): options and messages; listen/connect end to end
 * on 127.0.0.1 (QEMU's 4-byte framing), udp= pairs, mcast= on loopback in
 * a private network namespace (root; skipped otherwise), fd= stream and
 * datagram. Nothing leaves the machine. */
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

#include "test_stream_common.h"
#include "test_sock_common.h"   /* free_port, netns_with_lo_up */
#include "net/sock_util.h"

static bool have_netns;

static void test_socket_option_errors(void **state)
{
	assert_int_equal(nd("socket", "k0", ""), -1);
	assert_true(log_has("exactly one of listen=, connect=, mcast= or udp= is required"));
	assert_int_equal(nd("socket", "k0", "listen=:1,connect=127.0.0.1:2"), -1);
	assert_true(log_has("exactly one of listen=, connect=, mcast= or udp= is required"));
	assert_int_equal(nd("socket", "k0", "mcast=127.0.0.1:1234"), -1);
	assert_true(log_has("specified mcastaddr 127.0.0.1 (0x7f000001) does not contain a multicast address"));
	assert_int_equal(nd("socket", "k0", "udp=127.0.0.1:1234"), -1);
	assert_true(log_has("localaddr= is mandatory with udp="));
	assert_int_equal(nd("socket", "k0", "listen=:1234,localaddr=127.0.0.1:5"), -1);
	assert_true(log_has("localaddr= is only valid with mcast= or udp="));
	assert_int_equal(nd("socket", "k0", "connect=127.0.0.1"), -1);
	assert_true(log_has("host address '127.0.0.1' doesn't contain ':' separating host from port"));
	assert_int_equal(nd("socket", "k0", "connect=127.0.0.1:abc"), -1);
	assert_true(log_has("port number 'abc' is invalid"));
	assert_int_equal(nd("socket", "k0", "connect=300.1.1.1:5"), -1);
	assert_true(log_has("host address '300.1.1.1' is not a valid IPv4 address"));
	assert_int_equal(nd("socket", "k0", "connect=no.such.host.invalid:5"), -1);
	assert_true(log_has("can't resolve host address 'no.such.host.invalid'"));
	assert_int_equal(nd("socket", "k0", "fd=77x"), -1);
	assert_true(log_has("File descriptor named '77x' has not been found"));
	assert_int_equal(nd("socket", "k0", "listen=:1,foo=bar"), -1);
	assert_true(log_has("Invalid parameter 'foo'"));
	assert_int_equal(nd("socket", "k0", "fd=0"), -1);
	assert_true(log_has("not a socket"));
	char o[64];
	int port = free_port(SOCK_STREAM);
	snprintf(o, sizeof(o), "listen=127.0.0.1:%d", port);
	assert_int_equal(nd("socket", "k1", o), 0);
	assert_int_equal(nd("socket", "k2", o), -1);
	assert_true(log_has("can't bind ip=127.0.0.1:"));
	assert_true(log_has("Address already in use"));
	assert_null(net_client_find("k0"));
	/* connect= to nobody: no error at start-up (as QEMU), link down. */
	snprintf(o, sizeof(o), "connect=127.0.0.1:%d", free_port(SOCK_STREAM));
	assert_int_equal(nd("socket", "k3", o), 0);
	settle(50);
	vmm_lock();
	assert_true(net_client_find("k3")->link_down);
	vmm_unlock();
}

static void test_socket_listen_connect(void **state)
{
	char o[64];
	int port = free_port(SOCK_STREAM);
	struct tnic *a, *b;
	uint8_t f[1514];

	snprintf(o, sizeof(o), "listen=127.0.0.1:%d", port);
	assert_int_equal(nd("socket", "l", o), 0);
	snprintf(o, sizeof(o), "connect=127.0.0.1:%d", port);
	assert_int_equal(nd("socket", "c", o), 0);
	vmm_lock();
	a = tnic_attach("l", false);
	b = tnic_attach("c", false);
	assert_string_equal(net_client_find("l")->ops->type, "socket");
	vmm_unlock();
	assert_true(wait_for(link_is_up, "l", 3000));
	assert_true(wait_for(link_is_up, "c", 3000));
	for (unsigned i = 0; i < 10; i++) {
		frame_fill(f, sizeof(f) - i, i);
		LOCKED(nic_send(a->nc, f, sizeof(f) - i));
		LOCKED(nic_send(b->nc, f, sizeof(f) - i));
	}
	assert_true(wait_frames(a, 10, 3000));
	assert_true(wait_frames(b, 10, 3000));
	vmm_lock();
	for (unsigned i = 0; i < 10; i++) {
		frame_fill(f, sizeof(f) - i, i);
		assert_int_equal(a->len[i], sizeof(f) - i);
		assert_memory_equal(a->data[i], f, sizeof(f) - i);
		assert_memory_equal(b->data[i], f, sizeof(f) - i);
	}
	vmm_unlock();
	/* The client goes away: the server's link goes down (legacy: no reconnect). */
	vmm_lock();
	net_client_free(b->nc);
	b->nc = NULL;
	net_client_free(net_client_find("c"));
	vmm_unlock();
	for (int i = 0; i < 16; i++)
		if (tnics[i] == b) {
			tnic_reset(b);
			free(b);
			tnics[i] = NULL;
		}
	assert_true(wait_for(link_is_down, "l", 3000));
}

static void test_socket_udp(void **state)
{
	char o[128];
	int p1 = free_port(SOCK_DGRAM), p2 = free_port(SOCK_DGRAM);
	struct tnic *a, *b;
	uint8_t f[700];

	snprintf(o, sizeof(o), "udp=127.0.0.1:%d,localaddr=127.0.0.1:%d", p2, p1);
	assert_int_equal(nd("socket", "u1", o), 0);
	snprintf(o, sizeof(o), "udp=127.0.0.1:%d,localaddr=127.0.0.1:%d", p1, p2);
	assert_int_equal(nd("socket", "u2", o), 0);
	vmm_lock();
	a = tnic_attach("u1", false);
	b = tnic_attach("u2", false);
	assert_false(a->nc->link_down);
	vmm_unlock();
	frame_fill(f, sizeof(f), 9);
	LOCKED(nic_send(a->nc, f, sizeof(f)));
	assert_true(wait_frames(b, 1, 3000));
	LOCKED(nic_send(b->nc, f, 100));
	assert_true(wait_frames(a, 1, 3000));
	vmm_lock();
	assert_int_equal(b->len[0], sizeof(f));
	assert_memory_equal(b->data[0], f, sizeof(f));
	assert_int_equal(a->len[0], 100);
	vmm_unlock();
	/* A raw datagram is one frame, no header. */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p1),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(sendto(s, f, 321, 0, (struct sockaddr *)&to, sizeof(to)), 321);
	assert_true(wait_frames(a, 2, 3000));
	vmm_lock();
	assert_int_equal(a->len[1], 321);
	vmm_unlock();
	close(s);
}

static void test_socket_mcast(void **state)
{
	struct tnic *a, *b;
	uint8_t f[400];

	if (!have_netns) {
		printf("skipped: mcast test needs root for a private network namespace\n");
		return;
	}
	assert_int_equal(nd("socket", "m1", "mcast=239.192.168.1:1102,localaddr=127.0.0.1"), 0);
	assert_int_equal(nd("socket", "m2", "mcast=239.192.168.1:1102,localaddr=127.0.0.1"), 0);
	vmm_lock();
	a = tnic_attach("m1", false);
	b = tnic_attach("m2", false);
	vmm_unlock();
	frame_fill(f, sizeof(f), 4);
	LOCKED(nic_send(a->nc, f, sizeof(f)));
	assert_true(wait_frames(b, 1, 3000));
	/* IP_MULTICAST_LOOP: the sender sees its own frame too (as QEMU). */
	assert_true(wait_frames(a, 1, 3000));
	vmm_lock();
	assert_int_equal(b->len[0], sizeof(f));
	assert_memory_equal(b->data[0], f, sizeof(f));
	vmm_unlock();
	assert_int_equal(nd("socket", "m3", "mcast=239.1.1.1:5000,localaddr=bogus"), -1);
	assert_true(log_has("localaddr 'bogus' is not a valid IPv4 address"));
}

static void test_socket_fd(void **state)
{
	int sv[2], dv[2];
	char o[32];
	struct tnic *a, *b;
	uint8_t f[64], got[68];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, dv), 0);
	snprintf(o, sizeof(o), "fd=%d", sv[0]);
	assert_int_equal(nd("socket", "f1", o), 0);
	snprintf(o, sizeof(o), "fd=%d", dv[0]);
	assert_int_equal(nd("socket", "f2", o), 0);
	vmm_lock();
	a = tnic_attach("f1", false);
	b = tnic_attach("f2", false);
	vmm_unlock();
	frame_fill(f, sizeof(f), 1);
	LOCKED(nic_send(a->nc, f, sizeof(f)));
	assert_int_equal(read(sv[1], got, sizeof(got)), sizeof(got));
	assert_int_equal(got[3], sizeof(f));
	LOCKED(nic_send(b->nc, f, sizeof(f)));
	assert_int_equal(read(dv[1], got, sizeof(got)), sizeof(f));
	assert_int_equal(write(dv[1], f, 50), 50);
	assert_true(wait_frames(b, 1, 3000));
	close(sv[1]);
	close(dv[1]);
	assert_true(wait_for(link_is_down, "f1", 3000));
}

int main(void)
{
	have_netns = netns_with_lo_up();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket_option_errors, common_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_socket_listen_connect, common_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_socket_udp, common_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_socket_mcast, common_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_socket_fd, common_setup, common_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

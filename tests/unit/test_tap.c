/* -netdev tap and -netdev bridge: options and messages, scripts, frames
 * both ways through a real tap (in a private network namespace), vnet
 * headers, back-pressure, fd=, the reset hand-over, the bridge-helper
 * protocol. Needs root and /dev/net/tun; skipped with the reason otherwise.
 * This binary doubles as a fake bridge helper (argv[1] == "--use-vnet"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test_stream_common.h"
#include "net/checksum.h"
#include "net/tap.h"
#include "vm/runstate.h"

static char tmpdir[256];
static char self_exe[PATH_MAX];
static const char *skip_reason;

static void write_script(const char *name, const char *body, char *path, size_t len)
{
	FILE *f;
	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
}

static bool file_has(const char *path, const char *want)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return strstr(buf, want) != NULL;
}

static int tap_setup(void **state)
{
	return common_setup(state);
}

static void if_up(const char *name)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = { 0 };
	char path[128];
	FILE *f;

	/* No IPv6 autoconfiguration noise on the test interface. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	f = fopen(path, "w");
	if (f) {
		fputs("1", f);
		fclose(f);
	}
	assert_true(s >= 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
}

static int packet_socket(const char *ifname)
{
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct timeval tv = { .tv_sec = 2 };

	assert_true(s >= 0);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

/* Receive our test frame (ethertype 0x88b5) from a packet socket. */
static ssize_t packet_recv(int s, uint8_t *buf, size_t len)
{
	for (int i = 0; i < 50; i++) {
		ssize_t n = recv(s, buf, len, 0);
		if (n < 0)
			return -1;
		if (n >= 14 && buf[12] == 0x88 && buf[13] == 0xb5)
			return n;
	}
	return -1;
}

/* Frames with our ethertype received by t (skipping kernel chatter). */
static unsigned count_test_frames(struct tnic *t, size_t hdr)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->count && i < TNIC_MAX; i++)
		if (t->len[i] >= hdr + 14 && t->data[i][hdr + 12] == 0x88 && t->data[i][hdr + 13] == 0xb5)
			n++;
	return n;
}

struct ctf { struct tnic *t; size_t hdr; unsigned n; };
static bool has_test_frames(void *arg)
{
	struct ctf *c = arg;
	return count_test_frames(c->t, c->hdr) >= c->n;
}

/* Frames net core holds for c->t (wait_for() holds the lock). */
static bool has_queued(void *arg)
{
	struct ctf *c = arg;
	return c->t->nc->queue_len >= c->n;
}

/* Frames taken by c->t, counted past the ones it keeps. */
static bool has_frame_count(void *arg)
{
	struct ctf *c = arg;
	return c->t->count >= c->n;
}

/* ---- options and messages ------------------------------------------ */

static void test_tap_option_errors(void **state)
{
	assert_int_equal(nd("tap", "t0", "queues=2,script=no,downscript=no"), -1);
	assert_true(log_has("multiqueue required, but no kernel support for IFF_MULTI_QUEUE available"));
	assert_true(log_has("use queues=1"));
	assert_int_equal(nd("tap", "t0", "queues=0,script=no"), -1);
	assert_true(log_has("Parameter 'queues' expects a value between 1 and 1024"));
	assert_int_equal(nd("tap", "t0", "fd=3,ifname=tap0"), -1);
	assert_true(log_has("ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, fds=, "
			    "and vhostfds= are invalid with fd="));
	assert_int_equal(nd("tap", "t0", "helper=/bin/true,ifname=x"), -1);
	assert_true(log_has("are invalid with helper="));
	assert_int_equal(nd("tap", "t0", "fd=abc"), -1);
	assert_true(log_has("File descriptor named 'abc' has not been found"));
	assert_int_equal(nd("tap", "t0", "fd=987"), -1);
	assert_true(log_has("file descriptor 987 is not open"));
	assert_int_equal(nd("tap", "t0", "fd=0"), -1);
	assert_true(log_has("TUNGETIFF ioctl() failed"));
	assert_int_equal(nd("tap", "t0", "fds=3:4"), -1);
	assert_true(log_has("multiqueue required"));
	assert_int_equal(nd("tap", "t0", "vnet_hdr=maybe"), -1);
	assert_true(log_has("Parameter 'vnet_hdr' expects 'on' or 'off'"));
	assert_int_equal(nd("tap", "t0", "bogus=1"), -1);
	assert_true(log_has("Invalid parameter 'bogus'"));
	assert_int_equal(nd("tap", "t0", "sndbuf=lots"), -1);
	assert_true(log_has("sndbuf"));
	assert_int_equal(nd("tap", "t0", "vhost=on,script=no,downscript=no"), -1);
	assert_true(log_has("vhost-net requested but could not be initialized"));
	assert_int_equal(nd("tap", "t0", "vhostforce=on,script=no,downscript=no"), -1);
	assert_true(log_has("vhost-net requested but could not be initialized"));
	assert_int_equal(nd("tap", "t0", "vhostfd=5,script=no"), -1);
	assert_true(log_has("vhostfd=/vhostfds= cannot be used"));
	assert_null(net_client_find("t0"));
	/* vhost=off is fine. */
	assert_int_equal(nd("tap", "t0", "vhost=off,script=no,downscript=no,ifname=skt%d"), 0);
	assert_non_null(net_client_find("t0"));
}

static void test_tap_create_and_scripts(void **state)
{
	char up[PATH_MAX], down[PATH_MAX], upout[PATH_MAX], downout[PATH_MAX], opts[3 * PATH_MAX];
	char body[2 * PATH_MAX];
	struct net_client *nc;

	snprintf(upout, sizeof(upout), "%s/up.out", tmpdir);
	snprintf(downout, sizeof(downout), "%s/down.out", tmpdir);
	unlink(upout);
	unlink(downout);
	snprintf(body, sizeof(body), "echo \"up $1\" > %s", upout);
	write_script("up.sh", body, up, sizeof(up));
	snprintf(body, sizeof(body), "echo \"down $1\" > %s", downout);
	write_script("down.sh", body, down, sizeof(down));
	snprintf(opts, sizeof(opts), "ifname=sktscr%%d,script=%s,downscript=%s", up, down);
	assert_int_equal(nd("tap", "t1", opts), 0);
	nc = net_client_find("t1");
	assert_non_null(nc);
	assert_string_equal(nc->ops->type, "tap");
	assert_string_equal(tap_get_ifname(nc), "sktscr0");
	assert_true(file_has(upout, "up sktscr0"));
	assert_non_null(strstr(nc->info, "ifname=sktscr0,script="));
	assert_int_equal(access(downout, F_OK), -1);
	assert_true(if_nametoindex("sktscr0") > 0);
	loop_stop();
	net_cleanup();
	assert_true(file_has(downout, "down sktscr0"));
	/* Not persistent: gone with the fd. */
	assert_int_equal(if_nametoindex("sktscr0"), 0);
}

static void test_tap_script_fails(void **state)
{
	char bad[PATH_MAX], opts[2 * PATH_MAX];

	write_script("fail.sh", "exit 1", bad, sizeof(bad));
	snprintf(opts, sizeof(opts), "ifname=sktf0,script=%s,downscript=no", bad);
	assert_int_equal(nd("tap", "t2", opts), -1);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "network script %s failed with status 256", bad);
	assert_true(log_has(want));
	assert_null(net_client_find("t2"));
	assert_int_equal(if_nametoindex("sktf0"), 0);
	/* A missing script (the QEMU default /etc/qemu-ifup often is): status 256 and why. */
	snprintf(opts, sizeof(opts), "ifname=sktf0,script=%s/nonexistent,downscript=no", tmpdir);
	assert_int_equal(nd("tap", "t2", opts), -1);
	assert_true(log_has("failed with status 256"));
	assert_true(log_has("No such file or directory (script=no / downscript=no disable the scripts)"));
}

static void test_tap_busy_and_not_tap(void **state)
{
	int pfd[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		bool v = false;
		char name[IFNAMSIZ];
		int fd = tap_open("sktbusy", &v, false, name, sizeof(name));
		if (write(pfd[1], fd >= 0 ? "y" : "n", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(pfd[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(nd("tap", "t3", "ifname=sktbusy,script=no,downscript=no"), -1);
	assert_true(log_has("could not configure /dev/net/tun (sktbusy): Device or resource busy"));
	char want[64];
	snprintf(want, sizeof(want), "(pid %d)", (int)pid);
	assert_true(log_has(want));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	/* lo is not a tap. */
	assert_int_equal(nd("tap", "t3", "ifname=lo,script=no,downscript=no"), -1);
	assert_true(log_has("could not configure /dev/net/tun (lo): Invalid argument"));
	assert_true(log_has("not a tap device"));
}

/* ---- data path ------------------------------------------------------- */

static void test_tap_frames_both_ways(void **state)
{
	struct tnic *t;
	uint8_t f[1500], buf[2048];
	int ps;
	struct ctf c;

	assert_int_equal(nd("tap", "t4", "ifname=sktd0,script=no,downscript=no,vnet_hdr=off"), 0);
	vmm_lock();
	t = tnic_attach("t4", false);
	vmm_unlock();
	if_up("sktd0");
	ps = packet_socket("sktd0");
	/* NIC -> tap -> kernel. */
	frame_fill(f, sizeof(f), 1);
	LOCKED(assert_int_equal(net_send_buf(t->nc, f, sizeof(f)), sizeof(f)));
	ssize_t n = packet_recv(ps, buf, sizeof(buf));
	assert_int_equal(n, sizeof(f));
	assert_memory_equal(buf, f, sizeof(f));
	/* kernel -> tap -> NIC. */
	frame_fill(f, 200, 2);
	assert_int_equal(send(ps, f, 200, 0), 200);
	c = (struct ctf){ t, 0, 1 };
	assert_true(wait_for(has_test_frames, &c, 2000));
	vmm_lock();
	bool found = false;
	for (unsigned i = 0; i < t->count; i++)
		if (t->len[i] == 200 && !memcmp(t->data[i], f, 200))
			found = true;
	vmm_unlock();
	assert_true(found);
	close(ps);
}

/* A NIC that transmitted polls its tap (net.h ops->poll): what the host queued meanwhile is
 * delivered on the caller's thread at once, the event loop kept out by the big lock. With
 * SKIFF_TAP_POLL=off it waits for the loop. */
static void test_tap_poll_after_tx(void **state)
{
	struct tnic *t, *t2;
	uint8_t f[200];
	int ps, ps2;
	struct ctf c;

	assert_int_equal(nd("tap", "t9", "ifname=sktd9,script=no,downscript=no,vnet_hdr=off"), 0);
	setenv("SKIFF_TAP_POLL", "off", 1);
	assert_int_equal(nd("tap", "t10", "ifname=sktd10,script=no,downscript=no,vnet_hdr=off"), 0);
	unsetenv("SKIFF_TAP_POLL");
	vmm_lock();
	t = tnic_attach("t9", false);
	t2 = tnic_attach("t10", false);
	vmm_unlock();
	if_up("sktd9");
	if_up("sktd10");
	ps = packet_socket("sktd9");
	ps2 = packet_socket("sktd10");
	frame_fill(f, sizeof(f), 3);

	vmm_lock();
	usleep(30000);  /* poll reads only when nothing came in for 20 ms (not during a stream; the
			 * tap times it on the coarse clock, in ticks of 1-10 ms) */
	unsigned before = count_test_frames(t, 0), before2 = count_test_frames(t2, 0);
	assert_int_equal(send(ps, f, sizeof(f), 0), (ssize_t)sizeof(f));
	assert_int_equal(send(ps2, f, sizeof(f), 0), (ssize_t)sizeof(f));
	net_client_poll_peer(t->nc);
	net_client_poll_peer(t2->nc);
	assert_int_equal(count_test_frames(t, 0), before + 1);
	assert_int_equal(count_test_frames(t2, 0), before2);   /* off: left to the loop */
	vmm_unlock();
	c = (struct ctf){ t2, 0, before2 + 1 };
	assert_true(wait_for(has_test_frames, &c, 2000));
	/* A frame read just now (a stream coming in): the next poll leaves the next one to the
	 * event loop, which reads it in parallel with the vCPU. */
	vmm_lock();
	usleep(30000);
	before = count_test_frames(t, 0);
	assert_int_equal(send(ps, f, sizeof(f), 0), (ssize_t)sizeof(f));
	net_client_poll_peer(t->nc);
	assert_int_equal(count_test_frames(t, 0), before + 1);
	assert_int_equal(send(ps, f, sizeof(f), 0), (ssize_t)sizeof(f));
	net_client_poll_peer(t->nc);
	assert_int_equal(count_test_frames(t, 0), before + 1);
	vmm_unlock();
	c = (struct ctf){ t, 0, before + 2 };
	assert_true(wait_for(has_test_frames, &c, 2000));
	close(ps);
	close(ps2);
}

static void test_tap_vnet_hdr(void **state)
{
	struct tnic *t, *plain;
	uint8_t f[300], buf[2048], hf[310] = { 0 };
	int ps;
	struct ctf c;
	struct net_client *be;

	assert_int_equal(nd("tap", "t5", "ifname=sktv0,script=no,downscript=no,vnet_hdr=on"), 0);
	be = net_client_find("t5");
	assert_true(be->has_vnet_hdr);
	vmm_lock();
	t = tnic_attach("t5", true);
	vmm_unlock();
	assert_true(t->nc->using_vnet_hdr);
	if_up("sktv0");
	ps = packet_socket("sktv0");
	/* With the header negotiated, frames carry it both ways. */
	frame_fill(f, sizeof(f), 3);
	memcpy(hf + 10, f, sizeof(f));
	LOCKED(net_send_buf(t->nc, hf, sizeof(f) + 10));
	assert_int_equal(packet_recv(ps, buf, sizeof(buf)), sizeof(f));
	assert_memory_equal(buf, f, sizeof(f));
	assert_int_equal(send(ps, f, sizeof(f), 0), sizeof(f));
	c = (struct ctf){ t, 10, 1 };
	assert_true(wait_for(has_test_frames, &c, 2000));
	vmm_lock();
	for (unsigned i = 0; i < t->count; i++)
		if (t->len[i] == sizeof(f) + 10) {
			struct virtio_net_hdr *h = (void *)t->data[i];
			assert_int_equal(h->gso_type, VIRTIO_NET_HDR_GSO_NONE);
			assert_memory_equal(t->data[i] + 10, f, sizeof(f));
		}
	vmm_unlock();
	close(ps);

	/* A peer without headers: the tap strips/prepends them itself. */
	assert_int_equal(nd("tap", "t6", "ifname=sktv1,script=no,downscript=no"), 0);
	vmm_lock();
	plain = tnic_attach("t6", false);
	vmm_unlock();
	assert_false(plain->nc->using_vnet_hdr);
	if_up("sktv1");
	ps = packet_socket("sktv1");
	LOCKED(net_send_buf(plain->nc, f, sizeof(f)));
	assert_int_equal(packet_recv(ps, buf, sizeof(buf)), sizeof(f));
	assert_memory_equal(buf, f, sizeof(f));
	assert_int_equal(send(ps, f, sizeof(f), 0), sizeof(f));
	c = (struct ctf){ plain, 0, 1 };
	assert_true(wait_for(has_test_frames, &c, 2000));
	close(ps);
}

/* TSO on the tap (ETHTOOL_GTSO: what the host stack sees of it). */
static int tap_tso(const char *ifname)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GTSO };
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0), r;

	assert_true(s >= 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_data = (char *)&ev;
	r = ioctl(s, SIOCETHTOOL, &ifr);
	close(s);
	return r < 0 ? -1 : (int)ev.data;
}

#define GSO_PORT 5299
#define GSO_SEGS 5
#define GSO_MSS 1000

/* Frames of our GSO test flow (IPv4, TCP to GSO_PORT) the NIC took. */
static unsigned count_gso_frames(struct tnic *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->count && i < TNIC_MAX; i++)
		if (t->len[i] >= 10 + 54 && t->data[i][10 + 23] == 6 &&
		    (t->data[i][10 + 36] << 8 | t->data[i][10 + 37]) == GSO_PORT)
			n++;
	return n;
}

static bool has_gso_frames(void *arg)
{
	return count_gso_frames(arg) >= GSO_SEGS;
}

/* The host's TCP packets reach a header-taking NIC as frames either way: whole through the
 * tap (TUN_F_TSO4, cut by skiff) or, with SKIFF_TAP_GSO=off, cut by the host kernel. A
 * packet socket with PACKET_VNET_HDR puts a TSO packet on the tap's transmit path, as the
 * host's TCP does. */
static void test_tap_gso(void **state)
{
	for (int off = 0; off < 2; off++) {
		const char *id = off ? "t12" : "t11", *ifname = off ? "sktg1" : "sktg0";
		uint8_t pkt[10 + 54 + GSO_SEGS * GSO_MSS] = { 0 }, *f = pkt + 10;
		struct virtio_net_hdr *vh = (void *)pkt;
		size_t payload = GSO_SEGS * GSO_MSS, got = 0;
		char opts[96];
		struct tnic *t;
		uint32_t sum;
		int ps, one = 1;

		snprintf(opts, sizeof(opts), "ifname=%s,script=no,downscript=no,vnet_hdr=on", ifname);
		if (off)
			setenv("SKIFF_TAP_GSO", "off", 1);
		assert_int_equal(nd("tap", id, opts), 0);
		unsetenv("SKIFF_TAP_GSO");
		vmm_lock();
		t = tnic_attach(id, true);
		vmm_unlock();
		if_up(ifname);
		/* The tap sets its offloads at its first frame either way. */
		memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x54\x00\xab\xcd\xef\x88\xb5", 14);
		LOCKED(net_send_buf(t->nc, pkt, 10 + 60));
		assert_int_equal(tap_tso(ifname), off ? 0 : 1);

		memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x54\x00\xab\xcd\xef\x08\x00", 14);
		f[14] = 0x45;
		f[16] = (uint8_t)((40 + payload) >> 8);
		f[17] = (uint8_t)(40 + payload);
		f[22] = 64;
		f[23] = 6;
		memcpy(f + 26, "\xc0\xa8\x0b\x21\xc0\xa8\x0b\x02", 8);
		sum = csum_add(0, f + 14, 20);
		f[24] = (uint8_t)(~csum_fold(sum) >> 8);
		f[25] = (uint8_t)~csum_fold(sum);
		f[36] = GSO_PORT >> 8;
		f[37] = GSO_PORT & 0xFF;
		f[46] = 5 << 4;
		f[47] = 0x18;   /* ACK PSH */
		f[48] = 0x10;
		for (size_t i = 0; i < payload; i++)
			f[54 + i] = (uint8_t)(i * 13 + i / 256);
		sum = csum_add(0, f + 26, 8) + 6 + 20 + (uint32_t)payload;
		f[50] = (uint8_t)(csum_fold(sum) >> 8);
		f[51] = (uint8_t)csum_fold(sum);
		vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh->hdr_len = 54;
		vh->gso_size = GSO_MSS;
		vh->csum_start = 34;
		vh->csum_offset = 16;
		ps = packet_socket(ifname);
		assert_int_equal(setsockopt(ps, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)), 0);
		assert_int_equal(send(ps, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
		assert_true(wait_for(has_gso_frames, t, 2000));

		vmm_lock();
		for (unsigned i = 0; i < t->count; i++) {
			uint8_t *d = t->data[i], *g = d + 10;
			struct virtio_net_hdr *h = (void *)d;
			size_t len = t->len[i] - 10;

			if (t->len[i] < 10 + 54 || g[23] != 6 || (g[36] << 8 | g[37]) != GSO_PORT)
				continue;
			assert_int_equal(h->gso_type, VIRTIO_NET_HDR_GSO_NONE);
			assert_int_equal(len, 54 + GSO_MSS);
			if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
				csum_complete(g, len, h->csum_start, h->csum_offset);
			assert_int_equal(csum_fold(csum_add(0, g + 14, 20)), 0xFFFF);
			sum = csum_add(0, g + 26, 8) + 6 + (uint32_t)(len - 34);
			assert_int_equal(csum_fold(csum_add(sum, g + 34, len - 34)), 0xFFFF);
			assert_int_equal((uint32_t)(g[38] << 24 | g[39] << 16 | g[40] << 8 | g[41]), got);
			assert_memory_equal(g + 54, f + 54 + got, GSO_MSS);
			got += GSO_MSS;
		}
		vmm_unlock();
		assert_int_equal(got, payload);
		close(ps);
	}
}

/* The NIC is full: the tap reads ahead into net core's queue up to SKIFF_TAP_AHEAD bytes
 * (ahead; NULL: the default, 384 KiB), then stops reading; the frames left in the tap come
 * after the queued ones, in order, once the NIC takes frames again. */
static void tap_backpressure(const char *id, const char *ifname, const char *ahead,
			     unsigned frames, unsigned want_queued)
{
	struct tnic *t;
	uint8_t f[100];
	char opts[96];
	int ps;
	struct ctf c;

	snprintf(opts, sizeof(opts), "ifname=%s,script=no,downscript=no,vnet_hdr=off", ifname);
	if (ahead)
		setenv("SKIFF_TAP_AHEAD", ahead, 1);
	assert_int_equal(nd("tap", id, opts), 0);
	unsetenv("SKIFF_TAP_AHEAD");
	vmm_lock();
	t = tnic_attach(id, false);
	t->full = true;
	vmm_unlock();
	if_up(ifname);
	ps = packet_socket(ifname);
	for (unsigned i = 0; i < frames; i++) {
		frame_fill(f, sizeof(f), 10 + i);
		f[14] = (uint8_t)i;   /* the order they must arrive in */
		assert_int_equal(send(ps, f, sizeof(f), 0), sizeof(f));
	}
	/* The tap reads them (up to its limit) on the event-loop thread: wait for that, then a
	 * little longer for any it should not have read. */
	c = (struct ctf){ t, 0, want_queued };
	assert_true(wait_for(has_queued, &c, 2000));
	settle(50);
	vmm_lock();
	assert_int_equal(t->count, 0);
	assert_int_equal(t->nc->queue_len, want_queued);
	assert_int_equal(t->nc->queue_bytes, want_queued * sizeof(f));
	vmm_unlock();
	LOCKED(t->full = false; net_client_flush(t->nc));
	/* All of them (the tnic keeps the first TNIC_MAX, counts the rest; the order is checked
	 * for those it keeps). */
	c = (struct ctf){ t, 0, frames < TNIC_MAX ? frames : TNIC_MAX };
	assert_true(wait_for(has_test_frames, &c, 2000));
	c.n = frames;
	assert_true(wait_for(has_frame_count, &c, 2000));
	vmm_lock();
	assert_int_equal(t->count, frames);
	for (unsigned i = 0, k = 0; i < t->count && i < TNIC_MAX; i++)
		if (t->len[i] == sizeof(f) && t->data[i][12] == 0x88 && t->data[i][13] == 0xb5)
			assert_int_equal(t->data[i][14], (uint8_t)k++);
	assert_int_equal(t->nc->queue_len, 0);
	vmm_unlock();
	close(ps);
}

static void test_tap_backpressure(void **state)
{
	/* Read-ahead off: one frame queued, then the tap stops reading (as before). */
	tap_backpressure("t7", "sktb0", "off", 5, 1);
	/* A 1000-byte read-ahead: ten 100-byte frames queued, the other 20 wait in the tap. */
	tap_backpressure("t13", "sktb1", "1000", 30, 10);
	/* The default (384 KiB) takes all 40 (4000 bytes). */
	tap_backpressure("t14", "sktb2", NULL, 40, 40);
	/* The frame cap: 300 small frames stop at 256 however few bytes they hold. */
	tap_backpressure("t15", "sktb3", NULL, 300, 256);
}

static void test_tap_fd(void **state)
{
	bool v = false;
	char name[IFNAMSIZ], opts[64];
	int fd = tap_open("sktfd0", &v, false, name, sizeof(name));
	struct net_client *nc;

	assert_true(fd >= 0);
	snprintf(opts, sizeof(opts), "fd=%d", fd);
	assert_int_equal(nd("tap", "t8", opts), 0);
	nc = net_client_find("t8");
	assert_int_equal(tap_get_fd(nc), fd);
	assert_string_equal(tap_get_ifname(nc), "sktfd0");
	snprintf(opts, sizeof(opts), "fd=%d", fd);
	assert_string_equal(nc->info, opts);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

/* A guest reset re-executes skiff: the tap and its fd survive, no scripts run. */
static void test_tap_reset_handover(void **state)
{
	char up[PATH_MAX], down[PATH_MAX], upout[PATH_MAX], downout[PATH_MAX];
	char body[2 * PATH_MAX], opts[3 * PATH_MAX], val[64];
	const char *env;
	int fd;

	snprintf(upout, sizeof(upout), "%s/rup.out", tmpdir);
	snprintf(downout, sizeof(downout), "%s/rdown.out", tmpdir);
	unlink(upout);
	unlink(downout);
	snprintf(body, sizeof(body), "echo \"up $1\" >> %s", upout);
	write_script("rup.sh", body, up, sizeof(up));
	snprintf(body, sizeof(body), "echo \"down $1\" >> %s", downout);
	write_script("rdown.sh", body, down, sizeof(down));
	snprintf(opts, sizeof(opts), "ifname=sktr0,script=%s,downscript=%s", up, down);
	assert_int_equal(nd("tap", "net0", opts), 0);
	fd = tap_get_fd(net_client_find("net0"));
	assert_true(file_has(upout, "up sktr0"));

	loop_stop();
	runstate_request(RUNSTATE_RESET);
	net_cleanup();
	runstate_clear();
	env = getenv(TAP_ENV_PREFIX "net0");
	assert_non_null(env);
	snprintf(val, sizeof(val), "%d:sktr0", fd);
	assert_string_equal(env, val);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(access(downout, F_OK), -1);
	assert_true(if_nametoindex("sktr0") > 0);

	/* "The new image": same command line, SKIFF_REBOOTED=1. */
	unlink(upout);
	setenv("SKIFF_REBOOTED", "1", 1);
	loop_start();
	assert_int_equal(nd("tap", "net0", opts), 0);
	unsetenv("SKIFF_REBOOTED");
	assert_int_equal(tap_get_fd(net_client_find("net0")), fd);
	assert_null(getenv(TAP_ENV_PREFIX "net0"));
	assert_int_equal(access(upout, F_OK), -1);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* Final exit: the down-script runs once. */
	loop_stop();
	net_cleanup();
	assert_true(file_has(downout, "down sktr0"));
	assert_int_equal(if_nametoindex("sktr0"), 0);
}

/* A stale hand-over variable (fd not a tap any more) is ignored. */
static void test_tap_stale_handover(void **state)
{
	setenv(TAP_ENV_PREFIX "net1", "0:sktgone", 1);
	setenv("SKIFF_REBOOTED", "1", 1);
	assert_int_equal(nd("tap", "net1", "ifname=sktst0,script=no,downscript=no"), 0);
	unsetenv("SKIFF_REBOOTED");
	assert_null(getenv(TAP_ENV_PREFIX "net1"));
	assert_string_equal(tap_get_ifname(net_client_find("net1")), "sktst0");
}

/* ---- bridge / helper protocol ------------------------------------------ */

static int fake_helper(int argc, char **argv)
{
	int fd = -1;
	const char *br = "";
	bool vnet = false;
	char name[IFNAMSIZ];

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--fd=", 5))
			fd = atoi(argv[i] + 5);
		else if (!strncmp(argv[i], "--br=", 5))
			br = argv[i] + 5;
		else if (!strcmp(argv[i], "--use-vnet"))
			vnet = true;
	}
	if (!strcmp(br, "denied")) {
		fprintf(stderr, "access denied by acl file\n");
		return 1;
	}
	if (!strcmp(br, "nofd"))
		return 0;
	int tfd = tap_open("sktbr%d", &vnet, false, name, sizeof(name));
	if (tfd < 0)
		return 1;
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof(u.b) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &tfd, sizeof(int));
	return sendmsg(fd, &m, 0) == 1 ? 0 : 1;
}

static void test_bridge_helper_protocol(void **state)
{
	char opts[PATH_MAX + 64];
	struct net_client *nc;

	snprintf(opts, sizeof(opts), "br=brx,helper=%s", self_exe);
	assert_int_equal(nd("bridge", "b0", opts), 0);
	nc = net_client_find("b0");
	assert_non_null(nc);
	assert_string_equal(nc->ops->type, "tap");
	assert_non_null(strstr(tap_get_ifname(nc), "sktbr"));
	assert_true(nc->has_vnet_hdr);
	snprintf(opts, sizeof(opts), "helper=%s,br=brx", self_exe);
	assert_string_equal(nc->info, opts);

	/* tap,helper= is the same thing. */
	snprintf(opts, sizeof(opts), "helper=%s", self_exe);
	assert_int_equal(nd("tap", "b1", opts), 0);

	snprintf(opts, sizeof(opts), "br=denied,helper=%s", self_exe);
	assert_int_equal(nd("bridge", "b2", opts), -1);
	assert_true(log_has("bridge helper failed"));
	assert_true(log_has("'allow denied'"));
	snprintf(opts, sizeof(opts), "br=nofd,helper=%s", self_exe);
	assert_int_equal(nd("bridge", "b2", opts), -1);
	assert_true(log_has("failed to recv file descriptor"));
	assert_int_equal(nd("bridge", "b2", "helper=/nonexistent/helper"), -1);
	assert_true(log_has("bridge helper failed"));
	assert_true(log_has("cannot run '/nonexistent/helper': No such file or directory"));
	assert_int_equal(nd("bridge", "b2", "br=br0,foo=1"), -1);
	assert_true(log_has("Invalid parameter 'foo'"));
	assert_int_equal(nd("bridge", "b2", "br=averyveryverylongbridgename"), -1);
	assert_null(net_client_find("b2"));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--use-vnet"))
		return fake_helper(argc, argv);
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n > 0)
		self_exe[n] = 0;
	if (geteuid() != 0)
		skip_reason = "tap tests need root (CAP_NET_ADMIN to create taps)";
	else if (access("/dev/net/tun", R_OK | W_OK) != 0)
		skip_reason = "/dev/net/tun is missing (modprobe tun)";
	else if (unshare(CLONE_NEWNET) != 0)
		skip_reason = "cannot create a private network namespace";
	if (skip_reason) {
		printf("[  SKIPPED ] test_tap: %s\n", skip_reason);
		return 0;
	}
	if (!scratch_dir_make(tmpdir, sizeof(tmpdir), "tap"))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tap_option_errors, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_create_and_scripts, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_script_fails, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_busy_and_not_tap, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_frames_both_ways, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_poll_after_tx, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_vnet_hdr, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_gso, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_backpressure, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_fd, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_reset_handover, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_tap_stale_handover, tap_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_bridge_helper_protocol, tap_setup, common_teardown),
	};
	return scratch_dir_remove(tmpdir, cmocka_run_group_tests(tests, NULL, NULL));
}

/* -netdev user option grammar: every key, defaults, QEMU's error texts,
 * hostfwd/guestfwd rule parsing, the port-in-use and smbd messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "cli/keyval.h"
#include "net/net.h"
#include "net/slirp.h"
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
	net_client_free_all();
	el_fini();
	return 0;
}

/* Parse opts; returns slirp_params_parse's result, params left in *p. */
static int parse(const char *str, struct slirp_params *p)
{
	struct kvlist l = { 0 };
	int r;

	log_clear();
	assert_int_equal(kvlist_parse(&l, str, NULL), 0);
	r = slirp_params_parse(&l, p);
	kvlist_free(&l);
	return r;
}

static const char *ip4(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int i;
	i = (i + 1) % 4;
	inet_ntop(AF_INET, &a, buf[i], sizeof(buf[i]));
	return buf[i];
}

static const char *ip6(const struct in6_addr *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int i;
	i = (i + 1) % 4;
	inet_ntop(AF_INET6, a, buf[i], sizeof(buf[i]));
	return buf[i];
}

/* Expect failure with exactly this message. */
static void expect_err(const char *opts, const char *msg)
{
	struct slirp_params p;
	char want[512];

	if (parse(opts, &p) != -1)
		fail_msg("opts '%s' accepted", opts);
	slirp_params_free(&p);
	snprintf(want, sizeof(want), "skiff: %s\n", msg);
	if (strcmp(logbuf, want))
		fail_msg("opts '%s': got '%s', want '%s'", opts, logbuf, want);
}

static void test_defaults(void **state)
{
	struct slirp_params p;

	assert_int_equal(parse("", &p), 0);
	assert_string_equal(ip4(p.net), "10.0.2.0");
	assert_string_equal(ip4(p.mask), "255.255.255.0");
	assert_string_equal(ip4(p.host), "10.0.2.2");
	assert_string_equal(ip4(p.dns), "10.0.2.3");
	assert_string_equal(ip4(p.dhcp), "10.0.2.15");
	assert_string_equal(ip4(p.smbsrv), "10.0.2.4");
	assert_true(p.ipv4);
	assert_true(p.ipv6);
	assert_false(p.restricted);
	assert_string_equal(ip6(&p.prefix6), "fec0::");
	assert_int_equal(p.prefix6_len, 64);
	assert_string_equal(ip6(&p.host6), "fec0::2");
	assert_string_equal(ip6(&p.dns6), "fec0::3");
	assert_int_equal(p.mtu, 0);
	assert_null(p.hostname);
	assert_int_equal(p.nr_hostfwd + p.nr_guestfwd + p.nr_dnssearch, 0);
	assert_string_equal(logbuf, "");
	slirp_params_free(&p);
}

static void test_every_key(void **state)
{
	struct slirp_params p;

	assert_int_equal(parse("net=192.168.50.0/24,host=192.168.50.1,dhcpstart=192.168.50.100,"
			       "dns=192.168.50.53,ipv4=on,ipv6=on,ipv6-net=fd00:1::/48,"
			       "ipv6-host=fd00:1::1,ipv6-dns=fd00:1::35,restrict=on,"
			       "hostname=guest1,domainname=example.test,dnssearch=a.test,"
			       "dnssearch=b.test,tftp=/srv/tftp,tftp-server-name=tftp.test,"
			       "bootfile=pxelinux.0,hostfwd=tcp::2222-:22,hostfwd=udp:127.0.0.1:5353-:53,"
			       "guestfwd=tcp:10.0.2.100:1234-cmd:cat,smbserver=192.168.50.4,mtu=65520", &p), 0);
	assert_string_equal(logbuf, "");
	assert_string_equal(ip4(p.net), "192.168.50.0");
	assert_string_equal(ip4(p.host), "192.168.50.1");
	assert_string_equal(ip4(p.dhcp), "192.168.50.100");
	assert_string_equal(ip4(p.dns), "192.168.50.53");
	assert_string_equal(ip4(p.smbsrv), "192.168.50.4");
	assert_string_equal(ip6(&p.prefix6), "fd00:1::");
	assert_int_equal(p.prefix6_len, 48);
	assert_string_equal(ip6(&p.host6), "fd00:1::1");
	assert_string_equal(ip6(&p.dns6), "fd00:1::35");
	assert_true(p.restricted);
	assert_string_equal(p.hostname, "guest1");
	assert_string_equal(p.domainname, "example.test");
	assert_int_equal(p.nr_dnssearch, 2);
	assert_string_equal(p.dnssearch[1], "b.test");
	assert_null(p.dnssearch[2]);
	assert_string_equal(p.tftp, "/srv/tftp");
	assert_string_equal(p.tftp_server_name, "tftp.test");
	assert_string_equal(p.bootfile, "pxelinux.0");
	assert_int_equal(p.nr_hostfwd, 2);
	assert_string_equal(p.hostfwd[1], "udp:127.0.0.1:5353-:53");
	assert_int_equal(p.nr_guestfwd, 1);
	assert_int_equal(p.mtu, 65520);
	slirp_params_free(&p);

	/* QAPI spellings and the legacy ip= alias. */
	assert_int_equal(parse("ipv6-prefix=fd00::,ipv6-prefixlen=56,ip=172.20.0.0", &p), 0);
	assert_int_equal(p.prefix6_len, 56);
	assert_string_equal(ip4(p.net), "172.20.0.0");
	assert_string_equal(ip4(p.mask), "255.255.255.0");
	assert_string_equal(ip4(p.dhcp), "172.20.0.15");
	slirp_params_free(&p);
	assert_int_equal(parse("smb=/tmp", &p), 0);
	assert_string_equal(p.smb, "/tmp");
	slirp_params_free(&p);
}

/* net= without a mask: QEMU's classful guess; defaults from the low 16 bits. */
static void test_net_classful(void **state)
{
	struct slirp_params p;

	assert_int_equal(parse("net=10.0.3.0", &p), 0);
	assert_string_equal(ip4(p.net), "10.0.0.0");
	assert_string_equal(ip4(p.mask), "255.0.0.0");
	assert_string_equal(ip4(p.host), "10.0.2.2");
	assert_string_equal(ip4(p.dhcp), "10.0.2.15");
	slirp_params_free(&p);
	assert_int_equal(parse("net=192.168.76.0", &p), 0);
	assert_string_equal(ip4(p.mask), "255.255.0.0");
	assert_string_equal(ip4(p.dhcp), "192.168.2.15");
	slirp_params_free(&p);
	assert_int_equal(parse("net=172.17.1.0", &p), 0);
	assert_string_equal(ip4(p.mask), "255.240.0.0");
	slirp_params_free(&p);
	assert_int_equal(parse("net=192.168.76.0/24", &p), 0);
	assert_string_equal(ip4(p.host), "192.168.76.2");
	assert_string_equal(ip4(p.dns), "192.168.76.3");
	slirp_params_free(&p);
	assert_int_equal(parse("net=10.9.0.0/255.255.0.0", &p), 0);
	assert_string_equal(ip4(p.mask), "255.255.0.0");
	assert_string_equal(ip4(p.dhcp), "10.9.2.15");
	slirp_params_free(&p);
	/* Host bits in net= are masked off. */
	assert_int_equal(parse("net=10.0.2.77/24", &p), 0);
	assert_string_equal(ip4(p.net), "10.0.2.0");
	slirp_params_free(&p);
}

static void test_ip_families(void **state)
{
	struct slirp_params p;

	assert_int_equal(parse("ipv6=on", &p), 0);      /* v6 alone turns v4 off */
	assert_false(p.ipv4);
	assert_true(p.ipv6);
	slirp_params_free(&p);
	assert_int_equal(parse("ipv4=on", &p), 0);
	assert_true(p.ipv4);
	assert_false(p.ipv6);
	slirp_params_free(&p);
	assert_int_equal(parse("ipv4=on,ipv6=on", &p), 0);
	assert_true(p.ipv4 && p.ipv6);
	slirp_params_free(&p);
	assert_int_equal(parse("ipv6=off", &p), 0);
	assert_true(p.ipv4);
	assert_false(p.ipv6);
	slirp_params_free(&p);
	expect_err("ipv4=off,ipv6=off", "IPv4 and IPv6 disabled");
	expect_err("ipv6=on,net=10.1.0.0/16", "IPv4 disabled but netmask/host/dns provided");
	expect_err("ipv4=off,dns=10.0.2.9", "IPv4 disabled but netmask/host/dns provided");
	expect_err("ipv4=on,ipv6-host=fec0::9", "IPv6 disabled but prefix/host6/dns6 provided");
	expect_err("ipv6=off,ipv6-net=fd00::/64", "IPv6 disabled but prefix/host6/dns6 provided");
}

static void test_errors(void **state)
{
	expect_err("net=10.0.2.x", "Failed to parse netmask");
	expect_err("net=nope/24", "Failed to parse netmask");
	expect_err("net=10.0.2.0/33", "Invalid netmask provided (must be in range 4-32)");
	expect_err("net=10.0.2.0/3", "Invalid netmask provided (must be in range 4-32)");
	expect_err("net=10.0.2.0/24x", "Failed to parse netmask (trailing chars)");
	expect_err("host=10.0.2.x", "Failed to parse host");
	expect_err("host=10.0.3.2", "Host doesn't belong to network");
	expect_err("dns=bad", "Failed to parse DNS");
	expect_err("dns=10.0.2.2", "DNS must be different from host");
	expect_err("restrict=on,dns=8.8.8.8", "DNS doesn't belong to network");
	expect_err("dhcpstart=zz", "Failed to parse DHCP start address");
	expect_err("dhcpstart=10.0.9.15", "DHCP doesn't belong to network");
	expect_err("dhcpstart=10.0.2.2", "DHCP must be different from host and DNS");
	expect_err("dhcpstart=10.0.2.3", "DHCP must be different from host and DNS");
	expect_err("ipv6-net=fec0::zz", "Failed to parse IPv6 prefix");
	expect_err("ipv6-net=fec0::/abc", "Parameter 'ipv6-prefixlen' expects a number");
	expect_err("ipv6-net=fec0::/127",
		   "Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)");
	expect_err("ipv6-host=fec0::g", "Failed to parse IPv6 host");
	expect_err("ipv6-host=fd00::2", "IPv6 Host doesn't belong to network");
	expect_err("ipv6-dns=::x", "Failed to parse IPv6 DNS");
	expect_err("restrict=on,ipv6-dns=2001:db8::1", "IPv6 DNS doesn't belong to network");
	expect_err("restrict=maybe", "Parameter 'restrict' expects 'on' or 'off'");
	expect_err("ipv4=2", "Parameter 'ipv4' expects 'on' or 'off'");
	expect_err("domainname=", "'domainname' parameter cannot be empty");
	char big[400] = "domainname=";
	memset(big + strlen(big), 'a', 300);
	expect_err(big, "'domainname' parameter cannot exceed 255 bytes");
	memcpy(big, "hostname=  ", 11);
	big[8] = '=';
	memmove(big + 9, big + 11, strlen(big + 11) + 1);
	expect_err(big, "'vhostname' parameter cannot exceed 255 bytes");
	char big2[400] = "tftp-server-name=";
	memset(big2 + strlen(big2), 'b', 300);
	expect_err(big2, "'tftp-server-name' parameter cannot exceed 255 bytes");
	expect_err("smbserver=1.2.3.x", "Failed to parse SMB address");
	expect_err("foo=bar", "Invalid parameter 'foo'");
	expect_err("mtu=67", "Parameter 'mtu' expects a value between 68 and 65520 "
		   "(65520 gives the best throughput)");
	expect_err("mtu=65521", "Parameter 'mtu' expects a value between 68 and 65520 "
		   "(65520 gives the best throughput)");
	expect_err("mtu=big", "Parameter 'mtu' expects a non-negative number below 2^64");
	expect_err("hostfwd=tcp::99999-:22", "Invalid host forwarding rule 'tcp::99999-:22' (Bad host port)");
	expect_err("guestfwd=tcp:10.0.2.100-cmd:cat", "Invalid guest forwarding rule 'tcp:10.0.2.100-cmd:cat'");
}

static void hf_ok(const char *rule, struct slirp_hostfwd *f)
{
	const char *why = NULL;
	if (slirp_hostfwd_parse(rule, f, &why) < 0)
		fail_msg("'%s' rejected: %s", rule, why);
}

static void hf_bad(const char *rule, const char *reason)
{
	struct slirp_hostfwd f;
	const char *why = NULL;
	if (slirp_hostfwd_parse(rule, &f, &why) == 0)
		fail_msg("'%s' accepted", rule);
	if (strcmp(why, reason))
		fail_msg("'%s': got '%s', want '%s'", rule, why, reason);
}

static void test_hostfwd(void **state)
{
	struct slirp_hostfwd f;
	struct sockaddr_in *h4 = (struct sockaddr_in *)&f.host, *g4 = (struct sockaddr_in *)&f.guest;
	struct sockaddr_in6 *h6 = (struct sockaddr_in6 *)&f.host, *g6 = (struct sockaddr_in6 *)&f.guest;

	hf_ok("tcp::2222-:22", &f);
	assert_false(f.udp);
	assert_int_equal(f.host.ss_family, AF_INET);
	assert_int_equal(h4->sin_addr.s_addr, htonl(INADDR_ANY));   /* empty = all */
	assert_int_equal(ntohs(h4->sin_port), 2222);
	assert_true(f.guest_addr_empty);                            /* = first DHCP address */
	assert_int_equal(ntohs(g4->sin_port), 22);

	hf_ok(":127.0.0.1:8080-10.0.2.20:80", &f);                  /* empty proto = tcp */
	assert_false(f.udp);
	assert_string_equal(ip4(h4->sin_addr), "127.0.0.1");
	assert_false(f.guest_addr_empty);
	assert_string_equal(ip4(g4->sin_addr), "10.0.2.20");

	hf_ok("udp:127.0.0.1:5353-:53", &f);
	assert_true(f.udp);
	hf_ok("tcp::0-:1", &f);                                     /* 0 = kernel picks */
	hf_ok("tcp::0x10-:0x50", &f);                               /* QEMU parses base 0 */
	assert_int_equal(ntohs(h4->sin_port), 16);

	hf_ok("tcp:[::1]:8080-:80", &f);                            /* beyond QEMU: IPv6 host */
	assert_int_equal(f.host.ss_family, AF_INET6);
	assert_string_equal(ip6(&h6->sin6_addr), "::1");
	assert_int_equal(ntohs(h6->sin6_port), 8080);
	assert_int_equal(f.guest.ss_family, AF_INET);
	hf_ok("tcp:[]:8080-[fec0::15]:80", &f);
	assert_string_equal(ip6(&h6->sin6_addr), "::");
	assert_int_equal(f.guest.ss_family, AF_INET6);
	assert_string_equal(ip6(&g6->sin6_addr), "fec0::15");
	assert_int_equal(ntohs(g6->sin6_port), 80);

	hf_ok("unix:/tmp/skiff_test_nonexistent.sock-:22", &f);
	assert_int_equal(f.host.ss_family, AF_UNIX);
	assert_string_equal(((struct sockaddr_un *)&f.host)->sun_path, "/tmp/skiff_test_nonexistent.sock");

	hf_bad("tcp", "No : separators");
	hf_bad("sctp::1-:2", "Bad protocol name");
	hf_bad("tcp:127.0.0.1", "Missing : separator");
	hf_bad("tcp:1.2.3.x:80-:80", "Bad host address");
	hf_bad("tcp:[::g]:80-:80", "Bad host address");
	hf_bad("tcp:[::1]80-:80", "Missing : separator");
	hf_bad("tcp:127.0.0.1:2222", "Bad host port separator");
	hf_bad("tcp::99999-:22", "Bad host port");
	hf_bad("tcp::-1-:22", "Bad host port");
	hf_bad("tcp::x-:22", "Bad host port");
	hf_bad("tcp::-:22", "Bad host port");
	hf_bad("tcp::22-22", "Missing guest address");
	hf_bad("tcp::22-10.0.2.256:22", "Bad guest address");
	hf_bad("tcp::22-:0", "Bad guest port");
	hf_bad("tcp::22-:65536", "Bad guest port");
	hf_bad("tcp::22-:", "Bad guest port");
	hf_bad("tcp::22-:22x", "Bad guest port");
	hf_bad("unix:-:22", "Missing unix socket path");
	hf_bad("unix:rel.sock-:22", "unix socket path must be absolute");
	hf_bad("unix:/tmp/x.sock", "Missing - separator");
	hf_bad("unix:/etc/passwd-:22", "file exists and it's not unix socket");
	char longp[200] = "unix:/";
	memset(longp + 6, 'a', 150);
	strcat(longp, "-:22");
	hf_bad(longp, "Unix socket path is too long");
}

static void test_guestfwd(void **state)
{
	struct slirp_guestfwd g;

	assert_int_equal(slirp_guestfwd_parse("tcp:10.0.2.100:1234-cmd:netcat 127.0.0.1 22", &g), 0);
	assert_string_equal(ip4(g.server), "10.0.2.100");
	assert_int_equal(g.port, 1234);
	assert_string_equal(g.target, "cmd:netcat 127.0.0.1 22");
	assert_int_equal(slirp_guestfwd_parse(":10.0.2.100:80-tcp:127.0.0.1:8080", &g), 0);
	assert_string_equal(g.target, "tcp:127.0.0.1:8080");
	assert_int_equal(slirp_guestfwd_parse("tcp::80-unix:/run/x.sock", &g), 0);
	assert_int_equal(g.server.s_addr, 0);    /* libslirp: the network's .4 */
	assert_int_equal(slirp_guestfwd_parse("udp:10.0.2.100:80-cmd:cat", &g), -1);
	assert_int_equal(slirp_guestfwd_parse("tcp:10.0.2.x:80-cmd:cat", &g), -1);
	assert_int_equal(slirp_guestfwd_parse("tcp:10.0.2.100:0-cmd:cat", &g), -1);
	assert_int_equal(slirp_guestfwd_parse("tcp:10.0.2.100:70000-cmd:cat", &g), -1);
	assert_int_equal(slirp_guestfwd_parse("tcp:10.0.2.100:80", &g), -1);
	assert_int_equal(slirp_guestfwd_parse("tcp:10.0.2.100:80-", &g), -1);
	assert_int_equal(slirp_guestfwd_parse("10.0.2.100:80-cmd:cat", &g), -1);
}

static int init_user(const char *opts)
{
	struct kvlist l = { 0 };
	int r;

	log_clear();
	assert_int_equal(kvlist_parse(&l, opts, NULL), 0);
	r = net_init_user("u0", &l);
	kvlist_free(&l);
	return r;
}

/* Beyond QEMU: a forward that cannot bind says which port, why and what to do. */
static void test_port_in_use(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char rule[64], want[256];

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(rule, sizeof(rule), "tcp:127.0.0.1:%u-:22", ntohs(sa.sin_port));
	char opts[96];
	snprintf(opts, sizeof(opts), "hostfwd=%s", rule);
	assert_int_equal(init_user(opts), -1);
	snprintf(want, sizeof(want), "skiff: Could not set up host forwarding rule '%s': "
		 "cannot listen on 127.0.0.1:%u/tcp: Address already in use (another program",
		 rule, ntohs(sa.sin_port));
	if (strncmp(logbuf, want, strlen(want)))
		fail_msg("got '%s'", logbuf);
	assert_non_null(strstr(logbuf, "pick a different host port"));
	assert_null(net_client_find("u0"));      /* nothing left behind */
	close(fd);
	/* Now free: the same rule works. */
	assert_int_equal(init_user(opts), 0);
	assert_non_null(net_client_find("u0"));
	assert_non_null(slirp_of(net_client_find("u0")));
}

static void test_hostfwd_ipv6_and_udp_bind(void **state)
{
	/* Kernel-chosen ports: nothing to collide with. */
	assert_int_equal(init_user("hostfwd=tcp:[::1]:0-:80,hostfwd=udp:127.0.0.1:0-:53,"
				   "hostfwd=tcp:127.0.0.1:0-10.0.2.20:22"), 0);
	assert_string_equal(logbuf, "");
}

/* IPv6 host side to an IPv4 guest goes through the relay: its bind errors
 * are reported like any other; udp needs an IPv6 guest address. */
static void test_hostfwd_ipv6_errors(void **state)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	char opts[96];

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(opts, sizeof(opts), "hostfwd=tcp:[::1]:%u-:22", ntohs(sa.sin6_port));
	assert_int_equal(init_user(opts), -1);
	assert_non_null(strstr(logbuf, "cannot listen on [::1]:"));
	assert_non_null(strstr(logbuf, "Address already in use"));
	close(fd);
	assert_int_equal(init_user("hostfwd=udp:[::1]:0-:53"), -1);
	assert_non_null(strstr(logbuf, "an IPv6 host address needs an IPv6 guest address for udp"));
}

static void test_smb_missing(void **state)
{
	if (access(SLIRP_SMBD_COMMAND, F_OK) == 0)
		skip();
	assert_int_equal(init_user("smb=/tmp"), -1);
	assert_non_null(strstr(logbuf, "skiff: Could not find '/usr/sbin/smbd', please install it"));
}

static void test_guestfwd_setup(void **state)
{
	assert_int_equal(init_user("guestfwd=tcp:10.0.2.100:1234-cmd:cat"), 0);
	net_client_free_all();
	/* A chardev endpoint nobody listens on: the reason and the fix. */
	assert_int_equal(init_user("guestfwd=tcp:10.0.2.100:1234-unix:/nonexistent/skiff.sock"), -1);
	assert_non_null(strstr(logbuf, "Could not open guest forwarding device 'guestfwd.tcp.1234'"));
	assert_non_null(strstr(logbuf, "No such file or directory"));
	assert_int_equal(init_user("guestfwd=tcp:10.0.2.100:1234-file:/tmp/x"), -1);
	assert_non_null(strstr(logbuf, "use cmd:COMMAND, tcp:HOST:PORT or unix:PATH"));
}

static void test_ping_diag(void **state)
{
	char why[512] = "";
	if (slirp_ping_allowed(why, sizeof(why)))
		skip();
	assert_non_null(strstr(why, "net.ipv4.ping_group_range"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_classful, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_families, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostfwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guestfwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostfwd_ipv6_and_udp_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostfwd_ipv6_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smb_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guestfwd_setup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_diag, setup, teardown),
	};
	return cmocka_run_group_tests_name("slirp_opts", tests, NULL, NULL);
}

/* -netdev user on libslirp: QEMU's options, defaults and error texts, plus
 * mtu=, IPv6 hostfwd, reasons for failed forwards and a ping diagnostic.
 * libslirp is single-threaded: every call happens under the big lock, from
 * the event loop (poll source, timers) or from the NIC's transmit path. */
#include "net/slirp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/ip.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <libslirp.h>

#include "net/fwdproxy.h"
#include "util/event_loop.h"
#include "util/log.h"

/* A guestfwd to a chardev-like endpoint (tcp:/unix:), opened once as QEMU does. */
struct slirp_chan {
	struct slirp_state *s;
	int fd;
	struct in_addr server;
	int port;
	bool paused;               /* guest side full: not reading fd until notify */
	struct slirp_chan *next;
};

struct slirp_state {
	Slirp *slirp;
	struct net_client *nc;
	struct slirp_params p;
	bool prepared;             /* prepare() ran this round: dispatch may poll */
	bool ping_checked;
	struct slirp_chan *chans;
	char *smb_dir;
	char *relay_dir;           /* private dir for IPv6->IPv4 hostfwd unix sockets */
	struct fwd_proxy *relays[SLIRP_MAX_LIST];
	size_t nr_relays;
	uint8_t *gather;           /* for multi-iovec frames */
};

struct slirp_timer {
	struct slirp_state *s;
	struct el_timer *t;
	SlirpTimerId id;
	SlirpTimerCb cb;           /* legacy timer_new() */
	void *cb_opaque;
};

/* ---- option parsing ------------------------------------------------ */

static char *xstrdup(const char *s)
{
	char *r = s ? strdup(s) : NULL;
	if (s && !r)
		die("out of memory");
	return r;
}

void slirp_params_free(struct slirp_params *p)
{
	free(p->hostname);
	free(p->domainname);
	free(p->tftp);
	free(p->tftp_server_name);
	free(p->bootfile);
	free(p->smb);
	for (size_t i = 0; i < p->nr_dnssearch; i++)
		free(p->dnssearch[i]);
	for (size_t i = 0; i < p->nr_hostfwd; i++)
		free(p->hostfwd[i]);
	for (size_t i = 0; i < p->nr_guestfwd; i++)
		free(p->guestfwd[i]);
	memset(p, 0, sizeof(*p));
}

static bool in6_same_net(const struct in6_addr *a, const struct in6_addr *b, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		unsigned byte = i / 8, bit = 7 - i % 8;
		if (((a->s6_addr[byte] >> bit) & 1) != ((b->s6_addr[byte] >> bit) & 1))
			return false;
	}
	return true;
}

/* QEMU's classful guess for net= without a mask. */
static uint32_t slirp_classful_mask(uint32_t addr)
{
	if (!(addr & 0x80000000))
		return 0xff000000;          /* class A */
	if ((addr & 0xfff00000) == 0xac100000)
		return 0xfff00000;          /* 172.16/12 */
	if ((addr & 0xc0000000) == 0x80000000)
		return 0xffff0000;          /* class B */
	if ((addr & 0xffff0000) == 0xc0a80000)
		return 0xffff0000;          /* 192.168/16 */
	if ((addr & 0xffff0000) == 0xc6120000)
		return 0xfffe0000;          /* 198.18/15 */
	if ((addr & 0xe0000000) == 0xe0000000)
		return 0xffffff00;          /* class C and up */
	return 0xfffffff0;
}

static int slirp_parse_net(const char *spec, struct in_addr *net, struct in_addr *mask)
{
	char buf[64];
	const char *slash = strchr(spec, '/');

	if (!slash) {
		if (!inet_aton(spec, net)) {
			error_report("Failed to parse netmask");
			return -1;
		}
		mask->s_addr = htonl(slirp_classful_mask(ntohl(net->s_addr)));
	} else {
		size_t n = (size_t)(slash - spec);
		char *end;
		long shift;

		if (n >= sizeof(buf)) {
			error_report("Failed to parse netmask");
			return -1;
		}
		memcpy(buf, spec, n);
		buf[n] = 0;
		if (!inet_aton(buf, net)) {
			error_report("Failed to parse netmask");
			return -1;
		}
		errno = 0;
		shift = strtol(slash + 1, &end, 10);
		if (*end != '\0' || end == slash + 1) {
			if (!inet_aton(slash + 1, mask)) {
				error_report("Failed to parse netmask (trailing chars)");
				return -1;
			}
		} else if (shift < 4 || shift > 32) {
			error_report("Invalid netmask provided (must be in range 4-32)");
			return -1;
		} else {
			mask->s_addr = htonl((uint32_t)(0xffffffffull << (32 - shift)));
		}
	}
	net->s_addr &= mask->s_addr;
	return 0;
}

static int slirp_get_addr(struct kvlist *opts, const char *key, struct in_addr *out,
			  const char *what)
{
	const char *v = kvlist_get(opts, key);
	if (!v)
		return 0;
	if (!inet_aton(v, out)) {
		error_report("Failed to parse %s", what);
		return -1;
	}
	return 1;
}

static int slirp_get_list(struct kvlist *opts, const char *key, char **out, size_t *n)
{
	const char *vals[SLIRP_MAX_LIST + 1];
	size_t cnt = kvlist_get_all(opts, key, vals, SLIRP_MAX_LIST + 1);

	if (cnt > SLIRP_MAX_LIST) {
		error_report("Too many '%s' parameters (at most %d)", key, SLIRP_MAX_LIST);
		return -1;
	}
	for (size_t i = 0; i < cnt; i++)
		out[i] = xstrdup(vals[i]);
	*n = cnt;
	return 0;
}

int slirp_params_parse(struct kvlist *opts, struct slirp_params *p)
{
	bool has_ipv4 = false, has_ipv6 = false, v4 = true, v6 = true;
	const char *vnet, *vip, *ip6net, *s;
	bool v4_given, v6_given;
	uint64_t u;
	int r;
	char netbuf[80];

	memset(p, 0, sizeof(*p));
	if ((r = kvlist_get_bool(opts, "ipv4", &v4)) < 0)
		return -1;
	has_ipv4 = r > 0;
	if ((r = kvlist_get_bool(opts, "ipv6", &v6)) < 0)
		return -1;
	has_ipv6 = r > 0;
	if (kvlist_get_bool(opts, "restrict", &p->restricted) < 0)
		return -1;

	/* QEMU's asymmetric rule: naming only one family turns the other off. */
	p->ipv4 = !((has_ipv6 && v6 && !has_ipv4) || (has_ipv4 && !v4));
	p->ipv6 = !((has_ipv4 && v4 && !has_ipv6) || (has_ipv6 && !v6));

	vnet = kvlist_get(opts, "net");
	vip = kvlist_get(opts, "ip");
	if (!vnet && vip) {
		snprintf(netbuf, sizeof(netbuf), "%s/24", vip);
		vnet = netbuf;
	}
	v4_given = vnet || kvlist_get(opts, "host") || kvlist_get(opts, "dns");

	/* ipv6-net=addr[/len] is the command-line spelling of ipv6-prefix + -prefixlen. */
	const char *prefix6 = kvlist_get(opts, "ipv6-prefix");
	uint64_t prefix6_len = 64;
	if (kvlist_get_u64(opts, "ipv6-prefixlen", &prefix6_len) < 0)
		return -1;
	char p6buf[INET6_ADDRSTRLEN + 8];
	ip6net = kvlist_get(opts, "ipv6-net");
	if (ip6net) {
		const char *slash = strchr(ip6net, '/');
		size_t n = slash ? (size_t)(slash - ip6net) : strlen(ip6net);
		if (n >= sizeof(p6buf))
			n = sizeof(p6buf) - 1;
		memcpy(p6buf, ip6net, n);
		p6buf[n] = 0;
		prefix6 = p6buf;
		prefix6_len = 64;
		if (slash && parse_u64(slash + 1, &prefix6_len) < 0) {
			error_report("Parameter 'ipv6-prefixlen' expects a number");
			return -1;
		}
	}
	v6_given = prefix6 || kvlist_get(opts, "ipv6-host") || kvlist_get(opts, "ipv6-dns");

	if (!p->ipv4 && !p->ipv6) {
		error_report("IPv4 and IPv6 disabled");
		return -1;
	}
	if (!p->ipv4 && v4_given) {
		error_report("IPv4 disabled but netmask/host/dns provided");
		return -1;
	}
	if (!p->ipv6 && v6_given) {
		error_report("IPv6 disabled but prefix/host6/dns6 provided");
		return -1;
	}

	/* IPv4: 10.0.2.0/24, host .2, DNS .3, DHCP .15, SMB .4 by default. */
	inet_aton("10.0.2.0", &p->net);
	inet_aton("255.255.255.0", &p->mask);
	if (vnet && slirp_parse_net(vnet, &p->net, &p->mask) < 0)
		return -1;
	uint32_t low = ~p->mask.s_addr;
	p->host.s_addr = p->net.s_addr | (htonl(0x0202) & low);
	p->dns.s_addr = p->net.s_addr | (htonl(0x0203) & low);
	p->dhcp.s_addr = p->net.s_addr | (htonl(0x020f) & low);
	p->smbsrv.s_addr = p->net.s_addr | (htonl(0x0204) & low);

	if (slirp_get_addr(opts, "host", &p->host, "host") < 0)
		return -1;
	if ((p->host.s_addr & p->mask.s_addr) != p->net.s_addr) {
		error_report("Host doesn't belong to network");
		return -1;
	}
	if (slirp_get_addr(opts, "dns", &p->dns, "DNS") < 0)
		return -1;
	if (p->restricted && (p->dns.s_addr & p->mask.s_addr) != p->net.s_addr) {
		error_report("DNS doesn't belong to network");
		return -1;
	}
	if (p->dns.s_addr == p->host.s_addr) {
		error_report("DNS must be different from host");
		return -1;
	}
	if (slirp_get_addr(opts, "dhcpstart", &p->dhcp, "DHCP start address") < 0)
		return -1;
	if ((p->dhcp.s_addr & p->mask.s_addr) != p->net.s_addr) {
		error_report("DHCP doesn't belong to network");
		return -1;
	}
	if (p->dhcp.s_addr == p->host.s_addr || p->dhcp.s_addr == p->dns.s_addr) {
		error_report("DHCP must be different from host and DNS");
		return -1;
	}

	/* IPv6: fec0::/64, host ::2, DNS ::3. */
	if (!prefix6)
		prefix6 = "fec0::";
	if (inet_pton(AF_INET6, prefix6, &p->prefix6) != 1) {
		error_report("Failed to parse IPv6 prefix");
		return -1;
	}
	if (prefix6_len > 126) {
		error_report("Invalid IPv6 prefix provided "
			     "(IPv6 prefix length must be between 0 and 126)");
		return -1;
	}
	p->prefix6_len = (unsigned)prefix6_len;
	if ((s = kvlist_get(opts, "ipv6-host"))) {
		if (inet_pton(AF_INET6, s, &p->host6) != 1) {
			error_report("Failed to parse IPv6 host");
			return -1;
		}
		if (!in6_same_net(&p->prefix6, &p->host6, p->prefix6_len)) {
			error_report("IPv6 Host doesn't belong to network");
			return -1;
		}
	} else {
		p->host6 = p->prefix6;
		p->host6.s6_addr[15] |= 2;
	}
	if ((s = kvlist_get(opts, "ipv6-dns"))) {
		if (inet_pton(AF_INET6, s, &p->dns6) != 1) {
			error_report("Failed to parse IPv6 DNS");
			return -1;
		}
		if (p->restricted && !in6_same_net(&p->prefix6, &p->dns6, p->prefix6_len)) {
			error_report("IPv6 DNS doesn't belong to network");
			return -1;
		}
	} else {
		p->dns6 = p->prefix6;
		p->dns6.s6_addr[15] |= 3;
	}

	/* DHCP/BOOTP strings. */
	if ((s = kvlist_get(opts, "hostname"))) {
		if (strlen(s) > 255) {
			error_report("'vhostname' parameter cannot exceed 255 bytes");
			return -1;
		}
		p->hostname = xstrdup(s);
	}
	if ((s = kvlist_get(opts, "domainname"))) {
		if (!*s) {
			error_report("'domainname' parameter cannot be empty");
			return -1;
		}
		if (strlen(s) > 255) {
			error_report("'domainname' parameter cannot exceed 255 bytes");
			return -1;
		}
		p->domainname = xstrdup(s);
	}
	if ((s = kvlist_get(opts, "tftp-server-name"))) {
		if (strlen(s) > 255) {
			error_report("'tftp-server-name' parameter cannot exceed 255 bytes");
			return -1;
		}
		p->tftp_server_name = xstrdup(s);
	}
	p->tftp = xstrdup(kvlist_get(opts, "tftp"));
	p->bootfile = xstrdup(kvlist_get(opts, "bootfile"));
	p->smb = xstrdup(kvlist_get(opts, "smb"));
	if (slirp_get_addr(opts, "smbserver", &p->smbsrv, "SMB address") < 0)
		return -1;

	if (slirp_get_list(opts, "dnssearch", p->dnssearch, &p->nr_dnssearch) < 0 ||
	    slirp_get_list(opts, "hostfwd", p->hostfwd, &p->nr_hostfwd) < 0 ||
	    slirp_get_list(opts, "guestfwd", p->guestfwd, &p->nr_guestfwd) < 0)
		return -1;
	for (size_t i = 0; i < p->nr_dnssearch; i++) {
		if (!*p->dnssearch[i] || strlen(p->dnssearch[i]) > 255) {
			error_report("Parameter 'dnssearch' expects a domain name of 1 to 255 bytes");
			return -1;
		}
	}

	/* Beyond QEMU: the link MTU (DHCP option 26 where libslirp sends it). */
	if ((r = kvlist_get_u64(opts, "mtu", &u)) < 0)
		return -1;
	if (r > 0) {
		if (u < SLIRP_MTU_MIN || u > SLIRP_MTU_MAX) {
			error_report("Parameter 'mtu' expects a value between %d and %d "
				     "(65520 gives the best throughput)", SLIRP_MTU_MIN, SLIRP_MTU_MAX);
			return -1;
		}
		p->mtu = (unsigned)u;
	}

	if (kvlist_check_unused(opts) < 0)
		return -1;

	/* Check the rules' grammar now, before anything is bound. */
	for (size_t i = 0; i < p->nr_hostfwd; i++) {
		struct slirp_hostfwd f;
		const char *why;
		if (slirp_hostfwd_parse(p->hostfwd[i], &f, &why) < 0) {
			error_report("Invalid host forwarding rule '%s' (%s)", p->hostfwd[i], why);
			return -1;
		}
	}
	for (size_t i = 0; i < p->nr_guestfwd; i++) {
		struct slirp_guestfwd g;
		if (slirp_guestfwd_parse(p->guestfwd[i], &g) < 0) {
			error_report("Invalid guest forwarding rule '%s'", p->guestfwd[i]);
			return -1;
		}
	}
	return 0;
}

/* QEMU's get_str_sep: the text before sep into buf, *pp past sep. */
static int str_sep(char *buf, size_t size, const char **pp, int sep)
{
	const char *p = *pp, *q = strchr(p, sep);
	size_t n;

	if (!q)
		return -1;
	n = (size_t)(q - p);
	if (n >= size)
		n = size - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	*pp = q + 1;
	return 0;
}

static int parse_port(const char *s, int min, int *out)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < min || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

/* "[v6]:" or "v4:" (possibly empty) at *pp into sa; sep is what ends it. */
static int parse_fwd_addr(const char **pp, int sep, struct sockaddr_storage *ss,
			  socklen_t *len, bool *empty, const char **why,
			  const char *missing, const char *bad)
{
	char buf[256];
	const char *p = *pp;

	memset(ss, 0, sizeof(*ss));
	if (*p == '[') {
		const char *close = strchr(p, ']');
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		size_t n;

		if (!close || close[1] != sep) {
			*why = close ? missing : bad;
			return -1;
		}
		n = (size_t)(close - p - 1);
		if (n >= sizeof(buf)) {
			*why = bad;
			return -1;
		}
		memcpy(buf, p + 1, n);
		buf[n] = 0;
		s6->sin6_family = AF_INET6;
		*empty = n == 0;
		if (n && inet_pton(AF_INET6, buf, &s6->sin6_addr) != 1) {
			*why = bad;
			return -1;
		}
		*len = sizeof(*s6);
		*pp = close + 2;
		return 0;
	}
	if (str_sep(buf, sizeof(buf), &p, sep) < 0) {
		*why = missing;
		return -1;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	*empty = !buf[0];
	if (buf[0] && !inet_aton(buf, &s4->sin_addr)) {
		*why = bad;
		return -1;
	}
	*len = sizeof(*s4);
	*pp = p;
	return 0;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

int slirp_hostfwd_parse(const char *rule, struct slirp_hostfwd *fwd, const char **why)
{
	char buf[256];
	const char *p = rule;
	bool is_unix = false, empty;
	int port;

	memset(fwd, 0, sizeof(*fwd));
	if (!p || str_sep(buf, sizeof(buf), &p, ':') < 0) {
		*why = "No : separators";
		return -1;
	}
	if (!strcmp(buf, "tcp") || !buf[0]) {
		fwd->udp = false;
	} else if (!strcmp(buf, "udp")) {
		fwd->udp = true;
	} else if (!strcmp(buf, "unix")) {
		is_unix = true;
	} else {
		*why = "Bad protocol name";
		return -1;
	}

	if (is_unix) {
		struct sockaddr_un *su = (struct sockaddr_un *)&fwd->host;
		char path[sizeof(su->sun_path) + 8];
		struct stat st;

		if (str_sep(path, sizeof(path), &p, '-') < 0) {
			*why = "Missing - separator";
			return -1;
		}
		if (!path[0]) {
			*why = "Missing unix socket path";
			return -1;
		}
		if (path[0] != '/') {
			*why = "unix socket path must be absolute";
			return -1;
		}
		if (strlen(path) >= sizeof(su->sun_path)) {
			*why = "Unix socket path is too long";
			return -1;
		}
		if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			*why = "file exists and it's not unix socket";
			return -1;
		}
		su->sun_family = AF_UNIX;
		strcpy(su->sun_path, path);
		fwd->host_len = sizeof(*su);
	} else {
		if (parse_fwd_addr(&p, ':', &fwd->host, &fwd->host_len, &empty, why,
				   "Missing : separator", "Bad host address") < 0)
			return -1;
		if (str_sep(buf, sizeof(buf), &p, '-') < 0) {
			*why = "Bad host port separator";
			return -1;
		}
		if (parse_port(buf, 0, &port) < 0) {
			*why = "Bad host port";
			return -1;
		}
		set_port(&fwd->host, port);
	}

	if (parse_fwd_addr(&p, ':', &fwd->guest, &fwd->guest_len, &fwd->guest_addr_empty,
			   why, "Missing guest address", "Bad guest address") < 0)
		return -1;
	if (parse_port(p, 1, &port) < 0) {
		*why = "Bad guest port";
		return -1;
	}
	set_port(&fwd->guest, port);
	return 0;
}

int slirp_guestfwd_parse(const char *rule, struct slirp_guestfwd *fwd)
{
	char buf[256];
	const char *p = rule;

	memset(fwd, 0, sizeof(*fwd));
	if (str_sep(buf, sizeof(buf), &p, ':') < 0)
		return -1;
	if (strcmp(buf, "tcp") && buf[0])
		return -1;
	if (str_sep(buf, sizeof(buf), &p, ':') < 0)
		return -1;
	if (buf[0] && !inet_aton(buf, &fwd->server))
		return -1;
	if (str_sep(buf, sizeof(buf), &p, '-') < 0)
		return -1;
	if (parse_port(buf, 1, &fwd->port) < 0)
		return -1;
	if (!*p)
		return -1;
	fwd->target = p;
	return 0;
}

/* ---- libslirp callbacks -------------------------------------------- */

static ssize_t slirp_cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_state *s = opaque;
	uint8_t pad[60];

	/* Pad runts to the Ethernet minimum: some NIC models drop shorter frames. */
	if (len < sizeof(pad)) {
		memcpy(pad, buf, len);
		memset(pad + len, 0, sizeof(pad) - len);
		net_send_buf(s->nc, pad, sizeof(pad));
		return (ssize_t)len;
	}
	/* A 0 return means queued (not lost): back-pressure is net core's job. */
	net_send_buf(s->nc, buf, len);
	return (ssize_t)len;
}

static void slirp_cb_guest_error(const char *msg, void *opaque)
{
	struct slirp_state *s = opaque;
	debug_report("netdev %s: guest error: %s", s->nc->name, msg);
}

/* The precise clock: libslirp reads it about twice per packet it sends (if_output, if_start),
 * but its delayed-ACK timer is 2 ms (TIMEOUT_FAST), below a coarse clock's tick. */
static int64_t slirp_cb_clock_get_ns(void *opaque)
{
	return (int64_t)el_now_ns();
}

static void slirp_timer_fire(void *opaque)
{
	struct slirp_timer *t = opaque;

	if (t->cb)
		t->cb(t->cb_opaque);
	else
		slirp_handle_timer(t->s->slirp, t->id, t->cb_opaque);
}

static struct slirp_timer *slirp_timer_alloc(struct slirp_state *s)
{
	struct slirp_timer *t = calloc(1, sizeof(*t));
	if (!t)
		die("out of memory");
	t->s = s;
	t->t = el_timer_new(slirp_timer_fire, t);
	if (!t->t)
		die("out of memory");
	return t;
}

static void *slirp_cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct slirp_timer *t = slirp_timer_alloc(opaque);
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	return t;
}

static void *slirp_cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_timer *t = slirp_timer_alloc(opaque);
	t->id = id;
	t->cb_opaque = cb_opaque;
	return t;
}

static void slirp_cb_timer_free(void *timer, void *opaque)
{
	struct slirp_timer *t = timer;
	if (!t)
		return;
	el_timer_free(t->t);
	free(t);
}

static void slirp_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;
	el_timer_mod(t->t, expire_ms < 0 ? 0 : (uint64_t)expire_ms * 1000000ull);
}

/* libslirp opened a socket (a guest ping opens one per echo request, a guest TCP connect one
 * per connection), typically from a vCPU thread sending the guest's frame: a loop asleep in
 * poll() would not see its reply until some other event woke it. */
static void slirp_cb_register_poll_fd(int fd, void *opaque) { el_kick(); }
static void slirp_cb_unregister_poll_fd(int fd, void *opaque) { }

static void slirp_chan_resume(struct slirp_state *s);

static void slirp_wake(void *opaque) { }

static void slirp_cb_notify(void *opaque)
{
	struct slirp_state *s = opaque;

	slirp_chan_resume(s);
	/* The loop may be asleep in poll() with a stale fd set. */
	el_call_soon(slirp_wake, NULL);
}

static const SlirpCb slirp_callbacks = {
	.send_packet = slirp_cb_send_packet,
	.guest_error = slirp_cb_guest_error,
	.clock_get_ns = slirp_cb_clock_get_ns,
	.timer_new = slirp_cb_timer_new,
	.timer_free = slirp_cb_timer_free,
	.timer_mod = slirp_cb_timer_mod,
	.register_poll_fd = slirp_cb_register_poll_fd,
	.unregister_poll_fd = slirp_cb_unregister_poll_fd,
	.notify = slirp_cb_notify,
	.timer_new_opaque = slirp_cb_timer_new_opaque,
};

/* ---- event loop source --------------------------------------------- */

static int slirp_add_poll(int fd, int events, void *opaque)
{
	short ev = 0;

	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	if (events & SLIRP_POLL_ERR)
		ev |= POLLERR;
	if (events & SLIRP_POLL_HUP)
		ev |= POLLHUP;
	return el_pollset_add(opaque, fd, ev);
}

static int slirp_get_revents(int idx, void *opaque)
{
	short rev = el_pollset_revents(opaque, idx);
	int r = 0;

	if (rev & POLLIN)
		r |= SLIRP_POLL_IN;
	if (rev & POLLOUT)
		r |= SLIRP_POLL_OUT;
	if (rev & POLLPRI)
		r |= SLIRP_POLL_PRI;
	if (rev & POLLERR)
		r |= SLIRP_POLL_ERR;
	if (rev & POLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

static void slirp_prepare(void *opaque, struct el_pollset *ps, int *timeout_ms)
{
	struct slirp_state *s = opaque;
	uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;

	slirp_pollfds_fill(s->slirp, &t, slirp_add_poll, ps);
	if (t != UINT32_MAX && (*timeout_ms < 0 || t < (uint32_t)*timeout_ms))
		*timeout_ms = t > INT_MAX ? INT_MAX : (int)t;
	s->prepared = true;
}

static void slirp_dispatch(void *opaque, struct el_pollset *ps)
{
	struct slirp_state *s = opaque;

	/* A source added mid-round has stale indices: wait for its prepare(). */
	if (!s->prepared)
		return;
	s->prepared = false;
	slirp_pollfds_poll(s->slirp, 0, slirp_get_revents, ps);
}

static const struct el_source_ops slirp_source_ops = {
	.prepare = slirp_prepare,
	.dispatch = slirp_dispatch,
};

/* ---- ping diagnostic ----------------------------------------------- */

bool slirp_ping_allowed(char *why, size_t len)
{
	char range[64] = "?";
	int fd;
	FILE *f;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	/* libslirp falls back to a raw socket (CAP_NET_RAW). */
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
	if (f) {
		if (!fgets(range, sizeof(range), f))
			strcpy(range, "?");
		fclose(f);
		range[strcspn(range, "\n")] = 0;
		for (char *c = range; *c; c++)
			if (*c == '\t')
				*c = ' ';
	}
	snprintf(why, len, "this user (gid %u) may not open ICMP sockets: "
		 "net.ipv4.ping_group_range is '%s'; allow it with "
		 "'sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"' "
		 "(pings to the virtual gateway and DNS still work)",
		 (unsigned)getgid(), range);
	return false;
}

/* First guest ICMP echo to the outside: say once if it cannot work. */
static void slirp_check_ping(struct slirp_state *s, const uint8_t *f, size_t len)
{
	char why[512];
	uint32_t dst;
	size_t ihl;

	if (s->ping_checked || len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return;
	ihl = (size_t)(f[14] & 0x0f) * 4;
	if ((f[14] >> 4) != 4 || ihl < 20 || len < 14 + ihl + 1 || f[14 + 9] != IPPROTO_ICMP)
		return;
	if (f[14 + ihl] != 8)          /* echo request */
		return;
	memcpy(&dst, f + 14 + 16, 4);
	if (dst == s->p.host.s_addr || dst == s->p.dns.s_addr)
		return;                    /* answered by libslirp itself */
	s->ping_checked = true;
	if (!slirp_ping_allowed(why, sizeof(why)))
		warn_report("netdev %s: guest ping cannot reach the host network: %s",
			    s->nc->name, why);
}

/* ---- guestfwd to tcp:/unix: endpoints --------------------------------- */

static ssize_t slirp_chan_write(const void *buf, size_t len, void *opaque)
{
	struct slirp_chan *c = opaque;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(c->fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
			/* Short bounded wait: a chardev write in QEMU blocks too. */
			if (poll(&pfd, 1, 100) <= 0)
				break;
			continue;
		}
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static void slirp_chan_readable(void *opaque, uint32_t events)
{
	struct slirp_chan *c = opaque;
	uint8_t buf[4096];
	size_t room = slirp_socket_can_recv(c->s->slirp, c->server, c->port);
	ssize_t n;

	if (room == 0) {
		/* Guest side full: stop reading until libslirp notifies. */
		c->paused = true;
		el_mod_fd(c->fd, 0);
		return;
	}
	n = read(c->fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n > 0) {
		slirp_socket_recv(c->s->slirp, c->server, c->port, buf, (int)n);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		el_del_fd(c->fd);
		c->paused = true;
	}
}

static void slirp_chan_resume(struct slirp_state *s)
{
	for (struct slirp_chan *c = s->chans; c; c = c->next) {
		if (c->paused && c->fd >= 0 &&
		    slirp_socket_can_recv(s->slirp, c->server, c->port) > 0) {
			c->paused = false;
			el_mod_fd(c->fd, EPOLLIN);
		}
	}
}

static int slirp_chan_open(const char *spec)
{
	char host[256], *port;
	int fd = -1;

	if (!strncmp(spec, "unix:", 5)) {
		struct sockaddr_un su = { .sun_family = AF_UNIX };
		if (strlen(spec + 5) >= sizeof(su.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(su.sun_path, spec + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&su, sizeof(su)) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	} else if (!strncmp(spec, "tcp:", 4)) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
		snprintf(host, sizeof(host), "%s", spec + 4);
		port = strrchr(host, ':');
		if (!port) {
			errno = EINVAL;
			return -1;
		}
		*port++ = 0;
		if (getaddrinfo(host, port, &hints, &ai)) {
			errno = EHOSTUNREACH;
			return -1;
		}
		for (a = ai; a; a = a->ai_next) {
			fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0)
				break;
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		if (fd < 0)
			return -1;
	} else {
		errno = ENOTSUP;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int slirp_setup_guestfwd(struct slirp_state *s, const char *rule)
{
	struct slirp_guestfwd g;
	struct slirp_chan *c;

	if (slirp_guestfwd_parse(rule, &g) < 0) {
		error_report("Invalid guest forwarding rule '%s'", rule);
		return -1;
	}
	if (!strncmp(g.target, "cmd:", 4)) {
		if (slirp_add_exec(s->slirp, g.target + 4, &g.server, g.port) < 0) {
			error_report("Conflicting/invalid host:port in guest forwarding rule '%s'",
				     rule);
			return -1;
		}
		return 0;
	}
	if (strncmp(g.target, "tcp:", 4) && strncmp(g.target, "unix:", 5)) {
		error_report("Could not open guest forwarding device 'guestfwd.tcp.%d': "
			     "'%s' is not supported here; use cmd:COMMAND, tcp:HOST:PORT "
			     "or unix:PATH", g.port, g.target);
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		die("out of memory");
	c->s = s;
	c->port = g.port;
	c->fd = slirp_chan_open(g.target);
	if (c->fd < 0) {
		error_report("Could not open guest forwarding device 'guestfwd.tcp.%d': "
			     "connecting to %s failed: %s; start the service first",
			     g.port, g.target, strerror(errno));
		free(c);
		return -1;
	}
	if (!g.server.s_addr)
		g.server.s_addr = s->p.net.s_addr | (htonl(0x0204) & ~s->p.mask.s_addr);
	c->server = g.server;
	if (slirp_add_guestfwd(s->slirp, slirp_chan_write, c, &c->server, c->port) < 0) {
		error_report("Conflicting/invalid host:port in guest forwarding rule '%s'", rule);
		close(c->fd);
		free(c);
		return -1;
	}
	c->next = s->chans;
	s->chans = c;
	if (el_add_fd(c->fd, EPOLLIN, slirp_chan_readable, c) < 0)
		c->paused = true;
	return 0;
}

/* ---- hostfwd ------------------------------------------------------- */

static void fwd_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		snprintf(buf, len, "%s", ((const struct sockaddr_un *)ss)->sun_path);
	}
}

/* Why did binding fail? libslirp keeps errno, but try ourselves if not. */
static int fwd_probe_errno(const struct slirp_hostfwd *f)
{
	int fd = socket(f->host.ss_family, (f->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	int e = 0;

	if (fd < 0)
		return errno;
	if (bind(fd, (const struct sockaddr *)&f->host, f->host_len) < 0)
		e = errno;
	close(fd);
	return e;
}

static const char *fwd_advice(int e)
{
	switch (e) {
	case EADDRINUSE:
		return "another program (or another VM) is already using that port: "
		       "pick a different host port or stop that program";
	case EACCES:
	case EPERM:
		return "ports below 1024 need root or CAP_NET_BIND_SERVICE: "
		       "use a port of 1024 or above";
	case EADDRNOTAVAIL:
		return "that address is not configured on this host: "
		       "use one of its addresses, 127.0.0.1, or leave it empty for all";
	case EAFNOSUPPORT:
		return "this host has no support for that address family";
	default:
		return "check the rule's host address and port";
	}
}

static void fwd_report(const char *rule, const struct slirp_hostfwd *f, int e)
{
	char where[INET6_ADDRSTRLEN + 16 + 108];

	fwd_addr_str(&f->host, where, sizeof(where));
	if (e)
		error_report("Could not set up host forwarding rule '%s': "
			     "cannot listen on %s/%s: %s (%s)", rule, where,
			     f->udp ? "udp" : "tcp", strerror(e), fwd_advice(e));
	else
		error_report("Could not set up host forwarding rule '%s'", rule);
}

/* IPv6 host side, IPv4 guest: libslirp 4.7 cannot mix families, so listen
 * ourselves and relay through a private unix-socket forward. */
static int slirp_setup_relay(struct slirp_state *s, const char *rule, struct slirp_hostfwd *f)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	struct fwd_proxy *px;
	char tmpl[] = "/tmp/skiff-fwd.XXXXXX";
	int r;

	if (f->udp) {
		error_report("Could not set up host forwarding rule '%s': an IPv6 host "
			     "address needs an IPv6 guest address for udp "
			     "(e.g. udp:[::1]:5353-[fec0::15]:53), or use an IPv4 host address",
			     rule);
		return -1;
	}
	if (s->nr_relays >= SLIRP_MAX_LIST)
		return -1;
	if (!s->relay_dir) {
		if (!mkdtemp(tmpl)) {
			error_report("Could not set up host forwarding rule '%s': "
				     "cannot create %s: %s", rule, tmpl, strerror(errno));
			return -1;
		}
		s->relay_dir = xstrdup(tmpl);
	}
	snprintf(su.sun_path, sizeof(su.sun_path), "%s/%zu.sock", s->relay_dir, s->nr_relays);
	r = fwd_proxy_new((struct sockaddr *)&f->host, f->host_len, su.sun_path, &px);
	if (r < 0) {
		fwd_report(rule, f, -r);
		return -1;
	}
	s->relays[s->nr_relays++] = px;
	if (slirp_add_hostxfwd(s->slirp, (struct sockaddr *)&su, sizeof(su),
			       (struct sockaddr *)&f->guest, f->guest_len, 0) < 0) {
		error_report("Could not set up host forwarding rule '%s': "
			     "relay socket %s: %s", rule, su.sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

static void slirp_relay_cleanup(struct slirp_state *s)
{
	char path[128];

	for (size_t i = 0; i < s->nr_relays; i++) {
		fwd_proxy_free(s->relays[i]);
		snprintf(path, sizeof(path), "%s/%zu.sock", s->relay_dir, i);
		unlink(path);
	}
	s->nr_relays = 0;
	if (s->relay_dir)
		rmdir(s->relay_dir);
	free(s->relay_dir);
	s->relay_dir = NULL;
}

static int slirp_setup_hostfwd(struct slirp_state *s, const char *rule)
{
	struct slirp_hostfwd f;
	const char *why;

	if (slirp_hostfwd_parse(rule, &f, &why) < 0) {
		error_report("Invalid host forwarding rule '%s' (%s)", rule, why);
		return -1;
	}
	if (f.guest_addr_empty) {
		if (f.guest.ss_family == AF_INET6) {
			/* No DHCPv6 address exists: libslirp resolves :: lazily. */
		} else {
			((struct sockaddr_in *)&f.guest)->sin_addr = s->p.dhcp;
		}
	}
	if (f.host.ss_family == AF_INET6 && f.guest.ss_family == AF_INET)
		return slirp_setup_relay(s, rule, &f);
	if (f.host.ss_family == AF_UNIX) {
		/* As QEMU: a stale socket file from an earlier run is replaced. */
		unlink(((struct sockaddr_un *)&f.host)->sun_path);
	}
	errno = 0;
	if (slirp_add_hostxfwd(s->slirp, (struct sockaddr *)&f.host, f.host_len,
			       (struct sockaddr *)&f.guest, f.guest_len,
			       f.udp ? SLIRP_HOSTFWD_UDP : 0) < 0) {
		int e = errno;
		if (!e || e == EINVAL)
			e = fwd_probe_errno(&f) ? fwd_probe_errno(&f) : e;
		fwd_report(rule, &f, e);
		return -1;
	}
	return 0;
}

/* ---- smb ------------------------------------------------------------ */

static int slirp_setup_smb(struct slirp_state *s)
{
	char dir[] = "/tmp/skiff-smb.XXXXXX", path[PATH_MAX + 64], cmd[PATH_MAX * 2];
	FILE *f;

	if (access(SLIRP_SMBD_COMMAND, F_OK) < 0) {
		error_report("Could not find '%s', please install it "
			     "(Debian/Ubuntu: apt install samba; or share files with "
			     "hostfwd/guestfwd or a 9p/virtiofs export instead)",
			     SLIRP_SMBD_COMMAND);
		return -1;
	}
	if (access(s->p.smb, R_OK | X_OK) < 0) {
		error_report("Error accessing shared directory '%s': %s", s->p.smb, strerror(errno));
		return -1;
	}
	if (!mkdtemp(dir)) {
		error_report("Could not create samba server dir '%s': %s", dir, strerror(errno));
		return -1;
	}
	s->smb_dir = xstrdup(dir);
	snprintf(path, sizeof(path), "%s/smb.conf", dir);
	f = fopen(path, "w");
	if (!f) {
		error_report("Could not create samba server configuration file '%s': %s",
			     path, strerror(errno));
		return -1;
	}
	/* A private smbd per connection: everything it writes stays in dir. */
	fprintf(f,
		"[global]\n"
		"private dir=%1$s\n"
		"interfaces=127.0.0.1\n"
		"bind interfaces only=yes\n"
		"pid directory=%1$s\n"
		"lock directory=%1$s\n"
		"state directory=%1$s\n"
		"cache directory=%1$s\n"
		"ncalrpc dir=%1$s/ncalrpc\n"
		"log file=%1$s/log.smbd\n"
		"smb passwd file=%1$s/smbpasswd\n"
		"security = user\n"
		"map to guest = Bad User\n"
		"load printers = no\n"
		"printing = bsd\n"
		"disable spoolss = yes\n"
		"usershare max shares = 0\n"
		"[qemu]\n"
		"path=%2$s\n"
		"read only=no\n"
		"guest ok=yes\n"
		"force user=%3$s\n",
		dir, s->p.smb, getenv("USER") ? getenv("USER") : "root");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s -l %s -s %s", SLIRP_SMBD_COMMAND, dir, path);
	if (slirp_add_exec(s->slirp, cmd, &s->p.smbsrv, 139) < 0 ||
	    slirp_add_exec(s->slirp, cmd, &s->p.smbsrv, 445) < 0) {
		error_report("Conflicting/invalid smbserver address");
		return -1;
	}
	return 0;
}

static void slirp_smb_cleanup(struct slirp_state *s)
{
	char cmd[PATH_MAX + 16];

	if (!s->smb_dir)
		return;
	/* Only our mkdtemp() directory, never a user path. */
	if (!strncmp(s->smb_dir, "/tmp/skiff-smb.", 15) && !strchr(s->smb_dir, '\'')) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->smb_dir);
		if (system(cmd) != 0)
			debug_report("could not remove %s", s->smb_dir);
	}
	free(s->smb_dir);
	s->smb_dir = NULL;
}

/* ---- the net client ------------------------------------------------ */

static ssize_t slirp_nc_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct slirp_state *s = nc->opaque;
	const uint8_t *frame;
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > NET_MAX_FRAME || len > INT_MAX)
		return (ssize_t)len;
	if (iovcnt == 1) {
		frame = iov[0].iov_base;
	} else {
		size_t off = 0;
		if (!s->gather) {
			s->gather = malloc(NET_MAX_FRAME);
			if (!s->gather)
				die("out of memory");
		}
		for (int i = 0; i < iovcnt; i++) {
			memcpy(s->gather + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
		frame = s->gather;
	}
	slirp_check_ping(s, frame, len);
	slirp_input(s->slirp, frame, (int)len);
	return (ssize_t)len;
}

static void slirp_nc_cleanup(struct net_client *nc)
{
	struct slirp_state *s = nc->opaque;

	if (!s)
		return;
	el_del_source(s);
	while (s->chans) {
		struct slirp_chan *c = s->chans;
		s->chans = c->next;
		if (c->fd >= 0) {
			el_del_fd(c->fd);
			close(c->fd);
		}
		free(c);
	}
	if (s->slirp)
		slirp_cleanup(s->slirp);
	slirp_relay_cleanup(s);
	slirp_smb_cleanup(s);
	slirp_params_free(&s->p);
	free(s->gather);
	free(s);
	nc->opaque = NULL;
}

static const struct net_client_ops slirp_nc_ops = {
	.type = "user",
	.takes_tso_frames = true,  /* libslirp's ip_input/tcp_input take any IPv4 length */
	.answers_inline = true,
	.sends_valid_csums = true,  /* tcp_output, udp_output, icmp_reflect all checksum */
	.receive = slirp_nc_receive,
	.cleanup = slirp_nc_cleanup,
};

struct Slirp *slirp_of(struct net_client *nc)
{
	if (!nc || nc->ops != &slirp_nc_ops || !nc->opaque)
		return NULL;
	return ((struct slirp_state *)nc->opaque)->slirp;
}

int net_init_user(const char *id, struct kvlist *opts)
{
	struct slirp_state *s = calloc(1, sizeof(*s));
	SlirpConfig cfg = { .version = 4 };
	char info[256], net[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN];

	if (!s)
		die("out of memory");
	if (slirp_params_parse(opts, &s->p) < 0) {
		slirp_params_free(&s->p);
		free(s);
		return -1;
	}
	s->nc = net_client_new(&slirp_nc_ops, id, s);

	cfg.restricted = s->p.restricted;
	cfg.in_enabled = s->p.ipv4;
	cfg.vnetwork = s->p.net;
	cfg.vnetmask = s->p.mask;
	cfg.vhost = s->p.host;
	cfg.in6_enabled = s->p.ipv6;
	cfg.vprefix_addr6 = s->p.prefix6;
	cfg.vprefix_len = (uint8_t)s->p.prefix6_len;
	cfg.vhost6 = s->p.host6;
	cfg.vhostname = s->p.hostname;
	cfg.tftp_server_name = s->p.tftp_server_name;
	cfg.tftp_path = s->p.tftp;
	cfg.bootfile = s->p.bootfile;
	cfg.vdhcp_start = s->p.dhcp;
	cfg.vnameserver = s->p.dns;
	cfg.vnameserver6 = s->p.dns6;
	cfg.vdnssearch = s->p.nr_dnssearch ? (const char **)s->p.dnssearch : NULL;
	cfg.vdomainname = s->p.domainname;
	cfg.if_mtu = s->p.mtu;
	cfg.if_mru = s->p.mtu;
	s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
	if (!s->slirp) {
		error_report("could not initialize user-mode networking (libslirp %s)",
			     slirp_version_string());
		net_client_free(s->nc);
		return -1;
	}
	inet_ntop(AF_INET, &s->p.net, net, sizeof(net));
	inet_ntop(AF_INET, &s->p.host, host, sizeof(host));
	snprintf(info, sizeof(info), "net=%s/%d, gateway=%s, restrict=%s", net,
		 __builtin_popcount(s->p.mask.s_addr), host, s->p.restricted ? "on" : "off");
	net_client_set_info(s->nc, info);

	for (size_t i = 0; i < s->p.nr_hostfwd; i++)
		if (slirp_setup_hostfwd(s, s->p.hostfwd[i]) < 0)
			goto fail;
	for (size_t i = 0; i < s->p.nr_guestfwd; i++)
		if (slirp_setup_guestfwd(s, s->p.guestfwd[i]) < 0)
			goto fail;
	if (s->p.smb && slirp_setup_smb(s) < 0)
		goto fail;
	if (el_add_source(&slirp_source_ops, s) < 0)
		die("out of memory");
	return 0;
fail:
	net_client_free(s->nc);
	return -1;
}

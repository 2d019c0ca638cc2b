/* -netdev user: user-mode networking on libslirp. The parsers are exposed
 * so tests can check the grammar and error texts without a running stack. */
#ifndef SKIFF_NET_SLIRP_H
#define SKIFF_NET_SLIRP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "cli/keyval.h"
#include "net/net.h"

#define SLIRP_MAX_LIST 64          /* hostfwd=, guestfwd=, dnssearch= each */
#define SLIRP_MTU_MIN 68
#define SLIRP_MTU_MAX 65520
#define SLIRP_SMBD_COMMAND "/usr/sbin/smbd"

/* Every -netdev user option, resolved to QEMU's defaults. Owns its strings. */
struct slirp_params {
	bool restricted;
	bool ipv4, ipv6;
	struct in_addr net, mask, host, dhcp, dns, smbsrv;
	struct in6_addr prefix6, host6, dns6;
	unsigned prefix6_len;
	char *hostname, *domainname, *tftp, *tftp_server_name, *bootfile, *smb;
	char *dnssearch[SLIRP_MAX_LIST + 1];   /* NULL-terminated for libslirp */
	size_t nr_dnssearch;
	char *hostfwd[SLIRP_MAX_LIST];
	size_t nr_hostfwd;
	char *guestfwd[SLIRP_MAX_LIST];
	size_t nr_guestfwd;
	unsigned mtu;                         /* 0 = libslirp's 1500 */
};

/* Parse and validate; 0 or -1 after error_report() in QEMU's words. */
int slirp_params_parse(struct kvlist *opts, struct slirp_params *p);
void slirp_params_free(struct slirp_params *p);

/* hostfwd=[tcp|udp|unix]:[hostaddr]:hostport-[guestaddr]:guestport, plus
 * IPv6 in brackets on either side: tcp:[::1]:8080-:80. */
struct slirp_hostfwd {
	bool udp;
	struct sockaddr_storage host;
	socklen_t host_len;
	struct sockaddr_storage guest;
	socklen_t guest_len;
	bool guest_addr_empty;     /* use the first DHCP address */
};
/* 0, or -1 with *why set to QEMU's reason ("Bad host port", ...). */
int slirp_hostfwd_parse(const char *rule, struct slirp_hostfwd *fwd, const char **why);

/* guestfwd=[tcp]:[server]:port-cmd:COMMAND | -tcp:HOST:PORT | -unix:PATH */
struct slirp_guestfwd {
	struct in_addr server;     /* 0 = the network's .4 (libslirp's default) */
	int port;
	const char *target;        /* points into the rule: "cmd:..." or a chardev spec */
};
int slirp_guestfwd_parse(const char *rule, struct slirp_guestfwd *fwd);

/* Create the backend client named id. 0 or -1 (reported). */
int net_init_user(const char *id, struct kvlist *opts);

/* Can this process forward guest pings (ICMP socket or raw socket)? When
 * not, why[] says what to change. */
bool slirp_ping_allowed(char *why, size_t len);

/* The libslirp instance behind a "user" client (tests, monitor). */
struct Slirp;
struct Slirp *slirp_of(struct net_client *nc);

#endif

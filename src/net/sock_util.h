/* Socket-based backends: -netdev socket (legacy, socket.c), stream
 * (stream.c), dgram (dgram.c), on one engine (sock_util.c).
 *
 * Wire formats (QEMU's, research §5): stream sockets carry records of a
 * 4-byte big-endian length then that many bytes of Ethernet frame; datagram
 * sockets carry one frame per datagram, no header.
 *
 * Engine rules: every fd is non-blocking in the event loop. A stream peer
 * that disconnects takes the link down (net_client_set_link); a server
 * accepts the next client (one at a time, as QEMU), a client with a reconnect
 * delay tries again. A record length of 0 is skipped; a length above
 * NET_MAX_FRAME drops the connection (QEMU: "oversized packet received").
 * A stream is read in bulk and records are cut out of the buffer; delivery
 * stops while net_send() reports back-pressure and resumes in on_drained
 * (buffered records first). Records toward the peer are queued and written
 * together at the end of the NIC's transmit batch (ops->poll), or by the loop
 * for other peers; up to SOCKBE_TXQ_LIMIT bytes wait for a slow peer, beyond
 * that receive() returns 0 so net core holds them (bounded by
 * NET_QUEUE_LIMIT) until the socket drains. Datagram sends that would block
 * are dropped.
 *
 * Reset: skiff re-executes itself on a guest reset (tap.h); QEMU resets in-process and keeps
 * a stream's connection, so skiff hands it over: at cleanup with a reset pending, a connected
 * stream's fd is left open without FD_CLOEXEC and SOCKBE_ENV_PREFIX<netdev id> is set to
 * "<fd>:<memfd or -1>:<peer>"; the memfd holds the bytes read and not yet delivered and those
 * queued and not yet written, so the peer's and our record framing survive (a connection
 * whose bytes cannot be carried is dropped rather than cut). The new image (SKIFF_REBOOTED=1,
 * same options) takes that connection instead of connecting (client) or waiting for the next
 * one (server). Listening and datagram sockets skiff made are made afresh; sockets the user
 * gave by fd= (data or listening) are never closed for a reset, as the new image's fd= names
 * them again; an fd= stream whose peer left before the reset is link-down after it (its
 * number held by /dev/null, the variable set to "gone:<fd>"). */
#ifndef SKIFF_NET_SOCK_UTIL_H
#define SKIFF_NET_SOCK_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct kvlist;
struct net_client;

int net_init_socket(const char *id, struct kvlist *opts);
int net_init_stream(const char *id, struct kvlist *opts);
int net_init_dgram(const char *id, struct kvlist *opts);

#define SOCKBE_TXQ_LIMIT (4 * (65536 + 64 + 4))
#define SOCKBE_ENV_PREFIX "SKIFF_SOCK_FD_"

struct sockbe;

/* type: "socket", "stream" or "dgram" (the client's ops->type). The link
 * starts down; it goes up when a stream connects or a dgram socket is set. */
struct sockbe *sockbe_new(const char *type, const char *id);
struct net_client *sockbe_client(struct sockbe *s);
/* Undo a sockbe_new() whose setup failed (frees the client). */
void sockbe_free(struct sockbe *s);

/* The socket the next call sets up came by fd= (before sockbe_listen/_stream_fd/_dgram): it
 * stays inheritable and open across a reset's re-exec, whose command line names it again. */
void sockbe_user_fd(struct sockbe *s);
/* After a reset: when the previous image's fd=str stream for netdev id had lost its
 * connection, set up that netdev link-down for good, as QEMU leaves it (its number is held by
 * a /dev/null placeholder; warned; info "<info_prefix>fd=N") and return true; false: set up
 * as usual. */
bool sockbe_user_fd_gone(const char *type, const char *id, const char *str,
			 const char *info_prefix);
/* Server: lfd is bound and listening. desc: "127.0.0.1:1234" or a path.
 * unlink_path (may be NULL) is removed at cleanup. */
void sockbe_listen(struct sockbe *s, int lfd, const char *desc, const char *unlink_path);
/* Client: connect (asynchronously) to addr; reconnect_ms 0 = never retry. */
void sockbe_connect(struct sockbe *s, const struct sockaddr *addr, socklen_t len,
		    uint64_t reconnect_ms, const char *desc);
/* An already connected stream socket (fd=). */
void sockbe_stream_fd(struct sockbe *s, int fd, const char *desc);
/* A datagram socket; frames go to dest (NULL: send() on a connected fd). */
void sockbe_dgram(struct sockbe *s, int fd, const struct sockaddr *dest, socklen_t len,
		  const char *desc);

/* Helpers for the option parsers. */
/* QEMU's parse_host_port(): "host:port", empty host = INADDR_ANY, IPv4.
 * 0 or -1 (reported). */
int sock_parse_host_port(const char *str, struct sockaddr_in *out);
/* The first key nobody fetched, in the modern parser's words
 * ("Parameter 'x' is unexpected"). 0 or -1 (reported). */
int sock_check_unused_modern(const struct kvlist *opts);
/* An inherited fd number ("3"). fd or -1 (reported). */
int sock_parse_fd(const char *key, const char *str);

/* A UDP socket joined to an IPv4 multicast group, bound to the group's
 * port, with loopback on (QEMU's net_socket_mcast_create()). local: the
 * interface address or NULL; enodev_hint: what to tell the user when no
 * interface can carry multicast. fd, or -1 after a message. */
struct sockaddr_in;
struct in_addr;
int sock_mcast_open(const struct sockaddr_in *group, const struct in_addr *local,
		    const char *enodev_hint);
/* A unix socket address; abstract: Linux abstract namespace, tight: the
 * address length covers the name only (QEMU's default). 0 or -1 (reported). */
struct sockaddr_un;
int sock_unix_addr(const char *path, bool abstract, bool tight, struct sockaddr_un *out,
		   socklen_t *len);

#endif

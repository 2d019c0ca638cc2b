/* Socket-based backends: -netdev socket (legacy), stream, dgram.
 * Shared engine in sock_util.c; the option parsers in socket.c, stream.c,
 * dgram.c. */
#ifndef SKIFF_NET_SOCK_UTIL_H
#define SKIFF_NET_SOCK_UTIL_H
struct kvlist;
int net_init_socket(const char *id, struct kvlist *opts);
int net_init_stream(const char *id, struct kvlist *opts);
int net_init_dgram(const char *id, struct kvlist *opts);
#endif

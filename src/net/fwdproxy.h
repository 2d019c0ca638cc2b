/* TCP relay from a listening socket to a unix socket (see fwdproxy.c). */
#ifndef SKIFF_NET_FWDPROXY_H
#define SKIFF_NET_FWDPROXY_H

#include <sys/socket.h>

struct fwd_proxy;

/* Listen on addr now (so bind errors surface at start-up); each accepted
 * client is relayed to unix_path. 0, or -errno. Needs el_init() first. */
int fwd_proxy_new(const struct sockaddr *addr, socklen_t len, const char *unix_path,
		  struct fwd_proxy **out);
void fwd_proxy_free(struct fwd_proxy *px);

#endif

/* -netdev dgram (QEMU 7.2+): local.type= / remote.type= inet|unix|fd, one
 * frame per datagram; a multicast remote joins the group. Validity rules and
 * messages as QEMU's net/dgram.c (research §1.7); inet is IPv4 there too.
 * The data path is sock_util.c. */
#include "net/sock_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/keyval.h"
#include "net/net.h"
#include "util/log.h"

enum dg_type { DG_NONE, DG_INET, DG_UNIX, DG_FD };

struct dg_addr {
	enum dg_type type;
	const char *host, *port, *path, *str;
	bool abstract, tight;
};

static bool dg_has_prefix(struct kvlist *opts, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < opts->n; i++)
		if (!strncmp(opts->items[i].key, prefix, n))
			return true;
	return false;
}

/* Fetch "<which>.*" keys. 0 or -1 (reported). */
static int dg_get(struct kvlist *opts, const char *which, struct dg_addr *a)
{
	char k[64];
	const char *type;

	memset(a, 0, sizeof(*a));
	a->tight = true;
	snprintf(k, sizeof(k), "%s.type", which);
	type = kvlist_get(opts, k);
	if (!type) {
		if (dg_has_prefix(opts, which) ) {
			char pre[32];
			snprintf(pre, sizeof(pre), "%s.", which);
			if (dg_has_prefix(opts, pre)) {
				error_report("Parameter '%s' is missing", k);
				return -1;
			}
		}
		return 0;
	}
	if (!strcmp(type, "inet")) {
		a->type = DG_INET;
	} else if (!strcmp(type, "unix")) {
		a->type = DG_UNIX;
	} else if (!strcmp(type, "fd")) {
		a->type = DG_FD;
	} else {
		error_report("Parameter '%s' does not accept value '%s'", k, type);
		return -1;
	}
	snprintf(k, sizeof(k), "%s.host", which);
	a->host = kvlist_get(opts, k);
	snprintf(k, sizeof(k), "%s.port", which);
	a->port = kvlist_get(opts, k);
	snprintf(k, sizeof(k), "%s.path", which);
	a->path = kvlist_get(opts, k);
	snprintf(k, sizeof(k), "%s.str", which);
	a->str = kvlist_get(opts, k);
	snprintf(k, sizeof(k), "%s.abstract", which);
	if (kvlist_get_bool(opts, k, &a->abstract) < 0)
		return -1;
	snprintf(k, sizeof(k), "%s.tight", which);
	if (kvlist_get_bool(opts, k, &a->tight) < 0)
		return -1;
	return 0;
}

/* The fields the address type needs; the others are unexpected. */
static int dg_check_fields(const char *which, const struct dg_addr *a)
{
	char k[64];
	const char *missing = NULL, *extra = NULL;

	switch (a->type) {
	case DG_INET:
		missing = !a->host ? "host" : !a->port ? "port" : NULL;
		extra = a->path ? "path" : a->str ? "str" : NULL;
		break;
	case DG_UNIX:
		missing = !a->path ? "path" : NULL;
		extra = a->host ? "host" : a->port ? "port" : a->str ? "str" : NULL;
		break;
	case DG_FD:
		missing = !a->str ? "str" : NULL;
		extra = a->host ? "host" : a->port ? "port" : a->path ? "path" : NULL;
		break;
	default:
		return 0;
	}
	if (missing) {
		snprintf(k, sizeof(k), "%s.%s", which, missing);
		error_report("Parameter '%s' is missing", k);
		return -1;
	}
	if (extra) {
		snprintf(k, sizeof(k), "%s.%s", which, extra);
		error_report("Parameter '%s' is unexpected", k);
		return -1;
	}
	return 0;
}

static int dg_inet(const struct dg_addr *a, struct sockaddr_in *out)
{
	char buf[300];

	snprintf(buf, sizeof(buf), "%s:%s", a->host, a->port);
	return sock_parse_host_port(buf, out);
}

static int dg_fd(const struct dg_addr *a)
{
	int fd = sock_parse_fd("local.str", a->str), type;
	socklen_t l = sizeof(type);

	if (fd < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 || type != SOCK_DGRAM) {
		error_report("fd=%d is not a datagram socket", fd);
		return -1;
	}
	return fd;
}

static int dg_mcast(const char *id, const struct sockaddr_in *group, const struct dg_addr *local)
{
	struct in_addr laddr;
	struct sockbe *s;
	char info[128];
	int fd;

	if (local->type == DG_FD) {
		fd = dg_fd(local);
		if (fd < 0)
			return -1;
		goto done;
	}
	if (local->type == DG_UNIX) {
		error_report("multicast only support inet type");
		return -1;
	}
	if (local->type == DG_INET && !inet_aton(local->host, &laddr)) {
		error_report("localaddr '%s' is not a valid IPv4 address", local->host);
		return -1;
	}
	fd = sock_mcast_open(group, local->type == DG_INET ? &laddr : NULL,
			     "give local.type=inet,local.host=ADDR or add a multicast route");
	if (fd < 0)
		return -1;
done:
	s = sockbe_new("dgram", id);
	snprintf(info, sizeof(info), "mcast=%s:%u", inet_ntoa(group->sin_addr),
		 ntohs(group->sin_port));
	sockbe_dgram(s, fd, (const struct sockaddr *)group, sizeof(*group), info);
	return 0;
}

int net_init_dgram(const char *id, struct kvlist *opts)
{
	struct dg_addr local, remote;
	struct sockaddr_in rin, lin;
	struct sockaddr_un rsun, lsun;
	socklen_t rlen = 0, llen = 0;
	struct sockbe *s;
	char info[300];
	int fd, one = 1;

	if (dg_get(opts, "local", &local) < 0 || dg_get(opts, "remote", &remote) < 0)
		return -1;
	if (sock_check_unused_modern(opts) < 0)
		return -1;
	if (dg_check_fields("local", &local) < 0 || dg_check_fields("remote", &remote) < 0)
		return -1;
	if (remote.type == DG_FD) {
		error_report("Parameter 'remote.type' does not accept value 'fd'");
		return -1;
	}
	if (remote.type == DG_INET) {
		if (dg_inet(&remote, &rin) < 0)
			return -1;
		if (IN_MULTICAST(ntohl(rin.sin_addr.s_addr)))
			return dg_mcast(id, &rin, &local);
	}
	if (local.type == DG_NONE) {
		error_report("dgram requires local= parameter");
		return -1;
	}
	if (remote.type != DG_NONE) {
		if (local.type == DG_FD) {
			error_report("don't set remote with local.fd");
			return -1;
		}
		if (remote.type != local.type) {
			error_report("remote and local types must be the same");
			return -1;
		}
	} else if (local.type != DG_FD) {
		error_report("type=inet or type=unix requires remote parameter");
		return -1;
	}
	if (local.type == DG_FD) {
		fd = dg_fd(&local);
		if (fd < 0)
			return -1;
		s = sockbe_new("dgram", id);
		sockbe_user_fd(s);
		snprintf(info, sizeof(info), "fd=%d", fd);
		sockbe_dgram(s, fd, NULL, 0, info);
		return 0;
	}
	if (local.type == DG_INET) {
		if (dg_inet(&local, &lin) < 0)
			return -1;
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			error_report("can't create datagram socket: %s", strerror(errno));
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&lin, sizeof(lin)) < 0) {
			error_report("can't bind ip=%s:%s to socket: %s", local.host, local.port,
				     strerror(errno));
			close(fd);
			return -1;
		}
		s = sockbe_new("dgram", id);
		snprintf(info, sizeof(info), "udp=%.100s:%.10s/%.100s:%.10s", local.host, local.port,
			 remote.host, remote.port);
		sockbe_dgram(s, fd, (struct sockaddr *)&rin, sizeof(rin), info);
		return 0;
	}
	/* unix */
	if (sock_unix_addr(local.path, local.abstract, local.tight, &lsun, &llen) < 0 ||
	    sock_unix_addr(remote.path, remote.abstract, remote.tight, &rsun, &rlen) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		error_report("can't create datagram socket: %s", strerror(errno));
		return -1;
	}
	if (!local.abstract) {
		struct stat st;
		if (lstat(local.path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(local.path);
	}
	if (bind(fd, (struct sockaddr *)&lsun, llen) < 0) {
		error_report("can't bind unix=%s to socket: %s", local.path, strerror(errno));
		close(fd);
		return -1;
	}
	s = sockbe_new("dgram", id);
	snprintf(info, sizeof(info), "udp=%.140s:%.140s", local.path, remote.path);
	sockbe_dgram(s, fd, (struct sockaddr *)&rsun, rlen, info);
	return 0;
}

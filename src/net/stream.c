/* -netdev stream (QEMU 7.2+): addr.type=inet|unix|fd, server=on|off,
 * reconnect= (seconds, QEMU 8.0-10.1) / reconnect-ms= (QEMU 9.2+).
 * Dotted keys arrive as-is ("addr.type") from the command line parser.
 * Messages as QEMU's (research §1.6); the data path is sock_util.c. */
#include "net/sock_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
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

static bool stream_has_prefix(struct kvlist *opts, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < opts->n; i++)
		if (!strncmp(opts->items[i].key, prefix, n))
			return true;
	return false;
}

static int stream_inet(const char *id, struct kvlist *opts, bool server, uint64_t reconnect_ms)
{
	const char *host = kvlist_get(opts, "addr.host");
	const char *port = kvlist_get(opts, "addr.port");
	bool numeric = false, v4 = false, v6 = false, b;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	uint64_t to;
	char desc[300];
	int r, v4set, v6set, fd = -1, err = 0;
	struct sockbe *s;

	if (kvlist_get_bool(opts, "addr.numeric", &numeric) < 0 ||
	    (v4set = kvlist_get_bool(opts, "addr.ipv4", &v4)) < 0 ||
	    (v6set = kvlist_get_bool(opts, "addr.ipv6", &v6)) < 0 ||
	    kvlist_get_bool(opts, "addr.keep-alive", &b) < 0 ||
	    kvlist_get_bool(opts, "addr.mptcp", &b) < 0 ||
	    kvlist_get_u64(opts, "addr.to", &to) < 0)
		return -1;
	if (sock_check_unused_modern(opts) < 0)
		return -1;
	if (!host) {
		error_report("Parameter 'addr.host' is missing");
		return -1;
	}
	if (!port) {
		error_report("Parameter 'addr.port' is missing");
		return -1;
	}
	hints.ai_family = AF_UNSPEC;
	if (v4set > 0 && v4 && !(v6set > 0 && v6))
		hints.ai_family = AF_INET;
	else if (v6set > 0 && v6 && !(v4set > 0 && v4))
		hints.ai_family = AF_INET6;
	hints.ai_flags = (server ? AI_PASSIVE : 0) | (numeric ? AI_NUMERICHOST : 0);
	r = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (r) {
		error_report("address resolution failed for %s:%s: %s", host, port, gai_strerror(r));
		return -1;
	}
	snprintf(desc, sizeof(desc), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	if (!server) {
		s = sockbe_new("stream", id);
		sockbe_connect(s, res->ai_addr, res->ai_addrlen, reconnect_ms, desc);
		freeaddrinfo(res);
		return 0;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (err == EADDRINUSE)
			error_report("Failed to find an available port: %s\n"
				     "another process (or netdev) listens on %s: pick another addr.port",
				     strerror(err), desc);
		else
			error_report("Failed to find an available port: %s", strerror(err));
		return -1;
	}
	s = sockbe_new("stream", id);
	sockbe_listen(s, fd, desc, NULL);
	return 0;
}

static int stream_unix(const char *id, struct kvlist *opts, bool server, uint64_t reconnect_ms)
{
	const char *path = kvlist_get(opts, "addr.path");
	bool abstract = false, tight = true;
	struct sockaddr_un sun;
	socklen_t len;
	struct sockbe *s;
	char desc[200];
	int fd;

	if (kvlist_get_bool(opts, "addr.abstract", &abstract) < 0 ||
	    kvlist_get_bool(opts, "addr.tight", &tight) < 0)
		return -1;
	if (sock_check_unused_modern(opts) < 0)
		return -1;
	if (!path) {
		error_report("Parameter 'addr.path' is missing");
		return -1;
	}
	if (sock_unix_addr(path, abstract, tight, &sun, &len) < 0)
		return -1;
	snprintf(desc, sizeof(desc), "%s%.180s", abstract ? "@" : "", path);
	if (!server) {
		s = sockbe_new("stream", id);
		sockbe_connect(s, (struct sockaddr *)&sun, len, reconnect_ms, desc);
		return 0;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		error_report("Failed to create socket: %s", strerror(errno));
		return -1;
	}
	if (!abstract) {
		struct stat st;
		/* As QEMU: a stale socket is replaced; anything else is kept. */
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, 1) < 0) {
		error_report("Failed to bind socket to %s: %s", desc, strerror(errno));
		close(fd);
		return -1;
	}
	s = sockbe_new("stream", id);
	sockbe_listen(s, fd, desc, abstract ? NULL : path);
	return 0;
}

static int stream_fd(const char *id, struct kvlist *opts, bool server)
{
	const char *str = kvlist_get(opts, "addr.str");
	int fd, type, acc = 0;
	socklen_t l = sizeof(type);
	struct sockbe *s;
	char desc[64];

	if (sock_check_unused_modern(opts) < 0)
		return -1;
	if (!str) {
		error_report("Parameter 'addr.str' is missing");
		return -1;
	}
	if (!server && sockbe_user_fd_gone("stream", id, str, ""))
		return 0;
	fd = sock_parse_fd("addr.str", str);
	if (fd < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 || type != SOCK_STREAM) {
		error_report("fd=%d is not a stream socket", fd);
		return -1;
	}
	l = sizeof(acc);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l);
	snprintf(desc, sizeof(desc), "fd=%d", fd);
	s = sockbe_new("stream", id);
	sockbe_user_fd(s);
	if (server) {
		if (!acc) {
			error_report("fd=%d is not a listening socket (server=on needs one)", fd);
			sockbe_free(s);
			return -1;
		}
		sockbe_listen(s, fd, desc, NULL);
	} else {
		sockbe_stream_fd(s, fd, desc);
	}
	return 0;
}

int net_init_stream(const char *id, struct kvlist *opts)
{
	const char *type = kvlist_get(opts, "addr.type");
	uint64_t reconnect = 0, reconnect_ms = 0;
	bool server = false;
	int r1, r2;

	if (kvlist_get_bool(opts, "server", &server) < 0)
		return -1;
	if ((r1 = kvlist_get_u64(opts, "reconnect", &reconnect)) < 0 ||
	    (r2 = kvlist_get_u64(opts, "reconnect-ms", &reconnect_ms)) < 0)
		return -1;
	if (r1 > 0 && r2 > 0) {
		error_report("'reconnect' and 'reconnect-ms' are mutually exclusive");
		return -1;
	}
	if (r1 > 0) {
		if (reconnect > UINT64_MAX / 1000) {
			error_report("Parameter 'reconnect' is out of range");
			return -1;
		}
		reconnect_ms = reconnect * 1000;
	}
	if (server && (r1 > 0 || r2 > 0)) {
		error_report("'%s' option is incompatible with socket in server mode",
			     r1 > 0 ? "reconnect" : "reconnect-ms");
		return -1;
	}
	if (!type) {
		if (!stream_has_prefix(opts, "addr.")) {
			sock_check_unused_modern(opts) < 0 ? (void)0 :
				error_report("Parameter 'addr' is missing");
			return -1;
		}
		error_report("Parameter 'addr.type' is missing");
		return -1;
	}
	if (!strcmp(type, "inet"))
		return stream_inet(id, opts, server, reconnect_ms);
	if (!strcmp(type, "unix"))
		return stream_unix(id, opts, server, reconnect_ms);
	if (!strcmp(type, "fd"))
		return stream_fd(id, opts, server);
	if (!strcmp(type, "vsock")) {
		error_report("stream addr.type=vsock is not supported by skiff: "
			     "use inet, unix or fd");
		return -1;
	}
	error_report("Parameter 'addr.type' does not accept value '%s'", type);
	return -1;
}

/* A small TCP relay: accept on one address, connect each client to a unix
 * socket, copy both ways. libslirp 4.7 cannot forward an IPv6 host socket
 * to an IPv4 guest, but it can forward a unix socket to one; this joins the
 * two so hostfwd=tcp:[::1]:8080-:80 works. Runs on the event loop. */
#include "net/fwdproxy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/event_loop.h"
#include "util/log.h"

#define FWD_BUF 65536

struct fwd_conn;

struct fwd_end {
	struct fwd_conn *c;
	int idx;
};

struct fwd_conn {
	struct fwd_proxy *px;
	int fd[2];                 /* 0 = the host client, 1 = libslirp's unix socket */
	struct fwd_end end[2];
	uint8_t *buf[2];           /* buf[i]: read from fd[i], to be written to fd[1-i] */
	size_t len[2], off[2];
	bool eof[2], shut[2];
	struct fwd_conn *next;
};

struct fwd_proxy {
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct fwd_conn *conns;
};

static void fwd_conn_close(struct fwd_conn *c)
{
	struct fwd_proxy *px = c->px;

	for (struct fwd_conn **pp = &px->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0) {
			el_del_fd(c->fd[i]);
			close(c->fd[i]);
		}
		free(c->buf[i]);
	}
	free(c);
}

static void fwd_conn_update(struct fwd_conn *c)
{
	for (int i = 0; i < 2; i++) {
		uint32_t ev = 0;
		if (!c->eof[i] && c->len[i] == 0)
			ev |= EPOLLIN;
		if (c->len[1 - i] > c->off[1 - i])
			ev |= EPOLLOUT;
		el_mod_fd(c->fd[i], ev);
	}
}

/* Write what fd[from] gave us to the other side. -1 on a fatal error. */
static int fwd_flush(struct fwd_conn *c, int from)
{
	int to = 1 - from;

	while (c->off[from] < c->len[from]) {
		ssize_t n = write(c->fd[to], c->buf[from] + c->off[from], c->len[from] - c->off[from]);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->off[from] += (size_t)n;
	}
	c->len[from] = c->off[from] = 0;
	if (c->eof[from] && !c->shut[to]) {
		shutdown(c->fd[to], SHUT_WR);
		c->shut[to] = true;
	}
	return 0;
}

static void fwd_conn_event(void *opaque, uint32_t events)
{
	struct fwd_end *e = opaque;
	struct fwd_conn *c = e->c;
	int i = e->idx;

	if (events & EPOLLOUT && fwd_flush(c, 1 - i) < 0)
		goto close;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && !c->eof[i] && c->len[i] == 0) {
		ssize_t n = read(c->fd[i], c->buf[i], FWD_BUF);
		if (n > 0) {
			c->len[i] = (size_t)n;
		} else if (n == 0) {
			c->eof[i] = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			goto close;
		}
		if (fwd_flush(c, i) < 0)
			goto close;
	}
	if (c->eof[0] && c->eof[1] && !c->len[0] && !c->len[1])
		goto close;
	fwd_conn_update(c);
	return;
close:
	fwd_conn_close(c);
}

static void fwd_accept(void *opaque, uint32_t events)
{
	struct fwd_proxy *px = opaque;
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	struct fwd_conn *c;
	int cfd, ufd;

	cfd = accept4(px->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(su.sun_path, px->path);
	if (ufd < 0 || connect(ufd, (struct sockaddr *)&su, sizeof(su)) < 0) {
		debug_report("hostfwd relay: %s: %s", px->path, strerror(errno));
		if (ufd >= 0)
			close(ufd);
		close(cfd);
		return;
	}
	fcntl(ufd, F_SETFL, fcntl(ufd, F_GETFL) | O_NONBLOCK);
	c = calloc(1, sizeof(*c));
	if (!c)
		die("out of memory");
	c->px = px;
	c->fd[0] = cfd;
	c->fd[1] = ufd;
	for (int i = 0; i < 2; i++) {
		c->end[i] = (struct fwd_end){ .c = c, .idx = i };
		c->buf[i] = malloc(FWD_BUF);
		if (!c->buf[i])
			die("out of memory");
	}
	c->next = px->conns;
	px->conns = c;
	if (el_add_fd(cfd, EPOLLIN, fwd_conn_event, &c->end[0]) < 0) {
		close(cfd);
		c->fd[0] = -1;
		fwd_conn_close(c);
		return;
	}
	if (el_add_fd(ufd, EPOLLIN, fwd_conn_event, &c->end[1]) < 0) {
		close(ufd);
		c->fd[1] = -1;
		fwd_conn_close(c);
	}
}

int fwd_proxy_new(const struct sockaddr *addr, socklen_t len, const char *unix_path,
		  struct fwd_proxy **out)
{
	struct fwd_proxy *px;
	int one = 1, e;

	if (strlen(unix_path) >= sizeof(px->path))
		return -ENAMETOOLONG;
	px = calloc(1, sizeof(*px));
	if (!px)
		die("out of memory");
	strcpy(px->path, unix_path);
	px->lfd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (px->lfd < 0)
		goto fail;
	setsockopt(px->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(px->lfd, addr, len) < 0 || listen(px->lfd, 16) < 0 ||
	    el_add_fd(px->lfd, EPOLLIN, fwd_accept, px) < 0)
		goto fail;
	*out = px;
	return 0;
fail:
	e = errno ? errno : EINVAL;
	if (px->lfd >= 0)
		close(px->lfd);
	free(px);
	return -e;
}

void fwd_proxy_free(struct fwd_proxy *px)
{
	if (!px)
		return;
	while (px->conns)
		fwd_conn_close(px->conns);
	el_del_fd(px->lfd);
	close(px->lfd);
	free(px);
}

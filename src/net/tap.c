/* -netdev tap: see tap.h for the grammar and the reset (re-exec) contract.
 *
 * Data path: the tap fd is non-blocking in the event loop. While net_send()
 * reports back-pressure (returns 0: the NIC's ring is full) reading goes on
 * until net core holds TAP_READ_AHEAD_FRAMES frames or TAP_READ_AHEAD bytes
 * for the NIC, then stops and resumes in on_drained. The receive path
 * writes one frame per writev(); when the tap is full the frame is left
 * queued in net core (receive returns 0) and EPOLLOUT resumes it.
 *
 * Offloads: with IFF_VNET_HDR the tap exchanges a 10-byte virtio_net_hdr
 * with the kernel. When the peer (e1000, virtio-net) negotiated the header
 * too, frames pass through unchanged, and TUNSETOFFLOAD enables TUN_F_CSUM
 * (the kernel may hand us frames whose checksum is still to be filled: the
 * NIC does it) and TUN_F_TSO4/TSO6/TSO_ECN: the host's TCP packets come
 * whole, up to 64 KiB, and are cut into MSS-sized frames here (net/gso.h),
 * on headers only, instead of by the host kernel's software GSO with one
 * trip through the tap's transmit path and one read() per frame. Neither
 * NIC takes the whole packet (the e1000 has no large receive; skiff's
 * virtio-net offers no GUEST_TSO). SKIFF_TAP_GSO=off leaves TSO to the host
 * (TUN_F_CSUM only). UFO/USO are never enabled. Without a header-capable
 * peer the header is stripped on read and a zeroed one is prepended on
 * write, and no offload is enabled. */
#include "net/tap.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "cli/keyval.h"
#include "net/gso.h"
#include "net/net.h"
#include "net/sock_util.h"
#include "util/env.h"
#include "util/event_loop.h"
#include "util/log.h"
#include "vm/runstate.h"

#define PATH_NET_TUN "/dev/net/tun"
#define TAP_VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr))
#define TAP_READ_BATCH 50
/* Frames read ahead while the NIC's ring is full. The host's TCP lets only about two of its
 * packets wait in the tap (TCP Small Queues) and builds the next when we read one, in our
 * read(): stopping at a full ring stalls the sender until the guest has freed buffers and we
 * have seen that. A ring's worth (256 frames, the e1000's default ring; 379 KiB of full-size
 * frames) keeps the sender going; the byte bound is for larger frames (up to 64 KiB from a
 * tap without TSO). The frame count stays well below net core's NET_QUEUE_LIMIT, so the
 * segments of the host packet being cut when reading pauses have room behind it (at an MSS
 * of 86 bytes or more). Lab, tap host->guest: +8%, +1%, +1% in three lab boots
 * (bench/README.md, session 14). SKIFF_TAP_AHEAD=off (stop at once, as before) or a smaller
 * byte count compares. */
#define TAP_READ_AHEAD_FRAMES 256u
#define TAP_READ_AHEAD (384u * 1024)

struct tap_state {
	struct net_client *nc;
	int fd;
	char ifname[IFNAMSIZ];
	char *downscript;          /* NULL: none */
	bool vnet;                 /* the fd has IFF_VNET_HDR */
	bool offload_on;           /* TUN_F_CSUM (and TSO unless !gso) currently set */
	bool gso;                  /* SKIFF_TAP_GSO (default on): TUN_F_TSO* with TUN_F_CSUM */
	bool gso_paused;           /* a segment of the packet being cut was queued by net core */
	bool read_paused;          /* the peer is full and the read-ahead is used up */
	size_t read_ahead;         /* bytes: TAP_READ_AHEAD, or SKIFF_TAP_AHEAD */
	bool write_blocked;        /* the tap said EAGAIN: waiting for EPOLLOUT */
	bool registered;
	uint32_t events;
	uint8_t *buf;              /* read buffer: header + NET_MAX_FRAME */
	bool poll_after_tx;        /* SKIFF_TAP_POLL (default on): ops->poll reads */
	uint64_t last_rx_ns;       /* when a read last returned a frame (coarse clock: a 20 ms
				    * rule needs no better, and a read costs no clock syscall) */
};

/* ops->poll reads only after this long without a frame from the host: it is for answers
 * (a ping, a request's first reply), not for a stream, whose frames the event-loop thread
 * reads in parallel; on the vCPU thread they would cost the guest CPU time (tap host->guest
 * TCP, vCPU-bound in the lab, lost ~25% with an unconditional poll and still ~20% with a
 * 2 ms rule: a stream in the nested lab has gaps of milliseconds). */
#define TAP_POLL_IDLE_NS 20000000ull

static const struct net_client_ops tap_nc_ops;

/* ---- down-scripts still owed at exit (reset path, see tap.h) --------- */

struct tap_pending_down {
	char *script;
	char ifname[IFNAMSIZ];
	int fd;
	struct tap_pending_down *next;
};

static struct tap_pending_down *tap_pending;
static bool tap_atexit_registered;

static void tap_run_pending_downscripts(void)
{
	while (tap_pending) {
		struct tap_pending_down *p = tap_pending;
		tap_pending = p->next;
		tap_run_script(p->script, p->ifname, p->fd);
		free(p->script);
		free(p);
	}
}

static void tap_pending_add(const char *script, const char *ifname, int fd)
{
	struct tap_pending_down *p = calloc(1, sizeof(*p));

	if (!p)
		die("out of memory");
	p->script = strdup(script);
	if (!p->script)
		die("out of memory");
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	p->fd = fd;
	p->next = tap_pending;
	tap_pending = p;
	if (!tap_atexit_registered) {
		atexit(tap_run_pending_downscripts);
		tap_atexit_registered = true;
	}
}

static void tap_pending_forget(int fd)
{
	for (struct tap_pending_down **pp = &tap_pending; *pp;) {
		struct tap_pending_down *p = *pp;
		if (p->fd == fd) {
			*pp = p->next;
			free(p->script);
			free(p);
		} else {
			pp = &p->next;
		}
	}
}

/* ---- opening ---------------------------------------------------------- */

/* Who holds tap ifname open? Linux shows "iff:\t<name>" in a tun fd's fdinfo. */
static bool tap_find_holder(const char *ifname, char *out, size_t len)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	char want[IFNAMSIZ + 8];
	bool found = false;

	if (!proc)
		return false;
	snprintf(want, sizeof(want), "iff:\t%s\n", ifname);
	while (!found && (de = readdir(proc))) {
		char path[600], line[128];
		DIR *fds;
		struct dirent *fe;

		if (!isdigit((unsigned char)de->d_name[0]) || atoi(de->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo", de->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!found && (fe = readdir(fds))) {
			FILE *f;
			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", de->d_name, fe->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f))
				if (!strcmp(line, want)) {
					found = true;
					break;
				}
			fclose(f);
		}
		closedir(fds);
		if (found) {
			char comm[32] = "?";
			FILE *f;
			snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
			f = fopen(path, "r");
			if (f) {
				if (fgets(comm, sizeof(comm), f))
					comm[strcspn(comm, "\n")] = 0;
				fclose(f);
			}
			snprintf(out, len, "%.31s (pid %.16s)", comm, de->d_name);
		}
	}
	closedir(proc);
	return found;
}

int tap_open(const char *ifname, bool *vnet_hdr, bool vnet_required,
	     char *ifname_out, size_t ifname_len)
{
	struct ifreq ifr;
	unsigned int features = 0;
	int fd, e;

	fd = open(PATH_NET_TUN, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			error_report("could not open %s: %s\n"
				     "the tun driver is not available: load it with 'modprobe tun' "
				     "(as root)", PATH_NET_TUN, strerror(e));
		else if (e == EACCES || e == EPERM)
			error_report("could not open %s: %s\n"
				     "opening a tap needs read-write access to %s: run as root, or "
				     "make the node accessible (it is 0666 on most distributions)",
				     PATH_NET_TUN, strerror(e), PATH_NET_TUN);
		else
			error_report("could not open %s: %s", PATH_NET_TUN, strerror(e));
		return -1;
	}
	if (ioctl(fd, TUNGETFEATURES, &features) < 0) {
		warn_report("TUNGETFEATURES failed: %s", strerror(errno));
		features = 0;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (*vnet_hdr) {
		if (features & IFF_VNET_HDR) {
			ifr.ifr_flags |= IFF_VNET_HDR;
		} else {
			if (vnet_required) {
				error_report("vnet_hdr=1 requested, but no kernel support for "
					     "IFF_VNET_HDR available");
				close(fd);
				return -1;
			}
			*vnet_hdr = false;
		}
	}
	if (features & IFF_ONE_QUEUE)
		ifr.ifr_flags |= IFF_ONE_QUEUE;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname && *ifname ? ifname : "tap%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		char holder[128];
		const char *name = ifname && *ifname ? ifname : "tap%d";

		e = errno;
		if (e == EPERM || e == EACCES)
			error_report("could not configure %s (%s): %s\n"
				     "creating a tap device needs CAP_NET_ADMIN (run as root); "
				     "without it, use a persistent tap owned by your user, created "
				     "once by root: ip tuntap add %s mode tap user $USER",
				     PATH_NET_TUN, name, strerror(e),
				     strchr(name, '%') ? "tap0" : name);
		else if (e == EBUSY && tap_find_holder(name, holder, sizeof(holder)))
			error_report("could not configure %s (%s): %s\n"
				     "tap %s is in use by %s; a single-queue tap can be attached "
				     "by one process at a time", PATH_NET_TUN, name, strerror(e),
				     name, holder);
		else if (e == EBUSY)
			error_report("could not configure %s (%s): %s\n"
				     "another process holds tap %s; a single-queue tap can be "
				     "attached by one process at a time", PATH_NET_TUN, name,
				     strerror(e), name);
		else if (e == EINVAL)
			error_report("could not configure %s (%s): %s\n"
				     "%s exists but is not a tap device, or it was created "
				     "with other flags (multi_queue, tun mode)", PATH_NET_TUN, name,
				     strerror(e), name);
		else
			error_report("could not configure %s (%s): %s", PATH_NET_TUN, name,
				     strerror(e));
		close(fd);
		return -1;
	}
	snprintf(ifname_out, ifname_len, "%s", ifr.ifr_name);
	if (*vnet_hdr) {
		int len = TAP_VNET_HDR_LEN;
		/* A persistent tap may carry a stale size from its last user. */
		if (ioctl(fd, TUNSETVNETHDRSZ, &len) < 0)
			warn_report("TUNSETVNETHDRSZ failed: %s", strerror(errno));
	}
	return fd;
}

/* Close everything but stdio and keep (in a forked child). */
static void tap_close_fds_except(int keep)
{
#ifdef SYS_close_range
	if (keep < 0 || keep < 3) {
		if (syscall(SYS_close_range, 3U, ~0U, 0) == 0)
			return;
	} else if (syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0) == 0 &&
		   syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0) == 0) {
		return;
	}
#endif
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int i = 3; i < max; i++)
		if (i != keep)
			close(i);
}

int tap_run_script(const char *script, const char *ifname, int keep_fd)
{
	pid_t pid;
	int status;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		char *args[] = { (char *)script, (char *)ifname, NULL };
		sigset_t none;

		sigemptyset(&none);
		signal(SIGPIPE, SIG_DFL);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		tap_close_fds_except(keep_fd);
		execv(script, args);
		_exit(1);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		error_report("could not launch network script %s: %s", script, strerror(errno));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			error_report("network script %s: waitpid failed: %s", script, strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (access(script, X_OK) < 0)
		error_report("network script %s failed with status %d\n"
			     "%s: %s (script=no / downscript=no disable the scripts)",
			     script, status, script, strerror(errno));
	else
		error_report("network script %s failed with status %d", script, status);
	return -1;
}

/* ---- data path -------------------------------------------------------- */

static void tap_fd_event(void *opaque, uint32_t events);

static void tap_update_events(struct tap_state *s)
{
	uint32_t ev = (s->read_paused ? 0 : EPOLLIN) | (s->write_blocked ? EPOLLOUT : 0);

	if (s->fd < 0)
		return;
	if (!ev) {
		if (s->registered)
			el_del_fd(s->fd);
		s->registered = false;
	} else if (!s->registered) {
		if (el_add_fd(s->fd, ev, tap_fd_event, s) < 0)
			die("tap: cannot watch fd: %s", strerror(errno));
		s->registered = true;
	} else if (ev != s->events) {
		el_mod_fd(s->fd, ev);
	}
	s->events = ev;
}

/* Offloads toward us exactly while the peer takes virtio-net headers. */
static void tap_sync_offload(struct tap_state *s)
{
	const unsigned long tso = TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	bool want = s->vnet && s->nc->using_vnet_hdr;

	if (want == s->offload_on)
		return;
	if (want && s->gso && ioctl(s->fd, TUNSETOFFLOAD, TUN_F_CSUM | tso) < 0) {
		debug_report("tap %s: TUNSETOFFLOAD (TSO): %s; the host segments", s->ifname,
			     strerror(errno));
		s->gso = false;
	}
	if ((!want || !s->gso) &&
	    ioctl(s->fd, TUNSETOFFLOAD, want ? (unsigned long)TUN_F_CSUM : 0UL) < 0) {
		debug_report("tap %s: TUNSETOFFLOAD: %s", s->ifname, strerror(errno));
		if (want)
			return;
	}
	s->offload_on = want;
}

static void tap_gso_emit(void *opaque, const struct iovec *iov, int iovcnt)
{
	struct tap_state *s = opaque;

	/* Queued (the NIC's ring is full): the rest of the packet is queued behind it, in
	 * order, and tap_read() treats the packet as one queued frame. */
	if (net_send(s->nc, iov, iovcnt) == 0)
		s->gso_paused = true;
}

/* One frame (with its virtio-net header when the peer took headers) to the peer; a host GSO
 * packet as its segments. False when the peer queued it (tap_read() reads on while the
 * read-ahead lasts). */
static bool tap_deliver(struct tap_state *s, const uint8_t *frame, size_t len)
{
	const struct virtio_net_hdr *vh = (const void *)frame;

	if (s->nc->using_vnet_hdr && len >= sizeof(*vh) && vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		s->gso_paused = false;
		if (net_gso_segment(vh, frame + sizeof(*vh), len - sizeof(*vh), tap_gso_emit, s) < 0) {
			debug_report("tap %s: a GSO packet (type %u, %zu bytes) that cannot be cut: "
				     "dropped", s->ifname, vh->gso_type, len - sizeof(*vh));
			return true;
		}
		return !s->gso_paused;
	}
	return net_send_buf(s->nc, frame, len) != 0;
}

/* The peer queued the last frame: is the read-ahead used up? (Only a peer queues.) */
static bool tap_ahead_full(const struct tap_state *s)
{
	const struct net_client *peer = s->nc->peer;

	return !peer || peer->queue_bytes >= s->read_ahead ||
	       peer->queue_len >= TAP_READ_AHEAD_FRAMES;
}

static void tap_read(struct tap_state *s)
{
	size_t hdr = s->vnet ? TAP_VNET_HDR_LEN : 0;

	if (!s->buf) {
		s->buf = malloc(NET_MAX_FRAME + TAP_VNET_HDR_LEN);
		if (!s->buf)
			die("out of memory");
	}
	tap_sync_offload(s);
	for (int i = 0; i < TAP_READ_BATCH && !s->read_paused; i++) {
		ssize_t n = read(s->fd, s->buf, NET_MAX_FRAME + hdr);
		const uint8_t *frame = s->buf;
		size_t len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				debug_report("tap %s: read: %s", s->ifname, strerror(errno));
			return;
		}
		if (n == 0)
			return;
		s->last_rx_ns = el_now_coarse_ns();
		len = (size_t)n;
		if (s->vnet && !s->nc->using_vnet_hdr) {
			if (len <= hdr)
				continue;
			frame += hdr;
			len -= hdr;
		}
		if (!tap_deliver(s, frame, len) && tap_ahead_full(s)) {
			s->read_paused = true;
			tap_update_events(s);
		}
	}
}

static void tap_fd_event(void *opaque, uint32_t events)
{
	struct tap_state *s = opaque;

	if (events & EPOLLOUT) {
		s->write_blocked = false;
		tap_update_events(s);
		net_client_flush(s->nc);
	}
	if (s->fd >= 0 && !s->read_paused && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		tap_read(s);
}

static ssize_t tap_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct tap_state *s = nc->opaque;
	struct iovec v[iovcnt + 1];
	struct virtio_net_hdr zero = { 0 };
	size_t len = 0;
	int n = 0;
	ssize_t r;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (!s || s->fd < 0)
		return (ssize_t)len;
	if (s->write_blocked)
		return 0;
	tap_sync_offload(s);
	if (s->vnet && !nc->using_vnet_hdr) {
		v[n].iov_base = &zero;
		v[n++].iov_len = sizeof(zero);
	}
	for (int i = 0; i < iovcnt; i++)
		v[n++] = iov[i];
	do {
		r = writev(s->fd, v, n);
	} while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN) {
		s->write_blocked = true;
		tap_update_events(s);
		return 0;
	}
	if (r < 0)
		debug_report("tap %s: write: %s (frame dropped)", s->ifname, strerror(errno));
	return (ssize_t)len;
}

/* The NIC transmitted on its thread (net.h ops->poll): read what the host answered inside
 * that write, as the event loop would, but now, unless frames are streaming in. */
static void tap_poll(struct net_client *nc)
{
	struct tap_state *s = nc->opaque;

	if (s && s->poll_after_tx && s->fd >= 0 && !s->read_paused &&
	    el_now_coarse_ns() - s->last_rx_ns >= TAP_POLL_IDLE_NS)
		tap_read(s);
}

static void tap_on_drained(struct net_client *nc)
{
	struct tap_state *s = nc->opaque;

	if (!s || !s->read_paused)
		return;
	s->read_paused = false;
	tap_update_events(s);
}

static void tap_cleanup(struct net_client *nc)
{
	struct tap_state *s = nc->opaque;

	if (!s)
		return;
	if (s->fd >= 0) {
		if (s->registered)
			el_del_fd(s->fd);
		if (runstate_pending() == RUNSTATE_RESET) {
			/* skiff is about to re-execute itself: hand the tap over. */
			char val[64];

			snprintf(val, sizeof(val), "%d:%s", s->fd, s->ifname);
			if (env_hand_over(TAP_ENV_PREFIX, nc->name, s->fd, val)) {
				debug_report("tap %s: kept open as fd %d for the reset", s->ifname, s->fd);
				if (s->downscript)
					tap_pending_add(s->downscript, s->ifname, s->fd);
				s->fd = -1;
			}
		}
		if (s->fd >= 0) {
			if (s->downscript)
				tap_run_script(s->downscript, s->ifname, s->fd);
			close(s->fd);
		}
	}
	free(s->downscript);
	free(s->buf);
	free(s);
	nc->opaque = NULL;
}

static const struct net_client_ops tap_nc_ops = {
	.type = "tap",
	.receive = tap_receive,
	.poll = tap_poll,
	.on_drained = tap_on_drained,
	.cleanup = tap_cleanup,
};

int tap_get_fd(struct net_client *nc)
{
	if (!nc || nc->ops != &tap_nc_ops || !nc->opaque)
		return -1;
	return ((struct tap_state *)nc->opaque)->fd;
}

const char *tap_get_ifname(struct net_client *nc)
{
	if (!nc || nc->ops != &tap_nc_ops || !nc->opaque)
		return NULL;
	return ((struct tap_state *)nc->opaque)->ifname;
}

/* ---- creation --------------------------------------------------------- */

/* Probe an inherited fd: must be a tap; learn its name and IFF_VNET_HDR. */
static int tap_probe_fd(int fd, char *ifname, size_t len, bool *vnet)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) != 0) {
		error_report("TUNGETIFF ioctl() failed: %s\n"
			     "fd %d is not a tap device", strerror(errno), fd);
		return -1;
	}
	if (!(ifr.ifr_flags & IFF_TAP)) {
		error_report("fd %d is a tun (layer 3) device, not a tap", fd);
		return -1;
	}
	*vnet = ifr.ifr_flags & IFF_VNET_HDR;
	snprintf(ifname, len, "%s", ifr.ifr_name);
	return 0;
}

/* A tap handed over by the image before a reset (see tap.h): its fd or -1. */
static int tap_adopt(const char *id, char *ifname, size_t len, bool *vnet)
{
	char buf[64], want[IFNAMSIZ + 1], got[IFNAMSIZ];
	const char *val = env_take_over(TAP_ENV_PREFIX, id, buf, sizeof(buf));
	char *end;
	long fd;

	if (!val)
		return -1;
	errno = 0;
	fd = strtol(val, &end, 10);
	snprintf(want, sizeof(want), "%s", *end == ':' ? end + 1 : "");
	if (errno || fd < 0 || fd > INT_MAX || *end != ':')
		return -1;
	{
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		if (ioctl((int)fd, TUNGETIFF, &ifr) != 0)
			return -1;
		snprintf(got, sizeof(got), "%s", ifr.ifr_name);
		if (strcmp(got, want))
			return -1;
		*vnet = ifr.ifr_flags & IFF_VNET_HDR;
	}
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	fcntl((int)fd, F_SETFL, fcntl((int)fd, F_GETFL) | O_NONBLOCK);
	tap_pending_forget((int)fd);
	snprintf(ifname, len, "%s", got);
	return (int)fd;
}

static struct net_client *tap_new(const char *type_info, const char *id, int fd,
				  const char *ifname, bool vnet, const char *downscript,
				  uint64_t sndbuf)
{
	struct tap_state *s = calloc(1, sizeof(*s));
	int sb = sndbuf > INT_MAX ? INT_MAX : (int)sndbuf;

	if (!s)
		die("out of memory");
	s->fd = fd;
	s->vnet = vnet;
	s->poll_after_tx = env_switch("SKIFF_TAP_POLL", true);
	s->gso = env_switch("SKIFF_TAP_GSO", true);
	s->read_ahead = env_size("SKIFF_TAP_AHEAD", TAP_READ_AHEAD);
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	if (downscript) {
		s->downscript = strdup(downscript);
		if (!s->downscript)
			die("out of memory");
	}
	if (ioctl(fd, TUNSETSNDBUF, &sb) < 0)
		debug_report("tap %s: TUNSETSNDBUF: %s", ifname, strerror(errno));
	if (vnet) {
		/* No offloads until a header-capable peer is plugged in. */
		ioctl(fd, TUNSETOFFLOAD, 0UL);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	s->nc = net_client_new(&tap_nc_ops, id, s);
	s->nc->has_vnet_hdr = vnet;
	net_client_set_info(s->nc, type_info);
	tap_update_events(s);
	return s->nc;
}

static bool tap_script_enabled(const char *script)
{
	return script && *script && strcmp(script, "no") != 0;
}

/* vhost=on / vhostforce=on / vhostfd(s)=: skiff has no vhost-net datapath. */
static int tap_check_vhost(struct kvlist *opts)
{
	bool vhost = false, force = false, has_vhost;
	const char *vfd = kvlist_get(opts, "vhostfd"), *vfds = kvlist_get(opts, "vhostfds");
	int r, fd;
	uint64_t pollus;

	if ((r = kvlist_get_bool(opts, "vhost", &vhost)) < 0)
		return -1;
	has_vhost = r > 0;
	if (kvlist_get_bool(opts, "vhostforce", &force) < 0)
		return -1;
	if (kvlist_get_u64(opts, "poll-us", &pollus) < 0)
		return -1;
	if (has_vhost ? !vhost : !(vfd || vfds || force))
		return 0;
	if (vfd || vfds) {
		error_report("vhost-net requested but could not be initialized\n"
			     "skiff has no vhost-net datapath: vhostfd=/vhostfds= cannot be used; "
			     "drop them (frames then go through skiff, as with vhost=off)");
		return -1;
	}
	fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		error_report("Could not open '/dev/vhost-net': %s\n"
			     "vhost-net requested but could not be initialized%s",
			     strerror(errno),
			     errno == ENOENT ? " (load it with 'modprobe vhost_net')" : "");
		return -1;
	}
	close(fd);
	error_report("vhost-net requested but could not be initialized\n"
		     "/dev/vhost-net is present, but skiff has no vhost-net datapath: "
		     "use vhost=off (the default; frames then go through skiff)");
	return -1;
}

static int tap_check_queues(struct kvlist *opts)
{
	uint64_t q = 1;

	if (kvlist_get_u64(opts, "queues", &q) < 0)
		return -1;
	if (q == 0 || q > 1024) {
		error_report("Parameter 'queues' expects a value between 1 and 1024");
		return -1;
	}
	if (q > 1) {
		error_report("multiqueue required, but no kernel support for IFF_MULTI_QUEUE "
			     "available\nskiff's tap backend has one queue: use queues=1 "
			     "(or leave queues= out)");
		return -1;
	}
	return 0;
}

int net_init_tap(const char *id, struct kvlist *opts)
{
	const char *fdstr = kvlist_get(opts, "fd"), *fds = kvlist_get(opts, "fds");
	const char *ifname = kvlist_get(opts, "ifname");
	const char *script = kvlist_get(opts, "script");
	const char *downscript = kvlist_get(opts, "downscript");
	const char *helper = kvlist_get(opts, "helper");
	const char *br = kvlist_get(opts, "br");
	const char *queues = kvlist_get(opts, "queues");
	const char *vhostfds = kvlist_get(opts, "vhostfds");
	bool vnet_given, vnet = true, adopted = false;
	uint64_t sndbuf = INT_MAX;
	char name[IFNAMSIZ] = "", info[256];
	int fd, r;

	if ((r = kvlist_get_bool(opts, "vnet_hdr", &vnet)) < 0)
		return -1;
	vnet_given = r > 0;
	if ((r = kvlist_get_size(opts, "sndbuf", &sndbuf)) < 0)
		return -1;
	if (r > 0 && sndbuf == 0)
		sndbuf = INT_MAX;
	if (tap_check_vhost(opts) < 0)
		return -1;
	if (kvlist_check_unused(opts) < 0)
		return -1;

	if (fdstr || fds) {
		const char *key = fdstr ? "fd" : "fds", *val = fdstr ? fdstr : fds;
		if (ifname || script || downscript || vnet_given || helper || queues ||
		    (fdstr && (fds || vhostfds))) {
			error_report("ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, "
				     "fds=, and vhostfds= are invalid with fd=");
			return -1;
		}
		if (!fdstr && strchr(fds, ':')) {
			error_report("multiqueue required, but no kernel support for "
				     "IFF_MULTI_QUEUE available\nskiff's tap backend has one "
				     "queue: pass one fd (fds=N or fd=N)");
			return -1;
		}
		fd = sock_parse_fd(key, val);
		if (fd < 0 || tap_probe_fd(fd, name, sizeof(name), &vnet) < 0)
			return -1;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		snprintf(info, sizeof(info), "fd=%d", fd);
		tap_new(info, id, fd, name, vnet, NULL, sndbuf);
		return 0;
	}
	if (helper) {
		if (ifname || script || downscript || vnet_given || queues || vhostfds) {
			error_report("ifname=, script=, downscript=, vnet_hdr=, queues=, and "
				     "vhostfds= are invalid with helper=");
			return -1;
		}
		fd = tap_adopt(id, name, sizeof(name), &vnet);
		if (fd < 0) {
			fd = tap_run_helper(helper, br ? br : TAP_DEFAULT_BRIDGE);
			if (fd < 0 || tap_probe_fd(fd, name, sizeof(name), &vnet) < 0) {
				if (fd >= 0)
					close(fd);
				return -1;
			}
		}
		snprintf(info, sizeof(info), "helper=%s,br=%s", helper, br ? br : TAP_DEFAULT_BRIDGE);
		tap_new(info, id, fd, name, vnet, NULL, sndbuf);
		return 0;
	}
	if (tap_check_queues(opts) < 0)
		return -1;
	if (!script)
		script = TAP_DEFAULT_SCRIPT;
	if (!downscript)
		downscript = TAP_DEFAULT_DOWNSCRIPT;
	fd = tap_adopt(id, name, sizeof(name), &vnet);
	adopted = fd >= 0;
	if (!adopted) {
		fd = tap_open(ifname, &vnet, vnet_given && vnet, name, sizeof(name));
		if (fd < 0)
			return -1;
		if (tap_script_enabled(script) && tap_run_script(script, name, fd) < 0) {
			close(fd);
			return -1;
		}
	}
	snprintf(info, sizeof(info), "ifname=%s,script=%s,downscript=%s", name,
		 tap_script_enabled(script) ? script : "no",
		 tap_script_enabled(downscript) ? downscript : "no");
	tap_new(info, id, fd, name, vnet, tap_script_enabled(downscript) ? downscript : NULL,
		sndbuf);
	return 0;
}

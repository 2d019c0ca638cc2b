#include "util/event_loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;

void vmm_lock(void) { pthread_mutex_lock(&big_lock); }
void vmm_unlock(void) { pthread_mutex_unlock(&big_lock); }

struct el_fd {
	int fd;
	el_fd_fn fn;
	void *opaque;
	bool deleted;
	struct el_fd *next;
};

struct el_timer {
	el_timer_fn fn;
	void *opaque;
	uint64_t deadline;
	bool armed;
	struct el_timer *next;
};

#define EL_MAX_POLLFDS 512

struct el_pollset {
	struct pollfd fds[EL_MAX_POLLFDS];
	int n;
};

struct el_source {
	const struct el_source_ops *ops;
	void *opaque;
	bool deleted;
	struct el_source *next;
};

struct el_call {
	void (*fn)(void *opaque);
	void *opaque;
	struct el_call *next;
};

static struct {
	int epfd;
	int wakefd;
	struct el_fd *fds;
	struct el_timer *timers;
	struct el_source *sources;
	pthread_mutex_t call_lock;
	struct el_call *calls, *calls_tail;
	volatile int quit;
	bool running;           /* inside el_run() */
	int status;
	struct el_pollset ps;
	/* Set under the big lock before the loop sleeps: until when (UINT64_MAX: no timer).
	 * A timer armed from another thread wakes the loop only if it is due earlier; the
	 * loop itself recomputes its timeout before it sleeps again (no self-wake). */
	bool sleeping;
	uint64_t sleep_until;
	bool no_pwait2;            /* epoll_pwait2 said ENOSYS: ppoll + epoll_wait instead */
	void (*wake_hook)(void *opaque);
	void *wake_opaque;
} el = { .epfd = -1, .wakefd = -1, .call_lock = PTHREAD_MUTEX_INITIALIZER };

uint64_t el_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t el_now_coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void el_wake(void)
{
	uint64_t one = 1;
	if (el.wakefd >= 0 && write(el.wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		debug_report("event loop wake-up failed: %s", strerror(errno));
}

static void el_wake_read(void *opaque, uint32_t events)
{
	uint64_t v;
	(void)opaque;
	(void)events;
	while (read(el.wakefd, &v, sizeof(v)) > 0)
		;
}

int el_init(void)
{
	el.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (el.epfd < 0)
		return -1;
	el.wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (el.wakefd < 0)
		return -1;
	el.quit = 0;
	el.status = 0;
	return el_add_fd(el.wakefd, EPOLLIN, el_wake_read, NULL);
}

void el_fini(void)
{
	while (el.fds) {
		struct el_fd *f = el.fds;
		el.fds = f->next;
		free(f);
	}
	while (el.sources) {
		struct el_source *s = el.sources;
		el.sources = s->next;
		free(s);
	}
	while (el.calls) {
		struct el_call *c = el.calls;
		el.calls = c->next;
		free(c);
	}
	el.calls_tail = NULL;
	if (el.epfd >= 0)
		close(el.epfd);
	if (el.wakefd >= 0)
		close(el.wakefd);
	el.epfd = el.wakefd = -1;
}

int el_add_fd(int fd, uint32_t events, el_fd_fn fn, void *opaque)
{
	struct el_fd *f = calloc(1, sizeof(*f));
	struct epoll_event ev = { .events = events };

	if (!f)
		return -1;
	f->fd = fd;
	f->fn = fn;
	f->opaque = opaque;
	ev.data.ptr = f;
	if (epoll_ctl(el.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		free(f);
		errno = e;
		return -1;
	}
	f->next = el.fds;
	el.fds = f;
	return 0;
}

static struct el_fd *el_find_fd(int fd)
{
	for (struct el_fd *f = el.fds; f; f = f->next)
		if (f->fd == fd && !f->deleted)
			return f;
	return NULL;
}

int el_mod_fd(int fd, uint32_t events)
{
	struct el_fd *f = el_find_fd(fd);
	struct epoll_event ev = { .events = events };

	if (!f) {
		errno = ENOENT;
		return -1;
	}
	ev.data.ptr = f;
	return epoll_ctl(el.epfd, EPOLL_CTL_MOD, fd, &ev);
}

void el_del_fd(int fd)
{
	struct el_fd *f = el_find_fd(fd);
	if (!f)
		return;
	epoll_ctl(el.epfd, EPOLL_CTL_DEL, fd, NULL);
	/* Freed after the current dispatch round: an event for it may be pending. */
	f->deleted = true;
}

struct el_timer *el_timer_new(el_timer_fn fn, void *opaque)
{
	struct el_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->fn = fn;
	t->opaque = opaque;
	t->next = el.timers;
	el.timers = t;
	return t;
}

void el_timer_mod(struct el_timer *t, uint64_t deadline_ns)
{
	t->deadline = deadline_ns;
	t->armed = true;
	/* e1000 interrupt mitigation re-arms a timer per interrupt: an eventfd round trip
	 * each time cost three syscalls on the data path for nothing. */
	if (el.sleeping && deadline_ns < el.sleep_until)
		el_wake();
}

void el_timer_del(struct el_timer *t)
{
	if (t)
		t->armed = false;
}

bool el_timer_pending(const struct el_timer *t)
{
	return t && t->armed;
}

void el_timer_free(struct el_timer *t)
{
	if (!t)
		return;
	for (struct el_timer **pp = &el.timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	free(t);
}

int el_pollset_add(struct el_pollset *ps, int fd, short events)
{
	if (ps->n >= EL_MAX_POLLFDS)
		return -1;
	ps->fds[ps->n] = (struct pollfd){ .fd = fd, .events = events };
	return ps->n++;
}

short el_pollset_revents(const struct el_pollset *ps, int idx)
{
	if (idx < 0 || idx >= ps->n)
		return 0;
	return ps->fds[idx].revents;
}

int el_add_source(const struct el_source_ops *ops, void *opaque)
{
	struct el_source *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->ops = ops;
	s->opaque = opaque;
	s->next = el.sources;
	el.sources = s;
	el_wake();
	return 0;
}

void el_del_source(void *opaque)
{
	for (struct el_source *s = el.sources; s; s = s->next)
		if (s->opaque == opaque)
			s->deleted = true;
}

void el_call_soon(void (*fn)(void *opaque), void *opaque)
{
	struct el_call *c = calloc(1, sizeof(*c));
	if (!c)
		die("out of memory");
	c->fn = fn;
	c->opaque = opaque;
	pthread_mutex_lock(&el.call_lock);
	if (el.calls_tail)
		el.calls_tail->next = c;
	else
		el.calls = c;
	el.calls_tail = c;
	pthread_mutex_unlock(&el.call_lock);
	el_wake();
}

void el_kick(void)
{
	if (el.sleeping)
		el_wake();
}

void el_set_wake_hook(void (*fn)(void *opaque), void *opaque)
{
	el.wake_hook = fn;
	el.wake_opaque = opaque;
}

void el_quit(int status)
{
	if (!el.quit)
		el.status = status;
	el.quit = 1;
	el_wake();
}

bool el_quitting(void)
{
	return el.quit;
}

/* Nanoseconds until the earliest armed timer (-1: none). Timers need better
 * than poll()'s milliseconds: e1000 interrupt mitigation works in units of
 * hundreds of microseconds. */
static int64_t el_timeout_ns(uint64_t now)
{
	int64_t best = -1;
	for (struct el_timer *t = el.timers; t; t = t->next) {
		if (!t->armed)
			continue;
		int64_t ns = t->deadline <= now ? 0 : (int64_t)(t->deadline - now);
		if (best < 0 || ns < best)
			best = ns;
	}
	return best > 60000000000ll ? 60000000000ll : best;
}

static void el_run_timers(void)
{
	uint64_t now = el_now_ns();
	bool again = true;

	/* Earliest deadline first; a callback may add, re-arm or free timers,
	 * so rescan after each one. */
	while (again) {
		struct el_timer *due = NULL;
		for (struct el_timer *t = el.timers; t; t = t->next)
			if (t->armed && t->deadline <= now && (!due || t->deadline < due->deadline))
				due = t;
		again = due != NULL;
		if (due) {
			due->armed = false;
			due->fn(due->opaque);
		}
	}
}

static void el_run_calls(void)
{
	struct el_call *c;

	pthread_mutex_lock(&el.call_lock);
	c = el.calls;
	el.calls = el.calls_tail = NULL;
	pthread_mutex_unlock(&el.call_lock);
	while (c) {
		struct el_call *next = c->next;
		c->fn(c->opaque);
		free(c);
		c = next;
	}
}

static void el_reap(void)
{
	for (struct el_fd **pp = &el.fds; *pp;) {
		struct el_fd *f = *pp;
		if (f->deleted) {
			*pp = f->next;
			free(f);
		} else {
			pp = &f->next;
		}
	}
	for (struct el_source **pp = &el.sources; *pp;) {
		struct el_source *s = *pp;
		if (s->deleted) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

/* One round: wait, then dispatch everything ready. Lock held on entry/exit. */
static void el_iterate(void)
{
	struct el_pollset *ps = &el.ps;
	struct epoll_event evs[64];
	int timeout = -1, n;
	int64_t timeout_ns;
	struct timespec ts, *tsp = NULL;
	uint64_t now = el_now_ns();   /* one clock read per round: the bound and sleep_until */

	timeout_ns = el_timeout_ns(now);
	/* Sources see the timers' bound in milliseconds (rounded up) and may lower it. */
	if (timeout_ns >= 0)
		timeout = (int)((timeout_ns + 999999) / 1000000);
	int timer_ms = timeout;
	ps->n = 0;
	el_pollset_add(ps, el.epfd, POLLIN);
	for (struct el_source *s = el.sources; s; s = s->next)
		if (!s->deleted)
			s->ops->prepare(s->opaque, ps, &timeout);
	if (el.calls)
		timeout_ns = 0;
	/* A source that lowered the bound wins; otherwise keep the timers' ns precision. */
	if (timeout >= 0 && timeout != timer_ms &&
	    (timeout_ns < 0 || (int64_t)timeout * 1000000 < timeout_ns))
		timeout_ns = (int64_t)timeout * 1000000;
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tsp = &ts;
	}

	el.sleeping = true;
	el.sleep_until = timeout_ns < 0 ? UINT64_MAX : now + (uint64_t)timeout_ns;
	if (ps->n == 1 && !el.no_pwait2) {
		/* Only our own epoll set to watch (no slirp): one syscall waits and reports. */
		vmm_unlock();
		n = epoll_pwait2(el.epfd, evs, 64, tsp, NULL);
		vmm_lock();
		el.sleeping = false;
		if (n < 0 && errno == ENOSYS) {
			el.no_pwait2 = true;
			n = 0;
		} else if (n < 0 && errno != EINTR) {
			die("event loop: epoll_pwait2 failed: %s", strerror(errno));
		}
	} else {
		vmm_unlock();
		n = ppoll(ps->fds, (nfds_t)ps->n, tsp, NULL);
		vmm_lock();
		el.sleeping = false;
		if (n < 0 && errno != EINTR)
			die("event loop: poll failed: %s", strerror(errno));
		n = (ps->fds[0].revents & POLLIN) ? epoll_wait(el.epfd, evs, 64, 0) : 0;
	}
	if (el.wake_hook)
		el.wake_hook(el.wake_opaque);
	for (int i = 0; i < n; i++) {
		struct el_fd *f = evs[i].data.ptr;
		if (!f->deleted)
			f->fn(f->opaque, evs[i].events);
	}
	for (struct el_source *s = el.sources; s; s = s->next)
		if (!s->deleted)
			s->ops->dispatch(s->opaque, ps);
	el_run_timers();
	el_run_calls();
	el_reap();
}

int el_run(void)
{
	vmm_lock();
	el.running = true;
	while (!el.quit)
		el_iterate();
	el.running = false;
	vmm_unlock();
	return el.status;
}

bool el_running(void)
{
	return el.running;
}

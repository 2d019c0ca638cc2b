/* The I/O thread's event loop and the VMM big lock.
 *
 * One thread runs el_run(): it waits (without the lock) on an epoll set of
 * fds plus any poll()-style "sources" (libslirp wants those) and timers, and
 * dispatches every callback with the big lock held. vCPU threads take the
 * same lock around device emulation, so device and backend code is
 * single-threaded in effect, as under QEMU's BQL. KVM_RUN itself never holds
 * the lock. */
#ifndef SKIFF_UTIL_EVENT_LOOP_H
#define SKIFF_UTIL_EVENT_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

void vmm_lock(void);
void vmm_unlock(void);

/* Set up the loop (epoll fd, wake-up eventfd). 0 or -1 (errno set). */
int el_init(void);
void el_fini(void);

typedef void (*el_fd_fn)(void *opaque, uint32_t events /* EPOLLIN|EPOLLOUT|EPOLLERR|EPOLLHUP */);
int el_add_fd(int fd, uint32_t events, el_fd_fn fn, void *opaque);
int el_mod_fd(int fd, uint32_t events);
void el_del_fd(int fd);   /* safe from inside any callback */

/* Timers run on the loop thread with the lock held. Deadlines are CLOCK_MONOTONIC ns. */
struct el_timer;
typedef void (*el_timer_fn)(void *opaque);
struct el_timer *el_timer_new(el_timer_fn fn, void *opaque);
void el_timer_mod(struct el_timer *t, uint64_t deadline_ns);
void el_timer_del(struct el_timer *t);   /* disarm */
void el_timer_free(struct el_timer *t);
bool el_timer_pending(const struct el_timer *t);
uint64_t el_now_ns(void);
/* The same clock as of the last timer tick (steps of 1/HZ: 1-10 ms): never a system call,
 * even where the clock source is not one the vDSO can read (HPET, as in the nested lab's
 * host). */
uint64_t el_now_coarse_ns(void);

/* poll()-style sources: prepare() adds the fds it wants for this round and may
 * lower *timeout_ms (-1 = infinite); dispatch() reads the results. */
struct el_pollset;
int el_pollset_add(struct el_pollset *ps, int fd, short events);   /* index or -1 */
short el_pollset_revents(const struct el_pollset *ps, int idx);
struct el_source_ops {
	void (*prepare)(void *opaque, struct el_pollset *ps, int *timeout_ms);
	void (*dispatch)(void *opaque, struct el_pollset *ps);
};
int el_add_source(const struct el_source_ops *ops, void *opaque);
void el_del_source(void *opaque);

/* Run fn(opaque) on the loop thread, with the lock held, soon. Thread-safe,
 * callable without the lock (e.g. from a signal-free vCPU path). */
void el_call_soon(void (*fn)(void *opaque), void *opaque);

/* The set of fds a source polls changed (a new socket): a loop asleep in poll() wakes up and
 * polls the new set. Lock held; free when the loop is awake anyway. */
void el_kick(void);

/* fn(opaque) runs each time the loop wakes up, with the lock held, before anything is
 * dispatched (the VM delivers queued coalesced writes there). One hook; NULL removes it. */
void el_set_wake_hook(void (*fn)(void *opaque), void *opaque);

/* Run until el_quit(); returns the status given to el_quit(). Called with the
 * lock NOT held. */
int el_run(void);
void el_quit(int status);     /* thread-safe */
/* A thread is inside el_run() (lock held to read it): work can be handed to the loop. */
bool el_running(void);
bool el_quitting(void);

#endif

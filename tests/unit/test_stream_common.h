/* Shared by the backend tests (tap, socket, stream, dgram, bridge): the
 * event loop runs on its own thread, as in skiff; the test thread plays the
 * vCPU, taking the big lock around every call into net code, and waits for
 * conditions with a deadline. A fake NIC client records what it receives and
 * can refuse frames (back-pressure). Also: log capture (test_log.h) and a
 * scratch directory per binary. Header-only: every test_*.c is its own
 * binary. */
#ifndef TEST_STREAM_COMMON_H
#define TEST_STREAM_COMMON_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/keyval.h"
#include "cli/config.h"
#include "net/net.h"
#include "net/netdev.h"
#include "util/event_loop.h"
#include "util/log.h"
#include "vm/runstate.h"
#include "test_log.h"     /* log capture (logbuf, log_has, log_clear) */

/* ---- the loop thread ------------------------------------------------- */

static pthread_t loop_thread;
static bool loop_running;

static void *loop_main(void *arg)
{
	el_run();
	return NULL;
}

static void loop_start(void)
{
	assert_int_equal(el_init(), 0);
	assert_int_equal(pthread_create(&loop_thread, NULL, loop_main, NULL), 0);
	loop_running = true;
}

static void loop_stop(void)
{
	if (!loop_running)
		return;
	el_quit(0);
	pthread_join(loop_thread, NULL);
	loop_running = false;
}

static void noop_cb(void *opaque) { }

/* After acting from the test thread: make the loop recompute its timeout. */
static void loop_kick(void)
{
	el_call_soon(noop_cb, NULL);
}

#define LOCKED(stmt) do { vmm_lock(); stmt; vmm_unlock(); loop_kick(); } while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait (lock released) until cond(arg) holds, checked with the lock held. */
static bool wait_for(bool (*cond)(void *), void *arg, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	for (;;) {
		bool ok;
		vmm_lock();
		ok = cond(arg);
		vmm_unlock();
		if (ok)
			return true;
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
}

/* Let the loop run for ms (for "nothing happens" checks). */
static inline void settle(unsigned ms)
{
	usleep(ms * 1000);
}

/* ---- a fake NIC -------------------------------------------------------- */

#define TNIC_MAX 256

struct tnic {
	struct net_client *nc;
	bool full;                 /* refuse frames: receive returns 0 */
	unsigned count;            /* frames taken */
	unsigned refused;
	size_t len[TNIC_MAX];
	uint8_t *data[TNIC_MAX];
	int link_changes;
};

static ssize_t tnic_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct tnic *t = nc->opaque;
	size_t len = 0, off = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (t->full) {
		t->refused++;
		return 0;
	}
	if (t->count < TNIC_MAX) {
		t->data[t->count] = malloc(len ? len : 1);
		for (int i = 0; i < iovcnt; i++) {
			memcpy(t->data[t->count] + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
		t->len[t->count] = len;
	}
	t->count++;
	return (ssize_t)len;
}

static bool tnic_can_receive(struct net_client *nc)
{
	struct tnic *t = nc->opaque;
	return !t->full;
}

static void tnic_link(struct net_client *nc)
{
	struct tnic *t = nc->opaque;
	t->link_changes++;
}

static const struct net_client_ops tnic_ops = {
	.type = "tnic",
	.is_nic = true,
	.receive = tnic_receive,
	.can_receive = tnic_can_receive,
	.link_status_changed = tnic_link,
};

static void tnic_reset(struct tnic *t)
{
	for (unsigned i = 0; i < t->count && i < TNIC_MAX; i++)
		free(t->data[i]);
	t->count = 0;
	t->refused = 0;
}

static struct tnic *tnics[16];

/* Plug a fake NIC into netdev id (lock held by caller or not running).
 * Freed by common_teardown(). */
static inline struct tnic *tnic_attach(const char *id, bool vnet)
{
	struct tnic *t = calloc(1, sizeof(*t));
	for (int i = 0; i < 16; i++)
		if (!tnics[i]) {
			tnics[i] = t;
			break;
		}
	struct net_client *be = net_client_find(id);
	char name[64];

	assert_non_null(be);
	snprintf(name, sizeof(name), "nic-%s", id);
	t->nc = net_client_new(&tnic_ops, name, t);
	t->nc->has_vnet_hdr = vnet;
	assert_int_equal(net_client_connect(t->nc, be), 0);
	if (vnet)
		net_client_set_vnet_hdr(t->nc, true);
	return t;
}

/* What a NIC does to transmit: the frame, then the end of its batch (net.h ops->poll), at
 * which a stream backend writes what it queued. Lock held by the caller. */
static inline ssize_t nic_send(struct net_client *nc, const void *f, size_t len)
{
	ssize_t r = net_send_buf(nc, f, len);

	net_client_poll_peer(nc);
	return r;
}

/* The same fake device as a plain (non-NIC) peer, as a hub port is: nobody polls after it. */
static const struct net_client_ops tnic_plain_ops = {
	.type = "tnic-plain",
	.receive = tnic_receive,
	.can_receive = tnic_can_receive,
	.link_status_changed = tnic_link,
};

static void tnic_free(struct tnic *t)
{
	if (!t)
		return;
	tnic_reset(t);
	net_client_free(t->nc);
	free(t);
}

static bool tnic_has_frames(void *arg)
{
	struct tnic **pt = arg;
	return pt[0]->count >= (unsigned)(uintptr_t)pt[1];
}

static inline bool wait_frames(struct tnic *t, unsigned n, unsigned ms)
{
	void *arg[2] = { t, (void *)(uintptr_t)n };
	return wait_for(tnic_has_frames, arg, ms);
}

static inline bool link_is_up(void *arg)
{
	struct net_client *nc = net_client_find(arg);
	return nc && !nc->link_down;
}

static inline bool link_is_down(void *arg)
{
	struct net_client *nc = net_client_find(arg);
	return nc && nc->link_down;
}

/* Create a netdev from type, id and an option string (lock taken here). */
static int nd(const char *type, const char *id, const char *opts)
{
	struct netdev_config c = { .type = (char *)type, .id = (char *)id };
	int r;

	log_clear();
	assert_int_equal(kvlist_parse(&c.opts, opts, NULL), 0);
	vmm_lock();
	r = net_init_netdev(&c);
	vmm_unlock();
	loop_kick();
	kvlist_free(&c.opts);
	return r;
}

static inline void frame_fill(uint8_t *f, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(seed * 31 + i * 7);
	if (len >= 14) {
		memset(f, 0xff, 6);                 /* broadcast */
		memcpy(f + 6, "\x52\x54\x00\x12\x34\x56", 6);
		f[12] = 0x88;                       /* local experimental ethertype */
		f[13] = 0xb5;
	}
}

/* ---- a scratch directory ----------------------------------------------- */

/* Make /tmp/skiff-<name>-test.XXXXXX into dir; false if that fails. */
static inline bool scratch_dir_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/skiff-%s-test.XXXXXX", name);
	return mkdtemp(dir) != NULL;
}

/* Remove dir and everything in it; returns r, or 1 if r was 0 and that failed. */
static inline int scratch_dir_remove(const char *dir, int r)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0 && !r)
		r = 1;
	return r;
}

static int common_setup(void **state)
{
	log_capture_start();
	loop_start();
	return 0;
}

/* Everything net and the loop hold, freed (the loop stopped). */
static inline void common_free(void)
{
	for (int i = 0; i < 16; i++) {
		tnic_free(tnics[i]);
		tnics[i] = NULL;
	}
	net_cleanup();
	net_client_free_all();
	el_fini();
}

static int common_teardown(void **state)
{
	loop_stop();
	common_free();
	/* (what a test of the reset path may leave behind when it fails half-way) */
	runstate_clear();
	unsetenv("SKIFF_REBOOTED");
	log_capture_stop();
	return 0;
}

#endif

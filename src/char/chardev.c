#include "char/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "util/env.h"
#include "util/event_loop.h"
#include "util/log.h"

#define CTRL_A 0x01
/* A UART's guest writes one byte per exit; one write() per byte costs a system call each and
 * wakes whatever reads the console once per byte (in the lab: a pipe to the scenario). Output
 * is written a line at a time instead, or CHARDEV_FLUSH_NS after its last byte when no line end
 * comes (a shell prompt, echo of typed keys): at 115200 baud a real UART needs 0.09 ms a byte. */
#define CHARDEV_OBUF_SIZE 4096
#define CHARDEV_FLUSH_NS  2000000ull   /* 2 ms */

struct chardev {
	enum serial_kind kind;
	int in_fd;                /* -1: no input */
	int out_fd;               /* -1: output dropped */
	int listen_fd;            /* unix server */
	bool in_registered;
	bool in_paused;
	bool mux;                 /* stdio: Ctrl-A escapes */
	bool mux_escape;          /* saw Ctrl-A */
	chr_can_receive_fn can_receive;
	chr_receive_fn receive;
	void *opaque;
	/* Output waiting for its line to end (chardev_write). */
	uint8_t obuf[CHARDEV_OBUF_SIZE];
	size_t olen;
	struct el_timer *flush_timer;
	struct chardev *next_open;  /* every open chardev, flushed at exit */
};

static struct chardev *open_chardevs;

static struct termios saved_termios;
static bool termios_saved;

void chardev_restore_terminal(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

static void chardev_fatal_signal(int sig)
{
	chardev_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Raw mode as QEMU's -nographic sets it: no echo, no line editing, no
 * signals from the keyboard (Ctrl-C goes to the guest); output processing
 * stays on so our own messages still end lines properly. */
static void chardev_raw_stdin(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	termios_saved = true;
	atexit(chardev_restore_terminal);
	signal(SIGSEGV, chardev_fatal_signal);
	signal(SIGBUS, chardev_fatal_signal);
	signal(SIGABRT, chardev_fatal_signal);
	signal(SIGILL, chardev_fatal_signal);
	signal(SIGFPE, chardev_fatal_signal);
	t = saved_termios;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static void chardev_update_input(struct chardev *chr);

static void chardev_feed(struct chardev *chr, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int c = chr->mux ? chardev_mux_filter(chr, buf[i]) : buf[i];
		if (c >= 0 && chr->receive) {
			uint8_t b = (uint8_t)c;
			chr->receive(chr->opaque, &b, 1);
		}
	}
}

static void chardev_readable(void *opaque, uint32_t events)
{
	struct chardev *chr = opaque;
	uint8_t buf[256];
	size_t room = chr->can_receive ? chr->can_receive(chr->opaque) : 0;
	ssize_t n;

	if (room == 0) {
		chardev_update_input(chr);
		return;
	}
	if (room > sizeof(buf))
		room = sizeof(buf);
	n = read(chr->in_fd, buf, room);
	if (n > 0) {
		chardev_feed(chr, buf, (size_t)n);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		/* EOF (stdin closed, client gone): stop reading; the guest runs on. */
		el_del_fd(chr->in_fd);
		chr->in_registered = false;
		if (chr->kind == SERIAL_UNIX_SERVER) {
			close(chr->in_fd);
			chr->in_fd = chr->out_fd = -1;
		} else {
			chr->in_fd = -1;
		}
		return;
	}
	chardev_update_input(chr);
}

/* Read input only while the frontend has room (back-pressure to the tty). */
static void chardev_update_input(struct chardev *chr)
{
	bool want;

	if (chr->in_fd < 0 || !chr->in_registered)
		return;
	want = chr->can_receive && chr->can_receive(chr->opaque) > 0;
	if (want == !chr->in_paused)
		return;
	chr->in_paused = !want;
	el_mod_fd(chr->in_fd, want ? EPOLLIN : 0);
}

static void chardev_accept(void *opaque, uint32_t events)
{
	struct chardev *chr = opaque;
	int fd = accept4(chr->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (chr->in_fd >= 0) {
		/* One client at a time, as QEMU's socket chardev. */
		close(fd);
		return;
	}
	chr->in_fd = chr->out_fd = fd;
	chr->in_paused = false;
	if (el_add_fd(fd, EPOLLIN, chardev_readable, chr) == 0)
		chr->in_registered = true;
}

static int chardev_unix_listen(struct chardev *chr, const char *path, bool wait)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		error_report("-serial unix:%s: socket path too long (max %zu bytes)", path,
			     sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (unlink(path) < 0 && errno != ENOENT) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		error_report("-serial unix:%s: Failed to bind socket: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	chr->listen_fd = fd;
	if (wait) {
		info_report("QEMU waiting for connection on: disconnected:unix:%s,server=on", path);
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			error_report("-serial unix:%s: accept failed: %s", path, strerror(errno));
			return -1;
		}
		fcntl(c, F_SETFL, O_NONBLOCK);
		chr->in_fd = chr->out_fd = c;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return 0;
}

struct chardev *chardev_open(const struct serial_config *cfg)
{
	struct chardev *chr = calloc(1, sizeof(*chr));

	if (!chr)
		return NULL;
	chr->kind = cfg->kind;
	chr->in_fd = chr->out_fd = chr->listen_fd = -1;
	switch (cfg->kind) {
	case SERIAL_STDIO:
	case SERIAL_DEFAULT:
		chr->in_fd = STDIN_FILENO;
		chr->out_fd = STDOUT_FILENO;
		chr->mux = true;
		chardev_raw_stdin();
		break;
	case SERIAL_NONE:
		break;
	case SERIAL_FILE:
		chr->out_fd = open(cfg->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (chr->out_fd < 0) {
			error_report("-serial file:%s: Could not open '%s': %s", cfg->path, cfg->path,
				     strerror(errno));
			free(chr);
			return NULL;
		}
		break;
	case SERIAL_UNIX_SERVER:
		if (chardev_unix_listen(chr, cfg->path, cfg->wait) < 0) {
			free(chr);
			return NULL;
		}
		break;
	}
	chr->next_open = open_chardevs;
	open_chardevs = chr;
	return chr;
}

void chardev_set_frontend(struct chardev *chr, chr_can_receive_fn can_receive,
			  chr_receive_fn receive, void *opaque)
{
	chr->can_receive = can_receive;
	chr->receive = receive;
	chr->opaque = opaque;
	if (chr->listen_fd >= 0)
		el_add_fd(chr->listen_fd, EPOLLIN, chardev_accept, chr);
	if (chr->in_fd >= 0 && !chr->in_registered) {
		if (chr->in_fd != STDIN_FILENO)
			fcntl(chr->in_fd, F_SETFL, O_NONBLOCK);
		if (el_add_fd(chr->in_fd, EPOLLIN, chardev_readable, chr) == 0)
			chr->in_registered = true;
		else
			/* stdin is a regular file or /dev/null: epoll can't watch it. */
			chr->in_fd = -1;
	}
}

void chardev_accept_input(struct chardev *chr)
{
	if (chr)
		chardev_update_input(chr);
}

static void chardev_write_now(struct chardev *chr, const uint8_t *buf, size_t len)
{
	while (chr->out_fd >= 0 && len > 0) {
		ssize_t n = write(chr->out_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && chr->kind == SERIAL_UNIX_SERVER)
			return; /* a slow client loses output rather than stalling the guest */
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void chardev_flush(struct chardev *chr)
{
	size_t n;

	if (!chr || !chr->olen)
		return;
	n = chr->olen;
	chr->olen = 0;
	if (chr->flush_timer)
		el_timer_del(chr->flush_timer);
	chardev_write_now(chr, chr->obuf, n);
}

static void chardev_flush_cb(void *opaque)
{
	chardev_flush(opaque);
}

static void chardev_flush_all(void)
{
	for (struct chardev *c = open_chardevs; c; c = c->next_open)
		chardev_flush(c);
}

static bool chardev_buffered(void)
{
	static int on = -1;

	if (on < 0)
		on = env_switch("SKIFF_CONSOLE_LINES", true);
	return on;
}

void chardev_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	static bool atexit_done;

	if (!chr || chr->out_fd < 0 || len == 0)
		return;
	/* Without a running event loop (start-up messages, tests) nothing would flush later.
	 * SKIFF_CONSOLE_LINES=off: a write() per byte, as QEMU, for comparing. */
	if (!el_running() || !chardev_buffered() ||
	    (!chr->flush_timer && !(chr->flush_timer = el_timer_new(chardev_flush_cb, chr)))) {
		chardev_flush(chr);
		chardev_write_now(chr, buf, len);
		return;
	}
	if (!atexit_done) {
		atexit_done = true;
		atexit(chardev_flush_all);
	}
	if (len > sizeof(chr->obuf) - chr->olen) {
		chardev_flush(chr);
		if (len > sizeof(chr->obuf)) {
			chardev_write_now(chr, buf, len);
			return;
		}
	}
	memcpy(chr->obuf + chr->olen, buf, len);
	chr->olen += len;
	if (memchr(buf, '\n', len) || chr->olen > sizeof(chr->obuf) / 2)
		chardev_flush(chr);
	else if (!el_timer_pending(chr->flush_timer))
		el_timer_mod(chr->flush_timer, el_now_ns() + CHARDEV_FLUSH_NS);
}

static void chardev_mux_help(struct chardev *chr)
{
	static const char help[] =
		"\r\n"
		"C-a h    print this help\r\n"
		"C-a x    exit emulator\r\n"
		"C-a s    save disk data back to file (if -snapshot)\r\n"
		"C-a t    toggle console timestamps\r\n"
		"C-a b    send break (magic sysrq)\r\n"
		"C-a c    switch between console and monitor\r\n"
		"C-a C-a  sends C-a\r\n";
	chardev_write(chr, (const uint8_t *)help, sizeof(help) - 1);
}

int chardev_mux_filter(struct chardev *chr, uint8_t c)
{
	if (!chr->mux_escape) {
		if (c == CTRL_A) {
			chr->mux_escape = true;
			return -1;
		}
		return c;
	}
	chr->mux_escape = false;
	switch (c) {
	case CTRL_A:
		return CTRL_A;
	case 'x': {
		static const char msg[] = "QEMU: Terminated\r\n";
		chardev_write(chr, (const uint8_t *)msg, sizeof(msg) - 1);
		el_quit(0);
		return -1;
	}
	case 'h':
	case '?':
		chardev_mux_help(chr);
		return -1;
	case 'c': {
		static const char msg[] = "\r\nskiff: no monitor yet; C-a x quits\r\n";
		chardev_write(chr, (const uint8_t *)msg, sizeof(msg) - 1);
		return -1;
	}
	default:
		/* s, t, b and unknown keys: nothing to do (QEMU ignores unknown ones too). */
		return -1;
	}
}

void chardev_close(struct chardev *chr)
{
	if (!chr)
		return;
	chardev_flush(chr);
	el_timer_free(chr->flush_timer);
	for (struct chardev **pp = &open_chardevs; *pp; pp = &(*pp)->next_open) {
		if (*pp == chr) {
			*pp = chr->next_open;
			break;
		}
	}
	if (chr->in_registered && chr->in_fd >= 0)
		el_del_fd(chr->in_fd);
	if (chr->listen_fd >= 0) {
		el_del_fd(chr->listen_fd);
		close(chr->listen_fd);
	}
	if (chr->out_fd > STDERR_FILENO)
		close(chr->out_fd);
	if (chr->in_fd > STDERR_FILENO && chr->in_fd != chr->out_fd)
		close(chr->in_fd);
	free(chr);
}

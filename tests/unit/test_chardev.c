/* char/chardev.c: QEMU's Ctrl-A escape keys, the file backend, the stdio
 * backend on a pipe, and a unix socket server driven by the real event loop
 * on a thread (bounded by timeouts everywhere). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "char/chardev.h"
#include "util/event_loop.h"
#include "util/log.h"
#include "test_log.h"     /* log capture: tests/unit/test_log.h */

static const char help_text[] =
	"\r\n"
	"C-a h    print this help\r\n"
	"C-a x    exit emulator\r\n"
	"C-a s    save disk data back to file (if -snapshot)\r\n"
	"C-a t    toggle console timestamps\r\n"
	"C-a b    send break (magic sysrq)\r\n"
	"C-a c    switch between console and monitor\r\n"
	"C-a C-a  sends C-a\r\n";

static char path[64];
static int setup(void **state)
{
	int fd;

	assert_int_equal(el_init(), 0);
	snprintf(path, sizeof(path), "/tmp/skiff-chr-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	log_capture_start();
	return 0;
}

static int teardown(void **state)
{
	log_capture_stop();
	unlink(path);
	el_fini();
	return 0;
}

static size_t slurp(const char *p, char *buf, size_t size)
{
	FILE *f = fopen(p, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
	return n;
}

static struct chardev *open_file(void)
{
	struct serial_config cfg = { .kind = SERIAL_FILE, .path = path };
	struct chardev *chr = chardev_open(&cfg);
	assert_non_null(chr);
	return chr;
}

/* ---- Ctrl-A escapes ---------------------------------------------------------- */

static void test_mux_plain_and_ctrl_a(void **state)
{
	struct chardev *chr = open_file();
	char out[64];

	/* Plain bytes pass, including other control characters. */
	assert_int_equal(chardev_mux_filter(chr, 'a'), 'a');
	assert_int_equal(chardev_mux_filter(chr, 0x03), 0x03);
	assert_int_equal(chardev_mux_filter(chr, 0x00), 0x00);
	assert_int_equal(chardev_mux_filter(chr, 0xff), 0xff);
	/* C-a C-a sends one C-a. */
	assert_int_equal(chardev_mux_filter(chr, 0x01), -1);
	assert_int_equal(chardev_mux_filter(chr, 0x01), 0x01);
	assert_int_equal(chardev_mux_filter(chr, 'b'), 'b');
	/* Unknown / unimplemented escapes are swallowed, the next byte passes. */
	for (const char *k = "stbz"; *k; k++) {
		assert_int_equal(chardev_mux_filter(chr, 0x01), -1);
		assert_int_equal(chardev_mux_filter(chr, (uint8_t)*k), -1);
		assert_int_equal(chardev_mux_filter(chr, 'q'), 'q');
	}
	assert_false(el_quitting());
	chardev_close(chr);
	assert_int_equal(slurp(path, out, sizeof(out)), 0);   /* nothing printed */
}

static void test_mux_help(void **state)
{
	struct chardev *chr = open_file();
	char out[1024];

	assert_int_equal(chardev_mux_filter(chr, 0x01), -1);
	assert_int_equal(chardev_mux_filter(chr, 'h'), -1);
	assert_int_equal(chardev_mux_filter(chr, 0x01), -1);
	assert_int_equal(chardev_mux_filter(chr, '?'), -1);
	assert_int_equal(chardev_mux_filter(chr, 'h'), 'h');   /* escape over */
	chardev_close(chr);
	slurp(path, out, sizeof(out));
	char want[1024];
	snprintf(want, sizeof(want), "%s%s", help_text, help_text);
	assert_string_equal(out, want);
}

static void test_mux_monitor_key(void **state)
{
	struct chardev *chr = open_file();
	char out[256];

	assert_int_equal(chardev_mux_filter(chr, 0x01), -1);
	assert_int_equal(chardev_mux_filter(chr, 'c'), -1);
	chardev_close(chr);
	slurp(path, out, sizeof(out));
	assert_string_equal(out, "\r\nskiff: no monitor yet; C-a x quits\r\n");
}

static void test_mux_quit(void **state)
{
	struct chardev *chr = open_file();
	char out[256];

	assert_false(el_quitting());
	assert_int_equal(chardev_mux_filter(chr, 'x'), 'x');   /* plain x */
	assert_false(el_quitting());
	assert_int_equal(chardev_mux_filter(chr, 0x01), -1);
	assert_int_equal(chardev_mux_filter(chr, 'x'), -1);
	assert_true(el_quitting());
	assert_int_equal(el_run(), 0);
	chardev_close(chr);
	slurp(path, out, sizeof(out));
	assert_string_equal(out, "QEMU: Terminated\r\n");
}

/* ---- file / none backends --------------------------------------------------- */

static void test_file_backend(void **state)
{
	struct chardev *chr;
	char out[256];
	FILE *f = fopen(path, "w");

	fputs("old contents", f);
	fclose(f);
	chr = open_file();                    /* truncates */
	chardev_write(chr, (const uint8_t *)"line 1\r\n", 8);
	chardev_write(chr, (const uint8_t *)"", 0);
	chardev_write(chr, (const uint8_t *)"\0bin\xff", 5);
	chardev_accept_input(chr);            /* no input side: harmless */
	chardev_close(chr);
	assert_int_equal(slurp(path, out, sizeof(out)), 13);
	assert_memory_equal(out, "line 1\r\n\0bin\xff", 13);
	/* NULL chardev: writes and input notifications are no-ops. */
	chardev_write(NULL, (const uint8_t *)"x", 1);
	chardev_accept_input(NULL);
	chardev_close(NULL);
}

/* With the loop running, output waits for its line end, or 2 ms after its last byte. */
struct buffered {
	struct chardev *chr;
	struct el_timer *t;
	int step;
	char seen[3][64];
};

static void buffered_step(void *opaque)
{
	struct buffered *b = opaque;

	switch (b->step++) {
	case 0:
		chardev_write(b->chr, (const uint8_t *)"ab", 2);
		chardev_write(b->chr, (const uint8_t *)"c", 1);
		slurp(path, b->seen[0], sizeof(b->seen[0]));     /* held back */
		el_timer_mod(b->t, el_now_ns() + 50000000ull);   /* 50 ms: the flush timer fired */
		break;
	case 1:
		slurp(path, b->seen[1], sizeof(b->seen[1]));
		chardev_write(b->chr, (const uint8_t *)"de\n", 3);
		chardev_write(b->chr, (const uint8_t *)"f", 1);
		slurp(path, b->seen[2], sizeof(b->seen[2]));     /* the line at once, "f" held */
		el_quit(0);
		break;
	}
}

static void test_file_backend_buffered(void **state)
{
	struct buffered b = { .chr = open_file() };
	char out[64];

	b.t = el_timer_new(buffered_step, &b);
	el_timer_mod(b.t, el_now_ns());
	assert_int_equal(el_run(), 0);
	assert_string_equal(b.seen[0], "");
	assert_string_equal(b.seen[1], "abc");
	assert_string_equal(b.seen[2], "abcde\n");
	chardev_close(b.chr);                                   /* flushes "f" */
	slurp(path, out, sizeof(out));
	assert_string_equal(out, "abcde\nf");
	el_timer_free(b.t);
}

static void test_file_open_error(void **state)
{
	struct serial_config cfg = { .kind = SERIAL_FILE, .path = "/nonexistent-dir/out.log" };

	assert_null(chardev_open(&cfg));
	assert_string_equal(last_msg, "skiff: -serial file:/nonexistent-dir/out.log: Could not open "
			    "'/nonexistent-dir/out.log': No such file or directory");
}

static size_t fe_room = 16;
static char fe_buf[64];
static size_t fe_len;

static size_t fe_can_receive(void *opaque)
{
	assert_ptr_equal(opaque, &fe_len);
	return fe_room;
}

static void fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
	assert_ptr_equal(opaque, &fe_len);
	assert_true(len <= fe_room);
	for (size_t i = 0; i < len && fe_len < sizeof(fe_buf) - 1; i++)
		fe_buf[fe_len++] = (char)buf[i];
	fe_buf[fe_len] = 0;
}

static void test_none_backend(void **state)
{
	struct serial_config cfg = { .kind = SERIAL_NONE };
	struct chardev *chr = chardev_open(&cfg);

	assert_non_null(chr);
	chardev_set_frontend(chr, fe_can_receive, fe_receive, &fe_len);
	chardev_write(chr, (const uint8_t *)"dropped", 7);
	chardev_accept_input(chr);
	chardev_close(chr);
}

/* ---- stdio on a pipe: the mux filter on the input path ----------------------- */

static int saved_stdin = -1, saved_stdout = -1;

static int stdio_teardown(void **state)
{
	fflush(stdout);
	if (saved_stdin >= 0) {
		dup2(saved_stdin, STDIN_FILENO);
		close(saved_stdin);
		saved_stdin = -1;
	}
	if (saved_stdout >= 0) {
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
		saved_stdout = -1;
	}
	return teardown(state);
}

/* stdin is a pipe, stdout a file: what -nographic does with a terminal,
 * minus raw mode (not a tty). */
static void test_stdio_mux_input(void **state)
{
	int in[2];
	struct serial_config cfg = { .kind = SERIAL_STDIO, .monitor = true };
	struct chardev *chr;
	char out[1024], want[1024];
	int ofd;

	assert_int_equal(pipe(in), 0);
	fflush(stdout);
	saved_stdin = dup(STDIN_FILENO);
	saved_stdout = dup(STDOUT_FILENO);
	ofd = open(path, O_WRONLY | O_TRUNC);
	assert_true(ofd >= 0);
	dup2(in[0], STDIN_FILENO);
	dup2(ofd, STDOUT_FILENO);
	close(in[0]);
	close(ofd);

	chr = chardev_open(&cfg);
	assert_non_null(chr);
	fe_len = 0;
	fe_room = 16;
	chardev_set_frontend(chr, fe_can_receive, fe_receive, &fe_len);
	/* "a", C-a C-a (one C-a to the guest), "b", C-a h (help), C-a x (quit),
	 * then bytes that arrive after the quit. */
	assert_int_equal(write(in[1], "a\x01\x01" "b\x01h\x01x" "zzz", 11), 11);
	assert_int_equal(el_run(), 0);
	chardev_write(chr, (const uint8_t *)"[out]", 5);
	chardev_close(chr);
	close(in[1]);
	/* Restore stdout before asserting on the file. */
	fflush(stdout);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	saved_stdout = -1;

	/* The guest got a, C-a, b (the bytes after C-a x are in the same read
	 * and still delivered: the loop quits after the round). */
	assert_true(fe_len >= 3);
	assert_memory_equal(fe_buf, "a\x01" "b", 3);
	slurp(path, out, sizeof(out));
	snprintf(want, sizeof(want), "%sQEMU: Terminated\r\n[out]", help_text);
	assert_string_equal(out, want);
}

/* ---- unix socket server ---------------------------------------------------- */

static void *loop_thread(void *arg)
{
	*(int *)arg = el_run();
	return NULL;
}

static void quit_fn(void *opaque) { el_quit(0); }

static void resume_fn(void *opaque)
{
	fe_room = 16;
	chardev_accept_input(opaque);
}

static size_t locked_len(void)
{
	size_t n;
	vmm_lock();
	n = fe_len;
	vmm_unlock();
	return n;
}

static bool wait_len(size_t n)
{
	for (int i = 0; i < 400; i++) {
		if (locked_len() >= n)
			return true;
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static int client(const char *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, p);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Read with a timeout: bytes, 0 for EOF, -1 for timeout. */
static ssize_t read_timeout(int fd, char *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	return read(fd, buf, len);
}

static void test_unix_server_nowait(void **state)
{
	char sock[80];
	struct serial_config cfg = { .kind = SERIAL_UNIX_SERVER, .wait = false };
	struct chardev *chr;
	pthread_t th;
	int status = -1, c1, c2, c3;
	char buf[32];

	snprintf(sock, sizeof(sock), "%s.sock", path);
	cfg.path = sock;
	chr = chardev_open(&cfg);           /* returns at once: nowait */
	assert_non_null(chr);
	fe_len = 0;
	fe_room = 16;
	chardev_set_frontend(chr, fe_can_receive, fe_receive, &fe_len);
	assert_int_equal(pthread_create(&th, NULL, loop_thread, &status), 0);

	/* A client connects and types. */
	c1 = client(sock);
	assert_int_equal(write(c1, "abc", 3), 3);
	assert_true(wait_len(3));
	assert_string_equal(fe_buf, "abc");

	/* Guest output reaches the client. */
	vmm_lock();
	chardev_write(chr, (const uint8_t *)"out", 3);
	vmm_unlock();
	assert_int_equal(read_timeout(c1, buf, sizeof(buf), 2000), 3);
	assert_memory_equal(buf, "out", 3);

	/* Back-pressure: no room, nothing read; room again, everything arrives. */
	vmm_lock();
	fe_room = 0;
	vmm_unlock();
	assert_int_equal(write(c1, "xyz", 3), 3);
	struct timespec ts = { 0, 50000000 };
	nanosleep(&ts, NULL);
	assert_int_equal(locked_len(), 3);
	el_call_soon(resume_fn, chr);
	assert_true(wait_len(6));
	assert_string_equal(fe_buf, "abcxyz");

	/* One client at a time: a second one is accepted and closed. */
	c2 = client(sock);
	assert_int_equal(read_timeout(c2, buf, sizeof(buf), 2000), 0);
	close(c2);

	/* The first client leaves; a new one is served. */
	close(c1);
	nanosleep(&ts, NULL);
	c3 = client(sock);
	assert_int_equal(write(c3, "q", 1), 1);
	assert_true(wait_len(7));
	assert_string_equal(fe_buf, "abcxyzq");
	vmm_lock();
	chardev_write(chr, (const uint8_t *)"!", 1);
	vmm_unlock();
	assert_int_equal(read_timeout(c3, buf, sizeof(buf), 2000), 1);
	assert_int_equal(buf[0], '!');

	el_call_soon(quit_fn, NULL);
	pthread_join(th, NULL);
	assert_int_equal(status, 0);
	chardev_close(chr);
	/* Closing the chardev drops the client. */
	assert_int_equal(read_timeout(c3, buf, sizeof(buf), 2000), 0);
	close(c3);
	unlink(sock);
}

static void test_unix_server_errors(void **state)
{
	char longp[200];
	struct serial_config cfg = { .kind = SERIAL_UNIX_SERVER, .wait = false };

	memset(longp, 'p', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	cfg.path = longp;
	assert_null(chardev_open(&cfg));
	assert_non_null(strstr(last_msg, ": socket path too long (max 107 bytes)"));
	assert_true(strncmp(last_msg, "skiff: -serial unix:/ppp", 24) == 0);

	cfg.path = "/nonexistent-dir/s.sock";
	assert_null(chardev_open(&cfg));
	assert_string_equal(last_msg, "skiff: -serial unix:/nonexistent-dir/s.sock: Failed to bind "
			    "socket: No such file or directory");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_mux_plain_and_ctrl_a),
		T(test_mux_help),
		T(test_mux_monitor_key),
		T(test_mux_quit),
		T(test_file_backend),
		T(test_file_backend_buffered),
		T(test_file_open_error),
		T(test_none_backend),
		cmocka_unit_test_setup_teardown(test_stdio_mux_input, setup, stdio_teardown),
		T(test_unix_server_nowait),
		T(test_unix_server_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

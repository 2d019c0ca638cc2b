/* -netdev bridge,br=BR,helper=PATH (and tap,helper=): a tap enslaved to a
 * bridge by a privileged helper, with qemu-bridge-helper's protocol:
 * "helper --use-vnet --fd=N --br=BR" on one end of a socketpair; the helper
 * sends the tap fd back with SCM_RIGHTS (one byte of payload) and exits 0.
 * A helper= with whitespace is run through /bin/sh -c, as QEMU does. */
#include "net/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/keyval.h"
#include "net/net.h"
#include "util/log.h"

const char *tap_default_helper(void)
{
	static char self_dir[PATH_MAX + 32];
	static const char *const fixed[] = {
		"/usr/local/libexec/skiff-bridge-helper",
		"/usr/libexec/skiff-bridge-helper",
		"/usr/lib/qemu/qemu-bridge-helper",
		"/usr/libexec/qemu-bridge-helper",
		"/usr/local/libexec/qemu-bridge-helper",
	};
	const char *env = getenv("SKIFF_BRIDGE_HELPER");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(self_dir, sizeof(self_dir), "%s/skiff-bridge-helper", exe);
			if (access(self_dir, X_OK) == 0)
				return self_dir;
		}
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (access(fixed[i], X_OK) == 0)
			return fixed[i];
	return NULL;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	ssize_t r;

	do {
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			/* Any extra fds would leak: close them. */
			for (size_t k = 1; c->cmsg_len >= CMSG_LEN((k + 1) * sizeof(int)); k++) {
				int extra;
				memcpy(&extra, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
				close(extra);
			}
			return fd;
		}
	}
	errno = EBADMSG;
	return -1;
}

int tap_run_helper(const char *helper, const char *br)
{
	int sv[2], fd, status, e = 0;
	pid_t pid;
	sigset_t all, old;

	if (strlen(br) >= 16) {
		error_report("bridge name '%s' is too long (at most 15 characters)", br);
		return -1;
	}
	if (!strpbrk(helper, " \t\n") && access(helper, X_OK) < 0) {
		error_report("bridge helper failed\ncannot run '%s': %s", helper, strerror(errno));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		error_report("socketpair() failed: %s", strerror(errno));
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		char fdarg[32], brarg[32];
		sigset_t none;

		sigemptyset(&none);
		signal(SIGPIPE, SIG_DFL);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		/* Keep stdio and sv[1] only. */
		for (int i = 3; i < 65536; i++)
			if (i != sv[1] && fcntl(i, F_GETFD) >= 0)
				close(i);
		fcntl(sv[1], F_SETFD, 0);
		snprintf(fdarg, sizeof(fdarg), "--fd=%d", sv[1]);
		snprintf(brarg, sizeof(brarg), "--br=%s", br);
		if (strpbrk(helper, " \t\n")) {
			char cmd[PATH_MAX + 96];
			snprintf(cmd, sizeof(cmd), "%s --use-vnet %s %s", helper, fdarg, brarg);
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		} else {
			execl(helper, helper, "--use-vnet", fdarg, brarg, (char *)NULL);
		}
		_exit(1);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid < 0) {
		error_report("could not run bridge helper %s: %s", helper, strerror(errno));
		close(sv[0]);
		return -1;
	}
	fd = recv_fd(sv[0]);
	if (fd < 0)
		e = errno;
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	if (fd < 0 || status != 0) {
		if (fd < 0 && status == 0)
			error_report("failed to recv file descriptor%s%s", e ? ": " : "",
				     e ? strerror(e) : "");
		else
			error_report("bridge helper failed\n"
				     "%s exited with status %d (its message is above); it needs "
				     "to be setuid root (or have cap_net_admin) and bridge %s must be "
				     "allowed in /etc/qemu/bridge.conf ('allow %s')",
				     helper, WIFEXITED(status) ? WEXITSTATUS(status) : status, br, br);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int net_init_bridge(const char *id, struct kvlist *opts)
{
	const char *br = kvlist_get(opts, "br");
	const char *helper = kvlist_get(opts, "helper");
	struct kvlist tap = { 0 };
	int r;

	if (kvlist_check_unused(opts) < 0)
		return -1;
	if (!helper) {
		helper = tap_default_helper();
		if (!helper) {
			error_report("bridge helper failed\nno bridge helper is installed: "
				     "install skiff-bridge-helper (setuid root) or QEMU's "
				     "qemu-bridge-helper, or give helper=PATH");
			return -1;
		}
	}
	kvlist_add(&tap, "helper", helper);
	kvlist_add(&tap, "br", br ? br : TAP_DEFAULT_BRIDGE);
	r = net_init_tap(id, &tap);
	kvlist_free(&tap);
	return r;
}

/* skiff: a small KVM virtual machine monitor with QEMU's command line.
 *
 * main() parses the command line, then brings the machine up in stages
 * (each stage undone in reverse on the way out), runs the event loop on this
 * thread while the vCPU threads run the guest, and finally acts on what
 * ended the run: power-off, reset, Ctrl-A x, a signal, or an error. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "char/chardev.h"
#include "cli/config.h"
#include "hw/acpi_pm.h"
#include "hw/i440fx.h"
#include "hw/i8042.h"
#include "hw/nic.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "net/net.h"
#include "net/netdev.h"
#include "util/env.h"
#include "util/event_loop.h"
#include "util/log.h"
#include "vm/layout.h"
#include "vm/runstate.h"
#include "vm/vcpu.h"
#include "vm/exit_stats.h"
#include "vm/vm.h"

static struct skiff_config cfg;
static struct vm vm;
static struct chardev *console;
static struct serial *com1;
static struct i8042 *kbd;
static struct rtc *cmos;
static int sig_fd = -1;
static int daemon_pipe = -1;
static int pidfile_fd = -1;

static void machine_serial_irq(void *opaque, int level)
{
	vm_set_irq(opaque, GSI_COM1, level);
}

static void machine_i8042_irq(void *opaque, unsigned irq, int level)
{
	vm_set_irq(opaque, irq, level);
}

static bool stop_report_wanted;

static void machine_signal(void *opaque, uint32_t events)
{
	struct signalfd_siginfo si;

	if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	error_report("terminating on signal %u from pid %u%s", si.ssi_signo, si.ssi_pid,
		     si.ssi_signo == SIGQUIT ? " (SIGQUIT: the guest's state first)" : "");
	stop_report_wanted |= si.ssi_signo == SIGQUIT;
	runstate_request(RUNSTATE_QUIT);
}

/* Stages: run in order; on failure or exit, the ones that ran are undone in reverse. */
static int stage_loop_init(void)
{
	sigset_t set;

	if (el_init() < 0) {
		error_report("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0 || el_add_fd(sig_fd, EPOLLIN, machine_signal, NULL) < 0) {
		error_report("cannot watch for signals: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void stage_loop_exit(void)
{
	if (sig_fd >= 0)
		close(sig_fd);
	el_fini();
}

/* Files first: a typo in a path is reported before anything about KVM. */
static int check_readable(const char *path, const char *what)
{
	if (path && access(path, R_OK) < 0) {
		error_report("could not load %s '%s': %s", what, path, strerror(errno));
		return -1;
	}
	return 0;
}

static int stage_vm_init(void)
{
	if (check_readable(cfg.kernel, "kernel") || check_readable(cfg.initrd, "initial ram disk"))
		return -1;
	return vm_create(&vm, &cfg);
}

static void stage_vm_exit(void)
{
	vm_destroy(&vm);
}

static int stage_devices_init(void)
{
	console = chardev_open(&cfg.serial);
	if (!console)
		return -1;
	if (i440fx_init(&vm.pci) < 0)
		return -1;
	com1 = serial_create(&vm.pio, PORT_COM1, console, machine_serial_irq, &vm);
	kbd = i8042_create(&vm.pio, machine_i8042_irq, &vm);
	cmos = rtc_create(&vm.pio);
	if (!com1 || !kbd || !cmos || acpi_pm_init(&vm.pio) < 0) {
		error_report("cannot set up the legacy devices");
		return -1;
	}
	return 0;
}

static void stage_devices_exit(void)
{
	rtc_destroy(cmos);
	i8042_destroy(kbd);
	serial_destroy(com1);
	chardev_close(console);
	cmos = NULL;
	kbd = NULL;
	com1 = NULL;
	console = NULL;
}

static int stage_net_init(void)
{
	if (net_init_clients(&cfg) < 0 || nic_create_all(&vm.pci, &cfg) < 0)
		return -1;
	net_check_peers();
	return 0;
}

static void stage_net_exit(void)
{
	nic_destroy_all();
	net_cleanup();
}

static void main_coalesced_flush(void *opaque)
{
	if (vm_coalesced_pending(opaque))
		vm_coalesced_flush(opaque);
}

static int stage_vcpus_init(void)
{
	if (vcpu_create_all(&vm) < 0 || vm_load_kernel(&vm) < 0)
		return -1;
	/* Device work on the loop thread (a packet for the e1000) sees the guest's queued
	 * register writes (RDT) first. */
	el_set_wake_hook(main_coalesced_flush, &vm);
	return 0;
}

static void stage_nop_exit(void)
{
}

static int stage_pidfile_init(void)
{
	char buf[32];
	int n;

	if (!cfg.pidfile || getenv(ENV_REBOOTED))
		return 0;
	pidfile_fd = open(cfg.pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (pidfile_fd < 0) {
		error_report("cannot create PID file: Cannot open pid file: %s", strerror(errno));
		return -1;
	}
	if (lockf(pidfile_fd, F_TLOCK, 0) < 0) {
		error_report("cannot create PID file: Cannot lock pid file: %s (another skiff or "
			     "QEMU with -pidfile %s is running)", strerror(errno), cfg.pidfile);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (ftruncate(pidfile_fd, 0) < 0 || write(pidfile_fd, buf, (size_t)n) != n) {
		error_report("cannot create PID file: Failed to write pid file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void stage_pidfile_exit(void)
{
	/* The file stays while a reset re-executes us (same pid). */
	if (pidfile_fd >= 0 && runstate_pending() != RUNSTATE_RESET)
		unlink(cfg.pidfile);
}

static int stage_run_init(void)
{
	exit_stats_init();
	return vcpu_start_all(&vm);
}

/* SIGQUIT quits as SIGTERM does, after saying what the guest and its devices were doing:
 * vCPUs, interrupt controller, the console UART, every network client. For a guest that
 * went silent (a harness giving up on it, or `kill -QUIT`). */
static void stop_report(void)
{
	if (!stop_report_wanted)
		return;
	info_report("the guest's state at the stop (SIGQUIT):");
	vcpu_report_all(&vm);
	vm_irqchip_report(&vm);
	serial_report(com1);
	net_report_all();
}

static void stage_run_exit(void)
{
	vcpu_stop_all(&vm);
	stop_report();
	exit_stats_dump();
}

static const struct stage {
	const char *name;
	int (*init)(void);
	void (*exit)(void);
} stages[] = {
	{ "event loop", stage_loop_init, stage_loop_exit },
	{ "kvm", stage_vm_init, stage_vm_exit },
	{ "devices", stage_devices_init, stage_devices_exit },
	{ "network", stage_net_init, stage_net_exit },
	{ "vcpus", stage_vcpus_init, stage_nop_exit },
	{ "pidfile", stage_pidfile_init, stage_pidfile_exit },
	{ "run", stage_run_init, stage_run_exit },
};
#define NR_STAGES (int)(sizeof(stages) / sizeof(stages[0]))

/* -daemonize: fork now, let the parent exit only once the child has
 * brought the VM up (or failed), so scripts see a meaningful status. */
static void daemonize_start(void)
{
	int fds[2];
	pid_t pid;
	char status = 1;

	if (pipe2(fds, O_CLOEXEC) < 0)
		die("-daemonize: cannot create a pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("-daemonize: cannot fork: %s", strerror(errno));
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(fds[0]);
	daemon_pipe = fds[1];
	setsid();
}

static void daemonize_finish(bool ok)
{
	char status = ok ? 0 : 1;
	int null;

	if (daemon_pipe < 0)
		return;
	if (write(daemon_pipe, &status, 1) != 1)
		debug_report("daemonize: parent gone");
	close(daemon_pipe);
	daemon_pipe = -1;
	null = open("/dev/null", O_RDWR);
	if (ok && null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	if (null > STDERR_FILENO)
		close(null);
}

int main(int argc, char **argv)
{
	int rc, done = 0, status = 0;
	enum runstate_request req;

	rc = cli_parse(argc, argv, &cfg);
	if (rc != 0) {
		config_free(&cfg);
		return rc > 0 ? 0 : 1;
	}
	if (cfg.daemonize && !getenv(ENV_REBOOTED))
		daemonize_start();
	/* -name guest=...,process=NAME names the process (as ps and top show it). */
	if (cfg.process_name)
		prctl(PR_SET_NAME, cfg.process_name, 0, 0, 0);

	for (done = 0; done < NR_STAGES; done++) {
		if (stages[done].init() < 0) {
			debug_report("init stage '%s' failed", stages[done].name);
			status = 1;
			break;
		}
		debug_report("init stage '%s' done", stages[done].name);
	}
	daemonize_finish(status == 0);
	if (status == 0) {
		status = el_run();
		req = runstate_pending();
		if (req == RUNSTATE_POWEROFF && cfg.no_shutdown) {
			/* -no-shutdown: stop the guest, keep the process until told to quit. */
			vcpu_stop_all(&vm);
			info_report("guest powered off; -no-shutdown keeps skiff running (Ctrl-A x quits)");
			runstate_clear();
			el_run();
		}
	}
	req = runstate_pending();
	debug_report("main loop ended (request %d, status %d)", (int)req, status);
	while (done-- > 0) {
		debug_report("undoing stage '%s'", stages[done].name);
		stages[done].exit();
	}
	chardev_restore_terminal();

	if (req == RUNSTATE_RESET && !cfg.no_reboot && status == 0) {
		/* A reset starts the whole machine afresh: the simplest way to leave no
		 * device state behind is a new process image (same pid, same options). */
		setenv(ENV_REBOOTED, "1", 1);
		debug_report("guest reset: re-executing skiff");
		execv("/proc/self/exe", argv);
		error_report("reboot failed: cannot re-execute skiff: %s", strerror(errno));
		status = 1;
	}
	config_free(&cfg);
	return req == RUNSTATE_ERROR ? 1 : status;
}

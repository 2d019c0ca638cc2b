/* -netdev tap and -netdev bridge: a Linux tap device as a network backend.
 *
 * Grammar, defaults and messages as QEMU's net/tap.c (see
 * /work/shared/research/netbackends.md §1.3, §1.4, §4), plus the reason and
 * what to do after each failure.
 *
 * Reset: skiff re-executes itself on a guest reset (SKIFF_REBOOTED=1). A tap
 * survives that: when net_cleanup() runs with a reset pending, the tap fd is
 * left open without FD_CLOEXEC and its number and interface name are put in
 * the environment as SKIFF_TAP_FD_<netdev id>=<fd>:<ifname>. The new image
 * adopts that fd (after checking with TUNGETIFF that it is still the same
 * interface) instead of opening/creating a tap or running the helper, and the
 * up-script is not run again. The down-script is not run on a reset; if the
 * process exits instead of re-executing (-no-reboot), an atexit handler runs
 * it. */
#ifndef SKIFF_NET_TAP_H
#define SKIFF_NET_TAP_H

#include <stdbool.h>
#include <stddef.h>

struct kvlist;
struct net_client;

#define TAP_DEFAULT_SCRIPT     "/etc/qemu-ifup"
#define TAP_DEFAULT_DOWNSCRIPT "/etc/qemu-ifdown"
#define TAP_DEFAULT_BRIDGE     "br0"
#define TAP_ENV_PREFIX         "SKIFF_TAP_FD_"

int net_init_tap(const char *id, struct kvlist *opts);
int net_init_bridge(const char *id, struct kvlist *opts);

/* Open /dev/net/tun and attach to or create the tap ifname (NULL or "" =
 * "tap%d"; %d templates allowed). *vnet_hdr: in = wanted, out = got;
 * vnet_required makes its absence an error. The actual name goes to
 * ifname_out. Returns the fd (non-blocking, close-on-exec) or -1 (reported). */
int tap_open(const char *ifname, bool *vnet_hdr, bool vnet_required,
	     char *ifname_out, size_t ifname_len);

/* Run a network script as QEMU does: argv {script, ifname}, every fd but
 * stdio and keep_fd closed, waited for. 0 or -1 (reported). */
int tap_run_script(const char *script, const char *ifname, int keep_fd);

/* Run the bridge helper (qemu-bridge-helper protocol) and get the tap fd.
 * Returns the fd or -1 (reported). */
int tap_run_helper(const char *helper, const char *br);

/* The helper used when helper= is not given: the first executable of
 * skiff-bridge-helper (next to skiff, then /usr/local/libexec, /usr/libexec),
 * /usr/lib/qemu/qemu-bridge-helper, /usr/libexec/qemu-bridge-helper.
 * NULL when none is installed. */
const char *tap_default_helper(void);

/* The tap's fd and interface name (tests, diagnostics); -1 / NULL if nc is
 * not a tap. */
int tap_get_fd(struct net_client *nc);
const char *tap_get_ifname(struct net_client *nc);

#endif

/* Shared between the option parser (options.c) and the network half (net_opts.c). */
#ifndef SKIFF_CLI_CLI_INTERNAL_H
#define SKIFF_CLI_CLI_INTERNAL_H

#include "cli/config.h"

/* An option kept for the second pass: "-netdev user,id=n0" is only
 * resolved once every option has been seen, in QEMU's order. */
struct cli_deferred {
	char *ctx;           /* "-netdev user,id=n0", as the user typed it: the error prefix */
	const char *arg;     /* the option's argument (points into argv) */
};

struct cli_deferred_list {
	struct cli_deferred *items;
	size_t n;
};

struct cli_net_state {
	struct cli_deferred_list netdevs, nics, nets, devices;
	bool default_net;    /* no -netdev/-nic/-net/-nodefaults: QEMU adds -net nic -net user */
};

/* Second pass: fill cfg->netdevs/nics. 0, 1 (a "help" was served) or -1 (reported). */
int cli_net_resolve(struct cli_net_state *st, struct skiff_config *cfg);
/* "-netdev help" and friends can be answered during the first pass. */
void cli_netdev_help(void);
void cli_device_help(void);

void cli_deferred_add(struct cli_deferred_list *l, const char *ctx, const char *arg);
void cli_deferred_free(struct cli_deferred_list *l);

char *cli_strdup(const char *s);
char *cli_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

/* What the command line asks for: filled by cli_parse() (cli/options.c),
 * read by everything else. QEMU's defaults are applied by the parser, so a
 * consumer never has to know what an absent option means. */
#ifndef SKIFF_CLI_CONFIG_H
#define SKIFF_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/keyval.h"

enum serial_kind {
	SERIAL_DEFAULT,      /* resolved by the parser: stdio with -nographic, else none */
	SERIAL_STDIO,        /* also "mon:stdio" */
	SERIAL_NONE,         /* "none" / "null" */
	SERIAL_FILE,         /* "file:PATH" */
	SERIAL_UNIX_SERVER,  /* "unix:PATH,server[,nowait]" */
};

struct serial_config {
	enum serial_kind kind;
	char *path;          /* for FILE and UNIX_SERVER */
	bool wait;           /* UNIX_SERVER: wait for a client before starting (QEMU default: yes) */
	bool monitor;        /* "mon:stdio" (and the -nographic default): the HMP monitor shares it */
};

struct smp_config {
	unsigned cpus;       /* default 1: vCPUs to create */
	unsigned sockets, dies, cores, threads; /* resolved: sockets*dies*cores*threads == maxcpus */
	unsigned maxcpus;    /* >= cpus; == cpus unless -smp maxcpus= asked for hotplug room */
};

/* -netdev TYPE,id=ID,... (and the backends that -nic/-net create).
 *
 * The array is in QEMU's creation order (every -netdev, then -nic, then
 * -net) and a netdev only ever refers to an earlier one, so creating them in
 * array order always works.
 *
 * Hubs (legacy -net): QEMU puts every -net nic / -net TYPE without netdev=
 * on hub 0. The parser expresses that with plain hubport netdevs, exactly
 * as if the user had written the -netdev hubport form:
 *   -net nic -net user   (also what no network option at all means) becomes
 *   netdevs[0] = { "hubport", "hub0port0", { hubid=0 } }           (the NIC's port)
 *   netdevs[1] = { "user",    "user.0",    {} }
 *   netdevs[2] = { "hubport", "hub0port1", { hubid=0, netdev=user.0 } }
 *   nics[0]    = { "e1000", .netdev = "hub0port0" }
 * i.e. a hubport's opts "hubid" (decimal) names the hub (created on first
 * use) and an optional "netdev" names an earlier backend the port is peered
 * with (QEMU's -netdev hubport,hubid=N,netdev=ID). A backend id made up by
 * the parser is "TYPE.N" (QEMU's name for it), a port's "hub0portN" with N
 * counting every port of hub 0 in creation order, a -nic backend's "#netN".
 * The parser has checked that hubport netdev= names an existing, unpeered
 * netdev; the other hubport opts are left to the backend. */
struct netdev_config {
	char *type;          /* "user", "tap", "bridge", "socket", "stream", "dgram", "hubport" */
	char *id;
	struct kvlist opts;  /* every other key, in order, validated by the backend */
};

/* -device NIC,... / the NIC half of -nic and -net nic. The array is in
 * QEMU's creation order: -nic NICs, then -net nic NICs, then -device NICs;
 * default MACs and free PCI slots are handed out in that order. The parser
 * has checked that netdev names an existing netdev that nothing else uses. */
struct nic_config {
	char *model;         /* canonical: "e1000" (alias e1000-82540em), "virtio-net-pci" */
	char *id;            /* may be NULL */
	char *netdev;        /* id of the netdev (a hubport for -net nic), may be NULL = unconnected */
	bool has_mac;
	uint8_t mac[6];      /* when !has_mac the device picks QEMU's next default MAC */
	int slot;            /* PCI device number from addr=, -1 = first free (function is always 0) */
	struct kvlist opts;  /* other device properties, validated by the device */
};

struct skiff_config {
	bool enable_kvm;     /* -enable-kvm / -accel kvm; skiff only has kvm, so this is informational */
	struct kvlist machine_opts; /* -machine keys other than type=/accel=, for the VM to validate */
	struct kvlist accel_opts;   /* -accel kvm,KEY=VALUE... keys other than accel= */
	uint64_t ram_size;   /* bytes; default 128 MiB */
	struct smp_config smp;
	char *cpu_model;     /* -cpu; NULL = QEMU's default model "qemu64" */
	struct kvlist cpu_flags; /* -cpu MODEL,+feat,-feat,feat=on: key = feature ('_' made '-'),
				  * value "on"/"off" (non-boolean properties such as model-id= keep
				  * their value as given); later entries win */
	char *kernel;
	char *initrd;
	char *append;
	bool nographic;
	bool display_none;   /* -display none (or -nographic); skiff has no graphical display anyway */
	struct serial_config serial;
	bool no_reboot;
	bool no_shutdown;
	char *name;          /* -name NAME (or guest=NAME) */
	char *process_name;  /* -name ...,process=NAME: the host thread name, may be NULL */
	char *pidfile;
	bool daemonize;
	bool nodefaults;

	struct netdev_config *netdevs;
	size_t nr_netdevs;
	struct nic_config *nics;
	size_t nr_nics;
};

/* Parse argv (argv[0] is the program name). Returns 0 to run the VM,
 * 1 when the request was fully served (-help, -version, -device help...: exit 0),
 * -1 after reporting an error in QEMU's wording (exit 1). */
int cli_parse(int argc, char **argv, struct skiff_config *cfg);
void config_free(struct skiff_config *cfg);

#endif

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
};

struct smp_config {
	unsigned cpus;       /* default 1 */
	unsigned sockets, cores, threads; /* resolved: sockets*cores*threads == maxcpus */
	unsigned maxcpus;    /* == cpus (no hotplug) */
};

/* -netdev TYPE,id=ID,... (and the backends that -nic/-net create). */
struct netdev_config {
	char *type;          /* "user", "tap", "bridge", "socket", "stream", "dgram", "hubport" */
	char *id;
	struct kvlist opts;  /* every other key, in order, validated by the backend */
};

/* -device NIC,... / the NIC half of -nic and -net nic. */
struct nic_config {
	char *model;         /* canonical: "e1000" (alias e1000-82540em), "virtio-net-pci" */
	char *id;            /* may be NULL */
	char *netdev;        /* id of the netdev (a hubport for -net nic), may be NULL = unconnected */
	bool has_mac;
	uint8_t mac[6];      /* when !has_mac the device picks QEMU's next default MAC */
	int slot;            /* PCI device number from addr=, -1 = first free */
	struct kvlist opts;  /* other device properties, validated by the device */
};

struct skiff_config {
	bool enable_kvm;     /* -enable-kvm / -accel kvm; skiff only has kvm, so this is informational */
	uint64_t ram_size;   /* bytes; default 128 MiB */
	struct smp_config smp;
	char *cpu_model;     /* -cpu; NULL = QEMU's default model "qemu64" */
	struct kvlist cpu_flags; /* -cpu MODEL,+feat,-feat,feat=on: key = feature, value "on"/"off" */
	char *kernel;
	char *initrd;
	char *append;
	bool nographic;
	struct serial_config serial;
	bool no_reboot;
	bool no_shutdown;
	char *name;          /* -name NAME (or guest=NAME) */
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

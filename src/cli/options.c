/* qemu-system-x86_64's command line: cli_parse() fills struct skiff_config.
 *
 * Two passes, as QEMU does it: options are read in argv order (their own
 * errors reported in that order); network options are only resolved after
 * all of them were seen (cli/net_opts.c), because QEMU builds every -netdev
 * first, then -nic, then -net, whatever the order on the command line. */
#include "cli/config.h"
#include "cli/cli_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vm/cpu_models.h"

#ifndef SKIFF_VERSION
#define SKIFF_VERSION "0.1.0"
#endif

#define CLI_RAM_DEFAULT  (128ULL << 20)
/* qemu64's 40 physical address bits: more RAM than this can't be mapped. */
#define CLI_RAM_MAX      (1ULL << 40)
/* QEMU's limit for the pc (i440FX) machine. */
#define CLI_PC_MAX_CPUS  255

enum cli_opt_id {
	OPT_HELP, OPT_VERSION, OPT_ENABLE_KVM, OPT_ACCEL, OPT_MACHINE, OPT_MEM,
	OPT_SMP, OPT_CPU, OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_NOGRAPHIC,
	OPT_DISPLAY, OPT_SERIAL, OPT_NO_REBOOT, OPT_NO_SHUTDOWN, OPT_NAME,
	OPT_PIDFILE, OPT_DAEMONIZE, OPT_NODEFAULTS, OPT_NETDEV, OPT_DEVICE,
	OPT_NIC, OPT_NET,
	/* QEMU options skiff knows of but does not implement (yet). */
	OPT_UNSUPPORTED,
};

struct cli_option {
	const char *name;
	bool has_arg;
	enum cli_opt_id id;
};

static const struct cli_option cli_options[] = {
	{ "h", false, OPT_HELP },
	{ "help", false, OPT_HELP },
	{ "version", false, OPT_VERSION },
	{ "enable-kvm", false, OPT_ENABLE_KVM },
	{ "accel", true, OPT_ACCEL },
	{ "machine", true, OPT_MACHINE },
	{ "M", true, OPT_MACHINE },
	{ "m", true, OPT_MEM },
	{ "smp", true, OPT_SMP },
	{ "cpu", true, OPT_CPU },
	{ "kernel", true, OPT_KERNEL },
	{ "initrd", true, OPT_INITRD },
	{ "append", true, OPT_APPEND },
	{ "nographic", false, OPT_NOGRAPHIC },
	{ "display", true, OPT_DISPLAY },
	{ "serial", true, OPT_SERIAL },
	{ "no-reboot", false, OPT_NO_REBOOT },
	{ "no-shutdown", false, OPT_NO_SHUTDOWN },
	{ "name", true, OPT_NAME },
	{ "pidfile", true, OPT_PIDFILE },
	{ "daemonize", false, OPT_DAEMONIZE },
	{ "nodefaults", false, OPT_NODEFAULTS },
	{ "netdev", true, OPT_NETDEV },
	{ "device", true, OPT_DEVICE },
	{ "nic", true, OPT_NIC },
	{ "net", true, OPT_NET },

	/* Known to QEMU; listed so the message can say "not supported" rather
	 * than "invalid option" and so their argument is not taken for an option.
	 * Implementing one means moving it above. */
	{ "hda", true, OPT_UNSUPPORTED }, { "hdb", true, OPT_UNSUPPORTED },
	{ "hdc", true, OPT_UNSUPPORTED }, { "hdd", true, OPT_UNSUPPORTED },
	{ "cdrom", true, OPT_UNSUPPORTED }, { "boot", true, OPT_UNSUPPORTED },
	{ "drive", true, OPT_UNSUPPORTED }, { "blockdev", true, OPT_UNSUPPORTED },
	{ "fda", true, OPT_UNSUPPORTED }, { "fdb", true, OPT_UNSUPPORTED },
	{ "snapshot", false, OPT_UNSUPPORTED }, { "bios", true, OPT_UNSUPPORTED },
	{ "pflash", true, OPT_UNSUPPORTED }, { "monitor", true, OPT_UNSUPPORTED },
	{ "qmp", true, OPT_UNSUPPORTED }, { "mon", true, OPT_UNSUPPORTED },
	{ "chardev", true, OPT_UNSUPPORTED }, { "object", true, OPT_UNSUPPORTED },
	{ "vga", true, OPT_UNSUPPORTED }, { "vnc", true, OPT_UNSUPPORTED },
	{ "spice", true, OPT_UNSUPPORTED }, { "usb", false, OPT_UNSUPPORTED },
	{ "usbdevice", true, OPT_UNSUPPORTED }, { "rtc", true, OPT_UNSUPPORTED },
	{ "global", true, OPT_UNSUPPORTED }, { "S", false, OPT_UNSUPPORTED },
	{ "s", false, OPT_UNSUPPORTED }, { "gdb", true, OPT_UNSUPPORTED },
	{ "parallel", true, OPT_UNSUPPORTED }, { "debugcon", true, OPT_UNSUPPORTED },
	{ "numa", true, OPT_UNSUPPORTED }, { "smbios", true, OPT_UNSUPPORTED },
	{ "fw_cfg", true, OPT_UNSUPPORTED }, { "incoming", true, OPT_UNSUPPORTED },
	{ "loadvm", true, OPT_UNSUPPORTED }, { "runas", true, OPT_UNSUPPORTED },
	{ "chroot", true, OPT_UNSUPPORTED }, { "sandbox", true, OPT_UNSUPPORTED },
	{ "virtfs", true, OPT_UNSUPPORTED }, { "fsdev", true, OPT_UNSUPPORTED },
	{ "audiodev", true, OPT_UNSUPPORTED }, { "icount", true, OPT_UNSUPPORTED },
	{ "overcommit", true, OPT_UNSUPPORTED }, { "trace", true, OPT_UNSUPPORTED },
	{ "D", true, OPT_UNSUPPORTED }, { "d", true, OPT_UNSUPPORTED },
	{ "L", true, OPT_UNSUPPORTED }, { "k", true, OPT_UNSUPPORTED },
	{ "no-acpi", false, OPT_UNSUPPORTED }, { "no-hpet", false, OPT_UNSUPPORTED },
	{ "readconfig", true, OPT_UNSUPPORTED }, { "action", true, OPT_UNSUPPORTED },
	{ "watchdog-action", true, OPT_UNSUPPORTED }, { "msg", true, OPT_UNSUPPORTED },
	{ "semihosting", false, OPT_UNSUPPORTED }, { "plugin", true, OPT_UNSUPPORTED },
};

char *cli_strdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

char *cli_sprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

static void cli_set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = cli_strdup(s);
}

void cli_deferred_add(struct cli_deferred_list *l, const char *ctx, const char *arg)
{
	l->items = realloc(l->items, (l->n + 1) * sizeof(*l->items));
	if (!l->items)
		die("out of memory");
	l->items[l->n].ctx = cli_strdup(ctx);
	l->items[l->n].arg = arg;
	l->n++;
}

void cli_deferred_free(struct cli_deferred_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].ctx);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void cli_print_help(void)
{
	printf("skiff version " SKIFF_VERSION ": a KVM virtual machine monitor\n"
	       "usage: skiff [options]   (the options are qemu-system-x86_64's)\n"
	       "\n"
	       "Standard options:\n"
	       "-h or -help     display this help and exit\n"
	       "-version        display version information and exit\n"
	       "-machine [type=]pc[,accel=kvm]\n"
	       "                the machine: 'pc' (i440FX + PIIX) is the only one\n"
	       "-accel kvm      use KVM (the only accelerator; also -enable-kvm)\n"
	       "-cpu MODEL[,+feat][,-feat][,feat=on|off]\n"
	       "                select the CPU model ('-cpu help' for the list)\n"
	       "-smp [[cpus=]n][,maxcpus=n][,sockets=n][,dies=n][,cores=n][,threads=n]\n"
	       "                number of vCPUs and their topology\n"
	       "-m [size=]megs[,slots=n,maxmem=size]\n"
	       "                guest RAM, default 128M; suffixes k, M, G, T\n"
	       "-name string1[,process=string2]\n"
	       "                name of the guest (also guest=string1)\n"
	       "-nodefaults     don't create default devices (the default network)\n"
	       "\n"
	       "Boot:\n"
	       "-kernel bzImage use 'bzImage' as the Linux kernel\n"
	       "-append cmdline the kernel command line\n"
	       "-initrd file    use 'file' as the initial ram disk\n"
	       "\n"
	       "Display and console:\n"
	       "-nographic      no display; the serial port (and monitor) on stdio\n"
	       "-display none   no display\n"
	       "-serial dev     stdio, mon:stdio, none, null, file:PATH,\n"
	       "                unix:PATH,server=on[,wait=off]\n"
	       "\n"
	       "Network:\n"
	       "-netdev user|tap|bridge|socket|stream|dgram|hubport,id=str[,...]\n"
	       "                a network backend ('-netdev help' for the list)\n"
	       "-device e1000|virtio-net-pci[,netdev=id][,mac=addr][,id=str][,addr=slot]\n"
	       "                a NIC ('-device help' for the list)\n"
	       "-nic [type][,backend options][,model=m][,mac=addr][,id=str]\n"
	       "                a backend and a NIC in one ('-nic none' for no network)\n"
	       "-net nic[,model=m][,macaddr=addr][,netdev=id][,name=str][,addr=slot]\n"
	       "-net user|tap|bridge|socket|stream|dgram[,...]\n"
	       "                legacy form: NICs and backends joined by hub 0\n"
	       "                (no option at all means '-net nic -net user')\n"
	       "\n"
	       "Run control:\n"
	       "-no-reboot      exit instead of rebooting\n"
	       "-no-shutdown    stop, rather than exit, when the guest powers off\n"
	       "-daemonize      detach from the terminal once the VM is set up\n"
	       "-pidfile file   write the process id to 'file'\n");
}

static void cli_print_version(void)
{
	printf("skiff version " SKIFF_VERSION "\n"
	       "Accepts the qemu-system-x86_64 command line (x86-64 guests, KVM only)\n");
}

static const struct cli_option *cli_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(cli_options) / sizeof(cli_options[0]); i++) {
		if (!strcmp(cli_options[i].name, name))
			return &cli_options[i];
	}
	return NULL;
}

/* ---- -machine / -accel ---- */

static bool cli_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* accel=kvm:tcg is a list tried in order; skiff can honour it if kvm is in it. */
static int cli_accel_list(const char *list)
{
	char *copy = cli_strdup(list), *save = NULL, *tok;
	bool kvm = false, tcg = false;
	const char *bad = NULL;
	int ret = 0;

	for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (!strcmp(tok, "kvm"))
			kvm = true;
		else if (!strcmp(tok, "tcg"))
			tcg = true;
		else if (!bad && !kvm)
			bad = tok;
	}
	if (kvm) {
		ret = 0;
	} else if (bad) {
		error_report("invalid accelerator %s\n"
			     "skiff runs guests with KVM only: use accel=kvm", bad);
		ret = -1;
	} else if (tcg) {
		error_report("accelerator 'tcg' is not supported: skiff runs guests with KVM "
			     "only (use -accel kvm, or leave the option out)");
		ret = -1;
	} else {
		error_report("invalid accelerator %s\n"
			     "skiff runs guests with KVM only: use accel=kvm", list);
		ret = -1;
	}
	free(copy);
	return ret;
}

static int cli_machine(struct skiff_config *cfg, const char *arg)
{
	struct kvlist kv = { 0 };
	const char *type, *accel;
	int ret = -1;

	if (kvlist_parse(&kv, arg, "type"))
		goto out;
	type = kvlist_get(&kv, "type");
	accel = kvlist_get(&kv, "accel");
	if (type && (!strcmp(type, "help") || !strcmp(type, "?"))) {
		printf("Supported machines are:\n"
		       "pc                   Standard PC (i440FX + PIIX, 1996) (default)\n"
		       "pc-i440fx-*          Standard PC (i440FX + PIIX, 1996) (alias of pc)\n");
		ret = 1;
		goto out;
	}
	if (type && strcmp(type, "pc") && !cli_prefix(type, "pc-i440fx-")) {
		static const char *const other[] = { "q35", "pc-q35-", "microvm", "isapc",
						     "none", "xenfv", "xenpv", "x-remote" };
		bool known = false;

		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
			known |= cli_prefix(type, other[i]);
		if (known)
			error_report("machine type '%s' is not supported: skiff emulates only "
				     "'pc' (i440FX + PIIX); use -machine pc or leave -machine out",
				     type);
		else
			error_report("unsupported machine type\n"
				     "Use -machine help to list supported machines");
		goto out;
	}
	if (accel) {
		if (cli_accel_list(accel))
			goto out;
		cfg->enable_kvm = true;
	}
	/* Machine properties (usb=, vmport=, kernel-irqchip=...) are the VM's to judge. */
	for (size_t i = 0; i < kv.n; i++) {
		if (!kv.items[i].used)
			kvlist_add(&cfg->machine_opts, kv.items[i].key, kv.items[i].value);
	}
	ret = 0;
out:
	kvlist_free(&kv);
	return ret;
}

static int cli_accel(struct skiff_config *cfg, const char *arg)
{
	struct kvlist kv = { 0 };
	const char *accel;
	int ret = -1;

	if (kvlist_parse(&kv, arg, "accel"))
		goto out;
	accel = kvlist_get(&kv, "accel");
	if (!accel) {
		error_report("Parameter 'accel' is missing");
		goto out;
	}
	if (!strcmp(accel, "help") || !strcmp(accel, "?")) {
		printf("Accelerators supported by skiff:\nkvm\n");
		ret = 1;
		goto out;
	}
	if (strcmp(accel, "kvm")) {
		if (!strcmp(accel, "tcg"))
			error_report("accelerator 'tcg' is not supported: skiff runs guests with "
				     "KVM only (use -accel kvm, or leave the option out)");
		else
			error_report("invalid accelerator %s\n"
				     "skiff runs guests with KVM only: use -accel kvm", accel);
		goto out;
	}
	cfg->enable_kvm = true;
	for (size_t i = 0; i < kv.n; i++) {
		if (!kv.items[i].used)
			kvlist_add(&cfg->accel_opts, kv.items[i].key, kv.items[i].value);
	}
	ret = 0;
out:
	kvlist_free(&kv);
	return ret;
}

/* ---- -m ---- */

static const char cli_size_hint[] =
	"Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
	"and exabytes, respectively.";

static int cli_memory(struct skiff_config *cfg, const char *arg)
{
	struct kvlist kv = { 0 };
	const char *size;
	uint64_t sz = 0;
	int ret = -1, r;

	if (kvlist_parse(&kv, arg, "size"))
		goto out;
	size = kvlist_get(&kv, "size");
	if (kvlist_get(&kv, "slots") || kvlist_get(&kv, "maxmem")) {
		error_report("memory hotplug is not supported by skiff: "
			     "drop 'slots=' and 'maxmem=' and give the size only");
		goto out;
	}
	if (kvlist_check_unused(&kv))
		goto out;
	if (size) {
		if (!*size) {
			error_report("missing 'size' option value");
			goto out;
		}
		r = parse_size_err(size, &sz, 0);
		if (r == -ERANGE) {
			error_report("Value '%s' is out of range for parameter 'size'", size);
			goto out;
		}
		if (r) {
			error_report("Parameter 'size' expects a non-negative number below 2^64\n%s",
				     cli_size_hint);
			goto out;
		}
		/* "-m 512" is MiB: QEMU's legacy suffix-less form */
		if (size[strlen(size) - 1] >= '0' && size[strlen(size) - 1] <= '9') {
			if (sz > (UINT64_MAX >> 20)) {
				error_report("too large 'size' option value");
				goto out;
			}
			sz <<= 20;
		}
	}
	/* QEMU: "-m 0" means the default, and sizes are rounded up to 8 KiB. */
	if (sz == 0)
		sz = CLI_RAM_DEFAULT;
	if (sz > CLI_RAM_MAX) {
		error_report("ram size too large: skiff can give a guest at most %llu GiB "
			     "(its 40-bit guest physical address space)",
			     (unsigned long long)(CLI_RAM_MAX >> 30));
		goto out;
	}
	sz = (sz + 8191) & ~8191ULL;
	cfg->ram_size = sz;
	ret = 0;
out:
	kvlist_free(&kv);
	return ret;
}

/* ---- -smp ---- */

static int cli_smp_value(struct kvlist *kv, const char *key, uint64_t *out, bool *has)
{
	const char *v = kvlist_get(kv, key);

	*has = v != NULL;
	*out = 0;
	if (!v)
		return 0;
	if (parse_u64(v, out) || *out > UINT32_MAX) {
		error_report("Parameter 'smp.%s' expects integer", key);
		return -1;
	}
	return 0;
}

static uint64_t cli_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static int cli_smp(struct skiff_config *cfg, const char *arg)
{
	static const char *const keys[] = { "cpus", "sockets", "dies", "cores", "threads",
					    "maxcpus", "clusters", "modules", "books", "drawers" };
	enum { CPUS, SOCKETS, DIES, CORES, THREADS, MAXCPUS, CLUSTERS, MODULES, BOOKS, DRAWERS, NKEYS };
	struct kvlist kv = { 0 };
	uint64_t v[NKEYS];
	bool has[NKEYS];
	uint64_t cpus, sockets, dies, cores, threads, maxcpus, total;
	int ret = -1;

	if (kvlist_parse(&kv, arg, "cpus"))
		goto out;
	for (int i = 0; i < NKEYS; i++) {
		if (cli_smp_value(&kv, keys[i], &v[i], &has[i]))
			goto out;
	}
	for (size_t i = 0; i < kv.n; i++) {
		if (!kv.items[i].used) {
			error_report("Parameter 'smp.%s' is unexpected", kv.items[i].key);
			goto out;
		}
	}
	for (int i = 0; i < NKEYS; i++) {
		if (has[i] && v[i] == 0) {
			error_report("Invalid CPU topology: "
				     "CPU topology parameters must be greater than zero");
			goto out;
		}
	}
	/* pc has no clusters, modules, books or drawers (as QEMU's pc machine) */
	for (int i = CLUSTERS; i < NKEYS; i++) {
		if (has[i] && v[i] > 1) {
			error_report("%s > 1 not supported by this machine's CPU topology",
				     keys[i]);
			goto out;
		}
	}

	/* QEMU's machine_parse_smp_config(), preferring cores (pc >= 6.2). */
	cpus = v[CPUS];
	sockets = v[SOCKETS];
	dies = has[DIES] ? v[DIES] : 1;
	cores = v[CORES];
	threads = v[THREADS];
	maxcpus = v[MAXCPUS];
	if (cpus == 0 && maxcpus == 0) {
		sockets = sockets ? sockets : 1;
		cores = cores ? cores : 1;
		threads = threads ? threads : 1;
	} else {
		maxcpus = maxcpus ? maxcpus : cpus;
		if (cores == 0) {
			sockets = sockets ? sockets : 1;
			threads = threads ? threads : 1;
			cores = maxcpus / cli_mul(cli_mul(sockets, dies), threads);
		} else if (sockets == 0) {
			threads = threads ? threads : 1;
			sockets = maxcpus / cli_mul(cli_mul(dies, cores), threads);
		}
		if (threads == 0)
			threads = maxcpus / cli_mul(cli_mul(sockets, dies), cores);
	}
	total = cli_mul(cli_mul(cli_mul(sockets, dies), cores), threads);
	maxcpus = maxcpus ? maxcpus : total;
	cpus = cpus ? cpus : maxcpus;

	if (total != maxcpus) {
		error_report("Invalid CPU topology: product of the hierarchy must match maxcpus: "
			     "sockets (%llu) * dies (%llu) * cores (%llu) * threads (%llu) "
			     "!= maxcpus (%llu)",
			     (unsigned long long)sockets, (unsigned long long)dies,
			     (unsigned long long)cores, (unsigned long long)threads,
			     (unsigned long long)maxcpus);
		goto out;
	}
	if (maxcpus < cpus) {
		error_report("Invalid CPU topology: maxcpus must be equal to or greater than smp: "
			     "sockets (%llu) * dies (%llu) * cores (%llu) * threads (%llu) "
			     "== maxcpus (%llu) < smp_cpus (%llu)",
			     (unsigned long long)sockets, (unsigned long long)dies,
			     (unsigned long long)cores, (unsigned long long)threads,
			     (unsigned long long)maxcpus, (unsigned long long)cpus);
		goto out;
	}
	if (maxcpus > CLI_PC_MAX_CPUS) {
		error_report("Invalid SMP CPUs %llu. The max CPUs supported by machine 'pc' is %d",
			     (unsigned long long)maxcpus, CLI_PC_MAX_CPUS);
		goto out;
	}
	cfg->smp.cpus = cpus;
	cfg->smp.sockets = sockets;
	cfg->smp.dies = dies;
	cfg->smp.cores = cores;
	cfg->smp.threads = threads;
	cfg->smp.maxcpus = maxcpus;
	ret = 0;
out:
	kvlist_free(&kv);
	return ret;
}

/* ---- -cpu ---- */

static int cli_cpu(struct skiff_config *cfg, const char *arg)
{
	char *copy = cli_strdup(arg), *save = NULL, *tok, *comma;
	int ret = -1;

	/* QEMU splits the feature list on plain commas (no ",," escaping). */
	comma = strchr(copy, ',');
	if (comma)
		*comma = '\0';
	if (!strcmp(copy, "help") || !strcmp(copy, "?")) {
		cpu_models_print(stdout);
		ret = 1;
		goto out;
	}
	if (!cpu_model_find(copy)) {
		error_report("unable to find CPU model '%s'\n"
			     "'-cpu help' lists the models skiff knows", copy);
		goto out;
	}
	cli_set_str(&cfg->cpu_model, copy);
	kvlist_free(&cfg->cpu_flags);
	if (!comma) {
		ret = 0;
		goto out;
	}
	for (tok = strtok_r(comma + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *value = "on";
		char *eq;
		bool b;

		if (tok[0] == '+' || tok[0] == '-') {
			value = tok[0] == '+' ? "on" : "off";
			tok++;
		} else if ((eq = strchr(tok, '='))) {
			*eq = '\0';
			value = eq + 1;
			if (!parse_bool(value, &b))
				value = b ? "on" : "off";
		}
		if (!*tok) {
			error_report("CPU feature name missing in '%s'", arg);
			goto out;
		}
		/* QEMU's feat2prop(): "sse4_2" is the property "sse4-2" */
		for (char *p = tok; *p; p++) {
			if (*p == '_')
				*p = '-';
		}
		kvlist_add(&cfg->cpu_flags, tok, value);
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

/* ---- -serial / -display / -name ---- */

static int cli_serial(struct skiff_config *cfg, const char *arg, bool *seen)
{
	static const char *const other[] = { "vc", "pty", "tcp:", "udp:", "telnet:", "websocket:",
					     "pipe:", "chardev:", "msmouse", "braille", "testdev",
					     "/dev/", "COM", "vc:", "stdio,", "file" };
	struct serial_config *s = &cfg->serial;

	if (*seen) {
		error_report("only one -serial is supported: skiff's pc has a single "
			     "UART (ttyS0)");
		return -1;
	}
	*seen = true;
	free(s->path);
	s->path = NULL;
	s->monitor = false;
	s->wait = false;
	if (!strcmp(arg, "help")) {
		printf("Available serial backends:\nstdio\nmon:stdio\nnone\nnull\nfile:PATH\n"
		       "unix:PATH,server=on[,wait=off]\n");
		return 1;
	}
	if (!strcmp(arg, "stdio")) {
		s->kind = SERIAL_STDIO;
	} else if (!strcmp(arg, "mon:stdio")) {
		s->kind = SERIAL_STDIO;
		s->monitor = true;
	} else if (!strcmp(arg, "none") || !strcmp(arg, "null")) {
		s->kind = SERIAL_NONE;
	} else if (cli_prefix(arg, "file:")) {
		if (!arg[5]) {
			error_report("Could not open '': No such file or directory\n"
				     "-serial file: needs a path, e.g. -serial file:console.log");
			return -1;
		}
		s->kind = SERIAL_FILE;
		s->path = cli_strdup(arg + 5);
	} else if (cli_prefix(arg, "unix:")) {
		struct kvlist kv = { 0 };
		const char *path;
		bool server = false, wait = true;
		int ret = -1;

		if (kvlist_parse(&kv, arg + 5, "path"))
			goto unix_out;
		path = kvlist_get(&kv, "path");
		if (kvlist_get_bool(&kv, "server", &server) < 0 ||
		    kvlist_get_bool(&kv, "wait", &wait) < 0 ||
		    kvlist_check_unused(&kv))
			goto unix_out;
		if (!path || !*path) {
			error_report("chardev: unix socket: path missing\n"
				     "use -serial unix:PATH,server=on,wait=off");
			goto unix_out;
		}
		if (!server) {
			error_report("connecting to a socket is not supported by skiff: "
				     "add ',server=on' to listen on it (and ',wait=off' not to "
				     "wait for a client before the guest starts)");
			goto unix_out;
		}
		s->kind = SERIAL_UNIX_SERVER;
		s->path = cli_strdup(path);
		s->wait = wait;
		ret = 0;
unix_out:
		kvlist_free(&kv);
		return ret;
	} else {
		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
			if (cli_prefix(arg, other[i])) {
				error_report("serial backend '%s' is not supported by skiff; it has "
					     "stdio, mon:stdio, none, null, file:PATH and "
					     "unix:PATH,server=on[,wait=off]", arg);
				return -1;
			}
		}
		error_report("'%s' is not a valid char driver\n"
			     "skiff's serial backends: stdio, mon:stdio, none, null, file:PATH, "
			     "unix:PATH,server=on[,wait=off]", arg);
		return -1;
	}
	return 0;
}

static int cli_display(struct skiff_config *cfg, const char *arg)
{
	static const char *const graphical[] = { "gtk", "sdl", "curses", "egl-headless",
						 "spice-app", "dbus", "cocoa", "vnc", "default" };
	struct kvlist kv = { 0 };
	const char *type;
	int ret = -1;

	if (kvlist_parse(&kv, arg, "type"))
		goto out;
	type = kvlist_get(&kv, "type");
	if (type && !strcmp(type, "help")) {
		printf("Available display backend types:\nnone\n");
		ret = 1;
		goto out;
	}
	if (!type) {
		error_report("Parameter 'type' is missing");
		goto out;
	}
	if (strcmp(type, "none")) {
		for (size_t i = 0; i < sizeof(graphical) / sizeof(graphical[0]); i++) {
			if (cli_prefix(type, graphical[i])) {
				error_report("display '%s' is not supported: skiff has no graphical "
					     "display; use -display none or -nographic (the guest "
					     "console is the serial port)", type);
				goto out;
			}
		}
		error_report("Parameter 'type' does not accept value '%s'", type);
		goto out;
	}
	for (size_t i = 0; i < kv.n; i++) {
		if (!kv.items[i].used) {
			error_report("Parameter '%s' is unexpected", kv.items[i].key);
			goto out;
		}
	}
	cfg->display_none = true;
	ret = 0;
out:
	kvlist_free(&kv);
	return ret;
}

static int cli_name(struct skiff_config *cfg, const char *arg)
{
	struct kvlist kv = { 0 };
	const char *guest, *process;
	bool dbg;
	int ret = -1;

	if (kvlist_parse(&kv, arg, "guest"))
		goto out;
	guest = kvlist_get(&kv, "guest");
	process = kvlist_get(&kv, "process");
	if (kvlist_get_bool(&kv, "debug-threads", &dbg) < 0 || kvlist_check_unused(&kv))
		goto out;
	if (guest)
		cli_set_str(&cfg->name, guest);
	if (process)
		cli_set_str(&cfg->process_name, process);
	ret = 0;
out:
	kvlist_free(&kv);
	return ret;
}

/* ---- the driver ---- */

static void cli_defaults(struct skiff_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_size = CLI_RAM_DEFAULT;
	cfg->smp = (struct smp_config){ .cpus = 1, .sockets = 1, .dies = 1, .cores = 1,
					.threads = 1, .maxcpus = 1 };
	cfg->serial.kind = SERIAL_DEFAULT;
}

/* Checks QEMU makes once every option has been seen. */
static int cli_finish(struct skiff_config *cfg)
{
	struct serial_config *s = &cfg->serial;

	if (cfg->append && !cfg->kernel) {
		error_report("-append only allowed with -kernel option");
		return -1;
	}
	if (cfg->initrd && !cfg->kernel) {
		error_report("-initrd only allowed with -kernel option");
		return -1;
	}
	if (cfg->nographic)
		cfg->display_none = true;
	if (cfg->daemonize && cfg->nographic) {
		error_report("-nographic cannot be used with -daemonize\n"
			     "a daemon has no terminal: use -display none with -serial file:PATH "
			     "or -serial unix:PATH,server=on,wait=off for the console");
		return -1;
	}
	if (s->kind == SERIAL_DEFAULT) {
		/* QEMU: -nographic puts serial and monitor on stdio unless -nodefaults */
		if (cfg->nographic && !cfg->nodefaults) {
			s->kind = SERIAL_STDIO;
			s->monitor = true;
		} else {
			s->kind = SERIAL_NONE;
		}
	}
	if (cfg->daemonize && s->kind == SERIAL_STDIO) {
		log_set_context(s->monitor ? "-serial mon:stdio" : "-serial stdio");
		error_report("cannot use stdio with -daemonize");
		log_set_context(NULL);
		return -1;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct skiff_config *cfg)
{
	struct cli_net_state net = { .default_net = true };
	bool serial_seen = false;
	char *ctx = NULL;
	int ret = 0;

	cli_defaults(cfg);
	for (int i = 1; i < argc && ret == 0; i++) {
		const char *a = argv[i], *name, *arg = NULL;
		const struct cli_option *opt;

		free(ctx);
		ctx = NULL;
		log_set_context(NULL);
		if (a[0] != '-') {
			/* QEMU takes a bare word for a disk image (-hda). */
			log_set_context(a);
			error_report("unexpected argument: skiff takes no disk image "
				     "(options start with '-')");
			ret = -1;
			break;
		}
		name = a + 1;
		if (name[0] == '-')
			name++;
		opt = cli_lookup(name);
		if (!opt) {
			log_set_context(a);
			error_report("invalid option");
			ret = -1;
			break;
		}
		if (opt->has_arg) {
			if (i + 1 >= argc) {
				log_set_context(a);
				error_report("requires an argument");
				ret = -1;
				break;
			}
			arg = argv[++i];
			ctx = cli_sprintf("%s %s", a, arg);
		} else {
			ctx = cli_strdup(a);
		}
		log_set_context(ctx);

		switch (opt->id) {
		case OPT_HELP:
			cli_print_help();
			ret = 1;
			break;
		case OPT_VERSION:
			cli_print_version();
			ret = 1;
			break;
		case OPT_ENABLE_KVM:
			cfg->enable_kvm = true;
			break;
		case OPT_ACCEL:
			ret = cli_accel(cfg, arg);
			break;
		case OPT_MACHINE:
			ret = cli_machine(cfg, arg);
			break;
		case OPT_MEM:
			ret = cli_memory(cfg, arg);
			break;
		case OPT_SMP:
			ret = cli_smp(cfg, arg);
			break;
		case OPT_CPU:
			ret = cli_cpu(cfg, arg);
			break;
		case OPT_KERNEL:
			cli_set_str(&cfg->kernel, arg);
			break;
		case OPT_INITRD:
			cli_set_str(&cfg->initrd, arg);
			break;
		case OPT_APPEND:
			cli_set_str(&cfg->append, arg);
			break;
		case OPT_NOGRAPHIC:
			cfg->nographic = true;
			break;
		case OPT_DISPLAY:
			ret = cli_display(cfg, arg);
			break;
		case OPT_SERIAL:
			ret = cli_serial(cfg, arg, &serial_seen);
			break;
		case OPT_NO_REBOOT:
			cfg->no_reboot = true;
			break;
		case OPT_NO_SHUTDOWN:
			cfg->no_shutdown = true;
			break;
		case OPT_NAME:
			ret = cli_name(cfg, arg);
			break;
		case OPT_PIDFILE:
			cli_set_str(&cfg->pidfile, arg);
			break;
		case OPT_DAEMONIZE:
			cfg->daemonize = true;
			break;
		case OPT_NODEFAULTS:
			cfg->nodefaults = true;
			net.default_net = false;
			break;
		case OPT_NETDEV:
			net.default_net = false;
			if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
				cli_netdev_help();
				ret = 1;
				break;
			}
			cli_deferred_add(&net.netdevs, ctx, arg);
			break;
		case OPT_NIC:
			net.default_net = false;
			cli_deferred_add(&net.nics, ctx, arg);
			break;
		case OPT_NET:
			net.default_net = false;
			cli_deferred_add(&net.nets, ctx, arg);
			break;
		case OPT_DEVICE:
			if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
				cli_device_help();
				ret = 1;
				break;
			}
			cli_deferred_add(&net.devices, ctx, arg);
			break;
		case OPT_UNSUPPORTED:
			error_report("option not supported by skiff");
			ret = -1;
			break;
		}
	}
	log_set_context(NULL);
	free(ctx);

	if (ret == 0)
		ret = cli_net_resolve(&net, cfg);
	if (ret == 0)
		ret = cli_finish(cfg);
	cli_deferred_free(&net.netdevs);
	cli_deferred_free(&net.nics);
	cli_deferred_free(&net.nets);
	cli_deferred_free(&net.devices);
	if (ret != 0) {
		config_free(cfg);
		cli_defaults(cfg);
	}
	return ret;
}

void config_free(struct skiff_config *cfg)
{
	kvlist_free(&cfg->machine_opts);
	kvlist_free(&cfg->accel_opts);
	free(cfg->cpu_model);
	kvlist_free(&cfg->cpu_flags);
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->append);
	free(cfg->serial.path);
	free(cfg->name);
	free(cfg->process_name);
	free(cfg->pidfile);
	for (size_t i = 0; i < cfg->nr_netdevs; i++) {
		free(cfg->netdevs[i].type);
		free(cfg->netdevs[i].id);
		kvlist_free(&cfg->netdevs[i].opts);
	}
	free(cfg->netdevs);
	for (size_t i = 0; i < cfg->nr_nics; i++) {
		free(cfg->nics[i].model);
		free(cfg->nics[i].id);
		free(cfg->nics[i].netdev);
		kvlist_free(&cfg->nics[i].opts);
	}
	free(cfg->nics);
	memset(cfg, 0, sizeof(*cfg));
}

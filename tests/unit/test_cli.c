/* cli_parse(): every non-network option, its defaults and its errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/config.h"
#include "util/log.h"
#include "test_cli_common.h"   /* setup, parse, expect_error, expect_served */

static void test_defaults(void **state)
{
	struct skiff_config cfg;

	assert_int_equal(parse(&cfg, NULL), 0);
	assert_int_equal(nr_msgs, 0);
	assert_true(cfg.ram_size == 128ULL << 20);
	assert_int_equal(cfg.smp.cpus, 1);
	assert_int_equal(cfg.smp.sockets, 1);
	assert_int_equal(cfg.smp.dies, 1);
	assert_int_equal(cfg.smp.cores, 1);
	assert_int_equal(cfg.smp.threads, 1);
	assert_int_equal(cfg.smp.maxcpus, 1);
	assert_null(cfg.cpu_model);
	assert_int_equal(cfg.cpu_flags.n, 0);
	assert_null(cfg.kernel);
	assert_null(cfg.initrd);
	assert_null(cfg.append);
	assert_false(cfg.nographic);
	assert_false(cfg.display_none);
	assert_int_equal(cfg.serial.kind, SERIAL_NONE);
	assert_false(cfg.no_reboot);
	assert_false(cfg.no_shutdown);
	assert_null(cfg.name);
	assert_null(cfg.pidfile);
	assert_false(cfg.daemonize);
	assert_false(cfg.nodefaults);
	assert_false(cfg.enable_kvm);
	/* QEMU's implicit -net nic -net user */
	assert_int_equal(cfg.nr_nics, 1);
	assert_int_equal(cfg.nr_netdevs, 3);
	config_free(&cfg);
}

static void test_typical_command_line(void **state)
{
	struct skiff_config cfg;

	assert_int_equal(parse(&cfg, "-enable-kvm", "-kernel", "bzImage", "-initrd", "initrd",
			       "-append", "console=ttyS0 root=/dev/vda", "-nographic",
			       "-smp", "4", "-m", "8G", NULL), 0);
	assert_int_equal(nr_msgs, 0);
	assert_true(cfg.enable_kvm);
	assert_string_equal(cfg.kernel, "bzImage");
	assert_string_equal(cfg.initrd, "initrd");
	assert_string_equal(cfg.append, "console=ttyS0 root=/dev/vda");
	assert_true(cfg.nographic);
	assert_true(cfg.display_none);
	assert_int_equal(cfg.serial.kind, SERIAL_STDIO);
	assert_true(cfg.serial.monitor);
	assert_int_equal(cfg.smp.cpus, 4);
	assert_int_equal(cfg.smp.sockets, 1);
	assert_int_equal(cfg.smp.cores, 4);
	assert_int_equal(cfg.smp.threads, 1);
	assert_int_equal(cfg.smp.maxcpus, 4);
	assert_true(cfg.ram_size == 8ULL << 30);
	config_free(&cfg);
}

static void test_double_dash_and_last_wins(void **state)
{
	struct skiff_config cfg;

	assert_int_equal(parse(&cfg, "--kernel", "a", "-kernel", "b", "--m", "256",
			       "--name", "vm1", "--pidfile", "/tmp/p", "--no-reboot",
			       "--no-shutdown", "-daemonize", "--nodefaults", NULL), 0);
	assert_string_equal(cfg.kernel, "b");
	assert_true(cfg.ram_size == 256ULL << 20);
	assert_string_equal(cfg.name, "vm1");
	assert_string_equal(cfg.pidfile, "/tmp/p");
	assert_true(cfg.no_reboot);
	assert_true(cfg.no_shutdown);
	assert_true(cfg.daemonize);
	assert_true(cfg.nodefaults);
	assert_int_equal(cfg.nr_nics, 0);
	assert_int_equal(cfg.nr_netdevs, 0);
	config_free(&cfg);
}

static void test_invalid_option(void **state)
{
	expect_error("skiff: -foo: invalid option", "-foo", NULL);
	expect_error("skiff: --foo: invalid option", "--foo", NULL);
	expect_error("skiff: -: invalid option", "-", NULL);
	expect_error("skiff: disk.img: unexpected argument", "disk.img", NULL);
	/* errors are reported in argv order, the first one wins */
	expect_error("skiff: -bar: invalid option", "-m", "64", "-bar", "-baz", NULL);
}

static void test_requires_argument(void **state)
{
	static const char *const opts[] = { "-m", "-smp", "-cpu", "-kernel", "-initrd", "-append",
					    "-serial", "-name", "-pidfile", "-machine", "-M",
					    "-accel", "-display", "-netdev", "-device", "-nic",
					    "-net", "--m" };

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char msg[64];

		snprintf(msg, sizeof(msg), "skiff: %s: requires an argument", opts[i]);
		expect_error(msg, opts[i], NULL);
	}
}

static void test_unsupported_qemu_option(void **state)
{
	expect_error("skiff: -vga std: option not supported by skiff", "-vga", "std", NULL);
	expect_error("skiff: -S: option not supported by skiff", "-S", NULL);
	expect_error("skiff: -hda: requires an argument", "-hda", NULL);
}

static void test_help_version(void **state)
{
	expect_served("usage: skiff [options]", "-help", NULL);
	expect_served("-netdev", "-h", NULL);
	expect_served("usage:", "--help", NULL);
	expect_served("skiff version ", "-version", NULL);
	expect_served("qemu-system-x86_64 command line", "--version", NULL);
	/* served at once, like QEMU: later errors are not looked at */
	expect_served("skiff version", "-version", "-foo", NULL);
}

static void test_memory(void **state)
{
	static const struct {
		const char *arg;
		uint64_t size;
	} ok[] = {
		{ "512", 512ULL << 20 }, { "512M", 512ULL << 20 }, { "512m", 512ULL << 20 },
		{ "8G", 8ULL << 30 }, { "8g", 8ULL << 30 }, { "size=8G", 8ULL << 30 },
		{ "1T", 1ULL << 40 }, { "0.5G", 512ULL << 20 }, { "1048576k", 1ULL << 30 },
		{ "0", 128ULL << 20 }, { "size=0", 128ULL << 20 }, { "1k", 8192 },
		{ "100000b", 106496 }, { "0x100", 256ULL << 20 }, { "2048", 2ULL << 30 },
	};
	struct skiff_config cfg;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse(&cfg, "-m", ok[i].arg, NULL), 0);
		if (cfg.ram_size != ok[i].size)
			fail_msg("-m %s: got %llu", ok[i].arg, (unsigned long long)cfg.ram_size);
		config_free(&cfg);
	}
	/* later -m wins */
	assert_int_equal(parse(&cfg, "-m", "1G", "-m", "2G", NULL), 0);
	assert_true(cfg.ram_size == 2ULL << 30);
	config_free(&cfg);
}

static void test_memory_errors(void **state)
{
	struct skiff_config cfg;

	expect_error("skiff: -m 1Z: Parameter 'size' expects a non-negative number below 2^64",
		     "-m", "1Z", NULL);
	assert_non_null(strstr(msgs[0], "\nOptional suffix k, M, G, T, P or E means kilo-, "
				   "mega-, giga-, tera-, peta-\nand exabytes, respectively."));
	expect_error("skiff: -m -1: Parameter 'size' expects a non-negative number below 2^64",
		     "-m", "-1", NULL);
	expect_error("skiff: -m 1.5: Parameter 'size' expects a non-negative number below 2^64",
		     "-m", "1.5", NULL);
	expect_error("skiff: -m foo: Parameter 'size' expects a non-negative number below 2^64",
		     "-m", "foo", NULL);
	expect_error("skiff: -m 16E: Value '16E' is out of range for parameter 'size'",
		     "-m", "16E", NULL);
	expect_error("skiff: -m 99999999999999: too large 'size' option value",
		     "-m", "99999999999999", NULL);
	expect_error("skiff: -m 2T: ram size too large", "-m", "2T", NULL);
	assert_non_null(strstr(msgs[0], "at most 1024 GiB"));
	expect_error("skiff: -m 1E: ram size too large", "-m", "1E", NULL);
	expect_error("skiff: -m size=: missing 'size' option value", "-m", "size=", NULL);
	expect_error("skiff: -m size=1G,foo=2: Invalid parameter 'foo'", "-m", "size=1G,foo=2",
		     NULL);
	expect_error("skiff: -m 1G,slots=2,maxmem=4G: memory hotplug is not supported by skiff",
		     "-m", "1G,slots=2,maxmem=4G", NULL);
	/* the largest size accepted */
	assert_int_equal(parse(&cfg, "-m", "1024G", NULL), 0);
	assert_true(cfg.ram_size == 1ULL << 40);
	config_free(&cfg);
}

static void smp_ok(const char *arg, unsigned cpus, unsigned sockets, unsigned dies,
		   unsigned cores, unsigned threads, unsigned maxcpus)
{
	struct skiff_config cfg;
	int r = parse(&cfg, "-smp", arg, NULL);

	if (r != 0)
		fail_msg("-smp %s: r=%d '%s'", arg, r, nr_msgs ? msgs[0] : "");
	if (cfg.smp.cpus != cpus || cfg.smp.sockets != sockets || cfg.smp.dies != dies ||
	    cfg.smp.cores != cores || cfg.smp.threads != threads || cfg.smp.maxcpus != maxcpus)
		fail_msg("-smp %s: got cpus %u sockets %u dies %u cores %u threads %u max %u", arg,
			 cfg.smp.cpus, cfg.smp.sockets, cfg.smp.dies, cfg.smp.cores,
			 cfg.smp.threads, cfg.smp.maxcpus);
	config_free(&cfg);
}

static void test_smp(void **state)
{
	/* cpus only: cores preferred (QEMU >= 6.2) */
	smp_ok("1", 1, 1, 1, 1, 1, 1);
	smp_ok("4", 4, 1, 1, 4, 1, 4);
	smp_ok("cpus=8", 8, 1, 1, 8, 1, 8);
	/* cpus derived from the product */
	smp_ok("sockets=2", 2, 2, 1, 1, 1, 2);
	smp_ok("cores=2,threads=2", 4, 1, 1, 2, 2, 4);
	smp_ok("sockets=2,cores=2,threads=2", 8, 2, 1, 2, 2, 8);
	smp_ok("sockets=2,dies=2,cores=2,threads=1", 8, 2, 2, 2, 1, 8);
	/* omitted members computed */
	smp_ok("8,sockets=2", 8, 2, 1, 4, 1, 8);
	smp_ok("8,cores=2", 8, 4, 1, 2, 1, 8);
	smp_ok("8,threads=2", 8, 1, 1, 4, 2, 8);
	smp_ok("8,sockets=2,cores=2", 8, 2, 1, 2, 2, 8);
	smp_ok("8,sockets=2,threads=2", 8, 2, 1, 2, 2, 8);
	smp_ok("4,dies=2", 4, 1, 2, 2, 1, 4);
	smp_ok("8,sockets=2,cores=4,threads=1", 8, 2, 1, 4, 1, 8);
	/* maxcpus: room for hotplug */
	smp_ok("2,maxcpus=4", 2, 1, 1, 4, 1, 4);
	smp_ok("maxcpus=4", 4, 1, 1, 4, 1, 4);
	smp_ok("3,maxcpus=4", 3, 1, 1, 4, 1, 4);
	smp_ok("2,sockets=2,maxcpus=8", 2, 2, 1, 4, 1, 8);
	/* members pc does not have may be 1 */
	smp_ok("2,clusters=1,modules=1,books=1,drawers=1", 2, 1, 1, 2, 1, 2);
	smp_ok("255", 255, 1, 1, 255, 1, 255);
	smp_ok("0x4", 4, 1, 1, 4, 1, 4);
}

static void test_smp_errors(void **state)
{
	expect_error("skiff: -smp 4,sockets=3: Invalid CPU topology: product of the hierarchy "
		     "must match maxcpus: sockets (3) * dies (1) * cores (1) * threads (1) != "
		     "maxcpus (4)", "-smp", "4,sockets=3", NULL);
	expect_error("skiff: -smp 5,cores=2: Invalid CPU topology: product of the hierarchy "
		     "must match maxcpus: sockets (2) * dies (1) * cores (2) * threads (1) != "
		     "maxcpus (5)", "-smp", "5,cores=2", NULL);
	expect_error("skiff: -smp 2,maxcpus=1: Invalid CPU topology: maxcpus must be equal to or "
		     "greater than smp: sockets (1) * dies (1) * cores (1) * threads (1) == "
		     "maxcpus (1) < smp_cpus (2)", "-smp", "2,maxcpus=1", NULL);
	expect_error("skiff: -smp 0: Invalid CPU topology: CPU topology parameters must be "
		     "greater than zero", "-smp", "0", NULL);
	expect_error("skiff: -smp 4,sockets=0: Invalid CPU topology: CPU topology parameters "
		     "must be greater than zero", "-smp", "4,sockets=0", NULL);
	expect_error("skiff: -smp 300: Invalid SMP CPUs 300. The max CPUs supported by machine "
		     "'pc' is 255", "-smp", "300", NULL);
	expect_error("skiff: -smp 2,maxcpus=256: Invalid SMP CPUs 256. The max CPUs supported "
		     "by machine 'pc' is 255", "-smp", "2,maxcpus=256", NULL);
	expect_error("skiff: -smp foo: Parameter 'smp.cpus' expects integer", "-smp", "foo", NULL);
	expect_error("skiff: -smp -1: Parameter 'smp.cpus' expects integer", "-smp", "-1", NULL);
	expect_error("skiff: -smp 4,cores=x: Parameter 'smp.cores' expects integer",
		     "-smp", "4,cores=x", NULL);
	expect_error("skiff: -smp 99999999999: Parameter 'smp.cpus' expects integer",
		     "-smp", "99999999999", NULL);
	expect_error("skiff: -smp 1,foo=2: Parameter 'smp.foo' is unexpected",
		     "-smp", "1,foo=2", NULL);
	expect_error("skiff: -smp 2,clusters=2: clusters > 1 not supported by this machine's "
		     "CPU topology", "-smp", "2,clusters=2", NULL);
	expect_error("skiff: -smp 2,modules=2: modules > 1 not supported by this machine's "
		     "CPU topology", "-smp", "2,modules=2", NULL);
	/* huge products must not wrap around */
	expect_error("skiff: -smp sockets=4294967295,cores=4294967295,threads=4294967295,"
		     "dies=4294967295: Invalid SMP CPUs", "-smp",
		     "sockets=4294967295,cores=4294967295,threads=4294967295,dies=4294967295",
		     NULL);
}

static void test_cpu(void **state)
{
	struct skiff_config cfg;

	assert_int_equal(parse(&cfg, "-cpu", "host", NULL), 0);
	assert_string_equal(cfg.cpu_model, "host");
	assert_int_equal(cfg.cpu_flags.n, 0);
	config_free(&cfg);

	assert_int_equal(parse(&cfg, "-cpu", "qemu64,+avx2,-svm,vmx=on,x2apic=off,pdpe1gb,"
			       "sse4_2=yes,model-id=My CPU", NULL), 0);
	assert_string_equal(cfg.cpu_model, "qemu64");
	assert_int_equal(cfg.cpu_flags.n, 7);
	assert_string_equal(cfg.cpu_flags.items[0].key, "avx2");
	assert_string_equal(cfg.cpu_flags.items[0].value, "on");
	assert_string_equal(cfg.cpu_flags.items[1].key, "svm");
	assert_string_equal(cfg.cpu_flags.items[1].value, "off");
	assert_string_equal(cfg.cpu_flags.items[2].key, "vmx");
	assert_string_equal(cfg.cpu_flags.items[2].value, "on");
	assert_string_equal(cfg.cpu_flags.items[3].value, "off");
	assert_string_equal(cfg.cpu_flags.items[4].key, "pdpe1gb");
	assert_string_equal(cfg.cpu_flags.items[4].value, "on");
	assert_string_equal(cfg.cpu_flags.items[5].key, "sse4-2");
	assert_string_equal(cfg.cpu_flags.items[5].value, "on");
	assert_string_equal(cfg.cpu_flags.items[6].key, "model-id");
	assert_string_equal(cfg.cpu_flags.items[6].value, "My CPU");
	config_free(&cfg);

	/* "max" is accepted (alias of host under KVM); later -cpu replaces flags */
	assert_int_equal(parse(&cfg, "-cpu", "qemu64,+avx", "-cpu", "max", NULL), 0);
	assert_string_equal(cfg.cpu_model, "max");
	assert_int_equal(cfg.cpu_flags.n, 0);
	config_free(&cfg);

	expect_error("skiff: -cpu foo: unable to find CPU model 'foo'", "-cpu", "foo", NULL);
	expect_error("skiff: -cpu foo,+avx: unable to find CPU model 'foo'", "-cpu", "foo,+avx",
		     NULL);
	expect_error("skiff: -cpu qemu64,+: CPU feature name missing in 'qemu64,+'",
		     "-cpu", "qemu64,+", NULL);
	expect_served("qemu64", "-cpu", "help", NULL);
	expect_served("Available CPUs", "-cpu", "?", NULL);
}

static void test_machine_accel(void **state)
{
	static const char *const ok[] = { "pc", "type=pc", "pc-i440fx-7.2", "pc,accel=kvm",
					  "accel=kvm", "pc,accel=kvm:tcg", "accel=tcg:kvm" };
	struct skiff_config cfg;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse(&cfg, "-machine", ok[i], NULL), 0);
		config_free(&cfg);
	}
	assert_int_equal(parse(&cfg, "-M", "pc,accel=kvm,usb=off,vmport=off", NULL), 0);
	assert_true(cfg.enable_kvm);
	assert_int_equal(cfg.machine_opts.n, 2);
	assert_string_equal(cfg.machine_opts.items[0].key, "usb");
	assert_string_equal(cfg.machine_opts.items[1].value, "off");
	config_free(&cfg);

	assert_int_equal(parse(&cfg, "-accel", "kvm", NULL), 0);
	assert_true(cfg.enable_kvm);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-accel", "kvm,kernel-irqchip=on", NULL), 0);
	assert_int_equal(cfg.accel_opts.n, 1);
	assert_string_equal(cfg.accel_opts.items[0].key, "kernel-irqchip");
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-accel", "accel=kvm", NULL), 0);
	config_free(&cfg);

	expect_error("skiff: -accel tcg: accelerator 'tcg' is not supported: skiff runs guests "
		     "with KVM only (use -accel kvm, or leave the option out)", "-accel", "tcg",
		     NULL);
	expect_error("skiff: -accel xen: invalid accelerator xen", "-accel", "xen", NULL);
	expect_error("skiff: -accel foo=1: Parameter 'accel' is missing", "-accel", "foo=1", NULL);
	expect_error("skiff: -machine accel=tcg: accelerator 'tcg' is not supported",
		     "-machine", "accel=tcg", NULL);
	expect_error("skiff: -machine pc,accel=xen: invalid accelerator xen",
		     "-machine", "pc,accel=xen", NULL);
	expect_error("skiff: -machine q35: machine type 'q35' is not supported: skiff emulates "
		     "only 'pc' (i440FX + PIIX); use -machine pc or leave -machine out",
		     "-machine", "q35", NULL);
	expect_error("skiff: -M microvm: machine type 'microvm' is not supported",
		     "-M", "microvm", NULL);
	expect_error("skiff: -machine pc-q35-7.2: machine type 'pc-q35-7.2' is not supported",
		     "-machine", "pc-q35-7.2", NULL);
	expect_error("skiff: -machine foo: unsupported machine type\n"
		     "Use -machine help to list supported machines", "-machine", "foo", NULL);
	expect_served("Supported machines are:\npc ", "-machine", "help", NULL);
	expect_served("kvm", "-accel", "help", NULL);
}

static void test_serial(void **state)
{
	struct skiff_config cfg;

	assert_int_equal(parse(&cfg, "-serial", "stdio", NULL), 0);
	assert_int_equal(cfg.serial.kind, SERIAL_STDIO);
	assert_false(cfg.serial.monitor);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-serial", "mon:stdio", NULL), 0);
	assert_int_equal(cfg.serial.kind, SERIAL_STDIO);
	assert_true(cfg.serial.monitor);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-serial", "none", "-nographic", NULL), 0);
	assert_int_equal(cfg.serial.kind, SERIAL_NONE);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-serial", "null", NULL), 0);
	assert_int_equal(cfg.serial.kind, SERIAL_NONE);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-serial", "file:/tmp/console.log", NULL), 0);
	assert_int_equal(cfg.serial.kind, SERIAL_FILE);
	assert_string_equal(cfg.serial.path, "/tmp/console.log");
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-serial", "unix:/tmp/s.sock,server,nowait", NULL), 0);
	assert_int_equal(cfg.serial.kind, SERIAL_UNIX_SERVER);
	assert_string_equal(cfg.serial.path, "/tmp/s.sock");
	assert_false(cfg.serial.wait);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-serial", "unix:/tmp/s.sock,server=on,wait=off", NULL), 0);
	assert_false(cfg.serial.wait);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-serial", "unix:/tmp/s.sock,server", NULL), 0);
	assert_true(cfg.serial.wait);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-serial", "unix:/tmp/a,,b,server=on", NULL), 0);
	assert_string_equal(cfg.serial.path, "/tmp/a,b");
	config_free(&cfg);

	/* default: stdio + monitor with -nographic, none with -nodefaults or without */
	assert_int_equal(parse(&cfg, "-nographic", "-nodefaults", NULL), 0);
	assert_int_equal(cfg.serial.kind, SERIAL_NONE);
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-display", "none", NULL), 0);
	assert_int_equal(cfg.serial.kind, SERIAL_NONE);
	assert_true(cfg.display_none);
	assert_false(cfg.nographic);
	config_free(&cfg);

	expect_error("skiff: -serial foo:bar: 'foo:bar' is not a valid char driver",
		     "-serial", "foo:bar", NULL);
	expect_error("skiff: -serial pty: serial backend 'pty' is not supported by skiff",
		     "-serial", "pty", NULL);
	expect_error("skiff: -serial tcp::4444,server: serial backend 'tcp::4444,server' is not "
		     "supported by skiff", "-serial", "tcp::4444,server", NULL);
	expect_error("skiff: -serial file:: Could not open '': No such file or directory",
		     "-serial", "file:", NULL);
	expect_error("skiff: -serial unix:/tmp/x.sock: connecting to a socket is not supported",
		     "-serial", "unix:/tmp/x.sock", NULL);
	expect_error("skiff: -serial unix:: chardev: unix socket: path missing",
		     "-serial", "unix:", NULL);
	expect_error("skiff: -serial unix:/x,server=maybe: Parameter 'server' expects 'on' or "
		     "'off'", "-serial", "unix:/x,server=maybe", NULL);
	expect_error("skiff: -serial unix:/x,server,foo=1: Invalid parameter 'foo'",
		     "-serial", "unix:/x,server,foo=1", NULL);
	expect_error("skiff: -serial stdio: only one -serial is supported",
		     "-serial", "none", "-serial", "stdio", NULL);
	expect_served("mon:stdio", "-serial", "help", NULL);
}

static void test_display(void **state)
{
	expect_error("skiff: -display gtk: display 'gtk' is not supported: skiff has no "
		     "graphical display", "-display", "gtk", NULL);
	expect_error("skiff: -display sdl,gl=on: display 'sdl' is not supported",
		     "-display", "sdl,gl=on", NULL);
	expect_error("skiff: -display foo: Parameter 'type' does not accept value 'foo'",
		     "-display", "foo", NULL);
	expect_error("skiff: -display none,foo=1: Parameter 'foo' is unexpected",
		     "-display", "none,foo=1", NULL);
	expect_error("skiff: -display type=: Parameter 'type' does not accept value ''",
		     "-display", "type=", NULL);
	expect_served("Available display backend types:\nnone\n", "-display", "help", NULL);
}

static void test_name(void **state)
{
	struct skiff_config cfg;

	assert_int_equal(parse(&cfg, "-name", "guest=vm1,process=skiff-vm1,debug-threads=on",
			       NULL), 0);
	assert_string_equal(cfg.name, "vm1");
	assert_string_equal(cfg.process_name, "skiff-vm1");
	config_free(&cfg);
	assert_int_equal(parse(&cfg, "-name", "my,,vm", NULL), 0);
	assert_string_equal(cfg.name, "my,vm");
	config_free(&cfg);
	expect_error("skiff: -name guest=a,foo=b: Invalid parameter 'foo'",
		     "-name", "guest=a,foo=b", NULL);
	expect_error("skiff: -name a,debug-threads=x: Parameter 'debug-threads' expects 'on' or "
		     "'off'", "-name", "a,debug-threads=x", NULL);
}

static void test_kernel_checks(void **state)
{
	expect_error("skiff: -append only allowed with -kernel option", "-append", "x", NULL);
	expect_error("skiff: -initrd only allowed with -kernel option", "-initrd", "x", NULL);
}

static void test_daemonize(void **state)
{
	struct skiff_config cfg;

	expect_error("skiff: -nographic cannot be used with -daemonize", "-daemonize",
		     "-nographic", NULL);
	expect_error("skiff: -serial stdio: cannot use stdio with -daemonize", "-daemonize",
		     "-serial", "stdio", NULL);
	expect_error("skiff: -serial mon:stdio: cannot use stdio with -daemonize",
		     "-serial", "mon:stdio", "-daemonize", NULL);
	assert_int_equal(parse(&cfg, "-daemonize", "-display", "none", "-serial",
			       "file:/tmp/c.log", "-pidfile", "/tmp/pid", NULL), 0);
	assert_true(cfg.daemonize);
	config_free(&cfg);
}

static void test_error_leaves_config_clean(void **state)
{
	struct skiff_config cfg;

	/* a failed parse frees what it had and leaves defaults */
	assert_int_equal(parse(&cfg, "-kernel", "k", "-name", "n", "-cpu", "qemu64,+avx",
			       "-foo", NULL), -1);
	assert_null(cfg.kernel);
	assert_null(cfg.name);
	assert_int_equal(cfg.nr_netdevs, 0);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_typical_command_line, setup),
		cmocka_unit_test_setup(test_double_dash_and_last_wins, setup),
		cmocka_unit_test_setup(test_invalid_option, setup),
		cmocka_unit_test_setup(test_requires_argument, setup),
		cmocka_unit_test_setup(test_unsupported_qemu_option, setup),
		cmocka_unit_test_setup(test_help_version, setup),
		cmocka_unit_test_setup(test_memory, setup),
		cmocka_unit_test_setup(test_memory_errors, setup),
		cmocka_unit_test_setup(test_smp, setup),
		cmocka_unit_test_setup(test_smp_errors, setup),
		cmocka_unit_test_setup(test_cpu, setup),
		cmocka_unit_test_setup(test_machine_accel, setup),
		cmocka_unit_test_setup(test_serial, setup),
		cmocka_unit_test_setup(test_display, setup),
		cmocka_unit_test_setup(test_name, setup),
		cmocka_unit_test_setup(test_kernel_checks, setup),
		cmocka_unit_test_setup(test_daemonize, setup),
		cmocka_unit_test_setup(test_error_leaves_config_clean, setup),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}

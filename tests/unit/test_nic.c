/* hw/nic.c: NIC creation from the command line's nic_config list: slots,
 * models, the PCI properties every NIC takes (romfile=, bus=), netdev lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "hw/nic.h"
#include "net/net.h"
#include "test_log.h"      /* log capture */
#include "test_machine.h"  /* fake RAM and PCI bus */
#include "util/event_loop.h"

#define RAM_SIZE (1u << 20)

static uint8_t *ram;
static struct guest_mem mem;
static struct bus pio, mmio;
static struct pci_bus pbus;

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM_SIZE);
	fake_ram_init(&mem, ram, RAM_SIZE);
	fake_pci_init(&pbus, &pio, &mmio, &mem, NULL, NULL, 0xc0000000u, 0xfec00000u, 0xc000,
		      0x10000);
	log_capture_start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nic_destroy_all();
	net_client_free_all();
	log_capture_stop();
	free(ram);
	return 0;
}

static struct nic_config nic(const char *model, int slot)
{
	struct nic_config n = { .model = (char *)model, .slot = slot };
	return n;
}

static void test_slots_and_models(void **state)
{
	struct nic_config nics[3] = { nic("e1000", -1), nic("virtio-net-pci", -1), nic("e1000", 7) };
	struct skiff_config cfg = { .nics = nics, .nr_nics = 3 };
	(void)state;

	assert_int_equal(nic_create_all(&pbus, &cfg), 0);
	/* First free slot from 00:03.0 up, as on QEMU's pc; addr= honoured. */
	assert_non_null(pbus.slot[3]);
	assert_non_null(pbus.slot[4]);
	assert_non_null(pbus.slot[7]);
	assert_null(pbus.slot[2]);
	assert_int_equal(pbus.slot[3]->cfg[PCI_DEVICE_ID], 0x0e);   /* 8086:100E */
	assert_int_equal(pbus.slot[4]->cfg[PCI_VENDOR_ID], 0xf4);   /* 1AF4 */
}

static void test_common_props(void **state)
{
	struct kv ok[2] = { { .key = "romfile", .value = "" }, { .key = "bus", .value = "pci.0" } };
	struct kv rom[1] = { { .key = "romfile", .value = "pxe-e1000.rom" } };
	struct kv bus[1] = { { .key = "bus", .value = "pci.1" } };
	struct nic_config n = nic("e1000", -1);
	struct skiff_config cfg = { .nics = &n, .nr_nics = 1 };
	(void)state;

	n.opts = (struct kvlist){ ok, 2 };
	assert_int_equal(nic_create_all(&pbus, &cfg), 0);
	/* A ROM file is accepted with a warning: nothing runs option ROMs. */
	n.opts = (struct kvlist){ rom, 1 };
	assert_int_equal(nic_create_all(&pbus, &cfg), 0);
	assert_true(log_has("romfile=pxe-e1000.rom: ignored"));
	n.opts = (struct kvlist){ bus, 1 };
	assert_int_equal(nic_create_all(&pbus, &cfg), -1);
	assert_true(log_has("Bus 'pci.1' not found"));
}

static void test_netdev_lookup(void **state)
{
	struct nic_config n = nic("e1000", -1);
	struct skiff_config cfg = { .nics = &n, .nr_nics = 1 };
	(void)state;

	n.netdev = "missing";
	assert_int_equal(nic_create_all(&pbus, &cfg), -1);
	assert_true(log_has("Property 'e1000.netdev' can't find value 'missing'"));
	n.netdev = NULL;
	n.model = "rtl8139";
	assert_int_equal(nic_create_all(&pbus, &cfg), -1);
	assert_true(log_has("not available yet in skiff"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slots_and_models, setup, teardown),
		cmocka_unit_test_setup_teardown(test_common_props, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netdev_lookup, setup, teardown),
	};
	el_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

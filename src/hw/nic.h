/* Creating the NICs the command line asks for (-device, -nic, -net nic) and
 * joining each to its backend. */
#ifndef SKIFF_HW_NIC_H
#define SKIFF_HW_NIC_H

#include "cli/config.h"
#include "hw/pci.h"

int nic_create_all(struct pci_bus *pbus, struct skiff_config *cfg);
void nic_destroy_all(void);

#endif

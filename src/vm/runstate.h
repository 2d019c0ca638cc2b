/* What the guest (or the user) asked the VM to do next. Set from any thread;
 * the main thread acts on it when the event loop returns. */
#ifndef SKIFF_VM_RUNSTATE_H
#define SKIFF_VM_RUNSTATE_H

enum runstate_request {
	RUNSTATE_NONE,
	RUNSTATE_POWEROFF,   /* ACPI S5, KVM system event shutdown */
	RUNSTATE_RESET,      /* i8042 reset pulse, ACPI reset register, triple fault */
	RUNSTATE_QUIT,       /* Ctrl-A x, signal */
	RUNSTATE_ERROR,      /* a vCPU failed (internal error, bad exit) */
};

/* First request wins; wakes the event loop. */
void runstate_request(enum runstate_request req);
enum runstate_request runstate_pending(void);
void runstate_clear(void);

#endif

#include "vm/runstate.h"

#include "util/event_loop.h"

static int pending;

void runstate_request(enum runstate_request req)
{
	int none = RUNSTATE_NONE;
	if (__atomic_compare_exchange_n(&pending, &none, (int)req, false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		el_quit(req == RUNSTATE_ERROR ? 1 : 0);
}

enum runstate_request runstate_pending(void)
{
	return (enum runstate_request)__atomic_load_n(&pending, __ATOMIC_SEQ_CST);
}

void runstate_clear(void)
{
	__atomic_store_n(&pending, RUNSTATE_NONE, __ATOMIC_SEQ_CST);
}

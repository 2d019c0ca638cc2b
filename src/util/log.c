#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *log_ctx;
static log_sink_fn log_sink;

void log_set_context(const char *ctx) { log_ctx = ctx; }
void log_set_sink(log_sink_fn sink) { log_sink = sink; }

static void log_emit(const char *kind, const char *fmt, va_list ap)
{
	char msg[2048];
	char line[2300];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(line, sizeof(line), "%s: %s%s%s%s", SKIFF_NAME,
		 log_ctx ? log_ctx : "", log_ctx ? ": " : "", kind, msg);
	if (log_sink) {
		log_sink(line);
		return;
	}
	/* Raw console mode keeps output processing (OPOST), so "\n" still ends
	 * the line properly on a terminal. */
	fprintf(stderr, "%s\n", line);
}

void error_report(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit("", fmt, ap);
	va_end(ap);
}

void warn_report(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit("warning: ", fmt, ap);
	va_end(ap);
}

void info_report(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit("", fmt, ap);
	va_end(ap);
}

void debug_report(const char *fmt, ...)
{
	static int enabled = -1;
	va_list ap;

	if (enabled < 0)
		enabled = getenv("SKIFF_DEBUG") != NULL;
	if (!enabled)
		return;
	va_start(ap, fmt);
	log_emit("debug: ", fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit("", fmt, ap);
	va_end(ap);
	exit(1);
}

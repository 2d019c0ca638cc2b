#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Seconds since boot when this process started (/proc/self/stat field 22, in clock ticks),
 * or -1: debug lines say how long after exec they were made, so start-up costs show. */
static double log_process_start(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	unsigned long long ticks;
	char *p;

	if (f)
		fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* After "pid (comm)": state is field 3, starttime field 22. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &ticks) != 1)
		return -1;
	return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

void debug_report(const char *fmt, ...)
{
	static int enabled = -1;
	static double start;
	struct timespec ts;
	char kind[48];
	va_list ap;

	if (enabled < 0) {
		enabled = getenv("SKIFF_DEBUG") != NULL;
		if (enabled)
			start = log_process_start();
	}
	if (!enabled)
		return;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	if (start >= 0)
		snprintf(kind, sizeof(kind), "debug: [%.3f s] ",
			 (double)ts.tv_sec + ts.tv_nsec / 1e9 - start);
	else
		snprintf(kind, sizeof(kind), "debug: ");
	va_start(ap, fmt);
	log_emit(kind, fmt, ap);
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

/* Messages to the user, in QEMU's format: "skiff: <context>: <what>".
 * error_report() never exits; die() reports and exits with status 1 (QEMU's
 * exit status for a bad command line or a failed init stage). */
#ifndef SKIFF_UTIL_LOG_H
#define SKIFF_UTIL_LOG_H

#include <stdbool.h>
#include <stdnoreturn.h>

#define SKIFF_NAME "skiff"

void error_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed only when SKIFF_DEBUG is set in the environment. */
void debug_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Optional prefix put after "skiff: " on every message, e.g. "-m 9Z" while a
 * command-line option is being handled (QEMU's "loc" mechanism). NULL clears. */
void log_set_context(const char *ctx);

/* Tests capture messages instead of printing them. */
typedef void (*log_sink_fn)(const char *line);
void log_set_sink(log_sink_fn sink);

#endif

/* cli_parse() wrappers shared by test_cli.c and test_cli_net.c: run the parser
 * on a NULL-terminated argument list with stdout captured in out_buf and log
 * lines in test_log.h's msgs[]/nr_msgs (reset by every call).
 * Header-only: every test_*.c is its own binary. */
#ifndef TEST_CLI_COMMON_H
#define TEST_CLI_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/config.h"
#include "test_log.h"

static char out_buf[65536];

static inline int setup(void **state)
{
	log_capture_start();
	out_buf[0] = '\0';
	return 0;
}

/* Run cli_parse on a NULL-terminated list of arguments, stdout captured. */
static inline int parse_v(struct skiff_config *cfg, const char *first, va_list ap)
{
	char *argv[64];
	int argc = 0, r, saved;
	FILE *tmp = tmpfile();
	size_t n;

	argv[argc++] = "skiff";
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	argv[argc] = NULL;
	nr_msgs = 0;
	fflush(stdout);
	saved = dup(1);
	dup2(fileno(tmp), 1);
	r = cli_parse(argc, argv, cfg);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	rewind(tmp);
	n = fread(out_buf, 1, sizeof(out_buf) - 1, tmp);
	out_buf[n] = '\0';
	fclose(tmp);
	return r;
}

/* parse_v with the arguments inline; says why on stderr when it fails. */
static inline int parse(struct skiff_config *cfg, const char *first, ...)
{
	va_list ap;
	int r;

	va_start(ap, first);
	r = parse_v(cfg, first, ap);
	va_end(ap);
	if (r == -1)
		print_message("parse failed: %s\n", nr_msgs ? msgs[0] : "(no message)");
	return r;
}

/* Expect failure with exactly one message, which starts with msg. */
static inline void expect_error(const char *msg, const char *first, ...)
{
	struct skiff_config cfg;
	va_list ap;
	int r;

	va_start(ap, first);
	r = parse_v(&cfg, first, ap);
	va_end(ap);
	if (r != -1 || nr_msgs != 1 || strncmp(msgs[0], msg, strlen(msg)))
		fail_msg("expected error '%s', got r=%d, %d messages, first '%s'", msg, r,
			 nr_msgs, nr_msgs ? msgs[0] : "");
	config_free(&cfg);
}

/* Expect the option to be fully served (exit 0) with stdout containing s. */
static inline void expect_served(const char *s, const char *first, ...)
{
	struct skiff_config cfg;
	va_list ap;
	int r;

	va_start(ap, first);
	r = parse_v(&cfg, first, ap);
	va_end(ap);
	if (r != 1 || nr_msgs)
		fail_msg("expected a served request, got r=%d, msg '%s'", r, nr_msgs ? msgs[0] : "");
	if (!strstr(out_buf, s))
		fail_msg("'%s' not in output:\n%s", s, out_buf);
	config_free(&cfg);
}

#endif

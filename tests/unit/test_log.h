/* Log capture for the unit tests: log_set_sink() into buffers a test reads.
 * The sink keeps every line three ways, so each test reads whichever fits:
 *   logbuf     all lines, each ended by '\n' (strstr / whole-text checks)
 *   msgs[i]    the first LOG_MSGS lines; nr_msgs counts every line
 *   last_msg   the latest line
 * log_clear() empties all of them. A mutex guards the buffers: in the backend
 * tests (test_stream_common.h) the event-loop thread logs too.
 * Header-only: every test_*.c is its own binary. */
#ifndef TEST_LOG_H
#define TEST_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

#define TEST_UNUSED __attribute__((unused))

#define LOG_MSGS 32
#define LOG_MSG_SIZE 4096

static char logbuf[8192] TEST_UNUSED;
static char msgs[LOG_MSGS][LOG_MSG_SIZE] TEST_UNUSED;
static unsigned nr_msgs TEST_UNUSED;
static char last_msg[LOG_MSG_SIZE] TEST_UNUSED;
static pthread_mutex_t log_lock TEST_UNUSED = PTHREAD_MUTEX_INITIALIZER;

static inline void log_capture_sink(const char *line)
{
	pthread_mutex_lock(&log_lock);
	strncat(logbuf, line, sizeof(logbuf) - strlen(logbuf) - 2);
	strcat(logbuf, "\n");
	if (nr_msgs < LOG_MSGS)
		snprintf(msgs[nr_msgs], sizeof(msgs[0]), "%s", line);
	nr_msgs++;
	snprintf(last_msg, sizeof(last_msg), "%s", line);
	pthread_mutex_unlock(&log_lock);
}

static inline void log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	logbuf[0] = 0;
	msgs[0][0] = 0;
	nr_msgs = 0;
	last_msg[0] = 0;
	pthread_mutex_unlock(&log_lock);
}

/* Empty the buffers and route log lines into them. */
static inline void log_capture_start(void)
{
	log_clear();
	log_set_sink(log_capture_sink);
}

static inline void log_capture_stop(void)
{
	log_set_sink(NULL);
}

/* Whether any captured line contains s; if not, says so on stderr with the log. */
static inline bool log_has(const char *s)
{
	bool r;

	pthread_mutex_lock(&log_lock);
	r = strstr(logbuf, s) != NULL;
	pthread_mutex_unlock(&log_lock);
	if (!r)
		fprintf(stderr, "log does not contain '%s':\n%s", s, logbuf);
	return r;
}

#endif

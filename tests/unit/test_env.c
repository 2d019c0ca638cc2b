/* Comparison switches from the environment: env_switch() and env_size(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "util/env.h"

static void test_env_switch(void **state)
{
	(void)state;
	unsetenv("SKIFF_TEST_SW");
	assert_true(env_switch("SKIFF_TEST_SW", true));
	assert_false(env_switch("SKIFF_TEST_SW", false));
	setenv("SKIFF_TEST_SW", "off", 1);
	assert_false(env_switch("SKIFF_TEST_SW", true));
	setenv("SKIFF_TEST_SW", "on", 1);
	assert_true(env_switch("SKIFF_TEST_SW", false));
	setenv("SKIFF_TEST_SW", "yes", 1);   /* not a switch value: the default */
	assert_false(env_switch("SKIFF_TEST_SW", false));
	unsetenv("SKIFF_TEST_SW");
}

static void test_env_size(void **state)
{
	(void)state;
	unsetenv("SKIFF_TEST_SZ");
	assert_int_equal(env_size("SKIFF_TEST_SZ", 384), 384);
	setenv("SKIFF_TEST_SZ", "off", 1);
	assert_int_equal(env_size("SKIFF_TEST_SZ", 384), 0);
	setenv("SKIFF_TEST_SZ", "1000", 1);
	assert_int_equal(env_size("SKIFF_TEST_SZ", 384), 1000);
	setenv("SKIFF_TEST_SZ", "0", 1);
	assert_int_equal(env_size("SKIFF_TEST_SZ", 384), 0);
	/* Anything else keeps the default: signs, units, trailing text, overflow, empty. */
	const char *bad[] = { "-5", "+5", "10k", "12 ", "", "on", "99999999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("SKIFF_TEST_SZ", bad[i], 1);
		assert_int_equal(env_size("SKIFF_TEST_SZ", 384), 384);
	}
	unsetenv("SKIFF_TEST_SZ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_switch),
		cmocka_unit_test(test_env_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

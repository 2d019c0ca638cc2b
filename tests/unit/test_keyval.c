/* QemuOpts grammar and value parsers (cli/keyval.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/keyval.h"
#include "util/log.h"
#include "test_log.h"     /* log capture: tests/unit/test_log.h */

static int setup(void **state)
{
	log_capture_start();
	return 0;
}

static void test_parse_basic(void **state)
{
	struct kvlist l = { 0 };

	assert_int_equal(kvlist_parse(&l, "user,id=n0,hostfwd=tcp::2222-:22", "type"), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].key, "type");
	assert_string_equal(l.items[0].value, "user");
	assert_string_equal(l.items[1].key, "id");
	assert_string_equal(l.items[1].value, "n0");
	assert_string_equal(l.items[2].value, "tcp::2222-:22");
	kvlist_free(&l);
	assert_int_equal(l.n, 0);
}

static void test_parse_escape(void **state)
{
	struct kvlist l = { 0 };

	assert_int_equal(kvlist_parse(&l, "a,,b,key=x,,y,,,,z,k2=", "first"), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].value, "a,b");
	assert_string_equal(l.items[1].value, "x,y,,z");
	assert_string_equal(l.items[2].key, "k2");
	assert_string_equal(l.items[2].value, "");
	kvlist_free(&l);
}

static void test_parse_implied_with_eq_later(void **state)
{
	struct kvlist l = { 0 };

	/* "a,,b=c" as first element: QEMU takes it all as the implied value */
	assert_int_equal(kvlist_parse(&l, "a,,b=c", "path"), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].key, "path");
	assert_string_equal(l.items[0].value, "a,b=c");
	kvlist_free(&l);
}

static void test_parse_first_keyed(void **state)
{
	struct kvlist l = { 0 };

	assert_int_equal(kvlist_parse(&l, "type=tap,id=t", "type"), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(kvlist_get(&l, "type"), "tap");
	kvlist_free(&l);
}

static void test_parse_flags(void **state)
{
	struct kvlist l = { 0 };
	bool b;

	assert_int_equal(kvlist_parse(&l, "/tmp/s,server,nowait", "path"), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(kvlist_get_bool(&l, "server", &b), 1);
	assert_true(b);
	assert_int_equal(kvlist_get_bool(&l, "wait", &b), 1);
	assert_false(b);
	kvlist_free(&l);
}

static void test_parse_no_implied(void **state)
{
	struct kvlist l = { 0 };

	assert_int_equal(kvlist_parse(&l, "foo,a=b", NULL), -1);
	assert_string_equal(last_msg, "skiff: Expected '=' after parameter 'foo'");
	kvlist_free(&l);
	assert_int_equal(kvlist_parse(&l, "a=b,,", NULL), 0);
	assert_string_equal(kvlist_get(&l, "a"), "b,");
	kvlist_free(&l);
}

static void test_parse_empty_and_trailing(void **state)
{
	struct kvlist l = { 0 };

	assert_int_equal(kvlist_parse(&l, "", "type"), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(kvlist_parse(&l, "user,id=a,", "type"), 0);
	assert_int_equal(l.n, 2);
	kvlist_free(&l);
	assert_int_equal(kvlist_parse(&l, "user,id=a,,,,,x", "type"), 0);
	kvlist_free(&l);
}

static void test_parse_empty_element(void **state)
{
	struct kvlist l = { 0 };

	assert_int_equal(kvlist_parse(&l, "2,,", "cpus"), 0);
	kvlist_free(&l);
	assert_int_equal(kvlist_parse(&l, "2,x=1,,,,=3", "cpus"), 0);
	kvlist_free(&l);
	assert_int_equal(kvlist_parse(&l, "a=1,,,", NULL), 0);
	kvlist_free(&l);
	/* a bare flag followed by ",,": QEMU's "Invalid parameter ''" */
	assert_int_equal(kvlist_parse(&l, "x=1,b,,c", NULL), -1);
	assert_string_equal(last_msg, "skiff: Invalid parameter ''");
	kvlist_free(&l);
}

static void test_get_last_wins_and_used(void **state)
{
	struct kvlist l = { 0 };
	const char *vals[4];

	assert_int_equal(kvlist_parse(&l, "a=1,b=2,a=3,hostfwd=x,hostfwd=y", NULL), 0);
	assert_string_equal(kvlist_get(&l, "a"), "3");
	assert_true(l.items[0].used);
	assert_true(l.items[2].used);
	assert_null(kvlist_get(&l, "zz"));
	assert_int_equal(kvlist_check_unused(&l), -1);
	assert_string_equal(last_msg, "skiff: Invalid parameter 'b'");
	assert_int_equal(kvlist_get_all(&l, "hostfwd", vals, 4), 2);
	assert_string_equal(vals[0], "x");
	assert_string_equal(vals[1], "y");
	assert_int_equal(kvlist_get_all(&l, "hostfwd", vals, 1), 2);
	kvlist_get(&l, "b");
	assert_int_equal(kvlist_check_unused(&l), 0);
	kvlist_free(&l);
}

static void test_add_copy(void **state)
{
	struct kvlist a = { 0 }, b = { 0 };

	kvlist_add(&a, "k", "v");
	kvlist_add(&a, "k2", "v2");
	kvlist_get(&a, "k");
	kvlist_copy(&b, &a);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.items[1].value, "v2");
	assert_true(b.items[0].used);
	assert_false(b.items[1].used);
	kvlist_free(&a);
	kvlist_free(&b);
}

static void test_bool(void **state)
{
	static const char *const yes[] = { "on", "yes", "true", "y" };
	static const char *const no[] = { "off", "no", "false", "n" };
	struct kvlist l = { 0 };
	bool b;

	for (int i = 0; i < 4; i++) {
		b = false;
		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_true(b);
		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	assert_int_equal(parse_bool("On", &b), -1);
	assert_int_equal(parse_bool("1", &b), -1);
	assert_int_equal(parse_bool("", &b), -1);
	kvlist_add(&l, "restrict", "maybe");
	assert_int_equal(kvlist_get_bool(&l, "restrict", &b), -1);
	assert_string_equal(last_msg, "skiff: Parameter 'restrict' expects 'on' or 'off'");
	assert_int_equal(kvlist_get_bool(&l, "absent", &b), 0);
	kvlist_free(&l);
}

static void test_u64(void **state)
{
	struct kvlist l = { 0 };
	uint64_t v = 7;

	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", &v), -1);
	assert_int_equal(parse_u64("0x10", &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(parse_u64("-1", &v), -1);
	assert_int_equal(parse_u64("", &v), -1);
	assert_int_equal(parse_u64("12a", &v), -1);
	assert_int_equal(parse_u64(" 1", &v), -1);
	kvlist_add(&l, "queues", "x");
	kvlist_add(&l, "ok", "42");
	assert_int_equal(kvlist_get_u64(&l, "queues", &v), -1);
	assert_string_equal(last_msg,
			    "skiff: Parameter 'queues' expects a non-negative number below 2^64");
	assert_int_equal(kvlist_get_u64(&l, "ok", &v), 1);
	assert_int_equal(v, 42);
	assert_int_equal(kvlist_get_u64(&l, "nope", &v), 0);
	kvlist_free(&l);
}

static void test_size(void **state)
{
	uint64_t v;

	assert_int_equal(parse_size("512", &v, 0), 0);
	assert_int_equal(v, 512);
	assert_int_equal(parse_size("512", &v, 20), 0);
	assert_true(v == 512ULL << 20);
	assert_int_equal(parse_size("1k", &v, 0), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(parse_size("1K", &v, 0), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(parse_size("3M", &v, 0), 0);
	assert_true(v == 3ULL << 20);
	assert_int_equal(parse_size("8G", &v, 0), 0);
	assert_true(v == 8ULL << 30);
	assert_int_equal(parse_size("2T", &v, 0), 0);
	assert_true(v == 2ULL << 40);
	assert_int_equal(parse_size("1P", &v, 0), 0);
	assert_true(v == 1ULL << 50);
	assert_int_equal(parse_size("15E", &v, 0), 0);
	assert_true(v == 15ULL << 60);
	assert_int_equal(parse_size("100b", &v, 20), 0);
	assert_int_equal(v, 100);
	assert_int_equal(parse_size("0.5G", &v, 0), 0);
	assert_true(v == 512ULL << 20);
	assert_int_equal(parse_size("1.5k", &v, 0), 0);
	assert_int_equal(v, 1536);
	assert_int_equal(parse_size("0x1000", &v, 0), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("18446744073709551615", &v, 0), 0);
	assert_true(v == UINT64_MAX);
}

static void test_size_errors(void **state)
{
	uint64_t v;

	assert_int_equal(parse_size_err("16E", &v, 0), -ERANGE);
	assert_int_equal(parse_size_err("18446744073709551616", &v, 0), -ERANGE);
	assert_int_equal(parse_size_err("99999999999999999999999", &v, 0), -ERANGE);
	assert_int_equal(parse_size_err("17179869184G", &v, 0), -ERANGE);
	assert_int_equal(parse_size_err("1Z", &v, 0), -EINVAL);
	assert_int_equal(parse_size_err("1GB", &v, 0), -EINVAL);
	assert_int_equal(parse_size_err("-1", &v, 0), -EINVAL);
	assert_int_equal(parse_size_err("", &v, 0), -EINVAL);
	assert_int_equal(parse_size_err("G", &v, 0), -EINVAL);
	assert_int_equal(parse_size_err("1.5", &v, 0), -EINVAL);
	assert_int_equal(parse_size_err("1.", &v, 0), -EINVAL);
	assert_int_equal(parse_size_err("0x", &v, 0), -EINVAL);
	assert_int_equal(parse_size_err(" 1", &v, 0), -EINVAL);
	assert_int_equal(parse_size("1Z", &v, 0), -1);
}

static void test_get_size(void **state)
{
	struct kvlist l = { 0 };
	uint64_t v;

	kvlist_add(&l, "sndbuf", "1M");
	kvlist_add(&l, "bad", "x");
	kvlist_add(&l, "huge", "16E");
	assert_int_equal(kvlist_get_size(&l, "sndbuf", &v), 1);
	assert_true(v == 1ULL << 20);
	assert_int_equal(kvlist_get_size(&l, "bad", &v), -1);
	assert_string_equal(last_msg, "skiff: Parameter 'bad' expects a size");
	assert_int_equal(kvlist_get_size(&l, "huge", &v), -1);
	assert_string_equal(last_msg, "skiff: Value '16E' is out of range for parameter 'huge'");
	assert_int_equal(kvlist_get_size(&l, "none", &v), 0);
	kvlist_free(&l);
}

static void test_mac(void **state)
{
	uint8_t m[6];

	assert_int_equal(parse_mac("52:54:00:12:34:56", m), 0);
	assert_memory_equal(m, ((uint8_t[]){ 0x52, 0x54, 0, 0x12, 0x34, 0x56 }), 6);
	assert_int_equal(parse_mac("AA-bb-CC-dd-EE-ff", m), 0);
	assert_memory_equal(m, ((uint8_t[]){ 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff }), 6);
	assert_int_equal(parse_mac("2:4:0:1:2:3", m), 0);
	assert_int_equal(m[0], 2);
	assert_int_equal(parse_mac("52:54:00:12:34", m), -1);
	assert_int_equal(parse_mac("52:54:00:12:34:56:78", m), -1);
	assert_int_equal(parse_mac("52:54:00:12:34:5g", m), -1);
	assert_int_equal(parse_mac("525:54:00:12:34:56", m), -1);
	assert_int_equal(parse_mac("52.54.00.12.34.56", m), -1);
	assert_int_equal(parse_mac("", m), -1);
	assert_int_equal(parse_mac("zz", m), -1);
	assert_int_equal(parse_mac("52:54:00:12:34:", m), -1);
}

static void test_id_wellformed(void **state)
{
	assert_true(id_wellformed("n0"));
	assert_true(id_wellformed("a-b.c_d"));
	assert_true(id_wellformed("Z"));
	assert_false(id_wellformed("1a"));
	assert_false(id_wellformed(""));
	assert_false(id_wellformed("_a"));
	assert_false(id_wellformed("#net0"));
	assert_false(id_wellformed("a b"));
	assert_false(id_wellformed("a,b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse_basic, setup),
		cmocka_unit_test_setup(test_parse_escape, setup),
		cmocka_unit_test_setup(test_parse_implied_with_eq_later, setup),
		cmocka_unit_test_setup(test_parse_first_keyed, setup),
		cmocka_unit_test_setup(test_parse_flags, setup),
		cmocka_unit_test_setup(test_parse_no_implied, setup),
		cmocka_unit_test_setup(test_parse_empty_and_trailing, setup),
		cmocka_unit_test_setup(test_parse_empty_element, setup),
		cmocka_unit_test_setup(test_get_last_wins_and_used, setup),
		cmocka_unit_test_setup(test_add_copy, setup),
		cmocka_unit_test_setup(test_bool, setup),
		cmocka_unit_test_setup(test_u64, setup),
		cmocka_unit_test_setup(test_size, setup),
		cmocka_unit_test_setup(test_size_errors, setup),
		cmocka_unit_test_setup(test_get_size, setup),
		cmocka_unit_test_setup(test_mac, setup),
		cmocka_unit_test_setup(test_id_wellformed, setup),
	};

	return cmocka_run_group_tests_name("keyval", tests, NULL, NULL);
}

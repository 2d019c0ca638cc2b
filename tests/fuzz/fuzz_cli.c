/* libFuzzer harness for the command line: cli_parse() (cli/options.c,
 * cli/net_opts.c, cli/keyval.c) and the network backends' option
 * validation that can run without creating anything.
 *
 * The input is split at NUL bytes into argv[1..] (argv[0] = "skiff"), at
 * most 64 strings. After cli_parse():
 *   - every parsed -netdev user gets slirp_params_parse() (the whole
 *     -netdev user grammar: addresses, prefixes, hostfwd/guestfwd lists,
 *     dnssearch, mtu, ...) on a copy of its options;
 *   - socket/stream/dgram address values go through sock_parse_host_port()
 *     and sock_unix_addr() (their init functions create sockets, so they
 *     are not called; tap/bridge validation likewise needs /dev/net/tun);
 *   - config_free() must release everything (ASan's leak checker is on).
 * Each argv string also goes through the standalone parsers: kvlist_parse
 * (with and without an implied key), parse_size/parse_u64/parse_bool/
 * parse_mac/id_wellformed, slirp_hostfwd_parse, slirp_guestfwd_parse. */
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/config.h"
#include "cli/keyval.h"
#include "net/slirp.h"
#include "net/sock_util.h"
#include "util/log.h"

#define MAX_ARGS 64

static void quiet(const char *line) { (void)line; }

/* No DNS while fuzzing: sock_parse_host_port() resolves names with
 * getaddrinfo(), which would send the fuzzer's strings to the resolver (slow,
 * and not deterministic). Numeric hosts only; names fail as unresolvable. */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	struct addrinfo h = { 0 };

	if (!real)
		real = (int (*)(const char *, const char *, const struct addrinfo *,
				struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	if (hints)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int null = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	log_set_sink(quiet);
	/* -help, -version, -cpu help... print to stdout. */
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	return 0;
}

static void standalone(const char *s)
{
	struct kvlist kv = { 0 };
	struct slirp_hostfwd fwd;
	struct slirp_guestfwd gfwd;
	struct sockaddr_in sin;
	struct sockaddr_un sun;
	socklen_t sl;
	const char *why;
	uint64_t u;
	uint8_t mac[6];
	bool b;

	if (kvlist_parse(&kv, s, "type") == 0)
		(void)kvlist_check_unused(&kv);
	kvlist_free(&kv);
	memset(&kv, 0, sizeof(kv));
	(void)kvlist_parse(&kv, s, NULL);
	kvlist_free(&kv);
	(void)parse_size(s, &u, 0);
	(void)parse_size_err(s, &u, 20);
	(void)parse_u64(s, &u);
	(void)parse_bool(s, &b);
	(void)parse_mac(s, mac);
	(void)id_wellformed(s);
	(void)slirp_hostfwd_parse(s, &fwd, &why);
	(void)slirp_guestfwd_parse(s, &gfwd);
	(void)sock_parse_host_port(s, &sin);
	(void)sock_unix_addr(s, false, true, &sun, &sl);
	(void)sock_unix_addr(s, true, true, &sun, &sl);
}

static void check_netdev(struct netdev_config *nd)
{
	static const char *const hostport_keys[] = {
		"listen", "connect", "mcast", "udp", "localaddr",
	};
	struct kvlist opts = { 0 };

	if (!nd->type)
		return;
	kvlist_copy(&opts, &nd->opts);
	if (!strcmp(nd->type, "user")) {
		struct slirp_params p;
		if (slirp_params_parse(&opts, &p) == 0)
			(void)kvlist_check_unused(&opts);
		slirp_params_free(&p);
	} else if (!strcmp(nd->type, "socket") || !strcmp(nd->type, "stream") ||
		   !strcmp(nd->type, "dgram")) {
		struct sockaddr_in sin;
		struct sockaddr_un sun;
		socklen_t sl;
		for (size_t i = 0; i < sizeof(hostport_keys) / sizeof(hostport_keys[0]); i++) {
			const char *v = kvlist_get(&opts, hostport_keys[i]);
			if (v)
				(void)sock_parse_host_port(v, &sin);
		}
		for (size_t i = 0; i < opts.n; i++) {
			const char *k = opts.items[i].key, *v = opts.items[i].value;
			if (v && strlen(k) > 5 && !strcmp(k + strlen(k) - 5, ".path")) {
				(void)sock_unix_addr(v, false, true, &sun, &sl);
				(void)sock_unix_addr(v, true, false, &sun, &sl);
			}
		}
		(void)sock_check_unused_modern(&opts);
	}
	kvlist_free(&opts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	char *buf = malloc(size + 1);
	struct skiff_config cfg;
	int argc = 1;
	size_t start = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "skiff";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;

	for (int i = 1; i < argc; i++)
		standalone(argv[i]);

	memset(&cfg, 0, sizeof(cfg));
	if (cli_parse(argc, argv, &cfg) == 0) {
		for (size_t i = 0; i < cfg.nr_netdevs; i++)
			check_netdev(&cfg.netdevs[i]);
	}
	config_free(&cfg);
	log_set_context(NULL);
	free(buf);
	return 0;
}

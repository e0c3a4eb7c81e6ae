/*
 * test_config.c - bounce-milter.conf loading (config.c)
 *
 *	The built-in defaults of interfaces.md, values read over them, and a
 *	table of bad files, each of which must fail with "FILE:LINE: ..."
 *	naming the right line.  Run under ASan, it also shows that every
 *	path frees what it allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char path[64];

static void
write_conf(const char *text)
{
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.socket, "inet:8895@127.0.0.1");
	assert_string_equal(c.umask, "007");
	assert_string_equal(c.user, "");
	assert_string_equal(c.authserv_id, "");
	assert_string_equal(c.syslog_facility, "mail");
	assert_string_equal(c.rules, "");
	assert_int_equal(c.headers, 1);
	assert_int_equal(c.max_header_recipients, 20);
	assert_int_equal(c.n_internal_networks, 2);
	assert_string_equal(c.internal_networks[0], "127.0.0.0/8");
	assert_string_equal(c.internal_networks[1], "::1/128");
	assert_int_equal(c.n_outbound_ips, 0);
	assert_string_equal(c.history.path, "");
	assert_string_equal(c.history.url, "");
	assert_string_equal(c.history.host, "");
	assert_int_equal(c.history.retention_days, 30);
	assert_int_equal(c.dns.timeout_ms, 2000);
	assert_true(c.dns.spf && c.dns.dkim && c.dns.mx);
	assert_int_equal(c.max_message_size, 10485760);
	assert_int_equal(c.max_classify_ms, 200);
	assert_int_equal(c.trends.window, 3600);
	assert_int_equal(c.trends.dbeb_addresses, 5);
	assert_int_equal(c.trends.blocked_domains, 3);
	assert_int_equal(c.outgoing_headers, 0);
	assert_null(c.file);
	config_free(&c);
}

static void
test_full_file(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	write_conf(
	    "# every setting\n"
	    "socket = \"unix:/run/bounce-milter/bounce-milter.sock\";\n"
	    "umask = \"0027\";\n"
	    "user = \"bounce-milter\";\n"
	    "authserv_id = \"mx.example.org\";\n"
	    "syslog_facility = \"local3\";\n"
	    "rules = \"/tmp\";\n"
	    "headers = false;\n"
	    "max_header_recipients = 5;\n"
	    "internal_networks = [ \"10.0.0.0/8\", \"2001:db8::/32\", "
	    "\"192.0.2.1\" ];\n"
	    "outbound_ips = [ \"198.51.100.7\" ];\n"
	    "our_domains = [ \"example.org\", \"bücher.example\" ];\n"
	    "outbound_relay = \"contoso-com.mail.protection.outlook.com\";\n"
	    "dns = { resolver = \"[::1]:5353\"; timeout_ms = 500; spf = true;"
	    " dkim = false; mx = true; };\n"
	    "history = { path = \"/var/lib/bounce-milter/history.db\"; "
	    "url = \"postgresql://bm@db.example/bounces?sslmode=verify-full\";"
	    " host = \"mx1\"; retention_days = 7; };\n"
	    "max_message_size = 2097152;\n"
	    "max_classify_ms = 50;\n"
	    "trends = { window = 600; dbeb_addresses = 2; "
	    "blocked_domains = 4; };\n"
	    "outgoing_headers = true;\n");
	config_defaults(&c);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(c.socket,
	    "unix:/run/bounce-milter/bounce-milter.sock");
	assert_string_equal(c.umask, "0027");
	assert_string_equal(c.user, "bounce-milter");
	assert_string_equal(c.authserv_id, "mx.example.org");
	assert_string_equal(c.syslog_facility, "local3");
	assert_int_equal(c.headers, 0);
	assert_int_equal(c.max_header_recipients, 5);
	assert_int_equal(c.n_internal_networks, 3);
	assert_string_equal(c.internal_networks[1], "2001:db8::/32");
	assert_int_equal(c.n_outbound_ips, 1);
	assert_int_equal(c.n_our_domains, 2);
	assert_string_equal(c.our_domains[1], "bücher.example");
	assert_string_equal(c.outbound_relay,
	    "contoso-com.mail.protection.outlook.com");
	assert_string_equal(c.dns.resolver, "[::1]:5353");
	assert_int_equal(c.dns.timeout_ms, 500);
	assert_int_equal(c.dns.dkim, 0);
	assert_string_equal(c.history.path, "/var/lib/bounce-milter/history.db");
	assert_string_equal(c.history.url,
	    "postgresql://bm@db.example/bounces?sslmode=verify-full");
	assert_string_equal(c.history.host, "mx1");
	assert_int_equal(c.history.retention_days, 7);
	assert_int_equal(c.max_message_size, 2097152);
	assert_int_equal(c.max_classify_ms, 50);
	assert_int_equal(c.trends.window, 600);
	assert_int_equal(c.outgoing_headers, 1);
	assert_string_equal(c.file, path);
	config_free(&c);
}

static const struct {
	const char	*text;
	int		 line;
	const char	*msg;
} bad[] = {
	{ "\nsocket = = \"inet:8895@127.0.0.1\";\n", 2, "" },	/* syntax */
	{ "\n\nsockit = \"x\";\n", 3, "unknown setting sockit" },
	{ "socket = \"tcp:1@x\";\n", 1, "expected inet:" },
	{ "socket = \"inet:0@127.0.0.1\";\n", 1, "bad port" },
	{ "socket = \"inet:70000@127.0.0.1\";\n", 1, "bad port" },
	{ "socket = \"unix:relative.sock\";\n", 1, "absolute path" },
	{ "umask = 007;\n", 1, "string" },
	{ "umask = \"08\";\n", 1, "not an octal" },
	{ "syslog_facility = \"kern\";\n", 1, "syslog_facility" },
	{ "headers = 1;\n", 1, "true or false" },
	{ "max_header_recipients = 0;\n", 1, "out of range" },
	{ "max_header_recipients = \"20\";\n", 1, "integer" },
	{ "internal_networks = [ \"10.0.0.0/33\" ];\n", 1, "10.0.0.0/33" },
	{ "internal_networks = \"10.0.0.0/8\";\n", 1, "list" },
	{ "outbound_ips = [ \"192.0.2.0/24\" ];\n", 1, "not an IP" },
	{ "our_domains = [ \"example\" ];\n", 1, "not a domain name" },
	{ "our_domains = [ \"@example.org\" ];\n", 1, "not a domain name" },
	{ "our_domains = [ \"*.example.org\" ];\n", 1, "not a domain name" },
	{ "our_domains = [ \"a..example.org\" ];\n", 1, "not a domain" },
	{ "our_domains = \"example.org\";\n", 1, "list" },
	{ "outbound_relay = \"relay host\";\n", 1, "outbound_relay" },
	{ "outbound_relay = \"[relay.example\";\n", 1, "outbound_relay" },
	{ "outbound_relay = \"relay.example:0\";\n", 1, "outbound_relay" },
	{ "outbound_relay = \"relay.example:25x\";\n", 1, "outbound_relay" },
	{ "outbound_relay = \"{domain}.example\";\n", 1, "outbound_relay" },
	{ "dns = { resolver = \"dns.example\"; };\n", 1, "dns.resolver" },
	{ "dns = {\n timeout_ms = 0;\n};\n", 2, "dns.timeout_ms" },
	{ "dns = { spf = true; foo = 1; };\n", 1, "unknown setting dns.foo" },
	{ "history = { path = \"relative.db\"; };\n", 1, "absolute" },
	{ "history = { url = \"mysql://db/x\"; };\n", 1, "postgresql://" },
	{ "history = { url = \"postgresql://bm:secret@db/x\"; };\n", 1,
	  "no password here" },
	{ "history = { url = \"postgres://db/x?password=secret\"; };\n", 1,
	  "no password here" },
	{ "max_message_size = 10;\n", 1, "out of range" },
	{ "trends = { window = 1; };\n", 1, "trends.window" },
	{ "authserv_id = \"mx; evil\";\n", 1, "authserv_id" },
	{ "user = \"a\\nb\";\n", 1, "control character" },
	{ "rules = \"/nonexistent/rules\";\n", 1, "not a directory" },
};

static void
test_bad_files(void **state)
{
	struct config c;
	char err[512], want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_conf(bad[i].text);
		config_defaults(&c);
		if (config_load(path, &c, err, sizeof(err)) != -1)
			fail_msg("case %zu: \"%s\" loaded", i, bad[i].text);
		snprintf(want, sizeof(want), "%s:%d: ", path, bad[i].line);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, bad[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s...%s\"", i,
			    err, want, bad[i].msg);
		config_free(&c);
		unlink(path);
	}
}

/* outbound_relay in Postfix's relayhost forms. */
static void
test_relay_forms(void **state)
{
	static const char *const ok[] = {
		"", "relay.example", "[relay.example]", "relay.example:587",
		"[contoso-com.mail.protection.outlook.com]:25",
		"contoso-com.a1b2c3.mx.microsoft", "[192.0.2.1]:25",
		"[2001:db8::1]:25", "[::1]",
	};
	struct config c;
	char err[512], text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "outbound_relay = \"%s\";\n",
		    ok[i]);
		write_conf(text);
		config_defaults(&c);
		if (config_load(path, &c, err, sizeof(err)) != 0)
			fail_msg("outbound_relay \"%s\": %s", ok[i], err);
		assert_string_equal(c.outbound_relay, ok[i]);
		config_free(&c);
		unlink(path);
	}
}

static void
test_missing_file(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load("/nonexistent/bm.conf", &c, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/bm.conf:0: cannot read"));
	config_free(&c);
}

/* Loading twice over the same struct replaces strings without leaks. */
static void
test_reload_over(void **state)
{
	struct config c;
	char err[512];

	(void)state;
	write_conf("socket = \"inet:1@127.0.0.1\";\n"
	    "internal_networks = [ \"10.0.0.0/8\" ];\n");
	config_defaults(&c);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.socket, "inet:1@127.0.0.1");
	assert_int_equal(c.n_internal_networks, 1);
	unlink(path);
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_relay_forms),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_reload_over),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

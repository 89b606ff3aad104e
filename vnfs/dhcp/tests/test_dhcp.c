/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the DHCP server core: config errors, the option parser on
 * each malformed kind, the RFC 2131 state machine on crafted messages, pool
 * allocation with exclusions and reservations, and the lease journal
 * (replay, torn tail, corrupt record, compaction, expiry).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcp.h"
#include "dhcp_hold.h"
#include "test_cfg.h"

#define NOW 1000000u

static char tmpdir[64];

/* The journal's warnings (dhcp_jlog), kept for the tests to read. */
static struct {
	int n;
	char last[512];
} jlogged;

static void
jlog_record(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(jlogged.last, sizeof(jlogged.last), fmt, ap);
	va_end(ap);
	jlogged.n++;
}

static struct nfv_config *
test_cfg(void)
{
	struct nfv_config *cfg = calloc(1, sizeof(*cfg));

	snprintf(cfg->file, sizeof(cfg->file), "t.yaml");
	snprintf(cfg->dir, sizeof(cfg->dir), "%s", tmpdir);
	cfg->n_ports = 2;
	snprintf(cfg->ports[0].name, NFV_NAME_MAX, "lan");
	snprintf(cfg->ports[1].name, NFV_NAME_MAX, "wan");
	return cfg;
}

/* Parse YAML for one dhcp instance; returns conf or NULL with errors in
 * msgs (joined). */
static struct dhcp_conf *
parse(const char *yaml, char *msgs, size_t size)
{
	struct nfv_config *cfg = test_cfg();
	struct cfg_errors err = {.file = "t.yaml"};
	struct cfg_node *root = NULL;
	void *conf = NULL;
	int ret;

	ret = cfg_load_string("t.yaml", yaml, strlen(yaml), &root, &err);
	assert_int_equal(ret, 0);
	ret = dhcp_config_parse(cfg, root, &conf, &err);
	if (msgs != NULL) {
		msgs[0] = '\0';
		for (size_t i = 0; i < err.n; i++) {
			strncat(msgs, err.msgs[i], size - strlen(msgs) - 2);
			strncat(msgs, "\n", size - strlen(msgs) - 1);
		}
	}
	assert_true((ret == 0) == (conf != NULL));
	cfg_errors_free(&err);
	cfg_free(root);
	free(cfg);
	return conf;
}

static const char base_yaml[] =
	"name: d\n"
	"class: dhcp\n"
	"interfaces:\n"
	"  - {port: lan, address: 10.1.0.1/24}\n"
	"options:\n"
	"  dns-servers: [10.1.0.53, 10.1.0.54]\n"
	"  lease-time: 600\n"
	"subnets:\n"
	"  - subnet: 10.1.0.0/24\n"
	"    pools:\n"
	"      - {range: 10.1.0.10-10.1.0.14, exclude: [10.1.0.11-10.1.0.12]}\n"
	"    reservations:\n"
	"      - {mac: \"02:00:00:00:00:99\", address: 10.1.0.200}\n"
	"      - {client-id: \"01:02:00:00:00:00:98\", address: 10.1.0.201}\n"
	"    options:\n"
	"      routers: [10.1.0.1]\n"
	"      domain-name: lan.example\n"
	"      classless-routes: [{destination: 10.9.0.0/16, gateway: 10.1.0.1}]\n"
	"      custom: [{code: 252, type: string, value: \"http://wpad/\"},\n"
	"               {code: 150, type: ips, value: [10.1.0.5]}]\n"
	"  - subnet: 10.2.0.0/24\n"
	"    pools: [{range: 10.2.0.100-10.2.0.199}]\n"
	"    options: {routers: [10.2.0.1], lease-time: 120}\n";

static const struct dhcp_opt *
find_opt(const struct dhcp_subnet_conf *s, uint8_t code)
{
	for (uint16_t i = 0; i < s->opts.n; i++)
		if (s->opts.opt[i].code == code)
			return &s->opts.opt[i];
	return NULL;
}

static void
test_conf_ok(void **state)
{
	char msgs[2048];
	struct dhcp_conf *c = parse(base_yaml, msgs, sizeof(msgs));
	const struct dhcp_opt *o;
	static const uint8_t cls[] = {16, 10, 9, 10, 1, 0, 1};

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->n_subnets, 2);
	assert_int_equal(c->subnets[0].lease_time, 600);
	assert_int_equal(c->subnets[1].lease_time, 120);
	assert_int_equal(c->subnets[0].n_resv, 2);
	o = find_opt(&c->subnets[0], DHCP_OPT_SUBNET_MASK);
	assert_non_null(o);
	assert_memory_equal(o->data, "\xff\xff\xff\x00", 4);
	o = find_opt(&c->subnets[0], DHCP_OPT_DNS);
	assert_int_equal(o->len, 8);
	o = find_opt(&c->subnets[0], DHCP_OPT_CLASSLESS);
	assert_int_equal(o->len, sizeof(cls));
	assert_memory_equal(o->data, cls, sizeof(cls));
	o = find_opt(&c->subnets[0], 252);
	assert_int_equal(o->len, 12);
	o = find_opt(&c->subnets[0], 150);
	assert_int_equal(o->len, 4);
	/* subnet 2 inherits instance options */
	assert_non_null(find_opt(&c->subnets[1], DHCP_OPT_DNS));
	assert_true(dhcp_subnet_in_pool(&c->subnets[0], 0x0a01000a));
	assert_false(dhcp_subnet_in_pool(&c->subnets[0], 0x0a01000b));
	dhcp_config_free(c);
}

static void
expect_error(const char *yaml, const char *where, const char *what)
{
	char msgs[4096];
	struct dhcp_conf *c = parse(yaml, msgs, sizeof(msgs));

	if (c != NULL)
		fail_msg("accepted: %s", yaml);
	if (strstr(msgs, where) == NULL || strstr(msgs, what) == NULL)
		fail_msg("expected \"%s\" and \"%s\" in:\n%s", where, what, msgs);
}

/* the server sends from its interface address: one host's only */
static void
test_conf_interface_address(void **state)
{
	static const char *const bad[] = {"10.1.0.255/24", "127.0.0.1/8", "0.1.0.1/8",
					  "224.1.0.1/4", "240.1.0.1/8"};
	char yaml[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 "interfaces: [{port: lan, address: %s}]\n"
			 "subnets: [{subnet: 10.1.0.0/24}]\n",
			 bad[i]);
		expect_error(yaml, "t.yaml:1:", "not a host address");
	}
}

/* a lease-file path too long is refused at its position, never cut */
static void
test_conf_long_lease_file(void **state)
{
	char yaml[512], longp[301];

	(void)state;
	memset(longp, 'l', 300);
	longp[300] = '\0';
	snprintf(yaml, sizeof(yaml),
		 "interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		 "lease-file: %s\n"
		 "subnets:\n"
		 "  - subnet: 10.1.0.0/24\n",
		 longp);
	expect_error(yaml, "t.yaml:2:13: lease-file: path of ", "(at most 255)");
}

/* Load a chain file with two dhcp instances whose lease files are lf1 and
 * lf2 (relative to tmpdir); NULL needle: it must load, else its first
 * error must hold needle. */
static void
two_servers(const char *lf1, const char *lf2, const char *needle)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/two.yaml", tmpdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp,
		"version: 1\n"
		"ports:\n"
		"  - {name: lan, driver: tap, iface: t0}\n"
		"  - {name: lan2, driver: tap, iface: t1}\n"
		"vnfs:\n"
		"  - name: dhcp\n"
		"    class: dhcp\n"
		"    interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		"    lease-file: %s\n"
		"    subnets: [{subnet: 10.1.0.0/24, pools: [{range: 10.1.0.10-10.1.0.20}]}]\n"
		"  - name: dhcp2\n"
		"    class: dhcp\n"
		"    interfaces: [{port: lan2, address: 10.2.0.1/24}]\n"
		"    lease-file: %s\n"
		"    subnets: [{subnet: 10.2.0.0/24, pools: [{range: 10.2.0.10-10.2.0.20}]}]\n"
		"chains:\n"
		"  - {name: c1, ingress: [lan], vnfs: [dhcp]}\n"
		"  - {name: c2, ingress: [lan2], vnfs: [dhcp2]}\n",
		lf1, lf2);
	fclose(fp);
	test_cfg_load_expect(path, needle);
}

/* Two servers on one lease file overwrite each other's journal records:
 * refused at the second's lease-file, whichever way the path names it. */
static void
test_conf_lease_file_shared(void **state)
{
	char sub[128], lnk[128], abs[160], file[128], hard[128];
	const char *at = "two.yaml:14:17: vnfs[dhcp2].lease-file: already used by vnfs[dhcp]";

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
	snprintf(lnk, sizeof(lnk), "%s/link", tmpdir);
	snprintf(file, sizeof(file), "%s/shared", tmpdir);
	snprintf(hard, sizeof(hard), "%s/hard", tmpdir);
	snprintf(abs, sizeof(abs), "%s/shared", tmpdir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(symlink("shared", lnk), 0);

	/* the file not made yet */
	two_servers("shared", "shared", at);
	two_servers("shared", "sub/../shared", at);
	two_servers("shared", abs, at);
	two_servers("shared", "link", at); /* a symlink to where it will be */
	two_servers("shared", "shared.compact", "is the compaction file of vnfs[dhcp]'s");
	two_servers("shared.compact", "shared", "its compaction file");
	two_servers("shared", "other", NULL);
	two_servers("shared", "sub/shared", NULL);
	/* the file there: a symlink, a hard link */
	close(open(file, O_CREAT | O_WRONLY, 0644));
	assert_int_equal(link(file, hard), 0);
	two_servers("shared", "link", at);
	two_servers("hard", "sub/../shared", at);
	two_servers("shared", "other", NULL);

	unlink(hard);
	unlink(file);
	unlink(lnk);
	rmdir(sub);
}

static void
test_conf_errors(void **state)
{
	(void)state;
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "lease-sync: fsync\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n",
		     "t.yaml:2:13", "fdatasync");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    pools: [{range: 10.1.0.10-10.1.0.50}, {range: 10.1.0.40-10.1.0.60}]\n",
		     "t.yaml:4:", "overlaps the pool at line 4");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    pools: [{range: 10.1.0.10-10.1.1.5}]\n",
		     "t.yaml:4:", "outside the subnet");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    reservations: [{mac: \"02:00:00:00:00:01\", address: 10.7.0.1}]\n",
		     "t.yaml:4:", "reservation is outside its subnet");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    options: {routerz: [10.1.0.1]}\n",
		     "t.yaml:4:", "unknown option \"routerz\"");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    options: {routers: [not-an-ip]}\n",
		     "t.yaml:4:", "expected an IPv4 address");
	/* RFC 1035 syntax: an empty label, a control character, a hyphen at
	 * a label's end, a label over 63 */
	{
		static const char *const bad[] = {
			"a..b", "a\\x01b", "lan-.example", "-lan.example",
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example"};
		char yaml[512];

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(yaml, sizeof(yaml),
				 "interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
				 "subnets:\n"
				 "  - subnet: 10.1.0.0/24\n"
				 "    options: {domain-name: \"%s\"}\n",
				 bad[i]);
			expect_error(yaml, "t.yaml:4:", "not a domain name");
		}
	}
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    options:\n"
		     "      custom: [{code: 200, type: u8, value: 300}]\n",
		     "t.yaml:5:", "value");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    options:\n"
		     "      custom: [{code: 200, type: float, value: 1}]\n",
		     "t.yaml:5:", "type");
	expect_error("interfaces: [{port: nosuch, address: 10.1.0.1/24}]\n"
		     "subnets: [{subnet: 10.1.0.0/24}]\n",
		     "t.yaml:1:", "nosuch");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets: [{subnet: 10.1.0.0/24}, {subnet: 10.1.0.128/25}]\n",
		     "t.yaml:2:", "overlaps subnets[0]");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "relay: false\n"
		     "subnets: [{subnet: 10.1.0.0/24}, {subnet: 10.5.0.0/24}]\n",
		     "t.yaml:3:", "relay is off");
	/* a reservation's MAC must be one station's: no group bit, not 0 */
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    reservations: [{mac: \"01:00:5e:00:00:01\", address: 10.1.0.9}]\n",
		     "t.yaml:4:", "not a unicast station address");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    reservations: [{mac: \"ff:ff:ff:ff:ff:ff\", address: 10.1.0.9}]\n",
		     "t.yaml:4:", "not a unicast station address");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    reservations: [{mac: \"00:00:00:00:00:00\", address: 10.1.0.9}]\n",
		     "t.yaml:4:", "not a unicast station address");
}

/* ---------------- messages ---------------- */

struct pkt {
	uint8_t b[1024];
	size_t len;
};

static void
pkt_init(struct pkt *p, uint8_t type, const uint8_t mac[6])
{
	struct dhcp_hdr *h = (struct dhcp_hdr *)p->b;

	memset(p, 0, sizeof(*p));
	h->op = 1;
	h->htype = 1;
	h->hlen = 6;
	h->xid = 0x12345678;
	memcpy(h->chaddr, mac, 6);
	h->cookie = htonl(DHCP_MAGIC);
	p->len = DHCP_MIN_LEN;
	if (type) {
		p->b[p->len++] = DHCP_OPT_MSG_TYPE;
		p->b[p->len++] = 1;
		p->b[p->len++] = type;
	}
}

static void
pkt_opt(struct pkt *p, uint8_t code, const void *v, uint8_t n)
{
	p->b[p->len++] = code;
	p->b[p->len++] = n;
	memcpy(p->b + p->len, v, n);
	p->len += n;
}

static void
pkt_ip(struct pkt *p, uint8_t code, uint32_t host)
{
	uint32_t v = htonl(host);

	pkt_opt(p, code, &v, 4);
}

static void
pkt_end(struct pkt *p)
{
	p->b[p->len++] = DHCP_OPT_END;
}

static struct dhcp_hdr *
hdr(struct pkt *p)
{
	return (struct dhcp_hdr *)p->b;
}

static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2};

static uint16_t
parse_fail(struct pkt *p)
{
	static struct dhcp_msg m;
	uint16_t why = 0xffff;

	assert_int_equal(dhcp_msg_parse(p->b, p->len, &m, &why), -EINVAL);
	return why;
}

static void
test_parse_malformed(void **state)
{
	static struct dhcp_msg m;
	struct pkt p;
	uint16_t why, n;
	const uint8_t *v;

	(void)state;
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &m, &why), 0);
	assert_int_equal(m.type, DHCP_DISCOVER);

	p.len = 200; /* truncated */
	assert_int_equal(parse_fail(&p), DHCP_D_TRUNCATED);

	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_end(&p);
	hdr(&p)->op = 2; /* a reply sent to the server */
	assert_int_equal(parse_fail(&p), DHCP_D_BAD_OP);

	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_end(&p);
	hdr(&p)->hlen = 20;
	assert_int_equal(parse_fail(&p), DHCP_D_BAD_HW);

	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_end(&p);
	hdr(&p)->cookie = htonl(0x63825364);
	assert_int_equal(parse_fail(&p), DHCP_D_BAD_COOKIE);

	/* option length running past the end of the packet */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	p.b[p.len++] = DHCP_OPT_HOSTNAME;
	p.b[p.len++] = 200;
	memcpy(p.b + p.len, "abc", 3);
	p.len += 3;
	assert_int_equal(parse_fail(&p), DHCP_D_OPT_PAST_END);

	/* option code as the very last byte */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	p.b[p.len++] = DHCP_OPT_HOSTNAME;
	assert_int_equal(parse_fail(&p), DHCP_D_OPT_PAST_END);

	/* zero-length message type */
	pkt_init(&p, 0, mac1);
	pkt_opt(&p, DHCP_OPT_MSG_TYPE, "", 0);
	pkt_end(&p);
	assert_int_equal(parse_fail(&p), DHCP_D_BAD_OPT_LEN);

	/* oversize server id */
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_opt(&p, DHCP_OPT_SERVER_ID, "\x0a\x01\x00\x01\x00", 5);
	pkt_end(&p);
	assert_int_equal(parse_fail(&p), DHCP_D_BAD_OPT_LEN);

	/* zero-length client id */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, "", 0);
	pkt_end(&p);
	assert_int_equal(parse_fail(&p), DHCP_D_BAD_OPT_LEN);

	/* no END option, every option whole to the message's end: taken (as
	 * Kea and ISC dhcpd take it); one cut short is not */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &m, &why), 0);
	assert_int_equal(m.type, DHCP_DISCOVER);
	p.b[p.len++] = DHCP_OPT_HOSTNAME;
	p.b[p.len++] = 4;
	p.b[p.len++] = 'a';
	assert_int_equal(parse_fail(&p), DHCP_D_OPT_PAST_END);

	/* no message type, unknown type, server-side type */
	pkt_init(&p, 0, mac1);
	pkt_end(&p);
	assert_int_equal(parse_fail(&p), DHCP_D_NO_TYPE);
	pkt_init(&p, 42, mac1);
	pkt_end(&p);
	assert_int_equal(parse_fail(&p), DHCP_D_BAD_TYPE);
	pkt_init(&p, DHCP_OFFER, mac1);
	pkt_end(&p);
	assert_int_equal(parse_fail(&p), DHCP_D_BAD_TYPE);

	/* bad overload value */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_opt(&p, DHCP_OPT_OVERLOAD, "\x07", 1);
	pkt_end(&p);
	assert_int_equal(parse_fail(&p), DHCP_D_BAD_OVERLOAD);

	/* overload into file: an option there past the field's end */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_opt(&p, DHCP_OPT_OVERLOAD, "\x01", 1);
	pkt_end(&p);
	hdr(&p)->file[126] = DHCP_OPT_HOSTNAME;
	hdr(&p)->file[127] = 10;
	assert_int_equal(parse_fail(&p), DHCP_D_OPT_PAST_END);

	/* valid overload: options in file and sname, concatenated (RFC 3396) */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_opt(&p, DHCP_OPT_OVERLOAD, "\x03", 1);
	pkt_opt(&p, DHCP_OPT_HOSTNAME, "ab", 2);
	pkt_end(&p);
	memcpy(hdr(&p)->file,
	       "\x0c\x02"
	       "cd\xff",
	       5);
	memcpy(hdr(&p)->sname,
	       "\x0c\x01"
	       "e\x32\x04\x0a\x01\x00\x0d\xff",
	       10);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &m, &why), 0);
	v = dhcp_msg_opt(&m, DHCP_OPT_HOSTNAME, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(v, "abcde", 5);
	assert_int_equal(ntohl(dhcp_msg_u32(&m, DHCP_OPT_REQ_ADDR)), 0x0a01000d);

	/* pad-only options area, and a buffer of random junk */
	pkt_init(&p, 0, mac1);
	memset(p.b + p.len, 0, 60);
	p.len += 60;
	assert_int_equal(parse_fail(&p), DHCP_D_NO_TYPE);
	for (unsigned int seed = 1; seed < 2000; seed++) {
		srand(seed);
		pkt_init(&p, DHCP_DISCOVER, mac1);
		p.len = DHCP_MIN_LEN + (size_t)(rand() % 300);
		for (size_t i = DHCP_MIN_LEN; i < p.len; i++)
			p.b[i] = (uint8_t)rand();
		if (dhcp_msg_parse(p.b, p.len, &m, &why) != 0)
			assert_true(why < DHCP_D_MAX);
	}
}

/* ---------------- server ---------------- */

struct srv_env {
	struct dhcp_conf *conf;
	struct dhcp_db db;
	struct dhcp_srv srv;
	struct dhcp_msg m;
	struct dhcp_reply r;
	char path[128];
};

static struct srv_env *
env_new(const char *yaml, bool journal)
{
	struct srv_env *e = calloc(1, sizeof(*e));
	char err[256];

	e->conf = parse(yaml, NULL, 0);
	assert_non_null(e->conf);
	if (journal)
		snprintf(e->path, sizeof(e->path), "%s/leases-%d", tmpdir, rand());
	assert_int_equal(dhcp_db_open(&e->db, e->conf, e->path, NOW, err, sizeof(err)), 0);
	e->srv.conf = e->conf;
	e->srv.db = &e->db;
	return e;
}

static void
env_reopen(struct srv_env *e, uint64_t now)
{
	char err[256];

	dhcp_db_close(&e->db);
	assert_int_equal(dhcp_db_open(&e->db, e->conf, e->path, now, err, sizeof(err)), 0);
}

static void
env_free(struct srv_env *e)
{
	dhcp_db_close(&e->db);
	if (e->path[0])
		unlink(e->path);
	dhcp_config_free(e->conf);
	free(e);
}

/* Run one request; returns the reply type (0 none); *why on no reply. */
static int
handle(struct srv_env *e, struct pkt *p, uint64_t now, bool bcast, uint16_t *why)
{
	struct dhcp_rx rx = {.iface = 0, .bcast_dst = bcast, .now = now};
	bool j;
	uint16_t w = 0xffff;
	int ret;

	memcpy(rx.src_mac, hdr(p)->chaddr, 6);
	assert_int_equal(dhcp_msg_parse(p->b, p->len, &e->m, &w), 0);
	ret = dhcp_srv_handle(&e->srv, &e->m, &rx, &e->r, &w, &j);
	if (why)
		*why = w;
	if (ret != 0)
		return 0;
	if (j)
		assert_int_equal(dhcp_db_commit(&e->db), 0);
	return e->r.type;
}

static const uint8_t *
reply_opt(struct dhcp_reply *r, uint8_t code, uint16_t *n)
{
	static struct dhcp_msg m;
	uint16_t why;
	static uint8_t copy[DHCP_REPLY_MAX];

	/* parse our own reply as a request would be (flip op) */
	memcpy(copy, r->buf, r->len);
	copy[0] = 1;
	copy[DHCP_MIN_LEN + 2] = DHCP_DISCOVER;
	assert_int_equal(dhcp_msg_parse(copy, r->len, &m, &why), 0);
	return dhcp_msg_opt(&m, code, n);
}

/* How often option code appears in the reply's options field (raw, not
 * joined as RFC 3396 would), and at which index among the options the
 * first one is (-1: none). */
static int
reply_opt_count(const struct dhcp_reply *r, uint8_t code, int *first)
{
	size_t i = DHCP_MIN_LEN;
	int count = 0, idx = 0;

	*first = -1;
	while (i < r->len && r->buf[i] != DHCP_OPT_END) {
		if (r->buf[i] == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (r->buf[i] == code && count++ == 0)
			*first = idx;
		idx++;
		i += 2u + r->buf[i + 1];
	}
	return count;
}

static uint32_t
yiaddr(struct srv_env *e)
{
	return ntohl(((struct dhcp_hdr *)e->r.buf)->yiaddr);
}

/* DISCOVER + REQUEST(SELECTING); returns the bound address */
static uint32_t
dora(struct srv_env *e, const uint8_t mac[6], uint64_t now)
{
	struct pkt p;
	uint32_t a;

	pkt_init(&p, DHCP_DISCOVER, mac);
	pkt_end(&p);
	if (handle(e, &p, now, true, NULL) != DHCP_OFFER)
		return 0;
	a = yiaddr(e);
	pkt_init(&p, DHCP_REQUEST, mac);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, now, true, NULL), DHCP_ACK);
	assert_int_equal(yiaddr(e), a);
	return a;
}

/* RFC 2131 4.3.1: each requested parameter once, even if asked for twice;
 * RFC 2132 3.3: the subnet mask before the router option, whatever order
 * the client asked in. */
static void
test_srv_prl_order_and_duplicates(void **state)
{
	struct srv_env *e = env_new(base_yaml, true);
	int mask_at, router_at;
	struct pkt p;

	(void)state;
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_opt(&p, DHCP_OPT_PRL, "\x03\x01\x01\x03\x06\x06", 6);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_OFFER);
	assert_int_equal(reply_opt_count(&e->r, DHCP_OPT_SUBNET_MASK, &mask_at), 1);
	assert_int_equal(reply_opt_count(&e->r, DHCP_OPT_ROUTERS, &router_at), 1);
	assert_int_equal(reply_opt_count(&e->r, DHCP_OPT_DNS, &router_at), 1);
	reply_opt_count(&e->r, DHCP_OPT_ROUTERS, &router_at);
	assert_true(mask_at >= 0 && router_at > mask_at);
	env_free(e);
}

static void
test_srv_dora(void **state)
{
	struct srv_env *e = env_new(base_yaml, true);
	struct pkt p;
	uint16_t n, why;
	const uint8_t *v;
	uint32_t a1, a2;
	struct dhcp_lease *l;

	(void)state;
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_opt(&p, DHCP_OPT_PRL, "\x01\x03\x06\x0f\x79", 5);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_OFFER);
	a1 = yiaddr(e);
	assert_true(dhcp_subnet_in_pool(&e->conf->subnets[0], a1));
	/* no broadcast flag, no ciaddr: unicast to yiaddr and chaddr */
	assert_int_equal(e->r.dst_ip, a1);
	assert_false(e->r.bcast_mac);
	assert_int_equal(e->r.dst_port, DHCP_CLIENT_PORT);
	v = reply_opt(&e->r, DHCP_OPT_SERVER_ID, &n);
	assert_memory_equal(v, "\x0a\x01\x00\x01", 4);
	v = reply_opt(&e->r, DHCP_OPT_ROUTERS, &n);
	assert_memory_equal(v, "\x0a\x01\x00\x01", 4);
	v = reply_opt(&e->r, DHCP_OPT_LEASE_TIME, &n);
	assert_memory_equal(v, "\x00\x00\x02\x58", 4);
	v = reply_opt(&e->r, DHCP_OPT_T1, &n);
	assert_memory_equal(v, "\x00\x00\x01\x2c", 4);
	v = reply_opt(&e->r, DHCP_OPT_DOMAIN, &n);
	assert_int_equal(n, 11);

	/* SELECTING, with the broadcast flag: broadcast ACK */
	pkt_init(&p, DHCP_REQUEST, mac1);
	hdr(&p)->flags = htons(DHCP_FLAG_BROADCAST);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_ACK);
	assert_true(e->r.bcast_mac);
	assert_int_equal(e->r.dst_ip, 0xffffffffu);
	l = dhcp_db_by_addr(&e->db, a1);
	assert_int_equal(l->state, DHCP_L_BOUND);
	assert_int_equal(l->expire, NOW + 600);

	/* a second client gets another address */
	a2 = dora(e, mac2, NOW);
	assert_int_not_equal(a2, 0);
	assert_int_not_equal(a1, a2);

	/* SELECTING another server: ignored */
	pkt_init(&p, DHCP_REQUEST, mac2);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a0100fe);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a2);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, &why), 0);
	assert_int_equal(why, DHCP_D_OTHER_SERVER);

	/* INIT-REBOOT: right address ACK, wrong network NAK (broadcast) */
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 5, true, NULL), DHCP_ACK);
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, 0xc0a80105);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 5, true, NULL), DHCP_NAK);
	assert_true(e->r.bcast_mac);
	/* INIT-REBOOT for another client's address: NAK */
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a2);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 5, true, NULL), DHCP_NAK);
	/* a REQUEST in no state (no server id, requested address or ciaddr) */
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 5, true, &why), 0);
	assert_int_equal(why, DHCP_D_BAD_REQUEST);
	/* INIT-REBOOT by a client we do not know, free address: silent */
	pkt_init(&p, DHCP_REQUEST, (const uint8_t[6]){2, 0, 0, 0, 0, 7});
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, 0x0a01000e);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 5, true, &why), 0);
	assert_int_equal(why, DHCP_D_UNKNOWN_CLIENT);

	/* RENEWING: unicast to ciaddr, lease extended */
	pkt_init(&p, DHCP_REQUEST, mac1);
	hdr(&p)->ciaddr = htonl(a1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 300, false, NULL), DHCP_ACK);
	assert_int_equal(e->r.dst_ip, a1);
	assert_int_equal(dhcp_db_by_addr(&e->db, a1)->expire, NOW + 900);
	/* RENEWING an address the client does not hold: NAK */
	pkt_init(&p, DHCP_REQUEST, mac1);
	hdr(&p)->ciaddr = htonl(a2);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 300, false, NULL), DHCP_NAK);

	/* INFORM: ACK without lease times, to ciaddr */
	pkt_init(&p, DHCP_INFORM, mac2);
	hdr(&p)->ciaddr = htonl(0x0a010063);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, false, NULL), DHCP_ACK);
	assert_null(reply_opt(&e->r, DHCP_OPT_LEASE_TIME, &n));
	assert_non_null(reply_opt(&e->r, DHCP_OPT_DNS, &n));
	assert_int_equal(e->r.dst_ip, 0x0a010063);
	assert_int_equal(yiaddr(e), 0);

	/* RELEASE frees a1; DECLINE quarantines a2 */
	pkt_init(&p, DHCP_RELEASE, mac1);
	hdr(&p)->ciaddr = htonl(a1);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 10, false, NULL), 0);
	assert_int_equal(dhcp_db_by_addr(&e->db, a1)->state, DHCP_L_RELEASED);
	pkt_init(&p, DHCP_DECLINE, mac2);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a2);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 10, true, NULL), 0);
	assert_int_equal(dhcp_db_by_addr(&e->db, a2)->state, DHCP_L_DECLINED);
	/* mac2 comes back: it gets neither its declined address ... */
	assert_int_not_equal(dora(e, mac2, NOW + 11), a2);
	/* ... and a RELEASE from someone not holding the address is refused */
	pkt_init(&p, DHCP_RELEASE, mac2);
	hdr(&p)->ciaddr = htonl(a1);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 12, false, &why), 0);
	assert_int_equal(why, DHCP_D_NOT_OWNER);
	/* RFC 2131 table 5: a RELEASE without the server identifier frees
	 * nothing, even from the holder */
	{
		uint32_t a3 = dora(e, mac1, NOW + 13);

		pkt_init(&p, DHCP_RELEASE, mac1);
		hdr(&p)->ciaddr = htonl(a3);
		pkt_end(&p);
		assert_int_equal(handle(e, &p, NOW + 14, false, &why), 0);
		assert_int_equal(why, DHCP_D_NO_SERVER_ID);
		assert_int_equal(dhcp_db_by_addr(&e->db, a3)->state, DHCP_L_BOUND);
	}
	env_free(e);
}

static void
test_srv_pool_exclusions_reservations(void **state)
{
	struct srv_env *e = env_new(base_yaml, false);
	uint8_t mac[6] = {2, 0, 0, 0, 1, 0};
	uint32_t got[3];
	struct pkt p;
	uint16_t why;

	(void)state;
	/* pool 10.1.0.10-14 minus 11-12: three addresses */
	for (int i = 0; i < 3; i++) {
		mac[5] = (uint8_t)i;
		got[i] = dora(e, mac, NOW);
		assert_true(got[i] == 0x0a01000a || got[i] == 0x0a01000d || got[i] == 0x0a01000e);
		for (int k = 0; k < i; k++)
			assert_int_not_equal(got[i], got[k]);
	}
	mac[5] = 9;
	pkt_init(&p, DHCP_DISCOVER, mac);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, &why), 0);
	assert_int_equal(why, DHCP_D_EXHAUSTED);
	/* expired leases are reused only after expiry */
	assert_int_equal(handle(e, &p, NOW + 599, true, &why), 0);
	assert_int_equal(handle(e, &p, NOW + 601, true, NULL), DHCP_OFFER);

	/* reservations by MAC and by client id, outside the pool */
	assert_int_equal(dora(e, (const uint8_t[6]){2, 0, 0, 0, 0, 0x99}, NOW), 0x0a0100c8);
	pkt_init(&p, DHCP_DISCOVER, (const uint8_t[6]){2, 0, 0, 0, 0, 0x42});
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, "\x01\x02\x00\x00\x00\x00\x98", 7);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_OFFER);
	assert_int_equal(yiaddr(e), 0x0a0100c9);
	/* nobody else may request a reserved address */
	pkt_init(&p, DHCP_DISCOVER, (const uint8_t[6]){2, 0, 0, 0, 0, 0x43});
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, 0x0a0100c8);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 700, true, NULL), DHCP_OFFER);
	assert_int_not_equal(yiaddr(e), 0x0a0100c8);
	env_free(e);
}

static void
test_srv_relay(void **state)
{
	struct srv_env *e = env_new(base_yaml, false);
	struct pkt p;
	uint16_t n;
	const uint8_t *v;
	static const uint8_t ri[] = {1, 4, 'p', 'o', 'r', 't', 2, 2, 0xaa, 0xbb};

	(void)state;
	pkt_init(&p, DHCP_DISCOVER, mac1);
	hdr(&p)->giaddr = htonl(0x0a020001);
	hdr(&p)->hops = 1;
	pkt_opt(&p, DHCP_OPT_RELAY_INFO, ri, sizeof(ri));
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, false, NULL), DHCP_OFFER);
	assert_true(yiaddr(e) >= 0x0a020064 && yiaddr(e) <= 0x0a0200c7);
	assert_int_equal(e->r.dst_ip, 0x0a020001);
	assert_int_equal(e->r.dst_port, DHCP_SERVER_PORT);
	v = reply_opt(&e->r, DHCP_OPT_RELAY_INFO, &n);
	assert_non_null(v);
	assert_int_equal(n, sizeof(ri));
	assert_memory_equal(v, ri, sizeof(ri));
	v = reply_opt(&e->r, DHCP_OPT_ROUTERS, &n);
	assert_memory_equal(v, "\x0a\x02\x00\x01", 4);
	/* REBINDING through the relay (unicast from it, ciaddr, no server id
	 * or requested address: RFC 2131 4.3.2) from a client we have no
	 * record of, for an address of the relay's subnet outside the pool:
	 * silent, as a broadcast one (a renewal is never relayed) */
	pkt_init(&p, DHCP_REQUEST, (const uint8_t[6]){2, 0, 0, 0, 7, 7});
	hdr(&p)->giaddr = htonl(0x0a020001);
	hdr(&p)->ciaddr = htonl(0x0a020005);
	pkt_end(&p);
	{
		uint16_t why = 0;

		assert_int_equal(handle(e, &p, NOW, false, &why), 0);
		assert_int_equal(why, DHCP_D_UNKNOWN_CLIENT);
	}
	/* giaddr in no subnet */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	hdr(&p)->giaddr = htonl(0x0a630001);
	pkt_end(&p);
	{
		uint16_t why;

		assert_int_equal(handle(e, &p, NOW, false, &why), 0);
		assert_int_equal(why, DHCP_D_NO_SUBNET);
	}
	env_free(e);
}

/* ---------------- RFC conformance (issue 18 item 12) ---------------- */

/* IPv4 + UDP around a BOOTP payload, checksums right. */
static size_t
ip_udp_wrap(uint8_t *f, const uint8_t *pl, size_t n, uint16_t udp_csum_override, bool csum)
{
	uint32_t sum = 0;

	memset(f, 0, 28);
	f[0] = 0x45;
	f[2] = (uint8_t)((28 + n) >> 8);
	f[3] = (uint8_t)(28 + n);
	f[8] = 64;
	f[9] = 17;
	memcpy(f + 12, "\x0a\x01\x00\x05\xff\xff\xff\xff", 8);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(f[i] << 8 | f[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	f[10] = (uint8_t)(~sum >> 8);
	f[11] = (uint8_t)~sum;
	f[20] = 0;
	f[21] = 68;
	f[22] = 0;
	f[23] = 67;
	f[24] = (uint8_t)((8 + n) >> 8);
	f[25] = (uint8_t)(8 + n);
	memcpy(f + 28, pl, n);
	if (csum) {
		size_t i;

		sum = 17 + (uint32_t)(8 + n);
		for (i = 12; i < 20; i += 2)
			sum += (uint32_t)(f[i] << 8 | f[i + 1]);
		for (i = 20; i + 1 < 28 + n; i += 2)
			sum += (uint32_t)(f[i] << 8 | f[i + 1]);
		if (i < 28 + n)
			sum += (uint32_t)f[i] << 8;
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		sum = ~sum & 0xffff;
		if (sum == 0)
			sum = 0xffff;
		f[26] = (uint8_t)(sum >> 8);
		f[27] = (uint8_t)sum;
	}
	if (udp_csum_override) {
		f[26] = (uint8_t)(udp_csum_override >> 8);
		f[27] = (uint8_t)udp_csum_override;
	}
	return 28 + n;
}

static void
test_ip_udp_checksums(void **state)
{
	static uint8_t f[1600];
	struct pkt p;
	const uint8_t *pl;
	size_t n, pln;
	uint16_t why;

	(void)state;
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_end(&p);
	/* odd length too: the last byte is padded for the sum */
	for (size_t extra = 0; extra < 2; extra++) {
		n = ip_udp_wrap(f, p.b, p.len + extra, 0, true);
		assert_int_equal(dhcp_ip_udp_check(f, n, false, false, &pl, &pln, &why), 0);
		assert_ptr_equal(pl, f + 28);
		assert_int_equal(pln, p.len + extra);
	}
	n = ip_udp_wrap(f, p.b, p.len, 0, true);
	/* a bit flipped in the IP header: bad-ip-checksum */
	f[8] ^= 1;
	assert_int_equal(dhcp_ip_udp_check(f, n, false, false, &pl, &pln, &why), -EINVAL);
	assert_int_equal(why, DHCP_D_BAD_IP_CSUM);
	/* ... unless the port verified it */
	assert_int_equal(dhcp_ip_udp_check(f, n, true, false, &pl, &pln, &why), 0);
	f[8] ^= 1;
	/* a bit flipped in the payload: bad-udp-checksum */
	f[28 + 100] ^= 0x10;
	assert_int_equal(dhcp_ip_udp_check(f, n, false, false, &pl, &pln, &why), -EINVAL);
	assert_int_equal(why, DHCP_D_BAD_UDP_CSUM);
	assert_int_equal(dhcp_ip_udp_check(f, n, false, true, &pl, &pln, &why), 0);
	/* no UDP checksum (0): accepted (RFC 768) */
	n = ip_udp_wrap(f, p.b, p.len, 0, false);
	assert_int_equal(dhcp_ip_udp_check(f, n, false, false, &pl, &pln, &why), 0);
	/* a wrong one */
	n = ip_udp_wrap(f, p.b, p.len, 0x1234, false);
	assert_int_equal(dhcp_ip_udp_check(f, n, false, false, &pl, &pln, &why), -EINVAL);
	assert_int_equal(why, DHCP_D_BAD_UDP_CSUM);
	/* an offloaded checksum not finished by the sender's (virtual) NIC:
	 * the field holds the folded pseudo-header sum (Linux CHECKSUM_PARTIAL
	 * over a veth read by af_packet): accepted, as the kernel does */
	{
		uint32_t ps = 17 + (uint32_t)(p.len + 8);

		n = ip_udp_wrap(f, p.b, p.len, 0, false);
		for (int i = 12; i < 20; i += 2)
			ps += (uint32_t)(f[i] << 8 | f[i + 1]);
		while (ps >> 16)
			ps = (ps & 0xffff) + (ps >> 16);
		f[26] = (uint8_t)(ps >> 8);
		f[27] = (uint8_t)ps;
		assert_int_equal(dhcp_ip_udp_check(f, n, false, false, &pl, &pln, &why), 0);
		/* ... but not with the payload's bits in it, nor one off */
		f[27] ^= 1;
		assert_int_equal(dhcp_ip_udp_check(f, n, false, false, &pl, &pln, &why), -EINVAL);
		assert_int_equal(why, DHCP_D_BAD_UDP_CSUM);
	}
	/* lengths and fragments: bad-frame */
	n = ip_udp_wrap(f, p.b, p.len, 0, true);
	assert_int_equal(dhcp_ip_udp_check(f, n - 1, false, false, &pl, &pln, &why), -EINVAL);
	assert_int_equal(why, DHCP_D_BAD_FRAME);
	f[6] = 0x20; /* MF */
	assert_int_equal(dhcp_ip_udp_check(f, n, true, true, &pl, &pln, &why), -EINVAL);
	assert_int_equal(why, DHCP_D_BAD_FRAME);
	/* every single-bit error in header or payload is caught */
	n = ip_udp_wrap(f, p.b, p.len, 0, true);
	for (size_t bit = 0; bit < n * 8; bit += 7) {
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (dhcp_ip_udp_check(f, n, false, false, &pl, &pln, &why) == 0)
			fail_msg("bit %zu flipped, accepted", bit);
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

static const char cid_yaml_fmt[] =
	"name: d\n"
	"class: dhcp\n"
	"interfaces:\n"
	"  - {port: lan, address: 10.1.0.1/24}\n"
	"subnets:\n"
	"  - subnet: 10.1.0.0/24\n"
	"    pools: [{range: 10.1.0.10-10.1.0.50}]\n"
	"    reservations:\n"
	"      - {mac: \"02:00:00:00:00:99\", address: 10.1.0.200}\n"
	"      - {client-id: \"%s\", address: 10.1.0.201}\n";

static void
hexcolon(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 3 * i, i + 1 < n ? "%02x:" : "%02x", p[i]);
}

static void
test_srv_client_id(void **state)
{
	static char yaml[2048], hex[800];
	uint8_t duid[130], duid2[130], big[255];
	struct srv_env *e;
	struct pkt p;
	const uint8_t *v;
	uint16_t n;
	uint32_t a1, a2;

	(void)state;
	/* RFC 4361: type 255, IAID, DUID: 130 bytes in all */
	for (size_t i = 0; i < sizeof(duid); i++)
		duid[i] = (uint8_t)(i * 7 + 1);
	duid[0] = 0xff;
	memcpy(duid2, duid, sizeof(duid));
	duid2[120] ^= 1; /* differs only past the first 63 bytes */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i + 3);
	big[0] = 0;
	hexcolon(big, sizeof(big), hex);
	snprintf(yaml, sizeof(yaml), cid_yaml_fmt, hex);
	e = env_new(yaml, true);

	/* a 130-byte client id is served, and echoed (RFC 6842) */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, duid, sizeof(duid));
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_OFFER);
	a1 = yiaddr(e);
	v = reply_opt(&e->r, DHCP_OPT_CLIENT_ID, &n);
	assert_non_null(v);
	assert_int_equal(n, sizeof(duid));
	assert_memory_equal(v, duid, sizeof(duid));
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, duid, sizeof(duid));
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_ACK);
	v = reply_opt(&e->r, DHCP_OPT_CLIENT_ID, &n);
	assert_int_equal(n, sizeof(duid));
	/* another id sharing the first 120 bytes, same chaddr: another client */
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, duid2, sizeof(duid2));
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_OFFER);
	a2 = yiaddr(e);
	assert_int_not_equal(a1, a2);
	/* after a restart the 130-byte id still owns its lease */
	env_reopen(e, NOW + 1);
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, duid, sizeof(duid));
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 1, true, NULL), DHCP_ACK);
	assert_int_equal(yiaddr(e), a1);
	/* the echo in a NAK too (INIT-REBOOT for another address) */
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, duid, sizeof(duid));
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a1 + 1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 1, true, NULL), DHCP_NAK);
	v = reply_opt(&e->r, DHCP_OPT_CLIENT_ID, &n);
	assert_non_null(v);
	assert_int_equal(n, sizeof(duid));
	/* a 255-byte id, reserved in the configuration */
	pkt_init(&p, DHCP_DISCOVER, mac2);
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, big, sizeof(big));
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_OFFER);
	assert_int_equal(yiaddr(e), 0x0a0100c9);
	v = reply_opt(&e->r, DHCP_OPT_CLIENT_ID, &n);
	assert_int_equal(n, sizeof(big));
	assert_memory_equal(v, big, sizeof(big));
	/* a reservation by MAC applies to a client whose id is not of type 1
	 * (here a DUID), as it does to one of type 1 with another MAC inside */
	pkt_init(&p, DHCP_DISCOVER, (const uint8_t[6]){2, 0, 0, 0, 0, 0x99});
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, duid2, 20);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_OFFER);
	assert_int_equal(yiaddr(e), 0x0a0100c8);
	pkt_init(&p, DHCP_REQUEST, (const uint8_t[6]){2, 0, 0, 0, 0, 0x99});
	pkt_opt(&p, DHCP_OPT_CLIENT_ID, duid2, 20);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, 0x0a0100c8);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_ACK);
	assert_int_equal(yiaddr(e), 0x0a0100c8);
	/* without a client id: no option 61 in the reply */
	pkt_init(&p, DHCP_DISCOVER, mac2);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_OFFER);
	assert_null(reply_opt(&e->r, DHCP_OPT_CLIENT_ID, &n));
	env_free(e);
}

/* RFC 2131 4.3.2 for every REQUEST state, and 4.1 for where replies go. */
/* RFC 2131 4.3.2 / 3.1 step 4: a REQUEST in SELECTING (our server id)
 * names the offered address; another one, even free, is NAKed */
static void
test_srv_selecting_other_address(void **state)
{
	struct srv_env *e = env_new(base_yaml, false);
	struct pkt p;
	uint32_t offered, other;
	uint16_t why;

	(void)state;
	pkt_init(&p, DHCP_DISCOVER, mac1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, true, NULL), DHCP_OFFER);
	offered = yiaddr(e);
	other = offered == 0x0a01000e ? 0x0a01000d : 0x0a01000e;
	assert_null(dhcp_db_by_addr(&e->db, other));
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, other);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 1, true, NULL), DHCP_NAK);
	assert_true(e->r.bcast_mac);
	assert_int_equal(yiaddr(e), 0);
	assert_true(dhcp_db_by_addr(&e->db, other) == NULL ||
		    dhcp_db_by_addr(&e->db, other)->state != DHCP_L_BOUND);
	/* the offered address is still the client's to take */
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, offered);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 2, true, NULL), DHCP_ACK);
	assert_int_equal(yiaddr(e), offered);
	/* bound: SELECTING for another address is NAKed, the lease stays */
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, other);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 3, true, NULL), DHCP_NAK);
	assert_int_equal(dhcp_db_by_addr(&e->db, offered)->state, DHCP_L_BOUND);
	/* a client we hold nothing for (its offer lost in a restart) gets a
	 * free pool address it names */
	pkt_init(&p, DHCP_REQUEST, mac2);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, other);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 4, true, &why), DHCP_ACK);
	assert_int_equal(yiaddr(e), other);
	env_free(e);
}

static void
test_srv_request_states(void **state)
{
	struct srv_env *e = env_new(base_yaml, false);
	struct dhcp_rx rx = {.iface = 0, .now = NOW};
	struct pkt p;
	uint16_t why;
	uint32_t a1, a2;
	bool j;

	(void)state;
	a1 = dora(e, mac1, NOW);
	a2 = dora(e, mac2, NOW);
	assert_true(a1 != 0 && a2 != 0);
	/* INIT-REBOOT, the client's own address: ACK */
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 1, true, NULL), DHCP_ACK);
	assert_int_equal(yiaddr(e), a1);
	/* INIT-REBOOT for a free address that is not the client's lease: NAK,
	 * and the lease does not move */
	assert_int_equal(dhcp_db_by_addr(&e->db, 0x0a01000e) == NULL ||
				 dhcp_db_by_addr(&e->db, 0x0a01000e)->state != DHCP_L_BOUND,
			 1);
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a1 == 0x0a01000e ? 0x0a01000d : 0x0a01000e);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 1, true, NULL), DHCP_NAK);
	assert_true(e->r.bcast_mac);
	assert_int_equal(dhcp_db_by_addr(&e->db, a1)->state, DHCP_L_BOUND);
	assert_int_equal(dhcp_db_by_key(&e->db, 0, (const uint8_t[]){'h', 2, 0, 0, 0, 0, 1}, 7)->addr,
			 a1);
	/* INIT-REBOOT on the wrong network: NAK */
	pkt_init(&p, DHCP_REQUEST, mac1);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, 0x0a020064);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 1, true, NULL), DHCP_NAK);
	/* INIT-REBOOT from a client we have no record of: silent, whether the
	 * address is free or another client's */
	pkt_init(&p, DHCP_REQUEST, (const uint8_t[6]){2, 0, 0, 0, 9, 9});
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a2);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 1, true, &why), 0);
	assert_int_equal(why, DHCP_D_UNKNOWN_CLIENT);
	/* RENEWING (unicast, ciaddr): ACK to ciaddr */
	pkt_init(&p, DHCP_REQUEST, mac2);
	hdr(&p)->ciaddr = htonl(a2);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 2, false, NULL), DHCP_ACK);
	assert_int_equal(e->r.dst_ip, a2);
	/* REBINDING (broadcast, ciaddr) for another client's address: NAK */
	pkt_init(&p, DHCP_REQUEST, mac2);
	hdr(&p)->ciaddr = htonl(a1);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW + 2, true, NULL), DHCP_NAK);

	/* INFORM: to ciaddr; without ciaddr to the IP source; without either
	 * broadcast; through a relay to giaddr:67 */
	pkt_init(&p, DHCP_INFORM, mac2);
	hdr(&p)->ciaddr = htonl(0x0a010063);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, false, NULL), DHCP_ACK);
	assert_int_equal(e->r.dst_ip, 0x0a010063);
	assert_false(e->r.bcast_mac);
	/* RFC 2131 4.3.5: an address of another network: no answer */
	pkt_init(&p, DHCP_INFORM, mac2);
	hdr(&p)->ciaddr = htonl(0x0a630063);
	pkt_end(&p);
	assert_int_equal(handle(e, &p, NOW, false, &why), 0);
	assert_int_equal(why, DHCP_D_WRONG_NETWORK);
	pkt_init(&p, DHCP_INFORM, mac2);
	pkt_end(&p);
	memcpy(rx.src_mac, mac2, 6);
	rx.src_ip = 0x0a010064;
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &e->m, &why), 0);
	assert_int_equal(dhcp_srv_handle(&e->srv, &e->m, &rx, &e->r, &why, &j), 0);
	assert_int_equal(e->r.type, DHCP_ACK);
	assert_int_equal(e->r.dst_ip, 0x0a010064);
	assert_int_equal(e->r.dst_port, DHCP_CLIENT_PORT);
	assert_false(e->r.bcast_mac);
	assert_memory_equal(e->r.mac, mac2, 6);
	rx.src_ip = 0;
	assert_int_equal(dhcp_srv_handle(&e->srv, &e->m, &rx, &e->r, &why, &j), 0);
	assert_int_equal(e->r.dst_ip, 0xffffffffu);
	assert_true(e->r.bcast_mac);
	hdr(&p)->giaddr = htonl(0x0a020001);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &e->m, &why), 0);
	rx.src_ip = 0x0a020001;
	assert_int_equal(dhcp_srv_handle(&e->srv, &e->m, &rx, &e->r, &why, &j), 0);
	assert_int_equal(e->r.dst_ip, 0x0a020001);
	assert_int_equal(e->r.dst_port, DHCP_SERVER_PORT);
	env_free(e);
}

static const struct dhcp_subnet_conf *
times_of(const char *opts_inst, const char *opts_sub, struct dhcp_conf **c)
{
	static char yaml[1024];

	snprintf(yaml, sizeof(yaml),
		 "name: d\nclass: dhcp\n"
		 "interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		 "options: {%s}\n"
		 "subnets:\n"
		 "  - subnet: 10.1.0.0/24\n"
		 "    options: {%s}\n",
		 opts_inst, opts_sub);
	*c = parse(yaml, NULL, 0);
	assert_non_null(*c);
	return &(*c)->subnets[0];
}

static void
test_conf_times(void **state)
{
	struct dhcp_conf *c;
	const struct dhcp_subnet_conf *s;

	(void)state;
	/* defaults: 0.5 and 0.875 */
	s = times_of("", "lease-time: 3600", &c);
	assert_int_equal(s->t1, 1800);
	assert_int_equal(s->t2, 3150);
	dhcp_config_free(c);
	/* only renew-time, past 0.875: rebind halfway to the lease end */
	s = times_of("", "lease-time: 3600, renew-time: 3500", &c);
	assert_int_equal(s->t1, 3500);
	assert_int_equal(s->t2, 3550);
	dhcp_config_free(c);
	/* only renew-time, below 0.875: the default rebind */
	s = times_of("renew-time: 600", "lease-time: 3600", &c);
	assert_int_equal(s->t1, 600);
	assert_int_equal(s->t2, 3150);
	dhcp_config_free(c);
	/* only rebind-time, below 0.5: renew at half of it */
	s = times_of("", "lease-time: 3600, rebind-time: 1000", &c);
	assert_int_equal(s->t1, 500);
	assert_int_equal(s->t2, 1000);
	dhcp_config_free(c);
	s = times_of("rebind-time: 3000", "", &c);
	assert_int_equal(s->t1, 1800);
	assert_int_equal(s->t2, 3000);
	assert_int_equal(s->lease_time, 3600);
	dhcp_config_free(c);
	/* refused at the option that was given (file:line:col) */
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    options: {lease-time: 3600, renew-time: 3600}\n",
		     "t.yaml:4:45", "renew-time < rebind-time < lease-time");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    options: {renew-time: 3500, rebind-time: 3150, lease-time: 3600}\n",
		     "t.yaml:4:", "renew-time 3500, rebind-time 3150");
	/* an instance-wide renew-time that a subnet's short lease breaks */
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "options: {renew-time: 3000}\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    options: {lease-time: 600}\n",
		     "t.yaml:2:23", "lease-time 600");
	expect_error("interfaces: [{port: lan, address: 10.1.0.1/24}]\n"
		     "subnets:\n"
		     "  - subnet: 10.1.0.0/24\n"
		     "    options: {lease-time: 1}\n",
		     "t.yaml:4:", "lease-time 1");
}

/* ---------------- journal ---------------- */

static off_t
file_size(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

static void
test_journal_replay(void **state)
{
	struct srv_env *e = env_new(base_yaml, true);
	uint8_t mac[6] = {2, 0, 0, 0, 2, 0};
	uint32_t a[3];
	off_t sz;
	int fd;

	(void)state;
	for (int i = 0; i < 3; i++) {
		mac[5] = (uint8_t)i;
		a[i] = dora(e, mac, NOW);
		assert_int_not_equal(a[i], 0);
	}
	/* kill -9: nothing closed cleanly; reopen from the file */
	env_reopen(e, NOW + 1);
	for (int i = 0; i < 3; i++) {
		struct dhcp_lease *l = dhcp_db_by_addr(&e->db, a[i]);

		assert_non_null(l);
		assert_int_equal(l->state, DHCP_L_BOUND);
		assert_int_equal(l->chaddr[5], i);
	}
	/* the same client gets its address back after restart */
	mac[5] = 1;
	assert_int_equal(dora(e, mac, NOW + 2), a[1]);

	/* a torn last record (crash mid-write) is ignored and cut */
	sz = file_size(e->path);
	assert_int_equal(truncate(e->path, sz - 10), 0);
	env_reopen(e, NOW + 3);
	assert_int_equal((file_size(e->path) - 16) % (off_t)sizeof(struct dhcp_jrec), 0);
	assert_non_null(dhcp_db_by_addr(&e->db, a[0]));

	/* a corrupt record stops the replay there */
	sz = file_size(e->path);
	fd = open(e->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, sz - 20), 1);
	close(fd);
	env_reopen(e, NOW + 4);
	assert_int_equal(file_size(e->path), sz - (off_t)sizeof(struct dhcp_jrec));

	/* a file that is not a journal is refused with its name */
	{
		char err[256], path[160];
		struct dhcp_db db;

		snprintf(path, sizeof(path), "%s/notjournal", tmpdir);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_int_equal(write(fd, "hello world, not a journal", 26), 26);
		close(fd);
		assert_int_equal(dhcp_db_open(&db, e->conf, path, NOW, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "notjournal"));
		dhcp_db_close(&db);
		unlink(path);
		/* unwritable place */
		assert_true(dhcp_db_open(&db, e->conf, "/proc/nfvd-no/leases", NOW, err,
					 sizeof(err)) < 0);
		assert_non_null(strstr(err, "/proc/nfvd-no/leases"));
		dhcp_db_close(&db);
	}
	env_free(e);
}

static void
test_journal_compaction(void **state)
{
	struct srv_env *e = env_new(base_yaml, true);
	uint8_t mac[6] = {2, 0, 0, 0, 3, 0};
	uint32_t a[2];
	struct pkt p;
	off_t before;
	int ret;

	(void)state;
	for (int i = 0; i < 2; i++) {
		mac[5] = (uint8_t)i;
		a[i] = dora(e, mac, NOW);
	}
	/* many renewals grow the journal */
	for (int k = 0; k < 200; k++) {
		mac[5] = 0;
		pkt_init(&p, DHCP_REQUEST, mac);
		hdr(&p)->ciaddr = htonl(a[0]);
		pkt_end(&p);
		assert_int_equal(handle(e, &p, NOW + (uint64_t)k, false, NULL), DHCP_ACK);
	}
	before = file_size(e->path);
	assert_int_equal(dhcp_db_compact_start(&e->db, NOW + 200, true), 1);
	/* serving goes on while the snapshot is written */
	mac[5] = 5;
	a[1] = dora(e, mac, NOW + 201);
	assert_int_not_equal(a[1], 0);
	for (int i = 0; i < 10000 && (ret = dhcp_db_compact_poll(&e->db)) == 0; i++)
		usleep(1000);
	assert_int_equal(ret, 1);
	assert_true(file_size(e->path) < before / 10);
	env_reopen(e, NOW + 202);
	assert_int_equal(dhcp_db_by_addr(&e->db, a[0])->state, DHCP_L_BOUND);
	assert_int_equal(dhcp_db_by_addr(&e->db, a[0])->expire, NOW + 199 + 600);
	assert_int_equal(dhcp_db_by_addr(&e->db, a[1])->state, DHCP_L_BOUND);
	assert_int_equal(dhcp_db_by_addr(&e->db, a[1])->chaddr[5], 5);
	env_free(e);
}

/* ---------------- journal write errors ---------------- */

/* Injected faults: a disk with `space` bytes left (-1: unlimited; a write
 * past it is short, then ENOSPC), one-shot errors of fdatasync / fsync /
 * rename, and an ftruncate that fails while truncate_errno is set. */
static struct {
	long space;
	int datasync_errno, sync_errno, rename_errno, truncate_errno;
	int sync_nth; /* with sync_errno: the nth fsync from now fails */
} fault = {.space = -1};

static struct dhcp_jio jio_sys; /* the real ones, saved by main() */

static ssize_t
fault_write_at(int fd, const void *p, size_t n, off_t off)
{
	if (fault.space == 0) {
		errno = ENOSPC;
		return -1;
	}
	if (fault.space > 0 && n > (size_t)fault.space)
		n = (size_t)fault.space;
	ssize_t w = pwrite(fd, p, n, off);

	if (w > 0 && fault.space > 0)
		fault.space -= w;
	return w;
}

static int
fault_datasync(int fd)
{
	if (fault.datasync_errno) {
		errno = fault.datasync_errno;
		fault.datasync_errno = 0;
		return -1;
	}
	return fdatasync(fd);
}

static int
fault_sync(int fd)
{
	if (fault.sync_errno && --fault.sync_nth <= 0) {
		errno = fault.sync_errno;
		fault.sync_errno = 0;
		return -1;
	}
	return fsync(fd);
}

static int
fault_truncate(int fd, off_t len)
{
	if (fault.truncate_errno) {
		errno = fault.truncate_errno;
		return -1;
	}
	return ftruncate(fd, len);
}

static int
fault_rename(const char *a, const char *b)
{
	if (fault.rename_errno) {
		errno = fault.rename_errno;
		fault.rename_errno = 0;
		return -1;
	}
	return rename(a, b);
}

static void
fault_install(void)
{
	memset(&fault, 0, sizeof(fault));
	fault.space = -1;
	dhcp_jio.write_at = fault_write_at;
	dhcp_jio.datasync = fault_datasync;
	dhcp_jio.sync = fault_sync;
	dhcp_jio.truncate = fault_truncate;
	dhcp_jio.rename = fault_rename;
}

static void
fault_clear(void)
{
	memset(&fault, 0, sizeof(fault));
	fault.space = -1;
}

static const char storm_yaml[] = "name: d\n"
				 "class: dhcp\n"
				 "interfaces:\n"
				 "  - {port: lan, address: 10.1.0.1/16}\n"
				 "options: {lease-time: 3600}\n"
				 "subnets:\n"
				 "  - subnet: 10.1.0.0/16\n"
				 "    pools: [{range: 10.1.1.0-10.1.4.255}]\n";

/* DORA whose REQUEST's journal commit may fail: returns the address when
 * the ACK would leave (its batch committed), 0 when it was withheld. */
static uint32_t
dora_maybe(struct srv_env *e, const uint8_t mac[6], uint64_t now)
{
	struct dhcp_rx rx = {.iface = 0, .bcast_dst = true, .now = now};
	struct pkt p;
	uint16_t why;
	uint32_t a;
	bool j;

	memcpy(rx.src_mac, mac, 6);
	pkt_init(&p, DHCP_DISCOVER, mac);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &e->m, &why), 0);
	assert_int_equal(dhcp_srv_handle(&e->srv, &e->m, &rx, &e->r, &why, &j), 0);
	assert_int_equal(e->r.type, DHCP_OFFER);
	a = yiaddr(e);
	pkt_init(&p, DHCP_REQUEST, mac);
	pkt_ip(&p, DHCP_OPT_SERVER_ID, 0x0a010001);
	pkt_ip(&p, DHCP_OPT_REQ_ADDR, a);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &e->m, &why), 0);
	assert_int_equal(dhcp_srv_handle(&e->srv, &e->m, &rx, &e->r, &why, &j), 0);
	assert_int_equal(e->r.type, DHCP_ACK);
	assert_true(j);
	return dhcp_db_commit(&e->db) == 0 ? a : 0;
}

/* The journal on disk is whole records only (what a write error left was
 * cut back). */
static void
assert_whole_records(const char *path)
{
	assert_int_equal((file_size(path) - 16) % (off_t)sizeof(struct dhcp_jrec), 0);
}

/* Every ACKed lease (acked[i] != 0 for client i) is bound to that client
 * after a restart. */
static void
assert_acked_back(struct srv_env *e, const uint32_t *acked, int n, uint64_t now)
{
	env_reopen(e, now);
	for (int i = 0; i < n; i++) {
		struct dhcp_lease *l;

		if (acked[i] == 0)
			continue;
		l = dhcp_db_by_addr(&e->db, acked[i]);
		assert_non_null(l);
		assert_int_equal(l->state, DHCP_L_BOUND);
		assert_int_equal(l->chaddr[4], (uint8_t)(i >> 8));
		assert_int_equal(l->chaddr[5], (uint8_t)i);
	}
}

static void
test_journal_write_errors(void **state)
{
	struct srv_env *e;
	uint32_t acked[64] = {0};
	uint8_t mac[6] = {2, 0, 0, 5, 0, 0};
	off_t before;

	(void)state;
	fault_install();
	e = env_new(storm_yaml, true);
	for (int i = 0; i < 4; i++) {
		mac[5] = (uint8_t)i;
		acked[i] = dora_maybe(e, mac, NOW);
		assert_int_not_equal(acked[i], 0);
	}
	/* disk full in the middle of a record: no ACK, the torn part is cut */
	before = file_size(e->path);
	fault.space = 40;
	mac[5] = 4;
	assert_int_equal(dora_maybe(e, mac, NOW), 0);
	assert_int_equal(file_size(e->path), before);
	/* space is back: the next leases are ACKed, and with them the record
	 * that failed (its client's retransmission is ACKed too) */
	fault_clear();
	for (int i = 5; i < 15; i++) {
		mac[5] = (uint8_t)i;
		acked[i] = dora_maybe(e, mac, NOW);
		assert_int_not_equal(acked[i], 0);
	}
	assert_whole_records(e->path);
	assert_non_null(dhcp_db_by_addr(&e->db, dhcp_db_by_key(&e->db, 0, (const uint8_t[]){'h', 2, 0, 0, 5, 0, 4}, 7)->addr));

	/* fdatasync fails (EIO / ENOSPC): no ACK, the batch is cut back */
	before = file_size(e->path);
	fault.datasync_errno = EIO;
	mac[5] = 15;
	assert_int_equal(dora_maybe(e, mac, NOW), 0);
	assert_int_equal(file_size(e->path), before);
	fault.datasync_errno = ENOSPC;
	mac[5] = 16;
	assert_int_equal(dora_maybe(e, mac, NOW), 0);
	/* short write and the cut-back failing too: the retry covers it */
	fault.space = 130;
	fault.truncate_errno = EIO;
	mac[5] = 17;
	assert_int_equal(dora_maybe(e, mac, NOW), 0);
	assert_true(file_size(e->path) > before);
	fault_clear();
	for (int i = 18; i < 30; i++) {
		mac[5] = (uint8_t)i;
		acked[i] = dora_maybe(e, mac, NOW);
		assert_int_not_equal(acked[i], 0);
	}
	assert_whole_records(e->path);
	assert_acked_back(e, acked, 30, NOW + 1);
	/* the clients whose ACKs were withheld were journaled by the retries */
	for (int i = 15; i < 18; i++) {
		const uint8_t k[7] = {'h', 2, 0, 0, 5, 0, (uint8_t)i};

		assert_non_null(dhcp_db_by_key(&e->db, 0, k, 7));
	}
	env_free(e);
	dhcp_jio = jio_sys;
}

/* Disk full at random points of a storm (short writes at any byte, failing
 * fdatasyncs and ftruncates, compactions failing at every step), then
 * space back, more leases, restart: every ACKed lease is back. */
static void
test_journal_storm(void **state)
{
	enum { N = 400 };
	static uint32_t acked[N];
	uint8_t mac[6] = {2, 0, 0, 6, 0, 0};
	struct srv_env *e;
	unsigned int seed = (unsigned int)getpid();
	int n_acked = 0, n_failed = 0;

	(void)state;
	print_message("journal storm seed %u\n", seed);
	srand(seed);
	memset(acked, 0, sizeof(acked));
	fault_install();
	e = env_new(storm_yaml, true);
	for (int i = 0; i < N; i++) {
		int r = rand() % 16;
		uint32_t a;

		fault_clear();
		if (r == 0)
			fault.space = rand() % 300;
		else if (r == 1)
			fault.datasync_errno = rand() % 2 ? EIO : ENOSPC;
		else if (r == 2) {
			fault.space = rand() % 200;
			fault.truncate_errno = EIO;
		}
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		a = dora_maybe(e, mac, NOW + (uint64_t)i / 10);
		acked[i] = a;
		n_acked += a != 0;
		n_failed += a == 0;
		if (r <= 2 && fault.truncate_errno == 0 && a == 0)
			assert_whole_records(e->path);
		if (i % 97 == 96) {
			/* a compaction failing at one of its steps, or not */
			int k = rand() % 4, ret;

			fault_clear();
			if (k == 0)
				fault.space = rand() % 2000;
			else if (k == 1) {
				/* the snapshot's, the tail's or the directory's */
				fault.sync_errno = EIO;
				fault.sync_nth = 1 + rand() % 3;
			}
			else if (k == 2)
				fault.rename_errno = EIO;
			ret = dhcp_db_compact_start(&e->db, NOW + (uint64_t)i / 10, true);
			if (ret == 1) {
				for (int w = 0; w < 20000 && (ret = dhcp_db_compact_poll(&e->db)) == 0;
				     w++)
					usleep(500);
			}
			fault_clear();
			assert_true(ret == 1 || k != 3);
			{
				char tmp[200];

				/* a failed one leaves no temporary file */
				snprintf(tmp, sizeof(tmp), "%s.compact", e->path);
				assert_int_equal(access(tmp, F_OK), -1);
			}
		}
		if (i % 50 == 49) {
			/* restart, the disk fine again */
			fault_clear();
			assert_acked_back(e, acked, i + 1, NOW + (uint64_t)i / 10);
		}
	}
	fault_clear();
	assert_true(n_acked > 0 && n_failed > 0);
	assert_acked_back(e, acked, N, NOW + N);
	env_free(e);
	dhcp_jio = jio_sys;
}

/* A file an older nfvd appended behind a torn record: everything before
 * and behind the tear is replayed; a torn tail is cut, what is before it
 * kept. A short file that is not a journal is refused, never rewritten. */
static void
test_journal_tear_repair(void **state)
{
	struct srv_env *e = env_new(storm_yaml, true);
	uint8_t mac[6] = {2, 0, 0, 7, 0, 0};
	uint32_t acked[20] = {0};
	struct dhcp_jrec torn;
	off_t mid;
	int fd;

	(void)state;
	for (int i = 0; i < 10; i++) {
		mac[5] = (uint8_t)i;
		acked[i] = dora(e, mac, NOW);
	}
	mid = file_size(e->path);
	for (int i = 10; i < 20; i++) {
		mac[5] = (uint8_t)i;
		acked[i] = dora(e, mac, NOW);
	}
	dhcp_db_close(&e->db);
	/* splice half a record in between, as an older nfvd left it when a
	 * write failed and it appended the next batches behind it */
	memset(&torn, 0, sizeof(torn));
	torn.magic = DHCP_JREC_MAGIC;
	{
		static uint8_t buf[65536];
		off_t size = file_size(e->path);

		fd = open(e->path, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, buf, (size_t)(size - mid), mid), size - mid);
		assert_int_equal(pwrite(fd, &torn, 50, mid), 50);
		assert_int_equal(pwrite(fd, buf, (size_t)(size - mid), mid + 50), size - mid);
		close(fd);
	}
	{
		char err[256];

		assert_int_equal(dhcp_db_open(&e->db, e->conf, e->path, NOW + 1, err, sizeof(err)),
				 0);
	}
	for (int i = 0; i < 20; i++) {
		struct dhcp_lease *l = dhcp_db_by_addr(&e->db, acked[i]);

		assert_non_null(l);
		assert_int_equal(l->state, DHCP_L_BOUND);
		assert_int_equal(l->chaddr[5], i);
	}
	/* appended to after that open, restarted: still everything */
	mac[5] = 20;
	assert_int_not_equal(dora(e, mac, NOW + 1), 0);
	env_reopen(e, NOW + 1);
	for (int i = 0; i < 20; i++) {
		struct dhcp_lease *l = dhcp_db_by_addr(&e->db, acked[i]);

		assert_non_null(l);
		assert_int_equal(l->state, DHCP_L_BOUND);
		assert_int_equal(l->chaddr[5], i);
	}
	/* and a torn tail behind that is cut, what is before it kept */
	dhcp_db_close(&e->db);
	mid = file_size(e->path);
	fd = open(e->path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, &torn, 30), 30);
	close(fd);
	env_reopen(e, NOW + 2);
	assert_int_equal(file_size(e->path), mid);
	for (int i = 0; i < 20; i++)
		assert_int_equal(dhcp_db_by_addr(&e->db, acked[i])->state, DHCP_L_BOUND);

	/* short files: someone's (refused, untouched), empty or a header cut
	 * short by a crash (made a journal) */
	{
		char err[256], path[160], back[16];
		struct dhcp_db db;

		snprintf(path, sizeof(path), "%s/short", tmpdir);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_int_equal(write(fd, "abc\n", 4), 4);
		close(fd);
		assert_int_equal(dhcp_db_open(&db, e->conf, path, NOW, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "short"));
		assert_non_null(strstr(err, "not an nfvd DHCP lease journal"));
		dhcp_db_close(&db);
		fd = open(path, O_RDONLY);
		assert_int_equal(read(fd, back, sizeof(back)), 4);
		assert_memory_equal(back, "abc\n", 4);
		close(fd);
		fd = open(path, O_WRONLY | O_TRUNC);
		assert_int_equal(write(fd, "NFVD", 4), 4);
		close(fd);
		assert_int_equal(dhcp_db_open(&db, e->conf, path, NOW, err, sizeof(err)), 0);
		dhcp_db_close(&db);
		assert_int_equal(file_size(path), 16);
		fd = open(path, O_WRONLY | O_TRUNC);
		close(fd);
		assert_int_equal(dhcp_db_open(&db, e->conf, path, NOW, err, sizeof(err)), 0);
		dhcp_db_close(&db);
		assert_int_equal(file_size(path), 16);
		/* "<file>.compact" that is not ours: refused, kept */
		{
			char tmp[200];

			snprintf(tmp, sizeof(tmp), "%s.compact", path);
			fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			assert_int_equal(write(fd, "mine", 4), 4);
			close(fd);
			assert_int_equal(dhcp_db_open(&db, e->conf, path, NOW, err, sizeof(err)),
					 -EEXIST);
			assert_non_null(strstr(err, ".compact"));
			dhcp_db_close(&db);
			assert_int_equal(file_size(tmp), 4);
			unlink(tmp);
		}
		unlink(path);
	}
	env_free(e);
}

/* More live bindings than compact-records: after a compaction the journal
 * holds them all, and the next automatic one waits until as many records
 * again were appended (it once ran on every tick) */
static void
test_journal_compaction_not_back_to_back(void **state)
{
	struct srv_env *e = env_new(storm_yaml, true);
	uint8_t mac[6] = {2, 0, 0, 0, 4, 0};
	uint32_t a[40];
	int ret, n = 0;

	(void)state;
	e->conf->compact_records = 16;
	for (int i = 0; i < 40; i++) {
		mac[5] = (uint8_t)i;
		a[i] = dora(e, mac, NOW);
		assert_int_not_equal(a[i], 0);
	}
	assert_int_equal(dhcp_db_compact_start(&e->db, NOW + 1, false), 1);
	for (int i = 0; i < 10000 && (ret = dhcp_db_compact_poll(&e->db)) == 0; i++)
		usleep(1000);
	assert_int_equal(ret, 1);
	assert_true(e->db.records >= 40);
	/* the threshold is met (40 >= 16), the floor is not */
	assert_int_equal(dhcp_db_compact_start(&e->db, NOW + 2, false), 0);
	/* renewals append records: it starts again at twice what it kept */
	while (dhcp_db_compact_start(&e->db, NOW + 3, false) == 0) {
		struct pkt p;

		mac[5] = (uint8_t)(n % 40);
		pkt_init(&p, DHCP_REQUEST, mac);
		hdr(&p)->ciaddr = htonl(a[n % 40]);
		pkt_end(&p);
		assert_int_equal(handle(e, &p, NOW + 3, false, NULL), DHCP_ACK);
		assert_true(++n <= 200);
	}
	assert_true(n >= 40);
	for (int i = 0; i < 10000 && (ret = dhcp_db_compact_poll(&e->db)) == 0; i++)
		usleep(1000);
	assert_int_equal(ret, 1);
	env_free(e);
}

/* ---------------- ACKs held for their commit ---------------- */

/* A reply of len bytes whose bytes, address and port say which (k). */
static void
hold_reply(struct dhcp_reply *r, uint32_t k, size_t len)
{
	r->type = DHCP_ACK;
	r->dst_ip = k;
	r->dst_port = (uint16_t)(k * 7);
	r->bcast_mac = (k & 1) != 0;
	memset(r->mac, (int)(k & 0xff), sizeof(r->mac));
	r->len = len;
	for (size_t i = 0; i < len; i++)
		r->buf[i] = (uint8_t)(k + i);
}

/* The oldest held reply is k's, whole, of len bytes, batch seq. */
static void
hold_check_oldest(const struct dhcp_hold *h, uint32_t k, size_t len, uint64_t seq)
{
	const uint8_t *b;
	const struct dhcp_held *e = dhcp_hold_oldest(h, &b);

	assert_non_null(e);
	assert_int_equal(e->dst_ip, k);
	assert_int_equal(e->dst_port, (uint16_t)(k * 7));
	assert_int_equal(e->bcast_mac, (k & 1) != 0);
	assert_int_equal(e->mac[5], k & 0xff);
	assert_int_equal(e->iface, k % 3);
	assert_int_equal(e->seq, seq);
	assert_int_equal(e->len, len);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(b[i], (uint8_t)(k + i));
}

static size_t
hold_len(uint32_t k)
{
	return 240 + (k * 37) % (DHCP_REPLY_MAX - 240 + 1);
}

/* FIFO in batch order through many wraps of the byte arena, every reply
 * whole; full by entries (small replies) and by bytes (large ones). */
static void
test_hold_fifo_wraps_and_bounds(void **state)
{
	static struct dhcp_reply r;
	struct dhcp_hold h;
	uint32_t in = 0, out = 0, n;

	(void)state;
	assert_int_equal(dhcp_hold_init(&h), 0);
	assert_null(dhcp_hold_oldest(&h, &(const uint8_t *){NULL}));
	/* a queue that never empties: pushes and pops in uneven runs, the
	 * arena wraps dozens of times */
	for (int round = 0; round < 400; round++) {
		int pushes = 1500 + (round * 811) % 2500, pops = 1500 + (round * 577) % 2500;

		for (int i = 0; i < pushes; i++, in++) {
			hold_reply(&r, in, hold_len(in));
			if (dhcp_hold_push(&h, in / 10, (uint16_t)(in % 3), &r) != 0)
				break;
		}
		for (int i = 0; i < pops && out < in; i++, out++) {
			hold_check_oldest(&h, out, hold_len(out), out / 10);
			dhcp_hold_pop(&h);
		}
		assert_int_equal(dhcp_hold_count(&h), in - out);
	}
	assert_true(in > 5 * (DHCP_HOLD_BYTES / DHCP_REPLY_MAX));
	while (out < in) {
		hold_check_oldest(&h, out, hold_len(out), out / 10);
		dhcp_hold_pop(&h);
		out++;
	}
	assert_null(dhcp_hold_oldest(&h, &(const uint8_t *){NULL}));

	/* small replies: DHCP_HOLD_MAX of them, not one more */
	for (n = 0;; n++) {
		hold_reply(&r, n, 1);
		if (dhcp_hold_push(&h, 1, 0, &r) != 0)
			break;
	}
	assert_int_equal(n, DHCP_HOLD_MAX);
	for (uint32_t i = 0; i < n; i++)
		dhcp_hold_pop(&h);
	/* the largest replies: as many as the bytes hold, then each pop makes
	 * room for one again */
	for (n = 0;; n++) {
		hold_reply(&r, n, DHCP_REPLY_MAX);
		if (dhcp_hold_push(&h, 1, 0, &r) != 0)
			break;
	}
	assert_true(n < DHCP_HOLD_MAX && n >= DHCP_HOLD_BYTES / (DHCP_REPLY_MAX + 8));
	hold_check_oldest(&h, 0, DHCP_REPLY_MAX, 1);
	dhcp_hold_pop(&h);
	hold_reply(&r, n, DHCP_REPLY_MAX);
	assert_int_equal(dhcp_hold_push(&h, 2, (uint16_t)(n % 3), &r), 0);
	assert_int_equal(dhcp_hold_push(&h, 2, 0, &r), -ENOSPC);
	dhcp_hold_fini(&h);
	dhcp_hold_fini(&h); /* twice, as destroy after a failed create may */
}

/* A lease file has one writer. Another instance in the process is refused
 * (the same file through a symlink too), another process holding its lock
 * is refused by its pid, the lock follows the file through a compaction,
 * and the new generation of the same instance (an apply re-creating it)
 * takes the file over: the old one writes no more, unless the new one goes
 * first (a failed apply). */
static void
test_journal_one_writer(void **state)
{
	struct srv_env *e = env_new(base_yaml, true);
	uint8_t mac[6] = {2, 0, 0, 0, 7, 0};
	char err[512], lnk[160], want[160], other_yaml[sizeof(base_yaml) + 8];
	struct dhcp_conf *other;
	struct dhcp_db db2, g2;
	uint32_t a0, a1;
	off_t sz;
	int fd, ret;

	(void)state;
	snprintf(other_yaml, sizeof(other_yaml), "name: e\n%s", base_yaml + strlen("name: d\n"));
	other = parse(other_yaml, NULL, 0);
	assert_non_null(other);
	a0 = dora(e, mac, NOW);
	assert_int_not_equal(a0, 0);
	sz = file_size(e->path);

	/* another instance of this process, by its path or a symlink */
	assert_int_equal(dhcp_db_open(&db2, other, e->path, NOW, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "already used by vnf d"));
	dhcp_db_close(&db2);
	snprintf(lnk, sizeof(lnk), "%s/lnk", tmpdir);
	assert_int_equal(symlink(e->path, lnk), 0);
	assert_int_equal(dhcp_db_open(&db2, other, lnk, NOW, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "already used by vnf d"));
	dhcp_db_close(&db2);
	unlink(lnk);
	assert_int_equal(file_size(e->path), sz);
	assert_false(e->db.handed_off);

	/* another process: its flock (taken here on an open file of our own,
	 * not in the list) refuses the open, naming its pid */
	dhcp_db_close(&e->db);
	fd = open(e->path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(dhcp_db_open(&e->db, e->conf, e->path, NOW, err, sizeof(err)), -EBUSY);
	snprintf(want, sizeof(want), "is in use by another process (pid %d)", (int)getpid());
	if (strstr(err, want) == NULL)
		fail_msg("'%s' lacks '%s'", err, want);
	dhcp_db_close(&e->db);
	close(fd);
	assert_int_equal(file_size(e->path), sz);
	assert_int_equal(dhcp_db_open(&e->db, e->conf, e->path, NOW, err, sizeof(err)), 0);
	assert_non_null(dhcp_db_by_addr(&e->db, a0));
	/* held while open, and by the new file after a compaction */
	fd = open(e->path, O_RDWR);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd);
	assert_int_equal(dhcp_db_compact_start(&e->db, NOW, true), 1);
	for (int i = 0; i < 10000 && (ret = dhcp_db_compact_poll(&e->db)) == 0; i++)
		usleep(1000);
	assert_int_equal(ret, 1);
	fd = open(e->path, O_RDWR);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd);

	/* the new generation of the same instance takes the file over */
	assert_int_equal(dhcp_db_open(&g2, e->conf, e->path, NOW, err, sizeof(err)), 0);
	assert_non_null(dhcp_db_by_addr(&g2, a0));
	assert_true(e->db.handed_off);
	mac[5] = 1;
	assert_int_equal(dora_maybe(e, mac, NOW), 0); /* not written, no ACK */
	/* the apply failed: the new one goes, the old one writes again */
	dhcp_db_close(&g2);
	assert_false(e->db.handed_off);
	mac[5] = 2;
	a1 = dora_maybe(e, mac, NOW);
	assert_int_not_equal(a1, 0);
	/* the apply went through: the old one goes, the new one keeps the lock */
	assert_int_equal(dhcp_db_open(&g2, e->conf, e->path, NOW, err, sizeof(err)), 0);
	assert_non_null(dhcp_db_by_addr(&g2, a1));
	dhcp_db_close(&e->db);
	fd = open(e->path, O_RDWR);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	dhcp_db_close(&g2);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	assert_int_equal(dhcp_db_open(&e->db, e->conf, e->path, NOW, err, sizeof(err)), 0);
	dhcp_config_free(other);
	env_free(e);
}

/* Records skipped at load are counted and logged: a flipped byte in one,
 * a torn tail. */
static void
test_journal_corrupt_counted(void **state)
{
	struct srv_env *e = env_new(storm_yaml, true);
	uint8_t mac[6] = {2, 0, 0, 0, 8, 0};
	const off_t rec = (off_t)sizeof(struct dhcp_jrec);
	char want[512];
	int fd;

	(void)state;
	for (int i = 0; i < 4; i++) {
		mac[5] = (uint8_t)i;
		assert_int_not_equal(dora(e, mac, NOW), 0);
	}
	env_reopen(e, NOW);
	assert_int_equal(e->db.corrupt_records, 0);
	assert_int_equal(e->db.torn_tail_bytes, 0);
	dhcp_db_close(&e->db);
	fd = open(e->path, O_WRONLY);
	assert_true(fd >= 0);
	/* a byte of the second record flipped, 50 bytes of a torn record */
	assert_int_equal(pwrite(fd, "\xff", 1, 16 + rec + 9), 1);
	assert_int_equal(pwrite(fd, want, 50, file_size(e->path)), 50);
	close(fd);
	jlogged.n = 0;
	assert_int_equal(dhcp_db_open(&e->db, e->conf, e->path, NOW, want, sizeof(want)), 0);
	assert_int_equal(e->db.corrupt_records, 1);
	assert_int_equal(e->db.torn_tail_bytes, 50);
	assert_int_equal(jlogged.n, 1);
	snprintf(want, sizeof(want),
		 "lease-file %s: skipped 1 corrupt records, cut 50-byte torn tail", e->path);
	assert_string_equal(jlogged.last, want);
	env_free(e);
}

/* The write-error warning: the first error, then at most one every 10 s
 * with the count since the last one. */
static void
test_journal_write_error_warning(void **state)
{
	struct dhcp_jwarn w = {0};
	struct srv_env *e;
	uint8_t mac[6] = {2, 0, 0, 0, 9, 0};
	uint64_t n = 0;

	(void)state;
	assert_true(dhcp_jwarn_due(&w, 5000000, &n));
	assert_int_equal(n, 1);
	assert_false(dhcp_jwarn_due(&w, 5000001, &n));
	assert_false(dhcp_jwarn_due(&w, 14999999, &n));
	assert_true(dhcp_jwarn_due(&w, 15000000, &n));
	assert_int_equal(n, 3);
	assert_false(dhcp_jwarn_due(&w, 20000000, &n));
	assert_true(dhcp_jwarn_due(&w, 40000000, &n));
	assert_int_equal(n, 2);

	/* a full disk under the journal: one line for a burst of failed
	 * batches, naming the file and the error; one when it writes again */
	e = env_new(storm_yaml, true);
	fault_install();
	fault.space = 0;
	jlogged.n = 0;
	for (int i = 0; i < 20; i++) {
		mac[5] = (uint8_t)i;
		assert_int_equal(dora_maybe(e, mac, NOW), 0);
	}
	assert_int_equal(e->db.write_errors, 20);
	assert_int_equal(jlogged.n, 1);
	assert_non_null(strstr(jlogged.last, e->path));
	assert_non_null(strstr(jlogged.last, "cannot write the journal: No space left on device"));
	fault.space = -1;
	mac[5] = 100;
	assert_int_not_equal(dora_maybe(e, mac, NOW), 0);
	assert_int_equal(jlogged.n, 2);
	assert_non_null(strstr(jlogged.last, "written again after 20 failed batches"));
	fault_clear();
	dhcp_jio = jio_sys;
	env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_ok),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_long_lease_file),
		cmocka_unit_test(test_conf_lease_file_shared),
		cmocka_unit_test(test_conf_interface_address),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_srv_dora),
		cmocka_unit_test(test_srv_prl_order_and_duplicates),
		cmocka_unit_test(test_srv_pool_exclusions_reservations),
		cmocka_unit_test(test_srv_relay),
		cmocka_unit_test(test_ip_udp_checksums),
		cmocka_unit_test(test_srv_client_id),
		cmocka_unit_test(test_srv_request_states),
		cmocka_unit_test(test_srv_selecting_other_address),
		cmocka_unit_test(test_conf_times),
		cmocka_unit_test(test_journal_replay),
		cmocka_unit_test(test_journal_compaction),
		cmocka_unit_test(test_journal_compaction_not_back_to_back),
		cmocka_unit_test(test_journal_write_errors),
		cmocka_unit_test(test_journal_storm),
		cmocka_unit_test(test_journal_tear_repair),
		cmocka_unit_test(test_journal_one_writer),
		cmocka_unit_test(test_journal_corrupt_counted),
		cmocka_unit_test(test_journal_write_error_warning),
		cmocka_unit_test(test_hold_fifo_wraps_and_bounds),
	};

	jio_sys = dhcp_jio;
	dhcp_jlog = jlog_record;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/nfvd-dhcp-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	srand((unsigned int)getpid());
	int ret = cmocka_run_group_tests(tests, NULL, NULL);

	rmdir(tmpdir);
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the schema v1 loader/validator (chains/model.c): good files
 * load into the expected model; each rule's bad case gives its exact message
 * and position; several errors in one file are all reported.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model.h"
#include "vnf.h"

/* ---- a fake VNF class: optional "port" (a port name), optional "level" ---- */

struct tmod_fake_conf {
	uint16_t port;
	uint32_t level;
};

static int
tmod_fake_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		struct cfg_errors *err)
{
	static const char *const keys[] = {"name", "class", "runtime", "port", "level", NULL};
	struct tmod_fake_conf *c = calloc(1, sizeof(*c));
	int bad = 0;

	if (c == NULL)
		return -ENOMEM;
	c->port = UINT16_MAX;
	bad |= cfg_check_keys(node, keys, err) > 0;
	bad |= nfv_config_get_port(cfg, node, "port", false, &c->port, err) < 0;
	bad |= cfg_get_u32(node, "level", false, 0, 9, &c->level, err) < 0;
	if (bad) {
		free(c);
		return -EINVAL;
	}
	*conf = c;
	return 0;
}

static void
tmod_fake_free(void *conf)
{
	free(conf);
}

static struct vnf_schema tmod_fake_schema = {
	.name = "fake",
	.config_parse = tmod_fake_parse,
	.config_free = tmod_fake_free,
};
VNF_SCHEMA_REGISTER(tmod_fake_schema)

/* ---- harness: one temporary folder and file per case ---- */

struct tmod_case {
	char dir[64];
	char file[96];
	struct nfv_config *cfg;
	struct cfg_errors err;
	int ret;
};

static void
tmod_load(struct tmod_case *c, const char *text)
{
	FILE *f;

	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "/tmp/nfvcfg-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->file, sizeof(c->file), "%s/chain.yaml", c->dir);
	f = fopen(c->file, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	c->ret = nfv_config_load(c->file, &c->cfg, &c->err);
}

static void
tmod_done(struct tmod_case *c)
{
	nfv_config_free(c->cfg);
	cfg_errors_free(&c->err);
	unlink(c->file);
	rmdir(c->dir);
}

/* Each expected message is given without the leading "file:". */
static void
tmod_assert_errors(const struct tmod_case *c, size_t n, ...)
{
	char want[512];
	va_list ap;

	if (c->err.n != n)
		for (size_t i = 0; i < c->err.n; i++)
			print_message("got: %s\n", c->err.msgs[i]);
	assert_int_equal(c->err.n, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%s:%s", c->file, va_arg(ap, const char *));
		assert_string_equal(c->err.msgs[i], want);
	}
	va_end(ap);
	if (n > 0) {
		assert_int_equal(c->ret, -EINVAL);
		assert_null(c->cfg);
	}
}

/* One bad case: the file loads with exactly one error, msg. */
static void
tmod_expect_one(const char *text, const char *msg)
{
	struct tmod_case c;

	tmod_load(&c, text);
	tmod_assert_errors(&c, 1, msg);
	tmod_done(&c);
}

#define TMOD_PORTS          \
	"version: 1\n"      \
	"ports:\n"          \
	"  - name: lan\n"   \
	"    driver: tap\n" \
	"  - name: wan\n"   \
	"    driver: null\n"

/* ---- good files ---- */

static void
test_good_full(void **state)
{
	struct tmod_case c;
	const struct nfv_config *cfg;
	const struct nfv_chain_conf *ch;
	const struct tmod_fake_conf *fc;
	char path[NFV_PATH_MAX + 64];

	(void)state;
	tmod_load(&c, "version: 1\n"
		      "nfvd:\n"
		      "  workers: [1, 2]\n"
		      "  main-lcore: 0\n"
		      "  hugepages: false\n"
		      "  memory: 256\n"
		      "  mbufs: 4095\n"
		      "  socket: /tmp/x.sock\n"
		      "  file-prefix: t1\n"
		      "  stats-interval: 500\n"
		      "ports:\n"
		      "  - name: in\n"
		      "    driver: pcap\n"
		      "    rx-file: in.pcap\n"
		      "    loop: true\n"
		      "  - name: lan\n"
		      "    driver: tap\n"
		      "    mtu: 9000\n"
		      "    mac: 02:00:00:00:00:01\n"
		      "    rx-queues: 2\n"
		      "    rx-desc: 512\n"
		      "  - name: r1\n"
		      "    driver: ring\n"
		      "  - name: sink\n"
		      "    driver: null\n"
		      "    promiscuous: false\n"
		      "  - name: mem\n"
		      "    driver: memif\n"
		      "    socket: /tmp/m.sock\n"
		      "    role: server\n"
		      "    id: 3\n"
		      "vnfs:\n"
		      "  - name: f1\n"
		      "    class: fake\n"
		      "    port: sink\n"
		      "    level: 4\n"
		      "  - name: f2\n"
		      "    class: fake\n"
		      "    runtime: inproc\n"
		      "chains:\n"
		      "  - name: main\n"
		      "    ingress: [in, lan]\n"
		      "    match:\n"
		      "      ethertype: ipv4\n"
		      "      proto: udp\n"
		      "      src: 10.0.0.0/8\n"
		      "      dst: 192.168.0.0/16\n"
		      "      sport: 53\n"
		      "      dport: 1000-2000\n"
		      "      vlan: 10\n"
		      "    vnfs: [f2, f1]\n"
		      "    egress: r1\n"
		      "  - name: back\n"
		      "    ingress: r1\n"
		      "    vnfs: [f1]\n");
	tmod_assert_errors(&c, 0);
	assert_int_equal(c.ret, 0);
	cfg = c.cfg;
	assert_non_null(cfg);
	assert_int_equal(cfg->version, 1);
	assert_int_equal(cfg->daemon.n_workers, 2);
	assert_int_equal(cfg->daemon.workers[1], 2);
	assert_int_equal(cfg->daemon.main_lcore, 0);
	assert_false(cfg->daemon.huge);
	assert_int_equal(cfg->daemon.memory_mb, 256);
	assert_int_equal(cfg->daemon.mbufs, 4095);
	assert_string_equal(cfg->daemon.socket, "/tmp/x.sock");
	assert_string_equal(cfg->daemon.file_prefix, "t1");
	assert_int_equal(cfg->daemon.stats_interval_ms, 500);

	assert_int_equal(cfg->n_ports, 5);
	assert_int_equal(cfg->ports[0].driver, NFV_PORT_PCAP);
	assert_true(cfg->ports[0].loop);
	nfv_config_path(cfg, cfg->ports[0].rx_file, path, sizeof(path));
	snprintf(path + strlen(path), 8, "%s", "");
	{
		char want[NFV_PATH_MAX + 64];

		snprintf(want, sizeof(want), "%s/in.pcap", c.dir);
		assert_string_equal(path, want);
	}
	assert_int_equal(nfv_config_path(cfg, "/abs/x.pcap", path, sizeof(path)), 11);
	assert_string_equal(path, "/abs/x.pcap");
	/* a path that does not fit is refused, never cut */
	assert_int_equal(nfv_config_path(cfg, "/abs/x.pcap", path, 11), -ENAMETOOLONG);
	assert_string_equal(path, "");
	assert_int_equal(cfg->ports[1].driver, NFV_PORT_TAP);
	assert_string_equal(cfg->ports[1].iface, "lan"); /* tap iface defaults to the name */
	assert_int_equal(cfg->ports[1].mtu, 9000);
	assert_true(cfg->ports[1].has_mac);
	assert_int_equal(cfg->ports[1].mac[5], 1);
	assert_int_equal(cfg->ports[1].rx_queues, 2);
	assert_int_equal(cfg->ports[1].rx_desc, 512);
	assert_int_equal(cfg->ports[1].tx_desc, 1024);
	assert_true(cfg->ports[1].promiscuous);
	assert_false(cfg->ports[3].promiscuous);
	assert_false(cfg->ports[3].rx);
	assert_true(cfg->ports[4].server);
	assert_int_equal(cfg->ports[4].memif_id, 3);
	assert_string_equal(cfg->ports[4].path, "/tmp/m.sock");
	assert_int_equal(nfv_config_port(cfg, "sink"), 3);
	assert_int_equal(nfv_config_port(cfg, "nope"), -1);

	assert_int_equal(cfg->n_vnfs, 2);
	assert_ptr_equal(cfg->vnfs[0].schema, &tmod_fake_schema);
	assert_int_equal(cfg->vnfs[0].runtime, NFV_RUNTIME_INPROC);
	fc = cfg->vnfs[0].conf;
	assert_int_equal(fc->port, 3);
	assert_int_equal(fc->level, 4);
	assert_int_equal(nfv_config_vnf(cfg, "f2"), 1);

	assert_int_equal(cfg->n_chains, 2);
	ch = &cfg->chains[0];
	assert_string_equal(ch->name, "main");
	assert_int_equal(ch->n_ingress, 2);
	assert_int_equal(ch->ingress[0], 0);
	assert_int_equal(ch->ingress[1], 1);
	assert_true(ch->has_match);
	assert_int_equal(ch->match.ethertype, 0x0800);
	assert_int_equal(ch->match.proto, 17);
	assert_true(ch->match.has_src);
	assert_int_equal(ch->match.src.len, 8);
	assert_int_equal(ch->match.dst.len, 16);
	assert_int_equal(ch->match.sport_lo, 53);
	assert_int_equal(ch->match.sport_hi, 53);
	assert_int_equal(ch->match.dport_lo, 1000);
	assert_int_equal(ch->match.dport_hi, 2000);
	assert_int_equal(ch->match.vlan, 10);
	assert_int_equal(ch->n_stages, 2);
	assert_int_equal(ch->stages[0], 1);
	assert_int_equal(ch->stages[1], 0);
	assert_int_equal(ch->egress, 2);
	assert_false(cfg->chains[1].has_match);
	assert_int_equal(cfg->chains[1].egress, -1);
	tmod_done(&c);
}

static void
test_good_defaults(void **state)
{
	struct tmod_case c;

	(void)state;
	tmod_load(&c, TMOD_PORTS "vnfs:\n"
				 "  - name: f\n"
				 "    class: fake\n"
				 "chains:\n"
				 "  - name: c\n"
				 "    ingress: lan\n"
				 "    vnfs: [f]\n"
				 "    egress: wan\n");
	tmod_assert_errors(&c, 0);
	assert_int_equal(c.cfg->daemon.n_workers, 0);
	assert_int_equal(c.cfg->daemon.main_lcore, -1);
	assert_true(c.cfg->daemon.huge);
	assert_int_equal(c.cfg->daemon.memory_mb, 512);
	assert_int_equal(c.cfg->daemon.mbufs, 16383);
	assert_string_equal(c.cfg->daemon.socket, "/run/nfvd/nfvd.sock");
	assert_string_equal(c.cfg->daemon.file_prefix, "nfvd");
	assert_int_equal(c.cfg->daemon.stats_interval_ms, 0);
	assert_int_equal(c.cfg->ports[0].rx_queues, 1);
	assert_int_equal(c.cfg->ports[0].rx_desc, 1024);
	assert_int_equal(c.cfg->ports[0].mtu, 0);
	assert_false(c.cfg->ports[0].has_mac);
	assert_int_equal(c.cfg->ports[1].pkt_size, 64);
	assert_false(c.cfg->chains[0].has_match);
	tmod_done(&c);
}

static void
test_driver_names(void **state)
{
	(void)state;
	assert_string_equal(nfv_port_driver_names[NFV_PORT_AF_XDP], "af_xdp");
	assert_string_equal(nfv_port_driver_names[NFV_PORT_VIRTIO_USER], "virtio_user");
	assert_null(nfv_port_driver_names[NFV_PORT_DRIVER_MAX]);
}

/* ---- one bad case per rule ---- */

static void
test_missing_file(void **state)
{
	struct cfg_errors err = {0};
	struct nfv_config *cfg = NULL;

	(void)state;
	assert_int_equal(nfv_config_load("/nonexistent/chain.yaml", &cfg, &err), -ENOENT);
	assert_null(cfg);
	assert_int_equal(err.n, 1);
	assert_string_equal(err.msgs[0],
			    "/nonexistent/chain.yaml: cannot open: No such file or directory");
	cfg_errors_free(&err);
}

static void
test_syntax_error(void **state)
{
	(void)state;
	tmod_expect_one("version: 1\nports:\n  - name: [lan\n",
			"4:1: syntax error: did not find expected ',' or ']' "
			"(while parsing a flow sequence at line 3 column 11)");
}

static void
test_bad_version(void **state)
{
	(void)state;
	tmod_expect_one("version: 2\nports: []\nchains: []\n",
			"1:10: version: schema version 2 is not supported "
			"(this nfvd reads version 1)");
	tmod_expect_one("ports: [{name: p, driver: ring}]\nchains: []\n",
			"1:1: missing required key 'version'");
}

static void
test_not_a_mapping(void **state)
{
	(void)state;
	tmod_expect_one("- a\n- b\n",
			"1:1: a chain file is a mapping with version, ports, vnfs, chains");
}

static void
test_unknown_top_key(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_PORTS "chain: []\nchains: []\n",
			"7:1: chain: unknown key 'chain'; did you mean 'chains'? "
			"(allowed: version, nfvd, ports, vnfs, chains, frr)");
}

static void
test_duplicate_key(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_PORTS "    mtu: 1500\n    mtu: 1400\nchains: []\n",
			"8:5: ports[wan].mtu: duplicate key 'mtu' (first at line 7 column 5)");
}

static void
test_alias_refused(void **state)
{
	(void)state;
	tmod_expect_one(
		"version: 1\n"
		"ports:\n"
		"  - &p\n"
		"    name: lan\n"
		"    driver: tap\n"
		"chains: []\n",
		"3:5: YAML anchors (&p) and aliases are not supported: write the value out");
	tmod_expect_one(
		"version: 1\n"
		"x: &v 1\n",
		"2:4: YAML anchors (&v) and aliases are not supported: write the value out");
}

static void
test_unknown_port_key(void **state)
{
	(void)state;
	tmod_expect_one(
		"version: 1\n"
		"ports:\n"
		"  - name: lan\n"
		"    driver: tap\n"
		"    mut: 1500\n"
		"chains: []\n",
		"5:5: ports[lan].mut: unknown key 'mut'; did you mean 'mtu'? (allowed: name, "
		"driver, rx-queues, rx-desc, tx-desc, mtu, mac, promiscuous, iface)");
}

static void
test_key_of_another_driver(void **state)
{
	(void)state;
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - name: lan\n"
			"    driver: null\n"
			"    socket: /tmp/x\n"
			"chains: []\n",
			"5:5: ports[lan].socket: unknown key 'socket' (allowed: name, driver, "
			"rx-queues, rx-desc, tx-desc, mtu, mac, promiscuous, rx, size)");
}

static void
test_unknown_driver(void **state)
{
	(void)state;
	tmod_expect_one(
		"version: 1\n"
		"ports:\n"
		"  - name: lan\n"
		"    driver: tapp\n"
		"chains: []\n",
		"4:13: ports[lan].driver: unknown value 'tapp'; did you mean 'tap'? (one of: "
		"pci, tap, af_packet, af_xdp, pcap, vhost, virtio_user, memif, ring, null, vxlan, geneve)");
}

static void
test_missing_required(void **state)
{
	(void)state;
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - name: x\n"
			"    driver: af_packet\n"
			"chains: []\n",
			"3:5: ports[x]: missing required key 'iface'");
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - name: v\n"
			"    driver: vhost\n"
			"chains: []\n",
			"3:5: ports[v]: missing required key 'socket'");
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - name: p\n"
			"    driver: pcap\n"
			"chains: []\n",
			"3:5: ports[p]: a pcap port needs rx-file, tx-file or both");
}

static void
test_ranges_and_types(void **state)
{
	(void)state;
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - name: lan\n"
			"    driver: tap\n"
			"    mtu: 10\n"
			"chains: []\n",
			"5:10: ports[lan].mtu: 10 is out of range [68, 9600]");
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - name: lan\n"
			"    driver: tap\n"
			"    rx-desc: 1000\n"
			"chains: []\n",
			"5:14: ports[lan].rx-desc: 1000 is not a power of 2");
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - name: lan\n"
			"    driver: tap\n"
			"    promiscuous: sometimes\n"
			"chains: []\n",
			"5:18: ports[lan].promiscuous: expected true or false, got 'sometimes'");
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - name: lan\n"
			"    driver: tap\n"
			"    mac: 02:00:00:00:01\n"
			"chains: []\n",
			"5:10: ports[lan].mac: expected a MAC address like 02:00:00:00:00:01, got "
			"'02:00:00:00:01'");
	tmod_expect_one("version: 1\n"
			"nfvd:\n"
			"  workers: 1\n"
			"ports:\n"
			"  - name: lan\n"
			"    driver: tap\n"
			"chains: []\n",
			"3:12: nfvd.workers: expected a sequence, got a scalar");
	tmod_expect_one("version: 1\n"
			"ports: {lan: tap}\n"
			"chains: []\n",
			"2:8: ports: expected a sequence, got a mapping");
}

static void
test_bad_names(void **state)
{
	(void)state;
	tmod_expect_one(
		"version: 1\n"
		"ports:\n"
		"  - name: lan.0\n"
		"    driver: tap\n"
		"chains: []\n",
		"3:11: ports[0].name: 'lan.0' is not a valid name (1..15 of A-Z a-z 0-9 _ -)");
}

static void
test_duplicate_names(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: lan\n"
				   "    class: fake\n"
				   "chains: []\n",
			"8:11: vnfs[lan].name: duplicate name 'lan' (names of ports, vnfs and "
			"chains must differ)");
}

static void
test_unknown_class(void **state)
{
	struct tmod_case c;

	(void)state;
	tmod_load(&c, TMOD_PORTS "vnfs:\n"
				 "  - name: f\n"
				 "    class: nosuch\n"
				 "chains: []\n");
	assert_int_equal(c.ret, -EINVAL);
	assert_int_equal(c.err.n, 1);
	/* the list of known classes depends on what is linked in */
	assert_non_null(strstr(c.err.msgs[0], ":9:12: vnfs[f].class: unknown VNF class 'nosuch' "
					      "(known: "));
	assert_non_null(strstr(c.err.msgs[0], "fake"));
	tmod_done(&c);
}

static void
test_class_reports_its_keys(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: f\n"
				   "    class: fake\n"
				   "    level: 12\n"
				   "chains: []\n",
			"10:12: vnfs[f].level: 12 is out of range [0, 9]");
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: f\n"
				   "    class: fake\n"
				   "    port: wna\n"
				   "chains: []\n",
			"10:11: vnfs[f].port: no port named 'wna' (did you mean 'wan'?)");
}

static void
test_missing_references(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: fwd\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: c\n"
				   "    ingress: lan\n"
				   "    vnfs: [fdw]\n",
			"13:12: chains[c].vnfs[0]: no VNF named 'fdw' (did you mean 'fwd'?)");
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: fwd\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: c\n"
				   "    ingress: [lan, lam]\n"
				   "    vnfs: [fwd]\n",
			"12:20: chains[c].ingress[1]: no port named 'lam' (did you mean 'lan'?)");
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: fwd\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: c\n"
				   "    ingress: lan\n"
				   "    vnfs: [fwd]\n"
				   "    egress: internet\n",
			"14:13: chains[c].egress: no port named 'internet'");
}

static void
test_loop_same_vnf_twice(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: a\n"
				   "    class: fake\n"
				   "  - name: b\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: c\n"
				   "    ingress: lan\n"
				   "    vnfs: [a, b, a]\n",
			"15:18: chains[c].vnfs[2]: loop: VNF 'a' appears twice in chain 'c'");
}

static void
test_loop_through_rings(void **state)
{
	(void)state;
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - name: r1\n"
			"    driver: ring\n"
			"  - name: r2\n"
			"    driver: ring\n"
			"vnfs:\n"
			"  - name: f\n"
			"    class: fake\n"
			"chains:\n"
			"  - name: a\n"
			"    ingress: r1\n"
			"    vnfs: [f]\n"
			"    egress: r2\n"
			"  - name: b\n"
			"    ingress: r2\n"
			"    vnfs: [f]\n"
			"    egress: r1\n",
			"11:5: chains[a]: loop: chains feed each other through ring ports: "
			"a -> b -> a");
}

#define TMOD_RING_CHAIN(p) "chains:\n  - {name: c, ingress: [" p "], vnfs: [], egress: " p "}\n"

/* Ring ports with shared: go to another process (nfv-gen): their rings are
 * named, chains through them are no loop, and a bad name is refused with
 * file:line:column. */
static void
test_ring_shared(void **state)
{
	struct tmod_case c;

	(void)state;
	tmod_load(&c, "version: 1\n"
		      "ports:\n"
		      "  - {name: in, driver: ring, shared: nb_a}\n"
		      "  - {name: out, driver: ring, shared: nb_b, rx-desc: 4096}\n"
		      "  - {name: loop, driver: ring}\n"
		      "chains:\n"
		      "  - {name: a, ingress: [in], vnfs: [], egress: out}\n"
		      "  - {name: b, ingress: [out], vnfs: [], egress: in}\n");
	tmod_assert_errors(&c, 0);
	assert_int_equal(c.ret, 0);
	assert_string_equal(c.cfg->ports[0].ring_shared, "nb_a");
	assert_string_equal(c.cfg->ports[1].ring_shared, "nb_b");
	assert_int_equal(c.cfg->ports[1].rx_desc, 4096);
	assert_string_equal(c.cfg->ports[2].ring_shared, "");
	tmod_done(&c);
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - {name: in, driver: ring, shared: \"a/b\"}\n" TMOD_RING_CHAIN("in"),
			"3:38: ports[in].shared: 'a/b': a ring name of letters, digits, '_', '-' or '.'");
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - {name: in, driver: ring, shared: abcdefghijklmnopqrstuvwxy}\n"
				TMOD_RING_CHAIN("in"),
			"3:38: ports[in].shared: too long (25 characters, at most 24)");
	tmod_expect_one("version: 1\n"
			"ports:\n"
			"  - {name: in, driver: memif, socket: /tmp/x.sock, shared: x}\n"
				TMOD_RING_CHAIN("in"),
			"3:52: ports[in].shared: unknown key 'shared' (allowed: name, driver, rx-queues, "
			"rx-desc, tx-desc, mtu, mac, promiscuous, socket, role, id)");
}

static void
test_conflicting_chains(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: f\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: one\n"
				   "    ingress: lan\n"
				   "    vnfs: [f]\n"
				   "  - name: two\n"
				   "    ingress: [wan, lan]\n"
				   "    vnfs: [f]\n",
			"14:5: chains[two]: chains 'one' and 'two' both take every packet of port "
			"'lan': give one a match");
}

static void
test_match_errors(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: f\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: c\n"
				   "    ingress: lan\n"
				   "    match:\n"
				   "      src: 10.0.0.1/8\n"
				   "    vnfs: [f]\n",
			"14:12: chains[c].match.src: '10.0.0.1/8': host bits are set (the address "
			"must be the network address)");
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: f\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: c\n"
				   "    ingress: lan\n"
				   "    match:\n"
				   "      proto: tcp\n"
				   "      dport: 2000-1000\n"
				   "    vnfs: [f]\n",
			"15:14: chains[c].match.dport: '2000-1000': range start is above its end");
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: f\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: c\n"
				   "    ingress: lan\n"
				   "    match:\n"
				   "      vlan: 4095\n"
				   "    vnfs: [f]\n",
			"14:13: chains[c].match.vlan: 4095 is out of range [1, 4094]");
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: f\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: c\n"
				   "    ingress: lan\n"
				   "    match:\n"
				   "      proto: udpp\n"
				   "    vnfs: [f]\n",
			"14:14: chains[c].match.proto: unknown protocol 'udpp' (tcp, udp, icmp, "
			"icmpv6, sctp or 0..255)");
	tmod_expect_one(TMOD_PORTS "vnfs:\n"
				   "  - name: f\n"
				   "    class: fake\n"
				   "chains:\n"
				   "  - name: c\n"
				   "    ingress: lan\n"
				   "    match:\n"
				   "      port: 80\n"
				   "    vnfs: [f]\n",
			"14:7: chains[c].match.port: unknown key 'port'; did you mean 'sport'? "
			"(allowed: ethertype, proto, "
			"src, dst, sport, dport, vlan)");
}

static void
test_three_errors_all_reported(void **state)
{
	struct tmod_case c;

	(void)state;
	tmod_load(&c, "version: 1\n"
		      "ports:\n"
		      "  - name: lan\n"
		      "    driver: tap\n"
		      "    mtu: 99999\n"
		      "  - name: wan\n"
		      "    driver: null\n"
		      "    colour: red\n"
		      "vnfs:\n"
		      "  - name: f\n"
		      "    class: fake\n"
		      "chains:\n"
		      "  - name: c\n"
		      "    ingress: lan\n"
		      "    vnfs: [f, g]\n");
	tmod_assert_errors(&c, 3, "5:10: ports[lan].mtu: 99999 is out of range [68, 9600]",
			   "8:5: ports[wan].colour: unknown key 'colour' (allowed: name, driver, "
			   "rx-queues, rx-desc, tx-desc, mtu, mac, promiscuous, rx, size)",
			   "15:15: chains[c].vnfs[1]: no VNF named 'g'");
	tmod_done(&c);
}

/* A port with a bad driver or a VNF of an unknown class is still a known
 * name: what refers to it gets no second, misleading error. */
static void
test_no_knock_on_errors(void **state)
{
	struct tmod_case c;

	(void)state;
	tmod_load(&c, "version: 1\n"
		      "ports:\n"
		      "  - name: lan\n"
		      "    driver: tap\n"
		      "  - name: wan\n"
		      "    driver: wire\n"
		      "vnfs:\n"
		      "  - name: f\n"
		      "    class: nosuch\n"
		      "chains:\n"
		      "  - name: c\n"
		      "    ingress: wan\n"
		      "    vnfs: [f]\n"
		      "    egress: lan\n");
	assert_int_equal(c.ret, -EINVAL);
	if (c.err.n != 2)
		for (size_t i = 0; i < c.err.n; i++)
			print_message("got: %s\n", c.err.msgs[i]);
	assert_int_equal(c.err.n, 2);
	assert_non_null(strstr(c.err.msgs[0], ":6:13: ports[wan].driver: unknown value 'wire'"));
	assert_non_null(strstr(c.err.msgs[1], ":9:12: vnfs[f].class: unknown VNF class 'nosuch'"));
	tmod_done(&c);
}

/* ---- issue 18: strings that reach DPDK, paths, addresses ---- */

#define TMOD_HEAD "version: 1\nchains: []\n"

static void
test_no_ports_refused(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_HEAD "ports: []\n", "3:8: ports: at least one port is needed");
	tmod_expect_one(TMOD_HEAD "ports:\n", "3:7: ports: at least one port is needed");
}

static void
test_port_mac_unicast(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: ring, mac: \"01:00:5e:00:00:01\"}]\n",
			"3:38: ports[p].mac: a multicast address cannot be a port's address");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: ring, mac: \"ff:ff:ff:ff:ff:ff\"}]\n",
			"3:38: ports[p].mac: a multicast address cannot be a port's address");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: ring, mac: \"00:00:00:00:00:00\"}]\n",
			"3:38: ports[p].mac: 00:00:00:00:00:00 is not a port's address");
}

static void
test_devargs_characters_refused(void **state)
{
	(void)state;
	/* the case of the issue: a pcap port made to capture a live interface */
	tmod_expect_one(TMOD_HEAD
			"ports: [{name: p, driver: pcap, rx-file: \"/x/none.pcap,iface=hcv1\"}]\n",
			"3:42: ports[p].rx-file: ',' not allowed here (DPDK device arguments are "
			"split at it): '/x/none.pcap,iface=hcv1'");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: pcap, tx-file: \"a=b\"}]\n",
			"3:42: ports[p].tx-file: '=' not allowed here (DPDK device arguments are "
			"split at it): 'a=b'");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: tap, iface: \"t0,x=1\"}]\n",
			"3:39: ports[p].iface: ',' not allowed here (DPDK device arguments are "
			"split at it): 't0,x=1'");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: af_packet, iface: \"e\\x01\"}]\n",
			"3:45: ports[p].iface: control character 0x01 not allowed here");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: vhost, socket: \"/s,iface=x\"}]\n",
			"3:42: ports[p].socket: ',' not allowed here (DPDK device arguments are "
			"split at it): '/s,iface=x'");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: memif, socket: \"/s=1\"}]\n",
			"3:42: ports[p].socket: '=' not allowed here (DPDK device arguments are "
			"split at it): '/s=1'");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: af_xdp, iface: e0, xdp-prog: \"x,y\"}]\n",
			"3:56: ports[p].xdp-prog: ',' not allowed here (DPDK device arguments are "
			"split at it): 'x,y'");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: pci, devargs: \"eth0,x=1\"}]\n",
			"3:41: ports[p].devargs: 'eth0,x=1' does not start with a PCI address like "
			"0000:01:00.0");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: pci, devargs: \"0000:01:00.0 -v\"}]\n",
			"3:41: ports[p].devargs: ' ' not allowed here (DPDK device arguments are "
			"split at it): '0000:01:00.0 -v'");
}

static void
test_file_prefix_refused(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: ring}]\nnfvd: {file-prefix: \"../..\"}\n",
			"4:21: nfvd.file-prefix: '../..': a file prefix is 1..31 of A-Z a-z 0-9 _ "
			"- . and does not start with '.'");
	tmod_expect_one(TMOD_HEAD "ports: [{name: p, driver: ring}]\nnfvd: {file-prefix: a/b}\n",
			"4:21: nfvd.file-prefix: 'a/b': a file prefix is 1..31 of A-Z a-z 0-9 _ "
			"- . and does not start with '.'");
}

static void
test_name_with_nul_refused(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_HEAD "ports: [{name: \"lan\\0x\", driver: ring}]\n",
			"3:16: ports[0]: a NUL character (\\0) is not allowed in a string");
}

static void
test_paths_resolved_and_bounded(void **state)
{
	struct tmod_case c;
	char want[400], longp[300];

	(void)state;
	/* relative paths resolve from the chain file's folder, at load */
	tmod_load(&c, TMOD_HEAD "nfvd: {socket: ctl.sock}\n"
			 "ports:\n"
			 "  - {name: v, driver: vhost, socket: v.sock}\n"
			 "  - {name: m, driver: memif, socket: sub/m.sock}\n"
			 "  - {name: p, driver: pcap, rx-file: in.pcap, tx-file: /abs/out.pcap}\n");
	tmod_assert_errors(&c, 0);
	snprintf(want, sizeof(want), "%s/v.sock", c.dir);
	assert_string_equal(c.cfg->ports[0].path, want);
	snprintf(want, sizeof(want), "%s/sub/m.sock", c.dir);
	assert_string_equal(c.cfg->ports[1].path, want);
	snprintf(want, sizeof(want), "%s/in.pcap", c.dir);
	assert_string_equal(c.cfg->ports[2].rx_file, want);
	assert_string_equal(c.cfg->ports[2].tx_file, "/abs/out.pcap");
	snprintf(want, sizeof(want), "%s/ctl.sock", c.dir);
	assert_string_equal(c.cfg->daemon.socket, want);
	tmod_done(&c);
	/* a unix socket path longer than sun_path: refused, not cut */
	memset(longp, 'a', 120);
	longp[0] = '/';
	longp[120] = '\0';
	snprintf(want, sizeof(want), TMOD_HEAD "ports: [{name: v, driver: vhost, socket: %s}]\n",
		 longp);
	tmod_expect_one(want, "3:42: ports[v].socket: path of 120 characters (at most 107)");
	/* a file path longer than the model keeps once resolved */
	memset(longp, 'b', 250);
	longp[250] = '\0';
	snprintf(want, sizeof(want), TMOD_HEAD "ports: [{name: p, driver: pcap, rx-file: %s}]\n",
		 longp);
	tmod_load(&c, want);
	assert_int_equal(c.err.n, 1);
	assert_non_null(strstr(c.err.msgs[0], ":3:42: ports[p].rx-file: path of "));
	assert_non_null(
		strstr(c.err.msgs[0], " characters once resolved against the chain file's folder "
				      "(at most 255)"));
	tmod_done(&c);
}

/* ---- tunnel ports (vxlan, geneve) ---- */

#define TMOD_UL                                                           \
	"version: 1\n"                                                    \
	"ports:\n"                                                        \
	"  - {name: ul, driver: af_packet, iface: eth0}\n"

static void
test_tunnel_good(void **state)
{
	struct tmod_case c;
	const struct nfv_port_conf *vx, *gv;

	(void)state;
	tmod_load(&c, TMOD_UL
		  "  - {name: vx, driver: vxlan, underlay: ul, local: 192.0.2.1, remote: 192.0.2.2,\n"
		  "     vni: 16777215}\n"
		  "  - {name: ul6, driver: tap, mtu: 9000}\n"
		  "  - {name: gv, driver: geneve, underlay: ul6, local: \"2001:db8::1\",\n"
		  "     remote: \"2001:db8::2\", vni: 0, dst-port: 7000, mtu: 8930,\n"
		  "     next-hop-mac: \"02:00:00:00:00:09\", udp-zero-checksum: true}\n"
		  "chains:\n"
		  "  - {name: c, ingress: vx, vnfs: [], egress: gv}\n");
	tmod_assert_errors(&c, 0);
	assert_int_equal(c.ret, 0);
	vx = &c.cfg->ports[1];
	gv = &c.cfg->ports[3];
	assert_int_equal(vx->driver, NFV_PORT_VXLAN);
	assert_int_equal(vx->underlay, 0);
	assert_int_equal(vx->vni, 16777215);
	assert_int_equal(vx->dst_port, 4789);
	assert_int_equal(vx->mtu, 1450); /* 1500 less 50 */
	assert_int_equal(vx->local.family, AF_INET);
	assert_false(vx->has_next_hop_mac);
	assert_int_equal(gv->driver, NFV_PORT_GENEVE);
	assert_int_equal(gv->underlay, 2);
	assert_int_equal(gv->dst_port, 7000);
	assert_int_equal(gv->mtu, 8930); /* 9000 less 70: exactly fits */
	assert_int_equal(gv->remote.family, AF_INET6);
	assert_true(gv->has_next_hop_mac);
	assert_int_equal(gv->next_hop_mac[5], 9);
	assert_true(gv->udp_zero_csum6);
	assert_int_equal(c.cfg->chains[0].egress, 3);
	tmod_done(&c);
	/* the default geneve port */
	tmod_load(&c, TMOD_UL
		  "  - {name: gv, driver: geneve, underlay: ul, local: 10.0.0.1, remote: 10.0.0.2,\n"
		  "     vni: 1}\n"
		  "chains: []\n");
	tmod_assert_errors(&c, 0);
	assert_int_equal(c.cfg->ports[1].dst_port, 6081);
	tmod_done(&c);
}

static void
test_tunnel_bad_vni(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 16777216}\nchains: []\n",
			"4:85: ports[vx].vni: 16777216 is out of range [0, 16777215]");
	tmod_expect_one(TMOD_UL "  - {name: gv, driver: geneve, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: -1}\nchains: []\n",
			"4:86: ports[gv].vni: expected an integer, got '-1'");
	tmod_expect_one(TMOD_UL "  - {name: gv, driver: geneve, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2}\nchains: []\n",
			"4:5: ports[gv]: missing required field 'vni'");
}

static void
test_tunnel_bad_underlay(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: u1, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 1}\nchains: []\n",
			"4:41: ports[vx].underlay: no port named 'u1' (did you mean 'ul'?)");
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 1}\n"
				"  - {name: vy, driver: vxlan, underlay: vx, local: 10.0.0.1, "
				"remote: 10.0.0.3, vni: 1}\nchains: []\n",
			"5:41: ports[vy].underlay: 'vx' is a tunnel port: the underlay must be a "
			"port with a device (af_packet, af_xdp, pci, tap ...)");
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 1}\nchains: []\n",
			"4:5: ports[vx]: missing required field 'underlay' (the port the tunnel "
			"runs over)");
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 1, rx-desc: 512}\nchains: []\n",
			"4:88: ports[vx].rx-desc: unknown key 'rx-desc' (allowed: name, driver, "
			"mtu, mac, underlay, local, remote, vni, dst-port, next-hop-mac, "
			"udp-zero-checksum)");
}

static void
test_tunnel_mtu(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 1, mtu: 1451}\nchains: []\n",
			"4:93: ports[vx].mtu: inner mtu 1451 does not fit underlay 'ul': its mtu "
			"1500 less 50 bytes of vxlan over IPv4 leaves 1450");
	tmod_expect_one(TMOD_UL "  - {name: gv, driver: geneve, underlay: ul, local: \"fd00::1\", "
				"remote: \"fd00::2\", vni: 1, mtu: 1450}\nchains: []\n",
			"4:96: ports[gv].mtu: inner mtu 1450 does not fit underlay 'ul': its mtu "
			"1500 less 70 bytes of geneve over IPv6 leaves 1430");
	tmod_expect_one("version: 1\nports:\n  - {name: ul, driver: tap, mtu: 100}\n"
			"  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.1, "
			"remote: 10.0.0.2, vni: 1}\nchains: []\n",
			"4:41: ports[vx].underlay: underlay 'ul' has mtu 100: too small for 50 "
			"bytes of vxlan over IPv4 and an inner MTU of at least 68");
}

static void
test_tunnel_same_vni_and_remote(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_UL "  - {name: a, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 5}\n"
				"  - {name: b, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 5}\nchains: []\n",
			"5:84: ports[b].vni: tunnel 'b' has the vni 5, remote and UDP port 4789 "
			"of tunnel 'a' (line 4) over the same underlay: decapsulation could not "
			"tell them apart");
	/* another vni, remote or port tells them apart */
	struct tmod_case c;

	tmod_load(&c, TMOD_UL "  - {name: a, driver: vxlan, underlay: ul, local: 10.0.0.1, "
			      "remote: 10.0.0.2, vni: 5}\n"
			      "  - {name: b, driver: vxlan, underlay: ul, local: 10.0.0.1, "
			      "remote: 10.0.0.3, vni: 5}\n"
			      "  - {name: c, driver: geneve, underlay: ul, local: 10.0.0.1, "
			      "remote: 10.0.0.2, vni: 5}\nchains: []\n");
	tmod_assert_errors(&c, 0);
	tmod_done(&c);
}

static void
test_tunnel_bad_addresses(void **state)
{
	(void)state;
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.300, "
				"remote: 10.0.0.2, vni: 1}\nchains: []\n",
			"4:52: ports[vx].local: '10.0.0.300': expected an address or prefix like "
			"10.0.0.0/8 or 2001:db8::/32");
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.0/24, vni: 1}\nchains: []\n",
			"4:70: ports[vx].remote: '10.0.0.0/24': an address, not a prefix");
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 239.1.1.1, "
				"remote: 10.0.0.2, vni: 1}\nchains: []\n",
			"4:52: ports[vx].local: '239.1.1.1': not one host's address (0/8, 127/8, "
			"multicast, class E and broadcast are refused)");
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: \"::1\", "
				"remote: \"fd00::2\", vni: 1}\nchains: []\n",
			"4:52: ports[vx].local: '::1': not one host's address (::, ::1, multicast "
			"and v4-mapped are refused)");
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: \"fd00::2\", vni: 1}\nchains: []\n",
			"4:70: ports[vx].remote: remote is an IPv6 address and local an IPv4 one: "
			"both must be of one family");
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 1, udp-zero-checksum: true}\nchains: []\n",
			"4:107: ports[vx].udp-zero-checksum: only for an IPv6 underlay (over IPv4 "
			"the UDP checksum is always 0)");
	tmod_expect_one(TMOD_UL "  - {name: vx, driver: vxlan, underlay: ul, local: 10.0.0.1, "
				"remote: 10.0.0.2, vni: 1, next-hop-mac: \"01:00:5e:00:00:01\"}\n"
				"chains: []\n",
			"4:102: ports[vx].next-hop-mac: a multicast address cannot be a next hop's "
			"address");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_no_ports_refused),
		cmocka_unit_test(test_port_mac_unicast),
		cmocka_unit_test(test_devargs_characters_refused),
		cmocka_unit_test(test_file_prefix_refused),
		cmocka_unit_test(test_name_with_nul_refused),
		cmocka_unit_test(test_paths_resolved_and_bounded),
		cmocka_unit_test(test_good_defaults),
		cmocka_unit_test(test_driver_names),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_not_a_mapping),
		cmocka_unit_test(test_unknown_top_key),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_alias_refused),
		cmocka_unit_test(test_unknown_port_key),
		cmocka_unit_test(test_key_of_another_driver),
		cmocka_unit_test(test_unknown_driver),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_ranges_and_types),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_unknown_class),
		cmocka_unit_test(test_class_reports_its_keys),
		cmocka_unit_test(test_missing_references),
		cmocka_unit_test(test_loop_same_vnf_twice),
		cmocka_unit_test(test_loop_through_rings),
		cmocka_unit_test(test_ring_shared),
		cmocka_unit_test(test_conflicting_chains),
		cmocka_unit_test(test_match_errors),
		cmocka_unit_test(test_three_errors_all_reported),
		cmocka_unit_test(test_no_knock_on_errors),
		cmocka_unit_test(test_tunnel_good),
		cmocka_unit_test(test_tunnel_bad_vni),
		cmocka_unit_test(test_tunnel_bad_underlay),
		cmocka_unit_test(test_tunnel_mtu),
		cmocka_unit_test(test_tunnel_same_vni_and_remote),
		cmocka_unit_test(test_tunnel_bad_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

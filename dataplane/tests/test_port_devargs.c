/* SPDX-License-Identifier: BSD-3-Clause
 * The DPDK device name and devargs nfvd gives a port's driver: what the
 * configuration says reaches the PMD (port.c, nfv_port_devargs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_priv.h"

static void
devargs(const struct nfv_port_conf *pc, uint16_t queues, char *name, char *args)
{
	static struct nfv_config cfg;

	assert_int_equal(nfv_port_devargs(&cfg, pc, queues, name, 64, args, 512), 0);
}

/* af_packet ignores the queue set-up's descriptor count: its ring size
 * (framecnt) comes from rx-desc / tx-desc, the larger of the two */
static void
test_af_packet_ring_from_desc(void **state)
{
	struct nfv_port_conf pc;
	char name[64], args[512];

	(void)state;
	memset(&pc, 0, sizeof(pc));
	snprintf(pc.name, sizeof(pc.name), "lan");
	snprintf(pc.iface, sizeof(pc.iface), "veth9");
	pc.driver = NFV_PORT_AF_PACKET;
	pc.rx_desc = 1024;
	pc.tx_desc = 1024;
	devargs(&pc, 2, name, args);
	assert_string_equal(name, "net_af_packet_lan");
	assert_string_equal(args, "iface=veth9,qpairs=2,framecnt=1024");
	pc.rx_desc = 4096;
	devargs(&pc, 1, name, args);
	assert_string_equal(args, "iface=veth9,qpairs=1,framecnt=4096");
	pc.rx_desc = 256;
	pc.tx_desc = 2048;
	devargs(&pc, 1, name, args);
	assert_string_equal(args, "iface=veth9,qpairs=1,framecnt=2048");
}

static void
test_memif_file_socket_client_sizes_rings(void **state)
{
	struct nfv_port_conf pc;
	char name[64], args[512];

	(void)state;
	memset(&pc, 0, sizeof(pc));
	snprintf(pc.name, sizeof(pc.name), "m0");
	snprintf(pc.path, sizeof(pc.path), "/run/x.sock");
	pc.driver = NFV_PORT_MEMIF;
	pc.server = true;
	pc.memif_id = 3;
	devargs(&pc, 1, name, args);
	assert_string_equal(name, "net_memif_m0");
	assert_string_equal(args, "role=server,socket=/run/x.sock,id=3,socket-abstract=no");
	/* a client sizes the rings: rx-desc / tx-desc (log2), at most 8192 */
	pc.server = false;
	pc.rx_desc = 1024;
	pc.tx_desc = 1024;
	devargs(&pc, 1, name, args);
	assert_string_equal(args, "role=client,socket=/run/x.sock,id=3,socket-abstract=no,rsize=10");
	pc.rx_desc = 4096;
	devargs(&pc, 1, name, args);
	assert_string_equal(args, "role=client,socket=/run/x.sock,id=3,socket-abstract=no,rsize=12");
	pc.rx_desc = 16384;
	devargs(&pc, 1, name, args);
	assert_string_equal(args, "role=client,socket=/run/x.sock,id=3,socket-abstract=no,rsize=13");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_af_packet_ring_from_desc),
		cmocka_unit_test(test_memif_file_socket_client_sizes_rings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the "vm" stage on crafted mbufs: link up sends the burst to the
 * guest's ingress port, link down drops it as "stage-down" or, with
 * on-failure: bypass, lets it through; resume port is the egress NIC.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "engine_priv.h"
#include "vm.h"
#include "test_eal.h"

static struct rte_mempool *pool;
static uint64_t chain_scratch[3];
static struct nfv_worker_rt *wr;

static struct nfv_vnf *
stage_new(uint32_t link_up, bool bypass, struct vm_stage *st)
{
	const struct vnf_class *cls = vnf_class_find("vm");
	struct nfv_vnf *v;

	assert_non_null(cls);
	v = nfv_vnf_new("g", cls);
	assert_non_null(v);
	memset(st, 0, sizeof(*st));
	st->in_port = 3;
	st->out_port = 4;
	st->link_up = link_up;
	st->bypass = bypass;
	v->priv = st;
	return v;
}

static void
burst(struct rte_mbuf **pkts, int n)
{
	for (int i = 0; i < n; i++) {
		pkts[i] = rte_pktmbuf_alloc(pool);
		assert_non_null(pkts[i]);
		rte_pktmbuf_append(pkts[i], 64);
	}
}

static void
reset_worker(void)
{
	memset(wr, 0, sizeof(*wr));
	wr->w.lcore = 1;
	wr->w.eng_ctr = nfv_eng.eng_ctr;
	wr->w.chain_ctr = chain_scratch;
}

static void
test_link_up_sends_to_guest(void **state)
{
	struct rte_mbuf *pkts[3];
	struct vm_stage st;
	struct nfv_vnf *v = stage_new(1, false, &st);

	(void)state;
	reset_worker();
	burst(pkts, 3);
	assert_int_equal(vm_stage_process(v, &wr->w, pkts, 3), 0);
	assert_int_equal(wr->w.tx[3].n, 3);
	assert_ptr_equal(wr->w.tx[3].pkts[0], pkts[0]);
	assert_int_equal(nfv_vnf_counter(v, VM_CTR_TO_GUEST), 3);
	assert_int_equal(wr->w.n_drop, 0);
	rte_pktmbuf_free_bulk(wr->w.tx[3].pkts, wr->w.tx[3].n);
	v->priv = NULL;
	nfv_vnf_free(v);
}

static void
test_link_down_drops_stage_down(void **state)
{
	struct rte_mbuf *pkts[4];
	struct vm_stage st;
	struct nfv_vnf *v = stage_new(0, false, &st);

	(void)state;
	reset_worker();
	burst(pkts, 4);
	assert_int_equal(vm_stage_process(v, &wr->w, pkts, 4), 0);
	assert_int_equal(wr->w.tx[3].n, 0);
	assert_int_equal(wr->w.n_drop, 4);
	assert_int_equal(nfv_vnf_counter(v, VM_CTR_MAX + VM_DROP_STAGE_DOWN), 4);
	assert_string_equal(v->cls->drop_names[VM_DROP_STAGE_DOWN], "stage-down");
	nfv_drop_flush(&wr->w);
	v->priv = NULL;
	nfv_vnf_free(v);
}

static void
test_link_down_bypass_continues(void **state)
{
	struct rte_mbuf *pkts[2];
	struct vm_stage st;
	struct nfv_vnf *v = stage_new(0, true, &st);

	(void)state;
	reset_worker();
	burst(pkts, 2);
	assert_int_equal(vm_stage_process(v, &wr->w, pkts, 2), 2);
	assert_int_equal(wr->w.tx[3].n, 0);
	assert_int_equal(wr->w.n_drop, 0);
	assert_int_equal(nfv_vnf_counter(v, VM_CTR_BYPASSED), 2);
	rte_pktmbuf_free_bulk(pkts, 2);
	v->priv = NULL;
	nfv_vnf_free(v);
}

static void
test_resume_port_is_egress_nic(void **state)
{
	const struct vnf_class *cls = vnf_class_find("vm");
	struct nfv_vm_conf vm;
	uint16_t ports[4];

	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.n_nics = 2;
	vm.nics[0].port = 5;
	vm.nics[1].port = 7;
	vm.ingress = 0;
	vm.egress = 1;
	assert_int_equal(cls->resume_ports(NULL, &vm, ports, 4), 1);
	assert_int_equal(ports[0], 7);
	vm.egress = 0; /* one NIC both ways */
	assert_int_equal(cls->resume_ports(NULL, &vm, ports, 4), 1);
	assert_int_equal(ports[0], 5);
	assert_int_equal(cls->resume_ports(NULL, NULL, ports, 4), 0);
}

static void
test_create_without_spec_fails_readably(void **state)
{
	const struct vnf_class *cls = vnf_class_find("vm");
	struct nfv_vnf *v = nfv_vnf_new("g", cls);
	char err[256] = "";

	(void)state;
	assert_int_equal(cls->create(v, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no guest spec"));
	cls->destroy(v); /* after a failed create: must not crash */
	nfv_vnf_free(v);
}

int
main(void)
{
	const char *eal[] = {"test_vm_stage", "--no-huge", "-m", "128", "--no-pci",
			     "--no-shconf", "-l", "0", "--log-level", "error"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_up_sends_to_guest),
		cmocka_unit_test(test_link_down_drops_stage_down),
		cmocka_unit_test(test_link_down_bypass_continues),
		cmocka_unit_test(test_resume_port_is_egress_nic),
		cmocka_unit_test(test_create_without_spec_fails_readably),
	};

	if (test_eal_init(RTE_DIM(eal), (char **)(uintptr_t)eal) < 0)
		return 1;
	if (nfv_meta_register() < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("tst", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	nfv_eng.eng_ctr = calloc(RTE_MAX_LCORE * NFV_DROP_ENGINE_MAX, sizeof(uint64_t));
	wr = calloc(1, sizeof(*wr));
	if (pool == NULL || nfv_eng.eng_ctr == NULL || wr == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - "vm" stage control path: create/destroy, link watch, stats (the
 * runtime half; the guest spec is parsed by the schema half, vm_conf.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "vm.h"

static const char *const vm_counter_names[] = {VM_COUNTERS(VNF_NAME)};
static const char *const vm_drop_names[] = {VM_DROPS(VNF_NAME)};
static const char *const vm_drop_descs[] = {VM_DROPS(VNF_DESC)};

static void
vm_link_poll(struct nfv_vnf *vnf, uint64_t now_ms)
{
	struct vm_stage *st = vnf->priv;
	struct rte_eth_link a, b;
	uint32_t up;

	if (rte_eth_link_get_nowait(st->in_port, &a) != 0 ||
	    rte_eth_link_get_nowait(st->out_port, &b) != 0)
		up = 0;
	else
		up = a.link_status == RTE_ETH_LINK_UP && b.link_status == RTE_ETH_LINK_UP;
	if (up != __atomic_load_n(&st->link_up, __ATOMIC_RELAXED)) {
		__atomic_store_n(&st->link_up, up, __ATOMIC_RELEASE);
		st->link_changes++;
		st->last_change_ms = now_ms;
	}
}

static int
vm_create(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	  size_t errlen)
{
	const struct nfv_vm_conf *vm = conf;
	struct vm_stage *st;
	int in, out;

	if (vm == NULL) {
		snprintf(err, errlen, "no guest spec: the chain file was not validated");
		return -EINVAL;
	}
	in = nfv_port_id(cfg, vm->nics[vm->ingress].port);
	out = nfv_port_id(cfg, vm->nics[vm->egress].port);
	if (in < 0 || out < 0) {
		snprintf(err, errlen, "guest NIC port %s is not running",
			 cfg->ports[vm->nics[in < 0 ? vm->ingress : vm->egress].port].name);
		return -ENODEV;
	}
	st = rte_zmalloc("vm_stage", sizeof(*st), RTE_CACHE_LINE_SIZE);
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->in_port = (uint16_t)in;
	st->out_port = (uint16_t)out;
	st->bypass = vm->on_failure == NFV_VM_FAIL_BYPASS;
	vnf->priv = st;
	vm_link_poll(vnf, nfv_now_ms());
	return 0;
}

static void
vm_destroy(struct nfv_vnf *vnf)
{
	rte_free(vnf->priv);
	vnf->priv = NULL;
}

static void
vm_tick(struct nfv_vnf *vnf, uint64_t now_ms)
{
	if (vnf->priv != NULL)
		vm_link_poll(vnf, now_ms);
}

static void
vm_stats(struct nfv_vnf *vnf, json_t *out)
{
	const struct nfv_vm_conf *vm = vnf->conf;
	struct vm_stage *st = vnf->priv;

	if (st == NULL || vm == NULL)
		return;
	json_object_set_new(out, "guest",
			    json_pack("{s:s, s:s, s:s, s:I, s:s}", "link",
				      __atomic_load_n(&st->link_up, __ATOMIC_RELAXED) ? "up" :
											"down",
				      "ingress", vm->nics[vm->ingress].name, "egress",
				      vm->nics[vm->egress].name, "link_changes",
				      (json_int_t)st->link_changes, "on_failure",
				      nfv_vm_failure_names[vm->on_failure]));
}

static int
vm_resume_ports(const struct nfv_config *cfg, const void *conf, uint16_t *ports, int max)
{
	const struct nfv_vm_conf *vm = conf;

	(void)cfg;
	if (vm == NULL || max < 1)
		return 0;
	ports[0] = vm->nics[vm->egress].port;
	return 1;
}

static struct vnf_class vm_class = {
	.schema = &nfv_vm_schema,
	.create = vm_create,
	.destroy = vm_destroy,
	.process = vm_stage_process,
	.tick = vm_tick,
	.stats = vm_stats,
	.resume_ports = vm_resume_ports,
	.counter_names = vm_counter_names,
	.n_counters = VM_CTR_MAX,
	.drop_names = vm_drop_names,
	.drop_descs = vm_drop_descs,
	.n_drops = VM_DROP_MAX,
};

VNF_CLASS_REGISTER(vm_class)

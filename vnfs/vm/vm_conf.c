/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the "vm" stage class, schema half: a runtime: vm VNF's "vm:"
 * mapping (the guest spec), and the checks across guests and chains.
 * No DPDK: nfvctl validates offline with it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmconf.h"
#include "vnf.h"

const char *const nfv_vm_accel_names[] = {"auto", "kvm", "tcg", NULL};
const char *const nfv_vm_failure_names[] = {"drop", "bypass", NULL};
static const char *const vm_mode_names[] = {"nfvd", "foreign", NULL};

static const char *const vm_keys[] = {"image", "vcpus", "memory", "nics", "ingress", "egress",
				      "accel", "boot-timeout", "on-failure", "console", "mode",
				      NULL};
static const char *const vm_image_keys[] = {"kernel", "initrd", "cmdline", "disk", NULL};
static const char *const vm_nic_keys[] = {"name", "port", "socket", NULL};

/* Read a file path key, resolve it against the chain file's folder and
 * check that it is readable. */
static int
vm_get_file(const struct nfv_config *cfg, const struct cfg_node *map, const char *key,
	    bool required, char *out, size_t size, struct cfg_errors *err)
{
	int ret;

	ret = nfv_config_get_path(cfg, map, key, required, 0, out, size, err);
	if (ret != 0)
		return ret;
	if (access(out, R_OK) != 0) {
		cfg_error(err, cfg_map_get(map, key), "cannot read %s: %s", out,
			  strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static int
vm_parse_image(const struct nfv_config *cfg, const struct cfg_node *img,
	       struct nfv_vm_conf *vm, struct cfg_errors *err)
{
	int bad = 0;

	if (cfg_expect(img, CFG_MAP, err) < 0)
		return -EINVAL;
	if (cfg_check_keys(img, vm_image_keys, err) > 0)
		bad = 1;
	if (cfg_map_get(img, "disk") != NULL) {
		if (cfg_map_get(img, "kernel") != NULL || cfg_map_get(img, "initrd") != NULL) {
			cfg_error(err, img, "give either disk or kernel (+ initrd), not both");
			return -EINVAL;
		}
		if (vm_get_file(cfg, img, "disk", true, vm->disk, sizeof(vm->disk), err) < 0)
			bad = 1;
	} else {
		if (cfg_map_get(img, "kernel") == NULL) {
			cfg_error(err, img, "needs kernel (with initrd, cmdline) or disk");
			return -EINVAL;
		}
		if (vm_get_file(cfg, img, "kernel", true, vm->kernel, sizeof(vm->kernel), err) < 0)
			bad = 1;
		if (vm_get_file(cfg, img, "initrd", false, vm->initrd, sizeof(vm->initrd), err) < 0)
			bad = 1;
	}
	if (cfg_get_strbuf(img, "cmdline", false, vm->cmdline, sizeof(vm->cmdline), err) < 0)
		bad = 1;
	return bad ? -EINVAL : 0;
}

static int
vm_parse_nic(const struct nfv_config *cfg, const struct cfg_node *n, struct nfv_vm_nic *nic,
	     struct cfg_errors *err)
{
	char port[NFV_NAME_MAX];
	char sock[NFV_PATH_MAX] = "";
	const struct nfv_port_conf *pc;
	int idx, ret;

	if (cfg_expect(n, CFG_MAP, err) < 0)
		return -EINVAL;
	if (cfg_check_keys(n, vm_nic_keys, err) > 0)
		return -EINVAL;
	if (cfg_get_strbuf(n, "name", true, nic->name, sizeof(nic->name), err) < 0)
		return -EINVAL;
	snprintf(port, sizeof(port), "%s", nic->name);
	if (cfg_get_strbuf(n, "port", false, port, sizeof(port), err) < 0)
		return -EINVAL;
	if (cfg_get_strbuf(n, "socket", false, sock, sizeof(sock), err) < 0)
		return -EINVAL;
	idx = nfv_config_port(cfg, port);
	if (idx < 0) {
		cfg_error(err, cfg_map_get(n, "port") ? cfg_map_get(n, "port") : n,
			  "no port named \"%s\" (declare it under ports: with driver: vhost)",
			  port);
		return -EINVAL;
	}
	pc = &cfg->ports[idx];
	if (pc->driver != NFV_PORT_VHOST) {
		cfg_error(err, cfg_map_get(n, "port") ? cfg_map_get(n, "port") : n,
			  "port \"%s\" has driver %s; a guest NIC needs driver: vhost", port,
			  nfv_port_driver_names[pc->driver]);
		return -EINVAL;
	}
	if (sock[0] != '\0') {
		char abs[NFV_PATH_MAX];

		if (nfv_config_path(cfg, sock, abs, sizeof(abs)) < 0)
			abs[0] = '\0';
		if (strcmp(abs, pc->path) != 0 && strcmp(sock, pc->path) != 0) {
			cfg_error(err, cfg_map_get(n, "socket"),
				  "socket %s differs from port \"%s\" socket %s", sock, port,
				  pc->path);
			return -EINVAL;
		}
	}
	if (pc->path[0] == '\0') {
		cfg_error(err, n, "port \"%s\" has no socket (the vhost-user socket)", port);
		return -EINVAL;
	}
	nic->port = (uint16_t)idx;
	ret = snprintf(nic->socket, sizeof(nic->socket), "%s", pc->path);
	return ret < (int)sizeof(nic->socket) ? 0 : -EINVAL;
}

static int
vm_nic_ref(const struct cfg_node *map, const char *key, const struct nfv_vm_conf *vm,
	   uint16_t *out, struct cfg_errors *err)
{
	const char *s;
	int ret;

	ret = cfg_get_str(map, key, false, &s, err);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		if (vm->n_nics == 1) {
			*out = 0;
			return 0;
		}
		cfg_error(err, map, "%s: required with more than one NIC", key);
		return -EINVAL;
	}
	for (uint16_t i = 0; i < vm->n_nics; i++) {
		if (strcmp(vm->nics[i].name, s) == 0) {
			*out = i;
			return 0;
		}
	}
	cfg_error(err, cfg_map_get(map, key), "no NIC named \"%s\" in nics", s);
	return -EINVAL;
}

/* The instance's mapping node: its "vm:" spec; "name" and "class" (the
 * class the guest runs) are read too, the rest is the guest's. */
static int
vm_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **out,
		struct cfg_errors *err)
{
	const struct cfg_node *map = cfg_map_get(node, "vm");
	const struct cfg_node *n;
	struct nfv_vm_conf *vm;
	const char *cls = "";
	uint32_t mem;
	int mode, bad = 0;

	if (map == NULL) {
		cfg_error(err, node, "runtime: vm needs a 'vm:' mapping (image, nics, ...)");
		return -EINVAL;
	}
	if (cfg_expect(map, CFG_MAP, err) < 0)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return -ENOMEM;
	n = cfg_map_get(node, "name");
	if (n != NULL && n->type == CFG_SCALAR)
		snprintf(vm->vnf, sizeof(vm->vnf), "%s", n->scalar);
	n = cfg_map_get(node, "class");
	if (n != NULL && n->type == CFG_SCALAR)
		cls = n->scalar;
	if (cfg_check_keys(map, vm_keys, err) > 0)
		bad = 1;

	n = cfg_map_get(map, "image");
	if (n == NULL) {
		cfg_error(err, map, "image: required ({kernel, initrd, cmdline} or {disk})");
		bad = 1;
	} else if (vm_parse_image(cfg, n, vm, err) < 0) {
		bad = 1;
	}

	vm->vcpus = 1;
	if (cfg_get_u16(map, "vcpus", false, 1, 64, &vm->vcpus, err) < 0)
		bad = 1;
	mem = 256;
	if (cfg_get_u32(map, "memory", false, 0, 1u << 20, &mem, err) < 0) {
		bad = 1;
	} else if (mem < NFV_VM_MEMORY_MIN) {
		cfg_error(err, cfg_map_get(map, "memory"),
			  "%u MiB is too small for a guest (at least %u MiB)", mem,
			  NFV_VM_MEMORY_MIN);
		bad = 1;
	}
	vm->memory_mb = mem;

	n = cfg_map_get(map, "nics");
	if (n == NULL) {
		cfg_error(err, map, "nics: required (the guest's vhost-user NICs)");
		bad = 1;
	} else if (cfg_expect(n, CFG_SEQ, err) < 0) {
		bad = 1;
	} else if (n->n == 0 || n->n > NFV_VM_MAX_NICS) {
		cfg_error(err, n, "give 1 to %d NICs", NFV_VM_MAX_NICS);
		bad = 1;
	} else {
		for (size_t i = 0; i < n->n; i++) {
			struct nfv_vm_nic *nic = &vm->nics[vm->n_nics];

			if (vm_parse_nic(cfg, n->items[i], nic, err) < 0) {
				bad = 1;
				continue;
			}
			for (uint16_t k = 0; k < vm->n_nics; k++) {
				if (strcmp(vm->nics[k].name, nic->name) == 0 ||
				    vm->nics[k].port == nic->port) {
					cfg_error(err, n->items[i],
						  "NIC \"%s\" (port \"%s\") is listed twice",
						  nic->name, cfg->ports[nic->port].name);
					bad = 1;
				}
			}
			vm->n_nics++;
		}
	}
	if (!bad) {
		if (vm_nic_ref(map, "ingress", vm, &vm->ingress, err) < 0)
			bad = 1;
		if (vm_nic_ref(map, "egress", vm, &vm->egress, err) < 0)
			bad = 1;
	}

	if (cfg_get_enum(map, "accel", false, nfv_vm_accel_names, (int *)&vm->accel, err) < 0)
		bad = 1;
	vm->boot_timeout_s = 60;
	if (cfg_get_u32(map, "boot-timeout", false, 1, 3600, &vm->boot_timeout_s, err) < 0)
		bad = 1;
	if (cfg_get_enum(map, "on-failure", false, nfv_vm_failure_names,
			 (int *)&vm->on_failure, err) < 0)
		bad = 1;
	/* resolved here so that a path too long is refused with its position */
	if (nfv_config_get_path(cfg, map, "console", false, 0, vm->console, sizeof(vm->console),
				err) < 0)
		bad = 1;
	/* a guest of another class runs nfvd with it; a guest of this class runs
	 * what its image holds */
	mode = (cls[0] != '\0' && strcmp(cls, nfv_vm_schema.name) != 0) ? NFV_VM_MODE_NFVD :
									  NFV_VM_MODE_FOREIGN;
	if (cfg_get_enum(map, "mode", false, vm_mode_names, &mode, err) < 0)
		bad = 1;
	vm->mode = (enum nfv_vm_mode)mode;
	if (vm->mode == NFV_VM_MODE_NFVD && vm->vcpus < 2) {
		cfg_error(err, cfg_map_get(map, "vcpus") ? cfg_map_get(map, "vcpus") : map,
			  "mode nfvd needs vcpus: 2 or more (nfvd's control thread and a "
			  "worker)");
		bad = 1;
	}
	if (vm->mode == NFV_VM_MODE_NFVD && vm->memory_mb < NFV_VM_MEMORY_NFVD_MIN) {
		cfg_error(err, cfg_map_get(map, "memory") ? cfg_map_get(map, "memory") : map,
			  "mode nfvd needs memory: %u or more (hugepages for DPDK)",
			  NFV_VM_MEMORY_NFVD_MIN);
		bad = 1;
	}
	if (vm->mode == NFV_VM_MODE_NFVD && vm->disk[0] == '\0' && vm->kernel[0] != '\0' &&
	    vm->initrd[0] == '\0') {
		cfg_error(err, cfg_map_get(map, "image"),
			  "mode nfvd needs the initrd built by guest/build.sh (nfvd.cpio.gz)");
		bad = 1;
	}
	if (bad) {
		free(vm);
		return -EINVAL;
	}
	*out = vm;
	return 0;
}

static void
vm_config_free(void *conf)
{
	free(conf);
}

static int
vm_config_equal(const void *a, const void *b)
{
	return a != NULL && b != NULL && memcmp(a, b, sizeof(struct nfv_vm_conf)) == 0;
}

const struct nfv_vm_conf *
nfv_vm_conf_of(const struct nfv_config *cfg, uint16_t vnf_idx)
{
	const struct nfv_vnf_conf *vc = &cfg->vnfs[vnf_idx];

	return vc->schema == &nfv_vm_schema ? vc->conf : NULL;
}

int
nfv_vm_chain_of(const struct nfv_config *cfg, uint16_t vnf_idx)
{
	for (uint16_t c = 0; c < cfg->n_chains; c++)
		for (uint16_t s = 0; s < cfg->chains[c].n_stages; s++)
			if (cfg->chains[c].stages[s] == vnf_idx)
				return c;
	return -1;
}

/* Cross checks between guests, and between guests and chains. */
static int
vm_cross_check(const struct nfv_config *cfg, struct cfg_errors *err)
{
	int bad = 0;

	for (uint16_t i = 0; i < cfg->n_vnfs; i++) {
		const struct nfv_vm_conf *a = nfv_vm_conf_of(cfg, i);
		int chain = -1;

		if (a == NULL)
			continue;
		for (uint16_t c = 0; c < cfg->n_chains; c++) {
			const struct nfv_chain_conf *cc = &cfg->chains[c];
			bool in = false;

			for (uint16_t s = 0; s < cc->n_stages; s++)
				in |= cc->stages[s] == i;
			if (in && chain >= 0) {
				cfg_error(err, cc->node,
					  "guest %s is already in chain %s: its NICs can "
					  "serve one chain only",
					  cfg->vnfs[i].name, cfg->chains[chain].name);
				bad = 1;
			} else if (in) {
				chain = c;
			}
			for (uint16_t k = 0; k < cc->n_ingress; k++)
				for (uint16_t n = 0; n < a->n_nics; n++)
					if (cc->ingress[k] == a->nics[n].port) {
						cfg_error(err, cc->node,
							  "port %s is NIC %s of guest %s; it "
							  "cannot be a chain ingress",
							  cfg->ports[a->nics[n].port].name,
							  a->nics[n].name, cfg->vnfs[i].name);
						bad = 1;
					}
		}
		for (uint16_t j = i + 1; j < cfg->n_vnfs; j++) {
			const struct nfv_vm_conf *b = nfv_vm_conf_of(cfg, j);

			if (b == NULL)
				continue;
			for (uint16_t x = 0; x < a->n_nics; x++)
				for (uint16_t y = 0; y < b->n_nics; y++)
					if (a->nics[x].port == b->nics[y].port) {
						cfg_error(err, cfg_map_get(cfg->vnfs[j].node, "vm"),
							  "port %s is already NIC %s of guest %s",
							  cfg->ports[b->nics[y].port].name,
							  a->nics[x].name, cfg->vnfs[i].name);
						bad = 1;
					}
		}
	}
	return bad ? -EINVAL : 0;
}

struct vnf_schema nfv_vm_schema = {
	.name = "vm",
	.help = "a chain stage run by a QEMU guest over vhost-user (runtime: vm)",
	.runtime = "vm",
	.config_parse = vm_config_parse,
	.config_free = vm_config_free,
	.config_equal = vm_config_equal,
	.config_check = vm_cross_check,
};
VNF_SCHEMA_REGISTER(nfv_vm_schema)

/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the "vm:" guest spec of runtime: vm VNFs (vnfs/vm/vm_conf.c):
 * defaults, and one readable file:line:col error per kind of mistake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model.h"
#include "vmconf.h"
#include "vnf.h"

static char dir[] = "/tmp/vmconf.XXXXXX";
static char kernel[300], file[300];

/* ports: g0..g3 vhost, lan af_packet. %s: the vnfs+chains part. */
static int
load(const char *body, struct nfv_config **cfg, struct cfg_errors *err)
{
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	fprintf(f,
		"version: 1\n"
		"ports:\n"
		"  - {name: lan, driver: af_packet, iface: lo}\n"
		"  - {name: g0, driver: vhost, socket: %s/g0.sock}\n"
		"  - {name: g1, driver: vhost, socket: %s/g1.sock}\n"
		"  - {name: g2, driver: vhost, socket: %s/g2.sock}\n"
		"%s",
		dir, dir, dir, body);
	fclose(f);
	memset(err, 0, sizeof(*err));
	err->file = file;
	*cfg = NULL;
	return nfv_config_load(file, cfg, err);
}

static void
expect_error(const char *body, const char *what)
{
	struct nfv_config *cfg;
	struct cfg_errors err;
	char prefix[320];
	bool found = false;

	assert_int_not_equal(load(body, &cfg, &err), 0);
	snprintf(prefix, sizeof(prefix), "%s:", file);
	for (size_t i = 0; i < err.n; i++) {
		if (strstr(err.msgs[i], what) != NULL) {
			found = true;
			/* file:line:col */
			assert_memory_equal(err.msgs[i], prefix, strlen(prefix));
		}
	}
	if (!found) {
		cfg_errors_print(&err, stderr);
		fail_msg("no error containing \"%s\"", what);
	}
	cfg_errors_free(&err);
	nfv_config_free(cfg);
}

static char body[4096];

static const char *
guest(const char *vm_extra, const char *nics, const char *chains)
{
	snprintf(body, sizeof(body),
		 "vnfs:\n"
		 "  - name: br\n"
		 "    class: vm\n"
		 "    runtime: vm\n"
		 "    vm:\n"
		 "      image: {kernel: %s}\n"
		 "      nics: %s\n"
		 "%s"
		 "chains:\n%s",
		 kernel, nics, vm_extra, chains);
	return body;
}

#define TWO_NICS "[{name: eth0, port: g0}, {name: eth1, port: g1}]"
#define CHAIN "  - {name: c, ingress: [lan], vnfs: [br], egress: lan}\n"
#define IN_OUT "      ingress: eth0\n      egress: eth1\n"

static void
test_valid_spec_and_defaults(void **state)
{
	struct nfv_config *cfg;
	struct cfg_errors err;
	const struct nfv_vm_conf *vm;

	(void)state;
	assert_int_equal(load(guest(IN_OUT, TWO_NICS, CHAIN), &cfg, &err), 0);
	vm = nfv_vm_conf_of(cfg, 0);
	assert_non_null(vm);
	assert_string_equal(vm->kernel, kernel);
	assert_int_equal(vm->n_nics, 2);
	assert_int_equal(vm->ingress, 0);
	assert_int_equal(vm->egress, 1);
	assert_int_equal(vm->nics[1].port, 2); /* g1 is the third port */
	assert_non_null(strstr(vm->nics[1].socket, "/g1.sock"));
	assert_int_equal(vm->vcpus, 1);
	assert_int_equal(vm->memory_mb, 256);
	assert_int_equal(vm->boot_timeout_s, 60);
	assert_int_equal(vm->accel, NFV_VM_ACCEL_AUTO);
	assert_int_equal(vm->on_failure, NFV_VM_FAIL_DROP);
	assert_int_equal(vm->mode, NFV_VM_MODE_FOREIGN);
	/* the engine instantiates the vm stage with the spec as conf */
	assert_ptr_equal(cfg->vnfs[0].schema, &nfv_vm_schema);
	assert_ptr_equal(cfg->vnfs[0].conf, vm);
	cfg_errors_free(&err);
	nfv_config_free(cfg);
}

static void
test_one_nic_serves_both_directions(void **state)
{
	const struct nfv_vm_conf *vm;
	struct nfv_config *cfg;
	struct cfg_errors err;

	(void)state;
	assert_int_equal(load(guest("      accel: tcg\n      on-failure: bypass\n",
				    "[{name: g2}]", CHAIN),
			      &cfg, &err),
			 0);
	vm = nfv_vm_conf_of(cfg, 0);
	assert_int_equal(vm->ingress, 0);
	assert_int_equal(vm->egress, 0);
	assert_int_equal(vm->nics[0].port, 3); /* port defaults to name */
	assert_int_equal(vm->accel, NFV_VM_ACCEL_TCG);
	assert_int_equal(vm->on_failure, NFV_VM_FAIL_BYPASS);
	cfg_errors_free(&err);
	nfv_config_free(cfg);
}

static void
test_missing_kernel(void **state)
{
	(void)state;
	snprintf(body, sizeof(body),
		 "vnfs:\n  - {name: br, class: vm, runtime: vm, vm: {image: {kernel: "
		 "/nonexistent/vmlinux}, nics: [{name: g0}]}}\nchains:\n" CHAIN);
	expect_error(body, "cannot read /nonexistent/vmlinux");
}

/* a console or kernel path too long is refused at its position, never cut */
static void
test_long_paths_refused(void **state)
{
	char extra[400], longp[301];

	(void)state;
	memset(longp, 'c', 300);
	longp[300] = '\0';
	snprintf(extra, sizeof(extra), IN_OUT "      console: %s\n", longp);
	expect_error(guest(extra, TWO_NICS, CHAIN), "console: path of ");
	snprintf(body, sizeof(body),
		 "vnfs:\n  - {name: br, class: vm, runtime: vm, vm: {image: {kernel: "
		 "%s}, nics: [{name: g0}]}}\nchains:\n" CHAIN,
		 longp);
	expect_error(body, "kernel: path of ");
}

static void
test_memory_too_small(void **state)
{
	(void)state;
	expect_error(guest(IN_OUT "      memory: 64\n", TWO_NICS, CHAIN), "too small");
}

static void
test_nic_port_not_vhost(void **state)
{
	(void)state;
	expect_error(guest(IN_OUT, "[{name: eth0, port: lan}, {name: eth1, port: g1}]", CHAIN),
		     "needs driver: vhost");
	expect_error(guest(IN_OUT, "[{name: eth0, port: nope}, {name: eth1, port: g1}]", CHAIN),
		     "no port named \"nope\"");
}

static void
test_socket_must_match_port(void **state)
{
	(void)state;
	expect_error(guest(IN_OUT, "[{name: eth0, port: g0, socket: /x.sock}, {name: eth1, port: g1}]",
			   CHAIN),
		     "differs from port");
}

static void
test_ingress_needed_with_two_nics(void **state)
{
	(void)state;
	expect_error(guest("", TWO_NICS, CHAIN), "ingress: required with more than one NIC");
	expect_error(guest("      ingress: eth9\n      egress: eth1\n", TWO_NICS, CHAIN),
		     "no NIC named \"eth9\"");
}

static void
test_unknown_key(void **state)
{
	(void)state;
	expect_error(guest(IN_OUT "      cpus: 2\n", TWO_NICS, CHAIN), "cpus");
}

static void
test_guest_in_two_chains(void **state)
{
	(void)state;
	expect_error(guest(IN_OUT, TWO_NICS,
			   CHAIN "  - {name: d, ingress: [g2], vnfs: [br], egress: lan}\n"),
		     "already in chain c");
}

static void
test_nic_as_chain_ingress(void **state)
{
	(void)state;
	expect_error(guest(IN_OUT, TWO_NICS,
			   CHAIN "  - {name: d, ingress: [g0], vnfs: [], egress: lan}\n"),
		     "cannot be a chain ingress");
}

static void
test_port_in_two_guests(void **state)
{
	(void)state;
	snprintf(body, sizeof(body),
		 "vnfs:\n"
		 "  - {name: a, class: vm, runtime: vm, vm: {image: {kernel: %s}, nics: [{name: g0}]}}\n"
		 "  - {name: b, class: vm, runtime: vm, vm: {image: {kernel: %s}, nics: [{name: g0}]}}\n"
		 "chains:\n"
		 "  - {name: c, ingress: [lan], vnfs: [a], egress: lan}\n",
		 kernel, kernel);
	expect_error(body, "is already NIC g0 of guest a");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_spec_and_defaults),
		cmocka_unit_test(test_one_nic_serves_both_directions),
		cmocka_unit_test(test_missing_kernel),
		cmocka_unit_test(test_memory_too_small),
		cmocka_unit_test(test_long_paths_refused),
		cmocka_unit_test(test_nic_port_not_vhost),
		cmocka_unit_test(test_socket_must_match_port),
		cmocka_unit_test(test_ingress_needed_with_two_nics),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_guest_in_two_chains),
		cmocka_unit_test(test_nic_as_chain_ingress),
		cmocka_unit_test(test_port_in_two_guests),
	};
	FILE *f;
	int ret;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(kernel, sizeof(kernel), "%s/vmlinux", dir);
	snprintf(file, sizeof(file), "%s/vm.yaml", dir);
	f = fopen(kernel, "w");
	if (f == NULL)
		return 1;
	fputs("not a kernel, but readable\n", f);
	fclose(f);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(kernel);
	unlink(file);
	rmdir(dir);
	return ret;
}

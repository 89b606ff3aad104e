/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the VNF provider interface and class registries.
 *
 * A VNF class (router, dhcp, firewall, forward, ...) comes in two halves:
 *
 *   struct vnf_schema  what a chain file may say about an instance: name,
 *                      help, config_parse/free/equal. No DPDK: it lives in
 *                      the class's *_conf.c, registered with
 *                      VNF_SCHEMA_REGISTER(), and is linked by nfvctl (offline
 *                      validation) as well as by nfvd.
 *   struct vnf_class   what runs an instance in nfvd: create, process, punt,
 *                      ... It lives in the class's *_cp.c / *_dp.c,
 *                      registered with VNF_CLASS_REGISTER(), and points to its
 *                      schema (.schema); only nfvd links it.
 *
 * An instance is a struct nfv_vnf made by the engine from a chain file's
 * "vnfs:" entry: the loader finds the entry's schema (vnf_schema_find() by
 * "class", or vnf_schema_for_runtime() by "runtime" when that is not
 * inproc), the engine the runtime half of that schema (vnf_class_of()).
 *
 * Life cycle of an instance (the OVS netdev-provider model):
 *
 *   config_parse  (schema) any thread, also in nfvctl (no DPDK running).
 *                 Reads the instance's YAML mapping into a private conf
 *                 struct. Every problem is reported with
 *                 cfg_error(err, node, ...) so the user sees file:line:col
 *                 and the field. Must not touch DPDK. Returns 0 or -EINVAL.
 *   config_free   (schema) frees what config_parse returned. NULL-safe.
 *   config_check  (schema) optional: called once per schema after the whole
 *                 file is loaded (ports, vnfs, chains) without error, for
 *                 what spans instances and chains (e.g. a guest NIC used
 *                 as a chain ingress). Returns 0 or -EINVAL after cfg_error.
 *   create        control thread. Builds the instance state (vnf->priv)
 *                 from conf. May fail: return -errno and write a readable
 *                 reason into err. On failure the engine calls destroy.
 *                 cfg is valid only during the call (resolve port names to
 *                 DPDK port ids with nfv_port_id() now; keep no pointer).
 *                 conf stays valid until destroy (the instance owns it).
 *   destroy       control thread. Never fails, and must work after a
 *                 partial create (vnf->priv may be NULL or half built).
 *                 Called only after a grace period: no worker still sees
 *                 the instance.
 *   process       worker lcores, lock-free, no malloc, no syscalls, no
 *                 logging. Gets a burst; returns how many packets continue
 *                 to the next stage, compacted at the front of pkts[]. Every
 *                 other packet must have been handed to nfv_tx(),
 *                 nfv_drop() or nfv_punt() (dataplane/nfv.h).
 *   reconfigure   control thread, optional. Apply a new conf to a running
 *                 instance (same name and class in a new chain file):
 *                 build new tables aside, publish with one atomic pointer
 *                 store, rte_rcu_qsbr_synchronize(nfv_rcu(), ...), free the
 *                 old. On failure nothing may have changed. Without it, an
 *                 apply that changes the conf creates a fresh instance.
 *   can_reconfigure  control thread, optional. false when reconfigure
 *                 cannot take old -> new (e.g. other ports): the apply then
 *                 creates a fresh instance instead.
 *   punt          control thread. Receives packets the worker sent with
 *                 nfv_punt(); owns the mbuf (free it or send it with
 *                 nfv_ctl_tx()).
 *   tick          control thread, every ~10 ms: timers, aging, journals.
 *   wait_fds      control thread, optional: the descriptors poll/tick read
 *                 (a routing daemon's socket, a tap). Fills at most max
 *                 entries (fd, events), returns how many. The control loop
 *                 sleeps in poll() on them (and its own) once idle, for at
 *                 most a tick: what arrives on them is handled at once.
 *   poll          control thread, optional, every pass of the control loop
 *                 (thousands per second while work comes), after the
 *                 punted packets of the pass: finish work done
 *                 asynchronously or per burst (a journal commit and the
 *                 replies waiting on it). Returns how much is still in
 *                 flight; while any instance has some, the control loop
 *                 polls every 10 us instead of every 50-500.
 *   stats         control thread: add class-specific fields to a JSON
 *                 object. Per-lcore counters declared below are summed by
 *                 the engine and need no code.
 *   ctl           control thread: class commands from nfvctl
 *                 (e.g. "route-add"), JSON in and out. Returns 0 or -errno
 *                 with err filled.
 *   resume_ports  optional: ports on which packets re-enter the chain after
 *                 this stage (a VM stage's egress NIC). Returns the count.
 */
#ifndef NFV_VNF_H
#define NFV_VNF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cfg.h"

struct pollfd;
struct rte_mbuf;
struct nfv_config;
struct nfv_vnf;
struct nfv_worker;

/* The schema half: DPDK-free, linked by nfvctl and nfvd. */
struct vnf_schema {
	const char *name;
	const char *help; /* one line for "nfvctl classes" and docs */
	/* Optional: the value of a VNF's "runtime" key (other than inproc) for
	 * which nfvd runs this class in place of the VNF's own class, e.g. the
	 * "vm" stage for runtime: vm (the guest runs the VNF's class). */
	const char *runtime;

	int (*config_parse)(const struct nfv_config *cfg, const struct cfg_node *node,
			    void **conf, struct cfg_errors *err);
	void (*config_free)(void *conf);
	/* Optional: 1 if two confs are equal (apply keeps the instance as is). */
	int (*config_equal)(const void *a, const void *b);
	/* Optional: checks across instances and chains, once the file is loaded. */
	int (*config_check)(const struct nfv_config *cfg, struct cfg_errors *err);
	/* Optional: the addresses an instance's interfaces own (router, dhcp),
	 * for other classes' config_check (a firewall's NAT pool must not
	 * overlap one; its masquerade address must be one). cb is called once
	 * per address: port = config port index, family AF_INET/AF_INET6,
	 * addr in network order (4 or 16 bytes), plen its prefix length. */
	void (*addresses)(const void *conf,
			  void (*cb)(void *ctx, uint16_t port, int family, const void *addr,
				     uint8_t plen),
			  void *ctx);

	/* registry link */
	struct vnf_schema *next;
};

/* The runtime half: nfvd only. */
struct vnf_class {
	const struct vnf_schema *schema; /* the class's schema half (required) */
	const char *name;		 /* = schema->name, set by vnf_class_register */

	int (*create)(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf,
		      char *err, size_t errlen);
	void (*destroy)(struct nfv_vnf *vnf);
	uint16_t (*process)(struct nfv_vnf *vnf, struct nfv_worker *w,
			    struct rte_mbuf **pkts, uint16_t n);
	int (*reconfigure)(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf,
			   char *err, size_t errlen);
	bool (*can_reconfigure)(const void *old_conf, const void *new_conf);
	void (*punt)(struct nfv_vnf *vnf, struct rte_mbuf *m);
	void (*tick)(struct nfv_vnf *vnf, uint64_t now_ms);
	unsigned int (*poll)(struct nfv_vnf *vnf);
	unsigned int (*wait_fds)(struct nfv_vnf *vnf, struct pollfd *pfd, unsigned int max);
	void (*stats)(struct nfv_vnf *vnf, json_t *out);
	int (*ctl)(struct nfv_vnf *vnf, const char *cmd, json_t *args, json_t **result,
		   char *err, size_t errlen);
	int (*resume_ports)(const struct nfv_config *cfg, const void *conf, uint16_t *ports,
			    int max);

	/* Per-lcore counters (summed on read) and drop reasons; both from the
	 * class's X-macro lists. nfv_count() / nfv_drop() index them. */
	const char *const *counter_names;
	uint16_t n_counters;
	const char *const *drop_names;
	uint16_t n_drops;
	/* Optional: each drop reason's one-line meaning (VNF_DESC of the same
	 * list), for nfvctl drops and trace. */
	const char *const *drop_descs;

	/* Optional (nfvctl trace show, on the control thread): what a %r
	 * conversion in one of the class's trace notes stands for, resolved
	 * from the note's args a[0..n) when the trace is shown (e.g. the
	 * router's route that covers an address: its FIB gives a worker the
	 * adjacency only). Writes buf; returns the number of args it took. */
	unsigned int (*trace_conv)(struct nfv_vnf *vnf, const uint64_t *a, unsigned int n,
				   char *buf, size_t len);

	/* 1 if process() does not read nfv_meta()->chain / in_port: a chain
	 * whose stages all say so skips filling them (a write per packet to
	 * the mbuf's second cache line, measured at ~40% of a forward chain). */
	int no_meta;

	/* 1 if process() picks each packet's egress: every packet it returns
	 * has nfv_meta()->out_port set (a router). What leaves such a chain
	 * goes to each packet's out_port (the chain's egress unless a stage
	 * picked another; dropped as no-egress when neither). May be combined
	 * with no_meta: the engine then fills out_port only for packets that
	 * resume the chain behind such a stage. */
	int sets_out_port;

	/* registry link */
	const struct vnf_class *next;
};

void vnf_schema_register(struct vnf_schema *s);
const struct vnf_schema *vnf_schema_find(const char *name);
/* The schema run for VNFs with "runtime: <runtime>" (vnf_schema.runtime). */
const struct vnf_schema *vnf_schema_for_runtime(const char *runtime);
/* Iterate: first call with NULL. */
const struct vnf_schema *vnf_schema_next(const struct vnf_schema *prev);

void vnf_class_register(struct vnf_class *cls);
const struct vnf_class *vnf_class_find(const char *name);
/* The runtime half of schema s, or NULL (nfvd was built without it). */
const struct vnf_class *vnf_class_of(const struct vnf_schema *s);
/* Iterate: first call with NULL. */
const struct vnf_class *vnf_class_next(const struct vnf_class *prev);

#define VNF_SCHEMA_REGISTER(s)                                                               \
	__attribute__((constructor)) static void vnf_schema_register_##s(void)               \
	{                                                                                    \
		vnf_schema_register(&(s));                                                   \
	}

#define VNF_CLASS_REGISTER(cls)                                                              \
	__attribute__((constructor)) static void vnf_class_register_##cls(void)              \
	{                                                                                    \
		vnf_class_register(&(cls));                                                  \
	}

/* X-macro helpers: #define FOO_DROPS(_) _(BAD_LEN, "bad-length", "meaning") ... then
 *   enum { FOO_DROPS(VNF_ENUM) FOO_DROP_MAX };
 *   static const char *const foo_drop_names[] = { FOO_DROPS(VNF_NAME) };
 *   static const char *const foo_drop_descs[] = { FOO_DROPS(VNF_DESC) };
 * The third field, a drop reason's one-line meaning (nfvctl drops, trace),
 * may be left out (counter lists have none): VNF_DESC then gives "".
 */
#define VNF_ENUM(sym, str, ...) sym,
#define VNF_NAME(sym, str, ...) str,
#define VNF_DESC(sym, str, ...) ("" __VA_ARGS__),

#endif /* NFV_VNF_H */

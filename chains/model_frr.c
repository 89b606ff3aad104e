/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the chain file's "frr:" section: which FRR daemons "nfvctl up"
 * runs beside nfvd (orchestrator/frr.c) and with what configuration.
 *
 *   frr:
 *     daemons: [zebra, bgpd, ospfd]   # zebra always runs (with dplane_fpm_nl)
 *     config: frr.conf                # FRR's own language (or config-text: |)
 *     pathspace: lab                  # FRR -N: vtysh -N lab
 *     fpm: 127.0.0.1:2620             # nfvd's FPM listener zebra connects to
 *
 * Checked here (nfvctl validate, nfvd and nfvctl up alike), each with
 * file:line:col: known and installed daemon names, a readable config file
 * (or text), the pathspace's characters, the FPM address, and that a
 * router listening for FPM (fpm: {listen:}) listens where zebra will
 * connect. FRR's configuration itself is FRR's: nfvctl up has vtysh check
 * it (-C) before starting anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"

const char *const nfv_frr_daemon_names[] = {
	"zebra", "bgpd",  "ospfd",  "ospf6d", "ripd",  "ripngd", "isisd", "pimd",    "ldpd",
	"nhrpd", "eigrpd", "babeld", "sharpd", "pbrd", "staticd", "bfdd", "fabricd", "vrrpd",
	"pathd", NULL};

static const char *const frr_keys[] = {"daemons", "config", "config-text", "pathspace", "run-dir",
				       "fpm", "bin-dir", NULL};

#define FRR_DEFAULT_FPM "127.0.0.1:2620"
#define FRR_DEFAULT_BIN "/usr/lib/frr"

static bool
frr_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Default pathspace: "nfv-" and the chain file's name without its
 * extension, other characters as '_' */
static void
frr_default_pathspace(const struct nfv_config *cfg, char *out, size_t size)
{
	char tmp[NFV_PATH_MAX], *base, *dot;
	size_t n;

	snprintf(tmp, sizeof(tmp), "%s", cfg->file);
	base = basename(tmp);
	dot = strrchr(base, '.');
	if (dot != NULL && dot != base)
		*dot = '\0';
	n = (size_t)snprintf(out, size, "nfv-%.20s", base);
	for (size_t i = 0; i < n && i < size; i++)
		if (!frr_name_char(out[i]))
			out[i] = '_';
}

static int
frr_parse_daemons(struct nfv_frr_conf *f, const struct cfg_node *seq, struct cfg_errors *err)
{
	int rc = 0;

	snprintf(f->daemons[0], NFV_FRR_DAEMON_MAX, "zebra");
	f->n_daemons = 1;
	if (seq == NULL)
		return 0;
	if (cfg_expect(seq, CFG_SEQ, err) != 0)
		return -EINVAL;
	if (seq->n > NFV_FRR_MAX_DAEMONS) {
		cfg_error(err, seq, "%zu daemons, at most %d", seq->n, NFV_FRR_MAX_DAEMONS);
		return -EINVAL;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct cfg_node *d = seq->items[i];
		const char *name, *best = NULL;
		size_t best_d = 3;
		int k;

		if (cfg_node_str(d, &name, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		for (k = 0; nfv_frr_daemon_names[k] != NULL; k++) {
			size_t dist = cfg_edit_distance(name, nfv_frr_daemon_names[k]);

			if (strcmp(name, nfv_frr_daemon_names[k]) == 0)
				break;
			if (dist < best_d) {
				best_d = dist;
				best = nfv_frr_daemon_names[k];
			}
		}
		if (nfv_frr_daemon_names[k] == NULL) {
			if (best != NULL)
				cfg_error(err, d, "no FRR daemon \"%s\" (did you mean %s?)", name,
					  best);
			else
				cfg_error(err, d, "no FRR daemon \"%s\" (zebra, bgpd, ospfd, ospf6d, "
						  "bfdd, staticd, isisd, ripd, ...)",
					  name);
			rc = -EINVAL;
			continue;
		}
		if (strcmp(name, "zebra") == 0)
			continue; /* always first */
		for (uint16_t j = 1; j < f->n_daemons; j++)
			if (strcmp(f->daemons[j], name) == 0) {
				cfg_error(err, d, "daemon %s is listed twice", name);
				rc = -EINVAL;
				goto next;
			}
		if (f->n_daemons < NFV_FRR_MAX_DAEMONS)
			snprintf(f->daemons[f->n_daemons++], NFV_FRR_DAEMON_MAX, "%s", name);
next:;
	}
	return rc;
}

/* Readable without blocking (a FIFO would block), and a regular file */
static const char *
frr_file_unreadable(const char *path)
{
	struct stat sb;
	const char *why = NULL;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return strerror(errno);
	if (fstat(fd, &sb) != 0)
		why = strerror(errno);
	else if (!S_ISREG(sb.st_mode))
		why = "not a regular file";
	else if (sb.st_size > (8 << 20))
		why = "larger than 8 MiB";
	close(fd);
	return why;
}

/* A router VNF with fpm: {listen: X} must listen where zebra connects */
static int
frr_check_fpm(const struct nfv_config *cfg, struct nfv_frr_conf *f, struct cfg_errors *err)
{
	const struct cfg_node *first = NULL;

	for (uint16_t i = 0; i < cfg->n_vnfs; i++) {
		const struct cfg_node *fpm = cfg_map_get(cfg->vnfs[i].node, "fpm");
		const struct cfg_node *l = cfg_map_get(fpm, "listen");

		if (fpm == NULL)
			continue;
		if (l == NULL || l->type != CFG_SCALAR)
			return 0; /* the class reports it, or listens on its default */
		if (strcmp(l->scalar, f->fpm) == 0)
			return 0;
		if (first == NULL)
			first = l;
	}
	if (first != NULL) {
		cfg_error(err, cfg_map_get(f->node, "fpm") ? cfg_map_get(f->node, "fpm") : f->node,
			  "zebra would connect to %s but the router listens on %s (%s:%u:%u)",
			  f->fpm, first->scalar, cfg->file, first->line, first->col);
		return -EINVAL;
	}
	return 0;
}

int
nfv_frr_parse(struct nfv_config *cfg, const struct cfg_node *n, struct cfg_errors *err)
{
	struct nfv_frr_conf *f = &cfg->frr;
	const struct cfg_node *x;
	char why[256];
	int rc = 0;

	memset(f, 0, sizeof(*f));
	f->node = n;
	if (cfg_expect(n, CFG_MAP, err) != 0)
		return -EINVAL;
	if (cfg_check_keys(n, frr_keys, err) > 0)
		rc = -EINVAL;
	f->enabled = true;
	snprintf(f->fpm, sizeof(f->fpm), "%s", FRR_DEFAULT_FPM);
	snprintf(f->bin_dir, sizeof(f->bin_dir), "%s", FRR_DEFAULT_BIN);
	frr_default_pathspace(cfg, f->pathspace, sizeof(f->pathspace));
	if (frr_parse_daemons(f, cfg_map_get(n, "daemons"), err) != 0)
		rc = -EINVAL;
	if (nfv_config_get_path(cfg, n, "bin-dir", false, 0, f->bin_dir, sizeof(f->bin_dir), err) <
	    0)
		rc = -EINVAL;
	for (uint16_t i = 0; rc == 0 && i < f->n_daemons; i++) {
		char bin[NFV_PATH_MAX + NFV_FRR_DAEMON_MAX + 1];

		snprintf(bin, sizeof(bin), "%s/%s", f->bin_dir, f->daemons[i]);
		if (access(bin, X_OK) != 0) {
			int e = errno;

			x = cfg_map_get(n, "daemons");
			for (size_t k = 0; x != NULL && x->type == CFG_SEQ && k < x->n; k++)
				if (x->items[k]->scalar && strcmp(x->items[k]->scalar, f->daemons[i]) == 0)
					x = x->items[k];
			cfg_error(err, x ? x : n,
				  "FRR daemon %s is not installed (%s: %s; Debian package frr)",
				  f->daemons[i], bin, strerror(e));
			rc = -EINVAL;
		}
	}
	x = cfg_map_get(n, "config");
	if (x != NULL && cfg_map_get(n, "config-text") != NULL) {
		cfg_error(err, x, "give config (a file) or config-text, not both");
		rc = -EINVAL;
	} else if (x != NULL) {
		const char *bad;

		if (nfv_config_get_path(cfg, n, "config", true, 0, f->config, sizeof(f->config),
					err) < 0)
			rc = -EINVAL;
		else if ((bad = frr_file_unreadable(f->config)) != NULL) {
			cfg_error(err, x, "cannot read %s: %s", f->config, bad);
			rc = -EINVAL;
		}
	} else if ((x = cfg_map_get(n, "config-text")) != NULL) {
		if (cfg_node_str(x, &f->config_text, err) != 0)
			rc = -EINVAL;
	} else {
		cfg_error(err, n, "frr needs config (an FRR configuration file) or config-text");
		rc = -EINVAL;
	}
	x = cfg_map_get(n, "pathspace");
	if (x != NULL) {
		const char *ps;

		if (cfg_node_str(x, &ps, err) != 0) {
			rc = -EINVAL;
		} else {
			size_t len = strlen(ps);
			bool ok = len > 0 && len < sizeof(f->pathspace);

			for (size_t i = 0; ok && i < len; i++)
				ok = frr_name_char(ps[i]);
			if (!ok) {
				cfg_error(err, x,
					  "pathspace \"%s\": 1 to %zu of A-Z a-z 0-9 _ - (it names "
					  "/var/run/frr/<pathspace>/)",
					  ps, sizeof(f->pathspace) - 1);
				rc = -EINVAL;
			} else {
				snprintf(f->pathspace, sizeof(f->pathspace), "%s", ps);
			}
		}
	}
	if (nfv_config_get_path(cfg, n, "run-dir", false, 0, f->run_dir, sizeof(f->run_dir),
				err) < 0)
		rc = -EINVAL;
	x = cfg_map_get(n, "fpm");
	if (x != NULL) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (x->type != CFG_SCALAR ||
		    nfv_parse_inet_addr(x->scalar, &ss, &len, why, sizeof(why)) < 0 ||
		    strlen(x->scalar) >= sizeof(f->fpm)) {
			cfg_error(err, x, "expected ADDR:PORT (nfvd's FPM listener, e.g. "
					  "127.0.0.1:2620 or [::1]:2620)");
			rc = -EINVAL;
		} else {
			snprintf(f->fpm, sizeof(f->fpm), "%s", x->scalar);
		}
	}
	if (rc == 0)
		rc = frr_check_fpm(cfg, f, err);
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - a shared log of scheduling gaps (see gen_gaplog.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gen_gaplog.h"

void
gen_gaplog_init(struct gen_gaplog *l)
{
	memset(l, 0, sizeof(*l));
	l->magic = GEN_GAPLOG_MAGIC;
}

void
gen_gaplog_put(struct gen_gaplog *l, uint64_t start, uint64_t end)
{
	uint64_t h = l->head;

	l->rec[h % GEN_GAPLOG_N].start = start;
	l->rec[h % GEN_GAPLOG_N].end = end;
	__atomic_store_n(&l->head, h + 1, __ATOMIC_RELEASE);
}

bool
gen_gaplog_last(const struct gen_gaplog *l, uint64_t now, uint64_t min, struct gen_gaplog_rec *out)
{
	uint64_t h = __atomic_load_n(&l->head, __ATOMIC_ACQUIRE);
	uint64_t i, n = h < GEN_GAPLOG_BACK ? h : GEN_GAPLOG_BACK;
	struct gen_gaplog_rec r;

	for (i = 1; i <= n; i++) {
		r = l->rec[(h - i) % GEN_GAPLOG_N];
		if (r.end > now || r.end < r.start)
			continue; /* after the hole (another core's clock), or torn */
		if (r.end - r.start >= min) {
			*out = r;
			return true;
		}
	}
	return false;
}

void
gen_gaplog_sum(const struct gen_gaplog *l, uint64_t from, uint64_t to, uint64_t lossy,
	       struct gen_gaplog_sum *s)
{
	uint64_t h = __atomic_load_n(&l->head, __ATOMIC_ACQUIRE);
	uint64_t i, d, n = h < GEN_GAPLOG_N ? h : GEN_GAPLOG_N;
	struct gen_gaplog_rec r;

	memset(s, 0, sizeof(*s));
	for (i = 1; i <= n; i++) {
		r = l->rec[(h - i) % GEN_GAPLOG_N];
		if (r.end < r.start || r.end < from || r.end > to)
			continue;
		d = r.end - r.start;
		s->count++;
		s->total += d;
		if (d > s->max)
			s->max = d;
		if (d >= lossy)
			s->lossy_count++;
	}
}

struct gen_gaplog *
gen_gaplog_create(const char *path)
{
	struct gen_gaplog *l;
	int fd, err;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, sizeof(*l)) != 0)
		goto err_close;
	l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (l == MAP_FAILED)
		goto err_close;
	close(fd);
	gen_gaplog_init(l);
	return l;
err_close:
	err = errno;
	close(fd);
	errno = err;
	return NULL;
}

const struct gen_gaplog *
gen_gaplog_open(const char *path)
{
	const struct gen_gaplog *l;
	int fd;
	off_t size;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	if (size != (off_t)sizeof(*l)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	l = mmap(NULL, sizeof(*l), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (l == MAP_FAILED)
		return NULL;
	if (l->magic != GEN_GAPLOG_MAGIC) {
		munmap((void *)l, sizeof(*l));
		errno = EINVAL;
		return NULL;
	}
	return l;
}

void
gen_gaplog_unmap(const struct gen_gaplog *l)
{
	if (l)
		munmap((void *)l, sizeof(*l));
}

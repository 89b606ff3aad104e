/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - the lease database's on-disk journal.
 *
 * Below the lease table (dhcp_lease.c): records are encoded from leases,
 * replay applies them with dhcp_db_set(). Every state change that matters
 * after a crash
 * (BOUND, RELEASED, DECLINED, FREE of a bound address) appends a fixed-size
 * CRC-protected record to the pending buffer; dhcp_db_commit() writes the
 * buffer and fdatasyncs once for all of them (group commit), and the caller
 * sends the ACKs only after that.
 *
 * Write errors (ENOSPC, EIO, a short write, a failed fdatasync): every batch
 * is written at db->end, the end of the last whole committed record; a batch
 * that fails is cut back to it (ftruncate) and its records go again, first,
 * with the next batch, so the file is always whole records up to db->end and
 * a record is never appended behind a torn one. If even the ftruncate fails,
 * the next batch (at least as long: it starts with the failed one's records)
 * is written over the torn part. ACKs of a failed batch are dropped.
 *
 * Replay at open applies records in order (last one wins); a torn or corrupt
 * record is skipped to the next whole record behind it (a file written by an
 * older nfvd may hold records behind a tear), a torn tail is cut. Compaction
 * writes a snapshot of the live leases to "<file>.compact" on a thread,
 * appends what was committed meanwhile, fsyncs it, renames it over the
 * journal and fsyncs the directory (until that succeeds no batch commits).
 * A lease file has one writer: an exclusive flock (LOCK_NB) refuses a second
 * process, a list of the journals open in this process a second instance
 * (the new generation of the same instance, made by an apply before the old
 * one goes, takes the file over). Skipped records and write errors are
 * logged (write errors at most once every 10 s).
 * Only DPDK headers used: rte_hash_crc (CRC32C of records), rte_log.
 * Control thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <rte_hash_crc.h>
#include <rte_log.h>

#include "dhcp.h"
#include "dhcp_journal.h"

#define DHCP_JHDR_LEN 16

static void
dhcp_jlog_rte(const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rte_log(RTE_LOG_WARNING, RTE_LOGTYPE_USER1, "dhcp: %s\n", msg);
}

void (*dhcp_jlog)(const char *fmt, ...) = dhcp_jlog_rte;

bool
dhcp_jwarn_due(struct dhcp_jwarn *w, uint64_t now_us, uint64_t *n)
{
	w->count++;
	w->streak++;
	if (w->any && now_us - w->last_us < DHCP_JWARN_GAP_US)
		return false;
	*n = w->count;
	w->count = 0;
	w->last_us = now_us;
	w->any = true;
	w->warned = true;
	return true;
}

/* ---------------- journal buffers ---------------- */

static int
dhcp_buf_add(struct dhcp_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (q == NULL)
			return -ENOMEM;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void
dhcp_buf_free(struct dhcp_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
dhcp_jrec_fill(struct dhcp_jrec *r, const struct dhcp_lease *l)
{
	memset(r, 0, sizeof(*r));
	r->magic = DHCP_JREC_MAGIC;
	r->addr = l->addr;
	r->expire = l->expire;
	r->state = l->state;
	r->key_len = l->key_len;
	memcpy(r->chaddr, l->chaddr, 6);
	memcpy(r->key, l->key, l->key_len);
	r->crc = rte_hash_crc(r, offsetof(struct dhcp_jrec, crc), 0xffffffffu);
}

static ssize_t
dhcp_sys_write_at(int fd, const void *p, size_t n, off_t off)
{
	return pwrite(fd, p, n, off);
}

static int
dhcp_sys_datasync(int fd)
{
	return fdatasync(fd);
}

static int
dhcp_sys_sync(int fd)
{
	return fsync(fd);
}

static int
dhcp_sys_truncate(int fd, off_t len)
{
	return ftruncate(fd, len);
}

static int
dhcp_sys_rename(const char *from, const char *to)
{
	return rename(from, to);
}

struct dhcp_jio dhcp_jio = {
	.write_at = dhcp_sys_write_at,
	.datasync = dhcp_sys_datasync,
	.sync = dhcp_sys_sync,
	.truncate = dhcp_sys_truncate,
	.rename = dhcp_sys_rename,
};

/* All of p at offset off (short writes continued). 0 or -errno. */
static int
dhcp_write_at(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = dhcp_jio.write_at(fd, p, n, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* fsync the directory holding path (after a rename or a create). */
static int
dhcp_dir_sync(const char *path)
{
	char dir[NFV_PATH_MAX];
	int dfd, ret = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (dhcp_jio.sync(dfd) != 0)
		ret = -errno;
	close(dfd);
	return ret;
}

/* Write one batch at db->end (and fdatasync it when sync). On success
 * db->end moves past it; on failure the file is cut back to db->end, so no
 * torn record is left for the next batch to be appended behind. The writer
 * thread runs this while db->busy; the control thread only when not. */
static int
dhcp_batch_write(struct dhcp_db *db, const struct dhcp_buf *b, bool sync)
{
	int ret = 0;

	if (db->dir_unsynced) {
		/* a compaction's rename is not durable yet: nothing written to
		 * the new file may be ACKed before it is */
		ret = dhcp_dir_sync(db->path);
		if (ret == 0)
			db->dir_unsynced = false;
	}
	if (ret == 0)
		ret = dhcp_write_at(db->fd, b->p, b->len, db->end);
	if (ret == 0 && sync && dhcp_jio.datasync(db->fd) != 0)
		ret = -errno;
	if (ret == 0) {
		db->end += b->len;
		return 0;
	}
	/* if this fails too, the retry (which starts with this batch's
	 * records, so it is at least as long) is written over the torn part */
	(void)dhcp_jio.truncate(db->fd, (off_t)db->end);
	return ret;
}

static void
dhcp_header(uint8_t hdr[DHCP_JHDR_LEN])
{
	uint32_t v[2] = {1, sizeof(struct dhcp_jrec)};

	memcpy(hdr, DHCP_JFILE_MAGIC, 8);
	memcpy(hdr + 8, v, 8);
}

/* Append l's record to the pending batch (no-op without a file). */
void
dhcp_journal(struct dhcp_db *db, const struct dhcp_lease *l)
{
	struct dhcp_jrec r;

	if (db->fd < 0)
		return;
	dhcp_jrec_fill(&r, l);
	dhcp_buf_add(&db->pending, &r, sizeof(r));
}

static uint64_t
dhcp_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void *
dhcp_writer_thread(void *arg)
{
	struct dhcp_db *db = arg;
	uint64_t done = 0;

	for (;;) {
		uint64_t req, t0;
		int ret;

		pthread_mutex_lock(&db->mu);
		while (!db->stop && db->seq_req == done)
			pthread_cond_wait(&db->cv, &db->mu);
		/* seq_req only moves for fdatasync batches; "write" batches
		 * never reach this thread */
		req = db->seq_req;
		if (req == done && db->stop) {
			pthread_mutex_unlock(&db->mu);
			return NULL;
		}
		pthread_mutex_unlock(&db->mu);
		t0 = dhcp_mono_us();
		ret = dhcp_batch_write(db, &db->inflight, true);
		t0 = dhcp_mono_us() - t0;
		if (t0 > atomic_load(&db->commit_max_us))
			atomic_store(&db->commit_max_us, t0);
		atomic_store(&db->batch_err, ret);
		atomic_store(&db->seq_done, req);
		done = req;
	}
}

/* force: start now; otherwise an fdatasync batch starts at most every
 * DHCP_COMMIT_GAP_US, or at once when DHCP_COMMIT_FULL records wait: fewer,
 * larger device flushes (each costs the disk a cache flush; at ACK latency
 * of at most 1 ms more). */
static void
dhcp_db_commit_begin(struct dhcp_db *db, bool force)
{
	struct dhcp_buf t;

	if (db->busy || db->pending.len == 0)
		return;
	if (!force && db->writer_on && db->conf->lease_fsync &&
	    db->pending.len < DHCP_COMMIT_FULL * sizeof(struct dhcp_jrec)) {
		uint64_t now = dhcp_mono_us();

		if (now - db->last_commit_us < DHCP_COMMIT_GAP_US)
			return;
		db->last_commit_us = now;
	}
	if (!db->writer_on) {
		/* memory only */
		db->pending.len = 0;
		db->seq_started++;
		atomic_store(&db->seq_done, db->seq_started);
		return;
	}
	t = db->inflight;
	db->inflight = db->pending;
	db->pending = t;
	db->pending.len = 0;
	db->busy = true;
	if (db->handed_off) {
		/* the new generation of this instance has the file: what is
		 * journaled now is not written (its ACKs are dropped; the
		 * clients retry with the new one) */
		atomic_store(&db->batch_err, -ESTALE);
		atomic_store(&db->seq_done, ++db->seq_started);
		return;
	}
	if (!db->conf->lease_fsync) {
		/* lease-sync: write. The batch is in the kernel's page cache when
		 * write() returns: it survives a crash of nfvd (kill -9), not of
		 * the machine. No thread hand-off needed. */
		atomic_store(&db->batch_err, dhcp_batch_write(db, &db->inflight, false));
		atomic_store(&db->seq_done, ++db->seq_started);
		return;
	}
	pthread_mutex_lock(&db->mu);
	db->seq_req = ++db->seq_started;
	pthread_cond_signal(&db->cv);
	pthread_mutex_unlock(&db->mu);
}

void
dhcp_db_commit_start(struct dhcp_db *db)
{
	dhcp_db_commit_begin(db, false);
}

int
dhcp_db_commit_poll(struct dhcp_db *db, uint64_t *seq)
{
	int err;

	if (!db->writer_on) {
		if (db->seq_started == 0 || *seq == db->seq_started)
			return 0;
		*seq = db->seq_started;
		return 1;
	}
	if (!db->busy || atomic_load(&db->seq_done) != db->seq_started)
		return 0;
	db->busy = false;
	*seq = db->seq_started;
	err = atomic_load(&db->batch_err);
	if (err == 0) {
		if (db->wwarn.streak > 0 && db->wwarn.warned)
			dhcp_jlog("lease-file %s: journal written again after %" PRIu64
				  " failed batch%s",
				  db->path, db->wwarn.streak, db->wwarn.streak == 1 ? "" : "es");
		db->wwarn.streak = 0;
		db->wwarn.warned = false;
		db->records += db->inflight.len / sizeof(struct dhcp_jrec);
		db->fsyncs += db->conf->lease_fsync;
		if (db->compacting &&
		    dhcp_buf_add(&db->tail, db->inflight.p, db->inflight.len) != 0) {
			/* the snapshot would miss this batch: give it up */
			db->compact_abort = true;
		}
		db->inflight.len = 0;
		return 1;
	}
	/* the file was cut back to its last whole record: this batch's
	 * records go again, first, with the next one (its ACKs are dropped) */
	db->write_errors++;
	if (err != -ESTALE) {
		uint64_t n;

		/* the control thread (the writer thread only reports), never a
		 * worker; at most one line every 10 s */
		if (dhcp_jwarn_due(&db->wwarn, dhcp_mono_us(), &n))
			dhcp_jlog("lease-file %s: cannot write the journal: %s (%" PRIu64
				  " failed batch%s since the last message, %" PRIu64
				  " in all); their ACKs are dropped, the clients retry",
				  db->path, strerror(-err), n, n == 1 ? "" : "es",
				  db->write_errors);
	}
	if (dhcp_buf_add(&db->inflight, db->pending.p, db->pending.len) == 0) {
		struct dhcp_buf t = db->pending;

		db->pending = db->inflight;
		db->inflight = t;
	}
	db->inflight.len = 0;
	return err;
}

static void
dhcp_db_wait(struct dhcp_db *db)
{
	while (db->busy && atomic_load(&db->seq_done) != db->seq_started) {
		struct timespec ts = {0, 50000};

		nanosleep(&ts, NULL);
	}
}

int
dhcp_db_commit(struct dhcp_db *db)
{
	uint64_t seq = 0;
	int ret = 0, r;

	dhcp_db_wait(db);
	r = dhcp_db_commit_poll(db, &seq);
	if (r < 0)
		ret = r;
	dhcp_db_commit_begin(db, true);
	dhcp_db_wait(db);
	r = dhcp_db_commit_poll(db, &seq);
	if (r < 0)
		ret = r;
	return ret;
}

/* ---------------- open / replay ---------------- */

static bool
dhcp_jrec_ok(const struct dhcp_jrec *r)
{
	return r->magic == DHCP_JREC_MAGIC && r->key_len <= DHCP_KEY_MAX &&
	       r->state <= DHCP_L_DECLINED &&
	       r->crc == rte_hash_crc(r, offsetof(struct dhcp_jrec, crc), 0xffffffffu);
}

/* Offset of the first whole record at or after from, or -1. A tear in the
 * middle of the file (an older nfvd appended behind a failed write) is not
 * a multiple of the record size: scan byte by byte for magic + CRC. */
static off_t
dhcp_resync(int fd, off_t from)
{
	enum { CHUNK = 65536 };
	static uint8_t buf[CHUNK + sizeof(struct dhcp_jrec)];
	const uint32_t magic = DHCP_JREC_MAGIC;

	for (off_t base = from;; base += CHUNK) {
		ssize_t n = pread(fd, buf, sizeof(buf), base);

		if (n < (ssize_t)sizeof(struct dhcp_jrec))
			return -1;
		for (ssize_t i = 0; i < CHUNK && i + (ssize_t)sizeof(struct dhcp_jrec) <= n; i++) {
			struct dhcp_jrec r;

			if (memcmp(buf + i, &magic, sizeof(magic)) != 0)
				continue;
			memcpy(&r, buf + i, sizeof(r));
			if (dhcp_jrec_ok(&r))
				return base + i;
		}
	}
}

static int
dhcp_replay(struct dhcp_db *db, int fd, uint64_t now, char *err, size_t errlen)
{
	uint8_t hdr[DHCP_JHDR_LEN], want[DHCP_JHDR_LEN];
	struct dhcp_jrec r;
	off_t good = DHCP_JHDR_LEN, off = DHCP_JHDR_LEN;
	struct stat sb;
	ssize_t n;

	(void)now;
	dhcp_header(want);
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", db->path, strerror(errno));
		return -errno;
	}
	if (n < (ssize_t)sizeof(hdr)) {
		/* an empty file, or a crash while we wrote the header: anything
		 * else this short is someone's file, never overwritten */
		if (memcmp(hdr, want, (size_t)n) != 0) {
			snprintf(err, errlen,
				 "%s: not an nfvd DHCP lease journal (%zd bytes), refusing to "
				 "overwrite it",
				 db->path, n);
			return -EINVAL;
		}
		if (dhcp_jio.truncate(fd, 0) != 0 ||
		    dhcp_write_at(fd, want, sizeof(want), 0) != 0 || dhcp_jio.sync(fd) != 0) {
			snprintf(err, errlen, "%s: cannot write: %s", db->path, strerror(errno));
			return -errno;
		}
		db->end = DHCP_JHDR_LEN;
		return 0;
	}
	if (memcmp(hdr, want, sizeof(hdr)) != 0) {
		snprintf(err, errlen, "%s: not an nfvd DHCP lease journal (version 1)", db->path);
		return -EINVAL;
	}
	for (;;) {
		int si;

		n = pread(fd, &r, sizeof(r), off);
		if (n < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", db->path, strerror(errno));
			return -errno;
		}
		if (n == (ssize_t)sizeof(r) && !dhcp_jrec_ok(&r)) {
			/* torn or corrupt: go on with the whole records behind it */
			off_t next = dhcp_resync(fd, off + 1);

			if (next < 0)
				break;
			db->corrupt_records += ((uint64_t)(next - off) + sizeof(r) - 1) / sizeof(r);
			off = next;
			continue;
		}
		if (n != (ssize_t)sizeof(r))
			break;
		off += (off_t)sizeof(r);
		good = off;
		db->records++;
		si = dhcp_conf_subnet(db->conf, r.addr);
		if (si < 0)
			continue; /* subnet no longer served: dropped at compaction */
		if (dhcp_db_set(db, (uint16_t)si, r.addr, r.key, r.key_len, r.chaddr, r.state,
				r.expire, false) == NULL) {
			snprintf(err, errlen, "%s: out of memory", db->path);
			return -ENOMEM;
		}
	}
	/* a torn or corrupt tail (crash mid-write) is cut off */
	if (fstat(fd, &sb) == 0 && sb.st_size > good)
		db->torn_tail_bytes = (uint64_t)(sb.st_size - good);
	if (db->corrupt_records > 0 || db->torn_tail_bytes > 0)
		dhcp_jlog("lease-file %s: skipped %" PRIu64 " corrupt records, cut %" PRIu64
			  "-byte torn tail",
			  db->path, db->corrupt_records, db->torn_tail_bytes);
	if (dhcp_jio.truncate(fd, good) != 0 || dhcp_jio.sync(fd) != 0) {
		snprintf(err, errlen, "%s: cannot truncate: %s", db->path, strerror(errno));
		return -errno;
	}
	db->end = (uint64_t)good;
	return 0;
}

/* Remove path if it is a (partial) journal of ours: 0, -EEXIST when it
 * holds something else, or -errno. */
static int
dhcp_unlink_ours(const char *path)
{
	uint8_t hdr[DHCP_JHDR_LEN], want[DHCP_JHDR_LEN];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EEXIST;
	}
	n = pread(fd, hdr, sizeof(hdr), 0);
	close(fd);
	if (n < 0)
		return -errno;
	dhcp_header(want);
	if (memcmp(hdr, want, (size_t)n) != 0)
		return -EEXIST;
	return unlink(path) == 0 ? 0 : -errno;
}
/* ---------------- one writer per lease file ---------------- */

/* Journals open in this process, newest first (the control thread; unit
 * tests may open from other threads). */
static pthread_mutex_t dhcp_open_mu = PTHREAD_MUTEX_INITIALIZER;
static struct dhcp_db *dhcp_open_list;

/* The process holding a flock on (dev, ino), from /proc/locks, or -1. */
static int
dhcp_lock_pid(dev_t dev, ino_t ino)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	int pid = -1;

	if (f == NULL)
		return -1;
	while (pid < 0 && fgets(line, sizeof(line), f) != NULL) {
		char kind[16];
		unsigned int maj, min;
		unsigned long long in;
		int p;

		/* "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; waiters
		 * are "1: -> FLOCK ..." */
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", kind, &p, &maj, &min, &in) ==
			    5 &&
		    strcmp(kind, "FLOCK") == 0 && maj == major(dev) && min == minor(dev) &&
		    in == (unsigned long long)ino)
			pid = p;
	}
	fclose(f);
	return pid;
}

/* Make db (its file open at db->fd) the lease file's one writer: another
 * instance in this process that has it refuses it, the old generation of
 * the same instance hands it over (all it journaled on disk first, then it
 * writes no more), another process holding its flock refuses it. */
static int
dhcp_jnl_lock(struct dhcp_db *db, char *err, size_t errlen)
{
	struct dhcp_db *o;
	int ret = 0;

	pthread_mutex_lock(&dhcp_open_mu);
	for (o = dhcp_open_list; o != NULL; o = o->open_next)
		if (o->dev == db->dev && o->ino == db->ino && !o->handed_off)
			break;
	if (o != NULL && strcmp(o->conf->name, db->conf->name) != 0) {
		snprintf(err, errlen, "lease-file %s is already used by vnf %s (as %s)", db->path,
			 o->conf->name, o->path);
		ret = -EBUSY;
		goto out;
	}
	if (o != NULL) {
		db->lock_fd = fcntl(o->lock_fd, F_DUPFD_CLOEXEC, 0);
		if (db->lock_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "lease-file %s: %s", db->path, strerror(errno));
			goto out;
		}
		/* what the old one committed is in the file the replay reads */
		(void)dhcp_db_commit(o);
		o->handed_off = true;
		db->prev_gen = o;
	} else {
		if (flock(db->fd, LOCK_EX | LOCK_NB) != 0) {
			int pid = errno == EWOULDBLOCK ? dhcp_lock_pid(db->dev, db->ino) : -1;

			ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
			if (ret != -EBUSY)
				snprintf(err, errlen, "lease-file %s: cannot lock it: %s", db->path,
					 strerror(-ret));
			else if (pid > 0)
				snprintf(err, errlen,
					 "lease-file %s is in use by another process (pid %d)",
					 db->path, pid);
			else
				snprintf(err, errlen, "lease-file %s is in use by another process",
					 db->path);
			goto out;
		}
		db->lock_fd = fcntl(db->fd, F_DUPFD_CLOEXEC, 0);
		if (db->lock_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "lease-file %s: %s", db->path, strerror(errno));
			goto out;
		}
	}
	db->registered = true;
	db->open_next = dhcp_open_list;
	dhcp_open_list = db;
out:
	pthread_mutex_unlock(&dhcp_open_mu);
	return ret;
}

static void
dhcp_jnl_unlock(struct dhcp_db *db)
{
	if (!db->registered)
		return;
	pthread_mutex_lock(&dhcp_open_mu);
	for (struct dhcp_db **pp = &dhcp_open_list; *pp != NULL;) {
		struct dhcp_db *o = *pp;

		if (o == db) {
			*pp = o->open_next;
			continue;
		}
		/* an apply that made db's new generation failed: db's old
		 * generation goes on writing */
		if (o == db->prev_gen)
			o->handed_off = false;
		/* db was the old generation of o */
		if (o->prev_gen == db)
			o->prev_gen = NULL;
		pp = &o->open_next;
	}
	pthread_mutex_unlock(&dhcp_open_mu);
	close(db->lock_fd);
	db->lock_fd = -1;
	db->registered = false;
	db->prev_gen = NULL;
}

/* The journal half of dhcp_db_open(): path is not empty. */
int
dhcp_jnl_open(struct dhcp_db *db, const char *path, uint64_t now, char *err, size_t errlen)
{
	char tmp[NFV_PATH_MAX + 16];
	bool created = false;
	int ret;

	snprintf(db->path, sizeof(db->path), "%s", path);
	/* no O_APPEND: every batch is written at db->end */
	db->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (db->fd < 0 && errno == ENOENT) {
		db->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		created = db->fd >= 0;
	}
	if (db->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open lease file %s: %s", path, strerror(errno));
		return ret;
	}
	/* a FIFO or a device would block the replay or never end */
	{
		struct stat sb;

		if (fstat(db->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			snprintf(err, errlen, "lease file %s: not a regular file", path);
			close(db->fd);
			db->fd = -1;
			return -EINVAL;
		}
		db->dev = sb.st_dev;
		db->ino = sb.st_ino;
	}
	/* one writer: before anything is read, written or removed */
	ret = dhcp_jnl_lock(db, err, errlen);
	if (ret != 0) {
		close(db->fd);
		db->fd = -1;
		return ret;
	}
	/* a compaction cut short by a crash left a partial snapshot: the
	 * journal itself is complete. A file of that name that is not ours
	 * is not removed: refused. */
	snprintf(tmp, sizeof(tmp), "%s.compact", path);
	ret = dhcp_unlink_ours(tmp);
	if (ret != 0) {
		snprintf(err, errlen, "%s: %s", tmp,
			 ret == -EEXIST ? "exists and is not an nfvd DHCP lease journal"
					: strerror(-ret));
		goto fail;
	}
	ret = dhcp_replay(db, db->fd, now, err, errlen);
	if (ret != 0)
		goto fail;
	if (created && (ret = dhcp_dir_sync(path)) != 0) {
		snprintf(err, errlen, "%s: cannot sync its directory: %s", path, strerror(-ret));
		goto fail;
	}
	pthread_mutex_init(&db->mu, NULL);
	pthread_cond_init(&db->cv, NULL);
	ret = pthread_create(&db->writer, NULL, dhcp_writer_thread, db);
	if (ret != 0) {
		snprintf(err, errlen, "cannot start the journal writer: %s", strerror(ret));
		pthread_mutex_destroy(&db->mu);
		pthread_cond_destroy(&db->cv);
		ret = -ret;
		goto fail;
	}
	pthread_setname_np(db->writer, "dhcp-journal");
	db->writer_on = true;
	return 0;
fail:
	/* nothing of it stays: the file, its lock, its place in the list */
	close(db->fd);
	db->fd = -1;
	dhcp_jnl_unlock(db);
	return ret;
}

/* The journal half of dhcp_db_close(): the compaction, the writer thread,
 * the file and the record buffers. */
void
dhcp_jnl_close(struct dhcp_db *db)
{
	if (db->compacting) {
		pthread_join(db->thr, NULL);
		db->compacting = false;
	}
	if (db->tmp_fd >= 0) {
		char tmp[NFV_PATH_MAX + 16];

		close(db->tmp_fd);
		snprintf(tmp, sizeof(tmp), "%s.compact", db->path);
		unlink(tmp);
		db->tmp_fd = -1;
	}
	if (db->writer_on) {
		dhcp_db_commit(db);
		pthread_mutex_lock(&db->mu);
		db->stop = true;
		pthread_cond_signal(&db->cv);
		pthread_mutex_unlock(&db->mu);
		pthread_join(db->writer, NULL);
		pthread_mutex_destroy(&db->mu);
		pthread_cond_destroy(&db->cv);
		db->writer_on = false;
	}
	if (db->fd >= 0) {
		close(db->fd);
		db->fd = -1;
	}
	dhcp_jnl_unlock(db);
	dhcp_buf_free(&db->pending);
	dhcp_buf_free(&db->inflight);
	dhcp_buf_free(&db->snap);
	dhcp_buf_free(&db->tail);
}

/* ---------------- compaction ---------------- */

static void *
dhcp_compact_thread(void *arg)
{
	struct dhcp_db *db = arg;
	int ret = dhcp_write_at(db->tmp_fd, db->snap.p, db->snap.len, 0);

	/* the bulk of the flush off the control thread; dhcp_db_compact_poll
	 * fsyncs again after the tail */
	if (ret == 0 && dhcp_jio.sync(db->tmp_fd) != 0)
		ret = -errno;
	atomic_store(&db->thr_done, ret == 0 ? 1 : ret);
	return NULL;
}

int
dhcp_db_compact_start(struct dhcp_db *db, uint64_t now, bool force)
{
	char tmp[NFV_PATH_MAX + 16];
	uint8_t hdr[DHCP_JHDR_LEN];
	int ret;

	if (db->fd < 0 || db->compacting || db->busy || db->handed_off)
		return 0;
	if (!force && (db->records < db->conf->compact_records || db->records < db->compact_floor))
		return 0;
	dhcp_header(hdr);
	db->snap.len = 0;
	db->tail.len = 0;
	db->snap_records = 0;
	db->compact_abort = false;
	if (dhcp_buf_add(&db->snap, hdr, sizeof(hdr)) != 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < db->n; i++) {
		const struct dhcp_lease *l = dhcp_lease_at(db, i);
		struct dhcp_jrec r;

		/* live bindings and quarantines; released ones keep the client's
		 * address preference */
		if (!((l->state == DHCP_L_BOUND || l->state == DHCP_L_DECLINED) &&
		      l->expire > now) &&
		    l->state != DHCP_L_RELEASED)
			continue;
		dhcp_jrec_fill(&r, l);
		if (dhcp_buf_add(&db->snap, &r, sizeof(r)) != 0)
			return -ENOMEM;
		db->snap_records++;
	}
	/* records not on disk yet (a failed batch waiting for its retry) are
	 * in the snapshot but not in the old file: they stay pending and are
	 * appended to whichever file is the journal by then */
	snprintf(tmp, sizeof(tmp), "%s.compact", db->path);
	/* never over someone's file (ours are removed when they fail) */
	db->tmp_fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (db->tmp_fd < 0)
		return -errno;
	/* locked before it is the journal: another process that opens the
	 * lease file after the rename finds it locked */
	if (flock(db->tmp_fd, LOCK_EX | LOCK_NB) != 0) {
		ret = -errno;
		close(db->tmp_fd);
		db->tmp_fd = -1;
		unlink(tmp);
		return ret;
	}
	atomic_store(&db->thr_done, 0);
	ret = pthread_create(&db->thr, NULL, dhcp_compact_thread, db);
	if (ret != 0) {
		close(db->tmp_fd);
		db->tmp_fd = -1;
		unlink(tmp);
		return -ret;
	}
	db->compacting = true;
	return 1;
}

/* The snapshot plus what was committed meanwhile replaces the journal
 * atomically: written and fsynced under a temporary name, renamed over,
 * directory fsynced. Any failure before the rename leaves the old journal
 * (which holds everything) in use and removes the temporary file. */
int
dhcp_db_compact_poll(struct dhcp_db *db)
{
	char tmp[NFV_PATH_MAX + 16];
	int done, ret;

	if (!db->compacting || db->busy)
		return 0;
	done = atomic_load(&db->thr_done);
	if (done == 0)
		return 0;
	pthread_join(db->thr, NULL);
	db->compacting = false;
	snprintf(tmp, sizeof(tmp), "%s.compact", db->path);
	ret = done < 0 ? done : db->compact_abort ? -ENOMEM : 0;
	if (ret == 0)
		ret = dhcp_write_at(db->tmp_fd, db->tail.p, db->tail.len, db->snap.len);
	if (ret == 0 && dhcp_jio.sync(db->tmp_fd) != 0)
		ret = -errno;
	if (ret == 0 && dhcp_jio.rename(tmp, db->path) != 0)
		ret = -errno;
	if (ret != 0) {
		close(db->tmp_fd);
		db->tmp_fd = -1;
		unlink(tmp);
		db->snap.len = 0;
		db->tail.len = 0;
		/* no automatic retry before the journal grew again */
		db->compact_floor = db->records + db->conf->compact_records / 4 + 1;
		return ret;
	}
	/* until the directory is synced the rename may not survive a crash:
	 * batches retry the sync and fail (no ACK) while it fails */
	db->dir_unsynced = dhcp_dir_sync(db->path) != 0;
	close(db->fd);
	db->fd = db->tmp_fd;
	db->tmp_fd = -1;
	/* the lock goes with the file: the new one's (taken at the start) */
	{
		struct stat sb;
		int lfd = fcntl(db->fd, F_DUPFD_CLOEXEC, 0);

		pthread_mutex_lock(&dhcp_open_mu);
		if (lfd >= 0) {
			close(db->lock_fd);
			db->lock_fd = lfd;
		}
		if (fstat(db->fd, &sb) == 0) {
			db->dev = sb.st_dev;
			db->ino = sb.st_ino;
		}
		pthread_mutex_unlock(&dhcp_open_mu);
	}
	db->end = db->snap.len + db->tail.len;
	db->records = db->snap_records + db->tail.len / sizeof(struct dhcp_jrec);
	db->snap.len = 0;
	db->tail.len = 0;
	/* the next one once as many records again were appended as this one
	 * kept, and at least compact-records: with more live bindings than
	 * compact-records the journal was at its threshold right after each
	 * compaction, and one ran every tick (a snapshot of every binding
	 * built on the control thread each time, its disk writes beside) */
	db->compact_floor = db->records + (db->records > db->conf->compact_records
						   ? db->records
						   : db->conf->compact_records);
	db->compactions++;
	return 1;
}

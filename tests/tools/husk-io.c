// SPDX-License-Identifier: Apache-2.0
/*
 * husk-io - block I/O helpers for the virtio rig tests and benchmarks.
 * Static; runs in test guests and on the host.
 *
 *   husk-io gen BYTES SEED             the pseudo-random stream of SEED on
 *                                      stdout (the host regenerates what a
 *                                      guest wrote and compares)
 *   husk-io now                        CLOCK_MONOTONIC in microseconds
 *   husk-io randio PATH read|write SECS [BLOCK]
 *                                      O_DIRECT pread/pwrite of BLOCK bytes
 *                                      (default 4096) at random aligned
 *                                      offsets for SECS seconds; prints
 *                                      "husk-io: randio op=OP bs=N ops=N
 *                                      errors=N ms=N iops=X"
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GEN_CHUNK (64 * 1024)

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t xorshift64s(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The same stream as husk-stream's connection 0 with seed SEED. */
static int cmd_gen(uint64_t bytes, uint64_t seed)
{
	static char buf[GEN_CHUNK];
	uint64_t state = splitmix64(seed) | 1, w;
	size_t n, i, k;

	while (bytes) {
		n = bytes < GEN_CHUNK ? (size_t)bytes : GEN_CHUNK;
		for (i = 0; i < n; i += 8) {
			w = xorshift64s(&state);
			for (k = 0; k < 8 && i + k < n; k++)
				buf[i + k] = (char)(w >> (8 * k));
		}
		if (write_all(STDOUT_FILENO, buf, n)) {
			perror("husk-io: gen: write");
			return 1;
		}
		bytes -= n;
	}
	return 0;
}

static int dev_size(int fd, const char *path, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "husk-io: stat %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0) {
			fprintf(stderr, "husk-io: BLKGETSIZE64 %s: %s\n", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

static int cmd_randio(const char *path, int write_op, uint64_t secs, uint64_t bs)
{
	uint64_t size, blocks, state = 0x5eed, ops = 0, errors = 0, t0, t1, end, off;
	void *buf;
	ssize_t n;
	int fd;

	fd = open(path, (write_op ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "husk-io: open %s O_DIRECT: %s\n", path, strerror(errno));
		return 1;
	}
	if (dev_size(fd, path, &size))
		return 1;
	blocks = size / bs;
	if (!blocks || posix_memalign(&buf, 4096, bs)) {
		fprintf(stderr,
			"husk-io: %s: %" PRIu64 " bytes, too small for %" PRIu64 "-byte blocks "
			"(or out of memory)\n",
			path, size, bs);
		return 1;
	}
	for (uint64_t i = 0; i < bs / 8; i++)
		((uint64_t *)buf)[i] = xorshift64s(&state);
	t0 = now_us();
	end = t0 + secs * 1000000ULL;
	do {
		for (int k = 0; k < 16; k++) {
			off = (xorshift64s(&state) % blocks) * bs;
			n = write_op ? pwrite(fd, buf, bs, (off_t)off) :
				       pread(fd, buf, bs, (off_t)off);
			if (n != (ssize_t)bs && errors++ == 0)
				fprintf(stderr, "husk-io: %s at %" PRIu64 ": %s\n",
					write_op ? "pwrite" : "pread", off,
					n < 0 ? strerror(errno) : "short transfer");
			ops++;
		}
		t1 = now_us();
	} while (t1 < end);
	if (write_op && fsync(fd) < 0)
		fprintf(stderr, "husk-io: fsync %s: %s\n", path, strerror(errno));
	close(fd);
	printf("husk-io: randio op=%s bs=%" PRIu64 " ops=%" PRIu64 " errors=%" PRIu64 " ms=%" PRIu64
	       " iops=%.0f\n",
	       write_op ? "write" : "read", bs, ops, errors, (t1 - t0) / 1000,
	       (double)ops * 1e6 / (double)(t1 - t0));
	return errors ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: husk-io gen BYTES SEED\n"
			"       husk-io now\n"
			"       husk-io randio PATH read|write SECS [BLOCK]\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t a, b = 4096;

	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%" PRIu64 "\n", now_us());
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "gen")) {
		if (parse_u64(argv[2], &a) || parse_u64(argv[3], &b))
			return usage();
		return cmd_gen(a, b);
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "randio")) {
		if (parse_u64(argv[4], &a) || (argc == 6 && parse_u64(argv[5], &b)) || !b ||
		    b % 512 || (strcmp(argv[3], "read") && strcmp(argv[3], "write")))
			return usage();
		return cmd_randio(argv[2], !strcmp(argv[3], "write"), a, b);
	}
	return usage();
}

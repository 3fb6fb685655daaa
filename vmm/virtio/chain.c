// SPDX-License-Identifier: Apache-2.0
/*
 * chain.c - byte-stream cursors over the two sides of a popped chain.
 * All host memory here was resolved and bounds-checked by virtq_pop().
 */
#include <errno.h>
#include <string.h>

#include "vmm/virtio/chain.h"

static void chain_cursor_init(struct chain_cursor *c, const struct iovec *iov, unsigned int nr,
			      size_t total)
{
	c->iov = iov;
	c->nr = nr;
	c->idx = 0;
	c->off = 0;
	c->remaining = total;
	c->done = 0;
}

void chain_reader_init(struct chain_reader *r, const struct virtq_chain *ch)
{
	chain_cursor_init(&r->c, ch->iov, ch->nr_out, ch->out_len);
}

void chain_writer_init(struct chain_writer *w, const struct virtq_chain *ch)
{
	chain_cursor_init(&w->c, ch->iov + ch->nr_out, ch->nr_in, ch->in_len);
}

/*
 * Walk @len bytes from the cursor, calling @fn on each piece (NULL: just
 * skip). The caller has checked @len <= remaining.
 */
static void chain_cursor_walk(struct chain_cursor *c, size_t len,
			      void (*fn)(void *arg, uint8_t *p, size_t n), void *arg)
{
	while (len) {
		const struct iovec *v = &c->iov[c->idx];
		size_t n = v->iov_len - c->off;

		if (n > len)
			n = len;
		if (n && fn)
			fn(arg, (uint8_t *)v->iov_base + c->off, n);
		c->off += n;
		len -= n;
		c->remaining -= n;
		c->done += n;
		if (c->off == v->iov_len && c->idx + 1 < c->nr) {
			c->idx++;
			c->off = 0;
		}
	}
}

static void chain_copy_out(void *arg, uint8_t *p, size_t n)
{
	uint8_t **dst = arg;

	memcpy(*dst, p, n);
	*dst += n;
}

static void chain_copy_in(void *arg, uint8_t *p, size_t n)
{
	const uint8_t **src = arg;

	memcpy(p, *src, n);
	*src += n;
}

int chain_read(struct chain_reader *r, void *buf, size_t len)
{
	uint8_t *dst = buf;

	if (len > r->c.remaining)
		return -EMSGSIZE;
	chain_cursor_walk(&r->c, len, chain_copy_out, &dst);
	return 0;
}

int chain_write(struct chain_writer *w, const void *buf, size_t len)
{
	const uint8_t *src = buf;

	if (len > w->c.remaining)
		return -EMSGSIZE;
	chain_cursor_walk(&w->c, len, chain_copy_in, &src);
	return 0;
}

static int chain_cursor_skip(struct chain_cursor *c, size_t len)
{
	if (len > c->remaining)
		return -EMSGSIZE;
	chain_cursor_walk(c, len, NULL, NULL);
	return 0;
}

int chain_reader_skip(struct chain_reader *r, size_t len)
{
	return chain_cursor_skip(&r->c, len);
}

int chain_writer_skip(struct chain_writer *w, size_t len)
{
	return chain_cursor_skip(&w->c, len);
}

size_t chain_reader_remaining(const struct chain_reader *r)
{
	return r->c.remaining;
}

size_t chain_writer_remaining(const struct chain_writer *w)
{
	return w->c.remaining;
}

size_t chain_reader_done(const struct chain_reader *r)
{
	return r->c.done;
}

size_t chain_writer_done(const struct chain_writer *w)
{
	return w->c.done;
}

struct chain_export {
	struct iovec *out;
	unsigned int nr, max;
};

static void chain_export_one(void *arg, uint8_t *p, size_t n)
{
	struct chain_export *e = arg;

	e->out[e->nr].iov_base = p;
	e->out[e->nr].iov_len = n;
	e->nr++;
}

/* Count the non-empty pieces @len bytes span, without moving. */
static unsigned int chain_cursor_pieces(const struct chain_cursor *c, size_t len)
{
	unsigned int idx = c->idx, n = 0;
	size_t off = c->off;

	while (len && idx < c->nr) {
		size_t avail = c->iov[idx].iov_len - off;

		if (avail) {
			n++;
			len -= avail < len ? avail : len;
		}
		idx++;
		off = 0;
	}
	return n;
}

static int chain_cursor_export(struct chain_cursor *c, size_t len, struct iovec *out,
			       unsigned int max)
{
	struct chain_export e = { out, 0, max };

	if (len > c->remaining)
		return -EMSGSIZE;
	if (chain_cursor_pieces(c, len) > max)
		return -E2BIG;
	chain_cursor_walk(c, len, chain_export_one, &e);
	return (int)e.nr;
}

int chain_reader_export(struct chain_reader *r, size_t len, struct iovec *out, unsigned int max)
{
	return chain_cursor_export(&r->c, len, out, max);
}

int chain_writer_export(struct chain_writer *w, size_t len, struct iovec *out, unsigned int max)
{
	return chain_cursor_export(&w->c, len, out, max);
}

int chain_writer_split_tail(struct chain_writer *w, size_t len, struct chain_writer *tail)
{
	if (len > w->c.remaining)
		return -EMSGSIZE;
	*tail = *w;
	chain_cursor_skip(&tail->c, w->c.remaining - len);
	tail->c.done = 0;
	w->c.remaining -= len;
	return 0;
}

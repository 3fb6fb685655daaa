/* SPDX-License-Identifier: Apache-2.0 */
/* list.h - an intrusive circular doubly linked list, as in the kernel. */
#ifndef HUSK_INIT_LIST_H
#define HUSK_INIT_LIST_H

#include <stddef.h>

struct list {
	struct list *next, *prev;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void list_init(struct list *l)
{
	l->next = l->prev = l;
}

static inline void list_add_tail(struct list *head, struct list *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

static inline int list_empty(const struct list *l)
{
	return l->next == l;
}

/* Safe against deleting the current entry: @tmp holds the next one. */
#define list_for_each_safe(pos, tmp, head) \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif

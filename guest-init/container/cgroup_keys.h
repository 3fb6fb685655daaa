/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup_keys.h - picking values out of a flat-keyed cgroup file's text
 * ("key value" lines: memory.stat, cpu.stat, memory.events). Pure: no
 * files, no state, so the unit tests run it on the host.
 */
#ifndef HUSK_INIT_CGROUP_KEYS_H
#define HUSK_INIT_CGROUP_KEYS_H

#include <stddef.h>
#include <stdint.h>

/*
 * cgroup_keys_pick - for each of the @n names in @keys, store in @vals the
 * value of the line of @text whose key is exactly that name ("anon" never
 * matches "anon_thp 7"). A name with no such line, or whose value is not
 * a whole non-negative number ending the line, gets -1.
 */
void cgroup_keys_pick(const char *text, const char *const *keys, int64_t *vals, size_t n);

#endif

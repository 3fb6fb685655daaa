/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hex.h - one hexadecimal digit's value, for the hand-written parsers of
 * the shim (percent escapes in stdio URIs) and husk-init (MAC addresses).
 */
#ifndef HUSK_COMMON_HEX_H
#define HUSK_COMMON_HEX_H

/* husk_hex_digit - 0..15 for '0'-'9', 'a'-'f' or 'A'-'F'; -1 for anything else. */
int husk_hex_digit(char c);

#endif

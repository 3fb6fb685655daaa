// SPDX-License-Identifier: Apache-2.0
/* hex.c - one hexadecimal digit's value (see hex.h). */
#include "common/hex.h"

int husk_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

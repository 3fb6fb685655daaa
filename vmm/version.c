// SPDX-License-Identifier: Apache-2.0
/* version.c - the library's version string (husk_version in husk.h). */
#include "husk.h"

const char *husk_version(void)
{
	return HUSK_VERSION;
}

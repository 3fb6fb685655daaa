/* SPDX-License-Identifier: Apache-2.0 */
/* capname.h - Linux capability names ("CAP_SYS_ADMIN") to numbers. */
#ifndef HUSK_AGENT_CODEC_CAPNAME_H
#define HUSK_AGENT_CODEC_CAPNAME_H

/* capname_lookup - the capability number of @name, or -1 if unknown. */
int capname_lookup(const char *name);

/* capname_last - the highest capability number in the table. */
int capname_last(void);

#endif

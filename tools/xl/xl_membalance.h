/*
 * xl_membalance.h - the `xl membalance` command, shared by xl and the
 * standalone xl-membalance.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef XL_MEMBALANCE_H
#define XL_MEMBALANCE_H

int main_membalance(int argc, char **argv);

#endif /* XL_MEMBALANCE_H */

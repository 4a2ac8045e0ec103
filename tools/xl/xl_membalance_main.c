/*
 * xl_membalance_main.c - the standalone xl-membalance: `xl membalance`
 * for a stock xl install, and with --simulate for hosts without Xen.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "xl_membalance.h"

int main(int argc, char **argv)
{
    return main_membalance(argc, argv);
}

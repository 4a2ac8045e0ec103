/*
 * scenario_default.c - the built-in simulated host of the quick start:
 * dom0, idle guests, a guest whose demand grows past its allocation, a
 * guest with phases, and a mix of servers, on a host that starts with
 * little free memory.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "mrx_internal.h"

static const char default_text[] =
    "# built-in scenario: 10 GiB host, 9 domains, 10 simulated minutes\n"
    "host_memory = \"10g\"\n"
    "duration = 600\n"
    "seed = 1\n"
    "agent_interval = 1\n"
    "domains = [\n"
    "  \"name=Domain-0,memory=1g,maxmem=1g,workload=steady:600m,load=0.3\",\n"
    "  \"name=idle-1,memory=1g,maxmem=2g,workload=steady:120m,load=0.02\",\n"
    "  \"name=idle-2,memory=1g,maxmem=2g,workload=steady:150m,load=0.05\",\n"
    "  \"name=idle-3,memory=768m,maxmem=1g,workload=steady:100m,load=0.01\",\n"
    "  \"name=grower,memory=1g,maxmem=3g,workload=ramp:300m:2400m:300,"
    "load=1.2\",\n"
    "  \"name=kbuild,memory=1g,maxmem=2g,"
    "workload=phases:300m@60/1400m@120/600m@60,load=1.8\",\n"
    "  \"name=db,memory=1536m,maxmem=2g,workload=steady:1200m,load=0.8\",\n"
    "  \"name=web,memory=1g,maxmem=1536m,workload=random:300m:900m:30,"
    "load=0.6\",\n"
    "  \"name=files,memory=768m,maxmem=2g,workload=steady:300m,"
    "cache=1g,load=0.7\",\n"
    "]\n";

const char *mrx_scenario_default_text(void)
{
    return default_text;
}

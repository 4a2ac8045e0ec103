# The Xen side of libmemrex: everything that talks to libxenlight,
# libxenctrl, libxenstore and libxlutil (whose reader of xl's cfg syntax
# the configuration and the scenarios use, through cfg_file.h).  The
# core outside this directory includes no Xen header but xentoollog's.
tools_libmemrex_libmemrex_core_la_SOURCES += \
	tools/libmemrex/xen/backend_xen.c \
	tools/libmemrex/xen/cfg_xlu.c \
	tools/libmemrex/xen/xen_dom.h \
	tools/libmemrex/xen/xen_target.c \
	tools/libmemrex/xen/xen_target.h \
	tools/libmemrex/xen/xs_guest.c \
	tools/libmemrex/xen/xs_guest.h \
	tools/libmemrex/xen/xs_guest_impl.h \
	tools/libmemrex/xen/xs_report.c \
	tools/libmemrex/xen/xs_status.c

# The guest agent.

# memrex-agent runs inside guests: libc and libxenstore only (no
# libmemrex, no libxenlight), so that it can be linked statically.
sbin_PROGRAMS += tools/memrex-agent/memrex-agent
tools_memrex_agent_memrex_agent_SOURCES = \
	tools/memrex-agent/agent.h \
	tools/libmemrex/guest_report.h \
	tools/memrex-agent/proc.c \
	tools/memrex-agent/memrex-agent.c
tools_memrex_agent_memrex_agent_CPPFLAGS =
tools_memrex_agent_memrex_agent_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS) \
	$(XENTOOLLOG_CFLAGS)
tools_memrex_agent_memrex_agent_LDADD = $(XENSTORE_LIBS)

# The same agent linked statically, for guests that have no libxenstore
# (the end-to-end test's busybox initramfs uses it).
noinst_PROGRAMS += tools/memrex-agent/memrex-agent-static
tools_memrex_agent_memrex_agent_static_SOURCES = \
	$(tools_memrex_agent_memrex_agent_SOURCES)
tools_memrex_agent_memrex_agent_static_CPPFLAGS =
# (no sanitizers: they cannot link statically)
tools_memrex_agent_memrex_agent_static_CFLAGS = -Wall -Wextra -std=gnu11 \
	$(XENSTORE_CFLAGS) $(XENTOOLLOG_CFLAGS)
tools_memrex_agent_memrex_agent_static_LDFLAGS = -all-static
tools_memrex_agent_memrex_agent_static_LDADD = -lxenstore -lxentoolcore

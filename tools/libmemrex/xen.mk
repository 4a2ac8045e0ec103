# The Xen backend (libxenlight + libxenstore) and the guest agent.
tools_libmemrex_libmemrex_core_la_SOURCES += \
	tools/libmemrex/backend_xen.c \
	tools/libmemrex/xs_guest.c \
	tools/libmemrex/xs_report.c \
	tools/libmemrex/xs_status.c \
	tools/libmemrex/xs_guest_impl.h \
	tools/libmemrex/guest_parse.c \
	tools/libmemrex/xen_target.c \
	tools/libmemrex/xen_target.h \
	tools/libmemrex/xs_guest.h \
	tools/libmemrex/guest_report.h

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

# The Xen backend (libxenlight + libxenstore) and the guest agent.
tools_libmemrex_libmemrex_la_SOURCES += \
	tools/libmemrex/backend_xen.c \
	tools/libmemrex/xs_guest.c \
	tools/libmemrex/xs_guest.h

# memrex-agent runs inside guests: libc and libxenstore only (no
# libmemrex, no libxenlight), so that it can be linked statically.
sbin_PROGRAMS += tools/memrex-agent/memrex-agent
tools_memrex_agent_memrex_agent_SOURCES = \
	tools/memrex-agent/agent.h \
	tools/memrex-agent/proc.c \
	tools/memrex-agent/memrex-agent.c
tools_memrex_agent_memrex_agent_CPPFLAGS =
tools_memrex_agent_memrex_agent_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS)
tools_memrex_agent_memrex_agent_LDADD = $(XENSTORE_LIBS)

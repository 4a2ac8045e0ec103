# xl-membalance: the standalone build of `xl membalance`.
sbin_PROGRAMS += tools/xl/xl-membalance
tools_xl_xl_membalance_SOURCES = \
	tools/xl/xl_membalance.c \
	tools/xl/xl_membalance.h \
	tools/xl/xl_membalance_int.h \
	tools/xl/xl_membalance_start.c \
	tools/xl/xl_membalance_status.c \
	tools/xl/xl_membalance_history.c \
	tools/xl/xl_membalance_replay.c \
	tools/xl/xl_membalance_prom.c \
	tools/xl/xl_membalance_prom.h \
	tools/xl/xl_membalance_main.c
tools_xl_xl_membalance_CFLAGS = $(AM_CFLAGS) $(XENTOOLLOG_CFLAGS)
tools_xl_xl_membalance_LDADD = tools/libmemrex/libmemrex.la $(XENTOOLLOG_LIBS)

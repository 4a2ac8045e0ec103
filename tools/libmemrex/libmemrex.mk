# libmemrex: the policy core, the engine and the simulated host.  Every
# source is built once into a convenience library (the in-tree tests and
# benchmarks link it, internals included); the installed libmemrex.so
# exports what memrex.h declares and nothing else (libmemrex.sym, made
# from memrex.h).
noinst_LTLIBRARIES = tools/libmemrex/libmemrex_core.la
lib_LTLIBRARIES += tools/libmemrex/libmemrex.la
include_HEADERS = tools/libmemrex/memrex.h
tools_libmemrex_libmemrex_core_la_SOURCES = \
	tools/libmemrex/memrex.h \
	tools/libmemrex/mrx_internal.h \
	tools/libmemrex/snapshot.c \
	tools/libmemrex/params.c \
	tools/libmemrex/size.c \
	tools/libmemrex/parse.c \
	tools/libmemrex/policy.c \
	tools/libmemrex/policy_static.c \
	tools/libmemrex/policy_proportional.c \
	tools/libmemrex/plan.c \
	tools/libmemrex/filter.c \
	tools/libmemrex/engine.c \
	tools/libmemrex/engine_settings.c \
	tools/libmemrex/engine_impl.h \
	tools/libmemrex/stuck.c \
	tools/libmemrex/status_json.c \
	tools/libmemrex/status_parse.c \
	tools/libmemrex/json_get.h \
	tools/libmemrex/json_get.c \
	tools/libmemrex/history.c \
	tools/libmemrex/record.c \
	tools/libmemrex/replay.c \
	tools/libmemrex/guest_format.c \
	tools/libmemrex/history_parse.c \
	tools/libmemrex/sim.c \
	tools/libmemrex/sim_guest.c \
	tools/libmemrex/sim_impl.h \
	tools/libmemrex/sim_workload.c \
	tools/libmemrex/scenario.c \
	tools/libmemrex/scenario_domain.c \
	tools/libmemrex/scenario_impl.h \
	tools/libmemrex/scenario_default.c \
	tools/libmemrex/config.c \
	tools/libmemrex/cfg_file.h \
	tools/libmemrex/daemon.c \
	tools/libmemrex/control.c \
	tools/libmemrex/control_parse.c \
	tools/libmemrex/guest_parse.c \
	tools/libmemrex/guest_report.h \
	tools/libmemrex/rule_parse.c \
	tools/libmemrex/settings.c \
	tools/libmemrex/log.c
tools_libmemrex_libmemrex_core_la_CFLAGS = $(AM_CFLAGS) $(XLUTIL_CFLAGS) \
	$(XENLIGHT_CFLAGS) $(XENCTRL_CFLAGS) $(XENSTORE_CFLAGS) $(XENTOOLLOG_CFLAGS) \
	$(YAJL_CFLAGS)
tools_libmemrex_libmemrex_core_la_LIBADD = $(XLUTIL_LIBS) $(XENLIGHT_LIBS) \
	$(XENCTRL_LIBS) $(XENSTORE_LIBS) $(XENTOOLLOG_LIBS) $(YAJL_LIBS) -lm

tools_libmemrex_libmemrex_la_SOURCES = tools/libmemrex/memrex.h
tools_libmemrex_libmemrex_la_LIBADD = tools/libmemrex/libmemrex_core.la
tools_libmemrex_libmemrex_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-export-symbols tools/libmemrex/libmemrex.sym
EXTRA_tools_libmemrex_libmemrex_la_DEPENDENCIES = tools/libmemrex/libmemrex.sym
# The public symbols: every mrx_ name memrex.h declares as a function,
# and the policy table.
tools/libmemrex/libmemrex.sym: $(srcdir)/tools/libmemrex/memrex.h
	$(AM_V_GEN)$(MKDIR_P) tools/libmemrex && \
	{ sed -n 's/.*[^a-z_0-9]\(mrx_[a-z_0-9]*\)(.*/\1/p' $< ; \
	  sed -n 's/^extern .*[^a-z_0-9]\(mrx_[a-z_0-9]*\)\[\].*/\1/p' $< ; } | \
	sort -u > $@
CLEANFILES += tools/libmemrex/libmemrex.sym

# The seed policies (adaptive, sla, selfballoon, cooperative).
include tools/libmemrex/policies.mk
# The real Xen backend (libxenlight + libxenstore).
include tools/libmemrex/xen/xen.mk

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = tools/libmemrex/memrex.pc

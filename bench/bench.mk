# The policy report: every policy on every scenario of tests/scenarios/
# in the simulated host; rewrites docs/policy-report.md and the plot of
# the contention scenario, docs/policy-contention.png (needs gnuplot).
noinst_PROGRAMS += bench/policy_report
bench_policy_report_SOURCES = bench/policy_report.c
bench_policy_report_CFLAGS = $(AM_CFLAGS) $(XENTOOLLOG_CFLAGS)
bench_policy_report_LDADD = tools/libmemrex/libmemrex_core.la $(XENTOOLLOG_LIBS)
EXTRA_DIST += tests/scenarios
CLEANFILES += bench/policy-contention.dat bench/policy-contention.gp

policy-report: bench/policy_report$(EXEEXT)
	$(LIBTOOL) --mode=execute bench/policy_report \
		-o $(abs_top_srcdir)/docs/policy-report.md \
		-g contention -p $(abs_top_srcdir)/docs/policy-contention.png \
		-w $(abs_top_builddir)/bench $(abs_top_srcdir)/tests/scenarios
.PHONY: policy-report

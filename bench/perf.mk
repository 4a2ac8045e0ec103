# Benchmarks: each prints a table; `make bench` runs them all and
# rewrites bench/RESULTS.md.
noinst_PROGRAMS += bench/bench_scale bench/bench_realloc
bench_bench_scale_SOURCES = bench/bench_scale.c
bench_bench_scale_CFLAGS = $(AM_CFLAGS) $(XENTOOLLOG_CFLAGS)
bench_bench_scale_LDADD = tools/libmemrex/libmemrex_core.la $(XENTOOLLOG_LIBS)
bench_bench_realloc_SOURCES = bench/bench_realloc.c
bench_bench_realloc_CFLAGS = $(AM_CFLAGS) $(XENTOOLLOG_CFLAGS)
bench_bench_realloc_LDADD = tools/libmemrex/libmemrex_core.la $(XENTOOLLOG_LIBS)
EXTRA_DIST += bench/overhead.sh bench/run-bench.sh bench/RESULTS.md

bench: all
	$(abs_top_srcdir)/bench/run-bench.sh $(abs_top_builddir) \
		$(abs_top_srcdir)/bench/RESULTS.md
bench-scale: all
	$(LIBTOOL) --mode=execute bench/bench_scale 200
bench-realloc: all
	$(LIBTOOL) --mode=execute -dlopen tools/libmemrex/libmemrex.la \
		bench/bench_realloc tools/xl/.libs/xl-membalance list-policies
bench-overhead: all
	$(LIBTOOL) --mode=execute -dlopen tools/libmemrex/libmemrex.la \
		$(abs_top_srcdir)/bench/overhead.sh tools/xl/.libs/xl-membalance 60
.PHONY: bench bench-scale bench-realloc bench-overhead

noinst_PROGRAMS += bench/bench_reaction
bench_bench_reaction_SOURCES = bench/bench_reaction.c
bench_bench_reaction_CFLAGS = $(AM_CFLAGS) -pthread $(XENSTORE_CFLAGS) \
	$(XENTOOLLOG_CFLAGS)
bench_bench_reaction_LDADD = tools/libmemrex/libmemrex_core.la $(XENSTORE_LIBS) \
	$(XENTOOLLOG_LIBS) -lpthread
EXTRA_DIST += bench/bench-reaction.sh bench/bench-quality.sh
bench-reaction: all xenstored-nohv
	$(abs_top_srcdir)/bench/bench-reaction.sh $(abs_top_builddir)
.PHONY: bench-reaction

noinst_PROGRAMS += bench/bench_sample
bench_bench_sample_SOURCES = bench/bench_sample.c
bench_bench_sample_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS) $(XENTOOLLOG_CFLAGS)
bench_bench_sample_LDADD = tools/libmemrex/libmemrex_core.la $(XENSTORE_LIBS) \
	$(XENTOOLLOG_LIBS)
EXTRA_DIST += bench/bench-sample.sh
bench-sample: all xenstored-nohv
	$(abs_top_srcdir)/bench/bench-sample.sh $(abs_top_builddir)
.PHONY: bench-sample

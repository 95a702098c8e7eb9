# The pairs suite of the benchmarks alone (benchmarks/README.md, "Many
# pairs"): site.yml on 1, 2 and 3 pairs in containers of its own (docker
# network halb-bpairs), never the lab, so it needs neither `make lab` nor the
# lab's rebuild that `make bench` starts with. BENCH_ARGS goes to
# `bench.py run` (e.g. BENCH_ARGS="--deploy-repetitions 2 --pairs-rounds 2").

.PHONY: bench-pairs

bench-pairs: image collection ## deploy and idempotent site.yml time of 1-3 pairs at two forks settings
	$(MOLECULE_ENV) $(BIN)/python benchmarks/bench.py run --only pairs $(BENCH_ARGS)

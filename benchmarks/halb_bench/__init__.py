"""halb.cluster's benchmarks (`make bench`): fail-over, reloads, deploy,
scale and throughput measured on the lab. See benchmarks/README.md."""

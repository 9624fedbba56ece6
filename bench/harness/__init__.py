"""The ``make bench`` harness: dataset, scenarios, load clients and the report.

Run through ``bench/run.py``; see the README's "Benchmarks" section and
``docs/performance.md``."""

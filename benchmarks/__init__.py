"""The benchmark: every hot path beside its raw baseline, measured in the same run.

`python -m benchmarks [--quick] [--only W1,P1] [--json FILE]` starts its own embedded
PostgreSQL (default, durable settings) and Tansu broker, loads data, and prints one table of
figure, baseline and ratio per row. These machines are noisy: the ratios are what count.
"""

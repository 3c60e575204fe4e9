"""A small app for the benchmarks: members who receive posts."""

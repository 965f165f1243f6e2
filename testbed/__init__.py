"""The test bed: store servers and tills as real processes, a cable a test can
cut, a shop LAN in network namespaces, and the fault campaign built on them.

Used by the tests (`tests/faults`, `tests/lan`) and by `make campaign`; never
imported by the product.
"""

"""Appliance disk images: `make image ROLE=till|server` (python -m images.build)."""

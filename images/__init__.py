"""Appliance images: `make image ROLE=till|server` (python -m images.build), its overlay,
and the update bundles (images.update)."""

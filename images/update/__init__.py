"""The A/B updates of an appliance: signing keys, RAUC bundles, RAUC's configuration."""

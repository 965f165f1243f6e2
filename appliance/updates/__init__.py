"""The appliance's A/B updates: install a signed bundle into the other slot (RAUC), then,
at the next boot, keep the new slot only when the till (or server) on it is sound.

`autonome update install BUNDLE` and `autonome update confirm` (the boot's health
check, `autonome-update-confirm.service`); the last result goes to
`/var/lib/autonome/update-status.json`, which the till's status bar shows.
"""

"""What the till and the server both take from the operating system, once.

- `files`: durable files: a file written whole and fsync'd, an atomic replace
  (temp file, fsync, rename, fsync of the folder), a file created once by
  whichever process comes first.
- `crash`: the crash points of the fault tests (`AUTONOME_CRASH_AT`).

Imports nothing from the project: `appliance.server` and `appliance.till`
both stand on it.
"""

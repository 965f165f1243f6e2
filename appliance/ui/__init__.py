"""The touchscreen till: Kivy screens driving the till core (`appliance.till.Till`).

The screens never do the till's work: every command goes to the core through
one worker thread (`worker.Worker`), and what the core says comes back as its
events, moved onto the UI thread (`worker.EventPump`). Importing this package
loads no Kivy; `cli.main` (`autonome ui`) sets Kivy's environment first.

Modules without Kivy: `i18n` (French and English, euro amounts), `po` (the
message catalogues), `worker`, `cli`. With Kivy: `theme`,
`widgets`, `screens`, `dialogs`, `view`, `controller`, `app`, `demo`,
`screenshots`.
"""

__all__: list[str] = []

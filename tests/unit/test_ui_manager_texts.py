"""A manager's refusal said for what it refused: a sale's edit (it names its `action`)
or a refund (it does not), in English and French."""

from __future__ import annotations

from appliance.ui import i18n
from appliance.ui.texts import describe_error


def test_an_edit_and_a_refund_refused_are_told_apart():
    i18n.use("en")
    try:
        edit = describe_error({"code": "manager_refused", "action": "void"})
        refund = describe_error({"code": "manager_refused", "total": 1500})
        assert edit == "Not a manager's PIN: nothing was changed."
        assert refund == "Not a manager, or a wrong PIN: nothing was refunded."
        asked = describe_error({"code": "manager_needed", "action": "discount"})
        assert asked == "A manager must approve this."
        i18n.use("fr")
        assert describe_error({"code": "manager_refused", "action": "cancel"}) == (
            "Ce n'est pas le code d'un responsable : rien n'a changé."
        )
        locked = describe_error({"code": "pin_locked", "wait_s": 30})
        assert locked == "Trop de codes erronés : attendez 30 s avant le prochain essai."
    finally:
        i18n.use("en")

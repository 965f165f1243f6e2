"""The figures of a day's sales, computed once for the till's X report and the server's
X and Z reports.

Payments are what the shop took in: cash net of the change given (what stayed in
the drawer), every other method at the amount tendered. A meal voucher's excess
is not given back as change: it stays with the shop, the voucher counts at its
face value (what the issuer pays back), and the excess is shown apart as
`voucher_excess`, so the payments add up to the total plus `voucher_excess`.

Refunds (`kind: "refund"`, refund.py) are counted apart, in `refunds`: their
number, total, what went back per method and per VAT rate; `net_total` is the
takings less them, and `net_cash` the cash that stayed in the drawer. The cash
control records (`kind: "cash"`, cash.py) give `cash`: the float, cash in and out,
the expected cash and the last count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .cash import cash_figures
from .sale import PAYMENT_METHODS

__all__ = ["day_figures", "refund_figures"]


def day_figures(
    records: Iterable[Mapping[str, Any]], cancels: Iterable[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """Count, total, discounts, voucher excess, modes, per till (sales, total, first and
    last seq), per payment method (amount, count) and per VAT rate (gross, net, vat) of
    `records`, the sales of one day (the caller chooses which); and `cancelled`, the
    sales cancelled before they closed (`cancels`: the data of their `sale_cancelled`
    journal events): how many, their total, what had been paid and was given back."""
    per_till: dict[int, dict[str, Any]] = {}
    pay = {m: {"method": m, "amount": 0, "count": 0} for m in PAYMENT_METHODS}
    vat: dict[int, dict[str, int]] = {}
    modes = {"online": 0, "autonomous": 0}
    count = total = discounts = voucher_excess = eat_in = 0
    refunds: list[Mapping[str, Any]] = []
    cash: list[Mapping[str, Any]] = []
    for rec in records:
        if rec.get("kind") == "refund":
            refunds.append(rec)
            continue
        if rec.get("kind") == "cash":
            cash.append(rec)
            continue
        if rec.get("kind", "sale") != "sale":
            continue
        count += 1
        eat_in += 1 if rec.get("eat_in") else 0
        total += rec["total"]
        voucher_excess += rec.get("voucher_excess", 0)
        discounts += rec.get("sale_discount", 0) + sum(
            ln.get("discount", 0) for ln in rec.get("lines", ())
        )
        modes[rec["mode"]] = modes.get(rec["mode"], 0) + 1
        till_id, seq = rec.get("till_id"), rec.get("seq")
        t = per_till.setdefault(
            till_id, {"till_id": till_id, "sales": 0, "total": 0, "first_seq": seq, "last_seq": seq}
        )
        t["sales"] += 1
        t["total"] += rec["total"]
        t["first_seq"] = min(t["first_seq"], seq)
        t["last_seq"] = max(t["last_seq"], seq)
        for p in rec.get("payments", ()):
            slot = pay.setdefault(p["method"], {"method": p["method"], "amount": 0, "count": 0})
            slot["amount"] += p["amount"]
            slot["count"] += 1
        pay["cash"]["amount"] -= rec.get("change", 0)
        for v in rec.get("vat", ()):
            slot = vat.setdefault(v["vat_bp"], {"gross": 0, "net": 0, "vat": 0})
            for k in ("gross", "net", "vat"):
                slot[k] += v[k]
    cancelled = {"count": 0, "total": 0, "paid": 0}
    for c in cancels:
        cancelled["count"] += 1
        cancelled["total"] += int(c.get("total") or 0)
        cancelled["paid"] += int(c.get("paid") or 0)
    back = refund_figures(refunds)
    cash_in = pay["cash"]["amount"]
    cash_out = next((p["amount"] for p in back["payments"] if p["method"] == "cash"), 0)
    return {
        "sales": count,
        "total": total,
        "discounts": discounts,
        "voucher_excess": voucher_excess,
        "modes": modes,
        "tills": [per_till[k] for k in sorted(per_till)],
        "payments": [p for p in pay.values() if p["count"]],
        "vat": [{"vat_bp": bp, **vat[bp]} for bp in sorted(vat, reverse=True)],
        "cancelled": cancelled,
        "eat_in": eat_in,
        "refunds": back,
        "net_total": total - back["total"],
        "net_cash": cash_in - cash_out,
        "cash": cash_figures(cash, cash_in - cash_out),
    }


def refund_figures(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Count, total, per payment method and per VAT rate of refund records."""
    pay: dict[str, dict[str, Any]] = {}
    vat: dict[int, dict[str, int]] = {}
    count = total = 0
    for rec in records:
        count += 1
        total += rec["total"]
        for p in rec.get("payments", ()):
            slot = pay.setdefault(p["method"], {"method": p["method"], "amount": 0, "count": 0})
            slot["amount"] += p["amount"]
            slot["count"] += 1
        for v in rec.get("vat", ()):
            slot = vat.setdefault(v["vat_bp"], {"gross": 0, "net": 0, "vat": 0})
            for k in ("gross", "net", "vat"):
                slot[k] += v[k]
    return {
        "count": count,
        "total": total,
        "payments": [pay[m] for m in sorted(pay)],
        "vat": [{"vat_bp": bp, **vat[bp]} for bp in sorted(vat, reverse=True)],
    }

"""Boot-keyboard report sequences decoded in the US, FR and BE layouts."""

import pytest

from drivers.scanner import ReportDecoder, decode, layout
from drivers.sim.scanner import reports_for

LS, RS, ALTGR = 0x02, 0x20, 0x40


def r(mods: int, *keys: int) -> bytes:
    return bytes([mods, 0, *keys, *([0] * (6 - len(keys)))])


RELEASE = r(0)
ROLLOVER = bytes([0, 0, 1, 1, 1, 1, 1, 1])
ENTER, TAB = 0x28, 0x2B

CODES = {
    "us": ["3760000000011", "0013748911", "ABC-123/x", "Hello World", "a+b=c"],
    "fr": ["3760000000011", "0013748911", "ABC-123/x", "Zoé à Noël", "prix:12€"],
    "be": ["3760000000011", "0013748911", "ABC-123/x", "çà & ù", "x=1+2 €"],
}
CASES = [(lay, code) for lay, codes in CODES.items() for code in codes]


@pytest.mark.parametrize(("lay", "code"), CASES)
@pytest.mark.parametrize("style", ["plain", "shift_apart", "overlap"])
def test_what_a_scanner_types_is_what_is_decoded(lay, code, style):
    assert decode(reports_for(code, lay, style=style), lay) == [code]


@pytest.mark.parametrize(("lay", "code"), CASES)
def test_rollover_reports_are_neither_press_nor_release(lay, code):
    reports = reports_for(code, lay, rollover=True, style="overlap")
    assert ROLLOVER in reports
    assert decode(reports, lay) == [code]


@pytest.mark.parametrize(("lay", "code"), CASES)
def test_caps_lock_and_right_shift(lay, code):
    assert decode(reports_for(code, lay, caps_lock=True), lay) == [code]
    assert decode(reports_for(code, lay, right_shift=True), lay) == [code]


def test_french_digits_arrive_shifted_and_are_read_as_digits():
    reports = reports_for("0013748911", "fr")
    digit_presses = [rep for rep in reports if rep[2] in range(0x1E, 0x28)]
    assert digit_presses and all(rep[0] == LS for rep in digit_presses)
    assert decode(reports, "fr") == ["0013748911"]
    # both shift keys, by hand: 0 with left shift, 1 with right shift
    assert decode([r(LS, 0x27), RELEASE, r(RS, 0x1E), RELEASE, r(0, ENTER), RELEASE], "fr") == [
        "01"
    ]


def test_the_wrong_reading_never_happens_with_the_right_layout():
    """A BE scanner's digits read without their Shift give àà&"è'!ç&& (the bug to avoid)."""
    unshifted = reports_for("0013748911", "us")  # the same keys, no Shift
    assert decode(unshifted, "be") == ["àà&\"è'!ç&&"]  # what a wrong decoder would show
    for lay in ("fr", "be"):
        got = decode(reports_for("0013748911", lay), lay)
        assert got == ["0013748911"]
        assert not set(got[0]) & set("&é\"'(-è_çà§!")


def test_altgr_gives_the_third_level():
    # AltGr+E is the euro sign on AZERTY; AltGr+à is @ in FR, } in BE
    seq = [r(ALTGR, 0x08), RELEASE, r(ALTGR, 0x27), RELEASE, r(0, ENTER), RELEASE]
    assert decode(seq, "fr") == ["€@"]
    assert decode(seq, "be") == ["€}"]
    # left Ctrl + left Alt is AltGr too (as Windows has it)
    assert decode([r(0x05, 0x08), RELEASE, r(0, ENTER)], "fr") == ["€"]


def test_caps_lock_by_hand_toggles_letters():
    seq = [r(0, 0x39), RELEASE, r(0, 0x04), RELEASE, r(LS, 0x05), RELEASE, r(0, 0x39), RELEASE]
    seq += [r(0, 0x06), RELEASE, r(0, ENTER), RELEASE]
    assert decode(seq, "us") == ["Abc"]


def test_press_and_release_reports_and_repeated_keys():
    # "11": the same key twice needs a release between the presses
    assert decode([r(0, 0x1E), RELEASE, r(0, 0x1E), RELEASE, r(0, ENTER), RELEASE], "us") == ["11"]
    # a key held over several reports is one press
    assert decode([r(0, 0x1E), r(0, 0x1E), r(0, 0x1E), RELEASE, r(0, ENTER)], "us") == ["1"]
    # two keys down at once, the second appears later: pressed in order
    assert decode([r(0, 0x1E), r(0, 0x1E, 0x1F), r(0, 0x1F), RELEASE, r(0, ENTER)], "us") == ["12"]


def test_enter_keypad_enter_or_tab_end_a_code():
    for end in (0x28, 0x58, 0x2B):
        assert decode([r(0, 0x1E), RELEASE, r(0, end), RELEASE], "us") == ["1"]
    d = ReportDecoder("us")
    assert d.feed(r(0, 0x1E)) is None
    assert d.pending == "1"
    assert d.feed(r(0, TAB)) == "1"
    assert d.pending == ""


def test_empty_codes_ctrl_keys_and_junk_are_ignored():
    assert decode([r(0, ENTER), RELEASE, r(0, ENTER), RELEASE], "us") == []
    assert decode([r(0x01, 0x06), RELEASE, r(0, 0x1E), RELEASE, r(0, ENTER)], "us") == ["1"]
    assert decode([b"", b"\x00", r(0, 0x1E), RELEASE, r(0, ENTER)], "us") == ["1"]


def test_a_report_id_in_front_is_skipped():
    assert decode([b"\x01" + r(0, 0x1E), b"\x01" + RELEASE, b"\x01" + r(0, ENTER)], "us") == ["1"]


def test_dead_keys_compose_or_stand_alone():
    # FR: ^ then e gives ê; ^ then space gives ^
    seq = [r(0, 0x2F), RELEASE, r(0, 0x08), RELEASE, r(0, 0x2F), RELEASE, r(0, 0x2C), RELEASE]
    assert decode([*seq, r(0, ENTER)], "fr") == ["ê^"]


def test_unknown_layout_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="us, fr, be"):
        layout("de")


def test_several_codes_in_one_stream():
    reports = reports_for("111", "fr") + reports_for("222", "fr", suffix="\t")
    assert decode(reports, "fr") == ["111", "222"]

"""Frailty scores and their bands: the electronic Frailty Index (eFI, a decimal 0 to 1) and the
Clinical Frailty Scale (CFS, a whole number 1 to 9). Each score maps to a band in its own
scale's words and to the record's frailty level (fit, mild, moderate, severe), which the
latest assessment sets on the person."""

from decimal import Decimal

# eFI: fit up to 0.12, mild up to 0.24, moderate up to 0.36, severe above.
EFI_BANDS: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal("0.12"), "fit", "Fit"),
    (Decimal("0.24"), "mild", "Mild frailty"),
    (Decimal("0.36"), "moderate", "Moderate frailty"),
    (Decimal("1"), "severe", "Severe frailty"),
)
# CFS (version 2.0): 1 to 3 fit or managing well; 4 very mild; 5 mild; 6 moderate; 7 severe;
# 8 very severe; 9 terminally ill. Very mild counts as mild on the record, 7 to 9 as severe.
CFS_BANDS: dict[int, tuple[str, str]] = {
    1: ("fit", "Very fit"),
    2: ("fit", "Fit"),
    3: ("fit", "Managing well"),
    4: ("mild", "Very mild frailty"),
    5: ("mild", "Mild frailty"),
    6: ("moderate", "Moderate frailty"),
    7: ("severe", "Severe frailty"),
    8: ("severe", "Very severe frailty"),
    9: ("severe", "Terminally ill"),
}

EFI_RANGE = "An eFI score is a decimal from 0 to 1 with at most two decimal places, such as 0.19."
CFS_RANGE = "A CFS score is a whole number from 1 to 9."
SCALE_UNKNOWN = "Choose the scale: eFI or CFS."


def _efi_band(score: Decimal) -> tuple[str, str]:
    for upper, level, label in EFI_BANDS:
        if score <= upper:
            return level, label
    raise ValueError(EFI_RANGE)


def classify(scale: str, score: Decimal | int | None) -> tuple[str, str]:
    """(frailty level, band label) for a score; ValueError with the reason when the score
    is not one of the scale's."""
    if scale == "efi":
        value = Decimal(score) if score is not None else None
        if value is None or not 0 <= value <= 1 or value != value.quantize(Decimal("0.01")):
            raise ValueError(EFI_RANGE)
        return _efi_band(value)
    if scale == "cfs":
        whole = int(score) if score is not None and Decimal(score) % 1 == 0 else None
        if whole not in CFS_BANDS:
            raise ValueError(CFS_RANGE)
        return CFS_BANDS[whole]
    raise ValueError(SCALE_UNKNOWN)


def band(scale: str, score: Decimal | int | None) -> str:
    """The band's label, or "" when the score is not one of the scale's."""
    try:
        return classify(scale, score)[1]
    except ValueError:
        return ""

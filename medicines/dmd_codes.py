"""A medication line's dm+d code, checked against the loaded dm+d release (dmd app)."""

from dmd.selectors import code_known


def dmd_code_problem(code: str) -> str:
    """Why ``code`` cannot be a line's dm+d code ("" when it can: blank, or a VMP, AMP or VTM
    of the loaded release)."""
    code = (code or "").strip()
    if not code or code_known(code):
        return ""
    return f"{code} is not in the dm+d release loaded here (no VMP, AMP or VTM has this code)."

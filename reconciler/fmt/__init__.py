"""``reconciler fmt``: contract files in one canonical layout, their meaning kept.

canonical  the layout of one text, and the checks that only the layout changed (pure)
folder     the contracts folder: read as validate reads it, laid out, written safely
render     every word fmt prints
"""

from reconciler.fmt.canonical import Refusal, canonical_text, format_contract
from reconciler.fmt.folder import FileResult, FmtReport, Outcome, format_folder

__all__ = [
    "FileResult",
    "FmtReport",
    "Outcome",
    "Refusal",
    "canonical_text",
    "format_contract",
    "format_folder",
]

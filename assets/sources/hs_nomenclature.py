"""The HS1992 (H0) nomenclature as Comtrade+ publishes it: the list of 6-digit leaf codes.

Read from `<reference>/hs_nomenclature/comtradeplus_ref_H0_*.csv` (columns id, text, parent, isLeaf,
aggrlevel, ...). Optional: without the file, the pipeline knows the H0 codes the concordance produces.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assets.errors import RvcInputError
from assets.sources.reference_files import unreadable_table

REQUIRED_COLUMNS = {"id", "aggrlevel"}


def load_h0_leaf_codes(reference_dir: Path) -> list[str]:
    """Sorted 6-digit H0 codes from the nomenclature file, or [] when the folder has none."""
    files = sorted((reference_dir / "hs_nomenclature").glob("comtradeplus_ref_H0_*.csv"))
    if not files:
        return []
    try:
        table = pd.read_csv(files[0], dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise unreadable_table(files[0], "the Comtrade+ HS nomenclature list (H0 reference CSV)", exc) from exc
    missing = REQUIRED_COLUMNS - set(table.columns)
    if missing:
        raise RvcInputError(
            f"{files[0]}: expected the Comtrade+ nomenclature columns {sorted(REQUIRED_COLUMNS)}, missing {sorted(missing)}; "
            "download the H0 reference list again as Comtrade+ publishes it (CSV), or remove the file"
        )
    codes = table.loc[table["aggrlevel"].str.strip() == "6", "id"].str.strip()
    return sorted(set(codes[codes.str.fullmatch(r"\d{6}")]))

"""The CIF/FOB methods a run can choose (RVC_CIF_FOB_METHOD), defined once for the reconciliation that applies
them (assets/transforms/reconciliation.py) and the settings that check the choice when the code location loads.

A module of its own, importing nothing, because pipelines/settings.py is imported by every asset: an asset's
code version covers the modules it imports (pipelines/code_versions.py), so importing the reconciliation
code there would make an edit to it mark `comtrade_raw` stale.
"""

from __future__ import annotations

CIF_FOB_METHODS: tuple[str, ...] = ("flat", "chapter_median")
DEFAULT_CIF_FOB_METHOD = "flat"

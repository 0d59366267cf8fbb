"""The scope the pandera checks validate against: the file the RVC_SCOPE setting names (pipelines/settings.py).

Belongs here: `active_scope`, read when a check runs (not at import), so the product_group domains of
`product_groups`, `trade_indicators`, `va_indicators` and `indicator_panel` are the groups of the scope file the
run uses — the same file the assets read through RvcConfig.scope_path. Not here: reading scope files
(assets/transforms/reference/scope.py).
"""

from __future__ import annotations

from assets.transforms.reference.scope import Scope, load_scope
from pipelines.settings import load_settings


def active_scope() -> Scope:
    """The Scope of RVC_SCOPE (default scopes/automotive.yaml); cached per file and modification time."""
    return load_scope(load_settings().scope_path)

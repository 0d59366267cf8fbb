"""What API mode asks for when a setting is left empty: the scope file's HS codes and TiVA activities.

Belongs here: `scope_commodities`, `scope_tiva_activities` (the codes a scope implies) and `with_scope_defaults`
(an empty setting filled from them, named so an error points at the scope file). In the reference stage
because they read a Scope; the sources (assets/sources/api_selection.py) turn the codes into API codes and
never import the stages above them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assets.transforms.reference.scope import Scope


def scope_commodities(scope: Scope) -> list[str]:
    """The commodity codes API mode asks for by default: every HS prefix of the scope's product groups (a heading
    is then asked as its HS6 lines, commodity_codes), plus TOTAL for the RCA denominators. Automotive: 8702, 8703,
    8704, 8706, 8707, 8708, 840733, 840734, 840820, TOTAL; electronics: 8541, 8542, TOTAL."""
    return sorted(scope.prefix_groups) + ["TOTAL"]


def scope_tiva_activities(scope: Scope) -> list[str]:
    """The TiVA activity codes API mode asks for by default: those of the scope's tiva_activities (C29, _T)."""
    return list(scope.tiva_activities)


def with_scope_defaults(
    texts: Mapping[str, str], names: Mapping[str, str], key: str, codes: Sequence[str], scope: Scope, what: str
) -> tuple[dict[str, str], dict[str, str]]:
    """`texts` and `names` with an empty `key` setting filled from the scope: the codes, and a name for messages
    that says they came from the scope file (so an error names the file to fix, or the setting to override)."""
    texts, names = dict(texts), dict(names)
    if not str(texts.get(key) or "").strip():
        texts[key] = ",".join(codes)
        names[key] = f"the {what} of the scope file {scope.source} (the default of {names[key]})"
    return texts, names

"""Stage 1, reference: the tables every year is read against — country codes and regions, the study's scope
(product groups, focus countries) and the HS6 → product group table.

`scope` reads scope files; `country_codes` builds the country table from the bundled overrides, country_converter
and the Comtrade lists; `product_groups` assigns HS6 lines to the scope's groups and BEC stages; `api_defaults`
gives what API mode asks for when a setting is left empty. The names below
are what the reference assets (assets/reference.py) and the API-mode readers call. Nothing here imports dagster.
"""

from assets.transforms.reference.api_defaults import scope_commodities, scope_tiva_activities, with_scope_defaults
from assets.transforms.reference.country_codes import api_country_table, build_country_codes, load_regions
from assets.transforms.reference.product_groups import build_product_groups, lines_without_their_group
from assets.transforms.reference.scope import Scope, load_scope, scope_summary

__all__ = [
    "Scope",
    "api_country_table",
    "build_country_codes",
    "build_product_groups",
    "lines_without_their_group",
    "load_regions",
    "load_scope",
    "scope_commodities",
    "scope_summary",
    "scope_tiva_activities",
    "with_scope_defaults",
]

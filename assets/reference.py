"""Reference assets: HS concordance to HS1992, HS conversion weights, product groups with BEC stages, country codes and regions.

Thin Dagster wrappers: the parsing and building live in assets/sources and assets/transforms.
"""


import dagster as dg
import pandas as pd

from assets.duckdb_session import duckdb_session
from assets.metadata import check_result_from_frame, md_table
from assets.sources.hs_bec import load_hs_bec
from assets.sources.hs_correlation import load_hs_concordance, load_hs_conversion
from assets.sources.hs_nomenclature import load_h0_leaf_codes
from assets.step_failures import one_line_failure
from assets.tables import ParquetPartitions
from assets.transforms.harmonization import (
    MIN_POOLED_EVIDENCE_USD,
    conversion_weights,
    pooled_h0_trade,
    weights_not_summing_to_one,
)
from assets.transforms.reference import (
    build_country_codes,
    build_product_groups,
    lines_without_their_group,
    load_regions,
    load_scope,
)
from checks.harmonization import country_codes_schema, regions_schema
from checks.reference import hs_concordance_schema, hs_conversion_weights_schema, product_groups_schema_for
from pipelines.resources import RvcConfig
from pipelines.validation import scoped_validated_output, validated_output

GROUP = "reference"


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    **validated_output(hs_concordance_schema, "HsConcordance"),
)
@one_line_failure
def hs_concordance(context: dg.AssetExecutionContext, rvc: RvcConfig) -> pd.DataFrame:
    """HS revision links H1..H6 → H0 (HS1992) at 6 digits, parsed from the UN correlation tables in RVC_REFERENCE."""
    links = load_hs_concordance(rvc.reference_path)
    counts = links.groupby(["from_vintage", "relationship"]).size().rename("links").reset_index()
    context.add_output_metadata({"links_by_vintage": md_table(counts), "reference_dir": str(rvc.reference_path)})
    return links


@dg.asset(
    group_name=GROUP,
    kinds={"duckdb", "pandas", "parquet"},
    **validated_output(hs_conversion_weights_schema, "HsConversionWeights"),
    check_specs=[
        dg.AssetCheckSpec("weights_conserve_value", asset="hs_conversion_weights", blocking=True,
                          description="The weights of every source code sum to exactly 1, so conversion neither adds nor loses value."),
    ],
)
@one_line_failure
def hs_conversion_weights(
    context: dg.AssetExecutionContext, rvc: RvcConfig, hs_concordance: pd.DataFrame, comtrade_clean: ParquetPartitions
):
    """HS H1..H6 code → H0 code weights: shares of H0 trade pooled over all reporters and years, else the UN conversion."""
    with duckdb_session(rvc.spill_dir, rvc.duckdb_memory_limit) as con:
        pooled = pooled_h0_trade(con, list(comtrade_clean.paths))
    conversion = load_hs_conversion(rvc.reference_path)
    weights = conversion_weights(hs_concordance, pooled, conversion)
    by_method = weights.groupby(["from_vintage", "weight_method"]).agg(
        links=("to_code", "size"), source_codes=("from_code", "nunique"), evidence_usd=("evidence_usd", "sum")
    ).reset_index()
    yield dg.Output(
        weights,
        metadata={
            "counts_by_method": md_table(by_method),
            "min_pooled_evidence_usd": MIN_POOLED_EVIDENCE_USD,
            "years_pooled": ", ".join(comtrade_clean.keys) or "(none: every split follows the UN conversion)",
            "years_missing": ", ".join(comtrade_clean.missing) or "(none)",
            "h0_codes_with_trade": len(pooled),
            "pooled_h0_trade_usd": float(pooled["value_usd"].sum()),
            "un_conversion_vintages": ", ".join(conversion.attrs.get("hs_vintages_found", [])) or "(none found)",
            "backbone_pruned_links": len(weights.attrs["backbone_pruned"]),
            "conversion_replaced_links": md_table(pd.DataFrame(weights.attrs["conversion_replaced"], columns=["from_vintage", "from_code", "to_code"])),
        },
    )
    yield check_result_from_frame(
        "weights_conserve_value", "hs_conversion_weights", weights_not_summing_to_one(weights), "source codes whose weights do not sum to 1"
    )


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    **scoped_validated_output(product_groups_schema_for, "ProductGroups"),
    check_specs=[dg.AssetCheckSpec("scope_lines_grouped", asset="product_groups", blocking=True,
                                   description="Every HS6 line of the scope's groups carries its group (scope file, RVC_SCOPE).")],
)
@one_line_failure
def product_groups(context: dg.AssetExecutionContext, rvc: RvcConfig, hs_concordance: pd.DataFrame):
    """HS6 (H0) → product group of the study's scope (RVC_SCOPE file) and BEC stage (parts and components / capital / consumption)."""
    scope = load_scope(rvc.scope_path or None)
    # Every H0 code the concordance can produce, plus the H0 nomenclature when RVC_REFERENCE has it.
    h0_codes = sorted(set(hs_concordance["to_code"]) | set(load_h0_leaf_codes(rvc.reference_path)))
    bec = load_hs_bec(rvc.reference_path)
    groups = build_product_groups(h0_codes, bec, hs_concordance, scope=scope)
    summary = groups.groupby(["product_group", "bec_stage"], dropna=False).size().rename("hs6_lines").reset_index()
    yield dg.Output(groups, metadata={"lines_by_group": md_table(summary), "scope": f"{scope.name} ({scope.source})"})
    yield check_result_from_frame(
        "scope_lines_grouped", "product_groups", lines_without_their_group(groups, scope), "scope HS6 lines without their group"
    )


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    **validated_output(country_codes_schema, "CountryCodes"),
)
@one_line_failure
def country_codes(context: dg.AssetExecutionContext, rvc: RvcConfig) -> pd.DataFrame:
    """Comtrade numeric and ISO codes → ISO3 by year, with areas n.e.s. kept apart (country_converter + overrides)."""
    reference = rvc.reference_path if (rvc.reference_path / "country_codes").is_dir() else None
    codes = build_country_codes(reference)
    context.add_output_metadata({"codes_by_kind": md_table(codes.groupby("kind").size().rename("codes").reset_index())})
    return codes


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    **validated_output(regions_schema, "Regions"),
)
@one_line_failure
def regions(context: dg.AssetExecutionContext) -> pd.DataFrame:
    """Regions as data: ASEAN by accession year, fixed ASEAN-10, ASEAN-5, CLMV, East Asia, EU, World."""
    frame = load_regions()
    context.add_output_metadata({"members_by_region": md_table(frame.groupby("region").size().rename("members").reset_index())})
    return frame

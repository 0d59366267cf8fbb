"""Tables a researcher takes away: DuckDB views over the warehouse, filtered exports and their data dictionary.

Pure code (no dagster): `warehouse_views` lists what the warehouse holds and builds `rvc.duckdb`; `selection`
turns an export request into SQL over the stored Parquet; `dictionary` describes the exported columns;
`writers` writes CSV, Parquet, Stata and Excel files. The `rvc export` command lives in pipelines/export.py.
"""

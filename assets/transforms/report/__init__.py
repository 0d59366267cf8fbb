"""The rvc_report: charts and generated findings from the indicator panel, written as HTML and Markdown.

`write_report` is the entry point. `scope` turns the active scope file into the `ReportScope` the report
speaks of (countries, regions, product groups and their labels; nothing study-specific is written in code);
`findings` + `trends` turn numbers into sentences by
research question; `chart_tables` chooses what each chart shows (also written as its CSV) and `charts`
draws it; `extract_facts` summarizes the stored tables (DuckDB) and `coverage` writes the Data and
coverage section; `blocks` and assets/markdown_text.py render text safely; `render` writes the files.
Nothing here imports dagster.
"""

from assets.transforms.report.extract_facts import StoredTables, summarize_stored_tables
from assets.transforms.report.render import WrittenReport, write_report
from assets.transforms.report.scope import report_scope

__all__ = ["StoredTables", "WrittenReport", "report_scope", "summarize_stored_tables", "write_report"]

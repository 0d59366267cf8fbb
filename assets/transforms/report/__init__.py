"""The rvc_report: charts and generated findings from the indicator panel, written as HTML and Markdown.

`write_report` is the entry point; `charts` draws the figures, `findings` turns numbers into sentences,
`render` writes the files. Nothing here imports dagster.
"""

from assets.transforms.report.render import WrittenReport, write_report

__all__ = ["WrittenReport", "write_report"]

"""Report text as blocks (heading, paragraph, bullets, table) written once and rendered twice: Markdown
(every piece of data escaped by markdown_text) and HTML (html.escape). Links are (text, href) pairs whose
href is a relative path inside the report folder."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from assets.markdown_text import markdown_table, markdown_text


@dataclass(frozen=True)
class Block:
    kind: str  # "h2", "h3", "p", "ul", "table"
    text: str = ""
    items: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)
    link: tuple[str, str] | None = None  # appended to a paragraph: (text, relative href)


def to_markdown(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if block.kind in ("h2", "h3"):
            out += ["#" * int(block.kind[1]) + " " + markdown_text(block.text), ""]
        elif block.kind == "p":
            link = f" [{markdown_text(block.link[0])}]({block.link[1]})" if block.link else ""
            out += [markdown_text(block.text) + link, ""]
        elif block.kind == "ul":
            out += [f"- {markdown_text(item)}" for item in block.items] + [""]
        elif block.kind == "table":
            out += [markdown_table(block.header, block.rows), ""]
    return out


def to_html(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if block.kind in ("h2", "h3"):
            out.append(f"<{block.kind}>{html.escape(block.text)}</{block.kind}>")
        elif block.kind == "p":
            link = f" <a href='{html.escape(block.link[1])}'>{html.escape(block.link[0])}</a>" if block.link else ""
            out.append(f"<p>{html.escape(block.text)}{link}</p>")
        elif block.kind == "ul":
            out.append("<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in block.items) + "</ul>")
        elif block.kind == "table":
            head = "".join(f"<th>{html.escape(str(h))}</th>" for h in block.header)
            body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in block.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return out

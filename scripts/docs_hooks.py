"""MkDocs hook (mkdocs.yml `hooks:`): the site's home page is README.md.

README.md stays the one quickstart: the site renders it as index.md with its links to
`docs/X.md` made relative to the docs folder, so the two can never drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_DOCS_LINK = re.compile(r"\]\(docs/")


def home_page(readme: str) -> str:
    """README's text with `](docs/page.md)` links as the site sees them, `](page.md)`."""
    return _DOCS_LINK.sub("](", readme)


def on_files(files: Files, config: Any) -> Files:
    files.append(
        File.generated(config, "index.md", content=home_page(README.read_text(encoding="utf-8")))
    )
    return files

"""Check the built docsite: no malformed pages, every local link and picture there.

- antsibull-docs writes an error page, not a failure, for a plugin or role
  whose documentation it cannot parse ("The documentation for the filter
  plugin, X, was malformed."; "There were some errors parsing the
  documentation for this role."). Each such page is reported and fails the
  check.
- Every src= and href= of every page that points into the site must name a
  file of the site.
- Every picture of docs/ (architecture.svg, images/*) must be shown by a page
  (an <img> whose file has the same bytes).

Usage: python check_site.py HTML_DIR DOCS_DIR
Prints the page count and one line a problem; exits 1 when there is one.
"""

from __future__ import annotations

import hashlib
import os
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

MALFORMED = (
    "was malformed.",
    "There were some errors parsing the documentation for this",
)
PICTURE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".gif")


class Page(HTMLParser):
    """The text of a page, its local links and its images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.images: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        for name in ("src", "href"):
            if values.get(name):
                self.links.append(values[name])
        if tag == "img" and values.get("src"):
            self.images.append(values["src"])
        if tag == "object" and values.get("data"):
            self.links.append(values["data"])
            self.images.append(values["data"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def local_target(page_path: str, link: str) -> str | None:
    """The file a link of a page points to, or None for an outside link."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return os.path.normpath(os.path.join(os.path.dirname(page_path), unquote(parts.path)))


def digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def pictures(docs: str) -> dict[str, str]:
    """docs/ pictures by their digest: {sha256: path relative to docs/}."""
    found = {}
    for dirname, _subdirs, files in os.walk(docs):
        if os.path.relpath(dirname, docs).startswith("docsite"):
            continue
        for name in files:
            if name.lower().endswith(PICTURE_SUFFIXES):
                path = os.path.join(dirname, name)
                found[digest(path)] = os.path.relpath(path, docs)
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    html_dir, docs = argv[1], argv[2]
    problems = []
    pages = 0
    malformed = []
    shown = set()
    for dirname, _subdirs, files in os.walk(html_dir):
        for name in sorted(files):
            if not name.endswith(".html"):
                continue
            pages += 1
            path = os.path.join(dirname, name)
            rel = os.path.relpath(path, html_dir)
            page = Page()
            with open(path, encoding="utf-8") as handle:
                page.feed(handle.read())
            text = " ".join(" ".join(page.text).split())
            if any(marker in text for marker in MALFORMED):
                malformed.append(rel)
            for link in page.links:
                target = local_target(path, link)
                if target is not None and not os.path.exists(target):
                    problems.append(f"{rel}: {link} does not exist in the site")
            for image in page.images:
                target = local_target(path, image)
                if target is not None and os.path.isfile(target):
                    shown.add(digest(target))
    for sha, picture in sorted(pictures(docs).items(), key=lambda item: item[1]):
        if sha not in shown:
            problems.append(f"docs/{picture} is shown on no page of the site")
    for rel in malformed:
        problems.append(f"{rel}: malformed (antsibull-docs error page)")
    shown_pictures = len(shown & set(pictures(docs)))
    print(
        f"check_site: {pages} pages, {len(malformed)} malformed,"
        f" {shown_pictures} pictures of docs/ shown, {len(problems)} problems"
    )
    for problem in problems:
        print(f"check_site: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

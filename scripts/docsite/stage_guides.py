"""Put the Markdown guides of docs/ into the docsite's Sphinx source tree.

antsibull-docs takes a collection's extra docs only as reStructuredText
(docs/docsite/rst/*.rst, listed in docs/docsite/extra-docs.yml). The guides
are Markdown (GitHub and the README link to them), so each has a short rst
page of the same name, with its label and title, that points to it; `make
docs` replaces that page, after antsibull-docs has copied it, with the guide
itself, which Sphinx reads with myst-parser. The guides' pictures are copied
next to them.

Links that leave docs/ (../roles/<role>/README.md, ../benchmarks/...) have no
page in the docsite: a role's README becomes a link to the role's page, any
other such link plain text naming the file.

Usage:
  python stage_guides.py DOCS_DIR DEST_DIR
      DOCS_DIR  the collection's docs/ (guides, architecture.svg, images/)
      DEST_DIR  the docsite's rst/docsite/ directory written by antsibull-docs
      Exits 1 with a message when the guides, their rst pages and
      docs/docsite/extra-docs.yml disagree.
  python stage_guides.py --pages DOCS_DIR
      (make docs-pages) writes docs/docsite/rst/<guide>.rst for every guide
      from its title.
"""

from __future__ import annotations

import os
import re
import shutil
import sys

import yaml

COLLECTION = "halb.cluster"
LABEL_PREFIX = f"ansible_collections.{COLLECTION}.docsite."
# Markdown links and images: [text](target) / ![alt](target); the target
# has no spaces and no parentheses in these guides.
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
ROLE_README = re.compile(r"^\.\./roles/([a-z0-9_]+)/README\.md(#.*)?$")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE = re.compile(r"`([^`]+)`")
# Files copied next to the guides: what their image links point to.
PICTURES = ("architecture.svg", "images")


def guide_refs(extra_docs: str) -> list[str]:
    """Every toctree ref of extra-docs.yml, in order."""
    with open(extra_docs, encoding="utf-8") as handle:
        index = yaml.safe_load(handle)
    refs = []
    for section in index.get("sections") or []:
        for entry in section.get("toctree") or []:
            refs.append(entry["ref"] if isinstance(entry, dict) else entry)
    return refs


def rewrite_link(match: re.Match) -> str:
    """A link that leaves docs/ pointed at what the docsite has instead."""
    bang, text, target = match.groups()
    if bang or not target.startswith("../"):
        return match.group(0)
    role = ROLE_README.match(target)
    if role:
        # MyST resolves project:#label to the label antsibull-docs gives
        # the role's page.
        return f"[{text}](project:#ansible_collections.{COLLECTION}.{role.group(1)}_role)"
    path = target[3:].split("#", 1)[0]
    if text.strip("`") == path:
        return f"`{path}` in the collection's source repository"
    return f"{text} (`{path}` in the collection's source repository)"


def convert(markdown: str, ref: str) -> str:
    """The guide as the docsite page: a label first, outward links rewritten."""
    lines = [f"({LABEL_PREFIX}{ref})=", ""]
    in_fence = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            line = LINK.sub(rewrite_link, line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def title(markdown: str) -> str:
    """The guide's title: its first level-1 heading."""
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def rst_page(markdown: str, name: str) -> str:
    """docs/docsite/rst/<name>.rst: the label, the title, where the guide is."""
    heading = CODE.sub(r"``\1``", title(markdown))
    return (
        f".. _{LABEL_PREFIX}{name}:\n\n{heading}\n{'=' * len(heading)}\n\n"
        f"This guide is ``docs/{name}.md`` in the collection. The docsite that the\n"
        "collection's ``make docs`` builds shows the whole guide, with its pictures, on\n"
        "this page.\n"
    )


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def guides_of(docs: str) -> list[str]:
    return sorted(name[:-3] for name in os.listdir(docs) if name.endswith(".md"))


def write_pages(docs: str) -> int:
    for name in guides_of(docs):
        path = os.path.join(docs, "docsite", "rst", name + ".rst")
        page = rst_page(read(os.path.join(docs, name + ".md")), name)
        if not os.path.exists(path) or read(path) != page:
            write(path, page)
            print(f"stage_guides: wrote docs/docsite/rst/{name}.rst")
    return 0


def check(docs: str, refs: list[str]) -> list[str]:
    """What keeps the guides out of the docsite, one message each."""
    errors = []
    for name in guides_of(docs):
        if name not in refs:
            errors.append(f"docs/{name}.md is not listed in docs/docsite/extra-docs.yml: add it")
        path = os.path.join(docs, "docsite", "rst", name + ".rst")
        page = rst_page(read(os.path.join(docs, name + ".md")), name)
        if not os.path.isfile(path):
            errors.append(
                f"docs/{name}.md has no page docs/docsite/rst/{name}.rst: run make docs-pages"
            )
        elif read(path) != page:
            errors.append(
                f"docs/docsite/rst/{name}.rst does not match docs/{name}.md's title: run make docs-pages"
            )
    for ref in refs:
        if not os.path.isfile(os.path.join(docs, ref + ".md")):
            errors.append(
                f"docs/docsite/extra-docs.yml lists {ref!r}, which is no guide docs/{ref}.md"
            )
    return errors


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--pages":
        return write_pages(argv[2])
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    docs, dest = argv[1], argv[2]
    refs = guide_refs(os.path.join(docs, "docsite", "extra-docs.yml"))
    errors = check(docs, refs)
    if errors:
        for error in errors:
            sys.stderr.write(f"stage_guides: {error}\n")
        return 1
    for ref in refs:
        stub = os.path.join(dest, ref + ".rst")
        if os.path.exists(stub):
            os.remove(stub)
        write(os.path.join(dest, ref + ".md"), convert(read(os.path.join(docs, ref + ".md")), ref))
    for picture in PICTURES:
        source = os.path.join(docs, picture)
        target = os.path.join(dest, picture)
        if os.path.isdir(source):
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif os.path.isfile(source):
            shutil.copyfile(source, target)
    print(f"stage_guides: {len(refs)} guides and their pictures in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Every link in the README and docs/ resolves inside the repository."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _anchors(page) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes."""
    headings = re.findall(r"^#+ (.*)$", page.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).strip().replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_stay_in_the_repository_and_resolve(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        assert "://" not in target, f"{page.name}: {target} leaves the repository"
        path, _, anchor = target.partition("#")
        found = (page.parent / path).resolve() if path else page.resolve()
        assert found.is_relative_to(REPO.resolve()), f"{page.name}: {target} leaves the repository"
        assert found.exists(), f"{page.name}: {target} does not exist"
        if anchor and found.suffix == ".md":
            assert anchor in _anchors(found), f"{page.name}: no heading for #{anchor}"

"""Shared helpers of the report tests: a small results folder, an HTML checker."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Element:
    tag: str
    attrs: dict
    text: str = ""
    path: tuple = ()


@dataclass
class Page:
    errors: list = field(default_factory=list)
    tags: Counter = field(default_factory=Counter)
    elements: list = field(default_factory=list)
    ids: list = field(default_factory=list)

    def find(self, tag: str, inside: str | None = None) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and (inside is None or inside in e.path)]


class _Checker(HTMLParser):
    """Checks that every tag is closed in order, and records elements with their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[Element] = []

    def _where(self) -> tuple:
        return tuple(f"{e.tag}#{e.attrs['id']}" if "id" in e.attrs else e.tag for e in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        element = Element(tag, attributes, path=self._where())
        self.page.tags[tag] += 1
        self.page.elements.append(element)
        if "id" in attributes:
            self.page.ids.append(attributes["id"])
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1].tag != tag:
            open_tag = self.stack[-1].tag if self.stack else None
            self.page.errors.append(f"</{tag}> closes <{open_tag}>")
            return
        self.stack.pop()

    def handle_data(self, data):
        for element in self.stack:
            element.text += data


def check_html(text: str) -> Page:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        checker.page.errors.append(f"unclosed: {[e.tag for e in checker.stack]}")
    return checker.page


def text_outside(text: str, skip_tags: set[str], skip_classes: set[str]) -> str:
    """The page's visible text, without what is inside the given tags or classes."""

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.depth = 0
            self.stack = []
            self.parts = []

        def handle_starttag(self, tag, attrs):
            if tag in VOID:
                return
            classes = set((dict(attrs).get("class") or "").split())
            skipped = tag in skip_tags or bool(classes & skip_classes)
            self.stack.append(skipped)
            self.depth += skipped

        def handle_endtag(self, tag):
            if tag in VOID:
                return
            self.depth -= self.stack.pop()

        def handle_data(self, data):
            if not self.depth:
                self.parts.append(data)

    collect = Collect()
    collect.feed(text)
    return " ".join(collect.parts)

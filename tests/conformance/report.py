"""The report a check fills in, and how a problem names its place and quotes values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from .common import display_name


@dataclass
class Report:
    now: datetime
    problems: list[str] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.problems.append(f"error: {where}: {message}")

    def warning(self, where: str, message: str) -> None:
        self.problems.append(f"warning: {where}: {message}")


def aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def location(element: etree._Element) -> str:
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        step = display_name(node)
        parent = node.getparent()
        if parent is not None:
            siblings = [sibling for sibling in parent if sibling.tag == node.tag]
            if len(siblings) > 1:
                step += f"[{siblings.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps)) + f" (line {element.sourceline})"


def quoted(value: str | None) -> str:
    return "no value" if value is None else f'"{value}"'

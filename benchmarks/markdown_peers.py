"""Native CommonMark renderers against feedsvc's markdown-it-py, for speed and for sameness.

    pip install cmarkgfm markdown-it-pyrs   # the candidates; one that is missing is skipped
    python benchmarks/markdown_peers.py [--bodies 2000] [--fragments 50000] [--seed 3]

Rendering lead bodies is a fixed cost of every cold build (about 190 bodies in the 1,000-item
benchmark). A native renderer may replace markdown-it-py only if what readers get, the HTML
after feedsvc's sanitiser, is the same: this times each renderer on synthetic lead bodies,
then compares the sanitised HTML on those bodies and on random fragments of Markdown syntax
(emphasis runs, links and their definitions, hard breaks, block quotes, HTML, entities, Unicode
punctuation and spaces), printing the count that differ or crash and the first few.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable

import synth  # found next to this script, which Python puts first on the path

from feedsvc.model import _markdown

Render = Callable[[str], str]

PIECES = (
    "a", "é", "Poutine", "L'", " ", "\n", "\n\n", "  \n", "\n   ", "    ", "\t", "\r\n",
    "*", "_", "**", "***", "`", "```", "~~~", "\\", "\\*", "[", "]", "(", ")", "[a]", "[a]: /u",
    "[x](/u \"t\")", "![i](/p.jpg)", "<http://a.b>", "http://x.y/z", "<", ">", "> ", "<b>",
    "</b>", "<div>", "<!-- x -->", "&", "&amp;", "&nbsp;", "&#39;", "&#x0;", "#", "###### ",
    "- ", "+ ", "1. ", "1) ", "---", "Setext\n===", "!", "\"", "'", "«", "»", "—", "\u2019", "…",
    "€", "°", "$", "~", "|", ":", ".", ",", "\u00a0", "\u2028",
)  # fmt: skip


def _candidates() -> dict[str, Render]:
    os.environ.setdefault("RUST_BACKTRACE", "0")  # a panic is counted, not traced 50 lines deep
    found: dict[str, Render] = {}
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options

        # Raw HTML kept, as markdown-it-py's "commonmark" preset keeps it: the sanitiser decides.
        found["cmarkgfm"] = lambda text: cmarkgfm.markdown_to_html(
            text, options=Options.CMARK_OPT_UNSAFE
        )
    except ImportError:
        pass
    try:
        import markdown_it_pyrs

        found["markdown-it-pyrs"] = markdown_it_pyrs.MarkdownIt("commonmark").render
    except ImportError:
        pass
    return found


def _sanitised(render: Render, text: str) -> str:
    try:
        raw = render(text)
    except BaseException as error:  # a Rust panic is a BaseException
        return f"<crash: {type(error).__name__}: {error}>"
    return _markdown.sanitise(raw, "https://www.example.com/2024/06/19/article")


def _compare(name: str, render: Render, texts: list[str], label: str) -> None:
    reference = _markdown.commonmark().render
    differ = [
        (text, ours, theirs)
        for text in texts
        if (ours := _sanitised(reference, text)) != (theirs := _sanitised(render, text))
    ]
    crashes = sum(theirs.startswith("<crash") for _, _, theirs in differ)
    print(f"{name}: {label}: {len(differ)} of {len(texts)} differ ({crashes} crashes)")
    for text, ours, theirs in differ[:3]:
        print(f"  input {text!r}\n    markdown-it-py {ours!r}\n    {name} {theirs!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=2000)
    parser.add_argument("--fragments", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    writer = synth.Writer(rng)
    bodies = [writer.body(3500, 4500) for _ in range(args.bodies)]  # as synth writes leads
    fragments = [
        "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
        for _ in range(args.fragments)
    ]
    renderers = {"markdown-it-py": _markdown.commonmark().render, **_candidates()}
    for name, render in renderers.items():
        start = time.perf_counter()
        for body in bodies:
            render(body)
        seconds = time.perf_counter() - start
        print(f"{name}: {seconds / len(bodies) * 1e6:.0f} µs a synthetic lead body")
    for name, render in renderers.items():
        if name != "markdown-it-py":
            _compare(name, render, bodies, "synthetic bodies")
            _compare(name, render, fragments, "random fragments")


if __name__ == "__main__":
    main()

"""Checks on HTML inside feeds: unsafe tags and attributes, relative references."""

from __future__ import annotations

import html.entities
import re

import html5lib
import html5lib.html5parser
import lxml.html
from lxml import etree

from .common import display_name, elements, local_name, text_of, words
from .report import Report, location, quoted

# HTML elements that the W3C validator's sanitiser accepts in escaped HTML; any other HTML
# element draws SecurityRisk. The list below is the complement: the ones it flags.
UNSAFE_HTML_TAGS = words(
    "applet base basefont body comment embed frame frameset head html iframe isindex link "
    "listing meta noframes object param plaintext script style title xmp"
)
HTML_TAGS = UNSAFE_HTML_TAGS | words(
    "a abbr acronym address area article aside audio b bdi bdo big blockquote br button canvas "
    "caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl "
    "dt em fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 header hgroup hr i img "
    "input ins kbd label legend li main map mark menu meter nav noscript ol optgroup option "
    "output p picture pre progress q rp rt ruby s samp section select small source span strike "
    "strong sub summary sup table tbody td template textarea tfoot th thead time tr track tt u "
    "ul var video wbr"
)

HTML_END_TAG_RE = re.compile(r"</(\w+)>")


def check_escaped_html(element: etree._Element, report: Report, *, relative_refs: bool) -> None:
    markup = text_of(element)
    # The W3C validator parses escaped HTML with html5lib in strict mode: any parse error,
    # such as a bare '<' before a space or an '&' that starts no reference, is NotHtml.
    try:
        html5lib.HTMLParser(strict=True).parseFragment(markup)
        fragment = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (html5lib.html5parser.ParseError, etree.ParserError, ValueError) as error:
        report.warning(
            location(element),
            f"{display_name(element)} does not parse as HTML ({error}) (W3C NotHtml)",
        )
        return
    check_html_tree(element, fragment, report, relative_refs=relative_refs)


def check_html_tree(
    element: etree._Element, tree: etree._Element, report: Report, *, relative_refs: bool
) -> None:
    where = location(element)
    name = display_name(element)
    for node in elements(tree.iter()):
        tag = local_name(node).lower()
        if tag in UNSAFE_HTML_TAGS:
            report.warning(where, f"{name} should not contain the {tag} tag (W3C SecurityRisk)")
        for attribute in node.attrib:
            attribute_name = str(attribute).lower()
            if attribute_name.startswith("on"):
                report.warning(
                    where,
                    f"{name} should not contain the {attribute_name} attribute "
                    "(W3C SecurityRiskAttr)",
                )
        if not relative_refs:
            continue
        reference = node.get("href") if tag == "a" else node.get("src") if tag == "img" else None
        if reference is not None and not re.match(r"\w+:", reference.strip()):
            report.warning(
                where,
                f"{name} should not contain relative URL references: {quoted(reference)} "
                "(W3C ContainsRelRef)",
            )


# What the W3C validator takes for an HTML reference in text (its "RSS Profile" check).
HTML_ENTITY_RE = re.compile(r"&(#?\w+)")


def check_rss_plain_text(element: etree._Element, report: Report) -> None:
    """An RSS element readers show as text: HTML in it, escaped or not, is shown literally."""
    check_no_html(element, report)
    for value in HTML_ENTITY_RE.findall(text_of(element)):
        if value in html.entities.name2codepoint or value == "apos" or not value.isalpha():
            report.warning(
                location(element),
                f"{display_name(element)} should not contain HTML (&{value};) (W3C ContainsHTML)",
            )
            return


def check_no_html(element: etree._Element, report: Report, *, code: str = "ContainsHTML") -> None:
    tags = [tag for tag in HTML_END_TAG_RE.findall(text_of(element)) if tag.lower() in HTML_TAGS]
    if tags:
        report.warning(
            location(element),
            f"{display_name(element)} should not contain HTML (</{tags[0]}>) (W3C {code})",
        )

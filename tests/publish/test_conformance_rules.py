"""The conformance checker's good documents and their editing helpers, and its shared rules.

Every broken document is the good one with one change, so a case that reports anything
besides its own problem means the checker is noisy, and a case that reports nothing means
the rule is not enforced. The RSS 2.0 and Atom 1.0 rules are in test_conformance_rss.py and
test_conformance_atom.py; this file has the XML-level rules both formats share.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conformance import check_atom, check_atom_schema, check_rss

GOOD_RSS = """\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" \
xmlns:content="http://purl.org/rss/1.0/modules/content/" \
xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
  <channel>
    <title>Flux de test</title>
    <link>https://www.example.com/</link>
    <description>Un flux pour les tests.</description>
    <atom:link href="https://www.example.com/feeds/rss.xml" rel="self" \
type="application/rss+xml"/>
    <language>fr</language>
    <lastBuildDate>Wed, 19 Jun 2024 07:00:00 +0000</lastBuildDate>
    <item>
      <title>Un article complet</title>
      <link>https://www.example.com/2024/06/19/article</link>
      <description><![CDATA[<p>Le <a href="https://www.example.com/x">premier</a>.</p>]]></description>
      <content:encoded><![CDATA[<p>Premier paragraphe.</p>\
<img src="https://www.example.com/photo.jpg" alt=""/>]]></content:encoded>
      <dc:creator>La rédaction</dc:creator>
      <guid isPermaLink="true">https://www.example.com/2024/06/19/article</guid>
      <category>Asie</category>
      <pubDate>Wed, 19 Jun 2024 14:30:00 +0900</pubDate>
      <media:content url="https://www.example.com/photo.jpg" medium="image" type="image/jpeg"/>
    </item>
    <item>
      <title>Une brève</title>
      <link>https://www.example.com/2024/06/19/breve</link>
      <description>Le résumé de la brève.</description>
      <guid isPermaLink="false">tag:www.example.com,2024:breve</guid>
      <pubDate>Wed, 19 Jun 2024 15:00:00 +0800</pubDate>
    </item>
  </channel>
</rss>
"""

GOOD_ATOM = """\
<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
  <id>https://www.example.com/</id>
  <title>Flux de test</title>
  <subtitle>Un flux pour les tests.</subtitle>
  <updated>2024-06-19T07:00:00Z</updated>
  <link href="https://www.example.com/feeds/atom.xml" rel="self" type="application/atom+xml"/>
  <link href="https://www.example.com/" rel="alternate" type="text/html"/>
  <author><name>La rédaction</name><email>redaction@example.com</email></author>
  <entry>
    <id>https://www.example.com/2024/06/19/article</id>
    <title>Un article complet</title>
    <updated>2024-06-19T14:30:00+09:00</updated>
    <published>2024-06-19T14:30:00+09:00</published>
    <link href="https://www.example.com/2024/06/19/article" rel="alternate" type="text/html"/>
    <category term="Asie"/>
    <summary type="html">&lt;p&gt;Le premier paragraphe.&lt;/p&gt;</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Premier.</p></div></content>
  </entry>
  <entry>
    <id>https://www.example.com/2024/06/19/breve</id>
    <title type="text">Une brève</title>
    <updated>2024-06-19T15:00:00+08:00</updated>
    <link href="https://www.example.com/2024/06/19/breve"/>
    <summary>Le résumé de la brève.</summary>
  </entry>
</feed>
"""

Edit = tuple[str, str]


def edited(document: str, *edits: Edit) -> bytes:
    for old, new in edits:
        # A typo in old would silently test the good document instead.
        assert document.count(old) == 1, f"{old!r} is not unique in the document"
        document = document.replace(old, new)
    return document.encode("utf-8")


def assert_reports(problems: list[str], *expected: str) -> None:
    """Each expected fragment is in exactly one problem, and nothing else is reported."""
    assert len(problems) == len(expected), "\n".join(problems)
    unmatched = list(problems)
    for fragment in expected:
        hits = [problem for problem in unmatched if fragment in problem]
        assert hits, f"{fragment!r} not in:\n" + "\n".join(problems)
        unmatched.remove(hits[0])


# Here rather than with their formats because the clock test below edits both.
BUILD_DATE = "<lastBuildDate>Wed, 19 Jun 2024 07:00:00 +0000</lastBuildDate>"
FEED_UPDATED = "<updated>2024-06-19T07:00:00Z</updated>"


def build_date(value: str) -> Edit:
    return (BUILD_DATE, f"<lastBuildDate>{value}</lastBuildDate>")


def feed_updated(value: str) -> Edit:
    return (FEED_UPDATED, f"<updated>{value}</updated>")


def test_good_documents_pass() -> None:
    assert check_rss(GOOD_RSS.encode()) == []
    assert check_atom(GOOD_ATOM.encode()) == []
    assert check_atom_schema(GOOD_ATOM.encode()) == []


def test_problems_name_severity_place_and_line() -> None:
    data = edited(GOOD_RSS, ("<link>https://www.example.com/</link>", "<link>/</link>"))
    assert check_rss(data) == [
        "error: /rss/channel/link (line 5): link is not absolute: /; it must be a full URL "
        "(W3C InvalidFullLink)"
    ]


def test_the_clock_for_implausible_dates_can_be_fixed() -> None:
    # Builds in the test suite run with a fixed clock that may be ahead of the real one.
    later = datetime(2100, 1, 1, tzinfo=UTC)
    assert (
        check_rss(edited(GOOD_RSS, build_date("Fri, 19 Jun 2099 07:00:00 +0000")), now=later) == []
    )
    assert check_atom(edited(GOOD_ATOM, feed_updated("2099-06-19T07:00:00Z")), now=later) == []
    # A naive clock is taken as UTC: at 06:00 the 07:00Z stamps lie in the future.
    earlier = datetime(2024, 6, 19, 6, 0)
    assert_reports(
        check_atom(GOOD_ATOM.encode(), now=earlier),
        'implausible date "2024-06-19T07:00:00Z"',
        'implausible date "2024-06-19T15:00:00+08:00"',
    )


# --- XML level, shared by both formats ----------------------------------------------------

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
RSS_ROOT_DC = ' xmlns:dc="http://purl.org/dc/elements/1.1/"'

XML_CASES = [
    pytest.param([(DECLARATION + "\n", "")], ["missing XML declaration"], id="no-declaration"),
    pytest.param(
        [(DECLARATION, '<?xml version="1.0"?>')],
        ["XML declaration names no encoding"],
        id="no-encoding",
    ),
    pytest.param(
        [(DECLARATION, '<?xml version="1.0" encoding="ISO-8859-1"?>')],
        ["encoding is ISO-8859-1; expected UTF-8"],
        id="latin-1",
    ),
    pytest.param(
        [("</rss>", "")],
        ["not well-formed XML"],
        id="not-well-formed",
    ),
    pytest.param(
        [
            (RSS_ROOT_DC, ""),
            ("<dc:creator>", '<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">'),
        ],
        ['xmlns:dc="http://purl.org/dc/elements/1.1/" is declared below the root element'],
        id="declared-below-root",
    ),
    pytest.param(
        [(RSS_ROOT_DC, RSS_ROOT_DC + ' xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"')],
        ['xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" is declared but never used'],
        id="unused-prefix",
    ),
    pytest.param(
        [(RSS_ROOT_DC, RSS_ROOT_DC + ' xmlns:dce="http://purl.org/dc/elements/1.1/"')],
        ["namespace http://purl.org/dc/elements/1.1/ is declared twice (xmlns:dc and xmlns:dce)"],
        id="declared-twice",
    ),
    pytest.param(
        [
            (
                'xmlns:media="http://search.yahoo.com/mrss/"',
                'xmlns:media="http://search.yahoo.com/mrss"',
            )
        ],
        ["Media RSS namespace must end with a slash"],
        id="media-rss-without-slash",
    ),
    pytest.param(
        [(RSS_ROOT_DC, ' xmlns:dc="http://purl.org/dc/terms/"')],
        ['the prefix "dc" is bound to http://purl.org/dc/terms/'],
        id="reserved-prefix",
    ),
    pytest.param(
        [
            (RSS_ROOT_DC, RSS_ROOT_DC + ' xmlns:x="http://example.com/ns/x"'),
            ("<category>Asie</category>", "<category>Asie</category><x:y>z</x:y>"),
        ],
        ["use of unknown namespace: http://example.com/ns/x (W3C UnknownNamespace)"],
        id="unknown-namespace",
    ),
]


@pytest.mark.parametrize(("edits", "expected"), XML_CASES)
def test_xml_level_problems(edits: list[Edit], expected: list[str]) -> None:
    assert_reports(check_rss(edited(GOOD_RSS, *edits)), *expected)


def test_utf8_byte_order_mark_is_allowed() -> None:
    assert check_rss(b"\xef\xbb\xbf" + GOOD_RSS.encode()) == []


def test_declaration_with_single_quotes_as_lxml_writes_it() -> None:
    data = edited(GOOD_RSS, (DECLARATION, "<?xml version='1.0' encoding='UTF-8'?>"))
    assert check_rss(data) == []


def test_xhtml_default_namespace_on_the_div_is_allowed_but_nowhere_else() -> None:
    # RFC 4287 declares XHTML on the div itself; the good Atom document does just that.
    data = edited(
        GOOD_ATOM,
        (
            "  <entry>\n    <id>https://www.example.com/2024/06/19/breve",
            (
                '  <entry xmlns="http://www.w3.org/2005/Atom">\n'
                "    <id>https://www.example.com/2024/06/19/breve"
            ),
        ),
    )
    assert_reports(
        check_atom(data), 'xmlns="http://www.w3.org/2005/Atom" is declared below the root'
    )


def test_prefixed_xhtml_in_atom_is_discouraged() -> None:
    data = edited(
        GOOD_ATOM,
        ('xml:lang="fr">', 'xml:lang="fr" xmlns:xhtml="http://www.w3.org/1999/xhtml">'),
        (
            '<div xmlns="http://www.w3.org/1999/xhtml"><p>Premier.</p></div>',
            "<xhtml:div><xhtml:p>Premier.</xhtml:p></xhtml:div>",
        ),
    )
    assert_reports(check_atom(data), 'avoid the namespace prefix "xhtml"')

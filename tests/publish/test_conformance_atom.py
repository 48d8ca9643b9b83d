"""The conformance checker's Atom 1.0 rules and the RFC 4287 grammar, on the good Atom document."""

from __future__ import annotations

import pytest
from conformance import check_atom, check_atom_schema
from test_conformance_rules import (
    FEED_UPDATED,
    GOOD_ATOM,
    Edit,
    assert_reports,
    edited,
    feed_updated,
)

FEED_AUTHOR = "<author><name>La rédaction</name><email>redaction@example.com</email></author>"
FEED_ALTERNATE = '<link href="https://www.example.com/" rel="alternate" type="text/html"/>'
ATOM_SELF = (
    '<link href="https://www.example.com/feeds/atom.xml" rel="self" type="application/atom+xml"/>'
)
ARTICLE_SUMMARY = '<summary type="html">&lt;p&gt;Le premier paragraphe.&lt;/p&gt;</summary>'
ARTICLE_CONTENT = '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Premier.</p></div></content>'
BREVE_ID = "<id>https://www.example.com/2024/06/19/breve</id>"
BREVE_UPDATED = "<updated>2024-06-19T15:00:00+08:00</updated>"
BREVE_LINK = '<link href="https://www.example.com/2024/06/19/breve"/>'
BREVE_SUMMARY = "<summary>Le résumé de la brève.</summary>"


def after_breve_id(markup: str) -> Edit:
    return (BREVE_ID, BREVE_ID + markup)


ATOM_CASES = [
    pytest.param(
        [("<id>https://www.example.com/</id>", "")],
        ["missing feed element: id (RFC 4287 4.1)"],
        id="feed-without-id",
    ),
    pytest.param(
        [("<title>Flux de test</title>", "<title>Flux de test</title><title>Bis</title>")],
        ["feed must contain exactly one title, found 2"],
        id="feed-with-two-titles",
    ),
    pytest.param(
        [(FEED_UPDATED, "")],
        ["missing feed element: updated"],
        id="feed-without-updated",
    ),
    pytest.param(
        [
            (
                "<subtitle>Un flux pour les tests.</subtitle>",
                "<subtitle>A</subtitle><subtitle>B</subtitle>",
            )
        ],
        ["feed contains more than one subtitle"],
        id="feed-with-two-subtitles",
    ),
    pytest.param(
        [(FEED_AUTHOR, "")],
        ["missing entry element: author", "missing entry element: author"],
        id="no-author-anywhere",
    ),
    pytest.param(
        [(ATOM_SELF, "")],
        ['missing atom:link with rel="self" (W3C MissingSelf)'],
        id="no-self-link",
    ),
    pytest.param(
        [(ATOM_SELF, ATOM_SELF.replace("application/atom+xml", "text/html"))],
        ['"self" link references a non-feed representation, text/html (W3C SelfNotAtom)'],
        id="self-link-not-a-feed",
    ),
    pytest.param(
        [(ATOM_SELF, ATOM_SELF.replace("https://www.example.com/feeds/atom.xml", "atom.xml"))],
        ["href of the self link is not absolute: atom.xml"],
        id="relative-self-link",
    ),
    pytest.param(
        [
            (
                FEED_ALTERNATE,
                FEED_ALTERNATE
                + FEED_ALTERNATE.replace(
                    '"https://www.example.com/"', '"https://www.example.com/b"'
                ),
            )
        ],
        ["duplicate alternate links with the same type and hreflang"],
        id="duplicate-alternate",
    ),
    pytest.param(
        [(FEED_ALTERNATE, '<link rel="alternate" type="text/html"/>')],
        ["link must have an href attribute (W3C MissingHref"],
        id="link-without-href",
    ),
    pytest.param(
        [(FEED_ALTERNATE, FEED_ALTERNATE.replace("/>", ">x</link>"))],
        ["link should not have content"],
        id="link-with-text",
    ),
    pytest.param(
        [(FEED_ALTERNATE, FEED_ALTERNATE.replace('rel="alternate"', 'rel="home"'))],
        ['unregistered link relationship "home" (W3C UnregisteredAtomLinkRel)'],
        id="unregistered-rel",
    ),
    pytest.param(
        [(FEED_ALTERNATE, FEED_ALTERNATE.replace("/>", ' length="big"/>'))],
        ['length attribute must be a non-negative integer, not "big"'],
        id="link-length",
    ),
    pytest.param(
        [(FEED_ALTERNATE, FEED_ALTERNATE.replace("/>", ' hreflang="fr_FR"/>'))],
        ['"fr_FR" is not a language tag'],
        id="link-hreflang",
    ),
    pytest.param(
        [('xml:lang="fr"', 'xml:lang="french!"')],
        ['"french!" is not a language tag'],
        id="xml-lang",
    ),
    pytest.param(
        [("<subtitle>Un flux pour les tests.</subtitle>", "<description>Un flux.</description>")],
        ["undefined feed element: description (W3C UndefinedElement)"],
        id="undefined-feed-element",
    ),
    pytest.param(
        [
            ("<subtitle>Un flux pour les tests.</subtitle>", ""),
            ("</feed>", "  <subtitle>Un flux pour les tests.</subtitle>\n</feed>"),
        ],
        ["subtitle must appear before all entries (W3C MisplacedMetadata)"],
        id="metadata-after-entries",
    ),
    pytest.param(
        [(BREVE_ID, "")],
        ["missing entry element: id"],
        id="entry-without-id",
    ),
    pytest.param(
        [(BREVE_UPDATED, BREVE_UPDATED + BREVE_UPDATED)],
        ["entry must contain exactly one updated, found 2"],
        id="entry-with-two-updated",
    ),
    pytest.param(
        [('<title type="text">Une brève</title>', "")],
        ["missing entry element: title"],
        id="entry-without-title",
    ),
    pytest.param(
        [(BREVE_LINK, BREVE_LINK.replace("/>", ' rel="related"/>'))],
        ['an entry without content must have a link with rel="alternate"'],
        id="entry-without-content-or-alternate",
    ),
    pytest.param(
        [(BREVE_SUMMARY, "")],
        ["entry has neither content nor summary (W3C MissingTextualContent)"],
        id="entry-without-text",
    ),
    pytest.param(
        [
            (ARTICLE_SUMMARY, ""),
            (ARTICLE_CONTENT, '<content src="https://www.example.com/a.html" type="text/html"/>'),
        ],
        ["an entry whose content has a src attribute must have a summary (W3C MissingSummary"],
        id="remote-content-without-summary",
    ),
    pytest.param(
        [
            (ARTICLE_SUMMARY, ""),
            (ARTICLE_CONTENT, '<content type="image/png">iVBORw0KGgo=</content>'),
        ],
        ["an entry whose content is Base64 (image/png) must have a summary"],
        id="base64-content-without-summary",
    ),
    pytest.param(
        [(ARTICLE_CONTENT, '<content type="image/png">not base64!</content>')],
        ["image/png content must be Base64 encoded (W3C NotBase64"],
        id="content-not-base64",
    ),
    pytest.param(
        [(ARTICLE_CONTENT, '<content type="html" src="https://www.example.com/a.html"/>')],
        ['content with src must have a MIME media type, not "html"'],
        id="remote-content-typed-html",
    ),
    pytest.param(
        [
            (
                ARTICLE_CONTENT,
                '<content type="text/html" src="https://www.example.com/a">x</content>',
            )
        ],
        ["content with src must be empty"],
        id="remote-content-not-empty",
    ),
    pytest.param(
        [(ARTICLE_CONTENT, '<content src="https://www.example.com/a.html"/>')],
        ["content with src should have a type attribute (W3C MissingTypeAttr)"],
        id="remote-content-without-type",
    ),
    pytest.param(
        [(ARTICLE_CONTENT, '<content type="CDATA">&lt;p&gt;x&lt;/p&gt;</content>')],
        ['content type must be "text", "html", "xhtml" or a MIME media type, not "CDATA"'],
        id="content-type-cdata",
    ),
    pytest.param(
        [(ARTICLE_CONTENT, '<content type="multipart/alternative">x</content>')],
        ["content type must not be a composite type"],
        id="content-type-composite",
    ),
    pytest.param(
        [(ARTICLE_SUMMARY, ARTICLE_SUMMARY.replace('type="html"', 'type="CDATA"'))],
        ['type attribute must be "text", "html", or "xhtml", not "CDATA" (W3C InvalidTextType'],
        id="summary-type-cdata",
    ),
    pytest.param(
        [(ARTICLE_SUMMARY, ARTICLE_SUMMARY.replace('type="html"', 'type="text/html"'))],
        ['type attribute must be "text", "html", or "xhtml", not "text/html"'],
        id="summary-type-mime",
    ),
    pytest.param(
        [(ARTICLE_SUMMARY, '<summary type="html"><b>Le premier</b></summary>')],
        ['type="html" must not contain child elements (b); escape the markup'],
        id="html-summary-as-markup",
    ),
    pytest.param(
        [
            (
                ARTICLE_SUMMARY,
                ARTICLE_SUMMARY.replace("&lt;p&gt;", "&lt;script&gt;x&lt;/script&gt;&lt;p&gt;"),
            )
        ],
        ["summary should not contain the script tag (W3C SecurityRisk)"],
        id="script-in-html-summary",
    ),
    pytest.param(
        [(BREVE_SUMMARY, "<summary>Le &lt;b&gt;résumé&lt;/b&gt;.</summary>")],
        ["summary should not contain HTML (</b>) (W3C ContainsUndeclaredHTML)"],
        id="html-in-text-summary",
    ),
    pytest.param(
        [(ARTICLE_CONTENT, '<content type="xhtml">Premier.</content>')],
        ['type="xhtml" content must be exactly one XHTML div element'],
        id="xhtml-without-div",
    ),
    pytest.param(
        [(ARTICLE_CONTENT, ARTICLE_CONTENT.replace("<p>Premier.</p>", "<script>x()</script>"))],
        ["content should not contain the script tag (W3C SecurityRisk)"],
        id="script-in-xhtml",
    ),
    pytest.param(
        [('<title type="text">Une brève</title>', '<title type="text"> </title>')],
        ["title should not be blank (W3C NotBlank)"],
        id="blank-entry-title",
    ),
    pytest.param(
        [feed_updated("2024-06-19T07:00:00")],
        ["updated must be an RFC-3339 date-time with an explicit offset"],
        id="date-without-offset",
    ),
    pytest.param(
        [feed_updated("2024-06-19 07:00:00Z")],
        ["updated must be an RFC-3339 date-time"],
        id="date-with-space",
    ),
    pytest.param(
        [feed_updated("2024-06-19t07:00:00z")],
        ["updated must be an RFC-3339 date-time"],
        id="date-lower-case",
    ),
    pytest.param(
        [feed_updated("2024-06-19T07:00Z")],
        ["updated must be an RFC-3339 date-time"],
        id="date-without-seconds",
    ),
    pytest.param(
        [feed_updated("Wed, 19 Jun 2024 07:00:00 +0000")],
        ["updated must be an RFC-3339 date-time"],
        id="rfc822-date-in-atom",
    ),
    pytest.param(
        [feed_updated("2024-02-30T07:00:00Z")],
        ["updated is not a real date-time"],
        id="thirtieth-of-february",
    ),
    pytest.param(
        [feed_updated("2099-06-19T07:00:00Z")],
        ["implausible date"],
        id="future-date",
    ),
    pytest.param(
        [(FEED_UPDATED, "<updated>\n    2024-06-19T07:00:00Z\n  </updated>")],
        ["white space is not allowed around updated (W3C UnexpectedWhitespace"],
        id="date-with-whitespace",
    ),
    pytest.param(
        [("<published>2024-06-19T14:30:00+09:00</published>", "<published>19/06/2024</published>")],
        ["published must be an RFC-3339 date-time"],
        id="published-form",
    ),
    pytest.param(
        [(BREVE_ID, "<id>/2024/06/19/breve</id>")],
        ["id is not absolute: /2024/06/19/breve; it must be an absolute IRI (RFC 4287 4.2.6)"],
        id="relative-id",
    ),
    pytest.param(
        [(BREVE_ID, "<id>tag:example.com:breve</id>")],
        ["is not a valid tag URI"],
        id="malformed-tag-id",
    ),
    pytest.param(
        [(BREVE_ID, "<id>https://www.example.com/2024/06/19/article</id>")],
        ["two entries with the same id https://www.example.com/2024/06/19/article"],
        id="duplicate-entry-id",
    ),
    pytest.param(
        [(BREVE_ID, "<id>https://WWW.Example.com:443/2024/06/19/breve</id>")],
        [
            "is not in canonical form (the canonical form would be "
            "https://www.example.com/2024/06/19/breve) (W3C NonCanonicalURI)"
        ],
        id="non-canonical-id",
    ),
    pytest.param(
        [(BREVE_UPDATED, "<updated>2024-06-19T14:30:00+09:00</updated>")],
        ["two entries with the same value for atom:updated"],
        id="duplicate-updated",
    ),
    pytest.param(
        [('<category term="Asie"/>', '<category label="Asie"/>')],
        ["category must have a term attribute"],
        id="category-without-term",
    ),
    pytest.param(
        [('<category term="Asie"/>', '<category term="Asie" scheme="/rubriques"/>')],
        ["category scheme is not absolute: /rubriques"],
        id="category-relative-scheme",
    ),
    pytest.param(
        [(FEED_AUTHOR, "<author><email>redaction@example.com</email></author>")],
        ["author must contain exactly one name, found 0"],
        id="author-without-name",
    ),
    pytest.param(
        [(FEED_AUTHOR, FEED_AUTHOR.replace("redaction@example.com", "la rédaction"))],
        ['email must be an email address, not "la rédaction" (W3C InvalidAddrSpec)'],
        id="author-email",
    ),
    pytest.param(
        [after_breve_id("<subject>x</subject>")],
        ["undefined entry element: subject (W3C UndefinedElement)"],
        id="undefined-entry-element",
    ),
]


@pytest.mark.parametrize(("edits", "expected"), ATOM_CASES)
def test_atom_problems(edits: list[Edit], expected: list[str]) -> None:
    assert_reports(check_atom(edited(GOOD_ATOM, *edits)), *expected)


def test_author_on_every_entry_instead_of_the_feed_passes() -> None:
    data = edited(
        GOOD_ATOM,
        (FEED_AUTHOR, ""),
        ("<category term", f"{FEED_AUTHOR}<category term"),
        (BREVE_SUMMARY, BREVE_SUMMARY + FEED_AUTHOR),
    )
    assert check_atom(data) == []


def test_atom_alternates_differing_in_language_and_extensions_pass() -> None:
    data = edited(
        GOOD_ATOM,
        (FEED_ALTERNATE, FEED_ALTERNATE + FEED_ALTERNATE.replace("/>", ' hreflang="en"/>')),
        ('xml:lang="fr">', 'xml:lang="fr" xmlns:media="http://search.yahoo.com/mrss/">'),
        after_breve_id('<media:thumbnail url="https://www.example.com/t.jpg"/>'),
    )
    assert check_atom(data) == []
    assert check_atom_schema(data) == []


@pytest.mark.parametrize(
    "value",
    ["2024-06-19T07:00:00.25Z", "2024-06-19T07:00:00-04:00", "2016-12-31T23:59:60Z"],
)
def test_atom_date_forms_rfc3339_accepts(value: str) -> None:
    assert check_atom(edited(GOOD_ATOM, feed_updated(value))) == []


def test_atom_root_must_be_an_atom_feed() -> None:
    data = edited(
        GOOD_ATOM,
        ('<feed xmlns="http://www.w3.org/2005/Atom"', ('<feed xmlns="http://purl.org/atom/ns#"')),
    )
    assert_reports(
        check_atom(data),
        "root element is {http://purl.org/atom/ns#}feed",
        "use of unknown namespace: http://purl.org/atom/ns#",
        # The XHTML div is exempt only inside an Atom content element.
        'xmlns="http://www.w3.org/1999/xhtml" is declared below the root element',
    )


# --- The RFC 4287 Appendix B grammar -------------------------------------------------------


def test_schema_rejects_a_text_construct_typed_cdata() -> None:
    data = edited(GOOD_ATOM, (ARTICLE_SUMMARY, ARTICLE_SUMMARY.replace('"html"', '"CDATA"')))
    problems = check_atom_schema(data)
    assert problems
    assert any("Invalid attribute type for element summary" in problem for problem in problems)


def test_schema_rejects_a_feed_without_updated() -> None:
    problems = check_atom_schema(edited(GOOD_ATOM, (FEED_UPDATED, "")))
    assert any("Expecting an element updated" in problem for problem in problems)


def test_schema_rejects_unknown_elements_in_the_atom_namespace() -> None:
    data = edited(GOOD_ATOM, after_breve_id("<subject>x</subject>"))
    assert check_atom_schema(data) != []


@pytest.mark.parametrize(
    ("edit", "caught_by_check_atom"),
    [
        pytest.param(
            feed_updated("2024-06-19T07:00:00"), "explicit offset", id="date-without-zone"
        ),
        pytest.param((FEED_AUTHOR, ""), "missing entry element: author", id="no-author"),
        pytest.param((BREVE_ID, "<id>breve</id>"), "id is not absolute", id="relative-id"),
    ],
)
def test_schema_quirks_that_check_atom_covers(edit: Edit, caught_by_check_atom: str) -> None:
    # The grammar types dates as xsd:dateTime (zone optional), keeps the author rule in
    # Schematron annotations RELAX NG ignores, and leaves IRIs as free text.
    data = edited(GOOD_ATOM, edit)
    assert check_atom_schema(data) == []
    assert any(caught_by_check_atom in problem for problem in check_atom(data))


def test_schema_reports_malformed_xml() -> None:
    problems = check_atom_schema(b"<feed")
    assert len(problems) == 1
    assert "not well-formed XML" in problems[0]

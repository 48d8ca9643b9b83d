"""The conformance checker's RSS 2.0 rules, each caught on the good RSS document with one change."""

from __future__ import annotations

import pytest
from conformance import check_rss
from test_conformance_rules import BUILD_DATE, GOOD_RSS, Edit, assert_reports, build_date, edited

ARTICLE_GUID = '<guid isPermaLink="true">https://www.example.com/2024/06/19/article</guid>'
BREVE_GUID = '<guid isPermaLink="false">tag:www.example.com,2024:breve</guid>'
BREVE_TITLE = "<title>Une brève</title>"
BREVE_DESCRIPTION = "<description>Le résumé de la brève.</description>"
SELF_LINK = (
    '<atom:link href="https://www.example.com/feeds/rss.xml" rel="self" '
    'type="application/rss+xml"/>'
)
CATEGORY = "<category>Asie</category>"


def after_category(markup: str) -> Edit:
    return (CATEGORY, CATEGORY + markup)


RSS_CASES = [
    pytest.param([('version="2.0"', 'version="0.91"')], ['rss version is "0.91"'], id="version"),
    pytest.param(
        [
            (
                "  </channel>\n</rss>",
                "  </channel>\n  <channel><title>B</title><link>https://www.example.com/b</link>"
                "<description>B</description></channel>\n</rss>",
            )
        ],
        ["rss must contain exactly one channel, found 2"],
        id="two-channels",
    ),
    pytest.param(
        [("<title>Flux de test</title>", "")],
        ["missing channel element: title"],
        id="channel-without-title",
    ),
    pytest.param(
        [("<description>Un flux pour les tests.</description>", "")],
        ["missing channel element: description"],
        id="channel-without-description",
    ),
    pytest.param(
        [("<language>fr</language>", "<language>fr</language><language>en</language>")],
        ["channel contains more than one language (W3C DuplicateElement)"],
        id="duplicate-language",
    ),
    pytest.param(
        [("<language>fr</language>", "<language>fr_FR</language>")],
        ['"fr_FR" is not a language tag'],
        id="language-form",
    ),
    pytest.param(
        [("<title>Flux de test</title>", "<title>Flux &lt;b&gt;test&lt;/b&gt;</title>")],
        ["title should not contain HTML (</b>) (W3C ContainsHTML)"],
        id="html-in-channel-title",
    ),
    pytest.param(
        [("<language>fr</language>", "<language>fr</language><subtitle>x</subtitle>")],
        ["undefined channel element: subtitle"],
        id="undefined-channel-element",
    ),
    pytest.param(
        [(BUILD_DATE, ""), ("  </channel>", f"  {BUILD_DATE}\n  </channel>")],
        ["lastBuildDate follows an item (W3C MisplacedItem)"],
        id="metadata-after-items",
    ),
    pytest.param(
        [build_date("2024-06-19T07:00:00Z")],
        ["lastBuildDate must be an RFC-822 date-time"],
        id="iso-date-in-rss",
    ),
    pytest.param(
        [build_date("Wed, 19 Jun 24 07:00:00 +0000")],
        ["problematical RFC 822 date-time value"],
        id="two-digit-year",
    ),
    pytest.param(
        [build_date("Wednesday, 19 Jun 2024 07:00:00 +0000")],
        ["lastBuildDate must be an RFC-822 date-time"],
        id="long-day-name",
    ),
    pytest.param(
        [build_date("Wed, 19 June 2024 07:00:00 +0000")],
        ["lastBuildDate must be an RFC-822 date-time"],
        id="long-month-name",
    ),
    pytest.param(
        [build_date("Wed, 19 Jun 2024 07:00:00 CEST")],
        ["lastBuildDate must be an RFC-822 date-time"],
        id="unknown-zone-name",
    ),
    pytest.param(
        [build_date("Thu, 19 Jun 2024 07:00:00 +0000")],
        ["that date is a Wed (W3C IncorrectDOW)"],
        id="wrong-day-of-week",
    ),
    pytest.param(
        [build_date("Sun, 31 Jun 2024 07:00:00 +0000")],
        ["lastBuildDate is not a real date"],
        id="thirty-first-of-june",
    ),
    pytest.param(
        [build_date("Wed, 19 Jun 2024 25:00:00 +0000")],
        ["impossible time of day"],
        id="hour-25",
    ),
    pytest.param(
        [build_date("Fri, 19 Jun 2099 07:00:00 +0000")],
        ["implausible date"],
        id="future-date",
    ),
    pytest.param(
        [(SELF_LINK, ""), (' xmlns:atom="http://www.w3.org/2005/Atom"', "")],
        ['missing atom:link with rel="self"'],
        id="no-self-link",
    ),
    pytest.param(
        [(SELF_LINK, SELF_LINK.replace("application/rss+xml", "application/atom+xml"))],
        ['should have type="application/rss+xml", not "application/atom+xml"'],
        id="self-link-type",
    ),
    pytest.param(
        [(SELF_LINK, SELF_LINK.replace("https://www.example.com/feeds/rss.xml", "rss.xml"))],
        ["href of the self link is not absolute: rss.xml"],
        id="relative-self-link",
    ),
    pytest.param(
        [(BREVE_TITLE, ""), (BREVE_DESCRIPTION, "")],
        ["item must contain either title or description"],
        id="item-without-title-or-description",
    ),
    pytest.param(
        [(BREVE_GUID, "")],
        ["item should contain a guid element (W3C MissingGuid)"],
        id="item-without-guid",
    ),
    pytest.param(
        [(BREVE_GUID, ARTICLE_GUID)],
        ["guid values must not be duplicated within a feed"],
        id="duplicate-guid",
    ),
    pytest.param(
        [(BREVE_GUID, "<guid>tag:www.example.com,2024:breve</guid>")],
        ['guid is not a locator: a guid must be a full URL unless isPermaLink is "false"'],
        id="implicit-permalink-not-url",
    ),
    pytest.param(
        [(ARTICLE_GUID, '<guid isPermaLink="true">/2024/06/19/article</guid>')],
        ["guid is not absolute: /2024/06/19/article"],
        id="relative-permalink",
    ),
    pytest.param(
        [(ARTICLE_GUID, ARTICLE_GUID.replace('"true"', '"yes"'))],
        ["isPermaLink attribute of guid must be 'true' or 'false', not \"yes\""],
        id="permalink-flag",
    ),
    pytest.param(
        [(BREVE_GUID, '<guid isPermaLink="false">1234</guid>')],
        ["guid 1234 is not sufficiently unique (W3C NotSufficientlyUnique)"],
        id="numeric-guid",
    ),
    pytest.param(
        [(BREVE_TITLE, BREVE_TITLE + "<title>Bis</title>")],
        ["item contains more than one title (W3C DuplicateElement)"],
        id="duplicate-item-title",
    ),
    pytest.param(
        [(BREVE_TITLE, BREVE_TITLE + "<summary>x</summary>")],
        ["undefined item element: summary"],
        id="undefined-item-element",
    ),
    pytest.param(
        [(BREVE_TITLE, BREVE_TITLE + "<author>La rédaction</author>")],
        ['author must be an email address, not "La rédaction" (W3C InvalidContact)'],
        id="author-not-email",
    ),
    pytest.param(
        [(BREVE_TITLE, BREVE_TITLE + "<author>redaction@example.com</author>")],
        ["author is missing the real name"],
        id="author-without-name",
    ),
    pytest.param(
        [
            (
                BREVE_TITLE,
                BREVE_TITLE + "<author>La rédaction &lt;redaction@example.com&gt;</author>",
            )
        ],
        ['author is not in the recommended format "address (Real Name)" (W3C EmailFormat)'],
        id="author-angle-brackets",
    ),
    pytest.param(
        [after_category("<author>redaction@example.com (La rédaction)</author>")],
        ["An item should not include both author and dc:creator (W3C DuplicateSemantics)"],
        id="author-and-dc-creator",
    ),
    pytest.param(
        [after_category("<comments>/comments/1</comments>")],
        ["comments is not absolute: /comments/1"],
        id="relative-comments",
    ),
    pytest.param(
        [
            (
                "<link>https://www.example.com/2024/06/19/breve</link>",
                "<link>https://www.example.com/2024/06/19/brève</link>",
            )
        ],
        ["contains the non-ASCII character 'è'; percent-encode it (W3C UriNotIri)"],
        id="non-ascii-link",
    ),
    pytest.param(
        [
            (
                "<link>https://www.example.com/2024/06/19/breve</link>",
                "<link>https://www.example.com/2024/06/19/une breve</link>",
            )
        ],
        ["link contains white space"],
        id="space-in-link",
    ),
    pytest.param(
        [after_category('<enclosure url="/a.mp3" length="1" type="audio/mpeg"/>')],
        ["enclosure url must be a full http or https URL: /a.mp3"],
        id="relative-enclosure",
    ),
    pytest.param(
        [after_category('<enclosure url="https://www.example.com/a.mp3" type="audio/mpeg"/>')],
        ["missing enclosure attribute: length"],
        id="enclosure-without-length",
    ),
    pytest.param(
        [after_category('<enclosure url="https://www.example.com/a.mp3" length="-1" type="a/b"/>')],
        ["enclosure length must be 0, not -1, when unknown (W3C UseZeroForUnknown)"],
        id="enclosure-length-minus-one",
    ),
    pytest.param(
        [
            after_category(
                '<enclosure url="https://www.example.com/a.mp3" length="1" type="audio/mpeg"/>'
                '<enclosure url="https://www.example.com/b.mp3" length="1" type="audio/mpeg"/>'
            )
        ],
        ["item contains more than one enclosure (W3C DuplicateEnclosure)"],
        id="two-enclosures",
    ),
    pytest.param(
        [('url="https://www.example.com/photo.jpg" medium', 'url="photo.jpg" medium')],
        ["url attribute is not absolute: photo.jpg"],
        id="relative-media-content",
    ),
    pytest.param(
        [('medium="image"', 'medium="picture"')],
        ['invalid content medium: "picture" (W3C InvalidMediaMedium)'],
        id="media-medium",
    ),
    pytest.param(
        [after_category('<media:thumbnail width="10"/>')],
        ["missing media:thumbnail attribute: url"],
        id="media-thumbnail-without-url",
    ),
    pytest.param(
        [after_category('<media:description type="rich">x</media:description>')],
        ['type attribute must be "plain" or "html", not "rich"'],
        id="media-text-type",
    ),
    pytest.param(
        [
            (
                '<media:content url="https://www.example.com/photo.jpg" medium="image" '
                'type="image/jpeg"/>',
                '<media:group><media:content url="https://www.example.com/photo.jpg"/></media:group>',
            )
        ],
        ["media:group must have multiple media:content children"],
        id="media-group-of-one",
    ),
    pytest.param(
        [
            (
                "<content:encoded><![CDATA[<p>Premier paragraphe.</p>"
                '<img src="https://www.example.com/photo.jpg" alt=""/>]]></content:encoded>',
                "<content:encoded><p>Premier paragraphe.</p></content:encoded>",
            )
        ],
        ["content:encoded must hold escaped or CDATA HTML, not child elements (found p)"],
        id="content-encoded-as-markup",
    ),
    pytest.param(
        [
            (
                '<description><![CDATA[<p>Le <a href="https://www.example.com/x">premier</a>.</p>]]>'
                "</description>",
                "",
            )
        ],
        ["ensure description precedes content:encoded (W3C NeedDescriptionBeforeContent)"],
        id="content-encoded-without-description",
    ),
    pytest.param(
        [
            (
                '<p>Le <a href="https://www.example.com/x">',
                '<p>Le <script>alert(1)</script><a href="https://www.example.com/x">',
            )
        ],
        ["description should not contain the script tag (W3C SecurityRisk)"],
        id="script-in-description",
    ),
    pytest.param(
        [
            (
                '<a href="https://www.example.com/x">',
                '<a href="https://www.example.com/x" onclick="go()">',
            )
        ],
        ["description should not contain the onclick attribute (W3C SecurityRiskAttr)"],
        id="event-handler-in-description",
    ),
    pytest.param(
        [('<a href="https://www.example.com/x">', '<a href="/x">')],
        ['description should not contain relative URL references: "/x" (W3C ContainsRelRef)'],
        id="relative-link-in-description",
    ),
    pytest.param(
        [('<img src="https://www.example.com/photo.jpg"', '<img src="photo.jpg"')],
        ['content:encoded should not contain relative URL references: "photo.jpg"'],
        id="relative-image-in-content",
    ),
    pytest.param(
        [
            (
                BREVE_DESCRIPTION,
                "<description>&lt;iframe src='https://x.example/'&gt;&lt;/iframe&gt;</description>",
            )
        ],
        ["description should not contain the iframe tag (W3C SecurityRisk)"],
        id="escaped-iframe-in-description",
    ),
    # The validator parses it as html5lib does, strictly: an unclosed tag is not HTML.
    pytest.param(
        [(BREVE_DESCRIPTION, "<description>&lt;iframe src='https://x.example/'&gt;</description>")],
        ["description does not parse as HTML (Unexpected end of file. Expected end tag (iframe).)"],
        id="unclosed-tag-in-description",
    ),
    # Plain text put in the HTML <description> as it is: '<' and '&' that start nothing.
    pytest.param(
        [(BREVE_DESCRIPTION, "<description>a &lt; b</description>")],
        ["description does not parse as HTML (Expected tag name. Got something else instead)"],
        id="bare-less-than-in-description",
    ),
    pytest.param(
        [(BREVE_DESCRIPTION, "<description>AT&amp;T</description>")],
        ["description does not parse as HTML (Named entity expected. Got none.) (W3C NotHtml)"],
        id="bare-ampersand-in-description",
    ),
    pytest.param(
        [(BREVE_DESCRIPTION, "<description>AT&amp;amp;T, a &amp;lt; b &amp; c</description>")],
        [],
        id="escaped-text-in-description",
    ),
    # The title is text: a reference in it, once decoded, is shown as written.
    pytest.param(
        [(BREVE_TITLE, "<title>Ben &amp;amp; Jerry</title>")],
        ["title should not contain HTML (&amp;) (W3C ContainsHTML)"],
        id="escaped-ampersand-in-title",
    ),
    pytest.param(
        [(BREVE_TITLE, "<title>Ben &amp; Jerry &lt; 3, AT&amp;T</title>")],
        [],
        id="plain-ampersand-in-title",
    ),
    pytest.param(
        [
            (
                "<description>Un flux pour les tests.</description>",
                "<description>Un flux &amp;#233;crit</description>",
            )
        ],
        ["description should not contain HTML (&#233;) (W3C ContainsHTML)"],
        id="reference-in-channel-description",
    ),
]


@pytest.mark.parametrize(("edits", "expected"), RSS_CASES)
def test_rss_problems(edits: list[Edit], expected: list[str]) -> None:
    assert_reports(check_rss(edited(GOOD_RSS, *edits)), *expected)


@pytest.mark.parametrize(
    "value",
    [
        "Wed, 19 Jun 2024 07:00:00 GMT",
        "Wed, 19 Jun 2024 07:00:00 EDT",
        "Wed, 19 Jun 2024 07:00:00 Z",
        "19 Jun 2024 07:00:00 +0000",
        "Wed, 19 Jun 2024 07:00 +0530",
        "Wed, 5 Jun 2024 07:00:00 -0800",
    ],
)
def test_rss_date_forms_the_validator_accepts(value: str) -> None:
    assert check_rss(edited(GOOD_RSS, build_date(value))) == []


def test_rss_elements_in_any_order_and_a_plain_category_domain_pass() -> None:
    # RSS 2.0 sets no element order, and defines domain as any string naming a taxonomy:
    # neither the specification nor the W3C validator asks for a URL there.
    data = edited(
        GOOD_RSS,
        (
            "<title>Flux de test</title>\n    <link>https://www.example.com/</link>",
            ("<link>https://www.example.com/</link>\n    <title>Flux de test</title>"),
        ),
        (CATEGORY, '<category domain="Rubriques">Asie</category>'),
    )
    assert check_rss(data) == []


def test_root_must_be_rss() -> None:
    data = GOOD_RSS.replace("<rss ", "<feed ").replace("</rss>", "</feed>").encode()
    assert_reports(check_rss(data), "root element is feed; RSS 2.0 requires rss")

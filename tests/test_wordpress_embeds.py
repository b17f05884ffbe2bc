"""Issue 18, item 3: WordPress's embeds become the site's embed cards, which load nothing.

[embed]URL[/embed], an embed block (<!-- wp:embed {"url": ...} -->, as the block editor saves
it, and core-embed/youtube as WordPress before 5.6 did) and a URL alone on its line: a
provider's address becomes blog.embeds' card, any other a link, as WordPress leaves one it
cannot embed.
"""

from pathlib import Path

from blog.wordpress.body import convert_body
from tests.test_wxr_holes import wxr

YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
CARD = (
    '<figure class="embed"><figcaption><strong>YouTube</strong> '
    f'<a href="{YOUTUBE}">{YOUTUBE}</a></figcaption>'
)
# As WordPress 6 saves a YouTube embed block (its attributes and classes shortened).
BLOCK = (
    "<!-- wp:paragraph -->\n<p>Watch this.</p>\n<!-- /wp:paragraph -->\n\n"
    f'<!-- wp:embed {{"url":"{YOUTUBE}","type":"video","providerNameSlug":"youtube",'
    '"responsive":true} -->\n'
    '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube">'
    f'<div class="wp-block-embed__wrapper">\n{YOUTUBE}\n</div>'
    '<figcaption class="wp-element-caption">The keeper\'s tour</figcaption></figure>\n'
    "<!-- /wp:embed -->"
)


def test_an_embed_block_becomes_a_card_with_its_caption_below():
    html = convert_body(BLOCK, {}).html
    assert CARD in html
    assert "<p>The keeper's tour</p>" in html
    assert "wp-block-embed__wrapper" not in html and "<iframe" not in html


def test_an_old_core_embed_block_too():
    old = BLOCK.replace("wp:embed", "wp:core-embed/youtube")
    assert CARD in convert_body(old, {}).html


def test_an_embed_block_of_no_known_provider_is_a_link():
    other = BLOCK.replace(YOUTUBE, "https://example.org/talk")
    html = convert_body(other, {}).html
    assert '<p><a href="https://example.org/talk">https://example.org/talk</a></p>' in html
    assert '<figure class="embed">' not in html


def test_the_embed_shortcode_and_a_lone_url_become_cards():
    classic = f"Before.\n\n[embed]{YOUTUBE}[/embed]\n\n{'https://vimeo.com/76979871'}\n\nAfter."
    html = convert_body(classic, {}).html
    assert CARD in html
    assert '<strong>Vimeo</strong> <a href="https://vimeo.com/76979871">' in html
    # Not shortcodes left as text.
    assert not convert_body(classic, {}).shortcodes


def test_an_imported_post_shows_the_card_and_loads_nothing_from_the_provider(app, runner, tmp_path):
    path = Path(tmp_path) / "embeds.xml"
    body = BLOCK.replace("]]>", "")
    item = f"""	<item>
		<title>Lighthouse tour</title>
		<content:encoded><![CDATA[{body}]]></content:encoded>
		<wp:post_id>501</wp:post_id>
		<wp:post_date_gmt><![CDATA[2024-05-14 07:30:00]]></wp:post_date_gmt>
		<wp:post_name><![CDATA[lighthouse-tour]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
	</item>"""
    path.write_text(wxr(item), encoding="utf-8")
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    page = app.test_client().get("/posts/lighthouse-tour").text
    prose = page[page.index('<div class="prose">') :]
    prose = prose[: prose.index("</article>")]
    assert '<figure class="embed">' in prose and "Play it here (loads from" in prose
    # A link to the player, which the site's script frames only when the reader asks.
    assert "<iframe" not in prose

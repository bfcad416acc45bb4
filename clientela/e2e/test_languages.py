"""The language switch, through all five languages: the main screens speak the chosen language
(no English text of the interface left) and the card header keeps the name readable.

"No English left" is decided by the catalogues themselves: a visible text of the page that is
exactly an English text of the interface whose translation reads differently is a text the
page forgot to translate. Names and data (records' names, people, amounts) are left out: the
texts inside links to records and inside the user's own badge are not the interface's words.
"""

from __future__ import annotations

import re
from functools import partial
from urllib.parse import urlparse

from playwright.sync_api import expect

from clientela.e2e.journey import Journey, language_of, unique_tag, untranslated_words

USER = "gabor"  # the head of Budapest (every action on the card header), Hungarian: left in Hungarian
ORDER = ("en", "ro", "ru", "ms", "hu")  # all five; ends with his

# Visible text nodes, each once, without those inside links to records (names, data) and the
# signed-in person's name; dropdowns that are closed are not visible and are skipped.
VISIBLE_TEXTS = """() => {
  const record = /\\/(leads|clients|contacts|deals|interests)\\/\\d+\\//;
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    const element = node.parentElement;
    if (!text || !element || element.closest("script, style, noscript, template")) continue;
    if (!element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    const link = element.closest("a[href]");
    if (link && record.test(link.getAttribute("href"))) continue;
    if (element.closest(".avatar")) continue;
    seen.add(text);
  }
  return [...seen];
}"""

# The page header of a card: the name must keep room for its longest word, and nothing in the
# header may stick out of it.
HEADER = """() => {
  const header = document.querySelector(".page-header");
  const title = header && header.querySelector(".page-title");
  if (!title) return null;
  const own = [...title.childNodes]
    .filter(n => n.nodeType === Node.TEXT_NODE)
    .map(n => n.textContent)
    .join(" ");
  const probe = document.createElement("span");
  probe.style.cssText = "position:absolute;visibility:hidden;white-space:nowrap";
  probe.style.font = getComputedStyle(title).font;
  document.body.appendChild(probe);
  let longest = 0, word = "";
  for (const part of own.split(/\\s+/).filter(Boolean)) {
    probe.textContent = part;
    const width = probe.getBoundingClientRect().width;
    if (width > longest) { longest = width; word = part; }
  }
  probe.remove();
  const box = header.getBoundingClientRect();
  const sticking = [...header.querySelectorAll("*")]
    .filter(e => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1);
    })
    .map(e => (e.textContent || e.tagName).trim().slice(0, 40));
  return { width: title.getBoundingClientRect().width, longest, word, sticking };
}"""


def _switch(page, language: str) -> None:
    """The language menu in the top bar, as a person uses it."""
    page.locator("header .dropdown:has(.ti-language) > a").click()
    choice = page.locator(f"button[name=language][value={language}]")
    expect(choice).to_be_visible()
    with page.expect_navigation():
        choice.click()
    assert language_of(page) == language


def _english_left(page, language: str) -> list[str]:
    english = untranslated_words(language)
    return sorted(text for text in page.evaluate(VISIBLE_TEXTS) if text in english)


def test_every_language_on_the_main_screens(app_server, browser_page, screens):
    tag = unique_tag(4)
    page = browser_page(USER)
    journey = Journey(page, screens)
    original = language_of(page)

    # A lead of his with a long name and company: the header must keep it readable.
    page.goto("/leads/new/")
    page.locator("input[name=name]").fill(f"Bartholomew-Alexander Kovácsházy-Szentgyörgyi {tag}")
    page.locator("input[name=phone]").fill(f"+36 30 555 {tag}")
    page.locator("input[name=company]").fill(f"Szentgyörgyi Internationale Handelsgesellschaft {tag} Kft.")
    with page.expect_navigation():
        page.locator("form.lead-new-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))
    lead_url = urlparse(page.url).path
    screens_of = {
        "work list": "/",
        "lead list": "/leads/",
        "lead card": lead_url,
        "client list": "/clients/",
        "board": "/deals/board/",
    }
    try:
        for language in ORDER:
            page.goto("/")
            _switch(page, language)
            for name, url in screens_of.items():
                if url != "/":
                    page.goto(url)
                left = _english_left(page, language) if language != "en" else []
                journey.check(
                    f"{name} in {language} has no English left",
                    partial(_assert_none, left, "English texts on the page"),
                )
                header = page.evaluate(HEADER)
                if header is not None:
                    journey.check(
                        f"{name} header in {language} keeps the name readable",
                        partial(_assert_header, header),
                    )
                if name == "lead card":
                    screens(page, f"{name} {language}", full_page=False)
    finally:
        if language_of(page) != original:
            page.goto("/")
            _switch(page, original)
    journey.done()


def _assert_none(found: list[str], what: str) -> None:
    assert not found, f"{what}: {found}"


def _assert_header(header: dict) -> None:
    assert header["width"] >= header["longest"], (
        f"the name is squeezed: {header['width']:.0f}px for the word {header['word']!r} "
        f"({header['longest']:.0f}px)"
    )
    assert not header["sticking"], f"out of the header: {header['sticking']}"

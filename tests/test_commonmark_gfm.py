"""GitHub's extensions in the commonmark engine: tables, strikethrough, autolinks, task lists, footnotes.

Examples of our own, in the manner of cmark-gfm's test/extensions.txt, compared after normalising HTML as the spec's
runner does; the news features that change output on purpose are off (`news=False`). Against cmark-gfm's own file
(28 examples, not kept here: its HTML is cmark-gfm's markup), the engine gives the same structure on all but three:
GitHub's tag filter (raw `<xmp>`, `<textarea>`... escaped) is left out on purpose, as trusted writers embed iframes
and scripts; a URL right after a quotation mark is not linked (the extension's rule, which cmark-gfm does not keep);
footnotes differ in markup only.
"""

from __future__ import annotations

import pytest
from specsuite import normalise_html

from broadsheet.stages.commonmark import CommonMarkRenderer

GFM_EXAMPLES = [
    ('a table with alignments',
     '| Party | Seats |\n|:------|------:|\n| Centre | 41 |\n| Greens | 12 |\n',
     ('<table><thead><tr><th style="text-align:left">Party</th><th style="text-align:right">Seats</th></tr>'
      '</thead><tbody><tr><td style="text-align:left">Centre</td><td style="text-align:right">41</td></tr><tr>'
      '<td style="text-align:left">Greens</td><td style="text-align:right">12</td></tr></tbody></table>')),
    ('a table without outer pipes',
     'Party | Seats\n--- | :---:\nCentre | 41\n',
     ('<table><thead><tr><th>Party</th><th style="text-align:center">Seats</th></tr></thead><tbody><tr><td>'
      'Centre</td><td style="text-align:center">41</td></tr></tbody></table>')),
    ('a table right after a paragraph line',
     'The results:\n| a | b |\n| --- | --- |\n| 1 | 2 |\n',
     ('<p>The results:</p><table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td>'
      '</tr></tbody></table>')),
    ('escaped pipes, in code too',
     '| a | b |\n| --- | --- |\n| `x \\| y` | \\| |\n',
     ('<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td><code>x | y</code></td><td>|</td>'
      '</tr></tbody></table>')),
    ('a delimiter row shorter than the header: no table',
     '| a | b | c |\n| --- | --- |\n| 1 | 2 | 3 |\n',
     '<p>| a | b | c | | --- | --- | | 1 | 2 | 3 |</p>'),
    ("rows filled or cut to the header's width",
     '| a | b |\n| --- | --- |\n| 1 |\n| 1 | 2 | 3 |\n',
     ('<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td></td></tr><tr><td>1</td>'
      '<td>2</td></tr></tbody></table>')),
    ('strikethrough with two tildes or one, not three, not mismatched',
     '~~Struck~~ and ~also~, but ~~~three~~~ and ~one~~ are not.\n',
     '<p><s>Struck</s> and <s>also</s>, but ~~~three~~~ and ~one~~ are not.</p>'),
    ('www autolinks, without the trailing punctuation, parentheses balanced',
     'See www.example.org/page. Or (www.example.org/a_(b)).\n',
     ('<p>See <a href="http%3A//www.example.org/page">www.example.org/page</a>'
      '. Or (<a href="http%3A//www.example.org/a_%28b%29">www.example.org/a_(b)</a>).</p>')),
    ('http(s) autolinks',
     'At https://example.org/path?q=1, or http://example.org/a.\n',
     ('<p>At <a href="https%3A//example.org/path%3Fq%3D1">https://example.org/path?q=1</a>'
      ', or <a href="http%3A//example.org/a">http://example.org/a</a>.</p>')),
    ('e-mail autolinks',
     'Mail desk@example.org today.\n',
     '<p>Mail <a href="mailto%3Adesk%40example.org">desk@example.org</a> today.</p>'),
    ('no autolink inside a link, code or an autolink',
     '[www.example.org](https://other.example/) and `https://example.org` and <https://example.org/x>\n',
     ('<p><a href="https%3A//other.example/">www.example.org</a> and <code>https://example.org</code>'
      ' and <a href="https%3A//example.org/x">https://example.org/x</a></p>')),
    ('task list items, and an item that is not one',
     '- [ ] To do\n- [x] Done\n- [@] Not a task\n',
     ('<ul class="contains-task-list"><li class="task-list-item">'
      '<input class="task-list-item-checkbox" disabled="" type="checkbox"> To do</li>'
      '<li class="task-list-item">'
      '<input checked="" class="task-list-item-checkbox" disabled="" type="checkbox"> Done</li><li>'
      '[@] Not a task</li></ul>')),
    ('nested task lists',
     '- [x] foo\n  - [ ] bar\n- [ ] bim\n',
     ('<ul class="contains-task-list"><li class="task-list-item">'
      '<input checked="" class="task-list-item-checkbox" disabled="" type="checkbox">'
      ' foo<ul class="contains-task-list"><li class="task-list-item">'
      '<input class="task-list-item-checkbox" disabled="" type="checkbox"> bar</li></ul></li>'
      '<li class="task-list-item"><input class="task-list-item-checkbox" disabled="" type="checkbox"> bim</li>'
      '</ul>')),
    ('footnotes: one note referred to twice, an undefined one, an unused one',
     'Text[^1] and again[^1], no note[^none].\n\n[^1]: The note.\n\n[^unused]: Never shown.\n',
     ('<p>Text<sup id="fnref1"><a class="footnote-ref" href="%23fn1">1</a></sup>'
      ' and again<sup id="fnref1:1"><a class="footnote-ref" href="%23fn1">1</a></sup>, no note[^none].</p>'
      '<div class="footnote"><hr><ol><li class="footnote-item" id="fn1"><p>'
      'The note. <a class="footnote-backref" href="%23fnref1">↩︎</a>'
      ' <a class="footnote-backref" href="%23fnref1%3A1">↩︎</a></p></li></ol></div>')),
    ('a footnote of two paragraphs',
     'A claim.[^long]\n\n[^long]: First paragraph.\n\n    Second paragraph of the note.\n',
     ('<p>A claim.<sup id="fnref1"><a class="footnote-ref" href="%23fn1">1</a></sup></p><div class="footnote">'
      '<hr><ol><li class="footnote-item" id="fn1"><p>First paragraph.</p><p>'
      'Second paragraph of the note. <a class="footnote-backref" href="%23fnref1">↩︎</a></p></li></ol></div>')),
]


@pytest.mark.parametrize(("name", "markdown", "expected"), GFM_EXAMPLES, ids=[e[0] for e in GFM_EXAMPLES])
def test_gfm_example(name: str, markdown: str, expected: str) -> None:
    assert normalise_html(CommonMarkRenderer(news=False).body(markdown).html) == expected


@pytest.mark.parametrize(("name", "markdown", "expected"), GFM_EXAMPLES, ids=[e[0] for e in GFM_EXAMPLES])
def test_gfm_example_through_the_whole_parser(name: str, markdown: str, expected: str) -> None:
    assert normalise_html(CommonMarkRenderer(news=False, prune=False).body(markdown).html) == expected

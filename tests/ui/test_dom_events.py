"""The front end's stand-in for jQuery (templates/frontend/src/dom-events.cjs) binds and unbinds a
view's events as jQuery does, in a real Chromium: delegation by selector, namespaces, focus and
blur delegated, a listener returning false. A widget whose events were bound wrongly would
look right and do nothing when tapped."""

from __future__ import annotations

from pathlib import Path

SOURCE = (Path(__file__).resolve().parents[2] / "templates" / "frontend" / "src"
          / "dom-events.cjs").read_text(encoding="utf-8")

PAGE = """<!doctype html><html><body>
<div id="view"><button id="b" type="button"><span id="inner">go</span></button>
<input id="i" type="text"><a id="link" href="#moved">link</a></div>
<script>var module = {exports: null};</script>
<script>%s</script>
<script>window.$ = module.exports; window.log = [];</script>
</body></html>"""


def run(page, script: str):
    return page.evaluate(script)


def test_events_bind_delegate_and_unbind_as_backbone_expects(playwright_browser):
    context = playwright_browser.new_context()
    try:
        page = context.new_page()
        page.set_content(PAGE % SOURCE)
        assert run(page, "() => { const el = document.getElementById('view'); const w = $(el);"
                         " return [w[0] === el, w.length, w instanceof $, $(w)[0] === el]; }") == [
            True, 1, True, True]
        # delegated by selector: a tap on the button's label reaches the button's handler, with
        # `this` the matched element and the event's own target unchanged
        run(page, """() => { const v = $(document.getElementById('view'));
            v.on('click.delegateEvents1', 'button', function (e) {
              log.push(['button', this.id, e.target.id]); });
            v.on('click.delegateEvents1', function (e) { log.push(['view', this.id]); });
            v.on('click.delegateEvents2', 'input', function () { log.push(['input']); });
            v.on('focus.delegateEvents1', 'input', function () { log.push(['focus']); });
            window.v = v; }""")
        page.click("#inner")
        assert run(page, "() => log.splice(0)") == [["button", "b", "inner"], ["view", "view"]]
        # focus does not bubble: delegated, it listens to focusin; delegated listeners run
        # before the view's own, as with jQuery
        page.click("#i")
        assert run(page, "() => log.splice(0)") == [["focus"], ["input"], ["view", "view"]]
        # a view's namespace unbinds its events and no one else's
        run(page, "() => v.off('.delegateEvents1')")
        page.click("#inner")
        page.click("#i")
        assert run(page, "() => log.splice(0)") == [["input"]]
        # false from a listener stops the event and its default action
        run(page, """() => { v.on('click.x', 'a', () => false);
            document.body.addEventListener('click', () => log.push(['body'])); }""")
        page.click("#link")
        assert run(page, "() => [log.splice(0), location.hash]") == [[], ""]
        # attributes, find, remove (which unbinds everything and takes the element out)
        assert run(page, """() => { v.attr({'data-x': '1', title: 't'});
            return [v[0].getAttribute('data-x'), v.find('button, input').length]; }""") == ["1", 2]
        run(page, "() => v.remove()")
        assert run(page, "() => document.getElementById('view')") is None
    finally:
        context.close()

"""The width of the reader's window as the browser last reported it (a cookie set on every signed-in page), so that a
page can leave out of its first paint what that width folds away (issue 20, first rows: a list's filters on a phone).
A guess, never a rule: whatever is left out is built once the page is connected, and at once when it is asked for."""

from __future__ import annotations

from nicegui import ui

COOKIE = 'bo_width'
NARROW_BELOW = 640  # px: Tailwind's `sm`, under which `max-sm:hidden` folds a list's filters away

# on every signed-in page: the window's width now and after each resize (read by the next page request)
WIDTH_JS = f"""<script>
(() => {{
  const tell = () => {{
    document.cookie = '{COOKIE}=' + Math.round(window.innerWidth) + '; path=/; max-age=31536000; samesite=lax';
  }};
  tell();
  let pending;
  window.addEventListener('resize', () => {{ clearTimeout(pending); pending = setTimeout(tell, 200); }});
}})();
</script>"""


def narrow() -> bool:
    """Whether the browser asking for the page being built said its window was narrower than NARROW_BELOW; False when
    it never said (a first visit) or outside a page request."""
    try:
        request = ui.context.client.request
    except (RuntimeError, AttributeError):
        return False
    if request is None:
        return False
    width = request.cookies.get(COOKIE, '')
    return width.isdigit() and int(width) < NARROW_BELOW

"""HTML from the Jinja2 templates in annotator/templates/, with autoescape on: every value is escaped unless it is
markup one of these templates made, so escaping is the default and not a habit. The report, the marked words of an
explanation and the app's HTML fragments all come from here."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

_ENV = Environment(loader=PackageLoader("annotator", "templates"), autoescape=True, undefined=StrictUndefined)


def render(template: str, **values) -> str:
    """The template filled with `values`, escaped, as a plain string (so that joining it to other HTML does not
    escape that HTML: markupsafe would). To put it into another template, pass it through `trusted`."""
    return _ENV.get_template(template).render(**values)


def trusted(text: str) -> Markup:
    """Our own constant markup or CSS (never text from an article or a user), to be inserted as is."""
    return Markup(text)

"""The dashboard: every page of the request log in the browser, from one command.

>>> from helicone_lite.dashboard import create_app          # doctest: +SKIP
>>> app = create_app(home="~/.local/share/helicone-lite")   # an ASGI (Starlette) app

``helicone-lite dashboard`` serves it with uvicorn. It needs the ``dashboard`` extra
(``pip install 'helicone-lite[dashboard]'``: Starlette, uvicorn, python-multipart); htmx and
uPlot are vendored under ``static/vendor``. ``import helicone_lite`` never imports this
package. See docs/dashboard.md.
"""

from ._app import create_app

__all__ = ["create_app"]

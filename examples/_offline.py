"""Make the examples runnable anywhere: with no OPENAI_API_KEY set, start the built-in fake
provider and point the SDKs at it through their usual environment variables, so each example's
code stays exactly what you would write against the real providers.

Import it first: ``import _offline  # noqa: F401``. ``_offline.hint("cache stats")`` gives the
``helicone-lite`` command line to run afterwards, with the ``--home`` this example logged to.
"""

from __future__ import annotations

import atexit
import os
import shlex
import tempfile

if not os.environ.get("OPENAI_API_KEY"):
    from helicone_lite.testing import FakeProvider

    _fake = FakeProvider()
    _fake.start()
    atexit.register(_fake.stop)
    os.environ.update(_fake.env())
    os.environ.setdefault("HELICONE_LITE_HOME", tempfile.mkdtemp(prefix="helicone-lite-example-"))
    print(
        f"(offline: using the fake provider at {_fake.url}; log in {os.environ['HELICONE_LITE_HOME']})"
    )


def hint(command: str) -> str:
    """``helicone-lite --home HOME COMMAND`` for the home this example logs to."""
    from helicone_lite._home import default_home

    return f"helicone-lite --home {shlex.quote(str(default_home()))} {command}"

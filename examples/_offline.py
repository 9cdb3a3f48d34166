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
    # the examples are written for Helicone's AI gateway: a Helicone key that must never leave
    # the process (checked at exit against every request the fake provider received)
    os.environ.setdefault("HELICONE_API_KEY", "sk-helicone-offline-example-key")

    def _helicone_key_stayed_home() -> None:
        key = os.environ["HELICONE_API_KEY"]
        leaked = [
            r.path for r in _fake.requests if any(key in v for v in r.headers.values())
        ]
        if leaked:
            raise SystemExit(f"the Helicone key was sent to a provider: {leaked}")
        print(f"(offline: {len(_fake.requests)} provider requests, none carried the Helicone key)")

    atexit.register(_helicone_key_stayed_home)  # runs before _fake.stop (atexit is LIFO)
    os.environ.setdefault("HELICONE_LITE_HOME", tempfile.mkdtemp(prefix="helicone-lite-example-"))

    if os.environ.get("HELICONE_LITE_EXAMPLE_CLOCK"):  # the tests: time moves only as read
        import helicone_lite
        from helicone_lite.testing import Clock

        # one millisecond per read, whatever the machine's load: calls logged one after the
        # other keep their order, and nothing refills while a call runs
        _frozen = Clock(float(os.environ["HELICONE_LITE_EXAMPLE_CLOCK"]), step=0.001)

        class _FrozenClient(helicone_lite.Client):
            """The example's ``helicone_lite.Client(...)``, on that clock (rate-limit refills,
            timestamps): what the example prints never depends on how long a call took."""

            def __init__(self, *args: object, **kwargs: object) -> None:
                kwargs.setdefault("clock", _frozen)
                super().__init__(*args, **kwargs)  # type: ignore[arg-type]

        helicone_lite.Client = _FrozenClient  # type: ignore[misc]
    print(
        f"(offline: using the fake provider at {_fake.url}; log in {os.environ['HELICONE_LITE_HOME']})"
    )


def hint(command: str) -> str:
    """``helicone-lite --home HOME COMMAND`` for the home this example logs to."""
    from helicone_lite._home import default_home

    return f"helicone-lite --home {shlex.quote(str(default_home()))} {command}"

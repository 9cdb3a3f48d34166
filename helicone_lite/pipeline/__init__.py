"""The pipeline: the call values (``Call``, ``Target``, ``Result``, effects), the two drivers
that run the interceptor stack, the declarative list of layers and ``Runtime`` (the composition
root that builds the stack and owns what it starts).

``Runtime`` is not imported here (it imports every layer); import it from
``helicone_lite.pipeline._runtime``.
"""

from ._call import Blocking, Call, Effect, Forward, Result, Sleep, StreamObserver, Target
from ._stack import Flow, Interceptor, PassThrough, run_async, run_sync

__all__ = [
    "Blocking",
    "Call",
    "Effect",
    "Flow",
    "Forward",
    "Interceptor",
    "PassThrough",
    "Result",
    "Sleep",
    "StreamObserver",
    "Target",
    "run_async",
    "run_sync",
]

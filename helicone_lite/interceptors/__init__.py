"""The interceptors of the stack, one module each (see ``helicone_lite._layers`` for the order)."""

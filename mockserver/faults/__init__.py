"""Failure injection: the error catalogue, transport faults, stream faults and chaos.

Rules name an `error:` (catalogue.py) or a `fault:` (transport.py before or instead of an
answer, stream_faults.py at a chosen stream event); chaos.py decides, reproducibly from a
seed, when a request gets one without a rule asking for it.
"""

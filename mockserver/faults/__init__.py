"""Failure injection: the error catalogue, transport faults, stream faults and chaos.

    presets.py / catalogue.py   named errors with the real API's texts; `error:` parsing
    spec.py                     `fault:` values (kinds, points in a stream, latency shapes)
    transport.py                faults before or instead of an answer (RST, close, stall, ...)
    stream_faults.py            a stream's timeline reshaped at a chosen event (pure)
    stream_hooks.py             the writer's side: cut, stall, raw frames, as pacing hooks
    chaos.py                    seeded chaos, outage windows, the retry tracker
    state.py / request.py       per-tenant and per-request state; hooks.py: the pipeline calls
Rate limits: ratelimit.py (buckets) and ratelimit_spec.py (where they are set).
"""

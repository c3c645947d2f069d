"""Failure injection: the error catalogue, transport and stream faults, chaos, rate limits.

    presets.py / error_catalog.py   named errors with the real API's texts; `error:` parsing
    spec.py                         `fault:` values (kinds, points in a stream, latency shapes)
    transport.py                    faults before or instead of an answer (RST, close, stall, ...)
    stream_faults.py                a stream's timeline reshaped at a chosen event (pure)
    stream_actions.py               the writer's side: cut, stall, raw frames, on the wire
    chaos.py                        seeded chaos, outage windows, the retry tracker
    state.py                        per-tenant state: buckets, retry memory, chaos counts
    admission.py                    per-request state and the steps the create pipeline
                                    calls, in order (and the x-ratelimit-* headers)
Rate limits: ratelimit.py (buckets) and ratelimit_spec.py (where they are set).
"""

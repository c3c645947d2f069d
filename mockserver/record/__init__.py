"""Record and replay: proxy to a real (or any Responses-compatible) upstream and write what it
answered as scenario YAML a person would have written.

    observed.py   one create request and the upstream's answer, as plain values (SSE parsed)
    chains.py     upstream response ids -> their conversation, to read turns and tool outputs
    writer.py     an Observed -> a RecordedRule (when, reply items, error, pacing, usage)
    redact.py     keys, cookies, JSON paths and patterns removed before anything is written
    cassette.py   the scenario file: load, merge without duplicates, write byte-stable YAML
    upstream.py   the client session to the upstream: headers, bounds, relaying a stream
    proxy.py      the recorder: forward, answer with the upstream's bytes, record; fallback
"""

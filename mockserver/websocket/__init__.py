"""WebSocket mode of /v1/responses: one socket, many responses, lanes and steering.

session.py   the socket's lifecycle: upgrade, read loop, dispatch, close (and shutdown)
codec.py     client frames -> typed client events; server events -> WebSocket frames
lanes.py     `stream_id` lanes: FIFO within a lane, lanes concurrent, a per-socket limit
answer.py    one response.create: the create pipeline's steps 2-8, then its events
steering.py  response.steer: accepted, pending, failed; yield at a safe boundary
errors.py    the `error` events (ResponseWsError) and the socket's own refusals
"""

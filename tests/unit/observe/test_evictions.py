import logging

import pytest

from mockserver.observe.evictions import EvictionLog


def test_debug_lines_follow_the_loggers_level_as_it_changes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("mockserver.test_evictions")
    evictions = EvictionLog(log, "responses", "--max-stored", 1)
    caplog.set_level(logging.INFO, logger=log.name)
    for n in range(3):  # the 1st warns; the 2nd and 3rd: debug, off
        evictions.evicted(f"resp_{n}")
    caplog.set_level(logging.DEBUG, logger=log.name)  # turned on at run time
    evictions.evicted("resp_3")
    caplog.set_level(logging.INFO, logger=log.name)  # and off again
    evictions.evicted("resp_4")
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug == ["evicted resp_3 (--max-stored 1 reached)"]
    assert evictions.count == 5

"""Moved to artifact_gui.core.deadlines, so that reference downloads (core/refs.py) use the same
answer deadline and least rate as the server client; imported from here by stores/http.py."""

from ..core.deadlines import (  # noqa: F401 (re-exported)
    RateFloor,
    TooSlowError,
    answer_deadline,
    install_answer_deadlines,
)

"""The notification centre without Qt: history, topics, resolution, repeats."""

from __future__ import annotations

from artifact_gui.appcore.notifications import NotificationCentre, Severity


def test_repeats_of_an_active_error_are_one_record_and_a_success_resolves_it():
    centre = NotificationCentre()
    seen = []
    centre.subscribe(seen.append)
    first = centre.error("Checking for changes", ValueError("server said 500"), topic="poll")
    again = centre.error("Checking for changes", ValueError("server said 500"), topic="poll")
    assert again is first and len(centre.history) == 1
    other = centre.post(Severity.WARNING, "disk nearly full", topic="disk")
    assert [n.message for n in centre.active] == ["Checking for changes failed: server said 500", "disk nearly full"]
    assert "ValueError: server said 500" in first.details
    centre.resolve("poll")
    assert first.resolved and centre.active == [other]
    centre.dismiss(other)
    assert centre.active == [] and len(centre.history) == 2
    assert seen[-1] is other
    centre.close()

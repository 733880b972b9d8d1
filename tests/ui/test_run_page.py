"""Usage tab: double-clicking a run opens its page; its version links select versions."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from artifact_gui.ui.run_page import RunPage
from tests.ui.conftest import select_artifact


def test_double_clicking_a_run_shows_its_page_with_links_to_its_versions(qtbot, window, demo_store):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    usage = window.tabs.usage
    window.tabs.setCurrentWidget(usage)
    qtbot.waitUntil(lambda: usage.table.topLevelItemCount() > 0
                    and usage.table.topLevelItem(0).text(0) == "Produced by", timeout=5000)
    producer = demo_store.get_run(window.tabs.version.producer_run_id)
    row = usage.table.topLevelItem(0)
    point = usage.table.visualItemRect(row).center()
    # A double-click as Qt sees one: a click, then the second press QTest sends as a double-click.
    qtbot.mouseClick(usage.table.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseDClick(usage.table.viewport(), Qt.MouseButton.LeftButton, pos=point)
    page = window.findChild(RunPage)
    assert page is not None and page.isVisible()
    qtbot.waitUntil(lambda: page.run is not None, timeout=5000)
    assert page.heading.text() == f"Run {producer.name}"
    assert page.fields["Job type"].text() == producer.job_type == "train"
    assert page.fields["State"].text() == producer.state
    config_keys = {page.config.topLevelItem(i).text(0) for i in range(page.config.topLevelItemCount())}
    assert config_keys == set(producer.config)
    outputs = [page.outputs.topLevelItem(i).text(0) for i in range(page.outputs.topLevelItemCount())]
    assert window.tabs.version.qualified_name in outputs
    inputs = page.inputs
    link = next(inputs.topLevelItem(i) for i in range(inputs.topLevelItemCount())
                if inputs.topLevelItem(i).text(0).startswith("mnist-demo/mnist-processed:"))
    wanted = link.text(0).rsplit(":", 1)[1]
    link_point = inputs.visualItemRect(link).topLeft() + QPoint(8, 6)  # on the link text in column 0
    qtbot.mouseClick(inputs.viewport(), Qt.MouseButton.LeftButton, pos=link_point)
    qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.name == "mnist-processed",
                    timeout=5000)
    assert window.tabs.version.version == wanted
    assert window.sidebar.selected_key == ("mnist-demo", "dataset", "mnist-processed")
    page.close()

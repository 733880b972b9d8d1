from artifact_gui.demo import build_demo_store
from artifact_gui.ui import MainWindow


def test_main_window_shows_the_demo_store(qtbot, tmp_path):
    store = build_demo_store(str(tmp_path / "demo"))
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    tree = window.findChild(type(window.collections), "collectionTree")
    names = {tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())}
    assert names == {"mnist-demo/mnist-raw", "mnist-demo/mnist-processed", "mnist-demo/mnist-cnn",
                     "mnist-demo/mnist-cnn-checkpoint", "mnist-demo/eval-report"}
    assert "15 versions" in window.summary.text()

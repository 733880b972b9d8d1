from artifact_gui.core.text import counted


def test_counted_uses_the_singular_for_one_only():
    assert counted(1, "version") == "1 version"
    assert counted(0, "version") == "0 versions"
    assert counted(2, "file") == "2 files"
    assert counted(-1, "blob") == "-1 blobs"


def test_counted_groups_thousands_and_takes_irregular_plurals():
    assert counted(12345, "version") == "12,345 versions"
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(3, "entry", "entries") == "3 entries"

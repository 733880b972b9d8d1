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


def test_age_text_is_short_and_counts_in_the_right_number():
    from artifact_gui.core.text import age_text
    assert age_text(-5) == "just now"  # a clock a little ahead of the store's
    assert age_text(59) == "just now"
    assert age_text(60) == "1 min ago"
    assert age_text(3_599) == "59 min ago"
    assert age_text(3_600) == "1 hour ago"
    assert age_text(23 * 3_600 + 3_599) == "23 hours ago"
    assert age_text(86_400) == "1 day ago"
    assert age_text(45 * 86_400) == "1 month ago"
    assert age_text(800 * 86_400) == "2 years ago"


def test_sentence_capitalises_the_first_letter_only():
    from artifact_gui.core.text import sentence

    assert sentence("cannot open 'MyStore': not a folder") == "Cannot open 'MyStore': not a folder"
    assert sentence("Already a sentence.") == "Already a sentence."
    assert sentence("") == ""
    assert sentence("'x' is not a full path") == "'x' is not a full path"  # a quote stays first

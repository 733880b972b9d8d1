import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifact_gui.core.names import (
    InvalidAliasError,
    InvalidArtifactNameError,
    InvalidNameError,
    InvalidPathError,
    InvalidTypeError,
    parse_artifact_ref,
    to_entry_path,
    validate_alias,
    validate_artifact_name,
    validate_entry_path,
    validate_type,
)


@pytest.mark.parametrize("name", ["mnist", "a", "data-set_1.0", "A" * 128, "...", ".x", "-x"])
def test_valid_artifact_names(name):
    assert validate_artifact_name(name) == name


@pytest.mark.parametrize("validate", [validate_artifact_name, validate_type, validate_alias])
@pytest.mark.parametrize("name", [".", ".."])
def test_dot_names_are_refused_because_they_change_a_path_or_url(validate, name):
    """Issue 9.14: `alias rm p/x:v1 ..` through a server deleted version v1."""
    with pytest.raises(InvalidNameError, match="'.' and '..' cannot be names"):
        validate(name)


@pytest.mark.parametrize("name", ["", "a/b", "a:b", "a b", "é", "A" * 129, "x\n"])
def test_invalid_artifact_names_name_the_value_and_rule(name):
    with pytest.raises(InvalidArtifactNameError) as caught:
        validate_artifact_name(name)
    assert repr(name) in str(caught.value)
    assert "names may" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@given(st.text(alphabet="abcXYZ019_.-", min_size=1, max_size=128).filter(lambda s: s not in (".", "..")))
def test_every_name_of_allowed_characters_is_valid(name):
    assert validate_artifact_name(name) == name


@given(st.text(min_size=1, max_size=40).filter(lambda s: any(c not in
       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-" for c in s)))
def test_any_other_character_is_refused(name):
    with pytest.raises(InvalidArtifactNameError):
        validate_artifact_name(name)


@pytest.mark.parametrize("bad", ["a/b", "a:b", ""])
def test_types_refuse_slash_colon_and_empty(bad):
    with pytest.raises(InvalidTypeError, match="type"):
        validate_type(bad)


def test_types_allow_spaces_and_unicode():
    assert validate_type("raw data ✓") == "raw data ✓"


@pytest.mark.parametrize("alias", ["best", "production", "x" * 128, "with space", "latest"])
def test_valid_aliases(alias):
    assert validate_alias(alias) == alias


@pytest.mark.parametrize("alias,rule", [("a/b", "'/' or ':'"), ("a:b", "'/' or ':'"), ("", "1-128"),
                                        ("x" * 129, "1-128"), ("v3", "vN")])
def test_invalid_aliases(alias, rule):
    with pytest.raises(InvalidAliasError) as caught:
        validate_alias(alias)
    assert rule in str(caught.value)
    assert repr(alias) in str(caught.value)


@pytest.mark.parametrize("path", ["a", "a/b/c.txt", "dir.with.dots/x", "...", "a/.hidden"])
def test_valid_entry_paths(path):
    assert validate_entry_path(path) == path


@pytest.mark.parametrize("path", ["", "/abs", "a//b", "a/./b", "../up", "a/..", "a/", ".", "a\\b"])
def test_invalid_entry_paths(path):
    with pytest.raises(InvalidPathError) as caught:
        validate_entry_path(path)
    assert repr(path) in str(caught.value)


@given(st.lists(st.text(alphabet="abc.", min_size=1, max_size=4), min_size=1, max_size=5))
def test_paths_are_valid_exactly_when_no_part_is_dot_or_dotdot(parts):
    path = "/".join(parts)
    if any(p in (".", "..") for p in parts):
        with pytest.raises(InvalidPathError):
            validate_entry_path(path)
    else:
        assert validate_entry_path(path) == path


def test_to_entry_path_normalises_user_input_but_refuses_escapes():
    assert to_entry_path("./a//b/") == "a/b"
    assert to_entry_path("a\\b") == "a/b"
    for bad in ("../x", "/etc/passwd", "a/../../x", "."):
        with pytest.raises(InvalidPathError):
            to_entry_path(bad)


def test_parse_artifact_ref():
    assert parse_artifact_ref("p/n:best") == ("p", "n", "best")
    assert parse_artifact_ref("p/n") == ("p", "n", "latest")
    assert parse_artifact_ref("n:v3", default_project="p") == ("p", "n", "v3")
    assert parse_artifact_ref("entity/p/n:v1") == ("p", "n", "v1")
    with pytest.raises(InvalidNameError):
        parse_artifact_ref("n:v1")  # no project and no default
    with pytest.raises(InvalidNameError):
        parse_artifact_ref("p/n:a/b")

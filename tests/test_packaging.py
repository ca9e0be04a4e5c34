"""What an installed gradstudio carries: every package of gradstudio/, and the examples
and the digits data beside them, found from a checkout or from inside the package."""
import tomllib
from pathlib import Path

from gradstudio import paths

ROOT = Path(__file__).resolve().parents[1]
SETUP = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_the_package_list_names_every_package():
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "gradstudio").rglob("__init__.py")}
    mapped = set(SETUP["package-dir"])
    listed = set(SETUP["packages"])
    assert found | mapped <= listed, f"add to pyproject.toml: {sorted(found | mapped - listed)}"
    for package in listed - found:  # data packages, mapped from the repository's folders
        top = ".".join(package.split(".")[:2])
        assert top in mapped, package


def folder_of(package: str) -> Path:
    """The repository folder a package is built from (pyproject's package-dir mapping)."""
    for top, where in SETUP["package-dir"].items():
        if package == top or package.startswith(top + "."):
            return ROOT / where / Path(*package[len(top):].split(".")[1:])
    return ROOT.joinpath(*package.split("."))


def test_the_package_data_patterns_take_the_shipped_files():
    shipped = {p.relative_to(ROOT).as_posix() for package, patterns in SETUP["package-data"].items()
               for pattern in patterns for p in folder_of(package).glob(pattern)}
    assert {"examples/lecture_function.gsg", "examples/spiral.gsg", "examples/digits_mlp.gsg",
            "resources/digits/digits.csv.gz", "examples/programs/newton_sqrt.py",
            "examples/programs/rnn.py"} <= shipped


def test_shipped_folders_are_found_in_a_checkout_and_in_an_installed_package(tmp_path):
    assert paths.EXAMPLES == ROOT / "examples" and paths.RESOURCES == ROOT / "resources"
    site = tmp_path / "site-packages"
    installed = site / "gradstudio"
    (installed / "examples").mkdir(parents=True)
    (site / "examples").mkdir()  # another project's folder beside the package
    (site / "resources").mkdir()
    assert paths.shipped("examples", installed) == installed / "examples"
    (installed / "resources").mkdir()
    assert paths.shipped("resources", installed) == installed / "resources"

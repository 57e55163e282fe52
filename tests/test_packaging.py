"""The wheel users install carries everything the app needs at run time."""

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATIC = "wagtail_outbound/static/wagtail_outbound/"
# Each module run builds the wheel in a subprocess.
pytestmark = pytest.mark.slow


# docs/install.md tells users to run these (and install from ./dist).
BUILD = [sys.executable, "-m", "build", "--wheel"]
WHEEL = "wagtail_outbound-*.whl"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Build the wheel with the project's real build backend (offline)."""
    out = tmp_path_factory.mktemp("dist")
    command = [*BUILD, "--no-isolation"]
    subprocess.run([*command, "--outdir", out, ROOT], check=True, capture_output=True)
    (path,) = out.glob(WHEEL)
    with zipfile.ZipFile(path) as archive:
        yield archive


def metadata(wheel):
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(wheel.read(name).decode())


def test_wheel_carries_templates_static_files_and_migrations(wheel):
    names = set(wheel.namelist())

    assert {STATIC + "tracker.js", STATIC + "tracker.min.js"} <= names
    # The rich-text editor's "No tracking" button and mark.
    assert {STATIC + "admin/no-track.js", STATIC + "admin/no-track.css"} <= names
    assert "wagtail_outbound/migrations/0001_initial.py" in names
    assert any(
        name.startswith("wagtail_outbound/templates/") and name.endswith(".html")
        for name in names
    )
    assert "wagtail_outbound/templatetags/wagtail_outbound_tags.py" in names


def test_wheel_serves_the_committed_tracker(wheel):
    assert (
        wheel.read(STATIC + "tracker.min.js")
        == (ROOT / STATIC).joinpath("tracker.min.js").read_bytes()
    )


def test_wheel_leaves_out_tests_demo_and_bytecode(wheel):
    assert not [
        name
        for name in wheel.namelist()
        if name.startswith(("tests/", "demo/", "benchmarks/"))
        or "__pycache__" in name
        or name.endswith(".pyc")
    ]


def test_wheel_metadata_names_the_distribution_and_its_requirements(wheel):
    meta = metadata(wheel)
    requirements = {
        req.split(";")[0].replace(" ", "") for req in meta.get_all("Requires-Dist")
    }

    assert meta["Name"] == "wagtail-outbound"
    assert meta["Requires-Python"] == ">=3.10"
    assert {"Django>=5.2", "wagtail>=7.0", "django-tables2>=2.7"} <= requirements
    assert meta["License-Expression"] == "BSD-3-Clause"


def test_wheel_carries_no_development_tools(wheel):
    # They are PEP 735 dependency groups, which are never published.
    meta = metadata(wheel)
    assert meta.get_all("Provides-Extra") is None
    assert not [req for req in meta.get_all("Requires-Dist") if "extra" in req]
    wagtail = {"Framework :: Wagtail :: 7", "Framework :: Wagtail :: 8"}
    assert wagtail <= set(meta.get_all("Classifier"))


def test_install_docs_build_and_install_this_wheel():
    install = (ROOT / "docs" / "install.md").read_text()
    assert "python -m build --wheel" in install
    assert f"dist/{WHEEL}" in install
    assert "pip install /path/to/wagtail-outbound" in install
    readme = (ROOT / "README.md").read_text()
    assert "pip install /path/to/wagtail-outbound" in readme
    assert '"wagtail.contrib.settings",  # add if not present' in readme

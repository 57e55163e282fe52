"""The wheel users install carries everything the app needs at run time."""

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATIC = "wagtail_outbound/static/wagtail_outbound/"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Build the wheel with the project's real build backend (offline)."""
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--no-isolation"]
    subprocess.run([*command, "--outdir", out, ROOT], check=True, capture_output=True)
    (path,) = out.glob("wagtail_outbound-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def metadata(wheel):
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(wheel.read(name).decode())


def test_wheel_carries_templates_static_files_and_migrations(wheel):
    names = set(wheel.namelist())

    assert {STATIC + "tracker.js", STATIC + "tracker.min.js"} <= names
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

"""The documentation: README stays a front page (what roster is, install, the two commands, where to read on) whose
links resolve, and the site in docs/ builds with README's own command in strict mode (a broken link, a missing or
unlisted page, a snippet that is gone or a docstring the API page cannot render fails the build)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.conftest import ROOT

README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")


def test_readme_is_a_front_page_of_at_most_150_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; the reference belongs in docs/"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[:2] == ["## Two commands", "## Install into your Airflow"], headings


def test_readme_links_resolve():
    links = LINK.findall(README.read_text(encoding="utf-8"))
    targets = [t for t in links if not t.startswith(("http", "../"))]  # ../shared/SPEC.md lies outside a clone
    assert any(t.startswith("docs/") for t in targets), targets
    missing = [t for t in targets if not (ROOT / t).resolve().exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_the_site_builds_strict_with_the_readme_command():
    command = re.search(r"`(\.venv/bin/mkdocs build --strict)`", README.read_text(encoding="utf-8"))
    assert command, "README.md names the docs build command"
    mkdocs = Path(ROOT / ".venv/bin/mkdocs")
    site = ROOT / "site"
    done = subprocess.run(
        [str(mkdocs), "build", "--strict"], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("roster.jobs.JobQueue.publish", "roster.warmup.UserCacheWarmer.warm_shard"):
        assert f'id="{name}"' in api, f"the API page lacks {name}"
    install = (site / "install" / "index.html").read_text(encoding="utf-8")
    assert "roster pools --import" in re.sub(r"<[^>]+>", "", install), "README's install commands on the install page"


def test_every_setting_the_package_reads_is_in_the_configuration_reference():
    code = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "plugins" / "roster").rglob("*.py"))
    names = set(re.findall(r"\b(?:ROSTER|CACHE_TTL)_[A-Z0-9_]+\b", code))
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert len(names) > 15, names
    missing = sorted(name for name in names if f"`{name}`" not in reference)
    assert not missing, f"settings the package reads that docs/configuration.md does not list: {missing}"

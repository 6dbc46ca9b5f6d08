"""Accessibility and HTML-validity checkers for the tests: axe-core (npm, pinned in
package-lock.json) injected into pages opened by Playwright in Debian's chromium, and the Nu
HTML Checker (npm ``vnu-jar``) run by the machine's Java on many pages in one invocation.

Both come from ``node_modules`` at the repository root (``npm ci``). Without it the tests
that need them skip with the reason, except in CI (``CI=true``), where they fail: CI
installs them (.ci/run), so a missing tool there is a broken build, not a reason to skip.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# the success criteria the project promises: WCAG 2.0 A and AA, WCAG 2.1 AA
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _missing(what: str, hint: str) -> None:
    message = f"{what} is missing ({hint})"
    if in_ci():
        pytest.fail(f"{message}: CI installs it in .ci/run, so this is a broken build")
    pytest.skip(message)


def require_axe() -> str:
    """axe-core's source, or a skip (a failure in CI) when node_modules is missing."""
    if not AXE_JS.exists():
        _missing(str(AXE_JS.relative_to(ROOT)), "run `npm ci` at the repository root")
    return AXE_JS.read_text(encoding="utf-8")


def require_vnu() -> list[str]:
    """The command that runs the Nu HTML Checker, or a skip (a failure in CI)."""
    if not VNU_JAR.exists():
        _missing(str(VNU_JAR.relative_to(ROOT)), "run `npm ci` at the repository root")
    java = shutil.which("java")
    if java is None:
        _missing("java", "apt-get install default-jre-headless")
    return [java, "-Xss8m", "-jar", str(VNU_JAR)]


# ---- axe-core -----------------------------------------------------------------------------

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations', 'incomplete']});
  const nodes = (v) => v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                          html: n.html.slice(0, 200)}));
  return {violations: result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                   nodes: nodes(v)})),
          review: result.incomplete.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                               nodes: nodes(v)}))};
}"""


def axe_run(page, source: str) -> dict:
    """axe-core's WCAG 2.0 A/AA and 2.1 AA results on the page as it is now:
    ``{"violations": [...], "review": [...]}`` (review: what axe could not decide, such as
    the contrast of text over an image). The source is evaluated through the DevTools
    protocol, so the app's Content-Security-Policy (which rightly refuses inline scripts)
    needs no exception for it."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source + "\n;0")
    return page.evaluate(AXE_RUN, AXE_TAGS)


def axe_violations(page, source: str) -> list[dict]:
    return axe_run(page, source)["violations"]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {n['target']}: {n['html']}" for n in v["nodes"][:5]]
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


# ---- Nu HTML Checker ----------------------------------------------------------------------

@dataclass
class HtmlBatch:
    """Pages' HTML collected under a name each, then checked in one Java run."""

    pages: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, html: str) -> None:
        self.pages.setdefault(name, html)

    def errors(self) -> dict[str, list[str]]:
        """{page name: ["line N: message (extract)"]} for every page, empty lists included."""
        return validate_html(self.pages)


def validate_html(pages: dict[str, str]) -> dict[str, list[str]]:
    """Errors the Nu HTML Checker finds in each page (warnings and info are left out)."""
    if not pages:
        return {}
    command = require_vnu()
    with tempfile.TemporaryDirectory(prefix="vnu-") as folder:
        files = {}
        for number, (name, html) in enumerate(pages.items()):
            path = Path(folder) / f"page-{number:03d}.html"
            path.write_text(html, encoding="utf-8")
            files[path.resolve().as_uri()] = name
        run = subprocess.run([*command, "--format", "json", "--exit-zero-always", *sorted(
            unquote(urlparse(uri).path) for uri in files)], capture_output=True, text=True,
            timeout=600)
        try:
            messages = json.loads(run.stderr or run.stdout)["messages"]
        except (ValueError, KeyError):
            raise AssertionError(f"the Nu HTML Checker gave no report: {run.stderr[-2000:]}")
    found: dict[str, list[str]] = {name: [] for name in pages}
    by_path = {unquote(urlparse(uri).path): name for uri, name in files.items()}
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        name = by_path.get(unquote(urlparse(message.get("url", "")).path))
        if name is None:
            raise AssertionError(f"the Nu HTML Checker failed: {message}")
        extract = (message.get("extract") or "").strip().replace("\n", " ")[:160]
        found[name].append(f"line {message.get('lastLine', '?')}: {message['message']}"
                           f" [{extract}]")
    return found

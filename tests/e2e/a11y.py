"""axe-core, as the browsers' own accessibility audits run it, over a page in Playwright."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices on top.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_axe = Axe()


def axe_violations(page: Page) -> list[dict]:
    """Every violation axe finds on the page as it stands, of any impact."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    return results.response["violations"]


def describe(violations: list[dict]) -> str:
    """One line per violation and the elements it names, for a failing assertion to show."""
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(
            f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])}): {targets}"
        )
    return "\n".join(lines)

"""A browser page that may reach 127.0.0.1 only: every other request is aborted and
counted, and every Content-Security-Policy violation and console error is kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Route

LOCAL_HOST = "127.0.0.1"
# Collects CSP violations from the first script the page runs (init scripts are not
# subject to the page's policy, so this listener is in place before anything is blocked).
VIOLATION_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@dataclass
class Watched:
    """A page, the off-host requests it tried and the errors it logged."""

    page: Page
    off_host: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        """The CSP violations the page reported so far ("directive blocked-URI")."""
        found: list[str] = self.page.evaluate("window.__cspViolations")
        return found


def watch(context: BrowserContext) -> Watched:
    """A new page of `context`, which from now on reaches 127.0.0.1 only."""
    page = context.new_page()
    seen = Watched(page)

    def route(route: Route) -> None:
        if urlsplit(route.request.url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            seen.off_host.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    context.add_init_script(VIOLATION_LISTENER)
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.console_errors.append(str(e)))
    return seen

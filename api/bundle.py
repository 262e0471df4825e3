"""One ES module for a page: an entry module and every module it statically imports.

A cold page load fetched 12 modules (the page's and @noble/hashes' keccak) over
HTTP/1.1's 6 connections, in three rounds; served as one file it is one request.
Each imported module becomes a function scope in dependency order, returning its exports;
its imports become destructurings of the modules before it. The entry stays at the top
level (it may `await`), and `import.meta.url` still resolves beside it, so the bundle is
served from the entry's folder. Dynamic `import()` is left alone (loaded on demand).

Only the forms these files use are understood: one-line `import { a, b as c } from '…'`,
`export function|async function|class|const|let NAME`, and `export { a, b };`. Anything
else (`export default`, `import x from`, a re-export) raises BundleError, so a new form
fails the build of the page rather than the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_IMPORT = re.compile(r"""^import \{([^}]*)\} from (['"])([^'"]+)\2;[ \t]*$""", re.M)
_EXPORT_DECLARATION = re.compile(
    r"^export ((?:async )?function\*? ?|class |const |let )([A-Za-z_$][\w$]*)", re.M
)
_EXPORT_LIST = re.compile(r"^export \{([^}]*)\};[ \t]*$", re.M)
_LEFTOVER = re.compile(r"^(?:export|import)\b(?!\()", re.M)
_NAME = re.compile(r"[A-Za-z_$][\w$]*")


class BundleError(ValueError):
    """A module uses a form this bundler does not understand."""


def _names(listed: str, where: Path) -> list[tuple[str, str]]:
    """`a, b as c` as [(a, a), (b, c)]."""
    out = []
    for part in (p.strip() for p in listed.split(",")):
        if not part:
            continue
        words = part.split()
        if len(words) == 1 and _NAME.fullmatch(words[0]):
            out.append((words[0], words[0]))
        elif len(words) == 3 and words[1] == "as" and all(map(_NAME.fullmatch, words[::2])):
            out.append((words[0], words[2]))
        else:
            raise BundleError(f"{where}: cannot bundle the name list {listed!r}")
    return out


def bundle(entry: Path) -> str:
    """The source of one module doing what `entry` does."""
    order: list[Path] = []
    bodies: dict[Path, str] = {}
    exports: dict[Path, list[str]] = {}

    def key(path: Path) -> str:
        return json.dumps(path.relative_to(entry.parent.parent).as_posix())

    def visit(path: Path, stack: tuple[Path, ...]) -> None:
        if path in bodies:
            return
        if path in stack:
            raise BundleError(f"{path}: circular import")
        source = path.read_text("utf-8")

        def replace_import(match: re.Match[str]) -> str:
            target = (path.parent / match.group(3)).resolve()
            if not match.group(3).startswith("."):
                raise BundleError(f"{path}: cannot bundle the bare import {match.group(3)!r}")
            visit(target, (*stack, path))
            pairs = ", ".join(n if n == a else f"{n}: {a}" for n, a in _names(match.group(1), path))
            return f"const {{ {pairs} }} = __modules[{key(target)}];"

        body = _IMPORT.sub(replace_import, source)
        names = [m.group(2) for m in _EXPORT_DECLARATION.finditer(body)]
        body = _EXPORT_DECLARATION.sub(lambda m: m.group(1) + m.group(2), body)
        for listed in _EXPORT_LIST.findall(body):
            pairs = _names(listed, path)
            if any(name != alias for name, alias in pairs):
                raise BundleError(f"{path}: cannot bundle a renaming export list")
            names += [name for name, _ in pairs]
        body = _EXPORT_LIST.sub("", body)
        leftover = _LEFTOVER.search(body)
        if leftover:
            line = body[leftover.start() :].splitlines()[0]
            raise BundleError(f"{path}: cannot bundle {line!r}")
        bodies[path], exports[path] = body, names
        order.append(path)

    entry = entry.resolve()
    visit(entry, ())
    parts = [f"// One module for {entry.name}, built by api/bundle.py from:"]
    parts += [f"//   {key(p)}" for p in order]
    parts.append("const __modules = {};")
    for path in order[:-1]:
        returned = ", ".join(exports[path])
        parts.append(
            f"// ---- {key(path)}\n__modules[{key(path)}] = (() => {{\n{bodies[path]}\n"
            f"return {{ {returned} }};\n}})();"
        )
    parts.append(f"// ---- {key(entry)}\n{bodies[entry]}")
    return "\n".join(parts) + "\n"

"""Copy the built NHS.UK frontend from node_modules into the app's static folder.

The prebuilt stylesheet loads the Frutiger web font from assets.nhs.uk. The app runs
with a strict Content-Security-Policy and must look right with no outside network, so
the @font-face rules are removed and the stylesheet falls back to its own system-font
stack (Arial, sans-serif).

Usage: python tools/copy_assets.py NODE_PACKAGE_DIR STATIC_TARGET_DIR
"""

import re
import shutil
import sys
from pathlib import Path

FONT_FACE = re.compile(r"@font-face\{[^}]*\}")


def copy_assets(package: Path, target: Path) -> None:
    dist = package / "dist" / "nhsuk"
    if not dist.is_dir():
        raise SystemExit(f"{dist} not found: run `npm ci` first")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    css = (dist / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    css = FONT_FACE.sub("", css)
    # Icons are referenced from the site root (/assets/…); serve them beside the CSS.
    css = css.replace("url(/assets/", "url(assets/")
    css = css.replace("/*# sourceMappingURL=nhsuk-frontend.min.css.map */", "")
    (target / "nhsuk-frontend.min.css").write_text(css, encoding="utf-8")
    js = (dist / "nhsuk-frontend.min.js").read_text(encoding="utf-8")
    js = js.replace("//# sourceMappingURL=nhsuk-frontend.min.js.map", "")
    (target / "nhsuk-frontend.min.js").write_text(js, encoding="utf-8")
    shutil.copytree(dist / "assets", target / "assets")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    copy_assets(Path(sys.argv[1]), Path(sys.argv[2]))

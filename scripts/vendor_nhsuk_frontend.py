"""Vendor the NHS design system's own compiled CSS and JS under static/vendor/.

Run from the repository root with Node's npm on PATH:

    python scripts/vendor_nhsuk_frontend.py

It takes the pinned `nhsuk-frontend` release from the npm registry (checked against
the registry's sha512 integrity), and copies its compiled, minified CSS and JS, the
icons the CSS points at, and its licence into static/vendor/nhsuk-frontend/. Three
changes are made to the CSS, and only these: icon URLs become relative to the file
(the package assumes they are served from /assets/), the Frutiger @font-face rule is
dropped (the font is licensed to NHS services and served from assets.nhs.uk, which our
Content-Security-Policy does not allow; the design system's own fallback, Arial, is
used), and the source-map comments go (the maps are not vendored, and
ManifestStaticFilesStorage would refuse a missing one).

To upgrade: change VERSION and INTEGRITY (`npm view nhsuk-frontend@X dist.integrity`),
run the script, look at the pages, commit static/vendor/ with the script.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "10.6.1"
# npm view nhsuk-frontend@VERSION dist.integrity
INTEGRITY = "sha512-" + (
    "PZorqQZjZx/A26yJoskCL9z0ib6AtkAyF0o4K/RHr8zRrJyXrUOCnMbjy0VNXsGO4tfTNMwqlkwATKs4a0xayw=="
)
ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "static" / "vendor" / "nhsuk-frontend"

LICENCE = """\
nhsuk-frontend {version}
https://github.com/nhsuk/nhsuk-frontend (package.json: "license": "MIT")

From the package's README:

  The codebase is released under the MIT Licence, unless stated otherwise. This
  covers both the codebase and any sample code in the documentation. The
  documentation is (c) NHS England and available under the terms of the Open
  Government 3.0 licence.

The MIT Licence

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in the
Software without restriction, including without limitation the rights to use, copy,
modify, merge, publish, distribute, sublicense, and/or sell copies of the Software,
and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT
HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE
OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

FONT_FACE = re.compile(r"@font-face\{[^}]*\}")
SOURCE_MAP = re.compile(r"/[*/]# sourceMappingURL=[^\n]*?(\*/)?\s*$")
ASSET_URL = re.compile(r"url\(/assets/images/([\w.-]+)\)")


def fetch(workdir: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", f"nhsuk-frontend@{VERSION}", "--silent", "--pack-destination", workdir],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    algorithm, expected = INTEGRITY.split("-", 1)
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        sys.exit(f"{tarball.name}: integrity {algorithm}-{digest} is not the pinned {INTEGRITY}")
    with tarfile.open(tarball) as archive:
        archive.extractall(workdir, filter="data")
    return workdir / "package" / "dist" / "nhsuk"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        dist = fetch(Path(tmp))
        if TARGET.exists():
            shutil.rmtree(TARGET)
        (TARGET / "images").mkdir(parents=True)

        css = (dist / "nhsuk-frontend.min.css").read_text()
        css = FONT_FACE.sub("", css)
        css = SOURCE_MAP.sub("", css).rstrip() + "\n"
        for name in sorted(set(ASSET_URL.findall(css))):
            shutil.copy(dist / "assets" / "images" / name, TARGET / "images" / name)
        css = ASSET_URL.sub(r"url(images/\1)", css)
        (TARGET / "nhsuk-frontend.min.css").write_text(css)

        js = (dist / "nhsuk-frontend.min.js").read_text()
        (TARGET / "nhsuk-frontend.min.js").write_text(SOURCE_MAP.sub("", js).rstrip() + "\n")

        (TARGET / "LICENCE.txt").write_text(LICENCE.format(version=VERSION))
        (TARGET / "VERSION").write_text(VERSION + "\n")
    print(f"nhsuk-frontend {VERSION} vendored into {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

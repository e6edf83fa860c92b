"""scripts/screenshots.py writes the README's pictures (its own browser: outside the other browser modules)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tooling import REPO_ROOT


def test_the_screenshot_script_writes_the_readme_pictures(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("screenshots", REPO_ROOT / "scripts" / "screenshots.py")
    assert spec and spec.loader
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    written = screenshots.take_screenshots(tmp_path)
    assert [p.name for p in written] == [name for name, *_ in screenshots.SHOTS]
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for path, (name, width, _, _, scale) in zip(written, screenshots.SHOTS, strict=False):
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == width * scale
        assert f"docs/{name}" in readme and (REPO_ROOT / "docs" / name).is_file()

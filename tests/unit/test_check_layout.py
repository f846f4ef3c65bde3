"""scripts/check_layout.py on small made-up packages: what counts as a cycle, and the limits."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_layout.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layout", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


check_layout = load_script()


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"surveyapp/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_function_level_import_closes_a_cycle(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "surveyapp/a.py": "from surveyapp import b\n",
        "surveyapp/b.py": "def later():\n    from surveyapp.a import thing\n",
    })  # fmt: skip
    [problem] = check_layout.check(root)
    assert "import cycle among surveyapp.a, surveyapp.b" in problem
    assert "surveyapp.b -> surveyapp.a  (surveyapp/b.py:2)" in problem


def test_type_checking_imports_and_relative_imports(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "surveyapp/p/__init__.py": "",
        "surveyapp/p/a.py": "from . import b\n",
        "surveyapp/p/b.py": (
            "import typing\nfrom typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from .a import A\n"
            "if typing.TYPE_CHECKING:\n    from surveyapp.p import a\n"
        ),
    })  # fmt: skip
    assert check_layout.check(root) == []
    (root / "surveyapp/p/b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    pass\nelse:\n    from ..p.a import A\n"
    )
    [problem] = check_layout.check(root)
    assert "surveyapp.p.b -> surveyapp.p.a  (surveyapp/p/b.py:5)" in problem


def test_long_modules_and_full_folders(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "surveyapp/long.py": "x = 1\n" * (check_layout.MAX_LINES + 1),
        **{f"surveyapp/m{n}.py": "" for n in range(check_layout.MAX_MODULES - 1)},
    })  # fmt: skip
    assert check_layout.check(root) == [
        f"module surveyapp.long (surveyapp/long.py) has {check_layout.MAX_LINES + 1} lines, "
        f"more than {check_layout.MAX_LINES}",
        f"folder surveyapp/ has {check_layout.MAX_MODULES + 1} modules, "
        f"more than {check_layout.MAX_MODULES}",
    ]
    (root / "surveyapp/m0.py").unlink()
    (root / "surveyapp/long.py").write_text("x = 1\n" * check_layout.MAX_LINES)
    assert check_layout.check(root) == []

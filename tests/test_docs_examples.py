"""Every Python example in the README runs (examples that drift from the code are bugs)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("index", range(len(_blocks(ROOT / "README.md"))))
def test_readme_python_examples_run(index, capsys):
    code = _blocks(ROOT / "README.md")[index]
    exec(compile(code, f"README.md[python block {index}]", "exec"), {})
    assert capsys.readouterr().out  # each example prints something

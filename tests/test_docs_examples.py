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


def test_readme_scenario_example_is_a_valid_scenario():
    import yaml

    from fleetsim.config import load_scenario

    (block,) = [
        b
        for b in re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
        if b.startswith("name:")
    ]
    data = yaml.safe_load(block)
    for variant in data["variants"]:
        sc = load_scenario(data, variant=variant)
        assert sc.duration == 3600 and sc.instance.type == "m5.xlarge"


def test_traffic_mix_example_in_the_docs_is_valid():
    import yaml

    from fleetsim.config import load_scenario
    from tests.conftest import BASE, merge

    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs/traffic.md").read_text(), flags=re.S)
    (mix,) = [yaml.safe_load(b) for b in blocks if "mix:" in b]
    sc = load_scenario(merge(BASE, mix))
    assert sc.traffic.mix is not None and sc.traffic.mix.upload.payload_kb == 1024

"""The README's make targets start: recipes that source scripts/env.sh run it
in make's own shell (dash as /bin/sh refused it, so `make soak`, `make bench`
and friends failed before doing anything)."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES_ENV = re.compile(r"^([a-z-]+):.*\n\t@?\. scripts/env\.sh && ", re.M)


def test_recipes_that_source_env_sh_get_its_settings():
    targets = SOURCES_ENV.findall((ROOT / "Makefile").read_text())
    assert {"bench", "soak", "nlu-eval"} <= set(targets)
    probe = subprocess.run(
        ["make", "-s", "--eval", 'dana-probe: ; @. scripts/env.sh && echo "$$DANA_DATABASE_URL"', "dana-probe"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().startswith(("sqlite:///", "postgresql")), probe.stdout

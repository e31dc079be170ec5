"""scripts/tree_clean.sh, which ends `make test` and `make test-jazzy`: a run that wrote into the repository
fails, naming the files; what was already changed before the run is not the run's doing."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest_data import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "tree_clean.sh"


def tree_clean(mode: str, repo: Path, state: Path) -> subprocess.CompletedProcess[str]:
    env = {"TREE_ROOT": str(repo), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["bash", str(SCRIPT), mode, str(state)], env=env, capture_output=True, text=True,
                          check=False)


def test_a_file_written_during_the_run_fails_the_check_and_is_named(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("build/\n")
    (repo / "kept.py").write_text("x = 1\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    (repo / "edited_before.txt").write_text("a developer's work in progress\n")
    state = tmp_path / "state"
    assert tree_clean("snapshot", repo, state).returncode == 0
    (repo / "build").mkdir()
    (repo / "build" / "ignored.o").write_text("")
    assert tree_clean("check", repo, state).returncode == 0, "ignored folders and earlier changes are not new"
    (repo / "sym_shape_infer_temp.onnx").write_text("")
    (repo / "kept.py").write_text("x = 2\n")
    result = tree_clean("check", repo, state)
    assert result.returncode == 1
    assert "?? sym_shape_infer_temp.onnx" in result.stderr and " M kept.py" in result.stderr
    assert "edited_before.txt" not in result.stderr

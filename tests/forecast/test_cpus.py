"""CPU count from affinity and the cgroup quota, not the host's CPU count."""

from __future__ import annotations

from pathlib import Path

from dropcast_forecasting.pool.cpus import available_cpus, cgroup_cpu_limit


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_cgroup_v2_quota_caps_the_affinity(tmp_path: Path) -> None:
    _tree(tmp_path, {"proc": "0::/app\n", "fs/app/cpu.max": "200000 100000\n"})
    cpus = available_cpus(
        affinity=set(range(8)), cgroup_root=tmp_path / "fs", proc_cgroup=tmp_path / "proc"
    )
    assert cpus == 2


def test_fractional_quota_rounds_up(tmp_path: Path) -> None:
    _tree(tmp_path, {"proc": "0::/\n", "fs/cpu.max": "150000 100000\n"})
    assert cgroup_cpu_limit(tmp_path / "fs", tmp_path / "proc") == 1.5
    assert available_cpus(affinity={0, 1, 2, 3}, cgroup_root=tmp_path / "fs",
                          proc_cgroup=tmp_path / "proc") == 2  # fmt: skip


def test_an_ancestor_limit_applies(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {"proc": "0::/a/b\n", "fs/a/b/cpu.max": "max 100000\n", "fs/a/cpu.max": "100000 100000\n"},
    )
    assert cgroup_cpu_limit(tmp_path / "fs", tmp_path / "proc") == 1.0


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "proc": "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n",
            "fs/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "300000\n",
            "fs/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
        },
    )
    assert available_cpus(affinity=set(range(16)), cgroup_root=tmp_path / "fs",
                          proc_cgroup=tmp_path / "proc") == 3  # fmt: skip


def test_unlimited_or_unreadable_falls_back_to_affinity(tmp_path: Path) -> None:
    files = {
        "proc": "0::/\n1:cpu:/\n",
        "fs/cpu.max": "max 100000\n",
        "fs/cpu/cpu.cfs_quota_us": "-1\n",
        "fs/cpu/cpu.cfs_period_us": "100000\n",
    }
    _tree(tmp_path, files)
    root, proc = tmp_path / "fs", tmp_path / "proc"
    assert cgroup_cpu_limit(root, proc) is None
    assert available_cpus(affinity={0, 5, 7}, cgroup_root=root, proc_cgroup=proc) == 3
    assert cgroup_cpu_limit(root, tmp_path / "missing") is None


def test_this_machine() -> None:
    import os

    assert 1 <= available_cpus() <= len(os.sched_getaffinity(0))

"""harness/dds_environment: the private domain the tools run nodes in, and what it leaves behind."""

from __future__ import annotations

import os

import pytest

from yolo_nano_ros.harness.dds_environment import private_dds_domain


def test_private_domain_sets_dds_for_the_block_and_restores_everything(monkeypatch):
    monkeypatch.setenv("ROS_DOMAIN_ID", "7")
    monkeypatch.delenv("ROS_AUTOMATIC_DISCOVERY_RANGE", raising=False)
    before = dict(os.environ)
    with private_dds_domain(150) as env:
        assert os.environ["ROS_DOMAIN_ID"] == env["ROS_DOMAIN_ID"] == "150"
        assert os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
        assert env["FASTDDS_DEFAULT_PROFILES_FILE"].endswith("fastdds_shm_large_frames.xml")
        assert env["PATH"] == before["PATH"], "children get the rest of the environment too"
    assert dict(os.environ) == before
    with pytest.raises(RuntimeError), private_dds_domain(151):
        raise RuntimeError("a failing tool")
    assert dict(os.environ) == before, "restored after an error as well"

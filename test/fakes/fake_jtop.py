"""TEST DOUBLE for jetson-stats' `jtop` (not installed here): the 4.x attribute layout, not NVIDIA's or
rbonghi's code. BrokenJtop raises what jtop raises when its service is down."""

from __future__ import annotations


class FakeJtop:
    def __init__(self, interval: float) -> None:
        self.interval, self.started, self.closed = interval, False, False
        self.power = {"rail": {"VDD_GPU_SOC": {"volt": 5000, "curr": 1000, "power": 5000, "avg": 4000},
                               "VDD_CPU_CV": {"power": 1200, "avg": 1100}},
                      "tot": {"power": 11900, "avg": 9000, "name": "ALL"}}
        self.stats = {"CPU1": 10, "CPU2": 30, "GPU": 55.0, "Temp cpu": 48.5, "Temp cv0": -256, "RAM": 0.4}
        self.memory = {"RAM": {"tot": 64 * 1024 * 1024, "used": 8 * 1024 * 1024}}

    def start(self) -> None:
        self.started = True

    def ok(self, spin: bool = False) -> bool:
        return self.started

    def close(self) -> None:
        self.closed = True


class BrokenJtop(FakeJtop):
    def start(self) -> None:
        raise RuntimeError("The jtop.service is not active. Please run: sudo systemctl restart jtop.service")

"""Uploaded files: on the instance's disk (lost with it) or in S3 (durable).

A request uploads a file with probability ``traffic.upload_fraction``; the file is stored when
the request succeeds. ``instance_disk`` keeps it on the instance that served the request; when
that instance is terminated (its root volume is deleted with it) every file on it is a *lost
upload*, cause ``instance_terminated``. The loss is counted when the run's books are closed,
from each instance's final EC2 state. ``s3`` is durable and adds ``put_latency`` to the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from fleetsim.config.state import StateConfig

if TYPE_CHECKING:
    from fleetsim.record.recorder import Recorder
    from fleetsim.sim.instance import Instance


class UploadStore:
    """Where uploaded files go.

    Args:
        cfg: the ``state`` section.
        rec: the run's recorder (upload counts).
    """

    def __init__(self, cfg: StateConfig, rec: Recorder) -> None:
        self.kind = cfg.uploads
        self.durable = cfg.uploads == "s3"
        self.latency = cfg.s3.put_latency if self.durable else 0.0
        self.rec = rec
        self.on_instance: dict[Instance, int] = {}

    def stored(self, instance: Instance) -> None:
        """Count a file stored by a successful upload served by ``instance``."""
        self.rec.upload_stored()
        if not self.durable:
            self.on_instance[instance] = self.on_instance.get(instance, 0) + 1

    def settle(self, instances: Iterable[Instance]) -> int:
        """Count the files on terminated instances as lost; return how many."""
        lost = 0
        for inst in instances:
            files = self.on_instance.get(inst, 0)
            if files and inst.state in ("shutting-down", "terminated"):
                lost += files
        if lost:
            self.rec.uploads_lost_add(lost, "instance_terminated")
        return lost

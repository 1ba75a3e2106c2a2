"""Instance-type and AMI catalogs: the facts about EC2 that scenarios refer to by name.

Prices are us-east-1 on-demand Linux in USD per hour. The ``.large`` prices of t3, m5, m7g, c7g and
r7g are the figures of the project's AWS fact sheet (§3: they agree across several independent
public price tables; no AWS price page was available). Other sizes follow AWS's linear pricing
within a family (each size up doubles vCPUs, memory and price).

``speed`` is CPU throughput per vCPU relative to m5 (Skylake/Cascade Lake = 1.0): a request needing
``x`` CPU seconds on a speed-1.0 vCPU takes ``x / speed`` on a whole vCPU of this type. The figures
are modelling assumptions, not AWS figures, and can be overridden per scenario
(``instance.speed``): t3 = 1.0 (same Skylake/Cascade Lake silicon as m5), Graviton 3 (m7g, c7g,
r7g) = 1.15.

Burstable T instances earn CPU credits (one credit = one vCPU at 100 % for one minute). Baseline
and accrual per size are AWS's table ("Key concepts for burstable performance instances", EC2 User
Guide, burstable-credits-baseline-concepts; e.g. t3.large: 36 credits/hour, 2 vCPUs, baseline
30 % per vCPU, at most 864 credits = 24 hours of earnings).

Boot profiles (:data:`AMI_PROFILES`) give the default boot phases of a ``baked`` and a
``bootstrapped`` AMI; see :mod:`fleetsim.config.app` for the phase model and the sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRICE_SOURCE = (
    "us-east-1 on-demand Linux; fact sheet §3 (public price tables), linear within family"
)

#: Surplus CPU credits of a T3 instance in unlimited mode: $0.05 per vCPU-hour, Linux, all
#: regions and sizes (aws.amazon.com/ec2/pricing, "T3 CPU credits"; EC2 User Guide,
#: burstable-performance-instances-unlimited-mode-concepts).
T3_SURPLUS_USD_PER_VCPU_HOUR = 0.05


@dataclass(frozen=True)
class InstanceType:
    """One EC2 instance type.

    Attributes:
        name: the API name, e.g. ``m5.large``.
        vcpus: virtual CPUs.
        memory_gib: memory in GiB.
        price_usd_hour: on-demand Linux price in us-east-1.
        speed: CPU throughput per vCPU relative to m5 (1.0).
        burstable: True for T-family instances (CPU credits).
        baseline: T only: fraction of each vCPU usable without spending credits.
        credits_per_hour: T only: CPU credits earned per hour (= baseline x vCPUs x 60).
    """

    name: str
    vcpus: int
    memory_gib: float
    price_usd_hour: float
    speed: float = 1.0
    burstable: bool = False
    baseline: float = 1.0
    credits_per_hour: float = 0.0

    @property
    def max_credits(self) -> float:
        """Largest earned credit balance: 24 hours of earnings (AWS credit table footnote)."""
        return 24.0 * self.credits_per_hour


def _family(
    family: str,
    large_price: float,
    speed: float,
    mem_per_vcpu: float,
    sizes: tuple[str, ...],
) -> dict[str, InstanceType]:
    # vCPUs per size follow AWS naming: medium 1, large 2, xlarge 4, 2xlarge 8, 4xlarge 16 ...
    factor = {"medium": 1 / 2, "large": 1.0, "xlarge": 2.0, "2xlarge": 4.0, "4xlarge": 8.0}
    factor["8xlarge"] = 16.0
    out = {}
    for size in sizes:
        f = factor[size]
        vcpus = max(1, round(2 * f))
        name = f"{family}.{size}"
        out[name] = InstanceType(
            name, vcpus, mem_per_vcpu * 2 * f, round(large_price * f, 5), speed
        )
    return out


# T3 credit table (EC2 User Guide, burstable-credits-baseline-concepts): size → (vCPUs, baseline
# per vCPU, credits earned per hour). Memory and price double with each size from t3.micro.
_T3 = {
    "micro": (2, 0.10, 12.0),
    "small": (2, 0.20, 24.0),
    "medium": (2, 0.20, 24.0),
    "large": (2, 0.30, 36.0),  # t3.large: 30 % baseline, 36 credits/hour
    "xlarge": (4, 0.40, 96.0),
}
_T3_SCALE = {"micro": 1 / 8, "small": 1 / 4, "medium": 1 / 2, "large": 1.0, "xlarge": 2.0}


def _t3() -> dict[str, InstanceType]:
    out = {}
    for size, (vcpus, baseline, earn) in _T3.items():
        f = _T3_SCALE[size]
        name = f"t3.{size}"
        out[name] = InstanceType(
            name, vcpus, 8 * f, round(0.0832 * f, 5), 1.0, True, baseline, earn
        )
    return out


INSTANCE_TYPES: dict[str, InstanceType] = {
    **_t3(),
    **_family("m5", 0.096, 1.0, 4, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge")),
    **_family("m7g", 0.0816, 1.15, 4, ("medium", "large", "xlarge", "2xlarge", "4xlarge")),
    **_family("c7g", 0.0725, 1.15, 2, ("medium", "large", "xlarge", "2xlarge", "4xlarge")),
    **_family("r7g", 0.1071, 1.15, 8, ("medium", "large", "xlarge", "2xlarge", "4xlarge")),
}
"""Known instance types by name."""


def instance_type(name: str) -> InstanceType:
    """Return the catalog entry for ``name``.

    Raises:
        KeyError: if the type is unknown; the message lists the known types.
    """
    try:
        return INSTANCE_TYPES[name]
    except KeyError:
        raise KeyError(
            f"unknown instance type {name!r}; known types: {', '.join(sorted(INSTANCE_TYPES))}"
        ) from None


# Measured launch phases (fact sheet §3, brevdev/ec2-coldboot-research, m7i.large, AL2023, three
# runs): RunInstances API 4.8 s, pending→running 17.8 s, boot→SSH 3.2 s. Instance type changes the
# total by under 0.7 s (same study), so the phases do not depend on the type.
_LAUNCH: dict[str, Any] = {
    "api": {"dist": "lognormal", "median": 4.8, "sigma": 0.15},
    "pending": {"dist": "lognormal", "median": 17.8, "sigma": 0.15},
    "os_boot": {"dist": "lognormal", "median": 3.2, "sigma": 0.15},
}

AMI_PROFILES: dict[str, dict[str, Any]] = {
    # App and dependencies in the image: only the app's own start (10 s, an assumption) remains.
    # Total median ≈ 4.8 + 17.8 + 3.2 + 10 = 35.8 s from launch request to the app answering.
    "baked": {
        **_LAUNCH,
        "user_data": [],
        "app_start": {"dist": "lognormal", "median": 10.0, "sigma": 0.2},
    },
    # User data installs and builds the app at first boot. AWS documents no user-data duration
    # (fact sheet §3 "not found"): every step below is an ASSUMPTION, about five minutes in all,
    # with a small chance that a download from a package mirror or artifact store fails.
    "bootstrapped": {
        **_LAUNCH,
        "user_data": [
            {
                "name": "package_install",
                "duration": {"dist": "lognormal", "median": 100.0, "sigma": 0.25},
                "failure_probability": 0.02,
            },
            {
                "name": "artifact_download",
                "size_mb": 500,
                "bandwidth_mb_s": 25.0,
                "failure_probability": 0.01,
            },
            {
                "name": "config_fetch",
                "duration": {"dist": "lognormal", "median": 3.0, "sigma": 0.3},
            },
            {
                "name": "build",
                "duration": {"dist": "lognormal", "median": 160.0, "sigma": 0.25},
                "timeout": 900,
            },
        ],
        "app_start": {"dist": "lognormal", "median": 10.0, "sigma": 0.2},
    },
}
"""Default boot phases by AMI kind, as scenario data (merged under ``instance.boot``)."""

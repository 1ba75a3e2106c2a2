"""Instance-type and AMI catalogs: the facts about EC2 that scenarios refer to by name.

Prices are us-east-1 on-demand Linux in USD per hour. The ``.large`` prices of t3, m5, m7g, c7g and
r7g are the figures of the project's AWS fact sheet (§3: they agree across several independent
public price tables; no AWS price page was available). Other sizes follow AWS's linear pricing
within a family (each size up doubles vCPUs, memory and price). ``speed`` is CPU throughput per
vCPU relative to m5 (Skylake/Cascade Lake = 1.0); Graviton 3 figures are a modelling assumption,
not an AWS figure, and can be overridden per scenario.

Boot profiles split an instance's launch into the EC2 ``pending`` time (not billed) and the time
from ``running`` to the application answering its health check. Measured figures (fact sheet §3,
brevdev/ec2-coldboot-research, m7i.large, AL2023): RunInstances 4.8 s + pending→running 17.8 s +
boot→SSH 3.2 s = 25.8 s. AWS documents no user-data duration; the bootstrapped profile assumes
five minutes of package installation and build, the figure scenarios should override.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICE_SOURCE = (
    "us-east-1 on-demand Linux; fact sheet §3 (public price tables), linear within family"
)


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
    """

    name: str
    vcpus: int
    memory_gib: float
    price_usd_hour: float
    speed: float = 1.0
    burstable: bool = False


def _family(
    family: str,
    large_price: float,
    speed: float,
    mem_per_vcpu: float,
    sizes: tuple[str, ...],
    burstable: bool = False,
) -> dict[str, InstanceType]:
    # vCPUs per size follow AWS naming: medium 1 (T: 2), large 2, xlarge 4, 2xlarge 8, 4xlarge 16.
    factor = {"micro": 1 / 8, "small": 1 / 4, "medium": 1 / 2, "large": 1.0, "xlarge": 2.0}
    factor.update({"2xlarge": 4.0, "4xlarge": 8.0})
    out = {}
    for size in sizes:
        f = factor[size]
        vcpus = 2 if burstable else max(1, round(2 * f))
        memory = 8 * f if burstable else mem_per_vcpu * 2 * f
        name = f"{family}.{size}"
        out[name] = InstanceType(name, vcpus, memory, round(large_price * f, 5), speed, burstable)
    return out


INSTANCE_TYPES: dict[str, InstanceType] = {
    **_family("t3", 0.0832, 1.0, 4, ("micro", "small", "medium", "large", "xlarge"), True),
    **_family("m5", 0.096, 1.0, 4, ("large", "xlarge", "2xlarge", "4xlarge")),
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


@dataclass(frozen=True)
class BootProfile:
    """Default launch times of an AMI profile (seconds; see the module docstring for sources).

    Attributes:
        pending_median: RunInstances call plus EC2 ``pending`` (not billed).
        boot_median: ``running`` to the application answering its health check.
        sigma: log-normal spread of both phases.
    """

    pending_median: float
    boot_median: float
    sigma: float


AMI_PROFILES: dict[str, BootProfile] = {
    # 4.8 s API + 17.8 s pending→running (measured, §3); 3.2 s OS + 10 s app start (assumed).
    "baked": BootProfile(pending_median=22.6, boot_median=13.2, sigma=0.15),
    # Same launch, then user data installs and builds the app: 300 s assumed (AWS gives none).
    "bootstrapped": BootProfile(pending_median=22.6, boot_median=303.2, sigma=0.2),
}
"""Boot profiles by AMI kind."""

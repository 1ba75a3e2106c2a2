"""Auto Scaling group: replacement across AZs and rebalancing (fact sheet §2.2–§2.4)."""

from fleetsim.sim.world import simulate
from tests.conftest import make_scenario


def _run():
    fault = {"kind": "az_outage", "az": "b", "at": 300, "duration": 600}
    sc = make_scenario(duration=1500, faults=[fault])
    return simulate(sc)


def test_outage_moves_capacity_to_other_azs_then_rebalances():
    result = _run()
    tl = result.timeline.set_index("time")
    # Impaired instances are replaced after the EC2 impaired delay (180 s) plus a boot; by the
    # end of the outage the remaining AZs carry the whole desired capacity.
    during = tl.loc[850]
    assert during["in_service_us-east-1b"] == 0
    assert during["in_service"] == 3
    # After recovery the group rebalances to one instance per AZ.
    end = tl.iloc[-1]
    assert [end[f"in_service_us-east-1{z}"] for z in "abc"] == [1, 1, 1]
    ev = result.events
    assert (ev.detail == "AZ rebalancing").any()


def test_rebalancing_launches_before_it_terminates():
    result = _run()
    tl = result.timeline.set_index("time")
    after = tl.loc[900:]
    # Launch before terminate: in-service capacity never drops below desired after recovery.
    assert (after["in_service"] >= 3).all()

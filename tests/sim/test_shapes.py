from fleetsim.config.models import SpikeShape, StepShape
from fleetsim.sim.shapes import build_shape


def test_spike_is_trapezoidal():
    shape = build_shape(SpikeShape(base=10, peak=50, at=100, rise=10, hold=20, decay=40))
    assert shape.rate(0) == 10
    assert shape.rate(105) == 30
    assert shape.rate(115) == 50
    assert shape.rate(150) == 30
    assert shape.rate(170) == 10
    assert shape.max_rate() == 50


def test_step_changes_at_each_step():
    shape = build_shape(StepShape(initial=5, steps=[(10, 20), (30, 0)]))
    assert [shape.rate(t) for t in (0, 9.9, 10, 29, 30)] == [5, 5, 20, 20, 0]

import pytest

from fleetsim.sim.rng import RandomStreams


def test_same_seed_same_name_same_draws():
    a = RandomStreams(3).stream("traffic.arrivals").random(5)
    b = RandomStreams(3).stream("traffic.arrivals").random(5)
    assert (a == b).all()


def test_streams_differ_by_name_and_seed():
    s = RandomStreams(3)
    x = s.stream("a").random(5)
    y = s.stream("b").random(5)
    z = RandomStreams(4).stream("a").random(5)
    assert not (x == y).all() and not (x == z).all()


def test_a_name_can_be_taken_once():
    s = RandomStreams(1)
    s.stream("alb")
    with pytest.raises(ValueError, match="already taken"):
        s.stream("alb")

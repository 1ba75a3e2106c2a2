"""fleetsim: discrete-event simulator of an AWS EC2 fleet."""

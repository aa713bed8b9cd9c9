"""What happens inside the lab, as events: tokens issued, NMI's decisions, ARM's checks."""

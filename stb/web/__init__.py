"""The web companion: the page a phone opens at the box's `/` (remote, guide, watch here)."""

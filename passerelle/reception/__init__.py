"""Reception: the straight line from a signed request to a committed, journaled decision."""

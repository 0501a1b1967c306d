"""The directory (annuaire): organismes, their keys, robots; who handles what where."""

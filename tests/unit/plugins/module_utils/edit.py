"""Small editors for bad-input test cases: each returns a function that
changes one thing in a (deep-copied) configuration."""

from __future__ import annotations

DELETE = object()


def set_at(path, value):
    """Set (or with DELETE, remove) the value at path (keys and indexes)."""

    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change

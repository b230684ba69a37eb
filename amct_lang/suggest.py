"""Did-you-mean, written once: the closest known name for a misspelt one.

Every suggestion (field names, enum values, layer types, model layer names) goes through
`closest`, with one similarity cutoff, so a typo gets the same kind of hint everywhere.
difflib is imported only when a name is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

CUTOFF = 0.75  # difflib ratio below which a name is not offered


def closest(name: str, candidates: Iterable[str], *, prefer: Iterable[str] = (),
            key: Callable[[str], str] | None = None) -> str | None:
    """The candidate `name` most likely means: the same letters in another case (a candidate in
    `prefer` wins a tie), else the most similar one above CUTOFF, else None. `key` compares
    normalised forms (e.g. without separators) and returns the candidate as written."""
    if not name:
        return None
    norm = key or (lambda s: s)
    forms: dict[str, str] = {}
    for c in candidates:
        forms.setdefault(norm(c), c)
    wanted = norm(name)
    if wanted in forms:
        return forms[wanted]
    lowered = wanted.lower()
    same = sorted(c for f, c in forms.items() if f.lower() == lowered)
    if same:
        preferred = set(prefer)
        return next((c for c in same if c in preferred), same[0])
    import difflib  # only when a name is unknown

    close = difflib.get_close_matches(wanted, sorted(forms), n=1, cutoff=CUTOFF)
    return forms[close[0]] if close else None

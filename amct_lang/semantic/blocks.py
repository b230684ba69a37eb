"""The one reader of blocks: a singular message as protobuf's text_format.Merge builds it.

A singular field given several times (`common_config { ... }` twice, or `arq_quantize { }` twice
inside one block) is one message to AMCT: scalars keep their last value, sub-messages are merged
field by field, and setting a member of a oneof clears the other members, including everything an
earlier block wrote into them. `View` applies exactly that (a property test compares it with
`to_message()` on generated documents), and every rule, the resolver and the editor read blocks
through it.
"""

from __future__ import annotations

from typing import Any

from ..document import BoundMessage, Entry
from ..schema import is_repeated


class _Layout:
    """What views need to know about a message type, read from its descriptor once."""

    __slots__ = ("descriptor", "names", "defaults", "oneofs", "rivals", "contested", "repeated")

    def __init__(self, descriptor: Any) -> None:
        # holding the descriptor keeps its id() from being reused by another object
        self.descriptor = descriptor
        # field descriptor -> name: reading .name allocates a new string every time
        self.names = {f: f.name for f in descriptor.fields}
        self.defaults = {f.name: f.default_value for f in descriptor.fields if f.message_type is None}
        self.oneofs = {o.name: tuple(f.name for f in o.fields) for o in descriptor.oneofs}
        # member name -> the other members of its oneof, for oneofs with more than one member
        self.rivals = {name: tuple(n for n in names if n != name)
                       for names in self.oneofs.values() if len(names) > 1 for name in names}
        self.contested = [names for names in self.oneofs.values() if len(names) > 1]
        self.repeated = frozenset(f.name for f in descriptor.fields if is_repeated(f))


_LAYOUTS: dict[int, _Layout] = {}  # by id of the descriptor: descriptors live as long as the schema


def layout(descriptor: Any) -> _Layout:
    found = _LAYOUTS.get(id(descriptor))
    if found is None:
        found = _LAYOUTS[id(descriptor)] = _Layout(descriptor)
    return found


class View:
    """One message as text_format.Merge builds it from every block given for a singular field.

    `fields`: field name -> the entry that gives it its value (for a sub-message, the last block of
    it; `sub()` merges them all). A oneof keeps only its member set last. `anchor`: the entry that
    opened the block, when the caller has one (its range stands for the whole block)."""

    __slots__ = ("descriptor", "messages", "fields", "anchor", "_layout", "_merged")

    def __init__(self, messages: list[BoundMessage], descriptor: Any = None,
                 anchor: Entry | None = None) -> None:
        """`descriptor` is needed only when `messages` is empty (a block that is not given)."""
        if messages:
            descriptor = messages[0].descriptor
        self.descriptor = descriptor
        self.messages = messages
        self.anchor = anchor
        self._layout = lay = _LAYOUTS.get(id(descriptor)) or layout(descriptor)
        names, rivals, repeated = lay.names, lay.rivals, lay.repeated
        if len(messages) == 1:  # the common case, fast: one block, each field once, one member per oneof
            entries = messages[0].entries
            fields = {names[e.field]: e for e in entries}
            if len(fields) == len(entries) and not any(
                    sum(1 for n in group if n in fields) > 1 for group in lay.contested):
                self.fields = fields
                self._merged = None
                return
        fields = {}
        # singular sub-messages given more than once since they were last cleared: all their blocks
        merged: dict[str, list[BoundMessage]] | None = None
        for m in messages:
            for e in m.entries:
                n = names[e.field]
                if rivals:
                    others = rivals.get(n)
                    if others:
                        for other in others:  # setting a member clears the others
                            if other in fields:
                                del fields[other]
                                if merged is not None:
                                    merged.pop(other, None)
                if type(e.value) is BoundMessage and n not in repeated:
                    before = fields.get(n)
                    if before is not None:
                        if merged is None:
                            merged = {}
                        blocks = merged.get(n)
                        if blocks is None:
                            merged[n] = [before.value, e.value]
                        else:
                            blocks.append(e.value)
                fields[n] = e
        self.fields = fields
        self._merged = merged

    def __bool__(self) -> bool:
        return bool(self.messages)

    @property
    def start(self) -> int | None:
        return self.anchor.start if self.anchor is not None else None

    @property
    def end(self) -> int | None:
        return self.anchor.end if self.anchor is not None else None

    def entry(self, name: str) -> Entry | None:
        """The entry that gives `name` its value, or None when it is not set."""
        return self.fields.get(name)

    last = entry

    def has(self, name: str) -> bool:
        return name in self.fields

    def all(self, name: str) -> list[Entry]:
        """Every entry of repeated field `name`, in order (blocks concatenated, as protobuf does)."""
        return [e for m in self.messages for e in m.entries if e.field.name == name]

    def value(self, name: str) -> Any:
        """The effective value of scalar field `name`: the last one given, else the schema default."""
        e = self.fields.get(name)
        if e is not None:
            return e.value
        return self._layout.defaults[name]

    def default(self, name: str) -> Any:
        """The schema default of scalar field `name`."""
        return self._layout.defaults[name]

    def oneofs(self) -> dict[str, tuple[str, ...]]:
        """The member names of each oneof of the block's message type, by oneof name."""
        return self._layout.oneofs

    def oneof_member(self, group: str) -> str | None:
        """Which member of oneof `group` is set, if any (at most one is)."""
        for member in self._layout.oneofs[group]:
            if member in self.fields:
                return member
        return None

    which = oneof_member

    def sub(self, name: str) -> View | None:
        """The sub-message `name` (all its blocks merged), or None when it is not given."""
        e = self.fields.get(name)
        if e is None or type(e.value) is not BoundMessage:
            return None
        merged = self._merged
        if merged is not None:
            blocks = merged.get(name)
            if blocks is not None:
                return View(blocks, anchor=e)
        return View([e.value], anchor=e)

    def get_in(self, name: str, field: str) -> Entry | None:
        """The entry giving `field` in sub-message `name`: `sub(name).entry(field)`."""
        e = self.fields.get(name)
        if e is None or type(e.value) is not BoundMessage:
            return None
        msg = e.value
        lay = _LAYOUTS.get(id(msg.descriptor)) or layout(msg.descriptor)
        if (self._merged is None or name not in self._merged) and field not in lay.rivals:
            found = None  # one block, a field no oneof rival can clear: its last entry, no view
            names = lay.names
            for x in msg.entries:
                if names[x.field] == field:
                    found = x
            return found
        sub = self.sub(name)
        return sub.fields.get(field) if sub is not None else None


def view_of(entries: list[Entry]) -> View | None:
    """The message the blocks in `entries` (the entries of one singular field) build, or None."""
    messages = [e.value for e in entries if type(e.value) is BoundMessage]
    return View(messages, anchor=entries[0]) if messages else None


def as_data(view: View) -> dict[str, Any]:
    """What the view holds as plain data (sub-messages as dicts, repeated fields as lists): the shape
    the property test compares with the protobuf message."""
    out: dict[str, Any] = {}
    for name, e in view.fields.items():
        if name in view._layout.repeated:
            out[name] = [as_data(View([x.value])) if type(x.value) is BoundMessage else x.value
                         for x in view.all(name)]
        elif type(e.value) is BoundMessage:
            sub = view.sub(name)
            assert sub is not None
            out[name] = as_data(sub)
        else:
            out[name] = e.value
    return out

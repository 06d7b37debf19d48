"""The values that cross the engine/transport seam (see docs/dev/contracts.md, "Engine API")."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Command:
    """One command as the client sent it: name and parameters in order (None name = positional)."""

    name: str
    parameters: list[tuple[str | None, object]] = field(default_factory=list)


@dataclass(frozen=True)
class Identity:
    """Who is connected: user name, auth mechanism ('basic'|'ntlm'), transport ('psrp'|'winrm')."""

    user: str
    auth: str
    transport: str


@dataclass
class LabEnum:
    """A .NET enum value: full type name, member name, numeric value."""

    type_name: str
    name: str
    value: int

    def __str__(self) -> str:
        return self.name


@dataclass
class LabTimeSpan:
    """A System.TimeSpan, held as total seconds."""

    seconds: float

    def __str__(self) -> str:
        """PowerShell's TimeSpan.ToString(): [-][d.]hh:mm:ss[.fffffff]."""
        ticks = round(self.seconds * 10_000_000)
        sign = '-' if ticks < 0 else ''
        ticks = abs(ticks)
        whole, fraction = divmod(ticks, 10_000_000)
        days, rest = divmod(whole, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        text = f'{sign}{days}.' if days else sign
        text += f'{hours:02d}:{minutes:02d}:{seconds:02d}'
        return text + (f'.{fraction:07d}' if fraction else '')


@dataclass
class LabObject:
    """A PowerShell object: type names (most derived first), properties in display order, ToString().

    declared: property name -> its .NET type as types.json gives it (the transports write each value with that type's CLIXML
    tag: a UInt32 as <U32>, a Guid as <G>); extended: the members the type data adds (alias and script properties), which the
    serializer writes apart from the object's own properties (<MS> beside <Props>).
    """

    type_names: list[str]
    properties: dict[str, object]
    to_string: str
    declared: dict[str, str] = field(default_factory=dict)
    extended: dict[str, object] = field(default_factory=dict)
    # The lab's own model object this PowerShell object stands for, when a cmdlet given the object changes what it stands for
    # (a compatibility report's planned VM, which Connect-VMNetworkAdapter changes and Move-VM -CompatibilityReport moves). Never
    # serialized: it stays on the host, as the .NET object does.
    backing: object = field(default=None, compare=False, repr=False)

    def __getitem__(self, name: str):
        """A member by name; a type-data member shadows the object's own property of that name, as in PowerShell."""
        return self.extended[name] if name in self.extended else self.properties[name]


@dataclass(frozen=True)
class ErrorInfo:
    """One error record: what PowerShell puts in ErrorRecord / CategoryInfo."""

    command: str
    message: str
    fully_qualified_error_id: str
    category: str
    exception_type: str
    target: str | None = None


@dataclass
class Execution:
    """Everything one execute() call produced, in stream order per stream."""

    output: list = field(default_factory=list)
    errors: list[ErrorInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

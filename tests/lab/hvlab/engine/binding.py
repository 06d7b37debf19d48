"""Parameter binding, generic over every documented cmdlet, failing the way PowerShell fails.

Order follows PowerShell's CmdletParameterBinderController: named arguments (exact name or alias,
else a unique prefix), then positional arguments against the parameter sets still possible, then
parameter-set resolution (default set preferred), then the mandatory parameters of the chosen set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hvlab.engine.conversion import ArgumentConverter, ConversionFailure, powershell_text
from hvlab.engine.signatures import ALL_SETS, CmdletSignature, ParameterSpec
from hvlab.engine.values import ErrorInfo

PARAMETER_BINDING_EXCEPTION = 'System.Management.Automation.ParameterBindingException'


class BindingError(Exception):
    """A statement-terminating parameter binding error; ``error`` is the record PowerShell writes."""

    def __init__(self, error: ErrorInfo):
        super().__init__(error.message)
        self.error = error


@dataclass
class BoundParameters:
    """The outcome of binding: chosen parameter set, converted values by canonical parameter name."""

    parameter_set: str
    values: dict[str, object] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default=None):
        return self.values.get(name, default)

    def switch(self, name: str) -> bool:
        return bool(self.values.get(name, False))


class ParameterBinder:
    """Binds one command's arguments to one cmdlet signature."""

    def __init__(self, signature: CmdletSignature):
        self.signature = signature
        self.values: dict[str, object] = {}

    # ---- errors -----------------------------------------------------------------------------
    def _fail(self, error_id: str, message: str) -> BindingError:
        return BindingError(ErrorInfo(command=self.signature.name, message=message,
                                      fully_qualified_error_id=f'{error_id},{self.signature.implementing_type}',
                                      category='InvalidArgument', exception_type=PARAMETER_BINDING_EXCEPTION, target=None))

    # ---- entry point ------------------------------------------------------------------------
    def bind(self, arguments: list[tuple[str | None, object]]) -> BoundParameters:
        positional = []
        for name, value in arguments:
            if name is None:
                positional.append(value)
            else:
                self._bind_named(name, value)
        candidates = self._candidate_sets()
        for value in positional:
            self._bind_positional(value, candidates)
            candidates = self._candidate_sets()
        chosen = self._choose_set(candidates)
        self._check_mandatory(chosen)
        return BoundParameters(chosen, dict(self.values))

    # ---- named ------------------------------------------------------------------------------
    def match_parameter(self, typed: str) -> ParameterSpec:
        """Exact name or alias wins; otherwise a prefix that designates exactly one parameter."""
        wanted = typed.lstrip('-').rstrip(':').lower()
        params = self.signature.parameters
        exact = [spec for spec in params if wanted == spec.name.lower() or wanted in (alias.lower() for alias in spec.aliases)]
        if exact:
            return exact[0]
        matches = [spec for spec in params
                   if spec.name.lower().startswith(wanted) or any(alias.lower().startswith(wanted) for alias in spec.aliases)]
        if not matches:
            raise self._fail('NamedParameterNotFound', f"A parameter cannot be found that matches parameter name '{typed}'.")
        if len(matches) > 1:
            # PowerShell prefers a non-common parameter when the prefix also matches common ones.
            own = [spec for spec in matches if not spec.is_common]
            if len(own) == 1:
                return own[0]
            names = ''.join(f' -{spec.name}' for spec in matches)
            raise self._fail('AmbiguousParameter', f"Parameter cannot be processed because the parameter name '{typed}' is "
                                                   f'ambiguous. Possible matches include:{names}.')
        return matches[0]

    def _bind_named(self, typed: str, value) -> None:
        spec = self.match_parameter(typed)
        if spec.name in self.values:
            raise self._fail('ParameterAlreadyBound', f"Cannot bind parameter because parameter '{spec.name}' is specified more than "
                                                      'once. To provide multiple values to parameters that can accept multiple '
                                                      'values, use the array syntax. For example, "-parameter value1,value2,value3".')
        self.values[spec.name] = self._convert(spec, value)

    def _convert(self, spec: ParameterSpec, value):
        try:
            return ArgumentConverter(spec).convert(value)
        except ConversionFailure as failure:
            raise self._fail(failure.error_id, failure.message) from failure

    # ---- sets -------------------------------------------------------------------------------
    def _all_sets(self) -> list[str]:
        return list(self.signature.sets) or [ALL_SETS]

    def _candidate_sets(self) -> list[str]:
        candidates = self._all_sets()
        for name in self.values:
            spec = self.signature.parameter(name)
            candidates = [set_name for set_name in candidates if spec.in_set(set_name)]
        if not candidates:
            raise self._fail('AmbiguousParameterSet', 'Parameter set cannot be resolved using the specified named parameters.')
        return candidates

    def _bind_positional(self, value, candidates: list[str]) -> None:
        by_position: dict[int, list[ParameterSpec]] = {}
        for spec in self.signature.parameters:
            if spec.name in self.values or spec.is_common:
                continue
            for set_name in candidates:
                position = spec.position_in(set_name) if spec.in_set(set_name) else None
                if position is not None:
                    group = by_position.setdefault(position, [])
                    if spec not in group:
                        group.append(spec)
        if not by_position:
            raise self._fail('PositionalParameterNotFound',
                             f"A positional parameter cannot be found that accepts argument '{powershell_text(value)}'.")
        group = by_position[min(by_position)]
        default = self.signature.default_set
        # Like PowerShell, try the default set's parameter first, then any parameter that converts cleanly.
        ordered = sorted(group, key=lambda spec: 0 if default and spec.in_set(default) and default in candidates else 1)
        first_failure = None
        for spec in ordered:
            try:
                self.values[spec.name] = ArgumentConverter(spec).convert(value)
                return
            except ConversionFailure as failure:
                first_failure = first_failure or failure
        raise self._fail(first_failure.error_id, first_failure.message)

    def _choose_set(self, candidates: list[str]) -> str:
        if len(candidates) == 1:
            return candidates[0]
        default = self.signature.default_set
        if default in candidates:
            return default
        satisfied = [set_name for set_name in candidates if not self._missing_mandatory(set_name)]
        if len(satisfied) == 1:
            return satisfied[0]
        raise self._fail('AmbiguousParameterSet', 'Parameter set cannot be resolved using the specified named parameters.')

    # ---- mandatory --------------------------------------------------------------------------
    def _missing_mandatory(self, set_name: str) -> list[str]:
        return [spec.name for spec in self.signature.parameters
                if spec.in_set(set_name) and spec.mandatory_in(set_name) and spec.name not in self.values]

    def _check_mandatory(self, set_name: str) -> None:
        missing = self._missing_mandatory(set_name)
        if missing:
            raise self._fail('MissingMandatoryParameter',
                             f'Cannot process command because of one or more missing mandatory parameters: {" ".join(missing)}.')
        for spec in self.signature.parameters:
            if not (spec.in_set(set_name) and spec.mandatory_in(set_name)):
                continue
            value = self.values[spec.name]
            if value is None:
                raise self._fail('ParameterArgumentValidationErrorNullNotAllowed',
                                 f"Cannot bind argument to parameter '{spec.name}' because it is null.")
            if value == '' or (isinstance(value, list) and '' in value):
                raise self._fail('ParameterArgumentValidationErrorEmptyStringNotAllowed',
                                 f"Cannot bind argument to parameter '{spec.name}' because it is an empty string.")
            if value == []:
                raise self._fail('ParameterArgumentValidationErrorEmptyArrayNotAllowed',
                                 f"Cannot bind argument to parameter '{spec.name}' because it is an empty array.")

"""The cmdlet engine: parameter binding from the documented signatures and the modelled cmdlets.

Public surface (docs/dev/contracts.md, "Engine API"): Command, Identity, Execution, LabObject, LabEnum,
LabTimeSpan, ErrorInfo. SimHost.execute (hvlab.model.world) is the entry point that runs commands.
"""

from hvlab.engine.values import Command, ErrorInfo, Execution, Identity, LabEnum, LabObject, LabTimeSpan

__all__ = ['Command', 'ErrorInfo', 'Execution', 'Identity', 'LabEnum', 'LabObject', 'LabTimeSpan']

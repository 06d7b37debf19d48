"""Cmdlet implementations, registered by their documented name."""

from __future__ import annotations

from hvlab.engine.cmdlets import (
    cim, failover, features, firewall, host, migration, migration_network, replica_server, replication, services, utility, vm,
)

REGISTRY = {}
PIPELINE_INPUT = set()
VM_OBJECT_INPUT = set()
for _module in (host, migration_network, vm, features, migration, replica_server, replication, failover, firewall, cim, utility, services):
    for _name, _function in _module.CMDLETS.items():
        REGISTRY[_name.lower()] = _function
    PIPELINE_INPUT.update(name.lower() for name in getattr(_module, 'PIPELINE_INPUT', ()))
    VM_OBJECT_INPUT.update(name.lower() for name in getattr(_module, 'VM_OBJECT_INPUT', ()))


def implementation(name: str):
    """The function running a cmdlet (signature: fn(ctx) -> None), or None when the lab does not model it yet."""
    return REGISTRY.get(name.lower())


def takes_pipeline_input(name: str) -> bool:
    """Whether the lab models the cmdlet's pipeline parameter: it then reads ctx.pipeline_input, one object at a time.

    The other cmdlets are only modelled as the first command of a statement; piping objects into one of them is the binding
    error PowerShell writes for input no parameter takes (the lab binds no ValueFromPipeline parameter of theirs).
    """
    return name.lower() in PIPELINE_INPUT


def takes_vm_objects(name: str) -> bool:
    """Whether the lab binds VirtualMachine objects piped into the cmdlet to its -VM parameter (ValueFromPipeline), one object
    per invocation, as ``Get-VM -Id <guid> | Move-VM ...`` does."""
    return name.lower() in VM_OBJECT_INPUT

"""Cmdlet implementations, registered by their documented name."""

from __future__ import annotations

from hvlab.engine.cmdlets import (
    cim, failover, features, firewall, host, migration, migration_network, network_adapter, processor, replica_server, replication, services,
    storage, switch, utility, version, vm,
)

REGISTRY = {}
PIPELINE_INPUT = set()
# cmdlet (lower case) -> {type name of a piped object: the ValueFromPipeline parameter it binds to}, in the order binding tries them
OBJECT_INPUT = {}
for _module in (host, migration_network, vm, features, migration, replica_server, replication, failover, firewall, cim, utility, services,
                network_adapter, processor, storage, version, switch):
    for _name, _function in _module.CMDLETS.items():
        REGISTRY[_name.lower()] = _function
    PIPELINE_INPUT.update(name.lower() for name in getattr(_module, 'PIPELINE_INPUT', ()))
    for _name in getattr(_module, 'VM_OBJECT_INPUT', ()):
        OBJECT_INPUT.setdefault(_name.lower(), {})[vm.VM_TYPE] = 'VM'
    for _name, _parameters in getattr(_module, 'OBJECT_INPUT', {}).items():
        OBJECT_INPUT.setdefault(_name.lower(), {}).update(_parameters)


def implementation(name: str):
    """The function running a cmdlet (signature: fn(ctx) -> None), or None when the lab does not model it yet."""
    return REGISTRY.get(name.lower())


def takes_pipeline_input(name: str) -> bool:
    """Whether the lab models the cmdlet's pipeline parameter: it then reads ctx.pipeline_input, one object at a time.

    The other cmdlets are only modelled as the first command of a statement; piping objects into one of them is the binding
    error PowerShell writes for input no parameter takes (the lab binds no ValueFromPipeline parameter of theirs).
    """
    return name.lower() in PIPELINE_INPUT


def object_input(name: str) -> dict:
    """{type name: parameter} of the objects the lab binds when they are piped into the cmdlet (ValueFromPipeline), one object per
    invocation, as ``Get-VM -Id <guid> | Move-VM ...`` binds the VirtualMachine to -VM and ``Get-VMSnapshot ... | Start-VMFailover``
    the VMSnapshot to -VMRecoverySnapshot; empty when the lab binds no object piped into it."""
    return OBJECT_INPUT.get(name.lower(), {})

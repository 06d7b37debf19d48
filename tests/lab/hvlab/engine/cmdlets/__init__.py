"""Cmdlet implementations, registered by their documented name."""

from __future__ import annotations

from hvlab.engine.cmdlets import failover, features, firewall, host, migration, migration_network, replica_server, replication, vm

REGISTRY = {}
for _module in (host, migration_network, vm, features, migration, replica_server, replication, failover, firewall):
    for _name, _function in _module.CMDLETS.items():
        REGISTRY[_name.lower()] = _function


def implementation(name: str):
    """The function running a cmdlet (signature: fn(ctx) -> None), or None when the lab does not model it yet."""
    return REGISTRY.get(name.lower())

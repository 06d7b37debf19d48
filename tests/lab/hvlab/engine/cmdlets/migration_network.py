"""Get-/Add-/Set-/Remove-VMMigrationNetwork.

Subnets follow Add-VMMigrationNetwork's documentation: an IPv4/IPv6 address or a CIDR prefix; Hyper-V
stores address/prefix, so a bare address is kept as a host route (/32, /128). Get/Set/Remove take
wildcard patterns such as 192.168.* as the pages' examples do.
"""

from __future__ import annotations

import fnmatch

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import migration_network_object
from hvlab.engine.reference import canonical_subnet

_WILDCARD_CHARS = set('*?[')


def _is_pattern(text: str) -> bool:
    return bool(_WILDCARD_CHARS & set(text))


def _matches(network, pattern: str) -> bool:
    if _is_pattern(pattern):
        return fnmatch.fnmatchcase(network.subnet.lower(), pattern.lower())
    try:
        return network.subnet == canonical_subnet(pattern)
    except ValueError:
        return False


def _invalid_subnet(ctx: CmdletContext, subnet: str) -> None:
    ctx.write_error('InvalidParameter', f"The subnet '{subnet}' is not valid. Specify an IPv4 or IPv6 address, or a subnet in "
                                        'CIDR notation such as 192.168.10.0/24 or 2001:836c:6456:1c99::/64.',
                    'InvalidArgument', target=subnet)


def _subnet_exists(ctx: CmdletContext, subnet: str) -> None:
    """The decompiled Add-/Set-VMMigrationNetwork throw CreateOperationFailedException (error id OperationFailed, category
    InvalidOperation, no target) with the resource SubnetAlreadyExists formatted with the -Subnet argument as given (Set's
    too, not its -NewSubnet). The resource's text is not in the decompiled module: the wording here is the lab's."""
    ctx.write_error('OperationFailed', f"The migration network '{subnet}' already exists.", 'InvalidOperation')


def _select(ctx: CmdletContext, host, pattern: str) -> list:
    """Networks matching pattern; an exact subnet that matches nothing is an error (a pattern is not)."""
    selected = [network for network in host.migration_networks if _matches(network, pattern)]
    if not selected and not _is_pattern(pattern):
        ctx.write_error('ObjectNotFound', f"No migration network matching '{pattern}' was found on computer '{host.name.upper()}'.",
                        'ObjectNotFound', target=pattern)
    return selected


def get_vmmigration_network(ctx: CmdletContext) -> None:
    patterns = ctx.bound.get('Subnet')
    priorities = ctx.bound.get('Priority')
    for host in ctx.local_targets():
        for network in host.migration_networks:
            if patterns is not None and not any(_matches(network, pattern) for pattern in patterns):
                continue
            if priorities is not None and network.priority not in priorities:
                continue
            ctx.write_output(migration_network_object(host, network))


def add_vmmigration_network(ctx: CmdletContext) -> None:
    subnet = ctx.bound.get('Subnet')
    priority = ctx.bound.get('Priority') or 0
    try:
        canonical = canonical_subnet(subnet)
    except ValueError:
        _invalid_subnet(ctx, subnet)
        return
    for host in ctx.local_targets():
        if any(network.subnet == canonical for network in host.migration_networks):
            _subnet_exists(ctx, subnet)
            continue
        if not ctx.should_process(canonical):
            continue
        network = host.add_migration_network(canonical, priority)
        if ctx.passthru:
            ctx.write_output(migration_network_object(host, network))


def set_vmmigration_network(ctx: CmdletContext) -> None:
    new_subnet = ctx.bound.get('NewSubnet')
    new_priority = ctx.bound.get('NewPriority')
    canonical_new = None
    if new_subnet is not None:
        try:
            canonical_new = canonical_subnet(new_subnet)
        except ValueError:
            _invalid_subnet(ctx, new_subnet)
            return
    for host in ctx.local_targets():
        selected = _select(ctx, host, ctx.bound.get('Subnet'))
        if canonical_new is not None and len(selected) > 1:
            # Decompiled: one network is looked up before anything else; several fail with OperationFailed_CannotEditMultipleSubnets.
            ctx.write_error('OperationFailed', 'Cannot edit more than one migration network at a time: specify a single subnet.',
                            'InvalidOperation')
            continue
        if canonical_new is not None and any(network.subnet == canonical_new and network not in selected for network in host.migration_networks):
            _subnet_exists(ctx, ctx.bound.get('Subnet'))
            continue
        for network in selected:
            if not ctx.should_process(network.subnet):
                continue
            if canonical_new is not None:
                network.subnet = canonical_new
            if new_priority is not None:
                network.priority = new_priority
            if ctx.passthru:
                ctx.write_output(migration_network_object(host, network))


def remove_vmmigration_network(ctx: CmdletContext) -> None:
    for host in ctx.local_targets():
        selected = [network for network in _select(ctx, host, ctx.bound.get('Subnet')) if ctx.should_process(network.subnet)]
        host.migration_networks = [network for network in host.migration_networks if network not in selected]
        if ctx.passthru:
            for network in selected:
                ctx.write_output(migration_network_object(host, network))


CMDLETS = {
    'Get-VMMigrationNetwork': get_vmmigration_network,
    'Add-VMMigrationNetwork': add_vmmigration_network,
    'Set-VMMigrationNetwork': set_vmmigration_network,
    'Remove-VMMigrationNetwork': remove_vmmigration_network,
}

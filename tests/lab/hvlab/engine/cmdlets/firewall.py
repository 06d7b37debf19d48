"""Get-NetFirewallRule / Enable-NetFirewallRule over the host's persistent-store rules (hvlab.model.firewall.FirewallRule).

As documented, Enable-NetFirewallRule with no selecting parameter (parameter set GetAll) enables EVERY rule;
the lab does exactly that so tests can prove a caller never sends it. Name, DisplayName and Group take
wildcards as the pages' prose says; a plain value that matches nothing is an ObjectNotFound error like the
CDXML cmdlets write, a pattern that matches nothing is silently empty.
"""

from __future__ import annotations

import fnmatch

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import reference_object
from hvlab.engine.values import LabEnum, LabObject

RULE_TYPE = 'Microsoft.Management.Infrastructure.CimInstance#root/standardcimv2/MSFT_NetFirewallRule'
_NETSECURITY = 'Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetSecurity'
# NetSecurity's enum values (MSFT_NetFirewallRule): Enabled True=1/False=2, Direction Inbound=1/Outbound=2,
# Action Allow=2/Block=4, Profile is a flag set, PrimaryStatus OK=1.
_ENABLED = {'True': 1, 'False': 2}
_DIRECTION = {'Inbound': 1, 'Outbound': 2}
_ACTION = {'NotConfigured': 0, 'Allow': 2, 'Block': 4}
_PROFILE = {'Any': 0, 'Domain': 1, 'Private': 2, 'Domain, Private': 3, 'Public': 4, 'Domain, Public': 5, 'Private, Public': 6,
            'Domain, Private, Public': 7}


def rule_object(rule) -> LabObject:
    """The CIM instance (its class's properties, the uint16 codes) and the members NetSecurity's type data adds (types.json
    type_data_members): the alias properties and the script properties that give the codes' enum names."""
    enabled = 'True' if rule.enabled else 'False'
    status = 'The rule was parsed successfully from the store. (65536)'
    properties = {
        'InstanceID': rule.name, 'ElementName': rule.display_name, 'DisplayName': rule.display_name, 'Description': rule.description,
        'RuleGroup': rule.group, 'DisplayGroup': rule.display_group, 'Enabled': _ENABLED[enabled],
        'Profiles': _PROFILE.get(rule.profile, 0), 'Platforms': [], 'Direction': _DIRECTION[rule.direction],
        'Action': _ACTION[rule.action], 'EdgeTraversalPolicy': 0, 'PrimaryStatus': 1, 'Status': status, 'StatusCode': 65536,
        'EnforcementStatus': [0], 'PolicyStoreSource': 'PersistentStore', 'PolicyStoreSourceType': 1, 'CreationClassName':
        f'MSFT|FW|FirewallRule|{rule.name}', 'PolicyRuleName': '', 'SystemCreationClassName': '', 'SystemName': '',
    }
    extended = {
        'Group': rule.group, 'ID': rule.name, 'LSM': False, 'Name': rule.name, 'Platform': [],
        'Action': LabEnum(f'{_NETSECURITY}.Action', rule.action, _ACTION[rule.action]),
        'Direction': LabEnum(f'{_NETSECURITY}.Direction', rule.direction, _DIRECTION[rule.direction]),
        'DisplayName': rule.display_name,
        'EdgeTraversalPolicy': LabEnum(f'{_NETSECURITY}.EdgeTraversal', 'Block', 0),
        'Enabled': LabEnum(f'{_NETSECURITY}.Enabled', enabled, _ENABLED[enabled]),
        'EnforcementStatus': LabEnum(f'{_NETSECURITY}.EnforcementStatus', 'NotApplicable', 0),
        'PolicyStoreSourceType': LabEnum(f'{_NETSECURITY}.PolicyStoreType', 'Local', 1),
        'PrimaryStatus': LabEnum(f'{_NETSECURITY}.PrimaryStatus', 'OK', 1),
        'Profile': LabEnum(f'{_NETSECURITY}.Profile', rule.profile, _PROFILE.get(rule.profile, 0)),
        'Status': status,
    }
    return reference_object(RULE_TYPE, properties, rule.name, extended)


def _is_pattern(text: str) -> bool:
    return any(char in text for char in '*?[')


def _matches(value: str, wanted: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), wanted.lower()) if _is_pattern(wanted) else value.lower() == wanted.lower()


def _not_found(ctx: CmdletContext, prop: str, value: str) -> None:
    ctx.write_error(f'CmdletizationQuery_NotFound_{prop}',
                    f"No MSFT_NetFirewallRule objects found with property '{prop}' equal to '{value}'.  Verify the value of the "
                    'property and retry.', 'ObjectNotFound', target=value, exception_type='Microsoft.Management.Infrastructure.CimException')


def select_rules(ctx: CmdletContext) -> list:
    """The rules the bound parameters select (every rule for GetAll); writes not-found errors like CDXML."""
    rules = list(ctx.host.firewall_rules)
    if ctx.bound.parameter_set == 'InputObject (cdxml)':
        names = {item['Name'] for item in ctx.bound.get('InputObject') or [] if isinstance(item, LabObject)}
        return [rule for rule in rules if rule.name in names]
    for parameter, attribute in (('Name', 'name'), ('DisplayName', 'display_name'), ('Group', 'group'),
                                 ('DisplayGroup', 'display_group'), ('Description', 'description')):
        wanted = ctx.bound.get(parameter)
        if wanted is None:
            continue
        selected = []
        for value in wanted:
            matched = [rule for rule in rules if _matches(getattr(rule, attribute), value)]
            if not matched and not _is_pattern(value):
                _not_found(ctx, parameter, value)
            selected += [rule for rule in matched if rule not in selected]
        rules = selected
    for parameter, attribute, to_text in (('Enabled', 'enabled', lambda rule: 'True' if rule.enabled else 'False'),
                                          ('Direction', 'direction', None), ('Action', 'action', None)):
        wanted = ctx.bound.get(parameter)
        if wanted is not None:
            names = {item.name for item in wanted}
            rules = [rule for rule in rules if (to_text(rule) if to_text else getattr(rule, attribute)) in names]
    return rules


def _store_problem(ctx: CmdletContext) -> bool:
    """Only the local persistent and active stores are modelled; read-only stores refuse changes."""
    store = ctx.bound.get('PolicyStore')
    if store is None or store.lower() in ('persistentstore', 'activestore', 'localhost', ctx.host.name.lower(), ctx.host.fqdn.lower()):
        return False
    ctx.write_error('HvLab.PolicyStoreNotModelled', f"The policy store '{store}' is not modelled by the lab (only PersistentStore "
                                                    'and ActiveStore of this computer).', 'NotImplemented', target=store,
                    exception_type='System.NotSupportedException')
    return True


def get_net_firewall_rule(ctx: CmdletContext) -> None:
    if _store_problem(ctx):
        return
    for rule in select_rules(ctx):
        ctx.write_output(rule_object(rule))


def enable_net_firewall_rule(ctx: CmdletContext) -> None:
    if _store_problem(ctx):
        return
    # GetAll (no selector, -All optional) is the documented "enable every rule" case: no special pleading here.
    for rule in select_rules(ctx):
        if not ctx.should_process(rule.name, 'Enable'):
            continue
        rule.enabled = True
        if ctx.passthru:
            ctx.write_output(rule_object(rule))


CMDLETS = {
    'Get-NetFirewallRule': get_net_firewall_rule,
    'Enable-NetFirewallRule': enable_net_firewall_rule,
}

"""Windows Firewall rules of a host (the persistent store as Get-NetFirewallRule shows it): the Hyper-V Replica listeners and the predefined rules."""

from __future__ import annotations

from dataclasses import dataclass

HTTP_LISTENER_RULE = 'VIRT-HVRHTTPL-In-TCP-NoScope'
HTTPS_LISTENER_RULE = 'VIRT-HVRHTTPSL-In-TCP-NoScope'
LISTENER_RULE_BY_AUTH = {'Kerberos': HTTP_LISTENER_RULE, 'Certificate': HTTPS_LISTENER_RULE}


@dataclass
class FirewallRule:
    """One Windows Firewall rule of the persistent store (the parts Get-NetFirewallRule shows)."""

    name: str
    display_name: str
    group: str
    display_group: str
    description: str = ''
    enabled: bool = False
    direction: str = 'Inbound'
    action: str = 'Allow'
    profile: str = 'Any'

    def to_state(self) -> dict:
        return dict(vars(self))


def default_firewall_rules() -> list[FirewallRule]:
    """The predefined rules of a Hyper-V host: the Replica listeners exist (installed with the role) but are off."""
    return [
        FirewallRule(HTTP_LISTENER_RULE, 'Hyper-V Replica HTTP Listener (TCP-In)', 'Hyper-V Replica HTTP', 'Hyper-V Replica HTTP',
                     'Inbound rule for Hyper-V Replica listener to accept HTTP connection for replication. [TCP]'),
        FirewallRule(HTTPS_LISTENER_RULE, 'Hyper-V Replica HTTPS Listener (TCP-In)', 'Hyper-V Replica HTTPS',
                     'Hyper-V Replica HTTPS', 'Inbound rule for Hyper-V Replica listener to accept HTTPS connection for replication. [TCP]'),
        FirewallRule('FPS-SMB-In-TCP', 'File and Printer Sharing (SMB-In)', '@FirewallAPI.dll,-28502', 'File and Printer Sharing',
                     'Inbound rule for File and Printer Sharing to allow Server Message Block transmission and reception via Named Pipes. [TCP 445]'),
        FirewallRule('FPS-ICMP4-ERQ-In', 'File and Printer Sharing (Echo Request - ICMPv4-In)', '@FirewallAPI.dll,-28502',
                     'File and Printer Sharing', 'Echo Request messages are sent as ping requests to other nodes.'),
        FirewallRule('RemoteSvcAdmin-In-TCP', 'Remote Service Management (RPC)', '@FirewallAPI.dll,-29502', 'Remote Service Management',
                     'Inbound rule for the local Service Control Manager to be remotely managed via RPC/TCP.'),
        FirewallRule('WMI-WINMGMT-In-TCP', 'Windows Management Instrumentation (WMI-In)', '@FirewallAPI.dll,-34251',
                     'Windows Management Instrumentation (WMI)', 'Inbound rule to allow WMI traffic for remote Windows Management Instrumentation. [TCP]'),
        # The lab is reached over WinRM, so this one is on, as on any managed Windows Server.
        FirewallRule('WINRM-HTTP-In-TCP', 'Windows Remote Management (HTTP-In)', '@FirewallAPI.dll,-35001', 'Windows Remote Management',
                     'Inbound rule for Windows Remote Management via WS-Management. [TCP 5985]', enabled=True, profile='Domain, Private'),
    ]


def patch_firewall_rules(rules: list[FirewallRule], value) -> list[FirewallRule]:
    """Patch input: a list (replaces every rule) or {rule name: {field: value}} (changes those rules)."""
    if isinstance(value, list):
        return [FirewallRule(**entry) for entry in value]
    for name, changes in value.items():
        rule = next((rule for rule in rules if rule.name.lower() == name.lower()), None)
        if rule is None:
            raise ValueError(f'no firewall rule named {name!r}')
        for key, item in changes.items():
            if key not in vars(rule) or key == 'name':
                raise ValueError(f'unknown or fixed firewall rule field {key!r}')
            setattr(rule, key, bool(item) if key == 'enabled' else str(item))
    return rules


def listener_open(rules: list[FirewallRule], auth: str) -> bool:
    wanted = LISTENER_RULE_BY_AUTH[auth]
    return any(rule.name == wanted and rule.enabled for rule in rules)

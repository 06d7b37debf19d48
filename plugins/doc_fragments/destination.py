# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:  # pylint: disable=too-few-public-methods

    # The destination host of a pair module. Kept in sync with peer_connection.DESTINATION_ARGUMENT_SPEC.
    # The connection suboptions repeat under destination_connection and destination_connections: ansible-test reads each
    # fragment as one string literal, so they cannot be shared by code (_host/options.CONNECTION_SUBOPTIONS is the spec;
    # tests/unit/plugins/module_utils/test_connection_table.py asserts that they agree).
    DOCUMENTATION = r'''
options:
  destination:
    description:
      - The destination host of the pair; the task's own host (O(hyperv_host)) is the source.
      - An inventory host name, or a host name or address that is not in the inventory.
      - When it is an inventory host, the C(hyperv.mobility.controller_module) action plugin fills O(destination_connection) from
        that host's connection vars (the same variables it reads for the task's host), unless the task sets
        O(destination_connection) itself.
    type: str
    required: true
  destination_connection:
    description:
      - How to reach the destination host. The keys are those of the C(hyperv_*) connection options without the prefix.
      - Keys left out that describe the account (V(user), V(password), V(auth), V(validate_certs), V(ca_cert),
        V(cert_pem), V(cert_key_pem), the timeouts and V(retries)) are taken from the task's own C(hyperv_*) options.
        Keys that describe the endpoint (V(host), V(port), V(protocol), V(transport)) are not; V(host) defaults to
        O(destination), V(transport) to V(psrp), the port and protocol as for O(hyperv_port) and O(hyperv_protocol).
      - Give it explicitly when the task runs with C(delegate_to=localhost) and the destination is not in the inventory,
        or to override the inventory.
    type: dict
    suboptions:
      host:
        description: Name or address of the destination's WinRM endpoint. Defaults to the destination's name.
        type: str
      port:
        description: WinRM port, as O(hyperv_port).
        type: int
      user:
        description: User, as O(hyperv_user).
        type: str
      password:
        description: Password, as O(hyperv_password).
        type: str
      transport:
        description: V(psrp) or V(winrm), as O(hyperv_transport).
        type: str
        choices: [psrp, winrm]
      auth:
        description: Authentication method, as O(hyperv_auth).
        type: str
        choices: [negotiate, ntlm, kerberos, credssp, certificate, basic]
      protocol:
        description: V(https) or V(http), as O(hyperv_protocol).
        type: str
        choices: [http, https]
      validate_certs:
        description: Whether to validate the destination's TLS certificate, as O(hyperv_validate_certs).
        type: bool
      ca_cert:
        description: CA bundle for the destination's certificate, as O(hyperv_ca_cert).
        type: path
      cert_pem:
        description: Client certificate, as O(hyperv_cert_pem).
        type: path
      cert_key_pem:
        description: Key of the client certificate, as O(hyperv_cert_key_pem).
        type: path
      connection_timeout:
        description: As O(hyperv_connection_timeout).
        type: int
      operation_timeout:
        description: As O(hyperv_operation_timeout).
        type: int
      read_timeout:
        description: As O(hyperv_read_timeout).
        type: int
      retries:
        description: As O(hyperv_retries).
        type: int
notes:
  - The module connects to both hosts from the controller. The destination is named to Hyper-V (for example in
    C(Move-VM -DestinationHost)) by the fully qualified name the destination reports (C(Get-VMHost)), which is the name
    Kerberos delegation must list.
'''

    # Several destinations in one run (hyperv.mobility.destination.destinations, with hyperv.mobility.destination).
    # Kept in sync with peer_connection.DESTINATIONS_ARGUMENT_SPEC.
    DESTINATIONS = r'''
options:
  destinations:
    description:
      - Several destination hosts, checked in one run of the module instead of one run per destination. Mutually exclusive
        with O(destination); one of the two is required.
      - Each name is an inventory host name, or a host name or address that is not in the inventory, as for O(destination).
      - The list must not be empty, must not name a host twice, and must not name the source itself (a name equal to
        O(hyperv_host), or a destination whose connection reaches the same host and port as the source's).
    type: list
    elements: str
  destination_connections:
    description:
      - How to reach each host of O(destinations); one entry per destination that needs one, with the keys of
        O(destination_connection) plus O(destination_connections[].destination), which names the host of O(destinations)
        the entry is for.
      - Keys an entry leaves out are filled as for O(destination_connection) (the account from the task's own
        C(hyperv_*) options, V(host) from the destination's name). A destination without an entry is reached by its name
        with the task's account.
      - The C(hyperv.mobility.controller_module) action plugin adds an entry from the inventory vars of each host of O(destinations)
        that is an inventory host and has no entry in the task.
      - Mutually exclusive with O(destination).
    type: list
    elements: dict
    suboptions:
      destination:
        description: The host of O(destinations) this entry is for.
        type: str
        required: true
      host:
        description: Name or address of the destination's WinRM endpoint. Defaults to the destination's name.
        type: str
      port:
        description: WinRM port, as O(hyperv_port).
        type: int
      user:
        description: User, as O(hyperv_user).
        type: str
      password:
        description: Password, as O(hyperv_password).
        type: str
      transport:
        description: V(psrp) or V(winrm), as O(hyperv_transport).
        type: str
        choices: [psrp, winrm]
      auth:
        description: Authentication method, as O(hyperv_auth).
        type: str
        choices: [negotiate, ntlm, kerberos, credssp, certificate, basic]
      protocol:
        description: V(https) or V(http), as O(hyperv_protocol).
        type: str
        choices: [http, https]
      validate_certs:
        description: Whether to validate the destination's TLS certificate, as O(hyperv_validate_certs).
        type: bool
      ca_cert:
        description: CA bundle for the destination's certificate, as O(hyperv_ca_cert).
        type: path
      cert_pem:
        description: Client certificate, as O(hyperv_cert_pem).
        type: path
      cert_key_pem:
        description: Key of the client certificate, as O(hyperv_cert_key_pem).
        type: path
      connection_timeout:
        description: As O(hyperv_connection_timeout).
        type: int
      operation_timeout:
        description: As O(hyperv_operation_timeout).
        type: int
      read_timeout:
        description: As O(hyperv_read_timeout).
        type: int
      retries:
        description: As O(hyperv_retries).
        type: int
'''

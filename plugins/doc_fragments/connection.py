# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:  # pylint: disable=too-few-public-methods

    # How a host module reaches its Hyper-V host. Literal YAML (ansible-test reads fragments as string literals); the options
    # are defined in module_utils/_host/options.CONNECTION_OPTIONS, and tests/unit/plugins/module_utils/test_connection_table.py
    # asserts that this fragment, that table and the action plugin agree.
    DOCUMENTATION = r'''
options:
  hyperv_host:
    description:
      - Name or address of the Hyper-V host to manage.
      - When the task runs against an inventory host, the C(hyperv.mobility.controller_module) action plugin fills it
        from C(ansible_host) (or C(ansible_psrp_host), C(ansible_winrm_host), else the inventory name).
    type: str
    required: true
  hyperv_port:
    description:
      - TCP port of the WinRM listener.
      - Filled from C(ansible_port) (or C(ansible_psrp_port), C(ansible_winrm_port)). Defaults to C(5986), or C(5985) when
        O(hyperv_protocol=http).
      - Between 1 and 65535.
    type: int
  hyperv_user:
    description:
      - User to authenticate as, for example C(Administrator), C(CORP\admin) or C(admin@CORP.EXAMPLE.COM).
      - Filled from C(ansible_user) (or C(ansible_psrp_user), C(ansible_winrm_user)); else from the environment variable
        C(HYPERV_USER) (what the AWX credential type of docs/awx injects).
    type: str
  hyperv_password:
    description:
      - Password of O(hyperv_user).
      - Filled from C(ansible_password) (or C(ansible_winrm_pass), C(ansible_winrm_password), the variables ansible-core's
        psrp and winrm connection plugins read); else from C(HYPERV_PASSWORD).
    type: str
  hyperv_transport:
    description:
      - How to run pipelines on the host.
      - V(psrp) uses the PowerShell Remoting Protocol (pypsrp) with structured pipelines.
      - V(winrm) uses WinRS (pywinrm) with the collection's fixed runner script, which receives the pipeline as data
        and invokes only allow-listed cmdlets.
      - Filled from C(ansible_connection) when it is C(ansible.windows.psrp)/C(psrp) or C(winrm); any other connection
        means V(psrp).
    type: str
    choices: [psrp, winrm]
    default: psrp
  hyperv_auth:
    description:
      - Authentication method.
      - Filled from C(ansible_psrp_auth) or C(ansible_winrm_transport); else from C(HYPERV_AUTH).
      - With O(hyperv_transport=winrm), V(negotiate) uses NTLM (pywinrm has no Negotiate of its own).
      - V(certificate) needs O(hyperv_cert_pem) and O(hyperv_cert_key_pem) and O(hyperv_protocol=https).
      - V(credssp) needs the Python package C(pypsrp[credssp]) (or C(pywinrm[credssp]) with O(hyperv_transport=winrm)) on the
        controller; V(kerberos) needs C(pyspnego[kerberos]) (or C(pywinrm[kerberos])) and a Kerberos default realm on the
        controller unless O(hyperv_user) is given as C(user@REALM).
    type: str
    choices: [negotiate, ntlm, kerberos, credssp, certificate, basic]
    default: negotiate
  hyperv_protocol:
    description:
      - V(https) or V(http). Over HTTP, negotiate/NTLM/Kerberos/CredSSP encrypt every message.
      - Filled from C(ansible_psrp_protocol) or C(ansible_winrm_scheme).
      - Defaults to V(https), or V(http) when O(hyperv_port=5985).
    type: str
    choices: [http, https]
  hyperv_validate_certs:
    description:
      - Whether to validate the TLS certificate of the host. Turn it off only on a lab.
      - Filled from C(ansible_psrp_cert_validation) or C(ansible_winrm_server_cert_validation) (V(ignore) means V(false));
        else from C(HYPERV_VALIDATE_CERTS).
    type: bool
    default: true
  hyperv_ca_cert:
    description:
      - Path to a PEM file with the CA certificate(s) that issued the host's certificate.
      - Filled from C(ansible_psrp_ca_cert) (or C(ansible_psrp_cert_trust_path)) or C(ansible_winrm_ca_trust_path); else from
        C(HYPERV_CA_CERT).
      - Must exist on the controller (a file, or a folder of hashed CA certificates).
    type: path
  hyperv_cert_pem:
    description:
      - Path to the PEM client certificate for O(hyperv_auth=certificate); must exist on the controller.
      - Filled from C(ansible_psrp_certificate_pem) or C(ansible_winrm_cert_pem); else from C(HYPERV_CERT_PEM).
    type: path
  hyperv_cert_key_pem:
    description:
      - Path to the PEM private key of O(hyperv_cert_pem); must exist on the controller.
      - Filled from C(ansible_psrp_certificate_key_pem) or C(ansible_winrm_cert_key_pem); else from C(HYPERV_CERT_KEY_PEM).
    type: path
  hyperv_connection_timeout:
    description:
      - Seconds to wait for the TCP connection. Between 1 and 86400.
      - Filled from C(ansible_psrp_connection_timeout) or C(ansible_winrm_connection_timeout).
    type: int
    default: 30
  hyperv_operation_timeout:
    description:
      - WSMan operation timeout in seconds, between 1 and 86400.
      - Filled from C(ansible_psrp_operation_timeout) or C(ansible_winrm_operation_timeout_sec).
    type: int
    default: 20
  hyperv_read_timeout:
    description:
      - Seconds to wait for an HTTP response (between 1 and 86400); raised to O(hyperv_operation_timeout) + 1 when lower.
      - Filled from C(ansible_psrp_read_timeout) or C(ansible_winrm_read_timeout_sec).
    type: int
    default: 30
  hyperv_retries:
    description:
      - How many times to retry after a transport failure (connection refused, timeout, HTTP 5xx, WSMan fault),
        with exponential backoff; between 0 and 20.
      - Only safe work is retried - opening the session and read-only pipelines. A pipeline that changes state and
        whose outcome is unknown is never repeated; the module fails and says so.
    type: int
    default: 3
notes:
  - The module runs on the Ansible controller and reaches the host over WinRM, so C(hosts) can be the Hyper-V hosts of
    an existing C(ansible.windows) inventory; no C(delegate_to) is needed. With C(delegate_to=localhost), give the
    connection options explicitly.
  - The options can be set once for a play with C(module_defaults) and the group C(group/hyperv.mobility.hyperv).
  - "Which value wins: the task's option, then C(module_defaults), then the host's inventory variables, then the C(HYPERV_*)
    environment variables (empty ones count as not set), then the default."
  - Every value is checked before anything is sent to the host; a bad one fails the task naming the option and the host.
requirements:
  - pypsrp >= 0.8 (for O(hyperv_transport=psrp))
  - pywinrm >= 0.4 (for O(hyperv_transport=winrm))
'''

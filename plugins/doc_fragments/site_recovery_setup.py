# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment(object):  # pylint: disable=too-few-public-methods

    # The proxy options of the modules that run Site Recovery's setup programs on a Windows machine (provider_setup.PROXY_OPTIONS).
    DOCUMENTATION = r'''
options:
  proxy_address:
    description:
      - Address of the proxy the installed software uses to reach Azure - the provider's C(/proxyAddress), the agent's C(/ph).
      - Without it the software connects directly.
    type: str
  proxy_port:
    description: Port of the proxy (C(/proxyport), C(/po)); required with O(proxy_address).
    type: int
  proxy_username:
    description: User of an authenticating proxy (C(/proxyUsername), C(/pu)).
    type: str
  proxy_password:
    description:
      - Password of O(proxy_username) (C(/proxyPassword), C(/pw)); never shown in the output, where the command line has V(********).
    type: str
notes:
  - Program arguments cannot contain a double quote or a control character (the command line would be ambiguous); such a value
    is refused before anything runs.
'''

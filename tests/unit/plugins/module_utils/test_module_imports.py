# -*- coding: utf-8 -*-
"""Which libraries a module process imports: only its host's transport, ldap3 only in AD modules, Azure only in Azure modules.

Each import of pypsrp, pywinrm, ldap3 or gssapi costs a module process a large share of its start (docs/performance.md):
every task run of a module pays it. Each case runs in a fresh interpreter, as a module process does.
"""

import json
import subprocess
import sys

import pytest

from collection_path import COLLECTIONS_ROOT

LIBRARIES = ('pypsrp', 'winrm', 'ldap3', 'gssapi', 'azure', 'requests', 'spnego')

# Import the module, optionally check its connection libraries as a module does before connecting, list the libraries loaded.
PROBE = '''
import json, sys
import ansible_collections.hyperv.mobility.plugins.modules.%(module)s
if %(transport)r:
    from ansible_collections.hyperv.mobility.plugins.module_utils._host.session import missing_library
    assert missing_library(%(transport)r) is None
print(json.dumps(sorted(set(name.split('.')[0] for name in sys.modules) & set(%(libraries)r))))
'''


def loaded_libraries(module, transport=None):
    code = PROBE % {'module': module, 'transport': transport, 'libraries': LIBRARIES}
    completed = subprocess.run([sys.executable, '-c', code], env={'PYTHONPATH': COLLECTIONS_ROOT}, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    return set(json.loads(completed.stdout))


@pytest.mark.parametrize('module, transport, expected', [
    # A host module loads no transport until it checks its connection, then only the one its host uses (both libraries
    # authenticate through pyspnego, which loads gssapi itself when it is installed).
    ('live_migration', None, set()),
    ('live_migration', 'psrp', {'pypsrp', 'requests', 'spnego', 'gssapi'}),
    ('live_migration', 'winrm', {'winrm', 'requests', 'spnego', 'gssapi'}),
    ('host_info', None, set()),
    # AD modules: ldap3 only (gssapi only for ad_auth=kerberos, when the bind needs it).
    ('kerberos_delegation', None, {'ldap3'}),
    ('live_migration_mesh_preflight', None, {'ldap3'}),
])
def test_a_module_process_imports_only_what_it_uses(module, transport, expected):
    loaded = loaded_libraries(module, transport)
    assert loaded == expected

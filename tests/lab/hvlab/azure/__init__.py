# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fake Azure of the lab: Entra ID token endpoint, cloud metadata and ARM for Site Recovery, over HTTPS on loopback.

``start_fake_azure(state_dir)`` creates its own CA and certificate (hvlab.tls) in ``state_dir``, a service principal
with a random secret, and starts the listener; ``FakeAzureControl`` is the tests' client of its ``/_control`` routes.
The collection reaches it with the settings a sovereign-cloud user has: ``cloud_environment`` = the metadata URL
(``https://127.0.10.253:8443/``), the tenant, the service principal, and the CA in ``REQUESTS_CA_BUNDLE``.
"""

from hvlab.azure.handle import (  # noqa: F401  re-exported: the package's public names
    DEFAULT_ADDRESS,
    DEFAULT_PORT,
    FakeAzureHandle,
    start_fake_azure,
    FakeAzureControl,
)

__all__ = ['DEFAULT_ADDRESS', 'DEFAULT_PORT', 'FakeAzureHandle', 'start_fake_azure', 'FakeAzureControl']

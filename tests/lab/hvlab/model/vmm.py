"""A lab machine that is a System Center VMM server: its clouds, VM networks, the VMM service, and for a highly available
VMM the cluster's nodes.

What Microsoft documents and the lab keeps (Site Recovery's VMM guides, "Prepare VMM servers" and "Replicate with a
stretched VMM cluster"; the Provider's command-line installation):
- A VMM server has clouds (host groups of Hyper-V hosts, here lab host names) whose VMs Site Recovery can protect, and VM
  networks that network mapping maps. The provider reports them when the server registers (the lab sends a cloud's VMs:
  those listed, or every VM of its hosts).
- The VMM service (SCVMMService, "System Center Virtual Machine Manager") is stopped before the Provider is installed from
  the command line, and DRConfigurator.exe ``/startvmmservice`` starts it again after the registration.
- A highly available VMM runs as a role of a Windows failover cluster: the VMM service runs on the node that owns the role.
  The Provider is installed and the server registered on that (active) node first, then the Provider is installed on the
  other nodes. The lab names the cluster role ``name`` on every node and marks the owner with ``role_owner``; it does not
  model the cluster service itself (moving the role, restarting a clustered service).
"""

from __future__ import annotations

from dataclasses import dataclass, field

VMM_SERVICE = 'SCVMMService'
VMM_SERVICE_DISPLAY_NAME = 'System Center Virtual Machine Manager'
# Where Microsoft's command-line procedure runs DRConfigurator.exe on a VMM server: VMM's own bin folder.
DEFAULT_INSTALL_PATH = 'C:\\Program Files\\Microsoft System Center 2012 R2\\Virtual Machine Manager'
SERVICE_STATUSES = ('Running', 'Stopped')


def _reject_unknown(what: str, data: dict, known: set) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f'unknown {what} field(s): {", ".join(unknown)}')


@dataclass
class VmmServer:
    """The VMM role of a lab machine (SimHost.vmm)."""

    name: str                                          # the server's name in the vault: its FQDN, or the VMM cluster role's name
    clouds: list[dict] = field(default_factory=list)   # [{'name', 'hosts': [lab host names], 'vms': [VM names] (optional)}]
    networks: list[dict] = field(default_factory=list)  # [{'name', 'subnets': [{'name', 'addresses': [...]}]}]
    nodes: list[str] = field(default_factory=list)     # a highly available VMM: every node (lab host names); empty: standalone
    role_owner: bool = True                            # this node owns the VMM cluster role (always true for a standalone server)
    service_status: str = 'Running'
    install_path: str = DEFAULT_INSTALL_PATH

    @property
    def bin_path(self) -> str:
        return self.install_path + '\\bin'

    @property
    def highly_available(self) -> bool:
        return bool(self.nodes)

    def to_state(self) -> dict:
        return {'name': self.name, 'clouds': [dict(cloud) for cloud in self.clouds], 'networks': [dict(network) for network in self.networks],
                'nodes': list(self.nodes), 'role_owner': self.role_owner, 'service_status': self.service_status,
                'install_path': self.install_path}

    @classmethod
    def from_state(cls, value: dict) -> VmmServer:
        _reject_unknown('vmm', value, {'name', 'clouds', 'networks', 'nodes', 'role_owner', 'service_status', 'install_path'})
        if not value.get('name'):
            raise ValueError('vmm.name is required (the server FQDN, or the VMM cluster role name)')
        server = cls(name=str(value['name']))
        server.apply(value)
        return server

    def apply(self, value: dict) -> None:
        _reject_unknown('vmm', value, {'name', 'clouds', 'networks', 'nodes', 'role_owner', 'service_status', 'install_path'})
        for cloud in value.get('clouds', self.clouds):
            _reject_unknown('vmm cloud', cloud, {'name', 'hosts', 'vms'})
        if value.get('service_status', self.service_status) not in SERVICE_STATUSES:
            raise ValueError(f'vmm.service_status must be one of {", ".join(SERVICE_STATUSES)}')
        self.name = str(value.get('name', self.name))
        self.clouds = [dict(cloud) for cloud in value.get('clouds', self.clouds)]
        self.networks = [dict(network) for network in value.get('networks', self.networks)]
        self.nodes = [str(node) for node in value.get('nodes', self.nodes)]
        self.role_owner = bool(value.get('role_owner', self.role_owner))
        self.service_status = value.get('service_status', self.service_status)
        self.install_path = str(value.get('install_path', self.install_path))


def cloud_inventory(server: VmmServer, world) -> list:
    """The clouds as the provider reports them: name and VMs ({name, id, generation, os_type}) of the cloud's hosts."""
    clouds = []
    for cloud in server.clouds:
        vms = []
        for host_name in cloud.get('hosts', []):
            host = world.get_host_by_name(host_name)
            for vm in host.vms if host else []:
                if cloud.get('vms') is None or vm.name.lower() in {name.lower() for name in cloud['vms']}:
                    vms.append({'name': vm.name, 'id': vm.vm_id, 'generation': vm.generation, 'os_type': 'Windows'})
        clouds.append({'name': cloud['name'], 'vms': vms})
    return clouds

#!powershell
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The body of ansible.windows.win_ping, as a playbook-adjacent module so that the benchmark needs only ansible-core:
# ansible-core's psrp/winrm connection wraps it in the same exec wrapper (Ansible.Basic from ansible-core's
# module_utils/csharp) as any ansible.windows module. The lab records what arrives; it cannot run the script.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        data = @{ type = "str"; default = "pong" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.ping = $module.Params.data
$module.ExitJson()

# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Options of every module that talks to Active Directory over LDAP (ldap3) from the controller."""

    DOCUMENTATION = r'''
options:
  ad_server:
    description:
      - Domain controller to talk to (DNS name or address). Its TLS certificate must name it.
      - When using Kerberos, the DC must have an C(ldap/) SPN for this name.
      - If not set, the environment variable E(HYPERV_AD_SERVER) is used.
      - An empty string (V('')) set in the task means no AD server, whatever the inventory or the environment says.
    type: str
  ad_port:
    description:
      - LDAP port, between 1 and 65535. Defaults to V(636) with O(ad_tls=ldaps) and V(389) otherwise.
      - If not set, the environment variable E(HYPERV_AD_PORT) is used.
    type: int
  ad_username:
    description:
      - Account to bind as, for example V(admin@CORP.EXAMPLE.COM), V(CORP\\admin) or a distinguished name.
      - With O(ad_auth=kerberos) and O(ad_password), a ticket is requested for this principal;
        without them the current Kerberos ticket cache (E(KRB5CCNAME)) is used.
      - If not set, the environment variable E(HYPERV_AD_USERNAME) is used.
    type: str
  ad_password:
    description:
      - Password of O(ad_username).
      - If not set, the environment variable E(HYPERV_AD_PASSWORD) is used.
    type: str
  ad_auth:
    description:
      - V(simple) is an LDAP simple bind (only over TLS); V(kerberos) is a SASL GSSAPI bind and needs the
        Python package C(gssapi) on the controller.
      - If not set, the environment variable E(HYPERV_AD_AUTH) is used.
    type: str
    choices: [simple, kerberos]
    default: simple
  ad_tls:
    description:
      - V(ldaps) is TLS from the first byte, V(starttls) upgrades a plain connection, V(none) is plain LDAP.
      - A password is never sent over plain LDAP; V(none) is refused with O(ad_auth=simple).
      - If not set, the environment variable E(HYPERV_AD_TLS) is used.
    type: str
    choices: [ldaps, starttls, none]
    default: ldaps
  ad_ca_cert:
    description:
      - PEM file with the CA that issued the DC's certificate. Without it the controller's trust store is used.
      - If not set, the environment variable E(HYPERV_AD_CA_CERT) is used.
    type: path
  ad_validate_certs:
    description:
      - Whether the DC's TLS certificate must validate (chain and name). Turn off only in a lab.
      - If not set, the environment variable E(HYPERV_AD_VALIDATE_CERTS) is used.
    type: bool
    default: true
notes:
  - Every option is filled, when the task does not set it, from the host's inventory variable of the same name
    (C(ad_server), C(ad_username), ...) by the collection's action plugin, also when the task is delegated.
    Precedence - a task option, then C(module_defaults) (group C(group/hyperv.mobility.ad)), then the inventory
    variable, then the environment variable named with each option.
requirements:
  - ldap3
  - gssapi (only for O(ad_auth=kerberos))
'''

# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """The modules' attributes: one fragment for what check and diff mode do, one for the module_defaults group(s).

    A module extends ``hyperv.mobility.attributes`` (it changes something) or ``hyperv.mobility.attributes.read_only``, plus the
    variant of its groups (``.host_group``, ``.ad_group``, ``.azure_group``, ``.host_and_ad_groups``, ``.host_and_azure_groups``: an
    attribute comes whole from one fragment, so a module in two groups takes the variant that names both). Its own ``attributes`` add ``details`` where check or
    diff mode does something worth knowing, or override what does not hold for it.
    """

    # A module that changes something.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    support: full
    description: Reads the current state and reports what would change, without changing anything.
  diff_mode:
    support: full
    description: Shows the state before and after the task (in check mode, the state it would leave).
'''

    # A module that only reads (the _info modules and the checks).
    READ_ONLY = r'''
options: {}
attributes:
  check_mode:
    support: full
    description: The module only reads, so check mode runs the same reads and returns the same result.
  diff_mode:
    support: none
    description: The module changes nothing, so there is nothing to compare.
'''

    # The module_defaults groups of meta/runtime.yml a module belongs to.
    HOST_GROUP = r'''
options: {}
attributes:
  action_group:
    support: full
    membership:
      - hyperv.mobility.hyperv
    description: Use C(group/hyperv.mobility.hyperv) in C(module_defaults) to set the connection options once.
'''

    AD_GROUP = r'''
options: {}
attributes:
  action_group:
    support: full
    membership:
      - hyperv.mobility.ad
    description: Use C(group/hyperv.mobility.ad) in C(module_defaults) to set the AD options once.
'''

    AZURE_GROUP = r'''
options: {}
attributes:
  action_group:
    support: full
    membership:
      - hyperv.mobility.azure
    description: Use C(group/hyperv.mobility.azure) in C(module_defaults) to set the vault and the login once.
'''

    HOST_AND_AD_GROUPS = r'''
options: {}
attributes:
  action_group:
    support: full
    membership:
      - hyperv.mobility.hyperv
      - hyperv.mobility.ad
    description: C(group/hyperv.mobility.hyperv) sets the connection options, C(group/hyperv.mobility.ad) the AD options.
'''

    HOST_AND_AZURE_GROUPS = r'''
options: {}
attributes:
  action_group:
    support: full
    membership:
      - hyperv.mobility.hyperv
      - hyperv.mobility.azure
    description: Use C(group/hyperv.mobility.hyperv) for the host connection and C(group/hyperv.mobility.azure) for the login.
'''

"""The world the lab simulates: hosts, VMs, replication, programs and the directory."""

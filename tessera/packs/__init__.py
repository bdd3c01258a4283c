"""Installed app packs and dashboards."""
